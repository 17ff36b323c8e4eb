//! Organization memberships: `CreateOrganizationMembership`, `ListOrganizationMemberships`,
//! `UpdateOrganizationMembership`, `DeleteOrganizationMembership` under
//! `/v1/organizations/{organization_id}/memberships`, and a user's memberships,
//! `UsersGetOrganizationMemberships` (`/v1/users/{user_id}/organization_memberships`).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, patch};
use clerk_core::models::{
    CreateOrganizationMembershipRequest, OrganizationMembership, Paginated,
    UpdateOrganizationMembershipRequest,
};

use super::query::{Query, contains, num, sort_by};
use super::{AppState, Routes, body, reply};

pub(super) fn routes() -> Routes {
    Router::new()
        .route(
            "/v1/organizations/{organization_id}/memberships",
            get(list_memberships).post(create_membership),
        )
        .route(
            "/v1/organizations/{organization_id}/memberships/{user_id}",
            patch(update_membership).delete(delete_membership),
        )
        .route(
            "/v1/users/{user_id}/organization_memberships",
            get(user_memberships),
        )
}

fn membership_key(m: &OrganizationMembership, field: &str) -> String {
    match field {
        "role" => m.role.clone(),
        "first_name" => m
            .public_user_data
            .as_ref()
            .and_then(|d| d.first_name.clone())
            .unwrap_or_default(),
        "last_name" => m
            .public_user_data
            .as_ref()
            .and_then(|d| d.last_name.clone())
            .unwrap_or_default(),
        "email_address" => m
            .public_user_data
            .as_ref()
            .and_then(|d| d.identifier.clone())
            .unwrap_or_default(),
        "username" => m
            .public_user_data
            .as_ref()
            .and_then(|d| d.username.clone())
            .unwrap_or_default(),
        "updated_at" => num(m.updated_at),
        _ => num(m.created_at),
    }
}

async fn user_memberships(
    State(s): AppState,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw);
    let store = s.store();
    let outcome = store.user(&id).and_then(|_| {
        let mut list: Vec<OrganizationMembership> = store
            .memberships
            .iter()
            .filter(|((_, user), _)| *user == id)
            .map(|(_, m)| m.clone())
            .collect();
        sort_by(&mut list, q.one("order_by"), membership_key)?;
        let (data, total_count) = q.page(list)?;
        Ok(Paginated { data, total_count })
    });
    reply(outcome)
}

async fn create_membership(State(s): AppState, Path(org): Path<String>, bytes: Bytes) -> Response {
    let outcome = body::<CreateOrganizationMembershipRequest>(&bytes).and_then(|request| {
        s.store().add_member(
            &org,
            &request.user_id,
            &request.role,
            request.public_metadata.value().cloned().unwrap_or_default(),
            request
                .private_metadata
                .value()
                .cloned()
                .unwrap_or_default(),
        )
    });
    reply(outcome)
}

async fn list_memberships(
    State(s): AppState,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw);
    let store = s.store();
    let outcome = store
        .organization(&org)
        .map(|o| o.id.clone())
        .and_then(|org_id| {
            let user_ids = q.all("user_id");
            let roles = q.all("role");
            let mut list: Vec<OrganizationMembership> = store
                .memberships
                .iter()
                .filter(|((o, _), _)| *o == org_id)
                .map(|(_, m)| m.clone())
                .filter(|m| {
                    user_ids.is_empty()
                        || m.public_user_data
                            .as_ref()
                            .is_some_and(|d| user_ids.contains(&d.user_id.as_str()))
                })
                .filter(|m| roles.is_empty() || roles.contains(&m.role.as_str()))
                .filter(|m| {
                    q.one("query").is_none_or(|t| {
                        m.public_user_data.as_ref().is_some_and(|d| {
                            contains(d.first_name.as_deref(), t)
                                || contains(d.last_name.as_deref(), t)
                                || contains(d.identifier.as_deref(), t)
                                || contains(d.username.as_deref(), t)
                                || contains(Some(&d.user_id), t)
                        })
                    })
                })
                .collect();
            sort_by(&mut list, q.one("order_by"), membership_key)?;
            let (data, total_count) = q.page(list)?;
            Ok(Paginated { data, total_count })
        });
    reply(outcome)
}

async fn update_membership(
    State(s): AppState,
    Path((org, user)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    let outcome = body::<UpdateOrganizationMembershipRequest>(&bytes)
        .and_then(|request| s.store().set_member_role(&org, &user, &request.role));
    reply(outcome)
}

async fn delete_membership(
    State(s): AppState,
    Path((org, user)): Path<(String, String)>,
) -> Response {
    reply(s.store().remove_member(&org, &user))
}
