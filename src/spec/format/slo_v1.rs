//! `slo.yaml` version 1, our own format: which fields exist, what they mean, and the
//! [`Spec`] built from them. Every read goes through the [`Reader`], which records each
//! problem and carries on, so one run reports them all.

use std::collections::BTreeMap;

use super::prometheus as prom;
use crate::model::{
    AlertPolicy, Alerting, BURN_RATE_WINDOWS, Calendar, DEFAULT_WINDOW, GatePolicy, Labels,
    LatencySli, Manifest, Objective, Period, RatioEvents, RatioSli, RawSli, Sli, Slo, Spec,
    WINDOW_PLACEHOLDER, Window, burn_rate_alerts, measured_windows, window_list,
};
use crate::promql;
use crate::spec::Diagnostic;
use crate::spec::reader::{
    Field, Node, Position, Reader, Shape, UnknownKeys, Value, peek_string, scalar_text,
};

pub const SPEC_VERSION: i64 = 1;

/// The document: `slo schema` prints it as JSON Schema.
pub const DOCUMENT: Shape = Shape::fields(TOP_FIELDS);

const LABELS: Shape = Shape::Map(&Shape::Scalar);
const GATE: Shape = Shape::fields(GATE_FIELDS);

const TOP_FIELDS: &[Field] = &[
    Field::required("version").of(Shape::Exactly(SPEC_VERSION)),
    Field::required("service").of(Shape::String),
    Field::optional("labels").of(LABELS),
    Field::optional("gate").of(GATE),
    Field::optional("timezone").of(Shape::String),
    Field::optional("kubernetes").of(Shape::fields(KUBERNETES_FIELDS)),
    Field::required("slos").of(Shape::List {
        items: "SLOs",
        hint: None,
        of: &Shape::fields(SLO_FIELDS),
    }),
];
const SLO_FIELDS: &[Field] = &[
    Field::required("name").of(Shape::String),
    Field::optional("description").of(Shape::String),
    Field::required("objective").of(Shape::Number),
    Field::optional("window").of(Shape::String),
    Field::optional("timezone").of(Shape::String),
    Field::optional("labels").of(LABELS),
    Field::required("sli").of(Shape::Fields {
        fields: SLI_KINDS,
        one_of: &["ratio", "latency", "raw"],
    }),
    Field::optional("alerting").of(Shape::fields(ALERTING_FIELDS)),
    Field::optional("gate").of(GATE),
];
const SLI_KINDS: &[Field] = &[
    Field::optional("ratio").of(Shape::Fields {
        fields: RATIO_FIELDS,
        one_of: &["errors", "good"],
    }),
    Field::optional("latency").of(Shape::fields(LATENCY_FIELDS)),
    Field::optional("raw").of(Shape::fields(RAW_FIELDS)),
];
const RATIO_FIELDS: &[Field] = &[
    Field::optional("errors").of(Shape::String),
    Field::optional("good").of(Shape::String),
    Field::required("total").of(Shape::String),
    Field::optional("group_by").of(prom::LABEL_NAMES),
];
const LATENCY_FIELDS: &[Field] = &[
    Field::required("histogram").of(Shape::String),
    Field::optional("selector").of(Shape::String),
    Field::required("threshold").of(Shape::Number),
    Field::optional("group_by").of(prom::LABEL_NAMES),
];
const RAW_FIELDS: &[Field] = &[Field::required("error_ratio").of(Shape::String)];
const ALERTING_FIELDS: &[Field] = &[
    Field::optional("name").of(Shape::String),
    Field::optional("page").of(Shape::fields(ALERT_FIELDS)),
    Field::optional("ticket").of(Shape::fields(ALERT_FIELDS)),
];
const ALERT_FIELDS: &[Field] = &[
    Field::optional("enabled").of(Shape::Boolean),
    Field::optional("labels").of(LABELS),
    Field::optional("annotations").of(LABELS),
];
/// The PrometheusRule that `generate-rules --format prometheus-rule` writes; what a Sloth
/// `PrometheusServiceLevel`'s `metadata` says, so `slo convert` keeps it.
const KUBERNETES_FIELDS: &[Field] = &[
    Field::optional("name").of(Shape::String),
    Field::optional("namespace").of(Shape::String),
    Field::optional("labels").of(LABELS),
];
const GATE_FIELDS: &[Field] = &[
    Field::optional("min_budget_remaining").of(Shape::Number),
    Field::optional("max_burn_rate").of(Shape::Map(&Shape::Number)),
];

