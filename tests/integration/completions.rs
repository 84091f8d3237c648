//! `slo completions SHELL` and `slo man`.

use std::process::Command;

use slo::exit;

use crate::harness::{SloRun, TempDir, run};

const SUBCOMMANDS: [&str; 10] = [
    "validate",
    "report",
    "check",
    "generate-rules",
    "generate-dashboard",
    "lint",
    "convert",
    "schema",
    "completions",
    "man",
];

fn stdout_of(args: &[&str]) -> String {
    let out = SloRun::new().args(args).run();
    out.status(exit::OK);
    out.stdout
}

#[test]
fn every_shell_gets_a_script_naming_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = stdout_of(&["completions", shell]);
        for subcommand in SUBCOMMANDS {
            assert!(script.contains(subcommand), "{shell}: no {subcommand}");
        }
    }
}

#[test]
fn the_bash_script_defines_its_completion_function() {
    let dir = TempDir::new("completions");
    let script = dir.path().join("slo.bash");
    std::fs::write(&script, stdout_of(&["completions", "bash"])).unwrap();
    let mut bash = Command::new("bash");
    bash.arg("-c")
        .arg(r#"source "$1" && declare -F _slo && complete -p slo"#)
        .arg("bash")
        .arg(&script);
    let out = run(bash);
    out.assert_success("sourcing the completion script");
    assert!(out.stdout.contains("_slo"), "{}", out.stdout);
}

#[test]
fn the_man_page_has_a_title_and_every_subcommand() {
    // roff writes a hyphen as `\-`.
    let page = stdout_of(&["man"]).replace("\\-", "-");
    assert!(page.contains(".TH slo 1"), "{page}");
    for subcommand in SUBCOMMANDS {
        assert!(page.contains(subcommand), "no {subcommand}");
    }
}
