//! Sloth's specs, read as Sloth reads them: `version: prometheus/v1` (snake_case keys) and the
//! Kubernetes `PrometheusServiceLevel` of `sloth.slok.dev/v1` (camelCase keys under `spec`).
//!
//! Sloth's own validation is reproduced (names, objective in (0, 100], the `{{.window}}`
//! placeholder in every query, valid PromQL, an alert name unless both alerts are off), and
//! like Sloth an unknown key is only a warning. Names are kept exactly as written, capitals
//! and dots included, so the series and alerts keep the labels Sloth gave them.

use std::collections::BTreeMap;

use promql_parser::label::Labels as PromLabels;
use promql_parser::parser::{self, Expr, LabelModifier};

use super::prometheus as prom;
use super::slo_v1;
use crate::model::{
    AlertPolicy, Alerting, BURN_RATE_WINDOWS, Labels, Manifest, Objective, RatioEvents, RatioSli,
    Selector, Sli, Slo, Spec, WINDOW_PLACEHOLDER, Window,
};
use crate::spec::Diagnostic;
use crate::spec::reader::{Field, Mapping, Node, Read, Reader, UnknownKeys, Value, peek_string};

pub const PROMETHEUS_V1: &str = "prometheus/v1";
pub const CRD_API_VERSION: &str = "sloth.slok.dev/v1";
pub const CRD_KIND: &str = "PrometheusServiceLevel";

/// Which of Sloth's two spellings a document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    PrometheusV1,
    Kubernetes,
}

/// The keys that differ between the dialects; the rest are shared.
struct Schema {
    plugins_key: &'static str,
    events: &'static [Field],
    raw: &'static [Field],
    alerting: &'static [Field],
}

const V1_TOP_FIELDS: &[Field] = &[
    Field::required("version"),
    Field::required("service"),
    Field::optional("labels"),
    Field::optional("slo_plugins"),
    Field::required("slos"),
];
const CRD_TOP_FIELDS: &[Field] = &[
    Field::required("apiVersion"),
    Field::required("kind"),
    Field::optional("metadata"),
    Field::required("spec"),
];
const CRD_SPEC_FIELDS: &[Field] = &[
    Field::required("service"),
    Field::optional("labels"),
    Field::optional("sloPlugins"),
    Field::required("slos"),
];
const SLO_FIELDS: &[Field] = &[
    Field::required("name"),
    Field::optional("description"),
    Field::required("objective"),
    Field::optional("labels"),
    Field::optional("plugins"),
    Field::required("sli"),
    Field::optional("alerting"),
];
const SLI_KINDS: &[Field] = &[
    Field::optional("events"),
    Field::optional("raw"),
    Field::optional("plugin"),
];
const PLUGIN_FIELDS: &[Field] = &[Field::required("id"), Field::optional("options")];
const ALERT_FIELDS: &[Field] = &[
    Field::optional("disable"),
    Field::optional("labels"),
    Field::optional("annotations"),
];

const V1: Schema = Schema {
    plugins_key: "slo_plugins",
    events: &[
        Field::required("error_query"),
        Field::required("total_query"),
    ],
    // An early Sloth release spelled it `errorRatioQuery` in prometheus/v1 too.
    raw: &[
        Field::optional("error_ratio_query"),
        Field::optional("errorRatioQuery"),
    ],
    alerting: &[
        Field::optional("name"),
        Field::optional("labels"),
        Field::optional("annotations"),
        Field::optional("page_alert"),
        Field::optional("ticket_alert"),
    ],
};
const CRD: Schema = Schema {
    plugins_key: "sloPlugins",
    events: &[Field::required("errorQuery"), Field::required("totalQuery")],
    raw: &[Field::required("errorRatioQuery")],
    alerting: &[
        Field::optional("name"),
        Field::optional("labels"),
        Field::optional("annotations"),
        Field::optional("pageAlert"),
        Field::optional("ticketAlert"),
    ],
};

