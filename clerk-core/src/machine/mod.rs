//! Machine tokens: which kind of token a request carries.
//!
//! Clerk issues four kinds of bearer tokens: session tokens (people, through Clerk's frontend),
//! API keys (`ak_…`, which users create for their own scripts), machine-to-machine tokens
//! (`mt_…` opaque, or JWTs whose `sub` is a machine `mch_…`) and OAuth access tokens (`oat_…`
//! opaque, or JWTs whose header `typ` is `at+jwt`), issued by Clerk as an identity provider.
//! [`TokenKind::of`] tells them apart exactly as Clerk's own SDKs do, in the same order: M2M,
//! then OAuth, then API key; anything else is a session token. It looks at the token's form
//! only: nothing is verified here.
//!
//! Which kinds a route takes is the app's choice ([`Accepts`]): by default session tokens only,
//! as in Clerk's SDKs.
//!
//! ```
//! use clerk_core::machine::{Accepts, TokenKind};
//!
//! assert_eq!(TokenKind::of("ak_2x8…"), TokenKind::ApiKey);
//! assert_eq!(TokenKind::of("mt_9f…"), TokenKind::M2mToken);
//! assert_eq!(TokenKind::of("eyJhbGciOiJSUzI1NiJ9.e30.sig"), TokenKind::SessionToken);
//! assert!(!Accepts::default().accepts(TokenKind::ApiKey));
//! assert!(Accepts::kinds([TokenKind::SessionToken, TokenKind::ApiKey]).accepts(TokenKind::ApiKey));
//! ```
//!
//! # Verification
//!
//! [`Clerk::verify_machine_token`](crate::Clerk::verify_machine_token) verifies a machine token
//! of any kind into a [`MachineAuth`]:
//!
//! - **JWT forms** (M2M JWTs, OAuth JWT access tokens) are verified locally with the instance's
//!   keys, as session tokens are (RS256/384/512, `exp`/`nbf`/`iat` within the clock skew). An
//!   M2M JWT's header `cat` must be [`M2M_TOKEN_CATEGORY`] or absent (Clerk's rollout); an
//!   OAuth JWT's `typ` must be `at+jwt` or `application/at+jwt`. No Backend API call; a JWT
//!   cannot be revoked and lives until its `exp`.
//! - **Opaque tokens** (`ak_`, `mt_`, `oat_`) are verified by the Backend API:
//!   `POST /api_keys/verify`, `POST /m2m_tokens/verify`,
//!   `POST /oauth_applications/access_tokens/verify` ([`VERIFY_PATHS`]). These are called at the
//!   API root, without the `/v1` of the spec's server URL, as Clerk's JS and Python SDKs call
//!   them (Clerk serves these machine endpoints unversioned; the version travels in the
//!   `Clerk-API-Version` header). The generated client (`clerk.api_keys().verify()`, …) keeps
//!   the spec's `/v1` path. A 200 answer that says `revoked`, `expired` (or `active: false`), or
//!   whose `expiration` has passed, is refused: stricter than Clerk's SDKs, which trust the
//!   answer's status alone.
//!
//! Verdicts are cached per instance ([`ClerkBuilder::machine_token_cache_ttl`], default
//! [`DEFAULT_VERDICT_TTL`], 10 s; 0 disables), keyed by the token's SHA-256: a valid token is
//! not asked about (or, for a JWT form, checked) again for that long, and never past its
//! expiration; concurrent verifications of one token share one Backend API call; a token Clerk
//! does not know (404) is remembered as unknown for [`UNKNOWN_TOKEN_TTL`] (or the TTL, if
//! shorter); other failures are not cached. **The trade-off:** an opaque token revoked in Clerk
//! keeps working on an instance that verified it within the last TTL, for at most that long.
//! Set the TTL to 0 where a revocation must take effect at once (every request then costs a
//! Backend API call, which Clerk bills).
//!
//! A Backend API that cannot be reached, answers 429 or 5xx, or does not answer within
//! [`VERIFY_TIMEOUT`] is [`MachineError::Unavailable`]: the request is answered 503, not 401,
//! so that callers retry rather than drop their credentials.
//!
//! **Limits on what the Backend API is asked.** A route that accepts opaque tokens would
//! otherwise turn every request with a made-up `ak_…` into a Backend API call, and a flood of
//! them could use up the instance's rate limit (then real machine clients and `ClerkUser`
//! lookups get 503s). So, before any call:
//! - a token whose shape cannot be Clerk's is refused (`token-invalid`): after its prefix, 8 to
//!   128 characters of `[A-Za-z0-9_]`. Clerk's tokens are base62 after the prefix: Clerk's own
//!   SDK tests use `mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE` and
//!   `ak_ey966f1b1xf93586b2debdcadb0b3bd1` (32), `oat_8XOIucKvqHVr5tYP123456789abcdefghij`
//!   (36) and `oat_2VTWUzvGC5UhdJCNx6xG1D98edc` (27) (`@clerk/backend`'s `__tests__`), and
//!   Clerk's docs show `ak_live_123` / `ak_test_xxx`; LocalClerk's are 40. The bounds keep
//!   every one of those and refuse dots, spaces, `%`, padding and kilobyte-long garbage;
//! - at most [`ClerkBuilder::machine_verify_concurrency`] verify calls are in flight per
//!   `Clerk` (default [`DEFAULT_VERIFY_CONCURRENCY`]); over it, the request is answered 503 at
//!   once, without queueing;
//! - after a 429 from a verify endpoint, no verify call is made until its `Retry-After` (or 1
//!   s) has passed: those requests are answered 503 at once.
//!
//! Tokens whose verdict is cached (a real client's) are not affected by either limit.
//!
//! [`ClerkBuilder::machine_token_cache_ttl`]: crate::ClerkBuilder::machine_token_cache_ttl
//! [`ClerkBuilder::machine_verify_concurrency`]: crate::ClerkBuilder::machine_verify_concurrency

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::VerifyError;

