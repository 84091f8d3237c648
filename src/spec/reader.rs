//! The format-agnostic half of loading a spec: typed reads of a YAML tree that record every
//! problem (with its position, the item it belongs to and its field path) and carry on.
//!
//! A format's schema walks its document with a [`Reader`]: it declares each mapping's keys as
//! [`Field`]s, descends with [`Reader::at`] (so field paths are never written by hand), and gets
//! `None` back wherever a value was unusable, the problem already recorded.

use std::collections::BTreeMap;

use super::Diagnostic;
pub use super::yaml::{Key, Node, Position, Value};

/// A key a mapping may hold; a format's tables of these are its schema's single list of keys,
/// from which both the reader's checks and the JSON Schema (`slo schema`) are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub required: bool,
    pub shape: Shape,
}

impl Field {
    pub const fn required(name: &'static str) -> Self {
        Field {
            name,
            required: true,
            shape: Shape::Any,
        }
    }

    pub const fn optional(name: &'static str) -> Self {
        Field {
            name,
            required: false,
            shape: Shape::Any,
        }
    }

    /// The field with its value's shape declared: [`Reader::field`] checks it before the
    /// field's own read runs.
    pub const fn of(self, shape: Shape) -> Self {
        Field { shape, ..self }
    }
}

/// The kind of value a field holds, as far as a JSON Schema can say it; what a value means
/// (a valid name, a duration, PromQL) is the field's own read to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Undeclared: the field's read checks everything.
    Any,
    /// Exactly this integer (a format version); the read reports any other value.
    Exactly(i64),
    String,
    Number,
    Boolean,
    /// A string, number or boolean, taken as text (label values).
    Scalar,
    /// A mapping of declared fields, of which exactly one of `one_of` (if any) is given.
    Fields {
        fields: &'static [Field],
        one_of: &'static [&'static str],
    },
    /// A mapping whose keys are data (label names, windows), with values of one shape.
    Map(&'static Shape),
    /// A list of `items` (their name in messages), with a hint for a value that is not one.
    List {
        items: &'static str,
        hint: Option<&'static str>,
        of: &'static Shape,
    },
}

impl Shape {
    /// A mapping of `fields` with no exclusive group.
    pub const fn fields(fields: &'static [Field]) -> Self {
        Shape::Fields {
            fields,
            one_of: &[],
        }
    }
}

/// What a key that no [`Field`] declares is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownKeys {
    /// An error: the format is ours, so an unknown key is a typo or a misplaced field.
    Reject,
    /// A warning: imported formats (Sloth ignores unknown keys) may carry fields we do not read.
    Warn,
}

/// A value read without errors, and the warnings met on the way.
#[derive(Debug)]
pub struct Read<T> {
    pub value: T,
    pub warnings: Vec<Diagnostic>,
}

/// A mapping whose keys have been checked against its [`Field`]s.
pub struct Mapping<'a> {
    entries: &'a [(Key, Node)],
    fields: &'static [Field],
    pub pos: Position,
}

impl<'a> Mapping<'a> {
    pub fn get(&self, name: &str) -> Option<&'a Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(_, v)| v)
    }

    /// The entries whose key is a declared field, in the order written.
    pub fn known_entries(&self) -> Vec<&'a (Key, Node)> {
        self.entries
            .iter()
            .filter(|(k, _)| self.fields.iter().any(|f| f.name == k.name))
            .collect()
    }
}

pub struct Reader {
    unknown_keys: UnknownKeys,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// The item (an SLO) being read, named in every diagnostic about it.
    item: Option<String>,
    /// The field path within the item (or the document), one segment per mapping key.
    path: Vec<String>,
}

impl Reader {
    pub fn new(unknown_keys: UnknownKeys) -> Self {
        Reader {
            unknown_keys,
            errors: Vec::new(),
            warnings: Vec::new(),
            item: None,
            path: Vec::new(),
        }
    }

    /// `value` with the warnings, or every error (in file order) if there was any; a failed
    /// read reports its errors only.
    pub fn finish<T>(self, value: T) -> Result<Read<T>, Vec<Diagnostic>> {
        let in_file_order = |mut diagnostics: Vec<Diagnostic>| {
            diagnostics.sort_by_key(|d| d.pos.map(|p| (p.line, p.column)));
            diagnostics
        };
        if self.errors.is_empty() {
            Ok(Read {
                value,
                warnings: in_file_order(self.warnings),
            })
        } else {
            Err(in_file_order(self.errors))
        }
    }

    // ---- where we are ----

    /// Runs `read` one field deeper.
    pub fn at<T>(&mut self, segment: &str, read: impl FnOnce(&mut Self) -> T) -> T {
        self.at_path(&[segment], read)
    }

    /// Runs `read` at `segments` below the current field.
    pub fn at_path<T>(&mut self, segments: &[&str], read: impl FnOnce(&mut Self) -> T) -> T {
        let depth = self.path.len();
        self.path.extend(segments.iter().map(|s| s.to_string()));
        let value = read(self);
        self.path.truncate(depth);
        value
    }

