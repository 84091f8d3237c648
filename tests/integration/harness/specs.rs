//! `slo.yaml` texts for the tests' data: a document and its errors-ratio SLOs.

use super::scenarios::REQUESTS;

/// A version 1 spec for `service`: `top` (more top-level YAML, e.g. a `gate:` section, or
/// nothing), then the `slos` entries.
pub fn spec(service: &str, top: &str, slos: &[String]) -> String {
    format!(
        "version: 1\nservice: {service}\n{top}\nslos:\n{}",
        slos.concat()
    )
}

/// One `slos:` entry: an errors-ratio SLO `name` at `objective` percent over `window`.
pub fn ratio_slo(name: &str, objective: f64, window: &str, errors: &str, total: &str) -> String {
    format!(
        "  - name: {name}
    objective: {objective}
    window: {window}
    sli:
      ratio:
        errors: {errors}
        total: {total}
"
    )
}

/// [`ratio_slo`] over the scenarios' requests of `job`, the `5xx` ones being errors.
pub fn requests_slo(name: &str, objective: f64, window: &str, job: &str) -> String {
    ratio_slo(
        name,
        objective,
        window,
        &format!("{REQUESTS}{{job=\"{job}\",status=\"5xx\"}}"),
        &format!("{REQUESTS}{{job=\"{job}\"}}"),
    )
}
