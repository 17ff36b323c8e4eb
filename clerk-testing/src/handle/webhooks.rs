//! [`Webhooks`]: webhook endpoints and their deliveries.

use std::time::Duration;

use super::LocalClerk;
use crate::webhooks::{WebhookDelivery, WebhookEndpoint};

/// The webhook endpoints of a [`LocalClerk`] and every delivery attempt made to them. From
/// [`LocalClerk::webhooks`].
#[derive(Debug, Clone, Copy)]
pub struct Webhooks<'a> {
    pub(super) local: &'a LocalClerk,
}

impl Webhooks<'_> {
    /// Registers a webhook endpoint: from now on, every change LocalClerk makes (through the
    /// Backend API or the helpers) is POSTed to `url` as the event Clerk sends, signed with the
    /// endpoint's new secret ([`WebhookEndpoint::secret`], for the app's
    /// `CLERK_WEBHOOK_SIGNING_SECRET`) as Svix signs Clerk's webhooks.
    ///
    /// The events, their `data` the object as the Backend API returns it:
    ///
    /// | change | events |
    /// |---|---|
    /// | `CreateUser`, [`users().create`](super::Users::create) | `user.created` |
    /// | `UpdateUser`, `UpdateUserMetadata`, `BanUser`, `UnbanUser`, `LockUser`, `UnlockUser` | `user.updated` |
    /// | `DeleteUser` | `session.removed` for each of the user's active sessions, then `user.deleted` (`{"object": "user", "id", "deleted": true, "external_id"}`) |
    /// | `CreateOrganization`, [`organizations().create`](super::Organizations::create) | `organization.created`, then `organizationMembership.created` for `created_by` |
    /// | `UpdateOrganization`, `MergeOrganizationMetadata` | `organization.updated` |
    /// | `DeleteOrganization` | `organization.deleted` (`{"object": "organization", "id", "slug", "deleted": true}`) |
    /// | `CreateOrganizationMembership`, [`organizations().add_member`](super::Organizations::add_member) | `organizationMembership.created` |
    /// | `UpdateOrganizationMembership` | `organizationMembership.updated` |
    /// | `DeleteOrganizationMembership` | `organizationMembership.deleted` (the membership removed) |
    /// | [`sessions().sign_in`](super::Sessions::sign_in), [`sessions().sign_in_to_org`](super::Sessions::sign_in_to_org) | `session.created` (the session and its `user`) |
    /// | `RevokeSession` | `session.revoked` (the session and its `user`) |
    ///
    /// Instance invitations (`CreateInvitation`, `RevokeInvitation`) have no webhook event in
    /// Clerk, and send none; the memberships an organization's or a user's deletion takes with
    /// it send no `organizationMembership.deleted`.
    ///
    /// The body is `{"data", "object": "event", "type", "timestamp" (Unix milliseconds),
    /// "instance_id", "event_attributes": {"http_request": {"client_ip", "user_agent"}}}`, the
    /// request being the Backend API request that made the change (`127.0.0.1` and
    /// `LocalClerk` for the helpers). The headers are Svix's: `svix-id` (the message id, the
    /// same in every attempt and to every endpoint), `svix-timestamp` (Unix seconds) and
    /// `svix-signature` (`v1,` and the base64 of the HMAC-SHA256 of `{id}.{timestamp}.{body}`
    /// keyed with the base64-decoded secret after `whsec_`).
    ///
    /// Delivery runs in the background (the change's response does not wait for it), one
    /// message at a time per endpoint, in the order of the changes. A non-2xx answer or a
    /// transport error is retried after each of the
    /// [retry delays](super::LocalClerkBuilder::webhook_retry_delays), with the same `svix-id` and a
    /// new timestamp and signature. [`deliveries`](Self::deliveries) and
    /// [`wait_for_deliveries`](Self::wait_for_deliveries) show every attempt.
    ///
    /// # Panics
    /// Outside a Tokio runtime, when the instance was not started in one either.
    pub fn add_endpoint(&self, url: impl Into<String>) -> WebhookEndpoint {
        self.local.shared.webhooks().add_endpoint(url.into())
    }

    /// Unregisters a webhook endpoint by id; messages already queued for it are still
    /// delivered. `false` if there was none.
    pub fn remove_endpoint(&self, endpoint_id: &str) -> bool {
        self.local.shared.webhooks().remove_endpoint(endpoint_id)
    }

    /// The registered webhook endpoints.
    pub fn endpoints(&self) -> Vec<WebhookEndpoint> {
        self.local.shared.webhooks().endpoints()
    }

    /// Every webhook delivery attempt so far, in the order they were made.
    pub fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.local.shared.webhooks().deliveries()
    }

    /// Waits until at least `count` webhook delivery attempts were made (retries count), or
    /// `timeout` passes; then every attempt so far, as
    /// [`deliveries`](Self::deliveries) (fewer than `count` after a timeout).
    pub async fn wait_for_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Vec<WebhookDelivery> {
        self.local
            .shared
            .webhooks()
            .wait_for_deliveries(count, timeout)
            .await
    }
}
