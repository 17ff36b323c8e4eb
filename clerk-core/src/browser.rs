//! Browser sessions: Clerk's handshake and server-side refresh, for server-rendered pages.
//!
//! A browser holds a Clerk session in cookies on the app's domain: `__session` (a session
//! token that lives 60 seconds), `__client_uat` (when the client's sessions last changed) and,
//! once a handshake planted it, `__refresh_<suffix>` (a refresh token). Clerk's frontend
//! (`clerk-js`) renews `__session` while a tab is open; a page opened after a pause arrives with
//! an expired token, or none. Clerk's full-stack SDKs (Next.js, Remix, Astro, Express) then
//! renew it on the server, and so does this crate's request
//! [`Pipeline`](crate::adapter::Pipeline), for every adapter:
//!
//! 1. **Server-side refresh.** A GET whose session token has expired, with a refresh cookie:
//!    the token and the refresh token go to the Backend API (`POST /v1/sessions/{sid}/refresh`),
//!    whose new cookies are sent back as `Set-Cookie` while the request goes on, signed in with
//!    the new token. No redirect. Concurrent requests of one session share one call; a failure
//!    is never remembered, and falls back to the handshake.
//! 2. **The handshake.** A page request (GET, `Sec-Fetch-Dest: document` or `iframe`, or no
//!    `Sec-Fetch-Dest` and `Accept: text/html…`) whose cookies need renewing is answered
//!    `307` to the Frontend API's `/v1/client/handshake`, which knows the browser by its own
//!    cookie and sends it back to the page with a one-time nonce. The nonce's cookies come from
//!    the Backend API (`GET /v1/clients/handshake_payload`), go out as `Set-Cookie`, and the
//!    request goes on signed in (a development instance redirects once more, to the URL without
//!    the handshake's parameters).
//!
//! Anything else (a POST, a `fetch()`, an API client) is never redirected: it is signed out
//! with Clerk's reason, as before, and the guard answers 401.
//!
//! # When
//!
//! In Clerk's order (`authenticateRequest` in Clerk's `@clerk/backend`), for a request without a
//! bearer token:
//!
//! | case | reason (`x-clerk-auth-reason`) | a page | anything else |
//! |---|---|---|---|
//! | a handshake nonce or token came back | — | resolved: its cookies, signed in or out | the same |
//! | development, `__clerk_db_jwt` in the URL | `dev-browser-sync` | handshake | signed out |
//! | development, no dev browser cookie | `dev-browser-missing` | handshake | signed out |
//! | a session cookie without `__client_uat` | `session-token-but-no-client-uat` | handshake | signed out |
//! | `__client_uat` without a session cookie | `client-uat-but-no-session-token` | handshake | signed out |
//! | a session token older than `__client_uat` | `session-token-iat-before-client-uat` | handshake | signed out |
//! | an expired token, a refresh cookie, a GET | — | refreshed, signed in | the same |
//! | an expired token otherwise, or its refresh failed | `session-token-expired-refresh-<why>` | handshake | signed out |
//! | a token not valid yet, or issued in the future | `session-token-nbf`, `session-token-iat-in-the-future` | handshake | signed out |
//!
//! `<why>` is Clerk's: `non-eligible-no-refresh-cookie`, `non-eligible-non-get`, the Backend
//! API's error code (e.g. `refresh_token_invalid`), `fetch-error`, `unexpected-bapi-error`,
//! `invalid-session-token`, `missing-api-client` (no secret key), … An expired, not-yet-valid
//! or future token in the `Authorization` header is handled the same way, as Clerk does.
//!
//! **Loop guard.** Each handshake redirect sets `__clerk_redirect_count=<n+1>` (`Max-Age=2`);
//! at 3 the request is signed out instead of redirected again, with a `warn` event: keys that do
//! not match the Frontend API's instance end in a signed-out page, not a redirect loop.
//!
//! **Outages.** The Backend API or the keys unreachable while a handshake resolves is a 503
//! (`token_verification_unavailable` or `keys_unavailable`), never another redirect. A refresh
//! that fails for any reason falls back to the handshake.
//!
//! # The request's URL
//!
//! The handshake returns to the request's own URL (`redirect_url`). Behind a reverse proxy the
//! server sees its own address, so the URL is rebuilt as Clerk's SDKs rebuild it: the scheme
//! from the first `X-Forwarded-Proto` (`http` or `https`; else `http`), the host from the first
//! `X-Forwarded-Host`, else `Host`. A value that is not a plain host (and port) is ignored. If
//! clients reach the app directly, a client could name another host in `X-Forwarded-Host` (it
//! only redirects itself, and Clerk's Frontend API accepts only the instance's origins in
//! production): turn the forwarded headers off with
//! [`ClerkOptions::trust_forwarded_headers(false)`](crate::options::ClerkOptions::trust_forwarded_headers).
//!
//! # Where the Frontend API is
//!
//! The publishable key names it: `https://<host>`, or `http://<host>` for a loopback name
//! (`localhost`, `*.localhost`, `127.0.0.1`), such as `clerk-testing`'s LocalClerk (see
//! [`PublishableKey::frontend_api_url`](crate::PublishableKey::frontend_api_url)). Without a
//! publishable key there is no handshake: requests are signed out with the reason instead.
//!
//! # Turning it off
//!
//! [`ClerkOptions::handshake(false)`](crate::options::ClerkOptions::handshake) is the behaviour
//! of a backend SDK (Clerk's Go and Python SDKs): nothing is refreshed or redirected, and the
//! dev-browser rules do not apply. For services that never serve pages.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use http::header::{ACCEPT, AUTHORIZATION, CACHE_CONTROL, HOST, LOCATION, SET_COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use url::Url;

use crate::adapter::{Answer, RequestHead};
use crate::authenticate::{Auth, CookieNames, Peek, RequestState, SignedOut, TokenSource};
use crate::error::VerifyError;
use crate::machine::TokenKind;
use crate::options::ClerkOptions;
use crate::rejection::{Rejection, RejectionKind};
use crate::verify::{IGNORE_CATEGORY, SESSION_TOKEN_CATEGORY};

/// `__clerk_handshake_nonce`: the query parameter (development) or cookie (production) the
/// Frontend API sends the browser back with.
const HANDSHAKE_NONCE: &str = "__clerk_handshake_nonce";
/// `__clerk_handshake`: the older form, a JWT holding the cookies.
const HANDSHAKE_TOKEN: &str = "__clerk_handshake";
/// `__clerk_db_jwt`: the dev browser token of development instances.
const DEV_BROWSER: &str = "__clerk_db_jwt";
/// The loop guard's cookie.
const REDIRECT_COUNT: &str = "__clerk_redirect_count";
/// `__clerk_synced`: a satellite's sync state in its URL.
const SYNCED: &str = "__clerk_synced";
/// `__clerk_redirect_url`: where a development primary sends a satellite back.
const SATELLITE_RETURN: &str = "__clerk_redirect_url";
/// Query parameters removed from the URL after a development handshake.
const HANDSHAKE_PARAMS: [&str; 4] = [
    HANDSHAKE_TOKEN,
    "__clerk_help",
    DEV_BROWSER,
    HANDSHAKE_NONCE,
];
/// Query parameters removed from the URL the handshake returns to.
const DEV_BROWSER_PARAMS: [&str; 2] = [DEV_BROWSER, "__dev_session"];
/// How long concurrent requests of one session share a refresh's answer.
const REFRESH_SHARED_FOR: Duration = Duration::from_secs(5);

