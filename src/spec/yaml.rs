//! A YAML document as a tree of values that each remember where they were written.
//!
//! The spec is validated by walking this tree rather than by `#[derive(Deserialize)]`
//! on the model: derive stops at the first problem, and `slo validate` must report
//! every problem, each at its own line.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// 1-based position of a value in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub line: u64,
    pub column: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A value and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Position,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub pos: Position,
}

impl Value {
    /// The YAML type name, for messages such as "expected a string, found a mapping".
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Parses one YAML document. The error is the parser's message, in the spec's terms, and
/// position.
pub fn parse(text: &str) -> Result<Node, (String, Option<Position>)> {
    serde_saphyr::from_str::<Node>(text)
        .map_err(|err| (message(&err), err.location().map(|l| position(&l))))
}

/// The parser's message, except where it speaks to the library's caller (options to set,
/// functions to call, budget structs): those cases are said in the spec author's terms.
fn message(err: &serde_saphyr::Error) -> String {
    use serde_saphyr::Error;
    use serde_saphyr::budget::BudgetBreach;
    match err.without_snippet() {
        Error::DuplicateMappingKey { key: Some(key), .. } => {
            format!("the key `{key}` appears twice in this mapping")
        }
        Error::DuplicateMappingKey { key: None, .. } => {
            "a key appears twice in this mapping".to_string()
        }
        Error::MultipleDocuments { .. } => {
            "the file holds more than one YAML document (`---`); a spec is one document".to_string()
        }
        Error::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => "nested too deeply (more than 64 levels)".to_string(),
            BudgetBreach::Nodes { .. } | BudgetBreach::Events { .. } => {
                "too many values (more than 250,000); split the spec".to_string()
            }
            BudgetBreach::Aliases { .. }
            | BudgetBreach::Anchors { .. }
            | BudgetBreach::AliasAnchorRatio { .. }
            | BudgetBreach::RecordedAnchorEvents { .. }
            | BudgetBreach::RecordedAnchorBytes { .. } => {
                "anchors and aliases expand to too much text".to_string()
            }
            _ => "the file is too large to read as a spec".to_string(),
        },
        _ => plain_message(err),
    }
}

/// The parser's message without its snippet and without its own "line N column M" prefix,
/// since the caller prints the position in the `file:line:column` form.
fn plain_message(err: &serde_saphyr::Error) -> String {
    let text = err.without_snippet().to_string();
    let first = text.lines().next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let message = match first.split_once(": ") {
        Some((prefix, rest)) if prefix.starts_with("line ") => rest,
        _ => first,
    };
    match message.rsplit_once(" at line ") {
        Some((message, _)) => message.to_string(),
        None => message.to_string(),
    }
}

fn position(loc: &serde_saphyr::Location) -> Position {
    Position {
        line: loc.line(),
        column: loc.column(),
    }
}

/// A `T` and where it was written.
fn positioned<'de, T, D>(deserializer: D) -> Result<(T, Position), D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    let spanned = Spanned::<T>::deserialize(deserializer)?;
    Ok((spanned.value, position(&spanned.referenced)))
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (value, pos) = positioned(deserializer)?;
        Ok(Node { value, pos })
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (name, pos) = positioned(deserializer)?;
        Ok(Key { name, pos })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Value::Map(entries))
    }
}
