//! `slo generate-rules`: Prometheus recording rules and multiwindow multi-burn-rate alerts.
//!
//! [`generate`] turns a spec into [`RuleGroup`]s (pure data); [`write`] and [`render`] emit
//! them as YAML. Per SLO there are up to four groups (no alerts group when its alerts are
//! off), in the order `promtool test rules` evaluates them:
//! - `slo-sli-<service>-<slo>`: the 5m event rates and the error ratios over the alerting
//!   windows, from the raw series;
//! - `slo-long-sli-<service>-<slo>`: the compliance-window ratio and what derives from it,
//!   every [`LONG_WINDOW_INTERVAL`];
//! - `slo-meta-<service>-<slo>`: objective, budget, period, current burn rate, info series;
//! - `slo-alerts-<service>-<slo>`: page and ticket burn alerts and the absent-metrics alert.
//!
//! No alert has a `for:`. A burn alert's short window already demands that the burn is still
//! going on, so holding would only delay a page the long window has confirmed; the absent
//! alert's `absent_over_time` range already waits out the silence it tolerates.

use std::fmt::Write;

use crate::model::{
    AlertPolicy, BURN_RATE_WINDOWS, BurnRateAlert, Labels, Severity, Sli, Slo, Spec, Window,
    burn_rate_alerts,
};
use crate::promql::{self, LabelStyle};

#[derive(Debug, Clone, PartialEq)]
pub struct RuleGroup {
    pub name: String,
    /// `None`: Prometheus' global evaluation interval.
    pub interval: Option<Window>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    Record {
        record: String,
        expr: String,
        labels: Labels,
    },
    Alert {
        alert: String,
        expr: String,
        labels: Labels,
        annotations: Labels,
    },
}

/// How often the compliance-window rules run. They sum a whole window of 5m rate samples
/// (43,200 per series for 30d at a 1m interval), and a ratio over weeks barely moves in
/// minutes; 2m is under half the default 5m lookback, so a query at any instant still finds a
/// sample even when one evaluation is missed.
pub const LONG_WINDOW_INTERVAL: Window = Window::from_secs(120);

const fn minutes(m: u64) -> Window {
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

/// How long a silent exporter may go unnoticed: the fastest page's short window, after which
/// the burn-rate alerts are blind.
const ABSENT_AFTER: Window = BURN_RATE_WINDOWS[0];

/// The rule groups for every SLO of `spec`, up to four per SLO, made as they are consumed.
pub fn generate(spec: &Spec, style: LabelStyle) -> impl Iterator<Item = RuleGroup> + '_ {
    spec.slos
        .iter()
        .flat_map(move |slo| SloRules::new(&spec.service, slo, style).groups())
}

/// One SLO with the names and labels every one of its rules shares.
struct SloRules<'a> {
    service: &'a str,
    slo: &'a Slo,
    style: LabelStyle,
    /// The SLO's identifying labels merged over the spec's labels.
    labels: Labels,
    /// Selects this SLO's recorded series.
    selector: String,
}

