//! The emulator's in-memory data and the rules Clerk applies to it.

use std::collections::BTreeMap;

use clerk_core::models::{
    self, EmailAddress, Invitation, InvitationStatus, Metadata, Organization,
    OrganizationMembership, OrganizationMembershipPublicUserData, Session, SessionStatus, User,
    Verification, VerificationAdmin,
};

use crate::server::random_id;

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

pub(crate) type Outcome<T> = Result<T, Failure>;

/// The current time in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

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

/// Everything the emulator holds.
#[derive(Default)]
pub(crate) struct Store {
    pub(crate) users: BTreeMap<String, User>,
    pub(crate) organizations: BTreeMap<String, Organization>,
    /// (organization id, user id) → membership.
    pub(crate) memberships: BTreeMap<(String, String), OrganizationMembership>,
    pub(crate) sessions: BTreeMap<String, Session>,
    pub(crate) invitations: BTreeMap<String, Invitation>,
    /// Role key → permissions carried in session tokens.
    pub(crate) role_permissions: BTreeMap<String, Vec<String>>,
    last_time: i64,
}

/// What a new user is made of.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub(crate) email_addresses: Vec<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) external_id: Option<String>,
    pub(crate) public_metadata: Metadata,
    pub(crate) private_metadata: Metadata,
    pub(crate) unsafe_metadata: Metadata,
}

impl NewUser {
    /// A user with one email address.
    pub fn with_email(email: impl Into<String>) -> Self {
        Self {
            email_addresses: vec![email.into()],
            ..Self::default()
        }
    }

    /// Adds an email address.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email_addresses.push(email.into());
        self
    }

    /// First name.
    pub fn first_name(mut self, name: impl Into<String>) -> Self {
        self.first_name = Some(name.into());
        self
    }

    /// Last name.
    pub fn last_name(mut self, name: impl Into<String>) -> Self {
        self.last_name = Some(name.into());
        self
    }

    /// Username.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Your own id for the user.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    /// Public metadata (a JSON object; anything else is ignored).
    pub fn public_metadata(mut self, metadata: serde_json::Value) -> Self {
        self.public_metadata = metadata.as_object().cloned().unwrap_or_default();
        self
    }

    /// Private metadata (a JSON object; anything else is ignored).
    pub fn private_metadata(mut self, metadata: serde_json::Value) -> Self {
        self.private_metadata = metadata.as_object().cloned().unwrap_or_default();
        self
    }
}

fn id(prefix: &str) -> String {
    format!("{prefix}_{}", random_id(27))
}

impl Store {
    /// A strictly increasing timestamp, so that creation order is total.
    pub(crate) fn tick(&mut self) -> i64 {
        self.last_time = now_ms().max(self.last_time + 1);
        self.last_time
    }

    fn email_taken(&self, email: &str) -> bool {
        self.users
            .values()
            .flat_map(|u| &u.email_addresses)
            .any(|e| e.email_address.eq_ignore_ascii_case(email))
    }

