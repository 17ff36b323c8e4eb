//! Clerk authentication for actix-web: a middleware, extractors and scope guards.
//!
//! - [`ClerkMiddleware`] (configured by [`ClerkOptions`]) authenticates every request once (bearer header or `__session` cookie)
//!   and stores the outcome, a [`RequestState`](clerk_core::RequestState), in the request's
//!   extensions. It rejects nothing by itself.
//! - Extractors: [`ClerkSession`] (the verified claims), [`ClerkAuth`] (claims, `has()` and the
//!   raw token), [`ClerkUser`] (the user from the Backend API, cached) and [`ClerkClient`] (the
//!   client, for Backend API calls). [`Optional<…>`](Optional) of the first three means "may be
//!   signed out".
//! - Guards for `Scope::wrap` and `Resource::wrap`: [`require_auth`], [`require_role`],
//!   [`require_permission`], [`require_feature`], [`require_plan`], [`require_has`],
//!   [`require`].
//!
//! It behaves exactly like `clerk-axum`: same options, same decisions (made by
//! [`clerk_core::guard`]), same statuses, bodies and headers. Rejections answer in Clerk's error
//! shape, `{"errors":[{"code":"...","message":"..."}]}`, with a stable code: 401 signed out
//! (with `WWW-Authenticate`), 403 forbidden, 503 when Clerk's keys cannot be loaded, 502/503
//! when the Backend API fails to load a [`ClerkUser`], 500 when the middleware is missing.
//! [`ClerkOptions::on_rejection`](clerk_core::middleware::ClerkOptions::on_rejection) replaces
//! them with your own.
//!
//! ```
//! use actix_web::{App, web};
//! use clerk_actix::{ClerkMiddleware, ClerkSession, Optional, require_permission};
//!
//! async fn public(Optional(session): Optional<ClerkSession>) -> String {
//!     session.map_or("hello".into(), |s| format!("hello {}", s.user_id()))
//! }
//! async fn me(ClerkSession(claims): ClerkSession) -> String {
//!     claims.user_id().to_owned()
//! }
//!
//! # fn app(clerk: clerk_core::Clerk) {
//! let admin = web::scope("/admin")
//!     .wrap(require_permission("org:reports:read"))
//!     .route("/reports", web::get().to(|| async { "reports" }));
//! let app = App::new()
//!     .wrap(ClerkMiddleware::new(clerk))
//!     .route("/", web::get().to(public))
//!     .route("/me", web::get().to(me))
//!     .service(admin);
//! # }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod extract;
mod middleware;
mod rejection;
mod require;

pub use clerk_core;
pub use extract::{
    ClerkAuth, ClerkCaller, ClerkClient, ClerkMachine, ClerkSession, ClerkUser, ClerkWebhook,
    Optional, UserFuture, WebhookFuture,
};
pub use middleware::{
    ClerkMiddleware, ClerkMiddlewareFuture, ClerkMiddlewareService, ClerkOptions,
};
pub use rejection::{
    AuthUnavailable, MissingClerkMiddleware, SessionRejection, Unauthenticated, UserLookupFailed,
    UserRejection, WebhookRejection, rejection_response,
};
pub use require::{
    Require, RequireFuture, RequireService, require, require_auth, require_feature, require_has,
    require_machine, require_permission, require_plan, require_role, require_scope, require_tokens,
};
