//! Where each SLO stands: SLI, error budget, remaining budget and burn rates, computed from
//! event counts that Prometheus returns for one evaluation instant.
//!
//! # Using it from another command (`slo check`)
//!
//! ```ignore
//! // The settings layer checks the flags against the spec and builds the client (exit 2).
//! let evaluation = slo::settings::Evaluation::new(&args.evaluation, &specs, false)?;
//! let report = slo::report::evaluate_all_blocking(
//!     &specs, &evaluation.options, &evaluation.client, &slo::report::Unobserved,
//! )?;
//! for warning in &report.warnings { eprintln!("warning: {warning}"); }
//! for row in report.rows() { /* one SloStatus per SLO, or per group of a grouped SLO */ }
//! for error in report.errors() { /* SLOs that could not be evaluated: exit 3 */ }
//! ```
//!
//! Inside a runtime, call [`evaluate_all`] (or [`evaluate`] for one spec) instead. Renderers taking a [`Report`]:
//! `output::report::{table, json, markdown}`.
//!
//! Layout: [`evaluate`] plans the queries of every selected SLO (each window of
//! [`crate::model::BURN_RATE_WINDOWS`] and the compliance window), runs them concurrently at one instant, and
//! hands each SLO's answers to [`assess`], a pure function that does all the arithmetic.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::calendar::{PeriodChoice, PeriodStatus, Timing};
use crate::error::Error;
use crate::history::HistoryRequest;
use crate::interface::report::{DataSource, QueryErrorKind};
use crate::model::{Labels, Sli, Slo, Spec, Window, measured_windows};
use crate::prometheus::{Answer, Client, QueryError, Sample, series_text};
use crate::promql::{self, Counted, EventQueries, RangeFn, SplitEventQuery};
use crate::source::{self, Source, SourceOptions};

/// The result of evaluating a set of SLOs at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Evaluation instant, Unix seconds; every query ran at exactly this time.
    pub evaluated_at: f64,
    /// One entry per selected SLO, in spec order.
    pub slos: Vec<SloEvaluation>,
    /// Warnings Prometheus attached to its answers, each naming the SLO and query.
    pub warnings: Vec<String>,
}

impl Report {
    /// Every row of every SLO that could be evaluated, in spec order.
    pub fn rows(&self) -> impl Iterator<Item = &SloStatus> {
        self.slos
            .iter()
            .filter_map(|e| e.outcome.as_ref().ok())
            .flatten()
    }
    /// Why each SLO that could not be evaluated was not.
    pub fn errors(&self) -> impl Iterator<Item = &EvaluationError> {
        self.slos.iter().filter_map(|e| e.outcome.as_ref().err())
    }
}

/// One SLO's evaluation: rows (one per group_by label combination, else exactly one), or why
/// it could not be evaluated. An SLO that could not be evaluated has no rows.
#[derive(Debug, Clone, PartialEq)]
pub struct SloEvaluation {
    pub slo: String,
    pub outcome: Result<Vec<SloStatus>, EvaluationError>,
}

/// Why an SLO could not be evaluated: the query that failed, and how and why it did.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("SLO {slo}: {message} (query: {query})")]
pub struct EvaluationError {
    pub slo: String,
    pub query: String,
    pub kind: QueryErrorKind,
    pub message: String,
}

/// Where one SLO (or one group of a grouped SLO) stands.
#[derive(Debug, Clone, PartialEq)]
pub struct SloStatus {
    pub service: String,
    pub slo: String,
    /// The group_by label values; empty when the SLO is not grouped.
    pub labels: Labels,
    /// Objective as a fraction, e.g. 0.995.
    pub objective: f64,
    pub window: Window,
    /// Good events over all events in the window; `None` when unknown (no data).
    pub sli: Option<f64>,
    /// 1 - objective.
    pub error_budget: f64,
    /// 1 - (1 - sli) / error_budget: negative when overspent, `None` when unknown.
    pub budget_remaining: Option<f64>,
    /// Event counts over the window; `None` for raw SLIs and when unknown.
    pub events: Option<Events>,
    /// Burn rate over each burn-rate window and the compliance window; `None` where there
    /// were no events in that window.
    pub burn_rates: BTreeMap<Window, Option<f64>>,
    pub status: Status,
    /// For a calendar SLO: the period evaluated, whose part up to the evaluation instant is
    /// what `sli`, `budget_remaining` and the burn rate over `window` are measured over.
    pub period: Option<PeriodStatus>,
    /// Budget remaining across the window, with `--history`; `None` without it.
    pub history: Option<crate::history::Points>,
    /// Which series the numbers come from.
    pub source: DataSource,
    /// Fraction of the window the recorded history spans; `None` when read from raw series.
    pub coverage: Option<f64>,
    /// Why `--source auto` read this row from the raw series: a calendar window, or a
    /// recording that is missing, stale, younger than the window or for another objective.
    pub source_note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Events {
    pub good: f64,
    pub bad: f64,
    pub total: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    /// Less than the warning threshold of the budget remains.
    AtRisk,
    /// No budget remains.
    Exhausted,
    /// No events in the compliance window.
    NoData,
}

impl Status {
    /// The name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::AtRisk => "at_risk",
            Status::Exhausted => "exhausted",
            Status::NoData => "no_data",
        }
    }
}

