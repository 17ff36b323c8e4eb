//! Clerk authentication for Axum: a tower layer, extractors and route guards.
//!
//! - [`ClerkLayer`] (configured by [`ClerkOptions`]) authenticates every request once (bearer header or `__session` cookie) and
//!   stores the outcome, a [`RequestState`](clerk_core::RequestState), in the request's
//!   extensions. It rejects nothing by itself.
//! - Extractors: [`ClerkSession`] (the verified claims), [`ClerkAuth`] (claims, `has()` and the
//!   raw token), [`ClerkUser`] (the Backend API's user, cached) and [`ClerkClient`] (the client,
//!   for Backend API calls). `Option<…>` of the first three means "may be signed out".
//! - Guards for `route_layer`: [`require_auth`], [`require_role`], [`require_permission`],
//!   [`require_feature`], [`require_plan`], [`require_has`], [`require`].
//!
//! Rejections answer in Clerk's error shape, `{"errors":[{"code":"...","message":"..."}]}`,
//! with a stable code (see [`clerk_core::guard`]): 401 signed out (with `WWW-Authenticate`),
//! 403 forbidden, 503 when Clerk's keys cannot be loaded, 500 when the layer is missing.
//! [`ClerkOptions::on_rejection`](clerk_core::middleware::ClerkOptions::on_rejection) replaces
//! them with your own.
//!
//! ```
//! use axum::{Router, routing::get};
//! use clerk_axum::{ClerkLayer, ClerkSession, require_permission};
//!
//! # fn app(clerk: clerk_core::Clerk) -> Router {
//! async fn public(session: Option<ClerkSession>) -> String {
//!     session.map_or("hello".into(), |s| format!("hello {}", s.user_id()))
//! }
//! async fn me(ClerkSession(claims): ClerkSession) -> String {
//!     claims.user_id().to_owned()
//! }
//!
//! let admin = Router::new()
//!     .route("/admin/reports", get(|| async { "reports" }))
//!     .route_layer(require_permission("org:reports:read"));
//! Router::new()
//!     .route("/", get(public))
//!     .route("/me", get(me))
//!     .merge(admin)
//!     .layer(ClerkLayer::new(clerk))
//! # }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod extract;
mod layer;
mod rejection;
mod require;

pub use clerk_core;
pub use extract::{
    ClerkAuth, ClerkCaller, ClerkClient, ClerkMachine, ClerkSession, ClerkUser, ClerkWebhook,
};
pub use layer::{ClerkLayer, ClerkOptions, ClerkService, ResponseFuture};
pub use rejection::{
    AuthUnavailable, MissingClerkLayer, SessionRejection, Unauthenticated, UserLookupFailed,
    UserRejection, WebhookRejection, rejection_response,
};
pub use require::{
    Require, RequireFuture, RequireLayer, require, require_auth, require_feature, require_has,
    require_machine, require_permission, require_plan, require_role, require_scope, require_tokens,
};