/// Reads one spec document; as the format is ours, an unknown key is an error. SLOs
/// without `window:` get `default_window`.
pub fn read(root: &Node, source: &str, default_window: Window) -> Result<Spec, Vec<Diagnostic>> {
    let mut r = Reader::new(UnknownKeys::Reject);
    let spec = spec(&mut r, root, source, default_window);
    r.finish(spec).map(|read| read.value)
}

fn spec(r: &mut Reader, root: &Node, source: &str, default_window: Window) -> Spec {
    let mut spec = Spec::new(source);
    if root.value == Value::Null {
        r.error_hint(
            root.pos,
            "the spec is empty",
            "start with `version: 1`, `service:` and `slos:`",
        );
        return spec;
    }
    let Some(top) = r.mapping(root, TOP_FIELDS) else {
        return spec;
    };
    r.field(&top, "version", |r, node| {
        let written_as = match &node.value {
            Value::Int(SPEC_VERSION) => return,
            // `1.0` and `'1'` look right but are a float and a string; say how to write it.
            Value::Float(f) if *f == SPEC_VERSION as f64 => format!("the decimal number `{f:?}`"),
            Value::Str(s) if s.trim() == SPEC_VERSION.to_string() => format!("the string `{s}`"),
            _ => {
                r.error_hint(
                    node.pos,
                    format!("unsupported spec version {}", scalar_text(node)),
                    "this slo reads `version: 1`",
                );
                return;
            }
        };
        r.error_hint(
            node.pos,
            format!("the version is {written_as}"),
            "write `version: 1`: a whole number, without quotes",
        );
    });
    if let Some(service) = r.field(&top, "service", name).flatten() {
        spec.service = service;
    }
    let top_labels = r.field(&top, "labels", prom::labels).unwrap_or_default();
    let top_gate = r.field(&top, "gate", gate);
    let top_timezone = r.field(&top, "timezone", timezone).flatten();
    spec.manifest = r.field(&top, "kubernetes", kubernetes);
    let Some(items) = r.field(&top, "slos", slo_list).flatten() else {
        return spec;
    };
    let mut first_lines: BTreeMap<&str, u64> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        // Name the SLO in every diagnostic about it, even those about fields before `name:`.
        let label = match peek_string(item, "name") {
            Some(name) if is_slo_name(name) => name.to_string(),
            _ => format!("slos[{index}]"),
        };
        r.within(label, |r| {
            let inherited = Inherited {
                labels: &top_labels,
                gate: top_gate.as_ref(),
                timezone: top_timezone.as_ref(),
                default_window,
            };
            if let Some(slo) = slo(r, item, &inherited) {
                spec.slos.push(slo);
            }
            let Some(name) = peek_string(item, "name") else {
                return;
            };
            match first_lines.get(name) {
                Some(first_line) => r.at("name", |r| {
                    r.error_hint(
                        item.pos,
                        format!("duplicate SLO name `{name}`"),
                        format!("the name is first used on line {first_line}; names must be unique in a file"),
                    )
                }),
                None => {
                    first_lines.insert(name, item.pos.line);
                }
            }
        });
    }
    spec
}

