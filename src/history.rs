//! The budget's history (`report --history`): budget remaining at evenly spaced instants
//! across an SLO's window, ending at the evaluation instant, for burn-down charts.
//!
//! A rolling SLO's point at `t` is the budget remaining over the window ending at `t`, from
//! one range query. A calendar SLO's point at `t` is the budget remaining over its period from
//! the start to `t`: bad and total events per step, from one range query each, summed from
//! the period's start. Instants without events have no point.

use std::collections::BTreeMap;

use crate::calendar::Timing;
use crate::model::{Labels, Sli, Slo, Spec, Window};
use crate::prometheus::{Client, QueryError, Series};
use crate::promql::{self, Counted, EventQueries, RangeFn};
use crate::report::{EvaluationOptions, Report};

/// `--history [--step]`: what `report` adds a history to each row with.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HistoryRequest {
    /// The spacing of the points; by default one giving 30 to 60 across the window.
    pub step: Option<Window>,
}

/// Points a default step aims at across a window: 30 to 60.
const TARGET_POINTS: u64 = 48;
/// Steps a rolling window's default is picked from: the shortest giving at most 60 points.
const NICE_STEPS: [u64; 13] = [
    60,
    300,
    600,
    900,
    1800,
    3600,
    2 * 3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    2 * 86_400,
    7 * 86_400,
];
const MAX_DEFAULT_POINTS: u64 = 60;

/// `(Unix seconds, budget remaining)`, oldest first.
pub type Points = Vec<(f64, f64)>;

/// The queries behind one SLO's history and the instants they run at.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPlan {
    /// The first and last instants of the range query, Unix seconds.
    pub start: f64,
    pub end: f64,
    pub step: Window,
    kind: Kind,
    group_by: Vec<String>,
    error_budget: f64,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// Each series is the budget remaining over the rolling window.
    Budget(String),
    /// Events per step, summed from the first point on.
    Cumulative(EventQueries),
}

impl HistoryPlan {
    /// `None` for a calendar SLO with a raw SLI: its ratios cannot be summed over steps.
    pub fn new(slo: &Slo, timing: &Timing, step: Option<Window>) -> Option<HistoryPlan> {
        let error_budget = slo.objective.error_budget();
        let (start, step, kind) = match timing.period {
            None => {
                let step = step.unwrap_or_else(|| rolling_step(slo.window));
                let count =
                    (slo.window.duration().as_millis() / step.duration().as_millis()).max(1) as f64;
                let start = timing.at - count * step.duration().as_secs_f64();
                (start, step, Kind::Budget(budget_query(slo, error_budget)))
            }
            Some(_) => {
                let (count, step) = period_steps(timing.range, step);
                let queries = promql::event_queries(&slo.sli, step, RangeFn::Increase)?;
                // The first point sums the step before it, which starts where the period does.
                let first = timing.at - (count - 1) as f64 * step.duration().as_secs_f64();
                (first, step, Kind::Cumulative(queries))
            }
        };
        Some(HistoryPlan {
            start,
            end: timing.at,
            step,
            kind,
            group_by: slo.sli.group_by().to_vec(),
            error_budget,
        })
    }

    pub fn queries(&self) -> Vec<&str> {
        match &self.kind {
            Kind::Budget(query) => vec![query],
            Kind::Cumulative(q) => vec![&q.counted_query, &q.total_query],
        }
    }

    /// The points of each group from the answers to [`HistoryPlan::queries`], in order.
    pub fn points(&self, answers: &[Vec<Series>]) -> BTreeMap<Labels, Points> {
        match (&self.kind, answers) {
            (Kind::Budget(_), [series]) => series
                .iter()
                .map(|s| {
                    let finite = s.points.iter().copied().filter(|(_, v)| !v.is_nan());
                    (self.group(&s.labels), finite.collect())
                })
                .collect(),
            (Kind::Cumulative(queries), [counted, total]) => {
                self.cumulative(queries.counted, counted, total)
            }
            _ => BTreeMap::new(),
        }
    }

