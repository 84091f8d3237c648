//! `slo validate`'s output: the file is valid, then one line per SLO.

use crate::model::{RatioEvents, Sli, Slo, Spec};
use crate::promql;

/// `slo.yaml: valid, service demo-api, 2 SLOs`, then each SLO's [`summary`], indented.
pub fn render(spec: &Spec) -> String {
    let mut out = format!(
        "{}: valid, service {}, {} SLO{}\n",
        spec.source,
        spec.service,
        spec.slos.len(),
        if spec.slos.len() == 1 { "" } else { "s" }
    );
    for slo in &spec.slos {
        out.push_str(&format!("  {}\n", summary(slo)));
    }
    out
}

/// One line describing an SLO, e.g. `availability: 99.5% over 30d, ratio of errors, by handler`.
fn summary(slo: &Slo) -> String {
    let kind = match &slo.sli {
        Sli::Ratio(r) => match r.events {
            RatioEvents::Errors(_) => "ratio of errors to total",
            RatioEvents::Good(_) => "ratio of good to total",
        }
        .to_string(),
        Sli::Latency(l) => format!("latency at or under {}s", promql::number(l.threshold)),
        Sli::Raw(_) => "raw error-ratio query".to_string(),
    };
    let mut line = format!(
        "{}: {}% over {}, {kind}",
        slo.name,
        promql::number(slo.objective.percent()),
        slo.compliance_text(),
    );
    let group_by = slo.sli.group_by();
    if !group_by.is_empty() {
        line.push_str(&format!(", per {}", group_by.join(", ")));
    }
    let alerts: Vec<&str> = [
        ("page", slo.alerting.page.enabled),
        ("ticket", slo.alerting.ticket.enabled),
    ]
    .iter()
    .filter(|(_, on)| *on)
    .map(|(name, _)| *name)
    .collect();
    line.push_str(&match alerts.as_slice() {
        [] => ", no alerts".to_string(),
        names => format!(", {} alerts", names.join(" and ")),
    });
    line
}
