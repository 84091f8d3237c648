//! Tests of the demo stack under `stack/`.
//!
//! * Config checks: `promtool check config` on the Prometheus config (as is,
//!   and rendered the way `slo-stack render` renders it), `amtool check-config`
//!   on Alertmanager's, `docker-compose config -q` on the compose file, and a
//!   syntax check of the Python pieces. A missing tool skips the check with a
//!   printed reason, except when `CI` is set: then it fails.
//! * Generated files: what `stack/generate.sh` writes from slo.yaml must be
//!   what is committed under `stack/`, byte for byte.
//! * Grafana wiring: provider paths and the home dashboard inside compose's
//!   mount, every dashboard's default datasources provisioned, the logs
//!   dashboard and its Explore link on the provisioned Loki and Promtail's job.
//! * `e2e_local_stack_slis_match_loadgen`: starts the Docker-free stack on
//!   free ports with known faults (2% errors, 5% of requests delayed 0.5s,
//!   2% of database calls failing), sends a fixed number of requests, waits
//!   until Prometheus has scraped the final counters, and checks that
//!   `slo report --format json` at that scrape's instant agrees with the load generator's own tally
//!   (availability, latency, database availability) within 0.5 percentage
//!   points and that `slo check --min-budget-remaining 0` fails (exit 1).
//! * `e2e_locust_run_on_postgres_matches_locusts_csv`: the stack with
//!   `--postgres` (SQLite, said so, when PostgreSQL is not installed), 30
//!   Locust users for 20 s with 5% errors: every CRUD route works, the report's
//!   availability matches Locust's CSV within 0.5 pp, and `down` stops the
//!   database too.
//!
//!   Both need prometheus, prometheus-alertmanager and python3 with venv + pip
//!   (PyPI); `scripts/install-deps.sh` installs the Debian packages. Skip them
//!   with `SLO_STACK_E2E=0`. Run only this module: `cargo test --test integration stack::`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;
use slo::exit;

use crate::harness::process::{free_port, run_with_input};
use crate::harness::{CmdOutput, SloRun, TempDir};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stack() -> PathBuf {
    repo().join("stack")
}

fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| !v.is_empty() && v != "0" && v != "false")
        .unwrap_or(false)
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Returns false (after printing why) when `tool` is missing outside CI; panics in CI.
fn require(tool: &str, hint: &str) -> bool {
    if have(tool) {
        return true;
    }
    if in_ci() {
        panic!("{tool} is not installed but CI is set ({hint})");
    }
    eprintln!("SKIPPED: {tool} is not installed ({hint})");
    false
}

