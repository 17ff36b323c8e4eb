//! Extractors: [`ClerkSession`], [`ClerkAuth`], [`ClerkUser`], [`ClerkClient`], and
//! [`Optional`] for routes that accept signed-out requests.
//!
//! Each needs [`ClerkMiddleware`](crate::ClerkMiddleware) in front of the route; without it they
//! answer 500 [`MissingClerkMiddleware`] instead of panicking.
//!
//! `Optional<ClerkSession>`, `Optional<ClerkAuth>` and `Optional<ClerkUser>` mean "may be signed
//! out": `None` for every signed-out reason (no token, expired, forged, …). They still fail when
//! the middleware is missing (500: a forgotten middleware must not silently make everyone
//! anonymous) and when the keys cannot be loaded (503: a signed-in user must not be served as
//! anonymous during an outage).
//!
//! Why not `Option<ClerkSession>`: actix-web implements `FromRequest` for every `Option<T>`
//! itself, turning *any* rejection of `T` into `None`, and Rust lets no other crate change that
//! impl. `Option<ClerkSession>` therefore compiles, but answers a missing middleware or a Clerk
//! outage with an anonymous request. Use [`Optional`].

use std::future::{Future, Ready, ready};
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest};
use clerk_core::guard::Caller;
use clerk_core::machine::MachineAuth;
use clerk_core::middleware::WebhookSlot;
use clerk_core::models::User;
use clerk_core::webhooks::{Delivery, WEBHOOK_HEADERS};
use clerk_core::{Auth, Clerk, SessionClaims};

use crate::middleware::{seen, to_http_headers};
use crate::rejection::{MissingClerkMiddleware, SessionRejection, UserRejection, WebhookRejection};

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

clerk_core::__extractor! {
    /// The verified session claims of a signed-in request: user, session, organization, role,
    /// permissions, features, plan… (see [`SessionClaims`]).
    ///
    /// Rejects with 401 when signed out, 503 when the keys cannot be loaded, 500 without
    /// [`ClerkMiddleware`](crate::ClerkMiddleware). [`Optional<ClerkSession>`](Optional)
    /// accepts signed-out requests (not `Option<ClerkSession>`: see [`Optional`]).
    ///
    /// ```
    /// use clerk_actix::ClerkSession;
    ///
    /// async fn me(ClerkSession(claims): ClerkSession) -> String {
    ///     format!("{} in {:?}", claims.user_id(), claims.org_slug())
    /// }
    /// ```
    ClerkSession(pub SessionClaims) -> SessionClaims
}

clerk_core::__extractor! {
    /// The authentication of a signed-in request: its claims, [`has`](Auth::has) for
    /// authorization checks, the raw token (to call another service that verifies it itself)
    /// and where it came from. Dereferences to [`Auth`].
    ///
    /// Rejects like [`ClerkSession`]; [`Optional<ClerkAuth>`](Optional) accepts signed-out
    /// requests.
    ///
    /// ```
    /// use actix_web::HttpResponse;
    /// use clerk_actix::ClerkAuth;
    /// use clerk_core::Has;
    ///
    /// async fn invoices(auth: ClerkAuth) -> HttpResponse {
    ///     if !auth.has(Has::permission("org:invoices:read")) {
    ///         return HttpResponse::Forbidden().finish();
    ///     }
    ///     // Forward the session to another service: `Authorization: Bearer {auth.token()}`.
    ///     HttpResponse::Ok().body(format!("invoices of {:?}", auth.claims().org_id()))
    /// }
    /// ```
    ClerkAuth(pub Auth) -> Auth
}

clerk_core::__extractor! {
    /// The [`Clerk`] client of the middleware in front of the route, for Backend API calls
    /// from a handler. Dereferences to [`Clerk`]. Works on signed-out requests too; rejects
    /// with 500 only without [`ClerkMiddleware`](crate::ClerkMiddleware).
    ///
    /// ```
    /// use clerk_actix::{ClerkClient, ClerkSession};
    ///
    /// async fn handler(ClerkClient(clerk): ClerkClient, ClerkSession(claims): ClerkSession) -> String {
    ///     format!("{} via {}", claims.user_id(), clerk.api_url())
    /// }
    /// ```
    ClerkClient(pub Clerk) -> Clerk
}