/// `kubernetes:`, checked as `generate-rules --format prometheus-rule` will use it.
fn kubernetes(r: &mut Reader, node: &Node) -> Manifest {
    let mut manifest = Manifest::default();
    let Some(fields) = r.mapping(node, KUBERNETES_FIELDS) else {
        return manifest;
    };
    manifest.name = r
        .field(&fields, "name", |r, n| {
            let name = r.string(n)?;
            checked(r, n, crate::rules::manifest_name("", Some(&name)))
        })
        .flatten();
    manifest.namespace = r
        .field(&fields, "namespace", |r, n| {
            let namespace = r.string(n)?;
            let check = crate::rules::check_namespace(&namespace).map(|()| namespace);
            checked(r, n, check)
        })
        .flatten();
    manifest.labels = r
        .field(&fields, "labels", Reader::string_map)
        .unwrap_or_default();
    manifest
}

fn checked<T>(r: &mut Reader, node: &Node, check: Result<T, String>) -> Option<T> {
    check.map_err(|message| r.error(node.pos, message)).ok()
}

fn slo_list<'a>(r: &mut Reader, node: &'a Node) -> Option<&'a [Node]> {
    let items = r.list(node, "SLOs", None)?;
    if items.is_empty() {
        r.error(node.pos, "lists no SLO");
        return None;
    }
    Some(items)
}

/// What every SLO takes from the top level of the spec (and the command line's
/// `--default-window`).
struct Inherited<'a> {
    labels: &'a Labels,
    gate: Option<&'a Gate>,
    timezone: Option<&'a jiff::tz::TimeZone>,
    default_window: Window,
}

fn slo(r: &mut Reader, node: &Node, inherited: &Inherited) -> Option<Slo> {
    let (top_labels, top_gate) = (inherited.labels, inherited.gate);
    let fields = r.mapping(node, SLO_FIELDS)?;
    let name = r.field(&fields, "name", name).flatten();
    let description = r.field(&fields, "description", Reader::string).flatten();
    let objective = r.field(&fields, "objective", objective).flatten();
    let compliance = r
        .field(&fields, "window", compliance)
        .unwrap_or(Some(Compliance::Rolling(inherited.default_window)));
    let own_timezone = r.field(&fields, "timezone", timezone);
    let (window, calendar) = match compliance {
        Some(Compliance::Rolling(window)) => {
            if let (Some(_), Some(node)) = (&own_timezone, fields.get("timezone")) {
                r.at("timezone", |r| {
                    r.error_hint(
                        node.pos,
                        format!("a rolling {window} window has no time zone"),
                        "a time zone applies to `window: week`, `month` or `quarter`",
                    )
                });
            }
            (Some(window), None)
        }
        Some(Compliance::Calendar(period)) => {
            let timezone = match own_timezone {
                Some(own) => own,
                None => Some(
                    inherited
                        .timezone
                        .cloned()
                        .unwrap_or(jiff::tz::TimeZone::UTC),
                ),
            };
            let calendar = timezone.map(|timezone| Calendar { period, timezone });
            (Some(period.nominal()), calendar)
        }
        None => (None, None),
    };
    let mut labels = top_labels.clone();
    labels.extend(r.field(&fields, "labels", prom::labels).unwrap_or_default());
    let sli = r.field(&fields, "sli", sli).flatten();
    let alerting = r.field(&fields, "alerting", alerting).unwrap_or_default();
    if let (Some(sli), Some(node)) = (&sli, fields.get("sli")) {
        check_group_labels(r, node.pos, sli, &labels, &alerting);
    }
    let own_gate = r.field(&fields, "gate", gate);
    let gate = match window {
        Some(window) => slo_gate(r, window, top_gate, own_gate),
        None => GatePolicy::default(),
    };
    Some(Slo {
        name: name?,
        description,
        objective: objective?,
        window: window?,
        calendar,
        labels,
        sli: sli?,
        alerting,
        gate,
    })
}

