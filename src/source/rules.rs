//! The series `slo generate-rules` records, read for every selected SLO at once: the info
//! series first (which label style, which objective), then one query per recorded metric and
//! per distinct compliance window, each selecting every SLO of the service and matched back
//! by its labels; then, only if some SLO's history does not reach back to its window's start,
//! one count over the window of those SLOs. Which SLOs the answers stand for is decided from
//! the data itself ([`judge`]), and then by `--source` ([`decide`]).
//!
//! Over the compliance window, events are estimated from the recorded 5m rates: their sum
//! over the window, which the window-long group records every [`LONG_WINDOW_INTERVAL`], times
//! the evaluation interval of the rates, which is taken from how many samples the last day
//! (or hour) holds. The ratio of the two sums needs no interval: it weighs every instant by
//! its traffic, as the raw `increase()` ratio does. The burn-rate windows read the recorded
//! error ratios, which are that ratio over each window.
//!
//! So nothing scans the window when the history covers it: every query reads the newest
//! samples, but for the counts of the last day and of the oldest hundredth of the window.
//! The numbers are as of the window-long group's last evaluation, at most an interval before
//! the report's instant.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::interface::report::{DataSource, QueryErrorKind};
use crate::model::{BURN_RATE_WINDOWS, Labels, Sli, Slo, Spec, Window};
use crate::prometheus::{Answer, Client, QueryError, Sample};
use crate::promql::{self, Counted, EventQueries, LabelStyle};
use crate::report::{
    EvaluationError, EvaluationOptions, Measured, SloStatus, run_at_evaluation_instant,
};
use crate::rules::LONG_WINDOW_INTERVAL;

use super::{COVERED, STALE_INTERVALS, Source};

const DAY: Window = Window::from_secs(86_400);
const HOUR: Window = Window::from_secs(3_600);

/// What the recorded series measure of one SLO.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The compliance window as estimated events, the burn-rate windows as error ratios.
    pub measured: BTreeMap<Window, Measured>,
    /// Fraction of the compliance window the recorded history spans, at most 1.
    pub coverage: f64,
}

impl Recording {
    /// `rows` marked as computed from the recorded series.
    pub fn label(&self, rows: Vec<SloStatus>) -> Vec<SloStatus> {
        rows.into_iter()
            .map(|row| SloStatus {
                source: DataSource::Rules,
                coverage: Some(self.coverage),
                ..row
            })
            .collect()
    }
}

/// The SLOs the recorded series decide: read from them, or failed (`--source rules`). SLOs
/// absent here are measured from the raw series.
#[derive(Debug, Default)]
pub struct Decided {
    pub slos: HashMap<String, Result<Recording, EvaluationError>>,
    /// Why `--source auto` measures an SLO from the raw series, by SLO name.
    pub raw_notes: HashMap<String, String>,
    pub warnings: Vec<String>,
}

impl Decided {
    /// `slo` measured from the raw series under `--source auto`, or failed under `rules`
    /// (with `hint`), because of `why`; `query` is the one whose answer shows it, if any.
    fn uncovered(
        &mut self,
        options: &EvaluationOptions,
        slo: &Slo,
        why: String,
        hint: &str,
        query: String,
    ) {
        match options.source.source {
            Source::Rules => {
                let error = EvaluationError {
                    slo: slo.name.clone(),
                    query,
                    kind: QueryErrorKind::NotRecorded,
                    message: format!("--source rules: {why}; {hint}"),
                };
                self.slos.insert(slo.name.clone(), Err(error));
            }
            Source::Auto | Source::Raw => {
                self.raw_notes.insert(slo.name.clone(), why);
            }
        }
    }
}

