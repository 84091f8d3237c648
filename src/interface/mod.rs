//! The contract scripts and CI rely on: exit codes (decided here, and only here) and the JSON
//! documents of `slo report` and `slo check`, as owned types they can deserialize.

pub mod gate;
pub mod report;

use std::process::ExitCode;

use crate::error::Error;

/// Exit codes shared by every command.
pub mod exit {
    use super::Outcome;

    pub const OK: u8 = Outcome::Success.code();
    pub const POLICY_FAILED: u8 = Outcome::PolicyFailed.code();
    pub const INVALID: u8 = Outcome::Invalid.code();
    pub const DATA_SOURCE: u8 = Outcome::DataSource.code();
}

/// How a command ended, as its exit code tells scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    PolicyFailed,
    Invalid,
    DataSource,
}

impl Outcome {
    /// Every outcome, by exit code.
    pub const ALL: [Outcome; 4] = [
        Outcome::Success,
        Outcome::PolicyFailed,
        Outcome::Invalid,
        Outcome::DataSource,
    ];

    pub const fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::PolicyFailed => 1,
            Outcome::Invalid => 2,
            Outcome::DataSource => 3,
        }
    }

    /// What the exit code means, as `--help` and the README say it.
    pub fn meaning(self) -> &'static str {
        match self {
            Outcome::Success => "success; for `check`, every selected SLO was evaluated and passed",
            Outcome::PolicyFailed => {
                "`check`: at least one SLO failed its policy; `lint --strict`: any warning"
            }
            Outcome::Invalid => {
                "invalid usage or invalid spec (or an output file that cannot be written)"
            }
            Outcome::DataSource => {
                "the data source failed: Prometheus unreachable, an HTTP or query error, or no \
                 data where data is required"
            }
        }
    }

    /// The outcome of a command that ended in `error`.
    pub fn of_error(error: &Error) -> Outcome {
        match error {
            Error::Spec(_) | Error::Usage(_) | Error::Output { .. } => Outcome::Invalid,
            Error::DataSource(_) => Outcome::DataSource,
        }
    }

    /// `slo check`'s outcome from the gate's verdict on the whole report.
    pub fn of_verdict(verdict: crate::gate::Verdict) -> Outcome {
        match verdict {
            crate::gate::Verdict::Pass => Outcome::Success,
            crate::gate::Verdict::Fail => Outcome::PolicyFailed,
            crate::gate::Verdict::Error => Outcome::DataSource,
        }
    }

    /// `slo lint`'s outcome: warnings fail only under `--strict`.
    pub fn of_lint(clean: bool, strict: bool) -> Outcome {
        if strict && !clean {
            Outcome::PolicyFailed
        } else {
            Outcome::Success
        }
    }

    /// `slo report`'s outcome: any SLO that could not be evaluated is a data-source failure.
    pub fn of_report(report: &crate::report::Report) -> Outcome {
        if report.errors().next().is_some() {
            Outcome::DataSource
        } else {
            Outcome::Success
        }
    }
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        ExitCode::from(outcome.code())
    }
}

/// Width `--help` wraps the meanings at.
const HELP_WIDTH: usize = 79;

/// The exit-code table of every command's `--help`.
pub fn exit_codes_help() -> String {
    let mut help = String::from("Exit codes (every command):");
    for outcome in Outcome::ALL {
        let mut line = format!("\n  {}  ", outcome.code());
        let indent = line.len() - 1;
        for (i, word) in outcome.meaning().split(' ').enumerate() {
            if i > 0 && line.len() + 1 + word.len() > HELP_WIDTH {
                help.push_str(&line);
                line = format!("\n{:indent$}{word}", "");
            } else {
                if i > 0 {
                    line.push(' ');
                }
                line.push_str(word);
            }
        }
        help.push_str(&line);
    }
    help
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_table_of_exit_codes_is_the_outcomes() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let section = readme
            .split("\n## Exit codes\n")
            .nth(1)
            .expect("README has an `## Exit codes` section");
        let rows: Vec<String> = section
            .lines()
            .skip_while(|l| !l.starts_with("|---"))
            .skip(1)
            .take_while(|l| l.starts_with('|'))
            .map(str::to_string)
            .collect();
        let expected: Vec<String> = Outcome::ALL
            .iter()
            .map(|o| format!("| {} | {} |", o.code(), o.meaning()))
            .collect();
        assert_eq!(rows, expected);
    }

    #[test]
    fn help_lists_every_code_within_the_width() {
        let help = exit_codes_help();
        assert!(help.lines().all(|l| l.len() <= HELP_WIDTH), "{help}");
        assert!(help.contains("\n  3  the data source failed: Prometheus unreachable, an HTTP"));
        assert_eq!(help.lines().filter(|l| l.starts_with("  ")).count(), 5);
    }
}