mod outgoing;
mod verify;

pub use outgoing::{DEFAULT_REFRESH_MARGIN, M2mTokenSource, OutgoingError};
pub(crate) use verify::MachineVerifier;

/// The header `cat` of Clerk's M2M JWTs.
pub const M2M_TOKEN_CATEGORY: &str = "cl_B7d4PD333AAA";

/// Where the Backend API verifies each kind of opaque token, relative to the API root (no
/// `/v1`, as Clerk's SDKs call them), and the JSON field that carries the token.
pub const VERIFY_PATHS: [(TokenKind, &str, &str); 3] = [
    (TokenKind::ApiKey, "/api_keys/verify", "secret"),
    (TokenKind::M2mToken, "/m2m_tokens/verify", "token"),
    (
        TokenKind::OAuthToken,
        "/oauth_applications/access_tokens/verify",
        "access_token",
    ),
];

/// How long a verdict of an opaque token is kept by default.
pub const DEFAULT_VERDICT_TTL: Duration = Duration::from_secs(10);

/// How long a token the Backend API does not know (404) is remembered as unknown (never longer
/// than the verdict TTL).
pub const UNKNOWN_TOKEN_TTL: Duration = Duration::from_secs(5);

/// The longest a Backend API verification may take, retries included (at most two attempts);
/// past it the token is [`MachineError::Unavailable`].
pub const VERIFY_TIMEOUT: Duration = Duration::from_secs(5);

/// How many Backend API verify calls one [`Clerk`](crate::Clerk) makes at once by default
/// (see [`ClerkBuilder::machine_verify_concurrency`](crate::ClerkBuilder::machine_verify_concurrency)).
pub const DEFAULT_VERIFY_CONCURRENCY: usize = 16;

/// How long verify calls stop after a 429 that says nothing of when to come back.
pub(crate) const DEFAULT_RATE_LIMIT_PAUSE: Duration = Duration::from_secs(1);

