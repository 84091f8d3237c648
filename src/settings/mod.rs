//! The command line, turned once into typed, checked values: what each command needs, in the
//! core's own types. Every usage error (exit 2) that clap cannot raise itself is raised here,
//! before any query; the core never sees `cli`.

pub mod flags;
mod prometheus;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::CommandFactory;

use crate::calendar::{PeriodChoice, Timing};
use crate::cli::{
    CheckArgs, Cli, ColorChoice, ConfigArgs, EvaluationArgs, GenerateDashboardArgs,
    GenerateRulesArgs, ReportArgs,
};
use crate::error::Error;
use crate::gate::{self, SloPolicy};
use crate::history::HistoryRequest;
use crate::model::{GatePolicy, Spec, Window, window_list};
use crate::output::console;
use crate::prometheus::Client;
use crate::promql::LabelStyle;
use crate::report::EvaluationOptions;
use crate::rules;
use crate::source::{Source, SourceOptions};
use crate::spec::Located;

/// Taken as typed: clap already checked it.
pub use crate::cli::CheckFormat;

/// A command, with the specs it reads (one per service document, in the order read) and
/// everything else it needs, checked.
pub enum Command {
    Validate(Vec<Spec>),
    /// `validate` against a live Prometheus.
    ValidateOnline(Vec<Located>, Online),
    Report(Vec<Spec>, Report),
    Check(Vec<Spec>, Check),
    GenerateRules(Vec<Spec>, GenerateRules),
    GenerateDashboard(Vec<Spec>, GenerateDashboard),
    Lint(Vec<Located>, Lint),
    /// `convert`: the specs, and where their slo.yaml goes (`-` is standard output).
    Convert(Vec<Located>, PathBuf),
    Schema,
    /// A file made from the command line's own definition: a shell's completion script or
    /// the man page, rendered here so that nothing past settings needs clap.
    CommandLineFile(Vec<u8>),
}

/// The Prometheus `validate` checks the spec against, and when.
pub struct Online {
    pub client: Client,
    /// Unix seconds.
    pub at: f64,
    /// Show progress on stderr while the checks run.
    pub progress: bool,
}

/// What the terminal gets besides the result, decided once from `--color`, `--quiet` and
/// the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    /// Colour on stdout.
    pub color: bool,
    /// Progress on stderr: a terminal, not CI, not `--quiet`.
    pub progress: bool,
    /// Warnings on stderr (not `--quiet`).
    pub warnings: bool,
    /// Standard input and output are a terminal, as the live view needs.
    pub interactive: bool,
}

impl Terminal {
    fn new(cli: &Cli) -> Terminal {
        let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Terminal {
            color: color(
                cli.color,
                env("NO_COLOR").is_some(),
                env("CLICOLOR_FORCE").is_some_and(|v| v != "0"),
                std::io::stdout().is_terminal(),
            ),
            progress: !cli.quiet && env("CI").is_none() && std::io::stderr().is_terminal(),
            warnings: !cli.quiet,
            interactive: std::io::stdin().is_terminal() && std::io::stdout().is_terminal(),
        }
    }
}

/// `--color`, then <https://no-color.org> (`NO_COLOR`), then `CLICOLOR_FORCE`, then whether
/// stdout is a terminal.
fn color(choice: ColorChoice, no_color: bool, force: bool, stdout_is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && (force || stdout_is_terminal),
    }
}

/// `slo lint`'s settings.
pub struct Lint {
    /// Warnings make the exit code 1.
    pub strict: bool,
}

