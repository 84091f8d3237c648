//! Wires each command's settings to the library: its outputs opened, the work, then the
//! renderer, then writing.

use std::path::Path;

use crate::error::Error;
use crate::interface::Outcome;
use crate::live::Severity;
use crate::model::Spec;
use crate::output::destination::{Destination, Written, output_error};
use crate::output::progress::Progress;
use crate::output::{check, console, report as report_output};
use crate::settings::{self, CheckFormat, Command, ReportFormat};
use crate::spec::{Located, SpecError};
use crate::{dashboard, gate, output, report, rules};

pub fn run(command: Command) -> Result<Outcome, Error> {
    match command {
        Command::Validate(specs) => {
            let text: String = specs.iter().map(output::validate::render).collect();
            let _ = Destination::Stdout.finish(&text)?;
            Ok(Outcome::Success)
        }
        Command::ValidateOnline(located, online) => validate_online(&located, &online),
        Command::Report(specs, settings) => report(&specs, &settings),
        Command::Check(specs, settings) => check(&specs, &settings),
        Command::GenerateRules(specs, settings) => generate_rules(&specs, &settings),
        Command::GenerateDashboard(specs, settings) => generate_dashboard(&specs, &settings),
        Command::Lint(located, settings) => lint(&located, &settings),
        Command::Convert(located, path) => convert(&located, &path),
        Command::Schema => {
            let schema = crate::spec::schema::slo_v1();
            let text = serde_json::to_string_pretty(&schema).expect("a JSON value serializes");
            let _ = Destination::Stdout.finish(&format!("{text}\n"))?;
            Ok(Outcome::Success)
        }
        Command::CommandLineFile(bytes) => {
            let _ = Destination::Stdout.write(|out| out.write_all(&bytes))?;
            Ok(Outcome::Success)
        }
    }
}

/// The offline validation's lines on stdout when the live checks find no error; every
/// finding on stderr, located like the loader's errors, spec by spec in the order read.
fn validate_online(specs: &[Located], online: &settings::Online) -> Result<Outcome, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::DataSource(format!("cannot start the async runtime: {e}")))?;
    let slo_count: usize = specs.iter().map(|located| located.spec.slos.len()).sum();
    let progress = Progress::start(
        online.progress,
        &format!("checking {slo_count} SLOs against Prometheus"),
        1,
    );
    // Every spec is checked before anything prints, so the progress line is gone by then.
    let checked: Vec<_> = specs
        .iter()
        .map(|located| {
            runtime.block_on(crate::live::check(&online.client, &located.spec, online.at))
        })
        .collect();
    drop(progress);
    let mut any_error = false;
    for (located, findings) in specs.iter().zip(checked) {
        let findings = findings.map_err(|e| Error::DataSource(e.to_string()))?;
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
            console::finding(prefix, &diagnostic.located(&located.spec.source));
        }
        any_error |= findings.iter().any(|f| f.severity == Severity::Error);
    }
    if any_error {
        return Ok(Outcome::Invalid);
    }
    let text: String = specs
        .iter()
        .map(|located| output::validate::render(&located.spec))
        .collect();
    let _ = Destination::Stdout.finish(&text)?;
    Ok(Outcome::Success)
}

/// Warnings on stderr, located like the loader's errors, and a count per spec on stdout.
fn lint(specs: &[Located], settings: &settings::Lint) -> Result<Outcome, Error> {
    let mut summaries = String::new();
    let mut clean = true;
    for located in specs {
        let source = &located.spec.source;
        let findings = crate::lint::lint(&located.spec);
        let mut diagnostics: Vec<_> = findings
            .iter()
            .map(|f| located.diagnostic(&f.slo, f.field, f.message.clone(), Some(f.hint.clone())))
            .collect();
        diagnostics.sort_by_key(|d| d.pos.map(|p| (p.line, p.column)));
        for diagnostic in &diagnostics {
            console::finding("warning", &diagnostic.located(source));
        }
        let summary = match findings.len() {
            0 => "no warnings".to_string(),
            1 => "1 warning".to_string(),
            n => format!("{n} warnings"),
        };
        // A file of several services gets a line for each.
        if specs.len() > 1 {
            summaries.push_str(&format!("{source} ({}): {summary}\n", located.spec.service));
        } else {
            summaries.push_str(&format!("{source}: {summary}\n"));
        }
        clean &= findings.is_empty();
    }
    let _ = Destination::Stdout.finish(&summaries)?;
    Ok(Outcome::of_lint(clean, settings.strict))
}

/// Every spec as slo.yaml, one YAML document each, in the order read; nothing is written
/// unless every spec converts.
fn convert(specs: &[Located], path: &Path) -> Result<Outcome, Error> {
    let mut documents = Vec::new();
    for located in specs {
        let document =
            crate::spec::write::native_document(located).map_err(|diagnostics| SpecError {
                source_name: located.spec.source.clone(),
                diagnostics,
            })?;
        documents.push(document);
    }
    let _ = Destination::open(path)?.finish(&documents.join("---\n"))?;
    Ok(Outcome::Success)
}

