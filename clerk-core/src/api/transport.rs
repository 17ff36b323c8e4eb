//! Sending Backend API requests: headers, retries, error decoding.

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::{ApiError, ErrorResponse, Multipart, Query};
use crate::http_util::{ReadError, describe_transport_error, read_limited};
use crate::keys::SecretKey;
use crate::stats::{Counters, bump};

/// The largest response body read (a page of 500 users is a few MiB).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// When and how failed requests are retried.
///
/// A 429 is retried for every method (the request was not processed), waiting `Retry-After` when
/// Clerk sends it; a 502, 503, 504 or a connection failure only for idempotent methods (GET, PUT,
/// DELETE, HEAD). Waits grow exponentially from `base_delay` up to `max_delay`, with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (default 3; 1 turns retries off).
    pub max_attempts: u32,
    /// The wait before the first retry, doubled for each later one (default 500 ms).
    pub base_delay: Duration,
    /// The longest wait between attempts (default 8 s).
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a longer one ends the retries and is reported in
    /// [`ApiError::retry_after`] (default 30 s).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based): exponential, capped, with "equal jitter"
    /// (between half and all of the exponential delay).
    fn backoff(&self, retry: u32) -> Duration {
        let exponential = self
            .base_delay
            .saturating_mul(
                1u32.checked_shl(retry.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .min(self.max_delay);
        let mut random = [0u8; 2];
        let fraction = match aws_lc_rs::rand::fill(&mut random) {
            Ok(()) => f64::from(u16::from_le_bytes(random)) / f64::from(u16::MAX),
            Err(_) => 0.5,
        };
        exponential.mul_f64(0.5 + 0.5 * fraction)
    }
}

/// A request body.
#[derive(Debug, Clone)]
pub(crate) enum RequestBody {
    None,
    Json(bytes::Bytes),
    Multipart(Multipart),
}

/// A Backend API request, before sending.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    method: Method,
    /// The operation id in Clerk's spec (`GetUser`), for traces.
    operation: &'static str,
    /// The spec's path template (`/users/{user_id}`), for traces: unlike `path`, it holds no
    /// ids, which may be personal data.
    template: &'static str,
    path: String,
    query: Query,
    body: RequestBody,
    /// At most this many attempts, whatever the client's [`RetryPolicy`] allows.
    max_attempts: Option<u32>,
    /// No attempt runs and no retry waits past this instant.
    deadline: Option<Instant>,
    /// Under `/v1` (all but the machine-token endpoints Clerk's SDKs call at the root).
    versioned: bool,
}

impl Request {
    /// The request `method path` of the operation `operation` (its id in Clerk's spec), whose
    /// path template is `template`.
    pub(crate) fn new(
        method: Method,
        operation: &'static str,
        template: &'static str,
        path: String,
    ) -> Self {
        Self {
            method,
            operation,
            template,
            path,
            query: Query::default(),
            body: RequestBody::None,
            max_attempts: None,
            deadline: None,
            versioned: true,
        }
    }

    /// Sends the request to `{api_url}{path}` instead of `{api_url}/v1{path}`: the machine-token
    /// endpoints Clerk's own SDKs call at the API root (see `crate::machine`).
    pub(crate) fn unversioned(mut self) -> Self {
        self.versioned = false;
        self
    }

    /// Caps the attempts of this request (the client's policy may allow fewer).
    pub(crate) fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// Ends this request by `deadline`: each attempt's timeout is cut to the time left, and a
    /// retry whose wait (backoff or `Retry-After`) would end past it is not made; the last
    /// error is returned at once instead.
    pub(crate) fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Whether waiting `delay` still leaves time before the deadline.
    fn can_wait(&self, delay: Duration) -> bool {
        self.deadline
            .is_none_or(|deadline| Instant::now() + delay < deadline)
    }

    pub(crate) fn query(mut self, query: Query) -> Self {
        self.query = query;
        self
    }

    pub(crate) fn json<T: Serialize>(mut self, body: &T) -> Result<Self, ApiError> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            ApiError::InvalidRequest(format!("the request body could not be encoded: {e}"))
        })?;
        self.body = RequestBody::Json(bytes.into());
        Ok(self)
    }

    pub(crate) fn multipart(mut self, form: Multipart) -> Self {
        self.body = RequestBody::Multipart(form);
        self
    }

    fn idempotent(&self) -> bool {
        matches!(
            self.method,
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD
        )
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let seconds: f64 = value.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}

