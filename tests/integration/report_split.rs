//! Issue #13: `--source raw` asks one query per window for a ratio SLI whose counted selector
//! is its total's plus matchers, splitting the total's series by marks instead of scanning
//! them twice. On a real Prometheus, each SLI is written twice: once so that it splits, and
//! once with a total matcher the counted selector lacks (`status=~".+"`, which every series
//! passes), which keeps today's two queries. Both must report the same numbers.

use std::sync::{Mutex, MutexGuard, OnceLock};

use serde_json::Value;

use crate::harness::scenarios::{DAY, END_RFC3339, HOUR, MINUTE, REQUESTS};
use crate::harness::*;

/// The SLOs' compliance window: the shortest allowed, so the data stays small.
const WINDOW: &str = "3d";

/// 1m-spaced requests over the window and two hours more: job `split` with 2xx, 4xx and 5xx
/// on two handlers (5xx climbing to 20% over the last half hour of `/items`, so each window
/// has its own burn rate), and job `clean`, whose error series was never created.
fn data() -> Dataset {
    let grid = Grid::uniform(END - 3 * DAY - 2 * HOUR, END, MINUTE);
    let mut data = DataBuilder::new();
    let recent = |t: i64| t > END - 30 * MINUTE;
    for (handler, per_second, fraction_4xx) in [("/items", 16.0, 0.01), ("/health", 2.0, 0.05)] {
        let fraction_5xx = move |t: i64| match (handler, recent(t)) {
            ("/items", true) => 0.2,
            _ => 0.002,
        };
        let labels = |status| [("job", "split"), ("handler", handler), ("status", status)];
        data.counter_rate(REQUESTS, &labels("2xx"), &grid, &[], |t| {
            per_second * (1.0 - fraction_4xx - fraction_5xx(t))
        });
        data.counter_rate(REQUESTS, &labels("4xx"), &grid, &[], |_| {
            per_second * fraction_4xx
        });
        data.counter_rate(REQUESTS, &labels("5xx"), &grid, &[], |t| {
            per_second * fraction_5xx(t)
        });
    }
    let clean = [("job", "clean"), ("handler", "/items"), ("status", "2xx")];
    data.counter_rate(REQUESTS, &clean, &grid, &[], |_| 10.0);
    data.build()
}

static PROM: OnceLock<Prometheus> = OnceLock::new();
/// Held by each test while it queries [`PROM`], so that a test counting the queries the
/// server answers counts its own only.
static QUERYING: Mutex<()> = Mutex::new(());

/// The module's Prometheus, to query while the guard is held.
fn prom() -> (MutexGuard<'static, ()>, &'static Prometheus) {
    let guard = QUERYING.lock().unwrap_or_else(|e| e.into_inner());
    (
        guard,
        PROM.get_or_init(|| Prometheus::start(&data().openmetrics())),
    )
}

/// The suffix of the twin that keeps two queries.
const TWO_QUERIES: &str = "-two-queries";

/// An SLO `name` counting `events` (`errors` or `good`) of `counted` (matchers) among the
/// requests of `job`, and its twin that cannot split.
fn twins(name: &str, events: &str, job: &str, counted: &str, group_by: &str) -> [String; 2] {
    let slo = |name: &str, total: &str| {
        format!(
            "  - name: {name}\n    objective: 99\n    window: {WINDOW}\n    sli:\n      ratio:\n        \
             {events}: {REQUESTS}{{job=\"{job}\",{counted}}}\n        \
             total: {REQUESTS}{{job=\"{job}\"{total}}}\n{group_by}"
        )
    };
    [
        slo(name, ""),
        slo(&format!("{name}{TWO_QUERIES}"), ",status=~\".+\""),
    ]
}

