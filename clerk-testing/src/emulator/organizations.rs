//! `/v1/organizations`: `ListOrganizations`, `CreateOrganization`, `GetOrganization` (by id or
//! slug), `UpdateOrganization`, `DeleteOrganization`, `MergeOrganizationMetadata`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, patch};
use clerk_core::models::{
    CreateOrganizationRequest, MergeOrganizationMetadataRequest, Organization, Paginated,
    UpdateOrganizationRequest,
};

use super::query::{Query, contains, num, sort_by};
use super::{AppState, Routes, body, reply};

pub(super) fn routes() -> Routes {
    Router::new()
        .route(
            "/v1/organizations",
            get(list_organizations).post(create_organization),
        )
        .route(
            "/v1/organizations/{organization_id}",
            get(get_organization)
                .patch(update_organization)
                .delete(delete_organization),
        )
        .route(
            "/v1/organizations/{organization_id}/metadata",
            patch(merge_organization_metadata),
        )
}

fn organization_key(o: &Organization, field: &str) -> String {
    match field {
        "name" => o.name.clone(),
        "members_count" => num(o.members_count.unwrap_or(0)),
        "updated_at" => num(o.updated_at),
        _ => num(o.created_at),
    }
}

async fn list_organizations(State(s): AppState, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw);
    let store = s.store();
    let user_ids = q.all("user_id");
    let org_ids = q.all("organization_id");
    let mut list: Vec<Organization> = store
        .organizations
        .values()
        .filter(|o| {
            q.one("query").is_none_or(|t| {
                contains(Some(&o.name), t) || contains(Some(&o.slug), t) || contains(Some(&o.id), t)
            })
        })
        .filter(|o| org_ids.is_empty() || org_ids.contains(&o.id.as_str()))
        .filter(|o| {
            user_ids.is_empty()
                || store
                    .memberships
                    .keys()
                    .any(|(org, user)| *org == o.id && user_ids.contains(&user.as_str()))
        })
        .cloned()
        .collect();
    let outcome = sort_by(&mut list, q.one("order_by"), organization_key)
        .and_then(|()| q.page(list))
        .map(|(data, total_count)| Paginated { data, total_count });
    reply(outcome)
}

async fn create_organization(State(s): AppState, bytes: Bytes) -> Response {
    let outcome = body::<CreateOrganizationRequest>(&bytes).and_then(|request| {
        s.store().create_organization(
            request.name,
            request.slug.value().cloned(),
            request.created_by.value().cloned(),
            request.public_metadata.value().cloned().unwrap_or_default(),
            request
                .private_metadata
                .value()
                .cloned()
                .unwrap_or_default(),
            request
                .max_allowed_memberships
                .value()
                .copied()
                .unwrap_or(0),
        )
    });
    reply(outcome)
}

async fn get_organization(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().organization(&id).cloned())
}

async fn update_organization(State(s): AppState, Path(id): Path<String>, bytes: Bytes) -> Response {
    reply(
        body::<UpdateOrganizationRequest>(&bytes)
            .and_then(|request| s.store().update_organization(&id, request)),
    )
}

async fn delete_organization(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().delete_organization(&id))
}

async fn merge_organization_metadata(
    State(s): AppState,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    reply(
        body::<MergeOrganizationMetadataRequest>(&bytes)
            .and_then(|request| s.store().merge_organization_metadata(&id, request)),
    )
}
