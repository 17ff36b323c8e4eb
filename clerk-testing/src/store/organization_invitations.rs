//! Organization invitations: to a valid email address, with a role, from an admin of the
//! organization when an inviter is named; at most one pending per organization and address, none
//! to a member, and within the organization's quota (members and pending invitations together).
//! Pending until accepted (a membership with the invitation's role and metadata), revoked, or
//! past `expires_at` (30 days by default). Each has a ticket: its `url` is LocalClerk's sign-in
//! page with `__clerk_ticket`, which accepts it for the invited address.

use clerk_core::models::{
    CreateOrganizationInvitationRequest, Metadata, Organization, OrganizationInvitation,
    OrganizationInvitationPublicOrganizationData, OrganizationInvitationPublicUserData,
    OrganizationInvitationWithPublicOrganizationData, OrganizationMembership, User,
};

use super::{Failure, NewUser, Outcome, Store};
use crate::ids::{object_id, random_id};
use crate::time::now_ms;

/// The invitation statuses (`status` is a free string in the spec).
pub(crate) const PENDING: &str = "pending";
const ACCEPTED: &str = "accepted";
const REVOKED: &str = "revoked";
const EXPIRED: &str = "expired";

/// How long an invitation is valid without `expires_in_days`.
const DEFAULT_DAYS: i64 = 30;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// An invitation and its ticket.
#[derive(Debug, Clone)]
pub(crate) struct OrganizationInvitationRecord {
    pub(crate) invitation: OrganizationInvitation,
    ticket: String,
}

impl OrganizationInvitationRecord {
    pub(crate) fn status(&self) -> &str {
        self.invitation.status.as_deref().unwrap_or(PENDING)
    }

    fn organization_id(&self) -> &str {
        self.invitation
            .organization_id
            .as_deref()
            .unwrap_or_default()
    }
}

fn failure(status: u16, code: &'static str, message: impl Into<String>) -> Failure {
    Failure {
        status,
        code,
        message: message.into(),
    }
}

/// The public data of an organization, as invitations listed for a user or the instance and the
/// webhook events carry it.
pub(crate) fn public_organization_data(
    organization: &Organization,
) -> OrganizationInvitationPublicOrganizationData {
    OrganizationInvitationPublicOrganizationData {
        id: organization.id.clone(),
        name: organization.name.clone(),
        slug: organization.slug.clone(),
        image_url: organization.image_url.clone(),
        has_image: organization.has_image,
    }
}

fn public_inviter_data(user: &User) -> OrganizationInvitationPublicUserData {
    OrganizationInvitationPublicUserData {
        user_id: user.id.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        image_url: user.image_url.clone().unwrap_or_default(),
        has_image: user.has_image,
        identifier: user
            .email_addresses
            .first()
            .map(|e| e.email_address.clone())
            .unwrap_or_default(),
    }
}

impl Store {
    /// Marks the pending invitations whose `expires_at` has passed as expired.
    fn expire_organization_invitations(&mut self) {
        let now = now_ms();
        for record in self.organization_invitations.values_mut() {
            if record.status() == PENDING
                && record.invitation.expires_at.is_some_and(|at| at <= now)
            {
                record.invitation.status = Some(EXPIRED.into());
            }
        }
    }

    /// Whether a user is an admin of an organization (id): the role `org:admin`, or a role with
    /// the permission to manage memberships.
    fn is_org_admin(&self, org_id: &str, user_id: &str) -> bool {
        self.memberships
            .get(&(org_id.to_owned(), user_id.to_owned()))
            .is_some_and(|m| {
                m.role == "org:admin"
                    || m.permissions
                        .iter()
                        .flatten()
                        .any(|p| p == "org:sys_memberships:manage")
            })
    }

    /// The named user, who must be an admin of the organization (403 otherwise).
    fn require_admin(&self, org_id: &str, user_id: &str) -> Outcome<User> {
        let user = self.user(user_id)?.clone();
        if !self.is_org_admin(org_id, user_id) {
            return Err(failure(
                403,
                "authorization_invalid",
                format!("{user_id} is not an admin of the organization."),
            ));
        }
        Ok(user)
    }

