//! The input formats, each a schema on top of the [`Reader`](super::reader::Reader).

pub mod prometheus;
pub mod slo_v1;