/// The browser-session settings of [`ClerkOptions`], and the refreshes in flight.
#[derive(Clone, Debug)]
pub(crate) struct BrowserSessions {
    pub(crate) handshake: bool,
    pub(crate) trust_forwarded: bool,
    pub(crate) page_redirects: bool,
    pub(crate) satellite_auto_sync: bool,
    pub(crate) unauthorized_url: Option<String>,
    pub(crate) allowed_redirect_origins: Vec<String>,
    pub(crate) organization_sync: Option<Arc<OrganizationSync>>,
    refreshes: moka::future::Cache<String, Arc<Refreshed>>,
}

impl Default for BrowserSessions {
    fn default() -> Self {
        Self {
            handshake: true,
            trust_forwarded: true,
            page_redirects: true,
            satellite_auto_sync: false,
            unauthorized_url: None,
            allowed_redirect_origins: Vec::new(),
            organization_sync: None,
            refreshes: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(REFRESH_SHARED_FOR)
                .build(),
        }
    }
}

impl BrowserSessions {
    /// Whether a development primary may send a satellite back to `origin` (with its dev
    /// browser token).
    fn allows_redirect_to(&self, origin: &str) -> bool {
        self.allowed_redirect_origins
            .iter()
            .any(|allowed| allowed.trim_end_matches('/') == origin)
    }
}

/// Organization sync (Clerk's `organizationSyncOptions`): URL patterns that name an
/// organization (by `{id}` or `{slug}`) or the personal account. When a signed-in page's URL
/// names an organization that is not the session's active one, the layer runs a handshake
/// that activates it (`organization_id`); a pattern that matches nothing changes nothing.
///
/// Patterns are [matchit](https://docs.rs/matchit) routes (axum's syntax): `/orgs/{slug}`,
/// `/orgs/{slug}/{*rest}`. Clerk's syntax (`/orgs/:slug`, `/orgs/:slug/(.*)`) is accepted too
/// and read as the same routes.
///
/// ```
/// use clerk_core::browser::OrganizationSync;
///
/// let sync = OrganizationSync::new(
///     ["/orgs/{slug}", "/orgs/{slug}/{*rest}"],
///     ["/me", "/me/{*rest}"],
/// )
/// .expect("valid patterns");
/// # let _ = sync;
/// ```
#[derive(Debug)]
pub struct OrganizationSync {
    organizations: matchit::Router<()>,
    personal_account: matchit::Router<()>,
}

/// What a URL names, by [`OrganizationSync`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OrganizationTarget {
    Id(String),
    Slug(String),
    PersonalAccount,
}

impl OrganizationSync {
    /// Organization patterns (each with an `{id}` or a `{slug}` parameter) and personal-account
    /// patterns; an error names a pattern that is not a route, or two that conflict.
    pub fn new<O, P>(organizations: O, personal_account: P) -> Result<Self, crate::ConfigError>
    where
        O: IntoIterator,
        O::Item: AsRef<str>,
        P: IntoIterator,
        P::Item: AsRef<str>,
    {
        let router = |patterns: Vec<String>| {
            let mut router = matchit::Router::new();
            for pattern in patterns {
                let route = clerk_route(&pattern);
                router.insert(route, ()).map_err(|_| crate::ConfigError::Invalid {
                    setting: "organization sync pattern",
                    reason: "a pattern is not a route (e.g. /orgs/{slug}) or conflicts with another",
                })?;
            }
            Ok::<_, crate::ConfigError>(router)
        };
        let organizations: Vec<String> = organizations
            .into_iter()
            .map(|p| p.as_ref().to_owned())
            .collect();
        if organizations
            .iter()
            .map(|p| clerk_route(p))
            .any(|route| !route.contains("{id}") && !route.contains("{slug}"))
        {
            return Err(crate::ConfigError::Invalid {
                setting: "organization sync pattern",
                reason: "an organization pattern needs an {id} or a {slug} parameter",
            });
        }
        Ok(Self {
            organizations: router(organizations)?,
            personal_account: router(
                personal_account
                    .into_iter()
                    .map(|p| p.as_ref().to_owned())
                    .collect(),
            )?,
        })
    }

    /// What `path` names: an organization first, then the personal account.
    pub(crate) fn target(&self, path: &str) -> Option<OrganizationTarget> {
        if let Ok(found) = self.organizations.at(path) {
            if let Some(id) = found.params.get("id").filter(|id| !id.is_empty()) {
                return Some(OrganizationTarget::Id(id.to_owned()));
            }
            if let Some(slug) = found.params.get("slug").filter(|slug| !slug.is_empty()) {
                return Some(OrganizationTarget::Slug(slug.to_owned()));
            }
            return None;
        }
        self.personal_account
            .at(path)
            .ok()
            .map(|_| OrganizationTarget::PersonalAccount)
    }
}

/// A pattern in Clerk's syntax as a matchit route: `:name` segments become `{name}`, a
/// trailing `(.*)` becomes `{*rest}`; matchit's own syntax passes unchanged.
fn clerk_route(pattern: &str) -> String {
    let pattern = pattern.trim();
    let (pattern, rest) = match pattern.strip_suffix("(.*)") {
        Some(head) => (head, "{*rest}"),
        None => (pattern, ""),
    };
    let segments: Vec<String> = pattern
        .split('/')
        .map(|segment| match segment.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => segment.to_owned(),
        })
        .collect();
    format!("{}{rest}", segments.join("/"))
}

/// What a refresh brought: the cookies to set and the new session, verified.
#[derive(Debug)]
struct Refreshed {
    cookies: Vec<HeaderValue>,
    token: String,
}

/// What the pipeline does with a request, browser sessions considered.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Go on to the handler in `state`, adding `headers` (`Set-Cookie`) to its response.
    /// `reason` is Clerk's reason when it is not the state's own.
    Proceed {
        state: RequestState,
        headers: HeaderMap,
        reason: Option<Cow<'static, str>>,
    },
    /// Answer `307` with these headers (`Location`, `Cache-Control`, `Set-Cookie`): to the
    /// handshake (`status` `handshake`), or, in development, to the URL a handshake came back
    /// to without its parameters (`signed-in` or `signed-out`).
    Redirect {
        headers: HeaderMap,
        status: &'static str,
        reason: Option<Cow<'static, str>>,
    },
}

impl Verdict {
    fn proceed(state: RequestState) -> Self {
        Self::Proceed {
            state,
            headers: HeaderMap::new(),
            reason: None,
        }
    }
}

/// Authenticates a request, running the refresh and the handshake where Clerk's full-stack
/// SDKs would (see the [module documentation](self)).
pub(crate) async fn authenticate(options: &ClerkOptions, head: RequestHead<'_>) -> Verdict {
    let clerk = options.clerk();
    if let Some(state) = fallback(options, head).await {
        return Verdict::proceed(state);
    }
    let state = clerk
        .authenticate_with(head.headers, options.authenticate_options())
        .await;
    let settings = options.browser_sessions();
    let accepts_sessions = options
        .authenticate_options()
        .accepts
        .accepts(TokenKind::SessionToken);
    // A bearer token that verified, or a machine's: nothing of the browser's applies (and
    // the common API request costs nothing more).
    let by_header = match &state {
        RequestState::Machine(_) => true,
        RequestState::SignedIn(auth) => auth.source() == TokenSource::Header,
        RequestState::SignedOut(_) => false,
    };
    if by_header {
        return Verdict::proceed(state);
    }
    let names = clerk.cookie_names();
    match names {
        Some(names) if settings.handshake && accepts_sessions => {
            Browser::new(options, head, names).decide(state).await
        }
        _ => Verdict::proceed(state),
    }
}

