//! The command line, turned once into typed, checked values: what each command needs, in the
//! core's own types. Every usage error (exit 2) that clap cannot raise itself is raised here,
//! before any query; the core never sees `cli`.

pub mod flags;
mod prometheus;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use crate::cli::{
    CheckArgs, Cli, ConfigArgs, EvaluationArgs, GenerateDashboardArgs, GenerateRulesArgs,
    ReportArgs,
};
use crate::error::Error;
use crate::gate::{self, SloPolicy};
use crate::model::{GatePolicy, Spec, window_list};
use crate::prometheus::Client;
use crate::promql::LabelStyle;
use crate::report::EvaluationOptions;
use crate::rules;
use crate::source::{Source, SourceOptions};

/// Taken as typed: clap already checked it.
pub use crate::cli::CheckFormat;

/// A command, with the spec it reads and everything else it needs, checked.
pub enum Command {
    Validate(Spec),
    Report(Spec, Report),
    Check(Spec, Check),
    GenerateRules(Spec, GenerateRules),
    GenerateDashboard(Spec, GenerateDashboard),
}

impl Command {
    /// Loads the spec, then checks the flags against it.
    pub fn new(cli: Cli) -> Result<Self, Error> {
        Ok(match cli.command {
            crate::cli::Command::Validate(args) => Command::Validate(load(&args.config)?),
            crate::cli::Command::Report(args) => {
                let spec = load(&args.evaluation.config)?;
                let report = Report::new(&args, &spec)?;
                Command::Report(spec, report)
            }
            crate::cli::Command::Check(args) => {
                let spec = load(&args.evaluation.config)?;
                let check = Check::new(&args, &spec)?;
                Command::Check(spec, check)
            }
            crate::cli::Command::GenerateRules(args) => {
                let spec = load(&args.config)?;
                let rules = GenerateRules::new(args, &spec)?;
                Command::GenerateRules(spec, rules)
            }
            crate::cli::Command::GenerateDashboard(args) => {
                Command::GenerateDashboard(load(&args.config)?, GenerateDashboard::from(args))
            }
        })
    }
}

fn load(config: &ConfigArgs) -> Result<Spec, Error> {
    Ok(crate::spec::load(&config.config)?)
}

/// What `report` and `check` evaluate, when, and against which Prometheus.
pub struct Evaluation {
    pub options: EvaluationOptions,
    pub client: Client,
}

impl Evaluation {
    /// `--at` (default: now, whole seconds), `--slo` (an unknown name is refused with a
    /// did-you-mean), `--warn-below` (a percentage) and the connection flags.
    pub fn new(args: &EvaluationArgs, spec: &Spec) -> Result<Self, Error> {
        if args.source != Source::Rules && args.allow_partial_coverage {
            return Err(Error::Usage(
                "--allow-partial-coverage applies to --source rules only: --source auto reads \
                 the raw series wherever the recorded history is younger than the window"
                    .into(),
            ));
        }
        let options = EvaluationOptions {
            at: args.at.unwrap_or_else(now),
            slos: select(spec, &args.slos)?,
            warn_below: percentage(args.warn_below).ok_or_else(|| {
                Error::Usage(format!(
                    "--warn-below: {} is not a percentage between 0 and 100",
                    args.warn_below
                ))
            })? / 100.0,
            deadline: args.deadline,
            fail_on_warnings: args.fail_on_warnings,
            source: SourceOptions {
                source: args.source,
                allow_partial_coverage: args.allow_partial_coverage,
                label_style: args.label_style,
            },
        };
        Ok(Evaluation {
            options,
            client: prometheus::client(&args.prometheus)?,
        })
    }
}

/// `slo report`'s settings.
pub struct Report {
    pub evaluation: Evaluation,
    pub format: ReportFormat,
}

pub enum ReportFormat {
    Table { color: bool },
    Json,
    Markdown,
}

