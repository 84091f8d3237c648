//! `--prometheus-url` and the connection flags, turned into a ready client: URL checked,
//! token, password and CA files read (each within a size limit, so that a wrong path such as
//! `/dev/zero` is refused instead of read forever).

use std::io::Read;
use std::path::Path;

use reqwest::header::{HeaderMap, HeaderValue};

use crate::cli::PrometheusArgs;
use crate::error::Error;
use crate::prometheus::{Auth, Client, Connection, Limits, size_text};

/// The largest token or password file read.
const MAX_SECRET_BYTES: u64 = 64 << 10;
/// The largest CA file read: a whole public CA bundle is about 250 KiB.
const MAX_CA_BYTES: u64 = 4 << 20;

/// The client the flags describe. Every problem is a usage error (exit 2).
pub fn client(args: &PrometheusArgs) -> Result<Client, Error> {
    Client::new(connection(args)?)
        .map_err(|e| Error::Usage(format!("cannot set up the HTTP client: {e}")))
}

fn connection(args: &PrometheusArgs) -> Result<Connection, Error> {
    let base_url = reqwest::Url::parse(args.prometheus_url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        .ok_or_else(|| {
            Error::Usage(format!(
                "--prometheus-url: `{}` is not an http(s) URL",
                redact_url_text(&args.prometheus_url)
            ))
        })?;
    let headers: HeaderMap = args.headers.iter().cloned().collect();
    let auth = if let Some(file) = &args.bearer_token_file {
        let flag = "--bearer-token-file";
        Auth::Bearer(bearer_token(read_secret(file, flag)?, flag)?)
    } else if let Some(token) = args.bearer_token.as_deref().map(str::trim)
        // An empty SLO_PROMETHEUS_TOKEN means no token, not an empty one.
        && !token.is_empty()
    {
        if args.basic_auth_user.is_some() {
            return Err(Error::Usage(
                "SLO_PROMETHEUS_TOKEN (--bearer-token) and --basic-auth-user cannot be used \
                 together; unset one"
                    .into(),
            ));
        }
        Auth::Bearer(bearer_token(token.to_string(), "SLO_PROMETHEUS_TOKEN")?)
    } else if let Some(user) = &args.basic_auth_user {
        let password = match &args.basic_auth_password_file {
            Some(file) => Some(read_secret(file, "--basic-auth-password-file")?),
            None => args.basic_auth_password.clone(),
        };
        Auth::Basic {
            user: user.clone(),
            password,
        }
    } else {
        Auth::None
    };
    let ca_certs = args.ca_cert.as_deref().map(read_certificates).transpose()?;
    Ok(Connection {
        base_url,
        timeout: args.timeout,
        concurrency: usize::from(args.concurrency),
        headers,
        auth,
        ca_certs,
        limits: Limits {
            max_response_bytes: args.max_response_bytes,
            max_series: args.max_series as usize,
        },
    })
}

/// `token` when an `Authorization` header can carry it: a line break would otherwise only
/// surface later, as every query failing to send.
fn bearer_token(token: String, source: &str) -> Result<String, Error> {
    match HeaderValue::from_str(&format!("Bearer {token}")) {
        Ok(_) => Ok(token),
        Err(_) => Err(Error::Usage(format!(
            "{source}: the token holds a line break or another control character, which an \
             HTTP header cannot carry"
        ))),
    }
}

/// The bytes of `path`, refused beyond `limit`.
fn read_capped(path: &Path, flag: &str, limit: u64) -> Result<Vec<u8>, Error> {
    let cannot_read =
        |e: std::io::Error| Error::Usage(format!("{flag}: cannot read {}: {e}", path.display()));
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(limit + 1).read_to_end(&mut bytes))
        .map_err(cannot_read)?;
    if bytes.len() as u64 > limit {
        return Err(Error::Usage(format!(
            "{flag}: {} is larger than {}, too large for what it should hold",
            path.display(),
            size_text(limit)
        )));
    }
    Ok(bytes)
}

fn read_certificates(path: &Path) -> Result<Vec<reqwest::Certificate>, Error> {
    let pem = read_capped(path, "--ca-cert", MAX_CA_BYTES)?;
    reqwest::Certificate::from_pem_bundle(&pem)
        .ok()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            Error::Usage(format!(
                "--ca-cert: {} holds no PEM certificate",
                path.display()
            ))
        })
}

fn read_secret(path: &Path, flag: &str) -> Result<String, Error> {
    let bytes = read_capped(path, flag, MAX_SECRET_BYTES)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::Usage(format!("{flag}: {} is not UTF-8 text", path.display())))?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(Error::Usage(format!("{flag}: {} is empty", path.display())));
    }
    Ok(secret.to_string())
}

/// For a URL that did not parse: drop anything that looks like `user:password@`, then any
/// query or fragment.
fn redact_url_text(text: &str) -> String {
    let shown = match text.rsplit_once('@') {
        Some((before, host)) => match before.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://***@{host}"),
            None => format!("***@{host}"),
        },
        None => text.to_string(),
    };
    match shown.split_once(['?', '#']) {
        Some((before, _)) => format!("{before}?***"),
        None => shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_with_a_line_break_is_refused_without_showing_it() {
        assert_eq!(bearer_token("abc.def".into(), "x").unwrap(), "abc.def");
        let err = bearer_token("s3cret\nX-Evil: 1".into(), "SLO_PROMETHEUS_TOKEN").unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("SLO_PROMETHEUS_TOKEN: the token holds a line break"));
        assert!(!message.contains("s3cret"), "{message}");
    }

    #[test]
    fn an_endless_file_is_refused_at_the_limit() {
        let err = read_secret(Path::new("/dev/zero"), "--bearer-token-file").unwrap_err();
        assert_eq!(
            err.to_string(),
            "--bearer-token-file: /dev/zero is larger than 64 KiB, too large for what it should hold"
        );
    }

    #[test]
    fn an_unparsable_url_is_shown_without_credentials() {
        assert_eq!(
            redact_url_text("ht!tp://me:pa?s3cret@h/?key=s3cret"),
            "ht!tp://***@h/?***"
        );
        assert_eq!(redact_url_text("ht!tp://me:s3cret@h"), "ht!tp://***@h");
    }
}