/// Reads one Sloth document; every SLO gets `window`, as Sloth's specs have no period.
pub fn read(
    root: &Node,
    source: &str,
    dialect: Dialect,
    window: Window,
) -> Result<Read<Spec>, Vec<Diagnostic>> {
    let mut r = Reader::new(UnknownKeys::Warn);
    let mut spec = Spec::new(source);
    match dialect {
        Dialect::PrometheusV1 => {
            if let Some(top) = r.mapping(root, V1_TOP_FIELDS) {
                service_level(&mut r, &top, &V1, window, &mut spec);
            }
        }
        Dialect::Kubernetes => {
            if let Some(top) = r.mapping(root, CRD_TOP_FIELDS) {
                spec.manifest = Some(r.field(&top, "metadata", manifest).unwrap_or_default());
                r.field(&top, "spec", |r, node| {
                    if let Some(fields) = r.mapping(node, CRD_SPEC_FIELDS) {
                        service_level(r, &fields, &CRD, window, &mut spec);
                    }
                });
            }
        }
    }
    r.finish(spec)
}

/// The Kubernetes object's name, namespace and labels; the rest of `metadata` is Kubernetes'.
fn manifest(r: &mut Reader, node: &Node) -> Manifest {
    let mut manifest = Manifest::default();
    for (key, value) in r.open_mapping(node).unwrap_or_default() {
        r.at(&key.name, |r| match key.name.as_str() {
            "name" => manifest.name = r.string(value),
            "namespace" => manifest.namespace = r.string(value),
            "labels" => manifest.labels = r.string_map(value),
            _ => {}
        });
    }
    manifest
}

/// The fields shared by both dialects: service, labels, plugins and SLOs.
fn service_level(r: &mut Reader, top: &Mapping, schema: &Schema, window: Window, spec: &mut Spec) {
    if let Some(service) = r.field(top, "service", sloth_name).flatten() {
        spec.service = service;
    }
    let labels = r.field(top, "labels", labels).unwrap_or_default();
    r.field(top, schema.plugins_key, ignored_plugins);
    let Some(items) = r.field(top, "slos", slo_list).flatten() else {
        return;
    };
    let mut first_lines: BTreeMap<&str, u64> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        let label = match peek_string(item, "name") {
            Some(name) if is_sloth_name(name) => name.to_string(),
            _ => format!("slos[{index}]"),
        };
        r.within(label, |r| {
            if let Some(slo) = slo(r, item, schema, &labels, window) {
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
                        format!("the name is first used on line {first_line}; Sloth requires unique names"),
                    )
                }),
                None => {
                    first_lines.insert(name, item.pos.line);
                }
            }
        });
    }
}

fn slo_list<'a>(r: &mut Reader, node: &'a Node) -> Option<&'a [Node]> {
    let items = r.list(node, "SLOs", None)?;
    if items.is_empty() {
        r.error(node.pos, "at least one SLO is required");
        return None;
    }
    Some(items)
}

fn slo(
    r: &mut Reader,
    node: &Node,
    schema: &Schema,
    top_labels: &Labels,
    window: Window,
) -> Option<Slo> {
    let fields = r.mapping(node, SLO_FIELDS)?;
    let name = r.field(&fields, "name", sloth_name).flatten();
    let description = r.field(&fields, "description", Reader::string).flatten();
    let objective = r.field(&fields, "objective", objective).flatten();
    let mut labels = top_labels.clone();
    labels.extend(r.field(&fields, "labels", self::labels).unwrap_or_default());
    r.field(&fields, "plugins", ignored_plugins);
    let sli = r.field(&fields, "sli", |r, n| sli(r, n, schema)).flatten();
    // An absent `alerting:` still needs a name check: read it as an empty mapping.
    let absent = Node {
        value: Value::Null,
        pos: fields.pos,
    };
    let alerting_node = fields.get("alerting").unwrap_or(&absent);
    let alerting = r.at("alerting", |r| alerting(r, alerting_node, schema));
    if let (Some(sli), Some(node), Some(alerting)) = (&sli, fields.get("sli"), &alerting) {
        slo_v1::check_group_labels(r, node.pos, sli, &labels, alerting);
    }
    Some(Slo {
        name: name?,
        description,
        objective: objective?,
        window,
        labels,
        sli: sli?,
        alerting: alerting?,
        gate: Default::default(),
        // Sloth's SLOs are rolling: its period is a duration.
        calendar: None,
    })
}

