//! Minting session tokens the way Clerk does.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::ids::random_id;
use crate::keys::SigningAlgorithm;
use crate::state::Shared;
use crate::time::unix_now;

/// The `cat` header of Clerk session tokens (`cl_B7d4PD111AAA`): clerk-core's
/// [`SESSION_TOKEN_CATEGORY`](clerk_core::verify::SESSION_TOKEN_CATEGORY), the one definition.
pub const SESSION_CATEGORY: &str = clerk_core::verify::SESSION_TOKEN_CATEGORY;
/// The `cat` header of tokens from JWT templates.
pub const JWT_TEMPLATE_CATEGORY: &str = "cl_B7d4PD222AAA";
/// The `cat` header of machine-to-machine tokens.
pub const M2M_CATEGORY: &str = "cl_B7d4PD333AAA";

/// An active organization in a minted token.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Org {
    id: String,
    slug: String,
    role: String,
    permissions: Vec<String>,
}

/// Builds a session token signed by a [`LocalClerk`](crate::LocalClerk), in Clerk's format:
/// version 2 by default (`.v1()` for the deprecated format), header
/// `{"alg":"RS256","cat":"cl_B7d4PD111AAA","kid":…,"typ":"JWT"}` ([`SESSION_CATEGORY`]), a
/// 60-second lifetime and `nbf` ten seconds before `iat`, as Clerk issues them.
///
/// Every claim and header field can be changed or removed, to mint the bad tokens tests need.
#[must_use = "call .mint() to get the token"]
pub struct TokenBuilder {
    shared: Arc<Shared>,
    user_id: String,
    session_id: String,
    version: u8,
    issued_at: Option<i64>,
    lifetime: i64,
    expires_at: Option<i64>,
    not_before: Option<Option<i64>>,
    azp: Option<String>,
    issuer: Option<String>,
    status: String,
    org: Option<Org>,
    features: Vec<String>,
    plan: Option<String>,
    actor: Option<Value>,
    fva: Option<(i64, i64)>,
    custom: Map<String, Value>,
    removed: Vec<String>,
    kid: Option<String>,
    alg: SigningAlgorithm,
    header: Map<String, Value>,
}

impl TokenBuilder {
    pub(crate) fn new(shared: Arc<Shared>, user_id: String) -> Self {
        let session_id = format!("sess_{}", random_id(12));
        Self {
            shared,
            user_id,
            session_id,
            version: 2,
            issued_at: None,
            lifetime: 60,
            expires_at: None,
            not_before: None,
            azp: None,
            issuer: None,
            status: "active".into(),
            org: None,
            features: Vec::new(),
            plan: None,
            actor: None,
            fva: Some((0, -1)),
            custom: Map::new(),
            removed: Vec::new(),
            kid: None,
            alg: SigningAlgorithm::RS256,
            header: Map::new(),
        }
    }

    /// A token for an existing session, pre-filled as Clerk would issue it (user, session,
    /// active organization with role and permissions); `None` when Clerk would issue none (the
    /// session is unknown, revoked or ended, or its user was deleted).
    pub(crate) fn for_session(shared: Arc<Shared>, session_id: &str) -> Option<Self> {
        let (session, membership) = shared.store().tokenable_session(session_id)?;
        let mut token = Self::new(shared, session.user_id).session_id(session.id);
        if let Some(membership) = membership {
            token = token.org(
                membership.organization.id,
                membership.organization.slug,
                membership.role,
                membership.permissions.unwrap_or_default(),
            );
        }
        Some(token)
    }

    /// The session id (`sid`); a random `sess_…` by default.
    pub fn session_id(mut self, sid: impl Into<String>) -> Self {
        self.session_id = sid.into();
        self
    }

    /// Mints a version 1 token (`org_id`, `org_role`, `org_permissions`, no `v`).
    pub fn v1(mut self) -> Self {
        self.version = 1;
        self
    }

    /// Mints a version 2 token (the default).
    pub fn v2(mut self) -> Self {
        self.version = 2;
        self
    }

    /// `iat`, Unix seconds (default: now). `exp` and `nbf` follow it unless set.
    pub fn issued_at(mut self, iat: i64) -> Self {
        self.issued_at = Some(iat);
        self
    }