/// A group_by label that generated series also get from the spec (`labels:`, alert
/// labels) or from slo itself would be overwritten with one value for every group, and
/// Prometheus fails such rules: "vector contains metrics with the same labelset".
pub(super) fn check_group_labels(
    r: &mut Reader,
    pos: Position,
    sli: &Sli,
    labels: &Labels,
    alerting: &Alerting,
) {
    for name in sli.group_by() {
        let set_by = if promql::is_reserved_label(name) || promql::is_alert_label(name) {
            "slo itself"
        } else if labels.contains_key(name) {
            "labels:"
        } else if [&alerting.page, &alerting.ticket]
            .iter()
            .any(|p| p.labels.contains_key(name))
        {
            "alerting labels"
        } else {
            continue;
        };
        r.at_path(&["sli", sli.kind(), "group_by"], |r| {
            r.error_hint(
                pos,
                format!("`{name}` is also set on every generated series by {set_by}"),
                "group by another label, or set this one only in group_by",
            )
        });
    }
}

/// Merges the SLO's gate over the top-level one and checks that every burn-rate window
/// named is one that `slo report` measures for this SLO.
fn slo_gate(r: &mut Reader, window: Window, top: Option<&Gate>, own: Option<Gate>) -> GatePolicy {
    let measured = measured_windows(window);
    for gate in [top, own.as_ref()].into_iter().flatten() {
        for (w, pos) in &gate.key_positions {
            if !measured.contains(w) {
                r.at_path(&["gate", "max_burn_rate"], |r| {
                    r.error_hint(
                        *pos,
                        format!("no burn rate is measured over {w}"),
                        format!("use one of {}", window_list(&measured)),
                    )
                });
            }
        }
    }
    let base = top.map(|t| t.policy.clone()).unwrap_or_default();
    match own {
        Some(own) => base.merged_with(&own.policy),
        None => base,
    }
}

/// A service or SLO name: it becomes a label value and part of alert and rule names.
fn name(r: &mut Reader, node: &Node) -> Option<String> {
    let name = r.string(node)?;
    if is_slo_name(&name) {
        Some(name)
    } else {
        r.error_hint(node.pos, format!("`{name}` is not a valid name"), NAME_HINT);
        None
    }
}

const NAME_HINT: &str =
    "use letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit";

fn objective(r: &mut Reader, node: &Node) -> Option<Objective> {
    let value = r.number(node)?;
    // An objective of 1% or less is a fraction written where a percentage belongs.
    if value > 1.0 && value < 100.0 {
        // Every output writes numbers to 10 significant digits (`tidy`); beyond that,
        // 99.99999999999 would be written as an objective of 100% with a budget of 1e-13.
        if crate::model::tidy(value) != value {
            r.error_hint(
                node.pos,
                format!("{value} has more than 10 significant digits"),
                "write at most 10 digits, e.g. 99.999",
            );
            return None;
        }
        Some(Objective::from_percent(value))
    } else {
        r.error_hint(
            node.pos,
            format!("must be a percentage above 1 and below 100, got {value}"),
            "write 99.9 for 99.9%, not 0.999",
        );
        None
    }
}

/// What `window:` says: a rolling duration or a calendar period.
enum Compliance {
    Rolling(Window),
    Calendar(Period),
}

fn compliance(r: &mut Reader, node: &Node) -> Option<Compliance> {
    let text = match &node.value {
        Value::Str(text) => text.as_str(),
        _ => return compliance_window(r, node).map(Compliance::Rolling),
    };
    if let Some(period) = Period::ALL.into_iter().find(|p| p.name() == text) {
        return Some(Compliance::Calendar(period));
    }
    // A calendar period must hold the longest alert window, or its alerts could fire on
    // more errors than the whole period allows.
    let longest_alert = burn_rate_alerts(DEFAULT_WINDOW)
        .map(|a| a.long_window)
        .into_iter()
        .max()
        .unwrap_or(MIN_WINDOW);
    if text == "day" {
        r.error_hint(
            node.pos,
            format!("a calendar day is shorter than the longest alert window ({longest_alert})"),
            "use `week`, `month` or `quarter`, or a rolling window such as 7d",
        );
        return None;
    }
    compliance_window(r, node).map(Compliance::Rolling)
}