/// Sloth's rule for service and SLO names: `[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]`.
pub(super) fn sloth_name(r: &mut Reader, node: &Node) -> Option<String> {
    let name = r.string(node)?;
    if is_sloth_name(&name) {
        Some(name)
    } else {
        r.error_hint(
            node.pos,
            format!("`{name}` is not a valid name"),
            "name must start and end with an alphanumeric and can only contain alphanumeric, '.', '_', and '-'",
        );
        None
    }
}

fn is_sloth_name(s: &str) -> bool {
    let edge = |c: char| c.is_ascii_alphanumeric();
    s.len() >= 2
        && s.starts_with(edge)
        && s.ends_with(edge)
        && s.chars().all(|c| edge(c) || matches!(c, '-' | '_' | '.'))
}

/// Sloth accepts (0, 100]; 100 leaves no error budget, which no burn rate can be held to.
fn objective(r: &mut Reader, node: &Node) -> Option<Objective> {
    let value = r.number(node)?;
    if value <= 0.0 || value > 100.0 {
        r.error(
            node.pos,
            format!("must be above 0 and at most 100, got {value}"),
        );
        None
    } else if value == 100.0 {
        r.error_hint(
            node.pos,
            "an objective of 100 leaves no error budget: burn rates and the budget left are undefined",
            "slo needs an objective below 100, e.g. 99.99",
        );
        None
    } else if crate::model::tidy(value) != value {
        r.error_hint(
            node.pos,
            format!("{value} has more than 10 significant digits"),
            "write at most 10 digits, e.g. 99.999",
        );
        None
    } else {
        Some(Objective::from_percent(value))
    }
}

/// Labels as in our spec, and, as Sloth requires, none with an empty value.
fn labels(r: &mut Reader, node: &Node) -> Labels {
    let labels = prom::labels(r, node);
    if let Value::Map(entries) = &node.value {
        for (key, value) in entries {
            if labels.get(&key.name).is_some_and(String::is_empty) {
                r.at(&key.name, |r| {
                    r.error(value.pos, "the label value is required")
                });
            }
        }
    }
    labels
}

fn ignored_plugins(r: &mut Reader, node: &Node) {
    r.warn(
        node.pos,
        "SLO plugins are ignored",
        "slo generates its own rules; a chain that changes them has no effect here",
    );
}

fn sli(r: &mut Reader, node: &Node, schema: &Schema) -> Option<Sli> {
    let fields = r.mapping(node, SLI_KINDS)?;
    match fields.known_entries().as_slice() {
        [] => {
            r.error(fields.pos, "at least one SLI type is required");
            None
        }
        [(kind, body)] => r.at(&kind.name, |r| match kind.name.as_str() {
            "events" => events(r, body, schema),
            "raw" => raw(r, body, schema),
            _ => plugin(r, body),
        }),
        [_, (second, _), ..] => {
            r.error(second.pos, "only one SLI type is allowed");
            None
        }
    }
}

/// Events become a ratio SLI when both queries are `sum [by (...)] (rate|increase(sel[w]))`
/// with the same grouping, so reports get event counts; otherwise `(error)/(total)` raw.
fn events(r: &mut Reader, node: &Node, schema: &Schema) -> Option<Sli> {
    let fields = r.mapping(node, schema.events)?;
    let [error_key, total_key] = [schema.events[0].name, schema.events[1].name];
    let error = r.field(&fields, error_key, query).flatten();
    let total = r.field(&fields, total_key, query).flatten();
    let (error, total) = (error?, total?);
    if error == total {
        r.at(total_key, |r| {
            r.error(
                fields.get(total_key).map_or(fields.pos, |n| n.pos),
                "both error and total queries can't be the same",
            )
        });
        return None;
    }
    match (counter_sum(&error), counter_sum(&total)) {
        (Some((errors, by)), Some((total, total_by))) if by == total_by => {
            Some(Sli::Ratio(RatioSli {
                events: RatioEvents::Errors(errors),
                total,
                group_by: by,
            }))
        }
        _ => {
            let node = fields.get(error_key).unwrap_or(node);
            r.at(error_key, |r| {
                slo_v1::raw_sli(r, node, format!("({error})/({total})")).map(Sli::Raw)
            })
        }
    }
}

