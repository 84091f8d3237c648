use std::process::ExitCode;

use slo::Outcome;

fn main() -> ExitCode {
    let cli = slo::cli::Cli::from_env();
    match slo::settings::Command::new(cli).and_then(slo::app::run) {
        Ok(outcome) => outcome.into(),
        Err(err) => {
            eprintln!("error: {err}");
            Outcome::of_error(&err).into()
        }
    }
}