    /// Invites an email address to an organization (by id or slug). Emits
    /// `organizationInvitation.created`.
    pub(crate) fn create_organization_invitation(
        &mut self,
        org_id: &str,
        request: CreateOrganizationInvitationRequest,
    ) -> Outcome<OrganizationInvitation> {
        let organization = self.organization(org_id)?.clone();
        self.expire_organization_invitations();
        let email = request.email_address.trim().to_owned();
        let valid_email = email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
        if !valid_email {
            return Err(Failure::unprocessable(
                "form_param_format_invalid",
                format!("{email} is not a valid email address"),
            ));
        }
        if request.role.trim().is_empty() {
            return Err(Failure::unprocessable(
                "form_param_missing",
                "role is required",
            ));
        }
        let days = request
            .expires_in_days
            .value()
            .copied()
            .unwrap_or(DEFAULT_DAYS);
        if !(1..=365).contains(&days) {
            return Err(Failure::unprocessable(
                "form_param_value_invalid",
                "expires_in_days must be between 1 and 365",
            ));
        }
        let inviter = match request.inviter_user_id.value() {
            Some(id) => Some(self.require_admin(&organization.id, id)?),
            None => None,
        };
        let member = self.users.values().any(|u| {
            u.email_addresses
                .iter()
                .any(|e| e.email_address.eq_ignore_ascii_case(&email))
                && self
                    .memberships
                    .contains_key(&(organization.id.clone(), u.id.clone()))
        });
        if member {
            return Err(Failure::unprocessable(
                "already_a_member_in_organization",
                format!("{email} is already a member of the organization."),
            ));
        }
        let pending: Vec<&OrganizationInvitationRecord> = self
            .organization_invitations
            .values()
            .filter(|r| r.organization_id() == organization.id && r.status() == PENDING)
            .collect();
        if pending
            .iter()
            .any(|r| r.invitation.email_address.eq_ignore_ascii_case(&email))
        {
            return Err(Failure::unprocessable(
                "duplicate_record",
                format!("There is already a pending invitation for {email} to the organization."),
            ));
        }
        let members = self
            .memberships
            .keys()
            .filter(|(org, _)| *org == organization.id)
            .count() as i64;
        if organization.max_allowed_memberships > 0
            && members + pending.len() as i64 >= organization.max_allowed_memberships
        {
            return Err(Failure::unprocessable(
                "organization_membership_quota_exceeded",
                "You have reached your limit of organization memberships, including outstanding invitations.",
            ));
        }
        let ticket = random_id(40);
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("__clerk_ticket", &ticket);
        if let Some(redirect_url) = request.redirect_url.value().filter(|u| !u.is_empty()) {
            query.append_pair("redirect_url", redirect_url);
        }
        let url = format!("{}/sign-in?{}", self.frontend_url, query.finish());
        let now = self.tick();
        let role = request.role.trim().to_owned();
        let invitation = OrganizationInvitation {
            object: "organization_invitation".into(),
            id: object_id("orginv"),
            email_address: email,
            role_name: role.trim_start_matches("org:").to_owned(),
            role,
            organization_id: Some(organization.id.clone()),
            inviter_id: inviter.as_ref().map(|u| u.id.clone()),
            public_inviter_data: inviter.as_ref().map(public_inviter_data),
            status: Some(PENDING.into()),
            public_metadata: request.public_metadata.value().cloned().unwrap_or_default(),
            private_metadata: Some(
                request
                    .private_metadata
                    .value()
                    .cloned()
                    .unwrap_or_default(),
            ),
            url: Some(url),
            expires_at: Some(now + days * DAY_MS),
            created_at: now,
            updated_at: now,
        };
        self.organization_invitations.insert(
            invitation.id.clone(),
            OrganizationInvitationRecord {
                invitation: invitation.clone(),
                ticket,
            },
        );
        let data = self.invitation_event(&invitation, None);
        self.emit("organizationInvitation.created", &data);
        Ok(invitation)
    }

