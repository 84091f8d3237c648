//! `slo generate-rules`: the rules load in promtool, alert when the SRE Workbook says they
//! should (promtool test rules), and the compliance-window ratio is the traffic-weighted one
//! (a real Prometheus on backfilled data).

use std::path::{Path, PathBuf};

use slo::exit;
use slo::model::Spec;
use slo::promql::{self, LabelStyle};
use slo::rules::{self, Output, Rule, RuleGroup};

use crate::harness::prom::{RuleBackfill, levels_reading};
use crate::harness::scenarios::{HOUR, MINUTE};
use crate::harness::{
    DataBuilder, Grid, Prometheus, SloRun, TempDir, assert_golden, promtool, rel_err, specs,
};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every valid spec we ship or keep for this test: the demo `slo.yaml`, `examples/*.yaml`
/// and `tests/fixtures/rules/*.yaml`. Paths are relative to the crate root, as the rule
/// files' headers name them.
fn valid_specs() -> Vec<PathBuf> {
    let mut specs = vec![PathBuf::from("slo.yaml")];
    for dir in ["examples", "tests/fixtures/rules"] {
        let Ok(entries) = std::fs::read_dir(Path::new(ROOT).join(dir)) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| Path::new(dir).join(e.file_name()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        found.sort();
        specs.extend(found);
    }
    specs
}

/// Runs the binary from the crate root and returns its standard output.
#[track_caller]
fn generate_rules(args: &[&str]) -> String {
    let out = SloRun::new().arg("generate-rules").args(args).run();
    out.assert_success("slo generate-rules");
    out.stdout.clone()
}

#[track_caller]
fn promtool_check_rules(yaml: &str, what: &str) -> String {
    let dir = TempDir::new("check-rules");
    let path = dir.join("rules.yaml");
    std::fs::write(&path, yaml).unwrap();
    let out = promtool(&["check".as_ref(), "rules".as_ref(), path.as_os_str()]);
    assert!(
        out.success(),
        "promtool check rules rejected {what}:\n{}{}",
        out.stdout,
        out.stderr
    );
    out.stdout.clone()
}

/// The `N rules found` promtool reports.
fn rule_count(promtool_stdout: &str) -> usize {
    promtool_stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .find(|w| w[1] == "rules")
        .and_then(|w| w[0].parse().ok())
        .unwrap_or_else(|| panic!("no rule count in {promtool_stdout}"))
}

#[test]
fn every_valid_spec_gives_rules_promtool_accepts_in_both_formats_and_styles() {
    let specs = valid_specs();
    assert!(specs.len() >= 3, "too few specs found: {specs:?}");
    for spec in &specs {
        let spec = spec.to_str().unwrap();
        for style in ["native", "sloth"] {
            let what = format!("{spec} ({style})");
            let file = generate_rules(&["-c", spec, "--label-style", style]);
            let count = rule_count(&promtool_check_rules(&file, &what));
            assert!(count > 0, "{what}: no rules");

            // The manifest's groups, re-serialized as JSON (which YAML readers accept), must
            // be the same rules.
            let manifest = generate_rules(&[
                "-c",
                spec,
                "--label-style",
                style,
                "--format",
                "prometheus-rule",
            ]);
            let manifest: serde_json::Value = serde_saphyr::from_str(&manifest)
                .unwrap_or_else(|e| panic!("{what}: manifest is not YAML: {e}"));
            assert_eq!(manifest["apiVersion"], "monitoring.coreos.com/v1");
            assert_eq!(manifest["kind"], "PrometheusRule");
            assert_eq!(manifest["metadata"]["namespace"], "monitoring");
            let groups = serde_json::json!({"groups": manifest["spec"]["groups"]});
            let manifest_count = rule_count(&promtool_check_rules(
                &groups.to_string(),
                &format!("{what} as a PrometheusRule"),
            ));
            assert_eq!(
                manifest_count, count,
                "{what}: manifest and rule file differ"
            );

            let file_groups: serde_json::Value = serde_saphyr::from_str(&file).unwrap();
            assert_eq!(file_groups["groups"], manifest["spec"]["groups"], "{what}");
        }
    }
}

#[test]
fn demo_rules_match_the_reviewed_golden_files() {
    let native = generate_rules(&[]);
    assert_golden("tests/golden/rules/slo.native.yaml", &native);
    // The demo stack's Prometheus loads the committed copy.
    assert_golden("stack/prometheus/rules/slo-rules.yml", &native);
    assert_golden(
        "tests/golden/rules/slo.sloth.yaml",
        &generate_rules(&["--label-style", "sloth"]),
    );
    assert_golden(
        "tests/golden/rules/slo.prometheus-rule.yaml",
        &generate_rules(&[
            "--format",
            "prometheus-rule",
            "--namespace",
            "observability",
        ]),
    );
}

#[test]
fn output_is_stable_says_where_it_comes_from_and_has_no_float_noise() {
    for spec in valid_specs() {
        let spec = spec.to_str().unwrap();
        let first = generate_rules(&["-c", spec]);
        assert_eq!(first, generate_rules(&["-c", spec]), "{spec}: not stable");
        let header = first.lines().next().unwrap();
        assert!(
            header.starts_with("# Generated by `slo generate-rules` from ")
                && header.contains(spec),
            "{spec}: header {header:?}"
        );
        for noise in ["0000000", "9999999"] {
            assert!(!first.contains(noise), "{spec}: float noise `{noise}`");
        }
    }
}

#[test]
fn output_file_is_written_and_an_unwritable_one_exits_2() {
    let dir = TempDir::new("rules-output");
    let write_rules = |path: &Path| {
        SloRun::new()
            .args(["generate-rules", "-c", "slo.yaml", "-o"])
            .arg(path)
            .run()
    };
    let path = dir.join("rules.yaml");
    let out = write_rules(&path);
    out.assert_success("generate-rules -o FILE");
    assert!(out.stdout.is_empty());
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("record: slo:sli_error:ratio_rate30d"));

    let bad = dir.join("missing-dir/rules.yaml");
    let out = write_rules(&bad);
    out.status(exit::INVALID);
    assert!(
        out.stderr.contains("cannot write") && out.stderr.contains("missing-dir"),
        "{}",
        out.stderr
    );
}

