//! Loading `slo.yaml`: read, parse, validate, and produce the [`model::Spec`](crate::model::Spec),
//! or every problem found, each with its file, line, column, SLO and field.
//!
//! Layers: `yaml` parses text into a tree of values that keep their positions; [`reader`]
//! reads such a tree with typed reads that record every problem; each module of `format` is
//! the schema of one input format on top of the reader.

mod format;
pub mod reader;
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

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                // The caller prints the first "error: "; each further problem gets its own.
                write!(f, "\nerror: ")?;
            }
            write!(f, "{}", self.source_name)?;
            if let Some(pos) = d.pos {
                write!(f, ":{}:{}", pos.line, pos.column)?;
            }
            write!(f, ": ")?;
            if let Some(slo) = &d.slo {
                write!(f, "slo {}: ", Visible(slo))?;
            }
            if !d.field.is_empty() {
                // A field path holds the file's own keys, which may be anything.
                write!(f, "{}: ", Visible(&d.field))?;
            }
            // Messages quote the file's own text, which may hold controls or line breaks.
            write!(f, "{}", Visible(&d.message))?;
            if let Some(hint) = &d.hint {
                write!(f, "\n  hint: {}", Visible(hint))?;
            }
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
    let (name, read) = if path.as_os_str() == "-" {
        (STDIN_NAME.to_string(), read_bounded(std::io::stdin()))
    } else {
        let read = std::fs::File::open(path).and_then(read_bounded);
        (path.display().to_string(), read)
    };
    match read {
        Ok(text) => parse(&text, &name),
        Err(err) => Err(SpecError {
            diagnostics: vec![Diagnostic {
                pos: None,
                slo: None,
                field: String::new(),
                message: format!("cannot read the spec: {err}"),
                hint: (err.kind() == std::io::ErrorKind::NotFound)
                    .then(|| "pass --config FILE or set SLO_CONFIG".to_string()),
            }],
            source_name: name,
        }),
    }
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

/// Validates spec text; `source_name` is used in messages and kept in the model.
pub fn parse(text: &str, source_name: &str) -> Result<Spec, SpecError> {
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
    format::slo_v1::read(&root, source_name).map_err(fail)
}