/// Whether an opaque token (its prefix already recognized) has the shape of Clerk's: 8 to 128
/// characters of `[A-Za-z0-9_]` after the prefix (see the module documentation).
pub(crate) fn has_opaque_shape(kind: TokenKind, token: &str) -> bool {
    let prefix = match kind {
        TokenKind::ApiKey => API_KEY_PREFIX,
        TokenKind::M2mToken => M2M_TOKEN_PREFIX,
        TokenKind::OAuthToken => OAUTH_TOKEN_PREFIX,
        TokenKind::SessionToken => return false,
    };
    token.strip_prefix(prefix).is_some_and(|secret| {
        (8..=128).contains(&secret.len())
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// The most attempts a Backend API verification makes (fewer when the client's
/// [`RetryPolicy`](crate::api::RetryPolicy) allows fewer): as a user lookup on the request path.
pub(crate) const VERIFY_MAX_ATTEMPTS: u32 = 2;

/// The prefix of an opaque M2M token.
pub const M2M_TOKEN_PREFIX: &str = "mt_";
/// The prefix of a machine id, the `sub` of an M2M JWT.
pub const M2M_SUBJECT_PREFIX: &str = "mch_";
/// The prefix of an opaque OAuth access token.
pub const OAUTH_TOKEN_PREFIX: &str = "oat_";
/// The prefix of an API key.
pub const API_KEY_PREFIX: &str = "ak_";
/// The header `typ` values of an OAuth 2.0 JWT access token (RFC 9068, section 2.1).
pub const OAUTH_ACCESS_TOKEN_TYPES: [&str; 2] = ["at+jwt", "application/at+jwt"];

/// The kind of a bearer token, by its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// A session token: a person signed in through Clerk's frontend.
    SessionToken,
    /// An API key (`ak_…`).
    ApiKey,
    /// A machine-to-machine token: opaque (`mt_…`) or a JWT whose `sub` is a machine.
    M2mToken,
    /// An OAuth access token: opaque (`oat_…`) or a JWT with header `typ: at+jwt`.
    OAuthToken,
}

impl TokenKind {
    /// Every kind.
    pub const ALL: [TokenKind; 4] = [
        TokenKind::SessionToken,
        TokenKind::ApiKey,
        TokenKind::M2mToken,
        TokenKind::OAuthToken,
    ];

    /// The kind of `token`, by its form, as Clerk's SDKs decide it: M2M (prefix `mt_`, or a
    /// JWT whose `sub` starts `mch_`), then OAuth (prefix `oat_`, or a JWT whose header `typ`
    /// is `at+jwt` or `application/at+jwt`), then API key (prefix `ak_`); anything else,
    /// malformed tokens included, is a session token (and fails its verification as one).
    pub fn of(token: &str) -> Self {
        // One decode of the header and payload, only for a JWT's form (a session token's path).
        let peek = || {
            has_jwt_form(token)
                .then(|| JwtPeek::of(token))
                .flatten()
                .unwrap_or_default()
        };
        if token.starts_with(M2M_TOKEN_PREFIX) {
            return Self::M2mToken;
        }
        let peek = peek();
        if peek.machine_subject {
            Self::M2mToken
        } else if token.starts_with(OAUTH_TOKEN_PREFIX) || peek.oauth_type {
            Self::OAuthToken
        } else if token.starts_with(API_KEY_PREFIX) {
            Self::ApiKey
        } else {
            Self::SessionToken
        }
    }

    /// The kind of an opaque machine token, by its prefix alone (`mt_`, `oat_`, `ak_`).
    pub(crate) fn of_prefix(token: &str) -> Option<Self> {
        [
            (M2M_TOKEN_PREFIX, Self::M2mToken),
            (OAUTH_TOKEN_PREFIX, Self::OAuthToken),
            (API_KEY_PREFIX, Self::ApiKey),
        ]
        .into_iter()
        .find_map(|(prefix, kind)| token.starts_with(prefix).then_some(kind))
    }

    /// Clerk's name of the kind: `session_token`, `api_key`, `m2m_token` or `oauth_token`.
    pub fn name(self) -> &'static str {
        match self {
            Self::SessionToken => "session_token",
            Self::ApiKey => "api_key",
            Self::M2mToken => "m2m_token",
            Self::OAuthToken => "oauth_token",
        }
    }

    /// Whether it is a machine's token (anything but a session token).
    pub fn is_machine(self) -> bool {
        self != Self::SessionToken
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The token kinds a route accepts. The default is session tokens only, as in Clerk's SDKs: a
/// token of another kind is refused (signed out with `token-type-mismatch`) before any
/// verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Accepts(u8);

impl Default for Accepts {
    fn default() -> Self {
        Self::kinds([TokenKind::SessionToken])
    }
}

impl Accepts {
    /// These kinds only.
    pub fn kinds(kinds: impl IntoIterator<Item = TokenKind>) -> Self {
        Self(kinds.into_iter().fold(0, |bits, kind| bits | kind.bit()))
    }

    /// Every kind.
    pub fn any() -> Self {
        Self::kinds(TokenKind::ALL)
    }

    /// Every machine kind: API keys, M2M tokens, OAuth access tokens (no session tokens).
    pub fn machines() -> Self {
        Self::kinds([
            TokenKind::ApiKey,
            TokenKind::M2mToken,
            TokenKind::OAuthToken,
        ])
    }

    /// The kinds accepted, in [`TokenKind::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = TokenKind> {
        TokenKind::ALL
            .into_iter()
            .filter(move |&kind| self.accepts(kind))
    }

    /// Whether a token of `kind` is accepted.
    pub fn accepts(self, kind: TokenKind) -> bool {
        self.0 & kind.bit() != 0
    }
}

/// A verified machine token: who presented it and what it may do. Cheap to clone.
///
/// Which ids it has depends on its kind and subject, as in Clerk's SDKs: an API key's subject
/// is a user, an organization or a machine; an M2M token's is the machine that holds it; an
/// OAuth access token's is the user who granted it to an OAuth application
/// ([`client_id`](Self::client_id)).
#[derive(Clone)]
pub struct MachineAuth(Arc<Identity>);

struct Identity {
    kind: TokenKind,
    id: String,
    subject: String,
    scopes: Vec<String>,
    /// Whether Clerk vouches for the scopes (not an M2M JWT's self-chosen claim).
    scopes_granted: bool,
    claims: Option<serde_json::Map<String, serde_json::Value>>,
    name: Option<String>,
    client_id: Option<String>,
    expires_at_ms: Option<i64>,
    token: Arc<str>,
}

impl MachineAuth {
    /// The token's kind (never [`TokenKind::SessionToken`]).
    pub fn kind(&self) -> TokenKind {
        self.0.kind
    }

    /// The token's id: `ak_…` for an API key, `mt_…` for an M2M token (a JWT's `jti`), `oat_…`
    /// for an OAuth access token (a JWT's `jti`, empty if it has none).
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// Whom the token stands for: `user_…`, `org_…` or `mch_…`.
    pub fn subject(&self) -> &str {
        &self.0.subject
    }

    /// The token's scopes, as Clerk's SDKs report them: an API key's, an OAuth token's, an
    /// opaque M2M token's (the ids of the machines it may reach), or an M2M JWT's `scopes`
    /// (else `aud`) claim, which its machine chose (see [`has_scope`](Self::has_scope)).
    pub fn scopes(&self) -> &[String] {
        &self.0.scopes
    }

    /// Whether Clerk granted `scope`: the machine counterpart of a session's `has()`, what
    /// `require_scope` checks.
    ///
    /// Always `false` for an M2M token in JWT form: its `scopes` (or `aud`) claim is a custom
    /// claim the calling machine chose when it asked for the token (Clerk neither sets nor
    /// checks it), so it grants nothing here, though [`scopes`](Self::scopes) lists it as
    /// Clerk's SDKs do. Stricter than Clerk's SDKs on purpose (see the README): use opaque M2M
    /// tokens (whose scopes the Backend API reports) where scopes decide access.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.0.scopes_granted && self.0.scopes.iter().any(|granted| granted == scope)
    }

    /// Whether every one of `scopes` is granted (fails closed: asking nothing denies).
    pub fn has_scopes<'s>(&self, scopes: impl IntoIterator<Item = &'s str>) -> bool {
        let mut asked = false;
        let all = scopes.into_iter().all(|scope| {
            asked = true;
            self.has_scope(scope)
        });
        asked && all
    }

    /// Custom claims: an API key's or M2M token's `claims`, or an M2M JWT's claims other than
    /// `iss`, `sub`, `exp`, `nbf`, `iat` and `jti`.
    pub fn claims(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.0.claims.as_ref()
    }

    /// An API key's name.
    pub fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    /// The OAuth application an OAuth access token was issued to.
    pub fn client_id(&self) -> Option<&str> {
        self.0.client_id.as_deref()
    }

    fn subject_with(&self, prefix: &str) -> Option<&str> {
        Some(self.subject()).filter(|subject| subject.starts_with(prefix))
    }

    /// The user the token stands for (an API key of a user, an OAuth access token).
    pub fn user_id(&self) -> Option<&str> {
        self.subject_with("user_")
    }

    /// The organization an API key belongs to.
    pub fn org_id(&self) -> Option<&str> {
        self.subject_with("org_")
    }

    /// The machine (`mch_…`) an M2M token (or a machine's API key) belongs to.
    pub fn machine_id(&self) -> Option<&str> {
        self.subject_with(M2M_SUBJECT_PREFIX)
    }

    /// When the token expires, if it does.
    pub fn expires_at(&self) -> Option<SystemTime> {
        let ms = u64::try_from(self.0.expires_at_ms?).ok()?;
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(ms))
    }

    /// The raw token, to forward.
    pub fn token(&self) -> &str {
        &self.0.token
    }

    pub(crate) fn expires_at_ms(&self) -> Option<i64> {
        self.0.expires_at_ms
    }
}

