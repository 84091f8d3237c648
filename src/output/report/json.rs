//! The report as JSON: [`crate::interface::report::Document`], pretty-printed.

use crate::interface::report::{Document, Events, Period, Row, WindowText};
use crate::model::tidy;
use crate::report::{Report, SloStatus};

/// The document of `report`: its rows with every ratio tidied to the digits a person wrote.
pub fn document(report: &Report) -> Document {
    Document {
        evaluated_at: crate::timestamp::format(report.evaluated_at),
        slos: report.rows().map(row).collect(),
    }
}

fn row(status: &SloStatus) -> Row {
    Row {
        service: status.service.clone(),
        slo: status.slo.clone(),
        labels: status.labels.clone(),
        objective: tidy(status.objective),
        window: WindowText(status.window),
        sli: status.sli.map(tidy),
        error_budget: tidy(status.error_budget),
        budget_remaining: status.budget_remaining.map(tidy),
        events: status.events.map(|e| Events {
            good: tidy(e.good),
            bad: tidy(e.bad),
            total: tidy(e.total),
        }),
        burn_rates: status
            .burn_rates
            .iter()
            .map(|(w, rate)| (WindowText(*w), rate.map(tidy)))
            .collect(),
        status: status.status,
        period: status.period.as_ref().map(|p| Period {
            calendar: p.span.period.name().to_string(),
            timezone: p.timezone.clone(),
            start: crate::timestamp::format(p.span.start),
            end: crate::timestamp::format(p.span.end),
            elapsed: tidy(p.elapsed),
            projected_budget_remaining: p.projected_budget_remaining.map(tidy),
        }),
        history: status
            .history
            .as_ref()
            .map(|points| points.iter().map(|&(t, b)| (t, tidy(b))).collect()),
        source: status.source,
        coverage: status.coverage.map(tidy),
        source_note: status.source_note.clone(),
    }
}

/// `value` as pretty-printed JSON, ending in a newline.
pub fn to_text(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value)
        .expect("plain structs with string keys always serialise");
    text.push('\n');
    text
}

pub fn render(report: &Report) -> String {
    to_text(&document(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_null_and_failed_slos_absent() {
        let report = crate::output::report::tests::report();
        let text = render(&report);
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "evaluated_at": "2026-11-01T00:00:00Z",
                "slos": [{
                    "service": "api", "slo": "by-handler", "labels": {"handler": "/a|b"},
                    "objective": 0.999, "window": "30d", "sli": null, "error_budget": 0.001,
                    "budget_remaining": null, "events": null,
                    "burn_rates": {"5m": null, "1h": null, "6h": null, "1d": null, "3d": null,
                                   "30d": null},
                    "status": "no_data", "source": "raw", "coverage": null
                }]
            })
        );
        let parsed: Document = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, document(&report));
    }
}
