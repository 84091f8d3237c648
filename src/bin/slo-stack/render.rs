//! The Prometheus and Alertmanager configs of the local stack, rendered from the templates
//! docker-compose uses: the parsed YAML is edited (compose host names become 127.0.0.1 and
//! the chosen ports, rule files become absolute), then written out.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::component::{Component, Ports};
use crate::error::{Error, Result};
use crate::settings::Settings;

/// The rule file entry of the template that stands for the generated rules.
const SLO_RULES_ENTRY: &str = "rules/slo-rules.yml";
/// The scrape job the SLOs in slo.yaml select.
const APP_JOB: &str = "demo-api";

pub struct Rendered {
    pub prometheus: PathBuf,
    pub alertmanager: PathBuf,
}

/// Renders both configs into the run directory; prints each target it drops.
pub fn render(settings: &Settings) -> Result<Rendered> {
    if !settings.rules.is_file() {
        return Err(Error::new(format!(
            "rule file not found: {} (set SLO_STACK_RULES)",
            settings.rules.display()
        )));
    }
    let rules = std::path::absolute(&settings.rules)
        .map_err(|e| Error::io("cannot resolve", &settings.rules, e))?;
    let prometheus_dir = settings.stack_dir.join("prometheus");
    let rendered = Rendered {
        prometheus: settings.run_dir.join("prometheus.yml"),
        alertmanager: settings.run_dir.join("alertmanager.yml"),
    };
    let template = prometheus_dir.join("prometheus.yml");
    let (config, dropped) = prometheus_config(
        read_yaml(&template)?,
        &settings.ports,
        &rules,
        &prometheus_dir,
    )
    .map_err(|e| Error::new(format!("{}: {e}", template.display())))?;
    for target in dropped {
        eprintln!("[slo-stack] not scraped locally (compose only): {target}");
    }
    write_yaml(&rendered.prometheus, &template, &config)?;

    let template = settings.stack_dir.join("alertmanager/alertmanager.yml");
    let config = alertmanager_config(read_yaml(&template)?, &settings.ports)
        .map_err(|e| Error::new(format!("{}: {e}", template.display())))?;
    write_yaml(&rendered.alertmanager, &template, &config)?;
    Ok(rendered)
}

fn read_yaml(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    serde_saphyr::from_str(&text).map_err(|e| Error::new(format!("{}: {e}", path.display())))
}

fn write_yaml(path: &Path, template: &Path, config: &Value) -> Result<()> {
    let yaml = serde_saphyr::to_string(config)
        .map_err(|e| Error::new(format!("cannot write {} as YAML: {e}", path.display())))?;
    let text = format!(
        "# Rendered by slo-stack from {} for the local stack; edit the template instead.\n{yaml}",
        template.display()
    );
    std::fs::write(path, text).map_err(|e| Error::io("cannot write", path, e))
}

/// `host:port` of the compose network to its local address, `None` for a host the local
/// stack does not run.
fn local_address(target: &str, ports: &Ports) -> Option<String> {
    let (host, _port) = target.rsplit_once(':')?;
    let component = Component::from_compose_host(host)?;
    Some(format!("127.0.0.1:{}", ports.of(component)))
}

/// The template's targets with local addresses, and the ones dropped because the local stack
/// does not run them.
fn local_targets(targets: &Value, ports: &Ports, dropped: &mut Vec<String>) -> Vec<Value> {
    let mut local = Vec::new();
    for target in targets.as_array().into_iter().flatten() {
        let text = target.as_str().unwrap_or_default();
        match local_address(text, ports) {
            Some(address) => local.push(Value::from(address)),
            None => dropped.push(text.to_string()),
        }
    }
    local
}

/// Rewrites every `static_configs` list in `configs` (scrape jobs or Alertmanager endpoints)
/// with local targets; static configs left without a target are removed.
fn localize_static_configs(configs: &mut Value, ports: &Ports, dropped: &mut Vec<String>) {
    for config in configs.as_array_mut().into_iter().flatten() {
        let Some(statics) = config
            .get_mut("static_configs")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for entry in statics.iter_mut() {
            let targets = local_targets(&entry["targets"], ports, dropped);
            entry["targets"] = Value::from(targets);
        }
        statics.retain(|entry| entry["targets"].as_array().is_some_and(|t| !t.is_empty()));
    }
}

