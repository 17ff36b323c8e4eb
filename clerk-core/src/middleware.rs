//! What every web adapter's middleware is made of: its settings ([`ClerkOptions`]), and the
//! decisions its extractors and guards make.
//!
//! `clerk-axum`'s `ClerkLayer` and `clerk-actix`'s `ClerkMiddleware` are thin wrappers over
//! [`ClerkOptions`]; each adapter exports it as `ClerkOptions`, with its framework's response
//! type for `R` (the type an [`on_rejection`](ClerkOptions::on_rejection) hook returns). All
//! that an adapter adds is framework glue: how to read a request's headers and extensions, how
//! to store a value in them, and how a [`Rejection`] becomes that framework's response. So the
//! two adapters answer every request identically, by construction.
//!
//! ```
//! use std::time::Duration;
//! use clerk_core::middleware::ClerkOptions;
//!
//! # fn demo(clerk: clerk_core::Clerk) {
//! // `String` stands for a framework's response type here.
//! let options: ClerkOptions<String> = ClerkOptions::new(clerk)
//!     .authorized_parties(["https://app.example.com"])
//!     .accept_cookie(true)
//!     .user_cache_ttl(Duration::from_secs(60))
//!     .on_rejection(|rejection| format!("denied: {}", rejection.code()));
//! assert_eq!(options.user_cache().ttl(), Duration::from_secs(60));
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;

use crate::authenticate::{Auth, AuthenticateOptions, RequestState};
use crate::client::Clerk;
use crate::guard::{self, Caller, Rejection, Requirement};
use crate::machine::MachineAuth;
use crate::models::User;
use crate::user_cache::{UserCache, UserLookup};
use crate::webhooks::{Delivery, Webhook};

/// A function that turns a [`Rejection`] into the application's own response of type `R`; see
/// [`ClerkOptions::on_rejection`].
pub type RejectionHook<R> = Arc<dyn Fn(&Rejection) -> R + Send + Sync>;

/// Every setting of the Clerk middleware, with its meaning. `R` is the framework's response
/// type; the adapters export this type as `ClerkOptions` with `R` set.
///
/// Build it from a [`Clerk`] (or pass the `Clerk` itself where options are expected: it
/// converts with the defaults) and hand it to the adapter's middleware. Cheap to clone: clones
/// share the user cache.
pub struct ClerkOptions<R> {
    clerk: Clerk,
    authenticate: AuthenticateOptions,
    users: UserLookup,
    webhook: Option<Webhook>,
    on_rejection: Option<RejectionHook<R>>,
    debug_headers: bool,
}

impl<R> ClerkOptions<R> {
    /// The defaults for `clerk`: its authorized parties and pending-session policy (from its
    /// builder), the `__session` cookie accepted, users cached for
    /// [`DEFAULT_TTL`](crate::user_cache::DEFAULT_TTL) and looked up within
    /// [`DEFAULT_LOOKUP_TIMEOUT`](crate::user_cache::DEFAULT_LOOKUP_TIMEOUT), rejections
    /// answered in Clerk's error shape.
    pub fn new(clerk: Clerk) -> Self {
        Self {
            authenticate: AuthenticateOptions::new(&clerk),
            clerk,
            users: UserLookup::default(),
            webhook: None,
            on_rejection: None,
            debug_headers: false,
        }
    }

    /// Only accept tokens whose `azp` is one of these origins (e.g. `https://app.example.com`);
    /// a token without `azp` is then rejected. Replaces the client's own list; an empty list
    /// accepts any `azp`.
    pub fn authorized_parties<I, S>(mut self, parties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.authenticate.verify = self.authenticate.verify.authorized_parties(parties);
        self
    }

    /// Whether the `__session` cookie is accepted (default: yes). APIs called only with bearer
    /// tokens can turn it off.
    pub fn accept_cookie(mut self, accept: bool) -> Self {
        self.authenticate.accept_cookie = accept;
        self
    }

    /// The token kinds accepted (default: session tokens only, as in Clerk's SDKs), e.g.
    /// `Accepts::kinds([TokenKind::SessionToken, TokenKind::ApiKey])` or `Accepts::any()`. A
    /// bearer token of another kind is signed out with `token-type-mismatch` before any
    /// verification (no Backend API call). Routes narrow it with a guard
    /// ([`Requirement::tokens`], [`Requirement::machine`], [`Requirement::scope`]); session
    /// extractors and guards still take session tokens only.
    pub fn accepts(mut self, accepts: crate::machine::Accepts) -> Self {
        self.authenticate.accepts = accepts;
        self
    }