    /// Up to ten invitations at once, all or none: the first refusal is the answer and no
    /// invitation of the batch stays (nor its event).
    pub(crate) fn create_organization_invitations(
        &mut self,
        org_id: &str,
        requests: Vec<CreateOrganizationInvitationRequest>,
    ) -> Outcome<Vec<OrganizationInvitation>> {
        if !(1..=10).contains(&requests.len()) {
            return Err(Failure::unprocessable(
                "form_param_value_invalid",
                "between 1 and 10 invitations can be created at once",
            ));
        }
        self.organization(org_id)?;
        let events = self.events.len();
        let mut created = Vec::new();
        for request in requests {
            match self.create_organization_invitation(org_id, request) {
                Ok(invitation) => created.push(invitation),
                Err(failure) => {
                    for invitation in &created {
                        self.organization_invitations.remove(&invitation.id);
                    }
                    self.events.truncate(events);
                    return Err(failure);
                }
            }
        }
        Ok(created)
    }

    /// An invitation of an organization (by id or slug).
    pub(crate) fn organization_invitation(
        &mut self,
        org_id: &str,
        invitation_id: &str,
    ) -> Outcome<OrganizationInvitation> {
        let org = self.organization(org_id)?.id.clone();
        self.expire_organization_invitations();
        self.organization_invitations
            .get(invitation_id)
            .filter(|r| r.organization_id() == org)
            .map(|r| r.invitation.clone())
            .ok_or_else(|| Failure::not_found("organization invitation"))
    }

    /// Every invitation (with expiries applied), newest first; of one organization (by id or
    /// slug) when given.
    pub(crate) fn organization_invitations(
        &mut self,
        org_id: Option<&str>,
    ) -> Outcome<Vec<OrganizationInvitation>> {
        let org = match org_id {
            Some(org) => Some(self.organization(org)?.id.clone()),
            None => None,
        };
        self.expire_organization_invitations();
        let mut list: Vec<OrganizationInvitation> = self
            .organization_invitations
            .values()
            .filter(|r| org.as_deref().is_none_or(|org| r.organization_id() == org))
            .map(|r| r.invitation.clone())
            .collect();
        list.sort_by_key(|i| std::cmp::Reverse(i.created_at));
        Ok(list)
    }

    /// The invitations to any of a user's email addresses, newest first.
    pub(crate) fn user_organization_invitations(
        &mut self,
        user_id: &str,
    ) -> Outcome<Vec<OrganizationInvitation>> {
        let emails: Vec<String> = self
            .user(user_id)?
            .email_addresses
            .iter()
            .map(|e| e.email_address.to_ascii_lowercase())
            .collect();
        Ok(self
            .organization_invitations(None)?
            .into_iter()
            .filter(|i| emails.contains(&i.email_address.to_ascii_lowercase()))
            .collect())
    }

    /// An invitation with its organization's public data, as the instance's and a user's
    /// lists answer.
    pub(crate) fn with_public_organization_data(
        &self,
        invitation: &OrganizationInvitation,
    ) -> OrganizationInvitationWithPublicOrganizationData {
        let i = invitation.clone();
        OrganizationInvitationWithPublicOrganizationData {
            object: i.object,
            id: i.id,
            email_address: i.email_address,
            role: i.role,
            role_name: i.role_name,
            organization_id: i.organization_id,
            inviter_id: i.inviter_id,
            public_inviter_data: i.public_inviter_data,
            status: i.status,
            public_metadata: i.public_metadata,
            private_metadata: i.private_metadata,
            url: i.url,
            expires_at: i.expires_at,
            created_at: i.created_at,
            updated_at: i.updated_at,
            public_organization_data: invitation
                .organization_id
                .as_deref()
                .and_then(|org| self.organizations.get(org))
                .map(public_organization_data),
        }
    }

    /// Revokes a pending invitation of an organization (by id or slug); the requesting user,
    /// when named, must be an admin of it. Emits `organizationInvitation.revoked`.
    pub(crate) fn revoke_organization_invitation(
        &mut self,
        org_id: &str,
        invitation_id: &str,
        requesting_user_id: Option<&str>,
    ) -> Outcome<OrganizationInvitation> {
        let invitation = self.organization_invitation(org_id, invitation_id)?;
        let org = invitation.organization_id.clone().unwrap_or_default();
        if let Some(user_id) = requesting_user_id {
            self.require_admin(&org, user_id)?;
        }
        let invitation = self.finish_invitation(invitation_id, REVOKED)?;
        let data = self.invitation_event(&invitation, None);
        self.emit("organizationInvitation.revoked", &data);
        Ok(invitation)
    }

