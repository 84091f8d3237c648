//! `slo-stack demo`: slo end to end against the local stack. Validate the spec, generate
//! the rules Prometheus loads and the dashboard, start the stack, burn error budget with
//! load, wait for the final scrape, then report, check and show the alerts. The stack
//! stops on every way out.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;
use slo::exit;

use crate::component::Component;
use crate::error::{Error, Result};
use crate::http::{Http, Prometheus};
use crate::interrupt;
use crate::load::{self, Profile, Tool};
use crate::settings::Settings;
use crate::stack;

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// The slo binary [default: the slo next to slo-stack]
    #[arg(long, env = "SLO_BIN", value_name = "FILE")]
    slo_bin: Option<PathBuf>,
    /// The SLO spec
    #[arg(
        long,
        env = "SLO_CONFIG",
        value_name = "FILE",
        default_value = "slo.yaml"
    )]
    config: PathBuf,
    /// Seconds of load
    #[arg(
        long,
        env = "DEMO_DURATION",
        value_name = "SECONDS",
        default_value = "75"
    )]
    duration: f64,
    /// Requests per second (loadgen only)
    #[arg(long, env = "DEMO_RATE", default_value = "20")]
    rate: f64,
    /// The load generator: loadgen's fixed rate, or Locust's users in a --profile
    #[arg(long = "load", env = "DEMO_LOAD", value_enum, default_value_t = Tool::Loadgen)]
    tool: Tool,
    /// Locust's load profile
    #[arg(long, env = "DEMO_PROFILE", value_enum, default_value_t = Profile::Baseline)]
    profile: Profile,
    /// Arguments of `slo check`, split on white space
    #[arg(
        long,
        env = "DEMO_CHECK_ARGS",
        value_name = "ARGS",
        default_value = "--min-budget-remaining 0",
        allow_hyphen_values = true
    )]
    check_args: String,
    /// The share of requests the app fails while the load runs
    #[arg(
        long,
        env = "FAULT_ERROR_RATIO",
        value_name = "RATIO",
        default_value = "0.02"
    )]
    error_ratio: f64,
}

fn step(title: &str) {
    println!("\n\x1b[1m==> {title}\x1b[0m");
}

/// Prints the command line, then runs it with this program's stdout and stderr.
fn shown(command: &mut Command) -> Result<std::process::ExitStatus> {
    let line: Vec<String> = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    println!("$ {}", line.join(" "));
    command
        .status()
        .map_err(|e| Error::new(format!("cannot run {}: {e}", line[0])))
}

fn succeeded(command: &mut Command) -> Result<()> {
    let status = shown(command)?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(format!("the command above failed ({status})")))
    }
}

/// Fails when the user pressed Ctrl-C during the last step (its process got the signal too).
fn not_interrupted() -> Result<()> {
    if interrupt::interrupted() {
        Err(Error::new("interrupted"))
    } else {
        Ok(())
    }
}

/// Stops the stack however the demo ends.
struct Down<'a>(&'a Settings);

impl Drop for Down<'_> {
    fn drop(&mut self) {
        if let Err(e) = stack::down(self.0) {
            stack::note(&format!("error: {e}"));
        }
    }
}

pub fn demo(args: &DemoArgs, mut settings: Settings, http: &Http) -> Result<()> {
    let slo_bin = match &args.slo_bin {
        Some(path) => path.clone(),
        None => std::env::current_exe()
            .map_err(|e| Error::new(format!("cannot find slo-stack's own path: {e}")))?
            .with_file_name("slo"),
    };
    if !slo_bin.is_file() {
        return Err(Error::new(format!(
            "no slo binary at {} (build it, or set SLO_BIN)",
            slo_bin.display()
        )));
    }
    let slo = || Command::new(&slo_bin);
    let config = &args.config;
    let run_dir = settings.run_dir.clone();

    step(&format!("validating {}", config.display()));
    succeeded(slo().arg("validate").arg("--config").arg(config))?;

    step(&format!(
        "generating Prometheus rules and the Grafana dashboard into {}",
        run_dir.display()
    ));
    settings.rules = run_dir.join("slo-rules.yml");
    succeeded(
        slo()
            .args(["generate-rules", "--config"])
            .arg(config)
            .arg("--output")
            .arg(&settings.rules),
    )?;
    if let Some(promtool) = stack::find_program(&["promtool"]) {
        succeeded(
            Command::new(promtool)
                .args(["check", "rules"])
                .arg(&settings.rules),
        )?;
    }
    succeeded(
        slo()
            .args(["generate-dashboard", "--config"])
            .arg(config)
            .arg("--output")
            .arg(run_dir.join("slo-dashboard.json")),
    )?;
    println!(
        "(Grafana runs only in docker-compose, which provisions the committed copies under \
         stack/grafana/provisioning; stack/generate.sh refreshes them and the committed rules \
         after a change to {})",
        config.display()
    );

    step(&format!(
        "starting the stack, then failing {}% of requests",
        args.error_ratio * 100.0
    ));
    // After `up`, which stops what it started itself if it fails (and must not stop a stack
    // that was already running).
    stack::up(&settings, http)?;
    let _down = Down(&settings);
    let error_ratio = ("error_ratio".to_string(), Value::from(args.error_ratio));
    let faults = stack::fault(&settings, http, &[error_ratio])?;
    println!("faults: {faults}");

    let answered = match args.tool {
        Tool::Loadgen => {
            step(&format!(
                "driving load: {}s at {} req/s",
                args.duration, args.rate
            ));
            let tally = run_loadgen(&settings, args)?;
            not_interrupted()?;
            Some(tally_summary(&tally)?)
        }
        Tool::Locust => {
            step(&format!(
                "driving load: Locust, profile {}, {}s",
                args.profile.name(),
                args.duration
            ));
            run_locust(&settings, args)?;
            None
        }
    };

    step("waiting for Prometheus to scrape the final counters");
    // Report and check at that scrape: the counts are then exactly the scraped ones.
    let at = stack::wait_scraped(&settings, http, answered)?.to_string();

    let prometheus_url = settings.ports.base_url(Component::Prometheus);
    step("slo report");
    shown(slo().args(["report", "--config"]).arg(config).args([
        "--prometheus-url",
        &prometheus_url,
        "--at",
        &at,
    ]))?;
    not_interrupted()?;

    step("slo check");
    let status = shown(
        slo()
            .args(["check", "--config"])
            .arg(config)
            .args(["--prometheus-url", &prometheus_url, "--at", &at])
            .args(args.check_args.split_whitespace()),
    )?;
    not_interrupted()?;
    let code = status.code();
    println!(
        "slo check exit code: {} ({})",
        code.map_or("none".to_string(), |c| c.to_string()),
        exit_meaning(code)
    );

    step("alerts in Prometheus");
    let prometheus = Prometheus {
        http,
        base: prometheus_url,
    };
    print_alerts(&prometheus.api("rules")?, &prometheus.api("alerts")?);

    step("done (the stack stops now)");
    Ok(())
}