    pub(crate) fn create_user(&mut self, new: NewUser) -> Outcome<User> {
        for email in &new.email_addresses {
            if !email.contains('@') {
                return Err(Failure::unprocessable(
                    "form_param_format_invalid",
                    format!("{email} is not a valid email address"),
                ));
            }
            if self.email_taken(email) {
                return Err(Failure::unprocessable(
                    "form_identifier_exists",
                    "That email address is taken. Please try another.",
                ));
            }
        }
        if let Some(username) = &new.username
            && self
                .users
                .values()
                .any(|u| u.username.as_deref() == Some(username))
        {
            return Err(Failure::unprocessable(
                "form_identifier_exists",
                "That username is taken. Please try another.",
            ));
        }
        let now = self.tick();
        let email_addresses: Vec<EmailAddress> = new
            .email_addresses
            .iter()
            .map(|email| EmailAddress {
                id: Some(id("idn")),
                object: "email_address".into(),
                email_address: email.clone(),
                verification: Some(Verification::Admin(VerificationAdmin {
                    object: Some("verification_admin".into()),
                    status: "verified".into(),
                    strategy: "admin".into(),
                    ..VerificationAdmin::default()
                })),
                created_at: now,
                updated_at: now,
                ..EmailAddress::default()
            })
            .collect();
        let user = User {
            id: id("user"),
            object: "user".into(),
            primary_email_address_id: email_addresses.first().and_then(|e| e.id.clone()),
            email_addresses,
            first_name: new.first_name,
            last_name: new.last_name,
            username: new.username,
            external_id: new.external_id,
            image_url: Some("https://img.clerk.com/default-avatar".into()),
            public_metadata: new.public_metadata,
            private_metadata: Some(new.private_metadata),
            unsafe_metadata: Some(new.unsafe_metadata),
            delete_self_enabled: true,
            create_organization_enabled: true,
            created_at: now,
            updated_at: now,
            ..User::default()
        };
        self.users.insert(user.id.clone(), user.clone());
        Ok(user)
    }

    pub(crate) fn user(&self, user_id: &str) -> Outcome<&User> {
        self.users
            .get(user_id)
            .ok_or_else(|| Failure::not_found("user"))
    }

    pub(crate) fn user_mut(&mut self, user_id: &str) -> Outcome<&mut User> {
        let now = self.tick();
        let user = self
            .users
            .get_mut(user_id)
            .ok_or_else(|| Failure::not_found("user"))?;
        user.updated_at = now;
        Ok(user)
    }

    /// Deletes a user, their memberships, and ends their sessions.
    pub(crate) fn delete_user(&mut self, user_id: &str) -> Outcome<models::DeletedObject> {
        self.users
            .remove(user_id)
            .ok_or_else(|| Failure::not_found("user"))?;
        self.memberships.retain(|(_, user), _| user != user_id);
        let now = self.tick();
        for session in self.sessions.values_mut().filter(|s| s.user_id == user_id) {
            session.status = SessionStatus::Removed;
            session.updated_at = now;
        }
        Ok(models::DeletedObject {
            object: "user".into(),
            id: Some(user_id.into()),
            deleted: true,
            ..Default::default()
        })
    }

    pub(crate) fn create_organization(
        &mut self,
        name: String,
        slug: Option<String>,
        created_by: Option<String>,
        public_metadata: Metadata,
        private_metadata: Metadata,
        max_allowed_memberships: i64,
    ) -> Outcome<Organization> {
        if name.trim().is_empty() {
            return Err(Failure::unprocessable(
                "form_param_missing",
                "name is required",
            ));
        }
        let slug = slug.unwrap_or_else(|| {
            name.to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect()
        });
        if self.organizations.values().any(|o| o.slug == slug) {
            return Err(Failure::unprocessable(
                "form_identifier_exists",
                "That slug is taken. Please try another.",
            ));
        }
        if let Some(creator) = &created_by {
            self.user(creator)?;
        }
        let now = self.tick();
        let organization = Organization {
            object: "organization".into(),
            id: id("org"),
            name,
            slug,
            image_url: Some("https://img.clerk.com/default-logo".into()),
            max_allowed_memberships,
            admin_delete_enabled: true,
            public_metadata,
            private_metadata: Some(private_metadata),
            created_by: created_by.clone(),
            created_at: now,
            updated_at: now,
            members_count: Some(0),
            ..Organization::default()
        };
        self.organizations
            .insert(organization.id.clone(), organization.clone());
        if let Some(creator) = created_by {
            self.add_member(
                &organization.id,
                &creator,
                "org:admin",
                Metadata::new(),
                Metadata::new(),
            )?;
        }
        self.organization(&organization.id).cloned()
    }

    /// An organization by id or slug.
    pub(crate) fn organization(&self, id_or_slug: &str) -> Outcome<&Organization> {
        self.organizations
            .get(id_or_slug)
            .or_else(|| self.organizations.values().find(|o| o.slug == id_or_slug))
            .ok_or_else(|| Failure::not_found("organization"))
    }

