//! Request authentication: find the session token in a request's headers, verify it, and say
//! whether the request is signed in.
//!
//! Token sources, in order:
//! 1. `Authorization: Bearer <token>` (scheme case-insensitive). Another scheme (`Basic …`) is not
//!    a Clerk token and does not block the cookie.
//! 2. The session cookie, read as Clerk's SDK reads it. Cookies come in pairs: `__session` with
//!    `__client_uat`, or, on a domain shared by several apps, `__session_<suffix>` with
//!    `__client_uat_<suffix>` (the suffix derives from the publishable key; without one, only the
//!    unsuffixed pair is read). One pair is chosen whole (see [`SignedOut`] and the README's
//!    cookie rules), never one cookie of each. Then: no session cookie and no active client is
//!    [`SignedOut::NoToken`]; a session cookie needs `__client_uat` to be a number other than `0`
//!    ([`SignedOut::SessionWithoutClientUat`]); an active client needs a session cookie
//!    ([`SignedOut::ClientUatWithoutSession`]); a token issued (`iat`) before `__client_uat` is
//!    stale ([`SignedOut::StaleToken`]).
//!
//! Machine tokens (API keys, M2M and OAuth access tokens; see [`crate::machine`]) come only in the
//! `Authorization` header, and only when [`AuthenticateOptions::accepts`] takes their kind (by
//! default it takes session tokens only, as Clerk's SDKs do). A token of a kind not accepted is
//! [`SignedOut::TokenTypeMismatch`] before any verification: it costs no Backend API call.
//!
//! Nothing here panics on hostile input: non-UTF-8 bytes, duplicate or enormous headers all end
//! as [`RequestState::SignedOut`] with a reason.

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE, GetAll, HeaderValue};

use crate::api::Transport;
use crate::claims::{Has, SessionClaims};
use crate::error::VerifyError;
use crate::machine::{Accepts, MachineAuth, MachineError, MachineVerifier, TokenKind};
use crate::verify::{MAX_TOKEN_BYTES, Verified, Verifier, VerifyOptions};

/// The only headers [`Clerk::authenticate`] reads: `Authorization` (the bearer token) and
/// `Cookie` (the session cookies). An adapter whose framework has its own header type copies
/// these and no others.
///
/// [`Clerk::authenticate`]: crate::Clerk::authenticate
pub const AUTHENTICATION_HEADERS: [http::HeaderName; 2] = [AUTHORIZATION, COOKIE];

/// The outcome of [`Clerk::authenticate`](crate::Clerk::authenticate).
#[derive(Debug, Clone)]
pub enum RequestState {
    /// A valid session token was found: a person, signed in through Clerk's frontend.
    SignedIn(Auth),
    /// A valid machine token of an accepted kind was found (see
    /// [`AuthenticateOptions::accepts`]): an API key, an M2M token or an OAuth access token.
    Machine(MachineAuth),
    /// No valid token; the reason says why.
    SignedOut(SignedOut),
}

impl RequestState {
    /// The session's authentication, when signed in with a session token.
    pub fn auth(&self) -> Option<&Auth> {
        match self {
            Self::SignedIn(auth) => Some(auth),
            _ => None,
        }
    }

    /// The machine's authentication, when authenticated with a machine token.
    pub fn machine(&self) -> Option<&MachineAuth> {
        match self {
            Self::Machine(machine) => Some(machine),
            _ => None,
        }
    }

    /// Whether a valid token of an accepted kind was found, session or machine (with machine
    /// kinds accepted, this no longer means "has a session": use [`auth`](Self::auth)).
    pub fn is_signed_in(&self) -> bool {
        !matches!(self, Self::SignedOut(_))
    }
}

/// Where the token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// The `Authorization: Bearer` header.
    Header,
    /// The `__session` cookie.
    Cookie,
    /// A query parameter, with
    /// [`TokenFallback::query`](crate::token_fallback::TokenFallback::query).
    Query,
    /// The `Sec-WebSocket-Protocol` header, with
    /// [`TokenFallback::websocket_protocol`](crate::token_fallback::TokenFallback::websocket_protocol).
    WebSocketProtocol,
}

/// A signed-in request: its verified claims and the token itself.
#[derive(Clone)]
pub struct Auth {
    claims: SessionClaims,
    token: Arc<str>,
    source: TokenSource,
}

impl Auth {
    /// The verified claims.
    pub fn claims(&self) -> &SessionClaims {
        &self.claims
    }

    /// The user id (`sub`).
    pub fn user_id(&self) -> &str {
        self.claims.user_id()
    }

    /// The session id (`sid`).
    pub fn session_id(&self) -> &str {
        self.claims.session_id()
    }

    /// The raw session token, to forward to another service that verifies it itself.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Where the token came from.
    pub fn source(&self) -> TokenSource {
        self.source
    }

