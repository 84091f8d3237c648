//! Loading `slo.yaml`: read, parse, validate, and produce the [`model::Spec`](crate::model::Spec),
//! or every problem found, each with its file, line, column, SLO and field.
//!
//! Layers: `yaml` parses text into a tree of values that keep their positions; [`reader`]
//! reads such a tree with typed reads that record every problem; each module of `format` is
//! the schema of one input format on top of the reader.

mod format;
pub mod reader;
pub mod schema;
mod yaml;

use std::fmt;
use std::io::Read;
use std::path::Path;

pub use reader::did_you_mean;
pub use yaml::Position;

use crate::model::Spec;
use crate::sanitize::Visible;

/// One problem in a spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Where the offending value (or its key) was written, when the YAML says.
    pub pos: Option<Position>,
    /// The SLO the problem belongs to, by name (or `slos[i]` when it has no usable name).
    pub slo: Option<String>,
    /// Dotted path of the field within its SLO (or the file), e.g. `sli.ratio.errors`.
    pub field: String,
    pub message: String,
    pub hint: Option<String>,
}

/// A spec that could not be read or is not valid: every problem found, in file order.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct SpecError {
    pub source_name: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl Diagnostic {
    /// `file:line:column: slo NAME: field: message`, and the hint on a line of its own.
    pub fn located(&self, source_name: &str) -> String {
        let mut text = source_name.to_string();
        if let Some(pos) = self.pos {
            text.push_str(&format!(":{}:{}", pos.line, pos.column));
        }
        text.push_str(": ");
        // Names, field paths, messages and hints quote the file's own text, which may hold
        // control characters or line breaks.
        if let Some(slo) = &self.slo {
            text.push_str(&format!("slo {}: ", Visible(slo)));
        }
        if !self.field.is_empty() {
            text.push_str(&format!("{}: ", Visible(&self.field)));
        }
        text.push_str(&Visible(&self.message).to_string());
        if let Some(hint) = &self.hint {
            text.push_str(&format!("\n  hint: {}", Visible(hint)));
        }
        text
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                // The caller prints the first "error: "; each further problem gets its own.
                write!(f, "\nerror: ")?;
            }
            write!(f, "{}", d.located(&self.source_name))?;
        }
        Ok(())
    }
}

/// The name under which standard input is reported.
pub const STDIN_NAME: &str = "<stdin>";

/// The largest spec read: ten times a 10,000-SLO spec, so a mistaken `--config /dev/zero` or
/// a log file ends in a message instead of eating memory.
pub const MAX_SPEC_BYTES: u64 = 16 * 1024 * 1024;

/// Reads and validates the spec at `path`; `-` reads standard input.
pub fn load(path: &Path) -> Result<Spec, SpecError> {
    let (name, text) = read(path)?;
    parse(&text, &name)
}

/// Validates spec text; `source_name` is used in messages and kept in the model.
pub fn parse(text: &str, source_name: &str) -> Result<Spec, SpecError> {
    parse_tree(text, source_name).map(|(_, spec)| spec)
}

/// A valid spec with the positions of what it was read from, to locate findings about it
/// (`slo lint`) as the loader locates errors.
pub struct Located {
    pub spec: Spec,
    root: yaml::Node,
}

impl Located {
    /// Reads and validates the spec at `path`, keeping the positions of its values.
    pub fn load(path: &Path) -> Result<Located, SpecError> {
        let (name, text) = read(path)?;
        let (root, spec) = parse_tree(&text, &name)?;
        Ok(Located { spec, root })
    }

    /// A diagnostic about `field` (a dotted path) of SLO `slo`, at the value written there,
    /// or at the nearest enclosing one written (the SLO itself when the field is defaulted).
    pub fn diagnostic(
        &self,
        slo: &str,
        field: &str,
        message: String,
        hint: Option<String>,
    ) -> Diagnostic {
        Diagnostic {
            pos: self.position(slo, field),
            slo: Some(slo.to_string()),
            field: field.to_string(),
            message,
            hint,
        }
    }

    fn position(&self, slo: &str, field: &str) -> Option<Position> {
        let yaml::Value::Seq(items) = &mapping_value(&self.root, "slos")?.value else {
            return None;
        };
        let mut node = items
            .iter()
            .find(|item| reader::peek_string(item, "name") == Some(slo))?;
        for segment in field.split('.') {
            match mapping_value(node, segment) {
                Some(value) => node = value,
                None => break,
            }
        }
        Some(node.pos)
    }
}

fn mapping_value<'a>(node: &'a yaml::Node, key: &str) -> Option<&'a yaml::Node> {
    let yaml::Value::Map(entries) = &node.value else {
        return None;
    };
    entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v)
}

/// The spec's name in messages and its text; `-` reads standard input.
fn read(path: &Path) -> Result<(String, String), SpecError> {
    let (name, read) = if path.as_os_str() == "-" {
        (STDIN_NAME.to_string(), read_bounded(std::io::stdin()))
    } else {
        let read = std::fs::File::open(path).and_then(read_bounded);
        (path.display().to_string(), read)
    };
    read.map(|text| (name.clone(), text))
        .map_err(|err| SpecError {
            diagnostics: vec![Diagnostic {
                pos: None,
                slo: None,
                field: String::new(),
                message: format!("cannot read the spec: {err}"),
                hint: (err.kind() == std::io::ErrorKind::NotFound)
                    .then(|| "pass --config FILE or set SLO_CONFIG".to_string()),
            }],
            source_name: name,
        })
}

/// At most [`MAX_SPEC_BYTES`] of UTF-8 text; more is an error, never read whole.
fn read_bounded(input: impl Read) -> std::io::Result<String> {
    let mut text = String::new();
    input.take(MAX_SPEC_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SPEC_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("it is larger than {} MiB", MAX_SPEC_BYTES / 1024 / 1024),
        ));
    }
    Ok(text)
}

/// The YAML tree of spec text and the spec read from it.
fn parse_tree(text: &str, source_name: &str) -> Result<(yaml::Node, Spec), SpecError> {
    let fail = |diagnostics| SpecError {
        source_name: source_name.to_string(),
        diagnostics,
    };
    let root = yaml::parse(text).map_err(|(message, pos)| {
        fail(vec![Diagnostic {
            pos,
            slo: None,
            field: String::new(),
            message: format!("not valid YAML: {message}"),
            hint: None,
        }])
    })?;
    let spec = format::slo_v1::read(&root, source_name).map_err(fail)?;
    Ok((root, spec))
}
