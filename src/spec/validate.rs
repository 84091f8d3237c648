//! Walks the YAML tree, checks every field, and builds the model.
//!
//! Each check records a [`Diagnostic`] and carries on, so one run reports every problem.

use std::collections::{BTreeMap, HashSet};

use promql_parser::parser::{self, Expr};

use super::Diagnostic;
use super::yaml::{Key, Node, Position, Value};
use crate::model::{
    AlertPolicy, Alerting, BURN_RATE_WINDOWS, GatePolicy, Labels, LatencySli, Objective,
    RatioEvents, RatioSli, RawSli, Selector, Sli, Slo, Spec, WINDOW_PLACEHOLDER, Window,
    measured_windows, window_list,
};
use crate::promql;

const SPEC_VERSION: i64 = 1;
const DEFAULT_WINDOW: Window = Window::from_secs(30 * 86_400);
/// The compliance window must hold the longest alerting window (3d) and stay within what a
/// Prometheus usually retains.
const MIN_WINDOW: Window = Window::from_secs(3 * 86_400);
const MAX_WINDOW: Window = Window::from_secs(366 * 86_400);

const TOP_FIELDS: &[&str] = &["version", "service", "labels", "gate", "slos"];
const SLO_FIELDS: &[&str] = &[
    "name",
    "description",
    "objective",
    "window",
    "labels",
    "sli",
    "alerting",
    "gate",
];
const SLI_KINDS: &[&str] = &["ratio", "latency", "raw"];
const RATIO_FIELDS: &[&str] = &["errors", "good", "total", "group_by"];
const LATENCY_FIELDS: &[&str] = &["histogram", "selector", "threshold", "group_by"];
const RAW_FIELDS: &[&str] = &["error_ratio"];
const ALERTING_FIELDS: &[&str] = &["page", "ticket"];
const ALERT_FIELDS: &[&str] = &["enabled", "labels", "annotations"];
const GATE_FIELDS: &[&str] = &["min_budget_remaining", "max_burn_rate"];

pub fn spec(root: &Node, source: &str) -> Result<Spec, Vec<Diagnostic>> {
    let mut c = Checker::default();
    let spec = c.spec(root, source);
    if c.diagnostics.is_empty() {
        Ok(spec)
    } else {
        c.diagnostics
            .sort_by_key(|d| d.pos.map(|p| (p.line, p.column)));
        Err(c.diagnostics)
    }
}

/// A mapping's entries, for looking fields up by name.
struct Fields<'a> {
    entries: &'a [(Key, Node)],
    pos: Position,
}

impl<'a> Fields<'a> {
    fn get(&self, name: &str) -> Option<&'a Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(_, v)| v)
    }
}

#[derive(Default)]
struct Checker {
    diagnostics: Vec<Diagnostic>,
    /// The SLO being checked, named in every diagnostic about it.
    slo: Option<String>,
}

/// The spec's top-level `gate:`, kept with its key positions until each SLO's window is known.
struct TopGate {
    policy: GatePolicy,
    key_positions: BTreeMap<Window, Position>,
}

impl Checker {
    fn error(&mut self, pos: Position, field: &str, message: impl Into<String>) {
        self.push(pos, field, message.into(), None);
    }

    fn error_hint(
        &mut self,
        pos: Position,
        field: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.push(pos, field, message.into(), Some(hint.into()));
    }

    fn push(&mut self, pos: Position, field: &str, message: String, hint: Option<String>) {
        self.diagnostics.push(Diagnostic {
            pos: Some(pos),
            slo: self.slo.clone(),
            field: field.to_string(),
            message,
            hint,
        });
    }

