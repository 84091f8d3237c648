//! A budget history as one line of characters, for the table's `History` column.

use crate::history::Points;

/// Columns a sparkline takes at most; longer histories are sampled evenly, first and last kept.
const WIDTH: usize = 24;
const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// For terminals that are not UTF-8.
const ASCII: [char; 8] = ['_', '.', ',', '-', '~', '=', '*', '#'];

/// Budget remaining from 0% (lowest, also for an overspent budget) to 100% (highest);
/// empty without points.
pub fn render(points: &Points, unicode: bool) -> String {
    let levels = if unicode { BLOCKS } else { ASCII };
    let shown = WIDTH.min(points.len());
    (0..shown)
        .map(|i| {
            // Evenly spaced, from the first point to the last.
            let last = points.len() - 1;
            let index = if shown > 1 {
                i * last / (shown - 1)
            } else {
                last
            };
            let budget = points[index].1.clamp(0.0, 1.0);
            levels[((budget * (levels.len() - 1) as f64).round()) as usize]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_budget_and_long_histories_are_sampled() {
        let points: Points = [1.0, 0.5, 0.0, -2.0]
            .iter()
            .enumerate()
            .map(|(i, b)| (i as f64, *b))
            .collect();
        assert_eq!(render(&points, true), "█▅▁▁");
        assert_eq!(render(&points, false), "#~__");
        assert_eq!(render(&Points::new(), true), "");
        let long: Points = (0..100)
            .map(|i| (i as f64, 1.0 - i as f64 / 99.0))
            .collect();
        let line = render(&long, true);
        assert_eq!(line.chars().count(), WIDTH);
        assert!(line.starts_with('█') && line.ends_with('▁'), "{line}");
    }
}