    /// Lifetime in seconds from `iat` (default 60, as Clerk). Negative gives an expired token.
    pub fn expires_in(mut self, seconds: i64) -> Self {
        self.lifetime = seconds;
        self.expires_at = None;
        self
    }

    /// `exp`, Unix seconds.
    pub fn expires_at(mut self, exp: i64) -> Self {
        self.expires_at = Some(exp);
        self
    }

    /// `nbf`, Unix seconds; `None` leaves it out (default: `iat - 10`).
    pub fn not_before(mut self, nbf: Option<i64>) -> Self {
        self.not_before = Some(nbf);
        self
    }

    /// `azp`, the origin of the page that asked for the token.
    pub fn azp(mut self, origin: impl Into<String>) -> Self {
        self.azp = Some(origin.into());
        self
    }

    /// `iss` (default: this instance's Frontend API URL).
    pub fn issuer(mut self, iss: impl Into<String>) -> Self {
        self.issuer = Some(iss.into());
        self
    }

    /// `sts` in v2 tokens: `active` (default) or `pending`.
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = status.into();
        self
    }

    /// Makes `id` the active organization, with the user's role (`org:admin` or `admin`) and
    /// permissions (`org:<feature>:<permission>`). In v2 tokens the permissions are encoded into
    /// `fea`, `o.per` and `o.fpm` exactly as Clerk encodes them.
    pub fn org<I, S>(
        mut self,
        id: impl Into<String>,
        slug: impl Into<String>,
        role: impl Into<String>,
        permissions: I,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.org = Some(Org {
            id: id.into(),
            slug: slug.into(),
            role: role.into(),
            permissions: permissions.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Adds features (`o:dashboard`, `u:beta`) to `fea` (v2).
    pub fn features<I, S>(mut self, features: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.features.extend(features.into_iter().map(Into::into));
        self
    }

    /// `pla` (v2), e.g. `u:free` or `o:pro`.
    pub fn plan(mut self, plan: impl Into<String>) -> Self {
        self.plan = Some(plan.into());
        self
    }

    /// `act`: the session is an impersonation by `actor_user_id`.
    pub fn actor(mut self, actor_user_id: impl Into<String>) -> Self {
        self.actor =
            Some(json!({ "sub": actor_user_id.into(), "sid": format!("sess_{}", random_id(12)) }));
        self
    }

    /// `fva`: minutes since the first and second factor were verified (`-1`: never). Default `[0, -1]`.
    pub fn factor_ages(mut self, first: i64, second: i64) -> Self {
        self.fva = Some((first, second));
        self
    }

    /// Sets any claim, overriding what the builder would put there.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let name = name.into();
        self.removed.retain(|r| *r != name);
        self.custom.insert(name, value.into());
        self
    }

    /// Leaves a claim out.
    pub fn without_claim(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.custom.remove(&name);
        self.removed.push(name);
        self
    }

    /// The `kid` header (default: the instance's current key id). The token is still signed with
    /// the instance's current key.
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The signing algorithm (default RS256); the `alg` header follows.
    pub fn algorithm(mut self, alg: SigningAlgorithm) -> Self {
        self.alg = alg;
        self
    }

    /// The `cat` header; `None` leaves it out (default: the session category).
    pub fn category(mut self, cat: Option<&str>) -> Self {
        self.header
            .insert("cat".into(), cat.map_or(Value::Null, Into::into));
        self
    }

    /// Sets any header field (including `alg`, which then no longer matches the signature's
    /// algorithm). `Value::Null` removes the field.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.header.insert(name.into(), value.into());
        self
    }

    fn claims(&self) -> Map<String, Value> {
        let iat = self.issued_at.unwrap_or_else(unix_now);
        let mut c = Map::new();
        c.insert("sub".into(), self.user_id.clone().into());
        c.insert("sid".into(), self.session_id.clone().into());
        c.insert(
            "iss".into(),
            self.issuer
                .clone()
                .unwrap_or_else(|| self.shared.issuer())
                .into(),
        );
        c.insert("iat".into(), iat.into());
        c.insert(
            "exp".into(),
            self.expires_at.unwrap_or(iat + self.lifetime).into(),
        );
        if let Some(nbf) = self.not_before.unwrap_or(Some(iat - 10)) {
            c.insert("nbf".into(), nbf.into());
        }
        c.insert("jti".into(), random_id(20).into());
        if let Some(azp) = &self.azp {
            c.insert("azp".into(), azp.clone().into());
        }
        if let Some((first, second)) = self.fva {
            c.insert("fva".into(), json!([first, second]));
        }
        if let Some(actor) = &self.actor {
            c.insert("act".into(), actor.clone());
        }
        if self.version == 1 {
            if let Some(org) = &self.org {
                let role = if org.role.starts_with("org:") {
                    org.role.clone()
                } else {
                    format!("org:{}", org.role)
                };
                c.insert("org_id".into(), org.id.clone().into());
                c.insert("org_slug".into(), org.slug.clone().into());
                c.insert("org_role".into(), role.into());
                c.insert("org_permissions".into(), json!(org.permissions));
            }
        } else {
            c.insert("v".into(), 2.into());
            c.insert("sts".into(), self.status.clone().into());
            let mut features = self.features.clone();
            if let Some(org) = &self.org {
                let (per, fpm) = encode_permissions(&org.permissions, &mut features);
                let mut o = Map::new();
                o.insert("id".into(), org.id.clone().into());
                o.insert("slg".into(), org.slug.clone().into());
                o.insert("rol".into(), org.role.trim_start_matches("org:").into());
                if !per.is_empty() {
                    o.insert("per".into(), per.into());
                    o.insert("fpm".into(), fpm.into());
                }
                c.insert("o".into(), o.into());
            }
            if !features.is_empty() {
                c.insert("fea".into(), features.join(",").into());
            }
            if let Some(plan) = &self.plan {
                c.insert("pla".into(), plan.clone().into());
            }
        }
        for (name, value) in &self.custom {
            c.insert(name.clone(), value.clone());
        }
        for name in &self.removed {
            c.remove(name);
        }
        c
    }

    /// Signs and returns the token.
    pub fn mint(self) -> String {
        let claims = self.claims();
        let key = self.shared.current_key();
        let mut header = Map::new();
        header.insert("alg".into(), self.alg.name().into());
        header.insert("cat".into(), SESSION_CATEGORY.into());
        header.insert(
            "kid".into(),
            self.kid.clone().unwrap_or_else(|| key.kid.clone()).into(),
        );
        header.insert("typ".into(), "JWT".into());
        for (name, value) in self.header {
            if value.is_null() {
                header.remove(&name);
            } else {
                header.insert(name, value);
            }
        }
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(Value::Object(header).to_string()),
            URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string())
        );
        let signature = key.sign(self.alg, message.as_bytes());
        format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// A fresh session token for an existing session, as the Frontend API issues them (handshakes,
