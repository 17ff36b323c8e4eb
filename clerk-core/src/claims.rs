//! The claims of a verified session token, normalized across token versions 1 and 2, and
//! [`has()`](SessionClaims::has) authorization checks.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::error::VerifyError;

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

struct Inner {
    user_id: String,
    session_id: String,
    issuer: String,
    authorized_party: Option<String>,
    jwt_id: Option<String>,
    issued_at: Option<i64>,
    expires_at: i64,
    not_before: Option<i64>,
    version: u8,
    status: SessionStatus,
    organization: Option<OrganizationClaims>,
    features: Vec<Entitlement>,
    plans: Vec<Entitlement>,
    actor: Option<Actor>,
    factor_verification_age: Option<FactorVerificationAge>,
    /// The decoded JSON payload, for custom claims.
    payload: Box<str>,
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
    /// Parses `fea` or `pla` as Clerk does: comma-separated `scope:name` entries (surrounding
    /// spaces trimmed). Scopes other than `o`, `u`, `ou` and `uo` belong to no one and are dropped;
    /// an entry without a colon (an empty one included) makes the whole claim malformed, and a
    /// malformed claim grants nothing.
    fn parse_list(list: &str) -> Vec<Self> {
        let mut entitlements = Vec::new();
        for item in list.split(',') {
            let Some((scope, name)) = item.trim().split_once(':') else {
                return Vec::new();
            };
            let scope = match scope {
                "o" => EntitlementScope::Organization,
                "u" => EntitlementScope::User,
                "ou" | "uo" => EntitlementScope::Both,
                _ => continue,
            };
            entitlements.push(Self {
                scope,
                name: name.to_owned(),
            });
        }
        entitlements
    }

    fn is_org(&self) -> bool {
        matches!(
            self.scope,
            EntitlementScope::Organization | EntitlementScope::Both
        )
    }

    fn is_user(&self) -> bool {
        matches!(self.scope, EntitlementScope::User | EntitlementScope::Both)
    }
}

/// Whether `asked` names one of `entitlements`, read as Clerk reads it: the text before the first
/// colon is the scope (`o`, `org` or `organization`; `u` or `user`; any other scope matches
/// nothing) and the text up to the next colon the name (the scope itself when that is empty); with
/// no colon, `asked` is a name of either scope.
fn entitled(entitlements: &[Entitlement], asked: &str) -> bool {
    let mut parts = asked.split(':');
    let scope = parts.next().unwrap_or_default();
    let name = parts.next();
    let (org, user) = match name.map(|_| scope) {
        None => (true, true),
        Some("o" | "org" | "organization") => (true, false),
        Some("u" | "user") => (false, true),
        Some(_) => return false,
    };
    let name = name.filter(|name| !name.is_empty()).unwrap_or(scope);
    entitlements
        .iter()
        .any(|e| e.name == name && ((org && e.is_org()) || (user && e.is_user())))
}

/// Accepts a JSON number, integer or not, as whole seconds.
fn numeric_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    let value: Option<f64> = Option::deserialize(deserializer)?;
    Ok(value.filter(|v| v.is_finite()).map(|v| v.floor() as i64))
}

/// A claim that only means something with the expected JSON type: any other value is read as
/// absent instead of failing the whole token (a claim of the other token format is a custom claim,
/// whatever its shape).
pub(crate) fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let raw = <&'de RawValue>::deserialize(deserializer)?;
    Ok(serde_json::from_str(raw.get()).ok())
}

/// A string, or nothing when the JSON value is of another type.
#[derive(Deserialize)]
struct LenientStr<'a>(#[serde(borrow, deserialize_with = "lenient")] Option<Cow<'a, str>>);

#[derive(Deserialize)]
struct RawOrg<'a> {
    #[serde(default, borrow, deserialize_with = "lenient")]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    slg: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    rol: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    per: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    fpm: Option<Cow<'a, str>>,
}

/// The payload as it is on the wire; only what is needed, borrowed where possible. The claims
/// verification depends on must have their type; the others are [`lenient`].
#[derive(Deserialize)]
pub(crate) struct RawClaims<'a> {
    #[serde(borrow)]
    sub: Option<Cow<'a, str>>,
    #[serde(borrow)]
    sid: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) iss: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    azp: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    jti: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) exp: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) iat: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) nbf: Option<i64>,
    #[serde(default, deserialize_with = "lenient")]
    v: Option<f64>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    sts: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    org_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    org_slug: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    org_role: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    org_permissions: Option<Vec<LenientStr<'a>>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    o: Option<RawOrg<'a>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    fea: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    pla: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient")]
    fva: Option<Vec<f64>>,
    #[serde(default, deserialize_with = "lenient")]
    act: Option<Actor>,
}

