//! Generation: a spec in, typed rule groups out, one chain of steps per SLO.
//!
//! Each step makes one group of one SLO from the [`SloContext`] every step shares, and knows
//! nothing of the others but the series they record, so each can be read and tested alone.

use crate::model::{Labels, Sli, Slo, Spec, Window};
use crate::promql::{self, LabelStyle};

use super::{Rule, RuleGroup, alerts};

/// How often the compliance-window rules run. They sum a whole window of 5m rate samples
/// (43,200 per series for 30d at a 1m interval), and a ratio over weeks barely moves in
/// minutes; 2m is under half the default 5m lookback, so a query at any instant still finds a
/// sample even when one evaluation is missed.
pub const LONG_WINDOW_INTERVAL: Window = Window::from_secs(120);

pub(super) const fn minutes(m: u64) -> Window {
    Window::from_secs(m * 60)
}

/// The windows of error-ratio rules besides the compliance window: every window the alerts
/// read, shortest first.
const ALERT_WINDOWS: [Window; 7] = [
    minutes(5),
    minutes(30),
    minutes(60),
    minutes(2 * 60),
    minutes(6 * 60),
    minutes(24 * 60),
    minutes(3 * 24 * 60),
];

/// The window of the recorded event rates, and so of their quotient.
const RATE_WINDOW: Window = minutes(5);

/// The shortest alert window whose error ratio sums the 5m event rates the group records just
/// before (rules of a group run in order) instead of scanning the raw series: two recorded
/// series per group where the raw scan reads every raw series at every scrape (a 3d window of
/// 1m rates is 4,320 samples, of 15s scrapes 17,280 per series). Each 5m rate reaches 5m back,
/// so the sum counts the window as if 2.5m earlier: the same events under daily cycles, whose
/// edges a day apart see the same traffic, and at most 1.7% off a day when the traffic at one
/// edge is 10 times the day's (6h: 7.5%, measured, too far for a burn rate).
const SUMMED_FROM: Window = minutes(24 * 60);

/// One step of the chain: the group it makes for one SLO.
type Step = fn(&SloContext) -> RuleGroup;

/// The steps in the order Prometheus (and `promtool test rules`) should evaluate their
/// groups: each reads only what the steps before it record.
const STEPS: [Step; 4] = [
    sli_group,
    long_window_group,
    metadata_group,
    alerts::alert_group,
];

/// The rule groups for every SLO of `spec`, up to four per SLO (a step making no rules makes
/// no group), made as they are consumed.
pub fn generate(spec: &Spec, style: LabelStyle) -> impl Iterator<Item = RuleGroup> + '_ {
    spec.slos.iter().flat_map(move |slo| {
        let context = SloContext::new(spec, slo, style);
        STEPS
            .iter()
            .map(move |step| step(&context))
            .filter(|group| !group.rules.is_empty())
    })
}

/// One SLO with the names and labels every one of its rules shares.
pub(super) struct SloContext<'a> {
    pub service: &'a str,
    /// The spec is a Kubernetes object (a Sloth `PrometheusServiceLevel`, or ours with
    /// `kubernetes:`), which Sloth's info series says.
    pub kubernetes_object: bool,
    pub slo: &'a Slo,
    pub style: LabelStyle,
    /// The SLO's identifying labels merged over the spec's labels.
    pub labels: Labels,
    /// Selects this SLO's recorded series.
    pub selector: String,
}

impl<'a> SloContext<'a> {
    pub fn new(spec: &'a Spec, slo: &'a Slo, style: LabelStyle) -> Self {
        let service = spec.service.as_str();
        let mut labels = slo.labels.clone();
        labels.extend(
            style
                .slo_labels(service, slo)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v)),
        );
        Self {
            service,
            kubernetes_object: spec.manifest.is_some(),
            slo,
            style,
            labels,
            selector: style.slo_selector(service, slo),
        }
    }

    /// The group `slo-<kind>-<service>-<slo>`. No kind may start another (`sli-long`, once,
    /// made service `long`'s SLO `x` collide with its SLO `long-x`): Prometheus rejects
    /// repeated group names.
    pub fn group(&self, kind: &str, interval: Option<Window>, rules: Vec<Rule>) -> RuleGroup {
        RuleGroup {
            name: format!("slo-{kind}-{}-{}", self.service, self.slo.name),
            interval,
            rules,
        }
    }

    fn record(&self, record: impl Into<String>, expr: String, extra: &[(&str, String)]) -> Rule {
        let mut labels = self.labels.clone();
        labels.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        Rule::Record {
            record: record.into(),
            expr,
            labels,
        }
    }

    /// The window label; on a calendar SLO's window-long series, also the period it
    /// stands for: the rule measures the rolling nominal length (`30d` for a month).
    fn window_labels(&self, window: Window) -> Vec<(&str, String)> {
        let mut labels = vec![(self.style.window_label(), window.to_string())];
        if let Some(calendar) = self
            .slo
            .calendar
            .as_ref()
            .filter(|_| window == self.slo.window)
        {
            labels.push((promql::CALENDAR_LABEL, calendar.period.name().to_string()));
        }
        labels
    }
}

