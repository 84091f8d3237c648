//! The command line, as clap derives it: what the user typed. [`crate::settings`] turns it
//! into the values the commands work with.

use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};
use reqwest::header::{HeaderName, HeaderValue};

use crate::interface::exit_codes_help;
use crate::model::Window;
use crate::promql::LabelStyle;
use crate::settings::flags::{self, Checked};
use crate::source::Source;

#[derive(Debug, Parser)]
#[command(
    name = "slo",
    version,
    about = "SLOs as code: validate slo.yaml, report error budgets from Prometheus, gate CI, \
             and generate Prometheus rules and Grafana dashboards",
    after_help = exit_codes_help()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Colour the output: `auto` on a terminal unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    #[arg(
        long,
        global = true,
        value_enum,
        env = "SLO_COLOR",
        default_value = "auto"
    )]
    pub color: ColorChoice,
    /// Print no progress and no warnings; errors still print.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set; CLICOLOR_FORCE colours anywhere.
    Auto,
    Always,
    Never,
}

impl Cli {
    /// The process's arguments; on a usage error clap prints it and exits 2.
    pub fn from_env() -> Cli {
        Cli::parse()
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the spec and its PromQL; print one line per SLO.
    #[command(after_help = exit_codes_help())]
    Validate(ValidateArgs),
    /// Query Prometheus and print SLI, error budget and burn rates per SLO.
    #[command(after_help = exit_codes_help())]
    Report(ReportArgs),
    /// The CI error-budget gate: exit 0 only when every selected SLO was evaluated and passed.
    ///
    /// Each SLO (each group of a grouped SLO) is held to a minimum remaining budget (0% unless
    /// set) and to any --max-burn-rate rules; flags win over the spec's `gate:` section. An SLO
    /// that cannot be evaluated, or has no data, is an ERROR, never a pass. When some SLOs
    /// fail their policy and others cannot be evaluated, the exit code is 1: a known failure
    /// is never hidden behind the retryable 3.
    #[command(after_help = exit_codes_help())]
    Check(CheckArgs),
    /// Write Prometheus recording rules and multiwindow multi-burn-rate alerts.
    #[command(after_help = exit_codes_help())]
    GenerateRules(GenerateRulesArgs),
    /// Write a Grafana dashboard (and provisioning files) for the generated rules.
    #[command(after_help = exit_codes_help())]
    GenerateDashboard(GenerateDashboardArgs),
    /// Warn about SLO designs that are valid but likely mistakes; needs no Prometheus.
    ///
    /// Warnings: an objective so high that an hour of typical traffic (assumed: one event a
    /// second) cannot hold one bad event, page and ticket alerts both disabled, a compliance
    /// window under 7 days, and a raw query with a fixed range instead of {{window}}.
    #[command(after_help = exit_codes_help())]
    Lint(LintArgs),
    /// Write the specs as slo.yaml (version 1), whatever format they are in (Sloth's, say).
    ///
    /// One YAML document per service, with a `#` comment above each thing dropped or
    /// changed. Generating rules or dashboards from the result gives what generating from
    /// the input gives; what slo.yaml cannot say is an error located in the input.
    #[command(after_help = exit_codes_help())]
    Convert(ConvertArgs),
    /// Print the JSON Schema of slo.yaml, for editors (yaml-language-server).
    #[command(after_help = exit_codes_help())]
    Schema,
    /// Print a shell completion script, e.g. `slo completions bash > /etc/bash_completion.d/slo`.
    #[command(after_help = exit_codes_help())]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `slo man > slo.1`.
    #[command(after_help = exit_codes_help())]
    Man,
}

#[derive(Debug, Clone, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Exit 1 when there is any warning.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// The spec to read (repeatable); `-` reads standard input. Each YAML document may be an
    /// slo spec (`version: 1`), a Sloth spec (`version: prometheus/v1`) or a Sloth
    /// `PrometheusServiceLevel`.
    #[arg(long, short = 'c', env = "SLO_CONFIG", default_value = "slo.yaml")]
    pub config: Vec<PathBuf>,
    /// Compliance window of SLOs whose spec gives none (Sloth specs never do): 3d to 366d.
    #[arg(long, default_value = "30d", value_parser = Checked(flags::default_window))]
    pub default_window: Window,
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Also check each SLO against a live Prometheus (any connection flag, or
    /// SLO_PROMETHEUS_URL, turns it on): its selectors match series, its latency threshold
    /// is a bucket, its group_by labels exist, its raw query returns ratios.
    #[command(flatten)]
    pub online: Option<PrometheusArgs>,
    /// With a Prometheus: check the data at this instant (RFC 3339 or Unix seconds), not now.
    #[arg(long, value_parser = Checked(flags::at))]
    pub at: Option<f64>,
}

/// How to reach Prometheus (or Mimir, Cortex, Thanos: anything serving its HTTP API).
#[derive(Debug, Clone, Args)]
pub struct PrometheusArgs {
    /// Base URL of the Prometheus HTTP API.
    #[arg(
        long,
        env = "SLO_PROMETHEUS_URL",
        // The URL may carry credentials (`https://user:password@host`); --help must not show them.
        hide_env_values = true,
        default_value = "http://localhost:9090"
    )]
    pub prometheus_url: String,
    /// Give up on a query after this long (Prometheus duration, e.g. 30s, 2m).
    #[arg(long, default_value = "30s", value_parser = Checked(flags::timeout))]
    pub timeout: Window,
    /// Queries in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Extra HTTP header, `Name: value` (repeatable), e.g. `X-Scope-OrgID: tenant-1`.
    #[arg(long = "header", value_name = "NAME: VALUE", value_parser = Checked(flags::header))]
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// File holding a bearer token.
    #[arg(long, value_name = "FILE", conflicts_with = "basic_auth_user")]
    pub bearer_token_file: Option<PathBuf>,
    /// Bearer token (prefer the environment or a file to the command line).
    #[arg(
        long,
        env = "SLO_PROMETHEUS_TOKEN",
        hide_env_values = true,
        hide = true
    )]
    // Not `conflicts_with = "basic_auth_user"`: clap counts an empty SLO_PROMETHEUS_TOKEN as
    // given, and empty means no token. Settings refuse a real token with basic auth.
    pub bearer_token: Option<String>,
    /// User name for HTTP basic auth.
    #[arg(long, env = "SLO_PROMETHEUS_USER")]
    pub basic_auth_user: Option<String>,
    /// File holding the basic-auth password.
    #[arg(long, value_name = "FILE", requires = "basic_auth_user")]
    pub basic_auth_password_file: Option<PathBuf>,
    /// Basic-auth password (prefer a file).
    #[arg(
        long,
        env = "SLO_PROMETHEUS_PASSWORD",
        hide_env_values = true,
        hide = true,
        requires = "basic_auth_user"
    )]
    pub basic_auth_password: Option<String>,
    /// PEM file of a CA certificate to trust, for a Prometheus behind a private CA.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Refuse an answer larger than this (bytes, or with KiB, MiB, GiB).
    #[arg(long, default_value = "64MiB", value_name = "SIZE", value_parser = Checked(flags::byte_size))]
    pub max_response_bytes: u64,
    /// Refuse an answer with more series than this.
    #[arg(long, default_value_t = 10_000, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_series: u32,
}

