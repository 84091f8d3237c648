//! Sloth's specs as `--config`: `prometheus/v1` (plain and multi-document) and the
//! `PrometheusServiceLevel` CRD are read as Sloth reads them, rejected where Sloth rejects
//! them, and `generate-rules --label-style sloth` records what Sloth records.

use std::path::{Path, PathBuf};

use slo::exit;
use slo::model::DEFAULT_WINDOW;
use slo::promql::{self, LabelStyle};
use slo::rules::{self, Output, RuleGroup};

use crate::harness::prom::{RuleBackfill, levels_reading};
use crate::harness::scenarios::{DAY, END, HOUR, MINUTE};
use crate::harness::{DataBuilder, Grid, Prometheus, SloRun, TempDir, assert_golden, promtool};

const FIXTURES: &str = "tests/fixtures/import/sloth";

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

fn slo(args: &[&str]) -> crate::harness::CmdOutput {
    SloRun::new().args(args).run()
}

#[test]
fn each_document_is_read_in_its_own_format_with_sloths_names_kept() {
    let out = slo(&[
        "validate",
        "--config",
        &fixture("plain.yml"),
        "--config",
        &fixture("multi.yml"),
        "--config",
        &fixture("crd.yml"),
        "--config",
        "examples/raw.yaml",
    ]);
    out.status(exit::OK);
    assert_eq!(
        out.stdout,
        format!(
            "{plain}: valid, service payments, 3 SLOs
  charge-availability: 99.5% over 30d, ratio of errors to total, page alerts
  Charge.Latency: 99% over 30d, raw error-ratio query, page and ticket alerts
  refund-success: 99.9% over 30d, raw error-ratio query, page and ticket alerts
{multi}: valid, service queue.worker, 1 SLO
  Job-Success: 99% over 30d, raw error-ratio query, no alerts
{multi}: valid, service edge, 1 SLO
  gateway-availability: 99.9% over 30d, ratio of errors to total, per route, page and ticket alerts
{crd}: valid, service search-api, 2 SLOs
  query-errors: 99.9% over 30d, ratio of errors to total, page and ticket alerts
  index-freshness: 95% over 30d, raw error-ratio query, no alerts
",
            plain = fixture("plain.yml"),
            multi = fixture("multi.yml"),
            crd = fixture("crd.yml"),
        ) + &slo(&["validate", "--config", "examples/raw.yaml"]).stdout
    );
    // Sloth ignores what it does not read, and its examples rely on it: a warning, located.
    assert_eq!(
        out.stderr,
        format!(
            "warning: {multi}:18:1: owner: unknown field
  hint: expected one of: version, service, labels, slo_plugins, slos
warning: {multi}:20:3: slo_plugins: SLO plugins are ignored
  hint: slo generates its own rules; a chain that changes them has no effect here
",
            multi = fixture("multi.yml")
        )
    );
}

#[test]
fn the_default_window_flag_sets_the_period_sloth_specs_leave_out() {
    slo(&[
        "validate",
        "-c",
        &fixture("crd.yml"),
        "--default-window",
        "28d",
    ])
    .status(exit::OK)
    .stdout_contains("query-errors: 99.9% over 28d");
    slo(&["validate", "-c", &fixture("crd.yml"), "--default-window", "1d"])
        .status(exit::INVALID)
        .stderr_contains(
            "--default-window: a compliance window of 1d is not supported; use a window from 3d to 366d",
        );
}

#[test]
fn every_spec_sloth_rejects_is_rejected_with_located_messages() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(FIXTURES)
        .join("invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 9, "{files:?}");
    for file in files {
        let relative = file.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
        let out = slo(&["validate", "--config", relative.to_str().unwrap()]);
        out.status(exit::INVALID).stdout_empty();
        assert_golden(relative.with_extension("stderr"), &out.stderr);
    }
}

