//! `slo check --format github`: GitHub Actions workflow commands, so that failures show as
//! annotations on the run, and the verdict for `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write;

use crate::gate::{GateResult, Unevaluated, Verdict};
use crate::output::check::phrases::{details, row_line, row_name, summary, verdict_word};
use crate::output::report::markdown;
use crate::report::Report;
use crate::sanitize::visible;

/// `::error` for each row that failed or could not be evaluated, `::warning` for each that
/// passed only because no data was allowed, a plain line for the rest, then the summary.
pub fn render(gate: &GateResult) -> String {
    let mut out = String::new();
    for row in &gate.rows {
        let name = row_name(row);
        let annotation = match (row.verdict, &row.unevaluated) {
            (Verdict::Fail, _) => Some(("error", format!("SLO {name} failed"))),
            (Verdict::Error, _) => Some(("error", format!("SLO {name} could not be evaluated"))),
            (
                Verdict::Pass,
                Some(Unevaluated::NoData { .. } | Unevaluated::NoBurnRateData { .. }),
            ) => Some(("warning", format!("SLO {name} passed without data"))),
            (Verdict::Pass, _) => None,
        };
        let _ = match annotation {
            Some((command, title)) => {
                writeln!(out, "{}", workflow_command(command, &title, &details(row)))
            }
            None => writeln!(out, "{}", row_line(row)),
        };
    }
    let _ = writeln!(out, "{}", summary(gate));
    out
}

/// For `$GITHUB_STEP_SUMMARY`: the verdict and every row, as Markdown, then the report's
/// Markdown.
pub fn step_summary(gate: &GateResult, report: &Report) -> String {
    let mut out = format!("## slo check: {}\n\n", markdown::escape(&summary(gate)));
    for row in &gate.rows {
        let _ = writeln!(
            out,
            "- **{}** {}: {}",
            verdict_word(row.verdict),
            markdown::code(&row_name(row)),
            markdown::escape(&details(row))
        );
    }
    out.push('\n');
    out.push_str(&markdown::render(report));
    out
}

/// `::COMMAND title=TITLE::MESSAGE` on one line: both shown [visibly](crate::sanitize), so
/// no line break inside them can start a forged command, then escaped as the runner reads
/// them.
fn workflow_command(command: &str, title: &str, message: &str) -> String {
    format!(
        "::{command} title={}::{}",
        escape_property(&visible(title)),
        escape_data(&visible(message))
    )
}

/// A command's message: `%`, CR and LF would end or corrupt the command.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A command property's value: also `:` and `,`, which delimit properties.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::check::tests::sample;

    #[test]
    fn failures_and_errors_become_error_annotations_one_line_each() {
        let out = render(&sample());
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 5, "{out}");
        assert!(lines[0].starts_with("PASS  availability: "));
        assert_eq!(
            lines[1],
            "::error title=SLO by-handler{handler=\"/a<b>&\\\"c\\\"\"} failed::budget remaining \
             40%25 < min 50%25, burn rate 1h 20 > max 14.4"
        );
        // `%`, and in the title `:` and `,`, are escaped; a line break is shown as `\n`.
        assert_eq!(
            lines[2],
            "::error title=SLO latency could not be evaluated::could not be evaluated: SLO \
             latency: 100%25 broken:\\nline two, with commas (query: up)"
        );
        assert!(lines[3].starts_with("::error title=SLO quiet could not be evaluated::no data"));
        assert!(lines[4].starts_with("FAIL (exit 1)"));
    }

    #[test]
    fn no_line_break_or_escape_sequence_in_outside_text_starts_a_command() {
        let command = workflow_command(
            "error",
            "SLO x{h=\"\r\n::stop-commands::t\"}",
            "boom\n::error::forged\u{1b}]52;c;eA==\u{7}",
        );
        assert_eq!(command.lines().count(), 1, "{command}");
        assert!(!command.contains(['\u{1b}', '\u{7}', '\r']), "{command}");
        assert!(command.ends_with("::boom\\n::error::forged\\x1b]52;c;eA==\\x07"));
    }

    #[test]
    fn properties_escape_their_delimiters() {
        assert_eq!(escape_property("a:b,c%d\r\ne"), "a%3Ab%2Cc%25d%0D%0Ae");
        assert_eq!(escape_data("a:b,c%d\r\ne"), "a:b,c%25d%0D%0Ae");
    }

    #[test]
    fn the_step_summary_lists_every_row_under_the_verdict() {
        let md = step_summary(&sample(), &crate::output::report::tests::report());
        assert!(
            md.starts_with("## slo check: FAIL (exit 1): 4 checked"),
            "{md}"
        );
        assert_eq!(md.lines().filter(|l| l.starts_with("- **")).count(), 4);
        assert!(md.contains("- **FAIL** `by-handler{handler=\"/a<b>&\\\"c\\\"\"}`: "));
        assert!(md.contains("\\<"), "markdown-escaped text: {md}");
    }
}
