//! Machine authentication: machines (with their secret keys and the machines they may reach),
//! API keys, opaque M2M tokens and opaque OAuth access tokens. Credentials are looked up by
//! their secret; a revoked or expired one still verifies, with `revoked` or `expired` set, as
//! Clerk answers, and an unknown one is not found. JWT forms are stateless and not kept here.

use std::collections::BTreeSet;

use clerk_core::models::{
    CreateApiKeyResponse, CreateM2MTokenResponse, CreateMachineResponse, DeleteApiKeyResponse,
    DeleteMachineResponse, DeleteMachineScopeResponse, GetApiKeyResponse, Machine, MachineScope,
    MachineWithoutScopedMachines, VerifyM2MTokenResponse,
    VerifyOauthAccessTokenResponseClerkIdpOauthAccessToken,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Failure, Outcome, Store};
use crate::ids::{hex_id, object_id, random_id};
use crate::time::now_ms;

/// The lifetime of an M2M token when neither the request nor the machine sets one (Clerk: 1 hour).
pub(crate) const DEFAULT_M2M_TTL_SECS: i64 = 3600;
/// The lifetime of an opaque OAuth access token minted by a helper (Clerk: 1 day).
pub(crate) const DEFAULT_OAUTH_TTL_SECS: i64 = 86_400;

/// A machine, its secret key and the machines it may reach.
#[derive(Debug, Clone)]
pub(crate) struct MachineRecord {
    pub(crate) machine: MachineWithoutScopedMachines,
    pub(crate) secret_key: String,
    /// The secret key before the last rotation and until when (Unix ms) it still works.
    previous_secret_key: Option<(String, i64)>,
    pub(crate) scopes: BTreeSet<String>,
}

/// An API key and its secret.
#[derive(Debug, Clone)]
pub(crate) struct ApiKeyRecord {
    pub(crate) key: GetApiKeyResponse,
    pub(crate) secret: String,
    deleted: bool,
}

/// An opaque M2M token.
#[derive(Debug, Clone)]
pub(crate) struct M2mRecord {
    pub(crate) token: VerifyM2MTokenResponse,
    pub(crate) secret: String,
}

/// An opaque OAuth access token.
#[derive(Debug, Clone)]
pub(crate) struct OauthRecord {
    pub(crate) token: VerifyOauthAccessTokenResponseClerkIdpOauthAccessToken,
    pub(crate) secret: String,
}

/// Converts between the generated models that share a shape (the answers about an API key).
pub(crate) fn convert<A: Serialize, B: DeserializeOwned + Default>(a: &A) -> B {
    serde_json::to_value(a)
        .and_then(serde_json::from_value)
        .unwrap_or_default()
}

fn expired(expiration: Option<i64>) -> bool {
    expiration.is_some_and(|e| e <= now_ms())
}

/// `seconds_until_expiration` of a request: positive, or absent for no expiry.
fn expiration_from(now: i64, seconds: Option<f64>) -> Outcome<Option<i64>> {
    match seconds {
        Some(s) if s <= 0.0 || !s.is_finite() => Err(Failure::unprocessable(
            "form_param_value_invalid",
            "seconds_until_expiration must be greater than 0",
        )),
        Some(s) => Ok(Some(now + (s * 1000.0) as i64)),
        None => Ok(None),
    }
}

/// What a new API key is made of.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewApiKey {
    pub(crate) name: String,
    pub(crate) subject: String,
    pub(crate) kind: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) claims: Option<serde_json::Value>,
    pub(crate) scopes: Vec<String>,
    pub(crate) created_by: Option<String>,
    pub(crate) seconds_until_expiration: Option<f64>,
}

impl Store {
    fn machine_record(&self, machine_id: &str) -> Outcome<&MachineRecord> {
        self.machines
            .get(machine_id)
            .ok_or_else(|| Failure::not_found("machine"))
    }

