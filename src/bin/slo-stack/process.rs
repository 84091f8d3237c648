//! Daemons started detached, each leading its own process group, known by pid files that
//! survive this program. A pid file holds the pid and the process's start time, so a pid
//! reused by an unrelated process is never mistaken for (or signalled as) a component.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The pid file of the daemon `name` in `run_dir`.
pub struct PidFile(PathBuf);

/// A daemon's pid and its start time (clock ticks after boot, from /proc/PID/stat).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Started {
    pub pid: u32,
    start_time: u64,
}

impl PidFile {
    pub fn new(run_dir: &Path, name: &str) -> PidFile {
        PidFile(run_dir.join(format!("{name}.pid")))
    }

    /// The daemon of this pid file, if it still runs.
    pub fn running(&self) -> Option<Started> {
        let text = std::fs::read_to_string(&self.0).ok()?;
        let mut fields = text.split_whitespace().map(str::parse::<u64>);
        let pid = u32::try_from(fields.next()?.ok()?).ok()?;
        let start_time = fields.next()?.ok()?;
        let started = Started { pid, start_time };
        (alive(pid) && self::start_time(pid) == Some(start_time)).then_some(started)
    }

    /// Starts `command` in its own process group with stdin from /dev/null and stdout and
    /// stderr to `log`, and records it.
    pub fn spawn(&self, mut command: Command, log: &Path) -> Result<Started> {
        let output = File::create(log).map_err(|e| Error::io("cannot create", log, e))?;
        let errors = output
            .try_clone()
            .map_err(|e| Error::io("cannot open", log, e))?;
        let program = command.get_program().to_string_lossy().into_owned();
        let child = command
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(errors)
            .process_group(0)
            .spawn()
            .map_err(|e| Error::new(format!("cannot start {program}: {e}")))?;
        let pid = child.id();
        // The start time is set at fork and kept through exec, so reading it now is exact.
        let start_time = start_time(pid)
            .ok_or_else(|| Error::new(format!("{program} (pid {pid}) exited at once")))?;
        std::fs::write(&self.0, format!("{pid} {start_time}\n"))
            .map_err(|e| Error::io("cannot write", &self.0, e))?;
        Ok(Started { pid, start_time })
    }

    /// Stops the daemon: TERM to its process group, KILL after `grace`. Returns its pid if
    /// it was running. The pid file is removed either way.
    pub fn stop(&self, grace: Duration) -> Result<Option<(u32, Stopped)>> {
        let stopped = self
            .running()
            .map(|started| (started.pid, terminate(started, grace)));
        match std::fs::remove_file(&self.0) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::io("cannot remove", &self.0, e))
            }
            _ => Ok(stopped),
        }
    }
}

/// How a daemon ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Stopped {
    OnTerm,
    Killed,
}

fn terminate(started: Started, grace: Duration) -> Stopped {
    let still_running =
        || alive(started.pid) && start_time(started.pid) == Some(started.start_time);
    signal_group(started.pid, libc::SIGTERM);
    if wait_while(still_running, grace) {
        return Stopped::OnTerm;
    }
    signal_group(started.pid, libc::SIGKILL);
    // KILL cannot be ignored; the bound only covers a process stuck in the kernel.
    wait_while(still_running, Duration::from_secs(5));
    Stopped::Killed
}

/// Polls until `condition` is false (true) or `limit` has passed (false).
fn wait_while(condition: impl Fn() -> bool, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while condition() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// Signals the process group `pid` leads, or the process alone if it has none.
fn signal_group(pid: u32, signal: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) only reads its arguments.
    unsafe {
        if libc::kill(-pid, signal) != 0 {
            libc::kill(pid, signal);
        }
    }
}

/// The fields of /proc/PID/stat after the command name (which may hold spaces).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(") ")?;
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// Exists and is not a zombie (a daemon that outlived its starter is reaped by init, late).
pub fn alive(pid: u32) -> bool {
    stat_fields(pid).is_some_and(|fields| fields.first().is_some_and(|state| state != "Z"))
}

/// Field 22 of /proc/PID/stat, the 20th after the command name.
fn start_time(pid: u32) -> Option<u64> {
    stat_fields(pid)?.get(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pid_file_tracks_its_daemon_and_stop_escalates_to_kill() {
        let dir = std::env::temp_dir().join(format!("slo-stack-process-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pid_file = PidFile::new(&dir, "stubborn");
        let mut command = Command::new("sh");
        // It says when it ignores TERM, so the test never signals it before that.
        command.args([
            "-c",
            "trap '' TERM; echo ignoring; while :; do sleep 0.05; done",
        ]);
        let log = dir.join("stubborn.log");
        let started = pid_file.spawn(command, &log).unwrap();
        assert_eq!(pid_file.running(), Some(started));
        let said_it = || std::fs::read_to_string(&log).is_ok_and(|l| l.contains("ignoring"));
        assert!(wait_while(|| !said_it(), Duration::from_secs(10)));

        let stopped = pid_file.stop(Duration::from_millis(300)).unwrap();
        assert_eq!(stopped, Some((started.pid, Stopped::Killed)));
        assert_eq!(pid_file.running(), None);
        assert!(!dir.join("stubborn.pid").exists());

        // A pid file whose process has another start time is not ours (a reused pid).
        std::fs::write(
            dir.join("reused.pid"),
            format!("{} 1\n", std::process::id()),
        )
        .unwrap();
        assert_eq!(PidFile::new(&dir, "reused").running(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
