//! The CI gate: the rules each SLO is held to, and whether its evaluated numbers meet them.
//!
//! Fails closed: a row passes only when every rule was checked against a known number and
//! held, or when the only gap is missing data and the user allowed that (`--allow-no-data`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{GatePolicy, Labels, Slo, Window, measured_windows, tidy};
use crate::report::{Report, SloEvaluation, SloStatus, Status};

/// Percent of the error budget that must remain when neither flags nor spec say otherwise:
/// an SLO fails once it has overspent its budget.
pub const DEFAULT_MIN_BUDGET_REMAINING: f64 = 0.0;

/// One rule an SLO is held to, with its threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// At least this percent of the error budget must remain.
    MinBudgetRemaining(f64),
    /// The burn rate over `window` must not exceed `factor`.
    MaxBurnRate { window: Window, factor: f64 },
}

impl Rule {
    /// The rule's name in JSON and JUnit: the flag's and the spec's key.
    pub fn name(self) -> &'static str {
        match self {
            Rule::MinBudgetRemaining(_) => "min_budget_remaining",
            Rule::MaxBurnRate { .. } => "max_burn_rate",
        }
    }
    pub fn threshold(self) -> f64 {
        match self {
            Rule::MinBudgetRemaining(pct) => pct,
            Rule::MaxBurnRate { factor, .. } => factor,
        }
    }
    /// The number the rule looks at in `status`: remaining budget in percent, or the burn
    /// rate over the window. `None` when unknown (no events), or not measured at all.
    ///
    /// Tidied like every number the outputs show, so the verdict agrees with them: an error
    /// ratio of 0.072 against a budget of 0.005 is a burn rate of 14.400000000000002 in
    /// binary floating point, shown as 14.4, and must not break a maximum of 14.4.
    fn observe(self, status: &SloStatus) -> Option<f64> {
        let value = match self {
            Rule::MinBudgetRemaining(_) => status.budget_remaining.map(|r| r * 100.0),
            Rule::MaxBurnRate { window, .. } => status.burn_rates.get(&window).copied().flatten(),
        };
        // NaN is 0/0: no events. Comparisons with NaN are false, which would pass it.
        value.filter(|v| !v.is_nan()).map(tidy)
    }
    /// Whether `observed` meets the rule.
    pub fn holds(self, observed: f64) -> bool {
        match self {
            Rule::MinBudgetRemaining(pct) => observed >= pct,
            Rule::MaxBurnRate { factor, .. } => observed <= factor,
        }
    }
}

/// The rules one SLO is held to.
#[derive(Debug, Clone, PartialEq)]
pub struct SloPolicy {
    /// The SLO's compliance window, named when it has no data.
    pub window: Window,
    /// The minimum remaining budget first, then burn-rate rules by window.
    pub rules: Vec<Rule>,
}

/// The rules each selected SLO is held to: the spec's `gate:` (already merged global <-
/// per SLO) with the flags over it. Every SLO is held to a minimum remaining budget
/// ([`DEFAULT_MIN_BUDGET_REMAINING`] unless set). A burn-rate window that `report` does not
/// measure for an SLO is refused: silently skipping the rule would pass the gate.
pub fn resolve(
    slos: &[&Slo],
    flags: &GatePolicy,
) -> Result<BTreeMap<String, SloPolicy>, UnmeasuredWindow> {
    let mut rules = BTreeMap::new();
    for slo in slos {
        let policy = slo.gate.merged_with(flags);
        let mut slo_rules = vec![Rule::MinBudgetRemaining(
            policy
                .min_budget_remaining
                .unwrap_or(DEFAULT_MIN_BUDGET_REMAINING),
        )];
        for (&window, &factor) in &policy.max_burn_rate {
            let measured = measured_windows(slo.window);
            if !measured.contains(&window) {
                return Err(UnmeasuredWindow {
                    slo: slo.name.clone(),
                    window,
                    measured,
                });
            }
            slo_rules.push(Rule::MaxBurnRate { window, factor });
        }
        rules.insert(
            slo.name.clone(),
            SloPolicy {
                window: slo.window,
                rules: slo_rules,
            },
        );
    }
    Ok(rules)
}

