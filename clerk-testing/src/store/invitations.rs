//! Invitations: to a valid email address no user has, at most one pending per address unless
//! told to ignore it; only pending ones can be revoked.

use clerk_core::models::{Invitation, InvitationStatus, Metadata};

use super::{Failure, Outcome, Store};
use crate::ids::object_id;

impl Store {
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
            id: object_id("inv"),
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