/// A role or permission without its `org:` prefix, repeated or not, as Clerk compares them.
fn org_key(mut value: &str) -> &str {
    while let Some(rest) = value.strip_prefix("org:") {
        value = rest;
    }
    value
}

fn with_org_prefix(value: &str) -> String {
    if value.starts_with("org:") {
        value.to_owned()
    } else {
        format!("org:{value}")
    }
}

/// A non-negative decimal integer of any length (ASCII digits only), as little-endian 32-bit
/// limbs; `None` for any other text.
fn decimal_bits(digits: &str) -> Option<Vec<u32>> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut limbs: Vec<u32> = Vec::new();
    for digit in digits.bytes() {
        let mut carry = u64::from(digit - b'0');
        for limb in &mut limbs {
            let value = u64::from(*limb) * 10 + carry;
            *limb = value as u32;
            carry = value >> 32;
        }
        if carry != 0 {
            limbs.push(carry as u32);
        }
    }
    Some(limbs)
}

/// Decodes v2 permissions: the i-th number of `fpm` is a bit mask (least significant bit first)
/// over `per` for the i-th organization feature of `fea`.
fn decode_permissions(features: &[Entitlement], per: &str, fpm: &str) -> Vec<String> {
    let permissions: Vec<&str> = per.split(',').map(str::trim).collect();
    let mut out = Vec::new();
    for (feature, mask) in features.iter().filter(|f| f.is_org()).zip(fpm.split(',')) {
        let Some(limbs) = decimal_bits(mask.trim()) else {
            continue;
        };
        for (bit, permission) in permissions.iter().enumerate() {
            let set = limbs
                .get(bit / 32)
                .is_some_and(|limb| limb >> (bit % 32) & 1 == 1);
            if set && !permission.is_empty() {
                out.push(format!("org:{}:{}", feature.name, permission));
            }
        }
    }
    out
}

/// A non-empty string claim.
fn non_empty(value: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
    value.filter(|value| !value.is_empty())
}