    /// See [`SessionClaims::has`].
    pub fn has(&self, check: impl Into<Has>) -> bool {
        self.claims.has(check)
    }

    /// A token from the JWT template `template` for this request's session, from the Backend
    /// API and cached: [`Clerk::token_for_template`](crate::Clerk::token_for_template) with
    /// [`session_id`](Self::session_id).
    ///
    /// ```no_run
    /// # async fn demo(auth: &clerk_core::Auth, clerk: &clerk_core::Clerk) -> Result<(), clerk_core::TemplateTokenError> {
    /// let supabase_jwt = auth.token_for_template(clerk, "supabase").await?;
    /// # let _ = supabase_jwt;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Clerk::token_for_template`](crate::Clerk::token_for_template).
    pub async fn token_for_template(
        &self,
        clerk: &crate::Clerk,
        template: &str,
    ) -> Result<Arc<str>, crate::TemplateTokenError> {
        clerk.token_for_template(self.session_id(), template).await
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("claims", &self.claims)
            .field("source", &self.source)
            .field("token", &"(redacted)")
            .finish()
    }
}

/// Why a request is signed out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedOut {
    /// No session token in the header or cookies.
    NoToken,
    /// The `Authorization` header is not usable: repeated, not ASCII, or an empty bearer token.
    InvalidHeader,
    /// A session cookie without an active client: `__client_uat` is missing, `0` or not a
    /// number (the client signed out, or the cookies are out of step). Clerk's full-stack SDKs
    /// answer it with a handshake.
    SessionWithoutClientUat,
    /// `__client_uat` says a client is signed in, but there is no session cookie: the browser
    /// must fetch one (Clerk's handshake).
    ClientUatWithoutSession,
    /// The session cookie was issued before the client's last update (`__client_uat`); the
    /// browser must refresh it (Clerk's frontend does so by itself).
    StaleToken,
    /// A session token was found but failed verification.
    Token(VerifyError),
    /// The bearer token is of a kind the route does not accept (`None`: no bearer token, on a
    /// route that accepts no session token, so the cookie is not read). Decided before any
    /// verification.
    TokenTypeMismatch(Option<TokenKind>),
    /// A machine token of an accepted kind failed verification.
    Machine(MachineError),
    /// Development instance: a browser request without Clerk's dev browser token
    /// (`__clerk_db_jwt`), which Clerk's frontend always sets; a page gets a handshake, which
    /// plants it (see [`crate::browser`]).
    DevBrowserMissing,
    /// Development instance: the URL carries a new dev browser token (`__clerk_db_jwt` in the
    /// query, on the way back from Clerk's sign-in); a page gets a handshake with it.
    DevBrowserSync,
    /// A handshake came back without a session: the browser is signed out (its cookies are
    /// cleared by the handshake's `Set-Cookie`), or the handshake nonce was unknown or used.
    SessionTokenMissing,
    /// A handshake's cookies could not be fetched from the Backend API (unreachable, 429, 5xx):
    /// answered 503, never with another redirect.
    HandshakeUnavailable,
}

impl SignedOut {
    /// The reason name, as Clerk's SDKs spell it.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NoToken => "session-token-and-uat-missing",
            Self::InvalidHeader => "authorization-header-invalid",
            Self::SessionWithoutClientUat => "session-token-but-no-client-uat",
            Self::ClientUatWithoutSession => "client-uat-but-no-session-token",
            Self::StaleToken => "session-token-iat-before-client-uat",
            Self::Token(error) => error.reason(),
            Self::TokenTypeMismatch(_) => "token-type-mismatch",
            Self::Machine(error) => error.reason(),
            Self::DevBrowserMissing => "dev-browser-missing",
            Self::DevBrowserSync => "dev-browser-sync",
            Self::SessionTokenMissing => "session-token-missing",
            Self::HandshakeUnavailable => "handshake-unavailable",
        }
    }

    /// Whether a token was presented at all (an absent token is a 401 without an error code).
    pub fn token_presented(&self) -> bool {
        !matches!(
            self,
            Self::NoToken
                | Self::ClientUatWithoutSession
                | Self::TokenTypeMismatch(None)
                | Self::SessionTokenMissing
        )
    }

    /// Whether the browser should refresh its cookies before retrying: the cases where Clerk's
    /// full-stack SDKs (and this crate's layers, for a page request) run a handshake.
    pub fn handshake_needed(&self) -> bool {
        matches!(
            self,
            Self::SessionWithoutClientUat
                | Self::ClientUatWithoutSession
                | Self::StaleToken
                | Self::DevBrowserMissing
                | Self::DevBrowserSync
        ) || matches!(self, Self::Token(error) if error.is_refreshable())
    }

    /// Whether the server, not the request, is at fault (keys could not be loaded, the Backend
    /// API could not verify a machine token): answer 503.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Token(error) => error.is_unavailable(),
            Self::Machine(error) => error.is_unavailable(),
            Self::HandshakeUnavailable => true,
            _ => false,
        }
    }
}