    /// Sets the status of a pending invitation; refused (422) when it is no longer pending.
    fn finish_invitation(
        &mut self,
        invitation_id: &str,
        status: &str,
    ) -> Outcome<OrganizationInvitation> {
        let now = self.tick();
        let record = self
            .organization_invitations
            .get_mut(invitation_id)
            .ok_or_else(|| Failure::not_found("organization invitation"))?;
        if record.status() != PENDING {
            return Err(not_pending(record.status()));
        }
        record.invitation.status = Some(status.into());
        record.invitation.updated_at = now;
        Ok(record.invitation.clone())
    }

    /// A pending invitation: 404 when unknown, 422 when no longer pending.
    pub(crate) fn pending_organization_invitation(
        &mut self,
        invitation_id: &str,
    ) -> Outcome<OrganizationInvitation> {
        self.expire_organization_invitations();
        let record = self
            .organization_invitations
            .get(invitation_id)
            .ok_or_else(|| Failure::not_found("organization invitation"))?;
        if record.status() != PENDING {
            return Err(not_pending(record.status()));
        }
        Ok(record.invitation.clone())
    }

    /// The pending invitation of a ticket (`__clerk_ticket`); `None` when unknown or no longer
    /// pending.
    pub(crate) fn organization_invitation_by_ticket(
        &mut self,
        ticket: &str,
    ) -> Option<OrganizationInvitation> {
        self.expire_organization_invitations();
        self.organization_invitations
            .values()
            .find(|r| r.ticket == ticket && r.status() == PENDING)
            .map(|r| r.invitation.clone())
    }

    /// The user an invitation is for: the one with the invited email address, created when
    /// none has it (as signing up through the invitation's link does).
    pub(crate) fn invitee(&mut self, invitation: &OrganizationInvitation) -> Outcome<User> {
        let email = &invitation.email_address;
        let known = self
            .users
            .values()
            .find(|u| {
                u.email_addresses
                    .iter()
                    .any(|e| e.email_address.eq_ignore_ascii_case(email))
            })
            .cloned();
        match known {
            Some(user) => Ok(user),
            None => self.create_user(NewUser::with_email(email.clone())),
        }
    }

    /// Accepts a pending invitation for a user who has the invited email address: a membership
    /// with the invitation's role and metadata. Emits `organizationMembership.created`, then
    /// `organizationInvitation.accepted`.
    pub(crate) fn accept_organization_invitation(
        &mut self,
        invitation_id: &str,
        user_id: &str,
    ) -> Outcome<OrganizationMembership> {
        let invitation = self.pending_organization_invitation(invitation_id)?;
        let user = self.user(user_id)?;
        if !user.email_addresses.iter().any(|e| {
            e.email_address
                .eq_ignore_ascii_case(&invitation.email_address)
        }) {
            return Err(failure(
                403,
                "authorization_invalid",
                format!("The invitation is for {}.", invitation.email_address),
            ));
        }
        let org = invitation.organization_id.clone().unwrap_or_default();
        // Within the quota: the pending invitation held the membership's place.
        let membership = self.add_member(
            &org,
            user_id,
            &invitation.role,
            invitation.public_metadata.clone(),
            invitation
                .private_metadata
                .clone()
                .unwrap_or_else(Metadata::new),
        )?;
        let invitation = self.finish_invitation(invitation_id, ACCEPTED)?;
        let data = self.invitation_event(&invitation, Some(user_id));
        self.emit("organizationInvitation.accepted", &data);
        Ok(membership)
    }

    /// Forgets the invitations of a deleted organization.
    pub(super) fn remove_organization_invitations(&mut self, org_id: &str) {
        self.organization_invitations
            .retain(|_, r| r.organization_id() != org_id);
    }

    /// The `data` of an `organizationInvitation.*` event: the invitation, its organization's
    /// `public_organization_data`, and for `accepted` the `user_id` who accepted it.
    fn invitation_event(
        &self,
        invitation: &OrganizationInvitation,
        accepted_by: Option<&str>,
    ) -> serde_json::Value {
        let mut data = serde_json::to_value(self.with_public_organization_data(invitation))
            .unwrap_or(serde_json::Value::Null);
        if let (Some(object), Some(user_id)) = (data.as_object_mut(), accepted_by) {
            object.insert("user_id".into(), user_id.into());
        }
        data
    }
}