/// Which SLOs to evaluate, and when.
#[derive(Debug, Clone, Args)]
pub struct EvaluationArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub prometheus: PrometheusArgs,
    /// Evaluate at this instant (RFC 3339 or Unix seconds) instead of now.
    #[arg(long, value_parser = Checked(flags::at))]
    pub at: Option<f64>,
    /// Only this SLO (repeatable).
    #[arg(long = "slo", value_name = "NAME")]
    pub slos: Vec<String>,
    /// Status `at_risk` when less than this percentage of the error budget remains.
    #[arg(long, default_value_t = 25.0, value_name = "PCT")]
    pub warn_below: f64,
    /// Give up on every SLO not evaluated after this long overall (e.g. 2m) [default: none].
    #[arg(long, value_name = "DURATION", value_parser = Checked(flags::deadline))]
    pub deadline: Option<Window>,
    /// Make an SLO an error when Prometheus warns about an answer (e.g. a partial response).
    #[arg(long)]
    pub fail_on_warnings: bool,
    /// Calendar SLOs (`window: month`...): the period holding --at, up to it, or the whole
    /// previous period.
    #[arg(long, value_enum, default_value = "current")]
    pub period: PeriodArg,
    /// Also ask for each SLO's budget remaining across its window (a burn-down).
    #[arg(long)]
    pub history: bool,
    /// The spacing of the history's points [default: 30 to 60 points per window].
    #[arg(long, value_name = "DURATION", requires = "history", value_parser = Checked(flags::step))]
    pub step: Option<Window>,
    /// Which series to read: the raw series, those `slo generate-rules` records, or recorded
    /// where they cover the window and raw elsewhere.
    #[arg(long, value_enum, env = "SLO_SOURCE", default_value = "auto")]
    pub source: Source,
    /// With `--source rules`, report an SLO whose recorded history is younger than its window
    /// from what is recorded instead of failing it.
    #[arg(long)]
    pub allow_partial_coverage: bool,
    /// Label style of the recorded series [default: whichever the service's info series use].
    #[arg(long, value_enum)]
    pub label_style: Option<LabelStyle>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PeriodArg {
    Current,
    Previous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Markdown,
    /// One self-contained page with a burn-down chart per SLO (implies --history).
    Html,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub evaluation: EvaluationArgs,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Re-evaluate every INTERVAL (default 30s, at least 5s) and redraw the table in place,
    /// with the change since the previous round; `q` or Ctrl-C quits.
    #[arg(
        long,
        value_name = "INTERVAL",
        num_args = 0..=1,
        default_missing_value = "30s",
        value_parser = Checked(flags::watch)
    )]
    pub watch: Option<Window>,
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// One line per SLO and a summary.
    Text,
    /// GitHub Actions annotations, plus the Markdown report in $GITHUB_STEP_SUMMARY.
    Github,
    /// The report JSON with a `gate` object.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub evaluation: EvaluationArgs,
    /// Fail an SLO with less than this percentage of its error budget left [spec: gate.min_budget_remaining, else 0].
    #[arg(long, value_name = "PCT")]
    pub min_budget_remaining: Option<f64>,
    /// Fail when the burn rate over WINDOW exceeds FACTOR, e.g. `1h=14.4` (repeatable).
    #[arg(
        long = "max-burn-rate",
        value_name = "WINDOW=FACTOR",
        value_parser = Checked(flags::max_burn_rate)
    )]
    pub max_burn_rates: Vec<(Window, f64)>,
    /// Pass SLOs that have no data (no events in the compliance window, or in a window a
    /// burn-rate rule names) instead of failing them with exit 3.
    #[arg(long)]
    pub allow_no_data: bool,
    /// Also write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// A rule file for Prometheus' `rule_files:`.
    Prometheus,
    /// A prometheus-operator PrometheusRule manifest.
    PrometheusRule,
}

