//! API keys of users, organizations and machines. A key is looked up by its secret; a revoked
//! or expired one still verifies, with `revoked` or `expired` set, as Clerk answers; a deleted or
//! unknown one is not found.

use clerk_core::models::{CreateApiKeyResponse, DeleteApiKeyResponse, GetApiKeyResponse};

use super::{Failure, Outcome, Store, convert, expired};
use crate::ids::{hex_id, random_id};
use crate::time::now_ms;

/// An API key and its secret.
#[derive(Debug, Clone)]
pub(crate) struct ApiKeyRecord {
    pub(crate) key: GetApiKeyResponse,
    pub(crate) secret: String,
    deleted: bool,
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
}
