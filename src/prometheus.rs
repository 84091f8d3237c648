//! A client for Prometheus' instant-query API, and anything serving it (Mimir, Cortex, Thanos).
//!
//! Failures come back as a kind and a one-line message for the caller to attach to the SLO and
//! query they belong to. Secrets (bearer token, basic-auth password, header values,
//! credentials in the URL) never appear in them.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::interface::report::QueryErrorKind;
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

/// How to reach Prometheus, as the settings layer checked it.
pub struct Connection {
    /// The API's base URL, possibly with a path prefix such as `/prometheus`.
    pub base_url: reqwest::Url,
    /// Per attempt; a Window for its Prometheus-style text (`30s`, `1m30s`).
    pub timeout: Window,
    /// Queries in flight at once.
    pub concurrency: usize,
    /// Sent with every query; values marked sensitive.
    pub headers: HeaderMap,
    pub auth: Auth,
    /// Certificates to trust besides the system's.
    pub ca_certs: Option<Vec<reqwest::Certificate>>,
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

pub enum Auth {
    None,
    Bearer(String),
    Basic {
        user: String,
        password: Option<String>,
    },
}

/// Why a query failed, in words that name neither the query nor any secret.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    pub kind: QueryErrorKind,
    pub message: String,
}

impl QueryError {
    fn new(kind: QueryErrorKind, message: String) -> Self {
        QueryError { kind, message }
    }
}

/// Whether another attempt may succeed.
enum Failure {
    Transient(QueryError),
    Final(QueryError),
}

impl Client {
    /// Fails only when the TLS setup refuses the connection's certificates.
    pub fn new(connection: Connection) -> Result<Client, reqwest::Error> {
        let mut builder = reqwest::Client::builder().default_headers(connection.headers);
        if let Some(certs) = connection.ca_certs {
            builder = builder.tls_certs_merge(certs);
        }
        Ok(Client {
            http: builder.build()?,
            query_url: query_url(&connection.base_url),
            shown_url: redact_url(&connection.base_url),
            timeout: connection.timeout,
            auth: Arc::new(connection.auth),
            in_flight: Arc::new(Semaphore::new(connection.concurrency.max(1))),
        })
    }

    /// Runs `promql` as an instant query at `at` (Unix seconds). At most `--concurrency`
    /// queries are in flight at once; connection errors and 5xx answers are retried.
    pub async fn query(&self, promql: &str, at: f64) -> Result<Answer, QueryError> {
        let _permit = self
            .in_flight
            .acquire()
            .await
            .expect("the client never closes its semaphore");
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
                Err(Failure::Transient(error)) => {
                    let message = format!("{error} (gave up after {ATTEMPTS} attempts)");
                    return Err(QueryError::new(error.kind, message));
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
        let http_failure = |kind: QueryErrorKind, detail: String| {
            let message = format!("{} answered HTTP {status}: {detail}", self.shown_url);
            let message = QueryError::new(kind, message);
            if status.is_server_error() {
                Failure::Transient(message)
            } else {
                Failure::Final(message)
            }
        };
        match parsed {
            Ok(api) if api.status == "error" => {
                let error_type = api.error_type.as_deref().unwrap_or("unknown error type");
                Err(http_failure(
                    QueryErrorKind::Api {
                        error_type: error_type.to_string(),
                    },
                    format!(
                        "query failed ({error_type}): {}",
                        api.error.as_deref().unwrap_or("no message")
                    ),
                ))
            }
            _ if !status.is_success() => Err(http_failure(
                QueryErrorKind::HttpStatus {
                    status: status.as_u16(),
                },
                excerpt(&body),
            )),
            Ok(api) if api.status == "success" => read_data(api).map_err(|message| {
                Failure::Final(QueryError::new(QueryErrorKind::Decode, message))
            }),
            Ok(api) => Err(Failure::Final(QueryError::new(
                QueryErrorKind::Decode,
                format!(
                    "{} answered with status `{}`, expected `success`",
                    self.shown_url, api.status
                ),
            ))),
            Err(e) => Err(Failure::Final(QueryError::new(
                QueryErrorKind::Decode,
                format!(
                    "{} did not answer with Prometheus API JSON ({e}); the body starts: {}",
                    self.shown_url,
                    excerpt(&body)
                ),
            ))),
        }
    }

    fn transport_failure(&self, error: reqwest::Error) -> Failure {
        let url = &self.shown_url;
        if error.is_timeout() {
            let limit = self.timeout;
            Failure::Final(QueryError::new(
                QueryErrorKind::Timeout,
                format!("no answer from {url} within {limit} (--timeout)"),
            ))
        } else {
            // Connection refused, reset, DNS or TLS failures: the chain of causes says which.
            Failure::Transient(QueryError::new(
                QueryErrorKind::Unreachable,
                format!("cannot reach {url}: {}", root_cause(error)),
            ))
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
