//! What each command prints: `validate`'s summary, `report`'s renderings and `check`'s
//! verdicts.

pub mod check;
pub mod report;
pub mod validate;
