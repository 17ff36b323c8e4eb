//! [`Faults`]: the instance failing on demand.

use super::LocalClerk;
use crate::fault::Fault;

/// Fault injection on a [`LocalClerk`], to test what an app does when Clerk fails: errors,
/// latency and rate limits on the Backend API or on `/v1/jwks`, and the server going away.
/// From [`LocalClerk::faults`].
#[derive(Debug, Clone, Copy)]
pub struct Faults<'a> {
    pub(super) local: &'a LocalClerk,
}

impl Faults<'_> {
    /// Makes every Backend API route but `/v1/jwks` fail, slow down or rate-limit (or recover,
    /// with `None`).
    pub fn set_api(&self, fault: Option<Fault>) {
        self.local.shared.set_api_fault(fault);
    }

    /// Makes `/v1/jwks` fail (or recover, with `None`).
    pub fn set_jwks(&self, fault: Option<Fault>) {
        self.local.shared.set_jwks_fault(fault);
    }

    /// Stops the server: the port is closed and every open connection dropped. Clients then see
    /// "connection refused", as when Clerk is unreachable.
    pub async fn shutdown(&self) {
        self.local.server.stop().await;
    }
}
