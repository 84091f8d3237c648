//! `slo report --watch`: re-evaluates at each interval and redraws the live view in the
//! terminal's alternate screen until `q` or Ctrl-C, then restores the screen and exits 0.
//!
//! The terminal is in raw mode meanwhile, so Ctrl-C arrives as a key, not as SIGINT: the
//! screen is restored on every way out, a panic included ([`Screen`]'s `Drop`). Each round
//! runs on the runtime's worker thread, so keys are read while Prometheus is slow to answer.

use std::io::Write;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, queue, terminal};

use crate::error::Error;
use crate::interface::Outcome;
use crate::model::{Spec, Window};
use crate::output::report::watch::{Activity, View};
use crate::report::{self, Report};
use crate::settings::Evaluation;
use tokio::runtime::Runtime;

/// How long to wait for a key before looking at the round in progress again.
const KEY_POLL: Duration = Duration::from_millis(100);

pub fn run(
    specs: &[Spec],
    evaluation: &Evaluation,
    interval: Window,
    color: bool,
) -> Result<Outcome, Error> {
    // One runtime for every round, so the client's connections outlive a round; its worker
    // evaluates while this thread reads keys.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Error::DataSource(format!("cannot start the async runtime: {e}")))?;
    let mut screen = Screen::enter()?;
    let mut view = View::default();
    let mut round: Option<Receiver<Report>> = None;
    let mut next_round = Instant::now();
    loop {
        if round.is_none() && Instant::now() >= next_round {
            round = Some(start_round(&runtime, specs, evaluation));
            next_round = Instant::now() + interval.duration();
            screen.draw(&view.render(interval, Activity::Evaluating, color))?;
        }
        if let Some(pending) = &round {
            let finished = match pending.try_recv() {
                Ok(report) => {
                    view.update(&report);
                    true
                }
                Err(TryRecvError::Empty) => false,
                // Its task panicked.
                Err(TryRecvError::Disconnected) => {
                    view.fail("the round stopped unfinished");
                    true
                }
            };
            if finished {
                round = None;
                screen.draw(&view.render(interval, Activity::Waiting, color))?;
            }
        }
        match next_event()? {
            Some(Input::Quit) => return Ok(Outcome::Success),
            Some(Input::Resized) => {
                let activity = match round {
                    Some(_) => Activity::Evaluating,
                    None => Activity::Waiting,
                };
                screen.draw(&view.render(interval, activity, color))?;
            }
            None => {}
        }
    }
}

/// Evaluates at the current instant on the runtime's worker; the receiver gets the report.
/// A round still running when the user quits is abandoned with the process.
fn start_round(runtime: &Runtime, specs: &[Spec], evaluation: &Evaluation) -> Receiver<Report> {
    let (send, receive) = mpsc::channel();
    let specs = specs.to_vec();
    // Each round knocks again, even if the last one found the server unreachable.
    let client = evaluation.client.for_new_round();
    let mut options = evaluation.options.clone();
    options.at = crate::settings::now();
    runtime.spawn(async move {
        let report = report::evaluate_all(&client, &specs, &options, &report::Unobserved).await;
        let _ = send.send(report);
    });
    receive
}

enum Input {
    Quit,
    Resized,
}

/// The next key or resize within [`KEY_POLL`], if any.
fn next_event() -> Result<Option<Input>, Error> {
    if !event::poll(KEY_POLL).map_err(terminal_error)? {
        return Ok(None);
    }
    Ok(match event::read().map_err(terminal_error)? {
        Event::Key(KeyEvent {
            code,
            modifiers,
            kind: KeyEventKind::Press,
            ..
        }) => match code {
            KeyCode::Char('q') | KeyCode::Esc => Some(Input::Quit),
            KeyCode::Char('c') if modifiers.contains(KeyModifiers::CONTROL) => Some(Input::Quit),
            _ => None,
        },
        Event::Resize(..) => Some(Input::Resized),
        _ => None,
    })
}

/// The alternate screen in raw mode, with the cursor hidden; left as it was when dropped.
struct Screen {
    out: std::io::Stdout,
}

impl Screen {
    fn enter() -> Result<Screen, Error> {
        terminal::enable_raw_mode().map_err(terminal_error)?;
        // From here on, Drop restores whatever was changed.
        let mut screen = Screen {
            out: std::io::stdout(),
        };
        execute!(screen.out, terminal::EnterAlternateScreen, cursor::Hide)
            .map_err(terminal_error)?;
        Ok(screen)
    }

    /// Replaces the screen with `text`; raw mode needs `\r\n` to start each line.
    fn draw(&mut self, text: &str) -> Result<(), Error> {
        queue!(
            self.out,
            cursor::MoveTo(0, 0),
            terminal::Clear(terminal::ClearType::All)
        )
        .map_err(terminal_error)?;
        self.out
            .write_all(text.replace('\n', "\r\n").as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(terminal_error)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = execute!(self.out, cursor::Show, terminal::LeaveAlternateScreen);
        let _ = terminal::disable_raw_mode();
    }
}

fn terminal_error(error: std::io::Error) -> Error {
    Error::Usage(format!("--watch: cannot drive the terminal: {error}"))
}
