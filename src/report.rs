//! Where each SLO stands: SLI, error budget, remaining budget and burn rates, computed from
//! event counts that Prometheus returns for one evaluation instant.

use std::collections::BTreeMap;

use crate::model::{Labels, Window};

/// The result of evaluating a set of SLOs at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Evaluation instant, Unix seconds; every query ran at exactly this time.
    pub evaluated_at: f64,
    /// One entry per selected SLO, in spec order.
    pub slos: Vec<SloEvaluation>,
    /// Warnings Prometheus attached to its answers, each naming the SLO and query.
    pub warnings: Vec<String>,
}

/// One SLO's evaluation: rows (one per group_by label combination, else exactly one), or why
/// it could not be evaluated. An SLO that could not be evaluated has no rows.
#[derive(Debug, Clone, PartialEq)]
pub struct SloEvaluation {
    pub slo: String,
    pub outcome: Result<Vec<SloStatus>, EvaluationError>,
}

/// Why an SLO could not be evaluated: the query that failed and what went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("SLO {slo}: {message} (query: {query})")]
pub struct EvaluationError {
    pub slo: String,
    pub query: String,
    pub message: String,
}

/// Where one SLO (or one group of a grouped SLO) stands.
#[derive(Debug, Clone, PartialEq)]
pub struct SloStatus {
    pub service: String,
    pub slo: String,
    /// The group_by label values; empty when the SLO is not grouped.
    pub labels: Labels,
    /// Objective as a fraction, e.g. 0.995.
    pub objective: f64,
    pub window: Window,
    /// Good events over all events in the window; `None` when unknown (no data).
    pub sli: Option<f64>,
    /// 1 - objective.
    pub error_budget: f64,
    /// 1 - (1 - sli) / error_budget: negative when overspent, `None` when unknown.
    pub budget_remaining: Option<f64>,
    /// Event counts over the window; `None` for raw SLIs and when unknown.
    pub events: Option<Events>,
    /// Burn rate over each burn-rate window and the compliance window; `None` where there
    /// were no events in that window.
    pub burn_rates: BTreeMap<Window, Option<f64>>,
    pub status: Status,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Events {
    pub good: f64,
    pub bad: f64,
    pub total: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Less than the warning threshold of the budget remains.
    AtRisk,
    /// No budget remains.
    Exhausted,
    /// No events in the compliance window.
    NoData,
}

impl Status {
    /// The name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::AtRisk => "at_risk",
            Status::Exhausted => "exhausted",
            Status::NoData => "no_data",
        }
    }
}
