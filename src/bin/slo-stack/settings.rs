//! Where the stack lives and what it listens on. Each value comes from its flag or
//! environment variable, then, for the ports, from the state file of the running stack,
//! then from the default.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::component::Ports;
use crate::error::{Error, Result};

/// Whether `up` starts node-exporter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum NodeExporter {
    /// When it is installed.
    Auto,
    /// Not at all.
    #[value(alias = "0", alias = "no", alias = "false")]
    Never,
    /// Fail when it is not installed.
    #[value(alias = "1", alias = "yes", alias = "true")]
    Required,
}

#[derive(clap::Args, Debug)]
pub struct StackArgs {
    /// The stack's templates and programs [default: the repository's stack/]
    #[arg(long, env = "SLO_STACK_DIR", value_name = "DIR", global = true)]
    stack_dir: Option<PathBuf>,
    /// Pid files, logs, TSDB and rendered configs [default: STACK_DIR/.run]
    #[arg(long, env = "SLO_STACK_RUN_DIR", value_name = "DIR", global = true)]
    run_dir: Option<PathBuf>,
    /// demo-api's port [default: 8000, or the running stack's]
    #[arg(long, env = "SLO_STACK_APP_PORT", value_name = "PORT", value_parser = port(), global = true)]
    app_port: Option<u16>,
    /// Prometheus' port [default: 9090, or the running stack's]
    #[arg(long, env = "SLO_STACK_PROM_PORT", value_name = "PORT", value_parser = port(), global = true)]
    prom_port: Option<u16>,
    /// Alertmanager's port [default: 9093, or the running stack's]
    #[arg(long, env = "SLO_STACK_AM_PORT", value_name = "PORT", value_parser = port(), global = true)]
    am_port: Option<u16>,
    /// The alert webhook sink's port [default: 5001, or the running stack's]
    #[arg(long, env = "SLO_STACK_SINK_PORT", value_name = "PORT", value_parser = port(), global = true)]
    sink_port: Option<u16>,
    /// node-exporter's port [default: 9100, or the running stack's]
    #[arg(long, env = "SLO_STACK_NODE_PORT", value_name = "PORT", value_parser = port(), global = true)]
    node_port: Option<u16>,
    /// PostgreSQL's port with --postgres [default: 5432, or the running stack's]
    #[arg(long, env = "SLO_STACK_PG_PORT", value_name = "PORT", value_parser = port(), global = true)]
    pg_port: Option<u16>,
    /// Store the app's items in PostgreSQL (Debian's postgresql package, a cluster under
    /// RUN_DIR/postgres) instead of SQLite (RUN_DIR/demo-api.sqlite3)
    #[arg(long, env = "SLO_STACK_POSTGRES", global = true)]
    postgres: bool,
    /// Start node-exporter
    #[arg(long, env = "SLO_STACK_NODE_EXPORTER", value_enum, default_value_t = NodeExporter::Auto, global = true)]
    node_exporter: NodeExporter,
    /// The rule file Prometheus loads [default: STACK_DIR/prometheus/rules/slo-rules.yml]
    #[arg(long, env = "SLO_STACK_RULES", value_name = "FILE", global = true)]
    rules: Option<PathBuf>,
    /// The app's virtualenv [default: STACK_DIR/.run/venv]
    #[arg(long, env = "SLO_STACK_VENV", value_name = "DIR", global = true)]
    venv: Option<PathBuf>,
    /// Interpreter that creates the virtualenv and runs the sink and the load generator
    #[arg(
        long,
        env = "SLO_STACK_PYTHON",
        default_value = "python3",
        global = true
    )]
    python: String,
    /// Seconds to wait for readiness and scrapes
    #[arg(long, env = "SLO_STACK_TIMEOUT", value_name = "SECONDS", default_value = "60", value_parser = seconds, global = true)]
    timeout: Duration,
    /// Seconds between TERM and KILL
    #[arg(long, env = "SLO_STACK_STOP_TIMEOUT", value_name = "SECONDS", default_value = "10", value_parser = seconds, global = true)]
    stop_timeout: Duration,
    /// The app's JSON log file [default: RUN_DIR/logs/app.json.log]
    #[arg(long, env = "APP_LOG_FILE", value_name = "FILE", global = true)]
    app_log_file: Option<PathBuf>,
}