    /// Whether pending sessions (`sts: pending`: signed in, a required step such as choosing an
    /// organization not done) count as signed in (default: the client's setting, which defaults
    /// to no).
    pub fn accept_pending_sessions(mut self, accept: bool) -> Self {
        self.authenticate.verify = self.authenticate.verify.accept_pending(accept);
        self
    }

    /// How long the `ClerkUser` extractor keeps a loaded user before asking the Backend API
    /// again (default [`DEFAULT_TTL`](crate::user_cache::DEFAULT_TTL), 30 seconds). Concurrent
    /// requests of one user always share one call. Starts a new, empty cache.
    pub fn user_cache_ttl(mut self, ttl: Duration) -> Self {
        self.users = self.users.cache_ttl(ttl);
        self
    }

    /// How long the `ClerkUser` extractor may wait for the Backend API, retries included
    /// (default [`DEFAULT_LOOKUP_TIMEOUT`](crate::user_cache::DEFAULT_LOOKUP_TIMEOUT), 5
    /// seconds; at most two attempts). Past it the request is answered 503
    /// `user_lookup_unavailable`, as when Clerk answers 503.
    pub fn user_lookup_timeout(mut self, timeout: Duration) -> Self {
        self.users = self.users.timeout(timeout);
        self
    }

    /// The verifier of Clerk's webhook deliveries, for the adapters' `ClerkWebhook` extractor
    /// (without one, that extractor answers 500 `webhook_not_configured`). A delivery that does
    /// not verify is answered 400 with the [`WebhookError`](crate::webhooks::WebhookError)'s
    /// code.
    pub fn webhook(mut self, webhook: Webhook) -> Self {
        self.webhook = Some(webhook);
        self
    }

    /// Replaces the response of every rejection made by the extractors and guards on requests
    /// that went through the middleware (401, 403, 502, 503) with the application's own. The
    /// adapter's `rejection_response` gives the default, to adapt.
    ///
    /// A missing middleware (500) cannot be seen by the hook: without the middleware there is
    /// no hook.
    pub fn on_rejection(mut self, hook: impl Fn(&Rejection) -> R + Send + Sync + 'static) -> Self {
        self.on_rejection = Some(Arc::new(hook));
        self
    }

    /// The client requests are authenticated with.
    pub fn clerk(&self) -> &Clerk {
        &self.clerk
    }

    /// The options each request is authenticated with.
    pub fn authenticate_options(&self) -> &AuthenticateOptions {
        &self.authenticate
    }

    /// How the `ClerkUser` extractor loads users.
    pub fn user_lookup(&self) -> &UserLookup {
        &self.users
    }

    /// The users loaded by the `ClerkUser` extractor, shared by every clone of these options
    /// and of the middleware made from them. Invalidate a user after changing it (or on a
    /// `user.updated` webhook) so that the next request sees the change:
    ///
    /// ```no_run
    /// # async fn demo(options: clerk_core::middleware::ClerkOptions<String>) {
    /// options.user_cache().invalidate("user_123").await;
    /// # }
    /// ```
    pub fn user_cache(&self) -> &UserCache<Arc<User>> {
        self.users.cache()
    }

    /// Adds Clerk's debug headers to every response (default: off): `x-clerk-auth-status`
    /// (`signed-in` or `signed-out`) and, when signed out, `x-clerk-auth-reason` (the
    /// [`reason`](crate::SignedOut::reason), e.g. `token-expired`), so a developer sees in the
    /// browser's network panel or with `curl -i` why a request was signed out. A development
    /// aid: it tells any client how its token failed, so leave it off in production.
    pub fn debug_headers(mut self, on: bool) -> Self {
        self.debug_headers = on;
        self
    }

    /// Authenticates a request from its headers (only
    /// [`AUTHENTICATION_HEADERS`](crate::AUTHENTICATION_HEADERS) are read).
    pub async fn authenticate(&self, headers: &HeaderMap) -> RequestState {
        self.clerk
            .authenticate_with(headers, &self.authenticate)
            .await
    }

