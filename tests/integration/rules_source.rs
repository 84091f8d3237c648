//! `--source rules|auto|raw`: reports from the series `slo generate-rules` records, on a real
//! Prometheus holding 3 days of raw data at 1m and the recorded series promtool backfilled
//! from them: every series the rules path reads, in two levels, as a rule reading another
//! rule's series only sees what an earlier pass recorded. First the 5m event rates, the
//! burn-window ratios and the info series, from the raw data; then the window sums, from the
//! recorded rates.
//!
//! The compliance windows are 3d, the shortest allowed, so that backfilling the rules over a
//! whole window takes seconds, not minutes.

use std::sync::OnceLock;

use serde_json::Value;
use slo::exit;
use slo::model::BURN_RATE_WINDOWS;
use slo::promql::{self, LabelStyle};
use slo::rules::{self, Output, Rule, RuleGroup};

use crate::harness::scenarios::{
    DAY, END_RFC3339, HOUR, INCIDENT_END, INCIDENT_START, MINUTE, REQUESTS, is_day,
};
use crate::harness::{CmdOutput, DataBuilder, Dataset, END, Grid, Prometheus, SloRun, rel_err};

const WINDOW: i64 = 3 * DAY;
/// Where the rules of a covered SLO start recording: a little before the window.
const RULES_FROM: i64 = END - WINDOW - 10 * MINUTE;
/// promtool evaluates rules up to before `--end`: a little past END records up to END.
const RULES_TO: i64 = END + MINUTE;
/// Every 2m rather than Prometheus' default 1m, which halves the backfill; the rules path
/// finds the interval from the data either way.
const EVALUATION_INTERVAL: &str = "2m";

/// 1m-spaced requests over the window and two hours more, as a real scrape would give.
fn requests(
    data: &mut DataBuilder,
    job: &str,
    handler: &str,
    rate: impl Fn(i64) -> f64,
    error_fraction: impl Fn(i64) -> f64 + Copy,
) {
    let grid = Grid::uniform(END - WINDOW - 2 * HOUR, END, MINUTE);
    let labels = |status| [("job", job), ("handler", handler), ("status", status)];
    data.counter_rate(REQUESTS, &labels("2xx"), &grid, &[], |t| {
        rate(t) * (1.0 - error_fraction(t))
    });
    data.counter_rate(REQUESTS, &labels("5xx"), &grid, &[], |t| {
        rate(t) * error_fraction(t)
    });
}

/// `diurnal`: 10x day/night traffic, errors only at night. `incident`: steady traffic with
/// 20% errors for two hours on `/items`, steady 0.1% on `/users`. `steady`: 0.1% errors.
fn data() -> Dataset {
    let mut data = DataBuilder::new();
    let day_night = |t| if is_day(t) { 100.0 / 60.0 } else { 10.0 / 60.0 };
    requests(&mut data, "diurnal", "/items", day_night, |t| {
        if is_day(t) { 0.0 } else { 0.05 }
    });
    let steady = |_| 1000.0 / 60.0;
    requests(&mut data, "incident", "/items", steady, |t| {
        if (INCIDENT_START..INCIDENT_END).contains(&t) {
            0.2
        } else {
            0.001
        }
    });
    requests(&mut data, "incident", "/users", steady, |_| 0.001);
    requests(&mut data, "steady", "/items", steady, |_| 0.001);
    data.build()
}

fn slo_yaml(name: &str, objective: f64, job: &str, group_by: &str) -> String {
    format!(
        "  - name: {name}\n    objective: {objective}\n    window: 3d\n    sli:\n      ratio:\n        \
         errors: {REQUESTS}{{job=\"{job}\",status=\"5xx\"}}\n        total: {REQUESTS}{{job=\"{job}\"}}\n{group_by}"
    )
}

fn spec(service: &str, slos: &[String]) -> String {
    format!("version: 1\nservice: {service}\nslos:\n{}", slos.concat())
}

/// The spec of service `svc` as checked now; `changed` had objective 99 when its rules were
/// generated, and `missing` had no rules at all.
fn current_spec() -> String {
    spec("svc", &svc_slos(99.9, true))
}

