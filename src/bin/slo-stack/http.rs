//! Blocking HTTP for a program that does one request at a time: reqwest's async client
//! driven by a current-thread runtime.

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};

pub struct Http {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Http {
    pub fn new() -> Result<Http> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::new(format!("cannot start the HTTP runtime: {e}")))?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| Error::new(format!("cannot build the HTTP client: {e}")))?;
        Ok(Http { runtime, client })
    }

    /// The body of a 2xx answer.
    pub fn get(&self, url: &str) -> Result<String> {
        self.send(url, self.client.get(url))
    }

    pub fn post_json(&self, url: &str, body: &Value) -> Result<String> {
        self.send(url, self.client.post(url).json(body))
    }

    /// Whether `url` answers 2xx now.
    pub fn answers(&self, url: &str) -> bool {
        self.get(url).is_ok()
    }

    fn send(&self, url: &str, request: reqwest::RequestBuilder) -> Result<String> {
        self.runtime.block_on(async {
            let response = request
                .send()
                .await
                .map_err(|e| Error::new(format!("{url}: {e}")))?;
            let status = response.status();
            let body = response
                .text()
                .await
                .map_err(|e| Error::new(format!("{url}: reading the answer: {e}")))?;
            if status.is_success() {
                Ok(body)
            } else {
                Err(Error::new(format!("{url}: HTTP {status}: {body}")))
            }
        })
    }
}

/// The Prometheus HTTP API at `base`.
pub struct Prometheus<'a> {
    pub http: &'a Http,
    pub base: String,
}

impl Prometheus<'_> {
    /// The `data` of a successful API answer from `GET base/api/v1/PATH`.
    pub fn api(&self, path: &str) -> Result<Value> {
        let url = format!("{}/api/v1/{path}", self.base);
        api_data(&url, &self.http.get(&url)?)
    }

    /// The value of the first sample `expr` returns now, `None` if it returns none.
    pub fn query_first(&self, expr: &str) -> Result<Option<f64>> {
        let url = format!("{}/api/v1/query", self.base);
        let request = self.http.client.post(&url).form(&[("query", expr)]);
        let data = api_data(&url, &self.http.send(&url, request)?)?;
        let Some(sample) = data["result"].get(0) else {
            return Ok(None);
        };
        sample["value"][1]
            .as_str()
            .and_then(|v| v.parse().ok())
            .map(Some)
            .ok_or_else(|| Error::new(format!("{url}: {expr} returned no number: {sample}")))
    }
}

fn api_data(url: &str, body: &str) -> Result<Value> {
    let mut answer: Value = serde_json::from_str(body)
        .map_err(|e| Error::new(format!("{url}: not JSON ({e}): {body}")))?;
    if answer["status"] != "success" {
        return Err(Error::new(format!("{url}: {body}")));
    }
    Ok(answer["data"].take())
}
