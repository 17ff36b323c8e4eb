//! The claims of a verified session token, normalized across token versions 1 and 2, and
//! [`has()`](SessionClaims::has) authorization checks.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::VerifyError;

/// The claims of a verified Clerk session token.
///
/// Cheap to clone (an `Arc` inside). Version 1 and version 2 tokens give the same view:
/// organization role with its `org:` prefix, permissions decoded from `fpm`, features and plan.
/// Times are Unix seconds, as in the token.
#[derive(Clone)]
pub struct SessionClaims(Arc<Inner>);

struct Inner {
    user_id: String,
    session_id: String,
    issuer: String,
    authorized_party: Option<String>,
    jwt_id: Option<String>,
    issued_at: i64,
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
    fn parse_list(list: &str) -> Vec<Self> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| match item.split_once(':') {
                Some((scope, name)) => Self {
                    scope: match (scope.contains('o'), scope.contains('u')) {
                        (true, true) => EntitlementScope::Both,
                        (true, false) => EntitlementScope::Organization,
                        _ => EntitlementScope::User,
                    },
                    name: name.to_owned(),
                },
                None => Self {
                    scope: EntitlementScope::User,
                    name: item.to_owned(),
                },
            })
            .collect()
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

    /// Whether `asked` (`org:x`, `o:x`, `user:x`, `u:x` or `x` for either) names this entitlement.
    fn matches(&self, asked: &str) -> bool {
        match asked.split_once(':') {
            Some(("org" | "o", name)) => self.is_org() && self.name == name,
            Some(("user" | "u", name)) => self.is_user() && self.name == name,
            Some(_) => false,
            None => self.name == asked,
        }
    }
}

/// Accepts a JSON number, integer or not, as whole seconds.
fn numeric_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    let value: Option<f64> = Option::deserialize(deserializer)?;
    Ok(value.filter(|v| v.is_finite()).map(|v| v.floor() as i64))
}

#[derive(Deserialize)]
struct RawOrg<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    slg: Option<Cow<'a, str>>,
    #[serde(borrow)]
    rol: Option<Cow<'a, str>>,
    #[serde(borrow)]
    per: Option<Cow<'a, str>>,
    #[serde(borrow)]
    fpm: Option<Cow<'a, str>>,
}

/// The payload as it is on the wire; only what is needed, borrowed where possible.
#[derive(Deserialize)]
pub(crate) struct RawClaims<'a> {
    #[serde(borrow)]
    sub: Option<Cow<'a, str>>,
    #[serde(borrow)]
    sid: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) iss: Option<Cow<'a, str>>,
    #[serde(borrow)]
    azp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    jti: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) exp: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) iat: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) nbf: Option<i64>,
    v: Option<u8>,
    #[serde(borrow)]
    sts: Option<Cow<'a, str>>,
    #[serde(borrow)]
    org_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    org_slug: Option<Cow<'a, str>>,
    #[serde(borrow)]
    org_role: Option<Cow<'a, str>>,
    #[serde(borrow)]
    org_permissions: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    o: Option<RawOrg<'a>>,
    #[serde(borrow)]
    fea: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pla: Option<Cow<'a, str>>,
    fva: Option<Vec<i64>>,
    act: Option<Actor>,
}

/// A role or permission without its `org:` prefix, to compare with or without it.
fn org_key(value: &str) -> &str {
    value.strip_prefix("org:").unwrap_or(value)
}

fn with_org_prefix(value: &str) -> String {
    if value.starts_with("org:") {
        value.to_owned()
    } else {
        format!("org:{value}")
    }
}

/// Decodes v2 permissions: the i-th number of `fpm` is a bit mask over `per` for the i-th
/// organization feature of `fea`.
fn decode_permissions(features: &[Entitlement], per: &str, fpm: &str) -> Vec<String> {
    let permissions: Vec<&str> = per.split(',').map(str::trim).collect();
    let mut out = Vec::new();
    for (feature, mask) in features.iter().filter(|f| f.is_org()).zip(fpm.split(',')) {
        let mask: u64 = mask.trim().parse().unwrap_or(0);
        for (bit, permission) in permissions.iter().enumerate().take(64) {
            if !permission.is_empty() && mask & (1u64 << bit) != 0 {
                out.push(format!("org:{}:{}", feature.name, permission));
            }
        }
    }
    out
}

