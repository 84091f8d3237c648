//! Child processes that cannot outlive the test binary, command helpers and temp dirs.
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
use std::process::{Child, Command, ExitStatus, Output, Stdio};
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

/// Result of running a command to completion.
#[derive(Debug)]
pub struct CmdOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl CmdOutput {
    pub fn success(&self) -> bool {
        self.status.success()
    }
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
    /// Panic with stdout/stderr unless the command exited 0.
    #[track_caller]
    pub fn assert_success(&self, what: &str) -> &Self {
        assert!(
            self.success(),
            "{what} failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }
}

impl From<Output> for CmdOutput {
    fn from(o: Output) -> Self {
        CmdOutput {
            status: o.status,
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Run `cmd` to completion (stdin closed, output captured), guarded like all children.
/// Panics if it cannot be spawned, or if it runs longer than `timeout` (then it is killed).
#[track_caller]
pub fn run_with_timeout(mut cmd: Command, timeout: Duration) -> CmdOutput {
    let desc = format!("{cmd:?}");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = spawn_guarded(cmd).unwrap_or_else(|e| panic!("cannot spawn {desc}: {e}"));
    // Drain pipes on helper threads so a chatty child cannot block.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = io::Read::read_to_end(&mut out, &mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = io::Read::read_to_end(&mut err, &mut v);
        v
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{desc} did not finish within {timeout:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    CmdOutput {
        status,
        stdout: String::from_utf8_lossy(&t_out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&t_err.join().unwrap()).into_owned(),
    }
}

/// Run `cmd` to completion with a 5-minute safety timeout.
#[track_caller]
pub fn run(cmd: Command) -> CmdOutput {
    run_with_timeout(cmd, Duration::from_secs(300))
}

/// `promtool <args>` (e.g. `["check", "rules", path]`, `["test", "rules", path]`).
#[track_caller]
pub fn promtool<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> CmdOutput {
    let mut cmd = Command::new("promtool");
    cmd.args(args);
    run(cmd)
}

/// A `Command` for the crate's `slo` binary (built by cargo for integration tests).
pub fn slo_cmd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_slo"))
}

/// Run the `slo` binary with `args`, guarded, with a 2-minute timeout.
#[track_caller]
pub fn run_slo<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> CmdOutput {
    let mut cmd = slo_cmd();
    cmd.args(args);
    run_with_timeout(cmd, Duration::from_secs(120))
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