impl fmt::Display for SignedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoToken => f.write_str("no session token in the request"),
            Self::InvalidHeader => f.write_str("the Authorization header is not usable"),
            Self::SessionWithoutClientUat => {
                f.write_str("a session cookie without an active client (__client_uat)")
            }
            Self::ClientUatWithoutSession => {
                f.write_str("an active client (__client_uat) without a session cookie")
            }
            Self::StaleToken => f.write_str("the session cookie is older than the client state"),
            Self::Token(error) => fmt::Display::fmt(error, f),
            Self::TokenTypeMismatch(Some(kind)) => {
                write!(f, "a token of a kind not accepted here ({})", kind.name())
            }
            Self::TokenTypeMismatch(None) => f.write_str("no bearer token of a kind accepted here"),
            Self::Machine(MachineError::Unavailable(_)) => {
                f.write_str("the machine token could not be verified now")
            }
            // Its text is the Backend API's answer: never shown to a client.
            Self::Machine(MachineError::Unexpected(_)) => {
                f.write_str("the machine token could not be verified")
            }
            Self::Machine(error) => fmt::Display::fmt(error, f),
            Self::DevBrowserMissing => f.write_str("no dev browser token (__clerk_db_jwt)"),
            Self::DevBrowserSync => f.write_str("a new dev browser token to sync"),
            Self::SessionTokenMissing => f.write_str("the handshake brought no session"),
            Self::HandshakeUnavailable => {
                f.write_str("the handshake could not be completed now; try again later")
            }
        }
    }
}

/// Options of [`Clerk::authenticate_with`](crate::Clerk::authenticate_with).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticateOptions {
    /// Verification options (authorized parties, pending sessions).
    pub verify: VerifyOptions,
    /// Whether the `__session` cookie is accepted (default yes). APIs called only with bearer
    /// tokens can turn it off.
    pub accept_cookie: bool,
    /// The token kinds accepted (default: session tokens only, as in Clerk's SDKs).
    pub accepts: Accepts,
}

/// The bearer token of an `Authorization` header value, if its scheme is Bearer (empty for a bare
/// `Bearer`: HTTP strips the trailing space of `Bearer `).
pub(crate) fn bearer(value: &[u8]) -> Option<&[u8]> {
    let value = value.trim_ascii();
    let (scheme, rest) = match value.iter().position(|&b| b == b' ') {
        Some(space) => value.split_at(space),
        None => (value, &value[value.len()..]),
    };
    scheme
        .eq_ignore_ascii_case(b"bearer")
        .then(|| rest.trim_ascii())
}

/// Iterates the `name=value` pairs of every `Cookie` header.
///
/// The separators are found with `memchr` (SIMD): a browser's `Cookie` header is most of a
/// page request's bytes (a session token alone is ~700), and a byte-by-byte split of it cost
/// the cookie path about a tenth of its throughput against a bearer token's.
pub(crate) fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&[u8], &[u8])> {
    headers.get_all(COOKIE).iter().flat_map(|value| {
        let bytes = value.as_bytes();
        let mut start = 0;
        let ends = memchr::memchr_iter(b';', bytes).chain(std::iter::once(bytes.len()));
        ends.filter_map(move |end| {
            let pair = bytes[start..end].trim_ascii();
            start = end + 1;
            let eq = memchr::memchr(b'=', pair)?;
            let (name, value) = (&pair[..eq], pair[eq + 1..].trim_ascii());
            let value = value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value);
            Some((name.trim_ascii(), value))
        })
    })
}

/// What the session-cookie choice needs to know of the unverified payload of a cookie token.
#[derive(Default, serde::Deserialize)]
pub(crate) struct Peek {
    #[serde(default, deserialize_with = "crate::claims::lenient")]
    iss: Option<String>,
    #[serde(default, deserialize_with = "crate::claims::lenient")]
    pub(crate) sid: Option<String>,
    #[serde(default, deserialize_with = "crate::claims::lenient")]
    iat: Option<f64>,
    #[serde(default, deserialize_with = "crate::claims::lenient")]
    exp: Option<f64>,
}

impl Peek {
    /// Decodes a token's payload without verifying anything; `None` when it is not a JWT.
    pub(crate) fn of(token: &[u8]) -> Option<Self> {
        use base64::Engine as _;
        let payload = token.split(|&b| b == b'.').nth(1)?;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .ok()?;
        serde_json::from_slice(&json).ok()
    }
}

/// The instance-specific cookie names (`__session_<suffix>`, `__client_uat_<suffix>`) and what
/// deciding between them and the unsuffixed ones needs.
pub(crate) struct CookieNames {
    pub(crate) suffix: String,
    /// The Frontend API host of the publishable key: a token whose `iss` names another host
    /// belongs to another app on the same domain.
    pub(crate) frontend_api: String,
    /// Development instances: an expired suffixed token yields to a signed-out unsuffixed pair.
    pub(crate) development: bool,
}