fn svc_slos(changed_objective: f64, with_missing: bool) -> Vec<String> {
    let mut slos = vec![
        slo_yaml("diurnal", 99.0, "diurnal", ""),
        slo_yaml("incident", 99.0, "incident", ""),
        slo_yaml(
            "by-handler",
            99.0,
            "incident",
            "        group_by: [handler]\n",
        ),
        slo_yaml("stale-sums", 99.0, "steady", ""),
        slo_yaml("young", 99.0, "steady", ""),
        slo_yaml("stale", 99.0, "steady", ""),
        slo_yaml("changed", changed_objective, "steady", ""),
    ];
    if with_missing {
        slos.push(slo_yaml("missing", 99.0, "steady", ""));
    }
    slos
}

fn sloth_spec() -> String {
    spec("sl", &[slo_yaml("diurnal", 99.0, "diurnal", "")])
}

/// Which of the series the rules path reads a backfill records.
#[derive(Clone, Copy)]
enum Read {
    /// The 5m event rates and the info series, summed over the whole window.
    Rates,
    /// The burn-window ratios scanning the raw series, read at the report's instant only:
    /// backfilling them over the window would scan a day of raw data per minute.
    Ratios,
    /// What reads the recorded rates (a second level), read at the report's instant: the
    /// window sums and the burn-window ratios summing or dividing the rates.
    Sums,
}

/// The rules the rules path reads of the SLOs `names` of `spec_yaml`, as a rule file.
fn read_rules(spec_yaml: &str, style: LabelStyle, names: &[&str], which: Read) -> String {
    let spec = slo::spec::parse(spec_yaml, "recorded.yaml").unwrap();
    let read = |record: &str, expr: &str| {
        let burn_ratio = BURN_RATE_WINDOWS
            .iter()
            .any(|w| record == promql::error_ratio_record(*w));
        let reads_rates = expr.contains(promql::TOTAL_EVENTS_RATE_RECORD);
        match which {
            Read::Rates => {
                record == promql::BAD_EVENTS_RATE_RECORD
                    || record == promql::TOTAL_EVENTS_RATE_RECORD
                    || record == style.info_metric()
            }
            Read::Ratios => burn_ratio && !reads_rates,
            Read::Sums => {
                let window = slo::model::Window::from_secs(WINDOW as u64);
                record == promql::bad_events_sum_record(window)
                    || record == promql::total_events_sum_record(window)
                    || (burn_ratio && reads_rates)
            }
        }
    };
    let rules: Vec<Rule> = rules::generate(&spec, style)
        .filter(|g| names.iter().any(|n| g.name.ends_with(&format!("-{n}"))))
        .flat_map(|g| g.rules)
        .filter(|r| matches!(r, Rule::Record { record, expr, .. } if read(record, expr)))
        .collect();
    // One group: promtool backfills group by group, and far faster in one.
    let group = RuleGroup {
        name: "read-by-the-rules-path".into(),
        interval: None,
        rules,
    };
    rules::render(&[group], &spec.source, &Output::RuleFile)
}

/// A recording of rules over a range: `(rules, from, to)`.
type Recording = (String, i64, i64);

/// A Prometheus holding `data` and each level's `(rules, from, to)` recorded over its range,
/// each level by a Prometheus holding the data and the levels before it.
fn with_recorded(data: &str, levels: &[Vec<Recording>]) -> Prometheus {
    let start = |blocks: &[crate::harness::TempDir]| {
        blocks
            .iter()
            .fold(Prometheus::builder().openmetrics(data), |b, d| {
                b.blocks_from(d.path())
            })
            .start()
    };
    let mut blocks = Vec::new();
    for level in levels {
        let recorder = start(&blocks);
        let recorded: Vec<_> = level
            .iter()
            .map(|(rules, from, to)| {
                recorder.backfill_rules(rules, *from, *to, EVALUATION_INTERVAL)
            })
            .collect();
        blocks.extend(recorded);
    }
    start(&blocks)
}

static PROM: OnceLock<Prometheus> = OnceLock::new();

