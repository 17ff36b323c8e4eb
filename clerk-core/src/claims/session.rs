//! [`SessionClaims`]: the normalized claims of a verified session token, and its accessors.

use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The claims of a verified Clerk session token.
///
/// Cheap to clone (an `Arc` inside). Version 1 and version 2 tokens give the same view:
/// organization role with its `org:` prefix, permissions decoded from `fpm`, features and plan.
/// Times are Unix seconds, as in the token.
///
/// # How claims are read (Clerk's rules)
///
/// - **The version decides the format.** A token with `"v": 2` carries its organization only in
///   `o` (`id`, `slg`, `rol`, `per`, `fpm`); any other token (no `v`, or another value) is v1 and
///   carries it only in `org_id`, `org_slug`, `org_role` and `org_permissions`. Claims of the other
///   format are custom claims (see [`custom`](Self::custom)), never an organization, role or
///   permission. A claim of an unexpected JSON type reads as absent; it does not fail verification.
/// - **Features and plans** (`fea`, `pla`) are comma-separated `scope:name` entries with scope `o`
///   (the organization), `u` (the user), `ou` or `uo` (both). An entry with another scope belongs to
///   no one. An entry with no colon (an empty one included) makes the whole claim malformed: it then
///   grants no feature (or plan), and a v2 token's organization gets no permissions.
/// - **v2 permissions**: the i-th integer of `fpm` is a bit mask (least significant bit first) over
///   the names in `per`, for the i-th organization feature of `fea`; a set bit k grants
///   `org:<feature>:<k-th name>`. Masks are decimal integers of any length; text that is not only
///   ASCII digits (`+3`, `0x3`, `-1`) grants nothing.
/// - **v1 permissions** are taken as written: an entry without its `org:` prefix matches no check.
/// - **`fva`** must be exactly two numbers, each `-1` (that factor never verified) or at least 0;
///   anything else makes [`factor_verification_age`](Self::factor_verification_age) `None` and every
///   reverification check false.
///
/// Where this view differs from the auth object of Clerk's JS SDK, it is in values no check
/// depends on: a v2 role that already has its prefix stays `org:admin` (Clerk shows
/// `org:org:admin`; `has()` treats both alike), a legacy v1 role gains its `org:` prefix, permission
/// names that are empty are skipped, and an `o` (or `org_id`) without a non-empty id gives no
/// organization at all rather than one with some fields.
#[derive(Clone)]
pub struct SessionClaims(Arc<Inner>);

/// What [`SessionClaims`] holds, as `decode` builds it.
pub(super) struct Inner {
    pub(super) user_id: String,
    pub(super) session_id: String,
    pub(super) issuer: String,
    pub(super) authorized_party: Option<String>,
    pub(super) audience: Vec<String>,
    pub(super) jwt_id: Option<String>,
    pub(super) issued_at: Option<i64>,
    pub(super) expires_at: i64,
    pub(super) not_before: Option<i64>,
    pub(super) version: u8,
    pub(super) status: SessionStatus,
    pub(super) organization: Option<OrganizationClaims>,
    pub(super) features: Vec<Entitlement>,
    pub(super) plans: Vec<Entitlement>,
    pub(super) actor: Option<Actor>,
    pub(super) factor_verification_age: Option<FactorVerificationAge>,
    /// The decoded JSON payload, for custom claims.
    pub(super) payload: Box<str>,
}

impl SessionClaims {
    /// The claims made of `inner`.
    pub(super) fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}

/// The status of a session (`sts` in v2 tokens; v1 tokens are always active).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionStatus {
    /// Signed in and done.
    Active,
    /// Signed in, but a required step (such as choosing an organization) is not done.
    Pending,
    /// A status this SDK does not know yet.
    Other(String),
}

/// The active organization of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationClaims {
    /// The organization id (`org_…`).
    pub id: String,
    /// The organization slug, when the token carries it.
    pub slug: Option<String>,
    /// The user's role in it, always with the `org:` prefix (`org:admin`).
    pub role: Option<String>,
    /// The user's permissions in it, `org:<feature>:<permission>`.
    pub permissions: Vec<String>,
}

/// An impersonator, when the session is an impersonation (`act`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Actor {
    /// The impersonator's user id.
    pub sub: String,
    /// The impersonator's session id.
    #[serde(default)]
    pub sid: Option<String>,
    /// Where the impersonation was started.
    #[serde(default)]
    pub iss: Option<String>,
}

/// Minutes since the user last verified each factor (`fva`); `None` means never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactorVerificationAge {
    /// Minutes since the first factor (password, code, …) was verified.
    pub first_factor_minutes: Option<i64>,
    /// Minutes since a second factor was verified; `None` also when the user has none.
    pub second_factor_minutes: Option<i64>,
}

/// Who an entitlement (feature or plan) belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntitlementScope {
    /// The user (`u:`).
    User,
    /// The active organization (`o:`).
    Organization,
    /// Both (`ou:` or `uo:`).
    Both,
}

/// A feature or plan from the token (`fea`, `pla`), with its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entitlement {
    /// Who it belongs to.
    pub scope: EntitlementScope,
    /// Its key, without the scope (`dashboard`, `pro`).
    pub name: String,
}

impl Entitlement {
    pub(super) fn is_org(&self) -> bool {
        matches!(
            self.scope,
            EntitlementScope::Organization | EntitlementScope::Both
        )
    }

