//! Clerk's error shape, shared by the Backend API and the Frontend API: `{"errors": [{message,
//! long_message, code}], "clerk_trace_id"}`.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::ids::random_id;

/// A response in Clerk's error shape.
pub(crate) fn clerk_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "long_message": message, "code": code }],
        "clerk_trace_id": random_id(16),
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