    /// Runs `read` on a named item, whose field paths start afresh.
    pub fn within<T>(&mut self, item: String, read: impl FnOnce(&mut Self) -> T) -> T {
        let outer_item = self.item.replace(item);
        let outer_path = std::mem::take(&mut self.path);
        let value = read(self);
        self.item = outer_item;
        self.path = outer_path;
        value
    }

    // ---- problems ----

    pub fn error(&mut self, pos: Position, message: impl Into<String>) {
        let diagnostic = self.diagnostic(pos, message.into(), None);
        self.errors.push(diagnostic);
    }

    pub fn error_hint(
        &mut self,
        pos: Position,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let diagnostic = self.diagnostic(pos, message.into(), Some(hint.into()));
        self.errors.push(diagnostic);
    }

    /// A problem that does not stop the spec from being used, such as a field that is ignored.
    pub fn warn(&mut self, pos: Position, message: impl Into<String>, hint: impl Into<String>) {
        let diagnostic = self.diagnostic(pos, message.into(), Some(hint.into()));
        self.warnings.push(diagnostic);
    }

    fn diagnostic(&self, pos: Position, message: String, hint: Option<String>) -> Diagnostic {
        Diagnostic {
            pos: Some(pos),
            slo: self.item.clone(),
            field: self.path.join("."),
            message,
            hint,
        }
    }

    // ---- typed reads ----

    /// The node as a mapping of `fields`; keys outside them are reported as the policy says.
    pub fn mapping<'a>(&mut self, node: &'a Node, fields: &'static [Field]) -> Option<Mapping<'a>> {
        let entries = self.entries(node)?;
        for (key, _) in entries {
            if !fields.iter().any(|f| f.name == key.name) {
                self.unknown_key(key, fields);
            }
        }
        Some(Mapping {
            entries,
            fields,
            pos: node.pos,
        })
    }

    /// The node as a mapping whose keys are data (label names, windows), not fields.
    pub fn open_mapping<'a>(&mut self, node: &'a Node) -> Option<&'a [(Key, Node)]> {
        self.entries(node)
    }

    /// A null counts as an empty mapping.
    fn entries<'a>(&mut self, node: &'a Node) -> Option<&'a [(Key, Node)]> {
        match &node.value {
            Value::Map(entries) => Some(entries),
            Value::Null => Some(&[]),
            other => {
                self.error(
                    node.pos,
                    format!("expected a mapping, found {}", other.kind()),
                );
                None
            }
        }
    }

    fn unknown_key(&mut self, key: &Key, fields: &[Field]) {
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        let hint = match did_you_mean(&key.name, &names) {
            Some(name) => format!("did you mean `{name}`?"),
            None => format!("expected one of: {}", names.join(", ")),
        };
        let diagnostic = self.at(&key.name, |r| {
            r.diagnostic(key.pos, "unknown field".to_string(), Some(hint))
        });
        match self.unknown_keys {
            UnknownKeys::Reject => self.errors.push(diagnostic),
            UnknownKeys::Warn => self.warnings.push(diagnostic),
        }
    }

    /// Reads field `name` of `mapping` with `read`, one level deeper; `None` when it is absent,
    /// which is reported if the field is required, or not of its declared [`Shape`].
    pub fn field<'a, T>(
        &mut self,
        mapping: &Mapping<'a>,
        name: &str,
        read: impl FnOnce(&mut Self, &'a Node) -> T,
    ) -> Option<T> {
        let field = mapping.fields.iter().find(|f| f.name == name);
        debug_assert!(field.is_some(), "`{name}` is not a declared field");
        let shape = field.map_or(Shape::Any, |f| f.shape);
        match mapping.get(name) {
            // A value of the wrong shape is reported here and counts as absent.
            Some(node) => self.at(name, |r| r.fits(shape, node).then(|| read(r, node))),
            None => {
                if field.is_some_and(|f| f.required) {
                    self.at(name, |r| r.error(mapping.pos, "is required but missing"));
                }
                None
            }
        }
    }

    /// Whether `node` is of `shape`'s kind, reporting it when not; a null is left to the
    /// field's read, which knows whether it means empty. Messages are the typed reads' own.
    fn fits(&mut self, shape: Shape, node: &Node) -> bool {
        match shape {
            Shape::Any | Shape::Exactly(_) => true,
            _ if node.value == Value::Null => true,
            Shape::String => self.string(node).is_some(),
            Shape::Number => match node.value {
                // A non-finite number is the read's to report.
                Value::Int(_) | Value::Float(_) => true,
                _ => self.number(node).is_some(),
            },
            Shape::Boolean => self.boolean(node).is_some(),
            Shape::Scalar => {
                if !is_scalar(&node.value) {
                    self.not_a_string(node);
                }
                is_scalar(&node.value)
            }
            Shape::Fields { .. } | Shape::Map(_) => self.entries(node).is_some(),
            Shape::List { items, hint, .. } => self.list(node, items, hint).is_some(),
        }
    }

    pub fn string(&mut self, node: &Node) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.not_a_string(node);
                None
            }
        }
    }

    fn not_a_string(&mut self, node: &Node) {
        let message = format!("expected a string, found {}", node.value.kind());
        if is_scalar(&node.value) {
            self.error_hint(
                node.pos,
                message,
                "quote the value: YAML reads y, no, on, 1.0 and the like as booleans or numbers",
            );
        } else {
            self.error(node.pos, message);
        }
    }

    /// A finite number.
    pub fn number(&mut self, node: &Node) -> Option<f64> {
        match node.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) if f.is_finite() => Some(f),
            Value::Float(f) => {
                self.error(node.pos, format!("expected a finite number, found {f}"));
                None
            }
            ref other => {
                self.error(
                    node.pos,
                    format!("expected a number, found {}", other.kind()),
                );
                None
            }
        }
    }

    pub fn boolean(&mut self, node: &Node) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            ref other => {
                self.error(
                    node.pos,
                    format!("expected true or false, found {}", other.kind()),
                );
                None
            }
        }
    }

    /// The node as a list of `items` (named in the message when it is something else).
    pub fn list<'a>(
        &mut self,
        node: &'a Node,
        items: &str,
        hint: Option<&str>,
    ) -> Option<&'a [Node]> {
        match &node.value {
            Value::Seq(nodes) => Some(nodes),
            other => {
                let message = format!("expected a list of {items}, found {}", other.kind());
                match hint {
                    Some(hint) => self.error_hint(node.pos, message, hint),
                    None => self.error(node.pos, message),
                }
                None
            }
        }
    }

    /// A mapping of strings; numbers and booleans are taken as their text, as Prometheus'
    /// own YAML does for label values.
    pub fn string_map(&mut self, node: &Node) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        for (key, value) in self.open_mapping(node).unwrap_or_default() {
            if is_scalar(&value.value) {
                map.insert(key.name.clone(), scalar_text(value));
            } else {
                self.at(&key.name, |r| r.not_a_string(value));
            }
        }
        map
    }
}

