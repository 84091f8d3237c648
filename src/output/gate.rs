//! `slo check`'s text output, and the phrases every gate output (text, GitHub, JUnit, JSON)
//! uses, so all of them say the same thing in the same words.

use std::fmt::Write;

use serde::Serialize;
use serde_json::{Value, json};

use crate::gate::{GateResult, RowVerdict, Rule, RuleResult, Unevaluated, Verdict};
use crate::model::tidy;
use crate::promql;
use crate::report::Report;

/// One line per row, then a summary line.
pub fn render_text(gate: &GateResult) -> String {
    let mut out = String::new();
    for row in &gate.rows {
        let _ = writeln!(out, "{}", row_line(row));
    }
    let _ = writeln!(out, "{}", summary(gate));
    out
}

/// `PASS  availability: budget remaining 62.5% >= min 0%`; always a single line, even when
/// an error message from Prometheus spans several.
pub fn row_line(row: &RowVerdict) -> String {
    let line = format!(
        "{:<5} {}: {}",
        verdict_word(row.verdict),
        row_name(row),
        details(row)
    );
    line.split(['\r', '\n'])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Error => "ERROR",
    }
}

/// The SLO name, with the group's labels when it is grouped: `availability{handler="/a"}`.
pub fn row_name(row: &RowVerdict) -> String {
    if row.labels.is_empty() {
        return row.slo.clone();
    }
    let labels: Vec<String> = row
        .labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", promql::escape(v)))
        .collect();
    format!("{}{{{}}}", row.slo, labels.join(","))
}

/// What was checked and what came of it; why not, when the row could not be evaluated.
pub fn details(row: &RowVerdict) -> String {
    match &row.unevaluated {
        Some(why @ Unevaluated::NoBurnRateData { .. }) => format!(
            "{}; {}",
            rules_text(&row.results),
            unevaluated_text(why, row.verdict)
        ),
        Some(why) => unevaluated_text(why, row.verdict),
        None => rules_text(&row.results),
    }
}

/// The broken rules only, e.g. for a failure's one-line message.
pub fn failures_text(row: &RowVerdict) -> String {
    row.failed().map(rule_text).collect::<Vec<_>>().join(", ")
}

fn rules_text(results: &[RuleResult]) -> String {
    results.iter().map(rule_text).collect::<Vec<_>>().join(", ")
}

/// `budget remaining 40% < min 50%`, `burn rate 1h 2.1 <= max 14.4`.
pub fn rule_text(result: &RuleResult) -> String {
    let (what, unit) = match result.rule {
        Rule::MinBudgetRemaining(_) => ("budget remaining".to_string(), "%"),
        Rule::MaxBurnRate { window, .. } => (format!("burn rate {window}"), ""),
    };
    let bound = match result.rule {
        Rule::MinBudgetRemaining(_) => "min",
        Rule::MaxBurnRate { .. } => "max",
    };
    let threshold = result.rule.threshold();
    let Some(observed) = result.observed else {
        return format!(
            "{what} unknown ({bound} {}{unit})",
            promql::number(threshold)
        );
    };
    let (observed_text, threshold_text) = distinguishable(observed, threshold);
    let relation = match (result.rule, result.rule.holds(observed)) {
        (Rule::MinBudgetRemaining(_), true) => ">=",
        (Rule::MinBudgetRemaining(_), false) => "<",
        (Rule::MaxBurnRate { .. }, true) => "<=",
        (Rule::MaxBurnRate { .. }, false) => ">",
    };
    format!("{what} {observed_text}{unit} {relation} {bound} {threshold_text}{unit}")
}

/// Why (part of) a row was not evaluated, and what `--allow-no-data` made of it.
pub fn unevaluated_text(why: &Unevaluated, verdict: Verdict) -> String {
    let no_data_suffix = if verdict == Verdict::Error {
        " (--allow-no-data would pass it)"
    } else {
        ", allowed by --allow-no-data"
    };
    match why {
        Unevaluated::EvaluationError(message) => format!("could not be evaluated: {message}"),
        Unevaluated::NoData { window } => {
            format!("no data: no events in the {window} window{no_data_suffix}")
        }
        Unevaluated::NoBurnRateData { windows } => {
            let windows: Vec<String> = windows.iter().map(|w| w.to_string()).collect();
            format!(
                "no events in the last {}, so its burn-rate rule cannot be checked{no_data_suffix}",
                windows.join(", ")
            )
        }
        Unevaluated::NoPolicy => "no gate policy was resolved for this SLO".to_string(),
    }
}