    pub(crate) fn organization_mut(&mut self, id_or_slug: &str) -> Outcome<&mut Organization> {
        let id = self.organization(id_or_slug)?.id.clone();
        let now = self.tick();
        let organization = self
            .organizations
            .get_mut(&id)
            .ok_or_else(|| Failure::not_found("organization"))?;
        organization.updated_at = now;
        Ok(organization)
    }

    pub(crate) fn delete_organization(
        &mut self,
        id_or_slug: &str,
    ) -> Outcome<models::DeletedObject> {
        let organization = self.organization(id_or_slug)?.clone();
        self.organizations.remove(&organization.id);
        self.memberships
            .retain(|(org, _), _| *org != organization.id);
        Ok(models::DeletedObject {
            object: "organization".into(),
            id: Some(organization.id),
            slug: Some(organization.slug),
            deleted: true,
            ..Default::default()
        })
    }

    fn public_user_data(user: &User) -> OrganizationMembershipPublicUserData {
        OrganizationMembershipPublicUserData {
            user_id: user.id.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            image_url: user.image_url.clone().unwrap_or_default(),
            identifier: user
                .email_addresses
                .first()
                .map(|e| e.email_address.clone()),
            username: user.username.clone(),
            banned: Some(user.banned),
            ..Default::default()
        }
    }

    fn refresh_counts(&mut self, org_id: &str) {
        let count = self
            .memberships
            .keys()
            .filter(|(org, _)| org == org_id)
            .count() as i64;
        if let Some(org) = self.organizations.get_mut(org_id) {
            org.members_count = Some(count);
        }
        for membership in self
            .memberships
            .values_mut()
            .filter(|m| m.organization.id == org_id)
        {
            membership.organization.members_count = Some(count);
        }
    }

    pub(crate) fn add_member(
        &mut self,
        org_id: &str,
        user_id: &str,
        role: &str,
        public_metadata: Metadata,
        private_metadata: Metadata,
    ) -> Outcome<OrganizationMembership> {
        let organization = self.organization(org_id)?.clone();
        let user = self.user(user_id)?.clone();
        let key = (organization.id.clone(), user.id.clone());
        if self.memberships.contains_key(&key) {
            return Err(Failure::unprocessable(
                "already_a_member_in_organization",
                "The user is already a member of this organization.",
            ));
        }
        let members = self
            .memberships
            .keys()
            .filter(|(org, _)| *org == organization.id)
            .count() as i64;
        if organization.max_allowed_memberships > 0
            && members >= organization.max_allowed_memberships
        {
            return Err(Failure::unprocessable(
                "organization_membership_quota_exceeded",
                "The organization has no room for another member.",
            ));
        }
        let now = self.tick();
        let membership = OrganizationMembership {
            id: id("orgmem"),
            object: "organization_membership".into(),
            role: role.to_owned(),
            role_name: Some(role.trim_start_matches("org:").to_owned()),
            permissions: self.role_permissions.get(role).cloned().unwrap_or_default(),
            public_metadata,
            private_metadata: Some(private_metadata),
            organization,
            public_user_data: Some(Self::public_user_data(&user)),
            created_at: now,
            updated_at: now,
        };
        self.memberships.insert(key, membership);
        self.refresh_counts(org_id);
        self.membership(org_id, user_id).cloned()
    }

    pub(crate) fn membership(
        &self,
        org_id: &str,
        user_id: &str,
    ) -> Outcome<&OrganizationMembership> {
        let org = self.organization(org_id)?.id.clone();
        self.memberships
            .get(&(org, user_id.to_owned()))
            .ok_or_else(|| Failure::not_found("organization membership"))
    }

