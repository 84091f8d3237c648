//! OpenSLO specs: `openslo/v1` (kinds `SLO`, `SLI`, `DataSource`, an SLO naming its SLI by
//! `indicatorRef` and a metric its DataSource by `metricSourceRef`) and `openslo/v1alpha`
//! (kind `SLO`, ratio metrics under each objective), as separate documents or a top-level list.
//!
//! A reference may name a document of any `--config` file, so [`Definitions::gather`] reads
//! every DataSource, then every SLI, before any SLO is read. What `slo` cannot measure the
//! same way (time slices, composite SLOs, sources other than Prometheus) is an error naming
//! the field; like Sloth's formats, an unknown key is only a warning.

use std::collections::BTreeMap;

use promql_parser::parser::Expr;

use super::prometheus as prom;
use super::{slo_v1, sloth};
use crate::model::{
    Alerting, Calendar, Labels, LatencySli, Objective, Period, RatioEvents, RatioSli, RawSli,
    Selector, Sli, Slo, Spec, WINDOW_PLACEHOLDER, Window,
};
use crate::promql;
use crate::spec::reader::{
    Field, Mapping, Node, Read, Reader, UnknownKeys, Value, peek, peek_string,
};
use crate::spec::{Diagnostic, SpecError};

const API_PREFIX: &str = "openslo/";
const V1: &str = "openslo/v1";
const V1ALPHA: &str = "openslo/v1alpha";

/// Whether a document says it is OpenSLO (of any version, so an unsupported one is told so).
pub fn is_openslo(root: &Node) -> bool {
    peek_string(root, "apiVersion").is_some_and(|v| v.starts_with(API_PREFIX))
}

