//! A client for Prometheus' instant- and range-query API, and anything serving it (Mimir, Cortex, Thanos).
//!
//! Failures come back as a kind and a one-line message for the caller to attach to the SLO and
//! query they belong to. Secrets (bearer token, basic-auth password, header values,
//! credentials in the URL) never appear in them. What a server sends is read within limits:
//! the body's size and the series per answer are capped, echoed text is clipped, redirects to
//! another origin are not followed, and once the server is known unreachable no further query
//! is sent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};
use tokio::sync::Semaphore;

use crate::interface::report::QueryErrorKind;
use crate::model::{Labels, Window};

/// Attempts per query when the failure may be transient (connection reset, HTTP 5xx).
const ATTEMPTS: u32 = 3;
/// Pause before the second attempt; doubled before each later one.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// How much of an unexpected body an error message quotes.
const EXCERPT_CHARS: usize = 120;
/// How much of any one text from the server (a warning, an error, a label value) is echoed.
pub const ECHO_CHARS: usize = 512;
/// Warnings (and infos) echoed per answer; the rest are counted.
const ECHOED_NOTES: usize = 5;
/// Redirects followed per query, all within the origin of the base URL.
const MAX_REDIRECTS: usize = 5;

/// One sample of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: Labels,
    pub value: f64,
}

/// One series of a range query's answer, its points `(Unix seconds, value)` oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Labels,
    pub points: Vec<(f64, f64)>,
}

/// A successful answer. Values are finite or NaN: what NaN means depends on the query (no
/// traffic in a ratio, a broken counter in a count), so the caller decides.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer {
    /// An instant query's vector.
    pub samples: Vec<Sample>,
    /// A range query's matrix.
    pub series: Vec<Series>,
    /// Prometheus' `warnings` (e.g. a partial response), clipped, at most a few.
    pub warnings: Vec<String>,
    /// Prometheus' `infos`, clipped, at most a few.
    pub infos: Vec<String>,
}

/// How much of one answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of the response bodies held at once, together (`--max-response-bytes`): a
    /// bound on memory whatever `--concurrency` is.
    pub max_response_bytes: u64,
    /// Series in one answer (`--max-series`).
    pub max_series: usize,
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
    pub limits: Limits,
}

/// Cheap to clone; clones share the connection pool, the concurrency limit and what is known
/// about the server's reachability.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    query_url: reqwest::Url,
    /// The base URL without credentials, for messages.
    shown_url: String,
    /// Per attempt; a Window for its Prometheus-style text (`30s`, `1m30s`).
    timeout: Window,
    auth: Arc<Auth>,
    limits: Limits,
    in_flight: Arc<Semaphore>,
    /// Bytes of the bodies being read or parsed now, by every clone.
    buffered: Arc<AtomicU64>,
    /// Set by the first query that finds the server unreachable (refused, DNS, TLS); every
    /// later query fails with it at once instead of knocking again.
    unreachable: Arc<OnceLock<QueryError>>,
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
    pub fn new(kind: QueryErrorKind, message: String) -> Self {
        QueryError { kind, message }
    }
}

/// Whether another attempt, or any other query, may succeed.
#[derive(Debug)]
enum Failure {
    Transient(QueryError),
    Final(QueryError),
    /// The server cannot be reached at all: no query to it can succeed.
    Unreachable(QueryError),
}