impl fmt::Debug for MachineAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MachineAuth")
            .field("kind", &self.0.kind)
            .field("id", &self.0.id)
            .field("subject", &self.0.subject)
            .field("scopes", &self.0.scopes)
            .field("name", &self.0.name)
            .field("client_id", &self.0.client_id)
            .field("expires_at_ms", &self.0.expires_at_ms)
            .field("token", &"(redacted)")
            .finish_non_exhaustive()
    }
}

/// Why a machine token did not verify. [`reason`](Self::reason) gives Clerk's reason name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MachineError {
    /// The Backend API does not know the token (404).
    #[error("Clerk does not know this token")]
    NotFound,
    /// The token was revoked.
    #[error("the token was revoked")]
    Revoked,
    /// The token has expired (or Clerk answered `active: false`).
    #[error("the token has expired")]
    Expired,
    /// A JWT form that does not verify: signature, key, `exp`/`nbf`/`iat`, or its `cat`/`typ`
    /// header ([`VerifyError::TypeMismatch`]).
    #[error("the token does not verify: {0}")]
    Invalid(VerifyError),
    /// The Backend API refused the secret key (401 or 403): the server's configuration is wrong.
    /// Answered 503 `token_verification_unavailable` (the reason stays `secret-key-invalid`):
    /// the client's token may be fine.
    #[error("the Backend API refused the secret key")]
    SecretKeyInvalid,
    /// The Backend API could not be reached, answered 429 or 5xx, or did not answer within
    /// [`VERIFY_TIMEOUT`]: try again later.
    #[error("the Backend API is unavailable: {0}")]
    Unavailable(String),
    /// The Backend API answered in an unexpected way (another status, or a body that does not
    /// decode).
    #[error("the Backend API answered unexpectedly: {0}")]
    Unexpected(String),
}