/// What to evaluate and how to judge it, checked against the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationOptions {
    /// The evaluation instant, Unix seconds.
    pub at: f64,
    /// The SLOs to evaluate, in spec order (all of them unless `--slo` named some).
    pub slos: Vec<String>,
    /// Fraction of the error budget under which a row is `at_risk`, e.g. 0.25.
    pub warn_below: f64,
    /// After this long, every query still unanswered fails (`--deadline`).
    pub deadline: Option<Window>,
    /// Whether a warning from Prometheus (e.g. a partial response) makes the SLO an error.
    pub fail_on_warnings: bool,
    /// Which period calendar SLOs are evaluated over (`--period`).
    pub period: PeriodChoice,
    /// `--history`: also ask for each row's budget across the window.
    pub history: Option<HistoryRequest>,
    /// Raw or recorded series (`--source`).
    pub source: SourceOptions,
}

impl EvaluationOptions {
    /// The selected SLOs, in spec order.
    pub fn selected<'a>(&self, spec: &'a Spec) -> Vec<&'a Slo> {
        spec.slos
            .iter()
            .filter(|s| self.slos.contains(&s.name))
            .collect()
    }
}

/// What `slo report` and `slo check` need in one call: the evaluation on a runtime of its
/// own. `Err` only when no runtime can be started; failed queries are in the report, per SLO.
pub fn evaluate_all_blocking(
    specs: &[Spec],
    options: &EvaluationOptions,
    client: &Client,
    observer: &dyn Observer,
) -> Result<Report, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::DataSource(format!("cannot start the async runtime: {e}")))?;
    Ok(runtime.block_on(evaluate_all(client, specs, options, observer)))
}

/// Every spec (one per service) at the same instant, as one report whose rows name their
/// service, in the order given.
pub async fn evaluate_all(
    client: &Client,
    specs: &[Spec],
    options: &EvaluationOptions,
    observer: &dyn Observer,
) -> Report {
    let mut merged = Report {
        evaluated_at: options.at,
        slos: Vec::new(),
        warnings: Vec::new(),
    };
    for spec in specs {
        let report = evaluate_observed(client, spec, options, observer).await;
        merged.slos.extend(report.slos);
        merged.warnings.extend(report.warnings);
    }
    merged
}

/// Told how an evaluation advances, e.g. to show progress. Called on the evaluating thread,
/// so it must return at once.
pub trait Observer: Sync {
    /// Before the first query: the distinct queries each selected SLO needs, in spec order.
    fn planned(&self, queries_per_slo: Vec<BTreeSet<String>>);
    /// A query has its answer (or its error).
    fn answered(&self, query: &str);
}

/// Nobody watching.
pub struct Unobserved;

impl Observer for Unobserved {
    fn planned(&self, _: Vec<BTreeSet<String>>) {}
    fn answered(&self, _: &str) {}
}

/// The queries behind one window of one SLO.
#[derive(Debug, Clone, PartialEq)]
enum Plan {
    Events(EventQueries),
    /// Both event counts from one query, where that is exact.
    SplitEvents(SplitEventQuery),
    ErrorRatio(String),
}

impl Plan {
    fn new(sli: &Sli, window: Window) -> Plan {
        if let Some(split) = promql::split_event_query(sli, window) {
            return Plan::SplitEvents(split);
        }
        match (promql::event_queries(sli, window, RangeFn::Increase), sli) {
            (Some(queries), _) => Plan::Events(queries),
            (None, Sli::Raw(raw)) => Plan::ErrorRatio(raw.query(window)),
            (None, _) => unreachable!("only raw SLIs have no event queries"),
        }
    }
    fn queries(&self) -> Vec<&str> {
        match self {
            Plan::Events(q) => vec![&q.counted_query, &q.total_query],
            Plan::SplitEvents(q) => vec![&q.query],
            Plan::ErrorRatio(q) => vec![q],
        }
    }
}

/// What the queries of one window returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Measured {
    Events {
        queries: EventQueries,
        /// Samples of `queries.counted_query` (of a split query: its counted series, summed
        /// by group).
        counted: Vec<Sample>,
        /// Samples of `queries.total_query` (of a split query: all its series, by group).
        total: Vec<Sample>,
    },
    ErrorRatio {
        query: String,
        samples: Vec<Sample>,
    },
}

/// A query and the instant it runs at (Unix milliseconds): `options.at`, except for calendar
/// SLOs under `--period previous`, which run at their previous period's end.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Asked {
    at_millis: i64,
    query: String,
}

impl Asked {
    fn new(at: f64, query: &str) -> Self {
        Asked {
            at_millis: (at * 1000.0).round() as i64,
            query: query.to_string(),
        }
    }
    fn at(&self) -> f64 {
        self.at_millis as f64 / 1000.0
    }
}

type Answers = HashMap<Asked, Result<Answer, QueryError>>;

/// Evaluates the selected SLOs of `spec` at `options.at`. Every query runs at that instant
/// (see [`Asked`]), concurrently within the client's limit; a query shared by two SLOs runs
/// once. Unless `--source raw`, the recorded series are read first (a constant number of
/// queries), and only the SLOs they do not stand for are measured from the raw series.
pub async fn evaluate(client: &Client, spec: &Spec, options: &EvaluationOptions) -> Report {
    evaluate_observed(client, spec, options, &Unobserved).await
}

