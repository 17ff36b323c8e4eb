//! Clients: the browsers of the Frontend API. A client has a dev browser token (development
//! instances), the cookie LocalClerk keeps on its own host, its sessions (the sessions whose
//! `client_id` it is) and when they last changed; the refresh token of each session; and the
//! nonces of handshakes waiting to be resolved by the Backend API.

use std::collections::BTreeMap;

use clerk_core::models::{Session, SessionStatus};

use super::{Failure, Outcome, Store};
use crate::ids::{object_id, random_id};
use crate::time::unix_now;

/// How long a handshake nonce can be resolved, in seconds.
pub(crate) const NONCE_TTL_SECS: i64 = 60;

/// A browser, as the Frontend API knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientRecord {
    /// `client_…`, the `client_id` of its sessions.
    pub(crate) id: String,
    /// The dev browser token (`dvb_…`): `__clerk_db_jwt` in the app's cookies and in URLs.
    pub(crate) dev_browser: String,
    /// The value of LocalClerk's `__client` cookie on its own host.
    pub(crate) cookie: String,
    /// The session signed in last, if it is still there.
    pub(crate) last_active_session_id: Option<String>,
    /// When its sessions last changed, Unix seconds (`__client_uat`).
    pub(crate) updated_at: i64,
}

/// A handshake's directives, until resolved or expired.
#[derive(Debug, Clone)]
pub(crate) struct PendingHandshake {
    directives: Vec<String>,
    expires_at: i64,
}

/// The Frontend API's part of the store.
#[derive(Debug, Default)]
pub(crate) struct Clients {
    by_id: BTreeMap<String, ClientRecord>,
    /// Session id → refresh token.
    refresh_tokens: BTreeMap<String, String>,
    nonces: BTreeMap<String, PendingHandshake>,
}

impl Store {
    /// A new client, with no sessions.
    pub(crate) fn create_client(&mut self) -> ClientRecord {
        let client = ClientRecord {
            id: object_id("client"),
            dev_browser: format!("dvb_{}", random_id(32)),
            cookie: random_id(40),
            last_active_session_id: None,
            updated_at: 0,
        };
        self.clients.by_id.insert(client.id.clone(), client.clone());
        client
    }

    /// The client of a dev browser token.
    pub(crate) fn client_by_dev_browser(&self, token: &str) -> Option<ClientRecord> {
        self.clients
            .by_id
            .values()
            .find(|c| c.dev_browser == token)
            .cloned()
    }

    /// The client of a `__client` cookie value.
    pub(crate) fn client_by_cookie(&self, value: &str) -> Option<ClientRecord> {
        self.clients
            .by_id
            .values()
            .find(|c| c.cookie == value)
            .cloned()
    }

    pub(crate) fn client_count(&self) -> usize {
        self.clients.by_id.len()
    }

    /// The session a client is signed in with: the last one signed in if Clerk still issues
    /// tokens for it, else its newest such session. `None`: signed out.
    pub(crate) fn client_session(&self, client_id: &str) -> Option<Session> {
        let client = self.clients.by_id.get(client_id)?;
        let tokenable = |id: &str| self.tokenable_session(id).map(|(session, _)| session);
        if let Some(session) = client.last_active_session_id.as_deref().and_then(tokenable) {
            return Some(session);
        }
        self.sessions
            .values()
            .filter(|s| s.client_id == client_id)
            .filter_map(|s| tokenable(&s.id))
            .max_by_key(|s| s.created_at)
    }

    /// Signs a user in on a client: a new active session (with its refresh token), the client's
    /// last active one, and `updated_at` bumped. Emits `session.created`.
    pub(crate) fn sign_in_client(&mut self, client_id: &str, user_id: &str) -> Outcome<Session> {
        if !self.clients.by_id.contains_key(client_id) {
            return Err(Failure::not_found("client"));
        }
        let session = self.create_session_on(user_id, None, Some(client_id))?;
        if let Some(client) = self.clients.by_id.get_mut(client_id) {
            client.last_active_session_id = Some(session.id.clone());
            client.updated_at = client.updated_at.max(unix_now());
        }
        Ok(session)
    }

