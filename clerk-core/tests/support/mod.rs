//! A recording HTTP server on 127.0.0.1 for Backend API tests: it keeps every request it gets and
//! answers with whatever the test's responder says.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use clerk_core::Clerk;
use clerk_core::api::RetryPolicy;

pub const SECRET: &str = "sk_test_recorder_secret";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The path as sent, still percent-encoded.
    pub path: String,
    /// The query, decoded into pairs.
    pub query: Vec<(String, String)>,
    /// The query as sent (after the `?`), still percent-encoded; empty without one.
    pub raw_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// When it arrived.
    pub at: std::time::Instant,
}

/// What to answer: status, extra headers, body.
pub type Answer = (u16, Vec<(&'static str, String)>, String);

type Responder = Arc<dyn Fn(&Recorded, usize) -> Answer + Send + Sync>;

pub struct Recorder {
    pub addr: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Recorder {
    /// Answers every request the same way.
    pub async fn start(
        status: u16,
        content_type: &'static str,
        body: Option<&'static str>,
    ) -> Self {
        Self::with(move |_, _| {
            let headers = if body.is_some() {
                vec![("content-type", content_type.to_owned())]
            } else {
                Vec::new()
            };
            (status, headers, body.unwrap_or_default().to_owned())
        })
        .await
    }

    /// Answers with `responder(request, index of the request)`.
    pub async fn with(
        responder: impl Fn(&Recorded, usize) -> Answer + Send + Sync + 'static,
    ) -> Self {
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let responder: Responder = Arc::new(responder);
        let log = requests.clone();
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let log = log.clone();
            let responder = responder.clone();
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .unwrap_or_default();
                let query = parts
                    .uri
                    .query()
                    .map(|q| {
                        url::form_urlencoded::parse(q.as_bytes())
                            .into_owned()
                            .collect()
                    })
                    .unwrap_or_default();
                let recorded = Recorded {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_owned(),
                    query,
                    raw_query: parts.uri.query().unwrap_or_default().to_owned(),
                    headers: parts.headers,
                    body,
                    at: std::time::Instant::now(),
                };
                let index = {
                    let mut log = log.lock().expect("log");
                    log.push(recorded.clone());
                    log.len() - 1
                };
                let (status, headers, body) = responder(&recorded, index);
                let mut response: Response = body.into_response();
                *response.status_mut() = StatusCode::from_u16(status).expect("status");
                for (name, value) in headers {
                    response
                        .headers_mut()
                        .insert(name, value.parse().expect("header value"));
                }
                response
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            addr,
            requests,
            task,
        }
    }

    /// A client of this server, with retries off.
    pub fn clerk(&self) -> Clerk {
        self.clerk_with(RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        })
    }

    /// A client of this server with the given retry policy.
    pub fn clerk_with(&self, retry: RetryPolicy) -> Clerk {
        Clerk::builder()
            .secret_key(SECRET)
            .api_url(format!("http://{}", self.addr))
            .retry_policy(retry)
            .build()
            .expect("valid client")
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("log").clone()
    }

    /// The one request received.
    pub fn only_request(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "expected exactly one request");
        requests.into_iter().next().expect("one")
    }
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Method, path and query exactly as sent (still percent-encoded, so a literal `,` between
    /// the items of a form list is told from an encoded `%2C` inside one), and the headers every
    /// request carries.
    pub fn assert_call(&self, method: &str, path: &str, raw_query: &str) {
        assert_eq!(self.method, method, "method");
        assert_eq!(self.path, path, "path");
        assert_eq!(self.raw_query, raw_query, "query");
        assert_eq!(
            self.header("authorization"),
            Some(format!("Bearer {SECRET}").as_str())
        );
        assert_eq!(self.header("clerk-api-version"), Some("2026-05-12"));
        assert!(
            self.header("user-agent")
                .is_some_and(|ua| ua.starts_with("clerk-rust/")),
            "user agent {:?}",
            self.header("user-agent")
        );
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }

    pub fn assert_json(&self, expected: &str) {
        assert_eq!(self.header("content-type"), Some("application/json"));
        let expected: serde_json::Value = serde_json::from_str(expected).expect("expected JSON");
        assert_eq!(self.json(), expected, "body");
    }

    pub fn assert_multipart(&self, needles: &[&str]) {
        assert!(
            self.header("content-type")
                .is_some_and(|ct| ct.starts_with("multipart/form-data; boundary=")),
            "content type {:?}",
            self.header("content-type")
        );
        let body = String::from_utf8_lossy(&self.body);
        for needle in needles {
            assert!(
                body.contains(needle),
                "{needle:?} not in multipart body:\n{body}"
            );
        }
    }

    pub fn assert_no_body(&self) {
        assert!(
            self.body.is_empty(),
            "unexpected body {:?}",
            String::from_utf8_lossy(&self.body)
        );
    }
}

/// Decodes a sample value for a builder argument.
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("sample does not decode: {e}\n{text}"))
}

/// The decoded response, serialized again, is the JSON that was served: every field of the spec
/// was read into the model and nothing was lost.
pub fn assert_round_trip<T: serde::Serialize>(value: &T, served: &str) {
    let served: serde_json::Value = serde_json::from_str(served).expect("served JSON");
    let again = serde_json::to_value(value).expect("serializes");
    assert_eq!(
        again, served,
        "decoded response differs from what was served"
    );
}

/// The file the upload operations send.
pub fn crate_file() -> clerk_core::api::File {
    clerk_core::api::File::new(&b"PNG-bytes"[..], "avatar.png", "image/png")
}
