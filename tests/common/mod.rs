//! Shared integration-test harness. Use from any `tests/*.rs` with `mod common;`.
//!
//! - [`prom`]: a real Prometheus 2.42 on data backfilled with promtool.
//! - [`data`]: OpenMetrics generation with exact ground truth.
//! - [`scenarios`]: ready-made data sets ending at [`scenarios::END`].
//! - [`fake`]: a fake HTTP server for faults (500, HTML, bad JSON, API error, hang).
//! - [`process`]: children that die with the test binary, `promtool`/`slo` runners, temp dirs.
//!
//! Share one Prometheus per test binary:
//! ```ignore
//! static PROM: std::sync::OnceLock<Prometheus> = std::sync::OnceLock::new();
//! fn prom() -> &'static Prometheus { PROM.get_or_init(|| Prometheus::start(&scenarios::steady().openmetrics())) }
//! ```
//! The static is never dropped; the process still dies with the test binary (PDEATHSIG).
#![allow(dead_code, unused_imports)]

pub mod data;
pub mod fake;
pub mod process;
pub mod prom;
pub mod scenarios;

pub use data::{DataBuilder, Dataset, Grid};
pub use fake::{FakeServer, Mode, refused_url};
pub use process::{CmdOutput, TempDir, promtool, run, run_slo, slo_cmd};
pub use prom::Prometheus;
pub use scenarios::END;

/// `|a - b| / |b|` (0 when both are 0).
pub fn rel_err(actual: f64, expected: f64) -> f64 {
    if actual == expected {
        0.0
    } else {
        (actual - expected).abs() / expected.abs()
    }
}
