//! How a refusal becomes a response: the extractors' rejection types (declared by clerk-core, so
//! that every adapter has the same ones), each an actix-web [`ResponseError`] answering in
//! Clerk's error shape ([`rejection_response`]) or with the middleware's `on_rejection` hook.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use clerk_core::adapter::Refusal;
use clerk_core::rejection::Rejection;

use crate::middleware::{RejectionHook, hook};

/// The default response of a [`Rejection`]: its status, `Content-Type: application/json`, its
/// `WWW-Authenticate` header if any, and the body
/// `{"errors":[{"code":"...","message":"..."}]}`.
///
/// Use it in an [`on_rejection`](crate::ClerkMiddleware::on_rejection) hook to start from the
/// default.
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

/// The `on_rejection` hook with the request it answers: an actix-web error is rendered from a
/// shared reference, possibly more than once, so the hook is called when the response is made.
#[derive(Clone)]
pub struct HookedRequest {
    hook: RejectionHook,
    request: HttpRequest,
}

impl HookedRequest {
    /// The hook's response to `rejection`.
    pub fn respond(&self, rejection: &Rejection) -> HttpResponse {
        (self.hook)(&self.request, rejection)
    }
}

impl fmt::Debug for HookedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookedRequest")
            .field("path", &self.request.path())
            .finish_non_exhaustive()
    }
}

/// The answer to `rejection` for `request`: the middleware's hook's, else the default.
pub(crate) fn answer(request: &HttpRequest, rejection: &Rejection) -> HttpResponse {
    match hook(request) {
        Some(hook) => hook(request, rejection),
        None => rejection_response(rejection),
    }
}

/// An extractor's refusal: the rejection, with the hook when the middleware has one.
pub(crate) fn refuse<R: From<Refusal<HookedRequest>>>(
    request: &HttpRequest,
    rejection: Rejection,
) -> R {
    let hooked = hook(request).map(|hook| HookedRequest {
        hook,
        request: request.clone(),
    });
    Refusal::new(rejection, hooked).into()
}

macro_rules! response_error {
    ($($rejection:ty),+) => {
        $(impl ResponseError for $rejection {
            fn status_code(&self) -> StatusCode {
                StatusCode::from_u16(self.rejection().status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }

            fn error_response(&self) -> HttpResponse {
                match self.refusal().answer() {
                    Some(hooked) => hooked.respond(self.rejection()),
                    None => rejection_response(self.rejection()),
                }
            }
        })+
    };
}

clerk_core::adapter_rejections! {
    answer: HookedRequest,
    layer: ClerkMiddleware,
    how: "Add `.wrap(ClerkMiddleware::new(clerk))` to the `App` (or to a scope that contains the route, outside its guards).",
    respond: response_error,
}
