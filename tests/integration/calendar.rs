//! Calendar windows (`window: week|month|quarter`) against a real Prometheus holding two
//! months of data around the leap February of 2024, checked against the generated counters.
//!
//! Each job's error fraction changes exactly at the local midnights where its time zone's
//! months and ISO weeks begin, so a window that starts an hour off (UTC for a Berlin month)
//! misses the truth by far more than the tolerance, while a right one matches it.

use std::sync::OnceLock;

use jiff::tz::TimeZone;
use serde_json::Value;

use crate::harness::process::run_with_input;
use crate::harness::scenarios::{MINUTE, REQUESTS};
use crate::harness::*;

/// Largest relative error allowed between a reported error ratio and the truth.
const TOLERANCE: f64 = 1e-3;
/// Jobs and the time zone their error fraction follows.
const ZONES: [(&str, &str); 2] = [("utc", "UTC"), ("berlin", "Europe/Berlin")];

/// Where the months of the data begin, in UTC and in Berlin.
const MONTH_STARTS: [&str; 6] = [
    "2024-01-01T00:00:00Z",
    "2024-02-01T00:00:00Z",
    "2024-03-01T00:00:00Z",
    "2023-12-31T23:00:00Z",
    "2024-01-31T23:00:00Z",
    "2024-02-29T23:00:00Z",
];

struct Fixture {
    prom: Prometheus,
    data: Dataset,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fn secs(rfc3339: &str) -> i64 {
    slo::timestamp::parse(rfc3339).unwrap() as i64
}

/// Errors per request in `zone` at `t`: 0.1 % to 0.3 % by local month, half as much again in
/// odd ISO weeks.
fn error_fraction(zone: &TimeZone, t: i64) -> f64 {
    let date = jiff::Timestamp::from_second(t)
        .unwrap()
        .to_zoned_datetime(zone.clone())
        .date();
    let by_month = 1.0 + f64::from(date.month() % 3);
    let by_week = 1.0 + f64::from(date.iso_week_date().week() % 2) / 2.0;
    0.001 * by_month * by_week
}

fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        // 10-minute samples keep the backfill small; 1-minute ones for the hour after each
        // month start leave little for Prometheus to extrapolate where a window begins.
        let mut ts = Grid::uniform(
            secs("2023-12-30T00:00:00Z"),
            secs("2024-03-01T06:00:00Z"),
            10 * MINUTE,
        )
        .ts;
        for start in MONTH_STARTS {
            ts.extend((0..60).map(|m| secs(start) + m * MINUTE));
        }
        ts.sort_unstable();
        ts.dedup();
        let grid = Grid { ts };
        let mut b = DataBuilder::new();
        for (job, zone) in ZONES {
            let zone = TimeZone::get(zone).unwrap();
            let per_sec = 600.0 / 60.0;
            let lbl = |status| [("job", job), ("status", status)];
            b.counter_rate(REQUESTS, &lbl("2xx"), &grid, &[], |t| {
                per_sec * (1.0 - error_fraction(&zone, t))
            });
            b.counter_rate(REQUESTS, &lbl("5xx"), &grid, &[], |t| {
                per_sec * error_fraction(&zone, t)
            });
        }
        let data = b.build();
        let prom = Prometheus::start(&data.openmetrics());
        Fixture { prom, data }
    })
}

/// One calendar SLO `availability` over the requests of `job`.
fn spec(job: &str, window: &str, timezone: &str) -> String {
    specs::spec(
        job,
        &format!("timezone: {timezone}"),
        &[specs::requests_slo("availability", 99.0, window, job)],
    )
}

fn report(spec: &str, at: &str, extra: &[&str]) -> Value {
    let out = SloRun::new()
        .args(["report", "--format", "json"])
        .args(extra)
        .spec(spec)
        .prometheus(&fixture().prom)
        .at(at)
        .run();
    out.assert_success("slo report");
    out.json()["slos"][0].clone()
}

fn truth(job: &str, from: i64, to: i64) -> f64 {
    fixture().data.true_ratio(
        REQUESTS,
        &[("job", job), ("status", "5xx")],
        &[("job", job)],
        from,
        to,
    )
}

fn error_ratio(row: &Value) -> f64 {
    row["events"]["bad"].as_f64().unwrap() / row["events"]["total"].as_f64().unwrap()
}

