// Output goes through `slo::output`, whose writes cannot panic.
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use slo::Outcome;
use slo::output::console;

fn main() -> ExitCode {
    fail_writes_past_the_file_size_limit();
    let cli = slo::cli::Cli::from_env();
    match slo::settings::Command::new(cli).and_then(slo::app::run) {
        Ok(outcome) => outcome.into(),
        Err(err) => {
            console::fatal(&err);
            Outcome::of_error(&err).into()
        }
    }
}

/// A write past `ulimit -f` then fails with EFBIG, which `slo` reports after removing the
/// half-written temporary file, instead of SIGXFSZ killing it mid-write.
fn fail_writes_past_the_file_size_limit() {
    // SAFETY: called first in `main`, before any other thread exists; SIG_IGN installs no
    // handler code.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}