impl RawClaims<'_> {
    /// Parses the decoded payload.
    pub(crate) fn parse(payload: &str) -> Result<RawClaims<'_>, VerifyError> {
        serde_json::from_str(payload)
            .map_err(|_| VerifyError::Malformed("the payload is not a JSON object of Clerk claims"))
    }

    /// The organization of a v2 token, from `o` alone.
    fn v2_organization(
        o: Option<RawOrg<'_>>,
        features: &[Entitlement],
    ) -> Option<OrganizationClaims> {
        let o = o?;
        Some(OrganizationClaims {
            id: non_empty(o.id)?.into_owned(),
            slug: o.slg.map(Cow::into_owned),
            role: non_empty(o.rol).as_deref().map(with_org_prefix),
            permissions: match (non_empty(o.per), non_empty(o.fpm)) {
                (Some(per), Some(fpm)) => decode_permissions(features, &per, &fpm),
                _ => Vec::new(),
            },
        })
    }

    /// The organization of a v1 token, from `org_id`, `org_slug`, `org_role`, `org_permissions`.
    fn v1_organization(
        id: Option<Cow<'_, str>>,
        slug: Option<Cow<'_, str>>,
        role: Option<Cow<'_, str>>,
        permissions: Option<Vec<LenientStr<'_>>>,
    ) -> Option<OrganizationClaims> {
        Some(OrganizationClaims {
            id: non_empty(id)?.into_owned(),
            slug: slug.map(Cow::into_owned),
            role: non_empty(role).as_deref().map(with_org_prefix),
            permissions: permissions
                .unwrap_or_default()
                .into_iter()
                .filter_map(|permission| permission.0.map(Cow::into_owned))
                .collect(),
        })
    }

    /// Builds the normalized claims; `payload` is the text this was parsed from.
    pub(crate) fn into_claims(self, payload: &str) -> Result<SessionClaims, VerifyError> {
        let missing = VerifyError::Malformed;
        let user_id = self.sub.ok_or(missing("the `sub` claim is missing"))?;
        let session_id = self.sid.ok_or(missing("the `sid` claim is missing"))?;
        let issuer = self.iss.ok_or(missing("the `iss` claim is missing"))?;
        let expires_at = self.exp.ok_or(missing("the `exp` claim is missing"))?;
        let features = self
            .fea
            .as_deref()
            .map(Entitlement::parse_list)
            .unwrap_or_default();
        let plans = self
            .pla
            .as_deref()
            .map(Entitlement::parse_list)
            .unwrap_or_default();
        // Exactly 2 is the v2 format, as in Clerk's SDK; anything else reads as v1.
        let version = if self.v == Some(2.0) { 2 } else { 1 };
        let organization = if version == 2 {
            Self::v2_organization(self.o, &features)
        } else {
            Self::v1_organization(
                self.org_id,
                self.org_slug,
                self.org_role,
                self.org_permissions,
            )
        };
        let status = match self.sts.as_deref() {
            None | Some("active") => SessionStatus::Active,
            Some("pending") => SessionStatus::Pending,
            Some(other) => SessionStatus::Other(other.to_owned()),
        };
        let valid_age = |minutes: f64| minutes.is_finite() && (minutes == -1.0 || minutes >= 0.0);
        let factor_age = |minutes: f64| (minutes >= 0.0).then_some(minutes.floor() as i64);
        let factor_verification_age = match self.fva.as_deref() {
            Some(&[first, second]) if valid_age(first) && valid_age(second) => {
                Some(FactorVerificationAge {
                    first_factor_minutes: factor_age(first),
                    second_factor_minutes: factor_age(second),
                })
            }
            _ => None,
        };
        Ok(SessionClaims(Arc::new(Inner {
            user_id: user_id.into_owned(),
            session_id: session_id.into_owned(),
            issuer: issuer.into_owned(),
            authorized_party: self.azp.map(Cow::into_owned),
            jwt_id: self.jti.map(Cow::into_owned),
            issued_at: self.iat,
            expires_at,
            not_before: self.nbf,
            version,
            status,
            organization,
            features,
            plans,
            actor: self.act,
            factor_verification_age,
            payload: payload.into(),
        })))
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

    /// Whether the session passes every dimension that `check` asks about, with the semantics of
    /// Clerk's `has()`. Fails closed: a check that asks nothing is `false`, as is any dimension the
    /// token cannot answer.
    ///
    /// - Role: the organization's role equals the asked one, both read without their `org:`
    ///   prefix (`admin`, `org:admin` and `org:org:admin` are the same role).
    /// - Permission: the asked permission with exactly one `org:` prefix (added when missing) is
    ///   one of [`org_permissions`](Self::org_permissions), compared as written there.
    /// - Feature and plan: `org:x`, `organization:x` and `o:x` ask for the organization's `x`;
    ///   `user:x` and `u:x` for the user's; a bare `x` for either's. Any other scope is `false`.
    ///   Only the text up to a second colon is the name, as in Clerk's SDK.
    /// - Reverification: see [`Reverification`]; `false` without a valid `fva`.
    ///
    /// ```
    /// # fn demo(claims: &clerk_core::SessionClaims) {
    /// use clerk_core::{Has, Reverification};
    /// if claims.has(Has::permission("org:invoices:write").reverification(Reverification::Strict)) {
    ///     // ...
    /// }
    /// # }
    /// ```
    pub fn has(&self, check: impl Into<Has>) -> bool {
        self.satisfies(&check.into())
    }

    /// [`has`](Self::has) without taking the check (route guards hold theirs).
    pub(crate) fn satisfies(&self, check: &Has) -> bool {
        let asked = check.role.is_some()
            || check.permission.is_some()
            || check.feature.is_some()
            || check.plan.is_some()
            || check.reverification.is_some();
        asked
            && !self.0.user_id.is_empty()
            && check.role.as_deref().is_none_or(|role| {
                self.org_role()
                    .is_some_and(|mine| org_key(mine) == org_key(role))
            })
            && check.permission.as_deref().is_none_or(|permission| {
                let permission = org_key(permission);
                self.organization().is_some_and(|org| {
                    org.permissions
                        .iter()
                        .any(|mine| mine.strip_prefix("org:") == Some(permission))
                })
            })
            && check
                .feature
                .as_deref()
                .is_none_or(|feature| entitled(&self.0.features, feature))
            && check
                .plan
                .as_deref()
                .is_none_or(|plan| entitled(&self.0.plans, plan))
            && check
                .reverification
                .is_none_or(|preset| self.passes_reverification(preset))
    }

    /// Shorthand for `has(Has::role(role))`.
    pub fn has_role(&self, role: &str) -> bool {
        self.has(Has::role(role))
    }

    /// Shorthand for `has(Has::permission(permission))`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.has(Has::permission(permission))
    }

    /// Shorthand for `has(Has::feature(feature))`.
    pub fn has_feature(&self, feature: &str) -> bool {
        self.has(Has::feature(feature))
    }

    /// Shorthand for `has(Has::plan(plan))`.
    pub fn has_plan(&self, plan: &str) -> bool {
        self.has(Has::plan(plan))
    }

    fn passes_reverification(&self, preset: Reverification) -> bool {
        let Some(age) = self.0.factor_verification_age else {
            return false;
        };
        let (after_minutes, level) = preset.requirement();
        let fresh = |minutes: Option<i64>| minutes.map(|m| m < i64::from(after_minutes));
        let first = fresh(age.first_factor_minutes);
        let second = fresh(age.second_factor_minutes);
        let passed = match level {
            FactorLevel::FirstFactor => first,
            // Users without a second factor are judged on their first factor.
            FactorLevel::SecondFactor => second.or(first),
            FactorLevel::MultiFactor => match second {
                None => first,
                Some(second) => first.map(|first| first && second),
            },
        };
        passed == Some(true)
    }
}

