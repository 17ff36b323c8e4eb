//! Errors of Backend API calls.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One error of a Clerk error response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClerkError {
    /// A stable machine-readable code, e.g. `resource_not_found`, `form_identifier_exists`.
    #[serde(default)]
    pub code: String,
    /// A short message.
    #[serde(default)]
    pub message: String,
    /// A longer, more helpful message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_message: Option<String>,
    /// Extra details, such as the offending parameter (`{"param_name": "email_address"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
}

/// The body of a Clerk error response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClerkErrors {
    /// The errors.
    #[serde(default)]
    pub errors: Vec<ClerkError>,
    /// Extra details about the whole response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
    /// Clerk's trace id, for support requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clerk_trace_id: Option<String>,
}

/// A non-2xx answer from the Backend API.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorResponse {
    /// The HTTP status.
    pub status: u16,
    /// Clerk's errors (empty when the body was empty or not Clerk's JSON).
    pub errors: Vec<ClerkError>,
    /// Extra details about the whole response.
    pub meta: Option<serde_json::Value>,
    /// Clerk's trace id, from the body or (as Clerk's SDK reads it) the `cf-ray` header.
    pub clerk_trace_id: Option<String>,
    /// How long Clerk asked to wait before retrying (`Retry-After`), on 429 and 503.
    pub retry_after: Option<Duration>,
    /// The body as text (at most 4 KiB) when it was not Clerk's JSON error shape.
    pub raw_body: Option<String>,
}

impl ErrorResponse {
    pub(crate) fn parse(
        status: u16,
        body: &[u8],
        trace_header: Option<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        match serde_json::from_slice::<ClerkErrors>(body) {
            Ok(parsed) if !parsed.errors.is_empty() => Self {
                status,
                errors: parsed.errors,
                meta: parsed.meta,
                clerk_trace_id: parsed.clerk_trace_id.or(trace_header),
                retry_after,
                raw_body: None,
            },
            _ => {
                let text = String::from_utf8_lossy(body);
                let mut end = text.len().min(4096);
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                Self {
                    status,
                    errors: Vec::new(),
                    meta: None,
                    clerk_trace_id: trace_header,
                    retry_after,
                    raw_body: Some(text[..end].to_owned()),
                }
            }
        }
    }
}

/// Why a Backend API call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// Clerk answered with an error status.
    #[error("{}", describe(.0))]
    Response(Box<ErrorResponse>),
    /// Clerk could not be reached, or the connection failed or timed out.
    #[error("the Clerk Backend API could not be reached: {0}")]
    Transport(String),
    /// Clerk's success response did not decode into the expected type.
    #[error("Clerk's {status} response could not be decoded: {message}")]
    Decode {
        /// The HTTP status of the response.
        status: u16,
        /// What did not fit.
        message: String,
    },
    /// The request could not be made from the given values (for example an empty or `..` id).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// No secret key is configured.
    #[error("no Clerk secret key configured: set CLERK_SECRET_KEY to call the Backend API")]
    MissingSecretKey,
}

fn describe(response: &ErrorResponse) -> String {
    let mut text = format!("Clerk answered {}", response.status);
    match (response.errors.first(), &response.raw_body) {
        (Some(first), _) => {
            text.push_str(&format!(
                ": {} ({})",
                first.long_message.as_deref().unwrap_or(&first.message),
                first.code
            ));
            if response.errors.len() > 1 {
                text.push_str(&format!(" and {} more", response.errors.len() - 1));
            }
        }
        (None, Some(raw)) if !raw.trim().is_empty() => {
            let short: String = raw.chars().take(200).collect();
            text.push_str(&format!(": {short}"));
        }
        _ => {}
    }
    if let Some(trace) = &response.clerk_trace_id {
        text.push_str(&format!(" [trace {trace}]"));
    }
    text
}

impl ApiError {
    /// The HTTP status, when Clerk answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Response(r) => Some(r.status),
            Self::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The error response, when Clerk answered with an error status.
    pub fn response(&self) -> Option<&ErrorResponse> {
        match self {
            Self::Response(r) => Some(r),
            _ => None,
        }
    }

    /// Clerk's errors (empty unless Clerk answered with its error shape).
    pub fn errors(&self) -> &[ClerkError] {
        self.response().map(|r| r.errors.as_slice()).unwrap_or(&[])
    }

    /// The code of the first Clerk error, e.g. `resource_not_found`.
    pub fn code(&self) -> Option<&str> {
        self.errors().first().map(|e| e.code.as_str())
    }

    /// Whether any Clerk error has this code.
    pub fn has_code(&self, code: &str) -> bool {
        self.errors().iter().any(|e| e.code == code)
    }

    /// Clerk's trace id, for support requests.
    pub fn clerk_trace_id(&self) -> Option<&str> {
        self.response().and_then(|r| r.clerk_trace_id.as_deref())
    }

    /// How long Clerk asked to wait (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.response().and_then(|r| r.retry_after)
    }

    /// Whether the resource does not exist (404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether the failure is Clerk being unavailable or overloaded (transport failure, 429, 502,
    /// 503, 504) rather than the request being wrong.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Transport(_)) || matches!(self.status(), Some(429 | 502 | 503 | 504))
    }
}

impl fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(self))
    }
}
