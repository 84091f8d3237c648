//! [`SloRun`]: the one way tests run the `slo` binary.
//!
//! ```ignore
//! SloRun::new()
//!     .args(["check", "--max-burn-rate", "1h=14.4"])
//!     .spec(&yaml)
//!     .prometheus(prom())
//!     .at(END_RFC3339)
//!     .run()
//!     .status(exit::POLICY_FAILED)
//!     .stdout_contains("burn rate 1h 20 > max 14.4");
//! ```

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::fake::FakeServer;
use super::process::{CmdOutput, TempDir, run_with_input};
use super::prom::Prometheus;

/// Variables `slo` reads, removed from every run so the developer's shell cannot change a
/// test's outcome; [`SloRun::env`] sets them where a test means to.
const SLO_ENVIRONMENT: [&str; 9] = [
    "SLO_CONFIG",
    "SLO_SOURCE",
    "SLO_PROMETHEUS_URL",
    "SLO_PROMETHEUS_TOKEN",
    "SLO_PROMETHEUS_USER",
    "SLO_PROMETHEUS_PASSWORD",
    "GITHUB_STEP_SUMMARY",
    "SLO_COLOR",
    "CLICOLOR_FORCE",
];

/// Something that answers Prometheus' HTTP API, or a URL that is meant not to.
pub trait DataSource {
    fn url(&self) -> String;
}

impl DataSource for Prometheus {
    fn url(&self) -> String {
        Prometheus::url(self)
    }
}

impl DataSource for FakeServer {
    fn url(&self) -> String {
        FakeServer::url(self)
    }
}

impl DataSource for str {
    fn url(&self) -> String {
        self.to_string()
    }
}

impl DataSource for String {
    fn url(&self) -> String {
        self.clone()
    }
}

/// A run of the `slo` binary: its arguments (subcommand first), then the spec, data source
/// and instant the test gives. Runs from the crate root, guarded, with a 2-minute timeout.
#[derive(Default)]
#[must_use = "nothing runs until .run()"]
pub struct SloRun {
    args: Vec<OsString>,
    spec: Option<String>,
    prometheus: Option<String>,
    at: Option<String>,
    env: Vec<(String, OsString)>,
    stdin: Option<Vec<u8>>,
    dir: Option<PathBuf>,
}

impl SloRun {
    pub fn new() -> SloRun {
        SloRun::default()
    }
    pub fn args<I, S>(mut self, args: I) -> SloRun
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }
    pub fn arg(self, arg: impl Into<OsString>) -> SloRun {
        self.args([arg])
    }
    /// The spec's YAML, written to `slo.yaml` in a temp dir and passed as `--config`.
    pub fn spec(mut self, yaml: &str) -> SloRun {
        self.spec = Some(yaml.to_string());
        self
    }
    /// `--prometheus-url`.
    pub fn prometheus(mut self, source: &(impl DataSource + ?Sized)) -> SloRun {
        self.prometheus = Some(source.url());
        self
    }
    /// `--at`.
    pub fn at(mut self, instant: impl ToString) -> SloRun {
        self.at = Some(instant.to_string());
        self
    }
    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> SloRun {
        self.env.push((key.to_string(), value.into()));
        self
    }
    /// Bytes written to the standard input (closed otherwise).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> SloRun {
        self.stdin = Some(bytes.into());
        self
    }
    /// Keeps the spec (and whatever the command writes beside it) in `dir`, e.g. where a
    /// test then reads a `--junit` file.
    pub fn in_dir(mut self, dir: &Path) -> SloRun {
        self.dir = Some(dir.to_path_buf());
        self
    }

    #[track_caller]
    pub fn run(self) -> CmdOutput {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_slo"));
        cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args(&self.args);
        let scratch;
        if let Some(yaml) = &self.spec {
            let dir = match &self.dir {
                Some(dir) => dir.as_path(),
                None => {
                    scratch = TempDir::new("slo-run");
                    scratch.path()
                }
            };
            let path = dir.join("slo.yaml");
            std::fs::write(&path, yaml).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            cmd.arg("--config").arg(path);
        }
        if let Some(url) = &self.prometheus {
            cmd.args(["--prometheus-url", url]);
        }
        if let Some(at) = &self.at {
            cmd.args(["--at", at]);
        }
        for key in SLO_ENVIRONMENT {
            cmd.env_remove(key);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        run_with_input(cmd, self.stdin, Duration::from_secs(120))
    }
}