/// A session cookie and the `__client_uat` cookie that goes with it. Empty values count as absent,
/// as in Clerk's SDK.
type CookiePair<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// The session cookie and its `__client_uat`, as Clerk's SDK chooses them: the suffixed pair
/// (`__session_<suffix>` with `__client_uat_<suffix>`) or the unsuffixed pair, whole, never one
/// cookie of each.
///
/// The suffixed pair is used when a suffixed cookie is present, unless: the unsuffixed session
/// token has no `iss` (malformed: the unsuffixed pair then signs the request out); the suffixed
/// `__client_uat` is `0` while the unsuffixed one is not; both pairs are signed in and the
/// unsuffixed token is newer (`iat`); the suffixed session has no suffixed `__client_uat`; or, on a
/// development instance, the suffixed token has expired while the unsuffixed pair is signed out.
/// An unsuffixed token of another instance (its `iss` is not this instance's Frontend API) always
/// yields to the suffixed pair.
///
/// The flag says whether the suffixed pair was chosen (Clerk's `usesSuffixedCookies`): the other
/// instance-specific cookies (`__clerk_db_jwt`) are then read suffixed too.
pub(crate) fn session_cookies<'a>(
    headers: &'a HeaderMap,
    names: Option<&CookieNames>,
) -> (CookiePair<'a>, bool) {
    let (mut session, mut uat) = (None, None);
    let (mut suffixed_session, mut suffixed_uat) = (None, None);
    let first = |slot: &mut Option<&'a [u8]>, value: &'a [u8]| {
        if slot.is_none() && !value.is_empty() {
            *slot = Some(value);
        }
    };
    for (name, value) in cookies(headers) {
        match name {
            b"__session" => first(&mut session, value),
            b"__client_uat" => first(&mut uat, value),
            _ => {
                let Some(names) = names else { continue };
                if name.strip_prefix(b"__session_") == Some(names.suffix.as_bytes()) {
                    first(&mut suffixed_session, value);
                } else if name.strip_prefix(b"__client_uat_") == Some(names.suffix.as_bytes()) {
                    first(&mut suffixed_uat, value);
                }
            }
        }
    }
    let unsuffixed = (session, uat);
    let Some(names) = names else {
        return (unsuffixed, false);
    };
    if suffixed_session.is_none() && suffixed_uat.is_none() {
        return (unsuffixed, false);
    }
    let peek_session = session.map(|token| Peek::of(token).unwrap_or_default());
    if let Some(peek) = &peek_session {
        let Some(iss) = peek.iss.as_deref().filter(|iss| !iss.is_empty()) else {
            return (unsuffixed, false);
        };
        let host = iss
            .strip_prefix("https://")
            .or_else(|| iss.strip_prefix("http://"))
            .unwrap_or(iss);
        if host != names.frontend_api {
            return ((suffixed_session, suffixed_uat), true);
        }
    }
    let peek_suffixed = suffixed_session.and_then(Peek::of);
    let iat = |peek: Option<&Peek>| peek.and_then(|p| p.iat).unwrap_or(0.0);
    let zero = |uat: Option<&[u8]>| uat == Some(b"0");
    if !zero(suffixed_uat) && !zero(uat) && iat(peek_session.as_ref()) > iat(peek_suffixed.as_ref())
    {
        return (unsuffixed, false);
    }
    if zero(suffixed_uat) && !zero(uat) {
        return (unsuffixed, false);
    }
    if names.development && !zero(suffixed_uat) && zero(uat) {
        let now = crate::verify::now_ms() / 1000;
        let expired = peek_suffixed
            .as_ref()
            .is_some_and(|p| p.exp.is_none_or(|exp| exp <= now as f64));
        if expired {
            return (unsuffixed, false);
        }
    }
    if suffixed_uat.is_none() && suffixed_session.is_some() {
        return (unsuffixed, false);
    }
    ((suffixed_session, suffixed_uat), true)
}

/// `__client_uat` as Clerk's SDK reads it (JavaScript's `parseInt`, then `|| 0`): leading
/// whitespace and a sign are skipped, then the leading digits (hexadecimal after `0x`) are the
/// number; a value without digits is 0.
pub(crate) fn client_uat(value: &[u8]) -> i64 {
    let value = value.trim_ascii_start();
    let (negative, value) = match value.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, value),
    };
    let (radix, digits) = match value {
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        _ => (10, value),
    };
    let magnitude = digits
        .iter()
        .map_while(|&b| char::from(b).to_digit(radix))
        .fold(0i64, |n, d| {
            n.saturating_mul(i64::from(radix))
                .saturating_add(i64::from(d))
        });
    if negative { -magnitude } else { magnitude }
}

