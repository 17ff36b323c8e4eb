//! Extractors: [`ClerkSession`], [`ClerkAuth`], [`ClerkUser`], [`ClerkClient`],
//! [`ClerkMachine`], [`ClerkCaller`] and [`ClerkWebhook`].
//!
//! Each needs [`ClerkLayer`](crate::ClerkLayer) in front of the route; without it they answer
//! 500 [`MissingClerkLayer`](crate::MissingClerkLayer) instead of panicking.
//!
//! `Option<ClerkSession>`, `Option<ClerkAuth>` and `Option<ClerkUser>` mean "may be signed
//! out": `None` for every signed-out reason (no token, expired, forged, …). They still fail when
//! the layer is missing (500: a forgotten layer must not silently make everyone anonymous) and
//! when the keys cannot be loaded (503: a signed-in user must not be served as anonymous during
//! an outage). The decisions are clerk-core's ([`clerk_core::guard`]).

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use clerk_core::guard::Caller;
use clerk_core::machine::MachineAuth;
use clerk_core::models::User;
use clerk_core::webhooks::Delivery;
use clerk_core::{Auth, Clerk, SessionClaims};
use http::request::Parts;

use crate::layer::seen;
use crate::rejection::{MissingClerkLayer, SessionRejection, UserRejection, WebhookRejection};

clerk_core::__extractor! {
    /// The verified session claims of a signed-in request: user, session, organization, role,
    /// permissions, features, plan… (see [`SessionClaims`]).
    ///
    /// Rejects with 401 when signed out, 503 when the keys cannot be loaded, 500 without
    /// [`ClerkLayer`](crate::ClerkLayer). `Option<ClerkSession>` accepts signed-out requests.
    ///
    /// ```
    /// use clerk_axum::ClerkSession;
    ///
    /// async fn me(ClerkSession(claims): ClerkSession) -> String {
    ///     format!("{} in {:?}", claims.user_id(), claims.org_slug())
    /// }
    ///
    /// async fn home(session: Option<ClerkSession>) -> String {
    ///     match session {
    ///         Some(ClerkSession(claims)) => format!("hello {}", claims.user_id()),
    ///         None => "hello stranger".to_owned(),
    ///     }
    /// }
    /// ```
    ClerkSession(pub SessionClaims) -> SessionClaims
}

clerk_core::__extractor! {
    /// The authentication of a signed-in request: its claims, [`has`](Auth::has) for
    /// authorization checks, the raw token (to call another service that verifies it itself)
    /// and where it came from. Dereferences to [`Auth`].
    ///
    /// Rejects like [`ClerkSession`]; `Option<ClerkAuth>` accepts signed-out requests.
    ///
    /// ```
    /// use clerk_axum::ClerkAuth;
    /// use clerk_core::Has;
    /// use http::StatusCode;
    ///
    /// async fn invoices(auth: ClerkAuth) -> Result<String, StatusCode> {
    ///     if !auth.has(Has::permission("org:invoices:read")) {
    ///         return Err(StatusCode::FORBIDDEN);
    ///     }
    ///     // Forward the session to another service: `Authorization: Bearer {auth.token()}`.
    ///     Ok(format!("invoices of {:?}", auth.claims().org_id()))
    /// }
    /// ```
    ClerkAuth(pub Auth) -> Auth
}

clerk_core::__extractor! {
    /// The [`Clerk`] client of the layer in front of the route, for Backend API calls from a
    /// handler. Dereferences to [`Clerk`]. Works on signed-out requests too; rejects with 500
    /// only without [`ClerkLayer`](crate::ClerkLayer).
    ///
    /// ```
    /// use clerk_axum::{ClerkClient, ClerkSession};
    ///
    /// async fn handler(ClerkClient(clerk): ClerkClient, ClerkSession(claims): ClerkSession) -> String {
    ///     format!("{} via {}", claims.user_id(), clerk.api_url())
    /// }
    /// ```
    ClerkClient(pub Clerk) -> Clerk
}

clerk_core::__extractor! {
    /// The signed-in user as the Backend API returns it (`GET /v1/users/{user_id}`): names,
    /// email addresses, metadata, … Dereferences to [`User`].
    ///
    /// Users are cached per id (see [`UserLookup`](clerk_core::user_cache::UserLookup) for the
    /// bounds, and [`ClerkOptions`](crate::ClerkOptions) for the cache's lifetime and the
    /// lookup's timeout): however many requests of one user arrive together, one API call is
    /// made. [`ClerkLayer::user_cache`](crate::ClerkLayer::user_cache) invalidates a user.
    ///
    /// Rejects like [`ClerkSession`], and when the user cannot be loaded: 401 `user-not-found`
    /// when the user no longer exists (Clerk's 404 `resource_not_found`), 503 when the Backend
    /// API is unavailable (unreachable, 429, 503, or no answer within the timeout), 502 for
    /// other API errors, a 404 without Clerk's code included (such as a wrong `CLERK_API_URL`
    /// gives). `Option<ClerkUser>` is `None` when signed out or when the user no longer exists.
    ///
    /// ```
    /// use clerk_axum::ClerkUser;
    ///
    /// async fn profile(user: ClerkUser) -> String {
    ///     format!("{:?} {:?}", user.first_name, user.last_name)
    /// }
    /// ```
    ClerkUser(pub Arc<User>) -> User
}

