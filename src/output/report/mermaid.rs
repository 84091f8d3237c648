//! A budget history as a Mermaid `xychart-beta` burn-down, which GitHub renders in Markdown
//! (pull-request comments, `$GITHUB_STEP_SUMMARY`).

use std::fmt::Write as _;

use crate::report::SloStatus;

use super::slo_title;

const DAY: f64 = 86_400.0;

/// The fenced block of `row`'s history; `None` without points.
pub fn burn_down(row: &SloStatus) -> Option<String> {
    let points = row.history.as_deref().filter(|p| !p.is_empty())?;
    let (first, last) = (points[0].0, points[points.len() - 1].0);
    // Points are evenly spaced, and so are a line's values along a numeric axis.
    let (x_title, x_from, x_to) = match &row.period {
        Some(p) => (
            format!("days into {}", p.title),
            (first - p.span.start) / DAY,
            (last - p.span.start) / DAY,
        ),
        None => (
            "days before the report".to_string(),
            (first - last) / DAY,
            0.0,
        ),
    };
    let percents: Vec<f64> = points.iter().map(|p| p.1 * 100.0).collect();
    let lowest = percents.iter().copied().fold(0.0_f64, f64::min).floor();
    let values: Vec<String> = percents.iter().map(|v| format!("{v:.1}")).collect();
    let mut block = String::from("```mermaid\nxychart-beta\n");
    let _ = writeln!(
        block,
        "    title \"{}: budget remaining\"",
        text(&slo_title(row))
    );
    let _ = writeln!(
        block,
        "    x-axis \"{}\" {} --> {}",
        text(&x_title),
        round(x_from),
        round(x_to)
    );
    let _ = writeln!(
        block,
        "    y-axis \"budget remaining (%)\" {lowest} --> 100"
    );
    let _ = writeln!(block, "    line [{}]", values.join(", "));
    block.push_str("```\n");
    Some(block)
}

fn round(days: f64) -> String {
    crate::promql::number((days * 100.0).round() / 100.0)
}

/// Text inside a Mermaid string: it has no escapes, so quotes become apostrophes, and
/// backticks (which could close the fence) and control characters are dropped.
fn text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() && *c != '`')
        .map(|c| if c == '"' { '\'' } else { c })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Checks the shape of xychart-beta's grammar: the fence, the chart type, a quoted title,
    /// numeric axes `"title" min --> max` and one line of numbers.
    pub(crate) fn assert_xychart(block: &str) {
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(lines.first(), Some(&"```mermaid"), "{block}");
        assert_eq!(lines.get(1), Some(&"xychart-beta"), "{block}");
        assert_eq!(lines.last(), Some(&"```"), "{block}");
        let quoted = |rest: &str| -> String {
            let rest = rest.strip_prefix('"').expect("a quoted string");
            let end = rest.find('"').expect("a closing quote");
            rest[end + 1..].trim().to_string()
        };
        let range = |rest: &str| {
            let (from, to) = rest.split_once(" --> ").expect("min --> max");
            let (from, to): (f64, f64) = (from.parse().unwrap(), to.parse().unwrap());
            assert!(from <= to, "{rest}");
        };
        let body = &lines[2..lines.len() - 1];
        assert_eq!(body.len(), 4, "{block}");
        let title = body[0].trim().strip_prefix("title ").expect("title");
        assert_eq!(quoted(title), "");
        range(&quoted(
            body[1].trim().strip_prefix("x-axis ").expect("x-axis"),
        ));
        range(&quoted(
            body[2].trim().strip_prefix("y-axis ").expect("y-axis"),
        ));
        let line = body[3]
            .trim()
            .strip_prefix("line [")
            .and_then(|l| l.strip_suffix(']'));
        let values = line.expect("line [...]").split(", ");
        assert!(
            values.map(|v| v.parse::<f64>()).all(|v| v.is_ok()),
            "{block}"
        );
    }

    #[test]
    fn a_history_is_an_xychart_and_outside_text_cannot_break_it() {
        let report = crate::output::report::tests::report();
        let Ok(rows) = &report.slos[0].outcome else {
            unreachable!()
        };
        let mut row = rows[0].clone();
        assert_eq!(burn_down(&row), None, "no history");
        row.history = Some(vec![]);
        assert_eq!(burn_down(&row), None, "no points, no chart");
        row.labels.insert("handler".into(), "a\"b`c\n".into());
        row.history = Some(vec![(0.0, 1.0), (43_200.0, 0.5), (86_400.0, -0.25)]);
        let block = burn_down(&row).unwrap();
        assert_xychart(&block);
        // The line break shows as `\n` (sanitize::Visible in the title); backticks are dropped.
        assert!(
            block.contains("title \"by-handler handler=a'bc\\n: budget remaining\""),
            "{block}"
        );
        assert!(
            block.contains("x-axis \"days before the report\" -1 --> 0"),
            "{block}"
        );
        assert!(
            block.contains("y-axis \"budget remaining (%)\" -25 --> 100"),
            "{block}"
        );
        assert!(block.contains("line [100.0, 50.0, -25.0]"), "{block}");
    }
}
