//! Renderings of a [`Report`](crate::report::Report): `table` for people at a terminal,
//! `json` for programs, `markdown` for pull-request comments and `$GITHUB_STEP_SUMMARY`.

pub mod html;
pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod sparkline;
pub mod table;
pub mod watch;

use crate::model::Window;
use crate::report::SloStatus;

/// The burn-rate window the table and Markdown summaries show.
const SHOWN_BURN_WINDOW: Window = Window::from_secs(3600);

/// What an unknown value (no data) looks like in a cell.
const UNKNOWN: &str = "–";

/// Column headings shared by the table and Markdown renderings.
const HEADINGS: [&str; 8] = [
    "Service",
    "SLO",
    "Objective",
    "Window",
    "SLI",
    "Budget remaining",
    "Burn rate 1h",
    "Status",
];

/// The cells of one row, as text, in [`HEADINGS`] order.
fn cells(row: &SloStatus) -> [String; 8] {
    [
        row.service.clone(),
        slo_title(row),
        format!("{}%", crate::promql::number(row.objective * 100.0)),
        row.period
            .as_ref()
            .map_or_else(|| row.window.to_string(), |p| p.title.clone()),
        percent(row.sli, 3),
        percent(row.budget_remaining, 1),
        row.burn_rates
            .get(&SHOWN_BURN_WINDOW)
            .copied()
            .flatten()
            .map_or(UNKNOWN.to_string(), |b| format!("{b:.2}")),
        row.status.as_str().to_string(),
    ]
}

/// `availability`, or `availability-by-handler handler=/items` for a group; label values
/// come from Prometheus, so they are shown [visibly](crate::sanitize).
fn slo_title(row: &SloStatus) -> String {
    let mut title = row.slo.clone();
    for (name, value) in &row.labels {
        title.push_str(&format!(" {name}={}", crate::sanitize::Visible(value)));
    }
    title
}

fn percent(fraction: Option<f64>, decimals: usize) -> String {
    fraction.map_or(UNKNOWN.to_string(), |f| {
        format!("{:.decimals$}%", f * 100.0)
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use crate::interface::report::QueryErrorKind;
    use crate::model::{BURN_RATE_WINDOWS, Labels, Window};
    use crate::report::{EvaluationError, Report, SloEvaluation, SloStatus, Status};

    /// A report with one grouped SLO that has no data and one that could not be evaluated.
    pub(crate) fn report() -> Report {
        let window = Window::from_secs(30 * 86_400);
        let row = SloStatus {
            service: "api".into(),
            slo: "by-handler".into(),
            labels: Labels::from([("handler".to_string(), "/a|b".to_string())]),
            objective: 0.999,
            window,
            sli: None,
            error_budget: 0.001,
            budget_remaining: None,
            events: None,
            burn_rates: BURN_RATE_WINDOWS
                .into_iter()
                .chain([window])
                .map(|w| (w, None))
                .collect::<BTreeMap<_, _>>(),
            status: Status::NoData,
            period: None,
            history: None,
            source: Default::default(),
            coverage: None,
            source_note: None,
        };
        Report {
            evaluated_at: 1_793_491_200.0,
            slos: vec![
                SloEvaluation {
                    slo: "by-handler".into(),
                    outcome: Ok(vec![row]),
                },
                SloEvaluation {
                    slo: "latency".into(),
                    outcome: Err(EvaluationError {
                        slo: "latency".into(),
                        query: "sum(x)".into(),
                        kind: QueryErrorKind::Unreachable,
                        message: "unreachable".into(),
                    }),
                },
            ],
            warnings: vec![],
        }
    }
}