    pub(super) fn is_user(&self) -> bool {
        matches!(self.scope, EntitlementScope::User | EntitlementScope::Both)
    }
}

impl SessionClaims {
    /// The user id (`sub`), `user_…`.
    pub fn user_id(&self) -> &str {
        &self.0.user_id
    }

    /// The session id (`sid`), `sess_…`.
    pub fn session_id(&self) -> &str {
        &self.0.session_id
    }

    /// The issuer (`iss`): the instance's Frontend API URL.
    pub fn issuer(&self) -> &str {
        &self.0.issuer
    }

    /// The origin of the page that asked for the token (`azp`), if present.
    pub fn authorized_party(&self) -> Option<&str> {
        self.0.authorized_party.as_deref()
    }

    /// The token's audiences (`aud`): a string claim is a list of one; empty when the claim is
    /// missing or not a string or an array of strings. Clerk's session tokens carry none unless
    /// the instance's session-token template adds one.
    pub fn audience(&self) -> &[String] {
        &self.0.audience
    }

    /// The token id (`jti`), if present.
    pub fn jwt_id(&self) -> Option<&str> {
        self.0.jwt_id.as_deref()
    }

    /// Issued at (`iat`), Unix seconds, if present (Clerk's SDKs accept tokens without it).
    pub fn issued_at(&self) -> Option<i64> {
        self.0.issued_at
    }

    /// Expires at (`exp`), Unix seconds.
    pub fn expires_at(&self) -> i64 {
        self.0.expires_at
    }

    /// Not before (`nbf`), Unix seconds, if present.
    pub fn not_before(&self) -> Option<i64> {
        self.0.not_before
    }

    /// The token format version: 1, or 2 for tokens with `"v": 2`.
    pub fn version(&self) -> u8 {
        self.0.version
    }

    /// The session status.
    pub fn status(&self) -> &SessionStatus {
        &self.0.status
    }

    /// The active organization, if any.
    pub fn organization(&self) -> Option<&OrganizationClaims> {
        self.0.organization.as_ref()
    }

    /// The active organization's id, if any.
    pub fn org_id(&self) -> Option<&str> {
        self.organization().map(|o| o.id.as_str())
    }

    /// The active organization's slug, if any.
    pub fn org_slug(&self) -> Option<&str> {
        self.organization().and_then(|o| o.slug.as_deref())
    }

    /// The user's role in the active organization, with its `org:` prefix.
    pub fn org_role(&self) -> Option<&str> {
        self.organization().and_then(|o| o.role.as_deref())
    }

    /// The user's permissions in the active organization (`org:<feature>:<permission>`).
    pub fn org_permissions(&self) -> &[String] {
        self.organization()
            .map(|o| o.permissions.as_slice())
            .unwrap_or(&[])
    }

    /// The features of the user and the active organization (`fea`).
    pub fn features(&self) -> &[Entitlement] {
        &self.0.features
    }

    /// The plans of the user and the active organization (`pla`).
    pub fn plans(&self) -> &[Entitlement] {
        &self.0.plans
    }

    /// The impersonator, when this session is an impersonation.
    pub fn actor(&self) -> Option<&Actor> {
        self.0.actor.as_ref()
    }

    /// Minutes since each factor was last verified (`fva`), if the token carries a valid `fva`
    /// (two numbers, each `-1` or at least 0; fractions are rounded down).
    pub fn factor_verification_age(&self) -> Option<FactorVerificationAge> {
        self.0.factor_verification_age
    }

    /// Deserializes the whole payload into your own type, for custom claims added with a
    /// session-token template.
    ///
    /// ```
    /// # fn demo(claims: &clerk_core::SessionClaims) -> Result<(), serde_json::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct MyClaims { email: String, tenant: Option<String> }
    /// let mine: MyClaims = claims.custom()?;
    /// # Ok(()) }
    /// ```
    pub fn custom<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0.payload)
    }

    /// The whole payload as JSON text.
    pub fn payload_json(&self) -> &str {
        &self.0.payload
    }
}

impl fmt::Debug for SessionClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionClaims")
            .field("user_id", &self.0.user_id)
            .field("session_id", &self.0.session_id)
            .field("issuer", &self.0.issuer)
            .field("authorized_party", &self.0.authorized_party)
            .field("audience", &self.0.audience)
            .field("issued_at", &self.0.issued_at)
            .field("expires_at", &self.0.expires_at)
            .field("version", &self.0.version)
            .field("status", &self.0.status)
            .field("organization", &self.0.organization)
            .field("features", &self.0.features)
            .field("plans", &self.0.plans)
            .field("actor", &self.0.actor)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::testing::with;

    #[test]
    fn custom_claims_and_actor() {
        let c = with(
            serde_json::json!({"email":"a@b.c","act":{"sub":"user_admin","sid":"sess_a"},"sts":"pending"}),
        );
        #[derive(serde::Deserialize)]
        struct Mine {
            email: String,
        }
        assert_eq!(c.custom::<Mine>().expect("typed").email, "a@b.c");
        assert!(c.custom::<std::collections::HashMap<String, u8>>().is_err());
        assert_eq!(c.actor().map(|a| a.sub.as_str()), Some("user_admin"));
        assert_eq!(c.status(), &SessionStatus::Pending);
    }
}