/// A burn-rate rule over a window no burn rate is measured over for the SLO.
#[derive(Debug, Clone, PartialEq)]
pub struct UnmeasuredWindow {
    pub slo: String,
    pub window: Window,
    /// The windows that are measured for the SLO.
    pub measured: BTreeSet<Window>,
}

/// One rule applied to one row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleResult {
    pub rule: Rule,
    /// The number held to the rule; `None` when unknown.
    pub observed: Option<f64>,
}

impl RuleResult {
    /// `Some(true)` held, `Some(false)` broken, `None` unknown.
    pub fn held(&self) -> Option<bool> {
        self.observed.map(|v| self.rule.holds(v))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    /// Could not be evaluated.
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}

/// Why a row (or part of it) could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum Unevaluated {
    /// A query failed or Prometheus could not be reached.
    EvaluationError(String),
    /// No events in the compliance window (or no series at all).
    NoData { window: Window },
    /// No events over a burn-rate window that a rule names, though the compliance window has
    /// some.
    NoBurnRateData { windows: Vec<Window> },
    /// No rules were resolved for this SLO (a bug, but never a pass).
    NoPolicy,
}

impl Unevaluated {
    /// The reason's name in JSON and JUnit.
    pub fn reason(&self) -> &'static str {
        match self {
            Unevaluated::EvaluationError(_) => "evaluation_error",
            Unevaluated::NoData { .. } => "no_data",
            Unevaluated::NoBurnRateData { .. } => "no_burn_rate_data",
            Unevaluated::NoPolicy => "no_policy",
        }
    }
}

/// The gate's verdict on one SLO row (one per group of a grouped SLO).
#[derive(Debug, Clone, PartialEq)]
pub struct RowVerdict {
    pub slo: String,
    /// The group's label values; empty when the SLO is not grouped.
    pub labels: Labels,
    /// Every rule the SLO is held to, in policy order.
    pub results: Vec<RuleResult>,
    pub unevaluated: Option<Unevaluated>,
    pub verdict: Verdict,
}

impl RowVerdict {
    /// The rules the row broke.
    pub fn failed(&self) -> impl Iterator<Item = &RuleResult> {
        self.results.iter().filter(|r| r.held() == Some(false))
    }
}

/// The gate's verdict on a whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct GateResult {
    pub rows: Vec<RowVerdict>,
    pub allow_no_data: bool,
}

impl GateResult {
    pub fn count(&self, verdict: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == verdict).count()
    }

    /// Fail when any row failed, else error when any row could not be evaluated (or
    /// nothing was), else pass.
    ///
    /// A definite failure outranks an unknown: both block the deploy, but pipelines often
    /// retry or soft-fail on exit 3 (`allow_failure: exit_codes: [3]` while monitoring is
    /// down), and a budget that is known to be overspent must never ride through that door.
    /// The rows that could not be evaluated are still listed in every output.
    pub fn verdict(&self) -> Verdict {
        if self.rows.iter().any(|r| r.verdict == Verdict::Fail) {
            Verdict::Fail
        } else if self.rows.is_empty() || self.rows.iter().any(|r| r.verdict == Verdict::Error) {
            Verdict::Error
        } else {
            Verdict::Pass
        }
    }
}

/// Holds every row of `report` to its SLO's rules.
///
/// A burn rate that is unknown over a window a rule names (no events in that window, though
/// the compliance window has some) is an ERROR unless `allow_no_data`: zero traffic burns no
/// budget, but a dead exporter or a broken relabelling looks exactly the same, and a gate
/// that passes on missing data is the trap this tool exists to avoid. Services that really
/// are idle at times say so with `--allow-no-data`.
pub fn apply(
    report: &Report,
    policies: &BTreeMap<String, SloPolicy>,
    allow_no_data: bool,
) -> GateResult {
    let rows = report
        .slos
        .iter()
        .flat_map(|evaluation| evaluate(evaluation, policies.get(&evaluation.slo), allow_no_data))
        .collect();
    GateResult {
        rows,
        allow_no_data,
    }
}

