//! The extractors' rejections: each is its own type and answers in Clerk's error shape, or with
//! the layer's `on_rejection` hook. The types are declared by clerk-core, so that both adapters
//! have the same ones; this module only makes them axum responses.

use axum::response::{IntoResponse, Response};
use clerk_core::guard::Rejection;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};

/// The default response of a [`Rejection`]: its status, `Content-Type: application/json`, its
/// `WWW-Authenticate` header if any, and the body
/// `{"errors":[{"code":"...","message":"..."}]}`.
///
/// Use it in an [`on_rejection`](clerk_core::middleware::ClerkOptions::on_rejection) hook to
/// start from the default.
pub fn rejection_response(rejection: &Rejection) -> Response {
    let status =
        StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, rejection.json_body()).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(value) = rejection
        .www_authenticate()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        headers.insert(WWW_AUTHENTICATE, value);
    }
    response
}

clerk_core::__rejections! {
    response: Response,
    middleware: ClerkLayer,
    missing: MissingClerkLayer,
    how: "Add `.layer(ClerkLayer::new(clerk))` to the router (after the routes, so that it wraps them).",
}

macro_rules! into_response {
    ($($rejection:ty),+) => {
        $(impl IntoResponse for $rejection {
            fn into_response(self) -> Response {
                self.decided().respond(rejection_response)
            }
        })+
    };
}

into_response!(
    MissingClerkLayer,
    Unauthenticated,
    AuthUnavailable,
    UserLookupFailed,
    SessionRejection,
    UserRejection,
    WebhookRejection
);