/// `svc`'s rules as recorded: covering the window (diurnal, incident, by-handler), for the
/// last day only (changed, at objective 99, and young), stopped an hour ago (stale), covering
/// the window but with window sums stopped an hour ago (stale-sums); `sl`'s in Sloth's label
/// style.
fn prom() -> &'static Prometheus {
    PROM.get_or_init(|| {
        let started = std::time::Instant::now();
        let recorded = spec("svc", &svc_slos(99.0, false));
        let native =
            |names: &[&str], which| read_rules(&recorded, LabelStyle::Native, names, which);
        // `changed` is judged on its objective before its history: one day of it will do.
        let covered = ["diurnal", "incident", "by-handler", "stale-sums"];
        let last_day = ["changed", "young"];
        let current = [&covered[..], &last_day].concat();
        let with_sums: Vec<&str> = current
            .iter()
            .copied()
            .filter(|n| *n != "stale-sums")
            .collect();
        let ratios_from = END - 10 * MINUTE;
        let sloth = |which| read_rules(&sloth_spec(), LabelStyle::Sloth, &["diurnal"], which);
        let prom = with_recorded(
            &data().openmetrics(),
            &[
                vec![
                    (native(&covered, Read::Rates), RULES_FROM, RULES_TO),
                    (native(&last_day, Read::Rates), END - DAY, RULES_TO),
                    (native(&current, Read::Ratios), ratios_from, RULES_TO),
                    (native(&["stale"], Read::Rates), END - DAY, END - HOUR),
                    (
                        native(&["stale"], Read::Ratios),
                        ratios_from - HOUR,
                        END - HOUR,
                    ),
                    (sloth(Read::Rates), END - DAY, RULES_TO),
                    (sloth(Read::Ratios), ratios_from, RULES_TO),
                ],
                vec![
                    (native(&with_sums, Read::Sums), ratios_from, RULES_TO),
                    (
                        native(&["stale", "stale-sums"], Read::Sums),
                        ratios_from - HOUR,
                        END - HOUR,
                    ),
                    (sloth(Read::Sums), ratios_from, RULES_TO),
                ],
            ],
        );
        eprintln!(
            "data and rules backfilled, started in {:?}",
            started.elapsed()
        );
        prom
    })
}

/// `slo report --format json` or `slo check --format text` with `args`.
fn run(prom: &Prometheus, command: &str, spec: &str, args: &[&str]) -> CmdOutput {
    let format = if command == "report" { "json" } else { "text" };
    SloRun::new()
        .args([command, "--format", format])
        .args(args)
        .spec(spec)
        .prometheus(prom)
        .at(END_RFC3339)
        .run()
}

