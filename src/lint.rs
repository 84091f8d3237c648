//! `slo lint`: SLO designs that are valid but likely mistakes. Pure: the findings name the SLO
//! and field; the caller locates them in the file.

use crate::model::{Sli, Slo, Spec, WINDOW_PLACEHOLDER, Window};

/// Traffic assumed when no server is asked: one event a second, 3,600 an hour.
pub const ASSUMED_EVENTS_PER_HOUR: f64 = 3_600.0;
/// Shorter compliance windows swing with every incident and give too small a budget to plan with.
const SHORTEST_STEADY_WINDOW: Window = Window::from_secs(7 * 86_400);

/// One warning about an SLO.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub slo: String,
    /// Dotted path of the field within the SLO, e.g. `sli.raw.error_ratio`.
    pub field: &'static str,
    pub message: String,
    pub hint: String,
}

/// Every finding, SLO by SLO in spec order.
pub fn lint(spec: &Spec) -> Vec<Finding> {
    spec.slos
        .iter()
        .flat_map(|slo| {
            [
                objective_beyond_an_hour(slo),
                silent_alerts(slo),
                short_window(slo),
                fixed_ranges(slo),
            ]
        })
        .flatten()
        .collect()
}

fn finding(slo: &Slo, field: &'static str, message: String, hint: &str) -> Finding {
    Finding {
        slo: slo.name.clone(),
        field,
        message,
        hint: hint.to_string(),
    }
}

/// An objective allows one bad event in 1/(1 - objective); when an hour of typical traffic
/// holds fewer events, one error blows an hour's budget and every alert window is noise.
fn objective_beyond_an_hour(slo: &Slo) -> Option<Finding> {
    let events_per_error = 1.0 / slo.objective.error_budget();
    (events_per_error > ASSUMED_EVENTS_PER_HOUR).then(|| {
        finding(
            slo,
            "objective",
            format!(
                "{}% allows one bad event in {}, more than an hour of traffic at an assumed \
                 one event a second ({ASSUMED_EVENTS_PER_HOUR}): a single error burns more than \
                 an hour's budget",
                slo.objective.percent(),
                events_per_error.round()
            ),
            "lower the objective, or make sure the service sees that many events an hour",
        )
    })
}

fn silent_alerts(slo: &Slo) -> Option<Finding> {
    (!slo.alerting.page.enabled && !slo.alerting.ticket.enabled).then(|| {
        finding(
            slo,
            "alerting",
            "page and ticket alerts are both disabled: nobody hears when the budget burns"
                .to_string(),
            "enable at least the ticket alert",
        )
    })
}

fn short_window(slo: &Slo) -> Option<Finding> {
    (slo.window < SHORTEST_STEADY_WINDOW).then(|| {
        finding(
            slo,
            "window",
            format!(
                "a compliance window of {} is shorter than {SHORTEST_STEADY_WINDOW}: one \
                 incident swings the SLI and the budget is too small to plan with",
                slo.window
            ),
            "use 28d or 30d, as most SLO practice does",
        )
    })
}

/// A range written as a duration measures the same span whatever the window it is asked for.
fn fixed_ranges(slo: &Slo) -> Option<Finding> {
    let Sli::Raw(raw) = &slo.sli else {
        return None;
    };
    let fixed = fixed_range_texts(&raw.error_ratio);
    (!fixed.is_empty()).then(|| {
        finding(
            slo,
            "sli.raw.error_ratio",
            format!(
                "the range{} {} {} fixed: the query measures that span for every window",
                if fixed.len() == 1 { "" } else { "s" },
                fixed.join(", "),
                if fixed.len() == 1 { "is" } else { "are" },
            ),
            &format!("write [{WINDOW_PLACEHOLDER}] so each window measures itself"),
        )
    })
}

/// The bracketed ranges of `query` (`[5m]`, `[1h:1m]`) whose range is not `{{window}}`,
/// skipping brackets inside quoted strings (regular expressions).
fn fixed_range_texts(query: &str) -> Vec<String> {
    let mut fixed = Vec::new();
    let mut quote: Option<char> = None;
    let mut chars = query.char_indices();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(q), '\\') if q != '`' => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '[') => {
                let Some(len) = query[i..].find(']') else {
                    break;
                };
                let inside = &query[i + 1..i + len];
                let range = inside.split(':').next().unwrap_or_default().trim();
                if range != WINDOW_PLACEHOLDER {
                    fixed.push(format!("[{inside}]"));
                }
            }
            _ => {}
        }
    }
    fixed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_ranges_are_found_outside_strings_only() {
        assert_eq!(
            fixed_range_texts("sum(rate(e{a=~\"[0-9]+\"}[5m])) / sum(rate(t[{{window}}]))"),
            ["[5m]"]
        );
        assert_eq!(
            fixed_range_texts("max_over_time(x[{{window}}:1m]) + y[1h:5m]"),
            ["[1h:5m]"]
        );
        assert!(fixed_range_texts("sum(rate(e[{{window}}]))").is_empty());
    }
}
