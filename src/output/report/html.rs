//! The report as one self-contained HTML page (`--format html`): inline CSS and SVG, nothing
//! fetched, readable in light and dark mode and on paper. Every text from outside (names,
//! labels, messages) is escaped.

use std::fmt::Write as _;

use crate::report::{Report, SloStatus, Status};

use super::{percent, slo_title};

const CHART_WIDTH: f64 = 640.0;
const CHART_HEIGHT: f64 = 180.0;
/// Room for the axis labels.
const MARGIN_LEFT: f64 = 48.0;
const MARGIN_BOTTOM: f64 = 22.0;
const MARGIN_TOP: f64 = 8.0;

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --card: #f6f8fa;
  --line: #0969da; --grid: #d0d7de; --ok: #1a7f37; --risk: #9a6700; --bad: #cf222e; --none: #6e7781; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --card: #161b22; --line: #4493f8;
    --grid: #30363d; --ok: #3fb950; --risk: #d29922; --bad: #f85149; --none: #9198a1; } }
body { font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg);
  max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
header p { color: var(--muted); margin: .2rem 0; }
.verdict { font-weight: 600; }
section.slo { background: var(--card); border-radius: 8px; padding: 1rem 1.2rem; margin: 1.2rem 0;
  break-inside: avoid; }