/// `FAIL (exit 1): 4 checked, 2 passed, 1 failed, 1 could not be evaluated`.
pub fn summary(gate: &GateResult) -> String {
    format!(
        "{} (exit {}): {} checked, {} passed, {} failed, {} could not be evaluated",
        verdict_word(gate.verdict()),
        gate.exit_code(),
        gate.rows.len(),
        gate.count(Verdict::Pass),
        gate.count(Verdict::Fail),
        gate.count(Verdict::Error),
    )
}

/// `slo check --format json`: the report's JSON document with a `gate` object after its
/// keys:
///
/// ```json
/// "gate": {"verdict": "fail", "exit_code": 1, "allow_no_data": false,
///          "summary": "FAIL (exit 1): 2 checked, 1 passed, 1 failed, 0 could not be evaluated",
///          "results": [{"slo": "availability", "labels": {}, "verdict": "fail",
///                       "rules": [{"rule": "min_budget_remaining", "window": null,
///                                  "threshold": 50, "observed": 40, "held": false}],
///                       "unevaluated": null}],
///          "failed_rules": [{"slo": "availability", "labels": {}, "rule": "min_budget_remaining",
///                            "window": null, "threshold": 50, "observed": 40}]}
/// ```
/// `threshold` and `observed` are in the rule's unit: percent of the error budget for
/// `min_budget_remaining`, a burn-rate factor for `max_burn_rate`. `observed` and `held` are
/// `null` when unknown. `unevaluated` is `{"reason": "evaluation_error" | "no_data" |
/// "no_burn_rate_data" | "no_policy", "message": ...}` or `null`. `results` also lists the
/// SLOs that could not be evaluated, which the report's `slos` leaves out.
pub fn render_json(report: &Report, gate: &GateResult) -> String {
    #[derive(Serialize)]
    struct Document<'a> {
        #[serde(flatten)]
        report: crate::output::json::Document<'a>,
        gate: Value,
    }
    let document = Document {
        report: crate::output::json::Document::new(report),
        gate: gate_json(gate),
    };
    let mut text = serde_json::to_string_pretty(&document)
        .expect("string keys and plain values always serialise");
    text.push('\n');
    text
}

fn gate_json(gate: &GateResult) -> Value {
    let rule_json = |result: &RuleResult| {
        let window = match result.rule {
            Rule::MaxBurnRate { window, .. } => Some(window.to_string()),
            Rule::MinBudgetRemaining(_) => None,
        };
        json!({
            "rule": result.rule.name(),
            "window": window,
            "threshold": tidy(result.rule.threshold()),
            "observed": result.observed.map(tidy),
        })
    };
    let results: Vec<Value> = gate
        .rows
        .iter()
        .map(|row| {
            let rules: Vec<Value> = row
                .results
                .iter()
                .map(|r| {
                    let mut rule = rule_json(r);
                    rule["held"] = json!(r.held());
                    rule
                })
                .collect();
            json!({
                "slo": row.slo,
                "labels": row.labels,
                "verdict": row.verdict.as_str(),
                "rules": rules,
                "unevaluated": row.unevaluated.as_ref().map(|why| json!({
                    "reason": why.reason(),
                    "message": unevaluated_text(why, row.verdict),
                })),
            })
        })
        .collect();
    let failed_rules: Vec<Value> = gate
        .rows
        .iter()
        .flat_map(|row| {
            row.failed().map(move |r| {
                let mut rule = json!({"slo": row.slo, "labels": row.labels});
                if let (Value::Object(into), Value::Object(from)) = (&mut rule, rule_json(r)) {
                    into.extend(from);
                }
                rule
            })
        })
        .collect();
    json!({
        "verdict": gate.verdict().as_str(),
        "exit_code": gate.exit_code(),
        "allow_no_data": gate.allow_no_data,
        "summary": summary(gate),
        "results": results,
        "failed_rules": failed_rules,
    })
}

