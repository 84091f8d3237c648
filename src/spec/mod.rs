//! Loading `slo.yaml`: read, parse, validate, and produce the [`model::Spec`](crate::model::Spec),
//! or every problem found, each with its file, line, column, SLO and field.
//!
//! Layers: `yaml` parses text into a tree of values that keep their positions; [`reader`]
//! reads such a tree with typed reads that record every problem; each module of `format` is
//! the schema of one input format on top of the reader.

mod format;
pub mod reader;
pub mod schema;
pub mod write;
mod yaml;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use format::slo_v1::check_compliance_window;
pub use reader::did_you_mean;
pub use yaml::Position;

use crate::model::{DEFAULT_WINDOW, Spec, Window};
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

/// What was read from one or more files: one `T` per YAML document, in the order read.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T = Spec> {
    pub specs: Vec<T>,
    /// Problems that did not stop the specs from being used (unknown keys of imported
    /// formats, ignored fields), each located like an error.
    pub warnings: Vec<String>,
}

impl Loaded<Located> {
    /// The specs without the positions they were read from, one per service ([`by_service`]).
    fn into_specs(self) -> Loaded {
        Loaded {
            specs: by_service(self.specs.into_iter().map(|located| located.spec)),
            warnings: self.warnings,
        }
    }
}

/// One spec per service: the documents of one service (OpenSLO writes one SLO per document;
/// a team may split a service over files) become one spec, in the order first read, so that
/// everything made per service (a dashboard, a PrometheusRule, a report's section) holds all
/// of its SLOs. Specs from Kubernetes objects with different metadata stay apart: each is
/// its own manifest.
pub fn by_service(specs: impl IntoIterator<Item = Spec>) -> Vec<Spec> {
    let mut merged: Vec<Spec> = Vec::new();
    for spec in specs {
        let same_service = merged
            .iter_mut()
            .find(|s| s.service == spec.service && s.manifest == spec.manifest);
        match same_service {
            Some(into) => {
                if !into.source.split(", ").any(|source| source == spec.source) {
                    into.source = format!("{}, {}", into.source, spec.source);
                }
                into.slos.extend(spec.slos);
            }
            None => merged.push(spec),
        }
    }
    merged
}

/// The name under which standard input is reported.
pub const STDIN_NAME: &str = "<stdin>";

/// The largest spec read: ten times a 10,000-SLO spec, so a mistaken `--config /dev/zero` or
/// a log file ends in a message instead of eating memory.
pub const MAX_SPEC_BYTES: u64 = 16 * 1024 * 1024;

/// Reads and validates the single spec at `path`; `-` reads standard input.
pub fn load(path: &Path) -> Result<Spec, SpecError> {
    let (name, text) = read(path)?;
    parse(&text, &name)
}

/// Reads every spec in `paths` (`-` is standard input): each YAML document is read in the
/// format its own markers name. SLOs whose spec gives no window get `default_window`. A
/// service's SLO defined twice, in one file or across files, is an error.
pub fn load_all(paths: &[PathBuf], default_window: Window) -> Result<Loaded, SpecError> {
    Ok(Located::load_all(paths, default_window)?.into_specs())
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
    Ok(parse_located(text, source_name, default_window)?.into_specs())
}

/// A valid spec with the positions of the document it was read from, to locate findings
/// about it (`slo lint`, `slo validate --prometheus-url`) as the loader locates errors.
pub struct Located {
    pub spec: Spec,
    root: yaml::Node,
    /// What was ignored or read loosely in this document (also in [`Loaded::warnings`]).
    pub warnings: Vec<Diagnostic>,
}

impl Located {
    /// [`load_all`], keeping the positions of every document's values.
    pub fn load_all(
        paths: &[PathBuf],
        default_window: Window,
    ) -> Result<Loaded<Located>, SpecError> {
        let files = paths
            .iter()
            .map(|path| {
                let (name, text) = read(path)?;
                let documents = parse_documents(&text, &name)?;
                Ok((name, documents))
            })
            .collect::<Result<Vec<_>, SpecError>>()?;
        let loaded = read_files(files, default_window)?;
        check_unique_ids(&loaded.specs)?;
        Ok(loaded)
    }