#[derive(Debug, Clone, Args)]
pub struct GenerateRulesArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Where to write; `-` is standard output.
    #[arg(long, short = 'o', default_value = "-")]
    pub output: PathBuf,
    #[arg(long, value_enum, default_value = "prometheus")]
    pub format: RulesFormat,
    #[arg(long, value_enum, default_value = "native")]
    pub label_style: LabelStyle,
    /// Namespace of the PrometheusRule manifest [default: the Sloth PrometheusServiceLevel's,
    /// else monitoring].
    #[arg(long)]
    pub namespace: Option<String>,
    /// Name of the PrometheusRule manifest [default: the Sloth PrometheusServiceLevel's, else
    /// <service>-slos].
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Where to write the slo.yaml; `-` is standard output.
    #[arg(long, short = 'o', default_value = "-")]
    pub output: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct GenerateDashboardArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Where to write the dashboard JSON; `-` is standard output.
    #[arg(long, short = 'o', default_value = "-")]
    pub output: PathBuf,
    /// Also write the dashboard with Grafana provisioning (dashboard provider, Prometheus
    /// datasource) into DIR; mount DIR at /etc/grafana/provisioning.
    #[arg(long, value_name = "DIR")]
    pub provisioning: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "native")]
    pub label_style: LabelStyle,
    /// URL of the provisioned Prometheus datasource.
    #[arg(long, default_value = "http://localhost:9090")]
    pub prometheus_url: String,
}

/// Kept here so that the core's [`Source`] does not depend on clap.
impl ValueEnum for Source {
    fn value_variants<'a>() -> &'a [Self] {
        &[Source::Raw, Source::Rules, Source::Auto]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Source::Raw => PossibleValue::new("raw").help("`increase()` of the raw series: exact"),
            Source::Rules => PossibleValue::new("rules")
                .help("the recorded series: a few queries whatever the number of SLOs"),
            Source::Auto => PossibleValue::new("auto")
                .help("recorded where they cover the window and are current, raw elsewhere"),
        })
    }
}

/// Kept here so that the core's [`LabelStyle`] does not depend on clap.
impl ValueEnum for LabelStyle {
    fn value_variants<'a>() -> &'a [Self] {
        &[LabelStyle::Native, LabelStyle::Sloth]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            LabelStyle::Native => PossibleValue::new("native")
                .help("`slo_service`, `slo_name`, `slo_window`, `slo_info`"),
            LabelStyle::Sloth => PossibleValue::new("sloth").help(
                "Sloth's names (`sloth_id`, `sloth_service`, `sloth_slo`, `sloth_window`, \
                 `sloth_slo_info`), so Sloth's Grafana dashboards work on these rules unchanged",
            ),
        })
    }
}