    /// What the middleware must still do once the handler answers a request authenticated as
    /// `state` (adapter plumbing): `None` when nothing (no replay protection, no debug headers),
    /// so that most requests carry nothing past the handler.
    #[doc(hidden)]
    pub fn pending(self: &Arc<Self>, state: &RequestState) -> Option<Pending<R>> {
        let slot = self
            .webhook
            .as_ref()
            .filter(|webhook| webhook.protects_replays())
            .map(|_| WebhookSlot::default());
        let debug = self.debug_headers.then(|| AuthDebug::of(state));
        (slot.is_some() || debug.is_some()).then(|| Pending {
            options: Arc::clone(self),
            slot,
            debug,
        })
    }

    /// The response to `rejection`: the [`on_rejection`](Self::on_rejection) hook's if there
    /// is one, else `default`'s.
    pub fn respond(&self, rejection: &Rejection, default: fn(&Rejection) -> R) -> R {
        match &self.on_rejection {
            Some(hook) => hook(rejection),
            None => default(rejection),
        }
    }
}

impl<R> From<Clerk> for ClerkOptions<R> {
    fn from(clerk: Clerk) -> Self {
        Self::new(clerk)
    }
}

impl<R> Clone for ClerkOptions<R> {
    fn clone(&self) -> Self {
        Self {
            clerk: self.clerk.clone(),
            authenticate: self.authenticate.clone(),
            users: self.users.clone(),
            webhook: self.webhook.clone(),
            on_rejection: self.on_rejection.clone(),
            debug_headers: self.debug_headers,
        }
    }
}

impl<R> fmt::Debug for ClerkOptions<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkOptions")
            .field("clerk", &self.clerk)
            .field("authenticate", &self.authenticate)
            .field("users", &self.users)
            .field("webhook", &self.webhook)
            .field("on_rejection", &self.on_rejection.is_some())
            .field("debug_headers", &self.debug_headers)
            .finish()
    }
}

/// Clerk's debug headers for one response (see [`ClerkOptions::debug_headers`]): header names
/// and values, all ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthDebug {
    status: &'static str,
    reason: Option<&'static str>,
}

impl AuthDebug {
    /// The header that says `signed-in` or `signed-out`.
    pub const STATUS_HEADER: &'static str = "x-clerk-auth-status";
    /// The header that says why a request is signed out.
    pub const REASON_HEADER: &'static str = "x-clerk-auth-reason";

    /// The headers for a request authenticated as `state` (a machine token counts as signed
    /// in, as in Clerk's SDKs).
    pub fn of(state: &RequestState) -> Self {
        match state {
            RequestState::SignedOut(why) => Self {
                status: "signed-out",
                reason: Some(why.reason()),
            },
            _ => Self {
                status: "signed-in",
                reason: None,
            },
        }
    }

    /// The `(name, value)` pairs to set.
    pub fn headers(self) -> impl Iterator<Item = (&'static str, &'static str)> {
        std::iter::once((Self::STATUS_HEADER, self.status))
            .chain(self.reason.map(|reason| (Self::REASON_HEADER, reason)))
    }
}

/// What the middleware does once the handler answered (adapter plumbing; see
/// [`ClerkOptions::pending`]): the middleware puts the [`webhook_slot`](Self::webhook_slot) in the
/// request's extensions before the handler runs, then calls [`answered`](Self::answered) with
/// the response's status and sets the headers it returns.
#[doc(hidden)]
pub struct Pending<R> {
    options: Arc<ClerkOptions<R>>,
    slot: Option<WebhookSlot>,
    debug: Option<AuthDebug>,
}

impl<R> Pending<R> {
    /// The replay-protection slot the webhook extractor fills, when replays are protected.
    pub fn webhook_slot(&self) -> Option<&WebhookSlot> {
        self.slot.as_ref()
    }

    /// The response's `status` is known: a delivery answered 2xx is remembered (replay
    /// protection); returns the debug headers to set, if they are on.
    pub fn answered(self, status: u16) -> impl Iterator<Item = (&'static str, &'static str)> {
        if let (Some(webhook), Some(slot), true) = (
            &self.options.webhook,
            &self.slot,
            (200..300).contains(&status),
        ) && let Some(id) = slot.take()
        {
            webhook.accepted(&id);
        }
        self.debug.into_iter().flat_map(AuthDebug::headers)
    }
}

/// Where the webhook extractor leaves the id of the delivery it verified, for the middleware to
/// remember once the handler accepted it (replay protection). Adapter plumbing.
#[doc(hidden)]
#[derive(Clone, Default)]
pub struct WebhookSlot(Arc<std::sync::Mutex<Option<String>>>);

