//! [`Sessions`]: signing users in, and session tokens for existing sessions.

use clerk_core::models::Session;

use super::LocalClerk;
use crate::token::TokenBuilder;

/// Signs users of a [`LocalClerk`] in without HTTP (a new active session and its token, and the
/// `session.created` event), and issues session tokens for existing sessions as Clerk would.
/// From [`LocalClerk::sessions`].
#[derive(Debug, Clone, Copy)]
pub struct Sessions<'a> {
    pub(super) local: &'a LocalClerk,
}

impl Sessions<'_> {
    /// Signs a user in (no active organization): a new active session and its session token.
    ///
    /// # Panics
    /// If the user does not exist.
    pub fn sign_in(&self, user_id: &str) -> SignIn {
        self.start(user_id, None)
    }

    /// Signs a user in with an organization active: the token carries the organization, the
    /// user's role and the role's permissions, as Clerk's v2 tokens do.
    ///
    /// # Panics
    /// If the user or organization does not exist, or the user is not a member.
    pub fn sign_in_to_org(&self, user_id: &str, organization_id: &str) -> SignIn {
        self.start(user_id, Some(organization_id))
    }

    fn start(&self, user_id: &str, organization_id: Option<&str>) -> SignIn {
        let session = self
            .local
            .shared
            .store()
            .create_session(user_id, organization_id)
            .unwrap_or_else(|f| panic!("sign_in: {}", f.message));
        let token = self
            .token(&session.id)
            .expect("a new session is active")
            .mint();
        SignIn { session, token }
    }

    /// Makes an organization (id or slug) the session's active one, or none with `None` (the
    /// personal account), as clerk-js's `setActive` or a handshake's organization sync does. The
    /// session keeps it: its later tokens ([`token`](Self::token), handshakes, refreshes) carry
    /// it.
    ///
    /// # Panics
    /// If the session is not active, or its user is not a member of the organization.
    pub fn set_active_organization(
        &self,
        session_id: &str,
        organization_id: Option<&str>,
    ) -> Session {
        self.local
            .shared
            .store()
            .set_active_organization(session_id, organization_id)
            .unwrap_or_else(|f| panic!("set_active_organization: {}", f.message))
    }

    /// A fresh session token for an existing session, pre-filled as Clerk would issue it (user,
    /// session, active organization with role and permissions); finish it with
    /// [`TokenBuilder::mint`]. `None` when Clerk would issue none: the session is revoked or
    /// ended, or its user was deleted.
    pub fn token(&self, session_id: &str) -> Option<TokenBuilder> {
        TokenBuilder::for_session(self.local.shared.clone(), session_id)
    }
}

/// A signed-in session and its session token.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The session, as `GET /v1/sessions/{id}` returns it.
    pub session: Session,
    /// A session token for it (60 seconds, as Clerk's).
    pub token: String,
}
