//! `slo check --format json`: [`crate::interface::gate::Document`], pretty-printed.

use crate::gate::{GateResult, RowVerdict, Rule, RuleResult};
use crate::interface::Outcome;
use crate::interface::gate::{self, Document, GateJson, RowResult, RuleCheck};
use crate::interface::report::WindowText;
use crate::model::tidy;
use crate::output::check::phrases::{summary, unevaluated_text};
use crate::output::report::json::{document, to_text};
use crate::report::Report;

pub fn render(report: &Report, gate: &GateResult) -> String {
    to_text(&Document {
        report: document(report),
        gate: gate_json(gate),
    })
}

/// The `gate` object: the verdict, then every row and every broken rule.
pub fn gate_json(gate: &GateResult) -> GateJson {
    GateJson {
        verdict: gate.verdict(),
        exit_code: Outcome::of_verdict(gate.verdict()).code(),
        allow_no_data: gate.allow_no_data,
        summary: summary(gate),
        results: gate.rows.iter().map(row_result).collect(),
        failed_rules: gate
            .rows
            .iter()
            .flat_map(|row| {
                row.failed().map(|result| gate::FailedRule {
                    slo: row.slo.clone(),
                    labels: row.labels.clone(),
                    check: rule_check(result),
                })
            })
            .collect(),
    }
}

fn row_result(row: &RowVerdict) -> RowResult {
    RowResult {
        slo: row.slo.clone(),
        labels: row.labels.clone(),
        verdict: row.verdict,
        rules: row
            .results
            .iter()
            .map(|result| gate::RuleResult {
                check: rule_check(result),
                held: result.held(),
            })
            .collect(),
        unevaluated: row.unevaluated.as_ref().map(|why| gate::Unevaluated {
            reason: why.reason().to_string(),
            message: unevaluated_text(why, row.verdict),
        }),
    }
}

fn rule_check(result: &RuleResult) -> RuleCheck {
    RuleCheck {
        rule: result.rule.name().to_string(),
        window: match result.rule {
            Rule::MaxBurnRate { window, .. } => Some(WindowText(window)),
            Rule::MinBudgetRemaining(_) => None,
        },
        threshold: tidy(result.rule.threshold()),
        observed: result.observed.map(tidy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::check::tests::sample;

    #[test]
    fn the_gate_object_follows_the_report_and_reads_back() {
        let report = crate::output::report::tests::report();
        let text = render(&report, &sample());
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["evaluated_at", "gate", "slos"],
            "sorted by serde_json::Value"
        );
        assert!(text.find("\"slos\"").unwrap() < text.find("\"gate\"").unwrap());
        assert_eq!(
            json["gate"]["failed_rules"],
            serde_json::json!([
                {"slo": "by-handler", "labels": {"handler": "/a<b>&\"c\""},
                 "rule": "min_budget_remaining", "window": null, "threshold": 50.0,
                 "observed": 40.0},
                {"slo": "by-handler", "labels": {"handler": "/a<b>&\"c\""},
                 "rule": "max_burn_rate", "window": "1h", "threshold": 14.4, "observed": 20.0}
            ])
        );
        assert_eq!(json["gate"]["exit_code"], 1);
        assert_eq!(
            json["gate"]["results"][2]["unevaluated"]["reason"],
            "evaluation_error"
        );
        let parsed: Document = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed.gate, gate_json(&sample()));
    }

    /// The order the README lists them in; serde_json keeps the struct's field order.
    #[test]
    fn the_gate_keys_come_in_the_readme_order() {
        let text = serde_json::to_string(&gate_json(&sample())).unwrap();
        let at = |key: &str| text.find(&format!("\"{key}\":")).unwrap();
        let keys = [
            "verdict",
            "exit_code",
            "allow_no_data",
            "summary",
            "results",
            "failed_rules",
        ];
        assert!(keys.windows(2).all(|k| at(k[0]) < at(k[1])), "{text}");
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
        let listed = "a `gate` object (`verdict`, `exit_code`, `allow_no_data`, `summary`, \
                      `results[]`";
        assert!(
            readme.contains(listed),
            "the README lists the keys in this order"
        );
    }
}