fn evaluate(
    evaluation: &SloEvaluation,
    policy: Option<&SloPolicy>,
    allow_no_data: bool,
) -> Vec<RowVerdict> {
    let unevaluated_row = |results: Vec<RuleResult>, why: Unevaluated| RowVerdict {
        slo: evaluation.slo.clone(),
        labels: Labels::new(),
        results,
        unevaluated: Some(why),
        verdict: Verdict::Error,
    };
    let Some(policy) = policy else {
        return vec![unevaluated_row(Vec::new(), Unevaluated::NoPolicy)];
    };
    let unknown = || -> Vec<RuleResult> {
        policy
            .rules
            .iter()
            .map(|&rule| RuleResult {
                rule,
                observed: None,
            })
            .collect()
    };
    match &evaluation.outcome {
        Err(err) => vec![unevaluated_row(
            unknown(),
            Unevaluated::EvaluationError(format!("{} (query: {})", err.message, err.query)),
        )],
        // The report stands a single no_data row for an SLO without series; an empty list
        // would otherwise gate nothing and pass.
        Ok(statuses) if statuses.is_empty() => vec![no_data_row(
            evaluation.slo.clone(),
            Labels::new(),
            unknown(),
            policy.window,
            allow_no_data,
        )],
        Ok(statuses) => statuses
            .iter()
            .map(|status| evaluate_row(status, &policy.rules, allow_no_data))
            .collect(),
    }
}

fn evaluate_row(status: &SloStatus, rules: &[Rule], allow_no_data: bool) -> RowVerdict {
    let results: Vec<RuleResult> = rules
        .iter()
        .map(|&rule| RuleResult {
            rule,
            observed: rule.observe(status),
        })
        .collect();
    let budget_unknown = status.budget_remaining.is_none_or(f64::is_nan);
    if status.status == Status::NoData || budget_unknown {
        return no_data_row(
            status.slo.clone(),
            status.labels.clone(),
            results,
            status.window,
            allow_no_data,
        );
    }
    let unknown_windows: Vec<Window> = results
        .iter()
        .filter(|r| r.observed.is_none())
        .filter_map(|r| match r.rule {
            Rule::MaxBurnRate { window, .. } => Some(window),
            Rule::MinBudgetRemaining(_) => None,
        })
        .collect();
    let verdict = if results.iter().any(|r| r.held() == Some(false)) {
        Verdict::Fail
    } else if !unknown_windows.is_empty() && !allow_no_data {
        Verdict::Error
    } else {
        Verdict::Pass
    };
    RowVerdict {
        slo: status.slo.clone(),
        labels: status.labels.clone(),
        results,
        unevaluated: (!unknown_windows.is_empty()).then_some(Unevaluated::NoBurnRateData {
            windows: unknown_windows,
        }),
        verdict,
    }
}