/// The verdict of [`authenticate`] when it is known at once, without waiting: the request's
/// session token was verified before (a bearer token, or a cookie whose page needs none of the
/// refresh, handshake or sync flows). `None` otherwise: then [`authenticate`] decides. Adapters
/// ask it first, so that the common request needs no boxed future.
pub(crate) fn authenticate_cached(
    options: &ClerkOptions,
    head: RequestHead<'_>,
) -> Option<Verdict> {
    let clerk = options.clerk();
    let rules = clerk
        .cookie_names()
        .filter(|_| options.browser_sessions().handshake);
    // Looked up once, for both questions (is there one; the bearer token).
    let authorization = head.headers.get_all(AUTHORIZATION);
    // A handshake that came back is resolved by `authenticate`: known before any lookup, so
    // that nothing is counted twice.
    let browser = match rules {
        Some(names) if authorization.iter().next().is_none() => {
            let browser = Browser::new(options, head, names);
            if browser.returned().is_some() {
                return None;
            }
            Some(browser)
        }
        _ => None,
    };
    let authenticator = clerk.authenticator();
    let authenticate = options.authenticate_options();
    let Some(browser) = browser else {
        // No browser rules, or a bearer token (a cookie beside an `Authorization` header that
        // is not one goes to the browser rules of `authenticate`).
        let auth = authenticator.cached(authorization, head.headers, authenticate)?;
        return (rules.is_none() || auth.source() == TokenSource::Header)
            .then(|| Verdict::proceed(RequestState::SignedIn(auth)));
    };
    // The browser's cookies were read once, for both.
    let auth =
        authenticator.cached_cookie(browser.session_cookie?, browser.client_uat, authenticate)?;
    match browser.decide_now(RequestState::SignedIn(auth), false) {
        Decision::Done(verdict) => Some(verdict),
        Decision::Resolve(..) | Decision::TokenError(_) => None,
    }
}

/// What [`Browser::decide_now`] leaves to wait for.
enum Decision {
    Done(Verdict),
    /// A handshake came back: resolve it, then decide again (without looking for it).
    Resolve(Returned, RequestState),
    /// An expired, not-yet-valid or future token: refresh or handshake.
    TokenError(VerifyError),
}

/// The request's authentication from its [`TokenFallback`](crate::token_fallback::TokenFallback),
/// when one is set, the layer accepts session tokens, the request has no `Authorization` header
/// and no session cookie (read), and the fallback's carrier is there; `None` otherwise.
async fn fallback(options: &ClerkOptions, head: RequestHead<'_>) -> Option<RequestState> {
    use crate::token_fallback::Found;
    let fallback = options.token_fallback_setting()?;
    let authenticate = options.authenticate_options();
    if !authenticate.accepts.accepts(TokenKind::SessionToken)
        || head.headers.contains_key(AUTHORIZATION)
    {
        return None;
    }
    let clerk = options.clerk();
    if authenticate.accept_cookie
        && crate::authenticate::session_cookies(head.headers, clerk.cookie_names())
            .0
            .0
            .is_some()
    {
        return None;
    }
    let (token, source) = match fallback.find(head) {
        Found::Absent => return None,
        Found::Token(token, source) => (Some(token), source),
        Found::Invalid(source) => (None, source),
    };
    let state = clerk
        .authenticator()
        .fallback(token.as_deref(), source, &authenticate.verify)
        .await;
    Some(state)
}

/// One request, as the browser-session rules see it.
struct Browser<'a> {
    options: &'a ClerkOptions,
    head: RequestHead<'a>,
    names: &'a CookieNames,
    /// The request is authenticated by its `Authorization` header, not its cookies.
    header_path: bool,
    /// The bearer token, if any.
    bearer: Option<&'a str>,
    /// The chosen session cookie (as sent: request authentication takes the same bytes), and
    /// whether the suffixed cookies were chosen.
    session_cookie: Option<&'a [u8]>,
    /// The chosen `__client_uat`, as Clerk reads it (0: no active client).
    client_uat: i64,
    suffixed: bool,
    jar: Jar<'a>,
    query: Query,
}

/// The cookies the browser-session rules read.
#[derive(Default)]
struct Jar<'a> {
    dev_browser: Option<&'a str>,
    dev_browser_suffixed: Option<&'a str>,
    handshake_nonce: Option<&'a str>,
    handshake_token: Option<&'a str>,
    redirect_count: Option<&'a str>,
    refresh: Option<&'a str>,
}

/// The query parameters the browser-session rules read (parsed only when the query names one).
#[derive(Default)]
struct Query {
    handshake_nonce: Option<String>,
    handshake_token: Option<String>,
    dev_browser: Option<String>,
    /// `__clerk_synced`: `false` asks a satellite to sync, `true` says it is done.
    synced: Option<String>,
    /// `__clerk_redirect_url`: a development satellite asks its primary to send it back there.
    satellite_return: Option<String>,
}

/// A handshake that came back, and how.
enum Returned {
    Nonce(String),
    /// A handshake token, and whether it came in the URL (else in a cookie).
    Token(String, bool),
}