impl Client {
    /// Fails only when the TLS setup refuses the connection's certificates.
    pub fn new(connection: Connection) -> Result<Client, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .default_headers(connection.headers)
            .redirect(same_origin_redirects());
        if let Some(certs) = connection.ca_certs {
            builder = builder.tls_certs_merge(certs);
        }
        Ok(Client {
            http: builder.build()?,
            query_url: query_url(&connection.base_url),
            shown_url: redact_url(&connection.base_url),
            timeout: connection.timeout,
            auth: Arc::new(connection.auth),
            limits: connection.limits,
            in_flight: Arc::new(Semaphore::new(connection.concurrency.max(1))),
            buffered: Arc::new(AtomicU64::new(0)),
            unreachable: Arc::new(OnceLock::new()),
        })
    }

    /// A clone that has forgotten that the server was unreachable, for a new round of
    /// queries (`report --watch`): the server may be back.
    pub fn for_new_round(&self) -> Client {
        Client {
            unreachable: Arc::new(OnceLock::new()),
            ..self.clone()
        }
    }

    /// Runs `promql` as an instant query at `at` (Unix seconds). At most `--concurrency`
    /// queries are in flight at once; connection resets and 5xx answers are retried.
    pub async fn query(&self, promql: &str, at: f64) -> Result<Answer, QueryError> {
        self.query_call(promql, When::Instant(at)).await
    }

    /// Runs `promql` as a range query at every `step` from `start` to `end` (Unix seconds),
    /// as [`Client::query`] does; the answer's `series` hold the points.
    pub async fn query_range(
        &self,
        promql: &str,
        start: f64,
        end: f64,
        step: Window,
    ) -> Result<Answer, QueryError> {
        self.query_call(promql, When::Range { start, end, step })
            .await
    }

    /// The metric type Prometheus' metadata gives `metric` (`counter`, `gauge`, ...), from
    /// what it scraped; `None` when it has none (backfilled, remote-written or never scraped).
    pub async fn metric_type(&self, metric: &str) -> Result<Option<String>, QueryError> {
        self.send(Call::Metadata(metric))
            .await
            .map(|reply| match reply {
                Reply::MetricType(kind) => kind,
                Reply::Answer(_) => unreachable!("a metadata call is read as metadata"),
            })
    }

    async fn query_call(&self, promql: &str, when: When) -> Result<Answer, QueryError> {
        self.send(Call::Query(promql, when))
            .await
            .map(|reply| match reply {
                Reply::Answer(answer) => answer,
                Reply::MetricType(_) => unreachable!("a query is read as a query"),
            })
    }

    async fn send(&self, call: Call<'_>) -> Result<Reply, QueryError> {
        let _permit = self
            .in_flight
            .acquire()
            .await
            .expect("the client never closes its semaphore");
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            if let Some(error) = self.unreachable.get() {
                return Err(error.clone());
            }
            match self.attempt(call).await {
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
                Err(Failure::Final(error)) => return Err(error),
                Err(Failure::Unreachable(error)) => {
                    return Err(self.unreachable.get_or_init(|| error).clone());
                }
            }
        }
    }

    async fn attempt(&self, call: Call<'_>) -> Result<Reply, Failure> {
        let request = match call {
            Call::Query(promql, when) => {
                let mut form = vec![("query", promql.to_string())];
                let url = match when {
                    When::Instant(at) => {
                        form.push(("time", at.to_string()));
                        self.query_url.clone()
                    }
                    When::Range { start, end, step } => {
                        form.extend([
                            ("start", start.to_string()),
                            ("end", end.to_string()),
                            ("step", step.duration().as_secs_f64().to_string()),
                        ]);
                        sibling_url(&self.query_url, "query_range")
                    }
                };
                self.http.post(url).form(&form)
            }
            Call::Metadata(metric) => {
                let mut url = sibling_url(&self.query_url, "metadata");
                url.query_pairs_mut()
                    .append_pair("metric", metric)
                    .append_pair("limit", "1");
                self.http.get(url)
            }
        };
        let request = request.timeout(self.timeout.duration());
        let request = match &*self.auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Basic { user, password } => request.basic_auth(user, password.as_deref()),
        };
        let mut response = request
            .send()
            .await
            .map_err(|e| self.transport_failure(e))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(Failure::Final(QueryError::new(
                QueryErrorKind::HttpStatus {
                    status: status.as_u16(),
                },
                format!(
                    "{} answered HTTP {status}, a redirect to another origin (scheme, host or \
                     port), which is not followed: the request's headers and credentials are \
                     only ever sent to the origin of --prometheus-url",
                    self.shown_url
                ),
            )));
        }
        let mut held = Held {
            buffered: &self.buffered,
            bytes: 0,
        };
        let body = self.read_body(&mut response, &mut held).await?;
        match call {
            Call::Query(_, when) => interpret(
                status,
                &body,
                self.limits.max_series,
                &self.shown_url,
                matches!(when, When::Range { .. }),
            )
            .map(Reply::Answer),
            Call::Metadata(metric) => {
                interpret_metadata(status, &body, metric, &self.shown_url).map(Reply::MetricType)
            }
        }
    }

    /// The body, read as it streams in, within `--max-response-bytes` for all the bodies
    /// held at once; `held` accounts for this one until it is dropped.
    async fn read_body(
        &self,
        response: &mut reqwest::Response,
        held: &mut Held<'_>,
    ) -> Result<Vec<u8>, Failure> {
        let cap = self.limits.max_response_bytes;
        let too_large = |this_body_alone: bool| {
            let why = if this_body_alone {
                "answered with more than"
            } else {
                "sent answers that, read at once, exceeded"
            };
            Failure::Final(QueryError::new(
                QueryErrorKind::Unusable,
                format!(
                    "{} {why} {} (--max-response-bytes, a bound on the answers held at once); \
                     narrow the query, lower --concurrency or raise the limit",
                    self.shown_url,
                    size_text(cap)
                ),
            ))
        };
        if response.content_length().is_some_and(|len| len > cap) {
            return Err(too_large(true));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_failure(e))?
        {
            if !held.add(chunk.len() as u64, cap) {
                return Err(too_large(held.bytes > cap));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport_failure(&self, error: reqwest::Error) -> Failure {
        let url = &self.shown_url;
        if error.is_timeout() {
            let limit = self.timeout;
            Failure::Final(QueryError::new(
                QueryErrorKind::Timeout,
                format!("no answer from {url} within {limit} (--timeout)"),
            ))
        } else if error.is_connect() {
            // Refused, DNS and TLS (certificate) failures happen while connecting: retrying,
            // or sending the other queries, only delays the same answer.
            Failure::Unreachable(QueryError::new(
                QueryErrorKind::Unreachable,
                format!(
                    "cannot reach {url}: {} (not retried; no further queries were sent)",
                    root_cause(error)
                ),
            ))
        } else {
            // A connection reset or cut short mid-answer: another attempt may get through.
            Failure::Transient(QueryError::new(
                QueryErrorKind::Unreachable,
                format!("cannot reach {url}: {}", root_cause(error)),
            ))
        }
    }
}

/// When a query is evaluated: at one instant, or at every step over a range.
#[derive(Debug, Clone, Copy)]
enum When {
    Instant(f64),
    Range { start: f64, end: f64, step: Window },
}

/// What one request asks the API.
#[derive(Debug, Clone, Copy)]
enum Call<'a> {
    Query(&'a str, When),
    /// `/api/v1/metadata` of one metric.
    Metadata(&'a str),
}

/// What a [`Call`] is answered with.
enum Reply {
    Answer(Answer),
    MetricType(Option<String>),
}

/// One body's share of the bytes all bodies hold at once; given back when dropped.
struct Held<'a> {
    buffered: &'a AtomicU64,
    bytes: u64,
}

impl Held<'_> {
    /// Counts `more` bytes; false when that takes all bodies together over `cap`.
    fn add(&mut self, more: u64, cap: u64) -> bool {
        self.bytes += more;
        self.buffered.fetch_add(more, Ordering::SeqCst) + more <= cap
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.buffered.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

/// Follows redirects within the origin (scheme, host, port) of the first request only, so
/// that headers such as `X-Scope-OrgID` or an API key never reach another server.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    })
}

/// The root cause of a transport error (`Connection refused (os error 111)`, a TLS
/// verification failure), without the request URL, which may carry credentials.
fn root_cause(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut cause: &dyn std::error::Error = &error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    clip(&cause.to_string())
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

/// `<base>/api/v1/<endpoint>` (`query_range`, `metadata`), beside [`query_url`].
fn sibling_url(query_url: &reqwest::Url, endpoint: &str) -> reqwest::Url {
    let mut url = query_url.clone();
    let base = query_url.path().trim_end_matches("query");
    url.set_path(&format!("{base}{endpoint}"));
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

/// `64 MiB` for a whole number of KiB, MiB or GiB, else `N bytes`.
pub fn size_text(bytes: u64) -> String {
    for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{} {unit}", bytes / size);
        }
    }
    format!("{bytes} bytes")
}

/// At most [`ECHO_CHARS`] characters of a text from the server, with an ellipsis when cut.
pub fn clip(text: &str) -> String {
    clip_to(text, ECHO_CHARS)
}

fn clip_to(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// The first characters of a body, on one line.
fn excerpt(body: &[u8]) -> String {
    // Only the start is quoted, so only the start is decoded.
    let start = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_CHARS * 8)]);
    let flat = start.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        return "(empty body)".to_string();
    }
    clip_to(&flat, EXCERPT_CHARS)
}

