//! `slo check` when the data source fails: every fault is exit 3, never 0, even with
//! `--allow-no-data` (a broken data source is not "no data"), and every SLO is reported as
//! ERROR in the text and in the JUnit file.

use slo::exit;

use crate::harness::fake::{Mode, PROM_ERROR_MESSAGE};
use crate::harness::*;

const LATENCY_SLO: &str = "  - name: latency
    objective: 95
    window: 30d
    sli:
      latency:
        histogram: http_request_duration_seconds
        threshold: 0.3
";

/// An availability and a latency SLO.
fn spec() -> String {
    let availability = specs::requests_slo("availability", 99.5, "30d", "api");
    specs::spec("checkout", "", &[availability, LATENCY_SLO.to_string()])
}

/// Runs `slo check` against `url` with and without `--allow-no-data` and asserts both exit
/// 3 with every SLO in ERROR, in stdout and in the JUnit report.
#[track_caller]
fn assert_data_source_failure(url: &str, what: &str, expected_message: &str) {
    let dir = TempDir::new("check-faults");
    let junit = dir.join("junit.xml");
    for allow_no_data in [false, true] {
        let mut args = vec![
            "check",
            "--timeout",
            "1s",
            "--junit",
            junit.to_str().unwrap(),
        ];
        if allow_no_data {
            args.push("--allow-no-data");
        }
        let out = SloRun::new()
            .args(args)
            .spec(&spec())
            .in_dir(dir.path())
            .prometheus(url)
            .run();
        let context = format!("{what} (allow_no_data: {allow_no_data})\n{out}");
        out.status(exit::DATA_SOURCE);
        let errors: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| l.starts_with("ERROR "))
            .collect();
        assert_eq!(errors.len(), 3, "two SLO lines and the summary: {context}");
        assert!(errors[0].contains(expected_message), "{context}");
        assert!(!out.stdout.contains("PASS"), "{context}");

        let xml = std::fs::read_to_string(&junit).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        assert_eq!(suite.attribute("tests"), Some("2"), "{xml}");
        assert_eq!(suite.attribute("errors"), Some("2"), "{xml}");
        assert_eq!(suite.attribute("failures"), Some("0"), "{xml}");
    }
}

#[test]
fn refused_connection_is_exit_3() {
    assert_data_source_failure(&refused_url(), "connection refused", "cannot reach");
}

#[test]
fn timeout_is_exit_3() {
    let server = FakeServer::start(Mode::Hang);
    assert_data_source_failure(&server.url(), "hanging server", "no answer");
    assert!(
        !server.requests().is_empty(),
        "the check asked the fake server"
    );
}

#[test]
fn http_500_is_exit_3() {
    let server = FakeServer::start(Mode::Status500);
    assert_data_source_failure(&server.url(), "HTTP 500", "500");
}

#[test]
fn garbage_bodies_are_exit_3() {
    for (mode, what) in [
        (Mode::MalformedJson, "truncated JSON"),
        (Mode::HtmlBody, "an HTML page"),
    ] {
        let server = FakeServer::start(mode);
        assert_data_source_failure(&server.url(), what, "could not be evaluated");
    }
}

#[test]
fn a_prometheus_query_error_is_exit_3() {
    let server = FakeServer::start(Mode::PrometheusError { http_status: 422 });
    assert_data_source_failure(&server.url(), "API error", PROM_ERROR_MESSAGE);
}