fn python() -> String {
    std::env::var("SLO_STACK_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Runs `cmd` guarded (it dies with the test binary), stdin closed; `slo-stack up` may
/// create the app's virtualenv from PyPI, hence the long timeout.
fn run(cmd: &mut Command) -> CmdOutput {
    let cmd = std::mem::replace(cmd, Command::new("true"));
    run_with_input(cmd, None, Duration::from_secs(20 * 60))
}

/// The stack's supervisor, `slo-stack`.
fn slo_stack() -> Command {
    Command::new(env!("CARGO_BIN_EXE_slo-stack"))
}

// ---------------------------------------------------------------------------
// Config checks
// ---------------------------------------------------------------------------

#[test]
fn prometheus_config_is_valid_as_committed_and_as_rendered() {
    if !require("promtool", "Debian package prometheus") {
        return;
    }
    let committed = stack().join("prometheus/prometheus.yml");
    let out = run(Command::new("promtool")
        .arg("check")
        .arg("config")
        .arg(&committed));
    out.assert_success("promtool check config (compose version)");

    let out = run(Command::new("promtool")
        .arg("check")
        .arg("rules")
        .arg(stack().join("prometheus/rules/slo-rules.yml")));
    out.assert_success("promtool check rules (committed rule file)");

    let tmp = TempDir::new("render");
    let out = run(slo_stack()
        .arg("render")
        .env("SLO_STACK_RUN_DIR", tmp.path())
        .env("SLO_STACK_APP_PORT", "18123")
        .env("SLO_STACK_PROM_PORT", "19123")
        .env("SLO_STACK_AM_PORT", "19124")
        .env_remove("SLO_STACK_RULES"));
    out.assert_success("slo-stack render");
    let rendered = tmp.path().join("prometheus.yml");
    let config = yaml_file(&rendered);
    let targets_of = |job: &str| {
        config["scrape_configs"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["job_name"] == job)
            .map(|c| c["static_configs"][0]["targets"].clone())
    };
    assert_eq!(
        targets_of("demo-api"),
        Some(serde_json::json!(["127.0.0.1:18123"])),
        "the app's job must be demo-api, scraping the app's port:\n{config}"
    );
    assert_eq!(
        targets_of("prometheus"),
        Some(serde_json::json!(["127.0.0.1:19123"]))
    );
    assert_eq!(
        config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"],
        serde_json::json!(["127.0.0.1:19124"]),
        "alertmanager target not rendered:\n{config}"
    );
    let out = run(Command::new("promtool")
        .arg("check")
        .arg("config")
        .arg(&rendered));
    out.assert_success("promtool check config (rendered by slo-stack)");
}

#[test]
fn alertmanager_config_is_valid_as_committed_and_as_rendered() {
    if !require("amtool", "Debian package prometheus-alertmanager") {
        return;
    }
    let out = run(Command::new("amtool")
        .arg("check-config")
        .arg(stack().join("alertmanager/alertmanager.yml")));
    out.assert_success("amtool check-config (compose version)");

    let tmp = TempDir::new("render-am");
    let out = run(slo_stack()
        .arg("render")
        .env("SLO_STACK_RUN_DIR", tmp.path())
        .env("SLO_STACK_SINK_PORT", "15123"));
    out.assert_success("slo-stack render");
    let rendered = tmp.path().join("alertmanager.yml");
    let text = std::fs::read_to_string(&rendered).expect("rendered alertmanager.yml");
    assert!(
        text.contains("http://127.0.0.1:15123/alerts/page"),
        "webhook not rendered:\n{text}"
    );
    let out = run(Command::new("amtool").arg("check-config").arg(&rendered));
    out.assert_success("amtool check-config (rendered by slo-stack)");
}

#[test]
fn docker_compose_file_parses() {
    if !require(
        "docker-compose",
        "Debian package docker-compose; needs no Docker engine",
    ) {
        return;
    }
    let out = run(Command::new("docker-compose")
        .arg("-f")
        .arg(stack().join("docker-compose.yml"))
        .arg("config")
        .arg("-q"));
    out.assert_success("docker-compose config -q");
}

#[test]
fn python_sources_compile() {
    let py = python();
    if !require(&py, "Python 3") {
        return;
    }
    let sources = [
        "app/main.py",
        "loadgen/loadgen.py",
        "alertmanager/webhook_sink.py",
    ];
    // Compile without writing __pycache__ into the tree.
    let code = "import sys\nfor p in sys.argv[1:]:\n    compile(open(p, encoding='utf-8').read(), p, 'exec')\n";
    let out = run(Command::new(&py)
        .arg("-c")
        .arg(code)
        .args(sources.iter().map(|s| stack().join(s))));
    out.assert_success("python syntax check");
}

// ---------------------------------------------------------------------------
// Generated files and the Grafana wiring
// ---------------------------------------------------------------------------

/// The files under `stack/grafana/provisioning` written by hand; `stack/generate.sh` writes
/// every other one.
const HAND_WRITTEN_PROVISIONING: [&str; 5] = [
    "datasources/loki.yaml",
    "dashboards/logs.yaml",
    "dashboards/logs/demo-api-logs.json",
    "dashboards/resources.yaml",
    "dashboards/resources/demo-api-resources.json",
];

/// Every file under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, files: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                files.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
}

fn json_file(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn yaml_file(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

/// The `*.yaml` files directly in `dir`, parsed.
fn yaml_files_in(dir: &Path) -> Vec<(PathBuf, Value)> {
    files_under(dir)
        .into_iter()
        .filter(|f| f.parent() == Some(Path::new("")) && f.extension() == Some("yaml".as_ref()))
        .map(|f| {
            let path = dir.join(f);
            let value = yaml_file(&path);
            (path, value)
        })
        .collect()
}

#[test]
fn committed_generated_files_match_what_generate_sh_writes() {
    let tmp = TempDir::new("generate");
    let out = run(Command::new("bash")
        .arg(stack().join("generate.sh"))
        .arg(tmp.path())
        .env("SLO_BIN", env!("CARGO_BIN_EXE_slo")));
    out.assert_success("stack/generate.sh");
    let generated = files_under(tmp.path());
    for expected in [
        "prometheus/rules/slo-rules.yml",
        "grafana/provisioning/datasources/slo-prometheus.yaml",
        "grafana/provisioning/dashboards/slo.yaml",
    ] {
        assert!(
            generated.contains(&PathBuf::from(expected)),
            "generate.sh did not write {expected}: {generated:?}"
        );
    }

    let mut drift = Vec::new();
    for file in &generated {
        match std::fs::read(stack().join(file)) {
            Ok(committed) if committed == std::fs::read(tmp.path().join(file)).unwrap() => {}
            Ok(_) => drift.push(format!("stack/{} differs", file.display())),
            Err(e) => drift.push(format!("stack/{}: {e}", file.display())),
        }
    }
    // A file the generator no longer writes (say, a renamed service's dashboard) is drift too.
    let provisioning = Path::new("grafana/provisioning");
    for file in files_under(&stack().join(provisioning)) {
        let hand_written = HAND_WRITTEN_PROVISIONING
            .iter()
            .any(|h| Path::new(h) == file);
        if !hand_written && !generated.contains(&provisioning.join(&file)) {
            drift.push(format!(
                "stack/{} is neither generated nor a known hand-written file",
                provisioning.join(&file).display()
            ));
        }
    }
    assert!(
        drift.is_empty(),
        "the generated files under stack/ are out of date with slo.yaml and slo:\n  {}\n\
         run stack/generate.sh and commit what it writes",
        drift.join("\n  ")
    );

    // The plain command writes the very dashboard the stack provisions.
    let out = SloRun::new()
        .args(["generate-dashboard", "--config", "slo.yaml"])
        .run();
    out.assert_success("slo generate-dashboard --config slo.yaml");
    let uid = out.json()["uid"]
        .as_str()
        .expect("dashboard uid")
        .to_string();
    let committed = stack().join(format!("grafana/provisioning/dashboards/slo/{uid}.json"));
    assert!(
        std::fs::read(&committed).is_ok_and(|c| c == out.stdout.as_bytes()),
        "{} is not what `slo generate-dashboard --config slo.yaml` prints; run stack/generate.sh",
        committed.display()
    );
}

/// The compose file, parsed.
fn compose() -> Value {
    yaml_file(&stack().join("docker-compose.yml"))
}

/// Where a path inside the Grafana container lands under `stack/`, through compose's bind mounts.
fn grafana_host_path(compose: &Value, container_path: &str) -> PathBuf {
    let volumes = compose["services"]["grafana"]["volumes"]
        .as_array()
        .expect("grafana has volumes");
    for volume in volumes.iter().filter_map(Value::as_str) {
        let mut parts = volume.split(':');
        let (Some(source), Some(target)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Some(rest) = container_path.strip_prefix(target) else {
            continue;
        };
        if source.starts_with("./") && (rest.is_empty() || rest.starts_with('/')) {
            return stack()
                .join(source.trim_start_matches("./"))
                .join(rest.trim_start_matches('/'));
        }
    }
    panic!("{container_path} is in no bind mount of the grafana service: {volumes:?}")
}

/// Uid to type of every datasource provisioned under `provisioning/datasources`.
fn provisioned_datasources(compose: &Value, provisioning: &Path) -> Vec<(String, String)> {
    let mut datasources: Vec<(String, String)> = Vec::new();
    for (path, file) in yaml_files_in(&provisioning.join("datasources")) {
        for ds in file["datasources"].as_array().into_iter().flatten() {
            let field = |name: &str| {
                ds[name]
                    .as_str()
                    .unwrap_or_else(|| panic!("{}: a datasource has no {name}", path.display()))
                    .to_string()
            };
            let (uid, kind, url) = (field("uid"), field("type"), field("url"));
            // The datasource must reach a service of the stack, by its compose name.
            let host = url
                .strip_prefix("http://")
                .and_then(|rest| rest.split([':', '/']).next())
                .unwrap_or_default();
            assert!(
                compose["services"].get(host).is_some(),
                "{}: datasource {uid} points at {url}, not at a compose service",
                path.display()
            );
            assert!(
                datasources.iter().all(|(u, _)| *u != uid),
                "datasource uid {uid} is provisioned twice"
            );
            datasources.push((uid, kind));
        }
    }
    datasources
}

/// Every `"datasource": {"type": .., "uid": ..}` anywhere in `value`.
fn datasource_refs(value: &Value, refs: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(ds) = map.get("datasource")
                && let (Some(kind), Some(uid)) = (ds["type"].as_str(), ds["uid"].as_str())
            {
                refs.push((kind.to_string(), uid.to_string()));
            }
            map.values().for_each(|v| datasource_refs(v, refs));
        }
        Value::Array(items) => items.iter().for_each(|v| datasource_refs(v, refs)),
        _ => {}
    }
}

/// The uid a dashboard's datasource reference resolves to by default: itself, or for
/// `${var}` the default of that datasource variable (which must be of the same type).
fn resolved_uid(dashboard: &Value, kind: &str, uid: &str) -> String {
    let Some(name) = uid.strip_prefix("${").and_then(|u| u.strip_suffix('}')) else {
        return uid.to_string();
    };
    let variable = dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["name"] == name && v["type"] == "datasource")
        .unwrap_or_else(|| panic!("no datasource variable {name}"));
    assert_eq!(
        variable["query"], kind,
        "variable {name} lists another type"
    );
    variable["current"]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("variable {name} has no default"))
        .to_string()
}