/// Runs Locust for the demo's duration and prints its tally.
fn run_locust(settings: &Settings, args: &DemoArgs) -> Result<()> {
    let (mut command, _) = load::locust(settings, args.profile);
    // Locust's exit code says whether any request failed, which the demo makes happen.
    let run_time = format!("{}s", args.duration.ceil());
    succeeded(command.args(["--run-time", &run_time, "--exit-code-on-error", "0"]))?;
    not_interrupted()?;
    let tally = load::read_locust_stats(settings, args.profile)?;
    print!(
        "locust: {} requests, {} failed (5xx or transport errors)",
        tally.requests, tally.failures
    );
    if tally.requests > 0 {
        let availability = 1.0 - tally.failures as f64 / tally.requests as f64;
        print!("; availability {:.3}%", availability * 100.0);
    }
    println!(
        " ({})",
        load::locust_stats(settings, args.profile).display()
    );
    Ok(())
}

/// Runs the load generator; its JSON tally.
fn run_loadgen(settings: &Settings, args: &DemoArgs) -> Result<Value> {
    let (mut command, loadgen) = load::loadgen(settings);
    let out = command
        .args(["--duration", &args.duration.to_string()])
        .args(["--rate", &args.rate.to_string(), "--json"])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error::new(format!("cannot run {}: {e}", loadgen.display())))?;
    if !out.status.success() {
        return Err(Error::new(format!(
            "{} failed ({})",
            loadgen.display(),
            out.status
        )));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| {
        Error::new(format!(
            "{} --json printed no JSON ({e}): {}",
            loadgen.display(),
            String::from_utf8_lossy(&out.stdout)
        ))
    })
}

/// Prints the load generator's tally; the number of requests the app answered.
fn tally_summary(tally: &Value) -> Result<u64> {
    let answered = tally["answered"].as_u64().ok_or_else(|| {
        Error::new(format!(
            "the loadgen's tally has no answered count: {tally}"
        ))
    })?;
    println!(
        "loadgen: {} requests in {}s; by class {}; slower than {}s: {}; transport errors: {}",
        tally["total"],
        tally["elapsed_seconds"],
        tally["by_class"],
        tally["latency_threshold"],
        tally["slow"],
        tally["transport_errors"]
    );
    if answered > 0 {
        let percent = |key: &str| tally[key].as_f64().unwrap_or(f64::NAN) * 100.0;
        println!(
            "loadgen's own SLIs: availability {:.3}%, latency {:.3}%",
            percent("availability"),
            percent("latency_good_ratio")
        );
    }
    Ok(answered)
}

fn exit_meaning(code: Option<i32>) -> &'static str {
    match code.and_then(|c| u8::try_from(c).ok()) {
        Some(exit::OK) => "ok",
        Some(exit::POLICY_FAILED) => "policy failed",
        Some(exit::INVALID) => "invalid usage/spec",
        Some(exit::DATA_SOURCE) => "data source failed / no data",
        _ => "unexpected",
    }
}

/// One line for the loaded rules, one per pending or firing alert.
fn print_alerts(rules: &Value, alerts: &Value) {
    let groups = rules["groups"].as_array().map_or(&[][..], Vec::as_slice);
    let rule_count: usize = groups
        .iter()
        .map(|g| g["rules"].as_array().map_or(0, Vec::len))
        .sum();
    let alerts = alerts["alerts"].as_array().map_or(&[][..], Vec::as_slice);
    println!(
        "{} rule groups, {rule_count} rules loaded; {} alerts pending/firing",
        groups.len(),
        alerts.len()
    );
    for alert in alerts {
        let label = |name: &str| alert["labels"][name].as_str().unwrap_or("").to_string();
        println!(
            "  {:8} {} severity={} slo={}",
            alert["state"].as_str().unwrap_or(""),
            label("alertname"),
            label("severity"),
            label("slo_name")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_exit_codes_are_named_from_slos_contract() {
        assert_eq!(
            exit_meaning(Some(exit::POLICY_FAILED.into())),
            "policy failed"
        );
        assert_eq!(exit_meaning(Some(101)), "unexpected");
        assert_eq!(exit_meaning(None), "unexpected");
    }
}
