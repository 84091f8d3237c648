//! `slo report` when the data source fails in ways a real Prometheus won't on demand: every
//! failure is exit 3 with a message naming the SLO and the query, nothing on stdout, no panic,
//! and no secret in any output.

use std::time::{Duration, Instant};

use slo::exit;

use crate::harness::fake::{Mode, PROM_ERROR_MESSAGE};
use crate::harness::*;

/// One availability SLO over the requests of job `faults`.
fn spec() -> String {
    let availability = specs::requests_slo("availability", 99.5, "30d", "faults");
    specs::spec("faults", "", &[availability])
}

/// Distinct queries of [`spec`]: its errors are its total's with one more matcher, so one
/// query splitting the total's series per window, over 5m, 1h, 6h, 1d, 3d and 30d.
const SPEC_QUERIES: usize = 6;

/// The start of every query of [`spec`].
const SPEC_QUERY_START: &str =
    "(query: sum by (__slo_match_0) (label_replace(increase(http_requests_total{job=\"faults\"}";

const TOKEN: &str = "tok-3e1f9c0d-never-print-me";
const PASSWORD: &str = "pw-77aa10-never-print-me";

/// `slo report --format json` on `spec` against `url`.
fn report_run(url: &str, spec: &str) -> SloRun {
    SloRun::new()
        .args(["report", "--format", "json"])
        .spec(spec)
        .prometheus(url)
}

/// Runs `slo report --format json` on `spec` against `url`, plus `extra` arguments.
fn report_at(url: &str, spec: &str, extra: &[&str]) -> CmdOutput {
    report_run(url, spec).args(extra).run()
}

/// Exit 3, an error naming the SLO and one of its queries that mentions `what`, nothing on
/// stdout, no panic.
#[track_caller]
fn assert_data_source_failure(out: &CmdOutput, what: &str) {
    out.status(exit::DATA_SOURCE).stdout_empty();
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(
        out.stderr.contains("error: SLO availability: ") && out.stderr.contains(SPEC_QUERY_START),
        "no message naming the SLO and query:\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(what),
        "stderr lacks {what:?}:\n{}",
        out.stderr
    );
}

/// How many times each distinct request body arrived.
fn attempts_per_query(server: &FakeServer) -> Vec<usize> {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for r in server.requests() {
        assert_eq!(r.method, "POST");
        *counts.entry(r.body).or_default() += 1;
    }
    counts.into_values().collect()
}

#[test]
fn connection_refused() {
    let out = report_at(&refused_url(), &spec(), &[]);
    assert_data_source_failure(&out, "Connection refused");
    assert!(out.stderr.contains("not retried"), "{}", out.stderr);
}