impl fmt::Debug for SessionClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionClaims")
            .field("user_id", &self.0.user_id)
            .field("session_id", &self.0.session_id)
            .field("issuer", &self.0.issuer)
            .field("authorized_party", &self.0.authorized_party)
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

/// Which factors a reverification requirement looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorLevel {
    /// The first factor.
    FirstFactor,
    /// The second factor, or the first when the user has no second factor.
    SecondFactor,
    /// Both factors (just the first when the user has no second factor).
    MultiFactor,
}

/// A reverification requirement: the user verified recently enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reverification {
    /// Both factors within 10 minutes.
    StrictMfa,
    /// Second factor within 10 minutes.
    Strict,
    /// Second factor within 60 minutes.
    Moderate,
    /// Second factor within 24 hours.
    Lax,
    /// Your own window and level.
    Custom {
        /// Verified less than this many minutes ago.
        after_minutes: u32,
        /// Which factors.
        level: FactorLevel,
    },
}

impl Reverification {
    fn requirement(self) -> (u32, FactorLevel) {
        match self {
            Self::StrictMfa => (10, FactorLevel::MultiFactor),
            Self::Strict => (10, FactorLevel::SecondFactor),
            Self::Moderate => (60, FactorLevel::SecondFactor),
            Self::Lax => (1440, FactorLevel::SecondFactor),
            Self::Custom {
                after_minutes,
                level,
            } => (after_minutes, level),
        }
    }
}

/// What [`SessionClaims::has`] checks: every dimension set here must pass.
///
/// Roles and permissions are compared with their `org:` prefix (added when missing). Features and
/// plans may be scoped: `org:`/`organization:`/`o:` for the organization's, `user:`/`u:` for the
/// user's, or unscoped for either. [`SessionClaims::has`] states each rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Has {
    /// Organization role, e.g. `org:admin`.
    pub role: Option<String>,
    /// Organization permission, e.g. `org:invoices:write`.
    pub permission: Option<String>,
    /// Feature, e.g. `org:dashboard`.
    pub feature: Option<String>,
    /// Plan, e.g. `user:pro`.
    pub plan: Option<String>,
    /// Reverification requirement.
    pub reverification: Option<Reverification>,
}

impl Has {
    /// Asks for an organization role.
    pub fn role(role: impl Into<String>) -> Self {
        Self::default().and_role(role)
    }

    /// Asks for an organization permission.
    pub fn permission(permission: impl Into<String>) -> Self {
        Self::default().and_permission(permission)
    }

    /// Asks for a feature.
    pub fn feature(feature: impl Into<String>) -> Self {
        Self::default().and_feature(feature)
    }

    /// Asks for a plan.
    pub fn plan(plan: impl Into<String>) -> Self {
        Self::default().and_plan(plan)
    }

    /// Asks for a recent verification.
    pub fn reverified(preset: Reverification) -> Self {
        Self::default().reverification(preset)
    }

    /// Also asks for an organization role.
    pub fn and_role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// Also asks for an organization permission.
    pub fn and_permission(mut self, permission: impl Into<String>) -> Self {
        self.permission = Some(permission.into());
        self
    }

