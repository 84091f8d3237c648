//! The report as a terminal table.

use comfy_table::{Cell, CellAlignment, Color, Table, presets};

use crate::report::{Report, Status};

use super::{HEADINGS, cells, sparkline};

/// One line per SLO (per group for grouped SLOs); empty when no SLO could be evaluated.
/// With `--history`, a last column shows each row's budget as a sparkline. Borders and
/// sparkline are Unicode, or ASCII when the terminal is not UTF-8 (`unicode` false).
pub fn render(report: &Report, color: bool, unicode: bool) -> String {
    let rows: Vec<_> = report.rows().collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut table = Table::new();
    if unicode {
        table.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners());
    } else {
        table.load_style(presets::ASCII_FULL_CONDENSED);
    }
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    let with_history = rows.iter().any(|r| r.history.is_some());
    let mut headings = HEADINGS.to_vec();
    if with_history {
        headings.push("History");
    }
    table.set_header(headings);
    for row in rows {
        let mut cells = cells(row).map(Cell::new).to_vec();
        if color {
            cells[7] = Cell::new(row.status.as_str()).fg(status_color(row.status));
        }
        if let Some(points) = row.history.as_ref().filter(|_| with_history) {
            cells.push(Cell::new(sparkline::render(points, unicode)));
        }
        table.add_row(cells);
    }
    for numeric in [2, 4, 5, 6] {
        if let Some(column) = table.column_mut(numeric) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    format!("{table}\n")
}

/// Shared with the live view.
pub(super) fn status_color(status: Status) -> Color {
    match status {
        Status::Ok => Color::Green,
        Status::AtRisk => Color::Yellow,
        Status::Exhausted => Color::Red,
        Status::NoData => Color::DarkGrey,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn colours_only_when_asked_and_prints_nothing_without_rows() {
        let report = crate::output::report::tests::report();
        let plain = super::render(&report, false, true);
        assert!(plain.contains("by-handler handler=/a|b") && plain.contains("no_data"));
        assert!(!plain.contains('\u{1b}'), "{plain}");
        assert!(super::render(&report, true, true).contains('\u{1b}'));
        let mut failed = report;
        failed.slos.remove(0);
        assert_eq!(super::render(&failed, false, true), "");
    }
}
