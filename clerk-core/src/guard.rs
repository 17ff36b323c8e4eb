//! Framework-neutral authorization decisions: what a route requires ([`Requirement`]), whether a
//! request meets it ([`check`]), who the caller is ([`caller`]), and whether a route that may be
//! signed out may go on ([`optional`]). A request that may not proceed gets a
//! [`Rejection`] (see [`crate::rejection`] for every code).
//!
//! The web adapters (`clerk-axum`, `clerk-actix`) only move these values between their own types,
//! so every framework answers the same request with the same status, code, body and headers.
//!
//! ```
//! use clerk_core::RequestState;
//! use clerk_core::SignedOut;
//! use clerk_core::guard::{Requirement, check};
//!
//! let state = RequestState::SignedOut(SignedOut::NoToken);
//! let rejection = check(&state, &Requirement::permission("org:invoices:read")).unwrap_err();
//! assert_eq!(rejection.status(), 401);
//! assert_eq!(rejection.code(), "session-token-and-uat-missing");
//! assert_eq!(rejection.www_authenticate(), Some("Bearer"));
//! ```

use std::fmt;
use std::sync::Arc;

use crate::authenticate::{Auth, RequestState};
use crate::claims::Has;
use crate::machine::{Accepts, MachineAuth, TokenKind};
use crate::rejection::Rejection;

/// A custom requirement: a predicate over the signed-in request.
pub type Predicate = Arc<dyn Fn(&Auth) -> bool + Send + Sync>;

/// What a route requires of a request. Cheap to clone.
///
/// Session requirements ([`signed_in`](Self::signed_in), [`role`](Self::role), …,
/// [`custom`](Self::custom)) take session tokens only: a machine token is refused with 401
/// `token-type-mismatch`. Machine requirements ([`machine`](Self::machine),
/// [`scope`](Self::scope)) take machine tokens only. [`tokens`](Self::tokens) takes the kinds
/// it names. A route can only narrow what the middleware accepts
/// ([`AuthenticateOptions::accepts`](crate::AuthenticateOptions::accepts)): a kind the
/// middleware does not accept never gets this far.
///
/// ```
/// use clerk_core::guard::Requirement;
/// use clerk_core::{Has, Reverification};
///
/// let signed_in = Requirement::signed_in();
/// let admins = Requirement::role("org:admin");
/// let writers = Requirement::has(Has::permission("org:invoices:write").reverification(Reverification::Strict));
/// let acme = Requirement::custom(|auth| auth.claims().org_slug() == Some("acme"));
/// ```
#[derive(Clone)]
pub struct Requirement(Kind);

#[derive(Clone)]
enum Kind {
    SignedIn,
    Has(Has),
    Custom(Predicate),
    Tokens(Accepts),
    Scope(Arc<str>),
}

impl Requirement {
    /// Any signed-in session.
    pub fn signed_in() -> Self {
        Self(Kind::SignedIn)
    }

    /// An organization role, e.g. `org:admin` (see [`Has::role`]).
    pub fn role(role: impl Into<String>) -> Self {
        Self::has(Has::role(role))
    }

    /// An organization permission, e.g. `org:invoices:write` (see [`Has::permission`]).
    pub fn permission(permission: impl Into<String>) -> Self {
        Self::has(Has::permission(permission))
    }

    /// A feature, e.g. `org:dashboard` (see [`Has::feature`]).
    pub fn feature(feature: impl Into<String>) -> Self {
        Self::has(Has::feature(feature))
    }

    /// A plan, e.g. `user:pro` (see [`Has::plan`]).
    pub fn plan(plan: impl Into<String>) -> Self {
        Self::has(Has::plan(plan))
    }

    /// Any combination of role, permission, feature, plan and reverification, checked with
    /// [`SessionClaims::has`](crate::SessionClaims::has) (fails closed: asking nothing denies).
    pub fn has(check: impl Into<Has>) -> Self {
        Self(Kind::Has(check.into()))
    }

    /// Anything else: the request passes when `predicate` returns `true`.
    pub fn custom(predicate: impl Fn(&Auth) -> bool + Send + Sync + 'static) -> Self {
        Self(Kind::Custom(Arc::new(predicate)))
    }

    /// A token of one of these kinds, session or machine (e.g.
    /// `Accepts::kinds([TokenKind::SessionToken, TokenKind::ApiKey])`); another kind is 401
    /// `token-type-mismatch`.
    pub fn tokens(accepts: Accepts) -> Self {
        Self(Kind::Tokens(accepts))
    }

    /// Any machine token (API key, M2M token, OAuth access token) the middleware accepts.
    pub fn machine() -> Self {
        Self::tokens(Accepts::machines())
    }

    /// A machine token granted this scope (see [`MachineAuth::has_scope`]); one without it is
    /// 403 `forbidden`.
    pub fn scope(scope: impl Into<String>) -> Self {
        Self(Kind::Scope(scope.into().into()))
    }

