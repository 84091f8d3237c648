//! Calendar compliance periods (`window: week|month|quarter`): where the period holding an
//! instant starts and ends in the SLO's time zone, and what `report` measures over it.
//!
//! Pure functions of the instant; the IANA database is read by jiff when the spec is read.

use jiff::civil::Date;
use jiff::{Span, Timestamp, ZonedDateTime};

use crate::model::{Calendar, Period, Slo, Window};

/// Which period of a calendar SLO `report` and `check` evaluate (`--period`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeriodChoice {
    /// From the start of the period holding the instant to the instant.
    #[default]
    Current,
    /// The whole period before the one holding the instant.
    Previous,
}

/// One calendar period, as Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeriodSpan {
    pub period: Period,
    pub start: f64,
    pub end: f64,
}

impl PeriodSpan {
    /// The period holding `at` (its start included, its end not).
    pub fn holding(calendar: &Calendar, at: f64) -> Result<PeriodSpan, String> {
        let zoned = timestamp(at)?.to_zoned_datetime(calendar.timezone.clone());
        let first_day = first_day(calendar.period, zoned.date())?;
        span(calendar, first_day)
    }
    /// The whole period before the one holding `at`.
    pub fn before(calendar: &Calendar, at: f64) -> Result<PeriodSpan, String> {
        let current = Self::holding(calendar, at)?;
        let zoned = timestamp(current.start)?.to_zoned_datetime(calendar.timezone.clone());
        let first_day = zoned
            .date()
            .checked_sub(length(calendar.period))
            .map_err(out_of_range)?;
        span(calendar, first_day)
    }
    pub fn seconds(&self) -> f64 {
        self.end - self.start
    }
    /// The fraction of the period that has gone by at `at`, 0 to 1.
    pub fn elapsed(&self, at: f64) -> f64 {
        ((at - self.start) / self.seconds()).clamp(0.0, 1.0)
    }
    /// `month (Nov)`, `quarter (Q4)`, `week (W48)`: the period as a table shows it.
    pub fn title(&self, calendar: &Calendar) -> String {
        let first = timestamp(self.start)
            .map(|t| t.to_zoned_datetime(calendar.timezone.clone()))
            .ok();
        let which = first.map(|z| match self.period {
            Period::Week => format!("W{:02}", z.date().iso_week_date().week()),
            Period::Month => z.strftime("%b").to_string(),
            Period::Quarter => format!("Q{}", (z.month() - 1) / 3 + 1),
        });
        match which {
            Some(which) => format!("{} ({which})", self.period.name()),
            None => self.period.name().to_string(),
        }
    }
}

/// Where a calendar SLO stands in its period.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodStatus {
    pub span: PeriodSpan,
    /// `month (Nov)`.
    pub title: String,
    /// The IANA name of the time zone the period follows.
    pub timezone: String,
    /// The fraction of the period gone by at the evaluation instant.
    pub elapsed: f64,
    /// The budget left at the period's end if the rest of it burns at the period-to-date
    /// rate: `1 - burn rate`, as the burn rate of a whole period is its share of the budget
    /// spent. `None` without data.
    pub projected_budget_remaining: Option<f64>,
}

impl PeriodStatus {
    /// `budget_remaining` is over the period up to `at`: `1 - burn rate` so far.
    pub fn new(
        calendar: &Calendar,
        span: PeriodSpan,
        at: f64,
        budget_remaining: Option<f64>,
    ) -> PeriodStatus {
        PeriodStatus {
            span,
            title: span.title(calendar),
            timezone: calendar.timezone_name().to_string(),
            elapsed: span.elapsed(at),
            // The same burn rate over the whole period spends the same share of its budget.
            projected_budget_remaining: budget_remaining,
        }
    }
}

/// When an SLO is evaluated and over which range its compliance window is measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// The evaluation instant, Unix seconds: `--at`, or the previous period's end.
    pub at: f64,
    /// The range of the compliance-window queries: the rolling window, or the part of the
    /// period up to `at`.
    pub range: Window,
    /// The period, for a calendar SLO.
    pub period: Option<PeriodSpan>,
}

impl Timing {
    /// A rolling SLO is evaluated at `at` over its window whatever `choice` is (settings
    /// refuse `--period previous` for one).
    pub fn new(slo: &Slo, at: f64, choice: PeriodChoice) -> Result<Timing, String> {
        let Some(calendar) = &slo.calendar else {
            return Ok(Timing {
                at,
                range: slo.window,
                period: None,
            });
        };
        let period = match choice {
            PeriodChoice::Current => PeriodSpan::holding(calendar, at)?,
            PeriodChoice::Previous => PeriodSpan::before(calendar, at)?,
        };
        let at = at.min(period.end);
        // Prometheus refuses an empty range; at the very start of a period the range is
        // a millisecond, which holds no events.
        let millis = ((at - period.start) * 1000.0).round().max(1.0) as u64;
        Ok(Timing {
            at,
            range: Window::from_millis(millis),
            period: Some(period),
        })
    }
}