/// The Prometheus config for the local stack, and the targets it does not scrape.
/// `template_dir` resolves the template's other relative rule files.
pub fn prometheus_config(
    mut config: Value,
    ports: &Ports,
    rules: &Path,
    template_dir: &Path,
) -> std::result::Result<(Value, Vec<String>), String> {
    let rule_files = config
        .get_mut("rule_files")
        .and_then(Value::as_array_mut)
        .ok_or("no rule_files list")?;
    if !rule_files.iter().any(|f| f == SLO_RULES_ENTRY) {
        return Err(format!("rule_files has no entry {SLO_RULES_ENTRY}"));
    }
    for file in rule_files.iter_mut() {
        let path = match file.as_str() {
            Some(SLO_RULES_ENTRY) => rules.to_path_buf(),
            Some(other) => template_dir.join(other),
            None => return Err(format!("rule_files holds a non-string entry: {file}")),
        };
        *file = Value::from(path.display().to_string());
    }

    let mut dropped = Vec::new();
    localize_static_configs(
        &mut config["alerting"]["alertmanagers"],
        ports,
        &mut dropped,
    );
    if let Some(lost) = dropped.first() {
        return Err(format!(
            "Alertmanager target {lost} has no local counterpart"
        ));
    }
    let scrape_configs = config
        .get_mut("scrape_configs")
        .ok_or("no scrape_configs")?;
    localize_static_configs(scrape_configs, ports, &mut dropped);
    let jobs = scrape_configs
        .as_array_mut()
        .ok_or("scrape_configs is not a list")?;
    jobs.retain(|job| {
        job["static_configs"]
            .as_array()
            .is_none_or(|s| !s.is_empty())
    });
    let app_target = Value::from(format!("127.0.0.1:{}", ports.app));
    let app_scraped = jobs.iter().any(|job| {
        job["job_name"] == APP_JOB
            && job["static_configs"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|s| {
                    s["targets"]
                        .as_array()
                        .is_some_and(|t| t.contains(&app_target))
                })
    });
    if !app_scraped {
        return Err(format!(
            "no scrape job {APP_JOB} with target app:PORT (the SLOs select job=\"{APP_JOB}\")"
        ));
    }
    Ok((config, dropped))
}