/// The documents a YAML document holds: the items of a top-level list of OpenSLO objects
/// (Nobl9 writes files so), or the document itself.
pub fn documents(root: Node) -> Vec<Node> {
    match root.value {
        Value::Seq(items) if !items.is_empty() && items.iter().all(is_openslo) => items,
        value => vec![Node {
            value,
            pos: root.pos,
        }],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V1Alpha,
}

const OBJECT_FIELDS: &[Field] = &[
    Field::required("apiVersion"),
    Field::required("kind"),
    Field::required("metadata"),
    Field::required("spec"),
];
const METADATA_FIELDS: &[Field] = &[
    Field::required("name"),
    Field::optional("displayName"),
    Field::optional("labels"),
    Field::optional("annotations"),
];
const DATA_SOURCE_FIELDS: &[Field] = &[
    Field::required("type"),
    Field::optional("description"),
    Field::optional("connectionDetails"),
];
const V1_SLO_FIELDS: &[Field] = &[
    Field::optional("description"),
    Field::required("service"),
    Field::optional("indicator"),
    Field::optional("indicatorRef"),
    Field::optional("timeWindow"),
    Field::required("budgetingMethod"),
    Field::required("objectives"),
    Field::optional("alertPolicies"),
];
const V1ALPHA_SLO_FIELDS: &[Field] = &[
    Field::optional("description"),
    Field::required("service"),
    Field::optional("indicator"),
    Field::optional("timeWindows"),
    Field::required("budgetingMethod"),
    Field::required("objectives"),
];
const INLINE_SLI_FIELDS: &[Field] = &[Field::optional("metadata"), Field::required("spec")];
const SLI_FIELDS: &[Field] = &[
    Field::optional("description"),
    Field::optional("thresholdMetric"),
    Field::optional("ratioMetric"),
];
const RATIO_FIELDS: &[Field] = &[
    Field::optional("counter"),
    Field::optional("good"),
    Field::optional("bad"),
    Field::optional("total"),
    Field::optional("raw"),
    Field::optional("rawType"),
];
const METRIC_FIELDS: &[Field] = &[Field::required("metricSource")];
const METRIC_SOURCE_FIELDS: &[Field] = &[
    Field::optional("metricSourceRef"),
    Field::optional("type"),
    Field::required("spec"),
];
/// Prometheus' `spec` of a metric source: `query`, or Nobl9's `promql`.
const QUERY_FIELDS: &[Field] = &[Field::optional("query"), Field::optional("promql")];
const V1ALPHA_INDICATOR_FIELDS: &[Field] = &[Field::required("thresholdMetric")];
const V1ALPHA_METRIC_FIELDS: &[Field] = &[
    Field::required("source"),
    Field::optional("queryType"),
    Field::required("query"),
];
const V1ALPHA_RATIO_FIELDS: &[Field] = &[
    Field::optional("counter"),
    Field::optional("incremental"),
    Field::required("good"),
    Field::required("total"),
];
const TIME_WINDOW_FIELDS: &[Field] = &[
    Field::required("duration"),
    Field::optional("isRolling"),
    Field::optional("calendar"),
];
const V1ALPHA_TIME_WINDOW_FIELDS: &[Field] = &[
    Field::required("unit"),
    Field::required("count"),
    Field::optional("isRolling"),
    Field::optional("calendar"),
];
const CALENDAR_FIELDS: &[Field] = &[Field::optional("startTime"), Field::optional("timeZone")];
const V1_OBJECTIVE_FIELDS: &[Field] = &[
    Field::optional("displayName"),
    Field::optional("op"),
    Field::optional("value"),
    Field::optional("target"),
    Field::optional("targetPercent"),
    Field::optional("timeSliceTarget"),
    Field::optional("timeSliceWindow"),
    Field::optional("indicator"),
    Field::optional("indicatorRef"),
    Field::optional("compositeWeight"),
];
/// The keys of an objective of a composite SLO, which names an SLI per objective.
const COMPOSITE_KEYS: [&str; 3] = ["compositeWeight", "indicator", "indicatorRef"];
const V1ALPHA_OBJECTIVE_FIELDS: &[Field] = &[
    Field::optional("displayName"),
    Field::optional("op"),
    Field::optional("value"),
    Field::required("target"),
    Field::optional("timeSliceTarget"),
    Field::optional("ratioMetrics"),
];

/// What an SLI measures, read and checked where it is written.
#[derive(Debug, Clone)]
enum Indicator {
    Ratio {
        events: Events,
        numerator: Query,
        total: Query,
    },
    /// A precomputed ratio of failures (or successes).
    Raw { failure: bool, query: Query },
    /// A histogram's buckets, whose boundary each objective's `value` picks.
    Buckets {
        histogram: String,
        selector: String,
        group_by: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Events {
    Good,
    Bad,
}

/// A Prometheus query of a metric source.
#[derive(Debug, Clone)]
enum Query {
    /// A bare series selector: a counter to take the increase of.
    Selector(Selector),
    /// PromQL with our `{{window}}` where the range goes (written `{{.window}}`, as for Sloth).
    Template(String),
}

/// What a DataSource or SLI document defines.
#[derive(Debug, Clone)]
enum Definition {
    /// A DataSource's `type`.
    DataSource(String),
    Indicator(Indicator),
}

/// A definition, with where it was written, for messages.
#[derive(Debug)]
struct Defined {
    value: Definition,
    at: String,
}

impl Definition {
    fn kind(&self) -> &'static str {
        match self {
            Definition::DataSource(_) => "DataSource",
            Definition::Indicator(_) => "SLI",
        }
    }
}

/// The DataSources and SLIs of every `--config` file, by kind and name, which any SLO may
/// name.
#[derive(Debug, Default)]
pub struct Definitions {
    defined: BTreeMap<(&'static str, String), Defined>,
}

impl Definitions {
    /// Reads every `openslo/v1` DataSource, then every SLI (which may name a DataSource), of
    /// `files` (name and documents); also the warnings, located. The error is that of the
    /// first file with problems.
    pub fn gather(files: &[(String, Vec<Node>)]) -> Result<(Definitions, Vec<String>), SpecError> {
        let mut definitions = Definitions::default();
        let mut warnings = Vec::new();
        for kind in ["DataSource", "SLI"] {
            for (source, documents) in files {
                let mut errors = Vec::new();
                let of_kind = documents.iter().filter(|root| {
                    peek_string(root, "apiVersion") == Some(V1)
                        && peek_string(root, "kind") == Some(kind)
                });
                for root in of_kind {
                    match definitions.define(root, source) {
                        Ok(read) => {
                            warnings.extend(read.warnings.iter().map(|d| d.located(source)))
                        }
                        Err(diagnostics) => errors.extend(diagnostics),
                    }
                }
                if !errors.is_empty() {
                    return Err(SpecError {
                        source_name: source.clone(),
                        diagnostics: errors,
                    });
                }
            }
        }
        Ok((definitions, warnings))
    }

    fn get(&self, kind: &'static str, name: &str) -> Option<&Definition> {
        self.defined
            .get(&(kind, name.to_string()))
            .map(|defined| &defined.value)
    }

    /// Reads one DataSource or SLI document and keeps it under its name.
    fn define(&mut self, root: &Node, source: &str) -> Result<Read<()>, Vec<Diagnostic>> {
        let mut r = Reader::new(UnknownKeys::Warn);
        let is_data_source = peek_string(root, "kind") == Some("DataSource");
        let mut defined = None;
        if let Some(top) = r.mapping(root, OBJECT_FIELDS) {
            let name = r.field(&top, "metadata", metadata).flatten();
            let value = r
                .field(&top, "spec", |r, node| {
                    if is_data_source {
                        data_source(r, node).map(Definition::DataSource)
                    } else {
                        v1_indicator(r, node, self).map(Definition::Indicator)
                    }
                })
                .flatten();
            if let (Some(name), Some(value)) = (name, value) {
                let name_pos = top
                    .get("metadata")
                    .and_then(|m| peek(m, "name"))
                    .map_or(top.pos, |n| n.pos);
                let kind = value.kind();
                if let Some(first) = self.defined.get(&(kind, name.clone())) {
                    r.at_path(&["metadata", "name"], |r| {
                        r.error_hint(
                            name_pos,
                            format!("{kind} `{name}` is defined twice"),
                            format!("the first is at {}; give each a name of its own", first.at),
                        )
                    });
                }
                let at = format!("{source}:{}", name_pos.line);
                defined = Some((name, Defined { value, at }));
            }
        }
        let read = r.finish(())?;
        if let Some((name, defined)) = defined {
            self.defined.insert((defined.value.kind(), name), defined);
        }
        Ok(read)
    }
}

/// Reads one OpenSLO document: an SLO becomes a spec of its service; DataSources and SLIs
/// were read by [`Definitions::gather`]; the kinds about alerting and services are ignored.
pub fn read(
    root: &Node,
    source: &str,
    default_window: Window,
    definitions: &Definitions,
) -> Result<Read<Option<Spec>>, Vec<Diagnostic>> {
    let mut r = Reader::new(UnknownKeys::Warn);
    let Some(top) = r.mapping(root, OBJECT_FIELDS) else {
        return r.finish(None);
    };
    let Some(version) = r.field(&top, "apiVersion", api_version).flatten() else {
        return r.finish(None);
    };
    let Some(kind) = r.field(&top, "kind", Reader::string).flatten() else {
        return r.finish(None);
    };
    let kind = kind.as_str();
    let kind_pos = top.get("kind").map_or(top.pos, |n| n.pos);
    match (version, kind) {
        (_, "SLO") => {
            let spec = slo_document(&mut r, &top, source, version, default_window, definitions);
            r.finish(Some(spec))
        }
        (Version::V1, "DataSource" | "SLI") => r.finish(None),
        (_, "Service" | "AlertPolicy" | "AlertCondition" | "AlertNotificationTarget") => {
            r.at("kind", |r| {
                r.warn(
                    kind_pos,
                    format!("{kind} is ignored"),
                    "slo reads SLOs, their SLIs and DataSources; it alerts on burn rates of its own",
                )
            });
            r.finish(None)
        }
        _ => {
            let kinds = match version {
                Version::V1 => "SLO, SLI, DataSource",
                Version::V1Alpha => "SLO",
            };
            r.at("kind", |r| {
                r.error_hint(
                    kind_pos,
                    format!("`{kind}` is not read in {}", version.name()),
                    format!("slo reads these kinds of {}: {kinds}", version.name()),
                )
            });
            r.finish(None)
        }
    }
}

impl Version {
    /// The field whose value the window's length is reported at.
    fn duration_key(self) -> &'static str {
        match self {
            Version::V1 => "duration",
            Version::V1Alpha => "unit",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Version::V1 => V1,
            Version::V1Alpha => V1ALPHA,
        }
    }
}

fn api_version(r: &mut Reader, node: &Node) -> Option<Version> {
    match r.string(node)?.as_str() {
        V1 => Some(Version::V1),
        V1ALPHA => Some(Version::V1Alpha),
        other => {
            r.error_hint(
                node.pos,
                format!("`{other}` is not supported"),
                format!("slo reads {V1} and {V1ALPHA}"),
            );
            None
        }
    }
}

/// `metadata.name` (checked as Sloth checks names), and the display name and labels, which
/// only an SLO uses.
fn metadata(r: &mut Reader, node: &Node) -> Option<String> {
    let fields = r.mapping(node, METADATA_FIELDS)?;
    r.field(&fields, "name", sloth::sloth_name).flatten()
}

fn data_source(r: &mut Reader, node: &Node) -> Option<String> {
    let fields = r.mapping(node, DATA_SOURCE_FIELDS)?;
    r.field(&fields, "type", Reader::string).flatten()
}

/// An SLO document: one SLO per objective, all of `spec.service`.
fn slo_document(
    r: &mut Reader,
    top: &Mapping,
    source: &str,
    version: Version,
    default_window: Window,
    definitions: &Definitions,
) -> Spec {
    let mut spec = Spec::new(source);
    let metadata_node = top.get("metadata");
    let name = metadata_node.and_then(|m| peek_string(m, "name"));
    let item = name.unwrap_or("SLO").to_string();
    r.within(item, |r| {
        let name = r.field(top, "metadata", metadata).flatten();
        let labels = metadata_node
            .and_then(|m| peek(m, "labels"))
            .map(|node| r.at_path(&["metadata", "labels"], |r| labels(r, node)))
            .unwrap_or_default();
        let Some(name) = name else {
            return;
        };
        r.field(top, "spec", |r, node| {
            let head = SloHead {
                name: &name,
                labels: &labels,
                default_window,
                definitions,
            };
            slo_spec(r, node, version, &head, &mut spec);
        });
    });
    spec
}

/// What an SLO document says outside its `spec`, and what its `spec` is read against.
struct SloHead<'a> {
    name: &'a str,
    labels: &'a Labels,
    default_window: Window,
    definitions: &'a Definitions,
}

fn slo_spec(r: &mut Reader, node: &Node, version: Version, head: &SloHead, spec: &mut Spec) {
    let fields = match version {
        Version::V1 => V1_SLO_FIELDS,
        Version::V1Alpha => V1ALPHA_SLO_FIELDS,
    };
    let Some(fields) = r.mapping(node, fields) else {
        return;
    };
    if let Some(service) = r.field(&fields, "service", sloth::sloth_name).flatten() {
        spec.service = service;
    }
    let description = r.field(&fields, "description", Reader::string).flatten();
    let occurrences = r
        .field(&fields, "budgetingMethod", budgeting_method)
        .flatten();
    let window_key = match version {
        Version::V1 => "timeWindow",
        Version::V1Alpha => "timeWindows",
    };
    let compliance = match fields.get(window_key) {
        Some(_) => r
            .field(&fields, window_key, |r, n| time_window(r, n, version))
            .flatten(),
        None => Some((head.default_window, None)),
    };
    if version == Version::V1 {
        r.field(&fields, "alertPolicies", |r, n| {
            r.warn(
                n.pos,
                "alert policies are ignored",
                "slo alerts on multiwindow burn rates of its own (see `alerting:` in its spec)",
            )
        });
    }
    // A composite SLO names its SLIs in its objectives, which report it.
    let composite = fields
        .get("objectives")
        .is_some_and(|objectives| match &objectives.value {
            Value::Seq(items) => items
                .iter()
                .any(|item| COMPOSITE_KEYS.iter().any(|key| peek(item, key).is_some())),
            _ => false,
        });
    let indicator = match version {
        Version::V1 if composite => Some(None),
        Version::V1 => slo_indicator(r, &fields, head.definitions),
        Version::V1Alpha => match fields.get("indicator") {
            Some(_) => r
                .field(&fields, "indicator", v1alpha_indicator)
                .flatten()
                .map(Some),
            None => Some(None),
        },
    };
    let Some(items) = r
        .field(&fields, "objectives", |r, n| {
            let items = r.list(n, "objectives", None)?;
            if items.is_empty() {
                r.error(n.pos, "at least one objective is required");
                return None;
            }
            Some(items)
        })
        .flatten()
    else {
        return;
    };
    for (index, item) in items.iter().enumerate() {
        let name = match items.len() {
            1 => head.name.to_string(),
            _ => objective_name(head.name, item, index),
        };
        let objective = r.at_path(&["objectives", &index.to_string()], |r| {
            objective(r, item, version, indicator.as_ref())
        });
        let (Some(compliance), Some(_), Some((objective, sli))) =
            (&compliance, occurrences, objective)
        else {
            continue;
        };
        let alerting = Alerting::default();
        slo_v1::check_group_labels(r, item.pos, &sli, head.labels, &alerting);
        spec.slos.push(Slo {
            name,
            description: description.clone(),
            objective,
            window: compliance.0,
            calendar: compliance.1.clone(),
            labels: head.labels.clone(),
            sli,
            alerting,
            gate: Default::default(),
        });
    }
}

/// `<slo>-<displayName>` (made a name: lowercase, runs of other characters as one `-`), or
/// `<slo>-<index>` when there is no usable display name.
fn objective_name(slo: &str, objective: &Node, index: usize) -> String {
    let display = peek_string(objective, "displayName").unwrap_or_default();
    let mut slug = String::new();
    for c in display.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        format!("{slo}-{index}")
    } else {
        format!("{slo}-{slug}")
    }
}

