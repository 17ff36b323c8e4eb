//! Error types, one enum per concern.
//!
//! Messages say what went wrong and what to do; none of them ever contains a token, a secret key
//! or key material.

/// A configuration value is missing or malformed. Returned by [`Clerk::from_env`](crate::Clerk::from_env)
/// and [`ClerkBuilder::build`](crate::ClerkBuilder::build).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither a secret key nor a JWT public key was given, so tokens cannot be verified.
    #[error(
        "no Clerk key configured: set CLERK_SECRET_KEY (or CLERK_JWT_KEY for networkless verification)"
    )]
    MissingKey,
    /// The secret key is malformed.
    #[error("invalid Clerk secret key: {0}")]
    InvalidSecretKey(&'static str),
    /// The publishable key is malformed.
    #[error("invalid Clerk publishable key: {0}")]
    InvalidPublishableKey(&'static str),
    /// The JWT public key is malformed.
    #[error("invalid Clerk JWT key: {0}")]
    InvalidJwtKey(&'static str),
    /// A URL setting (API URL, proxy URL, issuer) is not an absolute http(s) URL.
    #[error("invalid {setting}: it must be an absolute http:// or https:// URL")]
    InvalidUrl {
        /// Which setting.
        setting: &'static str,
    },
    /// Another setting has a value that cannot work.
    #[error("invalid {setting}: {reason}")]
    Invalid {
        /// Which setting.
        setting: &'static str,
        /// Why it cannot work.
        reason: &'static str,
    },
    /// The HTTP client could not be built (for example, no TLS roots are available).
    #[error("the HTTP client could not be built: {0}")]
    HttpClient(String),
}

/// Why the instance's signing keys (JWKS) could not be loaded from Clerk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// Clerk could not be reached: connection refused or reset, DNS failure, or a timeout.
    #[error(
        "Clerk could not be reached to load the signing keys ({0}); check the network and CLERK_API_URL"
    )]
    Unreachable(String),
    /// Clerk answered with an HTTP error status.
    #[error("Clerk answered {0} when asked for the signing keys")]
    Status(u16),
    /// Clerk refused the secret key (401 or 403).
    #[error(
        "Clerk refused the secret key when asked for the signing keys ({0}); check CLERK_SECRET_KEY"
    )]
    Unauthorized(u16),
    /// The answer was not a JSON Web Key Set.
    #[error("Clerk's answer for the signing keys is not a JSON Web Key Set")]
    InvalidBody,
    /// The key set holds no RSA signing key.
    #[error("Clerk's key set holds no RSA signing key")]
    NoKeys,
}

/// Why a session token was rejected.
///
/// [`reason`](Self::reason) gives the reason name Clerk's own SDKs use (`token-expired`,
/// `jwk-kid-mismatch`, …), stable for logs, metrics and API error codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The token is longer than the 8 KiB limit; it was rejected before any other work.
    #[error("the session token is larger than {max} bytes")]
    TooLarge {
        /// The limit in bytes.
        max: usize,
    },
    /// The token is not a well-formed JWT or lacks a required claim.
    #[error("the session token is malformed: {0}")]
    Malformed(&'static str),
    /// The header's `alg` is not RS256, RS384 or RS512, or does not match the key's algorithm.
    #[error("the session token is not signed with RS256, RS384 or RS512 as its key requires")]
    InvalidAlgorithm,
    /// The token is not a session token (its `cat`/`typ` header or its subject says it is another kind).
    #[error("the token is not a Clerk session token")]
    TypeMismatch,
    /// No key of the instance has the token's `kid`.
    #[error("no signing key of this Clerk instance matches the token's key id")]
    KidMismatch,
    /// The signature does not verify.
    #[error("the session token's signature is invalid")]
    InvalidSignature,
    /// `exp` is in the past (beyond the clock skew).
    #[error("the session token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the clock skew).
    #[error("the session token is not valid yet (nbf is in the future; check the server clock)")]
    NotActiveYet,
    /// `iat` is in the future (beyond the clock skew).
    #[error("the session token was issued in the future (check the server clock)")]
    IatInTheFuture,
    /// `azp` is missing or not one of the configured authorized parties.
    #[error("the session token's authorized party (azp) is missing or not allowed")]
    InvalidAuthorizedParty,
    /// `aud` is missing or names none of the configured audiences
    /// ([`VerifyOptions::audience`](crate::VerifyOptions::audience)).
    #[error("the session token's audience (aud) is missing or not one of the configured audiences")]
    InvalidAudience,
    /// `iss` is not this instance's Frontend API (or, with none configured, not a Clerk issuer).
    #[error("the session token's issuer is not this Clerk instance")]
    InvalidIssuer,
    /// The session is pending (`sts: pending`) and pending sessions are not accepted.
    #[error(
        "the session is pending: the user has a required step left (for example choosing an organization)"
    )]
    SessionPending,
    /// The signing keys could not be loaded and no usable cached keys exist.
    #[error("the signing keys could not be loaded: {0}")]
    KeysUnavailable(JwksError),
    /// No key is configured (neither a secret key nor a JWT key).
    #[error("no Clerk key configured: set CLERK_SECRET_KEY or CLERK_JWT_KEY")]
    SecretKeyMissing,
}

impl VerifyError {
    /// Whether a browser can get a newer token for this failure (expired, not yet valid,
    /// issued in the future): Clerk refreshes or handshakes on these, and only these.
    pub fn is_refreshable(&self) -> bool {
        matches!(
            self,
            Self::Expired | Self::NotActiveYet | Self::IatInTheFuture
        )
    }

    /// The reason name, as Clerk's SDKs spell it.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "token-too-large",
            Self::Malformed(_) => "token-invalid",
            Self::InvalidAlgorithm => "token-invalid-algorithm",
            Self::TypeMismatch => "token-type-mismatch",
            Self::KidMismatch => "jwk-kid-mismatch",
            Self::InvalidSignature => "token-invalid-signature",
            Self::Expired => "token-expired",
            Self::NotActiveYet => "token-not-active-yet",
            Self::IatInTheFuture => "token-iat-in-the-future",
            Self::InvalidAuthorizedParty => "token-invalid-authorized-parties",
            // Clerk's `assertAudienceClaim` refuses with this reason.
            Self::InvalidAudience => "token-verification-failed",
            Self::InvalidIssuer => "token-invalid-issuer",
            Self::SessionPending => "session-token-pending",
            Self::KeysUnavailable(JwksError::Unauthorized(_)) => "secret-key-invalid",
            Self::KeysUnavailable(JwksError::InvalidBody | JwksError::NoKeys) => {
                "jwk-remote-invalid"
            }
            Self::KeysUnavailable(_) => "jwk-remote-failed-to-load",
            Self::SecretKeyMissing => "secret-key-missing",
        }
    }

    /// Whether the failure is on the server's side (keys could not be loaded or no key is
    /// configured) rather than the token's. Such a request deserves a 503, not a 401, so that
    /// clients do not sign their users out during an outage.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::KeysUnavailable(_) | Self::SecretKeyMissing)
    }
}