impl Report {
    fn new(args: &ReportArgs, spec: &Spec) -> Result<Self, Error> {
        let format = match args.format {
            crate::cli::ReportFormat::Table => ReportFormat::Table { color: use_color() },
            crate::cli::ReportFormat::Json => ReportFormat::Json,
            crate::cli::ReportFormat::Markdown => ReportFormat::Markdown,
        };
        Ok(Report {
            evaluation: Evaluation::new(&args.evaluation, spec)?,
            format,
        })
    }
}

/// `slo check`'s settings: the evaluation, the rules each selected SLO is held to, and where
/// the verdict goes.
pub struct Check {
    pub evaluation: Evaluation,
    pub policies: BTreeMap<String, SloPolicy>,
    pub allow_no_data: bool,
    pub format: CheckFormat,
    pub junit: Option<PathBuf>,
    /// `$GITHUB_STEP_SUMMARY` for `--format github`, when set.
    pub step_summary: Option<PathBuf>,
}

impl Check {
    /// Also refuses a burn-rate rule over a window `report` does not measure for an SLO,
    /// before any query.
    fn new(args: &CheckArgs, spec: &Spec) -> Result<Self, Error> {
        let flags = gate_policy(args)?;
        let evaluation = Evaluation::new(&args.evaluation, spec)?;
        let policies = gate::resolve(&evaluation.options.selected(spec), &flags).map_err(|e| {
            Error::Usage(format!(
                "--max-burn-rate {window}=...: no burn rate is measured over {window} for \
                 SLO {}; use one of {}",
                e.slo,
                window_list(&e.measured),
                window = e.window,
            ))
        })?;
        let step_summary = (args.format == CheckFormat::Github)
            .then(|| std::env::var_os("GITHUB_STEP_SUMMARY"))
            .flatten()
            .filter(|path| !path.is_empty())
            .map(PathBuf::from);
        Ok(Check {
            evaluation,
            policies,
            allow_no_data: args.allow_no_data,
            format: args.format,
            junit: args.junit.clone(),
            step_summary,
        })
    }
}

/// The policy `--min-budget-remaining` and `--max-burn-rate` give.
fn gate_policy(args: &CheckArgs) -> Result<GatePolicy, Error> {
    let min_budget_remaining = args
        .min_budget_remaining
        .map(|pct| {
            percentage(pct).ok_or_else(|| {
                Error::Usage(format!(
                    "--min-budget-remaining must be a percentage from 0 to 100, got {pct}"
                ))
            })
        })
        .transpose()?;
    let mut max_burn_rate = BTreeMap::new();
    for &(window, factor) in &args.max_burn_rates {
        if max_burn_rate.insert(window, factor).is_some() {
            return Err(Error::Usage(format!(
                "--max-burn-rate names the window {window} more than once"
            )));
        }
    }
    Ok(GatePolicy {
        min_budget_remaining,
        max_burn_rate,
    })
}

/// `slo generate-rules`'s settings.
pub struct GenerateRules {
    pub label_style: LabelStyle,
    /// The file format, with the manifest's namespace and name checked against the spec.
    pub format: rules::Output,
    /// Where to write; `-` is standard output.
    pub path: PathBuf,
}

impl GenerateRules {
    fn new(args: GenerateRulesArgs, spec: &Spec) -> Result<Self, Error> {
        let format = match args.format {
            crate::cli::RulesFormat::Prometheus => rules::Output::RuleFile,
            crate::cli::RulesFormat::PrometheusRule => {
                rules::check_namespace(&args.namespace).map_err(Error::Usage)?;
                rules::Output::PrometheusRule {
                    name: rules::manifest_name(&spec.service, args.name.as_deref())
                        .map_err(Error::Usage)?,
                    namespace: args.namespace,
                }
            }
        };
        Ok(GenerateRules {
            label_style: args.label_style,
            format,
            path: args.output,
        })
    }
}

/// `slo generate-dashboard`'s settings, as typed.
pub struct GenerateDashboard {
    pub label_style: LabelStyle,
    /// Where to write the dashboard; `-` is standard output.
    pub path: PathBuf,
    /// Where to write it again with Grafana provisioning.
    pub provisioning: Option<PathBuf>,
    /// The provisioned datasource's URL.
    pub prometheus_url: String,
}