/// [`evaluate`], telling `observer` what it plans and each answer as it comes.
pub async fn evaluate_observed(
    client: &Client,
    spec: &Spec,
    options: &EvaluationOptions,
    observer: &dyn Observer,
) -> Report {
    let selected = options.selected(spec);
    let mut recorded = match options.source.source {
        Source::Raw => source::rules::Decided::default(),
        Source::Rules | Source::Auto => source::rules::read(client, spec, &selected, options).await,
    };
    let raw: Vec<&Slo> = selected
        .iter()
        .filter(|slo| !recorded.slos.contains_key(&slo.name))
        .copied()
        .collect();
    let (raw_outcomes, raw_warnings) =
        evaluate_raw(client, &spec.service, &raw, options, observer).await;
    let mut raw_outcomes: HashMap<String, _> = raw_outcomes.into_iter().collect();
    let mut warnings = recorded.warnings;
    warnings.extend(raw_warnings);
    let slos = selected
        .iter()
        .map(|slo| {
            let outcome = match recorded.slos.remove(&slo.name) {
                Some(Ok(recording)) => {
                    assess(&spec.service, slo, &recording.measured, options.warn_below)
                        .map(|rows| recording.label(rows))
                }
                Some(Err(error)) => Err(error),
                None => {
                    let note = recorded.raw_notes.remove(&slo.name);
                    raw_outcomes
                        .remove(&slo.name)
                        .expect("every SLO not read from rules is measured raw")
                        .map(|rows| with_source_note(rows, note))
                }
            };
            SloEvaluation {
                slo: slo.name.clone(),
                outcome,
            }
        })
        .collect();
    let mut report = Report {
        evaluated_at: options.at,
        slos,
        warnings,
    };
    if let Some(request) = options.history {
        crate::history::add_to(&mut report, client, spec, options, request).await;
    }
    report
}

/// The rows with the reason they were read from the raw series, if `--source auto` gave one.
fn with_source_note(rows: Vec<SloStatus>, note: Option<String>) -> Vec<SloStatus> {
    rows.into_iter()
        .map(|row| SloStatus {
            source_note: note.clone(),
            ..row
        })
        .collect()
}

/// The outcome of each of `selected` (calendar periods included) from the raw series, and
/// the warnings Prometheus gave.
async fn evaluate_raw(
    client: &Client,
    service: &str,
    selected: &[&Slo],
    options: &EvaluationOptions,
    observer: &dyn Observer,
) -> (
    Vec<(String, Result<Vec<SloStatus>, EvaluationError>)>,
    Vec<String>,
) {
    let timings: Vec<Result<Timing, String>> = selected
        .iter()
        .map(|slo| Timing::new(slo, options.at, options.period))
        .collect();
    let plans: Vec<BTreeMap<Window, Plan>> = selected
        .iter()
        .zip(&timings)
        .map(|(slo, timing)| match timing {
            Ok(timing) => plan(slo, timing),
            Err(_) => BTreeMap::new(),
        })
        .collect();
    observer.planned(
        plans
            .iter()
            .map(|p| {
                p.values()
                    .flat_map(Plan::queries)
                    .map(str::to_string)
                    .collect()
            })
            .collect(),
    );
    let distinct: BTreeSet<Asked> = timings
        .iter()
        .zip(&plans)
        .filter_map(|(timing, plan)| Some((timing.as_ref().ok()?.at, plan)))
        .flat_map(|(at, p)| {
            p.values()
                .flat_map(Plan::queries)
                .map(move |q| Asked::new(at, q))
        })
        .collect();
    let answers = run_all(client, distinct, options, observer).await;
    let warnings = echoed_notes(selected, &timings, &plans, &answers);
    let outcomes = selected
        .iter()
        .zip(timings)
        .zip(&plans)
        .map(|((slo, timing), plan)| {
            let outcome = timing
                .map_err(|message| evaluation_error(slo, "", QueryErrorKind::Unusable, message))
                .and_then(|timing| {
                    let measured =
                        measurements(slo, timing.at, plan, &answers, options.fail_on_warnings)?;
                    let rows = assess(service, slo, &measured, options.warn_below)?;
                    Ok(with_period(rows, slo, &timing))
                });
            (slo.name.clone(), outcome)
        })
        .collect();
    (outcomes, warnings)
}

/// The queries of one SLO by window: each burn-rate window, and the compliance window
/// (keyed by the SLO's window) over the range `timing` gives it.
fn plan(slo: &Slo, timing: &Timing) -> BTreeMap<Window, Plan> {
    measured_windows(slo.window)
        .into_iter()
        .map(|w| {
            let range = if w == slo.window { timing.range } else { w };
            (w, Plan::new(&slo.sli, range))
        })
        .collect()
}

/// The rows with the calendar period they were measured over, if any.
fn with_period(rows: Vec<SloStatus>, slo: &Slo, timing: &Timing) -> Vec<SloStatus> {
    let (Some(span), Some(calendar)) = (timing.period, &slo.calendar) else {
        return rows;
    };
    rows.into_iter()
        .map(|row| SloStatus {
            period: Some(PeriodStatus::new(
                calendar,
                span,
                timing.at,
                row.budget_remaining,
            )),
            ..row
        })
        .collect()
}

/// Each query's warnings and infos, once per query however many SLOs share it, naming them.
fn echoed_notes(
    selected: &[&Slo],
    timings: &[Result<Timing, String>],
    plans: &[BTreeMap<Window, Plan>],
    answers: &Answers,
) -> Vec<String> {
    let mut users: BTreeMap<Asked, Vec<&str>> = BTreeMap::new();
    for ((slo, timing), plan) in selected.iter().zip(timings).zip(plans) {
        let Ok(timing) = timing else { continue };
        for query in plan.values().flat_map(Plan::queries) {
            let names = users.entry(Asked::new(timing.at, query)).or_default();
            if !names.contains(&slo.name.as_str()) {
                names.push(&slo.name);
            }
        }
    }
    let mut notes = Vec::new();
    for (asked, names) in users {
        let query = &asked.query;
        if let Some(Ok(answer)) = answers.get(&asked) {
            let names = names.join(", ");
            let infos = answer.infos.iter().map(|i| format!("info: {i}"));
            notes.extend(
                answer
                    .warnings
                    .iter()
                    .cloned()
                    .chain(infos)
                    .map(|note| format!("SLO {names}: {note} (query: {query})")),
            );
        }
    }
    notes
}