impl<'a> SloRules<'a> {
    fn new(service: &'a str, slo: &'a Slo, style: LabelStyle) -> Self {
        let mut labels = slo.labels.clone();
        labels.extend(
            style
                .slo_labels(service, slo)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v)),
        );
        Self {
            service,
            slo,
            style,
            labels,
            selector: style.slo_selector(service, slo),
        }
    }

    fn groups(&self) -> Vec<RuleGroup> {
        let id = format!("{}-{}", self.service, self.slo.name);
        vec![
            RuleGroup {
                name: format!("slo-sli-{id}"),
                interval: None,
                rules: self.sli_rules(),
            },
            RuleGroup {
                // No prefix may start another (`slo-sli-long-`, once, made service `long`'s SLO
                // `x` collide with its SLO `long-x`): Prometheus rejects repeated group names.
                name: format!("slo-long-sli-{id}"),
                interval: Some(LONG_WINDOW_INTERVAL),
                rules: self.long_window_rules(),
            },
            RuleGroup {
                name: format!("slo-meta-{id}"),
                interval: None,
                rules: self.metadata_rules(),
            },
            RuleGroup {
                name: format!("slo-alerts-{id}"),
                interval: None,
                rules: self.alert_rules(),
            },
        ]
        .into_iter()
        .filter(|g| !g.rules.is_empty())
        .collect()
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

    fn window_label(&self, window: Window) -> [(&str, String); 1] {
        [(self.style.window_label(), window.to_string())]
    }

    /// 5m event rates (what the compliance-window ratio sums) and the alert windows' ratios.
    fn sli_rules(&self) -> Vec<Rule> {
        let sli = &self.slo.sli;
        let mut rules = Vec::new();
        if let Some(bad) = promql::bad_events_rate_query(sli) {
            let total = promql::event_queries(sli, minutes(5), promql::RangeFn::Rate)
                .expect("an SLI with bad events has a total")
                .total_query;
            rules.push(self.record(promql::BAD_EVENTS_RATE_RECORD, bad, &[]));
            rules.push(self.record(promql::TOTAL_EVENTS_RATE_RECORD, total, &[]));
        }
        for window in ALERT_WINDOWS {
            if window != self.slo.window {
                rules.push(self.record(
                    promql::error_ratio_record(window),
                    promql::error_ratio_query(sli, window),
                    &self.window_label(window),
                ));
            }
        }
        rules
    }

    /// The compliance-window ratio, then the period burn rate and remaining budget, which
    /// read it in the same evaluation (rules of a group run in order).
    fn long_window_rules(&self) -> Vec<Rule> {
        let window = self.slo.window;
        let ratio = match &self.slo.sli {
            // A raw SLI has no events to weigh by, only a ratio. Averaging its 5m ratios over
            // the window would weigh a quiet night like a busy day, so the rule runs the
            // user's query over the whole window: exact, at the cost of scanning the raw
            // series, which the longer interval of this group keeps rare.
            Sli::Raw(raw) => raw.query(window),
            _ => promql::recorded_events_ratio_query(&self.selector, window),
        };
        let budget = self.slo.objective.error_budget();
        vec![
            self.record(
                promql::error_ratio_record(window),
                ratio,
                &self.window_label(window),
            ),
            self.record(
                promql::PERIOD_BURN_RATE_RECORD,
                promql::burn_rate_query(&self.selector, window, budget),
                &[],
            ),
            self.record(
                promql::PERIOD_BUDGET_REMAINING_RECORD,
                format!("1 - {}{}", promql::PERIOD_BURN_RATE_RECORD, self.selector),
                &[],
            ),
        ]
    }

    fn metadata_rules(&self) -> Vec<Rule> {
        let objective = self.slo.objective;
        let window = self.slo.window;
        let mut info = vec![
            (
                self.style.objective_label(),
                promql::number(objective.percent()),
            ),
            (self.style.window_label(), window.to_string()),
        ];
        info.extend(self.style.info_extra_labels());
        vec![
            self.record(
                promql::OBJECTIVE_RECORD,
                format!("vector({})", promql::number(objective.ratio())),
                &[],
            ),
            self.record(
                promql::ERROR_BUDGET_RECORD,
                format!("vector({})", promql::number(objective.error_budget())),
                &[],
            ),
            self.record(
                promql::TIME_PERIOD_DAYS_RECORD,
                format!("vector({})", promql::number(window.days())),
                &[],
            ),
            self.record(
                promql::CURRENT_BURN_RATE_RECORD,
                promql::burn_rate_query(&self.selector, minutes(5), objective.error_budget()),
                &[],
            ),
            self.record(self.style.info_metric(), "vector(1)".to_string(), &info),
        ]
    }

    fn alert_rules(&self) -> Vec<Rule> {
        let alerting = &self.slo.alerting;
        let mut rules: Vec<Rule> = [
            (Severity::Page, &alerting.page),
            (Severity::Ticket, &alerting.ticket),
        ]
        .into_iter()
        .filter(|(_, policy)| policy.enabled)
        .map(|(severity, policy)| self.burn_alert(severity, policy))
        .collect();
        // Without its series an SLI is empty, and an empty SLI burns nothing: the burn alerts
        // would stay silent through an outage of the exporter. Raw SLIs name no series to
        // watch. An SLO with every alert turned off gets none.
        if !rules.is_empty()
            && let Some(expr) = promql::absent_query(&self.slo.sli, ABSENT_AFTER)
        {
            rules.push(self.absent_alert(expr, &alerting.ticket));
        }
        rules
    }

    /// The labels every alert of this SLO carries (on top of those of its expression).
    fn alert_labels(&self, severity: &str, policy: &AlertPolicy) -> Labels {
        let mut labels = self.labels.clone();
        labels.insert(promql::SEVERITY_LABEL.to_string(), severity.to_string());
        if let Some(label) = self.style.style_severity_label() {
            labels.insert(label.to_string(), severity.to_string());
        }
        labels.extend(policy.labels.clone());
        labels
    }

    /// Who is affected, e.g. `demo-api availability` or `demo-api availability (handler=x)`.
    fn subject(&self) -> String {
        let group_by = self.slo.sli.group_by();
        let mut subject = format!("{} {}", self.service, self.slo.name);
        if !group_by.is_empty() {
            let groups: Vec<String> = group_by
                .iter()
                .map(|l| format!("{l}={{{{ $labels.{l} }}}}"))
                .collect();
            let _ = write!(subject, " ({})", groups.join(", "));
        }
        subject
    }

    fn objective_text(&self) -> String {
        format!(
            "{}% over {}",
            promql::number(self.slo.objective.percent()),
            self.slo.window
        )
    }

    fn burn_alert(&self, severity: Severity, policy: &AlertPolicy) -> Rule {
        let window = self.slo.window;
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
        let mut annotations = Labels::from([
            (
                "summary".to_string(),
                format!(
                    "{} is burning its error budget too fast ({})",
                    self.subject(),
                    severity.name()
                ),
            ),
            ("objective".to_string(), self.objective_text()),
            (
                "description".to_string(),
                format!(
                    "The error ratio over the long window is {{{{ $value | humanizePercentage }}}}, against a budget of {}% of events over {window}. This alert fires when errors spend {}.",
                    promql::number(self.slo.objective.error_budget() * 100.0),
                    spends.join(", or ")
                ),
            ),
        ]);
        annotations.extend(policy.annotations.clone());
        Rule::Alert {
            alert: promql::BURN_ALERT.to_string(),
            expr: promql::burn_alert_query(
                self.style,
                &self.selector,
                &conditions,
                self.slo.objective.error_budget(),
            ),
            labels: self.alert_labels(severity.name(), policy),
            annotations,
        }
    }

    fn absent_alert(&self, expr: String, ticket: &AlertPolicy) -> Rule {
        let selector = promql::absence_selector(&self.slo.sli).unwrap_or_default();
        let mut annotations = Labels::from([
            (
                "summary".to_string(),
                format!(
                    "{} {} has no SLI data: {selector} has been absent for {ABSENT_AFTER}",
                    self.service, self.slo.name
                ),
            ),
            ("objective".to_string(), self.objective_text()),
            (
                "description".to_string(),
                "Without its series the SLI cannot be computed and the burn-rate alerts cannot fire. Check the exporter, the scrape target and the selector in the spec.".to_string(),
            ),
        ]);
        annotations.extend(ticket.annotations.clone());
        Rule::Alert {
            alert: promql::ABSENT_ALERT.to_string(),
            expr,
            labels: self.alert_labels(Severity::Ticket.name(), ticket),
            annotations,
        }
    }
}

