//! The extractors' rejections: each is its own type, an actix-web [`ResponseError`], and
//! answers in Clerk's error shape, or with the middleware's `on_rejection` hook. The types are
//! declared by clerk-core, so that both adapters have the same ones; this module only makes
//! them actix-web responses.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use clerk_core::guard::Rejection;

/// The default response of a [`Rejection`]: its status, `Content-Type: application/json`, its
/// `WWW-Authenticate` header if any, and the body
/// `{"errors":[{"code":"...","message":"..."}]}`.
///
/// Use it in an [`on_rejection`](clerk_core::middleware::ClerkOptions::on_rejection) hook to
/// start from the default.
pub fn rejection_response(rejection: &Rejection) -> HttpResponse {
    let status =
        StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")));
    if let Some(value) = rejection
        .www_authenticate()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        response.insert_header((WWW_AUTHENTICATE, value));
    }
    response.body(rejection.json_body())
}

clerk_core::__rejections! {
    response: HttpResponse,
    middleware: ClerkMiddleware,
    missing: MissingClerkMiddleware,
    how: "Add `.wrap(ClerkMiddleware::new(clerk))` to the `App` (or to a scope that contains the route, outside its guards).",
}

macro_rules! response_error {
    ($($rejection:ty),+) => {
        $(impl ResponseError for $rejection {
            fn status_code(&self) -> StatusCode {
                StatusCode::from_u16(self.rejection().status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }

            fn error_response(&self) -> HttpResponse {
                self.decided().respond(rejection_response)
            }
        })+
    };
}

response_error!(
    MissingClerkMiddleware,
    Unauthenticated,
    AuthUnavailable,
    UserLookupFailed,
    SessionRejection,
    UserRejection,
    WebhookRejection
);
