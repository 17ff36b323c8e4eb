//! [`Keys`]: the instance's signing keys.

use super::LocalClerk;
use crate::ids::random_id;
use crate::keys::SigningKey;

/// The signing keys of a [`LocalClerk`]: the current key id and public key, rotation, and the
/// JSON Web Key Set that `/v1/jwks` publishes. From [`LocalClerk::keys`].
#[derive(Debug, Clone, Copy)]
pub struct Keys<'a> {
    pub(super) local: &'a LocalClerk,
}

impl Keys<'_> {
    /// The current signing key's id.
    pub fn kid(&self) -> String {
        self.local.shared.current_key().kid.clone()
    }

    /// The current signing key's public key as PEM, for `CLERK_JWT_KEY`.
    pub fn public_key_pem(&self) -> String {
        self.local.shared.current_key().public_pem().to_owned()
    }

    /// Replaces the signing keys with a new one (new key id); tokens signed before no longer verify.
    pub fn rotate(&self) -> String {
        let kid = format!("ins_local_{}", random_id(8));
        self.local
            .shared
            .replace_keys(SigningKey::generate(kid.clone()));
        kid
    }

    /// Adds a new signing key (new key id) and keeps publishing the old ones, as Clerk does
    /// during a rotation. New tokens are signed with the new key.
    pub fn add(&self) -> String {
        let kid = format!("ins_local_{}", random_id(8));
        self.local.shared.add_key(SigningKey::generate(kid.clone()));
        kid
    }

    /// The JSON Web Key Set that `/v1/jwks` serves now.
    pub fn jwks(&self) -> serde_json::Value {
        self.local.shared.jwks()
    }
}