/// 5m event rates (what the compliance-window ratio sums) and the alert windows' ratios: over
/// 5m their quotient, over [`SUMMED_FROM`] and longer their sums', else from the raw series.
fn sli_group(context: &SloContext) -> RuleGroup {
    let sli = &context.slo.sli;
    let mut rules = Vec::new();
    if let Some(bad) = promql::bad_events_rate_query(sli) {
        let total = promql::event_queries(sli, RATE_WINDOW, promql::RangeFn::Rate)
            .expect("an SLI with bad events has a total")
            .total_query;
        rules.push(context.record(promql::BAD_EVENTS_RATE_RECORD, bad, &[]));
        rules.push(context.record(promql::TOTAL_EVENTS_RATE_RECORD, total, &[]));
    }
    let has_event_rates = !rules.is_empty();
    for window in ALERT_WINDOWS {
        if window != context.slo.window {
            let query = match window {
                _ if !has_event_rates => promql::error_ratio_query(sli, window),
                // The very expression of the two rates, divided: no second scan.
                RATE_WINDOW => promql::recorded_rates_ratio_query(&context.selector),
                _ if window >= SUMMED_FROM => {
                    promql::recorded_events_ratio_query(&context.selector, window)
                }
                _ => promql::error_ratio_query(sli, window),
            };
            rules.push(context.record(
                promql::error_ratio_record(window),
                query,
                &context.window_labels(window),
            ));
        }
    }
    context.group("sli", None, rules)
}

/// The compliance-window sums of the 5m event rates and their ratio, then the period burn
/// rate and remaining budget, each reading the rules before it in the same evaluation (rules
/// of a group run in order). The sums are what a report from rules reads: one sample per
/// SLO instead of a scan of the window; the ratio of them costs no second scan.
fn long_window_group(context: &SloContext) -> RuleGroup {
    let window = context.slo.window;
    let window_labels = context.window_labels(window);
    let mut rules = Vec::new();
    let ratio = match &context.slo.sli {
        // A raw SLI has no events to weigh by, only a ratio. Averaging its 5m ratios over
        // the window would weigh a quiet night like a busy day, so the rule runs the user's
        // query over the whole window: exact, at the cost of scanning the raw series, which
        // the longer interval of this group keeps rare.
        Sli::Raw(raw) => raw.query(window),
        _ => {
            let sum = |record, rate| {
                context.record(
                    record,
                    promql::recorded_over_time_query(
                        "sum_over_time",
                        rate,
                        &context.selector,
                        window,
                    ),
                    &window_labels,
                )
            };
            rules.push(sum(
                promql::bad_events_sum_record(window),
                promql::BAD_EVENTS_RATE_RECORD,
            ));
            rules.push(sum(
                promql::total_events_sum_record(window),
                promql::TOTAL_EVENTS_RATE_RECORD,
            ));
            promql::recorded_sums_ratio_query(&context.selector, window)
        }
    };
    let budget = context.slo.objective.error_budget();
    rules.extend([
        context.record(promql::error_ratio_record(window), ratio, &window_labels),
        context.record(
            promql::PERIOD_BURN_RATE_RECORD,
            promql::burn_rate_query(&context.selector, window, budget),
            &[],
        ),
        context.record(
            promql::PERIOD_BUDGET_REMAINING_RECORD,
            format!(
                "1 - {}{}",
                promql::PERIOD_BURN_RATE_RECORD,
                context.selector
            ),
            &[],
        ),
    ]);
    context.group("long-sli", Some(LONG_WINDOW_INTERVAL), rules)
}