    /// Signs a client out: every active session of it ends (`session.ended`), and `updated_at`
    /// is bumped. The sessions that ended.
    pub(crate) fn sign_out_client(&mut self, client_id: &str) -> Outcome<Vec<Session>> {
        if !self.clients.by_id.contains_key(client_id) {
            return Err(Failure::not_found("client"));
        }
        let active: Vec<String> = self
            .sessions
            .values()
            .filter(|s| s.client_id == client_id && s.status == SessionStatus::Active)
            .map(|s| s.id.clone())
            .collect();
        let mut ended = Vec::new();
        for id in active {
            ended.push(self.end_session(&id)?);
        }
        if let Some(client) = self.clients.by_id.get_mut(client_id) {
            client.last_active_session_id = None;
            client.updated_at = client.updated_at.max(unix_now());
        }
        Ok(ended)
    }

    /// Gives a new session its refresh token.
    pub(super) fn issue_refresh_token(&mut self, session_id: &str) {
        self.clients
            .refresh_tokens
            .insert(session_id.to_owned(), random_id(48));
    }

    /// The refresh token of a session (every session has one).
    pub(crate) fn refresh_token(&self, session_id: &str) -> Option<&str> {
        self.clients
            .refresh_tokens
            .get(session_id)
            .map(String::as_str)
    }

    /// Keeps a handshake's directives under a new random nonce, for [`NONCE_TTL_SECS`] from
    /// `now` (Unix seconds); forgets the expired ones.
    pub(crate) fn put_handshake(&mut self, directives: Vec<String>, now: i64) -> String {
        self.clients.nonces.retain(|_, h| h.expires_at > now);
        let nonce = random_id(32);
        self.clients.nonces.insert(
            nonce.clone(),
            PendingHandshake {
                directives,
                expires_at: now + NONCE_TTL_SECS,
            },
        );
        nonce
    }

    /// A handshake's directives, once: `None` for a nonce unknown, already resolved or expired
    /// at `now` (Unix seconds).
    pub(crate) fn take_handshake(&mut self, nonce: &str, now: i64) -> Option<Vec<String>> {
        let pending = self.clients.nonces.remove(nonce)?;
        (pending.expires_at > now).then_some(pending.directives)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_resolves_once_and_not_after_it_expires() {
        let mut store = Store::default();
        let nonce = store.put_handshake(vec!["a=1".into()], 1000);
        assert_eq!(store.take_handshake(&nonce, 1001), Some(vec!["a=1".into()]));
        assert_eq!(store.take_handshake(&nonce, 1001), None, "single use");
        let late = store.put_handshake(vec!["b=2".into()], 1000);
        assert_eq!(store.take_handshake(&late, 1000 + NONCE_TTL_SECS), None);
        assert_eq!(store.take_handshake("unknown", 1000), None);
    }

    #[test]
    fn a_client_signs_in_and_out() {
        let mut store = Store::default();
        let user = store
            .create_user(crate::store::NewUser::with_email("ada@example.com"))
            .expect("user");
        let client = store.create_client();
        assert_eq!(store.client_session(&client.id), None);
        let session = store
            .sign_in_client(&client.id, &user.id)
            .expect("signed in");
        assert_eq!(session.client_id, client.id);
        assert!(store.refresh_token(&session.id).is_some());
        assert_eq!(
            store.client_session(&client.id).map(|s| s.id),
            Some(session.id.clone())
        );
        let ended = store.sign_out_client(&client.id).expect("signed out");
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].status, SessionStatus::Ended);
        assert_eq!(store.client_session(&client.id), None);
        assert!(store.client_by_dev_browser(&client.dev_browser).is_some());
    }
}
