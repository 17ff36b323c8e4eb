//! [`ClerkOptions`]: every setting of the request pipeline that the web adapters share.
//!
//! `clerk-axum`'s `ClerkLayer` and `clerk-actix`'s `ClerkMiddleware` are built from these options
//! (or from a [`Clerk`], which converts with the defaults), through the
//! [`Pipeline`](crate::adapter::Pipeline). What each framework adds on top (how a refusal
//! becomes that framework's response, an `on_rejection` hook) lives on the framework's layer.
//!
//! ```
//! use std::time::Duration;
//! use clerk_core::options::ClerkOptions;
//!
//! # fn demo(clerk: clerk_core::Clerk) {
//! let options = ClerkOptions::new(clerk)
//!     .authorized_parties(["https://app.example.com"])
//!     .accept_cookie(true)
//!     .user_cache_ttl(Duration::from_secs(60));
//! assert_eq!(options.user_cache().ttl(), Duration::from_secs(60));
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;

use crate::authenticate::AuthenticateOptions;
use crate::browser::BrowserSessions;
use crate::client::Clerk;
use crate::machine::Accepts;
use crate::models::User;
use crate::token_fallback::TokenFallback;
use crate::user_cache::{UserCache, UserLookup};

/// Every setting of the request pipeline, with its meaning: which tokens are accepted, the
/// `ClerkUser` extractor's cache and lookup timeout, the debug headers.
///
/// Build it from a [`Clerk`] (or pass the `Clerk` itself where options are expected: it
/// converts with the defaults) and hand it to the adapter's layer. Cheap to clone: clones share
/// the user cache.
#[derive(Clone, Debug)]
pub struct ClerkOptions {
    clerk: Clerk,
    authenticate: AuthenticateOptions,
    users: UserLookup,
    debug_headers: bool,
    browser: BrowserSessions,
    token_fallback: Option<TokenFallback>,
}