    pub(crate) fn set_member_role(
        &mut self,
        org_id: &str,
        user_id: &str,
        role: &str,
    ) -> Outcome<OrganizationMembership> {
        let org = self.organization(org_id)?.id.clone();
        let permissions = self.role_permissions.get(role).cloned().unwrap_or_default();
        let now = self.tick();
        let membership = self
            .memberships
            .get_mut(&(org, user_id.to_owned()))
            .ok_or_else(|| Failure::not_found("organization membership"))?;
        membership.role = role.to_owned();
        membership.role_name = Some(role.trim_start_matches("org:").to_owned());
        membership.permissions = permissions;
        membership.updated_at = now;
        Ok(membership.clone())
    }

    pub(crate) fn remove_member(
        &mut self,
        org_id: &str,
        user_id: &str,
    ) -> Outcome<OrganizationMembership> {
        let org = self.organization(org_id)?.id.clone();
        let removed = self
            .memberships
            .remove(&(org.clone(), user_id.to_owned()))
            .ok_or_else(|| Failure::not_found("organization membership"))?;
        self.refresh_counts(&org);
        Ok(removed)
    }

    pub(crate) fn create_session(
        &mut self,
        user_id: &str,
        active_org: Option<&str>,
    ) -> Outcome<Session> {
        self.user(user_id)?;
        let org = match active_org {
            Some(org) => Some(self.membership(org, user_id)?.organization.id.clone()),
            None => None,
        };
        let now = self.tick();
        let session = Session {
            object: "session".into(),
            id: id("sess"),
            user_id: user_id.to_owned(),
            client_id: id("client"),
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
        if let Some(user) = self.users.get_mut(user_id) {
            user.last_sign_in_at = Some(now);
            user.last_active_at = Some(now);
        }
        Ok(session)
    }

    pub(crate) fn session(&self, session_id: &str) -> Outcome<&Session> {
        self.sessions
            .get(session_id)
            .ok_or_else(|| Failure::not_found("session"))
    }

    pub(crate) fn revoke_session(&mut self, session_id: &str) -> Outcome<Session> {
        let now = self.tick();
        let session = self
            .sessions
            .get_mut(session_id)
            .ok_or_else(|| Failure::not_found("session"))?;
        session.status = SessionStatus::Revoked;
        session.updated_at = now;
        Ok(session.clone())
    }

    pub(crate) fn create_invitation(
        &mut self,
        email_address: String,
        public_metadata: Metadata,
        ignore_existing: bool,
    ) -> Outcome<Invitation> {
        if !email_address.contains('@') {
            return Err(Failure::unprocessable(
                "form_param_format_invalid",
                format!("{email_address} is not a valid email address"),
            ));
        }
        if self.email_taken(&email_address) {
            return Err(Failure::unprocessable(
                "form_identifier_exists",
                "That email address is taken.",
            ));
        }
        let pending = self
            .invitations
            .values()
            .any(|i| i.email_address == email_address && i.status == InvitationStatus::Pending);
        if pending && !ignore_existing {
            return Err(Failure::unprocessable(
                "duplicate_record",
                "There are already pending invitations for that email address.",
            ));
        }
        let now = self.tick();
        let invitation = Invitation {
            object: "invitation".into(),
            id: id("inv"),
            email_address,
            public_metadata,
            revoked: Some(false),
            status: InvitationStatus::Pending,
            url: None,
            expires_at: Some(now + 30 * 24 * 3600 * 1000),
            created_at: now,
            updated_at: now,
        };
        self.invitations
            .insert(invitation.id.clone(), invitation.clone());
        Ok(invitation)
    }

    pub(crate) fn revoke_invitation(&mut self, invitation_id: &str) -> Outcome<Invitation> {
        let now = self.tick();
        let invitation = self
            .invitations
            .get_mut(invitation_id)
            .ok_or_else(|| Failure::not_found("invitation"))?;
        if invitation.status != InvitationStatus::Pending {
            return Err(Failure::unprocessable(
                "invitation_not_pending",
                "Only pending invitations can be revoked.",
            ));
        }
        invitation.status = InvitationStatus::Revoked;
        invitation.revoked = Some(true);
        invitation.updated_at = now;
        Ok(invitation.clone())
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
