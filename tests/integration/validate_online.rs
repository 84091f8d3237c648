//! `slo validate --prometheus-url`: each live check against a real Prometheus, one spec per
//! mistake: backfilled data (two handlers' request counters and a latency histogram), and a
//! scraped exporter for metric types, which only scraping records.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use slo::exit;

use crate::harness::prom::http_get;
use crate::harness::scenarios::{self, END_RFC3339};
use crate::harness::{CmdOutput, FakeServer, Mode, Prometheus, SloRun, refused_url};

fn prom() -> &'static Prometheus {
    static PROM: OnceLock<Prometheus> = OnceLock::new();
    PROM.get_or_init(|| {
        let data = scenarios::two_handlers().merge(scenarios::latency());
        Prometheus::start(&data.openmetrics())
    })
}

/// `validate` of a spec holding one SLO (`sli` indented under `sli:`), at the data's end.
fn validate(sli: &str) -> CmdOutput {
    let spec = format!(
        "version: 1\nservice: demo-api\nslos:\n  - name: s\n    objective: 99\n    window: 7d\n    sli:\n{sli}"
    );
    SloRun::new()
        .args(["validate"])
        .spec(&spec)
        .prometheus(prom())
        .at(END_RFC3339)
        .run()
}

/// The lines of stderr, without the spec's temporary path.
fn findings(out: &CmdOutput) -> Vec<String> {
    out.stderr
        .lines()
        .map(|l| match l.split_once("slo.yaml:") {
            Some((prefix, rest)) => {
                let severity = prefix.split(':').next().unwrap_or_default();
                format!("{severity}:{rest}")
            }
            None => l.to_string(),
        })
        .collect()
}

#[test]
fn a_correct_spec_passes_and_reports_its_groups() {
    let out = validate(
        "      ratio:\n        errors: http_requests_total{job=\"demo-api\",status=\"5xx\"}\n        total: http_requests_total{job=\"demo-api\"}\n        group_by: [handler]\n",
    );
    out.status(exit::OK)
        .stdout_contains("valid, service demo-api");
    assert_eq!(
        findings(&out),
        ["note:11:19: slo s: sli.ratio.group_by: 2 groups by handler"]
    );
}

#[test]
fn a_metric_name_with_a_typo_gets_the_closest_name() {
    let out = validate(
        "      ratio:\n        errors: http_requests_total{status=\"5xx\"}\n        total: http_request_total{job=\"demo-api\"}\n",
    );
    out.status(exit::INVALID).stdout_empty();
    assert_eq!(
        findings(&out),
        [
            "error:10:16: slo s: sli.ratio.total: `http_request_total{job=\"demo-api\"}` matches no series in the last 7d: no metric is named `http_request_total`",
            "  hint: did you mean `http_requests_total`?",
        ]
    );
}

#[test]
fn a_label_value_with_a_typo_gets_the_existing_values() {
    let out = validate(
        "      ratio:\n        good: http_requests_total{handler=\"/item\",status=\"2xx\"}\n        total: http_requests_total\n",
    );
    out.status(exit::INVALID);
    assert_eq!(
        findings(&out),
        [
            "error:9:15: slo s: sli.ratio.good: `http_requests_total{handler=\"/item\",status=\"2xx\"}` matches no series in the last 7d: no `http_requests_total` series has handler=\"/item\"",
            "  hint: handler is one of: /items, /health",
        ]
    );
}

#[test]
fn an_errors_selector_without_series_is_a_note_when_its_metric_exists() {
    let out = validate(
        "      ratio:\n        errors: http_requests_total{status=\"503\"}\n        total: http_requests_total\n",
    );
    out.status(exit::OK);
    assert_eq!(
        findings(&out),
        [
            "note:9:17: slo s: sli.ratio.errors: `http_requests_total{status=\"503\"}` matches no series in the last 7d: no such error has happened yet (or its labels are misspelt)"
        ]
    );
    let out = validate(
        "      ratio:\n        errors: http_errors_total\n        total: http_requests_total\n",
    );
    out.status(exit::INVALID)
        .stderr_contains("no metric is named `http_errors_total`");
}

#[test]
fn a_threshold_off_the_buckets_lists_the_boundaries() {
    let out = validate(
        "      latency:\n        histogram: http_request_duration_seconds\n        selector: '{job=\"demo-api\"}'\n        threshold: 0.25\n",
    );
    out.status(exit::INVALID);
    assert_eq!(
        findings(&out),
        [
            "error:11:20: slo s: sli.latency.threshold: 0.25 is not a bucket boundary of `http_request_duration_seconds_bucket{job=\"demo-api\"}`",
            "  hint: its boundaries: 0.05, 0.1, 0.3, 1, 3, +Inf",
        ]
    );
    validate("      latency:\n        histogram: http_request_duration_seconds\n        threshold: 3e-1\n")
        .status(exit::OK);
}

