//! The commands on the stack's daemons: `up`, `down`, `status`, `wait-scraped`, `fault`, `load`.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::component::Component;
use crate::error::{Error, Result};
use crate::http::{Http, Prometheus};
use crate::interrupt;
use crate::load::{self, Profile, Tool};
use crate::postgres::{self, Cluster};
use crate::process::{PidFile, Stopped};
use crate::render::{Rendered, render};
use crate::settings::{NodeExporter, Settings};

/// The scrape job of the app, as slo.yaml selects it.
const APP_JOB: &str = "demo-api";

pub fn note(message: &str) {
    eprintln!("[slo-stack] {message}");
}

fn pid_file(settings: &Settings, component: Component) -> PidFile {
    PidFile::new(&settings.run_dir, component.name())
}

fn log_file(settings: &Settings, component: Component) -> PathBuf {
    settings.log_dir().join(format!("{}.log", component.name()))
}

/// Polls `probe` every `interval` until it yields a value; `Ok(None)` after `limit`.
/// Fails at once when the probe fails or the user interrupts.
pub fn poll<T>(
    limit: Duration,
    interval: Duration,
    mut probe: impl FnMut() -> Result<Option<T>>,
) -> Result<Option<T>> {
    let deadline = Instant::now() + limit;
    loop {
        if interrupt::interrupted() {
            return Err(Error::new("interrupted"));
        }
        if let Some(value) = probe()? {
            return Ok(Some(value));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(interval);
    }
}

/// The programs `up` runs, found on PATH.
struct Programs {
    prometheus: PathBuf,
    alertmanager: PathBuf,
    node_exporter: Option<PathBuf>,
}

/// The first of `names` that is an executable file on PATH.
pub fn find_program(names: &[&str]) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|file| {
            file.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

impl Programs {
    fn find(settings: &Settings) -> Result<Programs> {
        let prometheus = find_program(&["prometheus"]);
        let alertmanager = find_program(&["alertmanager", "prometheus-alertmanager"]);
        let node_exporter = match settings.node_exporter {
            NodeExporter::Never => None,
            NodeExporter::Auto | NodeExporter::Required => {
                find_program(&["node_exporter", "prometheus-node-exporter"])
            }
        };
        let mut missing = Vec::new();
        if prometheus.is_none() {
            missing.push("prometheus");
        }
        if alertmanager.is_none() {
            missing.push("prometheus-alertmanager");
        }
        if node_exporter.is_none() && settings.node_exporter == NodeExporter::Required {
            missing.push("prometheus-node-exporter");
        }
        match (prometheus, alertmanager) {
            (Some(prometheus), Some(alertmanager)) if missing.is_empty() => Ok(Programs {
                prometheus,
                alertmanager,
                node_exporter,
            }),
            _ => Err(Error::new(format!(
                "not installed: {} (Debian: scripts/install-deps.sh demo, or apt-get install {0})",
                missing.join(" ")
            ))),
        }
    }
}

/// The app's virtualenv, created or updated when `app/requirements.txt` changed (by
/// `stack/ensure-venv.sh`, which the Locust and app-test virtualenvs share); its python.
fn ensure_venv(settings: &Settings) -> Result<PathBuf> {
    run_tool(
        Command::new("bash")
            .arg(settings.stack_dir.join("ensure-venv.sh"))
            .arg(&settings.venv)
            .arg(settings.stack_dir.join("app/requirements.txt"))
            .env("SLO_STACK_PYTHON", &settings.python),
    )
    .map_err(|e| {
        Error::new(format!(
            "{e}: the app's virtualenv is not ready (Debian: scripts/install-deps.sh demo \
             installs python3-venv)"
        ))
    })?;
    Ok(settings.venv.join("bin/python"))
}

/// Runs a setup tool with its output on stderr (stdout is this program's answer).
pub fn run_tool(command: &mut Command) -> Result<()> {
    let shown = format!("{command:?}");
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .map_err(|e| Error::new(format!("cannot run {shown}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(format!("{shown} failed ({status})")))
    }
}

fn promtool_check(config: &Path) -> Result<()> {
    let Some(promtool) = find_program(&["promtool"]) else {
        return Ok(());
    };
    let out = Command::new(promtool)
        .args(["check", "config"])
        .arg(config)
        .output()
        .map_err(|e| Error::new(format!("cannot run promtool: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    Err(Error::new(format!(
        "promtool rejected {}:\n{}{}",
        config.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )))
}

/// The command line of `component`, `None` when it is not to run.
fn command(
    component: Component,
    settings: &Settings,
    programs: &Programs,
    venv_python: &Path,
    configs: &Rendered,
) -> Option<Command> {
    let port = settings.ports.of(component);
    let listen = format!("127.0.0.1:{port}");
    let stack = &settings.stack_dir;
    let run = &settings.run_dir;
    let mut command;
    match component {
        Component::Sink => {
            command = Command::new(&settings.python);
            command
                .arg(stack.join("alertmanager/webhook_sink.py"))
                .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--log"])
                .arg(settings.log_dir().join("alerts.jsonl"));
        }
        Component::App => {
            command = Command::new(venv_python);
            command
                .arg(stack.join("app/main.py"))
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .env("APP_LOG_FILE", &settings.app_log_file)
                // The app keeps its SQLite file under the run directory.
                .env("SLO_STACK_RUN_DIR", run);
            if settings.postgres {
                command.env(
                    "DATABASE_URL",
                    postgres::database_url(settings.ports.postgres),
                );
            }
        }
        Component::Alertmanager => {
            command = Command::new(&programs.alertmanager);
            command
                .arg(format!("--config.file={}", configs.alertmanager.display()))
                .arg(format!(
                    "--storage.path={}",
                    run.join("alertmanager-data").display()
                ))
                .arg(format!("--web.listen-address={listen}"))
                .arg(format!("--web.external-url=http://{listen}/"))
                .arg("--cluster.listen-address=");
        }
        Component::NodeExporter => {
            command = Command::new(programs.node_exporter.as_ref()?);
            command.arg(format!("--web.listen-address={listen}"));
        }
        Component::Prometheus => {
            command = Command::new(&programs.prometheus);
            command
                .arg(format!("--config.file={}", configs.prometheus.display()))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    run.join("prometheus-data").display()
                ))
                .arg("--storage.tsdb.retention.time=2d")
                .arg(format!("--web.listen-address={listen}"))
                .arg(format!("--web.external-url=http://{listen}/"))
                .arg("--web.enable-lifecycle");
        }
    }
    Some(command)
}

fn port_in_use(port: u16) -> bool {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok()
}

/// Stops what `up` started unless `up` got to the end.
struct StopUnlessReady<'a> {
    settings: &'a Settings,
    ready: bool,
}

impl Drop for StopUnlessReady<'_> {
    fn drop(&mut self) {
        if !self.ready {
            note("up failed: stopping what was started");
            if let Err(e) = down(self.settings) {
                note(&format!("error: {e}"));
            }
        }
    }
}