#[test]
fn grafana_provisioning_matches_the_compose_mounts_and_datasources() {
    let compose = compose();
    let provisioning = grafana_host_path(&compose, "/etc/grafana/provisioning");
    assert_eq!(provisioning, stack().join("grafana/provisioning"));

    let home =
        compose["services"]["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
            .as_str()
            .expect("a home dashboard");
    assert!(
        grafana_host_path(&compose, home).is_file(),
        "the home dashboard {home} is not in the mounted files"
    );

    // Each provider's folder holds dashboards, and each dashboard is loaded exactly once.
    let provider_dirs: Vec<PathBuf> = yaml_files_in(&provisioning.join("dashboards"))
        .iter()
        .flat_map(|(_, file)| file["providers"].as_array().cloned().unwrap_or_default())
        .map(|p| {
            let path = p["options"]["path"]
                .as_str()
                .expect("provider options.path");
            let dir = grafana_host_path(&compose, path);
            assert!(
                dir.is_dir(),
                "provider {} reads {path}, not mounted",
                p["name"]
            );
            dir
        })
        .collect();
    assert!(provider_dirs.len() >= 2, "providers: {provider_dirs:?}");
    let dashboards: Vec<PathBuf> = files_under(&provisioning)
        .into_iter()
        .filter(|f| f.extension() == Some("json".as_ref()))
        .map(|f| provisioning.join(f))
        .collect();
    for dir in &provider_dirs {
        assert!(
            dashboards.iter().any(|d| d.starts_with(dir)),
            "provider folder {} holds no dashboard",
            dir.display()
        );
    }
    for dashboard in &dashboards {
        let loaders = provider_dirs
            .iter()
            .filter(|d| dashboard.starts_with(d))
            .count();
        assert_eq!(
            loaders,
            1,
            "{} is loaded by {loaders} providers",
            dashboard.display()
        );
    }

    // Every datasource a dashboard uses by default is a provisioned one of the right type.
    let datasources = provisioned_datasources(&compose, &provisioning);
    for path in &dashboards {
        let dashboard = json_file(path);
        let mut refs = Vec::new();
        datasource_refs(&dashboard["panels"], &mut refs);
        assert!(!refs.is_empty(), "{} queries nothing", path.display());
        for (kind, uid) in refs {
            let uid = resolved_uid(&dashboard, &kind, &uid);
            assert!(
                datasources.contains(&(uid.clone(), kind.clone())),
                "{} uses {kind} datasource {uid}; provisioned: {datasources:?}",
                path.display()
            );
        }
    }
}

/// Decodes `%XX` escapes (all a URL query component built by percent-encoding holds).
fn percent_decode(text: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%'
            && let Some(hex) = tail.get(..2)
            && let Ok(byte) = u8::from_str_radix(std::str::from_utf8(hex).unwrap_or(""), 16)
        {
            bytes.push(byte);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).expect("UTF-8 after decoding")
}

#[test]
fn logs_dashboard_reads_promtails_job_from_the_provisioned_loki_and_links_the_slos() {
    let provisioning = stack().join("grafana/provisioning");
    let loki: Vec<String> = provisioned_datasources(&compose(), &provisioning)
        .into_iter()
        .filter(|(_, kind)| kind == "loki")
        .map(|(uid, _)| uid)
        .collect();
    assert_eq!(loki.len(), 1, "one Loki datasource: {loki:?}");
    let loki = &loki[0];

    let promtail = yaml_file(&stack().join("promtail/promtail.yml"));
    let jobs: Vec<String> = promtail["scrape_configs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["static_configs"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["labels"]["job"].as_str().map(str::to_string))
        .collect();
    assert!(!jobs.is_empty(), "promtail sets no job label");
    let selects_a_job = |expr: &str| jobs.iter().any(|j| expr.contains(&format!("job=\"{j}\"")));

    let dashboard = json_file(&provisioning.join("dashboards/logs/demo-api-logs.json"));
    assert_eq!(dashboard["schemaVersion"], 39);
    let panels = dashboard["panels"].as_array().expect("panels");
    for kind in ["logs", "timeseries"] {
        assert!(panels.iter().any(|p| p["type"] == kind), "no {kind} panel");
    }
    let mut refs = Vec::new();
    datasource_refs(&dashboard["panels"], &mut refs);
    assert!(
        refs.iter()
            .all(|r| *r == ("loki".to_string(), loki.clone())),
        "every query goes to Loki {loki}: {refs:?}"
    );
    for target in panels
        .iter()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
    {
        let expr = target["expr"].as_str().expect("a target expr");
        assert!(
            selects_a_job(expr),
            "{expr} selects no job promtail ships: {jobs:?}"
        );
    }

    // Links: to Explore on the same Loki and job, and to the SLO dashboard by its tags.
    let links: Vec<&Value> = dashboard["links"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            panels
                .iter()
                .flat_map(|p| p["links"].as_array().into_iter().flatten()),
        )
        .collect();
    let explore: Vec<&str> = links
        .iter()
        .filter_map(|l| l["url"].as_str())
        .filter(|u| u.starts_with("/explore?"))
        .collect();
    assert!(!explore.is_empty(), "no Explore link: {links:?}");
    for url in explore {
        let panes = url
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("panes="))
            .unwrap_or_else(|| panic!("{url} has no panes"));
        let panes: Value = serde_json::from_str(&percent_decode(panes))
            .unwrap_or_else(|e| panic!("{url}: panes is not JSON: {e}"));
        for pane in panes.as_object().expect("panes by id").values() {
            assert_eq!(pane["datasource"], loki.as_str(), "{pane}");
            for query in pane["queries"].as_array().expect("queries") {
                assert_eq!(query["datasource"]["uid"], loki.as_str(), "{query}");
                assert!(
                    selects_a_job(query["expr"].as_str().unwrap_or("")),
                    "{query}"
                );
            }
        }
    }
    let slo_dashboard_tags = files_under(&provisioning.join("dashboards/slo"))
        .iter()
        .map(|f| json_file(&provisioning.join("dashboards/slo").join(f))["tags"].clone())
        .collect::<Vec<_>>();
    let tag_links: Vec<&&Value> = links.iter().filter(|l| l["type"] == "dashboards").collect();
    assert!(!tag_links.is_empty(), "no link to the SLO dashboard");
    for link in tag_links {
        let wanted = link["tags"].as_array().expect("link tags");
        assert!(
            slo_dashboard_tags.iter().any(|tags| wanted
                .iter()
                .all(|t| tags.as_array().is_some_and(|a| a.contains(t)))),
            "link tags {wanted:?} match no SLO dashboard: {slo_dashboard_tags:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// End to end
// ---------------------------------------------------------------------------

const REQUESTS: u64 = 1500;
const RATE: &str = "40";
const ERROR_RATIO: &str = "0.02";
const LATENCY_RATIO: &str = "0.05";
const LATENCY_SECONDS: &str = "0.5";
const DB_ERROR_RATIO: &str = "0.02";
const TOLERANCE: f64 = 0.005; // 0.5 percentage points

/// Brings the stack down when dropped, whatever happened in the test.
struct Stack {
    run_dir: TempDir,
    env: Vec<(String, String)>,
    down_done: bool,
}

impl Stack {
    fn command(&self) -> Command {
        let mut c = slo_stack();
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Pids of the running components, from the pid files.
    fn pids(&self) -> Vec<(String, u32)> {
        let mut pids = Vec::new();
        if let Ok(rd) = std::fs::read_dir(self.run_dir.path()) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if let Some(component) = name.strip_suffix(".pid")
                    && let Ok(text) = std::fs::read_to_string(e.path())
                    && let Some(Ok(pid)) = text.split_whitespace().next().map(str::parse)
                {
                    pids.push((component.to_string(), pid));
                }
            }
        }
        pids
    }

    /// `slo-stack wait-scraped [TOTAL]`: the instant (Unix seconds, as printed) of a scrape
    /// of the app taken after the load ended and holding its final counters. Reports
    /// evaluated there count exactly the requests the app answered: evaluated at "now",
    /// which `slo` takes in whole seconds, one could precede that scrape and see the one
    /// before it, taken while the load still ran.
    fn wait_scraped(&self, total: Option<u64>) -> String {
        let out = run(self
            .command()
            .arg("wait-scraped")
            .args(total.map(|t| t.to_string())));
        out.assert_success("slo-stack wait-scraped");
        out.stdout.trim().to_string()
    }

    fn down(&mut self) -> CmdOutput {
        self.down_done = true;
        run(self.command().arg("down"))
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if !self.down_done {
            let out = self.down();
            eprintln!("slo-stack down: {}", out.stderr);
        }
    }
}

/// Running, i.e. existing and not a zombie waiting for init to reap it.
fn process_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .map(|(_, rest)| !rest.starts_with('Z'))
            .unwrap_or(true),
        Err(_) => false,
    }
}

/// The SLI of the root slo.yaml's SLO `name` in a report (not grouped, so exactly one row).
fn sli_for(report: &Value, name: &str) -> Option<f64> {
    let rows: Vec<&Value> = report
        .get("slos")?
        .as_array()?
        .iter()
        .filter(|s| s.get("slo").and_then(Value::as_str) == Some(name))
        .collect();
    match rows.as_slice() {
        [row] => row.get("sli")?.as_f64(),
        _ => None,
    }
}

/// The event count of the root slo.yaml's SLO `name` in a report.
fn events_total(report: &Value, name: &str) -> f64 {
    report["slos"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["slo"] == name)
        .and_then(|s| s["events"]["total"].as_f64())
        .unwrap_or(f64::NAN)
}

/// Held by each end-to-end test: one stack at a time, so that the client-side latencies the
/// tallies count are not skewed by the other stack's load on the CPUs.
static ONE_STACK_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Python for the stack when the end-to-end tests are to run, `None` (printed why) when not.
fn e2e_python() -> Option<String> {
    if std::env::var("SLO_STACK_E2E")
        .map(|v| v == "0")
        .unwrap_or(false)
    {
        eprintln!("SKIPPED: SLO_STACK_E2E=0");
        return None;
    }
    for (tool, package) in [
        ("prometheus", "prometheus"),
        ("prometheus-alertmanager", "prometheus-alertmanager"),
    ] {
        if !require(
            tool,
            &format!("Debian package {package}: scripts/install-deps.sh"),
        ) {
            return None;
        }
    }
    let py = python();
    require(&py, "Python 3 with venv and pip").then_some(py)
}

/// The slo binary the end-to-end tests run. SLO_STACK_TEST_SLO_BIN swaps in another (only
/// to exercise this harness itself, e.g. against a stand-in while the CLI is being written).
fn e2e_slo_bin() -> String {
    std::env::var("SLO_STACK_TEST_SLO_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_slo").to_string())
}

