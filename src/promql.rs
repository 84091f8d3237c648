//! Every piece of PromQL text `slo` writes, and every series and label name it uses.
//!
//! Reports, rules and dashboards all build their queries here, so a naming convention or a
//! query shape changes in one place only.

use std::fmt::Write;

use promql_parser::label::{METRIC_NAME, MatchOp, Matcher};
use promql_parser::parser::{Expr, VectorSelector};

use crate::model::{BurnRateAlert, Labels, LatencySli, RatioEvents, Sli, Slo, Window};

/// Which family of label and series names generated rules and dashboards use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LabelStyle {
    /// `slo_service`, `slo_name`, `slo_window`, `slo_info`.
    #[default]
    Native,
    /// Sloth's names (`sloth_id`, `sloth_service`, `sloth_slo`, `sloth_window`,
    /// `sloth_slo_info`), so Sloth's Grafana dashboards work on these rules unchanged.
    Sloth,
}

impl LabelStyle {
    pub fn service_label(self) -> &'static str {
        match self {
            LabelStyle::Native => "slo_service",
            LabelStyle::Sloth => "sloth_service",
        }
    }
    pub fn slo_label(self) -> &'static str {
        match self {
            LabelStyle::Native => "slo_name",
            LabelStyle::Sloth => "sloth_slo",
        }
    }
    /// Label carrying the window on `slo:sli_error:ratio_rate*` series.
    pub fn window_label(self) -> &'static str {
        match self {
            LabelStyle::Native => "slo_window",
            LabelStyle::Sloth => "sloth_window",
        }
    }
    /// Label carrying `<service>-<slo>`, which Sloth's dashboards select on.
    pub fn id_label(self) -> Option<&'static str> {
        match self {
            LabelStyle::Native => None,
            LabelStyle::Sloth => Some("sloth_id"),
        }
    }
    pub fn info_metric(self) -> &'static str {
        match self {
            LabelStyle::Native => "slo_info",
            LabelStyle::Sloth => "sloth_slo_info",
        }
    }
    /// Label of the info series carrying the objective in percent, e.g. `99.5`.
    pub fn objective_label(self) -> &'static str {
        match self {
            LabelStyle::Native => "slo_objective",
            LabelStyle::Sloth => "sloth_objective",
        }
    }
    /// Labels besides the SLO's own that Sloth puts on its info series (its dashboards list
    /// them); none in the native style. Sloth names the spec and mode of a Kubernetes
    /// `PrometheusServiceLevel` apart from those of a plain `prometheus/v1` file.
    pub fn info_extra_labels(self, kubernetes_object: bool) -> Vec<(&'static str, String)> {
        let (mode, spec) = if kubernetes_object {
            ("cli-gen-k8s", "sloth.slok.dev/v1")
        } else {
            ("cli-gen-prom", "prometheus/v1")
        };
        match self {
            LabelStyle::Native => Vec::new(),
            LabelStyle::Sloth => vec![
                ("sloth_mode", mode.to_string()),
                ("sloth_spec", spec.to_string()),
                (
                    "sloth_version",
                    format!("slo-{}", env!("CARGO_PKG_VERSION")),
                ),
            ],
        }
    }
    /// The style's own severity label on alerts, besides [`SEVERITY_LABEL`]: Sloth's
    /// dashboards select `ALERTS{sloth_severity="page"}`.
    pub fn style_severity_label(self) -> Option<&'static str> {
        match self {
            LabelStyle::Native => None,
            LabelStyle::Sloth => Some("sloth_severity"),
        }
    }

    /// The identifying labels of an SLO's series, in output order.
    pub fn slo_labels(self, service: &str, slo: &Slo) -> Vec<(&'static str, String)> {
        let mut labels = Vec::new();
        if let Some(id) = self.id_label() {
            labels.push((id, format!("{service}-{}", slo.name)));
        }
        labels.push((self.service_label(), service.to_string()));
        labels.push((self.slo_label(), slo.name.clone()));
        labels
    }

    /// A selector matching one SLO's generated series, e.g. `{slo_service="api",slo_name="x"}`.
    pub fn slo_selector(self, service: &str, slo: &Slo) -> String {
        format!("{{{}}}", self.slo_matchers(service, slo).join(","))
    }

    /// The matchers of [`LabelStyle::slo_selector`], e.g. `slo_service="api"`, for selectors
    /// that add their own.
    pub fn slo_matchers(self, service: &str, slo: &Slo) -> Vec<String> {
        self.slo_labels(service, slo)
            .into_iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape(&v)))
            .collect()
    }
}

