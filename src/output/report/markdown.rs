//! The report as a Markdown table, for pull-request comments and `$GITHUB_STEP_SUMMARY`.

use crate::report::{Report, Status};

use super::{HEADINGS, cells, mermaid};

/// A heading, the table, and a list of the SLOs that could not be evaluated, if any.
pub fn render(report: &Report) -> String {
    let mut out = format!(
        "### SLO report at {}\n\n",
        crate::timestamp::format(report.evaluated_at)
    );
    let rows: Vec<_> = report.rows().collect();
    if !rows.is_empty() {
        out.push_str(&format!("| {} |\n", HEADINGS.join(" | ")));
        // Text columns left, numbers right.
        out.push_str("|:--|:--|--:|:--|--:|--:|--:|:--|\n");
        for row in rows {
            let mut cells = cells(row).map(|c| escape(&c));
            cells[7] = format!("{} {}", icon(row.status), cells[7]);
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
    // With --history: a burn-down per row that has points.
    for row in report.rows() {
        if let Some(block) = mermaid::burn_down(row) {
            out.push('\n');
            out.push_str(&block);
        }
    }
    let errors: Vec<_> = report.errors().collect();
    if !errors.is_empty() {
        out.push_str("\n**Not evaluated:**\n\n");
        for e in errors {
            out.push_str(&format!(
                "- `{}`: {} (query: ``{}``)\n",
                e.slo,
                escape(&e.message),
                e.query.replace('\n', " ")
            ));
        }
    }
    out
}

fn icon(status: Status) -> &'static str {
    match status {
        Status::Ok => "✅",
        Status::AtRisk => "⚠️",
        Status::Exhausted => "🔥",
        Status::NoData => "❔",
    }
}

/// Text as Markdown shows it literally: characters Markdown reads as formatting, HTML or
/// column breaks are backslash-escaped, and line breaks become spaces so a table cell or list
/// item stays on its line.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_stay_in_their_columns_and_failures_are_listed() {
        let text = super::render(&crate::output::report::tests::report());
        assert!(
            text.contains(
                "| api | by-handler handler=/a\\|b | 99.9% | 30d | – | – | – | ❔ no\\_data |"
            ),
            "{text}"
        );
        assert!(
            text.contains("- `latency`: unreachable (query: ``sum(x)``)"),
            "{text}"
        );
    }
}
