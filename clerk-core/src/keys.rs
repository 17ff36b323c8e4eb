//! Clerk's keys: the secret key, the publishable key and the instance's JWT public key; and the
//! parsed RSA public key (`VerifyingKey`) that checks signatures, whether it came from a JWKS or
//! from the JWT key.
//!
//! Each is validated when it is made, so a typo is a clear [`ConfigError`] at start-up, not a
//! confusing 401 at the first request. Secrets never appear in `Debug` or `Display` output.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::signature::{
    ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384,
    RSA_PKCS1_2048_8192_SHA512, RsaParameters, RsaPublicKeyComponents,
};
use base64::Engine as _;

use crate::error::ConfigError;

/// A Clerk secret key (`sk_test_…` or `sk_live_…`), the bearer token of the Backend API.
///
/// `Debug` and `Display` print only the prefix, never the secret:
///
/// ```
/// # use clerk_core::SecretKey;
/// let key = SecretKey::new("sk_test_abcdefghijklmnop").unwrap();
/// assert_eq!(key.to_string(), "sk_test_…(redacted)");
/// assert!(key.is_test());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(Arc<str>);

impl SecretKey {
    /// Validates `key`: it must start with `sk_test_` or `sk_live_`, have a body, and contain no
    /// whitespace (a trailing newline from a `.env` file is trimmed first).
    pub fn new(key: impl AsRef<str>) -> Result<Self, ConfigError> {
        let key = key.as_ref().trim();
        let body = key
            .strip_prefix("sk_test_")
            .or_else(|| key.strip_prefix("sk_live_"))
            .ok_or(ConfigError::InvalidSecretKey(
                "it must start with `sk_test_` or `sk_live_` (copy it from the API keys page of the Clerk dashboard)",
            ))?;
        if body.is_empty() {
            return Err(ConfigError::InvalidSecretKey(
                "it has nothing after its prefix",
            ));
        }
        if !body.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::InvalidSecretKey(
                "it contains whitespace or characters that are not printable ASCII",
            ));
        }
        Ok(Self(key.into()))
    }

    /// The key itself, for the `Authorization` header. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether this is a development-instance key (`sk_test_`).
    pub fn is_test(&self) -> bool {
        self.0.starts_with("sk_test_")
    }

    fn prefix(&self) -> &'static str {
        if self.is_test() {
            "sk_test_"
        } else {
            "sk_live_"
        }
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({}…(redacted))", self.prefix())
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}…(redacted)", self.prefix())
    }
}

/// A Clerk publishable key (`pk_test_…` or `pk_live_…`): public, it names the instance's
/// Frontend API host, which is the issuer (`iss`) of its session tokens.
///
/// ```
/// # use clerk_core::PublishableKey;
/// let key = PublishableKey::new("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k").unwrap();
/// assert_eq!(key.frontend_api(), "clerk.example.com");
/// assert_eq!(key.issuer(), "https://clerk.example.com");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishableKey {
    raw: Arc<str>,
    frontend_api: Arc<str>,
}