/// The label naming the calendar period (`month`) of a calendar SLO's window-long series,
/// whose `slo_window` is the period's nominal length, in every style.
pub const CALENDAR_LABEL: &str = "slo_calendar";

/// True for the labels `slo` sets on generated series in any style, which a spec may not set.
pub fn is_reserved_label(name: &str) -> bool {
    name == CALENDAR_LABEL
        || [LabelStyle::Native, LabelStyle::Sloth].iter().any(|s| {
            [s.service_label(), s.slo_label(), s.window_label()].contains(&name)
                || s.id_label() == Some(name)
        })
}

/// True for the labels `slo` sets on generated alerts in any style: the severity labels.
pub fn is_alert_label(name: &str) -> bool {
    name == SEVERITY_LABEL
        || [LabelStyle::Native, LabelStyle::Sloth]
            .iter()
            .any(|s| s.style_severity_label() == Some(name))
}

// ---- recorded series names ----

/// Error ratio over `window`: `slo:sli_error:ratio_rate5m`.
pub fn error_ratio_record(window: Window) -> String {
    format!("slo:sli_error:ratio_rate{window}")
}
/// Rate of bad events over 5m, recorded so window-long ratios can weight by traffic.
pub const BAD_EVENTS_RATE_RECORD: &str = "slo:sli_bad_events:rate5m";
/// Rate of all events over 5m, the denominator of [`BAD_EVENTS_RATE_RECORD`].
pub const TOTAL_EVENTS_RATE_RECORD: &str = "slo:sli_total_events:rate5m";
/// Sum over `window` of the recorded bad-event 5m rates, `slo:sli_bad_events:sum30d_rate5m`
/// (newest operation first, as in `ratio_rate30d`): times the evaluation interval, the bad
/// events of the window. Recorded so that a report reads one sample instead of scanning the
/// window.
pub fn bad_events_sum_record(window: Window) -> String {
    format!("slo:sli_bad_events:sum{window}_rate5m")
}
/// Sum over `window` of the recorded total-event 5m rates, the denominator of
/// [`bad_events_sum_record`].
pub fn total_events_sum_record(window: Window) -> String {
    format!("slo:sli_total_events:sum{window}_rate5m")
}
pub const OBJECTIVE_RECORD: &str = "slo:objective:ratio";
pub const ERROR_BUDGET_RECORD: &str = "slo:error_budget:ratio";
pub const TIME_PERIOD_DAYS_RECORD: &str = "slo:time_period:days";
pub const CURRENT_BURN_RATE_RECORD: &str = "slo:current_burn_rate:ratio";
pub const PERIOD_BURN_RATE_RECORD: &str = "slo:period_burn_rate:ratio";
pub const PERIOD_BUDGET_REMAINING_RECORD: &str = "slo:period_error_budget_remaining:ratio";

pub const BURN_ALERT: &str = "SLOErrorBudgetBurn";
pub const ABSENT_ALERT: &str = "SLOMetricsAbsent";
/// The label Alertmanager routes on: `page` or `ticket`.
pub const SEVERITY_LABEL: &str = "severity";

// ---- queries over recorded series ----

/// The rate of bad events over 5m, one sample per group; `None` for raw SLIs.
///
/// Like [`error_ratio_query`], a missing error counter counts as 0 so the series exists as
/// soon as there is traffic.
pub fn bad_events_rate_query(sli: &Sli) -> Option<String> {
    let q = event_queries(sli, Window::from_secs(300), RangeFn::Rate)?;
    Some(match q.counted {
        Counted::Bad => format!("{}\nor\n0 * {}", q.counted_query, q.total_query),
        Counted::Good => format!(
            "{}\n-\n{}",
            q.total_query,
            good_events(sli, &q, &q.total_query)
        ),
    })
}

/// The good-events query of `q`, or-0 (the zeros of `zeros`) for a ratio SLI: services create
/// the good counter at the first success, so a service failing every request since its start
/// has none, and without the 0 its errors would vanish from every ratio instead of being 100%
/// of it. A histogram's buckets exist whenever its count does.
fn good_events(sli: &Sli, q: &EventQueries, zeros: &str) -> String {
    match sli {
        Sli::Ratio(_) => format!("({} or 0 * {zeros})", q.counted_query),
        _ => q.counted_query.clone(),
    }
}