/// Every query's answer, each at its instant; those unanswered at the deadline fail.
async fn run_all(
    client: &Client,
    queries: BTreeSet<Asked>,
    options: &EvaluationOptions,
    observer: &dyn Observer,
) -> Answers {
    let deadline = options
        .deadline
        .map(|d| (d, tokio::time::Instant::now() + d.duration()));
    let mut tasks = tokio::task::JoinSet::new();
    for asked in queries {
        let client = client.clone();
        tasks.spawn(async move {
            let (query, at) = (&asked.query, asked.at());
            let answer = match deadline {
                None => client.query(query, at).await,
                Some((limit, instant)) => tokio::time::timeout_at(instant, client.query(query, at))
                    .await
                    .unwrap_or_else(|_| {
                        Err(QueryError::new(
                            QueryErrorKind::Timeout,
                            format!("not answered within --deadline {limit}"),
                        ))
                    }),
            };
            (asked, answer)
        });
    }
    let mut answers = HashMap::new();
    while let Some(joined) = tasks.join_next().await {
        // A task that panicked leaves its query without an answer, reported as such below.
        if let Ok((asked, answer)) = joined {
            observer.answered(&asked.query);
            answers.insert(asked, answer);
        }
    }
    answers
}

/// Every query's answer at `options.at`, keyed by query: for the recorded series, whose few
/// queries are not part of the observed plan.
pub(crate) async fn run_at_evaluation_instant(
    client: &Client,
    queries: BTreeSet<String>,
    options: &EvaluationOptions,
) -> HashMap<String, Result<Answer, QueryError>> {
    let asked = queries
        .iter()
        .map(|query| Asked::new(options.at, query))
        .collect();
    run_all(client, asked, options, &Unobserved)
        .await
        .into_iter()
        .map(|(asked, answer)| (asked.query, answer))
        .collect()
}

/// One SLO's answers per window, or the first query of it that failed (or warned, with
/// `fail_on_warnings`).
fn measurements(
    slo: &Slo,
    at: f64,
    plan: &BTreeMap<Window, Plan>,
    answers: &Answers,
    fail_on_warnings: bool,
) -> Result<BTreeMap<Window, Measured>, EvaluationError> {
    let samples = |query: &str| -> Result<Vec<Sample>, EvaluationError> {
        match answers.get(&Asked::new(at, query)) {
            Some(Ok(answer)) if fail_on_warnings && !answer.warnings.is_empty() => {
                Err(evaluation_error(
                    slo,
                    query,
                    QueryErrorKind::Unusable,
                    format!(
                        "Prometheus warned: {} (--fail-on-warnings)",
                        answer.warnings.join("; ")
                    ),
                ))
            }
            Some(Ok(answer)) => Ok(answer.samples.clone()),
            Some(Err(error)) => Err(evaluation_error(
                slo,
                query,
                error.kind.clone(),
                error.message.clone(),
            )),
            // Its task panicked.
            None => Err(evaluation_error(
                slo,
                query,
                QueryErrorKind::Unusable,
                "the query did not run".into(),
            )),
        }
    };
    plan.iter()
        .map(|(window, plan)| {
            let measured = match plan {
                Plan::Events(queries) => Measured::Events {
                    counted: samples(&queries.counted_query)?,
                    total: samples(&queries.total_query)?,
                    queries: queries.clone(),
                },
                Plan::SplitEvents(split) => split_events(slo, split, &samples(&split.query)?)?,
                Plan::ErrorRatio(query) => Measured::ErrorRatio {
                    samples: samples(query)?,
                    query: query.clone(),
                },
            };
            Ok((*window, measured))
        })
        .collect()
}

/// The counted and total samples, one of each per group, in the answer to a split query:
/// the total sums every series of a group, the counted those marked as counted. Each series
/// is checked to be a count before it is summed, where a NaN or negative one would hide. A
/// group without counted series has no counted sample, as the counted query of two would
/// return none for it.
fn split_events(
    slo: &Slo,
    split: &SplitEventQuery,
    samples: &[Sample],
) -> Result<Measured, EvaluationError> {
    let group_by = slo.sli.group_by();
    let series_labels: Vec<String> = group_by
        .iter()
        .cloned()
        .chain(split.marks.iter().map(|m| m.label.clone()))
        .collect();
    let mut counted = BTreeMap::<Labels, f64>::new();
    let mut total = BTreeMap::<Labels, f64>::new();
    for (series, value) in by_group(slo, &split.query, samples, &series_labels)? {
        check_count(slo, &split.query, &series, value)?;
        let group = group_of(&series, group_by);
        if split.is_counted(&series) {
            *counted.entry(group.clone()).or_default() += value;
        }
        *total.entry(group).or_default() += value;
    }
    let samples = |sums: BTreeMap<Labels, f64>| {
        sums.into_iter()
            .map(|(labels, value)| Sample { labels, value })
            .collect()
    };
    Ok(Measured::Events {
        queries: split.event_queries(),
        counted: samples(counted),
        total: samples(total),
    })
}

fn evaluation_error(
    slo: &Slo,
    query: &str,
    kind: QueryErrorKind,
    message: String,
) -> EvaluationError {
    EvaluationError {
        slo: slo.name.clone(),
        query: query.to_string(),
        kind,
        message,
    }
}

/// What one window says about one group.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Observed {
    events: Option<Events>,
    /// Bad events over all events; `None` without events.
    error_ratio: Option<f64>,
}

