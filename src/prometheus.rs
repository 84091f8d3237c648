//! A client for Prometheus' instant-query API, and anything serving it (Mimir, Cortex, Thanos).
//!
//! Failures come back as one-line messages for the caller to attach to the SLO and query they
//! belong to. Secrets (bearer token, basic-auth password, header values, credentials in the
//! URL) never appear in them.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::cli::PrometheusArgs;
use crate::error::Error;
use crate::model::{Labels, Window};

/// Attempts per query when the failure may be transient (connection error, HTTP 5xx).
const ATTEMPTS: u32 = 3;
/// Pause before the second attempt; doubled before each later one.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// How much of an unexpected body an error message quotes.
const EXCERPT_CHARS: usize = 120;

/// One sample of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: Labels,
    pub value: f64,
}

/// A successful answer. NaN samples (e.g. 0/0 in a raw ratio) are left out: they mean "no
/// value", and must never reach arithmetic or output.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer {
    pub samples: Vec<Sample>,
    /// Prometheus' `warnings` and `infos`, as it worded them.
    pub warnings: Vec<String>,
}

/// Cheap to clone; clones share the connection pool and the concurrency limit.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    query_url: reqwest::Url,
    /// The base URL without credentials, for messages.
    shown_url: String,
    /// Per attempt; a Window for its Prometheus-style text (`30s`, `1m30s`).
    timeout: Window,
    auth: Arc<Auth>,
    in_flight: Arc<Semaphore>,
}

enum Auth {
    None,
    Bearer(String),
    Basic {
        user: String,
        password: Option<String>,
    },
}

/// Whether another attempt may succeed.
enum Failure {
    Transient(String),
    Final(String),
}

impl Client {
    /// Builds the client from the command line: reads token, password and CA files, checks
    /// the URL, timeout and headers. Every problem is a usage error (exit 2).
    pub fn from_args(args: &PrometheusArgs) -> Result<Client, Error> {
        let base = reqwest::Url::parse(args.prometheus_url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--prometheus-url: `{}` is not an http(s) URL",
                    redact_url_text(&args.prometheus_url)
                ))
            })?;
        let timeout = Window::parse(&args.timeout)
            .ok()
            .filter(|w| !w.duration().is_zero())
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--timeout: `{}` is not a positive duration such as 30s or 2m",
                    args.timeout
                ))
            })?;
        let mut headers = HeaderMap::new();
        for header in &args.headers {
            let (name, value) = parse_header(header)?;
            headers.append(name, value);
        }
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
        let mut builder = reqwest::Client::builder().default_headers(headers);
        if let Some(path) = &args.ca_cert {
            let pem = std::fs::read(path).map_err(|e| {
                Error::Usage(format!("--ca-cert: cannot read {}: {e}", path.display()))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--ca-cert: {} holds no PEM certificate",
                        path.display()
                    ))
                })?;
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder
            .build()
            .map_err(|e| Error::Usage(format!("cannot set up the HTTP client: {e}")))?;
        let concurrency = usize::from(args.concurrency.max(1));
        Ok(Client {
            http,
            query_url: query_url(&base),
            shown_url: redact_url(&base),
            timeout,
            auth: Arc::new(auth),
            in_flight: Arc::new(Semaphore::new(concurrency)),
        })
    }

    /// Runs `promql` as an instant query at `at` (Unix seconds). At most `--concurrency`
    /// queries are in flight at once; connection errors and 5xx answers are retried.
    pub async fn query(&self, promql: &str, at: f64) -> Result<Answer, String> {
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| "the query pool was closed".to_string())?;
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            match self.attempt(promql, at).await {
                Ok(answer) => return Ok(answer),
                Err(Failure::Transient(_)) if attempt < ATTEMPTS => {
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    attempt += 1;
                }
                Err(Failure::Transient(message)) => {
                    return Err(format!("{message} (gave up after {ATTEMPTS} attempts)"));
                }
                Err(Failure::Final(message)) => return Err(message),
            }
        }
    }

    async fn attempt(&self, promql: &str, at: f64) -> Result<Answer, Failure> {
        let time = at.to_string();
        let request = self
            .http
            .post(self.query_url.clone())
            .timeout(self.timeout.duration())
            .form(&[("query", promql), ("time", time.as_str())]);
        let request = match &*self.auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Basic { user, password } => request.basic_auth(user, password.as_deref()),
        };
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_failure(e))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| self.transport_failure(e))?;
        let parsed: Result<ApiResponse, _> = serde_json::from_str(&body);
        let http_failure = |detail: String| {
            let message = format!("{} answered HTTP {status}: {detail}", self.shown_url);
            if status.is_server_error() {
                Failure::Transient(message)
            } else {
                Failure::Final(message)
            }
        };
        match parsed {
            Ok(api) if api.status == "error" => Err(http_failure(format!(
                "query failed ({}): {}",
                api.error_type.as_deref().unwrap_or("unknown error type"),
                api.error.as_deref().unwrap_or("no message")
            ))),
            _ if !status.is_success() => Err(http_failure(excerpt(&body))),
            Ok(api) if api.status == "success" => read_data(api).map_err(Failure::Final),
            Ok(api) => Err(Failure::Final(format!(
                "{} answered with status `{}`, expected `success`",
                self.shown_url, api.status
            ))),
            Err(e) => Err(Failure::Final(format!(
                "{} did not answer with Prometheus API JSON ({e}); the body starts: {}",
                self.shown_url,
                excerpt(&body)
            ))),
        }
    }

    fn transport_failure(&self, error: reqwest::Error) -> Failure {
        let url = &self.shown_url;
        if error.is_timeout() {
            let limit = self.timeout;
            Failure::Final(format!("no answer from {url} within {limit} (--timeout)"))
        } else {
            // Connection refused, reset, DNS or TLS failures: the chain of causes says which.
            Failure::Transient(format!("cannot reach {url}: {}", root_cause(error)))
        }
    }
}