/// The traffic-weighted error ratio over `window` (a [`Window`], or Grafana's `$__range`)
/// from the recorded 5m event rates: every rate sample spans the same 5m, so the sums weigh
/// each instant by its traffic, and the query reads one recorded series per group instead of
/// every raw series.
pub fn recorded_events_ratio_query(selector: &str, window: impl std::fmt::Display) -> String {
    format!(
        "sum_over_time({BAD_EVENTS_RATE_RECORD}{selector}[{window}])\n/\nsum_over_time({TOTAL_EVENTS_RATE_RECORD}{selector}[{window}])"
    )
}

/// The error ratio over 5m from the recorded 5m event rates: their quotient, the same value as
/// [`error_ratio_query`] over 5m without scanning the raw series again.
pub fn recorded_rates_ratio_query(selector: &str) -> String {
    format!("{BAD_EVENTS_RATE_RECORD}{selector}\n/\n{TOTAL_EVENTS_RATE_RECORD}{selector}")
}

/// The traffic-weighted error ratio over `window` from the recorded window sums of the 5m
/// event rates: the same ratio as [`recorded_events_ratio_query`], without a second scan.
pub fn recorded_sums_ratio_query(selector: &str, window: Window) -> String {
    format!(
        "{}{selector}\n/\n{}{selector}",
        bad_events_sum_record(window),
        total_events_sum_record(window)
    )
}

/// Selects the recorded series of `service`'s SLOs: all of them, or those of `names`
/// (anchored, as every Prometheus regex is). One selector for every SLO is what keeps a
/// report from rules at a constant number of queries.
pub fn recorded_selector(style: LabelStyle, service: &str, names: Option<&[&str]>) -> String {
    let mut matchers = vec![format!("{}=\"{}\"", style.service_label(), escape(service))];
    if let Some(names) = names {
        let alternatives: Vec<String> = names.iter().map(|n| regex_escape(n)).collect();
        matchers.push(format!(
            "{}=~\"{}\"",
            style.slo_label(),
            escape(&alternatives.join("|"))
        ));
    }
    format!("{{{}}}", matchers.join(","))
}

/// The info series of `service`'s SLOs in `style`, or in either style when it is unknown
/// (the answer's `__name__` then tells which).
pub fn recorded_info_query(style: Option<LabelStyle>, service: &str) -> String {
    let of = |s: LabelStyle| format!("{}{}", s.info_metric(), recorded_selector(s, service, None));
    match style {
        Some(style) => of(style),
        None => format!("{} or {}", of(LabelStyle::Native), of(LabelStyle::Sloth)),
    }
}

/// The recorded error ratios over `windows`, every window in one answer (told apart by the
/// window label).
pub fn recorded_ratios_query(selector: &str, windows: &[Window]) -> String {
    let names: Vec<String> = windows.iter().map(|w| error_ratio_record(*w)).collect();
    let inner = selector.trim_start_matches('{').trim_end_matches('}');
    format!("{{__name__=~\"{}\",{inner}}}", names.join("|"))
}

/// `function(record{selector}[window])`, e.g. the sum of the recorded 5m rates over a
/// compliance window.
pub fn recorded_over_time_query(
    function: &str,
    record: &str,
    selector: &str,
    window: Window,
) -> String {
    format!("{function}({record}{selector}[{window}])")
}

/// How many samples of `record` the oldest `slice` of `window` holds, per series.
pub fn recorded_oldest_count_query(
    record: &str,
    selector: &str,
    window: Window,
    slice: Window,
) -> String {
    let offset = Window::from_secs(window.secs() - slice.secs());
    format!("count_over_time({record}{selector}[{slice}] offset {offset})")
}

/// When each recorded `record` series was last written.
pub fn recorded_last_sample_query(record: &str, selector: &str) -> String {
    format!("timestamp({record}{selector})")
}

/// `text` matching itself literally in a Prometheus (RE2) regex.
fn regex_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// How many times faster than budgeted the errors of one SLO came over `window`, from its
/// recorded ratio.
pub fn burn_rate_query(selector: &str, window: Window, error_budget: f64) -> String {
    format!(
        "{}{selector} / {}",
        error_ratio_record(window),
        number(error_budget)
    )
}