impl PublishableKey {
    /// Decodes `key`: `pk_test_` or `pk_live_` followed by the base64 of `<frontend-api-host>$`.
    pub fn new(key: impl AsRef<str>) -> Result<Self, ConfigError> {
        let key = key.as_ref().trim();
        let encoded = key
            .strip_prefix("pk_test_")
            .or_else(|| key.strip_prefix("pk_live_"))
            .ok_or(ConfigError::InvalidPublishableKey(
                "it must start with `pk_test_` or `pk_live_`",
            ))?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim_end_matches('='))
            .or_else(|_| {
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(encoded.trim_end_matches('='))
            })
            .map_err(|_| ConfigError::InvalidPublishableKey("its body is not valid base64"))?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| ConfigError::InvalidPublishableKey("its body does not decode to text"))?;
        let host = decoded
            .strip_suffix('$')
            .ok_or(ConfigError::InvalidPublishableKey(
                "its body does not decode to `<frontend-api-host>$`",
            ))?;
        let valid_host = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'_'));
        if !valid_host {
            return Err(ConfigError::InvalidPublishableKey(
                "its Frontend API host is empty or not a host name",
            ));
        }
        Ok(Self {
            raw: key.into(),
            frontend_api: host.into(),
        })
    }

    /// The key as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The Frontend API host, e.g. `clerk.example.com` or `happy-hippo-1.clerk.accounts.dev`.
    pub fn frontend_api(&self) -> &str {
        &self.frontend_api
    }

    /// The Frontend API's URL, where browsers are sent for Clerk's handshake:
    /// `https://<frontend-api-host>`, or `http://` when the host is a loopback name
    /// (`localhost`, `*.localhost` or `127.0.0.1`, with or without a port), which no
    /// Clerk instance can have: a local Clerk such as `clerk-testing`'s LocalClerk, served
    /// without TLS on the developer's machine.
    pub fn frontend_api_url(&self) -> String {
        let host = match self.frontend_api.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => &self.frontend_api,
        }
        .to_ascii_lowercase();
        let loopback = host == "localhost" || host.ends_with(".localhost") || host == "127.0.0.1";
        let scheme = if loopback { "http" } else { "https" };
        format!("{scheme}://{}", self.frontend_api)
    }

    /// The issuer of this instance's session tokens: `https://<frontend-api-host>`.
    pub fn issuer(&self) -> String {
        format!("https://{}", self.frontend_api)
    }

    /// Whether this is a development-instance key (`pk_test_`).
    pub fn is_test(&self) -> bool {
        self.raw.starts_with("pk_test_")
    }

    /// The suffix Clerk appends to cookie names on domains shared by several apps
    /// (`__session_<suffix>`): the first 8 characters of the URL-safe base64 of the SHA-1 of
    /// the publishable key.
    pub fn cookie_suffix(&self) -> String {
        let digest = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            self.raw.as_bytes(),
        );
        let mut encoded = base64::engine::general_purpose::URL_SAFE.encode(digest.as_ref());
        encoded.truncate(8);
        encoded
    }
}

impl fmt::Display for PublishableKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// The instance's RSA public key (`CLERK_JWT_KEY`), for verifying session tokens with no network
/// at all. Accepts the PEM from the Clerk dashboard, the same PEM with its line breaks written as
/// `\n` (as environment files often hold it), or the bare base64 body.
#[derive(Clone)]
pub struct JwtKey(pub(crate) Arc<VerifyingKey>);

impl JwtKey {
    /// Parses an RSA public key (2048 bits or more) given as PEM (`-----BEGIN PUBLIC KEY-----`
    /// or `-----BEGIN RSA PUBLIC KEY-----`) or as its bare base64 body.
    pub fn new(key: impl AsRef<str>) -> Result<Self, ConfigError> {
        let key = key.as_ref().trim().replace("\\n", "\n");
        let body: String = if key.starts_with("-----BEGIN") {
            key.lines()
                .filter(|line| !line.trim_start().starts_with("-----"))
                .collect()
        } else {
            key.clone()
        };
        let body: String = body.split_whitespace().collect();
        if body.is_empty() {
            return Err(ConfigError::InvalidJwtKey("it is empty"));
        }
        let invalid = || {
            ConfigError::InvalidJwtKey(
                "it is not an RSA public key of 2048 bits or more in PEM form (copy the PEM public key from the API keys page of the Clerk dashboard)",
            )
        };
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.trim_end_matches('='))
            .or_else(|_| {
                base64::engine::general_purpose::STANDARD_NO_PAD.decode(body.trim_end_matches('='))
            })
            .map_err(|_| invalid())?;
        let bits = rsa_key_bits(&der).ok_or_else(invalid)?;
        if bits < 2048 {
            return Err(ConfigError::InvalidJwtKey(
                "it is an RSA key under 2048 bits, which Clerk never issues and this SDK refuses (copy the PEM public key from the API keys page of the Clerk dashboard)",
            ));
        }
        let key = VerifyingKey::from_der(&der).ok_or_else(invalid)?;
        Ok(Self(Arc::new(key)))
    }
}

