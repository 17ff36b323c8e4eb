//! [`ApiKeys`]: API keys of users, organizations and machines.

use clerk_core::models::GetApiKeyResponse;

use super::LocalClerk;
use crate::store::{NewApiKey, convert};

/// The API keys of a [`LocalClerk`], created and revoked without HTTP. From
/// [`LocalClerk::api_keys`].
#[derive(Debug, Clone, Copy)]
pub struct ApiKeys<'a> {
    pub(super) local: &'a LocalClerk,
}

impl ApiKeys<'_> {
    /// Creates an API key for a subject (`user_…`, `org_…` or `mch_…`) with scopes; returns
    /// the key and its secret (`ak_…`), which `verifyApiKey` accepts.
    ///
    /// # Panics
    /// If the subject is not a user, organization or machine id.
    pub fn create<I, S>(&self, subject: &str, name: &str, scopes: I) -> (GetApiKeyResponse, String)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let created = self
            .local
            .shared
            .store()
            .create_api_key(NewApiKey {
                name: name.to_owned(),
                subject: subject.to_owned(),
                scopes: scopes.into_iter().map(Into::into).collect(),
                ..NewApiKey::default()
            })
            .unwrap_or_else(|f| panic!("create_api_key: {}", f.message));
        let secret = created.secret.clone();
        (convert(&created), secret)
    }

    /// Revokes an API key, as `revokeApiKey`: it still verifies, with `revoked: true`.
    ///
    /// # Panics
    /// If there is no such API key.
    pub fn revoke(&self, api_key_id: &str, reason: Option<&str>) {
        self.local
            .shared
            .store()
            .revoke_api_key(api_key_id, reason.map(str::to_owned))
            .unwrap_or_else(|f| panic!("revoke_api_key: {}", f.message));
    }
}