/// Fires while any condition holds, one sample per group. The window label is dropped so
/// the alert keeps one identity whichever pair fires; its value is the long window's ratio.
pub fn burn_alert_query(
    style: LabelStyle,
    selector: &str,
    conditions: &[BurnRateAlert],
    error_budget: f64,
) -> String {
    let window = style.window_label();
    let budget = number(error_budget);
    let branches: Vec<String> = conditions
        .iter()
        .map(|c| {
            let threshold = format!("({} * {budget})", number(c.factor));
            format!(
                "  (\n    {long}{selector} > {threshold}\n    and ignoring ({window})\n    {short}{selector} > {threshold}\n  )",
                long = error_ratio_record(c.long_window),
                short = error_ratio_record(c.short_window),
            )
        })
        .collect();
    format!(
        "max without ({window}) (\n{}\n)",
        branches.join(&format!("\n  or ignoring ({window})\n"))
    )
}

/// Fires when the SLO's total series has had no sample for `window`; `None` for raw SLIs.
pub fn absent_query(sli: &Sli, window: Window) -> Option<String> {
    absence_selector(sli).map(|s| format!("absent_over_time({s}[{window}])"))
}

// ---- queries over the raw series ----

/// The range function applied to counters: `increase` for event counts (reports), `rate` for
/// per-second rates (rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeFn {
    Increase,
    Rate,
}

impl RangeFn {
    fn name(self) -> &'static str {
        match self {
            RangeFn::Increase => "increase",
            RangeFn::Rate => "rate",
        }
    }
}

/// Which events the first query of [`EventQueries`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Bad,
    Good,
}

/// The two counter queries behind an event-based SLI over one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventQueries {
    pub counted: Counted,
    /// Bad (or good) events, one sample per group.
    pub counted_query: String,
    /// All events, one sample per group.
    pub total_query: String,
}

/// The counter queries for an SLO's events over `window`; `None` for a raw SLI, which has no
/// events, only a ratio.
pub fn event_queries(sli: &Sli, window: Window, func: RangeFn) -> Option<EventQueries> {
    let group_by = sli.group_by();
    match sli {
        Sli::Ratio(ratio) => {
            let (counted, selector) = match &ratio.events {
                RatioEvents::Errors(s) => (Counted::Bad, s),
                RatioEvents::Good(s) => (Counted::Good, s),
            };
            Some(EventQueries {
                counted,
                counted_query: sum_counter(func, &selector.0, window, group_by),
                total_query: sum_counter(func, &ratio.total.0, window, group_by),
            })
        }
        Sli::Latency(latency) => Some(EventQueries {
            counted: Counted::Good,
            counted_query: sum_counter(func, &latency_good_selector(latency), window, group_by),
            total_query: sum_counter(func, &latency_total_selector(latency), window, group_by),
        }),
        Sli::Raw(_) => None,
    }
}

/// One query counting both sides of a ratio SLI whose counted selector is its total's with
/// more matchers: `increase()` of the total, each series marked by whether it passes each
/// extra matcher, summed by group and marks. Prometheus then scans the counted series once,
/// not once for each side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitEventQuery {
    pub counted: Counted,
    pub query: String,
    /// One per extra matcher of the counted selector, in order.
    pub marks: Vec<Mark>,
}

/// A label [`SplitEventQuery`] sets to `"1"` on the series one extra matcher matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub label: String,
    /// True for `=` and `=~`, whose matching series are marked; false for `!=` and `!~`,
    /// whose matching series are those left unmarked.
    pub counted_when_marked: bool,
}

impl SplitEventQuery {
    /// The query under the names of [`EventQueries`], for what is measured from its answer:
    /// both sides come from the one query, so every message about either names it.
    pub fn event_queries(&self) -> EventQueries {
        EventQueries {
            counted: self.counted,
            counted_query: self.query.clone(),
            total_query: self.query.clone(),
        }
    }

    /// Whether a series of the answer, by its labels, is a counted one: each mark set
    /// exactly where its matcher matches.
    pub fn is_counted(&self, labels: &Labels) -> bool {
        self.marks
            .iter()
            .all(|m| labels.contains_key(&m.label) == m.counted_when_marked)
    }
}

/// The prefix of [`Mark`] labels. Labels starting with `__` never exist on stored series (and
/// `group_by` refuses them), so a mark cannot collide with a label of the data.
const MARK_PREFIX: &str = "__slo_match_";

