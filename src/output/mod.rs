//! What each command prints: `validate`'s summary, `report`'s renderings and `check`'s
//! verdicts; and where it goes: [`destination`] (standard output or files replaced whole) and
//! [`console`] (warnings and errors on standard error) and [`progress`] (the progress line).

pub mod check;
pub mod console;
pub mod destination;
pub mod progress;
pub mod report;
pub mod validate;
