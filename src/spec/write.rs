//! `slo convert`: a spec read in any format, written back as `slo.yaml` version 1.
//!
//! The document is built from the [`Spec`] alone, field by field of the model, so whatever a
//! reader puts into the model is written; what the model does not keep (ignored keys, plugin
//! chains, how Sloth spelled a query) is said in a `# ` comment above where it would be. The
//! text is then read back with our own reader and must give the same model, so generating
//! from the converted file gives what generating from the original gives; what our format
//! cannot say (an objective of 0.5%, say) is an error located in the original file.

use std::fmt::Write;

use super::format::{slo_v1, sloth};
use super::reader::peek_string;
use super::{Diagnostic, Located, reader, yaml};
use crate::model::{AlertPolicy, Alerting, GatePolicy, Labels, RatioEvents, Sli, Slo, Spec};
use crate::promql::BURN_ALERT;
use crate::rules::yaml_scalar;

/// The `slo.yaml` text of `located`'s spec, one YAML document, with a comment above each
/// thing dropped or changed on the way; or, located in the original, why it cannot be one.
pub fn native_document(located: &Located) -> Result<String, Vec<Diagnostic>> {
    let notes = Notes::of(located);
    let document = document(&located.spec, &notes);
    let mut header = notes.header.clone();
    header.extend(notes.elsewhere(None, &document));
    let text = render(&document, &header);
    check_reads_back(located, &text)?;
    Ok(text)
}

// ---- what changed ----

/// Comments for the converted document: above the document, above a top-level key, above an
/// SLO or above one of its keys.
struct Notes {
    header: Vec<String>,
    /// `(slo, key, text)`: `slo` `None` for the top level; a key the document does not
    /// write puts the note above the SLO (or in the header).
    placed: Vec<(Option<String>, String, String)>,
}

impl Notes {
    fn of(located: &Located) -> Notes {
        let spec = &located.spec;
        let root = &located.root;
        let format = Format::of(root);
        let mut notes = Notes {
            header: vec![format!(
                "slo.yaml version 1, written by `slo convert` from {} ({})",
                spec.source.replace(char::is_control, "?"),
                format.name()
            )],
            placed: Vec::new(),
        };
        for warning in &located.warnings {
            let line = warning
                .pos
                .map(|p| format!(" (line {})", p.line))
                .unwrap_or_default();
            notes.placed.push((
                warning.slo.clone(),
                warning
                    .field
                    .split('.')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                format!(
                    "not converted: {}{line}: {}",
                    warning.field, warning.message
                ),
            ));
        }
        if spec.manifest.is_some() && format != Format::Native {
            notes.top(
                "kubernetes",
                "the PrometheusServiceLevel's name, namespace and labels, which \
                 `generate-rules --format prometheus-rule` keeps",
            );
        }
        let imported = format != Format::Native;
        if imported && !is_lowercase_name(&spec.service) {
            notes.top("service", KEPT_AS_WRITTEN);
        }
        for slo in &spec.slos {
            let node = located.slo_node(&slo.name);
            if imported && !is_lowercase_name(&slo.name) {
                notes.slo(slo, "name", KEPT_AS_WRITTEN.to_string());
            }
            if node.is_some_and(|n| reader::peek(n, "window").is_none()) {
                notes.slo(
                    slo,
                    "window",
                    "from --default-window, as the original gives no window".to_string(),
                );
            }
            if format.is_sloth() {
                notes.sloth_slo(slo, node);
            }
        }
        notes
    }