/// The one-query form of a ratio SLI's event counts over `window` (see [`SplitEventQuery`]),
/// where it counts exactly what [`event_queries`] counts: both selectors plain (no `or`, no
/// `offset` or `@`), of the same metric, every matcher of the total also one of the counted
/// selector, and at least one more, none on `__name__` (`increase()` drops it). `None`
/// otherwise, and for latency SLIs (bucket and count are different metrics) and raw SLIs.
///
/// `label_replace` anchors its regex as matchers do, and reads a missing label as `""` as
/// matchers do, so a series is marked exactly when it passes the matcher.
pub fn split_event_query(sli: &Sli, window: Window) -> Option<SplitEventQuery> {
    let Sli::Ratio(ratio) = sli else {
        return None;
    };
    let (counted, selector) = match &ratio.events {
        RatioEvents::Errors(s) => (Counted::Bad, s),
        RatioEvents::Good(s) => (Counted::Good, s),
    };
    let extra = extra_matchers(&selector.0, &ratio.total.0)?;
    let mut marked = format!("increase({}[{window}])", ratio.total.0);
    let mut marks = Vec::new();
    for (i, matcher) in extra.iter().enumerate() {
        let label = format!("{MARK_PREFIX}{i}");
        let (regex, counted_when_marked) = match &matcher.op {
            MatchOp::Equal => (regex_escape(&matcher.value), true),
            MatchOp::NotEqual => (regex_escape(&matcher.value), false),
            MatchOp::Re(_) => (matcher.value.clone(), true),
            MatchOp::NotRe(_) => (matcher.value.clone(), false),
        };
        marked = format!(
            "label_replace({marked}, \"{label}\", \"1\", \"{}\", \"{}\")",
            escape(&matcher.name),
            escape(&regex)
        );
        marks.push(Mark {
            label,
            counted_when_marked,
        });
    }
    let by: Vec<String> = sli
        .group_by()
        .iter()
        .cloned()
        .chain(marks.iter().map(|m| m.label.clone()))
        .collect();
    Some(SplitEventQuery {
        counted,
        query: format!("{}({marked})", sum_by(&by)),
        marks,
    })
}

/// The matchers `counted` has beyond those of `total`, when it selects exactly the series of
/// `total` that pass them (see [`split_event_query`]); `None` when it does not, or has none.
fn extra_matchers(counted: &str, total: &str) -> Option<Vec<Matcher>> {
    let counted = plain_selector(counted)?;
    let total = plain_selector(total)?;
    if counted.name != total.name
        || !total
            .matchers
            .matchers
            .iter()
            .all(|m| counted.matchers.matchers.contains(m))
    {
        return None;
    }
    let extra: Vec<Matcher> = counted
        .matchers
        .matchers
        .into_iter()
        .filter(|m| !total.matchers.matchers.contains(m))
        .collect();
    let exact = !extra.is_empty() && extra.iter().all(|m| m.name != METRIC_NAME);
    exact.then_some(extra)
}

/// `text` as a vector selector without `or` matchers, `offset` or `@`.
fn plain_selector(text: &str) -> Option<VectorSelector> {
    match promql_parser::parser::parse(text).ok()? {
        Expr::VectorSelector(vs)
            if vs.matchers.or_matchers.is_empty() && vs.offset.is_none() && vs.at.is_none() =>
        {
            Some(vs)
        }
        _ => None,
    }
}

/// The error ratio of an SLO over `window`, one sample per group.
///
/// When the error counter does not exist yet (services create it at the first error), the
/// ratio is 0, not empty: an empty result would read as "no data". The zeros come from the
/// total's rate over the last 5m, not over the window: PromQL evaluates both sides of `or`,
/// so zeros over the window would scan the total's raw series a second time (three scans
/// where Sloth's ratio has two). The two differ only where the total has had no sample for
/// 5m and the error counter none in the window: the ratio is then absent rather than 0.
pub fn error_ratio_query(sli: &Sli, window: Window) -> String {
    let (Some(q), Some(recent)) = (
        event_queries(sli, window, RangeFn::Rate),
        event_queries(sli, window.min(Window::from_secs(300)), RangeFn::Rate),
    ) else {
        let Sli::Raw(raw) = sli else {
            unreachable!("event_queries is None only for raw SLIs")
        };
        return raw.query(window);
    };
    let zeros = recent.total_query;
    match q.counted {
        Counted::Bad => format!(
            "(\n  {}\n  or\n  0 * {zeros}\n)\n/\n{}",
            q.counted_query, q.total_query
        ),
        Counted::Good => format!(
            "1 - (\n  {}\n  /\n  {}\n)",
            good_events(sli, &q, &zeros),
            q.total_query
        ),
    }
}