/// The envelope of every API answer; `D` is how much of `data` is read.
#[derive(Deserialize)]
struct ApiResponse<D> {
    status: String,
    data: Option<D>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    infos: Vec<String>,
}

#[derive(Deserialize)]
struct ApiData<R> {
    #[serde(rename = "resultType")]
    result_type: String,
    result: R,
}

/// The second reading of a successful answer, once its size is known to be within limits.
#[derive(Deserialize)]
struct ResultOnly<R> {
    data: ApiData<R>,
}

/// The number of elements of a JSON array, counted without keeping them.
struct ArrayLength(usize);

impl<'de> Deserialize<'de> for ArrayLength {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Count;
        impl<'de> Visitor<'de> for Count {
            type Value = ArrayLength;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ArrayLength, A::Error> {
                let mut length = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    length += 1;
                }
                Ok(ArrayLength(length))
            }
        }
        deserializer.deserialize_seq(Count)
    }
}

#[derive(Deserialize)]
struct MatrixSeries {
    #[serde(default)]
    metric: Labels,
    values: Vec<(f64, String)>,
}

#[derive(Deserialize)]
struct VectorSample {
    #[serde(default)]
    metric: Labels,
    value: (f64, String),
}

/// The `data` of a successful answer with its warnings and infos, or the failure an error
/// answer, an HTTP error status or a body that is not the API's JSON means.
fn envelope<D: serde::de::DeserializeOwned>(
    status: StatusCode,
    body: &[u8],
    shown_url: &str,
) -> Result<(D, Vec<String>, Vec<String>), Failure> {
    let http_failure = |kind: QueryErrorKind, detail: String| {
        let error = QueryError::new(
            kind,
            format!("{shown_url} answered HTTP {status}: {detail}"),
        );
        if status.is_server_error() {
            Failure::Transient(error)
        } else {
            Failure::Final(error)
        }
    };
    match serde_json::from_slice::<ApiResponse<D>>(body) {
        Ok(api) if api.status == "error" => {
            let error_type = clip(api.error_type.as_deref().unwrap_or("unknown error type"));
            let message = clip(api.error.as_deref().unwrap_or("no message"));
            Err(http_failure(
                QueryErrorKind::Api {
                    error_type: error_type.clone(),
                },
                format!("query failed ({error_type}): {message}"),
            ))
        }
        _ if !status.is_success() => Err(http_failure(
            QueryErrorKind::HttpStatus {
                status: status.as_u16(),
            },
            excerpt(body),
        )),
        Ok(api) if api.status == "success" => {
            let data = api.data.ok_or_else(|| {
                decode_failure("the answer has status `success` but no `data`".into())
            })?;
            Ok((data, api.warnings, api.infos))
        }
        Ok(api) => Err(decode_failure(format!(
            "{shown_url} answered with status `{}`, expected `success`",
            clip(&api.status)
        ))),
        Err(e) => Err(decode_failure(format!(
            "{shown_url} did not answer with Prometheus API JSON ({}); the body starts: {}",
            clip(&e.to_string()),
            excerpt(body)
        ))),
    }
}

