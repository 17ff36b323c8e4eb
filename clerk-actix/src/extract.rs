//! Extractors: [`ClerkSession`], [`ClerkAuth`], [`ClerkUser`], [`ClerkClient`],
//! [`ClerkMachine`], [`ClerkCaller`] and [`ClerkWebhook`] (declared, with their documentation,
//! by [`clerk_core::adapter_extractors!`], so that both adapters have the same ones), and
//! [`Optional`] for routes that accept signed-out requests.
//!
//! Each needs [`ClerkMiddleware`](crate::ClerkMiddleware) in front of the route (and
//! `ClerkWebhook` a [`WebhookMiddleware`](crate::WebhookMiddleware)); without it they answer 500
//! [`MissingClerkLayer`] instead of panicking. The decisions are clerk-core's
//! ([`clerk_core::adapter::RequestAuth`]).
//!
//! Why not `Option<ClerkSession>`: actix-web implements `FromRequest` for every `Option<T>`
//! itself, turning *any* rejection of `T` into `None`, and Rust lets no other crate change that
//! impl. `Option<ClerkSession>` therefore compiles, but answers a missing middleware or a Clerk
//! outage with an anonymous request. Use [`Optional`].

use std::future::{Future, Ready, ready};
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest};
use clerk_core::adapter::WebhookReceiver;
use clerk_core::rejection::Rejection;
use clerk_core::webhooks::WEBHOOK_HEADERS;

use crate::middleware::{pipeline, request_auth, to_http_headers};
use crate::rejection::{
    MissingClerkLayer, SessionRejection, UserRejection, WebhookRejection, refuse,
};

/// A value extracted only when the request may be signed out: `Optional(None)` when it is, the
/// value when signed in. Dereferences to `Option<T>`.
///
/// Unlike `Option<T>` (whose `FromRequest` impl belongs to actix-web and swallows every
/// rejection), it still rejects with 500 when [`ClerkMiddleware`](crate::ClerkMiddleware) is
/// missing and with 503 when the keys cannot be loaded, as `Option<ClerkSession>` does in
/// `clerk-axum`. `Optional<ClerkUser>` is also `None` when the Backend API no longer knows the
/// session's user, and rejects with 502/503 when the lookup fails.
///
/// ```
/// use clerk_actix::{ClerkSession, Optional};
///
/// async fn home(Optional(session): Optional<ClerkSession>) -> String {
///     match session {
///         Some(ClerkSession(claims)) => format!("hello {}", claims.user_id()),
///         None => "hello stranger".to_owned(),
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Optional<T>(pub Option<T>);

impl<T> Optional<T> {
    /// The extracted value, if signed in.
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<T> Deref for Optional<T> {
    type Target = Option<T>;

    fn deref(&self) -> &Option<T> {
        &self.0
    }
}

impl<T> From<Optional<T>> for Option<T> {
    fn from(optional: Optional<T>) -> Self {
        optional.0
    }
}

clerk_core::adapter_extractors! {
    krate: clerk_actix,
    layer: ClerkMiddleware,
    webhook_layer: WebhookMiddleware,
    maybe: Optional,
    maybe_use: "use clerk_actix::Optional;",
    maybe_note: "Use [`Optional`], not `Option` (whose actix-web extractor turns every rejection into `None`).",
}

/// Implements `FromRequest` for an extractor whose value is decided synchronously from what the
/// middleware stored, and for its [`Optional`] form.
macro_rules! from_request {
    ($name:ident, $rejection:ty, |$auth:ident| $value:expr) => {
        impl FromRequest for $name {
            type Error = $rejection;
            type Future = Ready<Result<Self, $rejection>>;

            fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
                let decided = request_auth(&request.extensions()).and_then(|$auth| $value);
                ready(
                    decided
                        .map($name)
                        .map_err(|rejection| refuse(request, rejection)),
                )
            }
        }
    };
    ($name:ident, $rejection:ty, |$auth:ident| $value:expr, optional |$maybe:ident| $option:expr) => {
        from_request!($name, $rejection, |$auth| $value);

        impl FromRequest for Optional<$name> {
            type Error = $rejection;
            type Future = Ready<Result<Self, $rejection>>;

            fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
                let decided = request_auth(&request.extensions()).and_then(|$maybe| $option);
                ready(
                    decided
                        .map(|value| Optional(value.map($name)))
                        .map_err(|rejection| refuse(request, rejection)),
                )
            }
        }
    };
}

clerk_core::adapter_extractor_decisions!(from_request);

/// The future of the [`ClerkUser`] extractors.
pub type UserFuture<T> = Pin<Box<dyn Future<Output = Result<T, UserRejection>>>>;

impl FromRequest for ClerkUser {
    type Error = UserRejection;
    type Future = UserFuture<Self>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let load = request_auth(&request.extensions()).and_then(|auth| auth.user());
        let request = request.clone();
        Box::pin(async move {
            let user = match load {
                Ok(load) => load.required().await,
                Err(rejection) => Err(rejection),
            };
            user.map(Self)
                .map_err(|rejection| refuse(&request, rejection))
        })
    }
}

impl FromRequest for Optional<ClerkUser> {
    type Error = UserRejection;
    type Future = UserFuture<Self>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let load = request_auth(&request.extensions()).and_then(|auth| auth.optional_user());
        let request = request.clone();
        Box::pin(async move {
            let user = match load {
                Ok(Some(load)) => load.optional().await,
                Ok(None) => Ok(None),
                Err(rejection) => Err(rejection),
            };
            user.map(|user| Optional(user.map(ClerkUser)))
                .map_err(|rejection| refuse(&request, rejection))
        })
    }
}

/// The future of the [`ClerkWebhook`] extractor.
pub type WebhookFuture = Pin<Box<dyn Future<Output = Result<ClerkWebhook, WebhookRejection>>>>;

impl FromRequest for ClerkWebhook {
    type Error = WebhookRejection;
    type Future = WebhookFuture;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let receiver = request.extensions().get::<WebhookReceiver>().cloned();
        let pipeline = pipeline(&request.extensions());
        let headers = to_http_headers(request.headers(), &WEBHOOK_HEADERS);
        let body = actix_web::body::BodyStream::new(payload.take());
        let request = request.clone();
        Box::pin(async move {
            let Some(receiver) = receiver else {
                return Err(refuse(&request, Rejection::webhook_not_configured()));
            };
            let body = actix_web::body::to_bytes_limited(body, receiver.body_limit()).await;
            let body = body.ok().and_then(Result::ok);
            let delivery = receiver
                .receive(&headers, body.as_deref())
                .map_err(|rejection| refuse::<WebhookRejection>(&request, rejection))?;
            if let Some(pipeline) = pipeline {
                pipeline.webhook_received(&delivery).await;
            }
            Ok(Self(delivery))
        })
    }
}
