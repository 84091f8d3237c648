//! `slo validate --prometheus-url`: the mistakes only live data reveals. Each SLO's selectors
//! are asked whether they match any series over the SLO's window, and when one does not,
//! why; then whether each is a counter (by name, else by Prometheus' metadata), the latency
//! threshold against the buckets, the `group_by` labels against the total series, and a raw
//! query's values. A bounded set of instant queries, one at a time.

use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr};

use crate::interface::report::QueryErrorKind;
use crate::model::{LatencySli, RatioEvents, Sli, Slo, Spec};
use crate::prometheus::{Answer, Client, QueryError, series_text};
use crate::promql;
use crate::spec::did_you_mean;

/// More groups than this make dashboards unreadable and rules heavy.
const MANY_GROUPS: f64 = 100.0;
/// Name endings of counters, including a histogram's: no need to ask the metadata.
const COUNTER_SUFFIXES: [&str; 3] = ["_total", "_count", "_bucket"];
/// How many existing label values a message lists.
const LISTED_VALUES: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Note,
}

/// One finding about an SLO's field.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub slo: String,
    pub field: String,
    pub severity: Severity,
    pub message: String,
    pub hint: Option<String>,
}

/// A selector the SLI reads, and the field it comes from.
struct Probe {
    field: String,
    selector: String,
    /// An `errors` selector may rightly match nothing: services create it at the first error.
    errors: bool,
}

/// Every finding, SLO by SLO, at `at` (Unix seconds).
pub async fn check(client: &Client, spec: &Spec, at: f64) -> Result<Vec<Finding>, QueryError> {
    let mut checker = Checker {
        client,
        at,
        metric_names: None,
        findings: Vec::new(),
    };
    for slo in &spec.slos {
        checker.slo(slo).await?;
    }
    Ok(checker.findings)
}

struct Checker<'a> {
    client: &'a Client,
    at: f64,
    /// Every metric name, asked once, when a name turns out to be missing.
    metric_names: Option<Vec<String>>,
    findings: Vec<Finding>,
}