/// An IANA time zone name such as `Europe/Berlin`, looked up in the time zone database.
pub(super) fn timezone(r: &mut Reader, node: &Node) -> Option<jiff::tz::TimeZone> {
    let name = r.string(node)?;
    match jiff::tz::TimeZone::get(&name) {
        Ok(tz) => Some(tz),
        Err(_) => {
            r.error_hint(
                node.pos,
                format!("unknown time zone `{name}`"),
                "use an IANA time zone name such as UTC, Europe/Berlin or America/New_York",
            );
            None
        }
    }
}

fn compliance_window(r: &mut Reader, node: &Node) -> Option<Window> {
    let window = prom::duration(r, node)?;
    match check_compliance_window(window) {
        Ok(window) => Some(window),
        Err((message, hint)) => {
            r.error_hint(node.pos, message, hint);
            None
        }
    }
}

/// The shortest compliance window: the longest alerting window (3d).
const MIN_WINDOW: Window = Window::from_secs(3 * 86_400);

/// The compliance window must hold the longest alerting window (3d), stay within what a
/// Prometheus usually retains, and be whole minutes; the error is a message and a hint.
pub fn check_compliance_window(window: Window) -> Result<Window, (String, String)> {
    const MAX_WINDOW: Window = Window::from_secs(366 * 86_400);
    if window < MIN_WINDOW || window > MAX_WINDOW {
        return Err((
            format!("a compliance window of {window} is not supported"),
            format!("use a window from {MIN_WINDOW} to {MAX_WINDOW}, e.g. 7d, 28d or 30d"),
        ));
    }
    if !window.duration().as_millis().is_multiple_of(60_000) {
        return Err((
            format!("{window} is not a whole number of minutes"),
            "use a window such as 30d".to_string(),
        ));
    }
    Ok(window)
}

fn sli(r: &mut Reader, node: &Node) -> Option<Sli> {
    const ONE_KIND: &str = "give exactly one of `ratio`, `latency` or `raw`";
    let fields = r.mapping(node, SLI_KINDS)?;
    let kinds = fields.known_entries();
    match kinds.as_slice() {
        [] => {
            r.error_hint(fields.pos, "names no SLI kind", ONE_KIND);
            None
        }
        [(kind, body)] => r.at(&kind.name, |r| sli_of_kind(r, &kind.name, body)),
        [_, (second, _), ..] => {
            // Read each kind anyway, so their own problems are reported in this run too.
            for (kind, body) in &kinds {
                r.at(&kind.name, |r| sli_of_kind(r, &kind.name, body));
            }
            let names: Vec<&str> = kinds.iter().map(|(k, _)| k.name.as_str()).collect();
            r.error_hint(
                second.pos,
                format!("gives more than one SLI kind: {}", names.join(", ")),
                ONE_KIND,
            );
            None
        }
    }
}

fn sli_of_kind(r: &mut Reader, kind: &str, body: &Node) -> Option<Sli> {
    match kind {
        "ratio" => ratio(r, body).map(Sli::Ratio),
        "latency" => latency(r, body).map(Sli::Latency),
        _ => raw(r, body).map(Sli::Raw),
    }
}