/// The token bytes as `&str` when they can be a JWT (ASCII, within the size limit).
fn token_text(token: &[u8]) -> Result<&str, SignedOut> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(SignedOut::Token(VerifyError::TooLarge {
            max: MAX_TOKEN_BYTES,
        }));
    }
    if token.is_empty() {
        return Err(SignedOut::InvalidHeader);
    }
    // Printable ASCII (0x21..=0x7e) is valid UTF-8. No early exit: the loop vectorizes.
    let printable = token
        .iter()
        .fold(true, |ok, &b| ok & (b.wrapping_sub(0x21) < 0x5e));
    match std::str::from_utf8(token) {
        Ok(text) if printable => Ok(text),
        _ => Err(SignedOut::Token(VerifyError::Malformed(
            "the token is not printable ASCII",
        ))),
    }
}

/// Where a signed-out request's token was looked for, for traces: `authorization_header` when
/// it has one, `cookie` when it has a `__session` cookie (any suffix), else `none`.
fn token_source(headers: &HeaderMap) -> &'static str {
    if headers.contains_key(AUTHORIZATION) {
        "authorization_header"
    } else if headers
        .get_all(COOKIE)
        .iter()
        .any(|value| value.as_bytes().windows(9).any(|w| w == b"__session"))
    {
        "cookie"
    } else {
        "none"
    }
}

/// What request authentication works with, lent by the client for one request: its session and
/// machine verifiers, its transport (opaque machine tokens are verified by the Backend API) and
/// its cookie names.
pub(crate) struct Authenticator<'a> {
    pub(crate) sessions: &'a Verifier,
    pub(crate) machines: &'a MachineVerifier,
    pub(crate) api: &'a Transport,
    pub(crate) cookie_names: Option<&'a CookieNames>,
}