/// The modulus size of an RSA public key in DER (SubjectPublicKeyInfo or PKCS#1), if it is one.
fn rsa_key_bits(der: &[u8]) -> Option<usize> {
    use aws_lc_rs::encoding::AsDer as _;
    let spki = aws_lc_rs::rsa::PublicKey::from_der(der)
        .ok()?
        .as_der()
        .ok()?;
    match aws_lc_rs::rsa::PublicEncryptingKey::from_der(spki.as_ref()) {
        Ok(key) => Some(key.key_size_bits()),
        // aws-lc-rs refuses keys under 2048 bits at parse time: report them as small.
        Err(error) if error.description_() == "TooSmall" => Some(0),
        Err(_) => None,
    }
}

impl fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtKey(RSA public key)")
    }
}

/// The RSA signature algorithms accepted for session tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RsaAlgorithm {
    Rs256,
    Rs384,
    Rs512,
}

/// A public key parsed once, ready for signature checks with each accepted algorithm. Keys
/// under 2048 bits are refused.
pub(crate) struct VerifyingKey {
    /// The key for RS256, RS384 and RS512, in that order.
    parsed: [ParsedPublicKey; 3],
    /// The algorithm the key is bound to, when its JWK says so.
    pub(crate) alg: Option<RsaAlgorithm>,
}

const PARAMETERS: [&RsaParameters; 3] = [
    &RSA_PKCS1_2048_8192_SHA256,
    &RSA_PKCS1_2048_8192_SHA384,
    &RSA_PKCS1_2048_8192_SHA512,
];