fn ratio(r: &mut Reader, node: &Node) -> Option<RatioSli> {
    let fields = r.mapping(node, RATIO_FIELDS)?;
    let errors = r.field(&fields, "errors", prom::selector);
    let good = r.field(&fields, "good", prom::selector);
    let events = match (errors, good) {
        (Some(errors), None) => errors.map(RatioEvents::Errors),
        (None, Some(good)) => good.map(RatioEvents::Good),
        (Some(_), Some(_)) => {
            let good_pos = fields.get("good").map_or(fields.pos, |n| n.pos);
            r.error_hint(
                good_pos,
                "gives both `errors` and `good`",
                "count either the bad events or the good ones, not both",
            );
            None
        }
        // Given, but of the wrong shape: already reported.
        (None, None) if fields.get("errors").or(fields.get("good")).is_some() => None,
        (None, None) => {
            r.error_hint(
                fields.pos,
                "needs `errors` or `good`",
                "e.g. errors: http_requests_total{status=\"5xx\"}",
            );
            None
        }
    };
    let total = r.field(&fields, "total", prom::selector).flatten();
    let group_by = r
        .field(&fields, "group_by", prom::label_names)
        .unwrap_or(Some(Vec::new()));
    Some(RatioSli {
        events: events?,
        total: total?,
        group_by: group_by?,
    })
}

fn latency(r: &mut Reader, node: &Node) -> Option<LatencySli> {
    let fields = r.mapping(node, LATENCY_FIELDS)?;
    let histogram = r
        .field(&fields, "histogram", prom::histogram_name)
        .flatten();
    let selector = r
        .field(&fields, "selector", |r, n| {
            prom::bucket_matchers(r, n, histogram.as_deref())
        })
        .unwrap_or(Some(String::new()));
    let threshold = r.field(&fields, "threshold", threshold).flatten();
    let group_by = r
        .field(&fields, "group_by", |r, n| {
            let groups = prom::label_names(r, n)?;
            if groups.iter().any(|g| g == "le") {
                r.error(n.pos, "cannot group by `le`: it is the bucket label");
                return None;
            }
            Some(groups)
        })
        .unwrap_or(Some(Vec::new()));
    Some(LatencySli {
        histogram: histogram?,
        selector: selector?,
        threshold: threshold?,
        group_by: group_by?,
    })
}

fn threshold(r: &mut Reader, node: &Node) -> Option<f64> {
    let seconds = r.number(node)?;
    if seconds > 0.0 {
        Some(seconds)
    } else {
        r.error_hint(
            node.pos,
            format!("must be a positive number of seconds, got {seconds}"),
            "e.g. 0.3 for 300 ms; it must be one of the histogram's bucket boundaries",
        );
        None
    }
}

fn raw(r: &mut Reader, node: &Node) -> Option<RawSli> {
    let fields = r.mapping(node, RAW_FIELDS)?;
    r.field(&fields, "error_ratio", error_ratio_query).flatten()
}

/// PromQL with `{{window}}` where the range goes, checked with the shortest window in it.
fn error_ratio_query(r: &mut Reader, node: &Node) -> Option<RawSli> {
    let text = r.string(node)?;
    raw_sli(r, node, text)
}

/// `text`, written at `node`, as a raw SLI: it must have the placeholder and parse.
pub(super) fn raw_sli(r: &mut Reader, node: &Node, text: String) -> Option<RawSli> {
    if !text.contains(WINDOW_PLACEHOLDER) {
        r.error_hint(
            node.pos,
            format!("has no {WINDOW_PLACEHOLDER} placeholder"),
            format!(
                "write the range as [{WINDOW_PLACEHOLDER}], e.g. sum(rate(errors_total[{WINDOW_PLACEHOLDER}])) / sum(rate(requests_total[{WINDOW_PLACEHOLDER}]))"
            ),
        );
        return None;
    }
    let raw = RawSli { error_ratio: text };
    let query = raw.query(BURN_RATE_WINDOWS[0]);
    match prom::parse_query(r, node, &query)? {
        Ok(_) => Some(raw),
        Err(err) => {
            prom::invalid_promql(
                r,
                node,
                &err,
                format!("the query checked, with the window substituted: {query}"),
            );
            None
        }
    }
}