/// The rules of each fixture in Sloth's label style, reviewed as golden files, and loaded by
/// promtool in both file formats.
#[test]
fn rules_generated_from_sloth_specs_are_golden_and_load_in_promtool() {
    let scratch = TempDir::new("import-rules");
    for name in ["plain", "multi", "crd"] {
        // A PrometheusRule manifest holds one service.
        let formats: &[(&str, &str)] = match name {
            "multi" => &[("prometheus", "sloth")],
            _ => &[
                ("prometheus", "sloth"),
                ("prometheus-rule", "prometheus-rule"),
            ],
        };
        for &(format, suffix) in formats {
            let out = slo(&[
                "generate-rules",
                "--config",
                &fixture(&format!("{name}.yml")),
                "--label-style",
                "sloth",
                "--format",
                format,
            ]);
            out.status(exit::OK);
            assert_golden(
                format!("tests/golden/import/{name}.{suffix}.yaml"),
                &out.stdout,
            );
            if format == "prometheus" {
                let file = scratch.join(format!("{name}.yml"));
                std::fs::write(&file, &out.stdout).unwrap();
                promtool(&["check", "rules", file.to_str().unwrap()])
                    .assert_success("promtool check rules");
            }
        }
    }
}

#[test]
fn a_prometheus_rule_keeps_the_crds_name_namespace_and_labels_unless_flags_say_otherwise() {
    let crd = fixture("crd.yml");
    let out = slo(&["generate-rules", "-c", &crd, "--format", "prometheus-rule"]);
    out.status(exit::OK).stdout_contains(
        "metadata:\n  name: search-slos\n  namespace: search\n  labels:\n    app.kubernetes.io/managed-by: slo\n    owner: search-team\n",
    );
    let flags = [
        "generate-rules",
        "-c",
        &crd,
        "--format",
        "prometheus-rule",
        "--name",
        "mine",
        "--namespace",
        "ops",
    ];
    slo(&flags)
        .status(exit::OK)
        .stdout_contains("  name: mine\n  namespace: ops\n");
    slo(&[
        "generate-rules",
        "-c",
        &fixture("multi.yml"),
        "--format",
        "prometheus-rule",
    ])
    .status(exit::INVALID)
    .stderr_contains("the specs hold 2 services (queue.worker, edge); generate each on its own");
}

#[test]
fn several_services_stay_apart_in_rules_and_dashboards() {
    let out = slo(&[
        "generate-rules",
        "-c",
        &fixture("multi.yml"),
        "-c",
        &fixture("crd.yml"),
    ]);
    out.status(exit::OK);
    let groups: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  - name: slo-sli-"))
        .collect();
    assert_eq!(
        groups,
        [
            "queue.worker-Job-Success",
            "edge-gateway-availability",
            "search-api-query-errors",
            "search-api-index-freshness"
        ]
    );

    let dir = TempDir::new("import-dashboards");
    let out_dir = dir.join("boards");
    slo(&[
        "generate-dashboard",
        "-c",
        &fixture("multi.yml"),
        "--output",
        out_dir.to_str().unwrap(),
    ])
    .status(exit::OK);
    let mut boards: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    boards.sort();
    // A Grafana uid holds no dots: the service's is replaced and the whole hashed.
    assert_eq!(boards, ["slo-edge.json", "slo-queue-worker-cd9b763f.json"]);
    slo(&["generate-dashboard", "-c", &fixture("multi.yml")])
        .status(exit::INVALID)
        .stderr_contains("give --output a directory");
}

#[test]
fn an_slo_of_one_service_in_two_files_is_refused() {
    let plain = fixture("plain.yml");
    slo(&["validate", "-c", &plain, "-c", &plain])
        .status(exit::INVALID)
        .stderr_contains(&format!(
            "error: {plain}:8:11: slo charge-availability: name: service `payments` already has an SLO named `charge-availability` (at {plain}:8)"
        ));
}

