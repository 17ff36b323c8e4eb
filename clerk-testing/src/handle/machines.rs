//! [`Machines`]: machines and their M2M tokens.

use clerk_core::models::CreateMachineResponse;

use super::LocalClerk;
use crate::token;

/// The machines of a [`LocalClerk`] and their M2M tokens, opaque (`mt_…`, kept and revocable)
/// or JWT (stateless), without HTTP. From [`LocalClerk::machines`].
#[derive(Debug, Clone, Copy)]
pub struct Machines<'a> {
    pub(super) local: &'a LocalClerk,
}

impl Machines<'_> {
    /// Creates a machine (`mch_…`); the answer carries its secret key (`ak_…`), which
    /// authenticates `createM2MToken` and `verifyM2MToken` as Clerk's machine secret keys do.
    pub fn create(&self, name: &str) -> CreateMachineResponse {
        let instance_id = self.local.instance_id().to_owned();
        self.local
            .shared
            .store()
            .create_machine(&instance_id, name.to_owned(), Vec::new(), None)
            .unwrap_or_else(|f| panic!("create_machine: {}", f.message))
    }

    /// Lets machine `from` reach machine `to`: M2M tokens of `from` carry `to` in their scopes.
    ///
    /// # Panics
    /// If either machine does not exist.
    pub fn add_scope(&self, from: &str, to: &str) {
        self.local
            .shared
            .store()
            .create_machine_scope(from, to)
            .unwrap_or_else(|f| panic!("add_machine_scope: {}", f.message));
    }

    /// Mints an opaque M2M token (`mt_…`) of a machine with these scopes (the ids of the
    /// machines it may reach), living `ttl_secs` seconds (zero or negative: already expired).
    ///
    /// # Panics
    /// If the machine does not exist.
    pub fn mint_m2m_token<I, S>(&self, machine_id: &str, scopes: I, ttl_secs: i64) -> String
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.local
            .shared
            .store()
            .create_m2m_token(
                machine_id,
                Some(scopes.into_iter().map(Into::into).collect()),
                None,
                Some(ttl_secs as f64),
            )
            .unwrap_or_else(|f| panic!("mint_m2m_token: {}", f.message))
            .token
    }

    /// Revokes an opaque M2M token by its secret, as `revokeM2MToken`: it still verifies, with
    /// `revoked: true`. Returns whether there was such a token.
    pub fn revoke_m2m_token(&self, token: &str, reason: Option<&str>) -> bool {
        let mut store = self.local.shared.store();
        let id = store
            .m2m_tokens
            .values()
            .find(|r| r.secret == token)
            .map(|r| r.token.id.clone());
        id.is_some_and(|id| {
            store
                .revoke_m2m_token(&id, reason.map(str::to_owned))
                .is_ok()
        })
    }

    /// Mints an M2M token in JWT form, as Clerk does for `token_format: jwt`: signed (RS256)
    /// with the instance's key, header `cat: cl_B7d4PD333AAA` ([`M2M_CATEGORY`](crate::M2M_CATEGORY)),
    /// claims `iss`, `sub` (the machine), `jti` (`mt_…`), `iat`, `nbf`, `exp` (`ttl_secs`
    /// after `iat`; negative for an expired token) and `scopes` (space-separated, when any).
    /// The machine need not exist.
    pub fn mint_m2m_jwt<I, S>(&self, machine_id: &str, scopes: I, ttl_secs: i64) -> String
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        token::m2m_jwt(&self.local.shared, machine_id, &scopes, None, ttl_secs).0
    }
}