/// `sum(f(selector[window]))`, or `sum by (a, b) (...)` when grouped.
fn sum_counter(func: RangeFn, selector: &str, window: Window, group_by: &[String]) -> String {
    format!(
        "{}({}({selector}[{window}]))",
        sum_by(group_by),
        func.name()
    )
}

/// `sum` or `sum by (a, b) ` for an aggregation.
pub fn sum_by(group_by: &[String]) -> String {
    if group_by.is_empty() {
        "sum".to_string()
    } else {
        format!("sum by ({}) ", group_by.join(", "))
    }
}

/// The bucket series at the threshold. Exporters and Prometheus versions write `le` as `1`,
/// `1.0` or `1e+00`, so the matcher accepts each text form of the number.
fn latency_good_selector(latency: &LatencySli) -> String {
    let forms = le_forms(latency.threshold)
        .iter()
        .map(|f| f.replace('.', "\\\\.").replace('+', "\\\\+"))
        .collect::<Vec<_>>()
        .join("|");
    with_matcher(
        &format!("{}_bucket", latency.histogram),
        &latency.selector,
        &format!("le=~\"{forms}\""),
    )
}

fn latency_total_selector(latency: &LatencySli) -> String {
    format!("{}_count{}", latency.histogram, latency.selector)
}

/// The text forms an `le` label may take for `threshold`.
pub fn le_forms(threshold: f64) -> Vec<String> {
    let plain = threshold.to_string();
    let mut forms = vec![plain.clone()];
    if !plain.contains('.') {
        forms.push(format!("{plain}.0"));
    }
    // Go's %g switches to exponent form for large and small magnitudes.
    let exp = format!("{threshold:e}");
    let (mantissa, power) = exp.split_once('e').unwrap_or((&exp, "0"));
    let power: i32 = power.parse().unwrap_or(0);
    if !(-4..21).contains(&power) {
        let sign = if power < 0 { '-' } else { '+' };
        forms.push(format!("{mantissa}e{sign}{:02}", power.abs()));
    }
    forms.dedup();
    forms
}

/// `metric{a="b",extra}`: a selector's matchers with one more added.
fn with_matcher(metric: &str, selector: &str, extra: &str) -> String {
    let inner = selector
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim()
        .trim_end_matches(',');
    if inner.is_empty() {
        format!("{metric}{{{extra}}}")
    } else {
        format!("{metric}{{{inner},{extra}}}")
    }
}

/// The series whose absence means the SLO's exporter has gone silent; `None` for raw SLIs.
pub fn absence_selector(sli: &Sli) -> Option<String> {
    match sli {
        Sli::Ratio(r) => Some(r.total.0.clone()),
        Sli::Latency(l) => Some(latency_total_selector(l)),
        Sli::Raw(_) => None,
    }
}