// ---- YAML ----

/// Where the rules go: a rule file, or a prometheus-operator manifest wrapping the groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    RuleFile,
    PrometheusRule { namespace: String, name: String },
}

/// The YAML text of `groups`, with a header naming the spec they come from.
///
/// Hand-written rather than serialized: the emitter is small, its output is stable by
/// construction, and it writes every expression as a `|-` block so PromQL reads as written,
/// quotes and all; other strings are plain only where YAML cannot misread them (no `99.5`
/// turning into a number, no `no` into a boolean), quoted everywhere else.
pub fn render(groups: &[RuleGroup], source: &str, output: &Output) -> String {
    let mut out = Vec::new();
    write(&mut out, groups.iter().cloned(), source, output).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("the emitter writes UTF-8")
}

/// Writes what [`render`] returns to `out` one group at a time, so memory stays flat however
/// many SLOs the spec holds.
pub fn write(
    out: &mut dyn std::io::Write,
    groups: impl IntoIterator<Item = RuleGroup>,
    source: &str,
    output: &Output,
) -> std::io::Result<()> {
    let mut text = String::new();
    // A control character (a newline in a file name) would end the comment early.
    let source = source.replace(char::is_control, "?");
    let _ = writeln!(
        text,
        "# Generated by `slo generate-rules` from {source}. Do not edit: change the spec and generate again."
    );
    let indent = match output {
        Output::RuleFile => 0,
        Output::PrometheusRule { namespace, name } => {
            text.push_str(
                "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n",
            );
            let _ = writeln!(text, "  name: {}", scalar(name));
            let _ = writeln!(text, "  namespace: {}", scalar(namespace));
            text.push_str("  labels:\n    app.kubernetes.io/managed-by: slo\nspec:\n");
            2
        }
    };
    let pad = " ".repeat(indent);
    let mut groups = groups.into_iter().peekable();
    if groups.peek().is_none() {
        let _ = writeln!(text, "{pad}groups: []");
        return out.write_all(text.as_bytes());
    }
    let _ = writeln!(text, "{pad}groups:");
    for group in groups {
        write_group(&mut text, &pad, &group);
        out.write_all(text.as_bytes())?;
        text.clear();
    }
    Ok(())
}

