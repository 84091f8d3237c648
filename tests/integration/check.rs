//! `slo check` against one real Prometheus holding a job per case, each generated so that its
//! verdict is known: constant traffic of 1000 requests/min with a fixed error fraction, 30 days
//! of history at 5 m steps plus 1 m steps for the last 6 h (so 1h burn rates are exact).
//! Every SLO is an errors ratio at a 99% objective: an error fraction `f` leaves
//! `1 - f / 0.01` of the budget and burns at `f / 0.01`.

use std::sync::OnceLock;

use serde_json::Value;
use slo::exit;

use crate::harness::scenarios::{END_RFC3339, FINE_FROM, HISTORY_START, HOUR, MINUTE, REQUESTS};
use crate::harness::*;

/// Start of the fast burn in job `fastburn`: 20% errors over the last hour.
const FAST_BURN_START: i64 = END - HOUR;
/// Where the series of job `stopped` end, as if its exporter died two hours ago.
const STOPPED_AT: i64 = END - 2 * HOUR;

/// The share of requests that fail at a given time.
type ErrorFraction = fn(i64) -> f64;

/// Jobs and their error fraction, one series pair per handler.
fn jobs() -> Vec<(&'static str, &'static str, ErrorFraction)> {
    vec![
        // 90% of the budget left.
        ("healthy", "/items", |_| 0.001),
        // Overspent: -100%.
        ("exhausted", "/items", |_| 0.02),
        // 40% left.
        ("forty", "/items", |_| 0.006),
        // ~87% left over 30d, but burning at 20x over the last hour and ~3.4x over 6h.
        ("fastburn", "/items", |t| {
            if t > FAST_BURN_START { 0.2 } else { 0.001 }
        }),
        // 90% left, nothing at all since STOPPED_AT.
        ("stopped", "/items", |_| 0.001),
        // One healthy group and one exhausted group.
        ("grouped", "/ok", |_| 0.001),
        ("grouped", "/bad", |_| 0.02),
    ]
}

static PROM: OnceLock<Prometheus> = OnceLock::new();

fn prom() -> &'static Prometheus {
    PROM.get_or_init(|| {
        let mut data = DataBuilder::new();
        for (job, handler, error_fraction) in jobs() {
            let end = if job == "stopped" { STOPPED_AT } else { END };
            let grid = Grid::two_phase(HISTORY_START, FINE_FROM, end, 5 * MINUTE, MINUTE);
            for (status, is_error) in [("2xx", false), ("5xx", true)] {
                let labels = [("job", job), ("handler", handler), ("status", status)];
                data.counter_rate(REQUESTS, &labels, &grid, &[], |t| {
                    let errors = error_fraction(t);
                    1000.0 / 60.0 * if is_error { errors } else { 1.0 - errors }
                });
            }
        }
        let prom = Prometheus::start(&data.build().openmetrics());
        eprintln!(
            "backfill {:?}, startup {:?}",
            prom.backfill_time, prom.startup_time
        );
        prom
    })
}

/// An errors-ratio SLO named `name` over the requests of `job`, 99% over 30d; `extra` is
/// more YAML for the SLO (indented 4 spaces), e.g. a `gate:`.
fn slo(name: &str, job: &str, extra: &str) -> String {
    specs::requests_slo(name, 99.0, "30d", job) + extra
}

/// A spec with a top-level `top` YAML (e.g. a `gate:` section) and the given SLOs.
fn spec(top: &str, slos: &[String]) -> String {
    specs::spec("checkout", top, slos)
}

/// `slo check` on `spec` at END against the test's Prometheus.
fn check_run(spec: &str) -> SloRun {
    SloRun::new()
        .arg("check")
        .spec(spec)
        .prometheus(prom())
        .at(END_RFC3339)
}

/// Runs `slo check` on `spec` at END with `extra` arguments.
fn check(spec: &str, extra: &[&str]) -> CmdOutput {
    check_run(spec).args(extra).run()
}