    fn spec(&mut self, root: &Node, source: &str) -> Spec {
        let mut spec = Spec {
            source: source.to_string(),
            service: String::new(),
            slos: Vec::new(),
        };
        if matches!(root.value, Value::Null) {
            self.error_hint(
                root.pos,
                "",
                "the spec is empty",
                "start with `version: 1`, `service:` and `slos:`",
            );
            return spec;
        }
        let Some(top) = self.mapping(root, "", TOP_FIELDS) else {
            return spec;
        };
        match top.get("version") {
            None => self.missing(&top, "", "version"),
            Some(node) => {
                if node.value != Value::Int(SPEC_VERSION) {
                    self.error_hint(
                        node.pos,
                        "version",
                        format!("unsupported spec version {}", scalar_text(node)),
                        "this slo reads `version: 1`",
                    );
                }
            }
        }
        match top.get("service") {
            None => self.missing(&top, "", "service"),
            Some(node) => {
                if let Some(name) = self.name(node, "service") {
                    spec.service = name;
                }
            }
        }
        let top_labels = top
            .get("labels")
            .map(|n| self.labels(n, "labels"))
            .unwrap_or_default();
        let top_gate = top.get("gate").map(|n| self.gate(n, "gate"));
        let Some(slos_node) = top.get("slos") else {
            self.missing(&top, "", "slos");
            return spec;
        };
        let items = match &slos_node.value {
            Value::Seq(items) if !items.is_empty() => items,
            Value::Seq(_) => {
                self.error(slos_node.pos, "slos", "lists no SLO");
                return spec;
            }
            other => {
                self.error(
                    slos_node.pos,
                    "slos",
                    format!("expected a list of SLOs, found {}", other.kind()),
                );
                return spec;
            }
        };
        let mut seen: BTreeMap<&str, u64> = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(slo) = self.slo(item, i, &top_labels, top_gate.as_ref()) {
                spec.slos.push(slo);
            }
            if let Some(name) = peek_string(item, "name") {
                if let Some(first_line) = seen.get(name) {
                    self.error_hint(
                        item.pos,
                        "name",
                        format!("duplicate SLO name `{name}`"),
                        format!("the name is first used on line {first_line}; names must be unique in a file"),
                    );
                } else {
                    seen.insert(name, item.pos.line);
                }
            }
            self.slo = None;
        }
        spec
    }

    fn slo(
        &mut self,
        node: &Node,
        index: usize,
        top_labels: &Labels,
        top_gate: Option<&TopGate>,
    ) -> Option<Slo> {
        // Name the SLO in every diagnostic about it, even those about fields before `name:`.
        self.slo = Some(match peek_string(node, "name") {
            Some(name) if is_slo_name(name) => name.to_string(),
            _ => format!("slos[{index}]"),
        });
        let fields = self.mapping(node, "", SLO_FIELDS)?;
        let name = match fields.get("name") {
            None => {
                self.missing(&fields, "", "name");
                None
            }
            Some(n) => self.name(n, "name"),
        };
        let description = fields
            .get("description")
            .and_then(|n| self.string(n, "description"));
        let objective = match fields.get("objective") {
            None => {
                self.missing(&fields, "", "objective");
                None
            }
            Some(n) => self.objective(n),
        };
        let window = match fields.get("window") {
            None => Some(DEFAULT_WINDOW),
            Some(n) => self.compliance_window(n),
        };
        let mut labels = top_labels.clone();
        if let Some(n) = fields.get("labels") {
            labels.extend(self.labels(n, "labels"));
        }
        let sli = match fields.get("sli") {
            None => {
                self.missing(&fields, "", "sli");
                None
            }
            Some(n) => self.sli(n),
        };
        let alerting = fields
            .get("alerting")
            .map(|n| self.alerting(n))
            .unwrap_or_default();
        if let (Some(sli), Some(n)) = (&sli, fields.get("sli")) {
            self.check_group_labels(n.pos, sli, &labels, &alerting);
        }
        let own_gate = fields.get("gate").map(|n| self.gate(n, "gate"));
        let gate = match window {
            Some(window) => self.slo_gate(window, top_gate, own_gate),
            None => GatePolicy::default(),
        };
        Some(Slo {
            name: name?,
            description,
            objective: objective?,
            window: window?,
            labels,
            sli: sli?,
            alerting,
            gate,
        })
    }

    /// A group_by label that generated series also get from the spec (`labels:`, alert
    /// labels) or from slo itself would be overwritten with one value for every group, and
    /// Prometheus fails such rules: "vector contains metrics with the same labelset".
    fn check_group_labels(
        &mut self,
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
            self.error_hint(
                pos,
                &format!("sli.{}.group_by", sli.kind()),
                format!("`{name}` is also set on every generated series by {set_by}"),
                "group by another label, or set this one only in group_by",
            );
        }
    }

    /// Merges the SLO's gate over the top-level one and checks that every burn-rate window
    /// named is one that `slo report` measures for this SLO.
    fn slo_gate(
        &mut self,
        window: Window,
        top: Option<&TopGate>,
        own: Option<TopGate>,
    ) -> GatePolicy {
        for (field, gate) in [("gate", top), ("gate", own.as_ref())] {
            let Some(gate) = gate else { continue };
            for (w, pos) in &gate.key_positions {
                let measured = measured_windows(window);
                if !measured.contains(w) {
                    self.error_hint(
                        *pos,
                        &format!("{field}.max_burn_rate"),
                        format!("no burn rate is measured over {w}"),
                        format!("use one of {}", window_list(&measured)),
                    );
                }
            }
        }
        let base = top.map(|t| t.policy.clone()).unwrap_or_default();
        match own {
            Some(own) => base.merged_with(&own.policy),
            None => base,
        }
    }

    fn objective(&mut self, node: &Node) -> Option<Objective> {
        let value = self.number(node, "objective")?;
        // An objective of 1% or less is a fraction written where a percentage belongs.
        if value > 1.0 && value < 100.0 {
            // Every output writes numbers to 10 significant digits (`tidy`); beyond that,
            // 99.99999999999 would be written as an objective of 100% with a budget of 1e-13.
            if crate::model::tidy(value) != value {
                self.error_hint(
                    node.pos,
                    "objective",
                    format!("{value} has more than 10 significant digits"),
                    "write at most 10 digits, e.g. 99.999",
                );
                return None;
            }
            Some(Objective::from_percent(value))
        } else {
            self.error_hint(
                node.pos,
                "objective",
                format!("must be a percentage above 1 and below 100, got {value}"),
                "write 99.9 for 99.9%, not 0.999",
            );
            None
        }
    }

    fn compliance_window(&mut self, node: &Node) -> Option<Window> {
        let window = self.duration(node, "window")?;
        if window < MIN_WINDOW || window > MAX_WINDOW {
            self.error_hint(
                node.pos,
                "window",
                format!("a compliance window of {window} is not supported"),
                format!("use a window from {MIN_WINDOW} to {MAX_WINDOW}, e.g. 7d, 28d or 30d"),
            );
            return None;
        }
        if window.duration().as_millis() % 60_000 != 0 {
            self.error_hint(
                node.pos,
                "window",
                format!("{window} is not a whole number of minutes"),
                "use a window such as 30d",
            );
            return None;
        }
        Some(window)
    }

    fn duration(&mut self, node: &Node, field: &str) -> Option<Window> {
        let text = self.string(node, field)?;
        match Window::parse(&text) {
            Ok(w) => Some(w),
            Err(err) => {
                self.error_hint(
                    node.pos,
                    field,
                    format!("not a duration: {err}"),
                    "use Prometheus durations such as 5m, 1h, 7d, 30d",
                );
                None
            }
        }
    }

    fn sli(&mut self, node: &Node) -> Option<Sli> {
        let fields = self.mapping(node, "sli", SLI_KINDS)?;
        let kinds: Vec<&(Key, Node)> = fields
            .entries
            .iter()
            .filter(|(k, _)| SLI_KINDS.contains(&k.name.as_str()))
            .collect();
        match kinds.as_slice() {
            [] => {
                self.error_hint(
                    fields.pos,
                    "sli",
                    "names no SLI kind",
                    "give exactly one of `ratio`, `latency` or `raw`",
                );
                None
            }
            [(key, body)] => match key.name.as_str() {
                "ratio" => self.ratio(body).map(Sli::Ratio),
                "latency" => self.latency(body).map(Sli::Latency),
                _ => self.raw(body).map(Sli::Raw),
            },
            [_, (second, _), ..] => {
                // Check each kind anyway, so their own problems are reported in this run too.
                for (key, body) in &kinds {
                    match key.name.as_str() {
                        "ratio" => drop(self.ratio(body)),
                        "latency" => drop(self.latency(body)),
                        _ => drop(self.raw(body)),
                    }
                }
                let names: Vec<&str> = kinds.iter().map(|(k, _)| k.name.as_str()).collect();
                self.error_hint(
                    second.pos,
                    "sli",
                    format!("gives more than one SLI kind: {}", names.join(", ")),
                    "give exactly one of `ratio`, `latency` or `raw`",
                );
                None
            }
        }
    }

    fn ratio(&mut self, node: &Node) -> Option<RatioSli> {
        let fields = self.mapping(node, "sli.ratio", RATIO_FIELDS)?;
        let events = match (fields.get("errors"), fields.get("good")) {
            (Some(errors), None) => self
                .selector(errors, "sli.ratio.errors")
                .map(RatioEvents::Errors),
            (None, Some(good)) => self.selector(good, "sli.ratio.good").map(RatioEvents::Good),
            (Some(errors), Some(good)) => {
                self.selector(errors, "sli.ratio.errors");
                self.selector(good, "sli.ratio.good");
                self.error_hint(
                    good.pos,
                    "sli.ratio",
                    "gives both `errors` and `good`",
                    "count either the bad events or the good ones, not both",
                );
                None
            }
            (None, None) => {
                self.error_hint(
                    fields.pos,
                    "sli.ratio",
                    "needs `errors` or `good`",
                    "e.g. errors: http_requests_total{status=\"5xx\"}",
                );
                None
            }
        };
        let total = match fields.get("total") {
            None => {
                self.missing(&fields, "sli.ratio", "total");
                None
            }
            Some(n) => self.selector(n, "sli.ratio.total"),
        };
        let group_by = self.group_by(fields.get("group_by"), "sli.ratio.group_by");
        Some(RatioSli {
            events: events?,
            total: total?,
            group_by: group_by?,
        })
    }

    fn latency(&mut self, node: &Node) -> Option<LatencySli> {
        let fields = self.mapping(node, "sli.latency", LATENCY_FIELDS)?;
        let histogram = match fields.get("histogram") {
            None => {
                self.missing(&fields, "sli.latency", "histogram");
                None
            }
            Some(n) => self.histogram_name(n),
        };
        let selector = match fields.get("selector") {
            None => Some(String::new()),
            Some(n) => self.matchers(n, histogram.as_deref()),
        };
        let threshold = match fields.get("threshold") {
            None => {
                self.missing(&fields, "sli.latency", "threshold");
                None
            }
            Some(n) => self.number(n, "sli.latency.threshold").and_then(|t| {
                if t > 0.0 && t.is_finite() {
                    Some(t)
                } else {
                    self.error_hint(
                        n.pos,
                        "sli.latency.threshold",
                        format!("must be a positive number of seconds, got {t}"),
                        "e.g. 0.3 for 300 ms; it must be one of the histogram's bucket boundaries",
                    );
                    None
                }
            }),
        };
        let group_by = self.group_by(fields.get("group_by"), "sli.latency.group_by");
        if let (Some(groups), Some(n)) = (&group_by, fields.get("group_by"))
            && groups.iter().any(|g| g == "le")
        {
            self.error(
                n.pos,
                "sli.latency.group_by",
                "cannot group by `le`: it is the bucket label",
            );
            return None;
        }
        Some(LatencySli {
            histogram: histogram?,
            selector: selector?,
            threshold: threshold?,
            group_by: group_by?,
        })
    }

    fn raw(&mut self, node: &Node) -> Option<RawSli> {
        let field = "sli.raw.error_ratio";
        let fields = self.mapping(node, "sli.raw", RAW_FIELDS)?;
        let Some(query_node) = fields.get("error_ratio") else {
            self.missing(&fields, "sli.raw", "error_ratio");
            return None;
        };
        let text = self.string(query_node, field)?;
        if !text.contains(WINDOW_PLACEHOLDER) {
            self.error_hint(
                query_node.pos,
                field,
                format!("has no {WINDOW_PLACEHOLDER} placeholder"),
                format!(
                    "write the range as [{WINDOW_PLACEHOLDER}], e.g. sum(rate(errors_total[{WINDOW_PLACEHOLDER}])) / sum(rate(requests_total[{WINDOW_PLACEHOLDER}]))"
                ),
            );
            return None;
        }
        let raw = RawSli { error_ratio: text };
        let query = raw.query(BURN_RATE_WINDOWS[0]);
        match parser::parse(&query) {
            Ok(_) => Some(raw),
            Err(err) => {
                self.invalid_promql(
                    query_node.pos,
                    field,
                    &err,
                    format!("the query checked, with the window substituted: {query}"),
                );
                None
            }
        }
    }

    fn alerting(&mut self, node: &Node) -> Alerting {
        let mut alerting = Alerting::default();
        let Some(fields) = self.mapping(node, "alerting", ALERTING_FIELDS) else {
            return alerting;
        };
        if let Some(n) = fields.get("page") {
            alerting.page = self.alert_policy(n, "alerting.page");
        }
        if let Some(n) = fields.get("ticket") {
            alerting.ticket = self.alert_policy(n, "alerting.ticket");
        }
        alerting
    }

    fn alert_policy(&mut self, node: &Node, field: &str) -> AlertPolicy {
        let mut policy = AlertPolicy::default();
        let Some(fields) = self.mapping(node, field, ALERT_FIELDS) else {
            return policy;
        };
        if let Some(n) = fields.get("enabled") {
            match n.value {
                Value::Bool(b) => policy.enabled = b,
                ref other => self.error(
                    n.pos,
                    &format!("{field}.enabled"),
                    format!("expected true or false, found {}", other.kind()),
                ),
            }
        }
        if let Some(n) = fields.get("labels") {
            policy.labels = self.labels(n, &format!("{field}.labels"));
        }
        if let Some(n) = fields.get("annotations") {
            policy.annotations = self.string_map(n, &format!("{field}.annotations"));
        }
        policy
    }

    fn gate(&mut self, node: &Node, field: &str) -> TopGate {
        let mut gate = TopGate {
            policy: GatePolicy::default(),
            key_positions: BTreeMap::new(),
        };
        let Some(fields) = self.mapping(node, field, GATE_FIELDS) else {
            return gate;
        };
        if let Some(n) = fields.get("min_budget_remaining") {
            let f = format!("{field}.min_budget_remaining");
            if let Some(pct) = self.number(n, &f) {
                if (0.0..=100.0).contains(&pct) {
                    gate.policy.min_budget_remaining = Some(pct);
                } else {
                    self.error_hint(
                        n.pos,
                        &f,
                        format!("must be a percentage from 0 to 100, got {pct}"),
                        "e.g. 25 to require a quarter of the error budget left",
                    );
                }
            }
        }
        if let Some(n) = fields.get("max_burn_rate") {
            let f = format!("{field}.max_burn_rate");
            let Some(rules) = self.mapping(n, &f, &[]) else {
                return gate;
            };
            for (key, value) in rules.entries {
                let window = match Window::parse(&key.name) {
                    Ok(w) => w,
                    Err(err) => {
                        self.error_hint(
                            key.pos,
                            &f,
                            format!("`{}` is not a duration: {err}", key.name),
                            "keys are burn-rate windows such as 1h or 6h",
                        );
                        continue;
                    }
                };
                let Some(factor) = self.number(value, &format!("{f}.{}", key.name)) else {
                    continue;
                };
                if factor > 0.0 {
                    gate.policy.max_burn_rate.insert(window, factor);
                    gate.key_positions.insert(window, key.pos);
                } else {
                    self.error(
                        value.pos,
                        &format!("{f}.{}", key.name),
                        format!("must be a positive burn-rate factor, got {factor}"),
                    );
                }
            }
        }
        gate
    }

    // ---- field kinds ----

    /// The node as a mapping; reports unknown keys (with a suggestion) unless `allowed` is
    /// empty, which means any key is allowed. A null counts as an empty mapping.
    fn mapping<'a>(&mut self, node: &'a Node, field: &str, allowed: &[&str]) -> Option<Fields<'a>> {
        let entries: &[(Key, Node)] = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => &[],
            other => {
                self.error(
                    node.pos,
                    field,
                    format!("expected a mapping, found {}", other.kind()),
                );
                return None;
            }
        };
        if !allowed.is_empty() {
            for (key, _) in entries {
                if !allowed.contains(&key.name.as_str()) {
                    let path = join(field, &key.name);
                    match did_you_mean(&key.name, allowed) {
                        Some(s) => self.error_hint(
                            key.pos,
                            &path,
                            "unknown field",
                            format!("did you mean `{s}`?"),
                        ),
                        None => self.error_hint(
                            key.pos,
                            &path,
                            "unknown field",
                            format!("expected one of: {}", allowed.join(", ")),
                        ),
                    }
                }
            }
        }
        Some(Fields {
            entries,
            pos: node.pos,
        })
    }

    /// A parser error as one line; the parser gives no position, so it points at the value.
    fn invalid_promql(&mut self, pos: Position, field: &str, err: &str, hint: impl Into<String>) {
        self.error_hint(
            pos,
            field,
            format!("invalid PromQL: {}", one_line(err)),
            hint,
        );
    }

    fn missing(&mut self, fields: &Fields, parent: &str, name: &str) {
        self.error(fields.pos, &join(parent, name), "is required but missing");
    }

    fn string(&mut self, node: &Node, field: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            other => {
                let scalar = matches!(other, Value::Bool(_) | Value::Int(_) | Value::Float(_));
                let hint = scalar.then(|| {
                    "quote the value: YAML reads y, no, on, 1.0 and the like as booleans or numbers"
                        .to_string()
                });
                self.push(
                    node.pos,
                    field,
                    format!("expected a string, found {}", other.kind()),
                    hint,
                );
                None
            }
        }
    }

    fn number(&mut self, node: &Node, field: &str) -> Option<f64> {
        match node.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) if f.is_finite() => Some(f),
            Value::Float(f) => {
                self.error(
                    node.pos,
                    field,
                    format!("expected a finite number, found {f}"),
                );
                None
            }
            ref other => {
                self.error(
                    node.pos,
                    field,
                    format!("expected a number, found {}", other.kind()),
                );
                None
            }
        }
    }

    /// A service or SLO name: it becomes a label value and part of alert and rule names.
    fn name(&mut self, node: &Node, field: &str) -> Option<String> {
        let name = self.string(node, field)?;
        if is_slo_name(&name) {
            Some(name)
        } else {
            self.error_hint(
                node.pos,
                field,
                format!("`{name}` is not a valid name"),
                "use lowercase letters, digits, `-` and `_`, starting and ending with a letter or digit",
            );
            None
        }
    }

    fn labels(&mut self, node: &Node, field: &str) -> Labels {
        let labels = self.string_map(node, field);
        let Value::Map(entries) = &node.value else {
            return labels;
        };
        for (key, _) in entries {
            if !is_label_name(&key.name) {
                self.error_hint(
                    key.pos,
                    field,
                    format!("`{}` is not a valid Prometheus label name", key.name),
                    "label names match [a-zA-Z_][a-zA-Z0-9_]* and do not start with __",
                );
            } else if promql::is_reserved_label(&key.name) {
                self.error_hint(
                    key.pos,
                    field,
                    format!("`{}` is reserved", key.name),
                    "slo sets this label itself on every generated series",
                );
            }
        }
        labels
    }

    /// A mapping of strings; numbers and booleans are taken as their text, as Prometheus'
    /// own YAML does for label values.
    fn string_map(&mut self, node: &Node, field: &str) -> Labels {
        let mut map = Labels::new();
        let Some(fields) = self.mapping(node, field, &[]) else {
            return map;
        };
        for (key, value) in fields.entries {
            let path = join(field, &key.name);
            match &value.value {
                Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                    map.insert(key.name.clone(), scalar_text(value));
                }
                other => self.error(
                    value.pos,
                    &path,
                    format!("expected a string, found {}", other.kind()),
                ),
            }
        }
        map
    }

    fn group_by(&mut self, node: Option<&Node>, field: &str) -> Option<Vec<String>> {
        let Some(node) = node else {
            return Some(Vec::new());
        };
        let items = match &node.value {
            Value::Seq(items) => items,
            Value::Null => return Some(Vec::new()),
            other => {
                self.error_hint(
                    node.pos,
                    field,
                    format!("expected a list of label names, found {}", other.kind()),
                    "e.g. group_by: [handler]",
                );
                return None;
            }
        };
        let mut names = Vec::new();
        let mut ok = true;
        let mut seen = HashSet::new();
        for item in items {
            let Some(name) = self.string(item, field) else {
                ok = false;
                continue;
            };
            if !is_label_name(&name) {
                self.error(
                    item.pos,
                    field,
                    format!("`{name}` is not a valid Prometheus label name"),
                );
                ok = false;
            } else if !seen.insert(name.clone()) {
                self.error(item.pos, field, format!("`{name}` is listed twice"));
                ok = false;
            } else {
                names.push(name);
            }
        }
        ok.then_some(names)
    }

    /// A counter series selector such as `http_requests_total{job="api"}`.
    fn selector(&mut self, node: &Node, field: &str) -> Option<Selector> {
        let text = self.string(node, field)?;
        let hint = "give a series selector such as http_requests_total{job=\"api\"}; slo wraps it in sum(increase(...)) itself";
        match parser::parse(&text) {
            Ok(Expr::VectorSelector(vs)) if vs.offset.is_none() && vs.at.is_none() => {
                Some(Selector(text.trim().to_string()))
            }
            Ok(Expr::VectorSelector(_)) => {
                self.error_hint(node.pos, field, "offset and @ are not allowed here", hint);
                None
            }
            Ok(_) => {
                self.error_hint(
                    node.pos,
                    field,
                    format!("`{}` is not a series selector", text.trim()),
                    hint,
                );
                None
            }
            Err(err) => {
                self.invalid_promql(node.pos, field, &err, hint);
                None
            }
        }
    }

    fn histogram_name(&mut self, node: &Node) -> Option<String> {
        let field = "sli.latency.histogram";
        let name = self.string(node, field)?;
        if !is_metric_name(&name) {
            self.error_hint(
                node.pos,
                field,
                format!("`{name}` is not a valid metric name"),
                "give the histogram's base name, e.g. http_request_duration_seconds",
            );
            return None;
        }
        for suffix in ["_bucket", "_count", "_sum"] {
            if let Some(base) = name.strip_suffix(suffix) {
                self.error_hint(
                    node.pos,
                    field,
                    format!("ends with `{suffix}`"),
                    format!("give the base name `{base}`: slo adds _bucket and _count itself"),
                );
                return None;
            }
        }
        Some(name)
    }

    /// Label matchers in braces, checked by parsing them onto the histogram's bucket series.
    fn matchers(&mut self, node: &Node, histogram: Option<&str>) -> Option<String> {
        let field = "sli.latency.selector";
        let text = self.string(node, field)?;
        let text = text.trim().to_string();
        let hint = "give label matchers in braces, e.g. '{job=\"api\",handler!=\"/metrics\"}'";
        if !text.starts_with('{') || !text.ends_with('}') {
            self.error_hint(node.pos, field, "is not label matchers in braces", hint);
            return None;
        }
        let probe = format!("{}_bucket{text}", histogram.unwrap_or("histogram"));
        match parser::parse(&probe) {
            Ok(Expr::VectorSelector(vs)) => {
                if vs.matchers.matchers.iter().any(|m| m.name == "le") {
                    self.error_hint(
                        node.pos,
                        field,
                        "matches on `le`",
                        "slo selects the bucket from `threshold`; leave `le` out",
                    );
                    return None;
                }
                Some(text)
            }
            Ok(_) => {
                self.error_hint(node.pos, field, "is not label matchers in braces", hint);
                None
            }
            Err(err) => {
                self.invalid_promql(node.pos, field, &err, hint);
                None
            }
        }
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// The string at `key` of a mapping node, if there is one.
fn peek_string<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    entries.iter().find_map(|(k, v)| match &v.value {
        Value::Str(s) if k.name == key => Some(s.as_str()),
        _ => None,
    })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn scalar_text(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.kind().to_string(),
    }
}

/// The closest allowed name, when it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(name: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (strsim::jaro_winkler(name, a), *a))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, a)| a)
}

/// `[a-z0-9]([a-z0-9_-]*[a-z0-9])?`
fn is_slo_name(s: &str) -> bool {
    let edge = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.starts_with(edge)
        && s.ends_with(edge)
        && s.chars().all(|c| edge(c) || c == '_' || c == '-')
}

/// A Prometheus label name a user may set: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`.
fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with("__")
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
fn is_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_slo_name("demo-api"));
        assert!(is_slo_name("a"));
        assert!(!is_slo_name("Demo"));
        assert!(!is_slo_name("-a"));
        assert!(!is_slo_name("a_"));
        assert!(is_label_name("team"));
        assert!(!is_label_name("__name__"));
        assert!(!is_label_name("1a"));
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

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("objectve", SLO_FIELDS), Some("objective"));
        assert_eq!(did_you_mean("windows", SLO_FIELDS), Some("window"));
        assert_eq!(did_you_mean("zzz", SLO_FIELDS), None);
    }
}