#[test]
fn invalid_manifest_name_or_namespace_exits_2() {
    for args in [["--name", "Not_Valid"], ["--namespace", "a.b"]] {
        let out = SloRun::new()
            .args([
                "generate-rules",
                "-c",
                "slo.yaml",
                "--format",
                "prometheus-rule",
            ])
            .args(args)
            .run();
        out.status(exit::INVALID);
        assert!(
            out.stderr.contains("not a valid Kubernetes"),
            "{}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
    }
}

// ---- alert behaviour: promtool test rules ----

/// 99% over 30d: a 1% budget, so the burn-rate factors are 14.4, 6, 3 and 1 and a burn of
/// `x` times the budget is `10 * x` errors in 1000 requests.
fn alert_spec_yaml() -> String {
    let checkout = specs::ratio_slo(
        "checkout",
        99.0,
        "30d",
        r#"requests_total{job="shop",code="500"}"#,
        r#"requests_total{job="shop"}"#,
    );
    specs::spec("shop", "", &[checkout])
}

/// Requests per minute in the alert tests.
const TRAFFIC: f64 = 1000.0;

fn alert_spec() -> Spec {
    slo::spec::parse(&alert_spec_yaml(), "alert-spec.yaml").unwrap()
}

/// The generated rules with annotations dropped: promtool compares rendered annotations
/// exactly, and these hold `$value`; promtool check rules covers their templates.
fn rules_without_annotations(spec: &Spec) -> String {
    let groups: Vec<RuleGroup> = rules::generate(spec, LabelStyle::Native)
        .map(|mut g| {
            for rule in &mut g.rules {
                if let Rule::Alert { annotations, .. } = rule {
                    annotations.clear();
                }
            }
            g
        })
        .collect();
    rules::render(&groups, &spec.source, &Output::RuleFile)
}

/// promtool's expanding notation for a counter that starts at 0 and then grows by `per_min`
/// for `minutes`, phase after phase, one sample a minute.
fn counter_values(phases: &[(f64, u32)]) -> String {
    let mut text = String::from("0");
    let mut value = 0.0;
    for &(per_min, minutes) in phases {
        text.push_str(&format!(" {}+{}x{}", value + per_min, per_min, minutes - 1));
        value += per_min * f64::from(minutes);
    }
    text
}

/// Input series for phases of (burn rate as a multiple of the budget, minutes).
fn burn_series(phases: &[(f64, u32)]) -> String {
    let errors: Vec<(f64, u32)> = phases
        .iter()
        .map(|&(b, m)| (TRAFFIC * 0.01 * b, m))
        .collect();
    let ok: Vec<(f64, u32)> = errors.iter().map(|&(e, m)| (TRAFFIC - e, m)).collect();
    format!(
        "      - series: 'requests_total{{job=\"shop\",code=\"500\"}}'\n        values: '{}'\n      - series: 'requests_total{{job=\"shop\",code=\"200\"}}'\n        values: '{}'\n",
        counter_values(&errors),
        counter_values(&ok)
    )
}

/// One `alert_rule_test` entry: which of page and ticket fire at `minute`.
fn expect_burn(minute: u32, page: bool, ticket: bool) -> String {
    let alert = |severity| {
        format!(
            "\n          - exp_labels: {{severity: {severity}, slo_service: shop, slo_name: checkout}}"
        )
    };
    let mut alerts = String::new();
    if page {
        alerts.push_str(&alert("page"));
    }
    if ticket {
        alerts.push_str(&alert("ticket"));
    }
    if alerts.is_empty() {
        alerts.push_str(" []");
    }
    format!(
        "      - eval_time: {minute}m\n        alertname: {}\n        exp_alerts:{alerts}\n",
        promql::BURN_ALERT
    )
}

/// Runs `promtool test rules` on the generated rules with one test group, series sampled
/// every minute and rules evaluated every `eval_minutes`; `tests` holds the sections after
/// `input_series`.
///
/// promtool evaluates every group at each evaluation step, in file order, whatever the
/// group's own `interval`; so the long-window group runs as often as the others here, which
/// only makes the compliance-window ratio fresher than in production and changes no alert
/// (the alerts read the alert windows only).
#[track_caller]
fn promtool_test_rules_every(eval_minutes: u32, series: &str, tests: &str) {
    promtool_test_spec_rules(&alert_spec(), eval_minutes, series, tests);
}

/// [`promtool_test_rules_every`] on the rules of `spec`.
#[track_caller]
fn promtool_test_spec_rules(spec: &Spec, eval_minutes: u32, series: &str, tests: &str) {
    let dir = TempDir::new("test-rules");
    std::fs::write(dir.join("rules.yaml"), rules_without_annotations(spec)).unwrap();
    let test = format!(
        "rule_files: [rules.yaml]\nevaluation_interval: {eval_minutes}m\ntests:\n  - interval: 1m\n    input_series:\n{series}{tests}"
    );
    let path = dir.join("test.yaml");
    std::fs::write(&path, &test).unwrap();
    let out = promtool(&["test".as_ref(), "rules".as_ref(), path.as_os_str()]);
    assert!(
        out.success(),
        "promtool test rules failed:\n{}{}\n--- test file ---\n{test}",
        out.stdout,
        out.stderr
    );
}

#[track_caller]
fn promtool_test_rules(series: &str, alert_tests: &str) {
    promtool_test_rules_every(1, series, &format!("    alert_rule_test:\n{alert_tests}"));
}

/// Six clean hours come first so the 6h window is not just the burn; the 1d and 3d windows
/// then hold only what the test fed, which is why tickets fire alongside.
const CLEAN_HOURS: u32 = 6 * 60;

#[test]
fn page_fires_at_a_burn_just_over_14_4x_sustained_for_1h() {
    // 14.5x for 65m: the 1h and 5m ratios are 14.5x > 14.4x. Half an hour in, the 1h
    // ratio is only ~7x: no page yet. The ticket fires too: over the 7h of history the 6h
    // and "3d" ratios are above 1x.
    promtool_test_rules(
        &burn_series(&[(0.0, CLEAN_HOURS), (14.5, 65)]),
        &[
            expect_burn(CLEAN_HOURS + 30, false, true),
            expect_burn(CLEAN_HOURS + 65, true, true),
        ]
        .concat(),
    );
}

#[test]
fn a_good_events_slo_pages_when_every_request_fails_and_no_good_series_exists() {
    // Services create the good counter at the first success: a service failing from its
    // start has none. The errors must be 100% of the ratio, not vanish with the series.
    let spec = slo::spec::parse(
        &alert_spec_yaml().replace(
            r#"errors: requests_total{job="shop",code="500"}"#,
            r#"good: requests_total{job="shop",code="200"}"#,
        ),
        "good-spec.yaml",
    )
    .unwrap();
    let series = format!(
        "      - series: 'requests_total{{job=\"shop\",code=\"500\"}}'\n        values: '{}'\n",
        counter_values(&[(TRAFFIC, 65)])
    );
    let one_hour_ratio = "    promql_expr_test:\n      - expr: slo:sli_error:ratio_rate1h\n        eval_time: 65m\n        exp_samples:\n          - labels: 'slo:sli_error:ratio_rate1h{slo_name=\"checkout\",slo_service=\"shop\",slo_window=\"1h\"}'\n            value: 1\n";
    promtool_test_spec_rules(
        &spec,
        1,
        &series,
        &format!(
            "{one_hour_ratio}    alert_rule_test:\n{}",
            expect_burn(65, true, true)
        ),
    );
}

/// `promql_expr_test` entries: the error ratio over each of `windows` at `minute`, `value`
/// or no sample at all.
fn expect_ratios(minute: u32, windows: &[&str], value: Option<f64>) -> String {
    windows
        .iter()
        .map(|w| {
            let samples = value.map_or(" []".to_string(), |v| {
                format!("\n          - labels: 'slo:sli_error:ratio_rate{w}{{slo_name=\"checkout\",slo_service=\"shop\",slo_window=\"{w}\"}}'\n            value: {v}")
            });
            format!("      - expr: slo:sli_error:ratio_rate{w}\n        eval_time: {minute}m\n        exp_samples:{samples}\n")
        })
        .collect()
}

#[test]
fn a_missing_error_series_is_a_zero_ratio_while_the_total_is_scraped() {
    // No error counter ever: every window's ratio is 0, its zero taken from the total's last
    // 5m (a quiet last 5m included), not from a second scan of the window. Once the total has
    // had no sample for 5m the ratios up to 6h go with it instead of staying 0 for the
    // window; those summed from the recorded 5m rates (1d, 3d) stay 0 while the window holds
    // rates.
    let windows = ["5m", "1h", "3d"];
    let series = format!(
        "      - series: 'requests_total{{job=\"shop\",code=\"200\"}}'\n        values: '{}'\n",
        counter_values(&[(TRAFFIC, 30), (0.0, 31)])
    );
    let tests = [
        expect_ratios(30, &windows, Some(0.0)),
        expect_ratios(60, &windows[1..], Some(0.0)),
        expect_ratios(70, &windows[..2], None),
        expect_ratios(70, &windows[2..], Some(0.0)),
    ]
    .concat();
    promtool_test_rules_every(1, &series, &format!("    promql_expr_test:\n{tests}"));
}

#[test]
fn page_does_not_fire_at_10x_for_1h() {
    // 1h ratio 10x < 14.4x; 6h ratio 65*10/360 = 1.8x < 6x. Ticket: 6h 1.8x and 3d 1.5x > 1x.
    promtool_test_rules(
        &burn_series(&[(0.0, CLEAN_HOURS), (10.0, 65)]),
        &expect_burn(CLEAN_HOURS + 65, false, true),
    );
}

#[test]
fn ticket_fires_at_a_burn_just_over_1x_for_3d_and_nothing_at_half_the_budget() {
    // Evaluated every 5m, which alerts without a `for:` do not notice, to keep 3 days fast.
    // The metadata chain (window ratio -> period burn rate -> budget remaining) is checked
    // here too: promtool evaluates the groups in order, as Prometheus would over time.
    let three_days = 3 * 24 * 60;
    let slo = r#"slo_name="checkout",slo_service="shop""#;
    let metadata = |burn: f64| {
        let sample = |expr: &str, labels: &str, value: f64| {
            format!(
                "      - expr: '{expr}'\n        eval_time: {three_days}m\n        exp_samples:\n          - labels: '{labels}'\n            value: {value}\n"
            )
        };
        [
            "    promql_expr_test:\n".to_string(),
            // Rounded: promtool compares values exactly.
            sample(
                "round(slo:period_burn_rate:ratio * 1000)",
                &format!("{{{slo},slo_window=\"30d\"}}"),
                (burn * 1000.0).round(),
            ),
            sample(
                "round(slo:period_error_budget_remaining:ratio * 1000)",
                &format!("{{{slo},slo_window=\"30d\"}}"),
                ((1.0 - burn) * 1000.0).round(),
            ),
            sample(
                "round(slo:current_burn_rate:ratio * 1000)",
                &format!("{{{slo},slo_window=\"5m\"}}"),
                (burn * 1000.0).round(),
            ),
            sample(
                "slo:time_period:days",
                &format!("slo:time_period:days{{{slo}}}"),
                30.0,
            ),
            sample(
                "slo_info",
                &format!("slo_info{{{slo},slo_objective=\"99\",slo_window=\"30d\"}}"),
                1.0,
            ),
        ]
        .concat()
    };
    promtool_test_rules_every(
        5,
        &burn_series(&[(1.1, three_days)]),
        &[
            "    alert_rule_test:\n".to_string(),
            expect_burn(three_days, false, true),
            metadata(1.1),
        ]
        .concat(),
    );
    promtool_test_rules_every(
        5,
        &burn_series(&[(0.5, three_days)]),
        &[
            "    alert_rule_test:\n".to_string(),
            expect_burn(three_days, false, false),
            format!(
                "      - eval_time: {three_days}m\n        alertname: {}\n        exp_alerts: []\n",
                promql::ABSENT_ALERT
            ),
            metadata(0.5),
        ]
        .concat(),
    );
}

#[test]
fn a_spike_the_short_window_has_left_does_not_page() {
    // 50x for 20m pages while it lasts. 15m later the 1h ratio is still 16.7x, but the 5m
    // ratio is 0: the page resolves (the 6h ratio, 2.8x, is under 6x).
    promtool_test_rules(
        &burn_series(&[(0.0, CLEAN_HOURS), (50.0, 20), (0.0, 15)]),
        &[
            expect_burn(CLEAN_HOURS + 20, true, true),
            expect_burn(CLEAN_HOURS + 35, false, true),
        ]
        .concat(),
    );
}

#[test]
fn absent_alert_fires_once_the_total_series_is_gone_for_5m() {
    // An hour of clean traffic, then the exporter goes silent.
    let series = "      - series: 'requests_total{job=\"shop\",code=\"200\"}'\n        values: '0+1000x60 _x30'\n";
    let absent = |minute: u32, fires: bool| {
        format!(
            "      - eval_time: {minute}m\n        alertname: {}\n        exp_alerts:{}\n",
            promql::ABSENT_ALERT,
            if fires {
                "\n          - exp_labels: {severity: ticket, slo_service: shop, slo_name: checkout, job: shop}"
            } else {
                " []"
            }
        )
    };
    promtool_test_rules(
        series,
        &[
            absent(63, false),
            absent(66, true),
            expect_burn(66, false, false),
        ]
        .concat(),
    );
}

// ---- accuracy of the compliance-window ratio ----

/// The usual 30d window, scraped every minute: 43,200 samples per series. The test takes
/// about 17-20 s on 2 shared cores (6 s with a 7d window), 15 s of it in promtool's rule backfill.
fn accuracy_spec_yaml() -> String {
    let availability = specs::requests_slo("availability", 99.5, "30d", "demo-api");
    specs::spec("demo-api", "", &[availability])
}

#[test]
fn compliance_window_ratio_is_the_traffic_weighted_events_ratio_under_10x_diurnal_traffic() {
    use crate::harness::scenarios::{END, is_day};
    let started = std::time::Instant::now();
    let spec = slo::spec::parse(&accuracy_spec_yaml(), "accuracy.yaml").unwrap();
    let window = spec.slos[0].window;
    let from = END - window.secs() as i64;

    // 100 req/min by day, 10 by night; errors only at night (5% of night traffic). Scraped
    // every minute, as a real Prometheus would, so 5m rates hold several samples.
    let grid = Grid::uniform(from - HOUR, END, MINUTE);
    let mut data = DataBuilder::new();
    let rate = |t| if is_day(t) { 100.0 / 60.0 } else { 10.0 / 60.0 };
    let error_fraction = |t| if is_day(t) { 0.0 } else { 0.05 };
    let labels = |status| [("job", "demo-api"), ("status", status)];
    data.counter_rate("http_requests_total", &labels("2xx"), &grid, &[], |t| {
        rate(t) * (1.0 - error_fraction(t))
    });
    data.counter_rate("http_requests_total", &labels("5xx"), &grid, &[], |t| {
        rate(t) * error_fraction(t)
    });
    let data = data.build();
    let truth = data.true_ratio(
        "http_requests_total",
        &[("status", "5xx")],
        &[("job", "demo-api")],
        from,
        END,
    );

    // Pass 1: the 5m event-rate rules, evaluated by promtool against the raw data.
    let groups: Vec<RuleGroup> = rules::generate(&spec, LabelStyle::Native).collect();
    let event_rates: Vec<RuleGroup> = groups
        .iter()
        .filter(|g| g.interval.is_none())
        .map(|g| RuleGroup {
            rules: g
                .rules
                .iter()
                .filter(|r| {
                    matches!(r, Rule::Record { record, .. }
                        if record == promql::BAD_EVENTS_RATE_RECORD
                            || record == promql::TOTAL_EVENTS_RATE_RECORD)
                })
                .cloned()
                .collect(),
            ..g.clone()
        })
        .filter(|g| !g.rules.is_empty())
        .collect();
    assert_eq!(event_rates.iter().map(|g| g.rules.len()).sum::<usize>(), 2);
    let rules_started = std::time::Instant::now();
    let prom = Prometheus::with_rules_backfilled(
        &data.openmetrics(),
        &[RuleBackfill {
            rules: rules::render(&event_rates, &spec.source, &Output::RuleFile),
            from: from - 10 * MINUTE,
        }],
        END,
    );
    let rules_backfill = rules_started.elapsed();

    // Pass 2: the window-long sums' expressions over the recorded rates; the window's ratio
    // is their quotient (`promtool test rules` evaluates that chain, see the ticket test).
    let long = groups
        .iter()
        .find(|g| g.interval == Some(rules::LONG_WINDOW_INTERVAL))
        .unwrap();
    let measured = window_sums_ratio(&prom, long, window);

    // The trap this guards against: averaging 5m ratios weighs a quiet night like a busy
    // day. The test data makes that several times wrong, so this test can tell them apart.
    let averaged = prom.query_scalar(
        &format!(
            "avg_over_time(({})[{window}:1m])",
            promql::error_ratio_query(&spec.slos[0].sli, slo::model::Window::from_secs(300))
        ),
        END,
    );
    eprintln!(
        "{window} ratio: truth {truth:.6}, rules {measured:.6} (rel. error {:.2e}), averaged 5m ratios {averaged:.6}; {:.1?} in all, {rules_backfill:.1?} of it backfilling data and rules",
        rel_err(measured, truth),
        started.elapsed()
    );
    assert!(
        rel_err(averaged, truth) > 1.0,
        "the data does not tell the methods apart"
    );
    assert!(
        rel_err(measured, truth) < 0.001,
        "{window} ratio {measured} vs true {truth}"
    );
}

/// The ratio of the bad and total window sums `long` records, their expressions evaluated at
/// END.
fn window_sums_ratio(prom: &Prometheus, long: &RuleGroup, window: slo::model::Window) -> f64 {
    let sum = |name: String| {
        let expr = long
            .rules
            .iter()
            .find_map(|r| match r {
                Rule::Record { record, expr, .. } if *record == name => Some(expr),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no {name} in {}", long.name));
        prom.query_scalar(expr, crate::harness::scenarios::END)
    };
    sum(promql::bad_events_sum_record(window)) / sum(promql::total_events_sum_record(window))
}

// ---- every rule on real data ----

/// The demo spec's rules on the data its SLOs describe (two handlers, a latency histogram, the
/// database histogram and error counter):
/// promtool records the fast group over the last hour, then a second Prometheus evaluates every
/// other rule's expression over those recordings. Each must run without a query error, every
/// recording must have a value, and the ratios must be the data's.
#[test]
fn every_demo_rule_evaluates_on_real_data_to_the_true_ratios() {
    use crate::harness::scenarios::{END, LATENCY, REQUESTS, database, latency, two_handlers};
    let data = two_handlers().merge(latency()).merge(database());
    let spec = slo::spec::load(&Path::new(ROOT).join("slo.yaml")).unwrap();
    let (fast, rest): (Vec<RuleGroup>, Vec<RuleGroup>) = rules::generate(&spec, LabelStyle::Native)
        .partition(|g| g.interval.is_none() && g.name.starts_with("slo-sli-"));
    // The 5m rates and the ratios over the raw series, then the ratios reading the rates.
    let levels =
        levels_reading(&fast, promql::TOTAL_EVENTS_RATE_RECORD).map(|groups| RuleBackfill {
            rules: rules::render(&groups, &spec.source, &Output::RuleFile),
            from: END - HOUR,
        });
    let prom = Prometheus::with_rules_backfilled(&data.openmetrics(), &levels, END);

    // A rule reading what another rule of these groups records has nothing to read here
    // (promtool test rules evaluates those chains, see the ticket test); it must still run.
    let recorded_here: Vec<&str> = rest
        .iter()
        .flat_map(|g| &g.rules)
        .filter_map(|r| match r {
            Rule::Record { record, .. } => Some(record.as_str()),
            Rule::Alert { .. } => None,
        })
        .collect();
    let mut checked = 0;
    for rule in rest.iter().flat_map(|g| &g.rules) {
        let (name, expr) = match rule {
            Rule::Record { record, expr, .. } => (record, expr),
            Rule::Alert { alert, expr, .. } => (alert, expr),
        };
        let result = prom.query_vector(expr, END);
        let reads_this_pass = recorded_here
            .iter()
            .any(|r| expr.contains(&format!("{r}{{")));
        if matches!(rule, Rule::Record { .. }) && !reads_this_pass {
            assert!(!result.is_empty(), "{name}: no value:\n{expr}");
            checked += 1;
        }
    }
    // Per SLO: the window's two sums, objective, budget, period, current burn rate and info.
    assert_eq!(checked, 5 * 7);

    // Prometheus offsets each group's evaluations by a hash of its name, so the last
    // recording is a little before END; rate() then counts the events between the first and
    // the last sample (a minute apart) inside its range: those are the true events.
    let window_1h = |slo: &str| {
        let recorded_at = prom.query_vector(
            &format!("timestamp(slo:sli_error:ratio_rate1h{{slo_name=\"{slo}\"}})"),
            END,
        )[0]
        .1;
        let to = (recorded_at / 60.0).floor() as i64 * 60;
        let from = ((recorded_at - 3600.0) / 60.0).ceil() as i64 * 60;
        (from, to)
    };
    let ratio_1h =
        |selector: &str| prom.query_vector(&format!("slo:sli_error:ratio_rate1h{selector}"), END);
    let [(_, availability)] = ratio_1h(r#"{slo_name="availability"}"#)[..] else {
        panic!("one availability series")
    };
    let (from, to) = window_1h("availability");
    let truth = data.true_ratio(
        REQUESTS,
        &[("status", "5xx")],
        &[("job", "demo-api")],
        from,
        to,
    );
    assert!(
        rel_err(availability, truth) < 1e-9,
        "availability 1h {availability} vs {truth}"
    );

    let by_handler = ratio_1h(r#"{slo_name="availability-by-handler"}"#);
    assert_eq!(by_handler.len(), 2, "{by_handler:?}");
    let (from, to) = window_1h("availability-by-handler");
    for (labels, ratio) in by_handler {
        let handler = labels["handler"].as_str().unwrap();
        let truth = data.true_ratio(
            REQUESTS,
            &[("handler", handler), ("status", "5xx")],
            &[("handler", handler)],
            from,
            to,
        );
        assert!(
            rel_err(ratio, truth) < 1e-9,
            "{handler}: {ratio} vs {truth}"
        );
    }

    let [(_, slow)] = ratio_1h(r#"{slo_name="latency"}"#)[..] else {
        panic!("one latency series")
    };
    let (from, to) = window_1h("latency");
    let good = data.true_increase(&format!("{LATENCY}_bucket"), &[("le", "0.3")], from, to);
    let total = data.true_increase(&format!("{LATENCY}_count"), &[], from, to);
    assert!(
        rel_err(slow, 1.0 - good / total) < 1e-9,
        "latency 1h {slow} vs {}",
        1.0 - good / total
    );

    // The compliance-window ratio, over the hour of recorded rates there is.
    let long = rest
        .iter()
        .find(|g| g.name == "slo-long-sli-demo-api-availability")
        .unwrap();
    let period = window_sums_ratio(&prom, long, spec.slos[0].window);
    assert!(
        rel_err(period, truth) < 0.01,
        "30d ratio over 1h {period} vs {truth}"
    );
}
