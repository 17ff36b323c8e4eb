//! How a refusal becomes a response: the extractors' rejection types (declared by clerk-core, so
//! that every adapter has the same ones), each an actix-web [`ResponseError`] answering in
//! Clerk's error shape ([`rejection_response`]) or with the middleware's `on_rejection` hook.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
use clerk_core::adapter::{Answer, Pipeline, Refusal, RequestHead};
use clerk_core::rejection::Rejection;

use crate::middleware::{RejectionHook, answer_response, head_parts, hook, pipeline};

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

/// The answer to `rejection` for `request`: the middleware's hook's, else a page's (see
/// [`Pipeline::page_answer`](clerk_core::adapter::Pipeline::page_answer)), else the default.
pub(crate) fn answer(request: &HttpRequest, rejection: &Rejection) -> HttpResponse {
    match hook(request) {
        Some(hook) => hook(request, rejection),
        None => page_or_json(request, rejection),
    }
}

/// A page's answer to `rejection` (a redirect to sign in, a 403 page), else Clerk's JSON.
fn page_or_json(request: &HttpRequest, rejection: &Rejection) -> HttpResponse {
    let page = pipeline(&request.extensions()).and_then(|pipeline| {
        let (method, uri, headers) = head_parts(request);
        pipeline.page_answer(RequestHead::new(&method, &uri, &headers), rejection)
    });
    page.map_or_else(|| rejection_response(rejection), answer_response)
}

/// An extractor's refusal: the rejection, with the middleware's hook (or the page's answer,
/// when there is no hook).
pub(crate) fn refuse<R: From<Refusal<HookedRequest>>>(
    request: &HttpRequest,
    rejection: Rejection,
) -> R {
    let hook = hook(request).unwrap_or_else(|| std::sync::Arc::new(page_or_json));
    let hooked = HookedRequest {
        hook,
        request: request.clone(),
    };
    Refusal::new(rejection, Some(hooked)).into()
}

/// A `307` to the sign-in page with `redirect_url` back to `request`'s URL (Clerk's
/// `redirectToSignIn`); a 500 `missing_clerk_layer` without the middleware, a 404 without a
/// sign-in page to send it to (no publishable key and no `CLERK_SIGN_IN_URL`).
pub fn redirect_to_sign_in(request: &HttpRequest) -> HttpResponse {
    redirect(request, |pipeline, head| pipeline.redirect_to_sign_in(head))
}

/// A `307` to the sign-up page, as [`redirect_to_sign_in`].
pub fn redirect_to_sign_up(request: &HttpRequest) -> HttpResponse {
    redirect(request, |pipeline, head| pipeline.redirect_to_sign_up(head))
}

fn redirect(
    request: &HttpRequest,
    build: impl FnOnce(&Pipeline, RequestHead<'_>) -> Option<Answer>,
) -> HttpResponse {
    let Some(pipeline) = pipeline(&request.extensions()) else {
        return rejection_response(&Rejection::missing_layer(crate::middleware::MISSING));
    };
    let (method, uri, headers) = head_parts(request);
    match build(&pipeline, RequestHead::new(&method, &uri, &headers)) {
        Some(answer) => answer_response(answer),
        None => HttpResponse::NotFound().finish(),
    }
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
