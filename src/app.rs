//! Wires each command's settings to the library: the work, then the renderer, then writing.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::Error;
use crate::interface::Outcome;
use crate::live::Severity;
use crate::model::Spec;
use crate::output::{check, report as report_output};
use crate::settings::{self, CheckFormat, Command, ReportFormat};
use crate::spec::Located;
use crate::{dashboard, gate, output, report, rules};

pub fn run(command: Command) -> Result<Outcome, Error> {
    match command {
        Command::Validate(spec) => {
            write_text(Path::new(STDOUT), &output::validate::render(&spec))?;
            Ok(Outcome::Success)
        }
        Command::ValidateOnline(located, online) => validate_online(&located, &online),
        Command::Report(spec, settings) => report(&spec, &settings),
        Command::Check(spec, settings) => check(&spec, &settings),
        Command::GenerateRules(spec, settings) => generate_rules(&spec, &settings),
        Command::GenerateDashboard(spec, settings) => generate_dashboard(&spec, &settings),
        Command::Lint(located, settings) => lint(&located, &settings),
        Command::Schema => {
            let schema = crate::spec::schema::slo_v1();
            let text = serde_json::to_string_pretty(&schema).expect("a JSON value serializes");
            write_text(Path::new(STDOUT), &format!("{text}\n"))?;
            Ok(Outcome::Success)
        }
        Command::Completions(shell) => {
            write_output(Path::new(STDOUT), |out| {
                clap_complete::generate(shell, &mut Cli::command(), "slo", out);
                Ok(())
            })?;
            Ok(Outcome::Success)
        }
        Command::Man => {
            write_output(Path::new(STDOUT), |out| {
                clap_mangen::Man::new(Cli::command()).render(out)
            })?;
            Ok(Outcome::Success)
        }
    }
}

/// The offline validation's lines on stdout when the live checks find no error; every
/// finding on stderr, located like the loader's errors.
fn validate_online(located: &Located, online: &settings::Online) -> Result<Outcome, Error> {
    let spec = &located.spec;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::DataSource(format!("cannot start the async runtime: {e}")))?;
    let findings = runtime
        .block_on(crate::live::check(&online.client, spec, online.at))
        .map_err(|e| Error::DataSource(e.to_string()))?;
    let mut located_findings: Vec<_> = findings
        .iter()
        .map(|f| {
            let diagnostic =
                located.diagnostic(&f.slo, &f.field, f.message.clone(), f.hint.clone());
            (f.severity, diagnostic)
        })
        .collect();
    located_findings.sort_by_key(|(_, d)| d.pos.map(|p| (p.line, p.column)));
    for (severity, diagnostic) in &located_findings {
        let prefix = match severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        eprintln!("{prefix}: {}", diagnostic.located(&spec.source));
    }
    if findings.iter().any(|f| f.severity == Severity::Error) {
        return Ok(Outcome::Invalid);
    }
    write_text(Path::new(STDOUT), &output::validate::render(spec))?;
    Ok(Outcome::Success)
}

/// Warnings on stderr, located like the loader's errors, and a count on stdout.
fn lint(located: &Located, settings: &settings::Lint) -> Result<Outcome, Error> {
    let source = &located.spec.source;
    let findings = crate::lint::lint(&located.spec);
    let mut diagnostics: Vec<_> = findings
        .iter()
        .map(|f| located.diagnostic(&f.slo, f.field, f.message.clone(), Some(f.hint.clone())))
        .collect();
    diagnostics.sort_by_key(|d| d.pos.map(|p| (p.line, p.column)));
    for diagnostic in &diagnostics {
        eprintln!("warning: {}", diagnostic.located(source));
    }
    let summary = match findings.len() {
        0 => "no warnings".to_string(),
        1 => "1 warning".to_string(),
        n => format!("{n} warnings"),
    };
    write_text(Path::new(STDOUT), &format!("{source}: {summary}\n"))?;
    Ok(Outcome::of_lint(findings.is_empty(), settings.strict))
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
            ReportFormat::Table { color } => report_output::table::render(&report, color),
            ReportFormat::Json => report_output::json::render(&report),
            ReportFormat::Markdown => report_output::markdown::render(&report),
        };
        write_text(Path::new(STDOUT), &text)?;
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