    /// A machine with the machines it may reach.
    pub(crate) fn machine(&self, machine_id: &str) -> Outcome<Machine> {
        let record = self.machine_record(machine_id)?;
        let m = &record.machine;
        Ok(Machine {
            object: m.object.clone(),
            id: m.id.clone(),
            name: m.name.clone(),
            instance_id: m.instance_id.clone(),
            created_at: m.created_at,
            updated_at: m.updated_at,
            default_token_ttl: m.default_token_ttl,
            scoped_machines: record
                .scopes
                .iter()
                .filter_map(|id| self.machines.get(id))
                .map(|r| r.machine.clone())
                .collect(),
        })
    }

    /// Every machine, oldest first.
    pub(crate) fn machine_list(&self) -> Vec<Machine> {
        let mut list: Vec<Machine> = self
            .machines
            .keys()
            .filter_map(|id| self.machine(id).ok())
            .collect();
        list.sort_by_key(|m| m.created_at);
        list
    }

    /// Creates a machine with a new secret key, reaching `scoped_machines` (which must exist).
    pub(crate) fn create_machine(
        &mut self,
        instance_id: &str,
        name: String,
        scoped_machines: Vec<String>,
        default_token_ttl: Option<i64>,
    ) -> Outcome<CreateMachineResponse> {
        if name.trim().is_empty() {
            return Err(Failure::unprocessable(
                "form_param_missing",
                "name must be given",
            ));
        }
        if default_token_ttl.is_some_and(|ttl| ttl < 1) {
            return Err(Failure::unprocessable(
                "form_param_value_invalid",
                "default_token_ttl must be at least 1 second",
            ));
        }
        for id in &scoped_machines {
            self.machine_record(id)?;
        }
        let now = self.tick();
        let machine = MachineWithoutScopedMachines {
            object: "machine".into(),
            id: object_id("mch"),
            name,
            instance_id: instance_id.to_owned(),
            created_at: now,
            updated_at: now,
            default_token_ttl: Some(default_token_ttl.unwrap_or(DEFAULT_M2M_TTL_SECS)),
        };
        let secret_key = format!("ak_{}", random_id(40));
        let id = machine.id.clone();
        self.machines.insert(
            id.clone(),
            MachineRecord {
                machine,
                secret_key: secret_key.clone(),
                previous_secret_key: None,
                scopes: scoped_machines.into_iter().collect(),
            },
        );
        let m = self.machine(&id)?;
        Ok(CreateMachineResponse {
            object: m.object,
            id: m.id,
            name: m.name,
            instance_id: m.instance_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            default_token_ttl: m.default_token_ttl,
            scoped_machines: m.scoped_machines,
            secret_key,
        })
    }

    pub(crate) fn update_machine(
        &mut self,
        machine_id: &str,
        name: Option<String>,
        default_token_ttl: Option<i64>,
    ) -> Outcome<Machine> {
        if default_token_ttl.is_some_and(|ttl| ttl < 1) {
            return Err(Failure::unprocessable(
                "form_param_value_invalid",
                "default_token_ttl must be at least 1 second",
            ));
        }
        let now = self.tick();
        let record = self
            .machines
            .get_mut(machine_id)
            .ok_or_else(|| Failure::not_found("machine"))?;
        if let Some(name) = name {
            record.machine.name = name;
        }
        if let Some(ttl) = default_token_ttl {
            record.machine.default_token_ttl = Some(ttl);
        }
        record.machine.updated_at = now;
        self.machine(machine_id)
    }

    /// Deletes a machine; other machines no longer reach it.
    pub(crate) fn delete_machine(&mut self, machine_id: &str) -> Outcome<DeleteMachineResponse> {
        self.machines
            .remove(machine_id)
            .ok_or_else(|| Failure::not_found("machine"))?;
        for record in self.machines.values_mut() {
            record.scopes.remove(machine_id);
        }
        Ok(DeleteMachineResponse {
            object: "machine".into(),
            id: machine_id.to_owned(),
            deleted: true,
        })
    }

    pub(crate) fn machine_secret_key(&self, machine_id: &str) -> Outcome<String> {
        Ok(self.machine_record(machine_id)?.secret_key.clone())
    }

