//! The extractors' rejections: each is its own type and answers in Clerk's error shape.

use std::fmt;

use axum::response::{IntoResponse, Response};
use clerk_core::guard::Rejection;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};

use crate::layer::{ClerkContext, RejectionHook};

/// The default response of a [`Rejection`]: its status, `Content-Type: application/json`, its
/// `WWW-Authenticate` header if any, and the body
/// `{"errors":[{"code":"...","message":"..."}]}`.
///
/// Use it in a [`ClerkLayer::on_rejection`](crate::ClerkLayer::on_rejection) hook to start
/// from the default.
pub fn rejection_response(rejection: &Rejection) -> Response {
    let status =
        StatusCode::from_u16(rejection.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, rejection.json_body()).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(value) = rejection
        .www_authenticate
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        headers.insert(WWW_AUTHENTICATE, value);
    }
    response
}

/// A rejection made on a request the layer saw: answered by the layer's hook, if any.
#[derive(Clone)]
pub(crate) struct Decided {
    pub(crate) rejection: Rejection,
    pub(crate) hook: Option<RejectionHook>,
}

impl Decided {
    pub(crate) fn new(rejection: Rejection, context: &ClerkContext) -> Self {
        Self {
            rejection,
            hook: context.0.on_rejection.clone(),
        }
    }

    pub(crate) fn respond(&self) -> Response {
        match &self.hook {
            Some(hook) => hook(&self.rejection),
            None => rejection_response(&self.rejection),
        }
    }
}

impl fmt::Debug for Decided {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decided")
            .field("rejection", &self.rejection)
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

/// 500 `missing_clerk_layer`: an extractor ran on a route that [`ClerkLayer`](crate::ClerkLayer)
/// does not cover. Add `.layer(ClerkLayer::new(clerk))` to the router (after the routes, so that
/// it wraps them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MissingClerkLayer;

impl MissingClerkLayer {
    /// The framework-neutral rejection.
    pub fn rejection(&self) -> Rejection {
        Rejection::missing_layer("ClerkLayer (add `.layer(ClerkLayer::new(clerk))` to the router)")
    }
}

impl fmt::Display for MissingClerkLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rejection().message)
    }
}

impl std::error::Error for MissingClerkLayer {}

impl IntoResponse for MissingClerkLayer {
    fn into_response(self) -> Response {
        rejection_response(&self.rejection())
    }
}

/// 401: the request has no valid session. The code is the reason
/// ([`SignedOut::reason`](clerk_core::SignedOut::reason)), e.g. `token-expired`.
#[derive(Debug, Clone)]
pub struct Unauthenticated(pub(crate) Decided);

impl Unauthenticated {
    /// The framework-neutral rejection (status, code, message, `WWW-Authenticate`).
    pub fn rejection(&self) -> &Rejection {
        &self.0.rejection
    }
}

impl fmt::Display for Unauthenticated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.rejection, f)
    }
}

impl std::error::Error for Unauthenticated {}

impl IntoResponse for Unauthenticated {
    fn into_response(self) -> Response {
        self.0.respond()
    }
}

/// 503 `keys_unavailable`: Clerk's signing keys could not be loaded (Clerk unreachable and
/// nothing cached), so the session cannot be verified now. Clients should retry rather than sign
/// the user out.
#[derive(Debug, Clone)]
pub struct AuthUnavailable(pub(crate) Decided);

impl AuthUnavailable {
    /// The framework-neutral rejection.
    pub fn rejection(&self) -> &Rejection {
        &self.0.rejection
    }
}

impl fmt::Display for AuthUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.rejection, f)
    }
}

impl std::error::Error for AuthUnavailable {}

impl IntoResponse for AuthUnavailable {
    fn into_response(self) -> Response {
        self.0.respond()
    }
}

/// The rejection of [`ClerkSession`](crate::ClerkSession) and [`ClerkAuth`](crate::ClerkAuth).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SessionRejection {
    /// The layer is missing (500).
    MissingLayer(MissingClerkLayer),
    /// No valid session (401).
    Unauthenticated(Unauthenticated),
    /// The keys could not be loaded (503).
    Unavailable(AuthUnavailable),
}

impl SessionRejection {
    /// The framework-neutral rejection.
    pub fn rejection(&self) -> Rejection {
        match self {
            Self::MissingLayer(r) => r.rejection(),
            Self::Unauthenticated(r) => r.rejection().clone(),
            Self::Unavailable(r) => r.rejection().clone(),
        }
    }

    /// The HTTP status it answers with.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.rejection().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl fmt::Display for SessionRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingLayer(r) => fmt::Display::fmt(r, f),
            Self::Unauthenticated(r) => fmt::Display::fmt(r, f),
            Self::Unavailable(r) => fmt::Display::fmt(r, f),
        }
    }
}

impl std::error::Error for SessionRejection {}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        match self {
            Self::MissingLayer(r) => r.into_response(),
            Self::Unauthenticated(r) => r.into_response(),
            Self::Unavailable(r) => r.into_response(),
        }
    }
}

impl From<MissingClerkLayer> for SessionRejection {
    fn from(r: MissingClerkLayer) -> Self {
        Self::MissingLayer(r)
    }
}

impl From<Unauthenticated> for SessionRejection {
    fn from(r: Unauthenticated) -> Self {
        Self::Unauthenticated(r)
    }
}

impl From<AuthUnavailable> for SessionRejection {
    fn from(r: AuthUnavailable) -> Self {
        Self::Unavailable(r)
    }
}

/// 401, 502 or 503: the session is valid but its user could not be loaded from the Backend API
/// (see [`ClerkUser`](crate::ClerkUser)).
#[derive(Debug, Clone)]
pub struct UserLookupFailed(pub(crate) Decided);

impl UserLookupFailed {
    /// The framework-neutral rejection.
    pub fn rejection(&self) -> &Rejection {
        &self.0.rejection
    }
}

impl fmt::Display for UserLookupFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.rejection, f)
    }
}

impl std::error::Error for UserLookupFailed {}

impl IntoResponse for UserLookupFailed {
    fn into_response(self) -> Response {
        self.0.respond()
    }
}

/// The rejection of [`ClerkUser`](crate::ClerkUser): a session rejection, or the user lookup
/// failing.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum UserRejection {
    /// No usable session (500, 401 or 503, as [`SessionRejection`]).
    Session(SessionRejection),
    /// The user could not be loaded (401, 502 or 503).
    Lookup(UserLookupFailed),
}

impl UserRejection {
    /// The framework-neutral rejection.
    pub fn rejection(&self) -> Rejection {
        match self {
            Self::Session(r) => r.rejection(),
            Self::Lookup(r) => r.rejection().clone(),
        }
    }
}

impl fmt::Display for UserRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Session(r) => fmt::Display::fmt(r, f),
            Self::Lookup(r) => fmt::Display::fmt(r, f),
        }
    }
}

impl std::error::Error for UserRejection {}

impl IntoResponse for UserRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Session(r) => r.into_response(),
            Self::Lookup(r) => r.into_response(),
        }
    }
}

impl From<SessionRejection> for UserRejection {
    fn from(r: SessionRejection) -> Self {
        Self::Session(r)
    }
}

impl From<MissingClerkLayer> for UserRejection {
    fn from(r: MissingClerkLayer) -> Self {
        Self::Session(r.into())
    }
}

impl From<UserLookupFailed> for UserRejection {
    fn from(r: UserLookupFailed) -> Self {
        Self::Lookup(r)
    }
}