impl RawClaims<'_> {
    /// Parses the decoded payload.
    pub(crate) fn parse(payload: &str) -> Result<RawClaims<'_>, VerifyError> {
        serde_json::from_str(payload)
            .map_err(|_| VerifyError::Malformed("the payload is not a JSON object of Clerk claims"))
    }

    /// Builds the normalized claims; `payload` is the text this was parsed from.
    pub(crate) fn into_claims(self, payload: &str) -> Result<SessionClaims, VerifyError> {
        let missing = VerifyError::Malformed;
        let user_id = self.sub.ok_or(missing("the `sub` claim is missing"))?;
        let session_id = self.sid.ok_or(missing("the `sid` claim is missing"))?;
        let issuer = self.iss.ok_or(missing("the `iss` claim is missing"))?;
        let expires_at = self.exp.ok_or(missing("the `exp` claim is missing"))?;
        let issued_at = self.iat.ok_or(missing("the `iat` claim is missing"))?;
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
        let organization = match self.o {
            Some(RawOrg {
                id: Some(id),
                slg,
                rol,
                per,
                fpm,
            }) => Some(OrganizationClaims {
                id: id.into_owned(),
                slug: slg.map(Cow::into_owned),
                role: rol.as_deref().map(with_org_prefix),
                permissions: match (per, fpm) {
                    (Some(per), Some(fpm)) => decode_permissions(&features, &per, &fpm),
                    _ => Vec::new(),
                },
            }),
            _ => self.org_id.map(|id| OrganizationClaims {
                id: id.into_owned(),
                slug: self.org_slug.map(Cow::into_owned),
                role: self.org_role.as_deref().map(with_org_prefix),
                permissions: self
                    .org_permissions
                    .unwrap_or_default()
                    .into_iter()
                    .map(Cow::into_owned)
                    .collect(),
            }),
        };
        let status = match self.sts.as_deref() {
            None | Some("active") => SessionStatus::Active,
            Some("pending") => SessionStatus::Pending,
            Some(other) => SessionStatus::Other(other.to_owned()),
        };
        let factor_age = |minutes: i64| (minutes >= 0).then_some(minutes);
        let factor_verification_age = match self.fva.as_deref() {
            Some([first, second, ..]) => Some(FactorVerificationAge {
                first_factor_minutes: factor_age(*first),
                second_factor_minutes: factor_age(*second),
            }),
            _ => None,
        };
        Ok(SessionClaims(Arc::new(Inner {
            user_id: user_id.into_owned(),
            session_id: session_id.into_owned(),
            issuer: issuer.into_owned(),
            authorized_party: self.azp.map(Cow::into_owned),
            jwt_id: self.jti.map(Cow::into_owned),
            issued_at,
            expires_at,
            not_before: self.nbf,
            version: self.v.unwrap_or(1),
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

    /// Issued at (`iat`), Unix seconds.
    pub fn issued_at(&self) -> i64 {
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

    /// Minutes since each factor was last verified (`fva`), if the token says.
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

    /// Whether the session passes every dimension that `check` asks about. Fails closed: a check
    /// that asks nothing is `false`, as is any dimension the token cannot answer.
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
            && check.role.as_deref().is_none_or(|role| {
                self.org_role()
                    .is_some_and(|mine| org_key(mine) == org_key(role))
            })
            && check.permission.as_deref().is_none_or(|permission| {
                self.org_permissions()
                    .iter()
                    .any(|mine| org_key(mine) == org_key(permission))
            })
            && check
                .feature
                .as_deref()
                .is_none_or(|feature| self.0.features.iter().any(|f| f.matches(feature)))
            && check
                .plan
                .as_deref()
                .is_none_or(|plan| self.0.plans.iter().any(|p| p.matches(plan)))
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
/// plans may be scoped: `org:`/`o:` for the organization's, `user:`/`u:` for the user's, or
/// unscoped for either.
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
        for missing in ["sub", "sid", "iss", "exp", "iat"] {
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
    }
}
