//! The CI examples in `examples/ci/` are valid YAML with the structure their CI expects, gate
//! the deploy on `slo check`, upload its JUnit file as a test report, and use only flags
//! that `slo` accepts.

use clap::Parser;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/examples/ci/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path} is not valid YAML: {e}"))
}

/// The `slo check` command in a shell line, checked against the real command line parser;
/// returns the `--junit` file it writes.
#[track_caller]
fn junit_file_of_slo_check(shell: &str) -> String {
    let words: Vec<&str> = shell.split_whitespace().collect();
    assert_eq!(words[..2], ["slo", "check"], "{shell}");
    let cli = slo::cli::Cli::try_parse_from(&words)
        .unwrap_or_else(|e| panic!("`{shell}` is not a valid slo command line: {e}"));
    match cli.command {
        slo::cli::Command::Check(args) => {
            assert!(
                !args.max_burn_rates.is_empty(),
                "the example shows burn-rate rules"
            );
            args.junit
                .expect("the example writes --junit")
                .display()
                .to_string()
        }
        other => panic!("not `slo check`: {other:?}"),
    }
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("{v} is not a string"))
}

#[test]
fn github_actions_gates_the_deploy_job_on_slo_check_and_publishes_junit() {
    let workflow = load("github-actions.yml");
    assert!(workflow["on"].is_object(), "`on` triggers: {workflow:#}");
    let jobs = workflow["jobs"].as_object().expect("jobs");
    let gate = &jobs["slo-gate"];
    assert_eq!(gate["runs-on"], "ubuntu-latest");
    assert_eq!(gate["permissions"]["checks"], "write");
    assert_eq!(jobs["deploy"]["needs"], "slo-gate");

    let steps = gate["steps"].as_array().expect("steps");
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(
        runs.iter()
            .any(|r| r.starts_with("cargo install --locked --git")),
        "installs slo: {runs:?}"
    );
    let check: Vec<&str> = runs
        .iter()
        .copied()
        .filter(|r| r.starts_with("slo check"))
        .collect();
    assert_eq!(check.len(), 1, "{runs:?}");
    assert!(check[0].contains("--format github"), "{}", check[0]);
    let junit = junit_file_of_slo_check(check[0]);

    let report = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("mikepenz/action-junit-report@"))
        })
        .expect("a step publishes the JUnit report");
    assert_eq!(text(&report["with"]["report_paths"]), junit);
    assert!(
        text(&report["if"]).contains("!cancelled()"),
        "the report is published when the gate fails too"
    );
}

#[test]
fn gitlab_ci_gates_the_deploy_job_on_slo_check_and_reports_junit() {
    let pipeline = load("gitlab-ci.yml");
    assert_eq!(pipeline["stages"], serde_json::json!(["gate", "deploy"]));
    let gate = &pipeline["slo-gate"];
    assert_eq!(gate["stage"], "gate");
    let before: Vec<&str> = gate["before_script"]
        .as_array()
        .expect("before_script")
        .iter()
        .map(text)
        .collect();
    assert!(
        before
            .iter()
            .any(|l| l.contains("cargo install --locked --git")),
        "installs slo: {before:?}"
    );
    let script: Vec<&str> = gate["script"]
        .as_array()
        .expect("script")
        .iter()
        .map(text)
        .collect();
    let junit = junit_file_of_slo_check(script[0]);
    assert_eq!(text(&gate["artifacts"]["reports"]["junit"]), junit);
    assert_eq!(gate["artifacts"]["when"], "always");

    let deploy = &pipeline["deploy"];
    assert_eq!(deploy["stage"], "deploy");
    assert_eq!(deploy["needs"], serde_json::json!(["slo-gate"]));
}
