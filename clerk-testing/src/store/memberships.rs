//! Organization memberships and roles: one membership per user and organization, within the
//! organization's quota; a role's permissions follow it into memberships and session tokens.

use clerk_core::models::{
    Metadata, OrganizationMembership, OrganizationMembershipPublicUserData, User,
};

use super::{Failure, Outcome, Store};
use crate::ids::object_id;

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

impl Store {
    /// Sets `members_count` of an organization and of the copies its memberships carry.
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

    /// Adds a user to an organization with a role and the role's permissions. Emits
    /// `organizationMembership.created`.
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
            id: object_id("orgmem"),
            object: "organization_membership".into(),
            role: role.to_owned(),
            role_name: Some(role.trim_start_matches("org:").to_owned()),
            permissions: self.role_permissions.get(role).cloned(),
            public_metadata,
            private_metadata: Some(private_metadata),
            organization,
            public_user_data: Some(public_user_data(&user)),
            created_at: now,
            updated_at: now,
        };
        self.memberships.insert(key, membership);
        self.refresh_counts(org_id);
        let membership = self.membership(org_id, user_id).cloned()?;
        self.emit("organizationMembership.created", &membership);
        Ok(membership)
    }

    /// A user's membership of an organization (by id or slug).
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

    /// Changes a member's role, and with it their permissions. Emits
    /// `organizationMembership.updated`.
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
        membership.permissions = Some(permissions);
        membership.updated_at = now;
        let membership = membership.clone();
        self.emit("organizationMembership.updated", &membership);
        Ok(membership)
    }

    /// Removes a user from an organization. Emits `organizationMembership.deleted`.
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
        self.emit("organizationMembership.deleted", &removed);
        Ok(removed)
    }

    /// The permissions a role grants, now and to future members: existing memberships with the
    /// role take them at once.
    pub(crate) fn set_role_permissions(&mut self, role: &str, permissions: Vec<String>) {
        for membership in self.memberships.values_mut().filter(|m| m.role == role) {
            membership.permissions = Some(permissions.clone());
        }
        self.role_permissions.insert(role.to_owned(), permissions);
    }
}