    fn group(&self, labels: &Labels) -> Labels {
        labels
            .iter()
            .filter(|(k, _)| self.group_by.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn cumulative(
        &self,
        counted_as: Counted,
        counted: &[Series],
        total: &[Series],
    ) -> BTreeMap<Labels, Points> {
        let counted: BTreeMap<Labels, BTreeMap<i64, f64>> = counted
            .iter()
            .map(|s| (self.group(&s.labels), by_millis(&s.points)))
            .collect();
        let no_counted = BTreeMap::new();
        total
            .iter()
            .map(|series| {
                let group = self.group(&series.labels);
                let counted = counted.get(&group).unwrap_or(&no_counted);
                let (mut bad_sum, mut total_sum) = (0.0, 0.0);
                let mut points = Points::new();
                for &(t, step_total) in &series.points {
                    // A missing counted series means none of those events (see `report`).
                    let step_counted = counted.get(&millis(t)).copied().unwrap_or(0.0);
                    if step_total.is_nan() || step_counted.is_nan() {
                        continue;
                    }
                    total_sum += step_total;
                    bad_sum += match counted_as {
                        Counted::Bad => step_counted,
                        Counted::Good => step_total - step_counted,
                    };
                    if total_sum > 0.0 {
                        points.push((t, 1.0 - bad_sum / total_sum / self.error_budget));
                    }
                }
                (group, points)
            })
            .collect()
    }
}

/// Gives every row of `report` its history: the points of its group, none where it has no
/// data. A history that cannot be had is a warning, not an error: the numbers stand.
pub async fn add_to(
    report: &mut Report,
    client: &Client,
    spec: &Spec,
    options: &EvaluationOptions,
    request: HistoryRequest,
) {
    let mut tasks = tokio::task::JoinSet::new();
    for (index, evaluation) in report.slos.iter().enumerate() {
        let Some(slo) = spec.slos.iter().find(|s| s.name == evaluation.slo) else {
            continue;
        };
        if evaluation.outcome.is_err() {
            continue;
        }
        let Ok(timing) = Timing::new(slo, options.at, options.period) else {
            continue;
        };
        let Some(plan) = HistoryPlan::new(slo, &timing, request.step) else {
            report.warnings.push(format!(
                "SLO {}: no history: a raw SLI's ratios cannot be summed over a calendar period",
                slo.name
            ));
            continue;
        };
        let client = client.clone();
        tasks.spawn(async move { (index, fetch(&client, &plan).await) });
    }
    let mut histories = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, Ok(points))) => {
                histories.insert(index, points);
            }
            Ok((index, Err((query, error)))) => report.warnings.push(format!(
                "SLO {}: no history: {} (query: {query})",
                report.slos[index].slo, error.message
            )),
            // A panicked task leaves its SLO without points, as one without data.
            Err(_) => {}
        }
    }
    for (index, evaluation) in report.slos.iter_mut().enumerate() {
        let Ok(rows) = &mut evaluation.outcome else {
            continue;
        };
        let by_group = histories.get(&index);
        for row in rows {
            let points = by_group.and_then(|h| h.get(&row.labels)).cloned();
            row.history = Some(points.unwrap_or_default());
        }
    }
}

/// Runs the plan's range queries; `Err` with the first that failed.
async fn fetch(
    client: &Client,
    plan: &HistoryPlan,
) -> Result<BTreeMap<Labels, Points>, (String, QueryError)> {
    let mut answers = Vec::new();
    for query in plan.queries() {
        let answer = client
            .query_range(query, plan.start, plan.end, plan.step)
            .await
            .map_err(|e| (query.to_string(), e))?;
        answers.push(answer.series);
    }
    Ok(plan.points(&answers))
}