    /// What Sloth says otherwise in an SLO: its SLI kinds and its shared alert metadata.
    fn sloth_slo(&mut self, slo: &Slo, node: Option<&yaml::Node>) {
        let has = |path: &[&str]| {
            node.and_then(|node| path.iter().try_fold(node, |n, key| reader::peek(n, key)))
                .is_some()
        };
        let sli = if has(&["sli", "events"]) {
            match &slo.sli {
                Sli::Ratio(_) => Some(
                    "Sloth's events queries, both summed counter rates: a ratio of errors to \
                     total, so reports count events",
                ),
                _ => Some("Sloth's events queries: one raw error ratio, (error)/(total)"),
            }
        } else if has(&["sli", "raw"]) {
            Some("Sloth's raw query, with {{window}} for {{.window}}")
        } else {
            None
        };
        if let Some(text) = sli {
            self.slo(slo, "sli", text.to_string());
        }
        if has(&["alerting", "labels"]) || has(&["alerting", "annotations"]) {
            self.slo(
                slo,
                "alerting",
                "Sloth's alerting labels and annotations, under page and ticket each".to_string(),
            );
        }
    }

    fn top(&mut self, key: &str, text: &str) {
        self.placed.push((None, key.to_string(), text.to_string()));
    }

    fn slo(&mut self, slo: &Slo, key: &str, text: String) {
        self.placed
            .push((Some(slo.name.clone()), key.to_string(), text));
    }

    /// The notes of `slo` (`None`: the top level) above `key`.
    fn above(&self, slo: Option<&str>, key: &str) -> Vec<String> {
        self.placed
            .iter()
            .filter(|(s, k, _)| s.as_deref() == slo && k == key)
            .map(|(_, _, text)| text.clone())
            .collect()
    }

    /// The notes of `slo` (`None`: the top level) whose key `written` does not hold.
    fn elsewhere(&self, slo: Option<&str>, written: &[Entry]) -> Vec<String> {
        self.placed
            .iter()
            .filter(|(s, k, _)| s.as_deref() == slo && !written.iter().any(|e| &e.key == k))
            .map(|(_, _, text)| text.clone())
            .collect()
    }
}

const KEPT_AS_WRITTEN: &str = "kept as written, capitals and dots included, so the original's series, alerts and \
     dashboards keep matching";

fn is_lowercase_name(name: &str) -> bool {
    !name.contains(|c: char| c.is_ascii_uppercase() || c == '.')
}

/// The format a document was read in, by its own markers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Format {
    Native,
    SlothPrometheusV1,
    SlothKubernetes,
    /// Another `apiVersion` (OpenSLO's), by name.
    Other(String),
}

impl Format {
    fn of(root: &yaml::Node) -> Format {
        let version = reader::peek(root, "version").map(|n| &n.value);
        if version == Some(&yaml::Value::Int(slo_v1::SPEC_VERSION)) {
            return Format::Native;
        }
        if peek_string(root, "version") == Some(sloth::PROMETHEUS_V1) {
            return Format::SlothPrometheusV1;
        }
        // A list of documents (OpenSLO's other form) is named by its first.
        let first = match &root.value {
            yaml::Value::Seq(items) => items.first().unwrap_or(root),
            _ => root,
        };
        match peek_string(first, "apiVersion") {
            Some(sloth::CRD_API_VERSION) => Format::SlothKubernetes,
            Some(other) => Format::Other(other.to_string()),
            None => Format::Other("an imported format".to_string()),
        }
    }

    fn is_sloth(&self) -> bool {
        matches!(self, Format::SlothPrometheusV1 | Format::SlothKubernetes)
    }

    fn name(&self) -> String {
        match self {
            Format::Native => "slo.yaml version 1".to_string(),
            Format::SlothPrometheusV1 => format!("Sloth {}", sloth::PROMETHEUS_V1),
            Format::SlothKubernetes => {
                format!("Sloth {} {}", sloth::CRD_API_VERSION, sloth::CRD_KIND)
            }
            Format::Other(api_version) => api_version.clone(),
        }
    }
}

// ---- the document, from the model ----

/// A YAML value as the converted file writes it.
enum Yaml {
    /// A string, quoted as it needs; a block literal when it spans lines.
    Text(String),
    /// A number, a boolean or a duration, written as it is.
    Plain(String),
    /// A flow list of strings: `[a, b]`.
    Names(Vec<String>),
    Map(Vec<Entry>),
    /// A block list of mappings, each with the comments above it.
    Items(Vec<(Vec<String>, Vec<Entry>)>),
}

