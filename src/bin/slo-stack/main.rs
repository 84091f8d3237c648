//! `slo-stack`: supervises the Docker-free demo stack under `stack/` (demo-api, Prometheus,
//! Alertmanager, the alert webhook sink and node-exporter as plain processes on 127.0.0.1)
//! for `stack/demo.sh` and `tests/integration/stack.rs`.

mod component;
mod demo;
mod error;
mod http;
mod interrupt;
mod load;
mod postgres;
mod process;
mod render;
mod settings;
mod stack;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::Result;
use crate::http::Http;
use crate::settings::{PortSource, StackArgs};

const AFTER_HELP: &str = "\
Exit codes: 0 success; 1 the stack failed (not installed, a port in use, a daemon not ready \
in time, an HTTP error); 2 invalid usage. `load` exits with the load generator's code.

Flags take precedence over their environment variables. Commands other than up, render and \
demo use the ports of the stack running from the run directory unless told otherwise. \
FAULT_ERROR_RATIO, FAULT_LATENCY_RATIO, FAULT_LATENCY_SECONDS and FAULT_SEED pass through \
to the app.";

#[derive(Parser, Debug)]
#[command(
    name = "slo-stack",
    version,
    about = "Runs slo's Docker-free demo stack: demo-api (on SQLite, or PostgreSQL with \
             --postgres), Prometheus, Alertmanager, an alert webhook sink and node-exporter on \
             127.0.0.1",
    after_help = AFTER_HELP
)]
struct Cli {
    #[command(flatten)]
    stack: StackArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start everything (virtualenv and configs first) and wait until Prometheus scrapes the app
    Up,
    /// Stop everything, in reverse start order: TERM, then KILL after the stop timeout
    Down,
    /// Show what runs where
    Status,
    /// Run a load generator against the app; the arguments after the options go to it
    /// (loadgen.py's: `load -- --help`; Locust's after stack/locust/run.sh's profile, e.g.
    /// `load --load locust --profile baseline -u 10 -r 10 -t 20s`)
    Load {
        /// The load generator
        #[arg(long = "load", value_enum, default_value_t = load::Tool::Loadgen)]
        tool: load::Tool,
        /// Locust's load profile
        #[arg(long, value_enum, default_value_t = load::Profile::Baseline)]
        profile: load::Profile,
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "LOADGEN_ARGS"
        )]
        args: Vec<String>,
    },
    /// Show the app's fault injection, or change it: error_ratio, latency_ratio,
    /// latency_seconds, seed (KEY= resets one to the app's default)
    #[command(alias = "faults")]
    Fault {
        #[arg(value_name = "KEY=VALUE", value_parser = stack::parse_fault_setting)]
        changes: Vec<stack::FaultSetting>,
    },
    /// Wait until a scrape of the app after this command began counts TOTAL requests in all
    /// [default: the count the app reports now]; print its instant (Unix seconds), where
    /// `slo report --at` sees exactly the scraped counters
    WaitScraped { total: Option<u64> },
    /// Only write the effective Prometheus and Alertmanager configs into the run directory
    Render,
    /// slo end to end: validate, generate rules, start the stack, load with injected errors,
    /// report, check, show the alerts, stop
    Demo(demo::DemoArgs),
}

fn run(cli: Cli) -> Result<()> {
    let port_source = match cli.command {
        Command::Up | Command::Render | Command::Demo(_) => PortSource::Defaults,
        _ => PortSource::RunningStack,
    };
    let settings = cli.stack.settings(port_source)?;
    match cli.command {
        Command::Render => {
            let rendered = render::render(&settings)?;
            println!("{}", rendered.prometheus.display());
            println!("{}", rendered.alertmanager.display());
            Ok(())
        }
        Command::Load {
            tool,
            profile,
            args,
        } => Err(stack::load(&settings, tool, profile, &args)),
        Command::Down => stack::down(&settings),
        Command::Status => stack::status(&settings, &Http::new()?),
        Command::Fault { changes } => {
            println!("{}", stack::fault(&settings, &Http::new()?, &changes)?);
            Ok(())
        }
        Command::Up => {
            interrupt::catch();
            stack::up(&settings, &Http::new()?)
        }
        Command::WaitScraped { total } => {
            interrupt::catch();
            let at = stack::wait_scraped(&settings, &Http::new()?, total)?;
            println!("{at}");
            Ok(())
        }
        Command::Demo(args) => {
            interrupt::catch();
            demo::demo(&args, settings, &Http::new()?)
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("slo-stack: error: {e}");
            ExitCode::FAILURE
        }
    }
}
