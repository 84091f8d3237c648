//! `slo generate-dashboard`: a Grafana dashboard over the series `slo generate-rules` records,
//! and the Grafana provisioning files that show it with no clicks.
//!
//! Generation and writing are apart: [`dashboard`] turns a spec into a typed [`Dashboard`]
//! (Grafana's model, in `grafana`); [`to_json`] and [`provisioning_files`] write it. All of
//! it is pure: a spec in, JSON and file contents out.

mod generate;
pub mod grafana;
mod write;

pub use generate::{DATASOURCE_NAME, DATASOURCE_UID, SCHEMA_VERSION, dashboard, uid};
pub use grafana::Dashboard;
pub use write::{GRAFANA_PROVISIONING_PATH, ProvisioningFile, provisioning_files, to_json};