#[test]
fn timeout_is_reported_not_retried_and_concurrency_bounded() {
    let server = FakeServer::start(Mode::Hang);
    let started = Instant::now();
    let out = report_at(
        &server.url(),
        &spec(),
        &["--timeout", "1s", "--concurrency", "2"],
    );
    let took = started.elapsed();
    assert_data_source_failure(&out, "no answer from");
    assert!(out.stderr.contains("within 1s"), "{}", out.stderr);
    assert!(attempts_per_query(&server).iter().all(|&n| n == 1));
    // 6 queries that each wait out the 1 s timeout, at most 2 in flight: at least 3 s.
    assert!(
        took >= Duration::from_secs(3),
        "only {took:?}: more than 2 in flight"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn http_500_is_retried_then_fails() {
    let server = FakeServer::start(Mode::Status500);
    // The raw queries alone: `auto` would first ask for the recorded series too.
    let out = report_at(&server.url(), &spec(), &["--source", "raw"]);
    assert_data_source_failure(
        &out,
        "HTTP 500 Internal Server Error: internal server error",
    );
    assert!(
        out.stderr.contains("gave up after 3 attempts"),
        "{}",
        out.stderr
    );
    assert_eq!(attempts_per_query(&server), vec![3; SPEC_QUERIES]);
    // Without --at, every query still runs at one instant ("now", computed once).
    let instants: std::collections::BTreeSet<String> = server
        .requests()
        .iter()
        .map(|r| r.body.split("time=").nth(1).unwrap_or("").to_string())
        .collect();
    assert_eq!(instants.len(), 1, "{instants:?}");
}

#[test]
fn html_body_is_not_taken_for_data() {
    let server = FakeServer::start(Mode::HtmlBody);
    let out = report_at(&server.url(), &spec(), &[]);
    assert_data_source_failure(&out, "did not answer with Prometheus API JSON");
    assert!(out.stderr.contains("Please sign in"), "{}", out.stderr);
}

#[test]
fn malformed_json() {
    let server = FakeServer::start(Mode::MalformedJson);
    let out = report_at(&server.url(), &spec(), &[]);
    assert_data_source_failure(&out, "did not answer with Prometheus API JSON (EOF");
}

#[test]
fn prometheus_error_status_is_shown_and_only_5xx_is_retried() {
    // The raw queries alone: `auto` would first ask for the recorded series too.
    let server = FakeServer::start(Mode::PrometheusError { http_status: 422 });
    let out = report_at(&server.url(), &spec(), &["--source", "raw"]);
    assert_data_source_failure(&out, &format!("(bad_data): {PROM_ERROR_MESSAGE}"));
    assert!(out.stderr.contains("HTTP 422"), "{}", out.stderr);
    assert_eq!(attempts_per_query(&server), vec![1; SPEC_QUERIES]);

    let server = FakeServer::start(Mode::PrometheusError { http_status: 503 });
    let out = report_at(&server.url(), &spec(), &["--source", "raw"]);
    assert_data_source_failure(&out, PROM_ERROR_MESSAGE);
    assert_eq!(attempts_per_query(&server), vec![3; SPEC_QUERIES]);
}

fn answering(body: &str) -> FakeServer {
    FakeServer::start(Mode::Custom {
        http_status: 200,
        content_type: "application/json".into(),
        body: body.into(),
    })
}

#[test]
fn infinite_values_are_errors_and_never_printed() {
    let server = answering(
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1793491200,"+Inf"]}]}}"#,
    );
    let out = report_at(&server.url(), &spec(), &[]);
    assert_data_source_failure(&out, "returned +Inf");
}

#[test]
fn more_series_than_expected_is_an_error() {
    let two = r#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"instance":"a"},"value":[1793491200,"1"]},
        {"metric":{"instance":"b"},"value":[1793491200,"2"]}]}}"#;
    let server = answering(two);
    let out = report_at(&server.url(), &spec(), &[]);
    assert_data_source_failure(&out, "several series");

    let raw = r#"version: 1
service: faults
slos:
  - name: raw
    objective: 99
    window: 30d
    sli:
      raw:
        error_ratio: rate(errors_total[{{window}}]) / rate(requests_total[{{window}}])
"#;
    let out = report_at(&server.url(), raw, &[]);
    out.status(exit::DATA_SOURCE).stdout_empty();
    assert!(
        out.stderr
            .contains("error: SLO raw: the error-ratio query returned 2 series")
            && out.stderr.contains("(query: rate(errors_total["),
        "{}",
        out.stderr
    );
}

#[test]
fn path_prefix_is_kept_and_warnings_reach_stderr() {
    // Every series marked as matching the errors' matcher: every event bad.
    let server = answering(
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__slo_match_0":"1"},"value":[1793491200,"10"]}]},"warnings":["results may be partial"],"infos":["metric might not be a counter"]}"#,
    );
    let out = report_at(
        &format!("{}/prometheus/", server.url()),
        &spec(),
        &["--at", "2026-11-01T00:00:00Z"],
    );
    out.assert_success("slo report behind a path prefix");
    let paths: std::collections::BTreeSet<String> =
        server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths.into_iter().collect::<Vec<_>>(),
        ["/prometheus/api/v1/query"]
    );
    let body = &server.requests()[0].body;
    assert!(body.contains("time=1793491200"), "{body}");
    assert!(
        out.stderr.contains(&format!(
            "warning: SLO availability: results may be partial {SPEC_QUERY_START}"
        )) && out
            .stderr
            .contains("warning: SLO availability: info: metric might not be a counter"),
        "{}",
        out.stderr
    );
    // Every event bad: the budget is overspent 200 times, shown unclamped.
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["slos"][0]["sli"], 0.0);
    assert_eq!(json["slos"][0]["budget_remaining"], -199.0);
    assert_eq!(json["slos"][0]["status"], "exhausted");
}

