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
use clerk_core::guard::{LookupFailure, Rejection, Requirement, check};
use clerk_core::models::User;
use clerk_core::{Auth, Clerk, RequestState, SessionClaims};

use crate::middleware::{ClerkContext, stored};
use crate::rejection::{
    AuthUnavailable, Decided, MissingClerkMiddleware, SessionRejection, Unauthenticated,
    UserLookupFailed, UserRejection,
};

/// Applies `f` to the signed-in request, or says why it is not.
fn signed_in<T>(
    request: &HttpRequest,
    f: impl FnOnce(&Auth, &ClerkContext) -> T,
) -> Result<T, SessionRejection> {
    let extensions = request.extensions();
    let (state, context) = stored(&extensions).ok_or(MissingClerkMiddleware)?;
    match check(state, &Requirement::signed_in()) {
        Ok(auth) => Ok(f(auth, context)),
        Err(rejection) => Err(session_rejection(rejection, context)),
    }
}

/// Applies `f` to the signed-in request, `None` when signed out, or an error when that cannot
/// be known.
fn maybe_signed_in<T>(
    request: &HttpRequest,
    f: impl FnOnce(&Auth, &ClerkContext) -> T,
) -> Result<Option<T>, SessionRejection> {
    let extensions = request.extensions();
    let (state, context) = stored(&extensions).ok_or(MissingClerkMiddleware)?;
    match state {
        RequestState::SignedIn(auth) => Ok(Some(f(auth, context))),
        RequestState::SignedOut(why) if why.is_unavailable() => {
            Err(session_rejection(Rejection::signed_out(why), context))
        }
        RequestState::SignedOut(_) => Ok(None),
    }
}

fn session_rejection(rejection: Rejection, context: &ClerkContext) -> SessionRejection {
    let unavailable = rejection.status == 503;
    let decided = Decided::new(rejection, context);
    if unavailable {
        AuthUnavailable(decided).into()
    } else {
        Unauthenticated(decided).into()
    }
}

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

/// The verified session claims of a signed-in request: user, session, organization, role,
/// permissions, features, plan… (see [`SessionClaims`]).
///
/// Rejects with 401 when signed out, 503 when the keys cannot be loaded, 500 without
/// [`ClerkMiddleware`](crate::ClerkMiddleware). [`Optional<ClerkSession>`](Optional) accepts
/// signed-out requests (not `Option<ClerkSession>`: see [`Optional`]).
///
/// ```
/// use clerk_actix::ClerkSession;
///
/// async fn me(ClerkSession(claims): ClerkSession) -> String {
///     format!("{} in {:?}", claims.user_id(), claims.org_slug())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ClerkSession(pub SessionClaims);

impl Deref for ClerkSession {
    type Target = SessionClaims;

    fn deref(&self) -> &SessionClaims {
        &self.0
    }
}

impl FromRequest for ClerkSession {
    type Error = SessionRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(signed_in(request, |auth, _| Self(auth.claims().clone())))
    }
}

impl FromRequest for Optional<ClerkSession> {
    type Error = SessionRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(maybe_signed_in(request, |auth, _| ClerkSession(auth.claims().clone())).map(Optional))
    }
}

/// The authentication of a signed-in request: its claims, [`has`](Auth::has) for authorization
/// checks, the raw token (to call another service that verifies it itself) and where it came
/// from. Dereferences to [`Auth`].
///
/// Rejects like [`ClerkSession`]; [`Optional<ClerkAuth>`](Optional) accepts signed-out requests.
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
#[derive(Debug, Clone)]
pub struct ClerkAuth(pub Auth);

impl Deref for ClerkAuth {
    type Target = Auth;

    fn deref(&self) -> &Auth {
        &self.0
    }
}

impl FromRequest for ClerkAuth {
    type Error = SessionRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(signed_in(request, |auth, _| Self(auth.clone())))
    }
}

impl FromRequest for Optional<ClerkAuth> {
    type Error = SessionRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(maybe_signed_in(request, |auth, _| ClerkAuth(auth.clone())).map(Optional))
    }
}

