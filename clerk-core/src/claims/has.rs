//! [`SessionClaims::has`]: what a session may do ([`Has`]), how recently it verified
//! ([`Reverification`], [`FactorLevel`]), and the decoding of v2 permissions from `fpm` that those
//! checks read.

use super::session::{Entitlement, SessionClaims};

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

impl SessionClaims {
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
            && !self.user_id().is_empty()
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
                .is_none_or(|feature| entitled(self.features(), feature))
            && check
                .plan
                .as_deref()
                .is_none_or(|plan| entitled(self.plans(), plan))
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
        let Some(age) = self.factor_verification_age() else {
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

/// A role or permission without its `org:` prefix, repeated or not, as Clerk compares them.
fn org_key(mut value: &str) -> &str {
    while let Some(rest) = value.strip_prefix("org:") {
        value = rest;
    }
    value
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
pub(super) fn decode_permissions(features: &[Entitlement], per: &str, fpm: &str) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::testing::{all, with};

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
    fn has_is_false_without_a_user() {
        let c = with(serde_json::json!({"sub":"","pla":"u:pro","fva":[1,1]}));
        assert!(!c.has_plan("pro") && !c.has(Reverification::Lax));
    }
}
