//! Where a command's output goes: standard output, or a file that is replaced whole or not
//! at all.
//!
//! A [`Destination`] is opened before the work that fills it, so a path that cannot be
//! written fails first (exit 2, nothing evaluated), and several files can all be prepared
//! before any of them replaces its old version. A file is written to a temporary file beside
//! it, synced, then renamed over the path: a reader sees the old file or the new one, never
//! half of one; a failure removes the temporary file and leaves the old file untouched; a
//! symbolic link at the path is itself replaced, never written through. Streams (a FIFO, a
//! device such as `/dev/null`, `/dev/stdout`, `/dev/fd/N`) are written through, appended to,
//! since they cannot be replaced.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::Error;

/// The path that means standard output.
pub const STDOUT: &str = "-";

/// An output, opened and ready to be written once.
#[derive(Debug)]
pub enum Destination {
    Stdout,
    /// A stream or a file others write to as well (`$GITHUB_STEP_SUMMARY`): appended to.
    Append {
        path: PathBuf,
        file: File,
    },
    /// A regular file, written beside its path and renamed into place by [`commit`].
    ///
    /// [`commit`]: Destination::commit
    Replace(Staged),
}

/// Whether standard output still had a reader: one that went away (`slo ... | head -1`) is
/// not an error, but there is no point in writing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Written {
    Done,
    ReaderGone,
}

impl Destination {
    /// `-` for standard output, else the file at `path`, checked writable by creating its
    /// temporary file now.
    pub fn open(path: &Path) -> Result<Destination, Error> {
        if path == Path::new(STDOUT) {
            return Ok(Destination::Stdout);
        }
        if is_stream(path) {
            return Destination::append(path);
        }
        if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
            return Err(output_error(path)(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a directory",
            )));
        }
        Staged::new(path).map(Destination::Replace)
    }

    /// The file at `path`, created if missing, for appending.
    pub fn append(path: &Path) -> Result<Destination, Error> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(output_error(path))?;
        Ok(Destination::Append {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Runs `write` on the destination, buffered.
    pub fn write(
        &mut self,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<Written, Error> {
        match self {
            Destination::Stdout => {
                let mut out = BufWriter::new(io::stdout().lock());
                match write(&mut out).and_then(|()| out.flush()) {
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                        // What is still buffered has nowhere to go either.
                        let _ = out.into_parts();
                        Ok(Written::ReaderGone)
                    }
                    result => result
                        .map(|()| Written::Done)
                        .map_err(output_error(Path::new(STDOUT))),
                }
            }
            Destination::Append { path, file } => {
                // One buffer, one write: other writers' text never lands inside ours.
                let mut text = Vec::new();
                write(&mut text)
                    .and_then(|()| file.write_all(&text))
                    .map(|()| Written::Done)
                    .map_err(output_error(path))
            }
            Destination::Replace(staged) => staged.write(write).map(|()| Written::Done),
        }
    }

    pub fn write_text(&mut self, text: &str) -> Result<Written, Error> {
        self.write(|out| out.write_all(text.as_bytes()))
    }

    /// Puts a written file in place of the old one; nothing to do for the others.
    pub fn commit(self) -> Result<(), Error> {
        match self {
            Destination::Replace(staged) => staged.commit(),
            Destination::Stdout | Destination::Append { .. } => Ok(()),
        }
    }

    /// Writes `text` and commits it.
    pub fn finish(mut self, text: &str) -> Result<Written, Error> {
        let written = self.write_text(text)?;
        self.commit()?;
        Ok(written)
    }
}

/// A temporary file beside `path`, removed unless committed.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    temp: PathBuf,
    file: Option<File>,
}

impl Staged {
    fn new(path: &Path) -> Result<Staged, Error> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = path.file_name().ok_or_else(|| {
            output_error(path)(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the path names no file",
            ))
        })?;
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        loop {
            let mut temp_name = std::ffi::OsString::from(".");
            temp_name.push(name);
            temp_name.push(format!(
                ".slo-{}-{}.tmp",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            let temp = dir.join(temp_name);
            match OpenOptions::new().write(true).create_new(true).open(&temp) {
                Ok(file) => {
                    return Ok(Staged {
                        path: path.to_path_buf(),
                        temp,
                        file: Some(file),
                    });
                }
                // Left by a run that was killed, with the same process id: take the next.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(output_error(path)(e)),
            }
        }
    }

    fn write(&mut self, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
        let file = self.file.as_mut().expect("a staged file is written once");
        let mut out = BufWriter::new(file);
        write(&mut out)
            .and_then(|()| out.flush())
            .map_err(output_error(&self.path))
    }

    fn commit(mut self) -> Result<(), Error> {
        let file = self.file.take().expect("a staged file is committed once");
        file.sync_all()
            .and_then(|()| fs::rename(&self.temp, &self.path))
            .map_err(output_error(&self.path))?;
        // Renamed: nothing left for `drop` to remove.
        self.temp = PathBuf::new();
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Something written through rather than replaced: not a regular file or a directory (a
/// FIFO, a device), or a name for a descriptor this process already holds.
fn is_stream(path: &Path) -> bool {
    let descriptor = path.starts_with("/dev/fd")
        || path.starts_with("/proc")
        || path == Path::new("/dev/stdout")
        || path == Path::new("/dev/stderr");
    descriptor || fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// The error for a failed write to `path`.
pub fn output_error(path: &Path) -> impl FnOnce(io::Error) -> Error {
    let path = if path == Path::new(STDOUT) {
        "<stdout>".to_string()
    } else {
        path.display().to_string()
    };
    move |source| Error::Output { path, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("slo-dest-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_old_file_stays_until_commit_and_a_dropped_write_leaves_no_trace() {
        let dir = scratch("commit");
        let path = dir.join("rules.yml");
        fs::write(&path, "old").unwrap();
        let mut dest = Destination::open(&path).unwrap();
        assert_eq!(dest.write_text("new").unwrap(), Written::Done);
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        drop(dest);
        assert_eq!(entries(&dir), ["rules.yml"]);
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        let written = Destination::open(&path).unwrap().finish("new");
        assert_eq!(written.unwrap(), Written::Done);
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(entries(&dir), ["rules.yml"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_write_removes_its_temporary_file() {
        let dir = scratch("fail");
        let path = dir.join("out.json");
        let mut dest = Destination::open(&path).unwrap();
        let err = dest
            .write(|_| Err(io::Error::other("disk full")))
            .unwrap_err();
        assert!(err.to_string().contains("out.json: disk full"), "{err}");
        drop(dest);
        assert!(entries(&dir).is_empty());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_symlink_is_replaced_not_written_through() {
        let dir = scratch("link");
        let target = dir.join("target");
        fs::write(&target, "precious").unwrap();
        let link = dir.join("out.yml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let written = Destination::open(&link).unwrap().finish("rules");
        assert_eq!(written.unwrap(), Written::Done);
        assert_eq!(fs::read_to_string(&target).unwrap(), "precious");
        assert!(!fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(fs::read_to_string(&link).unwrap(), "rules");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn directories_and_missing_directories_fail_at_open() {
        let dir = scratch("dirs");
        assert!(Destination::open(&dir).is_err());
        assert!(Destination::open(&dir.join("missing/out.yml")).is_err());
        assert!(matches!(
            Destination::open(Path::new("/dev/null")).unwrap(),
            Destination::Append { .. }
        ));
        fs::remove_dir_all(dir).unwrap();
    }
}