/// What sends the Backend API requests of one [`Clerk`](crate::Clerk): its HTTP client, secret
/// key, base URL, version, retry policy and counters.
pub(crate) struct Transport {
    http: reqwest::Client,
    secret_key: Option<SecretKey>,
    api_url: String,
    /// The host of `api_url`, for traces (`server.address`).
    api_host: String,
    api_version: String,
    retry: RetryPolicy,
    /// The client's timeout of a whole request (a per-request deadline may only shorten it).
    request_timeout: Duration,
    counters: Arc<Counters>,
}

impl Transport {
    /// A transport to `api_url` (normalized: no trailing slash) over `http`, whose own timeout of
    /// a whole request is `request_timeout`.
    pub(crate) fn new(
        http: reqwest::Client,
        secret_key: Option<SecretKey>,
        api_url: String,
        api_version: String,
        retry: RetryPolicy,
        request_timeout: Duration,
        counters: Arc<Counters>,
    ) -> Self {
        let api_host = reqwest::Url::parse(&api_url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_default();
        Self {
            http,
            secret_key,
            api_url,
            api_host,
            api_version,
            retry,
            request_timeout,
            counters,
        }
    }

    /// The Backend API base URL, without a trailing slash.
    pub(crate) fn api_url(&self) -> &str {
        &self.api_url
    }

    /// The `Clerk-API-Version` sent with every request.
    pub(crate) fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The secret key, if configured.
    pub(crate) fn secret_key(&self) -> Option<&SecretKey> {
        self.secret_key.as_ref()
    }

    /// Sends `request` and decodes a JSON success body.
    pub(crate) async fn execute_json<T: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<T, ApiError> {
        let (status, body) = self.execute(request).await?;
        serde_json::from_slice(&body).map_err(|e| ApiError::Decode {
            status,
            message: e.to_string(),
        })
    }

    /// Sends `request`, ignoring the success body.
    pub(crate) async fn execute_empty(&self, request: Request) -> Result<(), ApiError> {
        self.execute(request).await.map(|_| ())
    }

    /// Sends `request` and returns the success body as text.
    pub(crate) async fn execute_text(&self, request: Request) -> Result<String, ApiError> {
        let (_, body) = self.execute(request).await?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// Sends `request`, retrying as the [`RetryPolicy`] allows, in a span `clerk.api` whose
    /// fields follow OpenTelemetry's HTTP client conventions: `http.request.method`,
    /// `url.template` (the spec's path template: never the ids or query values of the request,
    /// which may be personal data), `server.address`, `http.response.status_code`,
    /// `http.request.resend_count` (retries), `error.type`; and Clerk's own `clerk.operation`
    /// (the operation id), `clerk.trace_id` (from an error's body, else the `cf-ray` header) and
    /// `clerk.duration_ms` (the whole call, retries and their waits included).
    async fn execute(&self, request: Request) -> Result<(u16, Vec<u8>), ApiError> {
        use tracing::field::Empty;
        let span = tracing::info_span!(
            "clerk.api",
            otel.name = %format_args!("{} {}", request.method, request.template),
            otel.kind = "client",
            clerk.operation = request.operation,
            http.request.method = %request.method,
            url.template = request.template,
            server.address = %self.api_host,
            http.response.status_code = Empty,
            http.request.resend_count = Empty,
            error.type = Empty,
            clerk.trace_id = Empty,
            clerk.duration_ms = Empty,
        );
        let started = Instant::now();
        let result = tracing::Instrument::instrument(self.send(request, &span), span.clone()).await;
        let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("clerk.duration_ms", elapsed);
        if let Err(error) = &result {
            match error {
                ApiError::Response(response) => span.record("error.type", response.status),
                other => span.record("error.type", error_type(other)),
            };
        }
        result
    }

    async fn send(
        &self,
        request: Request,
        span: &tracing::Span,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let secret = self.secret_key.as_ref().ok_or(ApiError::MissingSecretKey)?;
        let counters = &self.counters;
        let version = if request.versioned { "/v1" } else { "" };
        let mut url = format!("{}{version}{}", self.api_url, request.path);
        if !request.query.as_str().is_empty() {
            url.push('?');
            url.push_str(request.query.as_str());
        }
        let policy = self.retry;
        let max_attempts = request
            .max_attempts
            .map_or(policy.max_attempts, |cap| cap.min(policy.max_attempts))
            .max(1);
        let mut attempt = 1;
        loop {
            if attempt > 1 {
                bump(&counters.api_retries);
                span.record("http.request.resend_count", attempt - 1);
            }
            let mut builder = self
                .http
                .request(request.method.clone(), &url)
                .bearer_auth(secret.expose())
                .header("Clerk-API-Version", &self.api_version)
                .header(ACCEPT, "application/json");
            builder = match &request.body {
                RequestBody::None => builder,
                RequestBody::Json(bytes) => builder
                    .header(CONTENT_TYPE, "application/json")
                    .body(bytes.clone()),
                RequestBody::Multipart(form) => builder.multipart(form.form()?),
            };
            if let Some(deadline) = request.deadline {
                // Only ever shortens the client's own timeout.
                let left = deadline.saturating_duration_since(Instant::now());
                if left < self.request_timeout {
                    builder = builder.timeout(left);
                }
            }
            let retries_left = attempt < max_attempts;
            let response = match builder.send().await {
                Ok(response) => response,
                Err(error) => {
                    bump(&counters.api_no_response);
                    let transient = error.is_connect() || error.is_timeout() || error.is_request();
                    let delay = policy.backoff(attempt);
                    if transient && request.idempotent() && retries_left && request.can_wait(delay)
                    {
                        tracing::debug!(
                            attempt,
                            ?delay,
                            error = describe_transport_error(&error),
                            "retrying a Clerk Backend API request"
                        );
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(ApiError::Transport(describe_transport_error(&error)));
                }
            };
            let status = response.status().as_u16();
            counters.api_status(status);
            span.record("http.response.status_code", status);
            // Clerk's trace id is in an error's body; else, as Clerk's SDK reads it, the
            // `cf-ray` header of Clerk's edge.
            let trace = response
                .headers()
                .get("cf-ray")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if let Some(trace) = &trace {
                span.record("clerk.trace_id", trace.as_str());
            }
            if response.status().is_success() {
                return match read_limited(response, MAX_RESPONSE_BYTES).await {
                    Ok(body) => Ok((status, body)),
                    Err(ReadError::TooLarge) => Err(ApiError::Decode {
                        status,
                        message: format!("the response is larger than {MAX_RESPONSE_BYTES} bytes"),
                    }),
                    Err(ReadError::Transport(error)) => {
                        Err(ApiError::Transport(describe_transport_error(&error)))
                    }
                };
            }
            let wait = retry_after(response.headers());
            let body = read_limited(response, 1024 * 1024)
                .await
                .unwrap_or_default();
            let error = ErrorResponse::parse(status, &body, trace, wait);
            if let Some(trace) = &error.clerk_trace_id {
                span.record("clerk.trace_id", trace.as_str());
            }
            let retryable = status == 429 || (request.idempotent() && matches!(status, 502..=504));
            if retryable && retries_left {
                let delay = match wait {
                    Some(wait) if wait > policy.max_retry_after => {
                        return Err(ApiError::Response(Box::new(error)));
                    }
                    Some(wait) => wait,
                    None => policy.backoff(attempt),
                };
                if !request.can_wait(delay) {
                    return Err(ApiError::Response(Box::new(error)));
                }
                tracing::debug!(
                    http.response.status_code = status,
                    attempt,
                    ?delay,
                    "retrying a Clerk Backend API request"
                );
                tokio::time::sleep(delay).await;
                attempt += 1;
                continue;
            }
            return Err(ApiError::Response(Box::new(error)));
        }
    }
}

/// OpenTelemetry's `error.type` of a call that got no answer with a status.
fn error_type(error: &ApiError) -> &'static str {
    match error {
        ApiError::Transport(_) => "transport",
        ApiError::Decode { .. } => "decode",
        ApiError::MissingSecretKey => "missing_secret_key",
        ApiError::InvalidRequest(_) => "invalid_request",
        ApiError::Response(_) => "response",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for (retry, full) in [(1, 100), (2, 200), (3, 350), (40, 350)] {
            let wait = policy.backoff(retry);
            assert!(
                wait >= Duration::from_millis(full / 2) && wait <= Duration::from_millis(full),
                "{retry}: {wait:?}"
            );
        }
    }

    #[test]
    fn retry_after_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "2".parse().expect("header"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("header"),
        );
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, "-1".parse().expect("header"));
        assert_eq!(retry_after(&headers), None);
    }
}
