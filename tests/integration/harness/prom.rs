//! A real Prometheus 2.42 (Debian's /usr/bin/prometheus) on backfilled data.

use super::process::{CmdOutput, TempDir, copy_dir, free_port, run, spawn_guarded};
use slo::rules::{Rule, RuleGroup};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long `start` waits for `/-/ready`.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest block promtool may write. Without it promtool writes 2h blocks and re-parses
/// the *whole* input once per block: 30 d × 10 series at 5 m took 12.4 s instead of 0.2 s.
const BACKFILL_MAX_BLOCK: &str = "--max-block-duration=744h";

/// Options for [`Prometheus`]; see [`Prometheus::builder`].
#[derive(Default)]
pub struct PrometheusBuilder {
    openmetrics: Vec<String>,
    block_dirs: Vec<PathBuf>,
    rule_files: Vec<(String, String)>,
    scrape_targets: Vec<String>,
}

impl PrometheusBuilder {
    /// OpenMetrics text to backfill (may be called several times; each is backfilled).
    pub fn openmetrics(mut self, text: impl Into<String>) -> Self {
        self.openmetrics.push(text.into());
        self
    }
    /// A directory of already-built TSDB blocks (e.g. the `--output-dir` of
    /// `promtool tsdb create-blocks-from rules`); every `<ULID>/` subdir with a
    /// `meta.json` is copied into the TSDB before start.
    pub fn blocks_from(mut self, dir: impl AsRef<Path>) -> Self {
        self.block_dirs.push(dir.as_ref().to_path_buf());
        self
    }
    /// A rule file (`file_name`, YAML contents) loaded via `rule_files:`. Note: rules are
    /// evaluated at wall-clock time, not at the backfilled data's time.
    pub fn rule_file(mut self, file_name: &str, yaml: &str) -> Self {
        self.rule_files
            .push((file_name.to_string(), yaml.to_string()));
        self
    }
    /// A target (`host:port`) scraped every second as job `scraped`: live samples at
    /// wall-clock time, and the metric metadata (types) only scraping gives.
    pub fn scrape(mut self, target: &str) -> Self {
        self.scrape_targets.push(target.to_string());
        self
    }
    #[track_caller]
    pub fn start(self) -> Prometheus {
        let dir = TempDir::new("prom");
        let tsdb = dir.join("tsdb");
        std::fs::create_dir_all(&tsdb).unwrap();
        let t0 = Instant::now();
        for (i, text) in self.openmetrics.iter().enumerate() {
            backfill_openmetrics(text, &dir.join(format!("input-{i}.om")), &tsdb);
        }
        let backfill_time = t0.elapsed();
        for d in &self.block_dirs {
            copy_blocks(d, &tsdb);
        }
        let mut config =
            String::from("global:\n  scrape_interval: 1m\n  evaluation_interval: 1m\n");
        if !self.rule_files.is_empty() {
            config.push_str("rule_files:\n");
            for (name, yaml) in &self.rule_files {
                let p = dir.join(name);
                std::fs::write(&p, yaml).unwrap();
                config.push_str(&format!("  - {:?}\n", p.display().to_string()));
            }
        }
        if !self.scrape_targets.is_empty() {
            config.push_str(&format!(
                "scrape_configs:\n  - job_name: scraped\n    scrape_interval: 1s\n    static_configs:\n      - targets: {:?}\n",
                self.scrape_targets
            ));
        }
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config).unwrap();

        let mut last_err = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            match launch(&dir, &config_path, &tsdb, port) {
                Ok((child, startup_time)) => {
                    return Prometheus {
                        child: Some(child),
                        port,
                        _scratch: dir,
                        backfill_time,
                        startup_time,
                    };
                }
                Err(Retry(e)) => last_err = e,
            }
        }
        panic!("prometheus failed to start 3 times (port races?): {last_err}");
    }
}

struct Retry(String);

