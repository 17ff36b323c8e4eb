//! Extractors: [`ClerkSession`], [`ClerkAuth`], [`ClerkUser`], [`ClerkClient`],
//! [`ClerkMachine`], [`ClerkCaller`] and [`ClerkWebhook`] (declared, with their documentation,
//! by [`clerk_core::adapter_extractors!`], so that both adapters have the same ones).
//!
//! Each needs [`ClerkLayer`](crate::ClerkLayer) in front of the route (and `ClerkWebhook` a
//! [`WebhookLayer`](crate::WebhookLayer)); without it they answer 500
//! [`MissingClerkLayer`](crate::MissingClerkLayer) instead of panicking. `Option<…>` means "may
//! be signed out". The decisions are clerk-core's ([`clerk_core::adapter::RequestAuth`]).

use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use clerk_core::adapter::WebhookReceiver;
use clerk_core::rejection::Rejection;
use http::request::Parts;

use crate::layer::{pipeline, request_auth};
use crate::rejection::{
    MissingClerkLayer, SessionRejection, UserRejection, WebhookRejection, refuse,
};

clerk_core::adapter_extractors! {
    krate: clerk_axum,
    layer: ClerkLayer,
    webhook_layer: WebhookLayer,
    maybe: Option,
    maybe_use: "",
    maybe_note: "",
}

/// Implements `FromRequestParts` (and `OptionalFromRequestParts`) for an extractor whose value
/// is decided synchronously from what the layer stored.
macro_rules! from_parts {
    ($name:ident, $rejection:ty, |$auth:ident| $value:expr) => {
        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = $rejection;

            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, $rejection> {
                let decided = request_auth(&parts.extensions).and_then(|$auth| $value);
                decided
                    .map($name)
                    .map_err(|rejection| refuse(parts, rejection))
            }
        }
    };
    ($name:ident, $rejection:ty, |$auth:ident| $value:expr, optional |$maybe:ident| $option:expr) => {
        from_parts!($name, $rejection, |$auth| $value);

        impl<S: Send + Sync> OptionalFromRequestParts<S> for $name {
            type Rejection = $rejection;

            async fn from_request_parts(
                parts: &mut Parts,
                _: &S,
            ) -> Result<Option<Self>, $rejection> {
                let decided = request_auth(&parts.extensions).and_then(|$maybe| $option);
                decided
                    .map(|value| value.map($name))
                    .map_err(|rejection| refuse(parts, rejection))
            }
        }
    };
}

clerk_core::adapter_extractor_decisions!(from_parts);

impl<S: Send + Sync> FromRequestParts<S> for ClerkUser {
    type Rejection = UserRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, UserRejection> {
        let load = request_auth(&parts.extensions).and_then(|auth| auth.user());
        let user = match load {
            Ok(load) => load.required().await,
            Err(rejection) => Err(rejection),
        };
        user.map(Self).map_err(|rejection| refuse(parts, rejection))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for ClerkUser {
    type Rejection = UserRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, UserRejection> {
        let load = request_auth(&parts.extensions).and_then(|auth| auth.optional_user());
        let user = match load {
            Ok(Some(load)) => load.optional().await,
            Ok(None) => Ok(None),
            Err(rejection) => Err(rejection),
        };
        user.map(|user| user.map(Self))
            .map_err(|rejection| refuse(parts, rejection))
    }
}

impl<S: Send + Sync> FromRequest<S> for ClerkWebhook {
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, _: &S) -> Result<Self, WebhookRejection> {
        let (parts, body) = request.into_parts();
        let Some(receiver) = parts.extensions.get::<WebhookReceiver>().cloned() else {
            return Err(refuse(&parts, Rejection::webhook_not_configured()));
        };
        let body = axum::body::to_bytes(body, receiver.body_limit()).await.ok();
        let delivery = receiver
            .receive(&parts.headers, body.as_deref())
            .map_err(|rejection| refuse::<WebhookRejection>(&parts, rejection))?;
        if let Some(pipeline) = pipeline(&parts.extensions) {
            pipeline.webhook_received(&delivery).await;
        }
        Ok(Self(delivery))
    }
}
