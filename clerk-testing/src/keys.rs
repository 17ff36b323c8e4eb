//! RSA signing keys of a LocalClerk instance.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{self, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// The RSA algorithm a token is signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, what Clerk uses.
    #[default]
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
}

impl SigningAlgorithm {
    /// The JOSE name (`RS256`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
        }
    }

    fn encoding(self) -> &'static dyn signature::RsaEncoding {
        match self {
            Self::RS256 => &signature::RSA_PKCS1_SHA256,
            Self::RS384 => &signature::RSA_PKCS1_SHA384,
            Self::RS512 => &signature::RSA_PKCS1_SHA512,
        }
    }
}

/// One RSA key pair with its key id.
pub(crate) struct SigningKey {
    pub(crate) kid: String,
    pair: KeyPair,
    n: String,
    e: String,
    public_pem: String,
}

impl SigningKey {
    pub(crate) fn generate(kid: String) -> Self {
        // Generating a 2048-bit key only fails if the system's randomness is broken.
        let pair = KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation failed");
        let components = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        let der = pair
            .public_key()
            .as_der()
            .expect("an RSA public key always encodes as DER");
        let body = STANDARD.encode(der.as_ref());
        let mut public_pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            public_pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            public_pem.push('\n');
        }
        public_pem.push_str("-----END PUBLIC KEY-----\n");
        Self {
            kid,
            n: URL_SAFE_NO_PAD.encode(&components.n),
            e: URL_SAFE_NO_PAD.encode(&components.e),
            pair,
            public_pem,
        }
    }

    pub(crate) fn sign(&self, alg: SigningAlgorithm, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                alg.encoding(),
                &aws_lc_rs::rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .expect("RSA signing with a valid key does not fail");
        signature
    }

    /// Whether `signature` is this key's RS256 signature of `message`.
    pub(crate) fn verify_rs256(&self, message: &[u8], signature: &[u8]) -> bool {
        signature::UnparsedPublicKey::new(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            self.pair.public_key().as_ref(),
        )
        .verify(message, signature)
        .is_ok()
    }

    /// The public JWK; `alg` binds the key to one algorithm, as Clerk's keys are (`RS256`).
    pub(crate) fn jwk(&self, alg: Option<&str>) -> serde_json::Value {
        let mut jwk = serde_json::json!({
            "use": "sig",
            "kty": "RSA",
            "kid": self.kid,
            "n": self.n,
            "e": self.e,
        });
        if let Some(alg) = alg {
            jwk["alg"] = alg.into();
        }
        jwk
    }

    pub(crate) fn public_pem(&self) -> &str {
        &self.public_pem
    }
}