impl Checker<'_> {
    async fn slo(&mut self, slo: &Slo) -> Result<(), QueryError> {
        let window = slo.window.to_string();
        let mut all_match = true;
        for probe in probes(&slo.sli) {
            all_match &= self.probe(slo, &probe, &window).await?;
        }
        if !all_match {
            return Ok(());
        }
        for probe in probes(&slo.sli) {
            self.counter(slo, &probe).await?;
        }
        match &slo.sli {
            Sli::Latency(latency) => self.threshold(slo, latency, &window).await?,
            Sli::Raw(raw) => self.raw(slo, &raw.query(slo.window)).await?,
            Sli::Ratio(_) => {}
        }
        if let Some(total) = total_selector(&slo.sli) {
            self.groups(slo, &total, &window).await?;
        }
        Ok(())
    }

    async fn query(&self, promql: &str) -> Result<Answer, QueryError> {
        self.client.query(promql, self.at).await
    }

    /// The value of a one-sample query; nothing counts as 0.
    async fn count(&self, promql: &str) -> Result<f64, QueryError> {
        Ok(self
            .query(promql)
            .await?
            .samples
            .first()
            .map_or(0.0, |s| s.value))
    }

    /// The values `label` takes on the series of metric `name` over the window.
    async fn label_values(
        &self,
        name: &str,
        label: &str,
        window: &str,
    ) -> Result<Vec<String>, QueryError> {
        let answer = self
            .query(&format!(
                "group by ({label}) (last_over_time({{__name__=\"{}\"}}[{window}]))",
                promql::escape(name)
            ))
            .await?;
        Ok(answer
            .samples
            .into_iter()
            .filter_map(|s| s.labels.get(label).cloned())
            .collect())
    }

    fn report(
        &mut self,
        slo: &Slo,
        field: &str,
        severity: Severity,
        message: String,
        hint: Option<String>,
    ) {
        self.findings.push(Finding {
            slo: slo.name.clone(),
            field: field.to_string(),
            severity,
            message,
            hint,
        });
    }

    /// Whether the probe's selector matches a series; when not, reports why.
    async fn probe(&mut self, slo: &Slo, probe: &Probe, window: &str) -> Result<bool, QueryError> {
        let selector = &probe.selector;
        if self
            .count(&format!("count(last_over_time({selector}[{window}]))"))
            .await?
            > 0.0
        {
            return Ok(true);
        }
        let Some((name, matchers)) = name_and_matchers(selector) else {
            return Ok(true);
        };
        let nothing = format!("`{selector}` matches no series in the last {window}");
        let metric_exists = self
            .count(&format!(
                "count(last_over_time({{__name__=\"{}\"}}[{window}]))",
                promql::escape(&name)
            ))
            .await?
            > 0.0;
        if !metric_exists {
            let names = self.names().await?;
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let hint = match did_you_mean(&name, &names) {
                Some(close) => format!("did you mean `{close}`?"),
                None => "no metric has a close name; is the exporter scraped?".to_string(),
            };
            let message = format!("{nothing}: no metric is named `{name}`");
            self.report(slo, &probe.field, Severity::Error, message, Some(hint));
            return Ok(false);
        }
        if probe.errors {
            let message =
                format!("{nothing}: no such error has happened yet (or its labels are misspelt)");
            self.report(slo, &probe.field, Severity::Note, message, None);
            return Ok(true);
        }
        for (label, value) in matchers {
            let values = self.label_values(&name, &label, window).await?;
            if !values.contains(&value) {
                let message = format!("{nothing}: no `{name}` series has {label}=\"{value}\"");
                let hint = match closest(&value, values) {
                    listed if listed.is_empty() => format!("no `{name}` series has `{label}`"),
                    listed => format!("{label} is one of: {}", listed.join(", ")),
                };
                self.report(slo, &probe.field, Severity::Error, message, Some(hint));
                return Ok(false);
            }
        }
        let message = format!("{nothing}, though each of its labels matches some `{name}` series");
        let hint = "no series has all of them at once".to_string();
        self.report(slo, &probe.field, Severity::Error, message, Some(hint));
        Ok(false)
    }

    /// An SLI counts events, so what it reads must be a counter: a name with a counter's
    /// suffix, else a metric Prometheus' metadata types as one. A gauge's increase counts nothing.
    async fn counter(&mut self, slo: &Slo, probe: &Probe) -> Result<(), QueryError> {
        let Some((name, _)) = name_and_matchers(&probe.selector) else {
            return Ok(());
        };
        if COUNTER_SUFFIXES.iter().any(|suffix| name.ends_with(suffix)) {
            return Ok(());
        }
        let kind = match self.client.metric_type(&name).await {
            Ok(kind) => kind,
            // A server without the metadata API (some query frontends): nothing to learn.
            Err(e) if e.kind == (QueryErrorKind::HttpStatus { status: 404 }) => None,
            Err(e) => return Err(e),
        };
        let (severity, message) = match kind.as_deref() {
            Some("counter" | "histogram") => return Ok(()),
            Some("gauge") => (
                Severity::Error,
                format!(
                    "`{name}` is a gauge (Prometheus' metadata): it goes up and down, so its increase counts no events"
                ),
            ),
            Some(other) => (
                Severity::Warning,
                format!(
                    "`{name}` is typed `{other}` in Prometheus' metadata, not counter: its increase counts events only if it never goes down"
                ),
            ),
            None => (
                Severity::Warning,
                format!(
                    "Prometheus has no metadata for `{name}`, so whether it is a counter cannot be checked"
                ),
            ),
        };
        let hint = "count events with a counter (its name ends in `_total`)".to_string();
        self.report(slo, &probe.field, severity, message, Some(hint));
        Ok(())
    }

    async fn names(&mut self) -> Result<Vec<String>, QueryError> {
        if self.metric_names.is_none() {
            let answer = self
                .query("group by (__name__) ({__name__=~\".+\"})")
                .await?;
            let names = answer
                .samples
                .into_iter()
                .filter_map(|s| s.labels.get("__name__").cloned())
                .collect();
            self.metric_names = Some(names);
        }
        Ok(self.metric_names.clone().unwrap_or_default())
    }

    /// The threshold must be one of the buckets' `le`, in whatever text form it is written.
    async fn threshold(
        &mut self,
        slo: &Slo,
        latency: &LatencySli,
        window: &str,
    ) -> Result<(), QueryError> {
        let answer = self
            .query(&format!(
                "group by (le) (last_over_time({}_bucket{}[{window}]))",
                latency.histogram, latency.selector
            ))
            .await?;
        let mut bounds: Vec<f64> = answer
            .samples
            .iter()
            .filter_map(|s| s.labels.get("le")?.parse().ok())
            .collect();
        bounds.sort_by(f64::total_cmp);
        bounds.dedup();
        if !bounds.contains(&latency.threshold) {
            let listed: Vec<String> = bounds.iter().map(|b| bound_text(*b)).collect();
            self.report(
                slo,
                "sli.latency.threshold",
                Severity::Error,
                format!(
                    "{} is not a bucket boundary of `{}_bucket{}`",
                    promql::number(latency.threshold),
                    latency.histogram,
                    latency.selector
                ),
                Some(format!("its boundaries: {}", listed.join(", "))),
            );
        }
        Ok(())
    }

    /// Every `group_by` label must be on the total series; the number of groups is reported.
    async fn groups(&mut self, slo: &Slo, total: &str, window: &str) -> Result<(), QueryError> {
        let group_by = slo.sli.group_by();
        if group_by.is_empty() {
            return Ok(());
        }
        let field = format!("sli.{}.group_by", slo.sli.kind());
        let mut missing = Vec::new();
        for label in group_by {
            let carried = self
                .count(&format!(
                    "count(last_over_time({}[{window}]))",
                    with_label(total, label)
                ))
                .await?;
            if carried == 0.0 {
                missing.push(label.as_str());
            }
        }
        for label in &missing {
            let message = format!("no series of `{total}` carries the label `{label}`");
            let hint = "group by labels the total series carry".to_string();
            self.report(slo, &field, Severity::Error, message, Some(hint));
        }
        if !missing.is_empty() {
            return Ok(());
        }
        let labels = group_by.join(", ");
        let groups = self
            .count(&format!(
                "count(group by ({labels}) (last_over_time({total}[{window}])))"
            ))
            .await?;
        let (severity, hint) = if groups > MANY_GROUPS {
            let hint = format!(
                "more than {MANY_GROUPS} groups make dashboards unreadable and rules heavy; group by fewer or coarser labels"
            );
            (Severity::Warning, Some(hint))
        } else {
            (Severity::Note, None)
        };
        self.report(
            slo,
            &field,
            severity,
            format!("{groups} groups by {labels}"),
            hint,
        );
        Ok(())
    }

    /// A raw query must return error ratios: values from 0 to 1.
    async fn raw(&mut self, slo: &Slo, query: &str) -> Result<(), QueryError> {
        const FIELD: &str = "sli.raw.error_ratio";
        let answer = self.query(query).await?;
        if answer.samples.is_empty() {
            let message = format!("returns nothing over the window: `{query}`");
            let hint = "check its metric names and labels".to_string();
            self.report(slo, FIELD, Severity::Error, message, Some(hint));
        }
        for sample in answer.samples {
            if !(0.0..=1.0).contains(&sample.value) {
                let message = format!(
                    "returns {} for {}, not a ratio from 0 to 1",
                    promql::number(sample.value),
                    series_text(&sample.labels)
                );
                let hint = "divide bad events by total events".to_string();
                self.report(slo, FIELD, Severity::Error, message, Some(hint));
            }
        }
        Ok(())
    }
}

