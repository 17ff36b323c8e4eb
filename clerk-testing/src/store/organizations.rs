//! Organizations: creation (a non-empty name, an unused slug, the creator as admin), updates,
//! metadata, deletion with their memberships.

use clerk_core::models::{
    self, MergeOrganizationMetadataRequest, Metadata, Nullable, Organization,
    UpdateOrganizationRequest,
};

use super::{Failure, Outcome, Store, merge_into};
use crate::ids::object_id;

impl Store {
    /// Creates an organization; without a slug, one derived from the name. With `created_by`,
    /// that user becomes its first member, as `org:admin`. Emits `organization.created`, then
    /// `organizationMembership.created` for the creator.
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
            id: object_id("org"),
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
        let position = self.events.len();
        let creator_added = match created_by {
            Some(creator) => self
                .add_member(
                    &organization.id,
                    &creator,
                    "org:admin",
                    Metadata::new(),
                    Metadata::new(),
                )
                .map(drop),
            None => Ok(()),
        };
        // Created even when the creator could not be added (the organization stays).
        let organization = self.organization(&organization.id).cloned()?;
        self.emit_at(position, "organization.created", &organization);
        creator_added?;
        Ok(organization)
    }

    /// An organization by id or slug.
    pub(crate) fn organization(&self, id_or_slug: &str) -> Outcome<&Organization> {
        self.organizations
            .get(id_or_slug)
            .or_else(|| self.organizations.values().find(|o| o.slug == id_or_slug))
            .ok_or_else(|| Failure::not_found("organization"))
    }

    /// An organization (by id or slug) to change; its `updated_at` becomes now.
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

    /// `PATCH /v1/organizations/{organization_id}`: an unused slug; absent fields stay. Emits
    /// `organization.updated`.
    pub(crate) fn update_organization(
        &mut self,
        id_or_slug: &str,
        request: UpdateOrganizationRequest,
    ) -> Outcome<Organization> {
        if let Nullable::Value(slug) = &request.slug
            && self
                .organizations
                .values()
                .any(|o| &o.slug == slug && o.id != id_or_slug && o.slug != id_or_slug)
        {
            return Err(Failure::unprocessable(
                "form_identifier_exists",
                "That slug is taken. Please try another.",
            ));
        }
        let org = self.organization_mut(id_or_slug)?;
        if let Nullable::Value(name) = request.name {
            org.name = name;
        }
        if let Nullable::Value(slug) = request.slug {
            org.slug = slug;
        }
        if let Nullable::Value(max) = request.max_allowed_memberships {
            org.max_allowed_memberships = max;
        }
        if let Nullable::Value(enabled) = request.admin_delete_enabled {
            org.admin_delete_enabled = enabled;
        }
        let org = org.clone();
        self.emit("organization.updated", &org);
        Ok(org)
    }

    /// `PATCH /v1/organizations/{organization_id}/metadata`: merges each metadata patch
    /// ([`merge_metadata`](super::merge_metadata)). Emits `organization.updated`.
    pub(crate) fn merge_organization_metadata(
        &mut self,
        id_or_slug: &str,
        request: MergeOrganizationMetadataRequest,
    ) -> Outcome<Organization> {
        let org = self.organization_mut(id_or_slug)?;
        merge_into(&mut org.public_metadata, request.public_metadata.as_ref());
        merge_into(
            org.private_metadata.get_or_insert_with(Metadata::new),
            request.private_metadata.as_ref(),
        );
        let org = org.clone();
        self.emit("organization.updated", &org);
        Ok(org)
    }

    /// Deletes an organization, its memberships and its invitations. Emits
    /// `organization.deleted`.
    pub(crate) fn delete_organization(
        &mut self,
        id_or_slug: &str,
    ) -> Outcome<models::DeletedObject> {
        let organization = self.organization(id_or_slug)?.clone();
        self.organizations.remove(&organization.id);
        self.memberships
            .retain(|(org, _), _| *org != organization.id);
        self.remove_organization_invitations(&organization.id);
        let deleted = models::DeletedObject {
            object: "organization".into(),
            id: Some(organization.id),
            slug: Some(organization.slug),
            deleted: true,
            ..Default::default()
        };
        self.emit("organization.deleted", &deleted);
        Ok(deleted)
    }
}
