//! `slo validate` on every example: valid ones pass, invalid ones fail with exactly the
//! messages recorded beside them (`examples/invalid/NAME.stderr`; `UPDATE_GOLDEN=1` rewrites).

use std::path::{Path, PathBuf};

use slo::exit;

use crate::harness::{CmdOutput, SloRun, assert_golden};

fn slo(args: &[&str]) -> CmdOutput {
    SloRun::new().args(args).run()
}

pub fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no examples in {dir}");
    files
}

#[test]
fn every_valid_example_passes_with_a_line_per_slo() {
    let mut files = yaml_files("examples");
    files.push(PathBuf::from("slo.yaml"));
    for file in files {
        let out = slo(&["validate", "--config", file.to_str().unwrap()]);
        out.status(exit::OK);
        let slo_count = std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .filter(|l| l.trim_start().starts_with("- name:"))
            .count();
        assert_eq!(out.stdout.lines().count(), 1 + slo_count, "{}", out.stdout);
        assert!(
            out.stdout
                .starts_with(&format!("{}: valid, service ", file.display()))
        );
    }
}

#[test]
fn every_invalid_example_fails_with_its_recorded_messages() {
    for file in yaml_files("examples/invalid") {
        let out = slo(&["validate", "--config", file.to_str().unwrap()]);
        out.status(exit::INVALID).stdout_empty();
        assert_golden(file.with_extension("stderr"), &out.stderr);
    }
}

#[test]
fn every_message_names_file_line_and_column() {
    for file in yaml_files("examples/invalid") {
        let out = slo(&["validate", "--config", file.to_str().unwrap()]);
        let prefix = format!("error: {}:", file.display());
        for line in out.stderr.lines().filter(|l| !l.starts_with("  hint:")) {
            let rest = line
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("{line:?} does not start with {prefix:?}"));
            let mut parts = rest.splitn(3, ':');
            let (line_no, column) = (parts.next().unwrap(), parts.next().unwrap());
            assert!(
                line_no.parse::<u32>().is_ok() && column.parse::<u32>().is_ok(),
                "{line}"
            );
        }
    }
}

#[test]
fn reads_the_spec_from_stdin_and_from_slo_config() {
    let spec = std::fs::read("examples/latency.yaml").unwrap();
    let out = SloRun::new()
        .args(["validate", "--config", "-"])
        .stdin(spec)
        .run();
    out.status(exit::OK);
    assert!(
        out.stdout
            .starts_with("<stdin>: valid, service gateway, 1 SLO\n")
    );

    let out = SloRun::new()
        .arg("validate")
        .env("SLO_CONFIG", "examples/raw.yaml")
        .run();
    assert!(out.stdout.starts_with("examples/raw.yaml: valid"));
}

#[test]
fn a_missing_file_is_a_usage_error() {
    slo(&["validate", "--config", "does/not/exist.yaml"])
        .status(exit::INVALID)
        .stderr_contains("does/not/exist.yaml: cannot read the spec");
}

#[test]
fn help_documents_the_exit_codes() {
    for args in [&["--help"][..], &["check", "--help"]] {
        let out = slo(args);
        out.status(exit::OK);
        for code in [
            "  0  success",
            "  1  `check`",
            "  2  invalid usage",
            "  3  the data source",
        ] {
            out.stdout_contains(code);
        }
    }
    slo(&["validate", "--bogus"]).status(exit::INVALID);
}

#[test]
fn the_demo_spec_exists_at_the_root() {
    assert!(Path::new("slo.yaml").exists());
}

/// Oversized input ends in a located message (exit 2), in bounded time and memory: a spec
/// file that never ends, PromQL past the parser's comfortable length, nesting and node bombs.
#[test]
fn oversized_specs_are_refused_with_a_message_in_the_specs_terms() {
    let spec_with_query = |query: &str| {
        format!(
            "version: 1\nservice: s\nslos:\n  - name: a\n    objective: 99.9\n    sli:\n      raw:\n        error_ratio: '{query}'\n"
        )
    };
    let long_query = format!("sum(rate(e[{{{{window}}}}])){}", " + 1".repeat(5000));
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "/dev/zero",
            Vec::new(),
            "error: /dev/zero: cannot read the spec: it is larger than 16 MiB\n",
        ),
        (
            "-",
            spec_with_query(&long_query).into_bytes(),
            "error: <stdin>:8:22: slo a: sli.raw.error_ratio: is 20 KiB of PromQL; the limit is 16 KiB\n  hint: move the logic into a recording rule and select its series here\n",
        ),
        (
            "-",
            format!("a: {}{}", "[".repeat(100), "]".repeat(100)).into_bytes(),
            "error: <stdin>:1:67: not valid YAML: nested too deeply (more than 64 levels)\n",
        ),
        (
            "-",
            format!("a:\n{}", "- x\n".repeat(300_000)).into_bytes(),
            "error: <stdin>:249999:3: not valid YAML: too many values (more than 250,000); split the spec\n",
        ),
    ];
    for (config, stdin, stderr) in cases {
        let out = SloRun::new()
            .args(["validate", "--config", config])
            .stdin(stdin)
            .run();
        out.status(exit::INVALID).stdout_empty();
        assert_eq!(out.stderr, stderr);
    }
}
