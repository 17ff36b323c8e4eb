//! Clerk authentication for actix-web: a middleware, extractors and scope guards.
//!
//! - [`ClerkMiddleware`] (configured by [`ClerkOptions`]) runs Clerk's request pipeline
//!   ([`clerk_core::adapter`]) once per request (bearer header or `__session` cookie) and stores
//!   the outcome, a [`RequestState`](clerk_core::RequestState), in the request's extensions. It
//!   rejects nothing by itself. [`ClerkMiddleware::on_rejection`] answers refusals your way.
//! - Extractors: [`ClerkSession`] (the verified claims), [`ClerkAuth`] (claims, `has()` and the
//!   raw token), [`ClerkUser`] (the Backend API's user, cached), [`ClerkClient`] (the client,
//!   for Backend API calls), [`ClerkMachine`] (an API key, M2M or OAuth token), [`ClerkCaller`]
//!   (a session or a machine) and [`ClerkWebhook`] (a verified webhook delivery, with
//!   [`WebhookMiddleware`] on its resource). [`Optional<…>`](Optional) of the first six means
//!   "may be signed out" (not `Option`, see [`Optional`]).
//! - Guards for `Scope::wrap` and `Resource::wrap` ([`RequireMiddleware`]): [`require_auth`],
//!   [`require_role`], [`require_permission`], [`require_feature`], [`require_plan`],
//!   [`require_has`], [`require`] for sessions; [`require_machine`], [`require_scope`],
//!   [`require_tokens`] for machine tokens.
//! - [`FrontendApiProxyMiddleware`] ([`frontend_api_proxy`]) serves Clerk's Frontend API under
//!   a path of the app (`/__clerk`), for browsers that cannot reach Clerk's domain
//!   ([`clerk_core::proxy`]).
//!
//! It behaves exactly like `clerk-axum`: same options, same decisions (made by
//! [`clerk_core::adapter`]), same statuses, bodies and headers, in Clerk's error shape
//! `{"errors":[{"code":"...","message":"..."}]}` with a stable code (see
//! [`clerk_core::rejection`]). Each extractor's rejection is its own type, an actix-web
//! `ResponseError`: [`SessionRejection`] ([`MissingClerkLayer`], [`Unauthenticated`],
//! [`AuthUnavailable`]), [`UserRejection`] (also [`UserLookupFailed`]) and
//! [`WebhookRejection`]; [`rejection_response`] is the default answer, [`HookedRequest`] the
//! hook's.
//!
//! The actix-web plumbing behind them: [`ClerkMiddlewareService`] and its
//! [`ClerkMiddlewareFuture`], [`RequireService`] and [`RequireFuture`], [`WebhookService`] and
//! [`WebhookServiceFuture`], [`FrontendApiProxyService`] and [`FrontendApiProxyFuture`], the
//! extractors' futures [`UserFuture`] and [`WebhookFuture`];
//! [`RejectionHook`] is the type of an `on_rejection` hook. [`clerk_core`] is re-exported.
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
mod proxy;
mod rejection;
mod require;
mod webhook;

pub use clerk_core;
pub use clerk_core::options::ClerkOptions;
pub use extract::{
    ClerkAuth, ClerkCaller, ClerkClient, ClerkMachine, ClerkSession, ClerkUser, ClerkWebhook,
    Optional, UserFuture, WebhookFuture,
};
pub use middleware::{
    ClerkMiddleware, ClerkMiddlewareFuture, ClerkMiddlewareService, RejectionHook,
};
pub use proxy::{
    FrontendApiProxyFuture, FrontendApiProxyMiddleware, FrontendApiProxyService, frontend_api_proxy,
};
pub use rejection::{
    AuthUnavailable, HookedRequest, MissingClerkLayer, SessionRejection, Unauthenticated,
    UserLookupFailed, UserRejection, WebhookRejection, redirect_to_sign_in, redirect_to_sign_up,
    rejection_response,
};
pub use require::{
    RequireFuture, RequireMiddleware, RequireService, require, require_auth, require_feature,
    require_has, require_machine, require_permission, require_plan, require_role, require_scope,
    require_tokens,
};
pub use webhook::{WebhookMiddleware, WebhookService, WebhookServiceFuture};
