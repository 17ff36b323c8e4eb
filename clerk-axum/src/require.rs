//! Route guards: [`require_auth`], [`require_role`], [`require_permission`],
//! [`require_feature`], [`require_plan`], [`require_has`] and [`require`] for sessions;
//! [`require_machine`], [`require_scope`] and [`require_tokens`] for machine tokens; for
//! `route_layer`. Each is a [`RequireLayer`], for any request and response body.
//!
//! A guard reads what [`ClerkLayer`](crate::ClerkLayer) stored and answers, without calling the
//! route: 401 when signed out or with a token of another kind (`token-type-mismatch`), 403 when
//! signed in without the right (or the scope), 503 when the token cannot be verified now, 500
//! when the layer is missing. The decision is clerk-core's
//! ([`clerk_core::guard::check`]), so every adapter answers alike. Refusals are answered in
//! Clerk's JSON error shape ([`ClerkJson`], or the layer's `on_rejection` hook), or as gRPC
//! statuses after [`RequireLayer::grpc`] ([`GrpcStatus`]), for tonic services.
//!
//! ```
//! use axum::{Router, routing::get};
//! use clerk_axum::{ClerkLayer, require_auth, require_permission};
//!
//! # fn app(clerk: clerk_core::Clerk) -> Router {
//! let billing = Router::new()
//!     .route("/invoices", get(|| async { "invoices" }))
//!     .route_layer(require_permission("org:invoices:read"));
//! let account = Router::new()
//!     .route("/settings", get(|| async { "settings" }))
//!     .route_layer(require_auth());
//! Router::new()
//!     .nest("/billing", billing)
//!     .merge(account)
//!     .layer(ClerkLayer::new(clerk)) // last: it wraps everything above
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use clerk_core::guard::Requirement;
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::layer::request_auth;
use crate::rejection::{ClerkJson, GrpcStatus, RenderRejection, render};

clerk_core::adapter_guards!(RequireLayer);

/// A guard: a [`Layer`] that lets through only requests meeting a [`Requirement`], and answers
/// the others itself, rendered by `F` (Clerk's JSON by default).
#[derive(Debug, Clone)]
pub struct RequireLayer<F = ClerkJson> {
    requirement: Requirement,
    format: F,
}

impl RequireLayer {
    /// A guard for any requirement.
    pub fn new(requirement: Requirement) -> Self {
        Self {
            requirement,
            format: ClerkJson,
        }
    }
}

impl<F> RequireLayer<F> {
    /// The requirement checked.
    pub fn requirement(&self) -> &Requirement {
        &self.requirement
    }

    /// Answers refusals with `format` instead, e.g. a custom [`RenderRejection`].
    pub fn render_with<G>(self, format: G) -> RequireLayer<G> {
        RequireLayer {
            requirement: self.requirement,
            format,
        }
    }

    /// Answers refusals as gRPC statuses ([`GrpcStatus`]), for tonic services:
    /// `UNAUTHENTICATED`, `PERMISSION_DENIED`, `UNAVAILABLE`, with Clerk's code in the message.
    pub fn grpc(self) -> RequireLayer<GrpcStatus> {
        self.render_with(GrpcStatus)
    }
}

impl<S, F: Clone> Layer<S> for RequireLayer<F> {
    type Service = RequireService<S, F>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireService {
            inner,
            requirement: self.requirement.clone(),
            format: self.format.clone(),
        }
    }
}

/// The service made by [`RequireLayer`]. Readiness is the inner service's.
#[derive(Debug, Clone)]
pub struct RequireService<S, F = ClerkJson> {
    inner: S,
    requirement: Requirement,
    format: F,
}

impl<S, F> RequireService<S, F> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, consuming this one.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, F, B, ResBody> Service<Request<B>> for RequireService<S, F>
where
    S: Service<Request<B>, Response = http::Response<ResBody>>,
    F: RenderRejection<ResBody>,
    ResBody: 'static,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = RequireFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let decision =
            request_auth(request.extensions()).and_then(|auth| auth.require(&self.requirement));
        let kind = match decision {
            Ok(()) => Kind::Allowed {
                future: self.inner.call(request),
            },
            Err(rejection) => {
                let (parts, _) = request.into_parts();
                Kind::Rejected {
                    response: Some(render(&parts, &rejection, &self.format)),
                }
            }
        };
        RequireFuture { kind }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`RequireService`]: the route's, or the refusal.
    pub struct RequireFuture<Fut, ResBody> {
        #[pin]
        kind: Kind<Fut, ResBody>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProj]
    enum Kind<Fut, ResBody> {
        Allowed {
            #[pin]
            future: Fut,
        },
        Rejected {
            response: Option<http::Response<ResBody>>,
        },
    }
}

impl<Fut, ResBody, E> Future for RequireFuture<Fut, ResBody>
where
    Fut: Future<Output = Result<http::Response<ResBody>, E>>,
{
    type Output = Result<http::Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Allowed { future } => future.poll(cx),
            KindProj::Rejected { response } => Poll::Ready(Ok(response
                .take()
                .expect("RequireFuture polled after completion"))),
        }
    }
}

impl<Fut, ResBody> fmt::Debug for RequireFuture<Fut, ResBody> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireFuture").finish_non_exhaustive()
    }
}