/// The rows of one SLO from its measurements (each burn-rate window and the compliance
/// window): the arithmetic of the report, free of I/O.
///
/// Groups are those the compliance window's total query returned; without any, a single
/// `no_data` row stands for the SLO.
pub fn assess(
    service: &str,
    slo: &Slo,
    measured: &BTreeMap<Window, Measured>,
    warn_below: f64,
) -> Result<Vec<SloStatus>, EvaluationError> {
    let observed: BTreeMap<Window, BTreeMap<Labels, Observed>> = measured
        .iter()
        .map(|(w, m)| Ok((*w, observe(slo, m)?)))
        .collect::<Result<_, EvaluationError>>()?;
    let empty = BTreeMap::new();
    let compliance = observed.get(&slo.window).unwrap_or(&empty);
    let mut groups: Vec<Labels> = compliance.keys().cloned().collect();
    if groups.is_empty() {
        groups.push(Labels::new());
    }
    let error_budget = slo.objective.error_budget();
    Ok(groups
        .into_iter()
        .map(|group| {
            let in_window = |w: &Window| observed.get(w).and_then(|o| o.get(&group)).copied();
            let here = in_window(&slo.window);
            let error_ratio = here.and_then(|o| o.error_ratio);
            let sli = error_ratio.map(|r| 1.0 - r);
            // From the error ratio, not from `1 - sli`, which adds a rounding error.
            let budget_remaining = error_ratio.map(|r| 1.0 - r / error_budget);
            let burn_rates = observed
                .keys()
                .map(|w| {
                    let rate = in_window(w)
                        .and_then(|o| o.error_ratio)
                        .map(|r| r / error_budget);
                    (*w, rate)
                })
                .collect();
            SloStatus {
                service: service.to_string(),
                slo: slo.name.clone(),
                labels: group,
                objective: slo.objective.ratio(),
                window: slo.window,
                sli,
                error_budget,
                budget_remaining,
                events: here.and_then(|o| o.events),
                burn_rates,
                status: status(budget_remaining, warn_below),
                period: None,
                history: None,
                source: DataSource::Raw,
                coverage: None,
                source_note: None,
            }
        })
        .collect())
}

/// Judged on the remaining budget as every output shows it (tidied), so that a budget shown
/// as exactly 25% is not `at_risk` below 25% for a rounding error.
fn status(budget_remaining: Option<f64>, warn_below: f64) -> Status {
    match budget_remaining.map(crate::model::tidy) {
        None => Status::NoData,
        Some(r) if r <= 0.0 => Status::Exhausted,
        Some(r) if r < warn_below => Status::AtRisk,
        Some(_) => Status::Ok,
    }
}

/// Events (or the error ratio) per group in one window.
fn observe(slo: &Slo, measured: &Measured) -> Result<BTreeMap<Labels, Observed>, EvaluationError> {
    let group_by = slo.sli.group_by();
    match measured {
        Measured::ErrorRatio { query, samples } => {
            if group_by.is_empty() && samples.len() > 1 {
                return Err(evaluation_error(
                    slo,
                    query,
                    QueryErrorKind::Unusable,
                    format!(
                        "the error-ratio query returned {} series ({}, …), expected one: \
                         aggregate it, e.g. with sum(...) / sum(...)",
                        samples.len(),
                        series_text(&samples[0].labels)
                    ),
                ));
            }
            // One ratio per group: a raw SLI has none; recorded ratios do, by group_by.
            by_group(slo, query, samples, group_by)?
                .into_iter()
                // 0/0: no traffic in the window. No data, which is never a pass.
                .filter(|(_, ratio)| !ratio.is_nan())
                .map(|(group, ratio)| {
                    if !(-ROUNDING..=1.0 + ROUNDING).contains(&ratio) {
                        return Err(evaluation_error(
                            slo,
                            query,
                            QueryErrorKind::Unusable,
                            format!(
                                "the error-ratio query returned {} for {}; an error ratio is \
                                 between 0 and 1",
                                promql::number(ratio),
                                series_text(&group)
                            ),
                        ));
                    }
                    let observed = Observed {
                        events: None,
                        error_ratio: Some(ratio.clamp(0.0, 1.0)),
                    };
                    Ok((group, observed))
                })
                .collect()
        }
        Measured::Events {
            queries,
            counted,
            total,
        } => {
            let counted_by_group = by_group(slo, &queries.counted_query, counted, group_by)?;
            let total_by_group = by_group(slo, &queries.total_query, total, group_by)?;
            for (group, &count) in &counted_by_group {
                check_count(slo, &queries.counted_query, group, count)?;
                if count > 0.0 && !total_by_group.contains_key(group) {
                    return Err(more_than_total(slo, queries, group, count, 0.0));
                }
            }
            total_by_group
                .into_iter()
                .map(|(group, total)| {
                    check_count(slo, &queries.total_query, &group, total)?;
                    let counted = match counted_by_group.get(&group) {
                        Some(c) => *c,
                        None => missing_counted(slo, queries, &group, total)?,
                    };
                    if counted > total * (1.0 + ROUNDING) {
                        return Err(more_than_total(slo, queries, &group, counted, total));
                    }
                    let counted = counted.min(total);
                    let bad = match queries.counted {
                        Counted::Bad => counted,
                        Counted::Good => total - counted,
                    };
                    let events = Events {
                        good: total - bad,
                        bad,
                        total,
                    };
                    let error_ratio = (total > 0.0).then(|| bad / total);
                    Ok((
                        group,
                        Observed {
                            events: Some(events),
                            error_ratio,
                        },
                    ))
                })
                .collect()
        }
    }
}

/// Relative slack for floating-point rounding when a sum is compared with another (counted
/// against total) or a ratio with its bounds. Anything beyond it is an error, not clamped:
/// a good count above the total would otherwise read as zero errors.
const ROUNDING: f64 = 1e-9;

