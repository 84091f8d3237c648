//! `slo check`'s renderings of the gate's verdict: `text` (one line per SLO), `github`
//! (workflow commands), `junit` (XML) and `json` (the report's document with a `gate`
//! object), all in the words of `phrases`.

pub mod github;
pub mod json;
pub mod junit;
pub mod phrases;
pub mod text;

#[cfg(test)]
pub(crate) mod tests {
    use crate::gate::{GateResult, RowVerdict, Rule, RuleResult, Unevaluated, Verdict};
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
}