/// Every pair of twins: each operator, `good` and `errors`, grouped and not, and an error
/// series that does not exist.
fn spec() -> String {
    let by_handler = "        group_by: [handler]\n";
    let slos = [
        twins("errors-regex", "errors", "split", r#"status=~"5..""#, ""),
        twins(
            "errors-equal",
            "errors",
            "split",
            r#"status="5xx""#,
            by_handler,
        ),
        twins("good-equal", "good", "split", r#"status="2xx""#, by_handler),
        twins(
            "errors-not-equal",
            "errors",
            "split",
            r#"status!="2xx""#,
            "",
        ),
        twins(
            "good-not-regex",
            "good",
            "split",
            r#"status!~"[45]..""#,
            by_handler,
        ),
        twins(
            "errors-two-matchers",
            "errors",
            "split",
            r#"handler="/items",status="5xx""#,
            "",
        ),
        twins("errors-absent", "errors", "clean", r#"status="5xx""#, ""),
    ]
    .concat();
    specs::spec("split", "", &slos)
}

fn report(prom: &Prometheus, spec: &str, extra: &[&str]) -> CmdOutput {
    SloRun::new()
        .args(["report", "--format", "json", "--source", "raw"])
        .args(extra)
        .spec(spec)
        .prometheus(prom)
        .at(END_RFC3339)
        .run()
}

/// Equal JSON, numbers within what adding the same sums in another order can change.
#[track_caller]
fn assert_same(what: &str, split: &Value, two: &Value) {
    match (split, two) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!(
                rel_err(a, b) < 1e-12,
                "{what}: {a} split, {b} in two queries"
            );
        }
        (Value::Object(a), Value::Object(b)) => {
            assert_eq!(
                a.keys().collect::<Vec<_>>(),
                b.keys().collect::<Vec<_>>(),
                "{what}"
            );
            for (key, value) in a {
                assert_same(&format!("{what}.{key}"), value, &b[key]);
            }
        }
        _ => assert_eq!(split, two, "{what}"),
    }
}

#[test]
fn split_and_two_query_slis_report_the_same_numbers() {
    let (_querying, prom) = prom();
    let out = report(prom, &spec(), &[]);
    out.assert_success("slo report --source raw");
    let report = out.json();
    let rows = report["slos"].as_array().unwrap();
    let (twins, splits): (Vec<&Value>, Vec<&Value>) = rows
        .iter()
        .partition(|r| r["slo"].as_str().unwrap().ends_with(TWO_QUERIES));
    assert_eq!(splits.len(), 10, "{report:#}");
    for split in &splits {
        let name = split["slo"].as_str().unwrap();
        let twin = twins
            .iter()
            .find(|r| r["slo"] == format!("{name}{TWO_QUERIES}") && r["labels"] == split["labels"])
            .unwrap_or_else(|| panic!("no twin of {name} {}", split["labels"]));
        let mut twin = (*twin).clone();
        twin["slo"] = split["slo"].clone();
        assert_same(&format!("{name} {}", split["labels"]), split, &twin);
    }
    // The numbers are the data's, not two equal mistakes.
    let row = |name: &str, handler: Option<&str>| {
        splits
            .iter()
            .find(|r| r["slo"] == name && handler.is_none_or(|h| r["labels"]["handler"] == h))
            .unwrap()
    };
    let bad = |name, handler| row(name, handler)["events"]["bad"].as_f64().unwrap();
    let total = |name, handler| row(name, handler)["events"]["total"].as_f64().unwrap();
    // 3d of 18 requests a second, 0.2% 5xx (20% for /items' last half hour), 1.2% 4xx.
    assert!(rel_err(total("errors-regex", None), 18.0 * 3.0 * 86_400.0) < 0.01);
    let errors_5xx = bad("errors-regex", None);
    let expected_5xx = 0.002 * 18.0 * 3.0 * 86_400.0 + 0.198 * 16.0 * 1800.0;
    assert!(
        rel_err(errors_5xx, expected_5xx) < 0.01,
        "{errors_5xx} 5xx errors"
    );
    assert_eq!(
        bad("errors-equal", Some("/items")) + bad("errors-equal", Some("/health")),
        errors_5xx
    );
    assert!(bad("errors-not-equal", None) > errors_5xx + 1000.0);
    assert_eq!(
        bad("good-equal", Some("/health")),
        bad("good-not-regex", Some("/health"))
    );
    assert_eq!(
        bad("errors-two-matchers", None),
        bad("errors-equal", Some("/items"))
    );
    let burn = |w: &str| {
        row("errors-two-matchers", None)["burn_rates"][w]
            .as_f64()
            .unwrap()
    };
    assert!(
        burn("5m") > 10.0 * burn("1d"),
        "{}",
        row("errors-two-matchers", None)
    );
    // No error series at all: zero errors, not no data.
    let absent = row("errors-absent", None);
    assert_eq!(
        (
            bad("errors-absent", None),
            &absent["status"],
            &absent["sli"]
        ),
        (0.0, &Value::from("ok"), &Value::from(1.0)),
        "{absent}"
    );
}

#[test]
fn a_split_sli_asks_six_queries_where_two_queries_need_twelve() {
    // Five burn-rate windows and a compliance window longer than the longest of them.
    let spec = spec().replace(&format!("window: {WINDOW}"), "window: 30d");
    let (_querying, prom) = prom();
    let count = |slo: &str| {
        let before = prom.queries_run();
        report(prom, &spec, &["--slo", slo]).assert_success("slo report --source raw");
        prom.queries_run() - before
    };
    let names: Vec<String> = spec
        .lines()
        .filter_map(|l| l.strip_prefix("  - name: "))
        .map(str::to_string)
        .collect();
    assert_eq!(names.len(), 14);
    for name in names {
        let expected = if name.ends_with(TWO_QUERIES) {
            12.0
        } else {
            6.0
        };
        assert_eq!(count(&name), expected, "{name}");
    }
}