/// Why the recorded series cannot stand for the raw series of one SLO.
#[derive(Debug, Clone, PartialEq)]
pub enum Gap {
    /// The series of this SLO (or one of its windows) are not recorded.
    Missing(String),
    /// The newest recorded sample is this many seconds old (`None`: older than Prometheus'
    /// lookback, so not even returned).
    Stale { age: Option<f64> },
    /// The recorded history spans only this fraction of the window.
    Young(Recording),
    /// The rules were generated from another version of the SLO.
    Drift(String),
}

/// A [`Gap`] and the query whose answer shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncovered {
    pub gap: Gap,
    pub query: String,
}

impl Gap {
    fn shown_by(self, query: &str) -> Uncovered {
        Uncovered {
            gap: self,
            query: query.to_string(),
        }
    }
}

/// Why no SLO of the service can be read from the recorded series.
#[derive(Debug, Clone, PartialEq)]
enum ServiceGap {
    /// The service has no recorded series at all: rules were never deployed for it.
    NoRules,
    /// A query over the recorded series failed.
    Unreadable(EvaluationError),
}

impl Gap {
    fn describe(&self, slo: &Slo) -> String {
        match self {
            Gap::Missing(what) => what.clone(),
            Gap::Stale { age } => format!(
                "the newest recorded sample is {}: the rules no longer run",
                age.map_or("older than Prometheus' lookback".into(), |age| {
                    format!("{} old", Window::from_secs(age.max(0.0) as u64))
                })
            ),
            Gap::Young(recording) => format!(
                "the recorded history covers {:.1}% of the {} window",
                recording.coverage * 100.0,
                slo.window
            ),
            Gap::Drift(what) => what.clone(),
        }
    }
}

/// What `--source` makes of the judgement of one SLO: read from the recorded series, failed
/// (`rules`) or left to the raw series with a warning (`auto`).
fn decide(
    options: &EvaluationOptions,
    slo: &Slo,
    judged: Result<Recording, Uncovered>,
    decided: &mut Decided,
) {
    let Uncovered { gap, query } = match judged {
        Ok(recording) => {
            decided.slos.insert(slo.name.clone(), Ok(recording));
            return;
        }
        Err(Uncovered {
            gap: Gap::Young(recording),
            ..
        }) if options.source.allow_partial_coverage && options.source.source == Source::Rules => {
            decided.slos.insert(slo.name.clone(), Ok(recording));
            return;
        }
        Err(uncovered) => uncovered,
    };
    let why = gap.describe(slo);
    let hint = match gap {
        Gap::Young(_) => "--allow-partial-coverage reports from what is recorded",
        _ => READ_RAW,
    };
    if options.source.source != Source::Rules {
        decided
            .warnings
            .push(format!("SLO {}: {why}; read from the raw series", slo.name));
    }
    decided.uncovered(options, slo, why, hint, query);
}

/// How to get numbers for an SLO the recorded series do not stand for.
const READ_RAW: &str = "--source auto or raw reads the raw series";