impl Command {
    /// Loads the specs, then checks the flags against them.
    pub fn new(cli: Cli) -> Result<Self, Error> {
        let terminal = Terminal::new(&cli);
        // Before loading: --quiet silences the loader's warnings too.
        console::show_warnings(terminal.warnings);
        let command = match cli.command {
            crate::cli::Command::Validate(args) => match &args.online {
                Some(prometheus) => Command::ValidateOnline(
                    load_located(&args.config)?,
                    Online {
                        client: prometheus::client(prometheus)?,
                        at: args.at.unwrap_or_else(now),
                        progress: terminal.progress,
                    },
                ),
                None => Command::Validate(load(&args.config)?),
            },
            crate::cli::Command::Report(args) => {
                let specs = load(&args.evaluation.config)?;
                let report = Report::new(&args, &specs, terminal)?;
                Command::Report(specs, report)
            }
            crate::cli::Command::Check(args) => {
                let specs = load(&args.evaluation.config)?;
                let check = Check::new(&args, &specs, terminal.progress)?;
                Command::Check(specs, check)
            }
            crate::cli::Command::GenerateRules(args) => {
                let specs = load(&args.config)?;
                let rules = GenerateRules::new(args, &specs)?;
                Command::GenerateRules(specs, rules)
            }
            crate::cli::Command::GenerateDashboard(args) => {
                let specs = load(&args.config)?;
                let dashboard = GenerateDashboard::new(args, &specs)?;
                Command::GenerateDashboard(specs, dashboard)
            }
            crate::cli::Command::Lint(args) => Command::Lint(
                load_located(&args.config)?,
                Lint {
                    strict: args.strict,
                },
            ),
            crate::cli::Command::Convert(args) => {
                Command::Convert(load_located(&args.config)?, args.output)
            }
            crate::cli::Command::Schema => Command::Schema,
            crate::cli::Command::Completions { shell } => {
                let mut script = Vec::new();
                clap_complete::generate(shell, &mut Cli::command(), "slo", &mut script);
                Command::CommandLineFile(script)
            }
            crate::cli::Command::Man => {
                let mut page = Vec::new();
                clap_mangen::Man::new(Cli::command())
                    .render(&mut page)
                    .map_err(|e| Error::Usage(format!("cannot render the man page: {e}")))?;
                Command::CommandLineFile(page)
            }
        };
        Ok(command)
    }
}

/// Reads every `--config`; warnings (such as keys of an imported format that slo does not
/// read) go to stderr here, at the edge, so that every command shows them once.
fn load(config: &ConfigArgs) -> Result<Vec<Spec>, Error> {
    let located = load_located(config)?;
    Ok(crate::spec::by_service(
        located.into_iter().map(|located| located.spec),
    ))
}

/// [`load`], keeping the positions of what each spec was read from.
fn load_located(config: &ConfigArgs) -> Result<Vec<Located>, Error> {
    let loaded = Located::load_all(&config.config, config.default_window)?;
    for warning in &loaded.warnings {
        console::finding("warning", warning);
    }
    Ok(loaded.specs)
}

/// What `report` and `check` evaluate, when, and against which Prometheus.
pub struct Evaluation {
    pub options: EvaluationOptions,
    pub client: Client,
    /// Queries in flight at once (`--concurrency`), for the progress line.
    pub concurrency: usize,
    /// Show progress on stderr while the queries run.
    pub progress: bool,
}

impl Evaluation {
    /// `--at` (default: now, whole seconds), `--slo` (an unknown name is refused with a
    /// did-you-mean), `--warn-below` (a percentage) and the connection flags.
    pub fn new(args: &EvaluationArgs, specs: &[Spec], progress: bool) -> Result<Self, Error> {
        let period = match args.period {
            crate::cli::PeriodArg::Current => PeriodChoice::Current,
            crate::cli::PeriodArg::Previous => PeriodChoice::Previous,
        };
        if args.source != Source::Rules && args.allow_partial_coverage {
            return Err(Error::Usage(
                "--allow-partial-coverage applies to --source rules only: --source auto reads \
                 the raw series wherever the recorded history is younger than the window"
                    .into(),
            ));
        }
        let options = EvaluationOptions {
            at: args.at.unwrap_or_else(now),
            slos: select(specs, &args.slos)?,
            warn_below: percentage(args.warn_below).ok_or_else(|| {
                Error::Usage(format!(
                    "--warn-below: {} is not a percentage between 0 and 100",
                    args.warn_below
                ))
            })? / 100.0,
            deadline: args.deadline,
            fail_on_warnings: args.fail_on_warnings,
            period,
            history: args.history.then_some(HistoryRequest { step: args.step }),
            source: SourceOptions {
                source: args.source,
                allow_partial_coverage: args.allow_partial_coverage,
                label_style: args.label_style,
            },
        };
        for spec in specs {
            check_periods_and_step(spec, &options)?;
        }
        Ok(Evaluation {
            options,
            client: prometheus::client(&args.prometheus)?,
            concurrency: usize::from(args.prometheus.concurrency),
            progress,
        })
    }
}

