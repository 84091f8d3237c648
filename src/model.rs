//! The validated SLO model: what every command after `spec` works from.
//!
//! Values here are already checked; nothing downstream re-validates them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

/// Prometheus label name to value; sorted so every output is deterministic.
pub type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// Where the spec was read from, as given (`slo.yaml`, or `<stdin>`).
    pub source: String,
    pub service: String,
    pub slos: Vec<Slo>,
    /// The Kubernetes object the spec came from (a Sloth `PrometheusServiceLevel`), whose
    /// name, namespace and labels a generated PrometheusRule keeps.
    pub manifest: Option<Manifest>,
}

impl Spec {
    /// A spec of no SLOs yet, read from `source`.
    pub fn new(source: &str) -> Self {
        Spec {
            source: source.to_string(),
            service: String::new(),
            slos: Vec::new(),
            manifest: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Manifest {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub labels: Labels,
}

/// The compliance window of an SLO whose spec names none, unless `--default-window` says.
pub const DEFAULT_WINDOW: Window = Window::from_secs(30 * 86_400);

#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    pub name: String,
    pub description: Option<String>,
    pub objective: Objective,
    /// The rolling compliance window; for a calendar SLO, its period's nominal length (7d,
    /// 30d, 90d), which alert factors and the rules' window-long ratio use.
    pub window: Window,
    /// For `window: week|month|quarter`: the budget resets at the start of each period.
    pub calendar: Option<Calendar>,
    /// Top-level labels with the SLO's own merged over them.
    pub labels: Labels,
    pub sli: Sli,
    pub alerting: Alerting,
    /// The spec's `gate:` section with the SLO's own merged over it.
    pub gate: GatePolicy,
}

impl Slo {
    /// What the budget is counted over, for people: `30d`, or `each month (Europe/Berlin)`.
    pub fn compliance_text(&self) -> String {
        match &self.calendar {
            Some(c) => format!("each {} ({})", c.period.name(), c.timezone_name()),
            None => self.window.to_string(),
        }
    }
}

/// The objective as a percentage, e.g. 99.5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    percent: f64,
}

impl Objective {
    /// `percent` must be in (0, 100); the spec layer guarantees it.
    pub fn from_percent(percent: f64) -> Self {
        Self { percent }
    }
    pub fn percent(self) -> f64 {
        self.percent
    }
    /// The objective as a fraction, e.g. 0.995.
    pub fn ratio(self) -> f64 {
        tidy(self.percent / 100.0)
    }
    /// The allowed error ratio, e.g. 0.005.
    pub fn error_budget(self) -> f64 {
        tidy((100.0 - self.percent) / 100.0)
    }
}

/// Rounds to 10 significant digits, which drops binary floating-point noise (0.9990000000000001 -> 0.999) so that numbers
/// written into rules, dashboards and JSON are the ones a person wrote.
pub fn tidy(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    format!("{x:.9e}").parse().unwrap_or(x)
}

/// A time window such as a compliance window (`30d`) or a burn-rate window (`5m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window(Duration);

impl Window {
    pub const fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }
    pub const fn from_millis(millis: u64) -> Self {
        Self(Duration::from_millis(millis))
    }
    /// Parses with Prometheus' duration grammar (`30d`, `1h30m`).
    pub fn parse(text: &str) -> Result<Self, String> {
        promql_parser::util::parse_duration(text)
            .map(Self)
            .map_err(|err| {
                // The parser reports an overflow as a zero duration, which misleads when the
                // text plainly is not zero.
                if text.bytes().any(|b| matches!(b, b'1'..=b'9')) && err.contains("greater than 0")
                {
                    "too long a duration".to_string()
                } else {
                    err
                }
            })
    }
    pub fn duration(self) -> Duration {
        self.0
    }
    pub fn secs(self) -> u64 {
        self.0.as_secs()
    }
    pub fn days(self) -> f64 {
        self.0.as_secs_f64() / 86_400.0
    }
}

/// Prometheus duration text with days as the largest unit (`30d`, `7d`, `1h30m`), the form
/// used in rule names such as `slo:sli_error:ratio_rate30d`.
impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let mut rest = self.0.as_millis();
        if rest == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1000),
            ("ms", 1),
        ] {
            if rest >= size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

/// A calendar compliance period: the budget resets at its start, in `timezone`.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    pub period: Period,
    pub timezone: jiff::tz::TimeZone,
}