fn port() -> clap::builder::RangedI64ValueParser<u16> {
    clap::value_parser!(u16).range(1..)
}

fn seconds(text: &str) -> std::result::Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "expected a positive number of seconds, got '{text}'"
        )),
    }
}

pub struct Settings {
    pub stack_dir: PathBuf,
    pub run_dir: PathBuf,
    pub ports: Ports,
    pub node_exporter: NodeExporter,
    pub postgres: bool,
    pub rules: PathBuf,
    pub venv: PathBuf,
    pub python: String,
    pub timeout: Duration,
    pub stop_timeout: Duration,
    pub app_log_file: PathBuf,
}

/// Whether unset ports come from the running stack's state file (every command but those
/// that start or describe a new stack).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PortSource {
    RunningStack,
    Defaults,
}

const DEFAULT_PORTS: Ports = Ports {
    app: 8000,
    prometheus: 9090,
    alertmanager: 9093,
    sink: 5001,
    node_exporter: 9100,
    postgres: 5432,
};

impl StackArgs {
    pub fn settings(self, port_source: PortSource) -> Result<Settings> {
        let stack_dir = self
            .stack_dir
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("stack"));
        let run_dir = self.run_dir.unwrap_or_else(|| stack_dir.join(".run"));
        std::fs::create_dir_all(&run_dir)
            .map_err(|e| Error::io("cannot create the run directory", &run_dir, e))?;
        // Absolute, because the daemons get it in their arguments and run elsewhere.
        let run_dir = run_dir
            .canonicalize()
            .map_err(|e| Error::io("cannot resolve", &run_dir, e))?;
        let fallback = match port_source {
            PortSource::RunningStack => read_state(&run_dir)?.unwrap_or(DEFAULT_PORTS),
            PortSource::Defaults => DEFAULT_PORTS,
        };
        let ports = Ports {
            app: self.app_port.unwrap_or(fallback.app),
            prometheus: self.prom_port.unwrap_or(fallback.prometheus),
            alertmanager: self.am_port.unwrap_or(fallback.alertmanager),
            sink: self.sink_port.unwrap_or(fallback.sink),
            node_exporter: self.node_port.unwrap_or(fallback.node_exporter),
            postgres: self.pg_port.unwrap_or(fallback.postgres),
        };
        Ok(Settings {
            rules: self
                .rules
                .unwrap_or_else(|| stack_dir.join("prometheus/rules/slo-rules.yml")),
            venv: self.venv.unwrap_or_else(|| stack_dir.join(".run/venv")),
            app_log_file: self
                .app_log_file
                .unwrap_or_else(|| run_dir.join("logs/app.json.log")),
            stack_dir,
            run_dir,
            ports,
            node_exporter: self.node_exporter,
            postgres: self.postgres,
            python: self.python,
            timeout: self.timeout,
            stop_timeout: self.stop_timeout,
        })
    }
}

impl Settings {
    pub fn log_dir(&self) -> PathBuf {
        self.run_dir.join("logs")
    }

    fn state_file(run_dir: &Path) -> PathBuf {
        run_dir.join("stack.json")
    }

    /// Remembers the ports of the stack being started, for the commands that follow.
    pub fn write_state(&self) -> Result<()> {
        let path = Settings::state_file(&self.run_dir);
        let text = serde_json::to_string_pretty(&self.ports).expect("ports serialize");
        std::fs::write(&path, text).map_err(|e| Error::io("cannot write", &path, e))
    }

    pub fn remove_state(&self) -> Result<()> {
        let path = Settings::state_file(&self.run_dir);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::io("cannot remove", &path, e))
            }
            _ => Ok(()),
        }
    }
}

fn read_state(run_dir: &Path) -> Result<Option<Ports>> {
    let path = Settings::state_file(run_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("cannot read", &path, e)),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Error::new(format!(
            "{}: {e} (remove it if no stack runs from this directory)",
            path.display()
        ))
    })
}