/// Reads the recorded series of every selected SLO with events (a raw SLI has no recorded
/// events and is always measured raw) and decides, per SLO, what `--source` makes of them.
pub async fn read(
    client: &Client,
    spec: &Spec,
    selected: &[&Slo],
    options: &EvaluationOptions,
) -> Decided {
    let mut decided = Decided::default();
    // Recorded ratios are over rolling windows: a calendar period-to-date is not among them.
    for slo in selected.iter() {
        let Some(calendar) = &slo.calendar else {
            continue;
        };
        let why = format!(
            "a calendar window ({}) is not recorded: the recorded series are over rolling \
             windows",
            calendar.period.name()
        );
        decided.uncovered(options, slo, why, READ_RAW, String::new());
    }
    let evented: Vec<&Slo> = selected
        .iter()
        .filter(|slo| !matches!(slo.sli, Sli::Raw(_)) && slo.calendar.is_none())
        .copied()
        .collect();
    if evented.is_empty() {
        return decided;
    }
    match judge_all(
        client,
        spec,
        selected,
        &evented,
        options,
        &mut decided.warnings,
    )
    .await
    {
        Ok(judged) => {
            for (slo, judged) in evented.iter().zip(judged) {
                decide(options, slo, judged, &mut decided);
            }
        }
        // Without recorded series, `auto` is the raw path (with a warning only when a query
        // failed); `rules` fails every SLO.
        Err(ServiceGap::NoRules) => {
            let why = format!(
                "no recorded series of service {}; deploy `slo generate-rules`",
                spec.service
            );
            let query = promql::recorded_info_query(options.source.label_style, &spec.service);
            for slo in &evented {
                decided.uncovered(options, slo, why.clone(), READ_RAW, query.clone());
            }
        }
        Err(ServiceGap::Unreadable(error)) => {
            let why = format!("the recorded series could not be read ({})", error.message);
            if options.source.source == Source::Rules {
                for slo in &evented {
                    let failed = EvaluationError {
                        slo: slo.name.clone(),
                        ..error.clone()
                    };
                    decided.slos.insert(slo.name.clone(), Err(failed));
                }
            } else {
                decided.warnings.push(format!(
                    "{why} (query: {}): every SLO is read from the raw series",
                    error.query
                ));
                for slo in &evented {
                    decided.uncovered(options, slo, why.clone(), READ_RAW, error.query.clone());
                }
            }
        }
    }
    decided
}