impl VerifyingKey {
    fn build(
        parse: impl Fn(&'static RsaParameters) -> Option<ParsedPublicKey>,
        alg: Option<RsaAlgorithm>,
    ) -> Option<Self> {
        let [a, b, c] = PARAMETERS;
        Some(Self {
            parsed: [parse(a)?, parse(b)?, parse(c)?],
            alg,
        })
    }

    /// A key from its JWK modulus and exponent (big-endian bytes).
    pub(crate) fn from_components(n: &[u8], e: &[u8], alg: Option<RsaAlgorithm>) -> Option<Self> {
        if n.iter().skip_while(|b| **b == 0).count() < 256 {
            return None; // under 2048 bits
        }
        let components = RsaPublicKeyComponents { n, e };
        Self::build(|params| components.to_parsed_public_key(params).ok(), alg)
    }

    /// A key from DER: SubjectPublicKeyInfo or PKCS#1 `RSAPublicKey`.
    pub(crate) fn from_der(der: &[u8]) -> Option<Self> {
        Self::build(|params| ParsedPublicKey::new(params, der).ok(), None)
    }

    /// Whether `signature` is `alg`'s signature of `message` by this key.
    pub(crate) fn verify(&self, alg: RsaAlgorithm, message: &[u8], signature: &[u8]) -> bool {
        let key = match alg {
            RsaAlgorithm::Rs256 => &self.parsed[0],
            RsaAlgorithm::Rs384 => &self.parsed[1],
            RsaAlgorithm::Rs512 => &self.parsed[2],
        };
        key.verify_sig(message, signature).is_ok()
    }
}

/// The RSA algorithm named `alg`, if it is one we accept.
pub(crate) fn rsa_algorithm(alg: &str) -> Option<RsaAlgorithm> {
    match alg {
        "RS256" => Some(RsaAlgorithm::Rs256),
        "RS384" => Some(RsaAlgorithm::Rs384),
        "RS512" => Some(RsaAlgorithm::Rs512),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_key_validates_prefix_and_redacts() {
        assert!(SecretKey::new("pk_test_abc").is_err());
        assert!(SecretKey::new("sk_test_").is_err());
        assert!(SecretKey::new("sk_test_ab cd").is_err());
        assert!(SecretKey::new("").is_err());
        // Its body is the prefix itself (a fuzz input): still only the prefix is shown.
        let tricky = SecretKey::new("sk_live_sk_live_").expect("valid");
        assert_eq!(tricky.to_string(), "sk_live_…(redacted)");
        assert!(!format!("{tricky:?}").contains("sk_live_sk_live_"));
        let key = SecretKey::new("sk_live_supersecretvalue\n").expect("valid");
        assert_eq!(key.expose(), "sk_live_supersecretvalue");
        assert!(!key.is_test());
        let shown = format!("{key} {key:?}");
        assert!(!shown.contains("supersecret"), "{shown}");
        assert!(shown.contains("sk_live_"));
    }

    #[test]
    fn publishable_key_decodes_host() {
        let key = PublishableKey::new("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k").expect("valid");
        assert_eq!(key.frontend_api(), "clerk.example.com");
        assert_eq!(key.issuer(), "https://clerk.example.com");
        assert!(key.is_test());
        // Clerk's keys sometimes carry base64 padding.
        let padded = format!(
            "pk_live_{}",
            base64::engine::general_purpose::STANDARD.encode("clerk.acme.io$")
        );
        assert_eq!(
            PublishableKey::new(&padded).expect("valid").frontend_api(),
            "clerk.acme.io"
        );
    }

    #[test]
    fn the_frontend_api_is_https_unless_it_is_a_loopback_name() {
        let url = |host: &str| {
            let key = format!(
                "pk_test_{}",
                base64::engine::general_purpose::STANDARD.encode(format!("{host}$"))
            );
            PublishableKey::new(key).expect("valid").frontend_api_url()
        };
        assert_eq!(url("clerk.example.com"), "https://clerk.example.com");
        assert_eq!(url("localhost:8790"), "http://localhost:8790");
        assert_eq!(url("abc.clerk.LOCALHOST"), "http://abc.clerk.LOCALHOST");
        assert_eq!(url("127.0.0.1:1"), "http://127.0.0.1:1");
        // Only the names themselves: a look-alike is a real host, and gets TLS.
        assert_eq!(url("localhost.evil.com"), "https://localhost.evil.com");
        assert_eq!(url("evillocalhost"), "https://evillocalhost");
        assert_eq!(url("127.0.0.1.nip.io"), "https://127.0.0.1.nip.io");
    }

    #[test]
    fn malformed_publishable_keys_are_errors_not_panics() {
        for bad in [
            "",
            "pk_test_",
            "pk_test_%%%%",
            "sk_test_Y2xlcmsuZXhhbXBsZS5jb20k",
            "pk_test_Y2xlcmsuZXhhbXBsZS5jb20", // no `$`
            "pk_test_JA==",                    // just `$`
            "pk_test_/w==",                    // not UTF-8
            "pk_test_PHNjcmlwdD4k",            // `<script>$`
        ] {
            assert!(
                matches!(
                    PublishableKey::new(bad),
                    Err(ConfigError::InvalidPublishableKey(_))
                ),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn cookie_suffix_matches_clerks() {
        let key = PublishableKey::new("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k").expect("valid");
        // Clerk's getCookieSuffix: the first 8 characters of base64(SHA-1(key)) with `+/` made
        // URL-safe; computed independently with Python's hashlib for this key.
        assert_eq!(key.cookie_suffix(), "l2OS3d9k");
    }

    #[test]
    fn jwt_key_rejects_garbage() {
        assert!(JwtKey::new("").is_err());
        assert!(JwtKey::new("not a key").is_err());
        assert!(JwtKey::new("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err());
    }
}