/// Both numbers with 2 decimals, or with as many more (up to 9) as it takes to tell them
/// apart, so that a failure never reads `50% < min 50%`.
fn distinguishable(observed: f64, threshold: f64) -> (String, String) {
    let show = |x: f64, decimals: usize| {
        let text = format!("{x:.decimals$}");
        let text = if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        };
        if text == "-0" { "0".to_string() } else { text }
    };
    let mut decimals = 2;
    while decimals < 9
        && observed != threshold
        && show(observed, decimals) == show(threshold, decimals)
    {
        decimals += 1;
    }
    (show(observed, decimals), show(threshold, decimals))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Labels, Window};

    fn w(text: &str) -> Window {
        Window::parse(text).unwrap()
    }

    fn row(
        slo: &str,
        labels: &[(&str, &str)],
        results: Vec<RuleResult>,
        unevaluated: Option<Unevaluated>,
        verdict: Verdict,
    ) -> RowVerdict {
        RowVerdict {
            slo: slo.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Labels>(),
            results,
            unevaluated,
            verdict,
        }
    }

    fn result(rule: Rule, observed: Option<f64>) -> RuleResult {
        RuleResult { rule, observed }
    }

    /// One row of each kind, with names and messages that need escaping everywhere.
    pub(crate) fn sample() -> GateResult {
        let burn_1h = Rule::MaxBurnRate {
            window: w("1h"),
            factor: 14.4,
        };
        GateResult {
            rows: vec![
                row(
                    "availability",
                    &[],
                    vec![
                        result(Rule::MinBudgetRemaining(0.0), Some(62.5)),
                        result(burn_1h, Some(0.8)),
                    ],
                    None,
                    Verdict::Pass,
                ),
                row(
                    "by-handler",
                    &[("handler", "/a<b>&\"c\"")],
                    vec![
                        result(Rule::MinBudgetRemaining(50.0), Some(40.0)),
                        result(burn_1h, Some(20.0)),
                    ],
                    None,
                    Verdict::Fail,
                ),
                row(
                    "latency",
                    &[],
                    vec![result(Rule::MinBudgetRemaining(0.0), None)],
                    Some(Unevaluated::EvaluationError(
                        "SLO latency: 100% broken:\nline two, with commas (query: up)".into(),
                    )),
                    Verdict::Error,
                ),
                row(
                    "quiet",
                    &[],
                    vec![result(Rule::MinBudgetRemaining(0.0), None)],
                    Some(Unevaluated::NoData { window: w("30d") }),
                    Verdict::Error,
                ),
            ],
            allow_no_data: false,
        }
    }

    #[test]
    fn text_has_one_line_per_row_with_numbers_and_thresholds_then_a_summary() {
        let text = render_text(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert_eq!(
            lines[0],
            "PASS  availability: budget remaining 62.5% >= min 0%, burn rate 1h 0.8 <= max 14.4"
        );
        assert_eq!(
            lines[1],
            "FAIL  by-handler{handler=\"/a<b>&\\\"c\\\"\"}: budget remaining 40% < min 50%, \
             burn rate 1h 20 > max 14.4"
        );
        assert_eq!(
            lines[2],
            "ERROR latency: could not be evaluated: SLO latency: 100% broken: line two, with \
             commas (query: up)"
        );
        assert_eq!(
            lines[3],
            "ERROR quiet: no data: no events in the 30d window (--allow-no-data would pass it)"
        );
        assert_eq!(
            lines[4],
            "FAIL (exit 1): 4 checked, 1 passed, 1 failed, 2 could not be evaluated"
        );
    }

    #[test]
    fn numbers_close_to_their_threshold_get_the_digits_that_tell_them_apart() {
        assert_eq!(
            distinguishable(49.9999, 50.0),
            ("49.9999".into(), "50".into())
        );
        assert_eq!(
            distinguishable(14.4000001, 14.4),
            ("14.4000001".into(), "14.4".into())
        );
        assert_eq!(distinguishable(40.0, 50.0), ("40".into(), "50".into()));
        assert_eq!(
            distinguishable(-12.3456, 0.0),
            ("-12.35".into(), "0".into())
        );
        assert_eq!(distinguishable(-0.001, 0.0), ("-0.001".into(), "0".into()));
        assert_eq!(distinguishable(50.0, 50.0), ("50".into(), "50".into()));
    }

    #[test]
    fn an_unknown_burn_rate_is_named_with_its_window_and_threshold() {
        let unknown = result(
            Rule::MaxBurnRate {
                window: w("5m"),
                factor: 14.4,
            },
            None,
        );
        assert_eq!(rule_text(&unknown), "burn rate 5m unknown (max 14.4)");
        assert_eq!(
            unevaluated_text(
                &Unevaluated::NoBurnRateData {
                    windows: vec![w("5m")]
                },
                Verdict::Pass
            ),
            "no events in the last 5m, so its burn-rate rule cannot be checked, allowed by \
             --allow-no-data"
        );
    }
}