/// The most points Prometheus returns per series of a range query.
const MAX_HISTORY_POINTS: u64 = 11_000;

/// `--period previous` needs calendar SLOs, every calendar period evaluated must lie within
/// the dates the calendar covers, and `--step` must leave a history within Prometheus'
/// limit of points.
fn check_periods_and_step(spec: &Spec, options: &EvaluationOptions) -> Result<(), Error> {
    let selected = options.selected(spec);
    if options.period == PeriodChoice::Previous {
        let rolling: Vec<&str> = selected
            .iter()
            .filter(|s| s.calendar.is_none())
            .map(|s| s.name.as_str())
            .collect();
        if !rolling.is_empty() {
            let (what, have) = if rolling.len() == 1 {
                ("SLO", "has")
            } else {
                ("SLOs", "have")
            };
            return Err(Error::Usage(format!(
                "--period previous: {what} {} {have} a rolling window, which has no previous \
                 period; select calendar SLOs (window: week, month or quarter) with --slo",
                rolling.join(", ")
            )));
        }
    }
    for slo in selected {
        Timing::new(slo, options.at, options.period)
            .map_err(|err| Error::Usage(format!("--at: SLO {}: {err}", slo.name)))?;
        let step = options.history.and_then(|h| h.step);
        if let Some(step) = step.filter(|s| slo.window.secs() / s.secs() > MAX_HISTORY_POINTS) {
            return Err(Error::Usage(format!(
                "--step {step}: more than {MAX_HISTORY_POINTS} points across the {} window of \
                 SLO {}, which Prometheus refuses; use a longer step",
                slo.window, slo.name
            )));
        }
    }
    Ok(())
}

/// `slo report`'s settings.
pub struct Report {
    pub evaluation: Evaluation,
    pub format: ReportFormat,
    /// `--watch`: re-evaluate at this interval in a live view (always a table).
    pub watch: Option<Window>,
    /// `--output`; stdout without it.
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// `unicode`: whether the terminal takes UTF-8 (the history's block characters).
    Table {
        color: bool,
        unicode: bool,
    },
    Json,
    Markdown,
    Html,
}

