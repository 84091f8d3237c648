//! Writing: the dashboard as JSON text, and the Grafana provisioning files that show it with
//! no clicks.

use std::path::PathBuf;

use serde::Serialize;

use super::generate::{DATASOURCE_NAME, DATASOURCE_UID};
use super::grafana::Dashboard;

/// Where Grafana's container image and packages read provisioning from: mount the
/// `--provisioning` directory here.
pub const GRAFANA_PROVISIONING_PATH: &str = "/etc/grafana/provisioning";
/// Folder, under the provisioning directory, holding the dashboards' JSON files.
const DASHBOARDS_DIR: &str = "dashboards/slo";

/// Pretty JSON with a final newline, as written to files.
pub fn to_json(dashboard: &Dashboard) -> String {
    let mut text = serde_json::to_string_pretty(dashboard).expect("a dashboard serializes");
    text.push('\n');
    text
}

/// A file to write under the `--provisioning` directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningFile {
    /// Relative to the provisioning directory.
    pub path: PathBuf,
    pub contents: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DashboardProviders {
    api_version: u32,
    providers: Vec<DashboardProvider>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DashboardProvider {
    name: &'static str,
    org_id: u32,
    folder: &'static str,
    r#type: &'static str,
    disable_deletion: bool,
    allow_ui_updates: bool,
    update_interval_seconds: u32,
    options: ProviderOptions,
}

#[derive(Serialize)]
struct ProviderOptions {
    path: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Datasources<'a> {
    api_version: u32,
    datasources: Vec<Datasource<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Datasource<'a> {
    name: &'static str,
    uid: &'static str,
    r#type: &'static str,
    access: &'static str,
    url: &'a str,
    org_id: u32,
    editable: bool,
}

/// Grafana provisioning for the dashboard with `uid`, whose JSON text is `dashboard_json`:
/// the dashboard file, a provider that loads its folder, and the datasource it defaults to.
/// Mounted at [`GRAFANA_PROVISIONING_PATH`], the directory is all Grafana needs.
pub fn provisioning_files(
    uid: &str,
    dashboard_json: &str,
    prometheus_url: &str,
) -> Vec<ProvisioningFile> {
    let header = format!(
        "# Written by `slo generate-dashboard --provisioning`. Mount this directory at {GRAFANA_PROVISIONING_PATH}.\n"
    );
    let providers = DashboardProviders {
        api_version: 1,
        providers: vec![DashboardProvider {
            name: "slo",
            org_id: 1,
            folder: "SLOs",
            r#type: "file",
            disable_deletion: false,
            allow_ui_updates: false,
            update_interval_seconds: 30,
            options: ProviderOptions {
                path: format!("{GRAFANA_PROVISIONING_PATH}/{DASHBOARDS_DIR}"),
            },
        }],
    };
    let datasources = Datasources {
        api_version: 1,
        datasources: vec![Datasource {
            name: DATASOURCE_NAME,
            uid: DATASOURCE_UID,
            r#type: "prometheus",
            access: "proxy",
            url: prometheus_url,
            org_id: 1,
            editable: false,
        }],
    };
    vec![
        ProvisioningFile {
            path: PathBuf::from(DASHBOARDS_DIR).join(format!("{uid}.json")),
            contents: dashboard_json.to_string(),
        },
        ProvisioningFile {
            path: PathBuf::from("dashboards/slo.yaml"),
            contents: yaml(&header, &providers),
        },
        ProvisioningFile {
            path: PathBuf::from(format!("datasources/{DATASOURCE_UID}.yaml")),
            contents: yaml(&header, &datasources),
        },
    ]
}

fn yaml(header: &str, value: &impl Serialize) -> String {
    let body = serde_saphyr::to_string(value).expect("provisioning structs serialize");
    format!("{header}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::dashboard;
    use crate::promql::LabelStyle;

    #[test]
    fn fields_are_declared_in_alphabetical_order() {
        // Every kind of panel and variable: grouped, ungrouped, latency, raw.
        let spec = crate::spec::parse(
            r#"
version: 1
service: s
slos:
  - name: grouped
    description: d
    objective: 99.95
    sli: {ratio: {errors: e_total, total: t_total, group_by: [x]}}
  - name: latency
    objective: 95
    window: 7d
    sli: {latency: {histogram: h, selector: '{}', threshold: 0.5}}
  - name: raw
    objective: 99
    alerting: {page: {enabled: false}}
    sli: {raw: {error_ratio: 'sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))'}}
"#,
            "t.yaml",
        )
        .unwrap();
        for style in [LabelStyle::Native, LabelStyle::Sloth] {
            let board = dashboard(&spec, style);
            // A JSON value's maps sort their keys.
            let sorted = serde_json::to_value(&board).unwrap();
            assert_eq!(
                to_json(&board),
                format!("{}\n", serde_json::to_string_pretty(&sorted).unwrap())
            );
        }
    }
}