fn raw(r: &mut Reader, node: &Node, schema: &Schema) -> Option<Sli> {
    let fields = r.mapping(node, schema.raw)?;
    let spellings: Vec<&str> = schema
        .raw
        .iter()
        .map(|f| f.name)
        .filter(|name| fields.get(name).is_some())
        .collect();
    let Some(&key) = spellings.first() else {
        let first = schema.raw[0].name;
        r.at(first, |r| r.error(fields.pos, "is required but missing"));
        return None;
    };
    let node = fields.get(key)?;
    let text = r.field(&fields, key, query).flatten()?;
    r.at(key, |r| slo_v1::raw_sli(r, node, text)).map(Sli::Raw)
}

/// SLI plugins are Go code run by Sloth; slo cannot run them.
fn plugin(r: &mut Reader, node: &Node) -> Option<Sli> {
    let fields = r.mapping(node, PLUGIN_FIELDS)?;
    if let Some(Some(id)) = r.field(&fields, "id", Reader::string) {
        let pos = fields.get("id").map_or(fields.pos, |n| n.pos);
        r.at("id", |r| {
            r.error_hint(
                pos,
                format!("SLI plugin `{id}` cannot be run: Sloth's plugins are Go code"),
                "write the query the plugin builds as sli.raw.error_ratio_query, with {{.window}} for the range",
            )
        });
    }
    None
}

/// A Sloth query template, as PromQL with our `{{window}}` placeholder; it must have the
/// window placeholder, no other template action, and parse (within the length bound) once
/// the window is filled in. OpenSLO files written for Sloth use the same templates.
pub(super) fn query(r: &mut Reader, node: &Node) -> Option<String> {
    let text = r.string(node)?;
    if text.trim().is_empty() {
        r.error(node.pos, "the query is required");
        return None;
    }
    let Some(ours) = with_window_as(&text, WINDOW_PLACEHOLDER) else {
        r.error_hint(
            node.pos,
            "template must contain the {{ .window }} variable",
            "write the range as [{{.window}}], e.g. sum(rate(requests_total[{{.window}}]))",
        );
        return None;
    };
    let others = with_window_as(&text, "").unwrap_or_default();
    if let Some(start) = others.find("{{") {
        let action: String = others[start..].chars().take_while(|&c| c != '}').collect();
        r.error_hint(
            node.pos,
            format!("unknown template action `{action}}}}}`"),
            "only {{.window}} is filled in",
        );
        return None;
    }
    let probe = ours.replace(WINDOW_PLACEHOLDER, &BURN_RATE_WINDOWS[0].to_string());
    if let Err(err) = prom::parse_query(r, node, &probe)? {
        prom::invalid_promql(
            r,
            node,
            &err,
            format!("the query checked, with the window substituted: {probe}"),
        );
        return None;
    }
    Some(ours)
}