impl MachineError {
    /// The reason name, as Clerk's SDKs spell it: `token-invalid` (unknown, revoked, expired,
    /// or a JWT of another category), `token-verification-failed` (a JWT form that does not
    /// verify), `secret-key-invalid`, `unexpected-error`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotFound | Self::Revoked | Self::Expired => "token-invalid",
            Self::Invalid(VerifyError::TypeMismatch) => "token-invalid",
            Self::Invalid(error) if error.is_unavailable() => error.reason(),
            Self::Invalid(_) => "token-verification-failed",
            Self::SecretKeyInvalid => "secret-key-invalid",
            Self::Unavailable(_) | Self::Unexpected(_) => "unexpected-error",
        }
    }

    /// Whether the failure is on the server's side (Backend API or signing keys unavailable,
    /// no key configured): answer 503, not 401.
    pub fn is_unavailable(&self) -> bool {
        match self {
            // The server's own secret key refused is its configuration's fault, not the
            // client's token's: a 401 would tell the client to drop a valid credential.
            Self::Unavailable(_) | Self::SecretKeyInvalid => true,
            Self::Invalid(error) => error.is_unavailable(),
            _ => false,
        }
    }
}

/// Whether `token` has a JWT's form: three non-empty base64url parts of `[A-Za-z0-9_-]`, as
/// Clerk's `JwtFormatRegExp`.
pub(crate) fn has_jwt_form(token: &str) -> bool {
    let base64url = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let mut parts = token.split('.');
    (0..3).all(|_| parts.next().is_some_and(base64url)) && parts.next().is_none()
}

/// What telling the kinds apart reads of a JWT: whether its `sub` is a machine's, and whether
/// its header `typ` is an OAuth access token's.
#[derive(Default)]
struct JwtPeek {
    machine_subject: bool,
    oauth_type: bool,
}

/// The `sub` of a payload.
#[derive(serde::Deserialize)]
struct Sub {
    #[serde(default)]
    sub: Option<serde_json::Value>,
}

/// The `typ` of a header.
#[derive(serde::Deserialize)]
struct Typ {
    #[serde(default)]
    typ: Option<serde_json::Value>,
}

/// The string a part's field holds: `Some(None)` when the part is JSON without it (or not an
/// object, whose properties JavaScript reads as absent), `None` when the part is not JSON.
fn field<T: serde::de::DeserializeOwned>(
    part: &str,
    get: fn(T) -> Option<serde_json::Value>,
) -> Option<Option<String>> {
    let json = URL_SAFE_NO_PAD.decode(part).ok()?;
    match serde_json::from_slice::<T>(&json) {
        Ok(fields) => Some(get(fields).and_then(|v| v.as_str().map(str::to_owned))),
        Err(_) => serde_json::from_slice::<serde::de::IgnoredAny>(&json)
            .ok()
            .map(|_| None),
    }
}

