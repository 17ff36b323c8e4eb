//! Request authentication: find the session token in a request's headers, verify it, and say
//! whether the request is signed in.
//!
//! Token sources, in order:
//! 1. `Authorization: Bearer <token>` (scheme case-insensitive). Another scheme (`Basic …`) is not
//!    a Clerk token and does not block the cookie.
//! 2. The `__session` cookie (or `__session_<suffix>` on domains shared by several apps), with
//!    `__client_uat`: `0` means the client signed out; a token issued before it is stale. A
//!    request without `__client_uat` is judged on its token alone.
//!
//! Nothing here panics on hostile input: non-UTF-8 bytes, duplicate or enormous headers all end
//! as [`RequestState::SignedOut`] with a reason.

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};

use crate::Clerk;
use crate::claims::{Has, SessionClaims};
use crate::error::VerifyError;
use crate::verify::{MAX_TOKEN_BYTES, VerifyOptions};

/// The outcome of [`Clerk::authenticate`].
#[derive(Debug, Clone)]
pub enum RequestState {
    /// A valid session token was found.
    SignedIn(Auth),
    /// No valid session token; the reason says why.
    SignedOut(SignedOut),
}

impl RequestState {
    /// The authentication, when signed in.
    pub fn auth(&self) -> Option<&Auth> {
        match self {
            Self::SignedIn(auth) => Some(auth),
            Self::SignedOut(_) => None,
        }
    }

    /// Whether the request is signed in.
    pub fn is_signed_in(&self) -> bool {
        matches!(self, Self::SignedIn(_))
    }
}

/// Where the token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// The `Authorization: Bearer` header.
    Header,
    /// The `__session` cookie.
    Cookie,
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
    /// The session cookie is present but `__client_uat` is `0`: the client signed out.
    ClientSignedOut,
    /// The session cookie was issued before the client's last update (`__client_uat`); the
    /// browser must refresh it (Clerk's frontend does so by itself).
    StaleToken,
    /// A token was found but failed verification.
    Token(VerifyError),
}

impl SignedOut {
    /// The reason name, as Clerk's SDKs spell it.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NoToken => "session-token-and-uat-missing",
            Self::InvalidHeader => "authorization-header-invalid",
            Self::ClientSignedOut => "session-token-but-no-client-uat",
            Self::StaleToken => "session-token-iat-before-client-uat",
            Self::Token(error) => error.reason(),
        }
    }

    /// Whether a token was presented at all (an absent token is a 401 without an error code).
    pub fn token_presented(&self) -> bool {
        !matches!(self, Self::NoToken)
    }

    /// Whether the browser should refresh its cookies before retrying (Clerk's "handshake").
    pub fn handshake_needed(&self) -> bool {
        matches!(self, Self::ClientSignedOut | Self::StaleToken)
            || matches!(self, Self::Token(VerifyError::Expired))
    }

    /// Whether the server, not the request, is at fault (keys could not be loaded): answer 503.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Token(error) if error.is_unavailable())
    }
}

impl fmt::Display for SignedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoToken => f.write_str("no session token in the request"),
            Self::InvalidHeader => f.write_str("the Authorization header is not usable"),
            Self::ClientSignedOut => f.write_str("the client has signed out"),
            Self::StaleToken => f.write_str("the session cookie is older than the client state"),
            Self::Token(error) => fmt::Display::fmt(error, f),
        }
    }
}

/// Options of [`Clerk::authenticate_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticateOptions {
    /// Verification options (authorized parties, pending sessions).
    pub verify: VerifyOptions,
    /// Whether the `__session` cookie is accepted (default yes). APIs called only with bearer
    /// tokens can turn it off.
    pub accept_cookie: bool,
}

impl AuthenticateOptions {
    /// The options of a client: its verification defaults, cookies accepted.
    pub fn new(clerk: &Clerk) -> Self {
        Self {
            verify: clerk.verify_options(),
            accept_cookie: true,
        }
    }
}

/// The bearer token of an `Authorization` header value, if its scheme is Bearer (empty for a bare
/// `Bearer`: HTTP strips the trailing space of `Bearer `).
fn bearer(value: &[u8]) -> Option<&[u8]> {
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
fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&[u8], &[u8])> {
    headers.get_all(COOKIE).iter().flat_map(|value| {
        value.as_bytes().split(|&b| b == b';').filter_map(|pair| {
            let pair = pair.trim_ascii();
            let eq = pair.iter().position(|&b| b == b'=')?;
            let (name, value) = (&pair[..eq], pair[eq + 1..].trim_ascii());
            let value = value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value);
            Some((name.trim_ascii(), value))
        })
    })
}