    /// A new secret key for a machine; the previous one keeps working for
    /// `previous_token_ttl` seconds (0 to 28800, as Clerk allows).
    pub(crate) fn rotate_machine_secret_key(
        &mut self,
        machine_id: &str,
        previous_token_ttl: i64,
    ) -> Outcome<String> {
        if !(0..=28_800).contains(&previous_token_ttl) {
            return Err(Failure::unprocessable(
                "form_param_value_invalid",
                "previous_token_ttl must be between 0 and 28800 seconds",
            ));
        }
        let now = self.tick();
        let record = self
            .machines
            .get_mut(machine_id)
            .ok_or_else(|| Failure::not_found("machine"))?;
        let previous = std::mem::replace(&mut record.secret_key, format!("ak_{}", random_id(40)));
        record.previous_secret_key =
            (previous_token_ttl > 0).then(|| (previous, now + previous_token_ttl * 1000));
        record.machine.updated_at = now;
        Ok(record.secret_key.clone())
    }

    /// The machine whose secret key (or previous one, while it still works) this is.
    pub(crate) fn machine_by_secret_key(&self, secret_key: &str) -> Option<&str> {
        self.machines
            .values()
            .find(|r| {
                r.secret_key == secret_key
                    || r.previous_secret_key
                        .as_ref()
                        .is_some_and(|(key, until)| key == secret_key && *until > now_ms())
            })
            .map(|r| r.machine.id.as_str())
    }

    pub(crate) fn create_machine_scope(
        &mut self,
        from_machine_id: &str,
        to_machine_id: &str,
    ) -> Outcome<MachineScope> {
        self.machine_record(to_machine_id)?;
        let now = self.tick();
        let record = self
            .machines
            .get_mut(from_machine_id)
            .ok_or_else(|| Failure::not_found("machine"))?;
        if from_machine_id == to_machine_id {
            return Err(Failure::unprocessable(
                "form_param_value_invalid",
                "a machine cannot be scoped to itself",
            ));
        }
        record.scopes.insert(to_machine_id.to_owned());
        Ok(MachineScope {
            object: "machine_scope".into(),
            from_machine_id: from_machine_id.to_owned(),
            to_machine_id: to_machine_id.to_owned(),
            created_at: now,
        })
    }

    pub(crate) fn delete_machine_scope(
        &mut self,
        from_machine_id: &str,
        to_machine_id: &str,
    ) -> Outcome<DeleteMachineScopeResponse> {
        let now = self.tick();
        let record = self
            .machines
            .get_mut(from_machine_id)
            .ok_or_else(|| Failure::not_found("machine"))?;
        if !record.scopes.remove(to_machine_id) {
            return Err(Failure::not_found("machine scope"));
        }
        record.machine.updated_at = now;
        Ok(DeleteMachineScopeResponse {
            object: "machine_scope".into(),
            from_machine_id: from_machine_id.to_owned(),
            to_machine_id: to_machine_id.to_owned(),
            deleted: true,
        })
    }

    // ---- API keys ----

    fn api_key_record(&self, api_key_id: &str) -> Outcome<&ApiKeyRecord> {
        self.api_keys
            .get(api_key_id)
            .filter(|r| !r.deleted)
            .ok_or_else(|| Failure::not_found("API key"))
    }

    /// An API key, with `expired` as of now.
    pub(crate) fn api_key(&self, api_key_id: &str) -> Outcome<GetApiKeyResponse> {
        let mut key = self.api_key_record(api_key_id)?.key.clone();
        key.expired = expired(key.expiration);
        Ok(key)
    }

    /// The API keys of a subject, oldest first; revoked and expired ones only when asked.
    pub(crate) fn api_key_list(
        &self,
        subject: Option<&str>,
        include_invalid: bool,
    ) -> Vec<GetApiKeyResponse> {
        let mut list: Vec<GetApiKeyResponse> = self
            .api_keys
            .values()
            .filter(|r| !r.deleted)
            .filter(|r| subject.is_none_or(|s| r.key.subject == s))
            .filter_map(|r| self.api_key(&r.key.id).ok())
            .filter(|k| include_invalid || !(k.revoked || k.expired))
            .collect();
        list.sort_by_key(|k| k.created_at);
        list
    }