/// Label values may be strings or (Nobl9) lists of strings, joined with `,`; a key that is
/// no Prometheus label name, or one slo sets itself, is dropped with a warning.
fn labels(r: &mut Reader, node: &Node) -> Labels {
    let mut labels = Labels::new();
    for (key, value) in r.open_mapping(node).unwrap_or_default() {
        let text = match &value.value {
            Value::Str(s) => Some(s.clone()),
            Value::Seq(items) => items
                .iter()
                .map(|item| match &item.value {
                    Value::Str(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect::<Option<Vec<&str>>>()
                .map(|texts| texts.join(",")),
            _ => None,
        };
        r.at(&key.name, |r| match text {
            None => r.error(value.pos, "expected a string or a list of strings"),
            Some(_) if !prom::is_label_name(&key.name) || promql::is_reserved_label(&key.name) => {
                r.warn(
                    key.pos,
                    "the label is dropped: slo cannot set it on its series",
                    "label names match [a-zA-Z_][a-zA-Z0-9_]* and are not among those slo sets itself",
                )
            }
            Some(text) => {
                labels.insert(key.name.clone(), text);
            }
        });
    }
    labels
}

fn budgeting_method(r: &mut Reader, node: &Node) -> Option<()> {
    match r.string(node)?.as_str() {
        "Occurrences" => Some(()),
        method @ ("Timeslices" | "RatioTimeslices") => {
            r.error_hint(
                node.pos,
                format!("{method} budgeting is not supported"),
                "slo counts events: budgetingMethod: Occurrences",
            );
            None
        }
        other => {
            r.error_hint(
                node.pos,
                format!("unknown budgeting method `{other}`"),
                "slo counts events: budgetingMethod: Occurrences",
            );
            None
        }
    }
}

// ---- time windows ----

/// A duration as OpenSLO writes it: a count of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    count: u64,
    unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Span {
    /// As a duration shorthand, e.g. `2M`, for messages.
    fn text(self) -> String {
        let unit = match self.unit {
            Unit::Second => "s",
            Unit::Minute => "m",
            Unit::Hour => "h",
            Unit::Day => "d",
            Unit::Week => "w",
            Unit::Month => "M",
            Unit::Quarter => "Q",
            Unit::Year => "Y",
        };
        format!("{}{unit}", self.count)
    }
}

impl Unit {
    fn seconds(self) -> Option<u64> {
        match self {
            Unit::Second => Some(1),
            Unit::Minute => Some(60),
            Unit::Hour => Some(3600),
            Unit::Day => Some(86_400),
            Unit::Week => Some(7 * 86_400),
            Unit::Month | Unit::Quarter | Unit::Year => None,
        }
    }
}

/// The compliance window, and the calendar for a calendar-aligned one.
type Compliance = (Window, Option<Calendar>);

/// `timeWindow` (v1) or `timeWindows` (v1alpha): a list of exactly one window.
fn time_window(r: &mut Reader, node: &Node, version: Version) -> Option<Compliance> {
    let items = r.list(node, "time windows", None)?;
    let [item] = items else {
        r.error(
            node.pos,
            format!("holds {} time windows where one is expected", items.len()),
        );
        return None;
    };
    r.at("0", |r| {
        let fields = match version {
            Version::V1 => TIME_WINDOW_FIELDS,
            Version::V1Alpha => V1ALPHA_TIME_WINDOW_FIELDS,
        };
        let fields = r.mapping(item, fields)?;
        let span = match version {
            Version::V1 => r.field(&fields, "duration", shorthand).flatten(),
            Version::V1Alpha => {
                let unit = r.field(&fields, "unit", unit_name).flatten();
                let count = r.field(&fields, "count", count).flatten();
                Some(Span {
                    count: count?,
                    unit: unit?,
                })
            }
        }?;
        let is_rolling = r.field(&fields, "isRolling", Reader::boolean).flatten();
        let calendar = fields.get("calendar");
        // OpenSLO: "if omitted assumed `false` if `calendar:` is present".
        if is_rolling.unwrap_or(calendar.is_none()) {
            let node = fields.get(version.duration_key())?;
            return r.at(version.duration_key(), |r| rolling(r, node, span));
        }
        let timezone = match calendar {
            Some(_) => r
                .field(&fields, "calendar", |r, n| calendar_timezone(r, n, span))
                .flatten()?,
            None => jiff::tz::TimeZone::UTC,
        };
        let period = r.at(version.duration_key(), |r| {
            calendar_period(r, fields.get(version.duration_key()).unwrap_or(item), span)
        })?;
        Some((period.nominal(), Some(Calendar { period, timezone })))
    })
}

/// A duration shorthand: a positive integer and one of `m h d w M Q Y`.
fn shorthand(r: &mut Reader, node: &Node) -> Option<Span> {
    let text = r.string(node)?;
    let digits = text.trim_end_matches(|c: char| !c.is_ascii_digit());
    let unit = match &text[digits.len()..] {
        "m" => Some(Unit::Minute),
        "h" => Some(Unit::Hour),
        "d" => Some(Unit::Day),
        "w" => Some(Unit::Week),
        "M" => Some(Unit::Month),
        "Q" => Some(Unit::Quarter),
        "Y" => Some(Unit::Year),
        _ => None,
    };
    match (digits.parse::<u64>(), unit) {
        (Ok(count), Some(unit)) if count > 0 => Some(Span { count, unit }),
        _ => {
            r.error_hint(
                node.pos,
                format!("`{text}` is not a duration shorthand"),
                "a positive whole number and one of m, h, d, w, M, Q, Y, e.g. 28d or 1M",
            );
            None
        }
    }
}

fn unit_name(r: &mut Reader, node: &Node) -> Option<Unit> {
    let text = r.string(node)?;
    let unit = match text.as_str() {
        "Second" => Unit::Second,
        "Minute" => Unit::Minute,
        "Hour" => Unit::Hour,
        "Day" => Unit::Day,
        "Week" => Unit::Week,
        "Month" => Unit::Month,
        "Quarter" => Unit::Quarter,
        "Year" => Unit::Year,
        _ => {
            r.error_hint(
                node.pos,
                format!("unknown time unit `{text}`"),
                "one of Second, Minute, Hour, Day, Week, Month, Quarter, Year",
            );
            return None;
        }
    };
    Some(unit)
}

fn count(r: &mut Reader, node: &Node) -> Option<u64> {
    match node.value {
        Value::Int(n) if n > 0 => Some(n as u64),
        _ => {
            r.error(node.pos, "expected a positive whole number");
            None
        }
    }
}

fn rolling(r: &mut Reader, node: &Node, span: Span) -> Option<Compliance> {
    let Some(seconds) = span.unit.seconds() else {
        r.error_hint(
            node.pos,
            "a rolling window in months, quarters or years is not supported: they have no fixed length",
            "give the rolling window in days or weeks, e.g. 30d, or make it calendar-aligned",
        );
        return None;
    };
    let window = Window::from_secs(span.count.saturating_mul(seconds));
    match slo_v1::check_compliance_window(window) {
        Ok(window) => Some((window, None)),
        Err((message, hint)) => {
            r.error_hint(node.pos, message, hint);
            None
        }
    }
}

/// One calendar week, month or quarter: the periods `slo` resets budgets on.
fn calendar_period(r: &mut Reader, node: &Node, span: Span) -> Option<Period> {
    match span {
        Span {
            count: 1,
            unit: Unit::Week,
        } => Some(Period::Week),
        Span {
            count: 1,
            unit: Unit::Month,
        } => Some(Period::Month),
        Span {
            count: 1,
            unit: Unit::Quarter,
        } => Some(Period::Quarter),
        _ => {
            r.error_hint(
                node.pos,
                format!("a calendar window of {} is not supported", span.text()),
                "slo's calendar windows are one week, month or quarter: 1w, 1M or 1Q (v1alpha: count 1 of Week, Month or Quarter)",
            );
            None
        }
    }
}

/// `calendar.timeZone` (UTC when absent); a `startTime` other than the start of a period is
/// a warning, as periods start with the week (Monday), month or quarter.
fn calendar_timezone(r: &mut Reader, node: &Node, span: Span) -> Option<jiff::tz::TimeZone> {
    let fields = r.mapping(node, CALENDAR_FIELDS)?;
    if let Some(Some(start)) = r.field(&fields, "startTime", Reader::string) {
        let aligned = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", &start).is_ok_and(|t| {
            t.time() == jiff::civil::Time::midnight()
                && match span.unit {
                    Unit::Week => t.weekday() == jiff::civil::Weekday::Monday,
                    Unit::Quarter => t.day() == 1 && (t.month() - 1) % 3 == 0,
                    _ => t.day() == 1,
                }
        });
        if !aligned {
            let pos = fields.get("startTime").map_or(fields.pos, |n| n.pos);
            r.at("startTime", |r| {
                r.warn(
                    pos,
                    format!("`{start}` is not the start of a period; it is ignored"),
                    "slo's calendar periods start on Monday, the 1st of the month or of the quarter, at 00:00",
                )
            });
        }
    }
    match fields.get("timeZone") {
        Some(_) => r.field(&fields, "timeZone", slo_v1::timezone).flatten(),
        None => Some(jiff::tz::TimeZone::UTC),
    }
}

// ---- indicators ----

/// The SLO's `indicator` (inline) or `indicatorRef`; `Some(None)` when there is neither,
/// which is reported.
fn slo_indicator(
    r: &mut Reader,
    fields: &Mapping,
    definitions: &Definitions,
) -> Option<Option<Indicator>> {
    match (fields.get("indicator"), fields.get("indicatorRef")) {
        (Some(_), Some(node)) => {
            r.at("indicatorRef", |r| {
                r.error_hint(
                    node.pos,
                    "gives both `indicator` and `indicatorRef`",
                    "inline the SLI or name it, not both",
                )
            });
            None
        }
        (Some(_), None) => r
            .field(fields, "indicator", |r, node| {
                let inline = r.mapping(node, INLINE_SLI_FIELDS)?;
                r.field(&inline, "spec", |r, n| v1_indicator(r, n, definitions))
                    .flatten()
            })
            .flatten()
            .map(Some),
        (None, Some(_)) => r
            .field(fields, "indicatorRef", |r, node| {
                let name = r.string(node)?;
                match definitions.get("SLI", &name) {
                    Some(Definition::Indicator(indicator)) => Some(indicator.clone()),
                    _ => {
                        r.error_hint(
                            node.pos,
                            format!("no SLI named `{name}` in the --config files"),
                            format!(
                                "define `kind: SLI` with `metadata.name: {name}` in a --config file, or inline the SLI as `indicator`"
                            ),
                        );
                        None
                    }
                }
            })
            .flatten()
            .map(Some),
        (None, None) => {
            r.error_hint(
                fields.pos,
                "needs `indicator` or `indicatorRef`",
                "inline the SLI as `indicator: {metadata, spec}` or name a `kind: SLI` document",
            );
            Some(None)
        }
    }
}

/// An `openslo/v1` SLI spec: a ratio or threshold metric.
fn v1_indicator(r: &mut Reader, node: &Node, definitions: &Definitions) -> Option<Indicator> {
    let fields = r.mapping(node, SLI_FIELDS)?;
    let kinds = fields.known_entries();
    let kinds: Vec<_> = kinds
        .iter()
        .filter(|(k, _)| k.name != "description")
        .collect();
    match kinds.as_slice() {
        [(kind, body)] if kind.name == "ratioMetric" => {
            r.at("ratioMetric", |r| ratio_metric(r, body, definitions))
        }
        [(_, body)] => r.at("thresholdMetric", |r| {
            let query = metric(r, body, definitions)?;
            r.at_path(&["metricSource", "spec"], |r| buckets(r, body, query))
        }),
        [] => {
            r.error_hint(
                fields.pos,
                "needs `ratioMetric` or `thresholdMetric`",
                "e.g. ratioMetric: {counter: true, good: {metricSource: ...}, total: {metricSource: ...}}",
            );
            None
        }
        [_, (second, _), ..] => {
            r.error(second.pos, "gives both `ratioMetric` and `thresholdMetric`");
            None
        }
    }
}

fn ratio_metric(r: &mut Reader, node: &Node, definitions: &Definitions) -> Option<Indicator> {
    let fields = r.mapping(node, RATIO_FIELDS)?;
    let counter = r.field(&fields, "counter", Reader::boolean).flatten();
    let read = |r: &mut Reader, key| r.field(&fields, key, |r, n| metric(r, n, definitions));
    if fields.get("raw").is_some() {
        for key in ["good", "bad", "total"] {
            if let Some(node) = fields.get(key) {
                r.at(key, |r| {
                    r.error_hint(
                        node.pos,
                        "cannot be given with `raw`",
                        "a raw ratio is already computed: give `raw` and `rawType` only",
                    )
                });
            }
        }
        let failure = r.field(&fields, "rawType", raw_type);
        if failure.is_none() {
            r.at("rawType", |r| {
                r.error_hint(
                    fields.pos,
                    "is required with `raw`",
                    "rawType: failure or success",
                )
            });
        }
        let query = read(r, "raw").flatten();
        return Some(Indicator::Raw {
            failure: failure.flatten()?,
            query: query?,
        });
    }
    let events = match (fields.get("good"), fields.get("bad")) {
        (Some(_), None) => Events::Good,
        (None, Some(_)) => Events::Bad,
        (Some(_), Some(node)) => {
            r.at("bad", |r| {
                r.error_hint(
                    node.pos,
                    "gives both `good` and `bad`",
                    "count one of them against `total`",
                )
            });
            return None;
        }
        (None, None) => {
            r.error_hint(
                fields.pos,
                "needs `good` or `bad`, and `total` (or `raw`)",
                "e.g. good: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total{code!~\"5..\"}'}}}",
            );
            return None;
        }
    };
    let key = match events {
        Events::Good => "good",
        Events::Bad => "bad",
    };
    let numerator = read(r, key).flatten();
    let total = match fields.get("total") {
        Some(_) => read(r, "total").flatten(),
        None => {
            r.at("total", |r| {
                r.error(fields.pos, "is required with `good` or `bad`")
            });
            None
        }
    };
    let (numerator, total) = (numerator?, total?);
    counters_only(r, &fields, counter, [&numerator, &total])?;
    Some(Indicator::Ratio {
        events,
        numerator,
        total,
    })
}

/// A bare selector is taken as a counter; `counter: false` says it is not one.
fn counters_only(
    r: &mut Reader,
    fields: &Mapping,
    counter: Option<bool>,
    queries: [&Query; 2],
) -> Option<()> {
    let bare = queries.iter().any(|q| matches!(q, Query::Selector(_)));
    if counter == Some(false) && bare {
        let pos = fields.get("counter").map_or(fields.pos, |n| n.pos);
        r.at("counter", |r| {
            r.error_hint(
                pos,
                "a bare selector with `counter: false` is not supported",
                "slo counts events as increases of counters: give counters, or PromQL with [{{.window}}]",
            )
        });
        return None;
    }
    Some(())
}

fn raw_type(r: &mut Reader, node: &Node) -> Option<bool> {
    match r.string(node)?.as_str() {
        "failure" => Some(true),
        "success" => Some(false),
        other => {
            r.error_hint(
                node.pos,
                format!("unknown rawType `{other}`"),
                "failure (the ratio is of bad events) or success (of good ones)",
            );
            None
        }
    }
}

/// `{metricSource: {metricSourceRef, type, spec: {query | promql}}}` of a Prometheus source.
fn metric(r: &mut Reader, node: &Node, definitions: &Definitions) -> Option<Query> {
    let fields = r.mapping(node, METRIC_FIELDS)?;
    r.field(&fields, "metricSource", |r, node| {
        let fields = r.mapping(node, METRIC_SOURCE_FIELDS)?;
        let referred = r
            .field(&fields, "metricSourceRef", |r, n| {
                let name = r.string(n)?;
                match definitions.get("DataSource", &name) {
                    Some(Definition::DataSource(source_type)) => Some(source_type.clone()),
                    _ => {
                        r.error_hint(
                            n.pos,
                            format!("no DataSource named `{name}` in the --config files"),
                            format!(
                                "define `kind: DataSource` with `metadata.name: {name}`, or give `type: Prometheus` instead"
                            ),
                        );
                        None
                    }
                }
            })
            .map(|found| found.map(|t| (t, "metricSourceRef")));
        let written = r
            .field(&fields, "type", Reader::string)
            .map(|t| t.map(|t| (t, "type")));
        let (source_type, key) = match (written, referred) {
            (Some(written), _) => written?,
            (None, Some(referred)) => referred?,
            (None, None) => {
                r.error_hint(
                    fields.pos,
                    "needs `type` or `metricSourceRef`",
                    "e.g. type: Prometheus",
                );
                return None;
            }
        };
        if !source_type.eq_ignore_ascii_case("prometheus") {
            let pos = fields.get(key).map_or(fields.pos, |n| n.pos);
            r.at(key, |r| {
                r.error_hint(
                    pos,
                    format!("a {source_type} source is not supported"),
                    "slo queries Prometheus only: give Prometheus metric sources",
                )
            });
            return None;
        }
        r.field(&fields, "spec", prometheus_query).flatten()
    })
    .flatten()
}

/// `spec.query`, or Nobl9's `spec.promql`.
fn prometheus_query(r: &mut Reader, node: &Node) -> Option<Query> {
    let fields = r.mapping(node, QUERY_FIELDS)?;
    match (fields.get("query"), fields.get("promql")) {
        (Some(_), Some(node)) => {
            r.at("promql", |r| {
                r.error(node.pos, "gives both `query` and `promql`")
            });
            None
        }
        (None, None) => {
            r.at("query", |r| r.error(fields.pos, "is required but missing"));
            None
        }
        (Some(_), None) => r.field(&fields, "query", query).flatten(),
        (None, Some(_)) => r.field(&fields, "promql", query).flatten(),
    }
}

/// A bare series selector, or PromQL with `{{.window}}` where the range goes.
fn query(r: &mut Reader, node: &Node) -> Option<Query> {
    let text = r.string(node)?;
    if text.contains("{{") {
        return sloth::query(r, node).map(Query::Template);
    }
    let hint = "give a counter selector such as http_requests_total{code!~\"5..\"}, or PromQL with [{{.window}}] where the range goes";
    match prom::parse_query(r, node, &text)? {
        Ok(Expr::VectorSelector(vs)) if vs.offset.is_none() && vs.at.is_none() => {
            Some(Query::Selector(Selector(text.trim().to_string())))
        }
        Ok(_) => {
            r.error_hint(
                node.pos,
                format!(
                    "`{}` is neither a series selector nor a query over {{{{.window}}}}",
                    text.trim()
                ),
                hint,
            );
            None
        }
        Err(err) => {
            prom::invalid_promql(r, node, &err, hint);
            None
        }
    }
}

/// A threshold metric on a histogram's `_bucket` series (a bare selector, or
/// `sum by (le, ...) (rate(X_bucket[{{.window}}]))`): a latency SLI, whose threshold is each
/// objective's `value`.
fn buckets(r: &mut Reader, node: &Node, query: Query) -> Option<Indicator> {
    let (selector, group_by) = match &query {
        Query::Selector(selector) => (selector.clone(), Some(Vec::new())),
        Query::Template(template) => match sloth::counter_sum(template) {
            Some((selector, by)) if by.iter().any(|l| l == "le") => (
                selector,
                Some(by.into_iter().filter(|l| l != "le").collect()),
            ),
            _ => (Selector(String::new()), None),
        },
    };
    let series = group_by.and_then(|by| Some((bucket_series(&selector.0)?, by)));
    let Some(((histogram, selector), group_by)) = series else {
        let pos = peek(node, "metricSource")
            .and_then(|m| peek(m, "spec"))
            .map_or(node.pos, |n| n.pos);
        r.error_hint(
            pos,
            "a threshold metric must select a histogram's `_bucket` series",
            "slo reads a threshold metric as a latency SLI: e.g. http_request_duration_seconds_bucket{job=\"api\"}, with the objective's `op: lte` and `value` a bucket boundary in seconds",
        );
        return None;
    };
    Some(Indicator::Buckets {
        histogram,
        selector,
        group_by,
    })
}

/// `X_bucket{matchers}` as the histogram `X` and its matchers, if none is on `le`.
fn bucket_series(selector: &str) -> Option<(String, String)> {
    let Ok(Expr::VectorSelector(vs)) = promql_parser::parser::parse(selector) else {
        return None;
    };
    let name = vs.name.as_deref()?;
    let histogram = name.strip_suffix("_bucket")?;
    if histogram.is_empty() || vs.matchers.matchers.iter().any(|m| m.name == "le") {
        return None;
    }
    let matchers = selector.trim().strip_prefix(name)?.trim().to_string();
    Some((histogram.to_string(), matchers))
}

/// `openslo/v1alpha`'s SLO-level `indicator: {thresholdMetric: {source, queryType, query}}`.
fn v1alpha_indicator(r: &mut Reader, node: &Node) -> Option<Indicator> {
    let fields = r.mapping(node, V1ALPHA_INDICATOR_FIELDS)?;
    r.field(&fields, "thresholdMetric", |r, n| {
        let query = v1alpha_metric(r, n)?;
        r.at("query", |r| buckets(r, n, query))
    })
    .flatten()
}

/// `{source, queryType, query}` of `openslo/v1alpha`; Sloth's importer also takes `sloth`.
fn v1alpha_metric(r: &mut Reader, node: &Node) -> Option<Query> {
    let fields = r.mapping(node, V1ALPHA_METRIC_FIELDS)?;
    let source = r.field(&fields, "source", Reader::string).flatten()?;
    if !["prometheus", "sloth"]
        .iter()
        .any(|s| source.eq_ignore_ascii_case(s))
    {
        let pos = fields.get("source").map_or(fields.pos, |n| n.pos);
        r.at("source", |r| {
            r.error_hint(
                pos,
                format!("a {source} source is not supported"),
                "slo queries Prometheus only: source: prometheus",
            )
        });
        return None;
    }
    if let Some(Some(query_type)) = r.field(&fields, "queryType", Reader::string)
        && !query_type.eq_ignore_ascii_case("promql")
    {
        let pos = fields.get("queryType").map_or(fields.pos, |n| n.pos);
        r.at("queryType", |r| {
            r.error_hint(
                pos,
                format!("queryType `{query_type}` is not supported"),
                "queryType: promql",
            )
        });
        return None;
    }
    r.field(&fields, "query", query).flatten()
}

fn v1alpha_ratio(r: &mut Reader, node: &Node) -> Option<Indicator> {
    let fields = r.mapping(node, V1ALPHA_RATIO_FIELDS)?;
    let counter = r.field(&fields, "counter", Reader::boolean).flatten();
    let good = r.field(&fields, "good", v1alpha_metric).flatten();
    let total = r.field(&fields, "total", v1alpha_metric).flatten();
    let (good, total) = (good?, total?);
    counters_only(r, &fields, counter, [&good, &total])?;
    Some(Indicator::Ratio {
        events: Events::Good,
        numerator: good,
        total,
    })
}

// ---- objectives ----

/// One objective: its target as our objective, and the SLI it is measured by.
fn objective(
    r: &mut Reader,
    node: &Node,
    version: Version,
    indicator: Option<&Option<Indicator>>,
) -> Option<(Objective, Sli)> {
    let fields = match version {
        Version::V1 => V1_OBJECTIVE_FIELDS,
        Version::V1Alpha => V1ALPHA_OBJECTIVE_FIELDS,
    };
    let fields = r.mapping(node, fields)?;
    for key in COMPOSITE_KEYS {
        if let Some(node) = fields.get(key) {
            r.at(key, |r| {
                r.error_hint(
                    node.pos,
                    "composite SLOs are not supported",
                    "write each objective's SLI as an SLO of its own",
                )
            });
            return None;
        }
    }
    for key in ["timeSliceTarget", "timeSliceWindow"] {
        if let Some(node) = fields.get(key) {
            r.at(key, |r| {
                r.warn(
                    node.pos,
                    "is ignored",
                    "Occurrences budgeting has no time slices",
                )
            });
        }
    }
    let objective = target(r, &fields);
    let own_ratio = fields
        .get("ratioMetrics")
        .map(|_| r.field(&fields, "ratioMetrics", v1alpha_ratio).flatten());
    let indicator = match (own_ratio, indicator) {
        (Some(own), _) => own?,
        (None, Some(Some(shared))) => shared.clone(),
        (None, Some(None)) if version == Version::V1Alpha => {
            r.error_hint(
                fields.pos,
                "needs `ratioMetrics`, or the SLO an `indicator`",
                "e.g. ratioMetrics: {counter: true, good: {source: prometheus, queryType: promql, query: ...}, total: ...}",
            );
            return None;
        }
        // The SLO's indicator is missing or could not be read: already reported.
        (None, _) => return None,
    };
    let sli = match indicator {
        Indicator::Ratio {
            events,
            numerator,
            total,
        } => ratio_sli(events, &numerator, &total),
        Indicator::Raw { failure, query } => raw_ratio_sli(failure, &query),
        Indicator::Buckets {
            histogram,
            selector,
            group_by,
        } => Sli::Latency(LatencySli {
            histogram,
            selector,
            threshold: latency_threshold(r, &fields)?,
            group_by,
        }),
    };
    Some((objective?, sli))
}

/// `target` (a fraction) or `targetPercent`, as a percentage in (0, 100).
fn target(r: &mut Reader, fields: &Mapping) -> Option<Objective> {
    let (key, scale) = match (fields.get("target"), fields.get("targetPercent")) {
        (Some(_), Some(node)) => {
            r.at("targetPercent", |r| {
                r.error_hint(
                    node.pos,
                    "gives both `target` and `targetPercent`",
                    "give one of them",
                )
            });
            return None;
        }
        (Some(_), None) => ("target", 100.0),
        (None, Some(_)) => ("targetPercent", 1.0),
        (None, None) => {
            r.error_hint(
                fields.pos,
                "needs `target` or `targetPercent`",
                "e.g. target: 0.995 or targetPercent: 99.5",
            );
            return None;
        }
    };
    r.field(fields, key, |r, node| {
        let value = r.number(node)?;
        let percent = crate::model::tidy(value * scale);
        if percent <= 0.0 || percent >= 100.0 {
            let range = if scale == 1.0 {
                "above 0 and below 100"
            } else {
                "above 0 and below 1"
            };
            r.error(node.pos, format!("must be {range}, got {value}"));
            return None;
        }
        if crate::model::tidy(value) != value {
            r.error_hint(
                node.pos,
                format!("{value} has more than 10 significant digits"),
                "write at most 10 digits, e.g. 0.99999",
            );
            return None;
        }
        Some(Objective::from_percent(percent))
    })
    .flatten()
}

/// A bucket boundary: `op: lte` and `value` in seconds.
fn latency_threshold(r: &mut Reader, fields: &Mapping) -> Option<f64> {
    let op = r.field(fields, "op", Reader::string).flatten();
    let value = r.field(fields, "value", Reader::number).flatten();
    match op.as_deref() {
        Some("lte") => {}
        Some(other) => {
            let pos = fields.get("op").map_or(fields.pos, |n| n.pos);
            r.at("op", |r| {
                r.error_hint(
                    pos,
                    format!("`op: {other}` cannot be measured on histogram buckets"),
                    "buckets count events at or under their bound: op: lte",
                )
            });
            return None;
        }
        None if fields.get("op").is_none() => {
            r.at("op", |r| {
                r.error_hint(fields.pos, "is required with a threshold metric", "op: lte")
            });
            return None;
        }
        None => return None,
    }
    match value {
        Some(seconds) if seconds > 0.0 => Some(seconds),
        Some(seconds) => {
            let pos = fields.get("value").map_or(fields.pos, |n| n.pos);
            r.at("value", |r| {
                r.error(
                    pos,
                    format!("must be a positive number of seconds, got {seconds}"),
                )
            });
            None
        }
        None if fields.get("value").is_none() => {
            r.at("value", |r| {
                r.error_hint(
                    fields.pos,
                    "is required with a threshold metric",
                    "the latency threshold in seconds, a bucket boundary, e.g. value: 0.3",
                )
            });
            None
        }
        None => None,
    }
}

/// Counters on both sides with the same grouping are our `ratio`, so reports get event
/// counts; anything else is `raw`: `(bad)/(total)` or `1 - (good)/(total)`.
fn ratio_sli(events: Events, numerator: &Query, total: &Query) -> Sli {
    match (counter_shape(numerator), counter_shape(total)) {
        (Some((selector, by)), Some((total, total_by))) if by == total_by => Sli::Ratio(RatioSli {
            events: match events {
                Events::Good => RatioEvents::Good(selector),
                Events::Bad => RatioEvents::Errors(selector),
            },
            total,
            group_by: by,
        }),
        _ => {
            let (numerator, total) = (windowed(numerator), windowed(total));
            let error_ratio = match events {
                Events::Bad => format!("({numerator})/({total})"),
                Events::Good => format!("1 - (({numerator})/({total}))"),
            };
            Sli::Raw(RawSli { error_ratio })
        }
    }
}

/// A precomputed ratio: averaged over the window when it is a bare series.
fn raw_ratio_sli(failure: bool, query: &Query) -> Sli {
    let ratio = match query {
        Query::Selector(selector) => format!("avg_over_time({selector}[{WINDOW_PLACEHOLDER}])"),
        Query::Template(template) => template.clone(),
    };
    let error_ratio = if failure {
        ratio
    } else {
        format!("1 - ({ratio})")
    };
    Sli::Raw(RawSli { error_ratio })
}

/// The counter selector and grouping a query sums, if it is that simple.
fn counter_shape(query: &Query) -> Option<(Selector, Vec<String>)> {
    match query {
        Query::Selector(selector) => Some((selector.clone(), Vec::new())),
        Query::Template(template) => sloth::counter_sum(template),
    }
}

/// The query as PromQL over the window: a counter's rate, or the template as written.
fn windowed(query: &Query) -> String {
    match query {
        Query::Selector(selector) => format!("sum(rate({selector}[{WINDOW_PLACEHOLDER}]))"),
        Query::Template(template) => template.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objective_names_are_made_of_the_display_name_or_the_index() {
        let objective = |text: &str| crate::spec::yaml::parse(text).unwrap();
        assert_eq!(
            objective_name("api", &objective("displayName: Foo Total Errors\n"), 0),
            "api-foo-total-errors"
        );
        assert_eq!(
            objective_name("api", &objective("displayName: 99.5%\n"), 1),
            "api-99-5"
        );
        assert_eq!(
            objective_name("api", &objective("target: 0.9\n"), 2),
            "api-2"
        );
    }

    #[test]
    fn histogram_bucket_selectors_give_the_histogram_and_its_matchers() {
        assert_eq!(
            bucket_series("http_seconds_bucket{job=\"api\"}"),
            Some(("http_seconds".to_string(), "{job=\"api\"}".to_string()))
        );
        assert_eq!(
            bucket_series("x_bucket"),
            Some(("x".to_string(), String::new()))
        );
        assert_eq!(bucket_series("x_bucket{le=\"0.3\"}"), None);
        assert_eq!(bucket_series("x_count"), None);
    }

    #[test]
    fn counters_on_both_sides_are_a_ratio_and_the_rest_raw() {
        let selector = |s: &str| Query::Selector(Selector(s.to_string()));
        let sli = ratio_sli(Events::Good, &selector("ok_total"), &selector("all_total"));
        assert_eq!(sli.kind(), "ratio");
        let template = Query::Template("max(rate(all_total[{{window}}]))".to_string());
        let Sli::Raw(raw) = ratio_sli(Events::Good, &selector("ok_total"), &template) else {
            panic!("not raw");
        };
        assert_eq!(
            raw.error_ratio,
            "1 - ((sum(rate(ok_total[{{window}}])))/(max(rate(all_total[{{window}}]))))"
        );
    }
}