h2 { font-size: 1.1rem; margin: 0 0 .6rem; }
.status { display: inline-block; border-radius: 1rem; padding: 0 .6rem; font-size: .85rem;
  color: #fff; margin-left: .5rem; }
.ok { background: var(--ok); } .at_risk { background: var(--risk); }
.exhausted { background: var(--bad); } .no_data { background: var(--none); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0 0 .8rem; }
dt { color: var(--muted); } dd { margin: 0; font-variant-numeric: tabular-nums; }
svg { width: 100%; height: auto; }
svg text { fill: var(--muted); font-size: 11px; }
.grid { stroke: var(--grid); } .zero { stroke: var(--bad); } .warn { stroke: var(--risk); stroke-dasharray: 4 3; }
.burn { fill: none; stroke: var(--line); stroke-width: 2; }
.projection { fill: none; stroke: var(--line); stroke-width: 2; stroke-dasharray: 6 4; opacity: .7; }
ul.errors li { color: var(--bad); }
@media print { body { margin: 0; max-width: none; } section.slo { border: 1px solid #999; } }
"#;

/// The page. `warn_below` is the budget fraction under which a row is at risk, marked on
/// each chart.
pub fn render(report: &Report, service: &str, warn_below: f64) -> String {
    let instant = crate::timestamp::format(report.evaluated_at);
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>SLO report: {service} at {instant}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header>\n<h1>SLO report: {service}</h1>\n<p>at {instant}</p>\n\
         <p class=\"verdict\">{verdict}</p>\n</header>\n<main>\n",
        service = escape(service),
        verdict = escape(&verdict(report)),
    );
    for (index, row) in report.rows().enumerate() {
        page.push_str(&section(index, row, report.evaluated_at, warn_below));
    }
    let errors: Vec<_> = report.errors().collect();
    if !errors.is_empty() {
        page.push_str("<section>\n<h2>Not evaluated</h2>\n<ul class=\"errors\">\n");
        for e in errors {
            let _ = writeln!(
                page,
                "<li><strong>{}</strong>: {}</li>",
                escape(&e.slo),
                escape(&e.message)
            );
        }
        page.push_str("</ul>\n</section>\n");
    }
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

/// One line for the whole report, worst first.
fn verdict(report: &Report) -> String {
    let count = |status: Status| report.rows().filter(|r| r.status == status).count();
    let failed = report.errors().count();
    let parts: Vec<String> = [
        (failed, "not evaluated"),
        (count(Status::Exhausted), "exhausted"),
        (count(Status::AtRisk), "at risk"),
        (count(Status::NoData), "without data"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        "All SLOs are within their budgets.".to_string()
    } else {
        format!("Needs attention: {}.", parts.join(", "))
    }
}

fn section(index: usize, row: &SloStatus, at: f64, warn_below: f64) -> String {
    let title = escape(&slo_title(row));
    let window = row.period.as_ref().map_or_else(
        || row.window.to_string(),
        |p| format!("{} ({})", p.title, p.timezone),
    );
    let burn_rates: Vec<String> = row
        .burn_rates
        .iter()
        .map(|(w, rate)| {
            format!(
                "{w}: {}",
                rate.map_or("–".to_string(), |r| format!("{r:.2}"))
            )
        })
        .collect();
    let mut out = format!(
        "<section class=\"slo\" aria-labelledby=\"slo-{index}\">\n\
         <h2 id=\"slo-{index}\">{title}<span class=\"status {status}\">{status}</span></h2>\n<dl>\n\
         <dt>SLI</dt><dd>{sli} (objective {objective}%) over {window}</dd>\n\
         <dt>Budget remaining</dt><dd>{budget}</dd>\n\
         <dt>Burn rates</dt><dd>{burn_rates}</dd>\n",
        status = row.status.as_str(),
        sli = percent(row.sli, 3),
        objective = crate::promql::number(row.objective * 100.0),
        window = escape(&window),
        budget = percent(row.budget_remaining, 1),
        burn_rates = escape(&burn_rates.join(", ")),
    );
    if let Some(p) = &row.period {
        let _ = writeln!(
            out,
            "<dt>Period</dt><dd>{:.0}% elapsed; at this rate {} of the budget remains at its end</dd>",
            p.elapsed * 100.0,
            percent(p.projected_budget_remaining, 1)
        );
    }
    out.push_str("</dl>\n");
    out.push_str(&chart(index, row, at, warn_below));
    out.push_str("</section>\n");
    out
}

/// The burn-down: budget remaining across the window, with 0% and the warning level marked
/// and, for a calendar period, the projection to its end.
fn chart(index: usize, row: &SloStatus, at: f64, warn_below: f64) -> String {
    let points = row.history.as_deref().unwrap_or_default();
    let (from, to) = match &row.period {
        Some(p) => (p.span.start, p.span.end),
        None => (at - row.window.duration().as_secs_f64(), at),
    };
    let projection = row
        .period
        .as_ref()
        .and_then(|p| Some((p.span.end, p.projected_budget_remaining?)))
        .filter(|_| at < to);
    let lowest = points
        .iter()
        .map(|p| p.1)
        .chain(projection.map(|p| p.1))
        .fold(0.0_f64, f64::min)
        .max(-1.0);
    let x = |t: f64| MARGIN_LEFT + (t - from) / (to - from).max(1.0) * (CHART_WIDTH - MARGIN_LEFT);
    let plot_height = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
    let y = |b: f64| MARGIN_TOP + (1.0 - b.max(lowest)) / (1.0 - lowest) * plot_height;
    let description = match (points.first(), points.last()) {
        (Some(first), Some(last)) => format!(
            "Budget remaining went from {:.1}% to {:.1}% over {} points.",
            first.1 * 100.0,
            last.1 * 100.0,
            points.len()
        ),
        _ => "No data: the window had no events.".to_string(),
    };
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {CHART_WIDTH} {CHART_HEIGHT}\" \
         aria-labelledby=\"chart-title-{index} chart-desc-{index}\">\n\
         <title id=\"chart-title-{index}\">Error budget burn-down of {}</title>\n\
         <desc id=\"chart-desc-{index}\">{}</desc>\n",
        escape(&slo_title(row)),
        escape(&description)
    );
    let line = |class: &str, level: f64, label: &str| {
        format!(
            "<line class=\"{class}\" x1=\"{MARGIN_LEFT}\" x2=\"{CHART_WIDTH}\" y1=\"{y0:.1}\" y2=\"{y0:.1}\"/>\
             <text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{label}</text>\n",
            y0 = y(level),
            tx = MARGIN_LEFT - 4.0,
            ty = y(level) + 4.0,
        )
    };
    svg.push_str(&line("grid", 1.0, "100%"));
    svg.push_str(&line(
        "warn",
        warn_below,
        &format!("{:.0}%", warn_below * 100.0),
    ));
    svg.push_str(&line("zero", 0.0, "0%"));
    // A period's dates as they are in its time zone (a Berlin month starts on the 1st).
    let timezone = row.period.as_ref().map_or("UTC", |p| p.timezone.as_str());
    let date = |t: f64| {
        jiff::Timestamp::from_second(t.round() as i64)
            .and_then(|ts| ts.in_tz(timezone))
            .map_or_else(|_| crate::timestamp::format(t), |z| z.date().to_string())
    };
    let _ = writeln!(
        svg,
        "<text x=\"{MARGIN_LEFT}\" y=\"{by}\">{}</text><text x=\"{CHART_WIDTH}\" y=\"{by}\" text-anchor=\"end\">{}</text>",
        date(from),
        date(to),
        by = CHART_HEIGHT - 6.0
    );
    if points.is_empty() {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">no data</text>",
            (MARGIN_LEFT + CHART_WIDTH) / 2.0,
            y(0.5)
        );
    } else {
        let coordinates: Vec<String> = points
            .iter()
            .map(|&(t, b)| format!("{:.1},{:.1}", x(t), y(b)))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline class=\"burn\" points=\"{}\"/>",
            coordinates.join(" ")
        );
        if let (Some(&(t, b)), Some((end, projected))) = (points.last(), projection) {
            let _ = writeln!(
                svg,
                "<polyline class=\"projection\" points=\"{:.1},{:.1} {:.1},{:.1}\"/>",
                x(t),
                y(b),
                x(end),
                y(projected)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// Text as HTML shows it literally, in content and in quoted attributes; control characters
/// (which a name from a label value may carry) become spaces.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_outside_is_escaped() {
        assert_eq!(
            escape("<a href='x'>&\"\u{1b}"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot; "
        );
        let mut report = crate::output::report::tests::report();
        if let Ok(rows) = &mut report.slos[0].outcome {
            rows[0].labels.insert("handler".into(), "<script>".into());
            rows[0].history = Some(vec![(1.0, 1.0), (2.0, 0.5)]);
        }
        let page = render(&report, "api<x>", 0.25);
        assert!(!page.contains("<script>") && page.contains("&lt;script&gt;"));
        assert!(page.contains("SLO report: api&lt;x&gt;"));
        assert_eq!(page.matches("<svg").count(), 1);
        assert!(!page.contains("http://") && !page.contains("https://"));
    }
}