impl<'a> Browser<'a> {
    fn new(options: &'a ClerkOptions, head: RequestHead<'a>, names: &'a CookieNames) -> Self {
        let text = |value: &'a [u8]| std::str::from_utf8(value).ok().filter(|v| !v.is_empty());
        // The header path, as request authentication takes it: a bearer token (even an
        // empty one), or a repeated `Authorization` header.
        let mut authorization = head.headers.get_all(AUTHORIZATION).iter();
        let header_path = match (authorization.next(), authorization.next()) {
            (Some(_), Some(_)) => true,
            (Some(value), None) => crate::authenticate::bearer(value.as_bytes()).is_some(),
            _ => false,
        };
        let bearer = head
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| crate::authenticate::bearer(value.as_bytes()))
            .and_then(text);
        // One pass over the cookies; the choice between the suffixed and the unsuffixed pair
        // is made again only when a suffixed one is there.
        let mut jar = Jar::default();
        let (mut session, mut uat, mut any_suffixed) = (None, None, false);
        for (name, value) in crate::authenticate::cookies(head.headers) {
            let Some(rest) = name.strip_prefix(b"__") else {
                continue;
            };
            // The session pair as request authentication chooses it: the first non-empty.
            let pair = match rest {
                b"session" => Some(&mut session),
                b"client_uat" => Some(&mut uat),
                _ => None,
            };
            if let Some(pair) = pair {
                if pair.is_none() && !value.is_empty() {
                    *pair = Some(value);
                }
                continue;
            }
            let slot = match rest {
                b"clerk_db_jwt" => &mut jar.dev_browser,
                b"clerk_handshake_nonce" => &mut jar.handshake_nonce,
                b"clerk_handshake" => &mut jar.handshake_token,
                b"clerk_redirect_count" => &mut jar.redirect_count,
                _ => match rest.strip_prefix(b"clerk_db_jwt_") {
                    Some(suffix) if suffix == names.suffix.as_bytes() => {
                        &mut jar.dev_browser_suffixed
                    }
                    _ => match rest.strip_prefix(b"refresh_") {
                        Some(suffix) if suffix == names.suffix.as_bytes() => &mut jar.refresh,
                        _ => {
                            any_suffixed |= [&b"session_"[..], b"client_uat_"]
                                .iter()
                                .any(|p| rest.strip_prefix(*p) == Some(names.suffix.as_bytes()));
                            continue;
                        }
                    },
                },
            };
            if slot.is_none() {
                *slot = text(value);
            }
        }
        let ((session_cookie, uat), suffixed) = if any_suffixed {
            crate::authenticate::session_cookies(head.headers, Some(names))
        } else {
            ((session, uat), false)
        };
        let client_uat = uat.map_or(0, crate::authenticate::client_uat);
        let query = head
            .uri
            .query()
            .filter(|query| query.contains("__clerk_"))
            .map(Query::parse)
            .unwrap_or_default();
        Self {
            options,
            head,
            names,
            header_path,
            bearer,
            session_cookie,
            client_uat,
            suffixed,
            jar,
            query,
        }
    }

    async fn decide(self, state: RequestState) -> Verdict {
        let mut decision = self.decide_now(state, true);
        loop {
            match decision {
                Decision::Done(verdict) => return verdict,
                Decision::TokenError(error) => return self.token_error(error).await,
                Decision::Resolve(returned, state) => {
                    if let Some(verdict) = self.resolve(returned).await {
                        return verdict;
                    }
                    decision = self.decide_now(state, false);
                }
            }
        }
    }

    /// The decision as far as it needs no waiting; `returns`: look for a handshake that came
    /// back (first).
    fn decide_now(&self, state: RequestState, returns: bool) -> Decision {
        if self.header_path {
            return match state {
                RequestState::SignedOut(SignedOut::Token(error)) if error.is_refreshable() => {
                    Decision::TokenError(error)
                }
                state => Decision::Done(Verdict::proceed(state)),
            };
        }
        if returns && let Some(returned) = self.returned() {
            return Decision::Resolve(returned, state);
        }
        if let Some(verdict) = self.multi_domain_sync(&state) {
            return Decision::Done(verdict);
        }
        if self.names.development {
            let dev = if self.query.dev_browser.is_some() {
                Some(SignedOut::DevBrowserSync)
            } else if self.dev_browser().is_none() {
                Some(SignedOut::DevBrowserMissing)
            } else {
                None
            };
            if let Some(why) = dev {
                let reason = why.reason();
                // A request with no session cookies at all keeps its own reason for a guard's
                // answer (as before); the debug header shows Clerk's.
                let state = match state {
                    RequestState::SignedOut(SignedOut::NoToken) => state,
                    _ => RequestState::SignedOut(why),
                };
                return Decision::Done(self.handshake_or_signed_out(state, reason.into()));
            }
        }
        Decision::Done(match state {
            RequestState::SignedOut(
                why @ (SignedOut::SessionWithoutClientUat
                | SignedOut::ClientUatWithoutSession
                | SignedOut::StaleToken),
            ) => {
                let reason = why.reason().into();
                self.handshake_or_signed_out(RequestState::SignedOut(why), reason)
            }
            RequestState::SignedOut(SignedOut::Token(error)) if error.is_refreshable() => {
                return Decision::TokenError(error);
            }
            RequestState::SignedIn(auth) => self.signed_in(auth),
            state => Verdict::proceed(state),
        })
    }

    /// The session cookie as text, if it is.
    fn session_text(&self) -> Option<&'a str> {
        self.session_cookie
            .and_then(|token| std::str::from_utf8(token).ok())
    }

    /// Satellite domains (Clerk's multi-domain sync): a production satellite's page
    /// handshakes until synced; a development satellite's page goes through the primary's
    /// sign-in; a development primary sends a satellite back, synced.
    fn multi_domain_sync(&self, state: &RequestState) -> Option<Verdict> {
        let clerk = self.options.clerk();
        let development = self.names.development;
        let synced = self.query.synced.as_deref();
        if clerk.is_satellite()
            && self.head.method == Method::GET
            && self.fetch_dest() == Some(&b"document"[..])
            && synced != Some("true")
        {
            let needs_sync = synced == Some("false");
            let has_cookies = self.session_cookie.is_some() || self.client_uat != 0;
            let auto_sync = self.options.browser_sessions().satellite_auto_sync;
            if !auto_sync && !has_cookies && !needs_sync {
                return Some(Verdict::Proceed {
                    state: state.clone(),
                    headers: HeaderMap::new(),
                    reason: Some("session-token-and-uat-missing".into()),
                });
            }
            if !has_cookies || needs_sync {
                let reason: Cow<'static, str> = "satellite-needs-syncing".into();
                if !development {
                    return Some(self.handshake_or_signed_out(state.clone(), reason));
                }
                // Development: through the primary's sign-in page, which sends it back.
                let location = clerk.sign_in_url().and_then(|sign_in| {
                    let mut url = Url::parse(sign_in).ok()?;
                    let back = self.request_url()?;
                    url.query_pairs_mut()
                        .append_pair(SATELLITE_RETURN, back.as_str());
                    Some(url)
                });
                return Some(self.redirect_or_signed_out(state.clone(), reason, location));
            }
        }
        if development
            && !clerk.is_satellite()
            && let Some(target) = &self.query.satellite_return
        {
            // A development primary sends the satellite back with the dev browser token: only
            // to an origin it was told to trust (stricter than Clerk, which sends the token to
            // any URL it is given).
            let location = Url::parse(target).ok().filter(|url| {
                self.options
                    .browser_sessions()
                    .allows_redirect_to(&url.origin().ascii_serialization())
            });
            let location = location.map(|mut url| {
                if let Some(token) = self
                    .query
                    .dev_browser
                    .as_deref()
                    .or_else(|| self.dev_browser())
                {
                    url.query_pairs_mut().append_pair(DEV_BROWSER, token);
                }
                set_param(&mut url, SYNCED, "true");
                url
            });
            if location.is_none() {
                tracing::warn!(
                    "Clerk: a satellite asked to be sent back to an origin that is not in \
                     ClerkOptions::allowed_redirect_origins; ignored"
                );
            } else {
                return Some(self.redirect_or_signed_out(
                    state.clone(),
                    "primary-responds-to-syncing".into(),
                    location,
                ));
            }
        }
        None
    }

    /// A request signed in by its session cookie: a primary's document navigation from another
    /// origin syncs first (Clerk's `primary-domain-cross-origin-sync`), and a URL that names
    /// another organization than the session's active one activates it (organization sync).
    fn signed_in(&self, auth: Auth) -> Verdict {
        let clerk = self.options.clerk();
        let count = redirect_count(self.jar.redirect_count);
        if !clerk.is_satellite()
            && self.head.method == Method::GET
            && self.fetch_dest() == Some(&b"document"[..])
            && count == 0.0
            && self.cross_origin_referrer()
        {
            return self.handshake_or_signed_out(
                RequestState::SignedIn(auth),
                "primary-domain-cross-origin-sync".into(),
            );
        }
        if let Some(target) = self.organization_target() {
            let must_activate = match &target {
                OrganizationTarget::Id(id) => auth.claims().org_id() != Some(id.as_str()),
                OrganizationTarget::Slug(slug) => auth.claims().org_slug() != Some(slug.as_str()),
                OrganizationTarget::PersonalAccount => auth.claims().org_id().is_some(),
            };
            if must_activate {
                if count >= 3.0 {
                    tracing::warn!(
                        "Clerk: organization activation handshake loop detected. This is likely \
                         due to an invalid organization ID or slug. Skipping organization \
                         activation."
                    );
                } else {
                    let verdict = self.handshake_or_signed_out(
                        RequestState::SignedIn(auth.clone()),
                        "active-organization-mismatch".into(),
                    );
                    if matches!(verdict, Verdict::Redirect { .. }) {
                        return verdict;
                    }
                }
            }
        }
        Verdict::proceed(RequestState::SignedIn(auth))
    }

    /// `Sec-Fetch-Dest`, if sent.
    fn fetch_dest(&self) -> Option<&'a [u8]> {
        self.head
            .headers
            .get("sec-fetch-dest")
            .map(HeaderValue::as_bytes)
            .filter(|value| !value.is_empty())
    }

    /// Whether the `Referer` is another origin than the request's, and not Clerk's (the
    /// Frontend API, the instance's Account Portal, a development Account Portal).
    fn cross_origin_referrer(&self) -> bool {
        let Some(referrer) = self
            .head
            .headers
            .get(http::header::REFERER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| Url::parse(value).ok())
        else {
            return false;
        };
        let Some(url) = self.request_url() else {
            return false;
        };
        if referrer.origin() == url.origin() {
            return false;
        }
        let clerk = self.options.clerk();
        let host = referrer.host_str().unwrap_or_default();
        let frontend_api = clerk
            .frontend_api_url()
            .and_then(|fapi| Url::parse(&fapi).ok());
        if frontend_api.as_ref().and_then(Url::host_str) == Some(host) {
            return false;
        }
        if self.names.development
            && [
                ".accounts.dev",
                ".accountsstage.dev",
                ".accounts.lclclerk.com",
            ]
            .iter()
            .any(|suffix| host.ends_with(suffix) && !host.contains(".clerk."))
        {
            return false;
        }
        let portal = clerk
            .sign_in_page()
            .filter(|_| clerk.sign_in_url().is_none())
            .and_then(|page| Url::parse(&page).ok());
        portal.is_none_or(|portal| portal.origin() != referrer.origin())
    }

    /// The organization the URL names, by the configured patterns.
    fn organization_target(&self) -> Option<OrganizationTarget> {
        let sync = self.options.browser_sessions().organization_sync.as_ref()?;
        sync.target(self.head.uri.path())
    }

    /// The dev browser token: the suffixed cookie when the suffixed cookies are in use, else
    /// the unsuffixed one (the URL's is a new one to sync).
    fn dev_browser(&self) -> Option<&'a str> {
        if self.suffixed {
            self.jar.dev_browser_suffixed
        } else {
            self.jar.dev_browser
        }
    }

    /// A handshake that came back: the nonce before the token, the URL before the cookie.
    fn returned(&self) -> Option<Returned> {
        let nonce = (self.query.handshake_nonce.clone())
            .or_else(|| self.jar.handshake_nonce.map(str::to_owned));
        if let Some(nonce) = nonce {
            return Some(Returned::Nonce(nonce));
        }
        match (&self.query.handshake_token, self.jar.handshake_token) {
            (Some(token), _) => Some(Returned::Token(token.clone(), true)),
            (None, Some(token)) => Some(Returned::Token(token.to_owned(), false)),
            (None, None) => None,
        }
    }

    /// An expired, not-yet-valid or future session token: refresh it when Clerk would, else
    /// handshake (a page) or sign out (anything else) with Clerk's reason.
    async fn token_error(self, error: VerifyError) -> Verdict {
        let state = RequestState::SignedOut(SignedOut::Token(error.clone()));
        let reason: Cow<'static, str> = match error {
            VerifyError::Expired => {
                let why = if self.head.method != Method::GET {
                    Cow::Borrowed("non-eligible-non-get")
                } else if self.jar.refresh.is_none() {
                    Cow::Borrowed("non-eligible-no-refresh-cookie")
                } else {
                    match self.refresh().await {
                        Ok(verdict) => return verdict,
                        Err(why) => why,
                    }
                };
                format!("session-token-expired-refresh-{why}").into()
            }
            VerifyError::NotActiveYet => "session-token-nbf".into(),
            _ => "session-token-iat-in-the-future".into(),
        };
        self.handshake_or_signed_out(state, reason)
    }

    /// Refreshes the session server-side: signed in with the new token and its cookies, or
    /// Clerk's reason why not.
    async fn refresh(&self) -> Result<Verdict, Cow<'static, str>> {
        let clerk = self.options.clerk();
        if clerk.secret_key().is_none() {
            return Err("missing-api-client".into());
        }
        let (Some(expired), Some(refresh_token)) =
            (self.session_text().or(self.bearer), self.jar.refresh)
        else {
            return Err("missing-session-token".into());
        };
        let Some(peek) = Peek::of(expired.as_bytes()) else {
            return Err("expired-session-token-decode-failed".into());
        };
        let Some(sid) = peek.sid.filter(|sid| !sid.is_empty()) else {
            return Err("expired-session-token-missing-sid-claim".into());
        };
        let Some(origin) = self
            .request_url()
            .map(|url| url.origin().ascii_serialization())
        else {
            return Err("unexpected-sdk-error".into());
        };
        let verify = &self.options.authenticate_options().verify;
        let key = format!(
            "{sid}\n{expired}\n{refresh_token}\n{origin}\n{}",
            self.suffixed
        );
        let refreshes = &self.options.browser_sessions().refreshes;
        let call = async {
            let answer = clerk
                .sessions()
                .refresh(&sid, expired, refresh_token, &origin)
                .format("cookie")
                .request_headers(request_headers(self.head.headers))
                .suffixed_cookies(self.suffixed)
                .send()
                .await
                .map_err(|error| refresh_failure(&error))?;
            let cookies = match answer {
                crate::models::SessionRefresh::Cookies(answer) => answer.cookies,
                _ => Vec::new(),
            };
            let (cookies, token) = directives(&cookies);
            let Some(token) = token.filter(|token| !token.is_empty()) else {
                return Err(Cow::Borrowed("unexpected-sdk-error"));
            };
            Ok(Arc::new(Refreshed { cookies, token }))
        };
        let refreshed = refreshes
            .try_get_with(key.clone(), call)
            .await
            .map_err(|why: Arc<Cow<'static, str>>| (*why).clone())?;
        match clerk
            .authenticator()
            .sessions
            .verify_shared(&refreshed.token, verify)
            .await
        {
            Ok(verified) => {
                let mut headers = HeaderMap::new();
                for cookie in &refreshed.cookies {
                    headers.append(SET_COOKIE, cookie.clone());
                }
                tracing::debug!(clerk.auth.refreshed = true, "session refreshed server-side");
                Ok(Verdict::Proceed {
                    state: RequestState::SignedIn(Auth::new(verified, TokenSource::Cookie)),
                    headers,
                    reason: None,
                })
            }
            Err(_) => {
                refreshes.invalidate(&key).await;
                Err("invalid-session-token".into())
            }
        }
    }

    /// Resolves a handshake that came back; `None` lets the request go on as if there were
    /// none (a handshake cookie that does not verify in production, as Clerk does: it may be
    /// another app's on the same site).
    async fn resolve(&self, returned: Returned) -> Option<Verdict> {
        let clerk = self.options.clerk();
        let directives_text = match returned {
            Returned::Nonce(nonce) => {
                match clerk.clients().get_handshake_payload(nonce).send().await {
                    Ok(payload) => payload.directives,
                    Err(error) if error.is_unavailable() => {
                        tracing::warn!(
                            clerk.status = error.status(),
                            "Clerk: the handshake's cookies could not be fetched; answering 503"
                        );
                        return Some(Verdict::proceed(RequestState::SignedOut(
                            SignedOut::HandshakeUnavailable,
                        )));
                    }
                    Err(error) => {
                        tracing::warn!(
                            clerk.status = error.status(),
                            clerk.code = error.code(),
                            "Clerk: the handshake nonce was refused (unknown or used)"
                        );
                        Vec::new()
                    }
                }
            }
            Returned::Token(token, in_url) => match self.handshake_token(&token).await {
                Ok(directives) => directives,
                Err(error) if error.is_unavailable() || in_url => {
                    tracing::warn!(
                        clerk.auth.reason = error.reason(),
                        "Clerk: the handshake token does not verify"
                    );
                    return Some(Verdict::proceed(RequestState::SignedOut(SignedOut::Token(
                        error,
                    ))));
                }
                Err(error) => {
                    tracing::warn!(
                        clerk.auth.reason = error.reason(),
                        "Clerk: ignoring a handshake cookie that does not verify"
                    );
                    return None;
                }
            },
        };
        let (cookies, token) = directives(&directives_text);
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("access-control-allow-origin"),
            HeaderValue::from_static("null"),
        );
        headers.insert(
            HeaderName::from_static("access-control-allow-credentials"),
            HeaderValue::from_static("true"),
        );
        for cookie in cookies {
            headers.append(SET_COOKIE, cookie);
        }
        let state = match token.filter(|token| !token.is_empty()) {
            None => RequestState::SignedOut(SignedOut::SessionTokenMissing),
            Some(token) => {
                let verify = &self.options.authenticate_options().verify;
                match clerk
                    .authenticator()
                    .sessions
                    .verify_shared(&token, verify)
                    .await
                {
                    Ok(verified) => {
                        RequestState::SignedIn(Auth::new(verified, TokenSource::Cookie))
                    }
                    // Clerk throws here: none of the handshake's cookies are set.
                    Err(error) => {
                        tracing::warn!(
                            clerk.auth.reason = error.reason(),
                            "Clerk: the handshake's session token does not verify"
                        );
                        return Some(Verdict::proceed(RequestState::SignedOut(SignedOut::Token(
                            error,
                        ))));
                    }
                }
            }
        };
        if self.names.development
            && let Some(mut url) = self.request_url()
        {
            remove_params(&mut url, &HANDSHAKE_PARAMS);
            if let Ok(location) = HeaderValue::from_str(url.as_str()) {
                headers.insert(LOCATION, location);
                headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
                let (status, reason) = match &state {
                    RequestState::SignedOut(why) => ("signed-out", Some(why.reason().into())),
                    _ => ("signed-in", None),
                };
                return Some(Verdict::Redirect {
                    headers,
                    status,
                    reason,
                });
            }
        }
        Some(Verdict::Proceed {
            state,
            headers,
            reason: None,
        })
    }

    /// The cookies of a handshake token (`__clerk_handshake`): a JWT signed with the instance's
    /// keys, of the session category (a JWT template's token could carry an author-controlled
    /// `handshake` claim, so another `cat` is refused, as in Clerk's SDK), not expired when it
    /// says when it expires (stricter than Clerk, which does not look).
    async fn handshake_token(&self, token: &str) -> Result<Vec<String>, VerifyError> {
        #[derive(serde::Deserialize)]
        struct Payload {
            handshake: Vec<String>,
            #[serde(default, deserialize_with = "crate::claims::lenient")]
            exp: Option<f64>,
        }
        if token.len() > crate::verify::MAX_TOKEN_BYTES {
            return Err(VerifyError::TooLarge {
                max: crate::verify::MAX_TOKEN_BYTES,
            });
        }
        let clerk = self.options.clerk();
        let payload = clerk
            .authenticator()
            .sessions
            .signed_payload(token, |header| {
                let typ_ok = header.typ.is_none_or(|typ| typ.eq_ignore_ascii_case("JWT"));
                let cat_ok = header
                    .cat
                    .is_none_or(|cat| cat == SESSION_TOKEN_CATEGORY || cat == IGNORE_CATEGORY);
                if typ_ok && cat_ok {
                    Ok(())
                } else {
                    Err(VerifyError::TypeMismatch)
                }
            })
            .await?;
        let payload: Payload = serde_json::from_str(&payload)
            .map_err(|_| VerifyError::Malformed("the handshake token has no cookie list"))?;
        let now = crate::verify::now_ms() as f64 / 1000.0;
        if payload.exp.is_some_and(|exp| exp < now) {
            return Err(VerifyError::Expired);
        }
        Ok(payload.handshake)
    }

    /// A page gets a handshake redirect (unless the loop guard stops it, or the Frontend API's
    /// URL or the request's cannot be built); anything else goes on, signed out with `reason`.
    fn handshake_or_signed_out(&self, state: RequestState, reason: Cow<'static, str>) -> Verdict {
        let location = self.handshake_url(&reason);
        self.redirect_or_signed_out(state, reason, location)
    }

    /// A page is redirected to `location` (a handshake, or a satellite's sync), counted by the
    /// loop guard; anything else, or a fourth redirect, goes on with `state` and `reason`.
    fn redirect_or_signed_out(
        &self,
        state: RequestState,
        reason: Cow<'static, str>,
        location: Option<Url>,
    ) -> Verdict {
        let signed_out = |state, reason| Verdict::Proceed {
            state,
            headers: HeaderMap::new(),
            reason: Some(reason),
        };
        if !self.eligible() {
            return signed_out(state, reason);
        }
        let count = redirect_count(self.jar.redirect_count);
        if count == 3.0 {
            tracing::warn!(
                clerk.auth.reason = &*reason,
                "Clerk: refreshing the session token resulted in an infinite redirect loop. This \
                 usually means that your Clerk instance keys do not match: make sure to copy the \
                 correct publishable and secret keys from the Clerk dashboard."
            );
            return signed_out(state, reason);
        }
        let Some(location) = location else {
            return signed_out(state, reason);
        };
        let Ok(location) = HeaderValue::from_str(location.as_str()) else {
            return signed_out(state, reason);
        };
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, location);
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        let counter = format!(
            "{REDIRECT_COUNT}={}; SameSite=Lax; HttpOnly; Max-Age=2",
            js_number(count + 1.0)
        );
        if let Ok(counter) = HeaderValue::from_str(&counter) {
            headers.append(SET_COOKIE, counter);
        }
        Verdict::Redirect {
            headers,
            status: "handshake",
            reason: Some(reason),
        }
    }

    /// Whether the request can take a redirect: a GET for a document (Clerk's
    /// `isRequestEligibleForHandshake`).
    fn eligible(&self) -> bool {
        if self.head.method != Method::GET {
            return false;
        }
        is_page(self.head)
    }

    /// The Frontend API's handshake URL for `reason`, with Clerk's parameters.
    fn handshake_url(&self, reason: &str) -> Option<Url> {
        let clerk = self.options.clerk();
        let base = clerk.frontend_api_url()?;
        let mut url = Url::parse(&format!("{base}/v1/client/handshake")).ok()?;
        let organization = self.organization_target();
        let mut back = self.request_url()?;
        remove_params(&mut back, &DEV_BROWSER_PARAMS);
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("redirect_url", back.as_str())
                .append_pair("__clerk_api_version", clerk.api_version())
                .append_pair(
                    "suffixed_cookies",
                    if self.suffixed { "true" } else { "false" },
                )
                .append_pair("__clerk_hs_reason", reason)
                .append_pair("format", "nonce");
            if let Some(session) = self.session_text().or(self.bearer) {
                query.append_pair("__session", session);
            }
            if self.names.development
                && let Some(dev_browser) =
                    (self.query.dev_browser.as_deref()).or_else(|| self.dev_browser())
            {
                query.append_pair(DEV_BROWSER, dev_browser);
            }
            match &organization {
                Some(OrganizationTarget::Id(id)) => {
                    query.append_pair("organization_id", id);
                }
                Some(OrganizationTarget::Slug(slug)) => {
                    query.append_pair("organization_id", slug);
                }
                Some(OrganizationTarget::PersonalAccount) => {
                    query.append_pair("organization_id", "");
                }
                None => {}
            }
        }
        Some(url)
    }

    /// The URL the browser asked for (see [the module documentation](self#the-requests-url)).
    fn request_url(&self) -> Option<Url> {
        request_url(self.head, self.options.browser_sessions().trust_forwarded)
    }
}

