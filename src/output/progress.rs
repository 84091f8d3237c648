//! The progress line on stderr while queries run: SLOs done of total, queries in flight and
//! the time taken. Settings decide whether it may show at all (stderr a terminal, not CI, not
//! `--quiet`); it then appears only once the work has taken [`SHOWN_AFTER`], and is erased
//! before the result is printed. It never touches stdout.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::Observer;

/// Quick work prints nothing extra: a line that flashes for a moment is only noise.
const SHOWN_AFTER: Duration = Duration::from_millis(500);

/// How often the spinner and elapsed time redraw while no answer arrives.
const TICK: Duration = Duration::from_millis(100);

/// A progress line, hidden until [`SHOWN_AFTER`] has passed; erased when dropped.
pub struct Progress {
    bar: ProgressBar,
    /// Dropping the sender tells the revealing thread the work is over.
    reveal: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
    tally: Mutex<Tally>,
}

impl Progress {
    /// A line reading `message` until the evaluation reports its plan; never shown unless
    /// `enabled`. `concurrency` bounds the queries in flight.
    pub fn start(enabled: bool, message: &str, concurrency: usize) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} · {elapsed}")
                .expect("the template is valid"),
        );
        bar.set_message(message.to_string());
        let reveal = enabled.then(|| {
            let (done, waiting) = mpsc::channel::<()>();
            let shown = bar.clone();
            let thread = std::thread::spawn(move || {
                if waiting.recv_timeout(SHOWN_AFTER) == Err(RecvTimeoutError::Timeout) {
                    shown.set_draw_target(ProgressDrawTarget::stderr());
                    shown.enable_steady_tick(TICK);
                }
            });
            (done, thread)
        });
        Progress {
            bar,
            reveal,
            tally: Mutex::new(Tally::new(concurrency)),
        }
    }

    fn update(&self, change: impl FnOnce(&mut Tally)) {
        let mut tally = self.tally.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut tally);
        self.bar.set_message(tally.message());
    }
}

impl Observer for Progress {
    fn planned(&self, queries_per_slo: Vec<BTreeSet<String>>) {
        self.update(|tally| tally.plan(queries_per_slo));
    }
    fn answered(&self, query: &str) {
        self.update(|tally| tally.answer(query));
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some((done, thread)) = self.reveal.take() {
            drop(done);
            let _ = thread.join();
        }
        self.bar.finish_and_clear();
    }
}

/// What the line counts: pure, so that it can be tested without a terminal.
#[derive(Debug, Default)]
struct Tally {
    /// Each SLO's queries still unanswered.
    pending: Vec<BTreeSet<String>>,
    queries: usize,
    answered: usize,
    concurrency: usize,
}

impl Tally {
    fn new(concurrency: usize) -> Tally {
        Tally {
            concurrency,
            ..Tally::default()
        }
    }

    fn plan(&mut self, queries_per_slo: Vec<BTreeSet<String>>) {
        self.queries = queries_per_slo
            .iter()
            .flatten()
            .collect::<BTreeSet<_>>()
            .len();
        self.pending = queries_per_slo;
    }

    fn answer(&mut self, query: &str) {
        self.answered += 1;
        for queries in &mut self.pending {
            queries.remove(query);
        }
    }

    /// `3/120 SLOs done · queries in flight: 8`; the client runs at most `concurrency` at once.
    fn message(&self) -> String {
        let done = self.pending.iter().filter(|q| q.is_empty()).count();
        let in_flight = self
            .queries
            .saturating_sub(self.answered)
            .min(self.concurrency);
        format!(
            "{done}/{} SLOs done · queries in flight: {in_flight}",
            self.pending.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn an_slo_is_done_when_all_its_queries_are_answered_and_shared_ones_count_once() {
        let mut tally = Tally::new(2);
        let set = |qs: &[&str]| qs.iter().map(|q| q.to_string()).collect();
        tally.plan(vec![
            set(&["a", "shared"]),
            set(&["b", "shared"]),
            set(&["c"]),
        ]);
        assert_eq!(tally.message(), "0/3 SLOs done · queries in flight: 2");
        tally.answer("shared");
        tally.answer("a");
        assert_eq!(tally.message(), "1/3 SLOs done · queries in flight: 2");
        tally.answer("b");
        assert_eq!(tally.message(), "2/3 SLOs done · queries in flight: 1");
        tally.answer("c");
        assert_eq!(tally.message(), "3/3 SLOs done · queries in flight: 0");
    }
}
