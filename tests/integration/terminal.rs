//! The terminal experience, driven in `tmux` (a real terminal for `slo`): the progress line
//! on stderr against a slow server, `report --watch` redrawing as the data changes, Ctrl-C
//! restoring the screen; and `--color`, `--quiet` and `--watch`'s usage errors without one.
//!
//! Every wait polls the pane for the text it expects, with a bound: never sleep-and-hope.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use slo::exit;

use crate::harness::{FakeServer, Mode, SloRun, TempDir};

/// A raw SLO per name, each with its own query, so that every SLO needs queries of its own.
fn raw_spec(names: &[&str]) -> String {
    let slos: String = names
        .iter()
        .map(|name| {
            format!(
                "  - name: {name}\n    objective: 99\n    window: 30d\n    sli:\n      raw:\n        \
                 error_ratio: sum(rate(failed_total{{slo=\"{name}\"}}[{{{{window}}}}])) / sum(rate(jobs_total[{{{{window}}}}]))\n"
            )
        })
        .collect();
    format!("version: 1\nservice: jobs\nslos:\n{slos}")
}

/// Prometheus' answer to a raw query: one sample, this error ratio.
fn ratio_answer(ratio: f64) -> String {
    format!(
        r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[1,"{ratio}"]}}]}}}}"#
    )
}

/// A tmux server of its own (its own socket) with one 200x50 pane running `script` in `sh`.
/// Killed when dropped.
struct Pane {
    socket: String,
}

