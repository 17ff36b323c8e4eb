//! Clerk authentication for Axum and any tower service (tonic, hyper): a layer, extractors and
//! route guards.
//!
//! - [`ClerkLayer`] (configured by [`ClerkOptions`]) runs Clerk's request pipeline
//!   ([`clerk_core::adapter`]) once per request (bearer header or `__session` cookie) and stores
//!   the outcome, a [`RequestState`](clerk_core::RequestState), in the request's extensions. It
//!   rejects nothing by itself. [`ClerkLayer::on_rejection`] answers refusals your way.
//! - Extractors: [`ClerkSession`] (the verified claims), [`ClerkAuth`] (claims, `has()` and the
//!   raw token), [`ClerkUser`] (the Backend API's user, cached), [`ClerkClient`] (the client,
//!   for Backend API calls), [`ClerkMachine`] (an API key, M2M or OAuth token), [`ClerkCaller`]
//!   (a session or a machine) and [`ClerkWebhook`] (a verified webhook delivery, with
//!   [`WebhookLayer`] on its route). `Option<…>` of the first six means "may be signed out".
//! - Guards for `route_layer` ([`RequireLayer`]): [`require_auth`], [`require_role`],
//!   [`require_permission`], [`require_feature`], [`require_plan`], [`require_has`],
//!   [`require`] for sessions; [`require_machine`], [`require_scope`], [`require_tokens`] for
//!   machine tokens. [`RequireLayer::grpc`] answers with gRPC statuses ([`GrpcStatus`]) for
//!   tonic; [`RenderRejection`] is the trait for other formats ([`ClerkJson`] by default).
//! - [`FrontendApiProxyLayer`] ([`frontend_api_proxy`]) serves Clerk's Frontend API under a
//!   path of the app (`/__clerk`), for browsers that cannot reach Clerk's domain
//!   ([`clerk_core::proxy`]).
//!
//! Rejections answer in Clerk's error shape, `{"errors":[{"code":"...","message":"..."}]}`,
//! with a stable code (see [`clerk_core::rejection`]): 401 signed out (with
//! `WWW-Authenticate`), 403 forbidden, 503 when Clerk's keys cannot be loaded, 500 when the
//! layer is missing. Each extractor's rejection is its own type: [`SessionRejection`]
//! ([`MissingClerkLayer`], [`Unauthenticated`], [`AuthUnavailable`]), [`UserRejection`] (also
//! [`UserLookupFailed`]) and [`WebhookRejection`]; [`rejection_response`] is the default answer.
//!
//! The tower plumbing behind them: [`ClerkService`] and its [`ClerkServiceFuture`],
//! [`RequireService`] and [`RequireFuture`], [`WebhookService`] and [`WebhookFuture`],
//! [`FrontendApiProxyService`] and [`FrontendApiProxyFuture`];
//! [`RejectionHook`] is the type of an `on_rejection` hook. [`clerk_core`] is re-exported.
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
mod proxy;
mod rejection;
mod require;
mod webhook;

pub use clerk_core;
pub use clerk_core::options::ClerkOptions;
pub use extract::{
    ClerkAuth, ClerkCaller, ClerkClient, ClerkMachine, ClerkSession, ClerkUser, ClerkWebhook,
};
pub use layer::{ClerkLayer, ClerkService, ClerkServiceFuture, RejectionHook};
pub use proxy::{
    FrontendApiProxyFuture, FrontendApiProxyLayer, FrontendApiProxyService, frontend_api_proxy,
};
pub use rejection::{
    AuthUnavailable, ClerkJson, GrpcStatus, MissingClerkLayer, RenderRejection, SessionRejection,
    Unauthenticated, UserLookupFailed, UserRejection, WebhookRejection, redirect_to_sign_in,
    redirect_to_sign_up, rejection_response,
};
pub use require::{
    RequireFuture, RequireLayer, RequireService, require, require_auth, require_feature,
    require_has, require_machine, require_permission, require_plan, require_role, require_scope,
    require_tokens,
};
pub use webhook::{WebhookFuture, WebhookLayer, WebhookService};