/// Escapes a label value for a double-quoted PromQL string.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Formats a number for PromQL and YAML: shortest exact text, no float noise.
pub fn number(x: f64) -> String {
    let mut s = String::new();
    let _ = write!(s, "{}", crate::model::tidy(x));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RatioSli, Selector};

    fn ratio(events: RatioEvents, group_by: &[&str]) -> Sli {
        Sli::Ratio(RatioSli {
            events,
            total: Selector("http_requests_total{job=\"api\"}".into()),
            group_by: group_by.iter().map(|s| s.to_string()).collect(),
        })
    }

    #[test]
    fn errors_ratio_query_falls_back_to_zero_when_no_error_series_exists() {
        let sli = ratio(
            RatioEvents::Errors(Selector(
                "http_requests_total{job=\"api\",status=\"5xx\"}".into(),
            )),
            &["handler"],
        );
        let q = error_ratio_query(&sli, Window::parse("5m").unwrap());
        assert_eq!(
            q,
            "(\n  sum by (handler) (rate(http_requests_total{job=\"api\",status=\"5xx\"}[5m]))\n  or\n  0 * sum by (handler) (rate(http_requests_total{job=\"api\"}[5m]))\n)\n/\nsum by (handler) (rate(http_requests_total{job=\"api\"}[5m]))"
        );
        // A long window takes its zeros from the last 5m: one scan of the window's totals.
        let q = error_ratio_query(&sli, Window::parse("3d").unwrap());
        assert_eq!(
            q,
            "(\n  sum by (handler) (rate(http_requests_total{job=\"api\",status=\"5xx\"}[3d]))\n  or\n  0 * sum by (handler) (rate(http_requests_total{job=\"api\"}[5m]))\n)\n/\nsum by (handler) (rate(http_requests_total{job=\"api\"}[3d]))"
        );
        promql_parser::parser::parse(&q).unwrap();
    }

    #[test]
    fn rule_queries_parse() {
        let sli = ratio(RatioEvents::Good(Selector("ok_total".into())), &[]);
        let conditions = crate::model::burn_rate_alerts(Window::from_secs(86_400 * 30));
        for q in [
            bad_events_rate_query(&sli).unwrap(),
            recorded_events_ratio_query("{slo_name=\"x\"}", Window::from_secs(86_400 * 30)),
            recorded_sums_ratio_query("{slo_name=\"x\"}", Window::from_secs(86_400 * 30)),
            burn_alert_query(LabelStyle::Sloth, "{sloth_id=\"a-b\"}", &conditions, 0.001),
            absent_query(&sli, Window::from_secs(300)).unwrap(),
        ] {
            promql_parser::parser::parse(&q).unwrap_or_else(|e| panic!("{q}: {e}"));
        }
    }

    #[test]
    fn latency_bucket_matches_every_le_form() {
        let sli = Sli::Latency(LatencySli {
            histogram: "h".into(),
            selector: "{job=\"api\",}".into(),
            threshold: 1.0,
            group_by: vec![],
        });
        let q = event_queries(&sli, Window::parse("30d").unwrap(), RangeFn::Increase).unwrap();
        assert_eq!(
            q.counted_query,
            "sum(increase(h_bucket{job=\"api\",le=~\"1|1\\\\.0\"}[30d]))"
        );
        assert_eq!(q.total_query, "sum(increase(h_count{job=\"api\",}[30d]))");
        promql_parser::parser::parse(&q.counted_query).unwrap();
        assert_eq!(le_forms(0.3), vec!["0.3"]);
        assert_eq!(le_forms(1e6), vec!["1000000", "1000000.0"]);
        assert_eq!(le_forms(1e21).last().unwrap(), "1e+21");
    }
    /// An errors-ratio SLI over `counted` and `total`, grouped by `group_by`.
    fn errors(counted: &str, total: &str, group_by: &[&str]) -> Sli {
        Sli::Ratio(RatioSli {
            events: RatioEvents::Errors(Selector(counted.into())),
            total: Selector(total.into()),
            group_by: group_by.iter().map(|s| s.to_string()).collect(),
        })
    }

    fn split(counted: &str, total: &str, group_by: &[&str]) -> Option<SplitEventQuery> {
        split_event_query(&errors(counted, total, group_by), Window::from_secs(3600))
    }

    #[test]
    fn the_extra_matcher_of_the_counted_selector_becomes_a_mark() {
        let q = split(
            r#"http_requests_total{job="a",status=~"5.."}"#,
            r#"http_requests_total{job="a"}"#,
            &[],
        )
        .unwrap();
        assert_eq!(
            q.query,
            r#"sum by (__slo_match_0) (label_replace(increase(http_requests_total{job="a"}[1h]), "__slo_match_0", "1", "status", "5.."))"#
        );
        assert_eq!(q.counted, Counted::Bad);
        assert_eq!(
            q.marks,
            [Mark {
                label: "__slo_match_0".into(),
                counted_when_marked: true
            }]
        );
        promql_parser::parser::parse(&q.query).unwrap();
    }

    #[test]
    fn each_operator_marks_with_its_polarity_and_group_by_comes_first() {
        let q = split(
            r#"r{job="a",code="500",code!="501",path=~"/x.*",method!~"GET|HEAD"}"#,
            r#"r{job="a"}"#,
            &["handler", "zone"],
        )
        .unwrap();
        assert_eq!(
            q.query,
            concat!(
                r#"sum by (handler, zone, __slo_match_0, __slo_match_1, __slo_match_2, __slo_match_3) ("#,
                r#"label_replace(label_replace(label_replace(label_replace(increase(r{job="a"}[1h]), "#,
                r#""__slo_match_0", "1", "code", "500"), "__slo_match_1", "1", "code", "501"), "#,
                r#""__slo_match_2", "1", "path", "/x.*"), "__slo_match_3", "1", "method", "GET|HEAD"))"#
            )
        );
        let polarity: Vec<bool> = q.marks.iter().map(|m| m.counted_when_marked).collect();
        assert_eq!(polarity, [true, false, true, false]);
        promql_parser::parser::parse(&q.query).unwrap();
        // Counted: marked by the `=` and `=~` matchers, not by the `!=` and `!~` ones.
        let labels = |marked: &[usize]| -> Labels {
            marked
                .iter()
                .map(|i| (format!("__slo_match_{i}"), "1".to_string()))
                .chain([("handler".to_string(), "/h".to_string())])
                .collect()
        };
        assert!(q.is_counted(&labels(&[0, 2])));
        assert!(!q.is_counted(&labels(&[0])));
        assert!(!q.is_counted(&labels(&[0, 1, 2])));
        assert!(!q.is_counted(&labels(&[0, 2, 3])));
        assert!(!q.is_counted(&labels(&[])));
    }

    #[test]
    fn equality_values_are_regex_escaped_then_quoted_and_regexes_only_quoted() {
        let q = split(r#"r{v="a.b+c\"d\\e(f)",w=~"x\\.y"}"#, "r", &[]).unwrap();
        // The value a.b+c"d\e(f) matches itself only: \. \+ \\ \( \), then PromQL quoting.
        assert!(
            q.query.contains(r#""v", "a\\.b\\+c\"d\\\\e\\(f\\)")"#),
            "{}",
            q.query
        );
        // The regex x\.y is kept as it is, quoted.
        assert!(q.query.contains(r#""w", "x\\.y")"#), "{}", q.query);
        let parsed = promql_parser::parser::parse(&q.query).unwrap();
        // The parser reads back the strings it was meant to get.
        let text = format!("{parsed:?}");
        assert!(text.contains(r#"a\\.b\\+c\"d\\\\e\\(f\\)"#), "{text}");
    }

    #[test]
    fn good_events_split_too() {
        let sli = Sli::Ratio(RatioSli {
            events: RatioEvents::Good(Selector(r#"r{job="a",code="2xx"}"#.into())),
            total: Selector(r#"r{job="a"}"#.into()),
            group_by: vec![],
        });
        let q = split_event_query(&sli, Window::from_secs(300)).unwrap();
        assert_eq!(q.counted, Counted::Good);
        assert_eq!(q.event_queries().counted_query, q.query);
        assert_eq!(q.event_queries().total_query, q.query);
    }

    #[test]
    fn only_exact_pairs_split() {
        for (counted, total) in [
            // Another metric.
            (r#"errors_total{job="a"}"#, r#"requests_total{job="a"}"#),
            // A matcher of the total the counted selector lacks, or has otherwise.
            (r#"r{code="5xx"}"#, r#"r{job="a"}"#),
            (r#"r{job="b",code="5xx"}"#, r#"r{job="a"}"#),
            (r#"r{job=~"a",code="5xx"}"#, r#"r{job="a"}"#),
            // Nothing extra: the same query twice, which runs once anyway.
            (r#"r{job="a"}"#, r#"r{job="a"}"#),
            // `or` matchers, offsets, `@`, and anything not a selector.
            (r#"r{code="5xx" or code="4xx"}"#, "r"),
            (r#"r{code="5xx"} offset 5m"#, "r"),
            (r#"r{code="5xx"} @ 100"#, "r"),
            (r#"rate(r{code="5xx"}[5m])"#, "r"),
            // A metric name matched beyond the total's: increase() drops __name__.
            (r#"{__name__="r",job="a"}"#, r#"{job="a"}"#),
            // Not PromQL at all.
            ("r{", "r"),
        ] {
            assert_eq!(split(counted, total, &[]), None, "{counted} / {total}");
        }
        // The name written as a matcher in both is a common matcher.
        assert!(split(r#"{__name__="r",code="5xx"}"#, r#"{__name__="r"}"#, &[]).is_some());
        let latency = Sli::Latency(LatencySli {
            histogram: "h".into(),
            selector: r#"{job="a"}"#.into(),
            threshold: 0.3,
            group_by: vec![],
        });
        assert_eq!(split_event_query(&latency, Window::from_secs(300)), None);
    }
}