    pub(crate) fn create_api_key(&mut self, new: NewApiKey) -> Outcome<CreateApiKeyResponse> {
        if new.name.trim().is_empty() {
            return Err(Failure::unprocessable(
                "form_param_missing",
                "name must be given",
            ));
        }
        let valid_subject = ["user_", "org_", "mch_"]
            .iter()
            .any(|p| new.subject.starts_with(p));
        if !valid_subject {
            return Err(Failure::unprocessable(
                "form_param_format_invalid",
                "subject must be a user, organization or machine id",
            ));
        }
        let now = self.tick();
        let key = GetApiKeyResponse {
            object: "api_key".into(),
            id: hex_id("ak"),
            r#type: new.kind.unwrap_or_else(|| "api_key".into()),
            subject: new.subject,
            name: new.name,
            description: new.description,
            claims: new.claims,
            scopes: new.scopes,
            revoked: false,
            revocation_reason: None,
            expired: false,
            expiration: expiration_from(now, new.seconds_until_expiration)?,
            created_by: new.created_by,
            last_used_at: None,
            created_at: now,
            updated_at: now,
        };
        let secret = format!("ak_{}", random_id(40));
        let mut answer: CreateApiKeyResponse = convert(&key);
        answer.secret = secret.clone();
        self.api_keys.insert(
            key.id.clone(),
            ApiKeyRecord {
                key,
                secret,
                deleted: false,
            },
        );
        Ok(answer)
    }

    pub(crate) fn update_api_key(
        &mut self,
        api_key_id: &str,
        claims: Option<Option<serde_json::Value>>,
        scopes: Option<Vec<String>>,
        description: Option<Option<String>>,
        subject: Option<String>,
        seconds_until_expiration: Option<Option<f64>>,
    ) -> Outcome<GetApiKeyResponse> {
        self.api_key_record(api_key_id)?;
        let now = self.tick();
        let expiration = match seconds_until_expiration {
            Some(s) => Some(expiration_from(now, s)?),
            None => None,
        };
        let record = self
            .api_keys
            .get_mut(api_key_id)
            .ok_or_else(|| Failure::not_found("API key"))?;
        if let Some(claims) = claims {
            record.key.claims = claims;
        }
        if let Some(scopes) = scopes {
            record.key.scopes = scopes;
        }
        if let Some(description) = description {
            record.key.description = description;
        }
        if let Some(subject) = subject {
            record.key.subject = subject;
        }
        if let Some(expiration) = expiration {
            record.key.expiration = expiration;
        }
        record.key.updated_at = now;
        self.api_key(api_key_id)
    }

    pub(crate) fn delete_api_key(&mut self, api_key_id: &str) -> Outcome<DeleteApiKeyResponse> {
        self.api_key_record(api_key_id)?;
        if let Some(record) = self.api_keys.get_mut(api_key_id) {
            record.deleted = true;
        }
        Ok(DeleteApiKeyResponse {
            id: api_key_id.to_owned(),
            object: "api_key".into(),
            deleted: true,
        })
    }

    pub(crate) fn api_key_secret(&self, api_key_id: &str) -> Outcome<String> {
        Ok(self.api_key_record(api_key_id)?.secret.clone())
    }

    /// Revokes an API key; it still verifies, with `revoked: true` and the reason.
    pub(crate) fn revoke_api_key(
        &mut self,
        api_key_id: &str,
        reason: Option<String>,
    ) -> Outcome<GetApiKeyResponse> {
        self.api_key_record(api_key_id)?;
        let now = self.tick();
        if let Some(record) = self.api_keys.get_mut(api_key_id) {
            record.key.revoked = true;
            record.key.revocation_reason = reason;
            record.key.updated_at = now;
        }
        self.api_key(api_key_id)
    }

