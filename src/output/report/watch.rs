//! What `slo report --watch` draws: the latest good numbers of each SLO, how each burn rate
//! and remaining budget moved since the previous round, rows whose status got worse, and the
//! errors of the last round. Pure: [`crate::watch`] feeds it reports and puts it on screen.

use comfy_table::{Attribute, Cell, CellAlignment, Color, Table, presets};

use crate::model::{BURN_RATE_WINDOWS, Window};
use crate::report::{Report, SloStatus, Status};
use crate::sanitize::Visible;

use super::{UNKNOWN, percent, slo_title, table::status_color};

/// At most this many error lines under the table; an unreachable server fails every SLO
/// with the same words.
const SHOWN_ERRORS: usize = 5;

/// The live view's state across rounds.
#[derive(Debug, Default)]
pub struct View {
    slos: Vec<Shown>,
    /// The last round's errors and warnings, as `error: ...` and `warning: ...` lines.
    messages: Vec<String>,
    evaluated_at: Option<f64>,
    rounds: u64,
}

/// One SLO's rows as last measured, and the rows of the round before, for the deltas.
#[derive(Debug, Clone)]
struct Shown {
    slo: String,
    rows: Vec<SloStatus>,
    previous: Vec<SloStatus>,
    /// The last round could not evaluate it: `rows` are older numbers.
    stale: bool,
}

/// What the loop is doing, shown in the heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    Evaluating,
    Waiting,
}

impl View {
    /// Takes a round's report: evaluated SLOs replace their rows, the others keep their last
    /// good rows, marked stale.
    pub fn update(&mut self, report: &Report) {
        let before = std::mem::take(&mut self.slos);
        self.slos = report
            .slos
            .iter()
            .filter_map(|evaluation| {
                let old = before.iter().find(|s| s.slo == evaluation.slo);
                match &evaluation.outcome {
                    Ok(rows) => Some(Shown {
                        slo: evaluation.slo.clone(),
                        rows: rows.clone(),
                        previous: old.map(|o| o.rows.clone()).unwrap_or_default(),
                        stale: false,
                    }),
                    Err(_) => old.map(|o| Shown {
                        stale: true,
                        ..o.clone()
                    }),
                }
            })
            .collect();
        self.messages = report
            .errors()
            .map(|e| format!("error: {e}"))
            .chain(report.warnings.iter().map(|w| format!("warning: {w}")))
            .collect();
        self.evaluated_at = Some(report.evaluated_at);
        self.rounds += 1;
    }

    /// A round that produced no report at all: every row is kept, stale.
    pub fn fail(&mut self, message: &str) {
        for shown in &mut self.slos {
            shown.stale = true;
        }
        self.messages = vec![format!("error: {message}")];
        self.rounds += 1;
    }

    /// The whole screen, lines ending in `\n`.
    pub fn render(&self, interval: Window, activity: Activity, color: bool) -> String {
        let evaluated = self
            .evaluated_at
            .map_or("not yet".to_string(), crate::timestamp::format);
        let doing = match activity {
            Activity::Evaluating => "evaluating…".to_string(),
            Activity::Waiting => format!("every {interval}"),
        };
        let mut screen = format!(
            "slo report --watch · round {} · evaluated at {evaluated} · {doing} · q or Ctrl-C quits\n\n",
            self.rounds
        );
        if self.slos.iter().any(|s| s.stale) {
            screen
                .push_str("stale: rows marked stale keep the numbers of their last good round\n\n");
        }
        if !self.slos.is_empty() {
            screen.push_str(&format!("{}\n", self.table(color)));
        }
        for message in self.messages.iter().take(SHOWN_ERRORS) {
            screen.push_str(&format!("{}\n", Visible(message)));
        }
        if self.messages.len() > SHOWN_ERRORS {
            screen.push_str(&format!(
                "… and {} more\n",
                self.messages.len() - SHOWN_ERRORS
            ));
        }
        screen
    }