    /// Whether a signed-in session meets the requirement (a machine requirement never does,
    /// except [`tokens`](Self::tokens) naming session tokens).
    pub fn allows(&self, auth: &Auth) -> bool {
        match &self.0 {
            Kind::SignedIn => true,
            Kind::Has(has) => auth.claims().satisfies(has),
            Kind::Custom(predicate) => predicate(auth),
            Kind::Tokens(accepts) => accepts.accepts(TokenKind::SessionToken),
            Kind::Scope(_) => false,
        }
    }

    /// Decides a request; see [`check`].
    pub fn check(&self, state: &RequestState) -> Result<(), Rejection> {
        check(state, self)
    }
}

impl fmt::Debug for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::SignedIn => f.write_str("Requirement::SignedIn"),
            Kind::Has(has) => f.debug_tuple("Requirement::Has").field(has).finish(),
            Kind::Custom(_) => f.write_str("Requirement::Custom(..)"),
            Kind::Tokens(accepts) => f.debug_tuple("Requirement::Tokens").field(accepts).finish(),
            Kind::Scope(scope) => f.debug_tuple("Requirement::Scope").field(scope).finish(),
        }
    }
}

/// Decides whether a request meets a requirement: `Ok`, or the [`Rejection`] to answer with.
///
/// Signed out → 401 (or 503 when the token could not be verified now, see
/// [`Rejection::signed_out`]); a token of a kind the requirement does not take → 401
/// `token-type-mismatch`; signed in without the requirement → 403.
pub fn check(state: &RequestState, requirement: &Requirement) -> Result<(), Rejection> {
    let allowed = match (state, &requirement.0) {
        (RequestState::SignedOut(why), _) => return Err(Rejection::signed_out(why)),
        (RequestState::SignedIn(auth), kind) => match kind {
            Kind::Scope(_) | Kind::Tokens(_) if !requirement.allows(auth) => {
                return Err(Rejection::token_type_mismatch(TokenKind::SessionToken));
            }
            _ => requirement.allows(auth),
        },
        (RequestState::Machine(machine), Kind::Tokens(accepts)) => {
            if !accepts.accepts(machine.kind()) {
                return Err(Rejection::token_type_mismatch(machine.kind()));
            }
            true
        }
        (RequestState::Machine(machine), Kind::Scope(scope)) => machine.has_scope(scope),
        (RequestState::Machine(machine), _) => {
            return Err(Rejection::token_type_mismatch(machine.kind()));
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(Rejection::forbidden())
    }
}

/// A request's authenticated caller: a person's session or a machine.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A session token.
    Session(Auth),
    /// A machine token (API key, M2M token, OAuth access token).
    Machine(MachineAuth),
}

impl Caller {
    /// The token's kind.
    pub fn kind(&self) -> TokenKind {
        match self {
            Self::Session(_) => TokenKind::SessionToken,
            Self::Machine(machine) => machine.kind(),
        }
    }

    /// The session, if the caller is one.
    pub fn session(&self) -> Option<&Auth> {
        match self {
            Self::Session(auth) => Some(auth),
            Self::Machine(_) => None,
        }
    }

    /// The machine, if the caller is one.
    pub fn machine(&self) -> Option<&MachineAuth> {
        match self {
            Self::Machine(machine) => Some(machine),
            Self::Session(_) => None,
        }
    }

    /// The user the request acts for: the session's user, or the user of an API key or OAuth
    /// access token (`None` for an organization's API key and for M2M tokens).
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Self::Session(auth) => Some(auth.user_id()),
            Self::Machine(machine) => machine.user_id(),
        }
    }

    /// The raw token.
    pub fn token(&self) -> &str {
        match self {
            Self::Session(auth) => auth.token(),
            Self::Machine(machine) => machine.token(),
        }
    }
}

/// The caller of a request that must be authenticated, with a token of any kind the middleware
/// accepts: the [`Caller`], or the signed-out [`Rejection`] (401, or 503 when the token could
/// not be verified now).
pub fn caller(state: &RequestState) -> Result<Caller, Rejection> {
    match state {
        RequestState::SignedIn(auth) => Ok(Caller::Session(auth.clone())),
        RequestState::Machine(machine) => Ok(Caller::Machine(machine.clone())),
        RequestState::SignedOut(why) => Err(Rejection::signed_out(why)),
    }
}

/// Decides a request on a route that may be signed out: the signed-in [`Auth`], `None` for
/// every signed-out reason (no token, expired, forged, …), or the [`Rejection`] that must not be
/// hidden behind an anonymous request: when the keys could not be loaded (503), a signed-in
/// user must not be served as anonymous during an outage.
///
/// ```
/// use clerk_core::{RequestState, SignedOut};
/// use clerk_core::guard::optional;
///
/// let state = RequestState::SignedOut(SignedOut::NoToken);
/// assert!(optional(&state).expect("not an outage").is_none());
/// ```
///
/// A machine's request is `None` here: it has no session.
pub fn optional(state: &RequestState) -> Result<Option<&Auth>, Rejection> {
    match state {
        RequestState::SignedIn(auth) => Ok(Some(auth)),
        RequestState::SignedOut(why) if why.is_unavailable() => Err(Rejection::signed_out(why)),
        RequestState::SignedOut(_) | RequestState::Machine(_) => Ok(None),
    }
}
