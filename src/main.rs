use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = slo::cli::Cli::parse();
    match slo::app::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    }
}