/// The session cookie and client-uat cookie values, preferring the suffixed pair.
fn session_cookies<'a>(
    headers: &'a HeaderMap,
    suffix: Option<&str>,
) -> (Option<&'a [u8]>, Option<&'a [u8]>) {
    let (mut session, mut uat) = (None, None);
    let (mut suffixed_session, mut suffixed_uat) = (None, None);
    let mut other_suffix: Option<(&[u8], &[u8])> = None;
    for (name, value) in cookies(headers) {
        match name {
            b"__session" => session = session.or(Some(value)),
            b"__client_uat" => uat = uat.or(Some(value)),
            _ => {
                if let Some(rest) = name.strip_prefix(b"__session_") {
                    if suffix.is_some_and(|s| s.as_bytes() == rest) {
                        suffixed_session = suffixed_session.or(Some(value));
                    } else if other_suffix.is_none() {
                        other_suffix = Some((rest, value));
                    }
                } else if let Some(rest) = name.strip_prefix(b"__client_uat_")
                    && suffix.is_some_and(|s| s.as_bytes() == rest)
                {
                    suffixed_uat = suffixed_uat.or(Some(value));
                }
            }
        }
    }
    if suffixed_session.is_some() {
        return (suffixed_session, suffixed_uat.or(uat));
    }
    if session.is_some() {
        return (session, uat);
    }
    // Without a publishable key the suffix is unknown: take the one suffixed cookie present,
    // with its own `__client_uat_<suffix>`.
    if suffix.is_none()
        && let Some((found, value)) = other_suffix
    {
        let uat = cookies(headers)
            .find(|(name, _)| name.strip_prefix(b"__client_uat_") == Some(found))
            .map(|(_, v)| v);
        return (Some(value), uat);
    }
    (None, uat)
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

impl Clerk {
    /// Authenticates a request from its headers with this client's default options.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_core::Clerk, headers: http::HeaderMap) {
    /// use clerk_core::RequestState;
    /// match clerk.authenticate(&headers).await {
    ///     RequestState::SignedIn(auth) => println!("user {}", auth.user_id()),
    ///     RequestState::SignedOut(why) => println!("signed out: {}", why.reason()),
    /// }
    /// # }
    /// ```
    pub async fn authenticate(&self, headers: &HeaderMap) -> RequestState {
        self.authenticate_with(headers, &AuthenticateOptions::new(self))
            .await
    }

    /// Authenticates a request from its headers.
    pub async fn authenticate_with(
        &self,
        headers: &HeaderMap,
        options: &AuthenticateOptions,
    ) -> RequestState {
        match self.find_and_verify(headers, options).await {
            Ok(auth) => RequestState::SignedIn(auth),
            Err(why) => RequestState::SignedOut(why),
        }
    }

    async fn find_and_verify(
        &self,
        headers: &HeaderMap,
        options: &AuthenticateOptions,
    ) -> Result<Auth, SignedOut> {
        let mut authorization = headers.get_all(AUTHORIZATION).iter();
        if let Some(value) = authorization.next() {
            if authorization.next().is_some() {
                return Err(SignedOut::InvalidHeader);
            }
            if let Some(token) = bearer(value.as_bytes()) {
                let token = token_text(token)?;
                return self
                    .verified(token, TokenSource::Header, &options.verify)
                    .await;
            }
        }
        if !options.accept_cookie {
            return Err(SignedOut::NoToken);
        }
        let (session, client_uat) = session_cookies(headers, self.inner.cookie_suffix.as_deref());
        // Clerk clears the cookie to an empty value on sign-out.
        let Some(session) = session.filter(|s| !s.is_empty()) else {
            return Err(SignedOut::NoToken);
        };
        // Like Clerk: a value that is not a number counts as 0.
        let client_uat = client_uat.map(|v| {
            std::str::from_utf8(v)
                .ok()
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(0)
        });
        if client_uat.is_some_and(|uat| uat <= 0) {
            return Err(SignedOut::ClientSignedOut);
        }
        let token = token_text(session)?;
        let auth = self
            .verified(token, TokenSource::Cookie, &options.verify)
            .await?;
        if client_uat.is_some_and(|uat| auth.claims.issued_at() < uat) {
            return Err(SignedOut::StaleToken);
        }
        Ok(auth)
    }

    async fn verified(
        &self,
        token: &str,
        source: TokenSource,
        options: &VerifyOptions,
    ) -> Result<Auth, SignedOut> {
        match self.verify_shared(token, options).await {
            Ok(verified) => Ok(Auth {
                claims: verified.claims,
                token: verified.token,
                source,
            }),
            Err(error) => Err(SignedOut::Token(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

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

    #[test]
    fn cookie_parsing() {
        let h = headers(b"a=1; __session=tok; __client_uat=17");
        assert_eq!(
            session_cookies(&h, None),
            (Some(&b"tok"[..]), Some(&b"17"[..]))
        );
        let h =
            headers(b"__session=plain; __session_abc=suffixed; __client_uat_abc=5; __client_uat=3");
        assert_eq!(
            session_cookies(&h, Some("abc")),
            (Some(&b"suffixed"[..]), Some(&b"5"[..]))
        );
        assert_eq!(
            session_cookies(&h, None),
            (Some(&b"plain"[..]), Some(&b"3"[..]))
        );
        let h = headers(b"__session_zzz=only; __client_uat_zzz=9");
        assert_eq!(
            session_cookies(&h, None),
            (Some(&b"only"[..]), Some(&b"9"[..]))
        );
        assert_eq!(session_cookies(&h, Some("abc")), (None, None));
        let h = headers(b"junk;;=;__session=\"quoted\";\xff\xfe=1");
        assert_eq!(session_cookies(&h, None).0, Some(&b"quoted"[..]));
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
