//! `slo`: SLO definitions in; trustworthy numbers, Prometheus rules and Grafana dashboards out.
//!
//! Layers, each depending only on those above it:
//! - [`spec`]: read and validate `slo.yaml` into the [`model`].
//! - [`promql`]: every query and series name, in one place.
//! - the commands' cores: `prometheus` (HTTP client), `report`, `gate`, `rules`, `dashboard`.
//! - output formats, and [`app`], which wires a parsed command line to the rest.

pub mod app;
pub mod cli;
pub mod dashboard;
pub mod error;
pub mod gate;
pub mod model;
pub mod output;
pub mod prometheus;
pub mod promql;
pub mod report;
pub mod rules;
pub mod spec;
pub mod timestamp;

pub use error::{Error, exit};
