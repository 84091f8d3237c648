//! Where a report's numbers come from: the raw series (exact, one scan of every raw series
//! per window and SLO) or the series `slo generate-rules` records (a constant number of
//! queries per report, whatever the number of SLOs), and how [`crate::report::evaluate`]
//! picks between them per SLO.
//!
//! [`rules`] reads the recorded series and says, per SLO, either what they measure or why
//! they cannot stand for the raw series (missing, stale, younger than the window, recorded
//! for another objective). The arithmetic stays in [`crate::report::assess`].

pub mod rules;

use crate::promql::LabelStyle;

/// `--source`: which series a report reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// The raw series, for every SLO.
    Raw,
    /// The recorded series; an SLO they do not cover is an error.
    Rules,
    /// The recorded series for every SLO they cover, the raw series for the others.
    #[default]
    Auto,
}

/// `--source`, `--allow-partial-coverage` and `--label-style`, checked.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SourceOptions {
    pub source: Source,
    /// With `--source rules`, report an SLO whose recorded history is younger than its
    /// window from what is recorded instead of failing it.
    pub allow_partial_coverage: bool,
    /// The label style of the recorded series; `None`: whichever the service's info series
    /// use.
    pub label_style: Option<LabelStyle>,
}

/// Fraction of a window the recorded history must span for the recorded series to stand for
/// the raw ones: a few missed evaluations (a Prometheus restart) are tolerated, a history
/// younger than the window is not.
pub const COVERED: f64 = 0.99;

/// How many evaluation intervals old the newest recorded sample may be before the rules are
/// taken to have stopped.
pub const STALE_INTERVALS: f64 = 3.0;