fn is_scalar(value: &Value) -> bool {
    matches!(
        value,
        Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_)
    )
}

/// A scalar as written (near enough), or the kind of anything else, for messages.
pub fn scalar_text(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.kind().to_string(),
    }
}

/// The value at `key` of a mapping node, if there is one, unread.
pub fn peek<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v)
}

/// The string at `key` of a mapping node, if there is one: to name an item before reading it.
pub fn peek_string<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    match &peek(node, key)?.value {
        Value::Str(s) => Some(s.as_str()),
        _ => None,
    }
}

/// The closest allowed name, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (strsim::jaro_winkler(name, a), *a))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[Field] = &[Field::required("objective"), Field::optional("window")];

    fn node(text: &str) -> Node {
        super::super::yaml::parse(text).unwrap()
    }

    #[test]
    fn suggestions() {
        let names = ["objective", "window"];
        assert_eq!(did_you_mean("objectve", &names), Some("objective"));
        assert_eq!(did_you_mean("windows", &names), Some("window"));
        assert_eq!(did_you_mean("zzz", &names), None);
    }

    #[test]
    fn paths_follow_the_descent_and_items_start_them_afresh() {
        let doc = node("objective: x\n");
        let mut r = Reader::new(UnknownKeys::Reject);
        r.at("outer", |r| {
            r.within("first".to_string(), |r| {
                r.at("a", |r| {
                    let mapping = r.mapping(&doc, FIELDS).unwrap();
                    r.field(&mapping, "objective", Reader::number);
                })
            });
            r.error(doc.pos, "outside");
        });
        let errors = r.finish(()).unwrap_err();
        let located: Vec<(Option<&str>, &str, &str)> = errors
            .iter()
            .map(|d| (d.slo.as_deref(), d.field.as_str(), d.message.as_str()))
            .collect();
        assert_eq!(
            located,
            [
                (None, "outer", "outside"),
                (
                    Some("first"),
                    "a.objective",
                    "expected a number, found a string"
                ),
            ]
        );
    }

    #[test]
    fn unknown_keys_are_errors_or_warnings_as_the_policy_says() {
        let doc = node("objective: 1\nobjectve: 2\n");
        let read = |policy| {
            let mut r = Reader::new(policy);
            let value = r.mapping(&doc, FIELDS).is_some();
            r.finish(value)
        };
        let errors = read(UnknownKeys::Reject).unwrap_err();
        assert_eq!(errors[0].field, "objectve");
        assert_eq!(errors[0].hint.as_deref(), Some("did you mean `objective`?"));
        let read = read(UnknownKeys::Warn).unwrap();
        assert_eq!(read.warnings[0].message, "unknown field");
    }

    #[test]
    fn a_missing_required_field_is_reported_at_its_mapping() {
        let doc = node("window: 30d\n");
        let mut r = Reader::new(UnknownKeys::Reject);
        let mapping = r.mapping(&doc, FIELDS).unwrap();
        assert_eq!(
            r.field(&mapping, "window", Reader::string),
            Some(Some("30d".into()))
        );
        assert_eq!(r.field(&mapping, "objective", Reader::number), None);
        let errors = r.finish(()).unwrap_err();
        assert_eq!(errors[0].field, "objective");
        assert_eq!(errors[0].message, "is required but missing");
        assert_eq!(errors[0].pos, Some(doc.pos));
    }
}
