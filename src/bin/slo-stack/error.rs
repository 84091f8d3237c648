//! One error type: a message that already says where and why, printed once by `main`.

use std::fmt;
use std::path::Path;

#[derive(Debug)]
pub struct Error(String);

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }

    /// An I/O failure on `path`, saying what was being done.
    pub fn io(doing: &str, path: &Path, err: std::io::Error) -> Error {
        Error(format!("{doing} {}: {err}", path.display()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
