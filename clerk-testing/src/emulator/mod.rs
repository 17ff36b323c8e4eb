//! The emulated Backend API: one module per resource, each with its routes, over the in-memory
//! [`Store`](crate::store::Store), which applies Clerk's rules. Request and response bodies are
//! the generated models of `clerk-core`; failures answer in Clerk's error shape.
//!
//! Counting requests, injected faults, the secret key and the answer to operations not
//! emulated are the server's, which sits above this module.

mod invitations;
mod jwks;
mod memberships;
mod organizations;
mod query;
mod sessions;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ids::random_id;
use crate::state::Shared;
use crate::store::{Failure, Outcome};

type AppState = State<Arc<Shared>>;
type Routes = Router<Arc<Shared>>;

/// The operation ids this module answers; the clerk-testing docs list them.
pub const EMULATED_OPERATIONS: &[&str] = &[
    // users
    "GetUserList",
    "GetUsersCount",
    "CreateUser",
    "GetUser",
    "UpdateUser",
    "DeleteUser",
    "UpdateUserMetadata",
    "BanUser",
    "UnbanUser",
    "LockUser",
    "UnlockUser",
    "UsersGetOrganizationMemberships",
    // organizations
    "ListOrganizations",
    "CreateOrganization",
    "GetOrganization",
    "UpdateOrganization",
    "DeleteOrganization",
    "MergeOrganizationMetadata",
    // memberships
    "CreateOrganizationMembership",
    "ListOrganizationMemberships",
    "UpdateOrganizationMembership",
    "DeleteOrganizationMembership",
    // sessions
    "GetSessionList",
    "GetSession",
    "RevokeSession",
    // invitations
    "CreateInvitation",
    "ListInvitations",
    "RevokeInvitation",
    // jwks
    "GetJWKS",
];

/// The emulated routes, under `/v1`.
pub(crate) fn routes() -> Routes {
    Router::new()
        .merge(users::routes())
        .merge(organizations::routes())
        .merge(memberships::routes())
        .merge(sessions::routes())
        .merge(invitations::routes())
        .merge(jwks::routes())
}

/// A response in Clerk's error shape.
pub(crate) fn clerk_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "long_message": message, "code": code }],
        "clerk_trace_id": random_id(16),
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        clerk_error(
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST),
            self.code,
            &self.message,
        )
    }
}

fn ok<T: Serialize>(value: T) -> Response {
    (StatusCode::OK, axum::Json(value)).into_response()
}

fn reply<T: Serialize>(outcome: Outcome<T>) -> Response {
    match outcome {
        Ok(value) => ok(value),
        Err(failure) => failure.into_response(),
    }
}

/// A request body; an empty one is the request's default.
fn body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Outcome<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| {
        Failure::unprocessable(
            "form_param_format_invalid",
            format!("the request body is invalid: {e}"),
        )
    })
}