impl Pane {
    fn start(script: &str) -> Pane {
        static SERVERS: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "slo-test-{}-{}",
            std::process::id(),
            SERVERS.fetch_add(1, Ordering::SeqCst)
        );
        let pane = Pane { socket };
        // The pane must not look like CI, nor inherit colour choices from the developer.
        let script = format!(
            "unset CI NO_COLOR SLO_COLOR CLICOLOR_FORCE SLO_PROMETHEUS_URL SLO_CONFIG; {script}; \
             echo EXIT=$?; sleep 600"
        );
        let status = pane
            .tmux()
            .args([
                "new-session",
                "-d",
                "-x",
                "200",
                "-y",
                "50",
                "sh",
                "-c",
                &script,
            ])
            .status()
            .expect("tmux runs (scripts/install-deps.sh test installs it)");
        assert!(status.success(), "tmux new-session failed");
        pane
    }

    fn tmux(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket, "-f", "/dev/null"]);
        command
    }

    /// What the pane shows now.
    fn screen(&self) -> String {
        let out = self.tmux().args(["capture-pane", "-p"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen once `ready` holds of it; panics with the last screen after `limit`.
    #[track_caller]
    fn wait_for(&self, what: &str, limit: Duration, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < limit,
                "waited {limit:?} for {what}; the pane shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keys(&self, keys: &str) {
        let status = self.tmux().args(["send-keys", keys]).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

fn slo_command(spec: &Path, url: &str) -> String {
    format!(
        "{} report --config {} --prometheus-url {url}",
        env!("CARGO_BIN_EXE_slo"),
        spec.display()
    )
}

/// A server that answers every query with the same small ratio after 0.3 s, so a report
/// runs long enough for the progress line to show.
fn slow_server() -> FakeServer {
    FakeServer::start(Mode::Slow {
        delay: Duration::from_millis(300),
        then: Box::new(Mode::Custom {
            http_status: 200,
            content_type: "application/json".into(),
            body: ratio_answer(0.001),
        }),
    })
}

#[test]
fn progress_shows_on_the_terminal_after_a_moment_and_never_reaches_stdout() {
    let server = slow_server();
    let dir = TempDir::new("terminal-progress");
    let spec = dir.join("slo.yaml");
    std::fs::write(&spec, raw_spec(&["alpha", "beta", "gamma", "delta"])).unwrap();
    let stdout = dir.join("stdout.txt");
    // 4 SLOs x 6 windows, 2 at a time, 0.3 s each: about 3.6 s.
    let pane = Pane::start(&format!(
        "{} --concurrency 2 > {}",
        slo_command(&spec, &server.url()),
        stdout.display()
    ));
    let mid_run = pane.wait_for("the progress line", Duration::from_secs(20), |s| {
        s.contains("SLOs done")
    });
    assert!(mid_run.contains("queries in flight: 2"), "{mid_run}");
    let end = pane.wait_for("the exit", Duration::from_secs(30), |s| s.contains("EXIT="));
    assert!(end.contains("EXIT=0"), "{end}");
    assert!(
        !end.contains("SLOs done"),
        "the line is erased at the end:\n{end}"
    );
    let written = std::fs::read_to_string(&stdout).unwrap();
    assert!(
        written.contains("delta") && written.contains("ok"),
        "{written}"
    );
    for progress_byte in ["SLOs done", "\u{1b}", "\r"] {
        assert!(
            !written.contains(progress_byte),
            "{progress_byte:?} in stdout:\n{written}"
        );
    }
}

#[test]
fn progress_stays_out_of_ci_logs_even_on_a_terminal() {
    let server = slow_server();
    let dir = TempDir::new("terminal-ci");
    let spec = dir.join("slo.yaml");
    std::fs::write(&spec, raw_spec(&["alpha", "beta"])).unwrap();
    // 2 SLOs x 6 windows, one at a time, 0.3 s each: well past the line's half second.
    let pane = Pane::start(&format!(
        "CI=true {} --concurrency 1 --format json",
        slo_command(&spec, &server.url())
    ));
    let start = Instant::now();
    loop {
        let screen = pane.screen();
        assert!(
            !screen.contains("SLOs done"),
            "progress under CI:\n{screen}"
        );
        if screen.contains("EXIT=") {
            assert!(screen.contains("EXIT=0"), "{screen}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no exit:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn watch_redraws_with_deltas_keeps_stale_numbers_on_errors_and_ctrl_c_restores_the_screen() {
    let answer = Arc::new(Mutex::new(ratio_answer(0.001)));
    let server = FakeServer::start(Mode::Changing(answer.clone()));
    let dir = TempDir::new("terminal-watch");
    let spec = dir.join("slo.yaml");
    std::fs::write(&spec, raw_spec(&["alpha"])).unwrap();
    let pane = Pane::start(&format!(
        "echo BEFORE-WATCH; {} --watch 5s",
        slo_command(&spec, &server.url())
    ));
    let evaluated_at = |screen: &str| {
        let (_, rest) = screen.split_once("evaluated at ").expect("a heading");
        rest.split_whitespace().next().unwrap().to_string()
    };
    let first = pane.wait_for("the first round", Duration::from_secs(20), |s| {
        s.contains("round 1 ") && s.contains("every 5s")
    });
    assert!(
        !first.contains("BEFORE-WATCH"),
        "the view has a screen of its own:\n{first}"
    );
    // Objective 99%: a ratio of 0.001 burns at 0.10, then 0.004 at 0.40.
    assert!(first.contains("0.10") && !first.contains("(+"), "{first}");
    *answer.lock().unwrap() = ratio_answer(0.004);
    let changed = pane.wait_for("a round with the new data", Duration::from_secs(20), |s| {
        s.contains("0.40 (+0.30)") && s.contains("every 5s")
    });
    assert_ne!(evaluated_at(&first), evaluated_at(&changed), "{changed}");
    assert!(
        changed.contains("(-30.0)"),
        "budget remaining fell 30 points:\n{changed}"
    );
    *answer.lock().unwrap() =
        r#"{"status":"error","errorType":"execution","error":"query timed out"}"#.into();
    let failed = pane.wait_for("a failed round", Duration::from_secs(20), |s| {
        s.contains("ok (stale)") && s.contains("every 5s")
    });
    assert!(
        failed.contains("0.40") && failed.contains("query timed out"),
        "{failed}"
    );
    pane.keys("C-c");
    let after = pane.wait_for("the exit", Duration::from_secs(10), |s| s.contains("EXIT="));
    assert!(after.contains("EXIT=0"), "{after}");
    assert!(
        after.contains("BEFORE-WATCH") && !after.contains("evaluated at"),
        "{after}"
    );
}

#[test]
fn watch_quits_on_q_with_exit_0() {
    let server = FakeServer::start(Mode::Changing(Arc::new(Mutex::new(ratio_answer(0.001)))));
    let dir = TempDir::new("terminal-watch-q");
    let spec = dir.join("slo.yaml");
    std::fs::write(&spec, raw_spec(&["alpha"])).unwrap();
    let pane = Pane::start(&format!("{} --watch", slo_command(&spec, &server.url())));
    pane.wait_for("the first round", Duration::from_secs(20), |s| {
        s.contains("every 30s")
    });
    pane.keys("q");
    let after = pane.wait_for("the exit", Duration::from_secs(10), |s| s.contains("EXIT="));
    assert!(after.contains("EXIT=0"), "{after}");
}

#[test]
fn watch_refuses_other_formats_at_a_short_interval_and_no_terminal() {
    for (flags, message) in [
        (
            &["--watch", "--format", "json"][..],
            "cannot be combined with --format json",
        ),
        (&["--watch=5s", "--at", "0"], "cannot be combined with --at"),
        (&["--watch", "4s"], "at least 5s"),
        // SloRun's stdin and stdout are pipes.
        (&["--watch"], "standard input and output must be one"),
    ] {
        SloRun::new()
            .arg("report")
            .args(flags)
            .spec(&raw_spec(&["alpha"]))
            .prometheus("http://127.0.0.1:9")
            .run()
            .status(exit::INVALID)
            .stderr_contains(message)
            .stdout_empty();
    }
}

#[test]
fn color_follows_the_flag_the_environment_and_no_color() {
    let server = FakeServer::start(Mode::Custom {
        http_status: 200,
        content_type: "application/json".into(),
        body: ratio_answer(0.001),
    });
    let run = |flags: &[&str], env: &[(&str, &str)]| {
        let mut run = SloRun::new()
            .arg("report")
            .args(flags)
            .spec(&raw_spec(&["alpha"]))
            .prometheus(&server);
        for (key, value) in env {
            run = run.env(key, value);
        }
        let out = run.run();
        out.assert_success("report");
        out.stdout.contains('\u{1b}')
    };
    assert!(!run(&[], &[]), "stdout is a pipe");
    assert!(run(&["--color", "always"], &[]));
    assert!(run(&[], &[("SLO_COLOR", "always")]));
    assert!(run(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!run(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(!run(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    // Status words carry the meaning without colour.
    SloRun::new()
        .args(["report", "--color", "never"])
        .spec(&raw_spec(&["alpha"]))
        .prometheus(&server)
        .run()
        .stdout_contains("ok");
}

#[test]
fn quiet_silences_warnings_but_not_errors() {
    let warned = r#"{"status":"success","warnings":["partial response"],"data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.001"]}]}}"#;
    let server = FakeServer::start(Mode::Custom {
        http_status: 200,
        content_type: "application/json".into(),
        body: warned.into(),
    });
    let report = |flags: &[&str]| {
        SloRun::new()
            .arg("report")
            .args(flags)
            .spec(&raw_spec(&["alpha"]))
            .prometheus(&server)
            .run()
    };
    report(&[]).stderr_contains("warning:");
    let quiet = report(&["--quiet"]);
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
    report(&["--quiet", "--fail-on-warnings"])
        .status(exit::DATA_SOURCE)
        .stderr_contains("error: SLO alpha");
}