clerk_core::__extractor! {
    /// The session's user, as the Backend API returns it (`GET /v1/users/{user_id}`).
    /// Dereferences to [`User`].
    ///
    /// Users are cached per id (see [`UserLookup`](clerk_core::user_cache::UserLookup) for the
    /// bounds, and [`ClerkOptions`](crate::ClerkOptions) for the cache's lifetime and the
    /// lookup's timeout): however many requests of one user arrive together, one API call is
    /// made. [`ClerkMiddleware::user_cache`](crate::ClerkMiddleware::user_cache) invalidates a
    /// user.
    ///
    /// Rejects like [`ClerkSession`], and when the lookup fails: 401 `user-not-found` (the user
    /// was deleted: Clerk's 404 `resource_not_found`), 503 `user_lookup_unavailable` (the
    /// Backend API is unreachable, answered 429/503, or did not answer within the timeout), 502
    /// `user_lookup_failed` (any other error, a 404 without Clerk's code included, such as a
    /// wrong `CLERK_API_URL` gives). [`Optional<ClerkUser>`](Optional) is `None` when signed
    /// out or when the user no longer exists.
    ///
    /// ```
    /// use clerk_actix::ClerkUser;
    ///
    /// async fn profile(ClerkUser(user): ClerkUser) -> String {
    ///     format!("{} {:?}", user.id, user.first_name)
    /// }
    /// ```
    ClerkUser(pub Arc<User>) -> User
}

clerk_core::__extractor! {
    /// The verified machine token of a request: an API key, an M2M token or an OAuth access
    /// token (see [`MachineAuth`]: kind, id, subject, scopes, claims). Dereferences to
    /// [`MachineAuth`]. The middleware must accept the kind
    /// ([`ClerkOptions::accepts`](clerk_core::middleware::ClerkOptions::accepts)).
    ///
    /// Rejects with 401 when signed out or when the token is a session
    /// (`token-type-mismatch`), 503 when it cannot be verified now, 500 without
    /// [`ClerkMiddleware`](crate::ClerkMiddleware). [`Optional<ClerkMachine>`](Optional) is
    /// `None` for signed-out and session requests.
    ///
    /// ```
    /// use clerk_actix::ClerkMachine;
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
    /// without [`ClerkMiddleware`](crate::ClerkMiddleware). [`Optional<ClerkCaller>`](Optional)
    /// accepts signed-out requests.
    ///
    /// ```
    /// use clerk_actix::ClerkCaller;
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

impl FromRequest for ClerkMachine {
    type Error = SessionRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = request.extensions();
        let machine = seen(&extensions).and_then(|seen| seen.machine().cloned());
        ready(machine.map(Self).map_err(Into::into))
    }
}

impl FromRequest for Optional<ClerkMachine> {
    type Error = SessionRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = request.extensions();
        let machine = seen(&extensions).and_then(|seen| seen.maybe_machine());
        let machine = machine.map(|machine| Optional(machine.cloned().map(ClerkMachine)));
        ready(machine.map_err(Into::into))
    }
}

impl FromRequest for ClerkCaller {
    type Error = SessionRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = request.extensions();
        let caller = seen(&extensions).and_then(|seen| seen.caller());
        ready(caller.map(Self).map_err(Into::into))
    }
}

impl FromRequest for Optional<ClerkCaller> {
    type Error = SessionRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = request.extensions();
        let caller = seen(&extensions).and_then(|seen| seen.maybe_caller());
        ready(
            caller
                .map(|caller| Optional(caller.map(ClerkCaller)))
                .map_err(Into::into),
        )
    }
}

impl FromRequest for ClerkSession {
    type Error = SessionRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = request.extensions();
        let auth = seen(&extensions).and_then(|seen| seen.signed_in());
        ready(
            auth.map(|auth| Self(auth.claims().clone()))
                .map_err(Into::into),
        )
    }
}

impl FromRequest for Optional<ClerkSession> {
    type Error = SessionRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = request.extensions();
        let auth = seen(&extensions).and_then(|seen| seen.maybe_signed_in());
        let session = auth.map(|auth| Optional(auth.map(|a| ClerkSession(a.claims().clone()))));
        ready(session.map_err(Into::into))
    }
}

