//! How a refusal becomes a response: the extractors' rejection types (declared by clerk-core, so
//! that every adapter has the same ones), [`rejection_response`] for axum, and
//! [`RenderRejection`] for the guards of services with another response body (tonic, hyper).

use std::any::Any;

use axum::response::{IntoResponse, Response};
use clerk_core::adapter::{Answer, Pipeline, Refusal, RequestHead};
use clerk_core::rejection::Rejection;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use http::request::Parts;

use crate::layer::{answer_response, head, hooked, pipeline};

/// The default response of a [`Rejection`]: its status, `Content-Type: application/json`, its
/// `WWW-Authenticate` header if any, and the body
/// `{"errors":[{"code":"...","message":"..."}]}`.
///
/// Use it in an [`on_rejection`](crate::ClerkLayer::on_rejection) hook to start from the
/// default.
pub fn rejection_response(rejection: &Rejection) -> Response {
    ClerkJson.render(rejection)
}

/// Renders a refusal as a response with the inner service's body type `B`: how a guard
/// ([`RequireLayer`](crate::RequireLayer)) answers a request it refuses.
pub trait RenderRejection<B>: Clone + Send + Sync + 'static {
    /// The response to `rejection`.
    fn render(&self, rejection: &Rejection) -> http::Response<B>;
}

/// Clerk's error shape, for HTTP APIs and axum: the status, `Content-Type: application/json`,
/// `WWW-Authenticate` when the rejection has one, and `{"errors":[{"code":…,"message":…}]}`.
/// The default of every guard; any body that can be made from a `String`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClerkJson;

impl<B: From<String>> RenderRejection<B> for ClerkJson {
    fn render(&self, rejection: &Rejection) -> http::Response<B> {
        let mut response = http::Response::new(B::from(rejection.json_body()));
        *response.status_mut() =
            StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
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
}

/// A gRPC status, for tonic services: HTTP 200 with `content-type: application/grpc`, the
/// status in `grpc-status` ([`Rejection::grpc_code`]: `UNAUTHENTICATED`, `PERMISSION_DENIED`,
/// `UNAVAILABLE`, …) and `grpc-message` `<code>: <message>` (Clerk's reason code first), and no
/// body: a "trailers-only" answer, which every gRPC client reads as the call's status.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcStatus;

impl<B: Default> RenderRejection<B> for GrpcStatus {
    fn render(&self, rejection: &Rejection) -> http::Response<B> {
        let mut response = http::Response::new(B::default());
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        headers.insert("grpc-status", HeaderValue::from(rejection.grpc_code()));
        // grpc-message is percent-encoded (gRPC over HTTP/2); codes and messages are ASCII, so
        // only `%` and controls need it.
        let message = format!("{}: {}", rejection.code(), rejection.message());
        let mut encoded = String::with_capacity(message.len());
        for byte in message.bytes() {
            if (b' '..=b'~').contains(&byte) && byte != b'%' {
                encoded.push(char::from(byte));
            } else {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        }
        if let Ok(value) = HeaderValue::from_str(&encoded) {
            headers.insert("grpc-message", value);
        }
        response
    }
}

/// The answer to `rejection` for a request whose head is `parts`: the layer's `on_rejection`
/// hook's when the response body is axum's, else `format`'s.
pub(crate) fn render<B: 'static>(
    parts: &Parts,
    rejection: &Rejection,
    format: &impl RenderRejection<B>,
) -> http::Response<B> {
    // The hook makes axum responses: it answers when `B` is axum's body, and a service with
    // another body type (tonic's) keeps the guard's format.
    let mut answer: Option<http::Response<B>> = None;
    if let Some(axum) = (&mut answer as &mut dyn Any).downcast_mut::<Option<Response>>() {
        *axum = hooked(parts, rejection);
    }
    answer.unwrap_or_else(|| format.render(rejection))
}

/// An extractor's refusal: the rejection, with the hook's answer when there is a hook.
pub(crate) fn refuse<R: From<Refusal<Response>>>(parts: &Parts, rejection: Rejection) -> R {
    let answer = hooked(parts, &rejection);
    Refusal::new(rejection, answer).into()
}

/// A `307` to the sign-in page with `redirect_url` back to the request's URL (Clerk's
/// `redirectToSignIn`), for a handler that takes the request's [`Parts`]; a 500
/// `missing_clerk_layer` without the layer, a 404 without a sign-in page to send it to (no
/// publishable key and no `CLERK_SIGN_IN_URL`).
pub fn redirect_to_sign_in(parts: &Parts) -> Response {
    redirect(parts, |pipeline, head| pipeline.redirect_to_sign_in(head))
}

/// A `307` to the sign-up page, as [`redirect_to_sign_in`].
pub fn redirect_to_sign_up(parts: &Parts) -> Response {
    redirect(parts, |pipeline, head| pipeline.redirect_to_sign_up(head))
}

fn redirect(
    parts: &Parts,
    build: impl FnOnce(&Pipeline, RequestHead<'_>) -> Option<Answer>,
) -> Response {
    let Some(pipeline) = pipeline(&parts.extensions) else {
        return rejection_response(&Rejection::missing_layer(crate::layer::MISSING));
    };
    match build(pipeline, head(parts)) {
        Some(answer) => answer_response(answer),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

macro_rules! into_response {
    ($($rejection:ty),+) => {
        $(impl IntoResponse for $rejection {
            fn into_response(self) -> Response {
                let (rejection, answer) = self.into_refusal().into_parts();
                answer.unwrap_or_else(|| rejection_response(&rejection))
            }
        })+
    };
}

clerk_core::adapter_rejections! {
    answer: Response,
    layer: ClerkLayer,
    how: "Add `.layer(ClerkLayer::new(clerk))` to the router (after the routes, so that it wraps them).",
    respond: into_response,
}
