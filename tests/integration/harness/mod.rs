//! The harness every integration test module shares.
//!
//! - [`slo_run`]: [`SloRun`], the builder that runs the `slo` binary.
//! - [`prom`]: a real Prometheus 2.42 on data backfilled with promtool.
//! - [`data`]: OpenMetrics generation with exact ground truth.
//! - [`scenarios`]: ready-made data sets ending at [`scenarios::END`].
//! - [`fake`]: a fake HTTP server for faults (500, HTML, bad JSON, API error, hang).
//! - [`process`]: children that die with the test binary, `promtool`, temp dirs, ports.
//! - [`golden`]: golden files (`UPDATE_GOLDEN=1` rewrites them).
//! - [`specs`]: `slo.yaml` texts for that data.
//!
//! Share one Prometheus per module (or data set):
//! ```ignore
//! static PROM: std::sync::OnceLock<Prometheus> = std::sync::OnceLock::new();
//! fn prom() -> &'static Prometheus { PROM.get_or_init(|| Prometheus::start(&scenarios::steady().openmetrics())) }
//! ```
//! The static is never dropped; the process still dies with the test binary (PDEATHSIG).

pub mod data;
pub mod fake;
pub mod golden;
pub mod process;
pub mod prom;
pub mod scenarios;
pub mod slo_run;
pub mod specs;

pub use data::{DataBuilder, Dataset, Grid};
pub use fake::{FakeServer, Mode, refused_url};
pub use golden::assert_golden;
pub use process::{CmdOutput, TempDir, promtool, run};
pub use prom::Prometheus;
pub use scenarios::END;
pub use slo_run::SloRun;

/// `|a - b| / |b|` (0 when both are 0).
pub fn rel_err(actual: f64, expected: f64) -> f64 {
    if actual == expected {
        0.0
    } else {
        (actual - expected).abs() / expected.abs()
    }
}
