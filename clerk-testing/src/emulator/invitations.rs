//! `/v1/invitations`: `CreateInvitation`, `ListInvitations`, `RevokeInvitation`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clerk_core::models::{CreateInvitationRequest, Invitation, InvitationStatus};

use super::query::{Query, contains, list_reply, num, sort_by};
use super::{AppState, Routes, body, reply};

pub(super) fn routes() -> Routes {
    Router::new()
        .route(
            "/v1/invitations",
            get(list_invitations).post(create_invitation),
        )
        .route(
            "/v1/invitations/{invitation_id}/revoke",
            post(revoke_invitation),
        )
}

async fn create_invitation(State(s): AppState, bytes: Bytes) -> Response {
    let outcome = body::<CreateInvitationRequest>(&bytes).and_then(|request| {
        s.store().create_invitation(
            request.email_address,
            request.public_metadata.unwrap_or_default(),
            request.ignore_existing.value().copied().unwrap_or(false),
        )
    });
    reply(outcome)
}

async fn list_invitations(State(s): AppState, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw);
    let store = s.store();
    let mut list: Vec<Invitation> = store
        .invitations
        .values()
        .filter(|i| {
            q.one("status")
                .is_none_or(|st| i.status == InvitationStatus::from(st))
        })
        .filter(|i| {
            q.one("query")
                .is_none_or(|t| contains(Some(&i.email_address), t))
        })
        .cloned()
        .collect();
    if let Err(failure) = sort_by(&mut list, q.one("order_by"), |i, field| match field {
        "email_address" => i.email_address.clone(),
        _ => num(i.created_at),
    }) {
        return failure.into_response();
    }
    list_reply(&q, list)
}

async fn revoke_invitation(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().revoke_invitation(&id))
}