impl FromRequest for ClerkAuth {
    type Error = SessionRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = request.extensions();
        let auth = seen(&extensions).and_then(|seen| seen.signed_in());
        ready(auth.map(|auth| Self(auth.clone())).map_err(Into::into))
    }
}

impl FromRequest for Optional<ClerkAuth> {
    type Error = SessionRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = request.extensions();
        let auth = seen(&extensions).and_then(|seen| seen.maybe_signed_in());
        ready(
            auth.map(|auth| Optional(auth.cloned().map(ClerkAuth)))
                .map_err(Into::into),
        )
    }
}

impl FromRequest for ClerkClient {
    type Error = MissingClerkMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = request.extensions();
        let clerk = seen(&extensions).map(|seen| Self(seen.clerk().clone()));
        ready(clerk.map_err(Into::into))
    }
}

/// The future of the [`ClerkUser`] extractors.
pub type UserFuture<T> = Pin<Box<dyn Future<Output = Result<T, UserRejection>>>>;

impl FromRequest for ClerkUser {
    type Error = UserRejection;
    type Future = UserFuture<Self>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let load = seen(&request.extensions()).and_then(|seen| seen.user());
        Box::pin(async move { Ok(Self(load?.required().await?)) })
    }
}

impl FromRequest for Optional<ClerkUser> {
    type Error = UserRejection;
    type Future = UserFuture<Self>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let load = seen(&request.extensions()).and_then(|seen| seen.maybe_user());
        Box::pin(async move {
            match load? {
                Some(load) => Ok(Optional(load.optional().await?.map(ClerkUser))),
                None => Ok(Optional(None)),
            }
        })
    }
}

clerk_core::__extractor! {
    /// A verified Clerk webhook delivery: its id (`svix-id`, the same across Svix's retries: an
    /// idempotency key), when it was sent, and the typed event
    /// ([`WebhookEvent`](clerk_core::webhooks::WebhookEvent)). Dereferences to [`Delivery`].
    ///
    /// Consumes the body (up to the verifier's limit, 1 MiB by default; actix-web's
    /// `PayloadConfig` does not apply) and verifies it with the
    /// [`Webhook`](clerk_core::webhooks::Webhook) of the middleware's options
    /// ([`ClerkOptions::webhook`](clerk_core::middleware::ClerkOptions::webhook)). Rejects with
    /// 400 and a stable code when the delivery does not verify (`webhook_invalid_signature`,
    /// `webhook_timestamp_too_old`, …), 500 without a signing secret or without
    /// [`ClerkMiddleware`](crate::ClerkMiddleware).
    ///
    /// ```
    /// use actix_web::{App, web};
    /// use clerk_actix::{ClerkMiddleware, ClerkOptions, ClerkWebhook};
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
    /// # fn app(clerk: clerk_core::Clerk) -> Result<(), Box<dyn std::error::Error>> {
    /// let middleware = ClerkMiddleware::new(ClerkOptions::new(clerk).webhook(Webhook::from_env()?));
    /// let app = App::new()
    ///     .wrap(middleware)
    ///     .route("/webhooks/clerk", web::post().to(webhook));
    /// # Ok(()) }
    /// ```
    ///
    /// A verified `user.*` event (`user.created`, `user.updated`, `user.deleted`) also drops the
    /// user from this middleware's [`ClerkUser`] cache, so the next request of that user loads it
    /// again (other instances of the app keep theirs until their TTL ends).
    ClerkWebhook(pub Delivery) -> Delivery
}

/// The future of the [`ClerkWebhook`] extractor.
pub type WebhookFuture = Pin<Box<dyn Future<Output = Result<ClerkWebhook, WebhookRejection>>>>;

impl FromRequest for ClerkWebhook {
    type Error = WebhookRejection;
    type Future = WebhookFuture;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let check = seen(&request.extensions()).and_then(|seen| seen.webhook());
        let slot = request.extensions().get::<WebhookSlot>().cloned();
        let headers = to_http_headers(request.headers(), &WEBHOOK_HEADERS);
        let body = actix_web::body::BodyStream::new(payload.take());
        Box::pin(async move {
            let check = check?;
            let body = actix_web::body::to_bytes_limited(body, check.body_limit()).await;
            let body = body.ok().and_then(Result::ok);
            Ok(Self(
                check
                    .verify(&headers, body.as_deref(), slot.as_ref())
                    .await?,
            ))
        })
    }
}
