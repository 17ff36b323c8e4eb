//! Guards for scopes and resources: [`require_auth`], [`require_role`], [`require_permission`],
//! [`require_feature`], [`require_plan`], [`require_has`] and [`require`] for sessions;
//! [`require_machine`], [`require_scope`] and [`require_tokens`] for machine tokens; each a
//! middleware ([`RequireMiddleware`]) for `Scope::wrap` / `Resource::wrap`.
//!
//! A guard reads what [`ClerkMiddleware`](crate::ClerkMiddleware) stored and answers, without
//! calling the route: 401 when signed out or with a token of another kind
//! (`token-type-mismatch`), 403 when signed in without the right (or the scope), 503 when the
//! token cannot be verified now, 500 when the middleware is missing. The decision is clerk-core's
//! ([`clerk_core::guard::check`]), so every adapter answers alike.
//!
//! ```
//! use actix_web::{App, web};
//! use clerk_actix::{ClerkMiddleware, require_auth, require_permission};
//!
//! # fn app(clerk: clerk_core::Clerk) {
//! let billing = web::scope("/billing")
//!     .wrap(require_permission("org:invoices:read"))
//!     .route("/invoices", web::get().to(|| async { "invoices" }));
//! let account = web::scope("/account")
//!     .wrap(require_auth())
//!     .route("/settings", web::get().to(|| async { "settings" }));
//! let app = App::new()
//!     .wrap(ClerkMiddleware::new(clerk)) // on the App: runs before every scope's guard
//!     .service(billing)
//!     .service(account);
//! # }
//! ```
//!
//! (These are middleware, not actix-web [`Guard`](actix_web::guard::Guard)s: a `Guard` only
//! decides whether a route matches, and a request no route matches is a 404.)

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::HttpMessage as _;
use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use clerk_core::guard::Requirement;

use crate::middleware::request_auth;
use crate::rejection::answer;

clerk_core::adapter_guards!(RequireMiddleware);

/// A guard: a middleware ([`Transform`]) that lets through only requests meeting a
/// [`Requirement`], and answers the others itself. `Clone + Send + Sync`.
#[derive(Debug, Clone)]
pub struct RequireMiddleware {
    requirement: Requirement,
}

impl RequireMiddleware {
    /// A guard for any requirement.
    pub fn new(requirement: Requirement) -> Self {
        Self { requirement }
    }

    /// The requirement checked.
    pub fn requirement(&self) -> &Requirement {
        &self.requirement
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequireMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>>,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = S::Error;
    type Transform = RequireService<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        std::future::ready(Ok(RequireService {
            inner: service,
            requirement: self.requirement.clone(),
        }))
    }
}

/// The service made by [`RequireMiddleware`]. Readiness is the inner service's.
#[derive(Debug)]
pub struct RequireService<S> {
    inner: S,
    requirement: Requirement,
}

impl<S, B> Service<ServiceRequest> for RequireService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>>,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = S::Error;
    type Future = RequireFuture<S::Future>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let rejected = request_auth(&request.extensions())
            .and_then(|auth| auth.require(&self.requirement))
            .err()
            .map(|rejection| answer(request.request(), &rejection));
        let kind = match rejected {
            Some(response) => Kind::Rejected {
                response: Some(request.into_response(response)),
            },
            None => Kind::Allowed {
                future: self.inner.call(request),
            },
        };
        RequireFuture { kind }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`RequireService`]: the route's, or the rejection.
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
            response: Option<ServiceResponse>,
        },
    }
}

impl<F, B, E> Future for RequireFuture<F>
where
    F: Future<Output = Result<ServiceResponse<B>, E>>,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Allowed { future } => future
                .poll(cx)
                .map(|result| result.map(ServiceResponse::map_into_left_body)),
            KindProj::Rejected { response } => Poll::Ready(Ok(response
                .take()
                .expect("RequireFuture polled after completion")
                .map_into_right_body())),
        }
    }
}

impl<F> fmt::Debug for RequireFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireFuture").finish_non_exhaustive()
    }
}