    /// A diagnostic about `field` (a dotted path) of SLO `slo`, at the value written there,
    /// or at the nearest enclosing one written (the SLO itself when the field is defaulted
    /// or named otherwise in an imported format).
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
        // An OpenSLO document is one SLO (one per objective), its fields named otherwise.
        if format::openslo::is_openslo(&self.root) {
            return Some(self.root.pos);
        }
        let mut node = self.slo_node(slo)?;
        for segment in field.split('.') {
            match reader::peek(node, segment) {
                Some(value) => node = value,
                None => break,
            }
        }
        Some(node.pos)
    }
}

impl Located {
    /// The mapping SLO `slo` was read from, where the format lists SLOs by name: ours and
    /// Sloth's prometheus/v1 under `slos`, the Sloth CRD under `spec.slos`.
    fn slo_node(&self, slo: &str) -> Option<&yaml::Node> {
        let slos = reader::peek(&self.root, "slos")
            .or_else(|| reader::peek(reader::peek(&self.root, "spec")?, "slos"))?;
        let yaml::Value::Seq(items) = &slos.value else {
            return None;
        };
        items
            .iter()
            .find(|item| reader::peek_string(item, "name") == Some(slo))
    }
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

/// Every document of spec text with the positions of its values.
fn parse_located(
    text: &str,
    source_name: &str,
    default_window: Window,
) -> Result<Loaded<Located>, SpecError> {
    let documents = parse_documents(text, source_name)?;
    read_files(vec![(source_name.to_string(), documents)], default_window)
}

/// The YAML documents of spec text; each object of a top-level OpenSLO list is one.
fn parse_documents(text: &str, source_name: &str) -> Result<Vec<yaml::Node>, SpecError> {
    let mut documents = yaml::parse_documents(text).map_err(|(message, pos)| SpecError {
        source_name: source_name.to_string(),
        diagnostics: vec![Diagnostic {
            pos,
            slo: None,
            field: String::new(),
            message: format!("not valid YAML: {message}"),
            hint: None,
        }],
    })?;
    if documents.is_empty() {
        // Read as an empty spec of ours, which says what a spec starts with.
        documents.push(yaml::Node {
            value: yaml::Value::Null,
            pos: Position { line: 1, column: 1 },
        });
    }
    Ok(documents
        .into_iter()
        .flat_map(format::openslo::documents)
        .collect())
}

/// Reads the documents of each file (its name and documents), every file's OpenSLO
/// DataSources and SLIs first, as an SLO in any file may name them. The error is that of
/// the first file with problems, every problem of it in file order.
fn read_files(
    files: Vec<(String, Vec<yaml::Node>)>,
    default_window: Window,
) -> Result<Loaded<Located>, SpecError> {
    let (definitions, warnings) = format::Definitions::gather(&files)?;
    let mut loaded = Loaded {
        specs: Vec::new(),
        warnings,
    };
    for (source_name, documents) in files {
        let mut errors = Vec::new();
        for root in documents {
            match format::read_document(&root, &source_name, default_window, &definitions) {
                Ok(read) => {
                    loaded
                        .warnings
                        .extend(read.warnings.iter().map(|d| d.located(&source_name)));
                    if let Some(spec) = read.value {
                        loaded.specs.push(Located {
                            spec,
                            root,
                            warnings: read.warnings,
                        });
                    }
                }
                Err(diagnostics) => errors.extend(diagnostics),
            }
        }
        if !errors.is_empty() {
            return Err(SpecError {
                source_name,
                diagnostics: errors,
            });
        }
    }
    Ok(loaded)
}

/// Two SLOs of one service with the same name would record the same series and rule groups.
/// The error is at the second one's name, and names where the first is.
fn check_unique_ids(specs: &[Located]) -> Result<(), SpecError> {
    let mut first_seen: BTreeMap<(&str, &str), String> = BTreeMap::new();
    for located in specs {
        let spec = &located.spec;
        for slo in &spec.slos {
            let pos = located.position(&slo.name, "name");
            let id = (spec.service.as_str(), slo.name.as_str());
            if let Some(first) = first_seen.get(&id) {
                return Err(SpecError {
                    source_name: spec.source.clone(),
                    diagnostics: vec![Diagnostic {
                        pos,
                        slo: Some(slo.name.clone()),
                        field: "name".to_string(),
                        message: format!(
                            "service `{}` already has an SLO named `{}` (at {first})",
                            spec.service, slo.name
                        ),
                        hint: Some(
                            "an SLO is identified by its service and name: rename one".to_string(),
                        ),
                    }],
                });
            }
            let place = match pos {
                Some(pos) => format!("{}:{}", spec.source, pos.line),
                None => spec.source.clone(),
            };
            first_seen.insert(id, place);
        }
    }
    Ok(())
}