/// The selectors an SLI reads, with their fields.
fn probes(sli: &Sli) -> Vec<Probe> {
    let probe = |field: &str, selector: String, errors: bool| Probe {
        field: field.to_string(),
        selector,
        errors,
    };
    match sli {
        Sli::Ratio(ratio) => {
            let events = match &ratio.events {
                RatioEvents::Errors(s) => probe("sli.ratio.errors", s.0.clone(), true),
                RatioEvents::Good(s) => probe("sli.ratio.good", s.0.clone(), false),
            };
            vec![
                events,
                probe("sli.ratio.total", ratio.total.0.clone(), false),
            ]
        }
        Sli::Latency(l) => ["_bucket", "_count"]
            .iter()
            .map(|suffix| {
                let selector = format!("{}{suffix}{}", l.histogram, l.selector);
                probe("sli.latency.histogram", selector, false)
            })
            .collect(),
        Sli::Raw(_) => Vec::new(),
    }
}

fn total_selector(sli: &Sli) -> Option<String> {
    match sli {
        Sli::Ratio(ratio) => Some(ratio.total.0.clone()),
        Sli::Latency(l) => Some(format!("{}_count{}", l.histogram, l.selector)),
        Sli::Raw(_) => None,
    }
}

/// The metric name of a selector and its equality matchers (other than the name).
fn name_and_matchers(selector: &str) -> Option<(String, Vec<(String, String)>)> {
    let Ok(Expr::VectorSelector(vs)) = parser::parse(selector) else {
        return None;
    };
    let mut name = vs.name.clone();
    let mut equalities = Vec::new();
    for m in &vs.matchers.matchers {
        match (&m.op, m.name.as_str()) {
            (MatchOp::Equal, "__name__") => name = Some(m.value.clone()),
            (MatchOp::Equal, label) => equalities.push((label.to_string(), m.value.clone())),
            _ => {}
        }
    }
    Some((name?, equalities))
}

/// `selector` also requiring `label` to be set.
fn with_label(selector: &str, label: &str) -> String {
    match selector.strip_suffix('}') {
        Some(open) if open.trim_end().ends_with('{') => format!("{open}{label}!=\"\"}}"),
        Some(open) => format!("{open},{label}!=\"\"}}"),
        None => format!("{selector}{{{label}!=\"\"}}"),
    }
}

/// Up to [`LISTED_VALUES`] of `values`, the most like `value` first.
fn closest(value: &str, mut values: Vec<String>) -> Vec<String> {
    values.sort_by(|a, b| {
        let score = |v: &str| strsim::jaro_winkler(value, v);
        score(b).total_cmp(&score(a)).then_with(|| a.cmp(b))
    });
    values.truncate(LISTED_VALUES);
    values
}

fn bound_text(bound: f64) -> String {
    if bound.is_infinite() {
        "+Inf".to_string()
    } else {
        promql::number(bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_split_into_name_and_equalities() {
        let (name, matchers) =
            name_and_matchers("http_requests_total{job=\"api\",status=~\"5..\"}").unwrap();
        assert_eq!(name, "http_requests_total");
        assert_eq!(matchers, [("job".to_string(), "api".to_string())]);
    }

    #[test]
    fn a_label_requirement_joins_any_selector() {
        assert_eq!(with_label("m", "h"), "m{h!=\"\"}");
        assert_eq!(with_label("m{}", "h"), "m{h!=\"\"}");
        assert_eq!(with_label("m{a=\"b\"}", "h"), "m{a=\"b\",h!=\"\"}");
    }
}
