//! Extractors: [`ClerkSession`], [`ClerkAuth`], [`ClerkUser`] and [`ClerkClient`].
//!
//! Each needs [`ClerkLayer`](crate::ClerkLayer) in front of the route; without it they answer
//! 500 [`MissingClerkLayer`] instead of panicking.
//!
//! `Option<ClerkSession>` and `Option<ClerkAuth>` mean "may be signed out": `None` for every
//! signed-out reason (no token, expired, forged, …). They still fail when the layer is missing
//! (500: a forgotten layer must not silently make everyone anonymous) and when the keys cannot
//! be loaded (503: a signed-in user must not be served as anonymous during an outage).

use std::ops::Deref;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use std::sync::Arc;

use clerk_core::guard::{LookupFailure, Rejection, Requirement};
use clerk_core::models::User;
use clerk_core::{Auth, Clerk, RequestState, SessionClaims};
use http::request::Parts;

use crate::layer::{ClerkContext, stored};
use crate::rejection::{
    AuthUnavailable, Decided, MissingClerkLayer, SessionRejection, Unauthenticated,
    UserLookupFailed, UserRejection,
};

/// The signed-in request, or why not.
fn signed_in(parts: &Parts) -> Result<&Auth, SessionRejection> {
    let (state, context) = stored(&parts.extensions).ok_or(MissingClerkLayer)?;
    Requirement::signed_in()
        .check(state)
        .map_err(|rejection| session_rejection(rejection, context))
}

/// The signed-in request, `None` when signed out, or an error when that cannot be known.
fn maybe_signed_in(parts: &Parts) -> Result<Option<&Auth>, SessionRejection> {
    let (state, context) = stored(&parts.extensions).ok_or(MissingClerkLayer)?;
    match state {
        RequestState::SignedIn(auth) => Ok(Some(auth)),
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
#[derive(Debug, Clone)]
pub struct ClerkSession(pub SessionClaims);

impl Deref for ClerkSession {
    type Target = SessionClaims;

    fn deref(&self) -> &SessionClaims {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClerkSession {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        signed_in(parts).map(|auth| Self(auth.claims().clone()))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for ClerkSession {
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(maybe_signed_in(parts)?.map(|auth| Self(auth.claims().clone())))
    }
}

/// The authentication of a signed-in request: its claims, [`has`](Auth::has) for authorization
/// checks, the raw token (to call another service that verifies it itself) and where it came
/// from. Dereferences to [`Auth`].
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
#[derive(Debug, Clone)]
pub struct ClerkAuth(pub Auth);

impl Deref for ClerkAuth {
    type Target = Auth;

    fn deref(&self) -> &Auth {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClerkAuth {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        signed_in(parts).map(|auth| Self(auth.clone()))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for ClerkAuth {
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(maybe_signed_in(parts)?.map(|auth| Self(auth.clone())))
    }
}

/// The [`Clerk`] client of the layer in front of the route, for Backend API calls from a
/// handler. Dereferences to [`Clerk`]. Works on signed-out requests too; rejects with 500 only
/// without [`ClerkLayer`](crate::ClerkLayer).
///
/// ```
/// use clerk_axum::{ClerkClient, ClerkSession};
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

impl<S: Send + Sync> FromRequestParts<S> for ClerkClient {
    type Rejection = MissingClerkLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let (_, context) = stored(&parts.extensions).ok_or(MissingClerkLayer)?;
        Ok(Self(context.0.clerk.clone()))
    }
}

/// The signed-in user as the Backend API returns it (`GET /v1/users/{user_id}`): names, email
/// addresses, metadata, … Dereferences to [`User`].
///
/// Users are cached per id for the layer's [`user_cache_ttl`](crate::ClerkLayer::user_cache_ttl)
/// (30 seconds by default), and however many requests of one user arrive together, one API call
/// is made and they all share its answer. Failures are not cached, except a missing user, which
/// is remembered for 5 seconds. A lookup makes at most two attempts, all within the layer's
/// [`user_lookup_timeout`](crate::ClerkLayer::user_lookup_timeout) (5 seconds by default).
///
/// Rejects like [`ClerkSession`], and when the user cannot be loaded: 401 `user-not-found` when
/// the user no longer exists (Clerk's 404 `resource_not_found`), 503 when the Backend API is
/// unavailable (unreachable, 429, 503, or no answer within the timeout), 502 for other API
/// errors, a 404 without Clerk's code included (such as a wrong `CLERK_API_URL` gives).
/// `Option<ClerkUser>` is `None` when signed out or when the user no longer exists. See
/// [`UserLookup`](clerk_core::user_cache::UserLookup).
///
/// ```
/// use clerk_axum::ClerkUser;
///
/// async fn profile(user: ClerkUser) -> String {
///     format!("{:?} {:?}", user.first_name, user.last_name)
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

/// Loads the session's user through the layer's cache.
async fn load_user(parts: &Parts) -> Result<Option<ClerkUser>, UserRejection> {
    let Some(auth) = maybe_signed_in(parts)? else {
        return Ok(None);
    };
    let (_, context) = stored(&parts.extensions).ok_or(MissingClerkLayer)?;
    let loaded = context.0.users.load(&context.0.clerk, auth.user_id()).await;
    match loaded {
        Ok(user) => Ok(Some(ClerkUser(user))),
        Err(LookupFailure::NotFound) => Ok(None),
        Err(failure) => {
            Err(UserLookupFailed(Decided::new(Rejection::lookup_failed(failure), context)).into())
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClerkUser {
    type Rejection = UserRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        signed_in(parts)?;
        match load_user(parts).await? {
            Some(user) => Ok(user),
            // Signed in, but the user is gone (deleted since the token was issued).
            None => {
                let (_, context) = stored(&parts.extensions).ok_or(MissingClerkLayer)?;
                let rejection = Rejection::lookup_failed(LookupFailure::NotFound);
                Err(UserLookupFailed(Decided::new(rejection, context)).into())
            }
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for ClerkUser {
    type Rejection = UserRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        load_user(parts).await
    }
}
