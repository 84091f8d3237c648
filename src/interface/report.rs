//! `slo report --format json`, the report part of `slo check --format json`, and why a query
//! failed.
//!
//! ```json
//! {"evaluated_at": "2026-11-23T10:00:00Z",
//!  "slos": [{"service": "demo-api", "slo": "availability", "labels": {},
//!            "objective": 0.995, "window": "30d", "sli": 0.9991, "error_budget": 0.005,
//!            "budget_remaining": 0.82, "events": {"good": 119.0, "bad": 4.0, "total": 123.0},
//!            "burn_rates": {"5m": 0.4, "1h": 0.5, "6h": 0.7, "1d": 0.9, "3d": 1.1, "30d": 0.18},
//!            "status": "ok", "source": "rules", "coverage": 1.0}]}
//! ```
//! Ratios are fractions, rounded to 10 significant digits; `sli`, `budget_remaining`,
//! `events` and burn rates are `null` where unknown. SLOs that could not be evaluated have no
//! entry (their errors go to stderr). `source` says which series the row was computed from;
//! from `rules`, `events` are estimates (recorded 5m rates summed over the window times the
//! evaluation interval) and `coverage` is the fraction of the window the recorded history
//! spans; `coverage` is `null` on rows read from the raw series.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{Labels, Window};
use crate::report::Status;

/// The JSON document of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// RFC 3339, UTC.
    pub evaluated_at: String,
    pub slos: Vec<Row>,
}

/// One entry of `slos`: one SLO, or one group of a grouped SLO. Keys in documented order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub service: String,
    pub slo: String,
    /// The group_by label values; empty when the SLO is not grouped.
    pub labels: Labels,
    pub objective: f64,
    pub window: WindowText,
    pub sli: Option<f64>,
    pub error_budget: f64,
    pub budget_remaining: Option<f64>,
    pub events: Option<Events>,
    /// By window, shortest first.
    pub burn_rates: BTreeMap<WindowText, Option<f64>>,
    pub status: Status,
    /// Only for calendar SLOs (`window: month`...), whose `window` is the nominal length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// With `--history`: `[Unix seconds, budget remaining]`, oldest first, evenly spaced,
    /// ending at the evaluation instant; no point where the window had no events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<(f64, f64)>>,
    pub source: DataSource,
    /// Fraction of the window with recorded data; `null` on rows read from the raw series.
    pub coverage: Option<f64>,
    /// Why `--source auto` read this row from the raw series (e.g. a calendar window, or a
    /// recording younger than the window); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_note: Option<String>,
}

/// The calendar period a row was measured over: from `start` to the evaluation instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Period {
    /// `week`, `month` or `quarter`.
    pub calendar: String,
    /// IANA name, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// RFC 3339.
    pub start: String,
    /// RFC 3339; the end is not part of the period.
    pub end: String,
    /// Fraction of the period gone by at the evaluation instant, 0 to 1.
    pub elapsed: f64,
    /// The budget left at the period's end if the rest of it burns at the period-to-date
    /// rate.
    pub projected_budget_remaining: Option<f64>,
}

/// Which series a row was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSource {
    /// The raw series, with `increase()` over each window: exact.
    #[default]
    Raw,
    /// The series `slo generate-rules` records: event counts are estimates.
    Rules,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Events {
    pub good: f64,
    pub bad: f64,
    pub total: f64,
}

/// A window as JSON writes it (`5m`, `30d`); ordered by duration, so that burn rates keep
/// the shortest window first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WindowText(pub Window);

impl Serialize for WindowText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for WindowText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Window::parse(&text)
            .map(WindowText)
            .map_err(serde::de::Error::custom)
    }
}

/// Why a query (or what it returned) could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QueryErrorKind {
    /// No answer within `--timeout`.
    Timeout,
    /// Connection refused or reset, DNS or TLS failure.
    Unreachable,
    /// An HTTP error status without a Prometheus error in the body.
    HttpStatus { status: u16 },
    /// Prometheus refused the query; `error_type` is its `errorType` (`bad_data`, `timeout`,
    /// `execution`, ...).
    Api { error_type: String },
    /// Not Prometheus API JSON, or a result of the wrong shape or with a bad value.
    Decode,
    /// A well-formed answer the SLO cannot be assessed from: several series where one was
    /// expected, or a histogram without the threshold's bucket.
    Unusable,
    /// `--source rules`: the recorded series are missing, stale, younger than the window or
    /// recorded for another objective.
    NotRecorded,
}
