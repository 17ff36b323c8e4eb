//! Organization invitations: `CreateOrganizationInvitation`, `CreateOrganizationInvitationBulk`,
//! `ListOrganizationInvitations`, `ListPendingOrganizationInvitations`,
//! `GetOrganizationInvitation` and `RevokeOrganizationInvitation` under
//! `/v1/organizations/{organization_id}/invitations`; the instance's,
//! `ListInstanceOrganizationInvitations` (`/v1/organization_invitations`); and a user's,
//! `UsersGetOrganizationInvitations` (`/v1/users/{user_id}/organization_invitations`). Every
//! success is a 200, as the spec declares and Clerk's SDKs expect.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use clerk_core::models::{
    CreateOrganizationInvitationBulkRequestItem, CreateOrganizationInvitationRequest,
    OrganizationInvitation, OrganizationInvitationWithPublicOrganizationData, Paginated,
    RevokeOrganizationInvitationRequest,
};

use super::query::{Query, contains, num, sort_by};
use super::{AppState, Routes, body, reply};
use crate::store::{Outcome, Store, convert};

pub(super) fn routes() -> Routes {
    Router::new()
        .route(
            "/v1/organization_invitations",
            get(list_instance_invitations),
        )
        .route(
            "/v1/organizations/{organization_id}/invitations",
            get(list_invitations).post(create_invitation),
        )
        .route(
            "/v1/organizations/{organization_id}/invitations/bulk",
            post(create_invitations),
        )
        .route(
            "/v1/organizations/{organization_id}/invitations/pending",
            get(list_pending_invitations),
        )
        .route(
            "/v1/organizations/{organization_id}/invitations/{invitation_id}",
            get(get_invitation),
        )
        .route(
            "/v1/organizations/{organization_id}/invitations/{invitation_id}/revoke",
            post(revoke_invitation),
        )
        .route(
            "/v1/users/{user_id}/organization_invitations",
            get(user_invitations),
        )
}

fn invitation_key(i: &OrganizationInvitation, field: &str) -> String {
    match field {
        "email_address" => i.email_address.to_lowercase(),
        "updated_at" => num(i.updated_at),
        _ => num(i.created_at),
    }
}

/// The `status` filter: any of the values given (repeated keys), or every status.
fn with_status(q: &Query, list: Vec<OrganizationInvitation>) -> Vec<OrganizationInvitation> {
    let statuses = q.all("status");
    list.into_iter()
        .filter(|i| statuses.is_empty() || statuses.contains(&i.status.as_deref().unwrap_or("")))
        .collect()
}

async fn create_invitation(State(s): AppState, Path(org): Path<String>, bytes: Bytes) -> Response {
    reply(
        body::<CreateOrganizationInvitationRequest>(&bytes)
            .and_then(|request| s.store().create_organization_invitation(&org, request)),
    )
}

async fn create_invitations(State(s): AppState, Path(org): Path<String>, bytes: Bytes) -> Response {
    let outcome = body::<Vec<CreateOrganizationInvitationBulkRequestItem>>(&bytes)
        .and_then(|items| {
            let requests: Vec<CreateOrganizationInvitationRequest> =
                items.iter().map(convert).collect();
            s.store().create_organization_invitations(&org, requests)
        })
        .map(|data| Paginated {
            total_count: data.len() as i64,
            data,
        });
    reply(outcome)
}

async fn list_invitations(
    State(s): AppState,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw);
    let outcome = s
        .store()
        .organization_invitations(Some(&org))
        .and_then(|list| {
            let mut list: Vec<OrganizationInvitation> = with_status(&q, list)
                .into_iter()
                .filter(|i| {
                    q.one("email_address")
                        .is_none_or(|e| i.email_address.eq_ignore_ascii_case(e))
                })
                .collect();
            sort_by(&mut list, q.one("order_by"), invitation_key)?;
            let (data, total_count) = q.page(list)?;
            Ok(Paginated { data, total_count })
        });
    reply(outcome)
}

/// The deprecated list of pending invitations, newest first.
async fn list_pending_invitations(
    State(s): AppState,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw);
    let outcome = s
        .store()
        .organization_invitations(Some(&org))
        .and_then(|list| {
            let list = list
                .into_iter()
                .filter(|i| i.status.as_deref() == Some("pending"))
                .collect();
            let (data, total_count) = q.page(list)?;
            Ok(Paginated { data, total_count })
        });
    reply(outcome)
}

async fn get_invitation(State(s): AppState, Path((org, id)): Path<(String, String)>) -> Response {
    reply(s.store().organization_invitation(&org, &id))
}

async fn revoke_invitation(
    State(s): AppState,
    Path((org, id)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    let outcome = body::<RevokeOrganizationInvitationRequest>(&bytes).and_then(|request| {
        s.store().revoke_organization_invitation(
            &org,
            &id,
            request.requesting_user_id.value().map(String::as_str),
        )
    });
    reply(outcome)
}

/// A page of invitations with their organizations' public data.
fn public_page(
    store: &Store,
    q: &Query,
    list: Vec<OrganizationInvitation>,
) -> Outcome<Paginated<OrganizationInvitationWithPublicOrganizationData>> {
    let (page, total_count) = q.page(list)?;
    let data = page
        .iter()
        .map(|i| store.with_public_organization_data(i))
        .collect::<Vec<_>>();
    Ok(Paginated { data, total_count })
}

async fn list_instance_invitations(State(s): AppState, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw);
    let mut store = s.store();
    let outcome = store.organization_invitations(None).and_then(|list| {
        let mut list: Vec<OrganizationInvitation> = with_status(&q, list)
            .into_iter()
            .filter(|i| {
                q.one("query")
                    .is_none_or(|t| contains(Some(&i.email_address), t))
            })
            .collect();
        sort_by(&mut list, q.one("order_by"), invitation_key)?;
        public_page(&store, &q, list)
    });
    reply(outcome)
}

async fn user_invitations(
    State(s): AppState,
    Path(user): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = Query::parse(raw);
    let mut store = s.store();
    let outcome = store
        .user_organization_invitations(&user)
        .and_then(|list| public_page(&store, &q, with_status(&q, list)));
    reply(outcome)
}
