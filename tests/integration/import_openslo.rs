//! OpenSLO specs as `--config`: `openslo/v1` SLOs, SLIs and DataSources (inline or by
//! reference, across documents and files, as documents or a top-level list) and
//! `openslo/v1alpha`, mapped onto our SLIs and windows, or rejected with located messages.

use std::path::{Path, PathBuf};

use slo::exit;

use crate::harness::scenarios::{DAY, END, END_RFC3339, MINUTE};
use crate::harness::{DataBuilder, Grid, Prometheus, SloRun, TempDir, assert_golden, promtool};

const FIXTURES: &str = "tests/fixtures/import/openslo";

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

fn slo(args: &[&str]) -> crate::harness::CmdOutput {
    SloRun::new().args(args).run()
}

#[test]
fn slos_slis_and_data_sources_are_read_by_reference_inline_and_from_a_list() {
    let out = slo(&[
        "validate",
        "--config",
        &fixture("by-reference.yaml"),
        "--config",
        &fixture("inline.yaml"),
        "--config",
        &fixture("list.yaml"),
        "--config",
        &fixture("v1alpha.yaml"),
    ]);
    out.status(exit::OK);
    assert_eq!(
        out.stdout,
        format!(
            "{by_reference}: valid, service checkout, 1 SLO
  checkout-availability: 99.5% over 28d, ratio of errors to total, page and ticket alerts
{inline}: valid, service search, 6 SLOs
  search-latency-fast: 99% over each month (Europe/Berlin), latency at or under 0.25s, page and ticket alerts
  search-latency-not-slow: 99.9% over each month (Europe/Berlin), latency at or under 1s, page and ticket alerts
  search-availability: 99.9% over 30d, ratio of good to total, per route, page and ticket alerts
  index-freshness: 95% over each week (UTC), raw error-ratio query, page and ticket alerts
  route-latency: 99% over 30d, latency at or under 0.5s, per route, page and ticket alerts
  crawl-success: 90% over 30d, raw error-ratio query, page and ticket alerts
{list}: valid, service auth, 1 SLO
  login-success: 99.9% over each quarter (UTC), raw error-ratio query, page and ticket alerts
{v1alpha}: valid, service api, 2 SLOs
  api-availability-main: 99.5% over 30d, ratio of good to total, page and ticket alerts
  api-availability-strict: 99.9% over 30d, ratio of good to total, page and ticket alerts
",
            by_reference = fixture("by-reference.yaml"),
            inline = fixture("inline.yaml"),
            list = fixture("list.yaml"),
            v1alpha = fixture("v1alpha.yaml"),
        )
    );
    // What is not carried over is a warning naming file and line, not an error.
    assert_eq!(
        out.stderr,
        format!(
            "warning: {list}:31:7: slo login-success: metadata.labels.app.kubernetes.io/name: the label is dropped: slo cannot set it on its series
  hint: label names match [a-zA-Z_][a-zA-Z0-9_]* and are not among those slo sets itself
warning: {list}:42:22: slo login-success: spec.timeWindow.0.calendar.startTime: `2026-01-15 00:00:00` is not the start of a period; it is ignored
  hint: slo's calendar periods start on Monday, the 1st of the month or of the quarter, at 00:00
warning: {list}:45:7: slo login-success: spec.alertPolicies: alert policies are ignored
  hint: slo alerts on multiwindow burn rates of its own (see `alerting:` in its spec)
warning: {list}:49:9: kind: Service is ignored
  hint: slo reads SLOs, their SLIs and DataSources; it alerts on burn rates of its own
warning: {v1alpha}:9:3: slo api-availability: spec.owner: unknown field
  hint: expected one of: description, service, indicator, timeWindows, budgetingMethod, objectives
",
            list = fixture("list.yaml"),
            v1alpha = fixture("v1alpha.yaml"),
        )
    );
}

#[test]
fn references_resolve_across_config_files_in_either_order() {
    let (slo_file, sli_file) = (fixture("split-slo.yaml"), fixture("split-sli.yaml"));
    let expected = format!(
        "{slo_file}: valid, service storage, 1 SLO\n  upload-success: 99% over 28d, ratio of errors to total, page and ticket alerts\n"
    );
    for order in [[&slo_file, &sli_file], [&sli_file, &slo_file]] {
        let out = slo(&["validate", "-c", order[0], "-c", order[1]]);
        out.status(exit::OK);
        assert_eq!(out.stdout, expected);
    }
    let out = slo(&["validate", "-c", &slo_file]);
    out.status(exit::INVALID).stdout_empty();
    assert_eq!(
        out.stderr,
        format!(
            "error: {slo_file}:8:17: slo upload-success: spec.indicatorRef: no SLI named `upload-errors` in the --config files
  hint: define `kind: SLI` with `metadata.name: upload-errors` in a --config file, or inline the SLI as `indicator`
"
        )
    );
}

/// One fixture per area of what slo cannot read; each golden holds every message, located.
#[test]
fn every_spec_slo_cannot_read_is_rejected_with_located_messages() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(FIXTURES)
        .join("invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 9, "{files:?}");
    for file in files {
        let relative = file.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
        let out = slo(&["validate", "--config", relative.to_str().unwrap()]);
        out.status(exit::INVALID).stdout_empty();
        assert_golden(relative.with_extension("stderr"), &out.stderr);
    }
}

