//! The extractors' rejections: each is its own type, an actix-web [`ResponseError`], and answers
//! in Clerk's error shape.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use clerk_core::guard::{LookupFailure, Rejection};

use crate::middleware::{ClerkContext, RejectionHook};

/// The default response of a [`Rejection`]: its status, `Content-Type: application/json`, its
/// `WWW-Authenticate` header if any, and the body
/// `{"errors":[{"code":"...","message":"..."}]}`.
///
/// Use it in a [`ClerkMiddleware::on_rejection`](crate::ClerkMiddleware::on_rejection) hook to
/// start from the default.
pub fn rejection_response(rejection: &Rejection) -> HttpResponse {
    let mut response = HttpResponse::build(status_of(rejection));
    response.insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")));
    if let Some(value) = rejection
        .www_authenticate
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        response.insert_header((WWW_AUTHENTICATE, value));
    }
    response.body(rejection.json_body())
}

fn status_of(rejection: &Rejection) -> StatusCode {
    StatusCode::from_u16(rejection.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A rejection made on a request the middleware saw: answered by the middleware's hook, if any.
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

    pub(crate) fn respond(&self) -> HttpResponse {
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

/// 500 `missing_clerk_layer`: an extractor or guard ran on a request that
/// [`ClerkMiddleware`](crate::ClerkMiddleware) did not see. Add
/// `.wrap(ClerkMiddleware::new(clerk))` to the `App` (or to a scope that contains the route,
/// outside its guards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MissingClerkMiddleware;

impl MissingClerkMiddleware {
    /// The framework-neutral rejection.
    pub fn rejection(&self) -> Rejection {
        Rejection::missing_layer(
            "ClerkMiddleware (add `.wrap(ClerkMiddleware::new(clerk))` to the App or scope)",
        )
    }
}

impl fmt::Display for MissingClerkMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rejection().message)
    }
}

impl std::error::Error for MissingClerkMiddleware {}

impl ResponseError for MissingClerkMiddleware {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        rejection_response(&self.rejection())
    }
}

/// Declares a rejection type wrapping a [`Decided`] rejection.
macro_rules! decided_rejection {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub(crate) Decided);

        impl $name {
            /// The framework-neutral rejection (status, code, message, `WWW-Authenticate`).
            pub fn rejection(&self) -> &Rejection {
                &self.0.rejection
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.rejection, f)
            }
        }

        impl std::error::Error for $name {}

        impl ResponseError for $name {
            fn status_code(&self) -> StatusCode {
                status_of(&self.0.rejection)
            }

            fn error_response(&self) -> HttpResponse {
                self.0.respond()
            }
        }
    };
}

decided_rejection! {
    /// 401: the request has no valid session. The code is the reason
    /// ([`SignedOut::reason`](clerk_core::SignedOut::reason)), e.g. `token-expired`.
    Unauthenticated
}

decided_rejection! {
    /// 503 `keys_unavailable`: Clerk's signing keys could not be loaded (Clerk unreachable and
    /// nothing cached), so the session cannot be verified now. Clients should retry rather than
    /// sign the user out.
    AuthUnavailable
}

decided_rejection! {
    /// The Backend API lookup of the session's user failed: 401 `user-not-found` (the user was
    /// deleted), 503 `user_lookup_unavailable` (unreachable, 429 or 503) or 502
    /// `user_lookup_failed` (any other error). See [`LookupFailure`].
    UserLookupFailed
}

impl UserLookupFailed {
    pub(crate) fn new(failure: LookupFailure, context: &ClerkContext) -> Self {
        Self(Decided::new(Rejection::lookup_failed(failure), context))
    }
}

/// The rejection of [`ClerkSession`](crate::ClerkSession) and [`ClerkAuth`](crate::ClerkAuth).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SessionRejection {
    /// The middleware is missing (500).
    MissingMiddleware(MissingClerkMiddleware),
    /// No valid session (401).
    Unauthenticated(Unauthenticated),
    /// The keys could not be loaded (503).
    Unavailable(AuthUnavailable),
}

impl SessionRejection {
    /// The framework-neutral rejection.
    pub fn rejection(&self) -> Rejection {
        match self {
            Self::MissingMiddleware(r) => r.rejection(),
            Self::Unauthenticated(r) => r.rejection().clone(),
            Self::Unavailable(r) => r.rejection().clone(),
        }
    }

    /// The HTTP status it answers with.
    pub fn status(&self) -> StatusCode {
        status_of(&self.rejection())
    }
}

impl fmt::Display for SessionRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingMiddleware(r) => fmt::Display::fmt(r, f),
            Self::Unauthenticated(r) => fmt::Display::fmt(r, f),
            Self::Unavailable(r) => fmt::Display::fmt(r, f),
        }
    }
}

impl std::error::Error for SessionRejection {}

impl ResponseError for SessionRejection {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::MissingMiddleware(r) => r.error_response(),
            Self::Unauthenticated(r) => r.error_response(),
            Self::Unavailable(r) => r.error_response(),
        }
    }
}

impl From<MissingClerkMiddleware> for SessionRejection {
    fn from(r: MissingClerkMiddleware) -> Self {
        Self::MissingMiddleware(r)
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

/// The rejection of [`ClerkUser`](crate::ClerkUser): a [`SessionRejection`], or the failed
/// Backend API lookup of the user.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum UserRejection {
    /// No usable session (500, 401 or 503, as [`ClerkSession`](crate::ClerkSession)).
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

    /// The HTTP status it answers with.
    pub fn status(&self) -> StatusCode {
        status_of(&self.rejection())
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

impl ResponseError for UserRejection {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Session(r) => r.error_response(),
            Self::Lookup(r) => r.error_response(),
        }
    }
}

impl From<SessionRejection> for UserRejection {
    fn from(r: SessionRejection) -> Self {
        Self::Session(r)
    }
}

impl From<MissingClerkMiddleware> for UserRejection {
    fn from(r: MissingClerkMiddleware) -> Self {
        Self::Session(r.into())
    }
}

impl From<UserLookupFailed> for UserRejection {
    fn from(r: UserLookupFailed) -> Self {
        Self::Lookup(r)
    }
}