impl WebhookSlot {
    fn put(&self, id: &str) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(id.to_owned());
        }
    }

    fn take(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// What the middleware leaves in a request's extensions beside its [`RequestState`]: its
/// options, for the extractors and guards. Adapter plumbing.
#[doc(hidden)]
pub struct Installed<R>(pub Arc<ClerkOptions<R>>);

impl<R> Clone for Installed<R> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

/// A rejection on its way to a response, with the options whose hook answers it (none when the
/// middleware is missing). Adapter plumbing: the adapters' rejection types wrap it.
#[doc(hidden)]
pub struct Decided<R> {
    rejection: Rejection,
    options: Option<Arc<ClerkOptions<R>>>,
}

impl<R> Decided<R> {
    /// The rejection.
    pub fn rejection(&self) -> &Rejection {
        &self.rejection
    }

    /// The response: the hook's, or `default`'s.
    pub fn respond(&self, default: fn(&Rejection) -> R) -> R {
        match &self.options {
            Some(options) => options.respond(&self.rejection, default),
            None => default(&self.rejection),
        }
    }
}

impl<R> Clone for Decided<R> {
    fn clone(&self) -> Self {
        Self {
            rejection: self.rejection.clone(),
            options: self.options.clone(),
        }
    }
}

impl<R> fmt::Debug for Decided<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decided")
            .field("rejection", &self.rejection)
            .field(
                "hook",
                &self
                    .options
                    .as_ref()
                    .is_some_and(|o| o.on_rejection.is_some()),
            )
            .finish()
    }
}

/// What the middleware stored in a request, as an extractor or guard finds it. Adapter
/// plumbing: every decision of an extractor or guard is a method here.
#[doc(hidden)]
pub struct Seen<'a, R> {
    state: &'a RequestState,
    options: &'a Arc<ClerkOptions<R>>,
}

impl<'a, R> Seen<'a, R> {
    /// What the middleware stored, or the 500 `missing_clerk_layer` rejection; `missing` names
    /// the middleware and how to add it.
    pub fn find(
        state: Option<&'a RequestState>,
        installed: Option<&'a Installed<R>>,
        missing: &str,
    ) -> Result<Self, Decided<R>> {
        match (state, installed) {
            (Some(state), Some(Installed(options))) => Ok(Self { state, options }),
            _ => Err(Decided {
                rejection: Rejection::missing_layer(missing),
                options: None,
            }),
        }
    }

    fn decided(&self, rejection: Rejection) -> Decided<R> {
        Decided {
            rejection,
            options: Some(Arc::clone(self.options)),
        }
    }

    /// A guard: whether the request meets `requirement` (see [`guard::check`]).
    pub fn require(&self, requirement: &Requirement) -> Result<(), Decided<R>> {
        guard::check(self.state, requirement).map_err(|rejection| self.decided(rejection))
    }

    /// An extractor that needs a session (a machine's token is 401 `token-type-mismatch`).
    pub fn signed_in(&self) -> Result<&'a Auth, Decided<R>> {
        self.require(&Requirement::signed_in())?;
        self.state
            .auth()
            .ok_or_else(|| self.decided(Rejection::forbidden()))
    }

    /// An extractor that needs a machine token (a session is 401 `token-type-mismatch`).
    pub fn machine(&self) -> Result<&'a MachineAuth, Decided<R>> {
        self.require(&Requirement::machine())?;
        self.state
            .machine()
            .ok_or_else(|| self.decided(Rejection::forbidden()))
    }

    /// An extractor of a request that may come without a machine token: `None` when signed
    /// out or a session (503 still rejects, as [`maybe_signed_in`](Self::maybe_signed_in)).
    pub fn maybe_machine(&self) -> Result<Option<&'a MachineAuth>, Decided<R>> {
        self.maybe_caller()
            .map(|caller| caller.and_then(|_| self.state.machine()))
    }

    /// An extractor of any authenticated caller, session or machine.
    pub fn caller(&self) -> Result<Caller, Decided<R>> {
        guard::caller(self.state).map_err(|rejection| self.decided(rejection))
    }

    /// An extractor of a caller that may be signed out (503 still rejects).
    pub fn maybe_caller(&self) -> Result<Option<Caller>, Decided<R>> {
        match guard::caller(self.state) {
            Ok(caller) => Ok(Some(caller)),
            Err(rejection) if rejection.kind().is_unavailable() => Err(self.decided(rejection)),
            Err(_) => Ok(None),
        }
    }

    /// An extractor of a request that may be signed out (see [`guard::optional`]).
    pub fn maybe_signed_in(&self) -> Result<Option<&'a Auth>, Decided<R>> {
        guard::optional(self.state).map_err(|rejection| self.decided(rejection))
    }

    /// The client.
    pub fn clerk(&self) -> &'a Clerk {
        &self.options.clerk
    }

    /// The user extractor of a route that needs a session: the lookup to make, which owns
    /// all it needs, or the session's rejection.
    pub fn user(&self) -> Result<UserLoad<R>, Decided<R>> {
        let auth = self.signed_in()?;
        Ok(self.load(auth))
    }

    /// The user extractor of a route that may be signed out: `None` when signed out.
    pub fn maybe_user(&self) -> Result<Option<UserLoad<R>>, Decided<R>> {
        Ok(self.maybe_signed_in()?.map(|auth| self.load(auth)))
    }

    /// The webhook extractor: the verifier to check the body with, once read (500 when none is
    /// configured). It owns what it needs.
    pub fn webhook(&self) -> Result<WebhookCheck<R>, Decided<R>> {
        if self.options.webhook.is_none() {
            return Err(self.decided(Rejection::webhook_not_configured()));
        }
        Ok(WebhookCheck {
            options: Arc::clone(self.options),
        })
    }

    fn load(&self, auth: &Auth) -> UserLoad<R> {
        UserLoad {
            options: Arc::clone(self.options),
            user_id: auth.user_id().to_owned(),
        }
    }
}