impl Report {
    /// `--watch` draws a table at the current instant: another format or `--at` is a usage
    /// error.
    fn new(args: &ReportArgs, specs: &[Spec], terminal: Terminal) -> Result<Self, Error> {
        let format = match args.format {
            crate::cli::ReportFormat::Table => ReportFormat::Table {
                color: terminal.color,
                unicode: utf8_locale(),
            },
            crate::cli::ReportFormat::Json => ReportFormat::Json,
            crate::cli::ReportFormat::Markdown => ReportFormat::Markdown,
            crate::cli::ReportFormat::Html => ReportFormat::Html,
        };
        if args.watch.is_some() {
            if args.format != crate::cli::ReportFormat::Table {
                return Err(Error::Usage(
                    "--watch draws a table; it cannot be combined with --format json or markdown"
                        .into(),
                ));
            }
            if args.evaluation.at.is_some() {
                return Err(Error::Usage(
                    "--watch evaluates at each round's current time; it cannot be combined with --at"
                        .into(),
                ));
            }
            if !terminal.interactive {
                return Err(Error::Usage(
                    "--watch draws in the terminal; standard input and output must be one".into(),
                ));
            }
        }
        // The live view replaces the progress line: it shows its own round in progress.
        let progress = terminal.progress && args.watch.is_none();
        let mut evaluation = Evaluation::new(&args.evaluation, specs, progress)?;
        // The page's charts are the histories.
        if matches!(format, ReportFormat::Html) {
            let step = args.evaluation.step;
            evaluation.options.history = Some(HistoryRequest { step });
        }
        Ok(Report {
            evaluation,
            format,
            watch: args.watch,
            output: args.output.clone(),
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
    fn new(args: &CheckArgs, specs: &[Spec], progress: bool) -> Result<Self, Error> {
        let flags = gate_policy(args)?;
        let evaluation = Evaluation::new(&args.evaluation, specs, progress)?;
        let mut policies = BTreeMap::new();
        for spec in specs {
            let resolved =
                gate::resolve(&evaluation.options.selected(spec), &flags).map_err(|e| {
                    Error::Usage(format!(
                        "--max-burn-rate {window}=...: no burn rate is measured over {window} for \
                         SLO {}; use one of {}",
                        e.slo,
                        window_list(&e.measured),
                        window = e.window,
                    ))
                })?;
            for (name, policy) in resolved {
                // The gate knows SLOs by name: same-named SLOs of several services must be
                // held to the same rules.
                if policies.get(&name).is_some_and(|held| *held != policy) {
                    return Err(Error::Usage(format!(
                        "SLO {name} of service {} has other gate rules than an SLO of the same \
                         name in another service; check each service on its own",
                        spec.service
                    )));
                }
                policies.insert(name, policy);
            }
        }
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
    /// A PrometheusRule keeps the name, namespace and labels of the Sloth
    /// `PrometheusServiceLevel` it was generated from, unless the flags say otherwise.
    fn new(args: GenerateRulesArgs, specs: &[Spec]) -> Result<Self, Error> {
        let format = match args.format {
            crate::cli::RulesFormat::Prometheus => rules::Output::RuleFile,
            crate::cli::RulesFormat::PrometheusRule => {
                let [spec] = specs else {
                    return Err(Error::Usage(format!(
                        "--format prometheus-rule writes one manifest per spec, and the specs \
                         hold {} services ({}); generate each on its own",
                        specs.len(),
                        services(specs)
                    )));
                };
                let manifest = spec.manifest.clone().unwrap_or_default();
                let namespace = args
                    .namespace
                    .or(manifest.namespace)
                    .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
                rules::check_namespace(&namespace).map_err(Error::Usage)?;
                let name = args.name.or(manifest.name);
                rules::Output::PrometheusRule {
                    name: rules::manifest_name(&spec.service, name.as_deref())
                        .map_err(Error::Usage)?,
                    namespace,
                    labels: manifest.labels,
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

impl GenerateDashboard {
    /// Several services get one dashboard each, so `--output` is then a directory.
    fn new(args: GenerateDashboardArgs, specs: &[Spec]) -> Result<Self, Error> {
        // The loader merges a service's documents unless they are Kubernetes objects with
        // different metadata, whose dashboards would overwrite each other.
        for (i, spec) in specs.iter().enumerate() {
            if let Some(other) = specs[..i].iter().find(|s| s.service == spec.service) {
                return Err(Error::Usage(format!(
                    "service `{}` comes from Kubernetes objects with different metadata ({} and \
                     {}), and a service has one dashboard: generate them one at a time",
                    spec.service, other.source, spec.source
                )));
            }
        }
        if specs.len() > 1 && args.output == std::path::Path::new("-") {
            return Err(Error::Usage(format!(
                "the specs hold {} services ({}), one dashboard each: give --output a directory \
                 to write them in",
                specs.len(),
                services(specs)
            )));
        }
        Ok(GenerateDashboard {
            label_style: args.label_style,
            path: args.output,
            provisioning: args.provisioning,
            prometheus_url: args.prometheus_url,
        })
    }
}

/// The namespace of a PrometheusRule when neither the flags nor the spec name one.
const DEFAULT_NAMESPACE: &str = "monitoring";

/// The files the specs were read from, each once, for a message.
fn sources(specs: &[Spec]) -> String {
    let mut sources: Vec<&str> = Vec::new();
    for spec in specs {
        if !sources.contains(&spec.source.as_str()) {
            sources.push(&spec.source);
        }
    }
    sources.join(", ")
}

/// `a, b`: the services of the specs, for a message.
fn services(specs: &[Spec]) -> String {
    let names: Vec<&str> = specs.iter().map(|s| s.service.as_str()).collect();
    names.join(", ")
}

/// `pct` when it is a percentage, 0 to 100.
fn percentage(pct: f64) -> Option<f64> {
    (0.0..=100.0).contains(&pct).then_some(pct)
}

/// Now, in whole Unix seconds: the default evaluation instant.
pub(crate) fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs() as f64)
}

/// Whether the locale (`LC_ALL`, else `LC_CTYPE`, else `LANG`) is UTF-8.
fn utf8_locale() -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .is_some_and(|locale| {
            let locale = locale.to_ascii_lowercase();
            locale.contains("utf-8") || locale.contains("utf8")
        })
}

/// The names of the SLOs to evaluate, in spec order; `names` empty means all.
fn select(specs: &[Spec], names: &[String]) -> Result<Vec<String>, Error> {
    let mut known: Vec<&str> = Vec::new();
    for slo in specs.iter().flat_map(|spec| &spec.slos) {
        if !known.contains(&slo.name.as_str()) {
            known.push(&slo.name);
        }
    }
    for name in names {
        if !known.contains(&name.as_str()) {
            let hint = match crate::spec::did_you_mean(name, &known) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("the spec defines: {}", known.join(", ")),
            };
            return Err(Error::Usage(format!(
                "--slo: no SLO named `{name}` in {}; {hint}",
                sources(specs)
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
            &[crate::spec::parse(SPEC, "test.yaml").unwrap()],
            false,
        )
    }

    #[test]
    fn color_follows_the_flag_then_no_color_then_clicolor_force_then_the_terminal() {
        use ColorChoice::{Always, Auto, Never};
        assert!(color(Always, true, false, false));
        assert!(!color(Never, false, true, true));
        assert!(
            !color(Auto, true, true, true),
            "NO_COLOR wins over CLICOLOR_FORCE"
        );
        assert!(
            color(Auto, false, true, false),
            "CLICOLOR_FORCE colours a pipe"
        );
        assert!(color(Auto, false, false, true));
        assert!(!color(Auto, false, false, false));
    }

    fn report(flags: &[&str]) -> Result<Report, Error> {
        let argv = ["slo", "report"].iter().chain(flags);
        let args = match Cli::try_parse_from(argv).unwrap().command {
            Command::Report(args) => args,
            _ => unreachable!(),
        };
        let terminal = Terminal {
            color: false,
            progress: true,
            warnings: true,
            interactive: true,
        };
        Report::new(
            &args,
            &[crate::spec::parse(SPEC, "test.yaml").unwrap()],
            terminal,
        )
    }

    #[test]
    fn watch_takes_a_table_at_the_current_time() {
        let watched = report(&["--watch"]).ok().unwrap();
        assert_eq!(watched.watch.map(|w| w.secs()), Some(30));
        assert!(
            !watched.evaluation.progress,
            "the live view shows its own progress"
        );
        assert_eq!(
            report(&["--watch", "5s"])
                .ok()
                .unwrap()
                .watch
                .map(|w| w.secs()),
            Some(5)
        );
        for flags in [
            &["--watch", "--format", "json"][..],
            &["--watch=10s", "--at", "0"],
        ] {
            match report(flags) {
                Err(Error::Usage(message)) => assert!(message.contains("--watch"), "{message}"),
                _ => panic!("{flags:?} accepted"),
            }
        }
        assert!(Cli::try_parse_from(["slo", "report", "--watch", "4s"]).is_err());
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
        let specs = [crate::spec::parse(SPEC, "test.yaml").unwrap()];
        assert_eq!(select(&specs, &[]).unwrap(), ["availability"]);
        let err = select(&specs, &["availabilty".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `availability`?"), "{err}");
    }
}

#[cfg(test)]
mod validate_tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    fn online(flags: &[&str]) -> bool {
        let argv = ["slo", "validate"].iter().chain(flags);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Validate(args) => args.online.is_some(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn validate_goes_online_only_when_asked() {
        assert!(!online(&[]));
        assert!(online(&["--prometheus-url", "http://p:9090"]));
    }
}