fn timestamp(secs: f64) -> Result<Timestamp, String> {
    Timestamp::from_millisecond((secs * 1000.0).round() as i64).map_err(out_of_range)
}

fn out_of_range(err: jiff::Error) -> String {
    format!("the calendar period is out of the supported range: {err}")
}

fn first_day(period: Period, date: Date) -> Result<Date, String> {
    let first = match period {
        Period::Week => date.checked_sub(Span::new().days(date.weekday().to_monday_zero_offset())),
        Period::Month => Ok(date.first_of_month()),
        Period::Quarter => Date::new(date.year(), (date.month() - 1) / 3 * 3 + 1, 1),
    };
    first.map_err(out_of_range)
}

fn length(period: Period) -> Span {
    match period {
        Period::Week => Span::new().weeks(1),
        Period::Month => Span::new().months(1),
        Period::Quarter => Span::new().months(3),
    }
}

/// From midnight of `first_day` (or the first instant after it, should a DST change skip
/// midnight) to the same of the next period's first day.
fn span(calendar: &Calendar, first_day: Date) -> Result<PeriodSpan, String> {
    let midnight = |day: Date| -> Result<f64, String> {
        let zoned: ZonedDateTime = day
            .to_zoned_datetime(calendar.timezone.clone())
            .map_err(out_of_range)?;
        Ok(zoned.timestamp().as_millisecond() as f64 / 1000.0)
    };
    let next = first_day
        .checked_add(length(calendar.period))
        .map_err(out_of_range)?;
    Ok(PeriodSpan {
        period: calendar.period,
        start: midnight(first_day)?,
        end: midnight(next)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar(period: Period, tz: &str) -> Calendar {
        Calendar {
            period,
            timezone: jiff::tz::TimeZone::get(tz).unwrap(),
        }
    }
    fn secs(rfc3339: &str) -> f64 {
        crate::timestamp::parse(rfc3339).unwrap()
    }
    fn text(secs: f64) -> String {
        crate::timestamp::format(secs)
    }

    #[test]
    fn a_berlin_month_starts_at_local_midnight_following_dst() {
        let berlin = calendar(Period::Month, "Europe/Berlin");
        let nov = PeriodSpan::holding(&berlin, secs("2026-11-15T12:00:00Z")).unwrap();
        assert_eq!(text(nov.start), "2026-10-31T23:00:00Z");
        assert_eq!(text(nov.end), "2026-11-30T23:00:00Z");
        let jul = PeriodSpan::holding(&berlin, secs("2026-07-01T00:30:00Z")).unwrap();
        assert_eq!(text(jul.start), "2026-06-30T22:00:00Z");
        // 23:30 UTC on 31 October is already November in Berlin.
        let edge = PeriodSpan::holding(&berlin, secs("2026-10-31T23:30:00Z")).unwrap();
        assert_eq!(edge, nov);
        assert_eq!(nov.title(&berlin), "month (Nov)");
    }

    #[test]
    fn weeks_quarters_and_previous_periods() {
        let week = calendar(Period::Week, "UTC");
        // 2026-12-03 is a Thursday of ISO week 49.
        let w = PeriodSpan::holding(&week, secs("2026-12-03T10:00:00Z")).unwrap();
        assert_eq!(
            (text(w.start), text(w.end)),
            ("2026-11-30T00:00:00Z".into(), "2026-12-07T00:00:00Z".into())
        );
        assert_eq!(w.title(&week), "week (W49)");
        let quarter = calendar(Period::Quarter, "UTC");
        let q = PeriodSpan::before(&quarter, secs("2026-11-15T00:00:00Z")).unwrap();
        assert_eq!(
            (text(q.start), text(q.end)),
            ("2026-07-01T00:00:00Z".into(), "2026-10-01T00:00:00Z".into())
        );
        assert_eq!(q.title(&quarter), "quarter (Q3)");
        let month = calendar(Period::Month, "UTC");
        let feb = PeriodSpan::before(&month, secs("2028-03-01T00:00:00Z")).unwrap();
        assert_eq!(feb.seconds(), 29.0 * 86_400.0);
    }

    #[test]
    fn the_range_runs_from_the_period_start_to_the_instant() {
        let spec = crate::spec::parse(
            "version: 1\nservice: s\nslos:\n  - name: a\n    objective: 99\n    window: month\n    \
             sli: {raw: {error_ratio: 'sum(rate(e[{{window}}]))'}}\n",
            "test.yaml",
        )
        .unwrap();
        let slo = &spec.slos[0];
        let at = secs("2026-11-03T06:00:00Z");
        let current = Timing::new(slo, at, PeriodChoice::Current).unwrap();
        assert_eq!(current.range.to_string(), "2d6h");
        assert_eq!(current.at, at);
        let previous = Timing::new(slo, at, PeriodChoice::Previous).unwrap();
        assert_eq!(previous.range.to_string(), "31d");
        assert_eq!(text(previous.at), "2026-11-01T00:00:00Z");
        assert_eq!(previous.period.unwrap().elapsed(previous.at), 1.0);
    }
}
