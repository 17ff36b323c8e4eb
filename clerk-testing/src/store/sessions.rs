//! Sessions: sign-ins (of an existing user, into an organization they belong to), each with a
//! refresh token; the active organization, which a session keeps; revocation and ending
//! (sign-out); and which sessions Clerk still issues tokens for.

use clerk_core::models::{OrganizationMembership, Session, SessionStatus};

use super::{Failure, Outcome, Store};
use crate::ids::object_id;

impl Store {
    /// Signs a user in: a new active session (on a new client), with an organization active
    /// when given, which the user must be a member of. Emits `session.created`.
    pub(crate) fn create_session(
        &mut self,
        user_id: &str,
        active_org: Option<&str>,
    ) -> Outcome<Session> {
        self.create_session_on(user_id, active_org, None)
    }

    /// [`create_session`](Self::create_session) on a given client (by id); a new client id
    /// without one. The session gets its refresh token.
    pub(super) fn create_session_on(
        &mut self,
        user_id: &str,
        active_org: Option<&str>,
        client_id: Option<&str>,
    ) -> Outcome<Session> {
        self.user(user_id)?;
        let org = match active_org {
            Some(org) => Some(self.membership(org, user_id)?.organization.id.clone()),
            None => None,
        };
        let now = self.tick();
        let session = Session {
            object: "session".into(),
            id: object_id("sess"),
            user_id: user_id.to_owned(),
            client_id: client_id.map_or_else(|| object_id("client"), str::to_owned),
            actor: None,
            status: SessionStatus::Active,
            last_active_organization_id: org,
            last_active_at: now,
            latest_activity: None,
            expire_at: now + 7 * 24 * 3600 * 1000,
            abandon_at: now + 30 * 24 * 3600 * 1000,
            updated_at: now,
            created_at: now,
            tasks: None,
        };
        self.sessions.insert(session.id.clone(), session.clone());
        self.issue_refresh_token(&session.id);
        if let Some(user) = self.users.get_mut(user_id) {
            user.last_sign_in_at = Some(now);
            user.last_active_at = Some(now);
        }
        let data = Self::session_event(&session, self.users.get(user_id));
        self.emit("session.created", &data);
        Ok(session)
    }

    pub(crate) fn session(&self, session_id: &str) -> Outcome<&Session> {
        self.sessions
            .get(session_id)
            .ok_or_else(|| Failure::not_found("session"))
    }

    /// A session Clerk would issue a session token for, with the membership of its active
    /// organization (if it has one and the user is still a member). `None` when the session is
    /// unknown, revoked or ended, or its user was deleted.
    pub(crate) fn tokenable_session(
        &self,
        session_id: &str,
    ) -> Option<(Session, Option<OrganizationMembership>)> {
        let session = self.sessions.get(session_id)?;
        if session.status != SessionStatus::Active || !self.users.contains_key(&session.user_id) {
            return None;
        }
        let membership = session
            .last_active_organization_id
            .as_ref()
            .and_then(|org| self.membership(org, &session.user_id).ok())
            .cloned();
        Some((session.clone(), membership))
    }

    /// Makes an organization (by id or slug) the session's active one, or none (the personal
    /// account): the organization Clerk's `setActive` and a handshake's `organization_id`
    /// activate. The session keeps it, so that its later tokens (handshakes, refreshes) carry
    /// it. The session must be active and its user a member of the organization (else 404,
    /// and nothing changes). No webhook event: Clerk sends none for it.
    pub(crate) fn set_active_organization(
        &mut self,
        session_id: &str,
        organization: Option<&str>,
    ) -> Outcome<Session> {
        let (session, _) = self
            .tokenable_session(session_id)
            .ok_or_else(|| Failure::not_found("session"))?;
        let org = match organization {
            Some(org) => Some(
                self.membership(org, &session.user_id)?
                    .organization
                    .id
                    .clone(),
            ),
            None => None,
        };
        let now = self.tick();
        let session = self
            .sessions
            .get_mut(session_id)
            .ok_or_else(|| Failure::not_found("session"))?;
        session.last_active_organization_id = org;
        session.last_active_at = now;
        session.updated_at = now;
        Ok(session.clone())
    }

    /// Ends a session, as signing out does. Emits `session.ended`.
    pub(crate) fn end_session(&mut self, session_id: &str) -> Outcome<Session> {
        self.set_session_status(session_id, SessionStatus::Ended, "session.ended")
    }

    /// Revokes a session. Emits `session.revoked`.
    pub(crate) fn revoke_session(&mut self, session_id: &str) -> Outcome<Session> {
        self.set_session_status(session_id, SessionStatus::Revoked, "session.revoked")
    }

    fn set_session_status(
        &mut self,
        session_id: &str,
        status: SessionStatus,
        event: &'static str,
    ) -> Outcome<Session> {
        let now = self.tick();
        let session = self
            .sessions
            .get_mut(session_id)
            .ok_or_else(|| Failure::not_found("session"))?;
        session.status = status;
        session.updated_at = now;
        let session = session.clone();
        let data = Self::session_event(&session, self.users.get(&session.user_id));
        self.emit(event, &data);
        Ok(session)
    }
}