/// Budget remaining over the SLO's rolling window, per group.
fn budget_query(slo: &Slo, error_budget: f64) -> String {
    let budget = promql::number(error_budget);
    let window = slo.window;
    match (
        &slo.sli,
        promql::event_queries(&slo.sli, window, RangeFn::Increase),
    ) {
        (_, Some(q)) => {
            // A missing counted series is zero events, as in the report.
            let counted = format!("({} or 0 * {})", q.counted_query, q.total_query);
            let bad = match q.counted {
                Counted::Bad => counted,
                Counted::Good => format!("({} - {counted})", q.total_query),
            };
            format!("1 - {bad} / {} / {budget}", q.total_query)
        }
        (Sli::Raw(raw), None) => format!("1 - ({}) / {budget}", raw.query(window)),
        (_, None) => unreachable!("only raw SLIs have no event queries"),
    }
}

/// The default step of a rolling window: the shortest of [`NICE_STEPS`] giving at most 60
/// points across it.
fn rolling_step(window: Window) -> Window {
    let secs = window.secs();
    let step = NICE_STEPS
        .into_iter()
        .find(|step| secs / step <= MAX_DEFAULT_POINTS)
        .unwrap_or(NICE_STEPS[NICE_STEPS.len() - 1]);
    Window::from_secs(step)
}

/// How many steps the period so far (`range`) is cut into, and the step: `requested`
/// rounded so that the steps end exactly at the period's start and the instant (up to
/// a few milliseconds the rounding to whole milliseconds leaves out at the start).
fn period_steps(range: Window, requested: Option<Window>) -> (u64, Window) {
    let range_ms = range.duration().as_millis() as u64;
    let count = match requested {
        Some(step) => (range_ms as f64 / step.duration().as_millis() as f64).round() as u64,
        None => TARGET_POINTS.min(range_ms / 1000),
    }
    .max(1);
    (count, Window::from_millis((range_ms / count).max(1)))
}

fn millis(t: f64) -> i64 {
    (t * 1000.0).round() as i64
}

fn by_millis(points: &[(f64, f64)]) -> BTreeMap<i64, f64> {
    points.iter().map(|&(t, v)| (millis(t), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_steps_give_30_to_60_points() {
        for (window, step) in [("30d", "12h"), ("7d", "3h"), ("90d", "2d"), ("28d", "12h")] {
            let w = Window::parse(window).unwrap();
            let s = rolling_step(w);
            assert_eq!(s.to_string(), step);
            let points = w.secs() / s.secs();
            assert!((30..=60).contains(&points), "{window}: {points}");
        }
        let (count, step) = period_steps(Window::parse("2d6h").unwrap(), None);
        assert_eq!((count, step.to_string()), (48, "1h7m30s".to_string()));
        let (count, step) = period_steps(Window::parse("2d6h").unwrap(), Window::parse("1h").ok());
        assert_eq!((count, step.to_string()), (54, "1h".to_string()));
    }

    #[test]
    fn calendar_points_sum_events_from_the_period_start_and_skip_empty_steps() {
        let plan = HistoryPlan {
            start: 100.0,
            end: 300.0,
            step: Window::from_secs(100),
            kind: Kind::Cumulative(EventQueries {
                counted: Counted::Bad,
                counted_query: "bad".into(),
                total_query: "total".into(),
            }),
            group_by: vec![],
            error_budget: 0.01,
        };
        let series = |points: &[(f64, f64)]| Series {
            labels: Labels::new(),
            points: points.to_vec(),
        };
        let points = plan.points(&[
            vec![series(&[(300.0, 2.0)])],
            vec![series(&[(100.0, 0.0), (200.0, 100.0), (300.0, 100.0)])],
        ]);
        // No events by 100: no point. Then 0 of 100, then 2 of 200 bad.
        assert_eq!(points[&Labels::new()], vec![(200.0, 1.0), (300.0, 0.0)]);
    }
}
