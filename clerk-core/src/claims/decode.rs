//! Decoding a session token's payload: version 1 and version 2 tokens, read as Clerk reads them
//! (see [`SessionClaims`]), into one [`SessionClaims`].

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::has::decode_permissions;
use super::session::{
    Actor, Entitlement, EntitlementScope, FactorVerificationAge, Inner, OrganizationClaims,
    SessionClaims, SessionStatus,
};
use crate::error::VerifyError;

/// Parses `fea` or `pla` as Clerk does: comma-separated `scope:name` entries (surrounding
/// spaces trimmed). Scopes other than `o`, `u`, `ou` and `uo` belong to no one and are dropped;
/// an entry without a colon (an empty one included) makes the whole claim malformed, and a
/// malformed claim grants nothing.
fn parse_entitlements(list: &str) -> Vec<Entitlement> {
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
        entitlements.push(Entitlement {
            scope,
            name: name.to_owned(),
        });
    }
    entitlements
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

/// `aud` as a list: a string is a list of one, an array of strings is itself (empty strings
/// dropped, as Clerk's SDK drops them); any other value (a number, an array holding a
/// non-string) is no audience at all, which a configured audience refuses.
fn audience<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Aud {
        One(String),
        Many(Vec<String>),
    }
    let raw = <&'de RawValue>::deserialize(deserializer)?;
    let list = match serde_json::from_str(raw.get()) {
        Ok(Aud::One(one)) => vec![one],
        Ok(Aud::Many(many)) => many,
        Err(_) => Vec::new(),
    };
    Ok(list.into_iter().filter(|a| !a.is_empty()).collect())
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
    #[serde(default, deserialize_with = "audience")]
    aud: Vec<String>,
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

fn with_org_prefix(value: &str) -> String {
    if value.starts_with("org:") {
        value.to_owned()
    } else {
        format!("org:{value}")
    }
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
            .map(parse_entitlements)
            .unwrap_or_default();
        let plans = self
            .pla
            .as_deref()
            .map(parse_entitlements)
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
        Ok(SessionClaims::new(Inner {
            user_id: user_id.into_owned(),
            session_id: session_id.into_owned(),
            issuer: issuer.into_owned(),
            authorized_party: self.azp.map(Cow::into_owned),
            audience: self.aud,
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
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::testing::{all, base, claims, with};
    use crate::claims::{Has, Reverification};

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
}