fn launch(
    dir: &TempDir,
    config: &Path,
    tsdb: &Path,
    port: u16,
) -> Result<(Child, Duration), Retry> {
    let log_path = dir.join("prometheus.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut cmd = Command::new("prometheus");
    cmd.arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", tsdb.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        // Time retention is relative to the newest block, but keep it huge anyway so no
        // backfilled block is ever deleted.
        .arg("--storage.tsdb.retention.time=100y")
        .arg("--web.enable-lifecycle")
        .arg("--web.enable-admin-api")
        .arg("--log.level=info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    let t0 = Instant::now();
    let mut child =
        spawn_guarded(cmd).expect("spawn prometheus (is /usr/bin/prometheus installed?)");
    let deadline = t0 + READY_TIMEOUT;
    loop {
        if let Ok((200, _)) = http_get(port, "/-/ready") {
            return Ok((child, t0.elapsed()));
        }
        if let Some(status) = child.try_wait().unwrap() {
            let tail = log_tail(&log_path);
            if tail.contains("address already in use") {
                return Err(Retry(tail));
            }
            panic!("prometheus exited early with {status}\n--- log tail ---\n{tail}");
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "prometheus not ready on 127.0.0.1:{port} within {READY_TIMEOUT:?}\n--- log tail ---\n{}",
                log_tail(&log_path)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn log_tail(p: &Path) -> String {
    let s = std::fs::read_to_string(p).unwrap_or_default();
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Write `text` to `input` and run `promtool tsdb create-blocks-from openmetrics` into
/// `tsdb`. Panics with promtool's stderr on failure. Empty data (only `# EOF`) is skipped.
#[track_caller]
pub fn backfill_openmetrics(text: &str, input: &Path, tsdb: &Path) {
    if text
        .lines()
        .all(|l| l.starts_with('#') || l.trim().is_empty())
    {
        return;
    }
    std::fs::write(input, text).unwrap();
    let out = promtool_create_blocks(input, tsdb);
    out.assert_success("promtool tsdb create-blocks-from openmetrics");
}

fn promtool_create_blocks(input: &Path, tsdb: &Path) -> CmdOutput {
    let mut cmd = Command::new("promtool");
    cmd.args([
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        "-q",
        BACKFILL_MAX_BLOCK,
    ])
    .arg(input)
    .arg(tsdb);
    run(cmd)
}

/// Copy every block (`<dir>/<ULID>/meta.json`) from `from` into the TSDB dir `tsdb`.
#[track_caller]
pub fn copy_blocks(from: &Path, tsdb: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("read blocks dir {}: {e}", from.display()))
        .flatten()
    {
        if e.path().join("meta.json").is_file() {
            copy_dir(&e.path(), &tsdb.join(e.file_name())).unwrap();
            n += 1;
        }
    }
    n
}

/// Minimal HTTP/1.0 GET on 127.0.0.1 (no runtime needed): `(status, body)`.
pub fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    let status = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = buf
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    Ok((status, body))
}

/// A running Prometheus. Dropping it kills and reaps the process and removes its dir.
/// A `static OnceLock<Prometheus>` is never dropped: the process is still SIGKILLed when
/// the test binary exits (PDEATHSIG, see `process.rs`), and its temp dir is swept by a
/// later run.
pub struct Prometheus {
    child: Option<Child>,
    port: u16,
    /// Config, log and TSDB: removed on drop, after the process is gone.
    _scratch: TempDir,
    /// Time spent in promtool backfilling.
    pub backfill_time: Duration,
    /// Time from spawn to `/-/ready` == 200.
    pub startup_time: Duration,
}

impl Prometheus {
    /// Backfill `openmetrics` and start. See [`Prometheus::builder`] for more options.
    #[track_caller]
    pub fn start(openmetrics: &str) -> Prometheus {
        Prometheus::builder().openmetrics(openmetrics).start()
    }
    pub fn builder() -> PrometheusBuilder {
        PrometheusBuilder::default()
    }
    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    pub fn port(&self) -> u16 {
        self.port
    }
    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }
    /// Queries this server's engine has evaluated (instant and range, rules included), from
    /// its own metrics: the difference across a run is how many queries the run sent. The
    /// engine counts a query before its answer is sent, unlike the HTTP handler's counter,
    /// which may lag the answer the client already has.
    #[track_caller]
    pub fn queries_run(&self) -> f64 {
        let (status, body) = http_get(self.port, "/metrics").unwrap();
        assert_eq!(status, 200);
        body.lines()
            .find_map(|l| {
                l.strip_prefix(
                    "prometheus_engine_query_duration_seconds_count{slice=\"inner_eval\"} ",
                )
            })
            .map_or(0.0, |v| v.parse().unwrap())
    }
    /// Instant query via the HTTP API (reqwest, POST form). Returns the parsed JSON body;
    /// panics unless `status == "success"`. Must not be called from inside a tokio runtime
    /// (use [`Prometheus::query_async`] there).
    #[track_caller]
    pub fn query(&self, promql: &str, at: i64) -> serde_json::Value {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(self.query_async(promql, at))
    }

    pub async fn query_async(&self, promql: &str, at: i64) -> serde_json::Value {
        self.query_at_time_async(promql, &at.to_string()).await
    }

    /// The single value of a query at `time` as the HTTP API takes it: Unix seconds with up
    /// to millisecond decimals (`1793490540.123`), as `timestamp()` answers, which whole
    /// seconds would truncate.
    #[track_caller]
    pub fn query_scalar_at_time(&self, promql: &str, time: &str) -> f64 {
        let body = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(self.query_at_time_async(promql, time));
        let result = body["data"]["result"].as_array().unwrap();
        assert_eq!(
            result.len(),
            1,
            "expected 1 sample for {promql} at {time}, got {body}"
        );
        result[0]["value"][1].as_str().unwrap().parse().unwrap()
    }

    async fn query_at_time_async(&self, promql: &str, time: &str) -> serde_json::Value {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let resp = client
            .post(format!("{}/api/v1/query", self.url()))
            .form(&[("query", promql), ("time", time)])
            .send()
            .await
            .unwrap_or_else(|e| panic!("query {promql}: {e}"));
        let status = resp.status();
        let body: serde_json::Value = resp
            .json()
            .await
            .unwrap_or_else(|e| panic!("query {promql}: HTTP {status}, bad JSON: {e}"));
        assert_eq!(body["status"], "success", "query {promql} failed: {body}");
        body
    }

    /// Values of an instant-vector query as `(labels, value)` pairs.
    #[track_caller]
    pub fn query_vector(&self, promql: &str, at: i64) -> Vec<(serde_json::Value, f64)> {
        let body = self.query(promql, at);
        body["data"]["result"]
            .as_array()
            .unwrap_or_else(|| panic!("no result array: {body}"))
            .iter()
            .map(|r| {
                let v = r["value"][1].as_str().unwrap().parse::<f64>().unwrap();
                (r["metric"].clone(), v)
            })
            .collect()
    }

    /// The single value of a query that must return exactly one sample.
    #[track_caller]
    pub fn query_scalar(&self, promql: &str, at: i64) -> f64 {
        let v = self.query_vector(promql, at);
        assert_eq!(
            v.len(),
            1,
            "expected 1 sample for {promql} at {at}, got {v:?}"
        );
        v[0].1
    }

    /// Run `promtool tsdb create-blocks-from rules` against this server over `[start, end]`
    /// and return the temp dir holding the produced `<ULID>/` blocks (pass it to
    /// [`PrometheusBuilder::blocks_from`] for a second instance).
    #[track_caller]
    pub fn backfill_rules(
        &self,
        rules_yaml: &str,
        start: i64,
        end: i64,
        eval_interval: &str,
    ) -> TempDir {
        let out = TempDir::new("rules-blocks");
        let rules = out.join("rules.yml");
        std::fs::write(&rules, rules_yaml).unwrap();
        let mut cmd = Command::new("promtool");
        cmd.args(["tsdb", "create-blocks-from", "rules"])
            .arg(format!("--url={}", self.url()))
            .arg(format!("--start={start}"))
            .arg(format!("--end={end}"))
            .arg(format!("--eval-interval={eval_interval}"))
            .arg(format!("--output-dir={}", out.path().display()))
            .arg(&rules);
        run(cmd).assert_success("promtool tsdb create-blocks-from rules");
        out
    }
}

/// `groups` split into two backfill levels: the rules that do not read `record`, then those
/// that do. promtool records each rule from what was there before its run, so a rule reading
/// a series its own pass records would record nothing.
pub fn levels_reading(groups: &[RuleGroup], record: &str) -> [Vec<RuleGroup>; 2] {
    let of = |reads: bool| {
        groups
            .iter()
            .map(|g| RuleGroup {
                rules: g
                    .rules
                    .iter()
                    .filter(|r| match r {
                        Rule::Record { expr, .. } | Rule::Alert { expr, .. } => {
                            expr.contains(record) == reads
                        }
                    })
                    .cloned()
                    .collect(),
                ..g.clone()
            })
            .filter(|g| !g.rules.is_empty())
            .collect()
    };
    [of(false), of(true)]
}

/// Rules to record into a [`Prometheus::with_rules_backfilled`], evaluated every minute from
/// `from` to the end.
pub struct RuleBackfill {
    /// A rule file (YAML, or JSON, which is YAML).
    pub rules: String,
    pub from: i64,
}

impl Prometheus {
    /// A Prometheus holding `openmetrics` and what each of `levels` records up to `end`.
    ///
    /// `promtool tsdb create-blocks-from rules` evaluates rules against a running server, so
    /// a rule reading another rule's series only sees them once they are in that server: each
    /// level is backfilled by a server holding the data and the levels before it, which is
    /// stopped once its blocks are written.
    #[track_caller]
    pub fn with_rules_backfilled(
        openmetrics: &str,
        levels: &[RuleBackfill],
        end: i64,
    ) -> Prometheus {
        let start = |blocks: &[TempDir]| {
            blocks
                .iter()
                .fold(Prometheus::builder().openmetrics(openmetrics), |b, d| {
                    b.blocks_from(d.path())
                })
                .start()
        };
        let mut blocks: Vec<TempDir> = Vec::new();
        for level in levels {
            let recorder = start(&blocks);
            blocks.push(recorder.backfill_rules(&level.rules, level.from, end, "1m"));
        }
        start(&blocks)
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