/// A row without events in its compliance window: ERROR, or PASS when no data is allowed.
fn no_data_row(
    slo: String,
    labels: Labels,
    results: Vec<RuleResult>,
    window: Window,
    allow_no_data: bool,
) -> RowVerdict {
    RowVerdict {
        slo,
        labels,
        results,
        unevaluated: Some(Unevaluated::NoData { window }),
        verdict: if allow_no_data {
            Verdict::Pass
        } else {
            Verdict::Error
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interface::report::QueryErrorKind;
    use crate::model::{Objective, RawSli, Sli};
    use crate::report::EvaluationError;

    fn w(text: &str) -> Window {
        Window::parse(text).unwrap()
    }

    fn slo(name: &str, window: &str, gate: GatePolicy) -> Slo {
        Slo {
            name: name.into(),
            description: None,
            objective: Objective::from_percent(99.5),
            window: w(window),
            calendar: None,
            labels: Labels::new(),
            sli: Sli::Raw(RawSli {
                error_ratio: "x".into(),
            }),
            alerting: Default::default(),
            gate,
        }
    }

    fn flags(min: Option<f64>, burn: &[(&str, f64)]) -> GatePolicy {
        GatePolicy {
            min_budget_remaining: min,
            max_burn_rate: burn.iter().map(|(window, f)| (w(window), *f)).collect(),
        }
    }

    /// A row with `remaining` of the budget left (a fraction) and the given burn rates.
    fn status(slo: &str, remaining: Option<f64>, burn: &[(&str, Option<f64>)]) -> SloStatus {
        SloStatus {
            service: "api".into(),
            slo: slo.into(),
            labels: Labels::new(),
            objective: 0.995,
            window: w("30d"),
            sli: remaining.map(|r| 1.0 - (1.0 - r) * 0.005),
            error_budget: 0.005,
            budget_remaining: remaining,
            events: None,
            burn_rates: burn.iter().map(|(win, rate)| (w(win), *rate)).collect(),
            status: match remaining {
                None => Status::NoData,
                Some(r) if r <= 0.0 => Status::Exhausted,
                Some(_) => Status::Ok,
            },
            period: None,
            history: None,
            source: Default::default(),
            coverage: None,
            source_note: None,
        }
    }

    fn report(evaluations: Vec<SloEvaluation>) -> Report {
        Report {
            evaluated_at: 1_700_000_000.0,
            slos: evaluations,
            warnings: Vec::new(),
        }
    }

    fn rows(slo: &str, statuses: Vec<SloStatus>) -> SloEvaluation {
        SloEvaluation {
            slo: slo.into(),
            outcome: Ok(statuses),
        }
    }

    fn failed(slo: &str) -> SloEvaluation {
        SloEvaluation {
            slo: slo.into(),
            outcome: Err(EvaluationError {
                slo: slo.into(),
                query: "up".into(),
                kind: QueryErrorKind::Unreachable,
                message: "connection refused".into(),
            }),
        }
    }

    fn policies(rules: &[(&str, Vec<Rule>)]) -> BTreeMap<String, SloPolicy> {
        rules
            .iter()
            .map(|(name, rules)| {
                (
                    name.to_string(),
                    SloPolicy {
                        window: w("30d"),
                        rules: rules.clone(),
                    },
                )
            })
            .collect()
    }

    fn min(pct: f64) -> Rule {
        Rule::MinBudgetRemaining(pct)
    }

    fn max(window: &str, factor: f64) -> Rule {
        Rule::MaxBurnRate {
            window: w(window),
            factor,
        }
    }

    /// Gates a single one-row SLO `a` and returns its row.
    fn gate_one(status: SloStatus, rules: Vec<Rule>, allow_no_data: bool) -> RowVerdict {
        let result = apply(
            &report(vec![rows("a", vec![status])]),
            &policies(&[("a", rules)]),
            allow_no_data,
        );
        assert_eq!(result.rows.len(), 1);
        result.rows.into_iter().next().unwrap()
    }

    // ---- policy resolution ----

    #[test]
    fn without_flags_or_spec_policy_an_slo_is_held_to_a_non_negative_budget() {
        let a = slo("a", "30d", GatePolicy::default());
        let resolved = resolve(&[&a], &GatePolicy::default()).unwrap();
        assert_eq!(resolved["a"].rules, vec![min(0.0)]);
        assert_eq!(resolved["a"].window, w("30d"));
    }

    #[test]
    fn spec_policy_applies_and_flags_override_it_rule_by_rule() {
        let spec = GatePolicy {
            min_budget_remaining: Some(10.0),
            max_burn_rate: BTreeMap::from([(w("1h"), 14.4), (w("6h"), 6.0)]),
        };
        let a = slo("a", "30d", spec);
        let from_spec = resolve(&[&a], &GatePolicy::default()).unwrap();
        assert_eq!(
            from_spec["a"].rules,
            vec![min(10.0), max("1h", 14.4), max("6h", 6.0)]
        );

        let overridden = resolve(&[&a], &flags(Some(50.0), &[("1h", 2.0), ("1d", 3.0)])).unwrap();
        assert_eq!(
            overridden["a"].rules,
            vec![min(50.0), max("1h", 2.0), max("6h", 6.0), max("1d", 3.0)]
        );
    }

    #[test]
    fn a_burn_rate_window_report_does_not_measure_is_a_usage_error() {
        let a = slo("a", "30d", GatePolicy::default());
        let err = resolve(&[&a], &flags(None, &[("2h", 5.0)])).unwrap_err();
        assert_eq!((err.slo.as_str(), err.window), ("a", w("2h")));
        assert_eq!(err.measured, measured_windows(w("30d")));
    }

    #[test]
    fn the_compliance_window_is_measured_but_only_for_slos_that_have_it() {
        let a = slo("a", "30d", GatePolicy::default());
        let b = slo("b", "28d", GatePolicy::default());
        let thirty_days = flags(None, &[("30d", 1.0)]);
        assert_eq!(
            resolve(&[&a], &thirty_days).unwrap()["a"].rules,
            vec![min(0.0), max("30d", 1.0)]
        );
        assert_eq!(resolve(&[&a, &b], &thirty_days).unwrap_err().slo, "b");
    }

    // ---- verdicts ----

    #[test]
    fn a_healthy_slo_passes_with_every_number_recorded() {
        let row = gate_one(
            status("a", Some(0.625), &[("1h", Some(0.8))]),
            vec![min(0.0), max("1h", 14.4)],
            false,
        );
        assert_eq!(row.verdict, Verdict::Pass);
        assert_eq!(row.unevaluated, None);
        assert_eq!(row.results[0].observed, Some(62.5));
        assert_eq!(row.results[1].observed, Some(0.8));
        assert_eq!(row.failed().count(), 0);
    }

    #[test]
    fn an_overspent_budget_fails_the_default_policy() {
        let row = gate_one(status("a", Some(-0.25), &[]), vec![min(0.0)], false);
        assert_eq!(row.verdict, Verdict::Fail);
        let failed: Vec<_> = row.failed().collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].observed, Some(-25.0));
        assert_eq!(failed[0].rule.threshold(), 0.0);
    }

    #[test]
    fn thresholds_are_inclusive_bounds() {
        // "below the minimum" fails, exactly at it passes; "exceeds" fails, equal passes.
        let at = gate_one(
            status("a", Some(0.5), &[("1h", Some(14.4))]),
            vec![min(50.0), max("1h", 14.4)],
            false,
        );
        assert_eq!(at.verdict, Verdict::Pass);
        // 0.072 / 0.005 in floating point: 14.4 to every output, so at the bound too.
        let noisy = gate_one(
            status(
                "a",
                Some(0.5),
                &[("1h", Some(0.072_000_000_000_000_01 / 0.005))],
            ),
            vec![max("1h", 14.4)],
            false,
        );
        assert_eq!(noisy.verdict, Verdict::Pass, "{noisy:?}");
        assert_eq!(noisy.results[0].observed, Some(14.4));
        let over = gate_one(
            status("a", Some(0.5), &[("1h", Some(14.400001))]),
            vec![min(50.0), max("1h", 14.4)],
            false,
        );
        assert_eq!(over.verdict, Verdict::Fail);
        assert_eq!(over.failed().next().unwrap().rule, max("1h", 14.4));
        let under = gate_one(status("a", Some(0.4999), &[]), vec![min(50.0)], false);
        assert_eq!(under.verdict, Verdict::Fail);
    }

    #[test]
    fn min_budget_remaining_50_fails_an_slo_at_40_percent_and_records_both_numbers() {
        let row = gate_one(status("a", Some(0.4), &[]), vec![min(50.0)], false);
        assert_eq!(row.verdict, Verdict::Fail);
        let failed = row.failed().next().unwrap();
        assert_eq!(
            (failed.observed, failed.rule.threshold()),
            (Some(40.0), 50.0)
        );
    }

    #[test]
    fn a_fast_burn_with_budget_left_fails_only_a_burn_rate_rule() {
        let burning = || status("a", Some(0.9), &[("1h", Some(20.0)), ("6h", Some(3.0))]);
        assert_eq!(
            gate_one(burning(), vec![min(0.0)], false).verdict,
            Verdict::Pass
        );
        let row = gate_one(
            burning(),
            vec![min(0.0), max("1h", 14.4), max("6h", 6.0)],
            false,
        );
        assert_eq!(row.verdict, Verdict::Fail);
        let failed: Vec<Rule> = row.failed().map(|r| r.rule).collect();
        assert_eq!(failed, vec![max("1h", 14.4)]);
    }

    #[test]
    fn no_data_is_an_error_unless_allowed() {
        let row = gate_one(status("a", None, &[]), vec![min(0.0)], false);
        assert_eq!(row.verdict, Verdict::Error);
        assert_eq!(
            row.unevaluated,
            Some(Unevaluated::NoData { window: w("30d") })
        );
        let allowed = gate_one(status("a", None, &[]), vec![min(0.0)], true);
        assert_eq!(allowed.verdict, Verdict::Pass);
        assert!(allowed.unevaluated.is_some(), "a pass without data says so");
    }

    #[test]
    fn no_data_status_wins_even_if_a_budget_number_came_back() {
        let mut s = status("a", Some(1.0), &[]);
        s.status = Status::NoData;
        assert_eq!(gate_one(s, vec![min(0.0)], false).verdict, Verdict::Error);
    }

    #[test]
    fn an_unknown_burn_rate_under_a_rule_is_an_error_unless_no_data_is_allowed() {
        let quiet = || status("a", Some(0.9), &[("1h", None), ("6h", Some(1.0))]);
        let rules = vec![min(0.0), max("1h", 14.4), max("6h", 6.0)];
        let row = gate_one(quiet(), rules.clone(), false);
        assert_eq!(row.verdict, Verdict::Error);
        assert_eq!(
            row.unevaluated,
            Some(Unevaluated::NoBurnRateData {
                windows: vec![w("1h")]
            })
        );
        assert_eq!(gate_one(quiet(), rules, true).verdict, Verdict::Pass);
        // No rule on 1h: its missing burn rate does not matter.
        assert_eq!(
            gate_one(quiet(), vec![min(0.0), max("6h", 6.0)], false).verdict,
            Verdict::Pass
        );
    }

    #[test]
    fn a_burn_rate_missing_from_the_report_or_nan_counts_as_unknown() {
        let row = gate_one(
            status("a", Some(0.9), &[("6h", Some(f64::NAN))]),
            vec![min(0.0), max("1h", 1.0), max("6h", 1.0)],
            false,
        );
        assert_eq!(row.verdict, Verdict::Error);
        assert_eq!(
            row.unevaluated,
            Some(Unevaluated::NoBurnRateData {
                windows: vec![w("1h"), w("6h")]
            })
        );
    }

    #[test]
    fn a_nan_budget_is_never_a_pass() {
        let mut s = status("a", Some(0.5), &[]);
        s.budget_remaining = Some(f64::NAN);
        let row = gate_one(s, vec![min(0.0)], false);
        assert_eq!(row.verdict, Verdict::Error);
        assert_eq!(row.results[0].observed, None);
    }

    #[test]
    fn a_definite_failure_in_a_row_outranks_an_unknown_burn_rate() {
        let row = gate_one(
            status("a", Some(-0.1), &[("1h", None)]),
            vec![min(0.0), max("1h", 14.4)],
            false,
        );
        assert_eq!(row.verdict, Verdict::Fail);
        assert!(row.unevaluated.is_some(), "the unknown is still reported");
    }

    #[test]
    fn an_evaluation_error_is_an_error_even_when_no_data_is_allowed() {
        for allow_no_data in [false, true] {
            let result = apply(
                &report(vec![failed("a")]),
                &policies(&[("a", vec![min(0.0)])]),
                allow_no_data,
            );
            assert_eq!(result.rows.len(), 1);
            assert_eq!(result.rows[0].verdict, Verdict::Error);
            assert!(matches!(
                &result.rows[0].unevaluated,
                Some(Unevaluated::EvaluationError(m)) if m.contains("connection refused")
            ));
            assert_eq!(result.verdict(), Verdict::Error);
        }
    }

    #[test]
    fn an_slo_with_no_rows_at_all_is_no_data_not_a_silent_pass() {
        let gate = |allow| {
            apply(
                &report(vec![rows("a", vec![])]),
                &policies(&[("a", vec![min(0.0)])]),
                allow,
            )
        };
        let result = gate(false);
        assert_eq!(result.rows.len(), 1);
        assert_eq!(result.rows[0].verdict, Verdict::Error);
        assert_eq!(result.verdict(), Verdict::Error);
        assert_eq!(gate(true).verdict(), Verdict::Pass);
    }

    #[test]
    fn an_slo_without_a_resolved_policy_is_an_error() {
        let result = apply(
            &report(vec![rows("a", vec![status("a", Some(1.0), &[])])]),
            &BTreeMap::new(),
            true,
        );
        assert_eq!(result.rows[0].verdict, Verdict::Error);
        assert_eq!(result.rows[0].unevaluated, Some(Unevaluated::NoPolicy));
    }

    #[test]
    fn each_group_of_a_grouped_slo_is_gated_on_its_own() {
        let group = |handler: &str, remaining| {
            let mut s = status("g", Some(remaining), &[]);
            s.labels = Labels::from([("handler".to_string(), handler.to_string())]);
            s
        };
        let result = apply(
            &report(vec![rows("g", vec![group("/a", 0.5), group("/b", -0.5)])]),
            &policies(&[("g", vec![min(0.0)])]),
            false,
        );
        let verdicts: Vec<(&str, Verdict)> = result
            .rows
            .iter()
            .map(|r| (r.labels["handler"].as_str(), r.verdict))
            .collect();
        assert_eq!(verdicts, vec![("/a", Verdict::Pass), ("/b", Verdict::Fail)]);
    }

    // ---- the verdict on a whole report ----

    fn mixed(evaluations: Vec<SloEvaluation>) -> GateResult {
        let names: Vec<String> = evaluations.iter().map(|e| e.slo.clone()).collect();
        let rules: Vec<(&str, Vec<Rule>)> =
            names.iter().map(|n| (n.as_str(), vec![min(0.0)])).collect();
        apply(&report(evaluations), &policies(&rules), false)
    }

    #[test]
    fn a_pass_only_when_every_slo_was_evaluated_and_passed() {
        let ok = |n: &str| rows(n, vec![status(n, Some(0.5), &[])]);
        let result = mixed(vec![ok("a"), ok("b")]);
        assert_eq!(result.verdict(), Verdict::Pass);
        let result = mixed(vec![ok("a"), failed("b")]);
        assert_eq!(result.verdict(), Verdict::Error);
    }

    #[test]
    fn a_policy_failure_outranks_an_slo_that_could_not_be_evaluated() {
        let result = mixed(vec![
            failed("a"),
            rows("b", vec![status("b", Some(-1.0), &[])]),
            rows("c", vec![status("c", Some(0.5), &[])]),
        ]);
        assert_eq!(result.verdict(), Verdict::Fail);
        assert_eq!(
            (
                result.count(Verdict::Pass),
                result.count(Verdict::Fail),
                result.count(Verdict::Error)
            ),
            (1, 1, 1)
        );
    }

    #[test]
    fn nothing_gated_is_not_a_pass() {
        let result = mixed(vec![]);
        assert_eq!(result.verdict(), Verdict::Error);
    }
}