/// Main's input bounds hold for every `--config` and for Sloth's queries alike.
#[test]
fn every_config_and_every_sloth_query_is_bounded() {
    let plain = fixture("plain.yml");
    slo(&["validate", "-c", &plain, "-c", "/dev/zero"])
        .status(exit::INVALID)
        .stderr_contains("error: /dev/zero: cannot read the spec: it is larger than 16 MiB\n");

    let dir = TempDir::new("sloth-long-query");
    let path = dir.join("long.yml");
    let query = format!("sum(rate(e[{{{{.window}}}}])){}", " + 1".repeat(5000));
    std::fs::write(
        &path,
        format!(
            "version: prometheus/v1\nservice: svc\nslos:\n  - name: big-query\n    objective: 99.9\n    sli:\n      raw:\n        error_ratio_query: '{query}'\n    alerting:\n      name: A\n"
        ),
    )
    .unwrap();
    let path = path.display().to_string();
    let out = slo(&["validate", "-c", &path]);
    out.status(exit::INVALID);
    assert_eq!(
        out.stderr,
        format!(
            "error: {path}:8:28: slo big-query: sli.raw.error_ratio_query: is 20 KiB of PromQL; the limit is 16 KiB\n  hint: move the logic into a recording rule and select its series here\n"
        )
    );
}

/// `slo lint` reads Sloth's documents too, locates its findings in Sloth's file and counts
/// them per service.
#[test]
fn lint_reads_every_document_of_a_sloth_file() {
    let multi = fixture("multi.yml");
    let out = slo(&["lint", "-c", &multi]);
    out.status(exit::OK);
    assert_eq!(
        out.stdout,
        format!("{multi} (queue.worker): 1 warning\n{multi} (edge): no warnings\n")
    );
    out.stderr_contains(&format!(
        "warning: {multi}:13:7: slo Job-Success: alerting: page and ticket alerts are both disabled: nobody hears when the budget burns\n  hint: enable at least the ticket alert\n"
    ));
}

// ---- Sloth's numbers ----

/// What Sloth records as `slo:sli_error:ratio_rate<w>` for each SLO of `plain.yml`, written
/// by hand: `(error_query)/(total_query)` for events, the raw query as it is.
fn sloths_error_ratio(slo: &str, w: &str) -> String {
    match slo {
        "charge-availability" => format!(
            "(sum(rate(charge_requests_total{{code=~\"5..\"}}[{w}])))/(sum(rate(charge_requests_total[{w}])))"
        ),
        "Charge.Latency" => format!(
            "(sum(rate(charge_seconds_count[{w}])) - sum(rate(charge_seconds_bucket{{le=\"0.5\"}}[{w}])))/(sum(rate(charge_seconds_count[{w}])))"
        ),
        "refund-success" => {
            format!("sum(rate(refunds_failed_total[{w}])) / sum(rate(refunds_total[{w}]))")
        }
        other => panic!("no SLO {other} in plain.yml"),
    }
}