clerk_core::__extractor! {
    /// A verified Clerk webhook delivery: its id (`svix-id`, the same across Svix's retries: an
    /// idempotency key), when it was sent, and the typed event
    /// ([`WebhookEvent`](clerk_core::webhooks::WebhookEvent)). Dereferences to [`Delivery`].
    ///
    /// Consumes the body (up to the verifier's limit, 1 MiB by default) and verifies it with the
    /// [`Webhook`](clerk_core::webhooks::Webhook) of the layer's options
    /// ([`ClerkOptions::webhook`](clerk_core::middleware::ClerkOptions::webhook)). Rejects with
    /// 400 and a stable code when the delivery does not verify (`webhook_invalid_signature`,
    /// `webhook_timestamp_too_old`, …), 500 without a signing secret or without
    /// [`ClerkLayer`](crate::ClerkLayer). Being a body extractor, it comes last among a
    /// handler's arguments.
    ///
    /// ```
    /// use axum::{Router, routing::post};
    /// use clerk_axum::{ClerkLayer, ClerkOptions, ClerkWebhook};
    /// use clerk_core::webhooks::{Webhook, WebhookData};
    ///
    /// async fn webhook(ClerkWebhook(delivery): ClerkWebhook) -> &'static str {
    ///     match &delivery.event.data {
    ///         WebhookData::UserCreated(user) => println!("new user {}", user.id),
    ///         other => println!("{} (delivery {})", other.event_type(), delivery.id),
    ///     }
    ///     "ok"
    /// }
    ///
    /// # fn app(clerk: clerk_core::Clerk) -> Result<Router, Box<dyn std::error::Error>> {
    /// let options = ClerkOptions::new(clerk).webhook(Webhook::from_env()?);
    /// Ok(Router::new()
    ///     .route("/webhooks/clerk", post(webhook))
    ///     .layer(ClerkLayer::new(options)))
    /// # }
    /// ```
    ///
    /// A verified `user.*` event (`user.created`, `user.updated`, `user.deleted`) also drops the
    /// user from this middleware's [`ClerkUser`] cache, so the next request of that user loads it
    /// again (other instances of the app keep theirs until their TTL ends).
    ClerkWebhook(pub Delivery) -> Delivery
}

clerk_core::__extractor! {
    /// The verified machine token of a request: an API key, an M2M token or an OAuth access
    /// token (see [`MachineAuth`]: kind, id, subject, scopes, claims). Dereferences to
    /// [`MachineAuth`]. The layer must accept the kind
    /// ([`ClerkOptions::accepts`](clerk_core::middleware::ClerkOptions::accepts)).
    ///
    /// Rejects with 401 when signed out or when the token is a session
    /// (`token-type-mismatch`), 503 when it cannot be verified now, 500 without
    /// [`ClerkLayer`](crate::ClerkLayer). `Option<ClerkMachine>` is `None` for signed-out and
    /// session requests.
    ///
    /// ```
    /// use clerk_axum::ClerkMachine;
    ///
    /// async fn export(machine: ClerkMachine) -> String {
    ///     format!("{} {} may {:?}", machine.kind().name(), machine.subject(), machine.scopes())
    /// }
    /// ```
    ClerkMachine(pub MachineAuth) -> MachineAuth
}

clerk_core::__extractor! {
    /// The caller of a request, a session or a machine ([`Caller`]), for routes that take
    /// both: its kind, its user (if any) and its token. Dereferences to [`Caller`].
    ///
    /// Rejects with 401 when signed out, 503 when the token cannot be verified now, 500
    /// without [`ClerkLayer`](crate::ClerkLayer). `Option<ClerkCaller>` accepts signed-out
    /// requests.
    ///
    /// ```
    /// use clerk_axum::ClerkCaller;
    /// use clerk_core::guard::Caller;
    ///
    /// async fn orders(caller: ClerkCaller) -> String {
    ///     match &*caller {
    ///         Caller::Session(auth) => format!("user {}", auth.user_id()),
    ///         Caller::Machine(machine) => format!("{} {}", machine.kind().name(), machine.subject()),
    ///     }
    /// }
    /// ```
    ClerkCaller(pub Caller) -> Caller
}

impl<S: Send + Sync> FromRequestParts<S> for ClerkMachine {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(seen(&parts.extensions)?.machine()?.clone()))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for ClerkMachine {
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(seen(&parts.extensions)?.maybe_machine()?.cloned().map(Self))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClerkCaller {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(seen(&parts.extensions)?.caller()?))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for ClerkCaller {
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(seen(&parts.extensions)?.maybe_caller()?.map(Self))
    }
}

impl<S: Send + Sync> FromRequest<S> for ClerkWebhook {
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let check = seen(&parts.extensions)?.webhook()?;
        let body = axum::body::to_bytes(body, check.body_limit()).await.ok();
        let slot = parts.extensions.get();
        Ok(Self(
            check.verify(&parts.headers, body.as_deref(), slot).await?,
        ))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClerkSession {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let auth = seen(&parts.extensions)?.signed_in()?;
        Ok(Self(auth.claims().clone()))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for ClerkSession {
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let auth = seen(&parts.extensions)?.maybe_signed_in()?;
        Ok(auth.map(|auth| Self(auth.claims().clone())))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClerkAuth {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(seen(&parts.extensions)?.signed_in()?.clone()))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for ClerkAuth {
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(seen(&parts.extensions)?
            .maybe_signed_in()?
            .cloned()
            .map(Self))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClerkClient {
    type Rejection = MissingClerkLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(seen(&parts.extensions)?.clerk().clone()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClerkUser {
    type Rejection = UserRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let load = seen(&parts.extensions)?.user()?;
        Ok(Self(load.required().await?))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for ClerkUser {
    type Rejection = UserRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match seen(&parts.extensions)?.maybe_user()? {
            Some(load) => Ok(load.optional().await?.map(Self)),
            None => Ok(None),
        }
    }
}