impl Authenticator<'_> {
    /// Authenticates a request from its headers: what
    /// [`Clerk::authenticate_with`](crate::Clerk::authenticate_with) does.
    pub(crate) async fn authenticate(
        &self,
        headers: &HeaderMap,
        options: &AuthenticateOptions,
    ) -> RequestState {
        match self.find_and_verify(headers, options).await {
            Ok(state) => state,
            Err(why) => {
                // Never the token: its reason, and where it would have come from.
                tracing::debug!(
                    clerk.auth.reason = why.reason(),
                    clerk.auth.token_source = token_source(headers),
                    "request signed out"
                );
                RequestState::SignedOut(why)
            }
        }
    }

    async fn find_and_verify(
        &self,
        headers: &HeaderMap,
        options: &AuthenticateOptions,
    ) -> Result<RequestState, SignedOut> {
        let mut authorization = headers.get_all(AUTHORIZATION).iter();
        if let Some(value) = authorization.next() {
            if authorization.next().is_some() {
                return Err(SignedOut::InvalidHeader);
            }
            if let Some(token) = bearer(value.as_bytes()) {
                let token = token_text(token)?;
                // Session tokens only (the default): a machine JWT fails the session checks
                // with `token-type-mismatch` anyway (its `cat`, `typ` or `sub`), so only the
                // opaque prefixes need looking at, and a session's path stays as fast.
                let kind = if options.accepts == Accepts::default() {
                    TokenKind::of_prefix(token).unwrap_or(TokenKind::SessionToken)
                } else {
                    // A token verified before needs no telling of its kind (which decodes it):
                    // the cached session, then the cached machine verdict.
                    if options.accepts.accepts(TokenKind::SessionToken)
                        && let Some(cached) = self.sessions.cached_session(
                            token,
                            &options.verify,
                            crate::verify::now_ms(),
                        )
                    {
                        return cached
                            .map(|verified| RequestState::SignedIn(Auth::header(verified)))
                            .map_err(SignedOut::Token);
                    }
                    if let Some(machine) = self.machines.cached(token).await
                        && options.accepts.accepts(machine.kind())
                    {
                        return Ok(RequestState::Machine(machine));
                    }
                    TokenKind::of(token)
                };
                if !options.accepts.accepts(kind) {
                    return Err(SignedOut::TokenTypeMismatch(Some(kind)));
                }
                if kind.is_machine() {
                    let verified = self
                        .machines
                        .verify(self.sessions, self.api, kind, token)
                        .await;
                    return verified
                        .map(RequestState::Machine)
                        .map_err(SignedOut::Machine);
                }
                return match self
                    .verified(token, TokenSource::Header, &options.verify)
                    .await
                {
                    Ok(auth) => Ok(RequestState::SignedIn(auth)),
                    // A machine JWT on the session-only path (it fails the session checks one
                    // way or another): refused by its kind, as on any other path.
                    Err(SignedOut::Token(_)) if TokenKind::of(token).is_machine() => {
                        Err(SignedOut::TokenTypeMismatch(Some(TokenKind::of(token))))
                    }
                    Err(why) => Err(why),
                };
            }
        }
        if !options.accepts.accepts(TokenKind::SessionToken) {
            return Err(SignedOut::TokenTypeMismatch(None));
        }
        if !options.accept_cookie {
            return Err(SignedOut::NoToken);
        }
        let ((session, client_uat), _) = session_cookies(headers, self.cookie_names);
        // Like Clerk: a missing or unreadable `__client_uat` is 0, and 0 means no active client.
        let client_uat = client_uat.map_or(0, self::client_uat);
        let token = match (session, client_uat != 0) {
            (None, false) => return Err(SignedOut::NoToken),
            (Some(_), false) => return Err(SignedOut::SessionWithoutClientUat),
            (None, true) => return Err(SignedOut::ClientUatWithoutSession),
            (Some(session), true) => token_text(session)?,
        };
        let auth = match self
            .verified(token, TokenSource::Cookie, &options.verify)
            .await
        {
            Ok(auth) => auth,
            // Clerk compares `iat` with `__client_uat` before verifying: a stale token that also
            // fails verification (expired, say) is stale first, unless it is not a session token.
            Err(SignedOut::Token(error)) if error != VerifyError::TypeMismatch => {
                let stale = Peek::of(token.as_bytes())
                    .and_then(|peek| peek.iat)
                    .is_some_and(|iat| iat < client_uat as f64);
                return Err(if stale {
                    SignedOut::StaleToken
                } else {
                    SignedOut::Token(error)
                });
            }
            Err(why) => return Err(why),
        };
        // A token without `iat` cannot be compared, and is not stale (as in Clerk's SDK).
        if auth.claims.issued_at().is_some_and(|iat| iat < client_uat) {
            return Err(SignedOut::StaleToken);
        }
        Ok(RequestState::SignedIn(auth))
    }

    /// The session a request presents, signed in at once when this instance verified its
    /// token before (no waiting): the bearer token, else the session cookie pair, taken as
    /// [`authenticate`](Self::authenticate) takes them. `None` for anything else, which
    /// `authenticate` decides (a cached token that now fails a check included).
    pub(crate) fn cached(
        &self,
        authorization: GetAll<'_, HeaderValue>,
        headers: &HeaderMap,
        options: &AuthenticateOptions,
    ) -> Option<Auth> {
        let mut authorization = authorization.iter();
        if let Some(value) = authorization.next() {
            if authorization.next().is_some() {
                return None;
            }
            if let Some(token) = bearer(value.as_bytes()) {
                return self.cached_token(token, TokenSource::Header, options);
            }
        }
        if !options.accept_cookie {
            return None;
        }
        let ((session, client_uat), _) = session_cookies(headers, self.cookie_names);
        self.cached_cookie(session?, client_uat.map_or(0, self::client_uat), options)
    }

    /// [`cached`](Self::cached) for a session cookie and its `__client_uat` (as read).
    pub(crate) fn cached_cookie(
        &self,
        session: &[u8],
        client_uat: i64,
        options: &AuthenticateOptions,
    ) -> Option<Auth> {
        if client_uat == 0 || !options.accept_cookie {
            return None;
        }
        let auth = self.cached_token(session, TokenSource::Cookie, options)?;
        // Stale (issued before the client's last sign-in): `authenticate` says so.
        if auth.claims.issued_at().is_some_and(|iat| iat < client_uat) {
            return None;
        }
        Some(auth)
    }

    fn cached_token(
        &self,
        token: &[u8],
        source: TokenSource,
        options: &AuthenticateOptions,
    ) -> Option<Auth> {
        if !options.accepts.accepts(TokenKind::SessionToken) {
            return None;
        }
        // The bytes as sent: a token verified before needs no other check (an opaque machine
        // token, with no dot, is never in the session cache: the cache says so at once).
        let verified =
            self.sessions
                .cached_valid(token, &options.verify, crate::verify::now_ms())?;
        Some(Auth::new(verified, source))
    }

    /// Authenticates the session token a [`TokenFallback`](crate::token_fallback::TokenFallback)
    /// found (`None`: its carrier was unusable), as a bearer token is: session tokens only.
    pub(crate) async fn fallback(
        &self,
        token: Option<&str>,
        source: TokenSource,
        options: &VerifyOptions,
    ) -> RequestState {
        // A carrier without one token (a marker last, a repeated parameter): a malformed token.
        let unusable = SignedOut::Token(VerifyError::Malformed(
            "the token fallback holds no single token",
        ));
        let outcome = match token
            .ok_or(unusable)
            .and_then(|token| token_text(token.as_bytes()))
        {
            Ok(token) => self.verified(token, source, options).await,
            Err(why) => Err(why),
        };
        match outcome {
            Ok(auth) => RequestState::SignedIn(auth),
            Err(why) => {
                tracing::debug!(
                    clerk.auth.reason = why.reason(),
                    clerk.auth.token_source = match source {
                        TokenSource::Query => "query",
                        _ => "websocket_protocol",
                    },
                    "request signed out"
                );
                RequestState::SignedOut(why)
            }
        }
    }

    async fn verified(
        &self,
        token: &str,
        source: TokenSource,
        options: &VerifyOptions,
    ) -> Result<Auth, SignedOut> {
        match self.sessions.verify_shared(token, options).await {
            Ok(verified) => Ok(Auth {
                claims: verified.claims,
                token: verified.token,
                source,
            }),
            Err(error) => Err(SignedOut::Token(error)),
        }
    }
}