    /// The API key with this secret, its use recorded; a deleted or unknown one is not found.
    pub(crate) fn verify_api_key(&mut self, secret: &str) -> Outcome<GetApiKeyResponse> {
        let now = now_ms();
        let record = self
            .api_keys
            .values_mut()
            .find(|r| !r.deleted && r.secret == secret)
            .ok_or_else(|| Failure::not_found("API key"))?;
        record.key.last_used_at = Some(now);
        let id = record.key.id.clone();
        self.api_key(&id)
    }

    // ---- M2M tokens ----

    /// A new opaque M2M token of a machine, reaching `scopes` (default: the machines it may
    /// reach), living `ttl_secs` (default: the machine's default TTL; zero or negative makes an
    /// expired token, for tests).
    pub(crate) fn create_m2m_token(
        &mut self,
        machine_id: &str,
        scopes: Option<Vec<String>>,
        claims: Option<serde_json::Value>,
        ttl_secs: Option<f64>,
    ) -> Outcome<CreateM2MTokenResponse> {
        let record = self.machine_record(machine_id)?;
        let scopes = scopes.unwrap_or_else(|| record.scopes.iter().cloned().collect());
        let ttl = ttl_secs.unwrap_or_else(|| {
            record
                .machine
                .default_token_ttl
                .unwrap_or(DEFAULT_M2M_TTL_SECS) as f64
        });
        let now = self.tick();
        let token = VerifyM2MTokenResponse {
            object: "machine_to_machine_token".into(),
            id: hex_id("mt"),
            subject: machine_id.to_owned(),
            claims,
            scopes: Some(scopes),
            revoked: false,
            revocation_reason: None,
            expired: false,
            expiration: Some(now + (ttl * 1000.0) as i64),
            last_used_at: None,
            created_at: now,
            updated_at: now,
        };
        let secret = format!("mt_{}", random_id(40));
        let mut answer: CreateM2MTokenResponse = convert(&token);
        answer.token = secret.clone();
        answer.expired = expired(token.expiration);
        self.m2m_tokens
            .insert(token.id.clone(), M2mRecord { token, secret });
        Ok(answer)
    }

    /// `createM2MToken` with `min_remaining_ttl_seconds`: a live opaque token of the machine
    /// with the same claims and scopes and at least that many seconds left is answered again
    /// instead of a new one. The minimum must be below the new token's lifetime (else 400).
    pub(crate) fn create_or_reuse_m2m_token(
        &mut self,
        machine_id: &str,
        claims: Option<serde_json::Value>,
        ttl_secs: Option<f64>,
        min_remaining_ttl_secs: i64,
    ) -> Outcome<CreateM2MTokenResponse> {
        let record = self.machine_record(machine_id)?;
        let ttl = ttl_secs.unwrap_or_else(|| {
            record
                .machine
                .default_token_ttl
                .unwrap_or(DEFAULT_M2M_TTL_SECS) as f64
        });
        if min_remaining_ttl_secs < 0 || min_remaining_ttl_secs as f64 >= ttl {
            return Err(Failure {
                status: 400,
                code: "form_param_value_invalid",
                message: "min_remaining_ttl_seconds must be less than the token's lifetime".into(),
            });
        }
        let scopes: Vec<String> = record.scopes.iter().cloned().collect();
        let now = now_ms();
        let reusable = self.m2m_tokens.values().find(|r| {
            r.token.subject == machine_id
                && !r.token.revoked
                && r.token.claims == claims
                && r.token.scopes.as_deref() == Some(scopes.as_slice())
                && r.token
                    .expiration
                    .is_some_and(|e| e - now >= min_remaining_ttl_secs * 1000)
        });
        if let Some(record) = reusable {
            let mut answer: CreateM2MTokenResponse = convert(&Self::m2m_view(record));
            answer.token = record.secret.clone();
            return Ok(answer);
        }
        self.create_m2m_token(machine_id, None, claims, ttl_secs)
    }