pub fn up(settings: &Settings, http: &Http) -> Result<()> {
    for component in Component::START_ORDER {
        if let Some(started) = pid_file(settings, component).running() {
            return Err(Error::new(format!(
                "{} already runs (pid {}); run `slo-stack down` first",
                component.name(),
                started.pid
            )));
        }
    }
    let programs = Programs::find(settings)?;
    let venv_python = ensure_venv(settings)?;
    let log_dir = settings.log_dir();
    std::fs::create_dir_all(&log_dir).map_err(|e| Error::io("cannot create", &log_dir, e))?;
    let configs = render(settings)?;
    promtool_check(&configs.prometheus)?;
    let plan: Vec<(Component, Command)> = Component::START_ORDER
        .into_iter()
        .filter_map(|c| Some((c, command(c, settings, &programs, &venv_python, &configs)?)))
        .collect();
    let postgres_port = settings
        .postgres
        .then_some(("postgres", settings.ports.postgres));
    let ports = plan
        .iter()
        .map(|(component, _)| (component.name(), settings.ports.of(*component)))
        .chain(postgres_port);
    for (name, port) in ports {
        if port_in_use(port) {
            return Err(Error::new(format!(
                "port {port} on 127.0.0.1 ({name}) is already in use"
            )));
        }
    }
    // Fresh state on every up, so a run's counters start from zero.
    for data in ["alertmanager-data", "prometheus-data"] {
        let dir = settings.run_dir.join(data);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io("cannot remove", &dir, e))?;
        }
    }
    settings.write_state()?;

    let mut guard = StopUnlessReady {
        settings,
        ready: false,
    };
    if settings.postgres {
        Cluster::new(settings).start(settings.timeout)?;
    }
    let mut started = Vec::new();
    for (component, command) in plan {
        let shown = format!("{command:?}");
        let pid = pid_file(settings, component)
            .spawn(command, &log_file(settings, component))?
            .pid;
        note(&format!(
            "started {} (pid {pid}): {shown}",
            component.name()
        ));
        started.push(component);
    }
    for component in started {
        wait_ready(settings, http, component)?;
    }
    // The first scrape of the app creates every business series at 0 before load arrives.
    let prometheus = prometheus(settings, http);
    let scraped = poll(settings.timeout, Duration::from_millis(500), || {
        let up = prometheus.query_first(&format!("up{{job=\"{APP_JOB}\"}}"));
        Ok((up.ok().flatten() == Some(1.0)).then_some(()))
    })?;
    if scraped.is_none() {
        return Err(Error::new(format!(
            "Prometheus has not scraped job {APP_JOB} after {:?}{}",
            settings.timeout,
            log_tail(&log_file(settings, Component::Prometheus))
        )));
    }
    note(&format!("Prometheus scrapes job {APP_JOB}"));
    guard.ready = true;
    status(settings, http)
}