/// The rules of every spec, in the order read, in one file.
fn generate_rules(specs: &[Spec], settings: &settings::GenerateRules) -> Result<Outcome, Error> {
    let mut out = Destination::open(&settings.path)?;
    let groups = specs
        .iter()
        .flat_map(|spec| rules::generate(spec, settings.label_style));
    let mut sources: Vec<&str> = specs.iter().map(|s| s.source.as_str()).collect();
    sources.dedup();
    let _ = out.write(|out| rules::write(out, groups, &sources.join(", "), &settings.format))?;
    out.commit()?;
    Ok(Outcome::Success)
}

/// One dashboard per service: at `--output`, or, for several, in it as a directory.
/// Every file (the dashboard and the provisioning files) is opened and written before any
/// replaces its old version, so a bad `--provisioning` directory leaves `--output` as it was.
fn generate_dashboard(
    specs: &[Spec],
    settings: &settings::GenerateDashboard,
) -> Result<Outcome, Error> {
    let mut outputs = Vec::new();
    for spec in specs {
        let board = dashboard::dashboard(spec, settings.label_style);
        let json = dashboard::to_json(&board);
        let uid = dashboard::uid(&spec.service);
        let out = if specs.len() == 1 {
            Destination::open(&settings.path)?
        } else {
            open_creating_dirs(&settings.path.join(format!("{uid}.json")))?
        };
        outputs.push((out, json.clone()));
        if let Some(dir) = &settings.provisioning {
            for file in dashboard::provisioning_files(&uid, &json, &settings.prometheus_url) {
                outputs.push((open_creating_dirs(&dir.join(&file.path))?, file.contents));
            }
        }
    }
    for (out, text) in &mut outputs {
        // A reader gone from standard output takes nothing else with it.
        let _ = out.write_text(text)?;
    }
    for (out, _) in outputs {
        out.commit()?;
    }
    Ok(Outcome::Success)
}

/// Opens `path`, creating the directories it needs.
fn open_creating_dirs(path: &Path) -> Result<Destination, Error> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(output_error(parent))?;
    }
    Destination::open(path)
}

/// Prints what could be evaluated on stdout, and warnings and failures on stderr. A reader
/// gone from stdout ends it quietly with exit 0.
fn report(specs: &[Spec], settings: &settings::Report) -> Result<Outcome, Error> {
    // `--output` is opened first, so a path that cannot be written fails before any query.
    let out = match &settings.output {
        Some(path) => Destination::open(path)?,
        None => Destination::Stdout,
    };
    let evaluation = &settings.evaluation;
    if let (Some(interval), ReportFormat::Table { color, .. }) = (settings.watch, settings.format) {
        return crate::watch::run(specs, evaluation, interval, color);
    }
    let report = evaluate(specs, evaluation)?;
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
                let services: Vec<&str> = specs.iter().map(|s| s.service.as_str()).collect();
                let services = services.join(", ");
                report_output::html::render(&report, &services, evaluation.options.warn_below)
            }
        };
        if out.finish(&text)? == Written::ReaderGone {
            return Ok(Outcome::Success);
        }
    }
    for error in report.errors() {
        console::error(&error.to_string());
    }
    Ok(Outcome::of_report(&report))
}

/// Evaluates exactly as `report` does, holds each row to its policy and writes the verdict.
///
/// Every output is opened before the first query, so exit 2 means nothing was evaluated.
/// Once there is a verdict, its exit code stands: an output that then cannot be written (or
/// a reader gone from stdout) is reported on stderr, never turned into another exit code.
fn check(specs: &[Spec], settings: &settings::Check) -> Result<Outcome, Error> {
    let junit = settings
        .junit
        .as_deref()
        .map(Destination::open)
        .transpose()?;
    let step_summary = settings
        .step_summary
        .as_deref()
        .map(Destination::append)
        .transpose()?;
    let report = evaluate(specs, &settings.evaluation)?;
    let verdict = gate::apply(&report, &settings.policies, settings.allow_no_data);
    print_warnings(&report);
    let text = match settings.format {
        CheckFormat::Text => check::text::render(&verdict),
        CheckFormat::Github => check::github::render(&verdict),
        CheckFormat::Json => check::json::render(&report, &verdict),
    };
    let outputs = [
        Some((Destination::Stdout, text)),
        junit.map(|out| {
            let services: Vec<&str> = specs.iter().map(|s| s.service.as_str()).collect();
            let xml = check::junit::render(&verdict, &services.join(", "), report.evaluated_at);
            (out, xml)
        }),
        step_summary.map(|out| (out, check::github::step_summary(&verdict, &report))),
    ];
    for (out, text) in outputs.into_iter().flatten() {
        if let Err(err) = out.finish(&text) {
            console::error(&err.to_string());
        }
    }
    Ok(Outcome::of_verdict(verdict.verdict()))
}

/// Evaluates every spec at the same instant, as one report whose rows name their service,
/// with the progress line on stderr while it runs, erased before it returns.
fn evaluate(specs: &[Spec], evaluation: &settings::Evaluation) -> Result<report::Report, Error> {
    let progress = Progress::start(
        evaluation.progress,
        "planning queries",
        evaluation.concurrency,
    );
    report::evaluate_all_blocking(specs, &evaluation.options, &evaluation.client, &progress)
}

fn print_warnings(report: &report::Report) {
    for warning in &report.warnings {
        console::warning(warning);
    }
}