/// Each rule group is evaluated at its own offset within the minute (Prometheus spreads
/// groups by a hash of their name and file), so Sloth's expression is evaluated at the very
/// millisecond of our sample: at a whole second instead, an offset under one second would
/// land on a scrape, where Prometheus 2's closed range `[t-5m, t]` holds one more sample.
#[test]
fn sloth_style_error_ratios_equal_sloths_own_expressions_up_to_6h_and_within_5m_of_the_window_beyond()
 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture("plain.yml"));
    let loaded = slo::spec::load_all(&[path], DEFAULT_WINDOW).unwrap();
    let spec = &loaded.specs[0];

    // Four days of per-minute scrapes with errors that come and go, so every window differs.
    let from = END - 4 * DAY;
    let grid = Grid::uniform(from, END, MINUTE);
    let wave = |t: i64, period: i64| 1.0 + ((t % period) as f64 / period as f64);
    let mut data = DataBuilder::new();
    data.counter_rate(
        "charge_requests_total",
        &[("code", "200")],
        &grid,
        &[],
        |t| 5.0 * wave(t, DAY),
    );
    data.counter_rate(
        "charge_requests_total",
        &[("code", "503")],
        &grid,
        &[],
        |t| 0.05 * wave(t, 7 * HOUR),
    );
    data.counter_rate("refunds_total", &[], &grid, &[], |t| 2.0 * wave(t, DAY));
    data.counter_rate("refunds_failed_total", &[], &grid, &[], |t| {
        0.01 * wave(t, 5 * HOUR)
    });
    data.histogram("charge_seconds", &[], &[0.5, 1.0], &grid, &[], |t, _| {
        vec![60.0 * wave(t, DAY), 3.0 * wave(t, 3 * HOUR), 1.0]
    });
    let data = data.build();

    // The SLI groups: the 5m rates and the ratios over 30m..6h read straight from the data;
    // then, a second pass over what the first recorded, the 5m ratio (the rates' quotient)
    // and the ratios over 1d and 3d (sums of the rates).
    let sli_groups: Vec<RuleGroup> = rules::generate(spec, LabelStyle::Sloth)
        .filter(|g| g.name.starts_with("slo-sli-"))
        .collect();
    let [from_data, from_rates] = levels_reading(&sli_groups, promql::TOTAL_EVENTS_RATE_RECORD);
    let at = END - 10 * MINUTE;
    let prom = Prometheus::with_rules_backfilled(
        &data.openmetrics(),
        &[
            RuleBackfill {
                rules: rules::render(&from_data, &spec.source, &Output::RuleFile),
                from: END - 3 * DAY - HOUR,
            },
            RuleBackfill {
                rules: rules::render(&from_rates, &spec.source, &Output::RuleFile),
                from: at - 10 * MINUTE,
            },
        ],
        END,
    );
    let mut compared = 0;
    for slo in &spec.slos {
        for w in ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] {
            let series = format!(
                "slo:sli_error:ratio_rate{w}{{sloth_id=\"payments-{}\",sloth_service=\"payments\",sloth_slo=\"{}\",sloth_window=\"{w}\"}}",
                slo.name, slo.name
            );
            let ours = prom.query_scalar(&series, at);
            // Sloth's expression at the instant our rule was evaluated.
            let answer = prom.query(&format!("timestamp({series})"), at);
            let evaluated_at = answer["data"]["result"][0]["value"][1].as_str().unwrap();
            let sloths = prom.query_scalar_at_time(&sloths_error_ratio(&slo.name, w), evaluated_at);
            // Ours sums 5m rates from 1d up: the window's events give or take 5m at each edge.
            let secs = slo::model::Window::parse(w).unwrap().secs() as f64;
            let tolerance = if secs >= 86_400.0 { 300.0 / secs } else { 1e-9 };
            assert!(
                (ours - sloths).abs() <= tolerance * sloths.abs() && sloths > 0.0,
                "{} over {w}: ours {ours}, Sloth's {sloths} at {evaluated_at}",
                slo.name
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 21);
}

#[test]
fn a_report_over_several_services_names_each_rows_service() {
    let from = END - 3 * DAY - HOUR;
    let grid = Grid::uniform(from, END, 5 * MINUTE);
    let mut data = DataBuilder::new();
    data.counter_rate("jobs_run_total", &[], &grid, &[], |_| 1.0);
    data.counter_rate("jobs_failed_total", &[], &grid, &[], |_| 0.001);
    for route in ["/a", "/b"] {
        data.counter_rate(
            "gateway_requests_total",
            &[("route", route), ("status", "200")],
            &grid,
            &[],
            |_| 2.0,
        );
        data.counter_rate(
            "gateway_requests_total",
            &[("route", route), ("status", "503")],
            &grid,
            &[],
            |_| 0.001,
        );
    }
    let prom = Prometheus::start(&data.build().openmetrics());
    let out = SloRun::new()
        .args(["report", "--format", "json", "--default-window", "3d"])
        .args(["--config", &fixture("multi.yml")])
        .prometheus(&prom)
        .at(crate::harness::scenarios::END_RFC3339)
        .run();
    out.status(exit::OK);
    let rows: Vec<(String, String, String)> = out.json()["slos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
            (
                text(&row["service"]),
                text(&row["slo"]),
                text(&row["labels"]["route"]),
            )
        })
        .collect();
    let row = |service: &str, slo: &str, route: &str| {
        (service.to_string(), slo.to_string(), route.to_string())
    };
    assert_eq!(
        rows,
        [
            row("queue.worker", "Job-Success", ""),
            row("edge", "gateway-availability", "/a"),
            row("edge", "gateway-availability", "/b"),
        ]
    );
}