    /// Also asks for a feature.
    pub fn and_feature(mut self, feature: impl Into<String>) -> Self {
        self.feature = Some(feature.into());
        self
    }

    /// Also asks for a plan.
    pub fn and_plan(mut self, plan: impl Into<String>) -> Self {
        self.plan = Some(plan.into());
        self
    }

    /// Also asks for a recent verification.
    pub fn reverification(mut self, preset: Reverification) -> Self {
        self.reverification = Some(preset);
        self
    }
}

impl From<Reverification> for Has {
    fn from(preset: Reverification) -> Self {
        Self::reverified(preset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(payload: serde_json::Value) -> SessionClaims {
        let text = payload.to_string();
        RawClaims::parse(&text)
            .expect("parses")
            .into_claims(&text)
            .expect("complete")
    }

    fn base() -> serde_json::Value {
        serde_json::json!({"sub":"user_1","sid":"sess_1","iss":"https://clerk.example.com","exp":2,"iat":1})
    }

    fn with(extra: serde_json::Value) -> SessionClaims {
        let mut payload = base();
        for (k, v) in extra.as_object().expect("object") {
            payload[k] = v.clone();
        }
        claims(payload)
    }

    #[test]
    fn v2_permissions_decode_from_fpm() {
        let c = with(serde_json::json!({
            "v": 2,
            "fea": "o:dashboard,u:beta,o:teams",
            "o": {"id":"org_1","slg":"acme","rol":"admin","per":"manage,read","fpm":"3,2"}
        }));
        assert_eq!(c.version(), 2);
        assert_eq!(c.org_id(), Some("org_1"));
        assert_eq!(c.org_slug(), Some("acme"));
        assert_eq!(c.org_role(), Some("org:admin"));
        assert_eq!(
            c.org_permissions(),
            [
                "org:dashboard:manage",
                "org:dashboard:read",
                "org:teams:read"
            ]
        );
        assert!(c.has_permission("org:teams:read"));
        assert!(c.has_permission("teams:read"), "org: prefix is added");
        assert!(!c.has_permission("org:teams:manage"));
        assert!(c.has_role("admin") && c.has_role("org:admin"));
        assert!(!c.has_role("org:member"));
    }

    #[test]
    fn missing_or_broken_v2_parts_mean_none() {
        let c = with(serde_json::json!({"v":2,"o":{"id":"org_1","rol":"member","per":"read"}}));
        assert!(c.org_permissions().is_empty());
        let c =
            with(serde_json::json!({"v":2,"fea":"o:a","o":{"id":"org_1","per":"read","fpm":"x"}}));
        assert!(c.org_permissions().is_empty());
        let c = with(
            serde_json::json!({"v":2,"fea":"o:a","o":{"id":"org_1","per":"read","fpm":"1,1,1"}}),
        );
        assert_eq!(
            c.org_permissions(),
            ["org:a:read"],
            "extra masks without features are ignored"
        );
        let c = with(
            serde_json::json!({"v":2,"fea":"o:a","o":{"id":"org_1","per":"read","fpm":"18446744073709551615"}}),
        );
        assert_eq!(c.org_permissions(), ["org:a:read"]);
        let c = with(serde_json::json!({"v":2}));
        assert!(c.organization().is_none());
    }

    #[test]
    fn v1_organization_claims() {
        let c = with(serde_json::json!({
            "org_id":"org_9","org_slug":"s","org_role":"basic_member","org_permissions":["org:x:read"]
        }));
        assert_eq!(c.version(), 1);
        assert_eq!(
            c.org_role(),
            Some("org:basic_member"),
            "legacy role gains its prefix"
        );
        assert!(c.has_permission("org:x:read"));
        assert_eq!(c.status(), &SessionStatus::Active);
    }

    #[test]
    fn has_fails_closed() {
        let c = with(serde_json::json!({"v":2,"fea":"o:a,u:b","pla":"u:pro"}));
        assert!(!c.has(Has::default()), "asking nothing is false");
        assert!(!c.has_role("org:admin"), "no organization");
        assert!(!c.has_permission("org:a:read"));
        assert!(
            !c.has(Has::feature("o:a").and_role("admin")),
            "every dimension must pass"
        );
    }

    #[test]
    fn features_and_plans_respect_scope() {
        let c =
            with(serde_json::json!({"v":2,"fea":"o:dashboard,u:beta,ou:shared","pla":"o:team"}));
        for yes in [
            "o:dashboard",
            "org:dashboard",
            "dashboard",
            "u:beta",
            "user:beta",
            "beta",
            "shared",
            "o:shared",
            "u:shared",
        ] {
            assert!(c.has_feature(yes), "{yes}");
        }
        for no in [
            "u:dashboard",
            "user:dashboard",
            "org:beta",
            "x:dashboard",
            "missing",
        ] {
            assert!(!c.has_feature(no), "{no}");
        }
        assert!(c.has_plan("org:team") && c.has_plan("team"));
        assert!(!c.has_plan("user:team"));
    }

    #[test]
    fn reverification_presets() {
        let at = |first: i64, second: i64| with(serde_json::json!({"fva":[first, second]}));
        assert!(at(5, 5).has(Reverification::StrictMfa));
        assert!(!at(5, 11).has(Reverification::StrictMfa));
        assert!(!at(11, 5).has(Reverification::StrictMfa));
        assert!(
            at(11, -1).has(Reverification::Moderate),
            "no second factor: first factor judged"
        );
        assert!(!at(11, -1).has(Reverification::Strict));
        assert!(
            at(5, -1).has(Reverification::StrictMfa),
            "no second factor: first factor judged"
        );
        assert!(at(9999, 59).has(Reverification::Moderate));
        assert!(!at(0, 60).has(Reverification::Moderate));
        assert!(at(1000, 1439).has(Reverification::Lax));
        assert!(!at(-1, -1).has(Reverification::Lax));
        assert!(
            !with(serde_json::json!({})).has(Reverification::Lax),
            "no fva: fail closed"
        );
        let custom = Reverification::Custom {
            after_minutes: 3,
            level: FactorLevel::FirstFactor,
        };
        assert!(at(2, 99).has(custom));
        assert!(!at(3, 0).has(custom));
    }

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

    #[test]
    fn required_claims() {
        for missing in ["sub", "sid", "iss", "exp"] {
            let mut p = base();
            p.as_object_mut().expect("object").remove(missing);
            let text = p.to_string();
            let err = RawClaims::parse(&text)
                .expect("parses")
                .into_claims(&text)
                .err();
            assert!(matches!(err, Some(VerifyError::Malformed(_))), "{missing}");
        }
        assert!(RawClaims::parse("[1,2]").is_err());
        assert!(RawClaims::parse(r#"{"sub":5}"#).is_err());
        let mut p = base();
        p.as_object_mut().expect("object").remove("iat");
        assert_eq!(claims(p).issued_at(), None, "iat is optional, as in Clerk");
    }

    /// The `has()` verdicts of a token, for each check, as (check, verdict) pairs.
    fn verdicts(c: &SessionClaims, checks: &[(&str, Has)]) -> Vec<(String, bool)> {
        checks
            .iter()
            .map(|(name, check)| ((*name).to_owned(), c.has(check.clone())))
            .collect()
    }

    fn all(c: &SessionClaims, checks: &[(&str, Has)], want: bool) {
        for (name, got) in verdicts(c, checks) {
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn rule_1_the_version_decides_the_organization_format() {
        let v2_org =
            serde_json::json!({"id":"org_2","slg":"two","rol":"admin","per":"read","fpm":"1"});
        // A v1 token (no `v`) with a v2 `o` claim: `o` is a custom claim.
        let c = with(serde_json::json!({"fea":"o:a","o": v2_org}));
        assert_eq!(c.version(), 1);
        assert!(c.organization().is_none(), "o is not read in v1");
        all(
            &c,
            &[
                ("role admin", Has::role("org:admin")),
                ("permission", Has::permission("org:a:read")),
            ],
            false,
        );
        assert_eq!(
            c.custom::<serde_json::Value>().expect("json")["o"]["id"],
            "org_2",
            "still a custom claim"
        );
        // A v2 token with v1 claims: they are custom claims.
        let c = with(serde_json::json!({
            "v": 2,
            "org_id": "org_1", "org_role": "org:admin", "org_permissions": ["org:a:read"]
        }));
        assert!(c.organization().is_none(), "org_* are not read in v2");
        all(
            &c,
            &[
                ("role admin", Has::role("org:admin")),
                ("permission", Has::permission("org:a:read")),
            ],
            false,
        );
        // Both in one v2 token: only `o` counts.
        let c = with(serde_json::json!({
            "v": 2, "fea": "o:a", "o": v2_org,
            "org_id": "org_1", "org_role": "org:owner", "org_permissions": ["org:b:write"]
        }));
        assert_eq!(c.org_id(), Some("org_2"));
        assert!(c.has_role("admin") && !c.has_role("owner"));
        assert!(c.has_permission("org:a:read") && !c.has_permission("org:b:write"));
        // Only the number 2 is v2, as in Clerk's SDK (`"2"` and 3 read as v1).
        for v in [serde_json::json!("2"), serde_json::json!(3)] {
            let c = with(serde_json::json!({"v": v, "o": v2_org, "org_id": "org_1"}));
            assert_eq!((c.version(), c.org_id()), (1, Some("org_1")));
        }
        // Other-format claims of any shape are custom claims: they never fail verification.
        let c = with(serde_json::json!({"v": 2, "org_permissions": "not a list", "org_id": 5}));
        assert!(c.organization().is_none());
        let c = with(serde_json::json!({"o": "text", "fva": "x", "act": 1, "fea": 7, "sts": []}));
        assert!(c.organization().is_none() && c.features().is_empty());
    }

    #[test]
    fn rule_2_feature_and_plan_scopes_are_exactly_clerks() {
        // Only o, u, ou and uo are scopes; x:foo and org:a belong to no one.
        let c = with(serde_json::json!({"v":2,"fea":"x:foo,org:a,o:b","pla":"org:team"}));
        all(
            &c,
            &[
                ("feature foo", Has::feature("foo")),
                ("feature x:foo", Has::feature("x:foo")),
                ("feature a", Has::feature("a")),
                ("feature org:a", Has::feature("org:a")),
                ("feature o:a", Has::feature("o:a")),
                ("plan team", Has::plan("team")),
                ("plan org:team", Has::plan("org:team")),
            ],
            false,
        );
        assert!(c.has_feature("o:b") && c.has_feature("b"));
        // Entries of other scopes are not counted when fpm masks are matched to org features.
        let c = with(serde_json::json!({
            "v":2, "fea":"org:a,x:b,o:c,u:d,ou:e",
            "o":{"id":"org_1","per":"read,write","fpm":"1,2"}
        }));
        assert_eq!(c.org_permissions(), ["org:c:read", "org:e:write"]);
        assert!(!c.has_permission("org:a:read"));
        // An entry without a scope makes the claim malformed: every check of it is false.
        let c = with(serde_json::json!({
            "v":2, "fea":"o:a,plain,u:b", "pla":"u:pro",
            "o":{"id":"org_1","rol":"admin","per":"read","fpm":"1,1"}
        }));
        all(
            &c,
            &[
                ("feature o:a", Has::feature("o:a")),
                ("feature u:b", Has::feature("u:b")),
                ("feature plain", Has::feature("plain")),
                ("feature a", Has::feature("a")),
                (
                    "permission from the malformed fea",
                    Has::permission("org:a:read"),
                ),
            ],
            false,
        );
        assert!(c.features().is_empty() && c.org_permissions().is_empty());
        assert!(c.has_plan("u:pro"), "a malformed fea leaves pla alone");
        assert!(c.has_role("admin"), "and the role");
        // An empty entry (a trailing comma) is one without a colon.
        let c = with(serde_json::json!({"pla":"u:pro,"}));
        assert!(!c.has_plan("pro") && c.plans().is_empty());
    }

    #[test]
    fn rule_3_the_spellings_clerk_accepts() {
        let c = with(serde_json::json!({"v":2,"fea":"o:dash,u:beta","pla":"o:team,u:solo"}));
        for yes in ["organization:team", "org:team", "o:team", "team"] {
            assert!(c.has_plan(yes), "plan {yes}");
        }
        for yes in ["organization:dash", "org:dash", "o:dash", "dash"] {
            assert!(c.has_feature(yes), "feature {yes}");
        }
        for yes in ["user:solo", "u:solo", "solo"] {
            assert!(c.has_plan(yes), "plan {yes}");
        }
        for no in [
            "organization:solo",
            "user:team",
            "orgs:team",
            "team:",
            ":team",
        ] {
            assert!(!c.has_plan(no), "plan {no}");
        }
        // As Clerk reads it, only the text up to a second colon is the name: `o:a:b` asks for
        // `a`, and a feature named `a:b` is never matched.
        let c = with(serde_json::json!({"fea":"o:a:b,o:x"}));
        assert!(!c.has_feature("o:a:b") && !c.has_feature("a:b"));
        assert!(c.has_feature("o:x:y"), "o:x:y asks for x");
    }

    #[test]
    fn rule_4_fpm_masks_are_decimal_integers_of_any_length() {
        // 2^64 + 1: permission 0 and permission 64.
        let per: Vec<String> = (0..65).map(|i| format!("p{i}")).collect();
        let c = with(serde_json::json!({
            "v":2, "fea":"o:big",
            "o":{"id":"org_1","per": per.join(","),"fpm":"18446744073709551617"}
        }));
        assert_eq!(c.org_permissions(), ["org:big:p0", "org:big:p64"]);
        // 2^100: only permission 100 (of 101).
        let per: Vec<String> = (0..101).map(|i| format!("p{i}")).collect();
        let c = with(serde_json::json!({
            "v":2, "fea":"o:big",
            "o":{"id":"org_1","per": per.join(","),"fpm":"1267650600228229401496703205376"}
        }));
        assert_eq!(c.org_permissions(), ["org:big:p100"]);
        // Leading zeros and spaces around are fine; anything but ASCII digits grants nothing.
        for (fpm, want) in [
            (" 003 ", &["org:a:read", "org:a:write"][..]),
            ("+3", &[]),
            ("-1", &[]),
            ("0x3", &[]),
            ("3.0", &[]),
            ("\u{0663}", &[]), // ARABIC-INDIC DIGIT THREE
            ("", &[]),
        ] {
            let c = with(serde_json::json!({
                "v":2, "fea":"o:a", "o":{"id":"org_1","per":"read,write","fpm":fpm}
            }));
            assert_eq!(c.org_permissions(), want, "fpm {fpm:?}");
        }
    }

    #[test]
    fn rule_5_v1_permissions_compare_as_written() {
        let c = with(serde_json::json!({
            "org_id":"org_1","org_role":"admin",
            "org_permissions":["invoices:read","org:teams:write", 7, "org:org:x:y"]
        }));
        all(
            &c,
            &[
                (
                    "unprefixed entry, asked unprefixed",
                    Has::permission("invoices:read"),
                ),
                (
                    "unprefixed entry, asked prefixed",
                    Has::permission("org:invoices:read"),
                ),
                ("doubly prefixed entry", Has::permission("org:x:y")),
            ],
            false,
        );
        assert!(c.has_permission("org:teams:write") && c.has_permission("teams:write"));
        assert!(
            c.has_permission("org:org:teams:write"),
            "asked: org: prefixes collapse"
        );
        assert_eq!(
            c.org_permissions(),
            ["invoices:read", "org:teams:write", "org:org:x:y"],
            "non-string entries are skipped"
        );
        // Roles compare without their prefixes, repeated or not.
        assert!(c.has_role("admin") && c.has_role("org:admin") && c.has_role("org:org:admin"));
        // An empty org id is no organization.
        let c = with(serde_json::json!({"org_id":"","org_role":"admin"}));
        assert!(!c.has_role("admin") && c.organization().is_none());
    }

    #[test]
    fn rule_6_fva_is_two_numbers_each_at_least_minus_one() {
        let lax = Reverification::Lax;
        for fva in [
            serde_json::json!([-5, 3]),
            serde_json::json!([3, -2]),
            serde_json::json!([1, 1, 1]),
            serde_json::json!([1]),
            serde_json::json!([]),
            serde_json::json!([1, "2"]),
            serde_json::json!([1, null]),
            serde_json::json!("1,1"),
        ] {
            let c = with(serde_json::json!({ "fva": fva }));
            assert_eq!(c.factor_verification_age(), None, "{fva}");
            for preset in [
                Reverification::StrictMfa,
                Reverification::Strict,
                Reverification::Moderate,
                lax,
            ] {
                assert!(!c.has(preset), "{fva} {preset:?}");
            }
        }
        // Fractions are minutes too: 9.5 passes a 10-minute window, 10.5 does not.
        assert!(with(serde_json::json!({"fva":[9.5, -1]})).has(Reverification::Strict));
        assert!(!with(serde_json::json!({"fva":[10.5, -1]})).has(Reverification::Strict));
        // Second factor set, first never verified: multi-factor fails, second-factor passes.
        let c = with(serde_json::json!({"fva":[-1, 5]}));
        assert!(!c.has(Reverification::StrictMfa) && c.has(Reverification::Strict));
    }

    #[test]
    fn has_is_false_without_a_user() {
        let c = with(serde_json::json!({"sub":"","pla":"u:pro","fva":[1,1]}));
        assert!(!c.has_plan("pro") && !c.has(Reverification::Lax));
    }
}
