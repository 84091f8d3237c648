//! `slo report` against a real Prometheus holding every scenario at once (each under its own
//! `job`), checked against the ground truth of the generated counters.

use std::sync::OnceLock;

use serde_json::Value;
use slo::exit;

use crate::harness::scenarios::{self, DAY, END_RFC3339, HOUR, JOB, LATENCY, REQUESTS};
use crate::harness::*;

/// Largest relative error allowed between a reported error ratio and the truth.
const TOLERANCE: f64 = 1e-3;

/// A scenario's data, backfilled under `job="<job>"` instead of the generator's `demo-api`.
struct Scenario {
    job: &'static str,
    data: Dataset,
}

struct Fixture {
    prom: Prometheus,
    steady: Scenario,
    diurnal: Scenario,
    incident: Scenario,
    resets: Scenario,
    latency: Scenario,
    handlers: Scenario,
    idle: Scenario,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let scenario = |job, data| Scenario { job, data };
        let all = [
            scenario("steady", scenarios::steady()),
            scenario("diurnal", scenarios::diurnal()),
            scenario("incident", scenarios::incident()),
            scenario("resets", scenarios::counter_resets()),
            scenario("latency", scenarios::latency()),
            scenario("handlers", scenarios::two_handlers()),
            scenario("idle", scenarios::zero_traffic()),
        ];
        let mut builder = Prometheus::builder();
        for s in &all {
            let text = s
                .data
                .openmetrics()
                .replace(&format!("job=\"{JOB}\""), &format!("job=\"{}\"", s.job));
            builder = builder.openmetrics(text);
        }
        let prom = builder.start();
        eprintln!(
            "backfill {:?}, startup {:?}",
            prom.backfill_time, prom.startup_time
        );
        let [steady, diurnal, incident, resets, latency, handlers, idle] = all;
        Fixture {
            prom,
            steady,
            diurnal,
            incident,
            resets,
            latency,
            handlers,
            idle,
        }
    })
}

/// A spec for the requests of `job`: an errors-ratio SLO `availability` with `objective`
/// over `window`, plus whatever `extra_slos` YAML adds.
fn availability_spec(job: &str, objective: f64, window: &str, extra_slos: &str) -> String {
    let availability = specs::requests_slo("availability", objective, window, job);
    specs::spec(job, "", &[availability, extra_slos.to_string()])
}

/// Runs `slo report --format <format>` on `spec` at `at`.
fn report(spec: &str, at: &str, format: &str, extra: &[&str]) -> CmdOutput {
    SloRun::new()
        .args(["report", "--format", format])
        .args(extra)
        .spec(spec)
        .prometheus(&fixture().prom)
        .at(at)
        .run()
}

/// The JSON report as printed; panics unless `slo report` exited 0.
fn report_text(spec: &str, at: &str) -> String {
    let out = report(spec, at, "json", &[]);
    out.assert_success("slo report");
    out.stdout
}

/// The JSON report; panics unless `slo report` exited 0.
fn report_json(spec: &str, at: &str) -> Value {
    let text = report_text(spec, at);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{text}"))
}

/// The entry of `slo` (and, for grouped SLOs, `labels`) in a JSON report.
fn row<'a>(report: &'a Value, slo: &str, labels: Value) -> &'a Value {
    report["slos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["slo"] == slo && r["labels"] == labels)
        .unwrap_or_else(|| panic!("no row for {slo} {labels} in {report:#}"))
}

