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

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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
        if token.starts_with(M2M_TOKEN_PREFIX) || is_m2m_jwt(token) {
            Self::M2mToken
        } else if token.starts_with(OAUTH_TOKEN_PREFIX) || is_oauth_jwt(token) {
            Self::OAuthToken
        } else if token.starts_with(API_KEY_PREFIX) {
            Self::ApiKey
        } else {
            Self::SessionToken
        }
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

    /// Whether a token of `kind` is accepted.
    pub fn accepts(self, kind: TokenKind) -> bool {
        self.0 & kind.bit() != 0
    }
}

/// The decoded JSON of a JWT's header and payload, if `token` has a JWT's form (three non-empty
/// base64url parts of `[A-Za-z0-9_-]`, as Clerk's `JwtFormatRegExp`) and both parts decode.
fn jwt_parts(token: &str) -> Option<(serde_json::Value, serde_json::Value)> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    let base64url = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if parts.next().is_some() || ![header, payload, signature].into_iter().all(base64url) {
        return None;
    }
    let json = |part: &str| -> Option<serde_json::Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
    };
    Some((json(header)?, json(payload)?))
}

/// A JWT whose `sub` is a machine (`mch_…`).
fn is_m2m_jwt(token: &str) -> bool {
    jwt_parts(token).is_some_and(|(_, payload)| {
        payload["sub"]
            .as_str()
            .is_some_and(|sub| sub.starts_with(M2M_SUBJECT_PREFIX))
    })
}

/// A JWT whose header `typ` is an OAuth access token's.
fn is_oauth_jwt(token: &str) -> bool {
    jwt_parts(token).is_some_and(|(header, _)| {
        header["typ"]
            .as_str()
            .is_some_and(|typ| OAUTH_ACCESS_TOKEN_TYPES.contains(&typ))
    })
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
