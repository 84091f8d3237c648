//! Reads of Prometheus' vocabulary (label names and maps, durations, selectors, PromQL), for
//! every format whose SLIs are written in it.

use std::collections::HashSet;

use promql_parser::parser::{self, Expr};

use crate::model::{Labels, Selector, Window};
use crate::promql;
use crate::spec::reader::{Node, Reader, Shape, Value};

/// A mapping of label names to values, none of which `slo` sets itself.
pub fn labels(r: &mut Reader, node: &Node) -> Labels {
    let labels = r.string_map(node);
    let Value::Map(entries) = &node.value else {
        return labels;
    };
    for (key, _) in entries {
        if !is_label_name(&key.name) {
            r.error_hint(
                key.pos,
                format!("`{}` is not a valid Prometheus label name", key.name),
                LABEL_NAME_RULE,
            );
        } else if promql::is_reserved_label(&key.name) {
            r.error_hint(
                key.pos,
                format!("`{}` is reserved", key.name),
                "slo sets this label itself on every generated series",
            );
        }
    }
    labels
}

const LABEL_NAME_RULE: &str = "label names match [a-zA-Z_][a-zA-Z0-9_]* and do not start with __";

/// The shape [`label_names`] reads.
pub const LABEL_NAMES: Shape = Shape::List {
    items: LABEL_NAMES_ITEMS,
    hint: LABEL_NAMES_HINT,
    of: &Shape::String,
};
const LABEL_NAMES_ITEMS: &str = "label names";
const LABEL_NAMES_HINT: Option<&str> = Some("e.g. group_by: [handler]");

/// A list of distinct label names, such as `group_by`; null is an empty list.
pub fn label_names(r: &mut Reader, node: &Node) -> Option<Vec<String>> {
    if node.value == Value::Null {
        return Some(Vec::new());
    }
    let items = r.list(node, LABEL_NAMES_ITEMS, LABEL_NAMES_HINT)?;
    let mut names = Vec::new();
    let mut ok = true;
    let mut seen = HashSet::new();
    for item in items {
        let Some(name) = r.string(item) else {
            ok = false;
            continue;
        };
        if !is_label_name(&name) {
            r.error(
                item.pos,
                format!("`{name}` is not a valid Prometheus label name"),
            );
            ok = false;
        } else if !seen.insert(name.clone()) {
            r.error(item.pos, format!("`{name}` is listed twice"));
            ok = false;
        } else {
            names.push(name);
        }
    }
    ok.then_some(names)
}

/// A Prometheus duration such as `30d` or `1h30m`.
pub fn duration(r: &mut Reader, node: &Node) -> Option<Window> {
    let text = r.string(node)?;
    match Window::parse(&text) {
        Ok(w) => Some(w),
        Err(err) => {
            r.error_hint(
                node.pos,
                format!("not a duration: {err}"),
                "use Prometheus durations such as 5m, 1h, 7d, 30d",
            );
            None
        }
    }
}

/// A counter series selector such as `http_requests_total{job="api"}`.
pub fn selector(r: &mut Reader, node: &Node) -> Option<Selector> {
    let text = r.string(node)?;
    let hint = "give a series selector such as http_requests_total{job=\"api\"}; slo wraps it in sum(increase(...)) itself";
    match parse_query(r, node, &text)? {
        Ok(Expr::VectorSelector(vs)) if vs.offset.is_none() && vs.at.is_none() => {
            Some(Selector(text.trim().to_string()))
        }
        Ok(Expr::VectorSelector(_)) => {
            r.error_hint(node.pos, "offset and @ are not allowed here", hint);
            None
        }
        Ok(_) => {
            r.error_hint(
                node.pos,
                format!("`{}` is not a series selector", text.trim()),
                hint,
            );
            None
        }
        Err(err) => {
            invalid_promql(r, node, &err, hint);
            None
        }
    }
}