/// The stdout line of SLO row `name` (starting with its verdict).
fn line<'a>(out: &'a CmdOutput, name: &str) -> &'a str {
    out.stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no line for {name} in\n{}", out.stdout))
}

#[test]
fn a_healthy_slo_passes() {
    let out = check(&spec("", &[slo("availability", "healthy", "")]), &[]);
    out.status(exit::OK);
    let line = line(&out, "availability");
    assert!(line.starts_with("PASS "), "{line}");
    assert!(line.contains("budget remaining 90% >= min 0%"), "{line}");
    assert!(
        out.stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("PASS (exit 0): 1 checked, 1 passed"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_exhausted_slo_fails() {
    let out = check(&spec("", &[slo("availability", "exhausted", "")]), &[]);
    out.status(exit::POLICY_FAILED);
    let line = line(&out, "availability");
    assert!(line.starts_with("FAIL "), "{line}");
    assert!(line.contains("budget remaining -100% < min 0%"), "{line}");
}

#[test]
fn a_fast_burn_with_budget_left_fails_only_under_a_burn_rate_rule() {
    let s = spec("", &[slo("availability", "fastburn", "")]);
    check(&s, &[]).status(exit::OK); // no burn-rate rule
    check(&s, &["--max-burn-rate", "6h=6"]).status(exit::OK); // 6h burns at ~3.4x, under 6
    let out = check(
        &s,
        &["--max-burn-rate", "1h=14.4", "--max-burn-rate", "6h=6"],
    );
    out.status(exit::POLICY_FAILED); // 1h burns at 20x, over 14.4
    let line = line(&out, "availability");
    assert!(line.contains("burn rate 1h 20 > max 14.4"), "{line}");
    assert!(line.contains("burn rate 6h 3.4"), "{line}");
}

#[test]
fn min_budget_remaining_50_fails_an_slo_at_40_percent() {
    let s = spec("", &[slo("availability", "forty", "")]);
    let out = check(&s, &["--min-budget-remaining", "50"]);
    out.status(exit::POLICY_FAILED); // 40% < 50%
    assert!(
        line(&out, "availability").contains("budget remaining 40% < min 50%"),
        "{}",
        out.stdout
    );
    check(&s, &["--min-budget-remaining", "30"]).status(exit::OK); // 40% >= 30%
}

#[test]
fn no_data_is_exit_3_unless_allowed() {
    let s = spec("", &[slo("availability", "ghost", "")]);
    let out = check(&s, &[]);
    out.status(exit::DATA_SOURCE); // no series at all
    assert!(
        line(&out, "availability").starts_with("ERROR availability: no data"),
        "{}",
        out.stdout
    );
    let out = check(&s, &["--allow-no-data"]);
    out.status(exit::OK); // no data, allowed
    assert!(line(&out, "availability").starts_with("PASS "));
}

#[test]
fn a_burn_rate_rule_over_a_window_without_events_fails_closed() {
    // Plenty of data over 30d, none in the last 2h: a dead exporter looks like this.
    let s = spec("", &[slo("availability", "stopped", "")]);
    check(&s, &[]).status(exit::OK); // no rule names 1h
    let out = check(&s, &["--max-burn-rate", "1h=14.4"]);
    out.status(exit::DATA_SOURCE); // 1h burn rate unknown
    let line = line(&out, "availability");
    assert!(
        line.starts_with("ERROR ") && line.contains("no events in the last 1h"),
        "{line}"
    );
    check(&s, &["--max-burn-rate", "1h=14.4", "--allow-no-data"]).status(exit::OK); // unknown burn rate, allowed
}

#[test]
fn gate_policy_from_the_spec_applies_per_slo_and_flags_override_it() {
    let s = spec(
        "gate:\n  min_budget_remaining: 50\n  max_burn_rate: {1h: 14.4}",
        &[
            slo("forty", "forty", ""),
            // The SLO's own gate lowers the global minimum for it.
            slo("lenient", "forty", "    gate: {min_budget_remaining: 30}\n"),
            slo("burning", "fastburn", ""),
        ],
    );
    let out = check(&s, &[]);
    out.status(exit::POLICY_FAILED); // spec policy
    assert!(line(&out, "forty").contains("budget remaining 40% < min 50%"));
    assert!(line(&out, "lenient").starts_with("PASS "), "{}", out.stdout);
    assert!(line(&out, "burning").contains("burn rate 1h 20 > max 14.4"));

    // Flags win over both the global and the per-SLO policy.
    let out = check(
        &s,
        &["--min-budget-remaining", "35", "--max-burn-rate", "1h=25"],
    );
    out.status(exit::OK); // flags loosen the policy
    assert!(line(&out, "forty").contains("budget remaining 40% >= min 35%"));
    assert!(line(&out, "burning").contains("burn rate 1h 20 <= max 25"));
    let out = check(&s, &["--min-budget-remaining", "45"]);
    out.status(exit::POLICY_FAILED); // flags tighten the per-SLO policy
    assert!(line(&out, "lenient").contains("budget remaining 40% < min 45%"));
}

#[test]
fn bad_max_burn_rate_values_exit_2_before_any_query() {
    let s = spec("", &[slo("availability", "healthy", "")]);
    for bad in [
        "1h", "1h=", "=2", "1h=abc", "1h=0", "1h=-3", "1x=2", "2h=5", "7d=1",
    ] {
        let out = check(&s, &["--max-burn-rate", bad]);
        out.status(exit::INVALID);
        assert!(
            out.stderr.contains("--max-burn-rate"),
            "{bad}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "{bad}: no verdict printed");
    }
    check(&s, &["--min-budget-remaining", "120"]).status(exit::INVALID); // pct > 100
    check(&s, &["--slo", "nope"]).status(exit::INVALID); // unknown --slo
}

#[test]
fn slo_selects_the_gated_subset() {
    let s = spec(
        "",
        &[slo("good", "healthy", ""), slo("bad", "exhausted", "")],
    );
    let out = check(&s, &["--slo", "good"]);
    out.status(exit::OK); // only the healthy SLO
    assert!(!out.stdout.contains("bad"), "{}", out.stdout);
    check(&s, &["--slo", "bad"]).status(exit::POLICY_FAILED); // only the exhausted SLO
}

/// Every kind of row at once: pass, fail, error, and a grouped SLO with one of each.
fn mixed_spec() -> String {
    let grouped = slo("by-handler", "grouped", "").replace(
        "total: http_requests_total{job=\"grouped\"}",
        "total: http_requests_total{job=\"grouped\"}\n        group_by: [handler]",
    );
    spec(
        "",
        &[
            slo("healthy", "healthy", ""),
            slo("exhausted", "exhausted", ""),
            slo("ghost", "ghost", ""),
            grouped,
        ],
    )
}

#[test]
fn junit_lists_every_row_and_a_policy_failure_outranks_missing_data() {
    let dir = TempDir::new("check-junit");
    let junit = dir.join("slo.xml");
    let out = check_run(&mixed_spec())
        .args(["--junit", junit.to_str().unwrap()])
        .in_dir(dir.path())
        .run();
    // One SLO failed and one could not be evaluated: a known failure wins (see gate.rs).
    out.status(exit::POLICY_FAILED);
    assert!(line(&out, "ghost").starts_with("ERROR "));

    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(
        names,
        vec![
            "healthy",
            "exhausted",
            "ghost",
            "by-handler{handler=\"/bad\"}",
            "by-handler{handler=\"/ok\"}"
        ]
    );
    let with = |tag: &str| -> Vec<&str> {
        cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name(tag)))
            .map(|c| c.attribute("name").unwrap())
            .collect()
    };
    assert_eq!(
        with("failure"),
        vec!["exhausted", "by-handler{handler=\"/bad\"}"]
    );
    assert_eq!(with("error"), vec!["ghost"]);
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(
        [
            suite.attribute("tests"),
            suite.attribute("failures"),
            suite.attribute("errors")
        ],
        [Some("5"), Some("2"), Some("1")]
    );
}

#[test]
fn an_unevaluated_slo_alone_exits_3_and_never_passes() {
    let s = spec(
        "",
        &[slo("healthy", "healthy", ""), slo("ghost", "ghost", "")],
    );
    let out = check(&s, &[]);
    out.status(exit::DATA_SOURCE); // pass + error
    assert!(
        out.stdout
            .contains("1 passed, 0 failed, 1 could not be evaluated")
    );
}

#[test]
fn json_is_the_report_plus_a_gate_object_with_each_failed_rule() {
    let s = mixed_spec();
    // 2% errors burn at 2x: over 1.5; the healthy 0.1% burns at 0.1x.
    let out = check(&s, &["--format", "json", "--max-burn-rate", "1h=1.5"]);
    out.status(exit::POLICY_FAILED);
    let json = out.json();

    // The same numbers as `slo report`: the check reuses its evaluation and its JSON.
    let report = SloRun::new()
        .args(["report", "--format", "json"])
        .spec(&s)
        .prometheus(prom())
        .at(END_RFC3339)
        .run()
        .json();
    assert_eq!(json["slos"], report["slos"]);
    assert_eq!(json["evaluated_at"], report["evaluated_at"]);

    let gate = &json["gate"];
    assert_eq!(gate["verdict"], "fail");
    assert_eq!(gate["exit_code"], exit::POLICY_FAILED);
    assert_eq!(gate["results"].as_array().unwrap().len(), 5);
    let failed = gate["failed_rules"].as_array().unwrap();
    let summary: Vec<(String, String, Value)> = failed
        .iter()
        .map(|f| {
            (
                f["slo"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["window"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "exhausted".into(),
                "min_budget_remaining".into(),
                Value::Null
            ),
            ("exhausted".into(), "max_burn_rate".into(), "1h".into()),
            (
                "by-handler".into(),
                "min_budget_remaining".into(),
                Value::Null
            ),
            ("by-handler".into(), "max_burn_rate".into(), "1h".into()),
        ]
    );
    assert_eq!(failed[0]["threshold"], 0.0);
    assert!((failed[0]["observed"].as_f64().unwrap() + 100.0).abs() < 0.1);
    assert_eq!(failed[1]["threshold"], 1.5);
    assert!((failed[1]["observed"].as_f64().unwrap() - 2.0).abs() < 0.01);
    assert_eq!(failed[2]["labels"]["handler"], "/bad");
    let ghost = gate["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["slo"] == "ghost")
        .unwrap();
    assert_eq!(ghost["verdict"], "error");
    assert_eq!(ghost["unevaluated"]["reason"], "no_data");
}

#[test]
fn github_format_annotates_failures_and_appends_the_markdown_report_to_the_step_summary() {
    let dir = TempDir::new("check-github");
    let summary = dir.join("step-summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = check_run(&mixed_spec())
        .args(["--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .run();
    out.status(exit::POLICY_FAILED);
    let errors: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error title="))
        .collect();
    assert_eq!(errors.len(), 3, "{}", out.stdout);
    assert!(errors[0].starts_with("::error title=SLO exhausted failed::budget remaining -100%25"));
    assert!(out.stdout.lines().any(|l| l.starts_with("PASS  healthy: ")));

    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert!(
        markdown.starts_with("earlier step\n## slo check: FAIL"),
        "{markdown}"
    );
    assert!(
        markdown.contains("### SLO report at 2026-11-01T00:00:00Z"),
        "{markdown}"
    );
    assert!(markdown.contains("| checkout | exhausted |"), "{markdown}");
}

#[test]
fn the_spec_gate_rejects_windows_the_report_does_not_measure() {
    let s = spec(
        "gate:\n  max_burn_rate: {2h: 5}",
        &[slo("availability", "healthy", "")],
    );
    let out = check(&s, &[]);
    out.status(exit::INVALID); // spec gate over 2h
    assert!(out.stderr.contains("2h"), "{}", out.stderr);
}
