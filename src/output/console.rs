//! Standard error: every `warning:` and `error:` line `slo` prints goes through here, shown
//! with [`crate::sanitize`], and a failed write (`2>/dev/full`, a closed pipe) is ignored:
//! there is nowhere left to report it, and it must not end the command.

use std::fmt::Display;
use std::io::Write;

use crate::error::Error;
use crate::sanitize::{Visible, visible_lines};

/// `warning: MESSAGE`, on one line.
pub fn warning(message: &str) {
    line("warning", message);
}

/// `error: MESSAGE`, on one line.
pub fn error(message: &str) {
    line("error", message);
}

/// A located finding (`file:line:col: ...`, perhaps with a `hint:` line), after `prefix`
/// (`error`, `warning`, `note`).
pub fn finding(prefix: &str, located: &str) {
    print(format_args!("{prefix}: {}", visible_lines(located)));
}

/// The error that ended a command. A spec's errors span lines (one per problem, with hints)
/// and show the file's text visibly where they quote it; every other error is one line.
pub fn fatal(err: &Error) {
    match err {
        Error::Spec(spec) => print(format_args!("error: {}", visible_lines(&spec.to_string()))),
        other => line("error", &other.to_string()),
    }
}

fn line(prefix: &str, message: &str) {
    print(format_args!("{prefix}: {}", Visible(message)));
}

fn print(text: impl Display) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