impl JwtPeek {
    /// The peek of a JWT's form whose header and payload both decode to JSON (as Clerk's
    /// `decodeJwt`); `None` otherwise.
    fn of(token: &str) -> Option<Self> {
        let mut parts = token.split('.');
        let (header, payload) = (parts.next()?, parts.next()?);
        let sub = field::<Sub>(payload, |p| p.sub)?;
        let typ = field::<Typ>(header, |h| h.typ)?;
        Some(Self {
            machine_subject: sub.is_some_and(|sub| sub.starts_with(M2M_SUBJECT_PREFIX)),
            oauth_type: typ.is_some_and(|typ| OAUTH_ACCESS_TOKEN_TYPES.contains(&typ.as_str())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(header: &str, payload: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn kinds_are_told_apart_in_clerks_order() {
        let m2m_jwt = jwt(r#"{"alg":"RS256"}"#, r#"{"sub":"mch_1","jti":"mt_1"}"#);
        let oauth_jwt = jwt(r#"{"alg":"RS256","typ":"at+jwt"}"#, r#"{"sub":"user_1"}"#);
        let oauth_media = jwt(
            r#"{"alg":"RS256","typ":"application/at+jwt"}"#,
            r#"{"sub":"user_1"}"#,
        );
        // Both an M2M subject and an OAuth typ: M2M wins, as in Clerk's SDK.
        let both = jwt(r#"{"typ":"at+jwt"}"#, r#"{"sub":"mch_1"}"#);
        let session = jwt(r#"{"alg":"RS256","typ":"JWT"}"#, r#"{"sub":"user_1"}"#);
        let cases = [
            ("mt_abc", TokenKind::M2mToken),
            (m2m_jwt.as_str(), TokenKind::M2mToken),
            (both.as_str(), TokenKind::M2mToken),
            ("oat_abc", TokenKind::OAuthToken),
            (oauth_jwt.as_str(), TokenKind::OAuthToken),
            (oauth_media.as_str(), TokenKind::OAuthToken),
            ("ak_abc", TokenKind::ApiKey),
            (session.as_str(), TokenKind::SessionToken),
            ("", TokenKind::SessionToken),
            ("not-a-token", TokenKind::SessionToken),
            ("AK_abc", TokenKind::SessionToken),
        ];
        for (token, kind) in cases {
            assert_eq!(TokenKind::of(token), kind, "{token}");
        }
    }

    #[test]
    fn only_a_jwts_exact_form_is_read() {
        let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"mch_1"}"#);
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#);
        for token in [
            format!("{header}.{payload}"),
            format!("{header}.{payload}.sig.extra"),
            format!("{header}.{payload}."),
            format!("{header}.{payload}.si+g"),
            format!("{header}=.{payload}.sig"),
            format!("{header}.{}.sig", URL_SAFE_NO_PAD.encode("not json")),
            format!("{header}.{}.sig", URL_SAFE_NO_PAD.encode(r#"{"sub":7}"#)),
            format!(
                "{header}.{}.sig",
                URL_SAFE_NO_PAD.encode(r#"{"sub":"user_1"}"#)
            ),
        ] {
            assert_eq!(TokenKind::of(&token), TokenKind::SessionToken, "{token}");
        }
    }

    #[test]
    fn names_and_accepted_kinds() {
        let names: Vec<_> = TokenKind::ALL.iter().map(|kind| kind.name()).collect();
        assert_eq!(
            names,
            ["session_token", "api_key", "m2m_token", "oauth_token"]
        );
        assert!(!TokenKind::SessionToken.is_machine());
        assert!(TokenKind::ApiKey.is_machine());
        let default = Accepts::default();
        assert!(default.accepts(TokenKind::SessionToken));
        assert!(TokenKind::ALL[1..].iter().all(|&k| !default.accepts(k)));
        assert!(TokenKind::ALL.iter().all(|&k| Accepts::any().accepts(k)));
        let machines = Accepts::kinds([TokenKind::M2mToken, TokenKind::ApiKey]);
        assert!(machines.accepts(TokenKind::ApiKey) && machines.accepts(TokenKind::M2mToken));
        assert!(!machines.accepts(TokenKind::SessionToken));
        assert!(!machines.accepts(TokenKind::OAuthToken));
        assert!(!Accepts::kinds([]).accepts(TokenKind::SessionToken));
    }
}