fn alerting(r: &mut Reader, node: &Node) -> Alerting {
    let mut alerting = Alerting::default();
    let Some(fields) = r.mapping(node, ALERTING_FIELDS) else {
        return alerting;
    };
    if let Some(name) = r.field(&fields, "name", prom::alert_name).flatten() {
        alerting.name = name;
    }
    if let Some(page) = r.field(&fields, "page", alert_policy) {
        alerting.page = page;
    }
    if let Some(ticket) = r.field(&fields, "ticket", alert_policy) {
        alerting.ticket = ticket;
    }
    alerting
}

fn alert_policy(r: &mut Reader, node: &Node) -> AlertPolicy {
    let mut policy = AlertPolicy::default();
    let Some(fields) = r.mapping(node, ALERT_FIELDS) else {
        return policy;
    };
    if let Some(enabled) = r.field(&fields, "enabled", Reader::boolean).flatten() {
        policy.enabled = enabled;
    }
    if let Some(labels) = r.field(&fields, "labels", prom::labels) {
        policy.labels = labels;
    }
    if let Some(annotations) = r.field(&fields, "annotations", Reader::string_map) {
        policy.annotations = annotations;
    }
    policy
}

/// A `gate:` section, kept with the positions of its burn-rate windows until each SLO's
/// compliance window (which decides the windows measured) is known.
#[derive(Default)]
struct Gate {
    policy: GatePolicy,
    key_positions: BTreeMap<Window, Position>,
}

fn gate(r: &mut Reader, node: &Node) -> Gate {
    let mut gate = Gate::default();
    let Some(fields) = r.mapping(node, GATE_FIELDS) else {
        return gate;
    };
    gate.policy.min_budget_remaining = r
        .field(&fields, "min_budget_remaining", min_budget_remaining)
        .flatten();
    for (window, factor, pos) in r
        .field(&fields, "max_burn_rate", max_burn_rates)
        .unwrap_or_default()
    {
        gate.policy.max_burn_rate.insert(window, factor);
        gate.key_positions.insert(window, pos);
    }
    gate
}

fn min_budget_remaining(r: &mut Reader, node: &Node) -> Option<f64> {
    let pct = r.number(node)?;
    if (0.0..=100.0).contains(&pct) {
        Some(pct)
    } else {
        r.error_hint(
            node.pos,
            format!("must be a percentage from 0 to 100, got {pct}"),
            "e.g. 25 to require a quarter of the error budget left",
        );
        None
    }
}