/// The `slo` of every row of a JSON report, in order.
fn slo_names(report: &Value) -> Vec<&Value> {
    report["slos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["slo"])
        .collect()
}

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

/// Asserts the row's error ratio (from its events and from its SLI) matches `truth`.
fn assert_error_ratio(name: &str, row: &Value, truth: f64) {
    let bad = number(&row["events"]["bad"]);
    let total = number(&row["events"]["total"]);
    let from_events = bad / total;
    let from_sli = 1.0 - number(&row["sli"]);
    eprintln!("{name}: error ratio {from_events} (truth {truth})");
    assert!(
        rel_err(from_events, truth) < TOLERANCE,
        "{name}: events say {from_events}, truth {truth}"
    );
    assert!(
        rel_err(from_sli, truth) < TOLERANCE,
        "{name}: SLI says {from_sli}, truth {truth}"
    );
    assert_eq!(number(&row["events"]["good"]) + bad, total);
}

/// The true error ratio of `scenario`'s requests over `(from, to]`.
fn true_error_ratio(s: &Scenario, matchers: &[(&str, &str)], from: i64, to: i64) -> f64 {
    let with_5xx: Vec<_> = matchers
        .iter()
        .copied()
        .chain([("status", "5xx")])
        .collect();
    s.data.true_ratio(REQUESTS, &with_5xx, matchers, from, to)
}

/// The `availability` row of `s` reported at END with `objective` over 30d, after asserting
/// that its error ratio is the truth's.
fn availability_over_30d(name: &str, s: &Scenario, objective: f64) -> Value {
    let report = report_json(&availability_spec(s.job, objective, "30d", ""), END_RFC3339);
    let availability = row(&report, "availability", serde_json::json!({})).clone();
    assert_error_ratio(
        name,
        &availability,
        true_error_ratio(s, &[], END - 30 * DAY, END),
    );
    availability
}

#[test]
fn steady_errors_match_truth_with_every_documented_field() {
    let f = fixture();
    let s = &f.steady;
    let raw = format!(
        "  - name: raw
    objective: 99.5
    window: 30d
    sli:
      raw:
        error_ratio: sum(rate({REQUESTS}{{job=\"{job}\",status=\"5xx\"}}[{{{{window}}}}])) / sum(rate({REQUESTS}{{job=\"{job}\"}}[{{{{window}}}}]))
",
        job = s.job
    );
    let report = report_json(&availability_spec(s.job, 99.5, "30d", &raw), END_RFC3339);
    assert_eq!(report["evaluated_at"], END_RFC3339);
    let truth = true_error_ratio(s, &[], END - 30 * DAY, END);
    assert!((truth - 0.001).abs() < 1e-4, "scenario truth {truth}");

    let availability = row(&report, "availability", serde_json::json!({}));
    assert_error_ratio("steady", availability, truth);
    // Key order is part of the documented format (serde_json's Value would sort the keys).
    let text = report_text(&availability_spec(s.job, 99.5, "30d", ""), END_RFC3339);
    let positions: Vec<usize> = [
        "evaluated_at",
        "slos",
        "service",
        "slo",
        "labels",
        "objective",
        "window",
        "sli",
        "error_budget",
        "budget_remaining",
        "events",
        "good",
        "bad",
        "total",
        "burn_rates",
        "5m",
        "1h",
        "6h",
        "1d",
        "3d",
        "30d",
        "status",
    ]
    .iter()
    .map(|k| {
        text.find(&format!("\"{k}\":"))
            .unwrap_or_else(|| panic!("no {k} in {text}"))
    })
    .collect();
    assert!(positions.is_sorted(), "keys out of order: {text}");
    assert_eq!(availability["service"], "steady");
    assert_eq!(availability["objective"], 0.995);
    assert_eq!(availability["window"], "30d");
    assert_eq!(availability["error_budget"], 0.005);
    assert_eq!(availability["status"], "ok");
    let remaining = number(&availability["budget_remaining"]);
    assert!(
        rel_err(remaining, 1.0 - truth / 0.005) < TOLERANCE,
        "{remaining}"
    );
    assert_eq!(availability["burn_rates"].as_object().unwrap().len(), 6);
    for (window, secs) in [("1h", HOUR), ("1d", DAY), ("30d", 30 * DAY)] {
        let burn = number(&availability["burn_rates"][window]);
        let truth = true_error_ratio(s, &[], END - secs, END) / 0.005;
        assert!(
            rel_err(burn, truth) < TOLERANCE,
            "burn rate {window}: {burn} vs {truth}"
        );
    }

    // The raw SLI yields the same ratio, but no event counts.
    let raw = row(&report, "raw", serde_json::json!({}));
    assert_eq!(raw["events"], Value::Null);
    let from_sli = 1.0 - number(&raw["sli"]);
    assert!(
        rel_err(from_sli, truth) < TOLERANCE,
        "raw: {from_sli} vs {truth}"
    );
}

#[test]
fn diurnal_traffic_weights_every_event_equally() {
    let s = &fixture().diurnal;
    let truth = true_error_ratio(s, &[], END - 30 * DAY, END);
    // Errors only at night, where traffic is 10x lower: averaging 5m ratios would give 2.5 %.
    assert!(truth < 0.005, "scenario truth {truth}");
    availability_over_30d("diurnal", s, 99.0);
}

#[test]
fn incident_shows_in_short_burn_rates_and_the_window() {
    let s = &fixture().incident;
    let availability = availability_over_30d("incident", s, 99.9);
    // 20 % errors for 2 h of the last 6 h: 6h burns near 0.2/3/0.001 ≈ 67; the last hour is
    // back to 0.1 %, a burn rate of about 1.
    let burn_6h = number(&availability["burn_rates"]["6h"]);
    let truth_6h = true_error_ratio(s, &[], END - 6 * HOUR, END) / 0.001;
    assert!(
        rel_err(burn_6h, truth_6h) < TOLERANCE,
        "6h: {burn_6h} vs {truth_6h}"
    );
    assert!(burn_6h > 50.0, "6h: {burn_6h}");
    let burn_1h = number(&availability["burn_rates"]["1h"]);
    assert!((0.8..1.2).contains(&burn_1h), "1h: {burn_1h}");
    // 2 h at 20 % is 0.8 % of 30 days' requests: far more than a 0.1 % budget.
    assert_eq!(availability["status"], "exhausted");
    assert!(number(&availability["budget_remaining"]) < 0.0);
}

#[test]
fn counter_resets_lose_no_events() {
    let s = &fixture().resets;
    let availability = availability_over_30d("counter resets", s, 99.5);
    let total = number(&availability["events"]["total"]);
    let true_total = s.data.true_increase(REQUESTS, &[], END - 30 * DAY, END);
    assert!(
        rel_err(total, true_total) < TOLERANCE,
        "{total} vs {true_total}"
    );
}

fn latency_spec(job: &str, threshold: &str) -> String {
    format!(
        "version: 1
service: {job}
slos:
  - name: latency
    objective: 98
    window: 30d
    sli:
      latency:
        histogram: {LATENCY}
        selector: '{{job=\"{job}\"}}'
        threshold: {threshold}
"
    )
}

#[test]
fn latency_counts_requests_under_the_threshold_bucket() {
    let s = &fixture().latency;
    let report = report_json(&latency_spec(s.job, "0.3"), END_RFC3339);
    let latency = row(&report, "latency", serde_json::json!({}));
    let bucket = format!("{LATENCY}_bucket");
    let slow = 1.0
        - s.data.true_ratio(
            &bucket,
            &[("le", "0.3")],
            &[("le", "+Inf")],
            END - 30 * DAY,
            END,
        );
    assert!((slow - 0.01).abs() < 1e-3, "scenario truth {slow}");
    assert_error_ratio("latency", latency, slow);
    assert_eq!(latency["status"], "ok");
}

#[test]
fn latency_threshold_between_buckets_is_an_error_not_zero_good_events() {
    let s = &fixture().latency;
    let out = report(&latency_spec(s.job, "0.25"), END_RFC3339, "json", &[]);
    out.status(exit::DATA_SOURCE);
    assert!(
        out.stderr.contains(LATENCY) && out.stderr.contains("le=\"0.25\""),
        "stderr names neither histogram nor threshold: {}",
        out.stderr
    );
    assert!(out.stderr.contains("SLO latency"), "{}", out.stderr);
    assert_eq!(out.stdout, "");
}

#[test]
fn one_failing_slo_leaves_the_others_reported_and_exits_3() {
    let f = fixture();
    let failing = latency_spec(f.latency.job, "0.25");
    let failing = failing.split_once("slos:\n").unwrap().1;
    let spec = availability_spec(f.steady.job, 99.5, "30d", failing);
    let out = report(&spec, END_RFC3339, "json", &[]);
    out.status(exit::DATA_SOURCE);
    assert!(
        out.stderr.contains("error: SLO latency: histogram"),
        "{}",
        out.stderr
    );
    let json = out.json();
    assert_eq!(slo_names(&json), ["availability"]);
    let truth = true_error_ratio(&f.steady, &[], END - 30 * DAY, END);
    assert_error_ratio("steady beside a failure", &json["slos"][0], truth);
}

#[test]
fn group_by_reports_each_handler_against_its_own_truth() {
    let s = &fixture().handlers;
    let spec = availability_spec(s.job, 99.5, "30d", "").replace(
        "        total: http_requests_total{job=\"handlers\"}\n",
        "        total: http_requests_total{job=\"handlers\"}\n        group_by: [handler]\n",
    );
    assert!(spec.contains("group_by"));
    let report = report_json(&spec, END_RFC3339);
    assert_eq!(report["slos"].as_array().unwrap().len(), 2, "{report:#}");
    for (handler, status) in [("/items", "ok"), ("/health", "exhausted")] {
        let r = row(
            &report,
            "availability",
            serde_json::json!({ "handler": handler }),
        );
        let truth = true_error_ratio(s, &[("handler", handler)], END - 30 * DAY, END);
        assert_error_ratio(handler, r, truth);
        assert_eq!(r["status"], status, "{handler}");
    }
}

#[test]
fn zero_traffic_and_missing_series_are_no_data() {
    let s = &fixture().idle;
    let missing = "  - name: missing
    objective: 99
    window: 30d
    sli:
      ratio:
        errors: http_requests_total{job=\"nobody\",status=\"5xx\"}
        total: http_requests_total{job=\"nobody\"}
";
    let report = report_json(&availability_spec(s.job, 99.5, "30d", missing), END_RFC3339);
    let idle = row(&report, "availability", serde_json::json!({}));
    assert_eq!(idle["status"], "no_data");
    assert_eq!(idle["sli"], Value::Null);
    assert_eq!(idle["budget_remaining"], Value::Null);
    assert_eq!(idle["events"]["total"], 0.0);
    assert!(
        idle["burn_rates"]
            .as_object()
            .unwrap()
            .values()
            .all(Value::is_null)
    );
    let missing = row(&report, "missing", serde_json::json!({}));
    assert_eq!(missing["status"], "no_data");
    assert_eq!(missing["events"], Value::Null);
}

#[test]
fn at_in_the_middle_of_the_data_reports_that_instant() {
    let s = &fixture().diurnal;
    let at = END - 10 * DAY - 5 * HOUR;
    let report = report_json(&availability_spec(s.job, 99.0, "7d", ""), &at.to_string());
    assert_eq!(report["evaluated_at"], "2026-10-21T19:00:00Z");
    let truth = true_error_ratio(s, &[], at - 7 * DAY, at);
    assert_error_ratio(
        "diurnal at END-10d",
        row(&report, "availability", serde_json::json!({})),
        truth,
    );
    // Same instant written in RFC 3339 with an offset: the same numbers.
    let again = report_json(
        &availability_spec(s.job, 99.0, "7d", ""),
        "2026-10-21T21:00:00+02:00",
    );
    assert_eq!(report, again);
}

#[test]
fn table_and_markdown_show_the_same_numbers() {
    let s = &fixture().steady;
    let spec = availability_spec(s.job, 99.5, "30d", "");
    let json = report_json(&spec, END_RFC3339);
    let availability = row(&json, "availability", serde_json::json!({}));
    let sli = format!("{:.3}%", number(&availability["sli"]) * 100.0);
    let remaining = format!("{:.1}%", number(&availability["budget_remaining"]) * 100.0);
    for format in ["table", "markdown"] {
        let out = report(&spec, END_RFC3339, format, &[]);
        out.assert_success(format);
        eprintln!("{}", out.stdout);
        for expected in [
            "steady",
            "availability",
            "99.5%",
            "30d",
            &sli,
            &remaining,
            "ok",
        ] {
            assert!(
                out.stdout.contains(expected),
                "{format} lacks {expected}:\n{}",
                out.stdout
            );
        }
        assert!(
            !out.stdout.contains('\u{1b}'),
            "{format} has colour codes off a TTY"
        );
    }
    let markdown = report(&spec, END_RFC3339, "markdown", &[]).stdout;
    assert!(markdown.contains("| Service | SLO |"), "{markdown}");
}

#[test]
fn warn_below_turns_a_healthy_slo_at_risk() {
    let s = &fixture().steady;
    // 0.1 % errors against a 0.5 % budget leaves about 80 %.
    let out = report(
        &availability_spec(s.job, 99.5, "30d", ""),
        END_RFC3339,
        "json",
        &["--warn-below", "90"],
    );
    out.assert_success("slo report --warn-below 90");
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        row(&json, "availability", serde_json::json!({}))["status"],
        "at_risk"
    );
}

#[test]
fn slo_selects_and_unknown_slo_is_a_usage_error() {
    let s = &fixture().steady;
    let spec = availability_spec(
        s.job,
        99.5,
        "30d",
        &availability_spec(s.job, 99.0, "7d", "")
            .split_once("slos:\n")
            .unwrap()
            .1
            .replace("name: availability", "name: availability-7d"),
    );
    let out = report(&spec, END_RFC3339, "json", &["--slo", "availability-7d"]);
    out.assert_success("slo report --slo");
    let json = out.json();
    assert_eq!(slo_names(&json), ["availability-7d"]);

    let out = report(&spec, END_RFC3339, "json", &["--slo", "availabilty"]);
    out.status(exit::INVALID);
    assert!(
        out.stderr.contains("did you mean `availability`?"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
}
