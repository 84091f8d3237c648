//! `slo`: SLO definitions in; trustworthy numbers, Prometheus rules and Grafana dashboards out.
//!
//! Layers, each depending only on those above it:
//! - [`sanitize`]: outside text made safe to show, used by every layer that shows it.
//! - [`spec`]: read and validate `slo.yaml` into the [`model`].
//! - [`promql`]: every query and series name, in one place.
//! - the commands' cores: `prometheus` (HTTP client), `report`, `gate`, `rules`, `dashboard`.
//! - [`interface`]: exit codes and the JSON documents, the contract scripts rely on.
//! - [`output`]: each command's renderings.
//! - the edge: [`cli`] (what the user typed), [`settings`] (the typed, checked values made
//!   from it, once) and [`app`], which wires settings, work, renderer and writing; [`watch`],
//!   the live view's loop.

// Output goes through `output::destination` and `output::console`, which cannot panic.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod app;
pub mod calendar;
pub mod cli;
pub mod dashboard;
pub mod error;
pub mod gate;
pub mod history;
pub mod interface;
pub mod lint;
pub mod live;
pub mod model;
pub mod output;
pub mod prometheus;
pub mod promql;
pub mod report;
pub mod rules;
pub mod sanitize;
pub mod settings;
pub mod source;
pub mod spec;
pub mod timestamp;
pub mod watch;

pub use error::Error;
pub use interface::{Outcome, exit};
