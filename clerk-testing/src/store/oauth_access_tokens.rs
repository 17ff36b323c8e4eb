//! Opaque OAuth access tokens (`oat_…`) that users granted OAuth applications. A token is
//! looked up by its secret; a revoked or expired one still verifies, with `revoked` or `expired`
//! set, as Clerk answers, and an unknown one is not found. The JWT form is stateless and not
//! kept here.

use clerk_core::models::VerifyOauthAccessTokenResponseClerkIdpOauthAccessToken;

use super::{Failure, Outcome, Store, expired};
use crate::ids::{hex_id, random_id};

/// The lifetime of an opaque OAuth access token minted by a helper (Clerk: 1 day).
pub(crate) const DEFAULT_OAUTH_TTL_SECS: i64 = 86_400;

/// An opaque OAuth access token.
#[derive(Debug, Clone)]
pub(crate) struct OauthRecord {
    pub(crate) token: VerifyOauthAccessTokenResponseClerkIdpOauthAccessToken,
    pub(crate) secret: String,
}

impl Store {
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