/// Objective, budget, period and current burn rate as series, and the info series.
fn metadata_group(context: &SloContext) -> RuleGroup {
    let style = context.style;
    let objective = context.slo.objective;
    let window = context.slo.window;
    let mut info = vec![(style.objective_label(), promql::number(objective.percent()))];
    info.extend(context.window_labels(window));
    info.extend(style.info_extra_labels(context.kubernetes_object));
    let constant = |record: &str, value: f64| {
        context.record(record, format!("vector({})", promql::number(value)), &[])
    };
    let rules = vec![
        constant(promql::OBJECTIVE_RECORD, objective.ratio()),
        constant(promql::ERROR_BUDGET_RECORD, objective.error_budget()),
        constant(promql::TIME_PERIOD_DAYS_RECORD, window.days()),
        context.record(
            promql::CURRENT_BURN_RATE_RECORD,
            promql::burn_rate_query(&context.selector, minutes(5), objective.error_budget()),
            &[],
        ),
        context.record(style.info_metric(), "vector(1)".to_string(), &info),
    ];
    context.group("meta", None, rules)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::burn_rate_alerts;

    /// A spec of one SLO per `(name, sli)`, objective 99 over 30d.
    pub fn spec(slos: &[(&str, &str)]) -> Spec {
        let text = "version: 1\nservice: s\nslos:\n".to_string()
            + &slos
                .iter()
                .map(|(name, sli)| {
                    format!(
                        "  - name: {name}\n    objective: 99\n    window: 30d\n    sli: {sli}\n"
                    )
                })
                .collect::<String>();
        crate::spec::parse(&text, "test.yaml").unwrap()
    }

    /// What `step` makes for the first SLO of `spec`.
    pub fn run(step: Step, spec: &Spec, style: LabelStyle) -> RuleGroup {
        step(&SloContext::new(spec, &spec.slos[0], style))
    }

    pub const RATIO: &str = "{ratio: {errors: 'a{s=\"5\"}', total: a}}";
    const RAW: &str = "{raw: {error_ratio: 'sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))'}}";

    fn records(group: &RuleGroup) -> Vec<&str> {
        group
            .rules
            .iter()
            .filter_map(|r| match r {
                Rule::Record { record, .. } => Some(record.as_str()),
                Rule::Alert { .. } => None,
            })
            .collect()
    }

    #[test]
    fn group_names_are_unique_whatever_the_slo_names() {
        let names = ["x", "long-x", "sli-x", "meta-x", "alerts-x", "long-sli-x"];
        let mut spec = spec(&names.map(|name| (name, RATIO)));
        spec.service = "long".to_string();
        let mut names: Vec<String> = generate(&spec, LabelStyle::Native)
            .map(|g| g.name)
            .collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "{names:?}");
    }

    #[test]
    fn alert_windows_are_exactly_those_the_alerts_read() {
        let mut read: Vec<Window> = burn_rate_alerts(Window::from_secs(30 * 86_400))
            .iter()
            .flat_map(|c| [c.long_window, c.short_window])
            .collect();
        read.sort();
        read.dedup();
        assert_eq!(read, ALERT_WINDOWS);
    }

    #[test]
    fn sli_group_records_event_rates_only_for_event_based_slis() {
        let ratio = run(sli_group, &spec(&[("ratio", RATIO)]), LabelStyle::Native);
        let raw = run(sli_group, &spec(&[("raw", RAW)]), LabelStyle::Native);
        assert_eq!(ratio.name, "slo-sli-s-ratio");
        assert_eq!(
            records(&ratio)[..3],
            [
                promql::BAD_EVENTS_RATE_RECORD,
                promql::TOTAL_EVENTS_RATE_RECORD,
                "slo:sli_error:ratio_rate5m"
            ]
        );
        assert_eq!(records(&raw).len(), ALERT_WINDOWS.len());
        assert!(!records(&raw).contains(&promql::BAD_EVENTS_RATE_RECORD));
    }

    #[test]
    fn ratios_read_the_recorded_rates_at_5m_and_from_1d_and_scan_the_raw_series_between() {
        let exprs = |group: &RuleGroup| -> Vec<(String, String)> {
            group
                .rules
                .iter()
                .filter_map(|r| match r {
                    Rule::Record { record, expr, .. } if record.contains("ratio_rate") => {
                        Some((record.clone(), expr.clone()))
                    }
                    _ => None,
                })
                .collect()
        };
        let ratio = run(sli_group, &spec(&[("ratio", RATIO)]), LabelStyle::Native);
        let recorded: Vec<String> = exprs(&ratio)
            .into_iter()
            .filter(|(_, expr)| expr.contains(promql::TOTAL_EVENTS_RATE_RECORD))
            .map(|(record, expr)| {
                // Read, never scanned: no raw selector, no `rate()`.
                assert!(!expr.contains("rate(a"), "{record}: {expr}");
                record
            })
            .collect();
        assert_eq!(
            recorded,
            ["5m", "1d", "3d"].map(|w| format!("slo:sli_error:ratio_rate{w}"))
        );
        // A raw SLI records no rates: each window runs its query.
        let raw = run(sli_group, &spec(&[("raw", RAW)]), LabelStyle::Native);
        assert!(
            exprs(&raw)
                .iter()
                .all(|(_, expr)| !expr.contains(promql::TOTAL_EVENTS_RATE_RECORD))
        );
    }

    #[test]
    fn long_window_group_derives_the_period_series_from_the_window_ratio() {
        let group = run(
            long_window_group,
            &spec(&[("x", RATIO)]),
            LabelStyle::Native,
        );
        assert_eq!(group.interval, Some(LONG_WINDOW_INTERVAL));
        assert_eq!(
            records(&group),
            [
                "slo:sli_bad_events:sum30d_rate5m",
                "slo:sli_total_events:sum30d_rate5m",
                "slo:sli_error:ratio_rate30d",
                promql::PERIOD_BURN_RATE_RECORD,
                promql::PERIOD_BUDGET_REMAINING_RECORD
            ]
        );
        let Rule::Record { expr, .. } = &group.rules[2] else {
            panic!("the third rule records the ratio")
        };
        // The ratio of the two sums: no second scan of the window.
        assert_eq!(
            expr,
            "slo:sli_bad_events:sum30d_rate5m{slo_service=\"s\",slo_name=\"x\"}\n/\n\
             slo:sli_total_events:sum30d_rate5m{slo_service=\"s\",slo_name=\"x\"}"
        );
        let raw = run(
            long_window_group,
            &spec(&[("raw", RAW)]),
            LabelStyle::Native,
        );
        assert_eq!(records(&raw)[0], "slo:sli_error:ratio_rate30d");
    }

    #[test]
    fn a_calendar_slo_labels_its_rolling_window_ratio_with_the_period() {
        let text = format!(
            "version: 1\nservice: s\nslos:\n  - name: x\n    objective: 99\n    window: month\n    sli: {RATIO}\n"
        );
        let spec = crate::spec::parse(&text, "test.yaml").unwrap();
        // The window's two sums and ratio; the info series.
        for (group, labelled_records) in [(long_window_group as Step, 3), (metadata_group, 1)] {
            let group = run(group, &spec, LabelStyle::Native);
            let labelled: Vec<_> = group
                .rules
                .iter()
                .filter_map(|r| match r {
                    Rule::Record { labels, .. } => labels
                        .get(promql::CALENDAR_LABEL)
                        .map(|c| (c, &labels["slo_window"])),
                    _ => None,
                })
                .collect();
            assert_eq!(
                labelled,
                vec![(&"month".to_string(), &"30d".to_string()); labelled_records],
                "{group:?}"
            );
        }
        // Alert factors follow the nominal 30 days.
        assert_eq!(burn_rate_alerts(spec.slos[0].window)[0].factor, 14.4);
    }

    #[test]
    fn metadata_group_labels_the_info_series_in_the_style() {
        let group = run(metadata_group, &spec(&[("x", RATIO)]), LabelStyle::Sloth);
        let Some(Rule::Record { record, labels, .. }) = group.rules.last() else {
            panic!("no info series: {group:?}");
        };
        assert_eq!(record, "sloth_slo_info");
        assert_eq!(labels["sloth_objective"], "99");
        assert_eq!(labels["sloth_window"], "30d");
        assert_eq!(labels["sloth_id"], "s-x");
        assert_eq!(
            (labels["sloth_spec"].as_str(), labels["sloth_mode"].as_str()),
            ("prometheus/v1", "cli-gen-prom")
        );
    }

    #[test]
    fn the_info_series_of_a_kubernetes_object_names_sloths_crd_spec_and_mode() {
        let mut spec = spec(&[("x", RATIO)]);
        spec.manifest = Some(Default::default());
        let group = run(metadata_group, &spec, LabelStyle::Sloth);
        let Some(Rule::Record { labels, .. }) = group.rules.last() else {
            panic!("no info series: {group:?}");
        };
        assert_eq!(
            (labels["sloth_spec"].as_str(), labels["sloth_mode"].as_str()),
            ("sloth.slok.dev/v1", "cli-gen-k8s")
        );
    }
}