impl Stack {
    /// Generates the rules from the root slo.yaml, then starts the stack on free ports in a
    /// new run directory with `settings` (more `SLO_STACK_*` and `FAULT_*` variables).
    fn up(tag: &str, slo: &str, py: &str, settings: &[(&str, String)]) -> (Stack, String) {
        let run_dir = TempDir::new(tag);
        let prom_port = free_port();
        let rules = run_dir.path().join("slo-rules.yml");
        let env: Vec<(String, String)> = [
            ("SLO_STACK_RUN_DIR", run_dir.path().display().to_string()),
            ("SLO_STACK_APP_PORT", free_port().to_string()),
            ("SLO_STACK_PROM_PORT", prom_port.to_string()),
            ("SLO_STACK_AM_PORT", free_port().to_string()),
            ("SLO_STACK_SINK_PORT", free_port().to_string()),
            ("SLO_STACK_NODE_EXPORTER", "0".to_string()),
            ("SLO_STACK_RULES", rules.display().to_string()),
            ("SLO_STACK_TIMEOUT", "120".to_string()),
            ("SLO_STACK_PYTHON", py.to_string()),
        ]
        .iter()
        .chain(settings)
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();

        // The rules Prometheus loads are the ones slo generates (slo-stack up runs
        // promtool on the config, which checks them too).
        let out = run(Command::new(slo)
            .arg("generate-rules")
            .arg("--config")
            .arg(repo().join("slo.yaml"))
            .arg("--output")
            .arg(&rules));
        out.assert_success("slo generate-rules");

        let stack = Stack {
            run_dir,
            env,
            down_done: false,
        };
        let started = Instant::now();
        let out = run(stack.command().arg("up"));
        out.assert_success("slo-stack up");
        eprintln!("stack up in {:?}", started.elapsed());
        (stack, format!("http://127.0.0.1:{prom_port}"))
    }