/// The refusal to accept or revoke an invitation that is no longer pending.
fn not_pending(status: &str) -> Failure {
    Failure::unprocessable(
        "organization_invitation_not_pending",
        format!("The invitation is {status}: only pending invitations can be accepted or revoked."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(email: &str, role: &str) -> CreateOrganizationInvitationRequest {
        CreateOrganizationInvitationRequest {
            email_address: email.into(),
            role: role.into(),
            ..Default::default()
        }
    }

    #[test]
    fn an_invitation_is_accepted_once_into_a_membership() {
        let mut store = Store::default();
        let org = store
            .create_organization(
                "Acme".into(),
                None,
                None,
                Metadata::new(),
                Metadata::new(),
                0,
            )
            .expect("org");
        let invitation = store
            .create_organization_invitation(&org.id, request("ada@example.com", "org:member"))
            .expect("invited");
        assert_eq!(invitation.status.as_deref(), Some(PENDING));
        assert_eq!(invitation.role_name, "member");
        let duplicate = store
            .create_organization_invitation(&org.slug, request("ADA@example.com", "org:member"))
            .expect_err("a second pending invitation");
        assert_eq!(duplicate.code, "duplicate_record");

        let ada = store.invitee(&invitation).expect("created");
        let membership = store
            .accept_organization_invitation(&invitation.id, &ada.id)
            .expect("accepted");
        assert_eq!(membership.role, "org:member");
        let again = store
            .accept_organization_invitation(&invitation.id, &ada.id)
            .expect_err("accepted already");
        assert_eq!(again.code, "organization_invitation_not_pending");
        let member = store
            .create_organization_invitation(&org.id, request("ada@example.com", "org:member"))
            .expect_err("a member");
        assert_eq!(member.code, "already_a_member_in_organization");
        let events: Vec<&str> = store.take_events().iter().map(|e| e.event_type).collect();
        assert_eq!(
            events,
            [
                "organization.created",
                "organizationInvitation.created",
                "user.created",
                "organizationMembership.created",
                "organizationInvitation.accepted",
            ]
        );
    }

    #[test]
    fn a_bulk_creation_is_all_or_nothing() {
        let mut store = Store::default();
        let org = store
            .create_organization(
                "Acme".into(),
                None,
                None,
                Metadata::new(),
                Metadata::new(),
                0,
            )
            .expect("org");
        store.take_events();
        let refused = store
            .create_organization_invitations(
                &org.id,
                vec![
                    request("a@example.com", "org:member"),
                    request("not an email", "org:member"),
                ],
            )
            .expect_err("the second is invalid");
        assert_eq!(refused.code, "form_param_format_invalid");
        assert!(store.organization_invitations.is_empty());
        assert!(store.take_events().is_empty());
    }

    #[test]
    fn pending_invitations_count_in_the_quota_and_expire() {
        let mut store = Store::default();
        let org = store
            .create_organization(
                "Acme".into(),
                None,
                None,
                Metadata::new(),
                Metadata::new(),
                1,
            )
            .expect("org");
        let first = store
            .create_organization_invitation(&org.id, request("a@example.com", "org:member"))
            .expect("invited");
        let full = store
            .create_organization_invitation(&org.id, request("b@example.com", "org:member"))
            .expect_err("no room");
        assert_eq!(full.code, "organization_membership_quota_exceeded");
        if let Some(record) = store.organization_invitations.get_mut(&first.id) {
            record.invitation.expires_at = Some(now_ms() - 1);
        }
        let ticket = store.organization_invitations[&first.id].ticket.clone();
        assert!(store.organization_invitation_by_ticket(&ticket).is_none());
        assert_eq!(
            store
                .organization_invitation(&org.id, &first.id)
                .expect("found")
                .status
                .as_deref(),
            Some(EXPIRED)
        );
        store
            .create_organization_invitation(&org.id, request("b@example.com", "org:member"))
            .expect("the expired one no longer counts");
    }
}