impl ClerkOptions {
    /// The defaults for `clerk`: its authorized parties and pending-session policy (from its
    /// builder), the `__session` cookie accepted, session tokens only, users cached for
    /// [`DEFAULT_TTL`](crate::user_cache::DEFAULT_TTL) and looked up within
    /// [`DEFAULT_LOOKUP_TIMEOUT`](crate::user_cache::DEFAULT_LOOKUP_TIMEOUT), no debug headers.
    pub fn new(clerk: Clerk) -> Self {
        Self {
            authenticate: AuthenticateOptions::new(&clerk),
            clerk,
            users: UserLookup::default(),
            debug_headers: false,
            browser: BrowserSessions::default(),
            token_fallback: None,
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

    /// The audiences a session token's `aud` must name on the routes of this layer (default:
    /// the client's, from [`ClerkBuilder::audience`](crate::ClerkBuilder::audience)); replaces
    /// the client's list, and an empty list checks nothing. A token without `aud` is refused
    /// while an audience is configured (stricter than Clerk on purpose); the signed-out reason
    /// is Clerk's `token-verification-failed`. A token verified earlier without an audience
    /// (by another layer, say) is checked again here: the verified-token cache never skips it.
    pub fn audience<I, S>(mut self, audience: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.authenticate.verify = self.authenticate.verify.audience(audience);
        self
    }

    /// Another place to find the session token of a request with no `Authorization` header and
    /// no session cookie (default: none): a query parameter
    /// ([`TokenFallback::query`]) or the `Sec-WebSocket-Protocol` header
    /// ([`TokenFallback::websocket_protocol`], preferred), for WebSocket and SSE connections a
    /// browser cannot add headers to. Session tokens only, verified as bearer tokens are. See
    /// [`crate::token_fallback`] for what the application must answer and the risks of tokens
    /// in URLs.
    pub fn token_fallback(mut self, fallback: TokenFallback) -> Self {
        self.token_fallback = Some(fallback);
        self
    }

    /// The token fallback, if any (see [`token_fallback`](Self::token_fallback)).
    pub fn token_fallback_setting(&self) -> Option<&TokenFallback> {
        self.token_fallback.as_ref()
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
    /// ([`Requirement::tokens`](crate::guard::Requirement::tokens),
    /// [`Requirement::machine`](crate::guard::Requirement::machine),
    /// [`Requirement::scope`](crate::guard::Requirement::scope)); session extractors and guards
    /// still take session tokens only.
    pub fn accepts(mut self, accepts: Accepts) -> Self {
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

    /// Adds Clerk's debug headers to every response (default: off): `x-clerk-auth-status`
    /// (`signed-in` or `signed-out`) and, when signed out, `x-clerk-auth-reason` (the
    /// [`reason`](crate::SignedOut::reason), e.g. `token-expired`), so a developer sees in the
    /// browser's network panel or with `curl -i` why a request was signed out. A development
    /// aid: it tells any client how its token failed, so leave it off in production.
    pub fn debug_headers(mut self, on: bool) -> Self {
        self.debug_headers = on;
        self
    }

    /// Whether browser sessions are kept alive as Clerk's full-stack SDKs keep them (default:
    /// yes): an expired session token is refreshed server-side, and a page request whose
    /// cookies need renewing is redirected through Clerk's handshake (see [`crate::browser`]).
    /// Only page requests (a GET for a document) are ever redirected; API calls are signed out
    /// with Clerk's reason, as before. Turn it off for services that never serve pages (then
    /// the layer behaves as Clerk's backend SDKs: nothing is refreshed or redirected).
    pub fn handshake(mut self, on: bool) -> Self {
        self.browser.handshake = on;
        self
    }

    /// Whether the request's public URL (where a handshake returns to, and the origin sent with
    /// a refresh) is rebuilt from `X-Forwarded-Proto` and `X-Forwarded-Host` (default: yes, as
    /// Clerk's SDKs do, for apps behind a reverse proxy or load balancer). Turn it off when
    /// clients reach the app directly: the URL then comes from the `Host` header alone.
    pub fn trust_forwarded_headers(mut self, trust: bool) -> Self {
        self.browser.trust_forwarded = trust;
        self
    }

    /// Whether a page request (a GET for a document) that a guard or extractor refuses is
    /// answered as Clerk's full-stack SDKs answer it (default: yes): signed out, a redirect to
    /// sign in and back; signed in without the permission, a redirect to the
    /// [`unauthorized_url`](Self::unauthorized_url) or a 403 page. API calls keep their JSON
    /// refusals either way; an `on_rejection` hook answers instead when there is one.
    pub fn page_redirects(mut self, on: bool) -> Self {
        self.browser.page_redirects = on;
        self
    }

    /// Where a signed-in page request refused by a guard (403) is sent (default: none, a 403
    /// page is answered).
    pub fn unauthorized_url(mut self, url: impl Into<String>) -> Self {
        self.browser.unauthorized_url = Some(url.into());
        self
    }

    /// Whether a satellite app syncs a visitor with no Clerk cookies on the first page (default:
    /// no, as Clerk's SDKs since Core 3: the visitor is signed out until they sign in, which
    /// comes back with `__clerk_synced=false`).
    pub fn satellite_auto_sync(mut self, on: bool) -> Self {
        self.browser.satellite_auto_sync = on;
        self
    }

    /// Origins a development primary app may send a satellite back to, with the dev browser
    /// token (`__clerk_redirect_url`), e.g. `["http://127.0.0.1:4000"]` (default: none).
    /// Clerk's SDK sends the token to any URL it is given; here only to these.
    pub fn allowed_redirect_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.browser.allowed_redirect_origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// Organization sync (Clerk's `organizationSyncOptions`): a page whose URL names an
    /// organization that is not the session's active one activates it through a handshake
    /// (see [`OrganizationSync`](crate::browser::OrganizationSync)).
    pub fn organization_sync(mut self, sync: crate::browser::OrganizationSync) -> Self {
        self.browser.organization_sync = Some(Arc::new(sync));
        self
    }

    /// Whether the handshake and server-side refresh are on (see [`handshake`](Self::handshake)).
    pub fn runs_handshake(&self) -> bool {
        self.browser.handshake
    }

    /// The browser-session settings, and the refreshes shared by concurrent requests.
    pub(crate) fn browser_sessions(&self) -> &BrowserSessions {
        &self.browser
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

    /// Whether the debug headers are on (see [`debug_headers`](Self::debug_headers)).
    pub fn sends_debug_headers(&self) -> bool {
        self.debug_headers
    }

    /// The users loaded by the `ClerkUser` extractor, shared by every clone of these options
    /// and of the layer made from them. Invalidate a user after changing it (or on a
    /// `user.updated` webhook) so that the next request sees the change:
    ///
    /// ```no_run
    /// # async fn demo(options: clerk_core::options::ClerkOptions) {
    /// options.user_cache().invalidate("user_123").await;
    /// # }
    /// ```
    pub fn user_cache(&self) -> &UserCache<Arc<User>> {
        self.users.cache()
    }
}

impl From<Clerk> for ClerkOptions {
    fn from(clerk: Clerk) -> Self {
        Self::new(clerk)
    }
}
