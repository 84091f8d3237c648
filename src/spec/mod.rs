//! Loading `slo.yaml`: read, parse, validate, and produce the [`model::Spec`](crate::model::Spec),
//! or every problem found, each with its file, line, column, SLO and field.
//!
//! Layers: `yaml` parses text into a tree of values that keep their positions; [`reader`]
//! reads such a tree with typed reads that record every problem; each module of `format` is
//! the schema of one input format on top of the reader.

mod format;
pub mod reader;
mod yaml;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use format::slo_v1::check_compliance_window;
pub use reader::did_you_mean;
pub use yaml::Position;

use crate::model::{DEFAULT_WINDOW, Spec, Window};

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
            write!(f, "{}", Located(&self.source_name, d))?;
        }
        Ok(())
    }
}

/// A diagnostic with the file it is in: `file:line:column: slo NAME: field: message`, and
/// its hint on the next line.
struct Located<'a>(&'a str, &'a Diagnostic);

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let Located(source, d) = self;
        write!(f, "{source}")?;
        if let Some(pos) = d.pos {
            write!(f, ":{}:{}", pos.line, pos.column)?;
        }
        write!(f, ": ")?;
        if let Some(slo) = &d.slo {
            write!(f, "slo {slo}: ")?;
        }
        if !d.field.is_empty() {
            write!(f, "{}: ", d.field)?;
        }
        write!(f, "{}", d.message)?;
        if let Some(hint) = &d.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// The specs read from one or more files: one per YAML document, in the order read.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub specs: Vec<Spec>,
    /// Problems that did not stop the specs from being used (unknown keys of imported
    /// formats, ignored fields), each located like an error.
    pub warnings: Vec<String>,
}

/// The name under which standard input is reported.
pub const STDIN_NAME: &str = "<stdin>";

/// Reads and validates the single spec at `path`; `-` reads standard input.
pub fn load(path: &Path) -> Result<Spec, SpecError> {
    let (name, text) = read_text(path)?;
    parse(&text, &name)
}

/// Reads every spec in `paths` (`-` is standard input): each YAML document is read in the
/// format its own markers name. SLOs whose spec gives no window get `default_window`. A
/// service's SLO defined twice, in one file or across files, is an error.
pub fn load_all(paths: &[PathBuf], default_window: Window) -> Result<Loaded, SpecError> {
    let mut loaded = Loaded {
        specs: Vec::new(),
        warnings: Vec::new(),
    };
    for path in paths {
        let (name, text) = read_text(path)?;
        let file = parse_all(&text, &name, default_window)?;
        loaded.specs.extend(file.specs);
        loaded.warnings.extend(file.warnings);
    }
    check_unique_ids(&loaded.specs)?;
    Ok(loaded)
}

fn read_text(path: &Path) -> Result<(String, String), SpecError> {
    let (name, read) = if path.as_os_str() == "-" {
        let mut text = String::new();
        let read = std::io::stdin().read_to_string(&mut text).map(|_| text);
        (STDIN_NAME.to_string(), read)
    } else {
        (path.display().to_string(), std::fs::read_to_string(path))
    };
    match read {
        Ok(text) => Ok((name, text)),
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

/// Validates the text of a file holding one spec; `source_name` is used in messages and
/// kept in the model.
pub fn parse(text: &str, source_name: &str) -> Result<Spec, SpecError> {
    let mut specs = parse_all(text, source_name, DEFAULT_WINDOW)?.specs;
    if specs.len() == 1 {
        return Ok(specs.remove(0));
    }
    Err(SpecError {
        source_name: source_name.to_string(),
        diagnostics: vec![Diagnostic {
            pos: None,
            slo: None,
            field: String::new(),
            message: format!("holds {} specs where one was expected", specs.len()),
            hint: None,
        }],
    })
}

/// Validates every document of spec text; every error of every document is reported.
pub fn parse_all(
    text: &str,
    source_name: &str,
    default_window: Window,
) -> Result<Loaded, SpecError> {
    let fail = |diagnostics| SpecError {
        source_name: source_name.to_string(),
        diagnostics,
    };
    let mut documents = yaml::parse_documents(text).map_err(|(message, pos)| {
        fail(vec![Diagnostic {
            pos,
            slo: None,
            field: String::new(),
            message: format!("not valid YAML: {message}"),
            hint: None,
        }])
    })?;
    if documents.is_empty() {
        // Read as an empty spec of ours, which says what a spec starts with.
        documents.push(yaml::Node {
            value: yaml::Value::Null,
            pos: Position { line: 1, column: 1 },
        });
    }
    let mut loaded = Loaded {
        specs: Vec::new(),
        warnings: Vec::new(),
    };
    let mut errors = Vec::new();
    for document in &documents {
        match format::read_document(document, source_name, default_window) {
            Ok(read) => {
                loaded.specs.push(read.value);
                loaded.warnings.extend(
                    read.warnings
                        .iter()
                        .map(|d| Located(source_name, d).to_string()),
                );
            }
            Err(diagnostics) => errors.extend(diagnostics),
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(fail(errors))
    }
}

/// Two SLOs of one service with the same name would record the same series and rule groups.
fn check_unique_ids(specs: &[Spec]) -> Result<(), SpecError> {
    let mut sources: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for spec in specs {
        for slo in &spec.slos {
            let id = (spec.service.as_str(), slo.name.as_str());
            if let Some(first) = sources.insert(id, &spec.source) {
                return Err(SpecError {
                    source_name: spec.source.clone(),
                    diagnostics: vec![Diagnostic {
                        pos: None,
                        slo: Some(slo.name.clone()),
                        field: String::new(),
                        message: format!(
                            "service `{}` already has an SLO named `{}` (in {first})",
                            spec.service, slo.name
                        ),
                        hint: Some(
                            "an SLO is identified by its service and name: rename one".to_string(),
                        ),
                    }],
                });
            }
        }
    }
    Ok(())
}