    fn table(&self, color: bool) -> Table {
        let mut table = Table::new();
        table.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners());
        if color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        let burn_headings = BURN_RATE_WINDOWS.map(|w| format!("Burn {w}"));
        table.set_header(
            ["SLO", "Status", "SLI", "Budget remaining"]
                .into_iter()
                .map(str::to_string)
                .chain(burn_headings),
        );
        for shown in &self.slos {
            for row in &shown.rows {
                let previous = (!shown.stale)
                    .then(|| shown.previous.iter().find(|p| p.labels == row.labels))
                    .flatten();
                table.add_row(cells(row, previous, shown.stale, color));
            }
        }
        for numeric in 2..4 + BURN_RATE_WINDOWS.len() {
            if let Some(column) = table.column_mut(numeric) {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        table
    }
}

/// One row: each number with its change since `previous`, the status with what it was when
/// it got worse (so the words carry it without colour).
fn cells(row: &SloStatus, previous: Option<&SloStatus>, stale: bool, color: bool) -> Vec<Cell> {
    let worse_than = previous
        .map(|p| p.status)
        .filter(|&before| severity(row.status) > severity(before));
    let status = match (stale, worse_than) {
        (true, _) => format!("{} (stale)", row.status.as_str()),
        (false, Some(before)) => format!("{} (was {})", row.status.as_str(), before.as_str()),
        (false, None) => row.status.as_str().to_string(),
    };
    let budget = with_delta(
        percent(row.budget_remaining, 1),
        row.budget_remaining,
        previous.and_then(|p| p.budget_remaining),
        |d| format!("{:+.1}", d * 100.0),
    );
    let burns = BURN_RATE_WINDOWS.map(|w| {
        let now = burn_rate(row, w);
        let text = now.map_or(UNKNOWN.to_string(), |b| format!("{b:.2}"));
        with_delta(text, now, previous.and_then(|p| burn_rate(p, w)), |d| {
            format!("{d:+.2}")
        })
    });
    let texts = [slo_title(row), status, percent(row.sli, 3), budget]
        .into_iter()
        .chain(burns);
    let mut cells: Vec<Cell> = texts.map(Cell::new).collect();
    if color {
        cells[1] = cells[1].clone().fg(status_color(row.status));
        if worse_than.is_some() {
            cells = cells
                .into_iter()
                .map(|c| c.add_attribute(Attribute::Bold).bg(Color::DarkRed))
                .collect();
        } else if stale {
            cells = cells
                .into_iter()
                .map(|c| c.add_attribute(Attribute::Dim))
                .collect();
        }
    }
    cells
}

fn burn_rate(row: &SloStatus, window: Window) -> Option<f64> {
    row.burn_rates.get(&window).copied().flatten()
}

/// `text (+delta)` when both values are known and the change shows at `signed`'s precision:
/// an unchanged number stays bare, so the changes stand out.
fn with_delta(
    text: String,
    now: Option<f64>,
    before: Option<f64>,
    signed: impl Fn(f64) -> String,
) -> String {
    let Some(change) = now.zip(before).map(|(now, before)| signed(now - before)) else {
        return text;
    };
    let unchanged = change
        .trim_start_matches(['+', '-'])
        .chars()
        .all(|c| c == '0' || c == '.');
    if unchanged {
        text
    } else {
        format!("{text} ({change})")
    }
}

/// How bad a status is, for "got worse": no data is worse than ok (a dead exporter looks
/// like it), better than a budget at risk.
fn severity(status: Status) -> u8 {
    match status {
        Status::Ok => 0,
        Status::NoData => 1,
        Status::AtRisk => 2,
        Status::Exhausted => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::{Activity, View};
    use crate::model::Window;
    use crate::report::{Report, Status};

    fn report_with(at: f64, budget: f64, burn_1h: f64, status: Status) -> Report {
        let mut report = crate::output::report::tests::report();
        report.evaluated_at = at;
        let row = match &mut report.slos[0].outcome {
            Ok(rows) => &mut rows[0],
            Err(_) => unreachable!(),
        };
        row.budget_remaining = Some(budget);
        row.burn_rates
            .insert(Window::from_secs(3600), Some(burn_1h));
        row.status = status;
        report
    }

    fn screen(view: &View) -> String {
        view.render(Window::from_secs(5), Activity::Waiting, false)
    }

    #[test]
    fn deltas_and_a_worse_status_show_after_the_second_round() {
        let mut view = View::default();
        view.update(&report_with(1_800_000_000.0, 0.5, 1.0, Status::Ok));
        let first = screen(&view);
        assert!(
            first.contains("2027-01-15T08:00:00Z") && first.contains("50.0%"),
            "{first}"
        );
        assert!(!first.contains("(+") && !first.contains("(-"), "{first}");
        view.update(&report_with(1_800_000_005.0, 0.2, 3.5, Status::AtRisk));
        let second = screen(&view);
        assert!(second.contains("2027-01-15T08:00:05Z"), "{second}");
        assert!(second.contains("20.0% (-30.0)"), "{second}");
        assert!(second.contains("3.50 (+2.50)"), "{second}");
        assert!(second.contains("at_risk (was ok)"), "{second}");
        assert!(!second.contains('\u{1b}'), "{second}");
        view.update(&report_with(1_800_000_010.0, 0.2, 3.5, Status::AtRisk));
        let unchanged = screen(&view);
        assert!(
            unchanged.contains("20.0% ") && !unchanged.contains("(+"),
            "{unchanged}"
        );
        assert!(!unchanged.contains("(was"), "{unchanged}");
        assert!(
            view.render(Window::from_secs(5), Activity::Waiting, true)
                .contains('\u{1b}')
        );
    }

    #[test]
    fn a_failed_round_keeps_the_last_numbers_marked_stale_with_the_error() {
        let mut view = View::default();
        view.update(&report_with(1_800_000_000.0, 0.5, 1.0, Status::Ok));
        let mut failed = report_with(1_800_000_005.0, 0.1, 9.0, Status::Ok);
        failed.slos[0].outcome = Err(match &failed.slos[1].outcome {
            Err(e) => e.clone(),
            Ok(_) => unreachable!(),
        });
        view.update(&failed);
        let text = screen(&view);
        assert!(
            text.contains("ok (stale)") && text.contains("50.0%"),
            "{text}"
        );
        assert!(text.contains("error: SLO latency: unreachable"), "{text}");
        view.fail("cannot start the async runtime");
        assert!(screen(&view).contains("error: cannot start the async runtime"));
    }
}
