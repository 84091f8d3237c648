//! `slo lint [--strict]`: design warnings, located like the loader's errors.

use slo::exit;

use crate::harness::SloRun;

/// One SLO with every warning `lint` knows, and one with none.
const QUESTIONABLE: &str = "\
version: 1
service: demo
slos:
  - name: strict
    objective: 99.99
    window: 3d
    alerting: {page: {enabled: false}, ticket: {enabled: false}}
    sli:
      raw:
        error_ratio: sum(rate(e{code=~\"5[0-9]+\"}[5m])) / sum(rate(t[{{window}}]))
  - name: fine
    objective: 99.9
    sli:
      raw:
        error_ratio: sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))
";

#[test]
fn every_warning_is_located_and_passes_unless_strict() {
    let out = SloRun::new().args(["lint"]).spec(QUESTIONABLE).run();
    out.status(exit::OK);
    assert!(out.stdout.ends_with("slo.yaml: 4 warnings\n"), "{out}");
    let located: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .map(|l| l.split_once("slo.yaml:").unwrap().1)
        .collect();
    assert_eq!(
        located,
        [
            "5:16: slo strict: objective: 99.99% allows one bad event in 10000, more than an \
             hour of traffic at an assumed one event a second (3600): a single error burns \
             more than an hour's budget",
            "6:13: slo strict: window: a compliance window of 3d is shorter than 7d: one \
             incident swings the SLI and the budget is too small to plan with",
            "7:15: slo strict: alerting: page and ticket alerts are both disabled: nobody \
             hears when the budget burns",
            "10:22: slo strict: sli.raw.error_ratio: the range [5m] is fixed: the query \
             measures that span for every window",
        ]
    );
    assert_eq!(
        out.stderr
            .lines()
            .filter(|l| l.starts_with("  hint: "))
            .count(),
        4
    );

    SloRun::new()
        .args(["lint", "--strict"])
        .spec(QUESTIONABLE)
        .run()
        .status(exit::POLICY_FAILED);
}

#[test]
fn the_examples_and_the_demo_spec_are_clean_even_when_strict() {
    for file in ["slo.yaml", "examples/latency.yaml", "examples/grouped.yaml"] {
        SloRun::new()
            .args(["lint", "--strict", "--config", file])
            .run()
            .status(exit::OK)
            .stdout_contains("no warnings");
    }
}

#[test]
fn an_invalid_spec_is_refused_as_by_validate() {
    SloRun::new()
        .args(["lint", "--config", "examples/invalid/wrong-type.yaml"])
        .run()
        .status(exit::INVALID)
        .stderr_contains("wrong-type.yaml:5:16: slo availability: objective: expected a number");
}