#[test]
fn secrets_never_appear_in_any_output() {
    let dir = TempDir::new("faults-secrets");
    let token_file = dir.join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let password_file = dir.join("password");
    std::fs::write(&password_file, PASSWORD).unwrap();
    let token_file = token_file.display().to_string();
    let password_file = password_file.display().to_string();
    let server = FakeServer::start(Mode::Status500);
    let header = format!("X-Api-Key: {TOKEN}");
    let runs = [
        (
            server.url(),
            vec!["--bearer-token-file", &token_file],
            vec![],
        ),
        (server.url(), vec![], vec![("SLO_PROMETHEUS_TOKEN", TOKEN)]),
        (refused_url(), vec![], vec![("SLO_PROMETHEUS_TOKEN", TOKEN)]),
        (
            server.url(),
            vec![
                "--basic-auth-user",
                "me",
                "--basic-auth-password-file",
                &password_file,
            ],
            vec![],
        ),
        (
            server.url(),
            vec!["--basic-auth-user", "me"],
            vec![("SLO_PROMETHEUS_PASSWORD", PASSWORD)],
        ),
        (server.url(), vec!["--header", &header], vec![]),
        (
            server.url().replace("://", &format!("://me:{PASSWORD}@")),
            vec![],
            vec![],
        ),
        (format!("{}/?api_key={TOKEN}", server.url()), vec![], vec![]),
        (format!("prometheus:9090?api_key={TOKEN}"), vec![], vec![]),
    ];
    for (url, args, env) in &runs {
        let out = env
            .iter()
            .fold(report_run(url, &spec()).args(args), |run, (k, v)| {
                run.env(k, v)
            })
            .run();
        assert!(
            [exit::INVALID, exit::DATA_SOURCE]
                .map(Some)
                .contains(&out.code()),
            "{args:?}\n{out}"
        );
        for secret in [TOKEN, PASSWORD] {
            assert!(
                !out.stderr.contains(secret) && !out.stdout.contains(secret),
                "{args:?} {env:?} printed a secret:\n{}",
                out.stderr
            );
        }
    }
}

#[test]
fn help_never_shows_credentials_from_the_environment() {
    let url = format!("http://me:{PASSWORD}@prometheus:9090");
    for command in ["report", "check"] {
        let out = SloRun::new()
            .args([command, "--help"])
            .env("SLO_PROMETHEUS_URL", &url)
            .env("SLO_PROMETHEUS_TOKEN", TOKEN)
            .env("SLO_PROMETHEUS_PASSWORD", PASSWORD)
            .run();
        out.status(exit::OK);
        assert!(out.stdout.contains("SLO_PROMETHEUS_URL"), "{}", out.stdout);
        for secret in [TOKEN, PASSWORD] {
            assert!(
                !out.stdout.contains(secret),
                "{command} --help:\n{}",
                out.stdout
            );
        }
    }
}

#[test]
fn usage_errors_exit_2_before_any_query() {
    let server = FakeServer::start(Mode::Status500);
    let dir = TempDir::new("faults-usage");
    let missing = dir.join("no-such-token").display().to_string();
    let not_pem = dir.join("ca.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let not_pem = not_pem.display().to_string();
    for (args, expected) in [
        (vec!["--slo", "availabilty"], "did you mean `availability`?"),
        (vec!["--slo", "latency-p99"], "no SLO named `latency-p99`"),
        (
            vec!["--at", "yesterday"],
            "--at: `yesterday` is neither RFC 3339",
        ),
        (
            vec!["--at", "99999999999999"],
            "--at: `99999999999999` is after 9999-12-31T23:59:59Z",
        ),
        (
            vec!["--timeout", "soon"],
            "--timeout: `soon` is not a positive duration",
        ),
        (vec!["--header", "X-Scope-OrgID"], "--header"),
        (
            vec!["--bearer-token-file", &missing],
            "--bearer-token-file: cannot read",
        ),
        (vec!["--warn-below", "120"], "--warn-below"),
        (vec!["--ca-cert", &not_pem], "holds no PEM certificate"),
    ] {
        report_at(&server.url(), &spec(), &args)
            .status(exit::INVALID)
            .stderr_contains(expected)
            .stdout_empty();
    }
    let out = report_at("localhost:9090", &spec(), &[]);
    out.status(exit::INVALID);
    assert!(out.stderr.contains("not an http(s) URL"), "{}", out.stderr);
    assert!(server.requests().is_empty(), "a usage error still queried");
}