/// An error unless `count`, of `group` in the answer to `query`, is a count of events: NaN
/// (what increase() gives when the newest counter sample is NaN) and negative counts are.
fn check_count(slo: &Slo, query: &str, group: &Labels, count: f64) -> Result<(), EvaluationError> {
    let why = if count.is_nan() {
        "an unknown count (a NaN counter sample in the window?)"
    } else if count < 0.0 {
        "a negative count"
    } else {
        return Ok(());
    };
    Err(evaluation_error(
        slo,
        query,
        QueryErrorKind::Unusable,
        format!(
            "the query returned {} for the series {}: {why}, which no SLI can be computed from",
            promql::number(count),
            series_text(group)
        ),
    ))
}

/// The error for a group whose counted (bad or good) events outnumber its total.
fn more_than_total(
    slo: &Slo,
    queries: &EventQueries,
    group: &Labels,
    counted: f64,
    total: f64,
) -> EvaluationError {
    let what = match queries.counted {
        Counted::Bad => "bad",
        Counted::Good => "good",
    };
    evaluation_error(
        slo,
        &queries.counted_query,
        QueryErrorKind::Unusable,
        format!(
            "{} {what} events for the series {} but {} in total (query: {}): the two queries \
             do not count the same events",
            promql::number(counted),
            series_text(group),
            promql::number(total),
            queries.total_query
        ),
    )
}

/// The bad (or good) count of a group whose counted query returned nothing. Services create
/// an error series at the first error, so for ratio SLIs that means zero events. For a
/// latency SLI the bucket series exist whenever `_count` does, so a missing bucket means the
/// threshold is not a bucket boundary: an error, not zero good events.
fn missing_counted(
    slo: &Slo,
    queries: &EventQueries,
    group: &Labels,
    total: f64,
) -> Result<f64, EvaluationError> {
    match &slo.sli {
        Sli::Latency(latency) if total > 0.0 => {
            let of_group = if group.is_empty() {
                String::new()
            } else {
                format!(" for {}", series_text(group))
            };
            Err(evaluation_error(
                slo,
                &queries.counted_query,
                QueryErrorKind::Unusable,
                format!(
                    "histogram {} has no bucket with le=\"{}\"{of_group} although {}_count \
                     counted {} events: the threshold must be one of the histogram's bucket \
                     boundaries",
                    latency.histogram,
                    promql::number(latency.threshold),
                    latency.histogram,
                    promql::number(total)
                ),
            ))
        }
        _ => Ok(0.0),
    }
}

/// Sample values keyed by their group_by label values.
fn by_group(
    slo: &Slo,
    query: &str,
    samples: &[Sample],
    group_by: &[String],
) -> Result<BTreeMap<Labels, f64>, EvaluationError> {
    let mut values = BTreeMap::new();
    for sample in samples {
        let group = group_of(&sample.labels, group_by);
        if values.insert(group.clone(), sample.value).is_some() {
            return Err(evaluation_error(
                slo,
                query,
                QueryErrorKind::Unusable,
                format!(
                    "the query returned several series for the group {} where one was expected",
                    series_text(&group)
                ),
            ));
        }
    }
    Ok(values)
}

