//! `--prometheus-url` and the connection flags, turned into a ready client: URL checked,
//! token, password and CA files read.

use std::path::Path;

use reqwest::header::HeaderMap;

use crate::cli::PrometheusArgs;
use crate::error::Error;
use crate::prometheus::{Auth, Client, Connection};

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
        Auth::Bearer(read_secret(file, "--bearer-token-file")?)
    } else if let Some(token) = args.bearer_token.as_deref().map(str::trim)
        // An empty SLO_PROMETHEUS_TOKEN means no token, not an empty one.
        && !token.is_empty()
    {
        Auth::Bearer(token.to_string())
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
    })
}

fn read_certificates(path: &Path) -> Result<Vec<reqwest::Certificate>, Error> {
    let pem = std::fs::read(path)
        .map_err(|e| Error::Usage(format!("--ca-cert: cannot read {}: {e}", path.display())))?;
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
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Usage(format!("{flag}: cannot read {}: {e}", path.display())))?;
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
    fn an_unparsable_url_is_shown_without_credentials() {
        assert_eq!(
            redact_url_text("ht!tp://me:pa?s3cret@h/?key=s3cret"),
            "ht!tp://***@h/?***"
        );
        assert_eq!(redact_url_text("ht!tp://me:s3cret@h"), "ht!tp://***@h");
    }
}