/// The check of a webhook delivery, owning what it needs (see [`Seen::webhook`]). Adapter
/// plumbing.
#[doc(hidden)]
pub struct WebhookCheck<R> {
    options: Arc<ClerkOptions<R>>,
}

impl<R> WebhookCheck<R> {
    fn webhook(&self) -> Option<&Webhook> {
        self.options.webhook.as_ref()
    }

    /// The most body bytes to read.
    pub fn body_limit(&self) -> usize {
        self.webhook().map_or(0, Webhook::body_limit)
    }

    /// The delivery, or the 400 to answer. `body` is `None` when it could not be read within
    /// [`body_limit`](Self::body_limit) bytes. A verified `user.*` event (`user.created`,
    /// `user.updated`, `user.deleted`) also drops that user from the `ClerkUser` cache, so that
    /// the next request of the user sees the change.
    ///
    /// With replay protection, a delivery a handler already accepted is the 200
    /// `webhook_replayed` "rejection" (the handler is not called), and the id of any other goes
    /// into `slot` for the middleware.
    pub async fn verify(
        self,
        headers: &HeaderMap,
        body: Option<&[u8]>,
        slot: Option<&WebhookSlot>,
    ) -> Result<Delivery, Decided<R>> {
        let Some(webhook) = self.webhook() else {
            return Err(self.reject(Rejection::webhook_not_configured()));
        };
        let received = match body {
            Some(body) => webhook.receive(headers, body),
            None => Err(crate::webhooks::WebhookError::BodyTooLarge {
                max: webhook.body_limit(),
            }),
        };
        let delivery = received.map_err(|error| self.reject(Rejection::invalid_webhook(&error)))?;
        if webhook.was_accepted(&delivery.id) {
            return Err(self.reject(Rejection::webhook_replayed()));
        }
        if let Some(slot) = slot {
            slot.put(&delivery.id);
        }
        if delivery.event.event_type().starts_with("user.")
            && let Some(user_id) = delivery.event.data.user_id()
        {
            self.options.user_cache().invalidate(user_id).await;
        }
        Ok(delivery)
    }

    fn reject(&self, rejection: Rejection) -> Decided<R> {
        Decided {
            rejection,
            options: Some(Arc::clone(&self.options)),
        }
    }
}

/// The lookup of a signed-in request's user, owning what it needs (see [`Seen::user`]).
/// Adapter plumbing.
#[doc(hidden)]
pub struct UserLoad<R> {
    options: Arc<ClerkOptions<R>>,
    user_id: String,
}

impl<R> UserLoad<R> {
    /// The user; a user the Backend API no longer knows is 401 `user-not-found` (see
    /// [`UserLookup::required`]).
    pub async fn required(self) -> Result<Arc<User>, Decided<R>> {
        let Self { options, user_id } = self;
        let loaded = options.users.required(&options.clerk, &user_id).await;
        loaded.map_err(|rejection| Decided {
            rejection,
            options: Some(options),
        })
    }