/// `text` with every `{{.window}}` (any spacing inside the braces) written as `window`
/// (our `{{window}}`, say); `None` when it has none.
fn with_window_as(text: &str, window: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut found = false;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let inner = after.trim_start_matches(' ');
        let closing = inner
            .strip_prefix(".window")
            .map(|s| s.trim_start_matches(' '))
            .and_then(|s| s.strip_prefix("}}"));
        match closing {
            Some(tail) => {
                out.push_str(window);
                found = true;
                rest = tail;
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    found.then_some(out)
}

/// The selector and grouping of `sum [by (L...)] (rate|increase(SELECTOR[{{window}}]))`.
pub(super) fn counter_sum(query: &str) -> Option<(Selector, Vec<String>)> {
    // A range no one writes, to tell the placeholder's from a literal one.
    const PROBE_SECS: u64 = 7_777;
    let probe = query.replace(WINDOW_PLACEHOLDER, &format!("{PROBE_SECS}s"));
    let Ok(Expr::Aggregate(sum)) = parser::parse(&probe) else {
        return None;
    };
    let group_by = match &sum.modifier {
        None => Vec::new(),
        Some(LabelModifier::Include(PromLabels { labels })) => labels.clone(),
        Some(LabelModifier::Exclude(_)) => return None,
    };
    if sum.op.to_string() != "sum" || sum.param.is_some() {
        return None;
    }
    let Expr::Call(call) = sum.expr.as_ref() else {
        return None;
    };
    let [arg] = call.args.args.as_slice() else {
        return None;
    };
    match arg.as_ref() {
        Expr::MatrixSelector(m)
            if matches!(call.func.name, "rate" | "increase")
                && m.range.as_secs() == PROBE_SECS
                && m.vs.offset.is_none()
                && m.vs.at.is_none() =>
        {
            Some((Selector(m.vs.to_string()), group_by))
        }
        _ => None,
    }
}

/// `alerting:`, with the shared labels and annotations merged under each alert's own; a
/// name is required unless both alerts are disabled.
fn alerting(r: &mut Reader, node: &Node, schema: &Schema) -> Option<Alerting> {
    let fields = r.mapping(node, schema.alerting)?;
    let (page_key, ticket_key) = (schema.alerting[3].name, schema.alerting[4].name);
    let name = r.field(&fields, "name", prom::alert_name);
    let labels = r.field(&fields, "labels", self::labels).unwrap_or_default();
    let annotations = r
        .field(&fields, "annotations", Reader::string_map)
        .unwrap_or_default();
    let alert = |r: &mut Reader, key| {
        let mut policy = r.field(&fields, key, alert_policy).unwrap_or_default();
        let mut merged = labels.clone();
        merged.extend(policy.labels);
        policy.labels = merged;
        let mut merged = annotations.clone();
        merged.extend(policy.annotations);
        policy.annotations = merged;
        policy
    };
    let page = alert(r, page_key);
    let ticket = alert(r, ticket_key);
    let name = match name {
        Some(name) => name?,
        None if page.enabled || ticket.enabled => {
            r.at("name", |r| {
                r.error_hint(
                    fields.pos,
                    "alert name is required",
                    format!("name the alert, or disable both {page_key} and {ticket_key}"),
                )
            });
            return None;
        }
        None => crate::promql::BURN_ALERT.to_string(),
    };
    Some(Alerting { name, page, ticket })
}

fn alert_policy(r: &mut Reader, node: &Node) -> AlertPolicy {
    let mut policy = AlertPolicy::default();
    let Some(fields) = r.mapping(node, ALERT_FIELDS) else {
        return policy;
    };
    if let Some(disable) = r.field(&fields, "disable", Reader::boolean).flatten() {
        policy.enabled = !disable;
    }
    if let Some(labels) = r.field(&fields, "labels", labels) {
        policy.labels = labels;
    }
    if let Some(annotations) = r.field(&fields, "annotations", Reader::string_map) {
        policy.annotations = annotations;
    }
    policy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sloth_names_allow_capitals_and_dots_but_not_one_character() {
        assert!(is_sloth_name("queue.worker"));
        assert!(is_sloth_name("Job-Success"));
        assert!(!is_sloth_name("a"));
        assert!(!is_sloth_name("-ab"));
        assert!(!is_sloth_name("a b"));
    }

    #[test]
    fn the_window_placeholder_may_have_spaces_inside_its_braces() {
        let ours = |text| with_window_as(text, WINDOW_PLACEHOLDER);
        assert_eq!(
            ours("rate(x[{{.window}}]) / rate(y[{{  .window }}])").as_deref(),
            Some("rate(x[{{window}}]) / rate(y[{{window}}])")
        );
        assert_eq!(ours("rate(x[5m])"), None);
        assert_eq!(
            ours("{{.other}} {{.window}}").as_deref(),
            Some("{{.other}} {{window}}")
        );
    }

    #[test]
    fn only_summed_counter_rates_over_the_window_are_ratio_shaped() {
        let shape = |q: &str| counter_sum(q).map(|(s, by)| (s.0, by));
        assert_eq!(
            shape("sum(rate(http_requests_total{code=~\"5..\"}[{{window}}]))"),
            Some(("http_requests_total{code=~\"5..\"}".to_string(), vec![]))
        );
        assert_eq!(
            shape("sum by (handler) (increase(x[{{window}}]))"),
            Some(("x".to_string(), vec!["handler".to_string()]))
        );
        for other in [
            "sum without (a) (rate(x[{{window}}]))",
            "max(rate(x[{{window}}]))",
            "sum(rate(x[5m]))",
            "sum(rate(x[{{window}}] offset 1h))",
            "sum(irate(x[{{window}}]))",
            "sum(rate(x[{{window}}])) - sum(rate(y[{{window}}]))",
        ] {
            assert_eq!(shape(other), None, "{other}");
        }
    }
}