fn prometheus<'a>(settings: &Settings, http: &'a Http) -> Prometheus<'a> {
    Prometheus {
        http,
        base: settings.ports.base_url(Component::Prometheus),
    }
}

/// The last lines of a log, to explain a daemon that failed.
fn log_tail(log: &Path) -> String {
    let Ok(text) = std::fs::read_to_string(log) else {
        return String::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    let tail = &lines[lines.len().saturating_sub(20)..];
    format!("; last lines of {}:\n{}", log.display(), tail.join("\n"))
}

fn wait_ready(settings: &Settings, http: &Http, component: Component) -> Result<()> {
    let url = format!(
        "{}{}",
        settings.ports.base_url(component),
        component.readiness_path()
    );
    let pid_file = pid_file(settings, component);
    let log = log_file(settings, component);
    let ready = poll(settings.timeout, Duration::from_millis(200), || {
        if pid_file.running().is_none() {
            return Err(Error::new(format!(
                "{} exited before becoming ready{}",
                component.name(),
                log_tail(&log)
            )));
        }
        Ok(http.answers(&url).then_some(()))
    })?;
    match ready {
        Some(()) => {
            note(&format!("{} ready at {url}", component.name()));
            Ok(())
        }
        None => Err(Error::new(format!(
            "{} not ready at {url} after {:?}{}",
            component.name(),
            settings.timeout,
            log_tail(&log)
        ))),
    }
}

pub fn down(settings: &Settings) -> Result<()> {
    for component in Component::START_ORDER.into_iter().rev() {
        let name = component.name();
        match pid_file(settings, component).stop(settings.stop_timeout)? {
            Some((pid, Stopped::OnTerm)) => note(&format!("stopped {name} (pid {pid})")),
            Some((pid, Stopped::Killed)) => note(&format!(
                "{name} (pid {pid}) ignored TERM for {:?}: killed",
                settings.stop_timeout
            )),
            None => {}
        }
    }
    // After the app, which would answer 503 meanwhile.
    if Cluster::new(settings).stop()? {
        note("stopped postgres");
    }
    settings.remove_state()
}

pub fn status(settings: &Settings, http: &Http) -> Result<()> {
    let mut any_running = false;
    for component in Component::START_ORDER {
        let name = component.name();
        let base = settings.ports.base_url(component);
        match pid_file(settings, component).running() {
            Some(started) => {
                any_running = true;
                let pid = started.pid;
                if http.answers(&format!("{base}{}", component.readiness_path())) {
                    println!("{name:<14} running  pid {pid:<7} {base}");
                } else {
                    println!("{name:<14} starting pid {pid:<7} {base} (not answering)");
                }
            }
            None => println!("{name:<14} stopped"),
        }
    }
    let cluster = Cluster::new(settings);
    if cluster.may_run() {
        any_running = true;
        println!(
            "{:<14} running           127.0.0.1:{} (log: {})",
            "postgres",
            settings.ports.postgres,
            cluster.log().display()
        );
    }
    if any_running {
        println!(
            "logs: {} (app JSON log: {})",
            settings.log_dir().display(),
            settings.app_log_file.display()
        );
    }
    Ok(())
}

/// Waits until Prometheus holds a scrape of the app taken after this call began (so after
/// the load generator exited) that counts `total` requests in all, by default the count the
/// app reports now (right for a load generator that has stopped, when transport errors make
/// its own count of answered requests uncertain). Returns that scrape's instant, Unix
/// seconds: a report evaluated there sees the final counters of every series as the newest
/// samples, with nothing to extrapolate past them and no later scrape to race with.
pub fn wait_scraped(settings: &Settings, http: &Http, total: Option<u64>) -> Result<f64> {
    let began = unix_now();
    let total = match total {
        Some(total) => total,
        None => {
            // Retried: an app just relieved of heavy load may still be draining connections.
            let url = format!("{}/metrics", settings.ports.base_url(Component::App));
            let mut last_error = None;
            let answer = poll(settings.timeout, Duration::from_millis(500), || {
                Ok(http.get(&url).map_err(|e| last_error = Some(e)).ok())
            })?;
            let Some(exposition) = answer else {
                return Err(last_error.unwrap_or_else(|| Error::new(format!("{url}: no answer"))));
            };
            requests_total(&exposition)
                .ok_or_else(|| Error::new(format!("{url} has no http_requests_total")))?
        }
    };
    let prometheus = prometheus(settings, http);
    let requests = format!("http_requests_total{{job=\"{APP_JOB}\"}}");
    let (count, newest_scrape) = (
        format!("sum({requests})"),
        format!("max(timestamp({requests}))"),
    );
    let mut seen = None;
    let done = poll(settings.timeout, Duration::from_millis(500), || {
        seen = prometheus.query_first(&count).ok().flatten();
        // Counters are integers, which f64 holds exactly.
        if seen != Some(total as f64) {
            return Ok(None);
        }
        // Asked second, so the scrape it names is the counted one or a later one, which
        // counts the same requests once the load has stopped.
        let at = prometheus.query_first(&newest_scrape).ok().flatten();
        Ok(at.filter(|&at| at >= began))
    })?;
    match done {
        Some(at) => {
            note(&format!(
                "Prometheus has scraped {total} requests (scrape at {at})"
            ));
            Ok(at)
        }
        None => Err(Error::new(format!(
            "Prometheus reports {} requests after {:?}, expected {total} in a scrape after {began}",
            seen.map_or("no".to_string(), |v| v.to_string()),
            settings.timeout
        ))),
    }
}

/// Seconds since the Unix epoch.
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One `KEY=VALUE` change of the app's faults.
pub type FaultSetting = (String, Value);

/// The app's fault settings, after applying `changes` if there are any.
pub fn fault(settings: &Settings, http: &Http, changes: &[FaultSetting]) -> Result<String> {
    let url = format!("{}/admin/faults", settings.ports.base_url(Component::App));
    if changes.is_empty() {
        http.get(&url)
    } else {
        let body: Map<String, Value> = changes.iter().cloned().collect();
        http.post_json(&url, &Value::Object(body))
    }
}

/// `error_ratio=0.05`, `seed=3` or `latency_ratio=` as the admin endpoint's JSON field:
/// a number (the seed an integer), null (the app's default) for an empty value.
pub fn parse_fault_setting(text: &str) -> std::result::Result<FaultSetting, String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}' is not KEY=VALUE"))?;
    let value = if value.is_empty() {
        Ok(Value::Null)
    } else if key == "seed" {
        value
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| "an integer")
    } else {
        value
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| "a number")
    };
    let value = value.map_err(|wanted| format!("{key} must be {wanted} in '{text}'"))?;
    Ok((key.to_string(), value))
}