impl From<GenerateDashboardArgs> for GenerateDashboard {
    fn from(args: GenerateDashboardArgs) -> Self {
        GenerateDashboard {
            label_style: args.label_style,
            path: args.output,
            provisioning: args.provisioning,
            prometheus_url: args.prometheus_url,
        }
    }
}

/// `pct` when it is a percentage, 0 to 100.
fn percentage(pct: f64) -> Option<f64> {
    (0.0..=100.0).contains(&pct).then_some(pct)
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs() as f64)
}

/// Colour only on a terminal, and never when `NO_COLOR` is set (<https://no-color.org>).
fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The names of the SLOs to evaluate, in spec order; `names` empty means all.
fn select(spec: &Spec, names: &[String]) -> Result<Vec<String>, Error> {
    let known: Vec<&str> = spec.slos.iter().map(|s| s.name.as_str()).collect();
    for name in names {
        if !known.contains(&name.as_str()) {
            let hint = match crate::spec::did_you_mean(name, &known) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("the spec defines: {}", known.join(", ")),
            };
            return Err(Error::Usage(format!(
                "--slo: no SLO named `{name}` in {}; {hint}",
                spec.source
            )));
        }
    }
    Ok(known
        .into_iter()
        .filter(|k| names.is_empty() || names.iter().any(|n| n == k))
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    const SPEC: &str = "version: 1\nservice: api\nslos:\n  - name: availability\n    objective: 99\n    window: 30d\n    sli:\n      ratio:\n        errors: r{code=\"5xx\"}\n        total: r\n";

    fn check_args(flags: &[&str]) -> CheckArgs {
        let argv = ["slo", "check"].iter().chain(flags);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Check(args) => args,
            _ => unreachable!(),
        }
    }

    fn check(flags: &[&str]) -> Result<Check, Error> {
        Check::new(
            &check_args(flags),
            &crate::spec::parse(SPEC, "test.yaml").unwrap(),
        )
    }

    fn usage_message(result: Result<Check, Error>) -> String {
        match result {
            Err(Error::Usage(message)) => message,
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn flags_override_the_spec_policy() {
        let check = check(&["--min-budget-remaining", "25", "--max-burn-rate", "1h=14.4"]);
        let rules = &check.unwrap().policies["availability"].rules;
        assert_eq!(rules.len(), 2, "{rules:?}");
        assert_eq!(rules[0], gate::Rule::MinBudgetRemaining(25.0));
    }

    #[test]
    fn a_window_named_twice_is_a_usage_error_not_a_silent_override() {
        let message = usage_message(check(&[
            "--max-burn-rate",
            "1h=14.4",
            "--max-burn-rate",
            "60m=10",
        ]));
        assert!(message.contains("more than once"), "{message}");
    }

    #[test]
    fn min_budget_remaining_outside_0_to_100_is_a_usage_error() {
        for bad in ["-1", "100.5", "NaN", "inf"] {
            let flag = format!("--min-budget-remaining={bad}");
            let message = usage_message(check(&[&flag]));
            assert!(message.starts_with("--min-budget-remaining"), "{message}");
        }
        assert!(check(&["--min-budget-remaining", "100"]).is_ok());
    }

    #[test]
    fn a_burn_rate_window_report_does_not_measure_is_a_usage_error() {
        let message = usage_message(check(&["--max-burn-rate", "2h=5"]));
        assert!(
            message.contains("2h") && message.contains("SLO availability"),
            "{message}"
        );
        assert!(message.contains("5m, 1h, 6h, 1d, 3d, 30d"), "{message}");
    }

    #[test]
    fn unknown_slo_names_are_refused_with_a_suggestion() {
        let spec = crate::spec::parse(SPEC, "test.yaml").unwrap();
        assert_eq!(select(&spec, &[]).unwrap(), ["availability"]);
        let err = select(&spec, &["availabilty".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `availability`?"), "{err}");
    }
}
