//! [`Organizations`]: seeding organizations, their members and their roles' permissions, and
//! inviting people to them.

use clerk_core::models::{
    CreateOrganizationInvitationRequest, Metadata, Organization, OrganizationInvitation,
    OrganizationMembership,
};

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

    /// Invites an email address to an organization with a role (`org:member`, ...), as
    /// `POST /v1/organizations/{id}/invitations` would with no inviter: a pending invitation
    /// (30 days) and the `organizationInvitation.created` event. Its `url` is LocalClerk's
    /// sign-in page with the invitation's ticket: a browser that signs in there, as the invited
    /// address (created as a user when none has it), accepts it.
    ///
    /// # Panics
    /// If Clerk would refuse it (an unknown organization, an invalid address, a member's
    /// address, a pending invitation already, no room left in the organization).
    pub fn invite(&self, organization_id: &str, email: &str, role: &str) -> OrganizationInvitation {
        let request = CreateOrganizationInvitationRequest {
            email_address: email.to_owned(),
            role: role.to_owned(),
            ..Default::default()
        };
        self.local
            .shared
            .store()
            .create_organization_invitation(organization_id, request)
            .unwrap_or_else(|f| panic!("invite: {}", f.message))
    }

    /// Accepts a pending invitation as following its link does: the user with the invited
    /// email address (created when none has it) becomes a member with the invitation's role
    /// and metadata. Emits `organizationMembership.created`, then
    /// `organizationInvitation.accepted`.
    ///
    /// # Panics
    /// If the invitation is unknown or no longer pending (accepted, revoked, expired).
    pub fn accept_invitation(&self, invitation_id: &str) -> OrganizationMembership {
        let mut store = self.local.shared.store();
        store
            .pending_organization_invitation(invitation_id)
            .and_then(|invitation| store.invitee(&invitation))
            .and_then(|user| store.accept_organization_invitation(invitation_id, &user.id))
            .unwrap_or_else(|f| panic!("accept_invitation: {}", f.message))
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