/// The sum of the `http_requests_total` series in a Prometheus text exposition.
fn requests_total(exposition: &str) -> Option<u64> {
    let counts: Vec<f64> = exposition
        .lines()
        .filter(|line| {
            line.strip_prefix("http_requests_total")
                .is_some_and(|rest| rest.starts_with(['{', ' ']))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse().ok())
        .collect();
    // Counters are integers, which f64 holds exactly.
    (!counts.is_empty()).then(|| counts.iter().sum::<f64>() as u64)
}

/// Replaces this process with a load generator aimed at the app.
pub fn load(settings: &Settings, tool: Tool, profile: Profile, args: &[String]) -> Error {
    use std::os::unix::process::CommandExt;
    let (mut command, script) = match tool {
        Tool::Loadgen => load::loadgen(settings),
        Tool::Locust => load::locust(settings, profile),
    };
    let err = command.args(args).exec();
    Error::new(format!("cannot run {}: {err}", script.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_settings_become_typed_json_fields() {
        let parsed: Vec<FaultSetting> = ["error_ratio=0.05", "seed=3", "latency_ratio="]
            .into_iter()
            .map(|t| parse_fault_setting(t).unwrap())
            .collect();
        assert_eq!(
            parsed,
            [
                ("error_ratio".to_string(), Value::from(0.05)),
                ("seed".to_string(), Value::from(3)),
                ("latency_ratio".to_string(), Value::Null),
            ]
        );
    }

    #[test]
    fn the_request_total_sums_every_series_of_the_counter() {
        let exposition = "\
# TYPE http_requests_total counter
http_requests_total{handler=\"/items\",status=\"2xx\"} 40.0
http_requests_total{handler=\"/items\",status=\"5xx\"} 2.0
http_requests_total_created{handler=\"/items\"} 1.7e9
";
        assert_eq!(requests_total(exposition), Some(42));
        assert_eq!(requests_total("up 1\n"), None);
    }

    #[test]
    fn bad_fault_settings_say_which_and_why() {
        let err = |text| parse_fault_setting(text).unwrap_err();
        assert_eq!(err("error_ratio"), "'error_ratio' is not KEY=VALUE");
        assert_eq!(err("seed=1.5"), "seed must be an integer in 'seed=1.5'");
        assert_eq!(
            err("error_ratio=lots"),
            "error_ratio must be a number in 'error_ratio=lots'"
        );
    }
}