impl Query {
    fn parse(query: &str) -> Self {
        let mut found = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match &*name {
                HANDSHAKE_NONCE => &mut found.handshake_nonce,
                HANDSHAKE_TOKEN => &mut found.handshake_token,
                DEV_BROWSER => &mut found.dev_browser,
                SYNCED => &mut found.synced,
                SATELLITE_RETURN => &mut found.satellite_return,
                _ => continue,
            };
            if slot.is_none() && !value.is_empty() {
                *slot = Some(value.into_owned());
            }
        }
        found
    }
}

/// The URL of a request as the browser sees it: scheme and host from the forwarded headers
/// when trusted, else the `Host` header (or the URI's authority); `None` without a usable host.
pub(crate) fn request_url(head: RequestHead<'_>, trust_forwarded: bool) -> Option<Url> {
    let first = |name: &str| {
        head.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(',').next())
            .map(str::trim)
            .filter(|value| !value.is_empty())
    };
    let forwarded = |name| trust_forwarded.then(|| first(name)).flatten();
    let web =
        |scheme: &&str| scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
    let scheme = forwarded("x-forwarded-proto")
        .filter(web)
        .or_else(|| head.uri.scheme_str().filter(web))
        .unwrap_or("http")
        .to_ascii_lowercase();
    let plain_host = |host: &&str| {
        host.parse::<http::uri::Authority>()
            .is_ok_and(|authority| !authority.as_str().contains('@'))
            && Url::parse(&format!("http://{host}/")).is_ok()
    };
    let host = forwarded("x-forwarded-host")
        .filter(plain_host)
        .or_else(|| first(HOST.as_str()).filter(plain_host))
        .or_else(|| {
            head.uri
                .authority()
                .map(http::uri::Authority::as_str)
                .filter(plain_host)
        })?;
    let path = head.uri.path_and_query().map_or("/", |p| p.as_str());
    let path = if path.starts_with('/') { path } else { "/" };
    Url::parse(&format!("{scheme}://{host}{path}")).ok()
}