/// The session's user, as the Backend API returns it (`GET /v1/users/{user_id}`). Dereferences
/// to [`User`].
///
/// Users are cached per user id for the middleware's
/// [`user_cache_ttl`](crate::ClerkMiddleware::user_cache_ttl) (30 seconds by default), and
/// however many requests of one user arrive together, one API call is made and they all share
/// its answer. A lookup makes at most two attempts, all within the middleware's
/// [`user_lookup_timeout`](crate::ClerkMiddleware::user_lookup_timeout) (5 seconds by default).
/// Rejects like [`ClerkSession`], and when the lookup fails: 401 `user-not-found` (the user was
/// deleted: Clerk's 404 `resource_not_found`), 503 `user_lookup_unavailable` (the Backend API is
/// unreachable, answered 429/503, or did not answer within the timeout), 502
/// `user_lookup_failed` (any other error, a 404 without Clerk's code included, such as a wrong
/// `CLERK_API_URL` gives). Failures are not cached, except a missing user, which is remembered
/// for 5 seconds. See [`UserLookup`](clerk_core::user_cache::UserLookup).
/// [`Optional<ClerkUser>`](Optional) is `None` when signed out or when the user no longer exists.
///
/// ```
/// use clerk_actix::ClerkUser;
///
/// async fn profile(ClerkUser(user): ClerkUser) -> String {
///     format!("{} {:?}", user.id, user.first_name)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ClerkUser(pub Arc<User>);

impl Deref for ClerkUser {
    type Target = User;

    fn deref(&self) -> &User {
        &self.0
    }
}

/// The future of the [`ClerkUser`] extractors.
pub type UserFuture<T> = Pin<Box<dyn Future<Output = Result<T, UserRejection>>>>;

/// Loads the user through the middleware's cache.
async fn load_user(user_id: &str, context: &ClerkContext) -> Result<Arc<User>, LookupFailure> {
    context.0.users.load(&context.0.clerk, user_id).await
}

fn user_id_and_context(auth: &Auth, context: &ClerkContext) -> (String, ClerkContext) {
    (auth.user_id().to_owned(), context.clone())
}

impl FromRequest for ClerkUser {
    type Error = UserRejection;
    type Future = UserFuture<Self>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = signed_in(request, user_id_and_context);
        Box::pin(async move {
            let (user_id, context) = session?;
            match load_user(&user_id, &context).await {
                Ok(user) => Ok(Self(user)),
                Err(failure) => Err(UserLookupFailed::new(failure, &context).into()),
            }
        })
    }
}

impl FromRequest for Optional<ClerkUser> {
    type Error = UserRejection;
    type Future = UserFuture<Self>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = maybe_signed_in(request, user_id_and_context);
        Box::pin(async move {
            let Some((user_id, context)) = session? else {
                return Ok(Optional(None));
            };
            match load_user(&user_id, &context).await {
                Ok(user) => Ok(Optional(Some(ClerkUser(user)))),
                // The user no longer exists: the request is treated as signed out.
                Err(LookupFailure::NotFound) => Ok(Optional(None)),
                Err(failure) => Err(UserLookupFailed::new(failure, &context).into()),
            }
        })
    }
}

/// The [`Clerk`] client of the middleware in front of the route, for Backend API calls from a
/// handler. Dereferences to [`Clerk`]. Works on signed-out requests too; rejects with 500 only
/// without [`ClerkMiddleware`](crate::ClerkMiddleware).
///
/// ```
/// use clerk_actix::{ClerkClient, ClerkSession};
///
/// async fn handler(ClerkClient(clerk): ClerkClient, ClerkSession(claims): ClerkSession) -> String {
///     format!("{} via {}", claims.user_id(), clerk.api_url())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ClerkClient(pub Clerk);

impl Deref for ClerkClient {
    type Target = Clerk;

    fn deref(&self) -> &Clerk {
        &self.0
    }
}

impl FromRequest for ClerkClient {
    type Error = MissingClerkMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = request.extensions();
        ready(
            stored(&extensions)
                .map(|(_, context)| Self(context.0.clerk.clone()))
                .ok_or(MissingClerkMiddleware),
        )
    }
}