    fn m2m_view(record: &M2mRecord) -> VerifyM2MTokenResponse {
        let mut token = record.token.clone();
        token.expired = expired(token.expiration);
        token
    }

    /// The M2M tokens of a machine, oldest first.
    pub(crate) fn m2m_token_list(
        &self,
        subject: &str,
        revoked: Option<bool>,
        expired: Option<bool>,
    ) -> Vec<VerifyM2MTokenResponse> {
        let mut list: Vec<VerifyM2MTokenResponse> = self
            .m2m_tokens
            .values()
            .filter(|r| r.token.subject == subject)
            .map(Self::m2m_view)
            .filter(|t| revoked.is_none_or(|r| t.revoked == r))
            .filter(|t| expired.is_none_or(|e| t.expired == e))
            .collect();
        list.sort_by_key(|t| t.created_at);
        list
    }

    pub(crate) fn revoke_m2m_token(
        &mut self,
        token_id: &str,
        reason: Option<String>,
    ) -> Outcome<VerifyM2MTokenResponse> {
        let now = self.tick();
        let record = self
            .m2m_tokens
            .get_mut(token_id)
            .ok_or_else(|| Failure::not_found("M2M token"))?;
        record.token.revoked = true;
        record.token.revocation_reason = reason;
        record.token.updated_at = now;
        Ok(Self::m2m_view(record))
    }

    /// The opaque M2M token with this secret, its use recorded.
    pub(crate) fn verify_m2m_token(&mut self, secret: &str) -> Outcome<VerifyM2MTokenResponse> {
        let now = now_ms();
        let record = self
            .m2m_tokens
            .values_mut()
            .find(|r| r.secret == secret)
            .ok_or_else(|| Failure::not_found("M2M token"))?;
        record.token.last_used_at = Some(now);
        Ok(Self::m2m_view(record))
    }

    // ---- OAuth access tokens ----

    /// A new opaque OAuth access token of a user for an OAuth application.
    pub(crate) fn create_oauth_access_token(
        &mut self,
        user_id: &str,
        client_id: &str,
        scopes: Vec<String>,
        ttl_secs: i64,
    ) -> (
        VerifyOauthAccessTokenResponseClerkIdpOauthAccessToken,
        String,
    ) {
        let now = self.tick();
        let token = VerifyOauthAccessTokenResponseClerkIdpOauthAccessToken {
            object: "clerk_idp_oauth_access_token".into(),
            id: hex_id("oat"),
            client_id: client_id.to_owned(),
            subject: user_id.to_owned(),
            scopes,
            revoked: false,
            revocation_reason: None,
            expired: false,
            expiration: Some(now + ttl_secs * 1000),
            created_at: now,
            updated_at: now,
        };
        let secret = format!("oat_{}", random_id(40));
        self.oauth_access_tokens.insert(
            token.id.clone(),
            OauthRecord {
                token: token.clone(),
                secret: secret.clone(),
            },
        );
        (token, secret)
    }

    /// Revokes an opaque OAuth access token; it still verifies, with `revoked: true`.
    pub(crate) fn revoke_oauth_access_token(
        &mut self,
        token_id: &str,
        reason: Option<String>,
    ) -> Outcome<()> {
        let now = self.tick();
        let record = self
            .oauth_access_tokens
            .get_mut(token_id)
            .ok_or_else(|| Failure::not_found("OAuth access token"))?;
        record.token.revoked = true;
        record.token.revocation_reason = reason;
        record.token.updated_at = now;
        Ok(())
    }

    /// The opaque OAuth access token with this secret.
    pub(crate) fn verify_oauth_access_token(
        &self,
        secret: &str,
    ) -> Outcome<VerifyOauthAccessTokenResponseClerkIdpOauthAccessToken> {
        let record = self
            .oauth_access_tokens
            .values()
            .find(|r| r.secret == secret)
            .ok_or_else(|| Failure::not_found("OAuth access token"))?;
        let mut token = record.token.clone();
        token.expired = expired(token.expiration);
        Ok(token)
    }
}
