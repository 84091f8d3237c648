//! Wires each command's settings to the library: the work, then the renderer, then writing.

use std::io::Write;
use std::path::Path;

use crate::error::Error;
use crate::interface::Outcome;
use crate::model::Spec;
use crate::output::{check, report as report_output};
use crate::settings::{self, CheckFormat, Command, ReportFormat};
use crate::{dashboard, gate, output, report, rules};

pub fn run(command: Command) -> Result<Outcome, Error> {
    match command {
        Command::Validate(spec) => {
            write_text(Path::new(STDOUT), &output::validate::render(&spec))?;
            Ok(Outcome::Success)
        }
        Command::Report(spec, settings) => report(&spec, &settings),
        Command::Check(spec, settings) => check(&spec, &settings),
        Command::GenerateRules(spec, settings) => generate_rules(&spec, &settings),
        Command::GenerateDashboard(spec, settings) => generate_dashboard(&spec, &settings),
    }
}

fn generate_rules(spec: &Spec, settings: &settings::GenerateRules) -> Result<Outcome, Error> {
    let groups = rules::generate(spec, settings.label_style);
    write_output(&settings.path, |out| {
        rules::write(out, groups, &spec.source, &settings.format)
    })?;
    Ok(Outcome::Success)
}

fn generate_dashboard(
    spec: &Spec,
    settings: &settings::GenerateDashboard,
) -> Result<Outcome, Error> {
    let board = dashboard::dashboard(spec, settings.label_style);
    let json = dashboard::to_json(&board);
    write_text(&settings.path, &json)?;
    if let Some(dir) = &settings.provisioning {
        let uid = dashboard::uid(&spec.service);
        for file in dashboard::provisioning_files(&uid, &json, &settings.prometheus_url) {
            write_creating_dirs(&dir.join(&file.path), &file.contents)?;
        }
    }
    Ok(Outcome::Success)
}

/// Prints what could be evaluated on stdout, and warnings and failures on stderr.
fn report(spec: &Spec, settings: &settings::Report) -> Result<Outcome, Error> {
    let evaluation = &settings.evaluation;
    let report = report::evaluate_blocking(spec, &evaluation.options, &evaluation.client)?;
    print_warnings(&report);
    // When nothing could be evaluated, stdout stays empty: no half document for a script to
    // mistake for a result.
    if report.rows().next().is_some() {
        let text = match settings.format {
            ReportFormat::Table { color, unicode } => {
                report_output::table::render(&report, color, unicode)
            }
            ReportFormat::Json => report_output::json::render(&report),
            ReportFormat::Markdown => report_output::markdown::render(&report),
            ReportFormat::Html => {
                report_output::html::render(&report, &spec.service, evaluation.options.warn_below)
            }
        };
        let output = settings.output.as_deref().unwrap_or(Path::new(STDOUT));
        write_text(output, &text)?;
    }
    for error in report.errors() {
        eprintln!("error: {error}");
    }
    Ok(Outcome::of_report(&report))
}

/// Evaluates exactly as `report` does, holds each row to its policy and writes the verdict.
fn check(spec: &Spec, settings: &settings::Check) -> Result<Outcome, Error> {
    let evaluation = &settings.evaluation;
    let report = report::evaluate_blocking(spec, &evaluation.options, &evaluation.client)?;
    let verdict = gate::apply(&report, &settings.policies, settings.allow_no_data);
    print_warnings(&report);
    let text = match settings.format {
        CheckFormat::Text => check::text::render(&verdict),
        CheckFormat::Github => check::github::render(&verdict),
        CheckFormat::Json => check::json::render(&report, &verdict),
    };
    write_text(Path::new(STDOUT), &text)?;
    if let Some(path) = &settings.junit {
        let xml = check::junit::render(&verdict, &spec.service, report.evaluated_at);
        write_text(path, &xml)?;
    }
    if let Some(path) = &settings.step_summary {
        let markdown = check::github::step_summary(&verdict, &report);
        append(path, &markdown)?;
    }
    Ok(Outcome::of_verdict(verdict.verdict()))
}

fn print_warnings(report: &report::Report) {
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
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