/// What a page request gets instead of a refusal (see
/// [`Pipeline::page_answer`](crate::adapter::Pipeline::page_answer)): signed out, a redirect to
/// sign in and back; signed in without the permission, a redirect to the unauthorized URL or a
/// small 403 page. `None` for anything else (an API call keeps its JSON refusal).
pub(crate) fn page_answer(
    options: &ClerkOptions,
    head: RequestHead<'_>,
    rejection: &Rejection,
) -> Option<Answer> {
    let settings = options.browser_sessions();
    if !settings.page_redirects || !is_page(head) {
        return None;
    }
    match rejection.kind() {
        RejectionKind::SignedOut => {
            let pending = rejection.code() == VerifyError::SessionPending.reason();
            auth_redirect(options, head, Page::SignIn, pending)
        }
        RejectionKind::Forbidden => {
            let mut headers = HeaderMap::new();
            if let Some(location) = settings
                .unauthorized_url
                .as_deref()
                .and_then(|url| HeaderValue::from_str(url).ok())
            {
                headers.insert(LOCATION, location);
                headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
                return Some(Answer::new(
                    StatusCode::TEMPORARY_REDIRECT,
                    headers,
                    String::new(),
                ));
            }
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            Some(Answer::new(
                StatusCode::FORBIDDEN,
                headers,
                FORBIDDEN_PAGE.to_owned(),
            ))
        }
        _ => None,
    }
}

