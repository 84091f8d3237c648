//! The phrases every gate output (text, GitHub, JUnit, JSON) uses, so all of them say the
//! same thing in the same words.

use crate::gate::{GateResult, RowVerdict, Rule, RuleResult, Unevaluated, Verdict};
use crate::interface::Outcome;
use crate::promql;

/// `PASS  availability: budget remaining 62.5% >= min 0%`; always a single line, shown
/// [visibly](crate::sanitize), even when an error message from Prometheus spans several.
pub fn row_line(row: &RowVerdict) -> String {
    let line = format!(
        "{:<5} {}: {}",
        verdict_word(row.verdict),
        row_name(row),
        details(row)
    );
    crate::sanitize::visible(&line).into_owned()
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
        Outcome::of_verdict(gate.verdict()).code(),
        gate.rows.len(),
        gate.count(Verdict::Pass),
        gate.count(Verdict::Fail),
        gate.count(Verdict::Error),
    )
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
mod tests {
    use super::*;
    use crate::model::Window;

    fn w(text: &str) -> Window {
        Window::parse(text).unwrap()
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
        let unknown = RuleResult {
            rule: Rule::MaxBurnRate {
                window: w("5m"),
                factor: 14.4,
            },
            observed: None,
        };
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
