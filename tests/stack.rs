//! Tests of the demo stack under `stack/`.
//!
//! * Config checks: `promtool check config` on the Prometheus config (as is,
//!   and rendered the way `stack/local.sh` renders it), `amtool check-config`
//!   on Alertmanager's, `docker-compose config -q` on the compose file, and a
//!   syntax check of the Python pieces. A missing tool skips the check with a
//!   printed reason, except when `CI` is set: then it fails.
//! * `e2e_local_stack_slis_match_loadgen`: starts the Docker-free stack on
//!   free ports with known faults (2% errors, 5% of requests delayed 0.5s),
//!   sends a fixed number of requests, waits until Prometheus has scraped the
//!   final counters, and checks that `slo report --format json` agrees with
//!   the load generator's own tally within 0.5 percentage points and that
//!   `slo check --min-budget-remaining 0` fails (exit 1). It needs
//!   prometheus, prometheus-alertmanager and python3 with venv + pip (PyPI);
//!   `stack/local.sh up` installs the Debian packages when run as root.
//!   Skip it with `SLO_STACK_E2E=0`. Run only this file: `cargo test --test stack`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

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

/// A scratch directory removed on drop (std only, no tempfile crate).
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("slo-stack-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"))
}

fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn local_sh() -> Command {
    let mut c = Command::new("bash");
    c.arg(stack().join("local.sh"));
    c
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
    assert_success("promtool check config (compose version)", &out);

    let out = run(Command::new("promtool")
        .arg("check")
        .arg("rules")
        .arg(stack().join("prometheus/rules/slo-rules.yml")));
    assert_success("promtool check rules (committed rule file)", &out);

    let tmp = TempDir::new("render");
    let out = run(local_sh()
        .arg("render")
        .env("SLO_STACK_RUN_DIR", tmp.path())
        .env("SLO_STACK_APP_PORT", "18123")
        .env("SLO_STACK_PROM_PORT", "19123")
        .env("SLO_STACK_AM_PORT", "19124")
        .env_remove("SLO_STACK_RULES"));
    assert_success("local.sh render", &out);
    let rendered = tmp.path().join("prometheus.yml");
    let text = std::fs::read_to_string(&rendered).expect("rendered prometheus.yml");
    assert!(
        text.contains("job_name: demo-api"),
        "scrape job must be named demo-api:\n{text}"
    );
    assert!(
        text.contains("\"127.0.0.1:18123\""),
        "app target not rendered:\n{text}"
    );
    assert!(
        text.contains("\"127.0.0.1:19124\""),
        "alertmanager target not rendered:\n{text}"
    );
    let out = run(Command::new("promtool")
        .arg("check")
        .arg("config")
        .arg(&rendered));
    assert_success("promtool check config (rendered by local.sh)", &out);
}

#[test]
fn alertmanager_config_is_valid_as_committed_and_as_rendered() {
    if !require("amtool", "Debian package prometheus-alertmanager") {
        return;
    }
    let out = run(Command::new("amtool")
        .arg("check-config")
        .arg(stack().join("alertmanager/alertmanager.yml")));
    assert_success("amtool check-config (compose version)", &out);

    let tmp = TempDir::new("render-am");
    let out = run(local_sh()
        .arg("render")
        .env("SLO_STACK_RUN_DIR", tmp.path())
        .env("SLO_STACK_SINK_PORT", "15123"));
    assert_success("local.sh render", &out);
    let rendered = tmp.path().join("alertmanager.yml");
    let text = std::fs::read_to_string(&rendered).expect("rendered alertmanager.yml");
    assert!(
        text.contains("http://127.0.0.1:15123/alerts/page"),
        "webhook not rendered:\n{text}"
    );
    let out = run(Command::new("amtool").arg("check-config").arg(&rendered));
    assert_success("amtool check-config (rendered by local.sh)", &out);
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
    assert_success("docker-compose config -q", &out);
}

#[test]
fn python_sources_compile_and_json_files_parse() {
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
    assert_success("python syntax check", &out);

    let dash =
        std::fs::read_to_string(stack().join("grafana/dashboards/slo.json")).expect("dashboard");
    let v: Value = serde_json::from_str(&dash).expect("stack/grafana/dashboards/slo.json is JSON");
    assert!(
        v.get("panels").is_some() || v.get("dashboard").is_some(),
        "not a Grafana dashboard"
    );
}

// ---------------------------------------------------------------------------
// End to end
// ---------------------------------------------------------------------------

const REQUESTS: u64 = 1500;
const RATE: &str = "40";
const ERROR_RATIO: &str = "0.02";
const LATENCY_RATIO: &str = "0.05";
const LATENCY_SECONDS: &str = "0.5";
const TOLERANCE: f64 = 0.005; // 0.5 percentage points

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .unwrap()
        .port()
}

/// Brings the stack down when dropped, whatever happened in the test.
struct Stack {
    run_dir: TempDir,
    env: Vec<(String, String)>,
    down_done: bool,
}

