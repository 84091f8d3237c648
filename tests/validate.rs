//! `slo validate` on every example: valid ones pass, invalid ones fail with exactly the
//! messages recorded beside them (`examples/invalid/NAME.stderr`; `UPDATE_GOLDEN=1` rewrites).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn slo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slo"))
        .args(args)
        .env_remove("SLO_CONFIG")
        .output()
        .expect("run slo")
}

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no examples in {dir}");
    files
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn every_valid_example_passes_with_a_line_per_slo() {
    let mut files = yaml_files("examples");
    files.push(PathBuf::from("slo.yaml"));
    for file in files {
        let out = slo(&["validate", "--config", file.to_str().unwrap()]);
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            file.display(),
            text(&out.stderr)
        );
        let slo_count = std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .filter(|l| l.trim_start().starts_with("- name:"))
            .count();
        assert_eq!(stdout.lines().count(), 1 + slo_count, "{stdout}");
        assert!(stdout.starts_with(&format!("{}: valid, service ", file.display())));
    }
}

#[test]
fn every_invalid_example_fails_with_its_recorded_messages() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for file in yaml_files("examples/invalid") {
        let out = slo(&["validate", "--config", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", file.display());
        assert!(out.stdout.is_empty(), "{}", file.display());
        let stderr = text(&out.stderr);
        let golden = file.with_extension("stderr");
        if update {
            std::fs::write(&golden, &stderr).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_else(|_| {
            panic!("{} is missing: run with UPDATE_GOLDEN=1", golden.display())
        });
        assert_eq!(stderr, expected, "{}", file.display());
    }
}

#[test]
fn every_message_names_file_line_and_column() {
    for file in yaml_files("examples/invalid") {
        let out = slo(&["validate", "--config", file.to_str().unwrap()]);
        let prefix = format!("error: {}:", file.display());
        for line in text(&out.stderr)
            .lines()
            .filter(|l| !l.starts_with("  hint:"))
        {
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_slo"))
        .args(["validate", "--config", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &spec).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("<stdin>: valid, service gateway, 1 SLO\n"));

    let out = Command::new(env!("CARGO_BIN_EXE_slo"))
        .arg("validate")
        .env("SLO_CONFIG", "examples/raw.yaml")
        .output()
        .unwrap();
    assert!(text(&out.stdout).starts_with("examples/raw.yaml: valid"));
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let out = slo(&["validate", "--config", "does/not/exist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("does/not/exist.yaml: cannot read the spec"));
}

#[test]
fn help_documents_the_exit_codes() {
    for args in [&["--help"][..], &["check", "--help"]] {
        let out = slo(args);
        assert_eq!(out.status.code(), Some(0));
        let help = text(&out.stdout);
        for code in [
            "  0  success",
            "  1  `check`",
            "  2  invalid usage",
            "  3  the data source",
        ] {
            assert!(help.contains(code), "{code:?} missing from {args:?} help");
        }
    }
    assert_eq!(slo(&["validate", "--bogus"]).status.code(), Some(2));
}

#[test]
fn the_demo_spec_exists_at_the_root() {
    assert!(Path::new("slo.yaml").exists());
}