    /// Brings the stack down and checks that nothing it ran is left running.
    fn down_leaves_nothing_running(&mut self) {
        let pids = self.pids();
        assert!(!pids.is_empty(), "no pid files in the run dir");
        let out = self.down();
        out.assert_success("slo-stack down");
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut left: Vec<(String, u32)>;
        loop {
            left = pids
                .iter()
                .filter(|(_, pid)| process_running(*pid))
                .cloned()
                .collect();
            if left.is_empty() || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            left.is_empty(),
            "still running after slo-stack down: {left:?}"
        );
    }
}

/// `slo report --format json` on the root slo.yaml at the instant `at` (Unix seconds).
fn slo_report(slo: &str, prom_url: &str, at: &str) -> Value {
    let out = run(Command::new(slo)
        .arg("report")
        .arg("--config")
        .arg(repo().join("slo.yaml"))
        .arg("--prometheus-url")
        .arg(prom_url)
        .args(["--at", at, "--format", "json"]));
    out.assert_success("slo report --format json");
    let report = out.json();
    eprintln!("slo report: {report}");
    report
}

#[test]
fn e2e_local_stack_slis_match_loadgen() {
    let Some(py) = e2e_python() else {
        return;
    };
    let _one = ONE_STACK_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let slo_bin = e2e_slo_bin();
    let slo = slo_bin.as_str();
    let config = repo().join("slo.yaml");
    let faults = [
        ("FAULT_ERROR_RATIO", ERROR_RATIO.to_string()),
        ("FAULT_LATENCY_RATIO", LATENCY_RATIO.to_string()),
        ("FAULT_LATENCY_SECONDS", LATENCY_SECONDS.to_string()),
        ("FAULT_DB_ERROR_RATIO", DB_ERROR_RATIO.to_string()),
        ("FAULT_SEED", "20240601".to_string()),
    ];
    let (mut stack, prom_url) = Stack::up("e2e", slo, &py, &faults);

    // A fixed number of requests at a modest rate (~40 s).
    let out = run(stack
        .command()
        .arg("load")
        .args([
            "--requests",
            &REQUESTS.to_string(),
            "--rate",
            RATE,
            "--concurrency",
            "4",
        ])
        .args([
            "--seed",
            "7",
            "--latency-threshold",
            "0.3",
            "--json",
            "--quiet",
        ]));
    out.assert_success("loadgen");
    let tally = out.json();
    eprintln!("loadgen tally: {tally}");
    let total = tally["total"].as_u64().unwrap();
    let answered = tally["answered"].as_u64().unwrap();
    let errors5 = tally["by_class"]["5xx"].as_u64().unwrap();
    let errors4 = tally["by_class"]["4xx"].as_u64().unwrap();
    let slow = tally["slow"].as_u64().unwrap();
    assert_eq!(total, REQUESTS);
    assert_eq!(
        tally["transport_errors"].as_u64(),
        Some(0),
        "transport errors: {tally}"
    );
    assert_eq!(errors4, 0, "the load mix must not produce 4xx: {tally}");
    let want_availability = 1.0 - errors5 as f64 / answered as f64;
    let want_latency = 1.0 - slow as f64 / answered as f64;
    // The faults really happened (2% / 5% of 1500, far from zero).
    assert!(
        errors5 >= 10 && slow >= 30,
        "faults not injected as configured: {tally}"
    );

    let at = stack.wait_scraped(Some(answered));
    let report = slo_report(slo, &prom_url, &at);
    let avail = sli_for(&report, "availability").expect("report has the availability SLO");
    let lat = sli_for(&report, "latency").expect("report has the latency SLO");
    eprintln!(
        "availability: report {avail:.5}, loadgen {want_availability:.5}; \
         latency: report {lat:.5}, loadgen {want_latency:.5}"
    );
    assert!(
        (avail - want_availability).abs() <= TOLERANCE,
        "availability SLI {avail} differs from the loadgen's {want_availability} by more than 0.5 pp"
    );
    assert!(
        (lat - want_latency).abs() <= TOLERANCE,
        "latency SLI {lat} differs from the loadgen's {want_latency} by more than 0.5 pp"
    );

    // An injected 500 fails a request before its one database call; a 503 is a database
    // call that failed.
    let status = |code: &str| tally["by_status"][code].as_u64().unwrap_or(0);
    let (injected, db_failed) = (status("500"), status("503"));
    assert_eq!(
        injected + db_failed,
        errors5,
        "5xx other than 500/503: {tally}"
    );
    assert!(db_failed >= 10, "database fault not injected: {tally}");
    let want_db_availability = 1.0 - db_failed as f64 / (answered - injected) as f64;
    let db_avail = sli_for(&report, "db-availability").expect("report has db-availability");
    eprintln!("database availability: report {db_avail:.5}, loadgen {want_db_availability:.5}");
    assert!(
        (db_avail - want_db_availability).abs() <= TOLERANCE,
        "db-availability SLI {db_avail} differs from the loadgen's {want_db_availability} by \
         more than 0.5 pp"
    );

    // ~2% errors against a 0.5% budget: the budget is overspent, so a policy
    // requiring a non-negative remaining budget fails.
    let remaining = report["slos"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.get("budget_remaining").and_then(Value::as_f64))
        .fold(f64::INFINITY, f64::min);
    let expected_exit = if remaining < 0.0 {
        exit::POLICY_FAILED
    } else {
        exit::OK
    };
    assert_eq!(
        expected_exit,
        exit::POLICY_FAILED,
        "with {errors5}/{answered} errors the budget must be overspent: {report}"
    );
    let out = run(Command::new(slo)
        .arg("check")
        .arg("--config")
        .arg(&config)
        .arg("--prometheus-url")
        .arg(&prom_url)
        .args(["--at", &at, "--min-budget-remaining", "0"]));
    out.status(expected_exit);

    stack.down_leaves_nothing_running();
}