fn decode_failure(message: String) -> Failure {
    Failure::Final(QueryError::new(QueryErrorKind::Decode, message))
}

/// What a complete answer of HTTP `status` to a query says. The envelope is read first, with
/// the result only counted, so that an answer over `max_series` is refused before its series
/// are built.
fn interpret(
    status: StatusCode,
    body: &[u8],
    max_series: usize,
    shown_url: &str,
    range: bool,
) -> Result<Answer, Failure> {
    let (data, warnings, infos) = envelope::<ApiData<ArrayLength>>(status, body, shown_url)?;
    // A scalar's result is `[time, value]`, not series.
    let is_series = matches!(data.result_type.as_str(), "vector" | "matrix");
    if is_series && data.result.0 > max_series {
        return Err(Failure::Final(QueryError::new(
            QueryErrorKind::Unusable,
            format!(
                "the query returned {} series, more than --max-series {max_series}; \
                 aggregate it, or raise the limit",
                data.result.0
            ),
        )));
    }
    let notes = |answer: Answer| Answer {
        warnings: notes(warnings, "warning"),
        infos: notes(infos, "info"),
        ..answer
    };
    if range {
        if data.result_type != "matrix" {
            return Err(decode_failure(format!(
                "the range query returned a {}, expected a matrix",
                clip(&data.result_type)
            )));
        }
        let series = read_result::<Vec<MatrixSeries>, _>(body, |raw| raw)
            .and_then(|raw| raw.into_iter().map(matrix_series).collect())
            .map_err(decode_failure)?;
        return Ok(notes(Answer {
            series,
            ..Answer::default()
        }));
    }
    let samples = match data.result_type.as_str() {
        "vector" => read_result::<Vec<VectorSample>, _>(body, |raw| raw),
        "scalar" => read_result::<(f64, String), _>(body, |value| {
            vec![VectorSample {
                metric: Labels::new(),
                value,
            }]
        }),
        other => Err(format!(
            "the query returned a {}, expected a vector",
            clip(other)
        )),
    }
    .and_then(samples)
    .map_err(decode_failure)?;
    Ok(notes(Answer {
        samples,
        ..Answer::default()
    }))
}

