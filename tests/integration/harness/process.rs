//! Child processes that cannot outlive the test binary, command helpers, temp dirs and ports.
//!
//! Every child (prometheus, promtool, the `slo` binary) is spawned from one dedicated
//! thread that never exits, with `prctl(PR_SET_PDEATHSIG, SIGKILL)` set in `pre_exec`.
//! Linux delivers the death signal when the *spawning thread* exits; because that thread
//! lives as long as the process, the children get SIGKILL exactly when the test binary
//! exits — even though a `static OnceLock<Prometheus>` is never dropped, and even if the
//! binary is killed with SIGKILL.

use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

type SpawnRequest = (Command, Sender<io::Result<Child>>);

fn spawner() -> &'static Mutex<Sender<SpawnRequest>> {
    static SPAWNER: OnceLock<Mutex<Sender<SpawnRequest>>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("harness-spawner".into())
            .spawn(move || {
                // This thread must never exit: PDEATHSIG is tied to it.
                loop {
                    match rx.recv() {
                        Ok((mut cmd, reply)) => {
                            let _ = reply.send(spawn_here(&mut cmd));
                        }
                        // All senders gone cannot happen (static), but never return anyway.
                        Err(_) => loop {
                            std::thread::park();
                        },
                    }
                }
            })
            .expect("spawn harness-spawner thread");
        Mutex::new(tx)
    })
}

fn spawn_here(cmd: &mut Command) -> io::Result<Child> {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: only async-signal-safe libc calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    cmd.spawn()
}

/// Spawn `cmd` so that the child is SIGKILLed when the test binary exits.
/// The returned `Child` can be waited on / killed from any thread.
pub fn spawn_guarded(cmd: Command) -> io::Result<Child> {
    let (tx, rx) = channel();
    spawner()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((cmd, tx))
        .expect("harness-spawner thread is gone");
    rx.recv().expect("harness-spawner dropped the reply")
}

/// Result of running a command to completion, with assertions that show the command and
/// both streams when they fail.
#[derive(Debug)]
pub struct CmdOutput {
    /// The command as run (program and arguments), for failure messages.
    pub command: String,
    pub exit_status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl CmdOutput {
    pub fn success(&self) -> bool {
        self.exit_status.success()
    }
    /// The exit code; `None` when a signal ended the process.
    pub fn code(&self) -> Option<u8> {
        self.exit_status.code().and_then(|c| u8::try_from(c).ok())
    }
    /// Panic with the command and its output unless it exited 0.
    #[track_caller]
    pub fn assert_success(&self, what: &str) -> &Self {
        assert!(
            self.success(),
            "{what} failed with {}\n{self}",
            self.exit_status
        );
        self
    }
    /// Panic with the command and its output unless it exited with `expected`
    /// (one of `slo::exit`'s codes).
    #[track_caller]
    pub fn status(&self, expected: u8) -> &Self {
        assert_eq!(self.code(), Some(expected), "exit code\n{self}");
        self
    }
    #[track_caller]
    pub fn stdout_contains(&self, expected: &str) -> &Self {
        self.assert_contains("stdout", &self.stdout, expected)
    }
    #[track_caller]
    pub fn stderr_contains(&self, expected: &str) -> &Self {
        self.assert_contains("stderr", &self.stderr, expected)
    }
    #[track_caller]
    fn assert_contains(&self, stream: &str, text: &str, expected: &str) -> &Self {
        assert!(
            text.contains(expected),
            "{stream} lacks {expected:?}\n{self}"
        );
        self
    }
    #[track_caller]
    pub fn stdout_empty(&self) -> &Self {
        assert_eq!(self.stdout, "", "stdout must stay empty\n{self}");
        self
    }
    /// Standard output parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{self}"))
    }
}

impl std::fmt::Display for CmdOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--- command ---\n{}\n--- {} ---\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.exit_status, self.stdout, self.stderr
        )
    }
}

/// Run `cmd` to completion (output captured; `stdin` written to it, or stdin closed),
/// guarded like all children. Panics if it cannot be spawned, or if it runs longer than
/// `timeout` (then it is killed).
#[track_caller]
pub fn run_with_input(mut cmd: Command, stdin: Option<Vec<u8>>, timeout: Duration) -> CmdOutput {
    let command = format!("{cmd:?}");
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = spawn_guarded(cmd).unwrap_or_else(|e| panic!("cannot spawn {command}: {e}"));
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A child that exits without reading all of it closes the pipe: not our failure.
        std::thread::spawn(move || {
            let _ = io::Write::write_all(&mut pipe, &input);
        });
    }
    // Drain pipes on helper threads so a chatty child cannot block.
    let drain = |mut pipe: Box<dyn io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + timeout;
    let exit_status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command} did not finish within {timeout:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    CmdOutput {
        command,
        exit_status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// Run `cmd` to completion with stdin closed and a 5-minute safety timeout.
#[track_caller]
pub fn run(cmd: Command) -> CmdOutput {
    run_with_input(cmd, None, Duration::from_secs(300))
}

/// `promtool <args>` (e.g. `["check", "rules", path]`, `["test", "rules", path]`).
#[track_caller]
pub fn promtool<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> CmdOutput {
    let mut cmd = Command::new("promtool");
    cmd.args(args);
    run(cmd)
}

/// A directory under `$TMPDIR/slo-harness/<pid>-<n>-<tag>`, removed on drop.
/// Directories left by dead test processes (e.g. those held by never-dropped statics)
/// are swept the first time a `TempDir` is created.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        static SWEEP: OnceLock<()> = OnceLock::new();
        let base = std::env::temp_dir().join("slo-harness");
        SWEEP.get_or_init(|| sweep_stale(&base));
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = base.join(format!("{}-{n}-{tag}", std::process::id()));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("create temp dir {}: {e}", path.display()));
        TempDir { path }
    }
    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.path.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn sweep_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Recursively copy a directory.
pub fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let dst = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &dst)?;
        } else {
            std::fs::copy(e.path(), dst)?;
        }
    }
    Ok(())
}

/// A 127.0.0.1 port that was free a moment ago (bind :0, read, drop).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}
