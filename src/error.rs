//! The errors that end a command; [`crate::interface::Outcome::of_error`] picks their exit
//! code.

use crate::spec::SpecError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Spec(#[from] SpecError),
    /// A command-line value clap could not check by itself; built by `settings` only.
    #[error("{0}")]
    Usage(String),
    /// Writing an output file or directory failed.
    #[error("cannot write {path}: {source}")]
    Output {
        path: String,
        source: std::io::Error,
    },
    /// Prometheus (or whatever answers in its place) failed us.
    #[error("{0}")]
    DataSource(String),
}
