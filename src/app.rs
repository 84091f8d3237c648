//! Wires each parsed command to the library: load the spec, do the work, write the output.

use std::process::ExitCode;

use std::io::Write;
use std::path::Path;

use crate::cli::{
    CheckArgs, CheckFormat, Cli, Command, ConfigArgs, GenerateDashboardArgs, GenerateRulesArgs,
    ReportArgs, ReportFormat, RulesFormat,
};
use crate::error::{Error, exit};
use crate::model::{Sli, Slo, Spec};
use crate::{dashboard, gate, output, report, rules, spec};

pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Validate(args) => validate(&args.config),
        Command::Report(args) => report(&args),
        Command::Check(args) => check(&args),
        Command::GenerateRules(args) => generate_rules(&args),
        Command::GenerateDashboard(args) => generate_dashboard(&args),
    }
}

fn load(config: &ConfigArgs) -> Result<Spec, Error> {
    Ok(spec::load(&config.config)?)
}

fn generate_rules(args: &GenerateRulesArgs) -> Result<ExitCode, Error> {
    let spec = load(&args.config)?;
    let output = match args.format {
        RulesFormat::Prometheus => rules::Output::RuleFile,
        RulesFormat::PrometheusRule => {
            rules::check_namespace(&args.namespace).map_err(Error::Usage)?;
            rules::Output::PrometheusRule {
                namespace: args.namespace.clone(),
                name: rules::manifest_name(&spec.service, args.name.as_deref())
                    .map_err(Error::Usage)?,
            }
        }
    };
    let groups = rules::generate(&spec, args.label_style);
    write_output(&args.output, |out| {
        rules::write(out, groups, &spec.source, &output)
    })?;
    Ok(ExitCode::from(exit::OK))
}

fn generate_dashboard(args: &GenerateDashboardArgs) -> Result<ExitCode, Error> {
    let spec = load(&args.config)?;
    let board = dashboard::dashboard(&spec, args.label_style);
    let json = dashboard::to_json(&board);
    write_text(&args.output, &json)?;
    if let Some(dir) = &args.provisioning {
        let uid = dashboard::uid(&spec.service);
        for file in dashboard::provisioning_files(&uid, &json, &args.prometheus_url) {
            write_creating_dirs(&dir.join(&file.path), &file.contents)?;
        }
    }
    Ok(ExitCode::from(exit::OK))
}

/// Standard output, where a path is expected.
const STDOUT: &str = "-";

/// Runs `write` on `path`, or on standard output for `-`, buffered.
fn write_output(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    if path == Path::new(STDOUT) {
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        return write(&mut stdout)
            .and_then(|()| stdout.flush())
            .map_err(output_error(path));
    }
    let file = std::fs::File::create(path).map_err(output_error(path))?;
    let mut file = std::io::BufWriter::new(file);
    write(&mut file)
        .and_then(|()| file.flush())
        .map_err(output_error(path))
}

fn write_text(path: &Path, text: &str) -> Result<(), Error> {
    write_output(path, |out| out.write_all(text.as_bytes()))
}

/// Writes `text` to `path`, creating the directories it needs.
fn write_creating_dirs(path: &Path, text: &str) -> Result<(), Error> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(output_error(parent))?;
    }
    write_text(path, text)
}

/// Appends to a file other steps also write to, such as `$GITHUB_STEP_SUMMARY`.
fn append(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(output_error(path))
}

/// The error for a failed write to `path`.
fn output_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = if path == Path::new(STDOUT) {
        "<stdout>".to_string()
    } else {
        path.display().to_string()
    };
    move |source| Error::Output { path, source }
}

fn validate(config: &ConfigArgs) -> Result<ExitCode, Error> {
    let spec = load(config)?;
    println!(
        "{}: valid, service {}, {} SLO{}",
        spec.source,
        spec.service,
        spec.slos.len(),
        if spec.slos.len() == 1 { "" } else { "s" }
    );
    for slo in &spec.slos {
        println!("  {}", summary(slo));
    }
    Ok(ExitCode::from(exit::OK))
}

