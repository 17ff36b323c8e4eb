//! [`Organizations`]: seeding organizations, their members and their roles' permissions.

use clerk_core::models::{Metadata, Organization, OrganizationMembership};

use super::LocalClerk;

/// Seeds the organizations of a [`LocalClerk`], their members and the permissions of their
/// roles without HTTP, through the same rules as the Backend API (and the same webhook events).
/// From [`LocalClerk::organizations`].
#[derive(Debug, Clone, Copy)]
pub struct Organizations<'a> {
    pub(super) local: &'a LocalClerk,
}

impl Organizations<'_> {
    /// Creates an organization (its slug derived from the name) as `POST /v1/organizations` would.
    ///
    /// # Panics
    /// If Clerk would refuse it (an empty name, a slug already taken).
    pub fn create(&self, name: &str) -> Organization {
        self.local
            .shared
            .store()
            .create_organization(
                name.to_owned(),
                None,
                None,
                Metadata::new(),
                Metadata::new(),
                0,
            )
            .unwrap_or_else(|f| panic!("create_organization: {}", f.message))
    }

    /// Adds a user to an organization with a role (`org:admin`, `org:member`, ...).
    ///
    /// # Panics
    /// If the user or organization does not exist, or the user is already a member.
    pub fn add_member(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
    ) -> OrganizationMembership {
        self.local
            .shared
            .store()
            .add_member(
                organization_id,
                user_id,
                role,
                Metadata::new(),
                Metadata::new(),
            )
            .unwrap_or_else(|f| panic!("add_member: {}", f.message))
    }

    /// The permissions (`org:<feature>:<permission>`) a role grants; they go into memberships
    /// and into the session tokens of members with an active organization.
    pub fn set_role_permissions<I, S>(&self, role: &str, permissions: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let permissions = permissions.into_iter().map(Into::into).collect();
        self.local
            .shared
            .store()
            .set_role_permissions(role, permissions);
    }
}