struct Entry {
    comments: Vec<String>,
    key: String,
    value: Yaml,
}

/// Entries of a mapping, leaving out what is empty or the default.
#[derive(Default)]
struct Entries(Vec<Entry>);

impl Entries {
    fn add(&mut self, key: &str, value: Yaml) -> &mut Self {
        let empty = match &value {
            Yaml::Map(entries) => entries.is_empty(),
            Yaml::Items(items) => items.is_empty(),
            Yaml::Names(names) => names.is_empty(),
            Yaml::Text(_) | Yaml::Plain(_) => false,
        };
        if !empty {
            self.0.push(Entry {
                comments: Vec::new(),
                key: key.to_string(),
                value,
            });
        }
        self
    }

    fn text(&mut self, key: &str, value: &str) -> &mut Self {
        self.add(key, Yaml::Text(value.to_string()))
    }

    fn with_notes(mut self, notes: &Notes, slo: Option<&str>) -> Vec<Entry> {
        for entry in &mut self.0 {
            entry.comments = notes.above(slo, &entry.key);
        }
        self.0
    }
}

fn document(spec: &Spec, notes: &Notes) -> Vec<Entry> {
    // Labels every SLO has alike are written once, at the top, as specs usually hold them.
    let shared: Labels = spec
        .slos
        .first()
        .map(|first| {
            first
                .labels
                .iter()
                .filter(|(k, v)| spec.slos.iter().all(|s| s.labels.get(*k) == Some(*v)))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let mut top = Entries::default();
    top.add("version", Yaml::Plain(slo_v1::SPEC_VERSION.to_string()))
        .text("service", &spec.service);
    if let Some(manifest) = &spec.manifest {
        let mut fields = Entries::default();
        if let Some(name) = &manifest.name {
            fields.text("name", name);
        }
        if let Some(namespace) = &manifest.namespace {
            fields.text("namespace", namespace);
        }
        fields.add("labels", map(&manifest.labels));
        // An empty section still says the spec is a Kubernetes object.
        top.0.push(Entry {
            comments: Vec::new(),
            key: "kubernetes".to_string(),
            value: Yaml::Map(fields.0),
        });
    }
    top.add("labels", map(&shared));
    let items = spec
        .slos
        .iter()
        .map(|slo| {
            let mut entries = slo_entries(slo, &shared).with_notes(notes, Some(&slo.name));
            let mut above = notes.elsewhere(Some(&slo.name), &entries);
            // Comments on the first key go above the item's dash.
            if let Some(first) = entries.first_mut() {
                above.append(&mut first.comments);
            }
            (above, entries)
        })
        .collect();
    top.add("slos", Yaml::Items(items));
    top.with_notes(notes, None)
}

fn slo_entries(slo: &Slo, shared: &Labels) -> Entries {
    let mut e = Entries::default();
    e.text("name", &slo.name);
    if let Some(description) = &slo.description {
        e.text("description", description);
    }
    e.add("objective", number(slo.objective.percent()));
    match &slo.calendar {
        Some(calendar) => {
            e.add("window", Yaml::Plain(calendar.period.name().to_string()))
                .text("timezone", calendar.timezone_name());
        }
        None => {
            e.add("window", Yaml::Plain(slo.window.to_string()));
        }
    }
    let own: Labels = slo
        .labels
        .iter()
        .filter(|(k, _)| !shared.contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    e.add("labels", map(&own))
        .add("sli", Yaml::Map(sli(&slo.sli).0))
        .add("alerting", Yaml::Map(alerting(&slo.alerting).0))
        .add("gate", Yaml::Map(gate(&slo.gate).0));
    e
}

fn sli(sli: &Sli) -> Entries {
    let mut kind = Entries::default();
    match sli {
        Sli::Ratio(ratio) => {
            match &ratio.events {
                RatioEvents::Errors(errors) => kind.text("errors", &errors.0),
                RatioEvents::Good(good) => kind.text("good", &good.0),
            };
            kind.text("total", &ratio.total.0)
                .add("group_by", Yaml::Names(ratio.group_by.clone()));
        }
        Sli::Latency(latency) => {
            kind.text("histogram", &latency.histogram);
            if !latency.selector.is_empty() {
                kind.text("selector", &latency.selector);
            }
            kind.add("threshold", number(latency.threshold))
                .add("group_by", Yaml::Names(latency.group_by.clone()));
        }
        Sli::Raw(raw) => {
            kind.text("error_ratio", &raw.error_ratio);
        }
    }
    let mut e = Entries::default();
    e.add(sli.kind(), Yaml::Map(kind.0));
    e
}

fn alerting(alerting: &Alerting) -> Entries {
    let mut e = Entries::default();
    if alerting.name != BURN_ALERT {
        e.text("name", &alerting.name);
    }
    for (key, policy) in [("page", &alerting.page), ("ticket", &alerting.ticket)] {
        let mut fields = Entries::default();
        if !policy.enabled {
            fields.add("enabled", Yaml::Plain("false".to_string()));
        }
        let AlertPolicy {
            labels,
            annotations,
            ..
        } = policy;
        fields
            .add("labels", map(labels))
            .add("annotations", map(annotations));
        e.add(key, Yaml::Map(fields.0));
    }
    e
}

fn gate(gate: &GatePolicy) -> Entries {
    let mut e = Entries::default();
    if let Some(min) = gate.min_budget_remaining {
        e.add("min_budget_remaining", number(min));
    }
    let mut rates = Entries::default();
    for (window, factor) in &gate.max_burn_rate {
        rates.add(&window.to_string(), number(*factor));
    }
    e.add("max_burn_rate", Yaml::Map(rates.0));
    e
}

fn map(labels: &Labels) -> Yaml {
    Yaml::Map(
        labels
            .iter()
            .map(|(k, v)| Entry {
                comments: Vec::new(),
                key: k.clone(),
                value: Yaml::Text(v.clone()),
            })
            .collect(),
    )
}

/// Rust writes the shortest text that reads back as the same `f64`, never an exponent.
fn number(x: f64) -> Yaml {
    Yaml::Plain(x.to_string())
}

// ---- the text ----

fn render(entries: &[Entry], header: &[String]) -> String {
    let mut out = String::new();
    comments(&mut out, 0, header);
    mapping(&mut out, 0, entries);
    out
}

fn comments(out: &mut String, indent: usize, lines: &[String]) {
    for line in lines {
        let _ = writeln!(
            out,
            "{:indent$}# {}",
            "",
            line.replace(char::is_control, " ")
        );
    }
}

fn mapping(out: &mut String, indent: usize, entries: &[Entry]) {
    for entry in entries {
        comments(out, indent, &entry.comments);
        let key = yaml_scalar(&entry.key);
        match &entry.value {
            Yaml::Text(text) => {
                let _ = write!(out, "{:indent$}{key}:", "");
                string(out, indent + 2, text);
            }
            Yaml::Plain(text) => {
                let _ = writeln!(out, "{:indent$}{key}: {text}", "");
            }
            Yaml::Names(names) => {
                let names: Vec<String> = names.iter().map(|n| yaml_scalar(n)).collect();
                let _ = writeln!(out, "{:indent$}{key}: [{}]", "", names.join(", "));
            }
            Yaml::Map(entries) if entries.is_empty() => {
                let _ = writeln!(out, "{:indent$}{key}: {{}}", "");
            }
            Yaml::Map(entries) => {
                let _ = writeln!(out, "{:indent$}{key}:", "");
                mapping(out, indent + 2, entries);
            }
            Yaml::Items(items) => {
                let _ = writeln!(out, "{:indent$}{key}:", "");
                for (above, entries) in items {
                    comments(out, indent + 2, above);
                    let mut item = String::new();
                    mapping(&mut item, indent + 4, entries);
                    // The first key's indentation becomes the item's dash.
                    item.replace_range(indent + 2..indent + 4, "- ");
                    out.push_str(&item);
                }
            }
        }
    }
}

/// ` value` and the line break; a multi-line string as a block literal whose chomping keeps
/// its trailing line breaks exactly, so a query reads as it was written.
fn string(out: &mut String, indent: usize, text: &str) {
    let body = text.trim_end_matches('\n');
    let blockable = text.contains('\n')
        && !body.is_empty()
        && !body.starts_with([' ', '\n'])
        && !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t');
    if !blockable {
        let _ = writeln!(out, " {}", yaml_scalar(text));
        return;
    }
    let chomping = match text.len() - body.len() {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let _ = writeln!(out, " |{chomping}");
    for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{:indent$}{line}", "");
        }
    }
}

// ---- reading it back ----

/// The text must read back, with our own reader, as the spec it was written from.
fn check_reads_back(located: &Located, text: &str) -> Result<(), Vec<Diagnostic>> {
    let original = &located.spec;
    let reread = match super::parse(text, &original.source) {
        Ok(reread) => reread,
        Err(err) => {
            return Err(err
                .diagnostics
                .into_iter()
                .map(|d| in_original(located, d))
                .collect());
        }
    };
    let changed = original
        .slos
        .iter()
        .zip(&reread.slos)
        .find(|(a, b)| !same_slo(a, b))
        .map(|(a, _)| a.name.clone());
    if changed.is_some() || reread.slos.len() != original.slos.len() || !same_top(original, &reread)
    {
        return Err(vec![Diagnostic {
            pos: changed
                .as_deref()
                .and_then(|name| located.position(name, "name")),
            slo: changed,
            field: String::new(),
            message: "slo convert would change this spec: this is a bug in slo, please report it"
                .to_string(),
            hint: None,
        }]);
    }
    Ok(())
}

/// A problem of the converted text, said of the original at the nearest place written there.
fn in_original(located: &Located, d: Diagnostic) -> Diagnostic {
    let message = format!("cannot be written as slo.yaml version 1: {}", d.message);
    match &d.slo {
        Some(slo) => located.diagnostic(slo, &d.field, message, d.hint),
        None => Diagnostic {
            pos: reader::peek(&located.root, &d.field).map(|n| n.pos),
            message,
            ..d
        },
    }
}

fn same_top(a: &Spec, b: &Spec) -> bool {
    a.service == b.service && a.manifest == b.manifest
}

/// Equal, taking a calendar's time zone by its name: `UTC` read from the text and the
/// default UTC are the same zone.
fn same_slo(a: &Slo, b: &Slo) -> bool {
    let zone = |s: &Slo| {
        s.calendar
            .as_ref()
            .map(|c| (c.period, c.timezone_name().to_string()))
    };
    let without_zone = |s: &Slo| Slo {
        calendar: None,
        ..s.clone()
    };
    zone(a) == zone(b) && without_zone(a) == without_zone(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(text: &str) -> String {
        let mut out = String::new();
        string(&mut out, 4, text);
        out
    }

    #[test]
    fn multi_line_strings_are_block_literals_that_keep_their_line_breaks() {
        assert_eq!(block("a\nb"), " |-\n    a\n    b\n");
        assert_eq!(block("a\nb\n"), " |\n    a\n    b\n");
        assert_eq!(block("a\n\nb\n\n"), " |+\n    a\n\n    b\n\n");
        assert_eq!(block("one line\n"), " |\n    one line\n");
        assert_eq!(block("\n"), " \"\\n\"\n");
        assert_eq!(block(" indented\nx"), " \" indented\\nx\"\n");
        assert_eq!(block("plain"), " plain\n");
    }
}