#[test]
fn the_mapping_rules_each_name_what_they_refuse() {
    let invalid = |name: &str| {
        let path = fixture(&format!("invalid/{name}.yaml"));
        let out = slo(&["validate", "-c", &path]);
        out.status(exit::INVALID);
        (path, out.stderr)
    };
    let (path, stderr) = invalid("budgeting");
    assert!(stderr.contains(&format!("error: {path}:8:20: slo a-timeslices: spec.budgetingMethod: Timeslices budgeting is not supported\n")), "{stderr}");
    let (path, stderr) = invalid("composite");
    assert_eq!(
        stderr,
        format!(
            "error: {path}:12:24: slo composite: spec.objectives.0.compositeWeight: composite SLOs are not supported\n  hint: write each objective's SLI as an SLO of its own\n"
        )
    );
    let (path, stderr) = invalid("sources");
    assert!(stderr.contains(&format!("error: {path}:16:44: spec.ratioMetric.good.metricSource.metricSourceRef: a Datadog source is not supported\n")), "{stderr}");
    assert!(stderr.contains(&format!("error: {path}:17:34: spec.ratioMetric.total.metricSource.type: a CloudWatch source is not supported\n")), "{stderr}");
    let (path, stderr) = invalid("windows");
    assert!(stderr.contains(&format!("error: {path}:34:29: slo two-months: spec.timeWindow.0.duration: a calendar window of 2M is not supported\n")), "{stderr}");
}

/// The rules of each fixture, reviewed as golden files, and loaded by promtool.
#[test]
fn rules_generated_from_openslo_specs_are_golden_and_load_in_promtool() {
    let scratch = TempDir::new("openslo-rules");
    let cases: [(&str, &[&str]); 5] = [
        ("by-reference", &["by-reference.yaml"]),
        ("inline", &["inline.yaml"]),
        ("list", &["list.yaml"]),
        ("v1alpha", &["v1alpha.yaml"]),
        ("split", &["split-slo.yaml", "split-sli.yaml"]),
    ];
    for (name, files) in cases {
        let mut args = vec!["generate-rules".to_string()];
        for file in files {
            args.extend(["--config".to_string(), fixture(file)]);
        }
        let out = SloRun::new().args(&args).run();
        out.status(exit::OK);
        assert_golden(
            format!("tests/golden/import/openslo-{name}.yaml"),
            &out.stdout,
        );
        let file = scratch.join(format!("{name}.yml"));
        std::fs::write(&file, &out.stdout).unwrap();
        promtool(&["check", "rules", file.to_str().unwrap()])
            .assert_success("promtool check rules");
    }
}

/// The spec `by-reference.yaml` means, written in our own format.
const NATIVE_CHECKOUT: &str = r#"version: 1
service: checkout
labels:
  team: shop
slos:
  - name: checkout-availability
    description: Checkouts that do not fail.
    objective: 99.5
    window: 28d
    sli:
      ratio:
        errors: checkout_requests_total{code=~"5.."}
        total: checkout_requests_total
"#;

#[test]
fn a_report_from_an_openslo_spec_equals_the_report_from_its_native_equivalent() {
    let grid = Grid::uniform(END - 29 * DAY, END, 10 * MINUTE);
    let wave = |t: i64| 1.0 + ((t % DAY) as f64 / DAY as f64);
    let mut data = DataBuilder::new();
    data.counter_rate(
        "checkout_requests_total",
        &[("code", "200")],
        &grid,
        &[],
        |t| 4.0 * wave(t),
    );
    data.counter_rate(
        "checkout_requests_total",
        &[("code", "503")],
        &grid,
        &[],
        |t| 0.01 * wave(t + 7 * 3600),
    );
    let prom = Prometheus::start(&data.build().openmetrics());
    let report = |spec: fn(SloRun) -> SloRun| {
        let out = spec(SloRun::new().args(["report", "--format", "json"]))
            .prometheus(&prom)
            .at(END_RFC3339)
            .run();
        out.status(exit::OK);
        out.json()["slos"].clone()
    };
    let openslo = report(|run| run.args(["--config", &fixture("by-reference.yaml")]));
    let native = report(|run| run.spec(NATIVE_CHECKOUT));
    assert_eq!(openslo, native);
    // The report measured something: a budget spent in part.
    let remaining = openslo[0]["budget_remaining"].as_f64();
    assert!(remaining.is_some_and(|r| r > 0.0 && r < 1.0), "{openslo:#}");
}

#[test]
fn the_default_window_flag_sets_the_window_an_slo_leaves_out() {
    slo(&[
        "validate",
        "-c",
        &fixture("inline.yaml"),
        "--default-window",
        "28d",
    ])
    .status(exit::OK)
    .stdout_contains("search-availability: 99.9% over 28d,");
}

#[test]
fn a_services_slo_documents_make_one_dashboard() {
    // Five SLO documents of service `search`: one dashboard, to standard output, with the
    // six SLOs (one document has two objectives).
    let out = slo(&["generate-dashboard", "--config", &fixture("inline.yaml")]);
    out.status(exit::OK);
    let board: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let rows: Vec<&str> = board["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "row")
        .filter_map(|p| p["title"].as_str())
        .collect();
    assert_eq!(
        rows,
        [
            "Overview",
            "search-latency-fast: 99% over each month (Europe/Berlin) (latency)",
            "search-latency-not-slow: 99.9% over each month (Europe/Berlin) (latency)",
            "search-availability: 99.9% over 30d (ratio)",
            "index-freshness: 95% over each week (UTC) (raw)",
            "route-latency: 99% over 30d (latency)",
            "crawl-success: 90% over 30d (raw)",
        ]
    );
}
