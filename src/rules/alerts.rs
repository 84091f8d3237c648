//! The last step of the chain: page and ticket burn-rate alerts, and the absent-metrics alert.
//!
//! No alert has a `for:`. A burn alert's short window already demands that the burn is still
//! going on, so holding would only delay a page the long window has confirmed; the absent
//! alert's `absent_over_time` range already waits out the silence it tolerates.

use std::fmt::Write;

use crate::model::{
    AlertPolicy, BURN_RATE_WINDOWS, BurnRateAlert, Labels, Severity, Window, burn_rate_alerts,
};
use crate::promql;

use super::generate::SloContext;
use super::{Rule, RuleGroup};

/// How long a silent exporter may go unnoticed: the fastest page's short window, after which
/// the burn-rate alerts are blind.
const ABSENT_AFTER: Window = BURN_RATE_WINDOWS[0];

/// The enabled burn alerts, then the absent alert guarding them; no rules when every alert
/// of the SLO is off.
pub(super) fn alert_group(context: &SloContext) -> RuleGroup {
    let alerting = &context.slo.alerting;
    let mut rules: Vec<Rule> = [
        (Severity::Page, &alerting.page),
        (Severity::Ticket, &alerting.ticket),
    ]
    .into_iter()
    .filter(|(_, policy)| policy.enabled)
    .map(|(severity, policy)| burn_alert(context, severity, policy))
    .collect();
    // Without its series an SLI is empty, and an empty SLI burns nothing: the burn alerts
    // would stay silent through an outage of the exporter. Raw SLIs name no series to watch.
    if !rules.is_empty()
        && let Some(expr) = promql::absent_query(&context.slo.sli, ABSENT_AFTER)
    {
        rules.push(absent_alert(context, expr, &alerting.ticket));
    }
    context.group("alerts", None, rules)
}

fn burn_alert(context: &SloContext, severity: Severity, policy: &AlertPolicy) -> Rule {
    let slo = context.slo;
    let window = slo.window;
    let conditions: Vec<BurnRateAlert> = burn_rate_alerts(window)
        .into_iter()
        .filter(|c| c.severity == severity)
        .collect();
    let spends: Vec<String> = conditions
        .iter()
        .map(|c| {
            format!(
                "{}% of the budget in {} (error ratio over {}x the budget for {} and {})",
                promql::number(c.budget_spent * 100.0),
                c.long_window,
                promql::number(c.factor),
                c.long_window,
                c.short_window
            )
        })
        .collect();
    let summary = format!(
        "{} is burning its error budget too fast ({})",
        subject(context),
        severity.name()
    );
    let description = format!(
        "The error ratio over the long window is {{{{ $value | humanizePercentage }}}}, against a budget of {}% of events over {window}. This alert fires when errors spend {}.",
        promql::number(slo.objective.error_budget() * 100.0),
        spends.join(", or ")
    );
    Rule::Alert {
        alert: promql::BURN_ALERT.to_string(),
        expr: promql::burn_alert_query(
            context.style,
            &context.selector,
            &conditions,
            slo.objective.error_budget(),
        ),
        labels: alert_labels(context, severity, policy),
        annotations: annotations(context, summary, description, policy),
    }
}

fn absent_alert(context: &SloContext, expr: String, ticket: &AlertPolicy) -> Rule {
    let selector = promql::absence_selector(&context.slo.sli).unwrap_or_default();
    let summary = format!(
        "{} {} has no SLI data: {selector} has been absent for {ABSENT_AFTER}",
        context.service, context.slo.name
    );
    let description = "Without its series the SLI cannot be computed and the burn-rate alerts cannot fire. Check the exporter, the scrape target and the selector in the spec.".to_string();
    Rule::Alert {
        alert: promql::ABSENT_ALERT.to_string(),
        expr,
        labels: alert_labels(context, Severity::Ticket, ticket),
        annotations: annotations(context, summary, description, ticket),
    }
}

/// The labels every alert of this SLO carries (on top of those of its expression).
fn alert_labels(context: &SloContext, severity: Severity, policy: &AlertPolicy) -> Labels {
    let mut labels = context.labels.clone();
    labels.insert(
        promql::SEVERITY_LABEL.to_string(),
        severity.name().to_string(),
    );
    if let Some(label) = context.style.style_severity_label() {
        labels.insert(label.to_string(), severity.name().to_string());
    }
    labels.extend(policy.labels.clone());
    labels
}

/// An alert's summary, objective and description, with the spec's annotations over them.
fn annotations(
    context: &SloContext,
    summary: String,
    description: String,
    policy: &AlertPolicy,
) -> Labels {
    let objective = format!(
        "{}% over {}",
        promql::number(context.slo.objective.percent()),
        context.slo.window
    );
    let mut annotations = Labels::from([
        ("summary".to_string(), summary),
        ("objective".to_string(), objective),
        ("description".to_string(), description),
    ]);
    annotations.extend(policy.annotations.clone());
    annotations
}

/// Who is affected, e.g. `demo-api availability` or `demo-api availability (handler=x)`.
fn subject(context: &SloContext) -> String {
    let group_by = context.slo.sli.group_by();
    let mut subject = format!("{} {}", context.service, context.slo.name);
    if !group_by.is_empty() {
        let groups: Vec<String> = group_by
            .iter()
            .map(|l| format!("{l}={{{{ $labels.{l} }}}}"))
            .collect();
        let _ = write!(subject, " ({})", groups.join(", "));
    }
    subject
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::LabelStyle;
    use crate::rules::generate::tests::{RATIO, run, spec};

    fn alert_names(group: &RuleGroup) -> Vec<(&str, &str)> {
        group
            .rules
            .iter()
            .filter_map(|r| match r {
                Rule::Alert { alert, labels, .. } => {
                    Some((alert.as_str(), labels[promql::SEVERITY_LABEL].as_str()))
                }
                Rule::Record { .. } => None,
            })
            .collect()
    }

    #[test]
    fn alerts_follow_the_enabled_policies() {
        let mut spec = spec(&[("x", RATIO)]);
        let alerts = |spec: &_| run(alert_group, spec, LabelStyle::Native);
        assert_eq!(
            alert_names(&alerts(&spec)),
            [
                (promql::BURN_ALERT, "page"),
                (promql::BURN_ALERT, "ticket"),
                (promql::ABSENT_ALERT, "ticket")
            ]
        );
        spec.slos[0].alerting.page.enabled = false;
        assert_eq!(
            alert_names(&alerts(&spec)),
            [
                (promql::BURN_ALERT, "ticket"),
                (promql::ABSENT_ALERT, "ticket")
            ]
        );
        spec.slos[0].alerting.ticket.enabled = false;
        assert!(alerts(&spec).rules.is_empty());
    }
}