impl Calendar {
    /// The IANA name of the time zone (`UTC`, `Europe/Berlin`).
    pub fn timezone_name(&self) -> &str {
        self.timezone.iana_name().unwrap_or("UTC")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// ISO week: from Monday 00:00.
    Week,
    Month,
    Quarter,
}

impl Period {
    pub const ALL: [Period; 3] = [Period::Week, Period::Month, Period::Quarter];

    /// The word in the spec and in the `slo_calendar` label.
    pub fn name(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
        }
    }
    /// The length used where a fixed one is needed (alert factors, the rolling recorded
    /// ratio): 7d, 30d, 90d.
    pub fn nominal(self) -> Window {
        Window::from_secs(
            86_400
                * match self {
                    Period::Week => 7,
                    Period::Month => 30,
                    Period::Quarter => 90,
                },
        )
    }
}

/// Windows over which burn rates are reported and alerted on, besides the compliance window.
pub const BURN_RATE_WINDOWS: [Window; 5] = [
    Window::from_secs(300),
    Window::from_secs(3600),
    Window::from_secs(6 * 3600),
    Window::from_secs(86_400),
    Window::from_secs(3 * 86_400),
];

/// The windows an SLO is measured over (`slo report`'s burn rates, and what `check` can
/// hold it to): every burn-rate window and its compliance window, shortest first.
pub fn measured_windows(compliance_window: Window) -> BTreeSet<Window> {
    BURN_RATE_WINDOWS
        .into_iter()
        .chain(std::iter::once(compliance_window))
        .collect()
}

/// `5m, 1h, 6h`: windows for a message.
pub fn window_list(windows: &BTreeSet<Window>) -> String {
    windows
        .iter()
        .map(Window::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which alert of an SLO's `alerting:` a burn-rate condition belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Page,
    Ticket,
}

impl Severity {
    /// The value of the `severity` label on alerts.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        }
    }
}

/// One multiwindow burn-rate alert condition (Google SRE workbook, "Alerting on SLOs"):
/// the burn rate over `long_window` above `factor` means `budget_spent` of the whole
/// compliance window's error budget went in `long_window`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurnRateAlert {
    pub severity: Severity,
    pub long_window: Window,
    /// The window that confirms the burn is still going on, so the alert resolves soon
    /// after it stops: a twelfth of the long window.
    pub short_window: Window,
    /// Fraction of the window's error budget, e.g. 0.02.
    pub budget_spent: f64,
    /// `budget_spent × window / long_window`: 14.4, 6, 3 and 1 for a 30d window.
    pub factor: f64,
}

/// The burn-rate alert conditions for an SLO over `window`: 2% of the budget in 1h or 5% in
/// 6h pages, 10% in 1d or 3d opens a ticket.
///
/// No factor is below 1: in a short window (7d: 0.7 and 0.23 for the tickets) the workbook's
/// fractions would alert on burns that leave budget at the end of the window. At 1 the
/// condition means "on course to spend the whole budget", and `budget_spent` says what that
/// is for the window.
pub fn burn_rate_alerts(window: Window) -> [BurnRateAlert; 4] {
    let [_, h1, h6, d1, d3] = BURN_RATE_WINDOWS;
    [
        (Severity::Page, h1, 0.02),
        (Severity::Page, h6, 0.05),
        (Severity::Ticket, d1, 0.10),
        (Severity::Ticket, d3, 0.10),
    ]
    .map(|(severity, long_window, budget_spent)| {
        let windows_ratio = window.secs() as f64 / long_window.secs() as f64;
        let factor = (budget_spent * windows_ratio).max(1.0);
        BurnRateAlert {
            severity,
            long_window,
            short_window: Window::from_secs(long_window.secs() / 12),
            budget_spent: tidy(factor / windows_ratio),
            factor: tidy(factor),
        }
    })
}

#[derive(Debug, Clone, PartialEq)]
pub enum Sli {
    Ratio(RatioSli),
    Latency(LatencySli),
    Raw(RawSli),
}

impl Sli {
    /// Labels that split the SLO into one SLI per combination.
    pub fn group_by(&self) -> &[String] {
        match self {
            Sli::Ratio(r) => &r.group_by,
            Sli::Latency(l) => &l.group_by,
            Sli::Raw(_) => &[],
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            Sli::Ratio(_) => "ratio",
            Sli::Latency(_) => "latency",
            Sli::Raw(_) => "raw",
        }
    }
}

/// A counter series selector, kept as the user wrote it (the parser's Display re-sorts matchers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(pub String);

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RatioSli {
    pub events: RatioEvents,
    pub total: Selector,
    pub group_by: Vec<String>,
}