/// The 403 page of a signed-in page request that fails a guard (no unauthorized URL set).
const FORBIDDEN_PAGE: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>403 Forbidden</title></head><body><h1>403 Forbidden</h1>\
<p>You are signed in, but you may not see this page.</p></body></html>\n";

/// Which of Clerk's pages to send a browser to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Page {
    SignIn,
    SignUp,
}

/// A `307` to the sign-in (or sign-up) page with `redirect_url` back to the request's URL, as
/// Clerk's `createRedirect` builds it: a pending session goes to the page's `/tasks`; a
/// cross-origin page of a development instance gets the dev browser token
/// (`__clerk_db_jwt`); a satellite's way back asks it to sync (`__clerk_synced=false`).
/// `None` without a page to send it to (no publishable key and no sign-in URL) or without a
/// usable request URL.
pub(crate) fn auth_redirect(
    options: &ClerkOptions,
    head: RequestHead<'_>,
    page: Page,
    pending: bool,
) -> Option<Answer> {
    let clerk = options.clerk();
    let target = match page {
        Page::SignIn => clerk.sign_in_page()?,
        Page::SignUp => clerk.sign_up_page()?,
    };
    let target = if pending {
        format!("{}/tasks", target.trim_end_matches('/'))
    } else {
        target
    };
    let mut back = request_url(head, options.browser_sessions().trust_forwarded)?;
    let mut url = back.join(&target).ok()?;
    let cross_origin = (url.host_str(), url.port_or_known_default())
        != (back.host_str(), back.port_or_known_default());
    if cross_origin && clerk.is_satellite() {
        set_param(&mut back, SYNCED, "false");
    }
    set_param(&mut url, "redirect_url", back.as_str());
    let development = clerk.publishable_key().is_some_and(|key| key.is_test());
    if cross_origin
        && development
        && let Some(names) = clerk.cookie_names()
        && let Some(token) = dev_browser_token(head, names)
    {
        set_param(&mut url, DEV_BROWSER, &token);
    }
    let mut headers = HeaderMap::new();
    headers.insert(LOCATION, HeaderValue::from_str(url.as_str()).ok()?);
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Some(Answer::new(
        StatusCode::TEMPORARY_REDIRECT,
        headers,
        String::new(),
    ))
}

/// The request's dev browser token (the cookie of the chosen cookie pair's kind).
fn dev_browser_token(head: RequestHead<'_>, names: &CookieNames) -> Option<String> {
    let (_, suffixed) = crate::authenticate::session_cookies(head.headers, Some(names));
    let wanted = if suffixed {
        format!("{DEV_BROWSER}_{}", names.suffix)
    } else {
        DEV_BROWSER.to_owned()
    };
    crate::authenticate::cookies(head.headers)
        .find(|(name, value)| *name == wanted.as_bytes() && !value.is_empty())
        .and_then(|(_, value)| std::str::from_utf8(value).ok())
        .map(str::to_owned)
}

/// Whether a request is a page navigation that can take a redirect (Clerk's
/// `isRequestEligibleForHandshake`): a GET with `Sec-Fetch-Dest` `document` or `iframe`, or
/// without `Sec-Fetch-Dest` and with `Accept` starting `text/html`.
pub(crate) fn is_page(head: RequestHead<'_>) -> bool {
    if head.method != Method::GET {
        return false;
    }
    let header = |name: &str| {
        head.headers
            .get(name)
            .map(HeaderValue::as_bytes)
            .filter(|value| !value.is_empty())
    };
    match header("sec-fetch-dest") {
        Some(dest) => dest == b"document" || dest == b"iframe",
        None => header(ACCEPT.as_str()).is_some_and(|accept| accept.starts_with(b"text/html")),
    }
}

/// Sets query parameter `name` to `value`, replacing any value it had.
fn set_param(url: &mut Url, name: &str, value: &str) {
    remove_params(url, &[name]);
    url.query_pairs_mut().append_pair(name, value);
}

/// Removes the query parameters named in `names` (and the query, once empty).
fn remove_params(url: &mut Url, names: &[&str]) {
    if !url.query_pairs().any(|(name, _)| names.contains(&&*name)) {
        return;
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !names.contains(&&**name))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
}

/// Cookie directives as `Set-Cookie` values (one that cannot be a header value is dropped),
/// and the value of the last session cookie among them (`__session`, `__session_<suffix>`;
/// empty when a directive clears it).
fn directives(directives: &[String]) -> (Vec<HeaderValue>, Option<String>) {
    let mut token = None;
    let mut values = Vec::with_capacity(directives.len());
    for directive in directives {
        let Ok(value) = HeaderValue::from_str(directive) else {
            continue;
        };
        values.push(value);
        let pair = directive.split(';').next().unwrap_or_default();
        if let Some((name, value)) = pair.split_once('=')
            && name.trim().starts_with("__session")
        {
            token = Some(value.trim().to_owned());
        }
    }
    (values, token)
}