/// The row's error ratio is the truth over its period's start to `to`, and its period is
/// `[start, end)`.
fn assert_period(row: &Value, job: &str, start: &str, end: &str, to: i64) {
    assert_eq!(row["period"]["start"], start, "{row:#}");
    assert_eq!(row["period"]["end"], end, "{row:#}");
    let expected = truth(job, secs(start), to);
    let actual = error_ratio(row);
    assert!(
        rel_err(actual, expected) < TOLERANCE,
        "{job} from {start}: error ratio {actual}, truth {expected}"
    );
    let sli = row["sli"].as_f64().unwrap();
    assert!(rel_err(1.0 - sli, expected) < TOLERANCE, "{row:#}");
}

#[test]
fn month_to_date_in_utc_and_in_berlin_starts_at_local_midnight() {
    let at = "2024-02-02T12:00:00Z";
    let utc = report(&spec("utc", "month", "UTC"), at, &[]);
    assert_period(
        &utc,
        "utc",
        "2024-02-01T00:00:00Z",
        "2024-03-01T00:00:00Z",
        secs(at),
    );
    assert_eq!(utc["window"], "30d");
    assert_eq!(utc["period"]["calendar"], "month");
    assert_eq!(utc["period"]["timezone"], "UTC");
    let elapsed = utc["period"]["elapsed"].as_f64().unwrap();
    assert!(rel_err(elapsed, 1.5 / 29.0) < 1e-9, "{elapsed}");

    for job in ["berlin", "utc"] {
        let berlin = report(&spec(job, "month", "Europe/Berlin"), at, &[]);
        assert_period(
            &berlin,
            job,
            "2024-01-31T23:00:00Z",
            "2024-02-29T23:00:00Z",
            secs(at),
        );
        assert_eq!(berlin["period"]["timezone"], "Europe/Berlin");
    }
    // The data tells the two months apart: the utc job's errors over the UTC month are not
    // those over the Berlin month, which holds an hour of January's.
    let (utc_month, berlin_month) = (secs("2024-02-01T00:00:00Z"), secs("2024-01-31T23:00:00Z"));
    let (utc_truth, berlin_truth) = (
        truth("utc", utc_month, secs(at)),
        truth("utc", berlin_month, secs(at)),
    );
    assert!(
        rel_err(berlin_truth, utc_truth) > 3.0 * TOLERANCE,
        "{utc_truth} {berlin_truth}"
    );
}