/// Which side of the ratio the spec counts besides the total.
#[derive(Debug, Clone, PartialEq)]
pub enum RatioEvents {
    Errors(Selector),
    Good(Selector),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LatencySli {
    /// Histogram base name; `_bucket` and `_count` are appended.
    pub histogram: String,
    /// Matchers with their braces, e.g. `{job="api"}`; empty when none.
    pub selector: String,
    /// Seconds; an event is good when at or under it.
    pub threshold: f64,
    pub group_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawSli {
    /// PromQL returning an error ratio, with `{{window}}` where the range goes.
    pub error_ratio: String,
}

pub const WINDOW_PLACEHOLDER: &str = "{{window}}";

impl RawSli {
    pub fn query(&self, window: Window) -> String {
        self.error_ratio
            .replace(WINDOW_PLACEHOLDER, &window.to_string())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alerting {
    /// The name of the page and ticket burn-rate alerts.
    pub name: String,
    pub page: AlertPolicy,
    pub ticket: AlertPolicy,
}

impl Default for Alerting {
    fn default() -> Self {
        Self {
            name: crate::promql::BURN_ALERT.to_string(),
            page: AlertPolicy::default(),
            ticket: AlertPolicy::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertPolicy {
    pub enabled: bool,
    pub labels: Labels,
    pub annotations: Labels,
}

impl Default for AlertPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            labels: Labels::new(),
            annotations: Labels::new(),
        }
    }
}

/// What `slo check` holds an SLO to, from the spec; command-line flags win over it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GatePolicy {
    /// Percent of the error budget that must remain, e.g. 25.
    pub min_budget_remaining: Option<f64>,
    /// Burn-rate window to the largest allowed burn rate over it.
    pub max_burn_rate: BTreeMap<Window, f64>,
}

impl GatePolicy {
    /// `self` with every rule that `over` sets replaced by `over`'s.
    pub fn merged_with(&self, over: &GatePolicy) -> GatePolicy {
        let mut max_burn_rate = self.max_burn_rate.clone();
        max_burn_rate.extend(over.max_burn_rate.iter().map(|(w, f)| (*w, *f)));
        GatePolicy {
            min_budget_remaining: over.min_budget_remaining.or(self.min_budget_remaining),
            max_burn_rate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_display_uses_days_as_largest_unit() {
        for text in ["30d", "28d", "7d", "90d", "5m", "1h30m", "3d"] {
            assert_eq!(Window::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Window::parse("1w").unwrap().to_string(), "7d");
        assert_eq!(Window::parse("120m").unwrap().to_string(), "2h");
    }

    #[test]
    fn an_overflowing_duration_is_called_too_long_not_zero() {
        assert_eq!(
            Window::parse("99999999999999999999d"),
            Err("too long a duration".to_string())
        );
        assert!(Window::parse("0d").unwrap_err().contains("greater than 0"));
    }

    #[test]
    fn burn_rate_factors_follow_from_the_window() {
        let factors = |w: &str| burn_rate_alerts(Window::parse(w).unwrap()).map(|a| a.factor);
        assert_eq!(factors("30d"), [14.4, 6.0, 3.0, 1.0]);
        assert_eq!(factors("28d"), [13.44, 5.6, 2.8, 1.0]);
        assert_eq!(factors("90d"), [43.2, 18.0, 9.0, 3.0]);
        // Never below 1: a slower burn leaves budget at the end of the window.
        assert_eq!(factors("7d"), [3.36, 1.4, 1.0, 1.0]);
        let spent = burn_rate_alerts(Window::parse("7d").unwrap()).map(|a| a.budget_spent);
        assert_eq!(spent, [0.02, 0.05, 0.1428571429, 0.4285714286]);
        let short =
            burn_rate_alerts(Window::parse("30d").unwrap()).map(|a| a.short_window.to_string());
        assert_eq!(short, ["5m", "30m", "2h", "6h"]);
    }

    #[test]
    fn measured_windows_hold_the_compliance_window_once() {
        let list = |w: &str| window_list(&measured_windows(Window::parse(w).unwrap()));
        assert_eq!(list("30d"), "5m, 1h, 6h, 1d, 3d, 30d");
        assert_eq!(list("3d"), "5m, 1h, 6h, 1d, 3d");
        assert_eq!(list("2d"), "5m, 1h, 6h, 1d, 2d, 3d");
    }

    #[test]
    fn objective_fractions_carry_no_float_noise() {
        let o = Objective::from_percent(99.9);
        assert_eq!(o.ratio().to_string(), "0.999");
        assert_eq!(o.error_budget().to_string(), "0.001");
        let o = Objective::from_percent(99.95);
        assert_eq!(o.error_budget().to_string(), "0.0005");
    }
}
