//! Opaque M2M tokens (`mt_…`) of machines. A token is looked up by its secret; a revoked or
//! expired one still verifies, with `revoked` or `expired` set, as Clerk answers, and an unknown
//! one is not found. The JWT form is stateless and not kept here.

use clerk_core::models::{CreateM2MTokenResponse, VerifyM2MTokenResponse};

use super::machines::DEFAULT_M2M_TTL_SECS;
use super::{Failure, Outcome, Store, convert, expired};
use crate::ids::{hex_id, random_id};
use crate::time::now_ms;

/// An opaque M2M token.
#[derive(Debug, Clone)]
pub(crate) struct M2mRecord {
    pub(crate) token: VerifyM2MTokenResponse,
    pub(crate) secret: String,
}

impl Store {
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
}