impl Stack {
    fn command(&self) -> Command {
        let mut c = local_sh();
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
                    && let Ok(pid) = text.trim().parse()
                {
                    pids.push((component.to_string(), pid));
                }
            }
        }
        pids
    }

    fn down(&mut self) -> Output {
        self.down_done = true;
        run(self.command().arg("down"))
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if !self.down_done {
            let out = self.down();
            eprintln!("local.sh down: {}", String::from_utf8_lossy(&out.stderr));
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

#[test]
fn e2e_local_stack_slis_match_loadgen() {
    if std::env::var("SLO_STACK_E2E")
        .map(|v| v == "0")
        .unwrap_or(false)
    {
        eprintln!("SKIPPED: SLO_STACK_E2E=0");
        return;
    }
    for tool in ["bash", "setsid", "sha256sum"] {
        assert!(have(tool), "{tool} is required by stack/local.sh");
    }
    let py = python();
    if !require(&py, "Python 3 with venv and pip") {
        return;
    }
    // SLO_STACK_TEST_SLO_BIN swaps in another binary (only to exercise this
    // harness itself, e.g. against a stand-in while the CLI is being written).
    let slo_bin = std::env::var("SLO_STACK_TEST_SLO_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_slo").to_string());
    let slo = slo_bin.as_str();
    let config = repo().join("slo.yaml");
    assert!(config.exists(), "{} is missing", config.display());

    let run_dir = TempDir::new("e2e");
    let prom_port = free_port();
    let env: Vec<(String, String)> = vec![
        ("SLO_STACK_RUN_DIR", run_dir.path().display().to_string()),
        ("SLO_STACK_APP_PORT", free_port().to_string()),
        ("SLO_STACK_PROM_PORT", prom_port.to_string()),
        ("SLO_STACK_AM_PORT", free_port().to_string()),
        ("SLO_STACK_SINK_PORT", free_port().to_string()),
        ("SLO_STACK_NODE_EXPORTER", "0".to_string()),
        (
            "SLO_STACK_RULES",
            run_dir.path().join("slo-rules.yml").display().to_string(),
        ),
        ("SLO_STACK_TIMEOUT", "120".to_string()),
        ("SLO_STACK_PYTHON", py.clone()),
        ("FAULT_ERROR_RATIO", ERROR_RATIO.to_string()),
        ("FAULT_LATENCY_RATIO", LATENCY_RATIO.to_string()),
        ("FAULT_LATENCY_SECONDS", LATENCY_SECONDS.to_string()),
        ("FAULT_SEED", "20240601".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let prom_url = format!("http://127.0.0.1:{prom_port}");

    // The rules Prometheus loads are the ones slo generates (local.sh up runs
    // promtool on the config, which checks them too).
    let out = run(Command::new(slo)
        .arg("generate-rules")
        .arg("--config")
        .arg(&config)
        .arg("--output")
        .arg(run_dir.path().join("slo-rules.yml")));
    assert_success("slo generate-rules", &out);

    let mut stack = Stack {
        run_dir,
        env,
        down_done: false,
    };
    let started = Instant::now();
    let out = run(stack.command().arg("up"));
    assert_success("local.sh up", &out);
    eprintln!("stack up in {:?}", started.elapsed());

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
    assert_success("loadgen", &out);
    let tally: Value = serde_json::from_slice(&out.stdout).expect("loadgen --json output");
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

    // Prometheus' last scrape must postdate the last request.
    let out = run(stack
        .command()
        .arg("wait-scraped")
        .arg(answered.to_string()));
    assert_success("local.sh wait-scraped", &out);

    let out = run(Command::new(slo)
        .arg("report")
        .arg("--config")
        .arg(&config)
        .arg("--prometheus-url")
        .arg(&prom_url)
        .args(["--format", "json"]));
    assert_success("slo report --format json", &out);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "slo report JSON: {e}\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    eprintln!("slo report: {report}");

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

    // ~2% errors against a 0.5% budget: the budget is overspent, so a policy
    // requiring a non-negative remaining budget fails.
    let remaining = report["slos"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.get("budget_remaining").and_then(Value::as_f64))
        .fold(f64::INFINITY, f64::min);
    let expected_exit = if remaining < 0.0 { 1 } else { 0 };
    assert_eq!(
        expected_exit, 1,
        "with {errors5}/{answered} errors the budget must be overspent: {report}"
    );
    let out = run(Command::new(slo)
        .arg("check")
        .arg("--config")
        .arg(&config)
        .arg("--prometheus-url")
        .arg(&prom_url)
        .args(["--min-budget-remaining", "0"]));
    assert_eq!(
        out.status.code(),
        Some(expected_exit),
        "slo check --min-budget-remaining 0:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // down leaves nothing running.
    let pids = stack.pids();
    assert!(!pids.is_empty(), "no pid files in the run dir");
    let out = stack.down();
    assert_success("local.sh down", &out);
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
        "still running after local.sh down: {left:?}"
    );
}