/// A histogram's base name, without the `_bucket`, `_count` or `_sum` that `slo` appends.
pub fn histogram_name(r: &mut Reader, node: &Node) -> Option<String> {
    let name = r.string(node)?;
    if !is_metric_name(&name) {
        r.error_hint(
            node.pos,
            format!("`{name}` is not a valid metric name"),
            "give the histogram's base name, e.g. http_request_duration_seconds",
        );
        return None;
    }
    for suffix in ["_bucket", "_count", "_sum"] {
        if let Some(base) = name.strip_suffix(suffix) {
            r.error_hint(
                node.pos,
                format!("ends with `{suffix}`"),
                format!("give the base name `{base}`: slo adds _bucket and _count itself"),
            );
            return None;
        }
    }
    Some(name)
}

/// Label matchers in braces, checked by parsing them onto the histogram's bucket series.
pub fn bucket_matchers(r: &mut Reader, node: &Node, histogram: Option<&str>) -> Option<String> {
    let text = r.string(node)?;
    let text = text.trim().to_string();
    let hint = "give label matchers in braces, e.g. '{job=\"api\",handler!=\"/metrics\"}'";
    if !text.starts_with('{') || !text.ends_with('}') {
        r.error_hint(node.pos, "is not label matchers in braces", hint);
        return None;
    }
    let probe = format!("{}_bucket{text}", histogram.unwrap_or("histogram"));
    match parse_query(r, node, &probe)? {
        Ok(Expr::VectorSelector(vs)) => {
            if vs.matchers.matchers.iter().any(|m| m.name == "le") {
                r.error_hint(
                    node.pos,
                    "matches on `le`",
                    "slo selects the bucket from `threshold`; leave `le` out",
                );
                return None;
            }
            Some(text)
        }
        Ok(_) => {
            r.error_hint(node.pos, "is not label matchers in braces", hint);
            None
        }
        Err(err) => {
            invalid_promql(r, node, &err, hint);
            None
        }
    }
}

/// A parser error as one line; the parser gives no position, so it points at the value.
/// The longest PromQL a spec may hold. The parser's time grows faster than the text when
/// expressions nest (16,000 chained `+ 1`, 64 KB, took 35 s in a debug build), so the length is
/// bounded before the parser sees the text; real SLI queries are a few hundred bytes.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

/// Parses PromQL written in the spec, refusing text over [`MAX_QUERY_BYTES`] with a located
/// error instead of handing it to the parser. `Err` holds the parser's message.
pub fn parse_query(r: &mut Reader, node: &Node, text: &str) -> Option<Result<Expr, String>> {
    if text.len() > MAX_QUERY_BYTES {
        r.error_hint(
            node.pos,
            format!(
                "is {} KiB of PromQL; the limit is {} KiB",
                text.len().div_ceil(1024),
                MAX_QUERY_BYTES / 1024
            ),
            "move the logic into a recording rule and select its series here",
        );
        return None;
    }
    Some(parser::parse(text))
}

pub fn invalid_promql(r: &mut Reader, node: &Node, err: &str, hint: impl Into<String>) {
    let message = err.split_whitespace().collect::<Vec<_>>().join(" ");
    r.error_hint(node.pos, format!("invalid PromQL: {message}"), hint);
}

/// An alert name: Prometheus requires a metric name there (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
pub fn alert_name(r: &mut Reader, node: &Node) -> Option<String> {
    let name = r.string(node)?;
    if is_metric_name(&name) {
        Some(name)
    } else {
        r.error_hint(
            node.pos,
            format!("`{name}` is not a valid alert name"),
            "Prometheus alert names are metric names: letters, digits, `_` and `:`, not starting with a digit",
        );
        None
    }
}

/// A Prometheus label name a user may set: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`.
pub(super) fn is_label_name(s: &str) -> bool {
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
    fn name_rules() {
        assert!(is_label_name("team"));
        assert!(!is_label_name("__name__"));
        assert!(!is_label_name("1a"));
        assert!(is_metric_name("http:requests_total"));
        assert!(!is_metric_name("1xx"));
    }
}