/// The request's headers as the refresh endpoint takes them: `{name: [value, …]}`, for the
/// headers the pipeline reads ([`REQUEST_HEADERS`](crate::adapter::REQUEST_HEADERS), so that
/// every adapter sends the same, and an application's own headers never leave it), but for
/// `Sec-WebSocket-Protocol` (it may carry a token for a
/// [`TokenFallback`](crate::token_fallback::TokenFallback)); a value that is not text is left
/// out.
fn request_headers(headers: &HeaderMap) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut map = std::collections::BTreeMap::new();
    let read = headers.iter().filter(|(name, _)| {
        crate::adapter::REQUEST_HEADERS.contains(name)
            && **name != crate::token_fallback::SEC_WEBSOCKET_PROTOCOL
    });
    for (name, value) in read {
        if let Ok(value) = value.to_str() {
            map.entry(name.as_str().to_owned())
                .or_insert_with(Vec::new)
                .push(value.to_owned());
        }
    }
    map
}

/// Why a refresh call failed, as Clerk's SDK names it: the Backend API's error code (only
/// letters, digits, `_` and `-`, else `unexpected-bapi-error`), `fetch-error` for its
/// `unexpected_error`, `unexpected-bapi-error` for anything without a code.
fn refresh_failure(error: &crate::ApiError) -> Cow<'static, str> {
    match error.code() {
        Some("unexpected_error") => "fetch-error".into(),
        Some(code)
            if !code.is_empty()
                && code.len() <= 64
                && code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            code.to_owned().into()
        }
        _ => "unexpected-bapi-error".into(),
    }
}

/// The loop guard's count as Clerk reads it (JavaScript's `Number(value) || 0`).
fn redirect_count(value: Option<&str>) -> f64 {
    let value = value.map(str::trim).unwrap_or_default();
    if value.is_empty() {
        return 0.0;
    }
    value
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .unwrap_or(0.0)
}

/// A number as JavaScript prints it (whole numbers without a fraction).
fn js_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Uri;

    fn url_of(uri: &str, headers: &[(&str, &str)], trust: bool) -> Option<String> {
        let uri: Uri = uri.parse().expect("uri");
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        request_url(RequestHead::new(&Method::GET, &uri, &map), trust).map(String::from)
    }

    #[test]
    fn a_refresh_never_forwards_the_websocket_subprotocols() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer a"));
        headers.insert("accept-language", HeaderValue::from_static("en"));
        headers.insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("clerk, x.y.z"),
        );
        let sent = request_headers(&headers);
        assert_eq!(sent.keys().collect::<Vec<_>>(), ["authorization"]);
    }

    #[test]
    fn the_request_url_comes_from_host_and_trusted_forwarded_headers() {
        let host = [("host", "app.example.com:8080")];
        assert_eq!(
            url_of("/a?b=c", &host, true).as_deref(),
            Some("http://app.example.com:8080/a?b=c")
        );
        let proxied = [
            ("host", "10.0.0.1:3000"),
            ("x-forwarded-host", "shop.example.com, proxy.internal"),
            ("x-forwarded-proto", "https,http"),
        ];
        assert_eq!(
            url_of("/x", &proxied, true).as_deref(),
            Some("https://shop.example.com/x")
        );
        assert_eq!(
            url_of("/x", &proxied, false).as_deref(),
            Some("http://10.0.0.1:3000/x")
        );
        // Hostile values are ignored, never spliced into the URL.
        for (name, value) in [
            ("x-forwarded-host", "evil.com/path?"),
            ("x-forwarded-host", "user@evil.com"),
            ("x-forwarded-host", "evil.com#"),
            ("x-forwarded-proto", "javascript"),
        ] {
            let headers = [("host", "app.example.com"), (name, value)];
            assert_eq!(
                url_of("/p", &headers, true).as_deref(),
                Some("http://app.example.com/p"),
                "{name}: {value}"
            );
        }
        assert_eq!(url_of("/p", &[], true), None);
        // A URI of another scheme gives its host, never its scheme.
        assert_eq!(
            url_of("h://example.com/x", &[], true).as_deref(),
            Some("http://example.com/x")
        );
        assert_eq!(
            url_of("http://direct.example.com/p", &[], true).as_deref(),
            Some("http://direct.example.com/p")
        );
    }

    #[test]
    fn handshake_parameters_are_removed_and_the_rest_kept() {
        let mut url = Url::parse(
            "http://a.test/p?x=1&__clerk_handshake_nonce=n&__clerk_db_jwt=d&y=2&__clerk_help=1",
        )
        .expect("url");
        remove_params(&mut url, &HANDSHAKE_PARAMS);
        assert_eq!(url.as_str(), "http://a.test/p?x=1&y=2");
        let mut url = Url::parse("http://a.test/p?__clerk_db_jwt=d").expect("url");
        remove_params(&mut url, &DEV_BROWSER_PARAMS);
        assert_eq!(url.as_str(), "http://a.test/p");
        let mut url = Url::parse("http://a.test/p?keep=a+b").expect("url");
        remove_params(&mut url, &DEV_BROWSER_PARAMS);
        assert_eq!(url.as_str(), "http://a.test/p?keep=a+b");
    }

    #[test]
    fn directives_give_cookies_and_the_last_session_token() {
        let (cookies, token) = directives(&[
            "__clerk_db_jwt=dvb; Path=/".into(),
            "__session=old; Path=/".into(),
            "__session_abc=new; Path=/; SameSite=Lax".into(),
            "bad\r\nInjected: yes".into(),
        ]);
        assert_eq!(cookies.len(), 3);
        assert_eq!(token.as_deref(), Some("new"));
        let (_, cleared) = directives(&["__session=; Max-Age=0".into()]);
        assert_eq!(cleared.as_deref(), Some(""));
        assert_eq!(directives(&["__client_uat=0".into()]).1, None);
    }

    #[test]
    fn refresh_failures_name_clerks_code_or_a_fixed_reason() {
        use crate::api::ErrorResponse;
        let api = |body: &str| {
            crate::ApiError::Response(Box::new(ErrorResponse::parse(
                401,
                body.as_bytes(),
                None,
                None,
            )))
        };
        let with_code = |code: &str| {
            api(&format!(
                r#"{{"errors":[{{"code":"{code}","message":"m"}}]}}"#
            ))
        };
        assert_eq!(
            refresh_failure(&with_code("refresh_token_invalid")),
            "refresh_token_invalid"
        );
        assert_eq!(
            refresh_failure(&with_code("unexpected_error")),
            "fetch-error"
        );
        assert_eq!(
            refresh_failure(&with_code("bad\\r\\ncode")),
            "unexpected-bapi-error"
        );
        assert_eq!(refresh_failure(&api("")), "unexpected-bapi-error");
        assert_eq!(
            refresh_failure(&crate::ApiError::Transport("refused".into())),
            "unexpected-bapi-error"
        );
    }

    #[test]
    fn the_loop_counter_reads_as_javascript_numbers() {
        assert_eq!(redirect_count(None), 0.0);
        assert_eq!(redirect_count(Some("2")), 2.0);
        assert_eq!(redirect_count(Some(" 3 ")), 3.0);
        assert_eq!(redirect_count(Some("3.0")), 3.0);
        assert_eq!(redirect_count(Some("abc")), 0.0);
        assert_eq!(redirect_count(Some("inf")), 0.0);
        assert_eq!(js_number(3.0), "3");
        assert_eq!(js_number(3.5), "3.5");
    }
}
