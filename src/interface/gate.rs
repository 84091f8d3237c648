//! `slo check --format json`: the report's document with a `gate` object after its keys.
//!
//! ```json
//! "gate": {"verdict": "fail", "exit_code": 1, "allow_no_data": false,
//!          "summary": "FAIL (exit 1): 2 checked, 1 passed, 1 failed, 0 could not be evaluated",
//!          "results": [{"slo": "availability", "labels": {}, "verdict": "fail",
//!                       "rules": [{"rule": "min_budget_remaining", "window": null,
//!                                  "threshold": 50, "observed": 40, "held": false}],
//!                       "unevaluated": null}],
//!          "failed_rules": [{"slo": "availability", "labels": {}, "rule": "min_budget_remaining",
//!                            "window": null, "threshold": 50, "observed": 40}]}
//! ```
//! `threshold` and `observed` are in the rule's unit: percent of the error budget for
//! `min_budget_remaining`, a burn-rate factor for `max_burn_rate`. `observed` and `held` are
//! `null` when unknown. `results` also lists the SLOs that could not be evaluated, which the
//! report's `slos` leaves out.

use serde::{Deserialize, Serialize};

use crate::gate::Verdict;
use crate::interface::report::{self, WindowText};
use crate::model::Labels;

/// The whole document of `slo check --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    #[serde(flatten)]
    pub report: report::Document,
    pub gate: GateJson,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateJson {
    pub verdict: Verdict,
    pub exit_code: u8,
    pub allow_no_data: bool,
    /// The summary line of the text output.
    pub summary: String,
    /// One per gated row, in report order.
    pub results: Vec<RowResult>,
    /// Every broken rule of every row.
    pub failed_rules: Vec<FailedRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowResult {
    pub slo: String,
    pub labels: Labels,
    pub verdict: Verdict,
    pub rules: Vec<RuleResult>,
    pub unevaluated: Option<Unevaluated>,
}

/// A rule and the number held to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleCheck {
    /// `min_budget_remaining` or `max_burn_rate`.
    pub rule: String,
    /// The burn-rate window; `null` for `min_budget_remaining`.
    pub window: Option<WindowText>,
    pub threshold: f64,
    pub observed: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    #[serde(flatten)]
    pub check: RuleCheck,
    /// `null` when the observed number is unknown.
    pub held: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedRule {
    pub slo: String,
    pub labels: Labels,
    #[serde(flatten)]
    pub check: RuleCheck,
}

/// Why (part of) a row was not evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unevaluated {
    /// `evaluation_error`, `no_data`, `no_burn_rate_data` or `no_policy`.
    pub reason: String,
    pub message: String,
}
