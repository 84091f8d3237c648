//! The report as JSON: a stable, documented interface for scripts and for `slo check`.
//!
//! ```json
//! {"evaluated_at": "2026-11-23T10:00:00Z",
//!  "slos": [{"service": "demo-api", "slo": "availability", "labels": {},
//!            "objective": 0.995, "window": "30d", "sli": 0.9991, "error_budget": 0.005,
//!            "budget_remaining": 0.82, "events": {"good": 119.0, "bad": 4.0, "total": 123.0},
//!            "burn_rates": {"5m": 0.4, "1h": 0.5, "6h": 0.7, "1d": 0.9, "3d": 1.1, "30d": 0.18},
//!            "status": "ok"}]}
//! ```
//! Ratios are fractions; `sli`, `budget_remaining`, `events` and burn rates are `null` where
//! unknown. SLOs that could not be evaluated have no entry (their errors go to stderr).

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use crate::model::{Labels, Window, tidy};
use crate::report::{Events, Report, SloStatus};

/// The JSON document of a report. `slo check` flattens it into its own document
/// (`#[serde(flatten)]`) to add its `gate` object after these keys.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    pub evaluated_at: String,
    pub slos: Vec<Row<'a>>,
}

/// One entry of `slos`, keys in documented order.
#[derive(Debug, Serialize)]
pub struct Row<'a> {
    pub service: &'a str,
    pub slo: &'a str,
    pub labels: &'a Labels,
    pub objective: f64,
    pub window: String,
    pub sli: Option<f64>,
    pub error_budget: f64,
    pub budget_remaining: Option<f64>,
    pub events: Option<EventCounts>,
    pub burn_rates: BurnRates<'a>,
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
pub struct EventCounts {
    pub good: f64,
    pub bad: f64,
    pub total: f64,
}

/// Burn rates keyed by window text (`5m` … `30d`), shortest window first.
#[derive(Debug)]
pub struct BurnRates<'a>(&'a BTreeMap<Window, Option<f64>>);

impl Serialize for BurnRates<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(w, r)| (w.to_string(), r.map(tidy))))
    }
}

impl<'a> Document<'a> {
    pub fn new(report: &'a Report) -> Self {
        Document {
            evaluated_at: crate::timestamp::format(report.evaluated_at),
            slos: report.rows().map(Row::new).collect(),
        }
    }
}

impl<'a> Row<'a> {
    fn new(row: &'a SloStatus) -> Self {
        Row {
            service: &row.service,
            slo: &row.slo,
            labels: &row.labels,
            objective: tidy(row.objective),
            window: row.window.to_string(),
            sli: row.sli.map(tidy),
            error_budget: tidy(row.error_budget),
            budget_remaining: row.budget_remaining.map(tidy),
            events: row.events.map(|Events { good, bad, total }| EventCounts {
                good: tidy(good),
                bad: tidy(bad),
                total: tidy(total),
            }),
            burn_rates: BurnRates(&row.burn_rates),
            status: row.status.as_str(),
        }
    }
}

/// The report as pretty-printed JSON, ending in a newline.
pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(&Document::new(report))
        .expect("plain structs with string keys always serialise");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_values_are_null_and_failed_slos_absent() {
        let json: serde_json::Value =
            serde_json::from_str(&super::render(&crate::output::tests::report())).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "evaluated_at": "2026-11-01T00:00:00Z",
                "slos": [{
                    "service": "api", "slo": "by-handler", "labels": {"handler": "/a|b"},
                    "objective": 0.999, "window": "30d", "sli": null, "error_budget": 0.001,
                    "budget_remaining": null, "events": null,
                    "burn_rates": {"5m": null, "1h": null, "6h": null, "1d": null, "3d": null,
                                   "30d": null},
                    "status": "no_data"
                }]
            })
        );
    }
}