/// Prints what could be evaluated on stdout, and warnings and failures on stderr; exit 3 when
/// any selected SLO could not be evaluated.
fn report(args: &ReportArgs) -> Result<ExitCode, Error> {
    let spec = load(&args.evaluation.config)?;
    let options = report::EvaluationOptions::from_args(&args.evaluation, &spec)?;
    let report = report::evaluate_blocking(&spec, &options, &args.evaluation.prometheus)?;
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    // When nothing could be evaluated, stdout stays empty: no half document for a script to
    // mistake for a result.
    if report.rows().next().is_some() {
        let text = match args.format {
            ReportFormat::Table => output::table::render(&report, output::table::use_color()),
            ReportFormat::Json => output::json::render(&report),
            ReportFormat::Markdown => output::markdown::render(&report),
        };
        write_text(Path::new(STDOUT), &text)?;
    }
    let mut failed = false;
    for error in report.errors() {
        eprintln!("error: {error}");
        failed = true;
    }
    Ok(ExitCode::from(if failed {
        exit::DATA_SOURCE
    } else {
        exit::OK
    }))
}

/// Evaluates exactly as `report` does, holds each row to its policy, prints the verdict and
/// exits with the gate's code. Every usage problem (flags, `--slo`, burn-rate windows) is
/// found before the first query.
fn check(args: &CheckArgs) -> Result<ExitCode, Error> {
    let spec = load(&args.evaluation.config)?;
    let flags = gate::policy_from_flags(args.min_budget_remaining, &args.max_burn_rates)?;
    let options = report::EvaluationOptions::from_args(&args.evaluation, &spec)?;
    let policies = gate::resolve(&options.selected(&spec), &flags)?;
    let report = report::evaluate_blocking(&spec, &options, &args.evaluation.prometheus)?;
    let verdict = gate::apply(&report, &policies, args.allow_no_data);
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    let text = match args.format {
        CheckFormat::Text => output::gate::render_text(&verdict),
        CheckFormat::Github => output::github::render(&verdict),
        CheckFormat::Json => output::gate::render_json(&report, &verdict),
    };
    write_text(Path::new(STDOUT), &text)?;
    if let Some(path) = &args.junit {
        let xml = output::junit::render(&verdict, &spec.service, report.evaluated_at);
        write_text(path, &xml)?;
    }
    if args.format == CheckFormat::Github
        && let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty())
    {
        let markdown = format!(
            "{}{}",
            output::github::step_summary(&verdict),
            output::markdown::render(&report)
        );
        append(Path::new(&path), &markdown)?;
    }
    Ok(ExitCode::from(verdict.exit_code()))
}

/// One line describing an SLO, e.g. `availability: 99.5% over 30d, ratio of errors, by handler`.
fn summary(slo: &Slo) -> String {
    let kind = match &slo.sli {
        Sli::Ratio(r) => match r.events {
            crate::model::RatioEvents::Errors(_) => "ratio of errors to total",
            crate::model::RatioEvents::Good(_) => "ratio of good to total",
        }
        .to_string(),
        Sli::Latency(l) => format!(
            "latency at or under {}s",
            crate::promql::number(l.threshold)
        ),
        Sli::Raw(_) => "raw error-ratio query".to_string(),
    };
    let mut line = format!(
        "{}: {}% over {}, {kind}",
        slo.name,
        crate::promql::number(slo.objective.percent()),
        slo.window
    );
    let group_by = slo.sli.group_by();
    if !group_by.is_empty() {
        line.push_str(&format!(", per {}", group_by.join(", ")));
    }
    let alerts: Vec<&str> = [
        ("page", slo.alerting.page.enabled),
        ("ticket", slo.alerting.ticket.enabled),
    ]
    .iter()
    .filter(|(_, on)| *on)
    .map(|(name, _)| *name)
    .collect();
    line.push_str(&match alerts.as_slice() {
        [] => ", no alerts".to_string(),
        names => format!(", {} alerts", names.join(" and ")),
    });
    line
}