/// One entry of `/api/v1/metadata`; `help` and `unit` are not read.
#[derive(Deserialize)]
struct MetricMetadata {
    #[serde(rename = "type")]
    kind: String,
}

/// The type of `metric` in a metadata answer. Only the asked metric's entry is read: the
/// answer is keyed by metric name, and a server may add others.
fn interpret_metadata(
    status: StatusCode,
    body: &[u8],
    metric: &str,
    shown_url: &str,
) -> Result<Option<String>, Failure> {
    let (mut data, _, _) = envelope::<std::collections::HashMap<String, Vec<MetricMetadata>>>(
        status, body, shown_url,
    )?;
    Ok(data
        .remove(metric)
        .and_then(|entries| entries.into_iter().next())
        .map(|entry| clip(&entry.kind)))
}

/// `data.result` of a successful answer as `R`, turned into what is kept by `into_samples`.
fn read_result<R: serde::de::DeserializeOwned, T>(
    body: &[u8],
    into_samples: impl FnOnce(R) -> T,
) -> Result<T, String> {
    serde_json::from_slice::<ResultOnly<R>>(body)
        .map(|r| into_samples(r.data.result))
        .map_err(|e| {
            format!(
                "the result is not of its `resultType`: {}",
                clip(&e.to_string())
            )
        })
}

/// Numbers from the samples' text values; infinity is refused, naming the series.
fn samples(raw: Vec<VectorSample>) -> Result<Vec<Sample>, String> {
    raw.into_iter()
        .map(|sample| {
            Ok(Sample {
                value: sample_value(&sample.value.1, &sample.metric)?,
                labels: sample.metric,
            })
        })
        .collect()
}

fn matrix_series(raw: MatrixSeries) -> Result<Series, String> {
    let points = raw
        .values
        .iter()
        .map(|(t, text)| Ok((*t, sample_value(text, &raw.metric)?)))
        .collect::<Result<_, String>>()?;
    Ok(Series {
        labels: raw.metric,
        points,
    })
}