/// The `group_by` labels of a series.
fn group_of(labels: &Labels, group_by: &[String]) -> Labels {
    labels
        .iter()
        .filter(|(k, _)| group_by.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slo(sli_yaml: &str) -> Slo {
        let text = format!(
            "version: 1\nservice: api\nslos:\n  - name: s\n    objective: 99\n    window: 30d\n    sli:\n{sli_yaml}"
        );
        let spec = crate::spec::parse(&text, "test.yaml").unwrap();
        spec.slos.into_iter().next().unwrap()
    }

    fn errors_slo(group_by: &str) -> Slo {
        slo(&format!(
            "      ratio:\n        errors: r{{code=\"5xx\"}}\n        total: r\n{group_by}"
        ))
    }

    fn samples(values: &[(&str, f64)]) -> Vec<Sample> {
        values
            .iter()
            .map(|(handler, value)| Sample {
                labels: if handler.is_empty() {
                    Labels::new()
                } else {
                    Labels::from([("handler".to_string(), handler.to_string())])
                },
                value: *value,
            })
            .collect()
    }

    /// The same counted and total samples in every window of `slo`, as the two event
    /// queries (or the raw query) would return them.
    fn measured(
        slo: &Slo,
        counted: &[(&str, f64)],
        total: &[(&str, f64)],
    ) -> BTreeMap<Window, Measured> {
        measured_windows(slo.window)
            .into_iter()
            .map(|w| {
                let m = match (
                    promql::event_queries(&slo.sli, w, RangeFn::Increase),
                    &slo.sli,
                ) {
                    (Some(queries), _) => Measured::Events {
                        queries,
                        counted: samples(counted),
                        total: samples(total),
                    },
                    (None, Sli::Raw(raw)) => Measured::ErrorRatio {
                        query: raw.query(w),
                        samples: samples(counted),
                    },
                    (None, _) => unreachable!("only raw SLIs have no event queries"),
                };
                (w, m)
            })
            .collect()
    }

    /// The rows of `slo` when each window's split query returns `series`, each the labels
    /// (`handler` and marks, as `key=value` pairs) and the value of one series.
    fn assess_split(
        slo: &Slo,
        series: &[(&[(&str, &str)], f64)],
    ) -> Result<Vec<SloStatus>, EvaluationError> {
        let answer: Vec<Sample> = series
            .iter()
            .map(|(labels, value)| Sample {
                labels: labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                value: *value,
            })
            .collect();
        let measured = measured_windows(slo.window)
            .into_iter()
            .map(|w| {
                let Plan::SplitEvents(split) = Plan::new(&slo.sli, w) else {
                    panic!("{:?} does not split", slo.sli)
                };
                Ok((w, split_events(slo, &split, &answer)?))
            })
            .collect::<Result<_, EvaluationError>>()?;
        assess("api", slo, &measured, 0.25)
    }

    const MARK: (&str, &str) = ("__slo_match_0", "1");

    #[test]
    fn a_split_answer_gives_each_group_its_counted_and_total_events() {
        let slo = errors_slo("        group_by: [handler]\n");
        let rows = assess_split(
            &slo,
            &[
                (&[("handler", "/a"), MARK], 5.0),
                (&[("handler", "/a")], 95.0),
                // No errors at all: zero bad events, as a missing error series is.
                (&[("handler", "/b")], 100.0),
            ],
        )
        .unwrap();
        let events: Vec<(String, Events)> = rows
            .iter()
            .map(|r| (r.labels["handler"].clone(), r.events.unwrap()))
            .collect();
        assert_eq!(
            events,
            [
                (
                    "/a".into(),
                    Events {
                        good: 95.0,
                        bad: 5.0,
                        total: 100.0
                    }
                ),
                (
                    "/b".into(),
                    Events {
                        good: 100.0,
                        bad: 0.0,
                        total: 100.0
                    }
                ),
            ]
        );
        assert_eq!(rows[0].burn_rates[&Window::from_secs(3600)], Some(5.0));
    }

    #[test]
    fn a_split_answer_counts_the_unmarked_series_of_a_negative_matcher() {
        let not_ok = slo("      ratio:\n        errors: r{code!=\"200\"}\n        total: r\n");
        let rows = assess_split(&not_ok, &[(&[MARK], 990.0), (&[], 10.0)]).unwrap();
        assert_eq!(
            rows[0].events,
            Some(Events {
                good: 990.0,
                bad: 10.0,
                total: 1000.0
            })
        );
        let good = slo("      ratio:\n        good: r{code=\"200\"}\n        total: r\n");
        let rows = assess_split(&good, &[(&[MARK], 990.0), (&[], 10.0)]).unwrap();
        assert_eq!(rows[0].events.unwrap().bad, 10.0);
    }

    #[test]
    fn a_nan_or_negative_series_of_a_split_answer_is_an_error_even_where_a_sum_would_hide_it() {
        // Counted: code 5xx on /api; the negative series (5xx elsewhere) is not counted, and
        // the total of the group would still look like a count.
        let slo =
            slo("      ratio:\n        errors: r{code=\"5xx\",path=\"/api\"}\n        total: r\n");
        for bad_value in [-5.0, f64::NAN] {
            let err = assess_split(
                &slo,
                &[
                    (&[MARK, ("__slo_match_1", "1")], 1.0),
                    (&[MARK], bad_value),
                    (&[], 100.0),
                ],
            )
            .unwrap_err();
            assert!(
                err.query
                    .starts_with("sum by (__slo_match_0, __slo_match_1) (label_replace("),
                "{err}"
            );
            assert!(
                err.message.contains("for the series {__slo_match_0=\"1\"}"),
                "{err}"
            );
        }
        // The same series twice is not summed either.
        let err = assess_split(&slo, &[(&[MARK], 1.0), (&[MARK], 1.0)]).unwrap_err();
        assert!(err.message.contains("several series"), "{err}");
    }

    fn assess_one(slo: &Slo, counted: &[(&str, f64)], total: &[(&str, f64)]) -> SloStatus {
        let rows = assess("api", slo, &measured(slo, counted, total), 0.25).unwrap();
        assert_eq!(rows.len(), 1);
        rows.into_iter().next().unwrap()
    }

    #[test]
    fn computes_sli_budget_and_burn_rates_from_events() {
        let row = assess_one(&errors_slo(""), &[("", 5.0)], &[("", 1000.0)]);
        assert_eq!(
            row.events,
            Some(Events {
                good: 995.0,
                bad: 5.0,
                total: 1000.0
            })
        );
        assert_eq!(row.sli, Some(0.995));
        assert_eq!(row.error_budget, 0.01);
        assert_eq!(row.budget_remaining, Some(0.5));
        assert_eq!(row.burn_rates.len(), 6);
        assert!(
            row.burn_rates
                .values()
                .all(|b| (b.unwrap() - 0.5).abs() < 1e-12)
        );
        assert_eq!(row.status, Status::Ok);
    }

    #[test]
    fn a_budget_exactly_at_the_warning_threshold_is_ok() {
        // 5 of 1000 against a 1% budget: half of it left. Computed as 1 - (1 - sli) / budget,
        // that was 0.49999999999999956, shown as 50% yet `at_risk` below 50%.
        for (bad, total, warn_below) in [(5.0, 1000.0, 0.5), (3.6, 400.0, 0.1)] {
            let slo = errors_slo("");
            let rows = assess(
                "api",
                &slo,
                &measured(&slo, &[("", bad)], &[("", total)]),
                warn_below,
            )
            .unwrap();
            assert_eq!(rows[0].status, Status::Ok, "{bad}/{total}: {:?}", rows[0]);
        }
    }

    #[test]
    fn a_missing_error_series_means_zero_errors() {
        let row = assess_one(&errors_slo(""), &[], &[("", 1000.0)]);
        assert_eq!(row.sli, Some(1.0));
        assert_eq!(row.budget_remaining, Some(1.0));
        assert_eq!(row.status, Status::Ok);
    }

    fn assess_err(slo: &Slo, counted: &[(&str, f64)], total: &[(&str, f64)]) -> EvaluationError {
        assess("api", slo, &measured(slo, counted, total), 0.25).unwrap_err()
    }

    #[test]
    fn more_counted_than_total_is_an_error_never_clamped_into_a_pass() {
        let err = assess_err(&errors_slo(""), &[("", 1000.4)], &[("", 1000.0)]);
        assert!(
            err.message
                .starts_with("1000.4 bad events for the series {} but 1000 in total"),
            "{err}"
        );
        assert!(err.query.contains("code=\"5xx\""), "{err}");
        // Good above total would have read as zero errors.
        let good = slo("      ratio:\n        good: r{code=\"2xx\"}\n        total: r\n");
        let err = assess_err(&good, &[("", 1000.4)], &[("", 1000.0)]);
        assert!(err.message.contains("good events"), "{err}");
        // Rounding in the sums is not an error.
        let row = assess_one(&good, &[("", 1000.0 + 1e-10)], &[("", 1000.0)]);
        assert_eq!(row.events.unwrap().bad, 0.0);
    }

    #[test]
    fn nan_or_negative_counts_are_errors_naming_the_query_and_series() {
        let slo = errors_slo("        group_by: [handler]\n");
        for (counted, total, query) in [
            (f64::NAN, 1000.0, "code=\"5xx\""),
            (-1.0, 1000.0, "code=\"5xx\""),
            (5.0, f64::NAN, "sum by (handler) (increase(r["),
            (0.0, -3.0, "sum by (handler) (increase(r["),
        ] {
            let err = assess_err(&slo, &[("/a", counted)], &[("/a", total)]);
            assert!(
                err.message.contains("for the series {handler=\"/a\"}"),
                "{counted}/{total}: {err}"
            );
            assert!(err.query.contains(query), "{counted}/{total}: {err}");
        }
        // A NaN total does not make its group vanish while the others pass.
        let err = assess_err(
            &slo,
            &[("/a", 1.0), ("/b", 1.0)],
            &[("/a", 100.0), ("/b", f64::NAN)],
        );
        assert!(err.message.contains("NaN"), "{err}");
    }

    #[test]
    fn status_follows_the_remaining_budget() {
        assert_eq!(status(None, 0.25), Status::NoData);
        assert_eq!(status(Some(0.0), 0.25), Status::Exhausted);
        assert_eq!(status(Some(-0.5), 0.25), Status::Exhausted);
        assert_eq!(status(Some(0.2), 0.25), Status::AtRisk);
        assert_eq!(status(Some(0.25), 0.25), Status::Ok);
    }

    #[test]
    fn no_events_is_no_data_without_nan() {
        let row = assess_one(&errors_slo(""), &[("", 0.0)], &[("", 0.0)]);
        assert_eq!(
            (row.sli, row.budget_remaining, row.status),
            (None, None, Status::NoData)
        );
        assert!(row.burn_rates.values().all(Option::is_none));
        let row = assess_one(&errors_slo(""), &[], &[]);
        assert_eq!((row.events, row.status), (None, Status::NoData));
    }

    #[test]
    fn groups_match_bad_and_total_by_label_values() {
        let slo = errors_slo("        group_by: [handler]\n");
        let rows = assess(
            "api",
            &slo,
            &measured(
                &slo,
                &[("/b", 30.0), ("/gone", 0.0)],
                &[("/a", 100.0), ("/b", 1000.0)],
            ),
            0.25,
        )
        .unwrap();
        let by_handler: BTreeMap<&str, &SloStatus> = rows
            .iter()
            .map(|r| (r.labels["handler"].as_str(), r))
            .collect();
        assert_eq!(by_handler.keys().copied().collect::<Vec<_>>(), ["/a", "/b"]);
        assert_eq!(by_handler["/a"].sli, Some(1.0));
        assert_eq!(by_handler["/b"].sli, Some(0.97));
        assert_eq!(by_handler["/b"].status, Status::Exhausted);
        // Errors of a group without a total are errors outnumbering it, not dropped.
        let err = assess_err(&slo, &[("/gone", 7.0)], &[("/a", 100.0)]);
        assert!(err.message.starts_with("7 bad events"), "{err}");
    }

    #[test]
    fn a_threshold_off_the_bucket_boundaries_is_an_error() {
        let latency = slo(
            "      latency:\n        histogram: h\n        selector: '{job=\"a\"}'\n        threshold: 0.25\n",
        );
        let err = assess(
            "api",
            &latency,
            &measured(&latency, &[], &[("", 10.0)]),
            0.25,
        )
        .unwrap_err();
        assert!(
            err.message
                .contains("histogram h has no bucket with le=\"0.25\""),
            "{err}"
        );
        assert!(err.query.contains("h_bucket"), "{err}");
        // Without events there is nothing to be wrong about.
        let row = assess_one(&latency, &[], &[("", 0.0)]);
        assert_eq!(row.status, Status::NoData);
    }

    #[test]
    fn raw_slis_have_a_ratio_but_no_events() {
        let raw = slo(
            "      raw:\n        error_ratio: sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))\n",
        );
        let row = assess_one(&raw, &[("", 0.002)], &[]);
        assert_eq!(row.events, None);
        assert_eq!(row.sli, Some(0.998));
        assert_eq!(assess_one(&raw, &[], &[]).status, Status::NoData);
        // 0/0: no traffic, so no data (never a pass).
        assert_eq!(
            assess_one(&raw, &[("", f64::NAN)], &[]).status,
            Status::NoData
        );
        for outside in [-0.1, 1.5] {
            let err = assess_err(&raw, &[("", outside)], &[]);
            assert!(
                err.message.contains("an error ratio is between 0 and 1"),
                "{err}"
            );
        }
        let err = assess(
            "api",
            &raw,
            &measured(&raw, &[("/a", 0.1), ("/b", 0.2)], &[]),
            0.25,
        )
        .unwrap_err();
        assert!(err.message.contains("returned 2 series"), "{err}");
    }
}