#[test]
fn a_group_by_label_the_series_lack_is_an_error() {
    let out = validate(
        "      latency:\n        histogram: http_request_duration_seconds\n        threshold: 0.3\n        group_by: [route]\n",
    );
    out.status(exit::INVALID);
    assert_eq!(
        findings(&out),
        [
            "error:11:19: slo s: sli.latency.group_by: no series of `http_request_duration_seconds_count` carries the label `route`",
            "  hint: group by labels the total series carry",
        ]
    );
}

#[test]
fn a_raw_query_beyond_0_to_1_is_an_error() {
    let out = validate(
        "      raw:\n        error_ratio: sum(rate(http_requests_total[{{window}}])) / sum(rate(http_requests_total{status=\"5xx\"}[{{window}}]))\n",
    );
    out.status(exit::INVALID)
        .stderr_contains("slo s: sli.raw.error_ratio: returns ")
        .stderr_contains(", not a ratio from 0 to 1");
}

#[test]
fn an_unreachable_prometheus_exits_3() {
    SloRun::new()
        .args(["validate", "--config", "slo.yaml"])
        .prometheus(&refused_url())
        .run()
        .status(exit::DATA_SOURCE)
        .stderr_contains("cannot reach");
}

/// An exporter's metrics as Prometheus types them when it scrapes them: a counter without
/// the `_total` suffix, a gauge, and an untyped metric.
const EXPOSITION: &str = "# TYPE jobs_done counter\njobs_done 42\n# TYPE jobs_failed counter\njobs_failed 1\n# TYPE queue_depth gauge\nqueue_depth 7\n# TYPE things untyped\nthings 3\n";

/// A Prometheus scraping [`EXPOSITION`], once it holds every metric's type.
fn scraping_prom() -> &'static (FakeServer, Prometheus) {
    static PROM: OnceLock<(FakeServer, Prometheus)> = OnceLock::new();
    PROM.get_or_init(|| {
        let exporter = FakeServer::start(Mode::Custom {
            http_status: 200,
            content_type: "text/plain; version=0.0.4".into(),
            body: EXPOSITION.into(),
        });
        let target = exporter.url().trim_start_matches("http://").to_string();
        let prom = Prometheus::builder().scrape(&target).start();
        // Ready when every metric has its type and a sample at or before the whole second
        // `validate` evaluates at by default.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let (_, metadata) = http_get(prom.port(), "/api/v1/metadata").unwrap();
            let query = format!("/api/v1/query?query=group+by+(__name__)+(last_over_time(%7Bjob%3D%22scraped%22%7D%5B1m%5D))&time={now}");
            let (_, names) = http_get(prom.port(), &query).unwrap();
            let all = |body: &str| {
                ["jobs_done", "jobs_failed", "queue_depth", "things"]
                    .iter()
                    .all(|name| body.contains(&format!("\"{name}\"")))
            };
            if all(&metadata) && all(&names) {
                break;
            }
            assert!(Instant::now() < deadline, "not scraped: {metadata} {names}");
            std::thread::sleep(Duration::from_millis(50));
        }
        (exporter, prom)
    })
}

/// `validate` at wall-clock time of a ratio SLO whose total is `total`.
fn validate_scraped(total: &str) -> CmdOutput {
    let spec = format!(
        "version: 1\nservice: jobs\nslos:\n  - name: s\n    objective: 99\n    window: 7d\n    sli:\n      ratio:\n        errors: jobs_failed\n        total: {total}\n"
    );
    SloRun::new()
        .args(["validate"])
        .spec(&spec)
        .prometheus(&scraping_prom().1)
        .run()
}

#[test]
fn a_counter_without_the_total_suffix_passes_by_its_metadata() {
    let out = validate_scraped("jobs_done");
    out.status(exit::OK);
    assert_eq!(findings(&out), Vec::<String>::new());
}

#[test]
fn a_gauge_is_an_error_and_an_untyped_metric_a_warning() {
    let out = validate_scraped("queue_depth");
    out.status(exit::INVALID).stdout_empty();
    assert_eq!(
        findings(&out),
        [
            "error:10:16: slo s: sli.ratio.total: `queue_depth` is a gauge (Prometheus' metadata): it goes up and down, so its increase counts no events",
            "  hint: count events with a counter (its name ends in `_total`)",
        ]
    );
    let out = validate_scraped("things");
    out.status(exit::OK);
    assert_eq!(
        findings(&out),
        [
            "warning:10:16: slo s: sli.ratio.total: `things` is typed `unknown` in Prometheus' metadata, not counter: its increase counts events only if it never goes down",
            "  hint: count events with a counter (its name ends in `_total`)",
        ]
    );
}
