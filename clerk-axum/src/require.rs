//! Route guards: [`require_auth`], [`require_role`], [`require_permission`],
//! [`require_feature`], [`require_plan`], [`require_has`] and [`require`] for sessions;
//! [`require_machine`], [`require_scope`] and [`require_tokens`] for machine tokens; for
//! `route_layer`.
//!
//! A guard reads what [`ClerkLayer`](crate::ClerkLayer) stored and answers, without calling the
//! route: 401 when signed out or with a token of another kind (`token-type-mismatch`), 403 when
//! signed in without the right (or the scope), 503 when the token cannot be verified now, 500
//! when the layer is missing. The decision is clerk-core's
//! ([`clerk_core::guard::check`]), so every adapter answers alike.
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

use axum::response::Response;
use clerk_core::guard::Requirement;
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::layer::seen;
use crate::rejection::rejection_response;

clerk_core::__require_functions!(RequireLayer);

/// A guard: a [`Layer`] that lets through only requests meeting a [`Requirement`].
#[derive(Debug, Clone)]
pub struct RequireLayer {
    requirement: Requirement,
}

impl RequireLayer {
    /// A guard for any requirement.
    pub fn new(requirement: Requirement) -> Self {
        Self { requirement }
    }

    /// The requirement checked.
    pub fn requirement(&self) -> &Requirement {
        &self.requirement
    }
}

impl<S> Layer<S> for RequireLayer {
    type Service = Require<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Require {
            inner,
            requirement: self.requirement.clone(),
        }
    }
}

/// The service made by [`RequireLayer`]. Readiness is the inner service's.
#[derive(Debug, Clone)]
pub struct Require<S> {
    inner: S,
    requirement: Requirement,
}

impl<S> Require<S> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, consuming this one.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, B> Service<Request<B>> for Require<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = RequireFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let decision =
            seen(request.extensions()).and_then(|seen| seen.require(&self.requirement).map(drop));
        let kind = match decision {
            Ok(()) => Kind::Allowed {
                future: self.inner.call(request),
            },
            Err(decided) => Kind::Rejected {
                response: Some(decided.respond(rejection_response)),
            },
        };
        RequireFuture { kind }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`Require`]: the route's, or the rejection.
    pub struct RequireFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Allowed {
            #[pin]
            future: F,
        },
        Rejected {
            response: Option<Response>,
        },
    }
}

impl<F, E> Future for RequireFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Allowed { future } => future.poll(cx),
            KindProj::Rejected { response } => Poll::Ready(Ok(response
                .take()
                .expect("RequireFuture polled after completion"))),
        }
    }
}

impl<F> fmt::Debug for RequireFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireFuture").finish_non_exhaustive()
    }
}