/// refreshes): the instance's session-token lifetime, `azp` the origin that asked (when known),
/// `iss` the given issuer (a satellite domain's Frontend API) or the instance's. `None` when
/// Clerk would issue none.
pub(crate) fn session_token(
    shared: &Arc<Shared>,
    session_id: &str,
    azp: Option<&str>,
    issuer: Option<&str>,
) -> Option<String> {
    let mut token = TokenBuilder::for_session(shared.clone(), session_id)?
        .expires_in(shared.identity().session_token_lifetime);
    if let Some(azp) = azp.filter(|azp| !azp.is_empty()) {
        token = token.azp(azp);
    }
    if let Some(issuer) = issuer {
        token = token.issuer(issuer);
    }
    Some(token.mint())
}

/// A token from the JWT template `template` for the session `session_id`, as the Backend API's
/// `CreateSessionTokenFromTemplate` makes it: the template's claims rendered over the session's
/// user and active organization, then the default claims (`exp` = `iat` + the lifetime, or
/// `expires_in_seconds`; `nbf` = `iat` - the allowed clock skew; `iss` the instance's; `sub`
/// the user; a random `jti`), header `cat` [`JWT_TEMPLATE_CATEGORY`]. 404 for an unknown
/// template, and for a session that is unknown or not active.
pub(crate) fn template_token(
    shared: &Shared,
    session_id: &str,
    template: &str,
    expires_in_seconds: Option<i64>,
) -> Result<String, crate::store::Failure> {
    use crate::store::{DEFAULT_CLAIMS, Failure, render};
    let (template, session, user, membership) = {
        let store = shared.store();
        let (session, membership) = store
            .tokenable_session(session_id)
            .ok_or_else(|| Failure::not_found("session"))?;
        let template = store.jwt_template_named(template)?;
        let user = store.user(&session.user_id)?.clone();
        (template, session, user, membership)
    };
    let rendered = render(
        &Value::Object(template.claims.clone()),
        &user,
        membership.as_ref(),
    );
    let mut claims = match rendered {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for name in DEFAULT_CLAIMS {
        claims.remove(name);
    }
    let iat = unix_now();
    let lifetime = expires_in_seconds
        .filter(|s| *s > 0)
        .unwrap_or(template.lifetime);
    claims.insert("sub".into(), session.user_id.clone().into());
    claims.insert("iss".into(), shared.issuer().into());
    claims.insert("iat".into(), iat.into());
    claims.insert("exp".into(), (iat + lifetime).into());
    claims.insert("nbf".into(), (iat - template.allowed_clock_skew).into());
    claims.insert("jti".into(), crate::ids::random_id(20).into());
    let mut header = Map::new();
    header.insert("cat".into(), JWT_TEMPLATE_CATEGORY.into());
    Ok(sign_jwt(shared, header, claims))
}

/// The `__clerk_handshake` token of a handshake answered with `format=token`: the directives
/// as its `handshake` claim, signed with the instance's key like a session token (header
/// `typ: JWT`, `cat` [`SESSION_CATEGORY`]), valid for a minute.
pub(crate) fn handshake_jwt(shared: &Shared, directives: &[String]) -> String {
    let iat = unix_now();
    let mut claims = Map::new();
    claims.insert("handshake".into(), json!(directives));
    claims.insert("iat".into(), iat.into());
    claims.insert("exp".into(), (iat + 60).into());
    let mut header = Map::new();
    header.insert("cat".into(), SESSION_CATEGORY.into());
    sign_jwt(shared, header, claims)
}

/// Encodes `org:<feature>:<permission>` strings the way Clerk's v2 tokens carry them: the
/// features join `fea` (scope `o`), `per` lists the permission names, and each number of `fpm`
/// is the bit mask over `per` of one organization feature, in the order of `fea`.
fn encode_permissions(permissions: &[String], features: &mut Vec<String>) -> (String, String) {
    let mut per: Vec<&str> = Vec::new();
    let mut grants: Vec<(&str, &str)> = Vec::new();
    for permission in permissions {
        let mut parts = permission.splitn(3, ':');
        let (Some("org"), Some(feature), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if !per.contains(&name) {
            per.push(name);
        }
        let scoped = format!("o:{feature}");
        if !features.iter().any(|f| f == &scoped) {
            features.push(scoped);
        }
        grants.push((feature, name));
    }
    let masks: Vec<String> = features
        .iter()
        .filter_map(|f| f.split_once(':'))
        .filter(|(scope, _)| scope.contains('o'))
        .map(|(_, feature)| {
            grants
                .iter()
                .filter(|(f, _)| *f == feature)
                .filter_map(|(_, name)| per.iter().position(|p| p == name))
                .fold(0u64, |mask, bit| mask | (1 << bit))
                .to_string()
        })
        .collect();
    (per.join(","), masks.join(","))
}

/// Signs `claims` with the instance's current key (RS256), with `header` added to
/// `{"alg", "kid", "typ": "JWT"}` (a `null` value removes a field).
pub(crate) fn sign_jwt(
    shared: &Shared,
    header: Map<String, Value>,
    claims: Map<String, Value>,
) -> String {
    let key = shared.current_key();
    let mut full = Map::new();
    full.insert("alg".into(), SigningAlgorithm::RS256.name().into());
    full.insert("kid".into(), key.kid.clone().into());
    full.insert("typ".into(), "JWT".into());
    for (name, value) in header {
        if value.is_null() {
            full.remove(&name);
        } else {
            full.insert(name, value);
        }
    }
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(Value::Object(full).to_string()),
        URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string())
    );
    let signature = key.sign(SigningAlgorithm::RS256, message.as_bytes());
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// The header and claims of a JWT signed (RS256) by one of the instance's keys; `None` for
/// anything else (not a JWT, another signer, a tampered token).
pub(crate) fn decode_jwt(
    shared: &Shared,
    token: &str,
) -> Option<(Map<String, Value>, Map<String, Value>)> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let decode = |part: &str| -> Option<Map<String, Value>> {
        let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
        match serde_json::from_slice(&bytes).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        }
    };
    let header_map = decode(header)?;
    let claims_map = decode(claims)?;
    if header_map.get("alg").and_then(Value::as_str) != Some("RS256") {
        return None;
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let message = format!("{header}.{claims}");
    let kid = header_map.get("kid").and_then(Value::as_str);
    let signed = shared
        .keys()
        .iter()
        .filter(|k| kid.is_none_or(|kid| k.kid == kid))
        .any(|k| k.verify_rs256(message.as_bytes(), &signature));
    signed.then_some((header_map, claims_map))
}