#[test]
fn previous_period_is_the_whole_previous_month() {
    let at = "2024-02-02T12:00:00Z";
    for (job, zone, start, end) in [
        ("utc", "UTC", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"),
        (
            "berlin",
            "Europe/Berlin",
            "2023-12-31T23:00:00Z",
            "2024-01-31T23:00:00Z",
        ),
    ] {
        let row = report(&spec(job, "month", zone), at, &["--period", "previous"]);
        assert_period(&row, job, start, end, secs(end));
        assert_eq!(row["period"]["elapsed"], 1.0);
    }
}

#[test]
fn a_leap_february_has_29_days() {
    let row = report(
        &spec("utc", "month", "UTC"),
        "2024-03-01T06:00:00Z",
        &["--period", "previous"],
    );
    assert_period(
        &row,
        "utc",
        "2024-02-01T00:00:00Z",
        "2024-03-01T00:00:00Z",
        secs("2024-03-01T00:00:00Z"),
    );
    assert_eq!(row["period"]["elapsed"], 1.0);
}

#[test]
fn quarter_to_date_and_an_iso_week() {
    let at = "2024-02-20T06:00:00Z";
    let quarter = report(&spec("utc", "quarter", "UTC"), at, &[]);
    assert_period(
        &quarter,
        "utc",
        "2024-01-01T00:00:00Z",
        "2024-04-01T00:00:00Z",
        secs(at),
    );
    assert_eq!(quarter["window"], "90d");

    // Wednesday 2024-01-31 is in ISO week 5, which began on Monday 29 January.
    let at = "2024-01-31T18:00:00Z";
    let week = report(&spec("berlin", "week", "Europe/Berlin"), at, &[]);
    assert_period(
        &week,
        "berlin",
        "2024-01-28T23:00:00Z",
        "2024-02-04T23:00:00Z",
        secs(at),
    );
    assert_eq!(week["window"], "7d");
    let table = SloRun::new()
        .args(["report", "--format", "table"])
        .spec(&spec("berlin", "week", "Europe/Berlin"))
        .prometheus(&fixture().prom)
        .at(at)
        .run();
    table
        .assert_success("slo report")
        .stdout_contains("week (W05)");
}

#[test]
fn previous_period_refuses_rolling_windows() {
    let spec = specs::spec(
        "utc",
        "",
        &[specs::requests_slo("rolling", 99.0, "30d", "utc")],
    );
    SloRun::new()
        .args(["report", "--period", "previous"])
        .spec(&spec)
        .prometheus(refused_url().as_str())
        .at("2024-02-02T12:00:00Z")
        .run()
        .status(slo::exit::INVALID)
        .stderr_contains("SLO rolling has a rolling window");
}

/// The `[t, budget]` points of a row's history.
fn history(row: &Value) -> Vec<(f64, f64)> {
    row["history"]
        .as_array()
        .unwrap_or_else(|| panic!("no history in {row:#}"))
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect()
}

/// Points are `step` apart and the last is at `at`.
fn assert_spacing(points: &[(f64, f64)], step: f64, at: &str) {
    assert_eq!(points.last().unwrap().0, secs(at) as f64);
    for pair in points.windows(2) {
        assert!(
            (pair[1].0 - pair[0].0 - step).abs() < 1e-3,
            "{pair:?} not {step}s apart"
        );
    }
}

#[test]
fn a_rolling_history_ends_at_the_reported_budget() {
    let at = "2024-02-20T00:00:00Z";
    let spec = specs::spec(
        "utc",
        "",
        &[specs::requests_slo("availability", 99.0, "7d", "utc")],
    );
    let row = report(&spec, at, &["--history"]);
    let points = history(&row);
    // 7d in 3h steps: 56 steps, 57 points.
    assert_eq!(points.len(), 57);
    assert_spacing(&points, 3.0 * 3600.0, at);
    assert_eq!(
        points.last().unwrap().1,
        row["budget_remaining"].as_f64().unwrap()
    );

    let row = report(&spec, at, &["--history", "--step", "1d"]);
    let points = history(&row);
    assert_eq!(points.len(), 8);
    assert_spacing(&points, 86_400.0, at);
}

#[test]
fn a_calendar_history_burns_down_from_the_period_start() {
    let at = "2024-02-10T12:00:00Z";
    let row = report(&spec("utc", "month", "UTC"), at, &["--history"]);
    let points = history(&row);
    assert_eq!(points.len(), 48);
    // 9.5 days in 48 steps.
    assert_spacing(&points, 9.5 * 86_400.0 / 48.0, at);
    let (last, reported) = (
        points.last().unwrap().1,
        row["budget_remaining"].as_f64().unwrap(),
    );
    // Compared as error ratios (1 - budget) × error budget, the report's own tolerance.
    assert!(
        rel_err((1.0 - last) * 0.01, (1.0 - reported) * 0.01) < TOLERANCE,
        "{last} {reported}"
    );
    let first_step = truth("utc", secs("2024-02-01T00:00:00Z"), points[0].0 as i64);
    assert!(rel_err((1.0 - points[0].1) * 0.01, first_step) < 10.0 * TOLERANCE);
}

#[test]
fn an_slo_without_data_has_no_invented_points() {
    let spec = specs::spec(
        "nothing",
        "",
        &[specs::requests_slo("availability", 99.0, "7d", "nothing")],
    );
    let row = report(&spec, "2024-02-20T00:00:00Z", &["--history"]);
    assert_eq!(row["status"], "no_data");
    assert_eq!(row["history"], serde_json::json!([]));
}

#[test]
fn the_table_draws_the_history_in_blocks_or_in_ascii() {
    let table = |lang: &str| {
        let out = SloRun::new()
            .args(["report", "--history", "--format", "table"])
            .spec(&spec("utc", "month", "UTC"))
            .prometheus(&fixture().prom)
            .at("2024-02-10T12:00:00Z")
            .env("LANG", lang)
            .env("LC_ALL", "")
            .env("LC_CTYPE", "")
            .run();
        out.assert_success("slo report");
        out.stdout
    };
    let unicode = table("C.UTF-8");
    // 64% of the budget is left throughout.
    assert!(unicode.contains(&"▅".repeat(24)), "{unicode}");
    let ascii = table("C");
    assert!(
        ascii.contains(&"~".repeat(24)) && ascii.is_ascii(),
        "{ascii}"
    );
    assert!(!ascii.contains('\u{1b}'), "no colours when not a terminal");
}

/// A PNG screenshot of `page` by Debian's chromium, headless.
fn screenshot(page: &std::path::Path, png: &std::path::Path, profile: &std::path::Path) {
    let mut cmd = std::process::Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        "--window-size=1000,1600",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--screenshot={}", png.display()))
    .arg(format!("file://{}", page.display()));
    let out = run_with_input(cmd, None, std::time::Duration::from_secs(120));
    assert!(
        png.exists(),
        "chromium made no screenshot (is Debian's chromium installed? scripts/test.sh installs it): {}",
        out.stderr
    );
}

#[test]
fn the_html_report_is_one_page_that_fetches_nothing_with_a_chart_per_slo() {
    let dir = TempDir::new("html-report");
    let page = dir.join("report.html");
    let slos = [
        specs::requests_slo("monthly", 99.0, "month", "berlin"),
        specs::requests_slo("rolling", 99.0, "7d", "utc"),
        specs::requests_slo("silent", 99.0, "7d", "nothing"),
    ];
    let spec = specs::spec("html-demo", "timezone: Europe/Berlin", &slos);
    SloRun::new()
        .args(["report", "--format", "html", "--output"])
        .arg(page.as_os_str())
        .spec(&spec)
        .prometheus(&fixture().prom)
        .at("2024-02-10T12:00:00Z")
        .run()
        .assert_success("slo report --format html")
        .stdout_empty();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for fetch in [
        "src=\"http",
        "href=\"http",
        "http://",
        "https://",
        "<script",
        "<link",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(fetch), "the page holds `{fetch}`");
    }
    assert_eq!(html.matches("<section class=\"slo\"").count(), 3);
    assert_eq!(html.matches("<svg").count(), 3, "one chart per SLO row");
    assert_eq!(html.matches("<title id=\"chart-title").count(), 3);
    assert_eq!(
        html.matches("class=\"projection\"").count(),
        1,
        "only the month projects"
    );
    assert!(html.contains("No data: the window had no events."));
    assert!(html.contains("prefers-color-scheme: dark") && html.contains("@media print"));

    let blank = dir.join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><html><body></body></html>").unwrap();
    let (shot, blank_shot) = (dir.join("report.png"), dir.join("blank.png"));
    screenshot(&page, &shot, &dir.join("profile"));
    screenshot(&blank, &blank_shot, &dir.join("profile"));
    let size = |p: &std::path::Path| std::fs::metadata(p).unwrap().len();
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        size(&shot) > 4 * size(&blank_shot),
        "the screenshot ({} bytes) is hardly more than a blank page's ({} bytes)",
        size(&shot),
        size(&blank_shot)
    );
    if let Some(keep) = std::env::var_os("SLO_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}

#[test]
fn markdown_with_history_holds_a_burn_down_per_slo_with_data() {
    let slos = [
        specs::requests_slo("monthly", 99.0, "month", "utc"),
        specs::requests_slo("silent", 99.0, "7d", "nothing"),
    ];
    let spec = specs::spec("md", "", &slos);
    let run = |command: &str, format: &str, summary: &std::path::Path| {
        SloRun::new()
            .args([command, "--history", "--format", format])
            .spec(&spec)
            .prometheus(&fixture().prom)
            .at("2024-02-10T12:00:00Z")
            .env("GITHUB_STEP_SUMMARY", summary)
            .run()
    };
    let dir = TempDir::new("markdown-history");
    let out = run("report", "markdown", &dir.join("unused.md"));
    out.assert_success("slo report --format markdown --history");
    let markdown = out.stdout;
    assert_eq!(
        markdown.matches("```mermaid\nxychart-beta\n").count(),
        1,
        "{markdown}"
    );
    assert!(
        markdown.contains("title \"monthly: budget remaining\""),
        "{markdown}"
    );
    assert!(
        markdown.contains("x-axis \"days into month (Feb)\""),
        "{markdown}"
    );

    // `check` without data fails (exit 3), but still writes its step summary.
    let summary = dir.join("summary.md");
    run("check", "github", &summary);
    let written = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(
        written.matches("```mermaid\nxychart-beta\n").count(),
        1,
        "{written}"
    );
}

#[test]
fn a_step_giving_more_points_than_prometheus_returns_is_a_usage_error() {
    let spec = specs::spec(
        "utc",
        "",
        &[specs::requests_slo("weekly", 99.0, "7d", "utc")],
    );
    SloRun::new()
        .args(["report", "--history", "--step", "30s"])
        .spec(&spec)
        .prometheus(refused_url().as_str())
        .run()
        .status(slo::exit::INVALID)
        .stderr_contains("--step 30s: more than 11000 points across the 7d window of SLO weekly");
}
