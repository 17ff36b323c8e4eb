//! [`Oauth`]: OAuth access tokens that users granted OAuth applications.

use super::LocalClerk;
use crate::store::DEFAULT_OAUTH_TTL_SECS;
use crate::token;

/// The OAuth access tokens of a [`LocalClerk`], opaque (`oat_…`, kept and revocable) or JWT
/// (stateless), minted without HTTP. From [`LocalClerk::oauth`].
#[derive(Debug, Clone, Copy)]
pub struct Oauth<'a> {
    pub(super) local: &'a LocalClerk,
}

impl Oauth<'_> {
    /// Mints an opaque OAuth access token (`oat_…`) that a user granted an OAuth application
    /// (`client_id`), with scopes, valid for a day; `verifyOAuthAccessToken` accepts it.
    pub fn mint_access_token<I, S>(&self, user_id: &str, client_id: &str, scopes: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.mint_access_token_with_ttl(user_id, client_id, scopes, DEFAULT_OAUTH_TTL_SECS)
    }

    /// [`mint_access_token`](Self::mint_access_token) living `ttl_secs` seconds (zero or
    /// negative: already expired, answered with `expired: true`).
    pub fn mint_access_token_with_ttl<I, S>(
        &self,
        user_id: &str,
        client_id: &str,
        scopes: I,
        ttl_secs: i64,
    ) -> String
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes = scopes.into_iter().map(Into::into).collect();
        self.local
            .shared
            .store()
            .create_oauth_access_token(user_id, client_id, scopes, ttl_secs)
            .1
    }

    /// Revokes an opaque OAuth access token by its secret: it still verifies, with
    /// `revoked: true`. Returns whether there was such a token.
    pub fn revoke_access_token(&self, token: &str) -> bool {
        let mut store = self.local.shared.store();
        let id = store
            .oauth_access_tokens
            .values()
            .find(|r| r.secret == token)
            .map(|r| r.token.id.clone());
        id.is_some_and(|id| store.revoke_oauth_access_token(&id, None).is_ok())
    }

    /// Mints an OAuth access token in JWT form, as Clerk does: signed (RS256) with the
    /// instance's key, header `typ: at+jwt`, claims `iss`, `sub` (the user), `client_id`, `scp`
    /// (the scopes), `jti` (`oat_…`), `iat`, `nbf` and `exp` (`ttl_secs` after `iat`; negative
    /// for an expired token, which `verifyOAuthAccessToken` answers `{"active": false}`).
    pub fn mint_jwt<I, S>(&self, user_id: &str, client_id: &str, scopes: I, ttl_secs: i64) -> String
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        token::oauth_jwt(&self.local.shared, user_id, client_id, &scopes, ttl_secs)
    }
}