impl Auth {
    /// The authentication of a verified bearer token.
    fn header(verified: Verified) -> Self {
        Self::new(verified, TokenSource::Header)
    }

    /// The authentication of a verified token from `source`.
    pub(crate) fn new(verified: Verified, source: TokenSource) -> Self {
        Self {
            claims: verified.claims,
            token: verified.token,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer(b"bEaReR   abc  "), Some(&b"abc"[..]));
        assert_eq!(bearer(b"Basic dXNlcjpwYXNz"), None);
        assert_eq!(bearer(b"Bearer"), Some(&b""[..]));
        assert_eq!(bearer(b"Bearerx abc"), None);
        assert_eq!(bearer(b"Bearer "), Some(&b""[..]));
        assert_eq!(bearer(b"\xff\xfe abc"), None);
    }

    fn headers(cookie: &[u8]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.append(
            COOKIE,
            HeaderValue::from_bytes(cookie).expect("valid header bytes"),
        );
        h
    }

    /// An unsigned JWT with this payload: enough for the cookie choice, which reads `iss`, `iat`
    /// and `exp` before any verification.
    fn jwt(payload: &str) -> String {
        use base64::Engine as _;
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload);
        format!("e30.{body}.c2ln")
    }

    fn names(development: bool) -> CookieNames {
        CookieNames {
            suffix: "abc".into(),
            frontend_api: "clerk.example.com".into(),
            development,
        }
    }

    /// The chosen pair as text, for readable assertions.
    fn chosen(cookie: &str, names: Option<&CookieNames>) -> (Option<String>, Option<String>) {
        let h = headers(cookie.as_bytes());
        let ((session, uat), _) = session_cookies(&h, names);
        let text = |v: Option<&[u8]>| v.map(|v| String::from_utf8_lossy(v).into_owned());
        (text(session), text(uat))
    }

    #[test]
    fn cookie_parsing() {
        let pair = |s: &str, u: &str| (Some(s.to_owned()), Some(u.to_owned()));
        assert_eq!(
            chosen("a=1; __session=tok; __client_uat=17", None),
            pair("tok", "17")
        );
        assert_eq!(
            chosen("junk;;=;__session=\"quoted\";=1", None).0,
            Some("quoted".into())
        );
        // Empty values count as absent, the first of a repeated cookie wins.
        assert_eq!(chosen("__session=; __client_uat=", None), (None, None));
        assert_eq!(
            chosen("__session=a; __session=b; __client_uat=1", None),
            pair("a", "1")
        );
    }

    #[test]
    fn one_cookie_pair_is_chosen_whole_as_clerk_does() {
        let mine_old = jwt(r#"{"iss":"https://clerk.example.com","iat":100,"exp":9999999999}"#);
        let mine_new = jwt(r#"{"iss":"https://clerk.example.com","iat":200,"exp":9999999999}"#);
        let other = jwt(r#"{"iss":"https://clerk.other.com","iat":300}"#);
        let no_iss = jwt(r#"{"iat":300}"#);
        let expired = jwt(r#"{"iss":"https://clerk.example.com","iat":1,"exp":2}"#);
        let prod = names(false);
        let dev = names(true);
        let pair = |s: &str, u: &str| (Some(s.to_owned()), Some(u.to_owned()));

        // Only one pair present: that pair; no publishable key: the suffixed cookies are not ours.
        assert_eq!(
            chosen(
                &format!("__session={mine_old}; __client_uat=5"),
                Some(&prod)
            ),
            pair(&mine_old, "5")
        );
        assert_eq!(
            chosen(
                &format!("__session_abc={mine_old}; __client_uat_abc=5"),
                Some(&prod)
            ),
            pair(&mine_old, "5")
        );
        assert_eq!(
            chosen(
                &format!("__session_abc={mine_old}; __client_uat_abc=5"),
                None
            ),
            (None, None)
        );
        // Both pairs signed in: the newer token's pair.
        let both = |session: &str, uat: &str, suffixed: &str, suffixed_uat: &str| {
            format!(
                "__session={session}; __client_uat={uat}; __session_abc={suffixed}; __client_uat_abc={suffixed_uat}"
            )
        };
        assert_eq!(
            chosen(&both(&mine_new, "7", &mine_old, "5"), Some(&prod)),
            pair(&mine_new, "7")
        );
        assert_eq!(
            chosen(&both(&mine_old, "7", &mine_new, "5"), Some(&prod)),
            pair(&mine_new, "5")
        );
        // Another app's token in the unsuffixed cookie always yields to the suffixed pair.
        assert_eq!(
            chosen(&both(&other, "7", &mine_old, "5"), Some(&prod)),
            pair(&mine_old, "5")
        );
        // An unsuffixed token without `iss` is malformed: its pair decides (and signs out).
        assert_eq!(
            chosen(&both(&no_iss, "7", &mine_old, "5"), Some(&prod)),
            pair(&no_iss, "7")
        );
        // The suffixed pair says signed out, the unsuffixed one signed in: unsuffixed.
        assert_eq!(
            chosen(&both(&mine_old, "7", &mine_new, "0"), Some(&prod)),
            pair(&mine_old, "7")
        );
        // A suffixed session without its own client_uat: the unsuffixed pair, never a mix.
        assert_eq!(
            chosen(
                &format!("__session_abc={mine_new}; __client_uat=7"),
                Some(&prod)
            ),
            (None, Some("7".into()))
        );
        // Development only: an expired suffixed token yields to a signed-out unsuffixed pair.
        let downgraded = both(&mine_old, "0", &expired, "5");
        assert_eq!(chosen(&downgraded, Some(&dev)), pair(&mine_old, "0"));
        assert_eq!(chosen(&downgraded, Some(&prod)), pair(&expired, "5"));
    }

    #[test]
    fn client_uat_reads_like_javascript_parse_int() {
        for (value, number) in [
            (&b"1700000000"[..], 1_700_000_000),
            (b"  42", 42),
            (b"17abc", 17),
            (b"+8", 8),
            (b"-5", -5),
            (b"0x1A", 26),
            (b"0", 0),
            (b"", 0),
            (b"garbage", 0),
            (b"\xff", 0),
            (b"99999999999999999999999", i64::MAX),
        ] {
            assert_eq!(client_uat(value), number, "{value:?}");
        }
    }

    #[test]
    fn token_text_rejects_non_ascii_and_huge() {
        assert!(token_text(b"abc.def.ghi").is_ok());
        // Printable ASCII is 0x21..=0x7e, as `u8::is_ascii_graphic`.
        assert!(token_text(b"!a~").is_ok());
        for bad in [&b"a b"[..], b"a\x7fb", b"a\tb", b"a\x00b", b"\x80"] {
            assert!(
                matches!(
                    token_text(bad),
                    Err(SignedOut::Token(VerifyError::Malformed(_)))
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            token_text("abc\u{e9}".as_bytes()),
            Err(SignedOut::Token(VerifyError::Malformed(_)))
        ));
        assert!(matches!(
            token_text(&vec![b'a'; MAX_TOKEN_BYTES + 1]),
            Err(SignedOut::Token(VerifyError::TooLarge { .. }))
        ));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// A cookie pair that is not Clerk's: a name and value of cookie-safe characters.
    fn other() -> impl Strategy<Value = String> {
        ("[a-zA-Z0-9_-]{1,12}", "[a-zA-Z0-9_.!~*-]{0,24}")
            .prop_filter("not Clerk's", |(name, _)| {
                !name.starts_with("__session") && !name.starts_with("__client_uat")
            })
            .prop_map(|(name, value)| format!("{name}={value}"))
    }

    proptest! {
        /// The session cookie and `__client_uat` are found wherever they stand among other
        /// cookies, in one `Cookie` header or spread over several, with any spacing.
        #[test]
        fn the_session_cookie_is_found_wherever_it_stands(
            before in proptest::collection::vec(other(), 0..6),
            between in proptest::collection::vec(other(), 0..6),
            after in proptest::collection::vec(other(), 0..6),
            token in "[A-Za-z0-9_-]{1,40}",
            uat in 1u32..,
            spaces in 0usize..3,
            split in any::<bool>(),
        ) {
            let session = format!("__session={token}");
            let client = format!("__client_uat={uat}");
            let all: Vec<String> = before.into_iter().chain([session]).chain(between)
                .chain([client]).chain(after).collect();
            let separator = format!(";{}", " ".repeat(spaces));
            let mut headers = HeaderMap::new();
            if split {
                for pair in &all {
                    headers.append(COOKIE, HeaderValue::from_str(pair).expect("cookie-safe"));
                }
            } else {
                let value = HeaderValue::from_str(&all.join(&separator)).expect("cookie-safe");
                headers.append(COOKIE, value);
            }
            let ((found, found_uat), _) = session_cookies(&headers, None);
            prop_assert_eq!(found, Some(token.as_bytes()));
            let expected_uat = uat.to_string();
            prop_assert_eq!(found_uat, Some(expected_uat.as_bytes()));
        }
    }
}