/// A machine-to-machine JWT as Clerk issues them (`token_format: jwt`): header `cat`
/// [`M2M_CATEGORY`], claims `iss`, `sub` (the machine), `jti` (`mt_…`), `iat`, `nbf`, `exp`
/// and `scopes` (the machines it reaches, space-separated, when any), plus custom `claims`.
pub(crate) fn m2m_jwt(
    shared: &Shared,
    machine_id: &str,
    scopes: &[String],
    claims: Option<&Map<String, Value>>,
    ttl_secs: i64,
) -> (String, String, i64) {
    let iat = unix_now();
    let jti = crate::ids::hex_id("mt");
    let mut c = Map::new();
    if let Some(custom) = claims {
        c.extend(custom.clone());
    }
    c.insert("iss".into(), shared.issuer().into());
    c.insert("sub".into(), machine_id.into());
    c.insert("jti".into(), jti.clone().into());
    c.insert("iat".into(), iat.into());
    c.insert("nbf".into(), (iat - 5).into());
    c.insert("exp".into(), (iat + ttl_secs).into());
    if !scopes.is_empty() {
        c.insert("scopes".into(), scopes.join(" ").into());
    }
    let mut header = Map::new();
    header.insert("cat".into(), M2M_CATEGORY.into());
    (sign_jwt(shared, header, c), jti, iat)
}

