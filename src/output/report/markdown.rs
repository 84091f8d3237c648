//! The report as a Markdown table, for pull-request comments and `$GITHUB_STEP_SUMMARY`.

use crate::report::{Report, Status};
use crate::sanitize::visible;

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
                "- {}: {} (query: {})\n",
                code(&e.slo),
                escape(&e.message),
                code(&e.query)
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

/// Text as Markdown shows it literally, on one line: shown [visibly](crate::sanitize) (so no
/// line break can start a heading), then every character Markdown or GitHub's HTML reads as
/// formatting, a link, an image, an entity or a column break is backslash-escaped.
pub(crate) fn escape(text: &str) -> String {
    let text = visible(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '!' | '<' | '>' | '&' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text as an inline code span, on one line (for lists, not table cells): shown
/// [visibly](crate::sanitize) and fenced by one backtick more than its longest run of them,
/// with a space inside each fence when the text starts or ends with a backtick or space.
pub(crate) fn code(text: &str) -> String {
    let text = visible(text);
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if text.starts_with(['`', ' ']) || text.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
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
            text.contains("- `latency`: unreachable (query: `sum(x)`)"),
            "{text}"
        );
    }

    #[test]
    fn outside_text_can_forge_no_heading_image_or_html() {
        let forged = "x\r\n# slo check: PASS\n![x](http://evil.example/t.png)<img src=x>&lt;";
        let escaped = super::escape(forged);
        assert_eq!(
            escaped,
            "x\\\\r\\\\n\\# slo check: PASS\\\\n\\!\\[x\\](http://evil.example/t.png)\\<img \
             src=x\\>\\&lt;"
        );
        assert!(!escaped.contains('\n') && !escaped.contains("!["));
    }

    #[test]
    fn code_spans_hold_any_backticks_and_stay_on_one_line() {
        assert_eq!(super::code("a"), "`a`");
        assert_eq!(super::code("a``b`"), "``` a``b` ```");
        assert_eq!(super::code("x\ny"), "`x\\ny`");
    }
}
