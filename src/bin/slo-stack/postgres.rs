//! The app's PostgreSQL database on the Docker-free path (`--postgres`): a cluster of Debian's
//! `postgresql` package initialised under RUN_DIR/postgres, started by `up` before the app and
//! stopped by `down` after it. PostgreSQL refuses to run as root, so as root every server
//! tool runs as the unprivileged `postgres` user (runuser), which owns the cluster.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::settings::Settings;
use crate::stack::{note, run_tool};

/// The role and database the app uses (trust authentication, loopback only).
const ROLE: &str = "demo";
const DATABASE: &str = "demo";
/// The user that owns the cluster when this program runs as root.
const OWNER: &str = "postgres";

/// The app's `DATABASE_URL` for the cluster listening on `port`.
pub fn database_url(port: u16) -> String {
    format!("postgresql://{ROLE}@127.0.0.1:{port}/{DATABASE}")
}

pub struct Cluster {
    /// Holds the data directory, the server's log and its Unix socket.
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    pub fn new(settings: &Settings) -> Cluster {
        Cluster {
            dir: settings.run_dir.join("postgres"),
            port: settings.ports.postgres,
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn log(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    /// Whether a server of this cluster may run (its pid file exists).
    pub fn may_run(&self) -> bool {
        self.data().join("postmaster.pid").exists()
    }

    /// Initialises the cluster (and the app's database) on first use, then starts it.
    pub fn start(&self, timeout: Duration) -> Result<()> {
        let bin = bin_dir()?;
        let fresh = !self.data().join("PG_VERSION").exists();
        if fresh {
            self.prepare_dir()?;
            run_tool(owner(&bin.join("initdb")).arg("-D").arg(self.data()).args([
                "-U",
                ROLE,
                "--auth=trust",
                "-E",
                "UTF8",
            ]))?;
        }
        let options = format!("-h 127.0.0.1 -p {} -k {}", self.port, self.dir.display());
        run_tool(
            owner(&bin.join("pg_ctl"))
                .arg("-D")
                .arg(self.data())
                .arg("-l")
                .arg(self.log())
                .args(["-w", "-t", &timeout.as_secs().max(1).to_string()])
                .args(["-o", &options, "start"]),
        )
        .map_err(|e| Error::new(format!("{e}: see {}", self.log().display())))?;
        if fresh {
            run_tool(owner(&bin.join("createdb")).args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                ROLE,
                DATABASE,
            ]))?;
        }
        note(&format!(
            "postgres ready at 127.0.0.1:{} (data: {})",
            self.port,
            self.data().display()
        ));
        Ok(())
    }

    /// Stops the server if it runs; whether it did.
    pub fn stop(&self) -> Result<bool> {
        if !self.may_run() {
            return Ok(false);
        }
        run_tool(
            owner(&bin_dir()?.join("pg_ctl"))
                .arg("-D")
                .arg(self.data())
                .args(["-m", "fast", "-w", "stop"]),
        )?;
        Ok(true)
    }

    /// Creates the cluster's directory, owned by the cluster's owner, who must be able to
    /// reach it (every parent traversable).
    fn prepare_dir(&self) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io("cannot create", &self.dir, e))?;
        if !is_root() {
            return Ok(());
        }
        run_tool(Command::new("chown").arg(OWNER).arg(&self.dir)).map_err(|e| {
            Error::new(format!(
                "{e} (the cluster runs as the user {OWNER}, which Debian's postgresql package creates)"
            ))
        })?;
        run_tool(owner(Path::new("test")).arg("-w").arg(&self.dir)).map_err(|_| {
            Error::new(format!(
                "the user {OWNER} cannot write {}: make its parents traversable (chmod o+x) or \
                 choose another run directory",
                self.dir.display()
            ))
        })
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid(2) has no arguments and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// `program` run as the cluster's owner.
fn owner(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", OWNER, "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// The server programs of the newest PostgreSQL installed (Debian keeps them off PATH).
fn bin_dir() -> Result<PathBuf> {
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .max();
    installed
        .map(|(_, bin)| bin)
        .or_else(|| {
            Some(
                crate::stack::find_program(&["initdb"])?
                    .parent()?
                    .to_path_buf(),
            )
        })
        .ok_or_else(|| {
            Error::new(
                "PostgreSQL is not installed (Debian: scripts/install-deps.sh demo postgres, or \
                 apt-get install postgresql)",
            )
        })
}
