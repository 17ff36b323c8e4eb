//! The emulator's in-memory data and every rule Clerk applies to it: uniqueness of email
//! addresses, usernames and slugs, membership quotas, what deleting a user or an organization
//! takes with it, which sessions may have tokens, timestamps. The emulated routes and the
//! handle's helpers both go through it, so they agree.
//!
//! One submodule per resource; each adds its rules to [`Store`].

mod api_keys;
mod clients;
mod invitations;
mod jwt_templates;
mod m2m_tokens;
mod machines;
mod memberships;
mod oauth_access_tokens;
mod organization_invitations;
mod organizations;
mod sessions;
mod users;

use std::collections::BTreeMap;

use clerk_core::models::{
    Invitation, Metadata, Nullable, Organization, OrganizationMembership, Session, User,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::time::now_ms;

pub(crate) use api_keys::{ApiKeyRecord, NewApiKey};
pub(crate) use clients::ClientRecord;
pub(crate) use jwt_templates::{DEFAULT_CLAIMS, render};
pub(crate) use m2m_tokens::M2mRecord;
pub(crate) use machines::MachineRecord;
pub(crate) use oauth_access_tokens::{DEFAULT_OAUTH_TTL_SECS, OauthRecord};
pub(crate) use organization_invitations::OrganizationInvitationRecord;
pub use users::NewUser;

/// Why an emulated operation failed, as Clerk would answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn not_found(what: &str) -> Self {
        Self {
            status: 404,
            code: "resource_not_found",
            message: format!("{what} not found"),
        }
    }

    pub(crate) fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: 422,
            code,
            message: message.into(),
        }
    }
}

/// The result of an emulated operation.
pub(crate) type Outcome<T> = Result<T, Failure>;

/// Merges `patch` into `target` as Clerk does for metadata: keys set to `null` are removed,
/// objects merge recursively, anything else replaces.
pub(crate) fn merge_metadata(target: &mut Metadata, patch: &Metadata) {
    for (key, value) in patch {
        match (target.get_mut(key), value) {
            (_, serde_json::Value::Null) => {
                target.remove(key);
            }
            (Some(serde_json::Value::Object(existing)), serde_json::Value::Object(incoming)) => {
                merge_metadata(existing, incoming);
            }
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Merges a metadata patch from a request, when it has one.
fn merge_into(target: &mut Metadata, patch: Option<&Metadata>) {
    if let Some(patch) = patch {
        merge_metadata(target, patch);
    }
}

/// Applies a nullable request field: a value sets, `null` clears, absent keeps.
fn set(target: &mut Option<String>, value: Nullable<String>) {
    match value {
        Nullable::Value(v) => *target = Some(v),
        Nullable::Null => *target = None,
        Nullable::Absent => {}
    }
}

/// Converts between the generated models that share a shape (the answers about an API key or
/// an M2M token).
pub(crate) fn convert<A: Serialize, B: DeserializeOwned + Default>(a: &A) -> B {
    serde_json::to_value(a)
        .and_then(serde_json::from_value)
        .unwrap_or_default()
}

/// Whether a credential's expiration (Unix ms) has passed; a credential without one never
/// expires. Revoked and expired credentials still verify, with `revoked` or `expired` set, as
/// Clerk answers.
fn expired(expiration: Option<i64>) -> bool {
    expiration.is_some_and(|e| e <= now_ms())
}

/// A change the store made, as the webhook event Clerk sends for it: the event type
/// (`user.created`, ...) and its `data`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event {
    pub(crate) event_type: &'static str,
    pub(crate) data: serde_json::Value,
}

/// Everything the emulator holds.
#[derive(Default)]
pub(crate) struct Store {
    pub(crate) users: BTreeMap<String, User>,
    pub(crate) organizations: BTreeMap<String, Organization>,
    /// (organization id, user id) → membership.
    pub(crate) memberships: BTreeMap<(String, String), OrganizationMembership>,
    pub(crate) sessions: BTreeMap<String, Session>,
    pub(crate) invitations: BTreeMap<String, Invitation>,
    /// Invitation id → the organization invitation and its ticket.
    pub(crate) organization_invitations: BTreeMap<String, OrganizationInvitationRecord>,
    pub(crate) machines: BTreeMap<String, MachineRecord>,
    pub(crate) api_keys: BTreeMap<String, ApiKeyRecord>,
    pub(crate) m2m_tokens: BTreeMap<String, M2mRecord>,
    pub(crate) oauth_access_tokens: BTreeMap<String, OauthRecord>,
    /// Template id → JWT template.
    pub(crate) jwt_templates: BTreeMap<String, clerk_core::models::JwtTemplate>,
    /// The Frontend API's clients, the sessions' refresh tokens and the pending handshakes.
    pub(crate) clients: clients::Clients,
    /// Role key → permissions carried in session tokens.
    pub(crate) role_permissions: BTreeMap<String, Vec<String>>,
    /// The Frontend API URL (`http://localhost:<port>`), where the links of organization
    /// invitations go.
    pub(crate) frontend_url: String,
    last_time: i64,
    /// The events of the changes made since the last [`take_events`](Self::take_events).
    events: Vec<Event>,
}

impl Store {
    /// A strictly increasing timestamp, so that creation order is total.
    pub(crate) fn tick(&mut self) -> i64 {
        self.last_time = now_ms().max(self.last_time + 1);
        self.last_time
    }

    /// Records the webhook event of a change.
    fn emit(&mut self, event_type: &'static str, data: &impl serde::Serialize) {
        self.emit_at(self.events.len(), event_type, data);
    }

    /// Records the webhook event of a change before the events recorded since `position`.
    fn emit_at(&mut self, position: usize, event_type: &'static str, data: &impl serde::Serialize) {
        let data = serde_json::to_value(data).unwrap_or(serde_json::Value::Null);
        self.events.insert(position, Event { event_type, data });
    }

    /// The data of a `session.*` event: the session and its user.
    fn session_event(session: &Session, user: Option<&User>) -> serde_json::Value {
        let mut data = serde_json::to_value(session).unwrap_or(serde_json::Value::Null);
        if let (Some(object), Some(user)) = (data.as_object_mut(), user) {
            object.insert(
                "user".into(),
                serde_json::to_value(user).unwrap_or(serde_json::Value::Null),
            );
        }
        data
    }

    /// The events recorded since the last call, oldest first.
    pub(crate) fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_merges_like_clerk() {
        let mut target = serde_json::json!({"a": 1, "b": {"c": 2, "d": 3}, "e": 4})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let patch = serde_json::json!({"a": 5, "b": {"c": null, "x": 1}, "e": null})
            .as_object()
            .cloned()
            .unwrap_or_default();
        merge_metadata(&mut target, &patch);
        assert_eq!(
            serde_json::Value::Object(target),
            serde_json::json!({"a": 5, "b": {"d": 3, "x": 1}})
        );
    }
}
