//! The input formats, each a schema on top of the [`Reader`](super::reader::Reader), and
//! which one a document is written in.

pub mod openslo;
pub mod prometheus;
pub mod slo_v1;
pub mod sloth;

use super::Diagnostic;
use super::reader::{Node, Read, peek_string};
use crate::model::{Spec, Window};

pub use openslo::Definitions;

/// Reads one YAML document in whichever format its own markers name; OpenSLO documents
/// other than SLOs give no spec. Anything that is not recognisably Sloth's or OpenSLO's is
/// read as ours, whose messages say what a spec must start with.
pub fn read_document(
    root: &Node,
    source: &str,
    default_window: Window,
    definitions: &Definitions,
) -> Result<Read<Option<Spec>>, Vec<Diagnostic>> {
    if openslo::is_openslo(root) {
        return openslo::read(root, source, default_window, definitions);
    }
    let read = |dialect| sloth::read(root, source, dialect, default_window);
    let sloth = |dialect| {
        read(dialect).map(|read| Read {
            value: Some(read.value),
            warnings: read.warnings,
        })
    };
    if peek_string(root, "version") == Some(sloth::PROMETHEUS_V1) {
        return sloth(sloth::Dialect::PrometheusV1);
    }
    if peek_string(root, "apiVersion") == Some(sloth::CRD_API_VERSION)
        && peek_string(root, "kind") == Some(sloth::CRD_KIND)
    {
        return sloth(sloth::Dialect::Kubernetes);
    }
    slo_v1::read(root, source, default_window).map(|value| Read {
        value: Some(value),
        warnings: Vec::new(),
    })
}