/// Window -> largest allowed burn rate, with where each window was written.
fn max_burn_rates(r: &mut Reader, node: &Node) -> Vec<(Window, f64, Position)> {
    let mut rules = Vec::new();
    for (key, value) in r.open_mapping(node).unwrap_or_default() {
        let window = match Window::parse(&key.name) {
            Ok(w) => w,
            Err(err) => {
                r.error_hint(
                    key.pos,
                    format!("`{}` is not a duration: {err}", key.name),
                    "keys are burn-rate windows such as 1h or 6h",
                );
                continue;
            }
        };
        r.at(&key.name, |r| {
            let factor = r.number(value)?;
            if factor > 0.0 {
                rules.push((window, factor, key.pos));
            } else {
                r.error(
                    value.pos,
                    format!("must be a positive burn-rate factor, got {factor}"),
                );
            }
            Some(())
        });
    }
    rules
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`: Sloth's names (capitals and dots included,
/// which its users' series, alert routes and dashboards carry), and single characters.
fn is_slo_name(s: &str) -> bool {
    let edge = |c: char| c.is_ascii_alphanumeric();
    !s.is_empty()
        && s.starts_with(edge)
        && s.ends_with(edge)
        && s.chars().all(|c| edge(c) || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_slo_name("demo-api"));
        assert!(is_slo_name("a"));
        assert!(is_slo_name("Queue.Worker"));
        assert!(!is_slo_name("Demo API"));
        assert!(!is_slo_name("a."));
        assert!(!is_slo_name("-a"));
        assert!(!is_slo_name("a_"));
    }

    #[test]
    fn objectives_beyond_ten_significant_digits_are_rejected() {
        let spec = |objective: &str| {
            crate::spec::parse(
                &format!(
                    "version: 1\nservice: s\nslos:\n  - name: a\n    objective: {objective}\n    \
                     window: 30d\n    sli: {{raw: {{error_ratio: 'sum(rate(e[{{{{window}}}}]))'}}}}\n"
                ),
                "test.yaml",
            )
        };
        for ok in ["99.9", "99.95", "99.99999999", "95"] {
            if let Err(e) = spec(ok) {
                panic!("{ok}: {e}")
            }
        }
        let err = spec("99.99999999999").unwrap_err().to_string();
        assert!(err.contains("more than 10 significant digits"), "{err}");
    }

    #[test]
    fn the_alert_name_defaults_to_slo_error_budget_burn_and_must_be_a_metric_name() {
        let spec = |alerting: &str| {
            crate::spec::parse(
                &format!(
                    "version: 1\nservice: s\nslos:\n  - name: a\n    objective: 99\n    \
                     sli: {{raw: {{error_ratio: 'sum(rate(e[{{{{window}}}}]))'}}}}\n    {alerting}\n"
                ),
                "test.yaml",
            )
        };
        let name = |alerting| spec(alerting).unwrap().slos[0].alerting.name.clone();
        assert_eq!(name(""), "SLOErrorBudgetBurn");
        assert_eq!(name("alerting: {name: CheckoutBurn}"), "CheckoutBurn");
        let err = spec("alerting: {name: checkout burn}")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("alerting.name: `checkout burn` is not a valid alert name"),
            "{err}"
        );
    }

    #[test]
    fn kubernetes_names_the_prometheus_rule_as_kubernetes_checks_names() {
        let spec = |kubernetes: &str| {
            crate::spec::parse(
                &format!(
                    "version: 1\nservice: s\nkubernetes: {kubernetes}\nslos:\n  - name: a\n    \
                     objective: 99\n    sli: {{raw: {{error_ratio: 'sum(rate(e[{{{{window}}}}]))'}}}}\n"
                ),
                "test.yaml",
            )
        };
        let manifest = spec("{name: a.b, namespace: mon, labels: {team: x}}")
            .unwrap()
            .manifest
            .unwrap();
        assert_eq!(
            (manifest.name.as_deref(), manifest.namespace.as_deref()),
            (Some("a.b"), Some("mon"))
        );
        assert_eq!(manifest.labels["team"], "x");
        let err = spec("{namespace: Mon}").unwrap_err().to_string();
        assert!(
            err.contains(
                "test.yaml:3:25: kubernetes.namespace: `Mon` is not a valid Kubernetes namespace"
            ),
            "{err}"
        );
        assert_eq!(spec("{}").unwrap().manifest, Some(Default::default()));
    }

    #[test]
    fn group_by_labels_set_on_generated_series_are_rejected() {
        let spec = |group: &str, labels: &str| {
            crate::spec::parse(
                &format!(
                    "version: 1\nservice: s\nlabels: {{{labels}}}\nslos:\n  - name: a\n    \
                     objective: 99\n    sli: {{ratio: {{errors: 'e', total: t, group_by: [{group}]}}}}\n    \
                     alerting: {{page: {{labels: {{route: x}}}}}}\n"
                ),
                "test.yaml",
            )
        };
        assert!(spec("handler", "team: x").is_ok());
        for (group, by) in [
            ("slo_name", "slo itself"),
            ("sloth_service", "slo itself"),
            ("severity", "slo itself"),
            ("team", "labels:"),
            ("route", "alerting labels"),
        ] {
            let err = spec(group, "team: x").unwrap_err().to_string();
            assert!(
                err.contains(&format!(
                    "`{group}` is also set on every generated series by {by}"
                )),
                "{err}"
            );
        }
    }
}