/// Rows keyed by SLO name and group labels.
fn rows(report: &Value) -> Vec<(String, &Value)> {
    report["slos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (format!("{}{}", r["slo"].as_str().unwrap(), r["labels"]), r))
        .collect()
}

fn number(value: &Value) -> Option<f64> {
    value.as_f64()
}

/// The compliance window's ratio of `rules` within 0.1% of `raw`'s and its events within 1%
/// (estimates). Burn rates come from the recorded ratios as of their last evaluation, up to
/// an interval before the report's instant (Prometheus offsets each group's evaluations):
/// within the share of the window five minutes make; over 5m, that is anything.
fn assert_same_numbers(raw: &Value, rules: &Value) {
    let (raw, rules) = (rows(raw), rows(rules));
    assert_eq!(raw.len(), rules.len());
    for ((key, raw), (rules_key, rules)) in raw.iter().zip(&rules) {
        assert_eq!(key, rules_key);
        assert_eq!(raw["source"], "raw", "{key}");
        assert_eq!(rules["source"], "rules", "{key}");
        assert!(
            number(&rules["coverage"]).unwrap() >= 0.99,
            "{key}: {rules}"
        );
        let close = |what: &str, a: &Value, b: &Value, tolerance: f64| match (number(a), number(b))
        {
            (Some(a), Some(b)) => assert!(
                rel_err(b, a) < tolerance,
                "{key} {what}: raw {a}, rules {b} (rel. error {:.2e})",
                rel_err(b, a)
            ),
            _ => assert_eq!(a, b, "{key} {what}"),
        };
        let error_ratio = |row: &Value| Value::from(1.0 - number(&row["sli"]).unwrap());
        close("error ratio", &error_ratio(raw), &error_ratio(rules), 1e-3);
        for (window, rate) in raw["burn_rates"].as_object().unwrap() {
            let secs = slo::model::Window::parse(window).unwrap().secs() as f64;
            let tolerance = (300.0 / secs).max(1e-3);
            if tolerance < 1.0 {
                close(window, rate, &rules["burn_rates"][window], tolerance);
            }
        }
        for count in ["bad", "total"] {
            close(count, &raw["events"][count], &rules["events"][count], 1e-2);
        }
        eprintln!(
            "{key}: error ratio raw {} rules {}, 5m burn raw {} rules {}",
            error_ratio(raw),
            error_ratio(rules),
            raw["burn_rates"]["5m"],
            rules["burn_rates"]["5m"]
        );
    }
}

#[test]
fn rules_path_equals_the_raw_path_on_diurnal_and_incident_histories() {
    let covered = [
        "--slo",
        "diurnal",
        "--slo",
        "incident",
        "--slo",
        "by-handler",
    ];
    // At the instant the ratios were last recorded, so that raw and recorded burn rates are
    // of the same windows: Prometheus offsets each group's evaluations by a hash of its
    // name, so in use the recorded ones lag the report's instant by up to an interval.
    let recorded_at = prom().query_scalar(
        "max(timestamp(slo:sli_error:ratio_rate1h{slo_service=\"svc\"}))",
        END,
    );
    let report = |source: &str| {
        let out = SloRun::new()
            .args(["report", "--format", "json", "--source", source])
            .args(covered)
            .spec(&current_spec())
            .prometheus(prom())
            .at(recorded_at)
            .run();
        out.assert_success("slo report");
        out.json()
    };
    let rules = report("rules");
    assert_same_numbers(&report("raw"), &rules);
    // The incident (20% errors on half the traffic, from 5h to 3h before END) is over, but
    // the 6h window holds it.
    let incident = &rows(&rules)[1].1;
    assert!(
        number(&incident["burn_rates"]["6h"]).unwrap() > 3.0,
        "{incident}"
    );
    // Auto reads the same series for covered SLOs.
    let auto = report("auto");
    assert_eq!(auto["slos"], rules["slos"]);
}

#[test]
fn sloth_label_style_is_detected_from_the_info_series() {
    // Recorded for a day only (as Sloth's style is tested for detection, not accuracy).
    let report = |args: &[&str]| {
        let out = run(
            prom(),
            "report",
            &sloth_spec(),
            &[&["--source", "rules", "--allow-partial-coverage"], args].concat(),
        );
        out.assert_success("slo report");
        out.json()
    };
    let detected = report(&[]);
    let row = &detected["slos"][0];
    assert_eq!(row["source"], "rules", "{row}");
    assert!(
        (number(&row["coverage"]).unwrap() - 1.0 / 3.0).abs() < 0.01,
        "{row}"
    );
    assert_eq!(report(&["--label-style", "sloth"]), detected);
    // Told the other style, nothing is recorded under it.
    run(
        prom(),
        "report",
        &sloth_spec(),
        &["--source", "rules", "--label-style", "native"],
    )
    .status(exit::DATA_SOURCE)
    .stderr_contains("no recorded series of service sl");
}

/// The uncovered SLOs, each with what `--source rules` says about it.
const UNCOVERED: [(&str, &str); 5] = [
    ("young", "the recorded history covers 33."),
    (
        "stale",
        "the newest recorded sample is older than Prometheus' lookback",
    ),
    (
        "changed",
        "the rules were generated for objective 99, the spec says 99.9",
    ),
    (
        "missing",
        "no slo:sli_total_events:rate5m samples for this SLO over the last day",
    ),
    (
        "stale-sums",
        "no slo:sli_total_events:sum3d_rate5m sample within Prometheus' lookback",
    ),
];

#[test]
fn auto_reads_the_raw_series_for_every_slo_the_rules_do_not_cover() {
    let out = run(prom(), "report", &current_spec(), &["--source", "auto"]);
    out.assert_success("slo report --source auto");
    let report = out.json();
    let source = |slo: &str| {
        rows(&report)
            .iter()
            .filter(|(_, r)| r["slo"] == slo)
            .map(|(_, r)| r["source"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    for (slo, why) in UNCOVERED {
        assert_eq!(source(slo), ["raw"], "{slo}");
        out.stderr_contains(&format!("warning: SLO {slo}: {why}"));
        let row = rows(&report)
            .into_iter()
            .find(|(_, r)| r["slo"] == slo)
            .unwrap()
            .1;
        let note = row["source_note"].as_str().unwrap_or_default();
        assert!(note.starts_with(why), "{slo}: {row}");
    }
    assert_eq!(source("by-handler"), ["rules", "rules"]);
    // Never numbers for the wrong objective: `changed` is judged against 99.9.
    let changed = rows(&report)
        .into_iter()
        .find(|(_, r)| r["slo"] == "changed")
        .unwrap()
        .1;
    assert_eq!(changed["objective"], 0.999);
}

#[test]
fn rules_alone_fails_closed_on_every_uncovered_slo() {
    for command in ["report", "check"] {
        let out = run(prom(), command, &current_spec(), &["--source", "rules"]);
        out.status(exit::DATA_SOURCE);
        for (slo, why) in UNCOVERED {
            // `report` says `error: SLO young: ...`, `check` `ERROR young: ...`.
            let message = format!("--source rules: {why}");
            let said = |text: &str| {
                text.lines()
                    .any(|l| l.contains(&format!(" {slo}: ")) && l.contains(&message))
            };
            assert!(
                said(&out.stderr) || said(&out.stdout),
                "{command}: no {message:?} for {slo}\n{out}"
            );
        }
    }
    // Each alone, through the environment this time.
    for (slo, _) in UNCOVERED {
        SloRun::new()
            .args(["check", "--slo", slo])
            .env("SLO_SOURCE", "rules")
            .spec(&current_spec())
            .prometheus(prom())
            .at(END_RFC3339)
            .run()
            .status(exit::DATA_SOURCE);
    }
}

#[test]
fn partial_coverage_is_reported_from_what_is_recorded_when_allowed() {
    let args = ["--source", "rules", "--slo", "young"];
    run(prom(), "report", &current_spec(), &args)
        .status(exit::DATA_SOURCE)
        .stderr_contains("--allow-partial-coverage reports from what is recorded");
    let out = run(
        prom(),
        "report",
        &current_spec(),
        &[&args[..], &["--allow-partial-coverage"]].concat(),
    );
    out.assert_success("slo report --allow-partial-coverage");
    let row = &out.json()["slos"][0];
    assert_eq!(row["source"], "rules");
    let coverage = number(&row["coverage"]).unwrap();
    assert!((coverage - 1.0 / 3.0).abs() < 0.01, "{row}");
    // One day of ~1000 requests a minute, not three.
    let total = number(&row["events"]["total"]).unwrap();
    assert!(rel_err(total, 1000.0 * 1440.0) < 0.02, "{row}");
    // Only with --source rules: auto reads the raw series instead.
    run(
        prom(),
        "report",
        &current_spec(),
        &["--allow-partial-coverage"],
    )
    .status(exit::INVALID)
    .stderr_contains("--allow-partial-coverage applies to --source rules only");
}

/// The series the rules path reads for the SLOs `names` of service `service` (objective 99,
/// window 3d, 0.1% errors at 16 requests a second), written as promtool would record them
/// every minute over the last ten minutes: no rule evaluation, so 200 SLOs take no time.
fn recorded_openmetrics(service: &str, names: &[String]) -> String {
    let labels = |name: &str| format!("slo_service=\"{service}\",slo_name=\"{name}\"");
    let window = slo::model::Window::from_secs(WINDOW as u64);
    let mut families: Vec<(String, Vec<String>)> = vec![
        (promql::TOTAL_EVENTS_RATE_RECORD.into(), vec![]),
        (promql::BAD_EVENTS_RATE_RECORD.into(), vec![]),
        (promql::total_events_sum_record(window), vec![]),
        (promql::bad_events_sum_record(window), vec![]),
        ("slo_info".into(), vec![]),
    ];
    families.extend(
        BURN_RATE_WINDOWS
            .iter()
            .map(|w| (promql::error_ratio_record(*w), vec![])),
    );
    for t in (END - 10 * MINUTE..=END).step_by(MINUTE as usize) {
        for name in names {
            let l = labels(name);
            let mut values = vec![
                format!("{{{l}}} 16 {t}"),
                format!("{{{l}}} 0.016 {t}"),
                format!("{{{l},slo_window=\"3d\"}} 160 {t}"),
                format!("{{{l},slo_window=\"3d\"}} 0.16 {t}"),
                format!("{{{l},slo_objective=\"99\",slo_window=\"3d\"}} 1 {t}"),
            ];
            values.extend(
                BURN_RATE_WINDOWS
                    .iter()
                    .map(|w| format!("{{{l},slo_window=\"{w}\"}} 0.001 {t}")),
            );
            for ((_, lines), value) in families.iter_mut().zip(values) {
                lines.push(value);
            }
        }
    }
    let mut text = String::new();
    for (family, lines) in families {
        text.push_str(&format!("# TYPE {family} gauge\n"));
        for line in lines {
            text.push_str(&format!("{family}{line}\n"));
        }
    }
    text + "# EOF\n"
}

#[test]
fn a_report_from_rules_sends_as_many_queries_for_200_slos_as_for_2() {
    // A Prometheus of its own: the other tests' queries would be counted too. Ten minutes
    // of recorded history are enough to count queries (reported as partial coverage).
    let names: Vec<String> = (0..200).map(|i| format!("s{i:03}")).collect();
    let slos: Vec<String> = names
        .iter()
        .map(|name| slo_yaml(name, 99.0, "steady", ""))
        .collect();
    let many = spec("many", &slos);
    let prom = Prometheus::start(&recorded_openmetrics("many", &names));
    let count = |args: &[&str]| {
        let before = prom.queries_run();
        let out = run(
            &prom,
            "report",
            &many,
            &[&["--source", "rules", "--allow-partial-coverage"], args].concat(),
        );
        out.assert_success("slo report --source rules");
        let report = out.json();
        let slos = report["slos"].as_array().unwrap();
        assert!(slos.iter().all(|r| r["source"] == "rules"), "{report}");
        (slos.len(), prom.queries_run() - before)
    };
    let (two, two_queries) = count(&["--slo", "s000", "--slo", "s199"]);
    let (all, all_queries) = count(&[]);
    eprintln!("{two} SLOs: {two_queries} queries; {all} SLOs: {all_queries} queries");
    assert_eq!((two, all), (2, 200));
    assert_eq!(two_queries, all_queries);
    // The info series; the rates' last sample and their counts over the last day and hour;
    // the burn-window ratios; per compliance window the two sums, the sums' last sample and
    // the count of the oldest hundredth; and, as this history is young, the whole window's.
    assert!(all_queries <= 10.0, "{all_queries} queries");
}

#[test]
fn calendar_slos_are_read_raw_by_auto_and_fail_closed_under_rules() {
    // `diurnal` is recorded over its rolling window; a calendar week never is.
    let weekly = "  - name: weekly\n    objective: 99\n    window: week\n    sli:\n      ratio:\n        \
                  errors: http_requests_total{job=\"steady\",status=\"5xx\"}\n        \
                  total: http_requests_total{job=\"steady\"}\n";
    let spec = format!(
        "version: 1\nservice: svc\ntimezone: UTC\nslos:\n{}{weekly}",
        slo_yaml("diurnal", 99.0, "diurnal", "")
    );
    let out = run(prom(), "report", &spec, &["--source", "auto"]);
    out.assert_success("slo report --source auto");
    let report = out.json();
    let (diurnal, weekly) = (&report["slos"][0], &report["slos"][1]);
    assert_eq!(diurnal["source"], "rules", "{diurnal}");
    assert!(diurnal.get("source_note").is_none(), "{diurnal}");
    assert_eq!(weekly["source"], "raw", "{weekly}");
    assert_eq!(weekly["period"]["calendar"], "week", "{weekly}");
    assert!(
        weekly["source_note"]
            .as_str()
            .unwrap()
            .contains("a calendar window (week) is not recorded"),
        "{weekly}"
    );
    // By design, not a gap: no warning.
    assert!(!out.stderr.contains("weekly"), "{out}");
    for allow in [&[][..], &["--allow-partial-coverage"]] {
        run(
            prom(),
            "check",
            &spec,
            &[&["--source", "rules", "--slo", "weekly"], allow].concat(),
        )
        .status(exit::DATA_SOURCE)
        .stdout_contains("--source rules: a calendar window (week) is not recorded");
    }
}
