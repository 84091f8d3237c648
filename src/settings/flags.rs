//! Value parsers for the flags whose values clap cannot check by itself. A bad value is a
//! clap usage error (exit 2) whose message names the flag and says what is wrong.

use std::ffi::OsStr;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use reqwest::header::{HeaderName, HeaderValue};

use crate::model::Window;

/// A clap value parser from a function whose error message names its flag; clap prints the
/// message as it is, then the usage.
#[derive(Clone)]
pub struct Checked<T>(pub fn(&str) -> Result<T, String>);

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Checked<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let text = value
            .to_str()
            .ok_or_else(|| clap::Error::new(ErrorKind::InvalidUtf8).with_cmd(cmd))?;
        (self.0)(text).map_err(|message| {
            clap::Error::raw(ErrorKind::ValueValidation, message).format(&mut cmd.clone())
        })
    }
}

/// `--at`: RFC 3339 or Unix seconds, as Unix seconds.
pub fn at(text: &str) -> Result<f64, String> {
    crate::timestamp::parse(text).map_err(|e| format!("--at: {e}"))
}

/// `--timeout`: a positive Prometheus duration.
pub fn timeout(text: &str) -> Result<Window, String> {
    positive_duration(text)
        .ok_or_else(|| format!("--timeout: `{text}` is not a positive duration such as 30s or 2m"))
}

/// `--default-window`: a compliance window slo supports.
pub fn default_window(text: &str) -> Result<Window, String> {
    let window = Window::parse(text).map_err(|e| format!("--default-window: {e}"))?;
    crate::spec::check_compliance_window(window)
        .map_err(|(message, hint)| format!("--default-window: {message}; {hint}"))
}

/// `--deadline`: a positive Prometheus duration.
pub fn deadline(text: &str) -> Result<Window, String> {
    positive_duration(text)
        .ok_or_else(|| format!("--deadline: `{text}` is not a positive duration such as 2m or 90s"))
}

/// `--watch`: an interval of at least 5 seconds, so a live view cannot hammer Prometheus.
pub fn watch(text: &str) -> Result<Window, String> {
    Window::parse(text)
        .ok()
        .filter(|w| w.secs() >= 5)
        .ok_or_else(|| {
            format!("--watch: `{text}` is not an interval of at least 5s, such as 30s or 1m")
        })
}

/// `--step`: a positive Prometheus duration, of whole seconds.
pub fn step(text: &str) -> Result<Window, String> {
    positive_duration(text)
        .filter(|w| w.duration().subsec_nanos() == 0)
        .ok_or_else(|| {
            format!(
                "--step: `{text}` is not a positive duration of whole seconds such as 1h or 30m"
            )
        })
}

fn positive_duration(text: &str) -> Option<Window> {
    Window::parse(text).ok().filter(|w| !w.duration().is_zero())
}

/// `--max-response-bytes`: a positive number of bytes, or of `KiB`, `MiB` or `GiB`.
pub fn byte_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let (number, unit) = [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        .into_iter()
        .find_map(|(suffix, unit)| Some((trimmed.strip_suffix(suffix)?, unit)))
        .unwrap_or((trimmed, 1));
    number
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|&bytes| bytes > 0)
        .ok_or_else(|| {
            format!(
                "--max-response-bytes: `{text}` is not a positive size such as 64MiB, 512KiB \
                 or 1048576"
            )
        })
}

/// `--header 'Name: value'`. The value is marked sensitive and never shown, as it often is a
/// credential.
pub fn header(text: &str) -> Result<(HeaderName, HeaderValue), String> {
    let invalid = |why: &str| {
        let name = text.split_once(':').map_or("", |(n, _)| n.trim());
        format!("--header `{name}`: {why}; expected `Name: value`")
    };
    let (name, value) = text.split_once(':').ok_or_else(|| invalid("no colon"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| invalid("not a valid header name"))?;
    let mut value = HeaderValue::from_str(value.trim())
        .map_err(|_| invalid("the value holds characters a header cannot carry"))?;
    value.set_sensitive(true);
    Ok((name, value))
}

/// `--max-burn-rate WINDOW=FACTOR`, e.g. `1h=14.4`. Whether the SLOs measure the window is
/// checked against the spec later.
pub fn max_burn_rate(text: &str) -> Result<(Window, f64), String> {
    let usage = |why: String| {
        format!("--max-burn-rate `{text}`: {why} (expected WINDOW=FACTOR, e.g. 1h=14.4)")
    };
    let (window, factor) = text.split_once('=').ok_or_else(|| usage("no `=`".into()))?;
    let window = Window::parse(window.trim())
        .map_err(|err| usage(format!("`{}` is not a duration: {err}", window.trim())))?;
    let factor: f64 = factor
        .trim()
        .parse()
        .map_err(|_| usage(format!("`{}` is not a number", factor.trim())))?;
    if !(factor.is_finite() && factor > 0.0) {
        return Err(usage(format!(
            "the factor must be a positive number, got {factor}"
        )));
    }
    Ok((window, factor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_burn_rates_parse_into_windows_and_factors() {
        let w = |text| Window::parse(text).unwrap();
        assert_eq!(max_burn_rate("1h=14.4"), Ok((w("1h"), 14.4)));
        assert_eq!(max_burn_rate(" 3d = 1 "), Ok((w("3d"), 1.0)));
        for bad in [
            "1h", "=3", "1x=2", "1h=", "1h=abc", "1h=0", "1h=-1", "1h=inf", "1h=NaN", "",
        ] {
            let message = max_burn_rate(bad).unwrap_err();
            assert!(message.starts_with("--max-burn-rate"), "{bad}: {message}");
        }
    }

    #[test]
    fn timeouts_are_positive_durations() {
        assert_eq!(timeout("1m30s"), Ok(Window::from_secs(90)));
        for bad in ["0s", "soon", ""] {
            assert!(
                timeout(bad).unwrap_err().starts_with("--timeout: `"),
                "{bad}"
            );
        }
    }

    #[test]
    fn sizes_are_bytes_or_binary_units() {
        assert_eq!(byte_size("64MiB"), Ok(64 << 20));
        assert_eq!(byte_size("512 KiB"), Ok(512 << 10));
        assert_eq!(byte_size("1GiB"), Ok(1 << 30));
        assert_eq!(byte_size("1048576"), Ok(1 << 20));
        for bad in ["0", "-1", "64MB", "lots", "", "99999999999GiB"] {
            let message = byte_size(bad).unwrap_err();
            assert!(
                message.starts_with("--max-response-bytes: `"),
                "{bad}: {message}"
            );
        }
    }

    #[test]
    fn deadlines_are_positive_durations() {
        assert_eq!(deadline("2m"), Ok(Window::from_secs(120)));
        assert!(deadline("0s").unwrap_err().starts_with("--deadline: `0s`"));
    }

    #[test]
    fn header_values_are_sensitive_and_never_in_messages() {
        let err = header("X-Token s3cret").unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
        let (name, value) = header("X-Scope-OrgID: tenant-1").unwrap();
        assert_eq!(name.as_str(), "x-scope-orgid");
        assert!(value.is_sensitive());
    }

    #[test]
    fn a_bad_value_is_a_clap_usage_error_that_names_the_flag() {
        use clap::Parser;
        let err =
            crate::cli::Cli::try_parse_from(["slo", "report", "--at", "yesterday"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .starts_with("error: --at: `yesterday` is neither RFC 3339"),
            "{err}"
        );
    }
}
