//! `slo check --junit FILE`: JUnit XML as GitLab, Jenkins and the GitHub test reporters read
//! it: one testsuite, one testcase per SLO row, `<failure>` for FAIL, `<error>` for ERROR,
//! `<skipped>` for a row that passed only because `--allow-no-data` let it through unchecked.

use std::fmt::Write;

use crate::gate::{GateResult, Unevaluated, Verdict};
use crate::output::check::phrases::{details, failures_text, row_name, summary, unevaluated_text};

pub fn render(gate: &GateResult, service: &str, evaluated_at: f64) -> String {
    let skipped = gate
        .rows
        .iter()
        .filter(|r| is_skipped(r.verdict, r.unevaluated.as_ref()))
        .count();
    let counts = format!(
        r#"tests="{}" failures="{}" errors="{}""#,
        gate.rows.len(),
        gate.count(Verdict::Fail),
        gate.count(Verdict::Error)
    );
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, r#"<testsuites name="slo check" {counts}>"#);
    let _ = writeln!(
        out,
        r#"  <testsuite name="{}" {counts} skipped="{skipped}">"#,
        attr(&format!("slo check: {service}"))
    );
    let _ = writeln!(out, "    <properties>");
    for (name, value) in [
        // Exact: `promql::number` keeps 10 significant digits, which drops the fraction of a
        // Unix time (and digits of instants after 2286).
        ("evaluated_at", evaluated_at.to_string()),
        ("allow_no_data", gate.allow_no_data.to_string()),
        ("summary", summary(gate)),
    ] {
        let _ = writeln!(
            out,
            r#"      <property name="{name}" value="{}"/>"#,
            attr(&value)
        );
    }
    let _ = writeln!(out, "    </properties>");
    for row in &gate.rows {
        let _ = writeln!(
            out,
            r#"    <testcase classname="{}" name="{}">"#,
            attr(&format!("slo.{service}")),
            attr(&row_name(row))
        );
        let details = details(row);
        match row.verdict {
            Verdict::Fail => {
                let kinds: Vec<&str> = row.failed().map(|r| r.rule.name()).collect();
                let _ = writeln!(
                    out,
                    r#"      <failure type="{}" message="{}">{}</failure>"#,
                    attr(&kinds.join(",")),
                    attr(&failures_text(row)),
                    text(&details)
                );
            }
            Verdict::Error => {
                let (kind, message) = match &row.unevaluated {
                    Some(why) => (why.reason(), unevaluated_text(why, row.verdict)),
                    None => ("unevaluated", details.clone()),
                };
                let _ = writeln!(
                    out,
                    r#"      <error type="{kind}" message="{}">{}</error>"#,
                    attr(&message),
                    text(&details)
                );
            }
            Verdict::Pass if is_skipped(row.verdict, row.unevaluated.as_ref()) => {
                let _ = writeln!(out, r#"      <skipped message="{}"/>"#, attr(&details));
            }
            Verdict::Pass => {
                let _ = writeln!(out, "      <system-out>{}</system-out>", text(&details));
            }
        }
        let _ = writeln!(out, "    </testcase>");
    }
    let _ = writeln!(out, "  </testsuite>");
    let _ = writeln!(out, "</testsuites>");
    out
}

/// Passed without any rule checked: no data at all, allowed.
fn is_skipped(verdict: Verdict, why: Option<&Unevaluated>) -> bool {
    verdict == Verdict::Pass && matches!(why, Some(Unevaluated::NoData { .. }))
}

/// Escapes character data.
fn text(s: &str) -> String {
    escape(s, false)
}

/// Escapes an attribute value (double-quoted); line breaks and tabs become character
/// references so that parsers keep them instead of normalising them to spaces.
fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            // XML 1.0 cannot carry these at all, not even as character references.
            c if is_forbidden_in_xml(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn is_forbidden_in_xml(c: char) -> bool {
    (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::check::tests::sample;

    #[test]
    fn junit_parses_with_one_testcase_per_row_and_counts_that_match() {
        let xml = render(&sample(), "demo & <api>", 1_700_000_000.0);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let suites = doc.root_element();
        assert_eq!(suites.tag_name().name(), "testsuites");
        let suite_list: Vec<_> = suites
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .collect();
        assert_eq!(suite_list.len(), 1);
        let suite = suite_list[0];
        assert_eq!(suite.attribute("name"), Some("slo check: demo & <api>"));
        for node in [suites, suite] {
            assert_eq!(node.attribute("tests"), Some("4"));
            assert_eq!(node.attribute("failures"), Some("1"));
            assert_eq!(node.attribute("errors"), Some("2"));
        }
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let names: Vec<_> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
        assert_eq!(
            names,
            vec![
                "availability",
                "by-handler{handler=\"/a<b>&\\\"c\\\"\"}",
                "latency",
                "quiet"
            ]
        );
        let child = |i: usize, tag: &str| cases[i].children().find(|n| n.has_tag_name(tag));
        assert!(child(0, "failure").is_none() && child(0, "error").is_none());
        let failure = child(1, "failure").expect("FAIL has <failure>");
        assert_eq!(
            failure.attribute("type"),
            Some("min_budget_remaining,max_burn_rate")
        );
        assert_eq!(
            failure.attribute("message"),
            Some("budget remaining 40% < min 50%, burn rate 1h 20 > max 14.4")
        );
        let error = child(2, "error").expect("ERROR has <error>");
        assert_eq!(error.attribute("type"), Some("evaluation_error"));
        // The line break survives the attribute round trip.
        assert!(
            error
                .attribute("message")
                .unwrap()
                .contains("broken:\nline two")
        );
        assert_eq!(
            child(3, "error").unwrap().attribute("type"),
            Some("no_data")
        );
    }

    #[test]
    fn evaluated_at_is_the_exact_unix_time() {
        let xml = render(&sample(), "api", 1_793_491_200.25);
        assert!(
            xml.contains(r#"<property name="evaluated_at" value="1793491200.25"/>"#),
            "{xml}"
        );
    }

    #[test]
    fn characters_xml_cannot_carry_are_replaced_not_emitted() {
        assert_eq!(text("a\u{1}b\u{FFFF}c\td"), "a\u{FFFD}b\u{FFFD}c\td");
        assert_eq!(attr("x\"y'z\n\t"), "x&quot;y&apos;z&#10;&#9;");
        let xml = format!("<a b=\"{}\">{}</a>", attr("\u{0}<&>"), text("\u{7}]]>"));
        roxmltree::Document::parse(&xml).expect("well-formed");
    }
}
