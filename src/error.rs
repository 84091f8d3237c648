//! Errors and exit codes: the interface scripts and CI depend on.

use std::process::ExitCode;

use crate::spec::SpecError;

/// Exit codes shared by every command.
pub mod exit {
    /// Success; for `check`, every selected SLO was evaluated and passed.
    pub const OK: u8 = 0;
    /// `check`: at least one SLO failed its policy.
    pub const POLICY_FAILED: u8 = 1;
    /// Invalid usage or invalid spec (also: an output file that cannot be written).
    pub const INVALID: u8 = 2;
    /// The data source failed: unreachable, HTTP or query error, or no data where data is
    /// required.
    pub const DATA_SOURCE: u8 = 3;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Spec(#[from] SpecError),
    /// A command-line value clap could not check by itself.
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

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Error::Spec(_) | Error::Usage(_) | Error::Output { .. } => exit::INVALID,
            Error::DataSource(_) => exit::DATA_SOURCE,
        })
    }
}