/// The Alertmanager config for the local stack: webhooks to compose hosts go to 127.0.0.1.
pub fn alertmanager_config(mut config: Value, ports: &Ports) -> std::result::Result<Value, String> {
    let receivers = config
        .get_mut("receivers")
        .and_then(Value::as_array_mut)
        .ok_or("no receivers list")?;
    for receiver in receivers {
        let webhooks = receiver
            .get_mut("webhook_configs")
            .and_then(Value::as_array_mut);
        for webhook in webhooks.into_iter().flatten() {
            let url = webhook["url"].as_str().ok_or("a webhook has no url")?;
            let rest = url
                .strip_prefix("http://")
                .ok_or_else(|| format!("webhook {url} is not http://"))?;
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let address = local_address(authority, ports)
                .ok_or_else(|| format!("webhook {url} has no local counterpart"))?;
            webhook["url"] = Value::from(format!("http://{address}{path}"));
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PORTS: Ports = Ports {
        app: 18000,
        prometheus: 19090,
        alertmanager: 19093,
        sink: 15001,
        node_exporter: 19100,
        postgres: 15432,
    };

    fn yaml(text: &str) -> Value {
        serde_saphyr::from_str(text).unwrap()
    }

    fn template() -> Value {
        yaml(
            &std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("stack/prometheus/prometheus.yml"),
            )
            .unwrap(),
        )
    }

    #[test]
    fn prometheus_targets_and_rule_files_become_local() {
        let config = yaml(
            r#"
rule_files: [rules/slo-rules.yml, rules/extra.yml]
alerting: {alertmanagers: [{static_configs: [{targets: ["alertmanager:9093"]}]}]}
scrape_configs:
  - {job_name: demo-api, static_configs: [{targets: ["app:8000"]}]}
  - {job_name: prometheus, static_configs: [{targets: ["localhost:9090"]}]}
  - {job_name: cadvisor, static_configs: [{targets: ["cadvisor:8080"]}]}
  - {job_name: node, static_configs: [{targets: ["node-exporter:9100", "gpu:9400"]}]}
"#,
        );
        let (local, dropped) =
            prometheus_config(config, &PORTS, Path::new("/r/slo.yml"), Path::new("/t")).unwrap();
        assert_eq!(
            local["rule_files"],
            serde_json::json!(["/r/slo.yml", "/t/rules/extra.yml"])
        );
        assert_eq!(
            local["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"],
            serde_json::json!(["127.0.0.1:19093"])
        );
        let jobs: Vec<(&str, &Value)> = local["scrape_configs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| {
                (
                    j["job_name"].as_str().unwrap(),
                    &j["static_configs"][0]["targets"],
                )
            })
            .collect();
        assert_eq!(
            jobs,
            [
                ("demo-api", &serde_json::json!(["127.0.0.1:18000"])),
                ("prometheus", &serde_json::json!(["127.0.0.1:19090"])),
                ("node", &serde_json::json!(["127.0.0.1:19100"])),
            ]
        );
        assert_eq!(dropped, ["cadvisor:8080", "gpu:9400"]);
    }

    #[test]
    fn the_committed_template_renders_leaving_out_only_compose_only_services() {
        let (local, dropped) =
            prometheus_config(template(), &PORTS, Path::new("/r.yml"), Path::new("/t")).unwrap();
        // cAdvisor watches Docker containers: nothing to scrape without Docker.
        assert_eq!(dropped, ["cadvisor:8080"]);
        let jobs: Vec<&str> = local["scrape_configs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|j| j["job_name"].as_str())
            .collect();
        assert_eq!(jobs, ["demo-api", "prometheus", "alertmanager", "node"]);
    }

    #[test]
    fn a_template_drifting_from_the_compose_names_is_an_error() {
        let mut renamed = template();
        renamed["scrape_configs"][0]["static_configs"][0]["targets"] =
            serde_json::json!(["api:8000"]);
        let err = prometheus_config(renamed, &PORTS, Path::new("/r"), Path::new("/t")).unwrap_err();
        assert!(err.contains("no scrape job demo-api"), "{err}");

        let mut no_rules = template();
        no_rules["rule_files"] = serde_json::json!(["other.yml"]);
        let err =
            prometheus_config(no_rules, &PORTS, Path::new("/r"), Path::new("/t")).unwrap_err();
        assert!(err.contains("no entry rules/slo-rules.yml"), "{err}");

        let mut lost_alertmanager = template();
        lost_alertmanager["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] =
            serde_json::json!(["am:9093"]);
        let err = prometheus_config(lost_alertmanager, &PORTS, Path::new("/r"), Path::new("/t"))
            .unwrap_err();
        assert!(err.contains("am:9093"), "{err}");
    }

    #[test]
    fn alertmanager_webhooks_go_to_the_local_sink() {
        let config = yaml(
            "receivers:\n  - name: \"null\"\n  - name: page\n    webhook_configs:\n      - url: http://alert-sink:5001/alerts/page\n",
        );
        let local = alertmanager_config(config, &PORTS).unwrap();
        assert_eq!(
            local["receivers"][1]["webhook_configs"][0]["url"],
            "http://127.0.0.1:15001/alerts/page"
        );
        let unknown = yaml("receivers: [{name: x, webhook_configs: [{url: 'http://pager:80/'}]}]");
        let err = alertmanager_config(unknown, &PORTS).unwrap_err();
        assert!(err.contains("http://pager:80/"), "{err}");
    }
}
