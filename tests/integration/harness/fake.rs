//! A fake HTTP server for faults a real Prometheus won't produce on demand, hostile ones
//! included (endless bodies, lying lengths, redirects, per-query answers).
//! Answers every method and path (e.g. `POST /api/v1/query`) according to its [`Mode`].

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Mode {
    /// `500 Internal Server Error`, text/plain body.
    Status500,
    /// `200 OK` with an HTML page (like a proxy / login page).
    HtmlBody,
    /// `200 OK`, `application/json`, truncated JSON.
    MalformedJson,
    /// Prometheus API error JSON with the given HTTP status (Prometheus uses 400 for
    /// bad_data, 422 for execution errors, 503 for timeouts/unavailable):
    /// `{"status":"error","errorType":"bad_data","error":"..."}`.
    PrometheusError { http_status: u16 },
    /// Accepts the connection, reads the request, never answers (for timeout tests).
    Hang,
    /// Anything else.
    Custom {
        http_status: u16,
        content_type: String,
        body: String,
    },
    /// `200 OK` JSON: the body of the first `(needle, body)` whose needle occurs in the
    /// (URL-encoded) request body, else an empty vector. Needles are best metric names, which
    /// form encoding leaves as they are.
    ByQuery(Vec<(String, String)>),
    /// `200 OK` without a length, then JSON-looking bytes until the client hangs up.
    EndlessBody,
    /// `200 OK` claiming `Content-Length: 4 GiB`, then bytes until the client hangs up.
    HugeContentLength,
    /// A redirect (`status`, e.g. 302 or 307) to `location`; a request for the path
    /// `location` itself (a same-origin redirect) gets `200 OK` with `then`.
    Redirect {
        status: u16,
        location: String,
        then: String,
    },
    /// Answers plain HTTP before reading anything: what a TLS client sees as a failed handshake.
    NotTls,
    /// Answers as `then` does, `delay` after reading the request (a slow Prometheus).
    Slow { delay: Duration, then: Box<Mode> },
    /// `200 OK` JSON: whatever body the test holds now (data that changes between requests).
    Changing(Arc<Mutex<String>>),
}

/// An empty instant vector, as [`Mode::ByQuery`] answers by default.
pub const EMPTY_VECTOR: &str = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;

/// The error message used by [`Mode::PrometheusError`].
pub const PROM_ERROR_MESSAGE: &str = "1:5: parse error: unexpected character inside braces: '!'";

/// One request as received.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// Path including the query string.
    pub path: String,
    pub body: String,
}

pub struct FakeServer {
    port: u16,
    stop: Arc<AtomicBool>,
    held: Arc<Mutex<Vec<TcpStream>>>,
    requests: Arc<Mutex<Vec<Request>>>,
    connections: Arc<AtomicUsize>,
}

impl FakeServer {
    pub fn start(mode: Mode) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake server");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let held = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (s2, h2, r2, c2) = (
            stop.clone(),
            held.clone(),
            requests.clone(),
            connections.clone(),
        );
        std::thread::Builder::new()
            .name(format!("fake-http-{port}"))
            .spawn(move || {
                for conn in listener.incoming() {
                    if s2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    c2.fetch_add(1, Ordering::SeqCst);
                    let (mode, held, reqs) = (mode.clone(), h2.clone(), r2.clone());
                    std::thread::spawn(move || handle(conn, &mode, &held, &reqs));
                }
            })
            .unwrap();
        FakeServer {
            port,
            stop,
            held,
            requests,
            connections,
        }
    }
    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    /// Requests received so far (complete ones; for `Hang` too).
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
    /// Connections accepted so far, whether or not a request followed.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so the thread exits and the port is released.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        for s in self.held.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// A URL on 127.0.0.1 whose port refuses connections (bound then released; tiny race).
pub fn refused_url() -> String {
    format!("http://127.0.0.1:{}", super::process::free_port())
}

fn read_request(conn: &TcpStream) -> Option<Request> {
    let mut r = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Writes `head`, then the same bytes again and again until the peer stops reading.
fn stream_forever(mut conn: TcpStream, head: &str) {
    let chunk = r#"{"metric":{"i":"x"},"value":[1,"1"]},"#.repeat(2000);
    let _ = conn.write_all(head.as_bytes());
    while conn.write_all(chunk.as_bytes()).is_ok() {}
}

fn handle(conn: TcpStream, mode: &Mode, held: &Mutex<Vec<TcpStream>>, reqs: &Mutex<Vec<Request>>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    if let Mode::NotTls = mode {
        let mut conn = conn;
        let _ = conn.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    let Some(req) = read_request(&conn) else {
        return;
    };
    let (request_path, request_body) = (req.path.clone(), req.body.clone());
    reqs.lock().unwrap().push(req);
    let mode = match mode {
        Mode::Slow { delay, then } => {
            std::thread::sleep(*delay);
            then.as_ref()
        }
        other => other,
    };
    const JSON_PREFIX: &str = r#"{"status":"success","data":{"resultType":"vector","result":["#;
    let (status, ctype, body): (u16, &str, String) = match mode {
        Mode::NotTls => unreachable!("answered before reading"),
        Mode::Slow { .. } => unreachable!("answered as the mode it delays"),
        Mode::Changing(body) => (200, "application/json", body.lock().unwrap().clone()),
        Mode::EndlessBody => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
            return stream_forever(conn, &format!("{head}{JSON_PREFIX}"));
        }
        Mode::HugeContentLength => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                4u64 << 30
            );
            return stream_forever(conn, &format!("{head}{JSON_PREFIX}"));
        }
        Mode::Redirect { location, then, .. } if request_path == *location => {
            (200, "application/json", then.clone())
        }
        Mode::Redirect {
            status, location, ..
        } => {
            let mut conn = conn;
            let _ = write!(
                conn,
                "HTTP/1.1 {status} Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            return;
        }
        Mode::ByQuery(answers) => (
            200,
            "application/json",
            answers
                .iter()
                .find(|(needle, _)| request_body.contains(needle.as_str()))
                .map_or(EMPTY_VECTOR, |(_, body)| body.as_str())
                .to_string(),
        ),
        Mode::Hang => {
            // Keep the socket open until the server is dropped (or the process exits).
            held.lock().unwrap().push(conn);
            return;
        }
        Mode::Status500 => (500, "text/plain", "internal server error\n".into()),
        Mode::HtmlBody => (
            200,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Please sign in</h1></body></html>\n".into(),
        ),
        Mode::MalformedJson => (
            200,
            "application/json",
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1793491200,"#.into(),
        ),
        Mode::PrometheusError { http_status } => (
            *http_status,
            "application/json",
            serde_json::json!({"status":"error","errorType":"bad_data","error":PROM_ERROR_MESSAGE})
                .to_string(),
        ),
        Mode::Custom {
            http_status,
            content_type,
            body,
        } => (*http_status, content_type.as_str(), body.clone()),
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        422 => "Unprocessable Entity",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut conn = conn;
    let _ = write!(
        conn,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = conn.flush();
}
