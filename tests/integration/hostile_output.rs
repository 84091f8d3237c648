//! What `slo` writes when the answers are hostile or the outputs break: server text and label
//! values never reach a terminal or CI raw, files are replaced whole or not at all, a reader
//! that goes away ends a command quietly, and exit 2 means nothing was evaluated.

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use slo::exit;

use crate::harness::fake::Mode;
use crate::harness::process::spawn_guarded;
use crate::harness::*;

/// A label value that tries everything: an OSC 52 clipboard write, a screen clear, a CR that
/// rewrites its line, then lines that would be a passing heading, a remote image, HTML and
/// GitHub workflow commands.
const HOSTILE_LABEL: &str = "/x\u{1b}]52;c;SGVsbG8=\u{7}\u{1b}[2J\r\n# slo check: PASS\n\
                             ![x](http://evil.example/x.png)<img src=x>\n::error::forged\n\
                             ::stop-commands::token\n\u{9b}31m";
const HOSTILE_WARNING: &str = "\u{1b}[2J\r\n::error title=forged::from a warning\n# PASS";

/// Errors-ratio SLO grouped by `handler`: every query gets the fake's one answer. Errors and
/// total are two metrics, so two queries, each answered alike.
const GROUPED_SPEC: &str = "version: 1
service: api
slos:
  - name: availability
    objective: 99.5
    sli:
      ratio:
        errors: errors_total{code=\"5xx\"}
        total: requests_total
        group_by: [handler]
";

/// Every query answers 5 events for the hostile handler, with a hostile warning: the group's
/// errors equal its total, so the gate fails.
fn hostile_server() -> FakeServer {
    let body = serde_json::json!({
        "status": "success",
        "data": {"resultType": "vector",
                 "result": [{"metric": {"handler": HOSTILE_LABEL}, "value": [1793491200, "5"]}]},
        "warnings": [HOSTILE_WARNING],
    });
    FakeServer::start(Mode::Custom {
        http_status: 200,
        content_type: "application/json".into(),
        body: body.to_string(),
    })
}

/// No raw control character, and no line that GitHub, a Markdown renderer or a reader would
/// take for something `slo` did not write.
#[track_caller]
fn assert_harmless(what: &str, text: &str) {
    assert!(
        !text.contains(['\u{1b}', '\u{7}', '\r', '\u{9b}']),
        "{what} holds a raw control character:\n{text}"
    );
    for line in text.lines() {
        let forged = line.starts_with("::error::")
            || line.starts_with("::stop-commands::")
            || line.starts_with("::error title=forged")
            || line.starts_with("# ")
            || line.starts_with("![")
            || line.starts_with("<img");
        assert!(!forged, "{what} has a forged line {line:?}:\n{text}");
    }
}

/// [`assert_harmless`], and no image or HTML a Markdown renderer would show outside code
/// spans (which show their text literally).
#[track_caller]
fn assert_harmless_markdown(what: &str, markdown: &str) {
    assert_harmless(what, markdown);
    let text: String = markdown
        .lines()
        .flat_map(|line| line.split('`').step_by(2).chain(["\n"]))
        .collect();
    assert!(!text.contains("!["), "{what} has an image:\n{text}");
    assert!(
        !text.replace("\\<", "").contains('<'),
        "{what} has unescaped HTML:\n{text}"
    );
}

#[test]
fn hostile_labels_and_warnings_are_shown_escaped_in_every_human_format() {
    let server = hostile_server();
    let dir = TempDir::new("hostile");
    let summary = dir.join("summary.md");
    let runs = [
        ("report", vec!["report"], exit::OK),
        (
            "report markdown",
            vec!["report", "--format", "markdown"],
            exit::OK,
        ),
        ("check text", vec!["check"], exit::POLICY_FAILED),
        (
            "check github",
            vec!["check", "--format", "github"],
            exit::POLICY_FAILED,
        ),
    ];
    for (what, args, code) in runs {
        let out = SloRun::new()
            .args(args)
            .spec(GROUPED_SPEC)
            .prometheus(&server)
            .at(END)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .run();
        out.status(code);
        if what.contains("markdown") {
            assert_harmless_markdown(&format!("{what} stdout"), &out.stdout);
        } else {
            assert_harmless(&format!("{what} stdout"), &out.stdout);
        }
        assert_harmless(&format!("{what} stderr"), &out.stderr);
        // Shown, not hidden: the reader sees what the server sent.
        out.stderr_contains("warning: SLO availability: \\x1b[2J\\r\\n::error title=forged");
        let shown = out.stdout.contains("\\x1b") && out.stdout.contains("SGVsbG8=");
        assert!(shown, "{what}\n{out}");
    }
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert_harmless_markdown("step summary", &summary);
    assert!(
        summary.starts_with("## slo check: FAIL (exit 1)"),
        "{summary}"
    );
    assert!(summary.contains("\\# slo check: PASS"), "{summary}");
}

#[test]
fn junit_carries_hostile_text_as_well_formed_xml() {
    let server = hostile_server();
    let dir = TempDir::new("hostile-junit");
    let junit = dir.join("slo.xml");
    SloRun::new()
        .args(["check", "--junit", junit.to_str().unwrap()])
        .spec(GROUPED_SPEC)
        .prometheus(&server)
        .at(END)
        .run()
        .status(exit::POLICY_FAILED);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase"))
        .unwrap();
    assert!(
        case.attribute("name")
            .unwrap()
            .contains("::stop-commands::")
    );
}

#[test]
fn output_paths_are_checked_before_any_query() {
    let server = hostile_server();
    let dir = TempDir::new("paths-first");
    let missing = dir.join("missing/slo.xml");
    let runs: [(&str, SloRun); 3] = [
        (
            "--junit in a missing directory",
            SloRun::new().args(["check", "--junit", missing.to_str().unwrap()]),
        ),
        (
            "--junit naming a directory",
            SloRun::new().args(["check", "--junit", dir.path().to_str().unwrap()]),
        ),
        (
            "$GITHUB_STEP_SUMMARY in a missing directory",
            SloRun::new()
                .args(["check", "--format", "github"])
                .env("GITHUB_STEP_SUMMARY", &missing),
        ),
    ];
    for (what, run) in runs {
        let out = run.spec(GROUPED_SPEC).prometheus(&server).at(END).run();
        out.status(exit::INVALID)
            .stderr_contains("error: cannot write ");
        assert!(out.stdout.is_empty(), "{what}\n{out}");
        assert!(server.requests().is_empty(), "{what} queried first\n{out}");
    }
}

/// `sh -c 'ulimit -f BLOCKS; exec slo ARGS'`, in `dir`.
fn slo_with_file_limit(dir: &Path, blocks: u32, args: &[&str]) -> CmdOutput {
    let mut cmd = Command::new("sh");
    cmd.current_dir(dir)
        .arg("-c")
        .arg(format!("ulimit -f {blocks}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_slo"))
        .args(args)
        .env_remove("GITHUB_STEP_SUMMARY");
    run(cmd)
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_write_cut_short_leaves_the_old_file_and_no_temporary_one() {
    let dir = TempDir::new("atomic-rules");
    std::fs::write(dir.join("slo.yaml"), GROUPED_SPEC).unwrap();
    std::fs::write(dir.join("good.yml"), "groups: []\n").unwrap();
    // 1 KiB: far less than the rules.
    let out = slo_with_file_limit(
        dir.path(),
        1,
        &["generate-rules", "--config", "slo.yaml", "-o", "good.yml"],
    );
    out.status(exit::INVALID)
        .stderr_contains("error: cannot write good.yml: File too large");
    assert_eq!(
        std::fs::read_to_string(dir.join("good.yml")).unwrap(),
        "groups: []\n"
    );
    assert_eq!(entries(dir.path()), ["good.yml", "slo.yaml"]);
}

#[test]
fn a_symlink_at_the_output_is_replaced_not_written_through() {
    let dir = TempDir::new("atomic-link");
    let target = dir.join("precious.txt");
    std::fs::write(&target, "keep me").unwrap();
    let link = dir.join("rules.yml");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    SloRun::new()
        .args(["generate-rules", "-o", link.to_str().unwrap()])
        .spec(GROUPED_SPEC)
        .run()
        .status(exit::OK);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    assert!(!std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert!(
        std::fs::read_to_string(&link)
            .unwrap()
            .contains("slo-sli-api-availability")
    );
}

#[test]
fn a_bad_provisioning_directory_leaves_the_dashboard_as_it_was() {
    let dir = TempDir::new("atomic-dashboard");
    let dashboard = dir.join("dash.json");
    std::fs::write(&dashboard, "{}").unwrap();
    // A directory inside a regular file cannot exist, even for root.
    std::fs::write(dir.join("file"), "").unwrap();
    SloRun::new()
        .args(["generate-dashboard", "-o", dashboard.to_str().unwrap()])
        .arg("--provisioning")
        .arg(dir.join("file/grafana"))
        .spec(GROUPED_SPEC)
        .in_dir(dir.path())
        .run()
        .status(exit::INVALID)
        .stderr_contains("file/grafana");
    assert_eq!(std::fs::read_to_string(&dashboard).unwrap(), "{}");
    assert_eq!(entries(dir.path()), ["dash.json", "file", "slo.yaml"]);
}

#[test]
fn a_junit_write_failing_after_the_verdict_keeps_the_verdicts_exit_code() {
    let server = hostile_server();
    let dir = TempDir::new("late-junit");
    std::fs::write(dir.join("slo.yaml"), GROUPED_SPEC).unwrap();
    // The JUnit file, with the hostile label in every element, is over 1 KiB; stdout is a
    // pipe, which the limit does not cover.
    let url = server.url();
    let out = slo_with_file_limit(
        dir.path(),
        1,
        &[
            "check",
            "--config",
            "slo.yaml",
            "--prometheus-url",
            &url,
            "--at",
            &END.to_string(),
            "--junit",
            "slo.xml",
        ],
    );
    out.status(exit::POLICY_FAILED)
        .stdout_contains("FAIL (exit 1)")
        .stderr_contains("error: cannot write slo.xml: File too large");
    assert_eq!(entries(dir.path()), ["slo.yaml"]);
}

/// Runs `slo ARGS` (with `slo.yaml` in `dir` as its spec) with standard output a pipe whose
/// reader is already gone, and standard error as given.
fn slo_with_closed_stdout(dir: &Path, args: &[&str], stderr: Stdio) -> ExitStatus {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slo"));
    cmd.current_dir(dir)
        .args(args)
        .args(["--config", "slo.yaml"])
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(stderr);
    spawn_guarded(cmd).unwrap().wait().unwrap()
}

#[test]
fn a_reader_gone_from_stdout_ends_quietly_but_keeps_the_gates_verdict() {
    let server = hostile_server();
    let dir = TempDir::new("closed-stdout");
    std::fs::write(dir.join("slo.yaml"), GROUPED_SPEC).unwrap();
    let url = server.url();
    let at = END.to_string();
    let evaluated = ["--prometheus-url", url.as_str(), "--at", at.as_str()];
    let runs: [(Vec<&str>, u8); 5] = [
        (vec!["validate"], exit::OK),
        (vec!["generate-rules"], exit::OK),
        (vec!["generate-dashboard"], exit::OK),
        ([&["report"][..], &evaluated].concat(), exit::OK),
        ([&["check"][..], &evaluated].concat(), exit::POLICY_FAILED),
    ];
    for (args, code) in runs {
        let stderr = dir.join("stderr");
        let status = slo_with_closed_stdout(
            dir.path(),
            &args,
            std::fs::File::create(&stderr).unwrap().into(),
        );
        let stderr = std::fs::read_to_string(&stderr).unwrap();
        assert_eq!(status.code(), Some(code.into()), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("error:"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_full_stderr_changes_nothing() {
    let server = hostile_server();
    let dir = TempDir::new("full-stderr");
    std::fs::write(dir.join("slo.yaml"), GROUPED_SPEC).unwrap();
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let url = server.url();
    let at = END.to_string();
    for (command, code) in [("report", exit::OK), ("check", exit::POLICY_FAILED)] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_slo"));
        cmd.current_dir(dir.path())
            .args([command, "--config", "slo.yaml", "--prometheus-url", &url])
            .args(["--at", &at])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(full());
        let status = spawn_guarded(cmd).unwrap().wait().unwrap();
        assert_eq!(status.code(), Some(code.into()), "{command}");
    }
    // An error message that cannot be printed still ends with its exit code.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slo"));
    cmd.args(["validate", "--config", "/nonexistent/slo.yaml"])
        .stdin(Stdio::null())
        .stderr(full());
    let status = spawn_guarded(cmd).unwrap().wait().unwrap();
    assert_eq!(status.code(), Some(exit::INVALID.into()));
}