fn sample_value(text: &str, labels: &Labels) -> Result<f64, String> {
    let value: f64 = text.parse().map_err(|_| {
        format!(
            "the sample value `{}` is not a number",
            excerpt(text.as_bytes())
        )
    })?;
    if value.is_infinite() {
        return Err(format!(
            "the query returned {} for {}; a count or ratio must be finite",
            clip(text),
            series_text(labels)
        ));
    }
    Ok(value)
}

/// Warnings or infos as they are echoed: each clipped, at most [`ECHOED_NOTES`] of them, then
/// how many more there were.
fn notes(texts: Vec<String>, what: &str) -> Vec<String> {
    let more = texts.len().saturating_sub(ECHOED_NOTES);
    let mut shown: Vec<String> = texts.iter().take(ECHOED_NOTES).map(|t| clip(t)).collect();
    if more > 0 {
        shown.push(format!("… and {more} more {what}s"));
    }
    shown
}

/// `{a="b"}` for messages, clipped.
pub fn series_text(labels: &Labels) -> String {
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    clip(&format!("{{{}}}", pairs.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://h:9090";

    fn answer_of(status: u16, json: &str, max_series: usize) -> Result<Answer, Failure> {
        let status = StatusCode::from_u16(status).unwrap();
        interpret(status, json.as_bytes(), max_series, URL, false)
    }

    fn answer(json: &str) -> Result<Answer, String> {
        answer_of(200, json, 10).map_err(|f| match f {
            Failure::Final(e) | Failure::Transient(e) | Failure::Unreachable(e) => e.message,
        })
    }

    fn vector(n: usize) -> String {
        let series: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"metric":{{"i":"{i}"}},"value":[1,"{i}"]}}"#))
            .collect();
        format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}}}"#,
            series.join(",")
        )
    }

    #[test]
    fn reads_vectors_and_scalars_and_keeps_nan() {
        let a = answer(
            r#"{"status":"success","data":{"resultType":"vector","result":[
                {"metric":{"handler":"/a"},"value":[1793491200,"1.5"]},
                {"metric":{"handler":"/b"},"value":[1793491200,"NaN"]}]},
                "warnings":["w1"],"infos":["i1"]}"#,
        )
        .unwrap();
        assert_eq!(a.samples.len(), 2);
        assert_eq!(a.samples[0].value, 1.5);
        assert_eq!(a.samples[0].labels["handler"], "/a");
        assert!(a.samples[1].value.is_nan());
        assert_eq!(
            (a.warnings, a.infos),
            (vec!["w1".into()], vec!["i1".into()])
        );
        let s =
            answer(r#"{"status":"success","data":{"resultType":"scalar","result":[1,"0.25"]}}"#)
                .unwrap();
        assert_eq!(s.samples[0].value, 0.25);
    }

    #[test]
    fn a_range_query_answers_a_matrix_and_nothing_else() {
        let matrix = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1,"0.5"],[2,"NaN"]]}]}}"#;
        let Ok(answer) = interpret(StatusCode::OK, matrix.as_bytes(), 10, URL, true) else {
            panic!("a matrix is a range query's answer");
        };
        assert_eq!(answer.series[0].labels["a"], "b");
        assert_eq!(answer.series[0].points[0], (1.0, 0.5));
        assert!(answer.series[0].points[1].1.is_nan());
        let vector = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert!(interpret(StatusCode::OK, vector.as_bytes(), 10, URL, true).is_err());
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
    fn more_series_than_the_limit_are_refused_naming_the_flag() {
        assert_eq!(answer(&vector(10)).unwrap().samples.len(), 10);
        let message = answer(&vector(11)).unwrap_err();
        assert!(
            message.contains("returned 11 series, more than --max-series 10"),
            "{message}"
        );
    }

    #[test]
    fn server_texts_are_clipped_and_warnings_counted() {
        let long = "w".repeat(20_000);
        let warnings: Vec<String> = (0..8).map(|_| long.clone()).collect();
        let json = serde_json::json!({"status": "success",
            "data": {"resultType": "vector", "result": []}, "warnings": warnings});
        let a = answer(&json.to_string()).unwrap();
        assert_eq!(a.warnings.len(), ECHOED_NOTES + 1);
        assert_eq!(a.warnings[0].chars().count(), ECHO_CHARS + 1);
        assert!(a.warnings[0].ends_with('…'));
        assert_eq!(a.warnings[ECHOED_NOTES], "… and 3 more warnings");
        let json = serde_json::json!({"status": "error", "errorType": "bad_data", "error": long});
        let message = match answer_of(400, &json.to_string(), 10) {
            Err(Failure::Final(e)) => e.message,
            other => panic!("{other:?}"),
        };
        assert!(message.len() < ECHO_CHARS + 200, "{message}");
        let labels = Labels::from([("a".to_string(), long)]);
        assert_eq!(series_text(&labels).chars().count(), ECHO_CHARS + 1);
    }

    #[test]
    fn metadata_gives_the_asked_metrics_type_or_none() {
        let read = |json: &str| {
            interpret_metadata(StatusCode::OK, json.as_bytes(), "queue_depth", URL).ok()
        };
        let typed = r#"{"status":"success","data":{"other":[{"type":"counter"}],"queue_depth":[{"type":"gauge","help":"","unit":""}]}}"#;
        assert_eq!(read(typed), Some(Some("gauge".to_string())));
        assert_eq!(read(r#"{"status":"success","data":{}}"#), Some(None));
        let error = r#"{"status":"error","errorType":"bad_data","error":"no"}"#;
        assert!(interpret_metadata(StatusCode::BAD_REQUEST, error.as_bytes(), "q", URL).is_err());
    }

    #[test]
    fn only_5xx_is_transient() {
        let error = r#"{"status":"error","errorType":"timeout","error":"x"}"#;
        assert!(matches!(
            answer_of(503, error, 1),
            Err(Failure::Transient(_))
        ));
        assert!(matches!(answer_of(422, error, 1), Err(Failure::Final(_))));
        assert!(matches!(
            answer_of(502, "<html>", 1),
            Err(Failure::Transient(_))
        ));
    }

    #[test]
    fn bodies_held_at_once_share_one_limit() {
        let buffered = AtomicU64::new(0);
        let mut a = Held {
            buffered: &buffered,
            bytes: 0,
        };
        assert!(a.add(6, 10));
        {
            let mut b = Held {
                buffered: &buffered,
                bytes: 0,
            };
            assert!(!b.add(5, 10));
        }
        assert!(a.add(4, 10));
        drop(a);
        assert_eq!(buffered.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn sizes_are_shown_in_binary_units() {
        assert_eq!(size_text(64 << 20), "64 MiB");
        assert_eq!(size_text(1536), "1536 bytes");
        assert_eq!(size_text(3 << 30), "3 GiB");
        assert_eq!(size_text(2048), "2 KiB");
    }

    #[test]
    fn query_url_keeps_a_path_prefix() {
        for (base, want) in [
            ("http://h:9090", "http://h:9090/api/v1/query"),
            ("http://h:9090/", "http://h:9090/api/v1/query"),
            ("https://h/prometheus", "https://h/prometheus/api/v1/query"),
            ("https://h/prometheus/", "https://h/prometheus/api/v1/query"),
        ] {
            let url = query_url(&reqwest::Url::parse(base).unwrap());
            assert_eq!(url.as_str(), want);
            let metadata = sibling_url(&url, "metadata");
            assert_eq!(metadata.as_str(), want.replace("/query", "/metadata"));
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
            excerpt(b"<html>\n  <body>x</body>\n</html>"),
            "<html> <body>x</body> </html>"
        );
        assert_eq!(
            excerpt("a".repeat(500).as_bytes()).chars().count(),
            EXCERPT_CHARS + 1
        );
        assert_eq!(excerpt(b""), "(empty body)");
    }
}
