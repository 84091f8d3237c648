//! `slo generate-rules`: Prometheus recording rules and multiwindow multi-burn-rate alerts.
//!
//! Generation and writing are apart. [`generate`] turns a spec into typed [`RuleGroup`]s,
//! one chain of small steps per SLO (in `generate` and `alerts`); [`write`] and [`render`]
//! emit them as YAML, a rule file or a PrometheusRule manifest (in `write`, with the
//! manifest's names checked in `kubernetes`). Per SLO there are up to four groups (no alerts
//! group when its alerts are off), in the order `promtool test rules` evaluates them:
//! - `slo-sli-<service>-<slo>`: the 5m event rates and the error ratios over the alerting
//!   windows, from the raw series;
//! - `slo-long-sli-<service>-<slo>`: the compliance window's sums of the 5m event rates
//!   (what a report from rules reads), their ratio and what derives from it, every
//!   [`LONG_WINDOW_INTERVAL`];
//! - `slo-meta-<service>-<slo>`: objective, budget, period, current burn rate, info series;
//! - `slo-alerts-<service>-<slo>`: page and ticket burn alerts and the absent-metrics alert.
//!
//! Every series and label name comes from [`crate::promql`].

mod alerts;
mod generate;
mod kubernetes;
mod write;

use crate::model::{Labels, Window};

pub use generate::{LONG_WINDOW_INTERVAL, generate};
pub use kubernetes::{check_namespace, manifest_name};
/// YAML string quoting, shared with `slo convert`'s writer.
pub(crate) use write::scalar as yaml_scalar;
pub use write::{Output, render, write};

#[derive(Debug, Clone, PartialEq)]
pub struct RuleGroup {
    pub name: String,
    /// `None`: Prometheus' global evaluation interval.
    pub interval: Option<Window>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    Record {
        record: String,
        expr: String,
        labels: Labels,
    },
    Alert {
        alert: String,
        expr: String,
        labels: Labels,
        annotations: Labels,
    },
}