/// An OAuth access token in JWT form as Clerk issues them: header `typ: at+jwt`, claims `iss`,
/// `sub` (the user), `client_id`, `scp` (the scopes), `jti` (`oat_…`), `iat`, `nbf`, `exp`.
pub(crate) fn oauth_jwt(
    shared: &Shared,
    user_id: &str,
    client_id: &str,
    scopes: &[String],
    ttl_secs: i64,
) -> String {
    let iat = unix_now();
    let mut c = Map::new();
    c.insert("iss".into(), shared.issuer().into());
    c.insert("sub".into(), user_id.into());
    c.insert("client_id".into(), client_id.into());
    c.insert("scp".into(), json!(scopes));
    c.insert("jti".into(), crate::ids::hex_id("oat").into());
    c.insert("iat".into(), iat.into());
    c.insert("nbf".into(), (iat - 5).into());
    c.insert("exp".into(), (iat + ttl_secs).into());
    let mut header = Map::new();
    header.insert("typ".into(), "at+jwt".into());
    sign_jwt(shared, header, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_encode_like_clerk() {
        let mut features = vec!["u:beta".to_string()];
        let (per, fpm) = encode_permissions(
            &[
                "org:dashboard:manage".into(),
                "org:dashboard:read".into(),
                "org:teams:read".into(),
                "not-a-permission".into(),
            ],
            &mut features,
        );
        assert_eq!(features, ["u:beta", "o:dashboard", "o:teams"]);
        assert_eq!(per, "manage,read");
        assert_eq!(fpm, "3,2");
    }
}