/// Whether Debian's PostgreSQL server programs are installed.
fn postgres_installed() -> bool {
    std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .any(|version| version.path().join("bin/initdb").is_file())
}

/// `Request Count` and `Failure Count` of the `Aggregated` row, and the routes with a
/// success, from Locust's PREFIX_stats.csv.
fn locust_stats(csv: &Path) -> (u64, u64, Vec<String>) {
    let text = std::fs::read_to_string(csv).expect("Locust's stats CSV");
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let column = |name: &str| rows[0].iter().position(|h| *h == name).expect(name);
    let (kind, name, requests, failures) = (
        column("Type"),
        column("Name"),
        column("Request Count"),
        column("Failure Count"),
    );
    let count = |row: &[&str], i: usize| row[i].parse::<u64>().expect("a count");
    let total = rows
        .iter()
        .find(|r| r[name] == "Aggregated")
        .unwrap_or_else(|| panic!("no Aggregated row:\n{text}"));
    let succeeded = rows[1..]
        .iter()
        .filter(|r| r[name] != "Aggregated" && count(r, requests) > count(r, failures))
        .map(|r| format!("{} {}", r[kind], r[name]))
        .collect();
    (count(total, requests), count(total, failures), succeeded)
}

#[test]
fn e2e_locust_run_on_postgres_matches_locusts_csv() {
    let Some(py) = e2e_python() else {
        return;
    };
    let _one = ONE_STACK_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let postgres = postgres_installed();
    if !postgres {
        eprintln!(
            "SKIPPED the PostgreSQL part (the app runs on SQLite): Debian package postgresql \
             not installed (scripts/install-deps.sh test)"
        );
    }
    let slo_bin = e2e_slo_bin();
    let slo = slo_bin.as_str();
    let settings = [
        ("SLO_STACK_POSTGRES", postgres.to_string()),
        ("SLO_STACK_PG_PORT", free_port().to_string()),
        ("FAULT_ERROR_RATIO", "0.05".to_string()),
        ("FAULT_SEED", "20240602".to_string()),
    ];
    let (mut stack, prom_url) = Stack::up("locust", slo, &py, &settings);

    let out = run(stack.command().args([
        "load",
        "--load",
        "locust",
        "--profile",
        "baseline",
        // Enough requests (~500) that one answered but unrecorded when Locust stops
        // weighs well under the tolerance.
        "--users",
        "30",
        "--spawn-rate",
        "30",
        "--run-time",
        "20s",
        "--exit-code-on-error",
        "0",
    ]));
    out.assert_success("slo-stack load --load locust");
    let csv = stack.run_dir.path().join("locust-baseline_stats.csv");
    let (requests, failures, succeeded) = locust_stats(&csv);
    eprintln!("locust: {requests} requests, {failures} failures; succeeded: {succeeded:?}");
    assert!(
        requests >= 200 && failures >= 1,
        "too little load or no injected fault"
    );
    // Every CRUD route worked, on PostgreSQL with --postgres.
    for route in [
        "POST /items",
        "GET /items",
        "GET /items/[id]",
        "PUT /items/[id]",
        "DELETE /items/[id]",
    ] {
        assert!(
            succeeded.iter().any(|r| r == route),
            "{route} never succeeded"
        );
    }

    let at = stack.wait_scraped(None);
    let report = slo_report(slo, &prom_url, &at);
    let avail = sli_for(&report, "availability").expect("report has the availability SLO");
    let want = 1.0 - failures as f64 / requests as f64;
    // Where the two tallies part, if they do: requests the app answered that Locust did not
    // record, and Locust's transport errors, which never reach the app.
    let answered = events_total(&report, "availability");
    eprintln!(
        "availability: report {avail:.5} ({answered} requests), Locust {want:.5} ({requests} \
         requests, {failures} failed)"
    );
    assert!(
        (avail - want).abs() <= TOLERANCE,
        "availability SLI {avail} differs from Locust's {want} by more than 0.5 pp; Locust's \
         failures:\n{}",
        std::fs::read_to_string(stack.run_dir.path().join("locust-baseline_failures.csv"))
            .unwrap_or_default()
    );

    let run_dir = stack.run_dir.path().to_path_buf();
    let sqlite = run_dir.join("demo-api.sqlite3");
    let cluster_pid = run_dir.join("postgres/data/postmaster.pid");
    if postgres {
        assert!(cluster_pid.exists(), "PostgreSQL is not running");
        assert!(!sqlite.exists(), "the app used SQLite despite --postgres");
    } else {
        assert!(sqlite.exists(), "the app's SQLite file is missing");
    }
    stack.down_leaves_nothing_running();
    assert!(
        !cluster_pid.exists(),
        "PostgreSQL still runs after slo-stack down"
    );
}
