//! `slo check`'s default output: one line per SLO row, then a summary line.

use std::fmt::Write;

use crate::gate::GateResult;
use crate::output::check::phrases::{row_line, summary};

/// One line per row, then a summary line.
pub fn render(gate: &GateResult) -> String {
    let mut out = String::new();
    for row in &gate.rows {
        let _ = writeln!(out, "{}", row_line(row));
    }
    let _ = writeln!(out, "{}", summary(gate));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::check::tests::sample;

    #[test]
    fn text_has_one_line_per_row_with_numbers_and_thresholds_then_a_summary() {
        let text = render(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert_eq!(
            lines[0],
            "PASS  availability: budget remaining 62.5% >= min 0%, burn rate 1h 0.8 <= max 14.4"
        );
        assert_eq!(
            lines[1],
            "FAIL  by-handler{handler=\"/a<b>&\\\"c\\\"\"}: budget remaining 40% < min 50%, \
             burn rate 1h 20 > max 14.4"
        );
        assert_eq!(
            lines[2],
            "ERROR latency: could not be evaluated: SLO latency: 100% broken:\\nline two, with \
             commas (query: up)"
        );
        assert_eq!(
            lines[3],
            "ERROR quiet: no data: no events in the 30d window (--allow-no-data would pass it)"
        );
        assert_eq!(
            lines[4],
            "FAIL (exit 1): 4 checked, 1 passed, 1 failed, 2 could not be evaluated"
        );
    }
}
