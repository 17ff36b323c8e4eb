//! [`Requests`]: what the instance has been asked.

use super::LocalClerk;

/// The request counters of a [`LocalClerk`], for tests of caching and retries (how many calls
/// reached Clerk). From [`LocalClerk::requests`].
#[derive(Debug, Clone, Copy)]
pub struct Requests<'a> {
    pub(super) local: &'a LocalClerk,
}

impl Requests<'_> {
    /// How many requests an operation has received, by its operation id in the spec (`GetUser`,
    /// `CreateOrganization`, `GetJWKS`, ...), whether LocalClerk emulates it or not.
    pub fn count(&self, operation_id: &str) -> usize {
        self.local.shared.calls(operation_id)
    }

    /// How many requests `/v1/jwks` has received (including failed ones).
    pub fn jwks(&self) -> usize {
        self.local.shared.jwks_requests()
    }
}