    /// The user, or `None` when the Backend API no longer knows it (see
    /// [`UserLookup::optional`]).
    pub async fn optional(self) -> Result<Option<Arc<User>>, Decided<R>> {
        let Self { options, user_id } = self;
        let loaded = options.users.optional(&options.clerk, &user_id).await;
        loaded.map_err(|rejection| Decided {
            rejection,
            options: Some(options),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authenticate::SignedOut;
    use crate::error::{JwksError, VerifyError};
    use crate::guard::RejectionKind;

    fn options(hooked: bool) -> Arc<ClerkOptions<String>> {
        let clerk = Clerk::builder()
            .secret_key("sk_test_x")
            .build()
            .expect("valid");
        let options = ClerkOptions::new(clerk);
        Arc::new(if hooked {
            options.on_rejection(|rejection| format!("hooked {}", rejection.code()))
        } else {
            options
        })
    }

    fn default(rejection: &Rejection) -> String {
        format!("default {}", rejection.code())
    }

    #[test]
    fn a_missing_middleware_is_500_and_never_reaches_the_hook() {
        let installed = Installed(options(true));
        let state = RequestState::SignedOut(SignedOut::NoToken);
        for (state, installed) in [(None, Some(&installed)), (Some(&state), None), (None, None)] {
            let decided = Seen::find(state, installed, "TheLayer")
                .err()
                .expect("rejected");
            assert_eq!(decided.rejection().kind(), RejectionKind::MissingLayer);
            assert_eq!(decided.rejection().status(), 500);
            assert!(decided.rejection().message().contains("TheLayer"));
            assert_eq!(decided.respond(default), "default missing_clerk_layer");
        }
    }

    #[test]
    fn signed_out_is_401_when_required_and_none_when_optional_but_an_outage_is_503() {
        let installed = Installed(options(true));
        let expired = RequestState::SignedOut(SignedOut::Token(VerifyError::Expired));
        let seen = Seen::find(Some(&expired), Some(&installed), "x").expect("installed");
        let required = seen.signed_in().expect_err("rejected");
        assert_eq!(required.rejection().kind(), RejectionKind::SignedOut);
        assert_eq!(required.respond(default), "hooked token-expired");
        assert!(seen.maybe_signed_in().expect("allowed").is_none());
        assert!(seen.maybe_user().expect("allowed").is_none());
        assert!(seen.user().is_err());

        let outage = RequestState::SignedOut(SignedOut::Token(VerifyError::KeysUnavailable(
            JwksError::Unreachable("refused".into()),
        )));
        let seen = Seen::find(Some(&outage), Some(&installed), "x").expect("installed");
        for decided in [
            seen.signed_in().expect_err("rejected"),
            seen.maybe_signed_in().expect_err("rejected"),
            seen.maybe_user().err().expect("rejected"),
        ] {
            assert_eq!(decided.rejection().kind(), RejectionKind::KeysUnavailable);
            assert_eq!(decided.respond(default), "hooked keys_unavailable");
        }
    }

    #[test]
    fn without_a_hook_the_default_answers() {
        let installed = Installed(options(false));
        let none = RequestState::SignedOut(SignedOut::NoToken);
        let seen = Seen::find(Some(&none), Some(&installed), "x").expect("installed");
        let decided = seen.require(&Requirement::role("org:admin")).err();
        assert_eq!(
            decided.expect("rejected").respond(default),
            "default session-token-and-uat-missing"
        );
    }

    #[test]
    fn every_rejection_has_its_kind() {
        use crate::guard::LookupFailure;
        let kinds = [
            (Rejection::forbidden(), RejectionKind::Forbidden),
            (
                Rejection::keys_unavailable(),
                RejectionKind::KeysUnavailable,
            ),
            (Rejection::missing_layer("x"), RejectionKind::MissingLayer),
            (
                Rejection::signed_out(&SignedOut::NoToken),
                RejectionKind::SignedOut,
            ),
            (
                Rejection::lookup_failed(LookupFailure::NotFound),
                RejectionKind::UserNotFound,
            ),
            (
                Rejection::lookup_failed(LookupFailure::Unavailable),
                RejectionKind::UserLookupUnavailable,
            ),
            (
                Rejection::lookup_failed(LookupFailure::Failed),
                RejectionKind::UserLookupFailed,
            ),
        ];
        for (rejection, kind) in kinds {
            assert_eq!(rejection.kind(), kind, "{rejection}");
            assert_eq!(
                kind.is_user_lookup(),
                rejection.code().starts_with("user"),
                "{rejection}"
            );
        }
    }
}