fn write_group(out: &mut String, pad: &str, group: &RuleGroup) {
    let _ = writeln!(out, "{pad}  - name: {}", scalar(&group.name));
    if let Some(interval) = group.interval {
        let _ = writeln!(out, "{pad}    interval: {}", scalar(&interval.to_string()));
    }
    let _ = writeln!(out, "{pad}    rules:");
    let item = format!("{pad}      ");
    for rule in &group.rules {
        match rule {
            Rule::Record {
                record,
                expr,
                labels,
            } => {
                let _ = writeln!(out, "{item}- record: {}", scalar(record));
                write_expr(out, &item, expr);
                write_map(out, &item, "labels", labels);
            }
            Rule::Alert {
                alert,
                expr,
                labels,
                annotations,
            } => {
                let _ = writeln!(out, "{item}- alert: {}", scalar(alert));
                write_expr(out, &item, expr);
                write_map(out, &item, "labels", labels);
                write_map(out, &item, "annotations", annotations);
            }
        }
    }
}

fn write_expr(out: &mut String, item: &str, expr: &str) {
    let expr = expr.trim();
    if expr
        .chars()
        .all(|c| c == '\n' || c == '\t' || !c.is_control())
    {
        let _ = writeln!(out, "{item}  expr: |-");
        for line in expr.lines() {
            if line.is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, "{item}    {line}");
            }
        }
    } else {
        let _ = writeln!(out, "{item}  expr: {}", scalar(expr));
    }
}

fn write_map(out: &mut String, item: &str, key: &str, map: &Labels) {
    if map.is_empty() {
        return;
    }
    let _ = writeln!(out, "{item}  {key}:");
    for (k, v) in map {
        let _ = writeln!(out, "{item}    {}: {}", scalar(k), scalar(v));
    }
}

/// A YAML scalar that reads back as the string `s`: plain when no YAML 1.1 or 1.2 reader can
/// take it for anything else; else single-quoted, which needs no escapes but for `'`; else
/// (control characters) double-quoted with JSON's escapes, which YAML shares.
fn scalar(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else if !s.chars().any(char::is_control) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        serde_json::to_string(s).expect("a string always serializes")
    }
}

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let chars_ok = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':'));
    let reserved = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"]
        .contains(&s.to_ascii_lowercase().as_str());
    let start_ok = first.is_ascii_alphabetic()
        || first == '_'
        // Digits lead numbers, except in durations such as `5m` or `1h30m`.
        || (first.is_ascii_digit() && Window::parse(s).is_ok() && s.ends_with(|c: char| c.is_ascii_alphabetic()));
    chars_ok && !reserved && start_ok && !s.ends_with(':')
}

// ---- PrometheusRule names ----

/// The manifest's name: `name` when given, else `<service>-slos`; checked as Kubernetes
/// checks object names (a DNS subdomain).
pub fn manifest_name(service: &str, name: Option<&str>) -> Result<String, String> {
    let name = match name {
        Some(n) => n.to_string(),
        None => format!("{}-slos", service.replace('_', "-")),
    };
    if is_dns_subdomain(&name) {
        Ok(name)
    } else {
        Err(format!(
            "`{name}` is not a valid Kubernetes object name: use lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit, at most 253 characters"
        ))
    }
}

/// Checks a namespace as Kubernetes does (a DNS label).
pub fn check_namespace(namespace: &str) -> Result<(), String> {
    if namespace.len() <= 63 && is_dns_label(namespace) {
        Ok(())
    } else {
        Err(format!(
            "`{namespace}` is not a valid Kubernetes namespace: use lowercase letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters"
        ))
    }
}

fn is_dns_label(s: &str) -> bool {
    let edge = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.starts_with(edge)
        && s.ends_with(edge)
        && s.chars().all(|c| edge(c) || c == '-')
}

fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(d: u64) -> Window {
        Window::from_secs(d * 86_400)
    }

    #[test]
    fn group_names_are_unique_whatever_the_slo_names() {
        let text = "version: 1\nservice: long\nslos:\n".to_string()
            + &["x", "long-x", "sli-x", "meta-x", "alerts-x", "long-sli-x"]
                .map(|name| {
                    format!(
                        "  - name: {name}\n    objective: 99\n    window: 30d\n    sli: \
                         {{ratio: {{errors: 'a{{s=\"5\"}}', total: a}}}}\n"
                    )
                })
                .concat();
        let spec = crate::spec::parse(&text, "test.yaml").unwrap();
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
        let mut read: Vec<Window> = burn_rate_alerts(days(30))
            .iter()
            .flat_map(|c| [c.long_window, c.short_window])
            .collect();
        read.sort();
        read.dedup();
        assert_eq!(read, ALERT_WINDOWS);
    }

    #[test]
    fn scalars_are_plain_only_when_unambiguous() {
        for plain in [
            "5m",
            "1h30m",
            "slo:sli_error:ratio_rate5m",
            "demo-api",
            "platform",
        ] {
            assert_eq!(scalar(plain), plain);
        }
        for (text, quoted) in [
            ("99.5", "'99.5'"),
            ("1e3", "'1e3'"),
            ("no", "'no'"),
            ("Off", "'Off'"),
            ("", "''"),
            ("a: b", "'a: b'"),
            ("x:", "'x:'"),
            ("{{ $labels.x }}", "'{{ $labels.x }}'"),
            ("it's", "'it''s'"),
            ("say \"hi\"\n", "\"say \\\"hi\\\"\\n\""),
            ("12:30", "'12:30'"),
        ] {
            assert_eq!(scalar(text), quoted);
        }
    }

    /// The groups as a YAML reader should see them.
    fn as_json(groups: &[RuleGroup]) -> serde_json::Value {
        let rules = |g: &RuleGroup| -> Vec<serde_json::Value> {
            g.rules
                .iter()
                .map(|r| match r {
                    Rule::Record {
                        record,
                        expr,
                        labels,
                    } => serde_json::json!({"record": record, "expr": expr, "labels": labels}),
                    Rule::Alert {
                        alert,
                        expr,
                        labels,
                        annotations,
                    } => serde_json::json!({
                        "alert": alert, "expr": expr, "labels": labels, "annotations": annotations
                    }),
                })
                .collect()
        };
        let groups: Vec<serde_json::Value> = groups
            .iter()
            .map(|g| match g.interval {
                Some(i) => serde_json::json!({"name": g.name, "interval": i.to_string(), "rules": rules(g)}),
                None => serde_json::json!({"name": g.name, "rules": rules(g)}),
            })
            .collect();
        serde_json::json!({ "groups": groups })
    }

    #[test]
    fn yaml_reads_back_as_the_rules_whatever_the_strings_hold() {
        let nasty = [
            "plain",
            "99.5",
            "yes",
            "~",
            "null",
            "- item",
            "? key",
            "a: b",
            "a #b",
            "#c",
            "x:",
            "'single'",
            "\"double\"",
            "back\\slash",
            "{{ $labels.x }}",
            "[1, 2]",
            "&anchor",
            "*alias",
            "!tag",
            "%dir",
            "@at",
            "`tick`",
            "|",
            ">",
            "tab\there",
            "line\nbreak",
            "trailing ",
            " leading",
            "ünïcödé ✓",
            "bell\u{7}",
            "",
        ];
        let labels: Labels = nasty
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("l{i:02}"), v.to_string()))
            .collect();
        let groups = vec![RuleGroup {
            name: "g: #1".to_string(),
            interval: Some(LONG_WINDOW_INTERVAL),
            rules: vec![
                Rule::Record {
                    record: "slo:x:ratio".to_string(),
                    expr: "sum(\n  rate(x{a=\"b\"}[5m])\n\n\t# comment\n)".to_string(),
                    labels: labels.clone(),
                },
                Rule::Alert {
                    alert: "A".to_string(),
                    expr: "up{job=\"it's\"} == 0".to_string(),
                    labels: Labels::new(),
                    annotations: labels,
                },
            ],
        }];
        let text = render(&groups, "x.yaml", &Output::RuleFile);
        let read: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let mut expected = as_json(&groups);
        // An empty map is left out.
        expected["groups"][0]["rules"][1]
            .as_object_mut()
            .unwrap()
            .remove("labels");
        assert_eq!(read, expected, "{text}");
    }

    #[test]
    fn manifest_names_are_checked_like_kubernetes_does() {
        assert_eq!(
            manifest_name("demo_api", None).unwrap(),
            "demo_api-slos".replace('_', "-")
        );
        assert_eq!(manifest_name("x", Some("a.b-c")).unwrap(), "a.b-c");
        assert!(manifest_name("x", Some("Upper")).is_err());
        assert!(manifest_name("x", Some("-a")).is_err());
        assert!(check_namespace("monitoring").is_ok());
        assert!(check_namespace("a.b").is_err());
        assert!(check_namespace(&"a".repeat(64)).is_err());
    }
}