/// The root cause of a transport error (`Connection refused (os error 111)`, a TLS
/// verification failure), without the request URL, which may carry credentials.
fn root_cause(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut cause: &dyn std::error::Error = &error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// `<base>/api/v1/query`, keeping a path prefix such as `/prometheus`.
fn query_url(base: &reqwest::Url) -> reqwest::Url {
    let mut url = base.clone();
    let path = format!("{}/api/v1/query", base.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// The URL for messages: without user, password, query or fragment, which may all carry
/// credentials (`?api_key=...`); queries go to [`query_url`], which drops the last two anyway.
fn redact_url(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string().trim_end_matches('/').to_string()
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

/// `Name: value`. The value is marked sensitive and never shown, as it often is a credential.
fn parse_header(text: &str) -> Result<(HeaderName, HeaderValue), Error> {
    let invalid = |why: &str| {
        let name = text.split_once(':').map_or("", |(n, _)| n.trim());
        Error::Usage(format!("--header `{name}`: {why}; expected `Name: value`"))
    };
    let (name, value) = text.split_once(':').ok_or_else(|| invalid("no colon"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| invalid("not a valid header name"))?;
    let mut value = HeaderValue::from_str(value.trim())
        .map_err(|_| invalid("the value holds characters a header cannot carry"))?;
    value.set_sensitive(true);
    Ok((name, value))
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

/// The first characters of a body, on one line.
fn excerpt(body: &str) -> String {
    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        return "(empty body)".to_string();
    }
    match flat.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

#[derive(Deserialize)]
struct ApiResponse {
    status: String,
    data: Option<ApiData>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    infos: Vec<String>,
}

#[derive(Deserialize)]
struct ApiData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct VectorSample {
    #[serde(default)]
    metric: Labels,
    value: (f64, String),
}

fn read_data(api: ApiResponse) -> Result<Answer, String> {
    let data = api
        .data
        .ok_or("the answer has status `success` but no `data`")?;
    let raw: Vec<VectorSample> = match data.result_type.as_str() {
        "vector" => serde_json::from_value(data.result)
            .map_err(|e| format!("the result is not an instant vector: {e}"))?,
        "scalar" => {
            let value = serde_json::from_value(data.result)
                .map_err(|e| format!("the result is not a scalar: {e}"))?;
            vec![VectorSample {
                metric: Labels::new(),
                value,
            }]
        }
        other => return Err(format!("the query returned a {other}, expected a vector")),
    };
    let mut samples = Vec::with_capacity(raw.len());
    for sample in raw {
        let value: f64 = sample.value.1.parse().map_err(|_| {
            format!(
                "the sample value `{}` is not a number",
                excerpt(&sample.value.1)
            )
        })?;
        if value.is_nan() {
            continue;
        }
        if value.is_infinite() {
            return Err(format!(
                "the query returned {} for {}; a count or ratio must be finite",
                sample.value.1,
                series_text(&sample.metric)
            ));
        }
        samples.push(Sample {
            labels: sample.metric,
            value,
        });
    }
    let warnings = api
        .warnings
        .into_iter()
        .chain(api.infos.into_iter().map(|i| format!("info: {i}")))
        .collect();
    Ok(Answer { samples, warnings })
}

/// `{a="b"}` for messages.
pub fn series_text(labels: &Labels) -> String {
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", pairs.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &str) -> Result<Answer, String> {
        read_data(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn reads_vectors_and_scalars_and_drops_nan() {
        let a = answer(
            r#"{"status":"success","data":{"resultType":"vector","result":[
                {"metric":{"handler":"/a"},"value":[1793491200,"1.5"]},
                {"metric":{"handler":"/b"},"value":[1793491200,"NaN"]}]},
                "warnings":["w1"],"infos":["i1"]}"#,
        )
        .unwrap();
        assert_eq!(a.samples.len(), 1);
        assert_eq!(a.samples[0].value, 1.5);
        assert_eq!(a.samples[0].labels["handler"], "/a");
        assert_eq!(a.warnings, ["w1", "info: i1"]);
        let s =
            answer(r#"{"status":"success","data":{"resultType":"scalar","result":[1,"0.25"]}}"#)
                .unwrap();
        assert_eq!(s.samples[0].value, 0.25);
    }

    #[test]
    fn refuses_infinite_values_and_other_result_types() {
        let inf = answer(
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"+Inf"]}]}}"#,
        );
        assert!(inf.unwrap_err().contains("+Inf"));
        let matrix = answer(r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#);
        assert!(matrix.unwrap_err().contains("matrix"));
    }

    #[test]
    fn query_url_keeps_a_path_prefix() {
        for (base, want) in [
            ("http://h:9090", "http://h:9090/api/v1/query"),
            ("http://h:9090/", "http://h:9090/api/v1/query"),
            ("https://h/prometheus", "https://h/prometheus/api/v1/query"),
            ("https://h/prometheus/", "https://h/prometheus/api/v1/query"),
        ] {
            let url = reqwest::Url::parse(base).unwrap();
            assert_eq!(query_url(&url).as_str(), want);
        }
    }

    #[test]
    fn messages_never_show_credentials() {
        let url = reqwest::Url::parse("https://me:s3cret@h/prom/").unwrap();
        assert_eq!(redact_url(&url), "https://h/prom");
        let url = reqwest::Url::parse("https://h/prom?api_key=s3cret#s3cret").unwrap();
        assert_eq!(redact_url(&url), "https://h/prom");
        assert_eq!(
            redact_url_text("ht!tp://me:pa?s3cret@h/?key=s3cret"),
            "ht!tp://***@h/?***"
        );
        assert_eq!(redact_url_text("ht!tp://me:s3cret@h"), "ht!tp://***@h");
        let err = parse_header("X-Token s3cret").unwrap_err().to_string();
        assert!(!err.contains("s3cret"), "{err}");
        let (name, value) = parse_header("X-Scope-OrgID: tenant-1").unwrap();
        assert_eq!(name.as_str(), "x-scope-orgid");
        assert!(value.is_sensitive());
    }

    #[test]
    fn excerpts_are_short_and_on_one_line() {
        assert_eq!(
            excerpt("<html>\n  <body>x</body>\n</html>"),
            "<html> <body>x</body> </html>"
        );
        assert_eq!(excerpt(&"a".repeat(500)).chars().count(), EXCERPT_CHARS + 1);
        assert_eq!(excerpt(""), "(empty body)");
    }
}