/// The judgement of each of `evented`, in order.
async fn judge_all(
    client: &Client,
    spec: &Spec,
    selected: &[&Slo],
    evented: &[&Slo],
    options: &EvaluationOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<Result<Recording, Uncovered>>, ServiceGap> {
    let info_query = promql::recorded_info_query(options.source.label_style, &spec.service);
    let info = answer(client, &info_query, options, warnings)
        .await
        .map_err(ServiceGap::Unreadable)?;
    let style = options
        .source
        .label_style
        .or_else(|| detected_style(&info))
        .ok_or(ServiceGap::NoRules)?;
    if info.is_empty() {
        return Err(ServiceGap::NoRules);
    }
    // Selecting the whole service keeps the query short however many SLOs it has.
    let names: Vec<&str> = selected.iter().map(|s| s.name.as_str()).collect();
    let all_selected = selected.len() == spec.slos.len();
    let selector =
        promql::recorded_selector(style, &spec.service, (!all_selected).then_some(&names[..]));
    let queries = Queries::new(&info_query, &selector, evented);
    let mut split = read_split(client, style, queries.all(), options, warnings).await?;
    // Only the SLOs whose history does not reach back to the window's start need their
    // samples counted over the whole window: a scan as long as the history, so short.
    let young: Vec<&Slo> = evented
        .iter()
        .filter(|slo| {
            let oldest = &queries.windows[&slo.window].oldest;
            !split[oldest].contains_key(&slo.name)
        })
        .copied()
        .collect();
    let counts: BTreeMap<Window, String> = young
        .iter()
        .map(|slo| {
            let names: Vec<&str> = young
                .iter()
                .filter(|s| s.window == slo.window)
                .map(|s| s.name.as_str())
                .collect();
            let selector = promql::recorded_selector(style, &spec.service, Some(&names));
            let count = promql::recorded_over_time_query(
                "count_over_time",
                promql::TOTAL_EVENTS_RATE_RECORD,
                &selector,
                slo.window,
            );
            (slo.window, count)
        })
        .collect();
    split.extend(
        read_split(
            client,
            style,
            counts.values().cloned().collect(),
            options,
            warnings,
        )
        .await?,
    );
    split.insert(info_query, split_by_slo(style, info));
    let mut judged = Vec::with_capacity(evented.len());
    for slo in evented {
        // Each SLO's samples of each query are read once: taken, not cloned.
        let mut of = |query: &str| {
            split
                .get_mut(query)
                .and_then(|by_slo| by_slo.remove(&slo.name))
                .unwrap_or_default()
        };
        let window = &queries.windows[&slo.window];
        let read = Read {
            info: of(&queries.info),
            last: of(&queries.last),
            per_day: of(&queries.per_day),
            per_hour: of(&queries.per_hour),
            ratios: of(&queries.ratios),
            bad: of(&window.bad),
            total: of(&window.total),
            sums_last: of(&window.sums_last),
            oldest: of(&window.oldest),
            count: counts.get(&slo.window).map(|q| of(q)).unwrap_or_default(),
        };
        judged.push(judge(style, slo, options.at, &read, &queries));
    }
    Ok(judged)
}

/// The answers to `queries`, each split by SLO once, so that matching stays linear in the
/// number of SLOs.
async fn read_split(
    client: &Client,
    style: LabelStyle,
    queries: BTreeSet<String>,
    options: &EvaluationOptions,
    warnings: &mut Vec<String>,
) -> Result<HashMap<String, HashMap<String, Vec<Sample>>>, ServiceGap> {
    let mut answers = run_at_evaluation_instant(client, queries.clone(), options).await;
    let mut split = HashMap::new();
    for query in queries {
        let samples =
            usable(&mut answers, &query, options, warnings).map_err(ServiceGap::Unreadable)?;
        split.insert(query, split_by_slo(style, samples));
    }
    Ok(split)
}

/// The queries of one report from rules: a constant number, whatever the number of SLOs.
struct Queries {
    /// The info series (run first, to find the label style).
    info: String,
    /// When each SLO's total-rate series was last recorded.
    last: String,
    /// How many total-rate samples the last day holds (the evaluation interval).
    per_day: String,
    /// How many the last hour holds (the interval of a history younger than a day).
    per_hour: String,
    /// The recorded error ratios over every burn-rate window.
    ratios: String,
    /// Per distinct compliance window.
    windows: BTreeMap<Window, WindowQueries>,
}

struct WindowQueries {
    /// The recorded sums of the bad and total 5m rates over the window.
    bad: String,
    total: String,
    /// When each SLO's total sum was last recorded: the window-long group runs on its own.
    sums_last: String,
    /// How many samples the oldest hundredth of the window holds: none when the history is
    /// younger than [`COVERED`] of the window. Scans a hundredth of what counting the
    /// whole window would.
    oldest: String,
}

impl Queries {
    fn new(info: &str, selector: &str, slos: &[&Slo]) -> Queries {
        let over = |function, record, window| {
            promql::recorded_over_time_query(function, record, selector, window)
        };
        let windows: BTreeSet<Window> = slos.iter().map(|s| s.window).collect();
        Queries {
            info: info.to_string(),
            last: promql::recorded_last_sample_query(promql::TOTAL_EVENTS_RATE_RECORD, selector),
            per_day: over("count_over_time", promql::TOTAL_EVENTS_RATE_RECORD, DAY),
            per_hour: over("count_over_time", promql::TOTAL_EVENTS_RATE_RECORD, HOUR),
            ratios: promql::recorded_ratios_query(selector, &BURN_RATE_WINDOWS),
            windows: windows
                .into_iter()
                .map(|w| {
                    let queries = WindowQueries {
                        bad: format!("{}{selector}", promql::bad_events_sum_record(w)),
                        total: format!("{}{selector}", promql::total_events_sum_record(w)),
                        sums_last: promql::recorded_last_sample_query(
                            &promql::total_events_sum_record(w),
                            selector,
                        ),
                        oldest: promql::recorded_oldest_count_query(
                            promql::TOTAL_EVENTS_RATE_RECORD,
                            selector,
                            w,
                            oldest_slice(w),
                        ),
                    };
                    (w, queries)
                })
                .collect(),
        }
    }

    /// Every query but the info series'.
    fn all(&self) -> BTreeSet<String> {
        [&self.last, &self.per_day, &self.per_hour, &self.ratios]
            .into_iter()
            .cloned()
            .chain(
                self.windows
                    .values()
                    .flat_map(|w| [&w.bad, &w.total, &w.sums_last, &w.oldest].map(String::clone)),
            )
            .collect()
    }
}

/// One SLO's samples of every query.
struct Read {
    info: Vec<Sample>,
    last: Vec<Sample>,
    per_day: Vec<Sample>,
    per_hour: Vec<Sample>,
    ratios: Vec<Sample>,
    bad: Vec<Sample>,
    total: Vec<Sample>,
    sums_last: Vec<Sample>,
    oldest: Vec<Sample>,
    /// Samples over the whole window; only read when `oldest` has none.
    count: Vec<Sample>,
}

/// Whether the recorded series of `slo` stand for its raw series at `at`, and what they
/// measure: pure, from the answers alone.
fn judge(
    style: LabelStyle,
    slo: &Slo,
    at: f64,
    read: &Read,
    queries: &Queries,
) -> Result<Recording, Uncovered> {
    let newest = |samples: &[Sample]| samples.iter().map(|s| s.value).fold(None, max);
    let Some(per_day) = newest(&read.per_day) else {
        return Err(Gap::Missing(format!(
            "no {} samples for this SLO over the last day (renamed, or its rules not \
             deployed?)",
            promql::TOTAL_EVENTS_RATE_RECORD
        ))
        .shown_by(&queries.per_day));
    };
    let interval = evaluation_interval(per_day, newest(&read.per_hour).unwrap_or(0.0));
    match newest(&read.last) {
        Some(last) if at - last <= STALE_INTERVALS * interval => {}
        // None: older than Prometheus' lookback.
        last => {
            return Err(Gap::Stale {
                age: last.map(|l| at - l),
            }
            .shown_by(&queries.last));
        }
    }
    let Some(info) = read.info.first() else {
        return Err(
            Gap::Missing(format!("no {} series for this SLO", style.info_metric()))
                .shown_by(&queries.info),
        );
    };
    check_drift(style, slo, &info.labels).map_err(|gap| gap.shown_by(&queries.info))?;
    let window = &queries.windows[&slo.window];
    check_sums_current(slo, at, &read.sums_last).map_err(|gap| gap.shown_by(&window.sums_last))?;
    check_groups(slo, &read.total).map_err(|gap| gap.shown_by(&window.total))?;
    let window_secs = slo.window.secs() as f64;
    let coverage = match newest(&read.oldest) {
        // Reaches into the oldest hundredth of the window: the rest is covered too. A slice
        // covered in full holds its length over the interval, give or take one sample.
        Some(oldest) => {
            let slice = oldest_slice(slo.window).secs() as f64;
            ((window_secs - slice + (oldest + 1.0) * interval) / window_secs).min(1.0)
        }
        None => (newest(&read.count).unwrap_or(0.0) * interval / window_secs).min(1.0),
    };
    let events = |samples: &[Sample]| -> Vec<Sample> {
        samples
            .iter()
            .map(|s| Sample {
                labels: s.labels.clone(),
                value: s.value * interval,
            })
            .collect()
    };
    let mut measured = BTreeMap::from([(
        slo.window,
        Measured::Events {
            queries: EventQueries {
                counted: Counted::Bad,
                counted_query: window.bad.clone(),
                total_query: window.total.clone(),
            },
            counted: events(&read.bad),
            total: events(&read.total),
        },
    )]);
    for burn_window in BURN_RATE_WINDOWS.into_iter().filter(|w| *w != slo.window) {
        let text = burn_window.to_string();
        let samples: Vec<Sample> = read
            .ratios
            .iter()
            .filter(|s| s.labels.get(style.window_label()) == Some(&text))
            .cloned()
            .collect();
        if samples.is_empty() {
            return Err(Gap::Missing(format!(
                "no {} series for this SLO",
                promql::error_ratio_record(burn_window)
            ))
            .shown_by(&queries.ratios));
        }
        measured.insert(
            burn_window,
            Measured::ErrorRatio {
                query: queries.ratios.clone(),
                samples,
            },
        );
    }
    let recording = Recording { measured, coverage };
    if coverage < COVERED {
        return Err(Gap::Young(recording).shown_by(&window.oldest));
    }
    Ok(recording)
}

/// An error unless the window sums of `slo` were recorded within a few intervals of their
/// group before `at`: the 5m rates may be current while the window-long group is not
/// deployed (rules generated before it recorded the sums) or failing.
fn check_sums_current(slo: &Slo, at: f64, sums_last: &[Sample]) -> Result<(), Gap> {
    match sums_last.iter().map(|s| s.value).fold(None, max) {
        Some(last) if at - last <= STALE_INTERVALS * LONG_WINDOW_INTERVAL.secs() as f64 => Ok(()),
        Some(last) => Err(Gap::Stale {
            age: Some(at - last),
        }),
        None => Err(Gap::Missing(format!(
            "no {} sample within Prometheus' lookback: the window-long rules are not \
             deployed (generated by an older slo?) or no longer run",
            promql::total_events_sum_record(slo.window)
        ))),
    }
}

/// The oldest part of `window` whose samples show that the history reaches back to cover it.
fn oldest_slice(window: Window) -> Window {
    Window::from_secs(((1.0 - COVERED) * window.secs() as f64).round() as u64)
}

/// Seconds between evaluations, from how many samples the last day and the last hour hold: a
/// day's count is the more precise, but only if the history spans the day; younger, the
/// hour's (a history younger than an hour is taken as an hour old, so its coverage and
/// events are overestimated; it is far from covering any window anyway).
fn evaluation_interval(per_day: f64, per_hour: f64) -> f64 {
    let spans_the_day = per_day >= 23.5 * per_hour;
    if spans_the_day || per_hour == 0.0 {
        DAY.secs() as f64 / per_day
    } else {
        HOUR.secs() as f64 / per_hour
    }
}

fn max(acc: Option<f64>, value: f64) -> Option<f64> {
    Some(acc.map_or(value, |a| a.max(value)))
}

/// An error unless the info series was recorded for the spec's objective and window:
/// numbers for another objective must never be reported as this one's.
fn check_drift(style: LabelStyle, slo: &Slo, info: &Labels) -> Result<(), Gap> {
    let recorded_objective = info
        .get(style.objective_label())
        .and_then(|v| v.parse::<f64>().ok());
    let objective = slo.objective.percent();
    if recorded_objective.is_none_or(|r| (r - objective).abs() > 1e-9 * objective) {
        return Err(Gap::Drift(format!(
            "the rules were generated for objective {}, the spec says {}",
            info.get(style.objective_label())
                .map_or("(none)", String::as_str),
            promql::number(objective)
        )));
    }
    let window = slo.window.to_string();
    if info.get(style.window_label()) != Some(&window) {
        return Err(Gap::Drift(format!(
            "the rules were generated for window {}, the spec says {window}",
            info.get(style.window_label())
                .map_or("(none)", String::as_str)
        )));
    }
    Ok(())
}

/// An error unless the recorded series are split by the spec's `group_by`: rules generated
/// before it changed would report other groups (or one sum) as this SLO's.
fn check_groups(slo: &Slo, total: &[Sample]) -> Result<(), Gap> {
    let group_by = slo.sli.group_by();
    if group_by.is_empty() && total.len() > 1 {
        return Err(Gap::Drift(format!(
            "the rules record {} groups, the spec has no group_by",
            total.len()
        )));
    }
    match group_by
        .iter()
        .find(|label| total.iter().any(|s| !s.labels.contains_key(*label)))
    {
        Some(label) => Err(Gap::Drift(format!(
            "the rules were generated without group_by label {label}, the spec has it"
        ))),
        None => Ok(()),
    }
}

/// The style whose info series answered, native first.
fn detected_style(info: &[Sample]) -> Option<LabelStyle> {
    [LabelStyle::Native, LabelStyle::Sloth]
        .into_iter()
        .find(|style| {
            info.iter()
                .any(|s| s.labels.get("__name__").map(String::as_str) == Some(style.info_metric()))
        })
}

/// `samples` by the SLO they belong to.
fn split_by_slo(style: LabelStyle, samples: Vec<Sample>) -> HashMap<String, Vec<Sample>> {
    let mut split: HashMap<String, Vec<Sample>> = HashMap::new();
    for sample in samples {
        if let Some(name) = sample.labels.get(style.slo_label()) {
            split.entry(name.clone()).or_default().push(sample);
        }
    }
    split
}

/// The samples of one query run alone.
async fn answer(
    client: &Client,
    query: &str,
    options: &EvaluationOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<Sample>, EvaluationError> {
    let mut answers =
        run_at_evaluation_instant(client, BTreeSet::from([query.to_string()]), options).await;
    usable(&mut answers, query, options, warnings)
}

/// The samples of `query`, its warnings echoed (or, with `--fail-on-warnings`, an error).
fn usable(
    answers: &mut HashMap<String, Result<Answer, QueryError>>,
    query: &str,
    options: &EvaluationOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<Sample>, EvaluationError> {
    let error = |kind, message| EvaluationError {
        slo: "(recorded series)".into(),
        query: query.to_string(),
        kind,
        message,
    };
    // Taken, not cloned: 1,000 SLOs' answers are tens of thousands of label sets.
    match answers.remove(query) {
        Some(Ok(answer)) if options.fail_on_warnings && !answer.warnings.is_empty() => Err(error(
            QueryErrorKind::Unusable,
            format!(
                "Prometheus warned: {} (--fail-on-warnings)",
                answer.warnings.join("; ")
            ),
        )),
        Some(Ok(answer)) => {
            warnings.extend(
                answer
                    .warnings
                    .iter()
                    .map(|w| format!("recorded series: {w} (query: {query})")),
            );
            Ok(answer.samples)
        }
        Some(Err(e)) => Err(error(e.kind, e.message)),
        None => Err(error(
            QueryErrorKind::Unusable,
            "the query did not run".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: f64 = 1_793_491_200.0;

    fn slo() -> Slo {
        let text = "version: 1\nservice: api\nslos:\n  - name: s\n    objective: 99.5\n    \
                    window: 3d\n    sli:\n      ratio:\n        errors: r{code=\"5xx\"}\n        \
                    total: r\n";
        crate::spec::parse(text, "test.yaml")
            .unwrap()
            .slos
            .remove(0)
    }

    fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
        Sample {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        }
    }

    /// What a minute-by-minute recording over `days` days, last written `age` seconds
    /// before [`AT`], returns for the SLO of [`slo`], recorded for `objective`.
    fn read(days: f64, age: f64, objective: &str) -> Read {
        let minutes = (days * 1440.0).min(3.0 * 1440.0);
        Read {
            info: vec![sample(
                &[("slo_objective", objective), ("slo_window", "3d")],
                1.0,
            )],
            last: vec![sample(&[], AT - age)],
            per_day: vec![sample(&[], minutes.min(1440.0))],
            per_hour: vec![sample(&[], minutes.min(60.0))],
            ratios: ["5m", "1h", "6h", "1d"]
                .iter()
                .map(|w| sample(&[("slo_window", w)], 0.002))
                .collect(),
            bad: vec![sample(&[], 0.05 * minutes)],
            total: vec![sample(&[], 10.0 * minutes)],
            sums_last: vec![sample(&[], AT - age)],
            oldest: if days >= 3.0 {
                vec![sample(&[], 3.0 * 1440.0 * (1.0 - COVERED))]
            } else {
                vec![]
            },
            count: vec![sample(&[], minutes)],
        }
    }

    fn judged(read: &Read) -> Result<Recording, Uncovered> {
        let slo = slo();
        let queries = Queries::new("info", "{slo_service=\"api\"}", &[&slo]);
        judge(LabelStyle::Native, &slo, AT, read, &queries)
    }

    #[test]
    fn a_covered_current_recording_gives_estimated_events_and_recorded_ratios() {
        let recording = judged(&read(3.0, 20.0, "99.5")).unwrap();
        assert_eq!(recording.coverage, 1.0);
        let Measured::Events { counted, total, .. } = &recording.measured[&slo().window] else {
            panic!("the compliance window is measured in events")
        };
        // Rates per second summed each minute, times the 60s interval.
        assert_eq!(total[0].value, 10.0 * 3.0 * 1440.0 * 60.0);
        assert!((counted[0].value - 0.05 * 3.0 * 1440.0 * 60.0).abs() < 1e-6);
        assert_eq!(recording.measured.len(), 5);
    }

    #[test]
    fn a_history_younger_than_a_day_takes_its_interval_from_the_last_hour() {
        // Six hours of a minute-by-minute recording: 360 samples in the last day.
        let recording = judged(&read(0.25, 20.0, "99.5")).unwrap_err();
        let Gap::Young(recording) = recording.gap else {
            panic!("{recording:?}")
        };
        assert!(
            (recording.coverage - 0.25 / 3.0).abs() < 1e-9,
            "{recording:?}"
        );
        assert_eq!(evaluation_interval(1441.0, 61.0), 86_400.0 / 1441.0);
        assert_eq!(evaluation_interval(2880.0, 120.0), 30.0);
    }

    #[test]
    fn young_stale_missing_and_drifted_recordings_say_why_and_where() {
        let gap = |read: &Read| judged(read).unwrap_err();
        let young = gap(&read(1.0, 20.0, "99.5"));
        assert!(
            matches!(&young.gap, Gap::Young(r) if (r.coverage - 1.0 / 3.0).abs() < 1e-9),
            "{young:?}"
        );
        assert!(young.query.starts_with("count_over_time("), "{young:?}");
        let stale = gap(&read(3.0, 200.0, "99.5"));
        assert_eq!(stale.gap, Gap::Stale { age: Some(200.0) });
        let drift = gap(&read(3.0, 20.0, "99"));
        assert!(
            drift
                .gap
                .describe(&slo())
                .contains("objective 99, the spec says 99.5"),
            "{drift:?}"
        );
        let mut no_ratio = read(3.0, 20.0, "99.5");
        no_ratio.ratios.pop();
        assert!(matches!(gap(&no_ratio).gap, Gap::Missing(m) if m.contains("ratio_rate1d")));
        let mut regrouped = read(3.0, 20.0, "99.5");
        regrouped.total.push(sample(&[("handler", "/b")], 1.0));
        assert!(
            matches!(gap(&regrouped).gap, Gap::Drift(m) if m.contains("2 groups")),
            "{:?}",
            gap(&regrouped)
        );
        let mut none = read(3.0, 20.0, "99.5");
        none.per_day.clear();
        assert!(matches!(gap(&none).gap, Gap::Missing(_)));
        // Current rates, but window sums the window-long group stopped recording (its
        // interval is 2m), or never recorded.
        let mut stale_sums = read(3.0, 20.0, "99.5");
        stale_sums.sums_last = vec![sample(&[], AT - 400.0)];
        let stale_sums = gap(&stale_sums);
        assert_eq!(stale_sums.gap, Gap::Stale { age: Some(400.0) });
        assert!(
            stale_sums
                .query
                .starts_with("timestamp(slo:sli_total_events:sum3d_rate5m{")
        );
        let mut no_sums = read(3.0, 20.0, "99.5");
        no_sums.sums_last.clear();
        assert!(
            matches!(gap(&no_sums).gap, Gap::Missing(m) if m.contains("sum3d_rate5m")),
            "{:?}",
            gap(&no_sums)
        );
    }
}
