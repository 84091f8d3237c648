//! What each command prints: `validate`'s summary, `report`'s renderings and `check`'s
//! verdicts; and where it goes: [`destination`] (standard output or files replaced whole) and
//! [`console`] (warnings and errors on standard error).

pub mod check;
pub mod console;
pub mod destination;
pub mod report;
pub mod validate;
