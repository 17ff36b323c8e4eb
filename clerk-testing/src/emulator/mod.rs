//! The emulated Backend API: one module per resource, each with its routes, over the in-memory
//! [`Store`](crate::store::Store), which applies Clerk's rules. Request and response bodies are
//! the generated models of `clerk-core`; failures answer in Clerk's error shape.
//!
//! Counting requests, injected faults, the secret key and the answer to operations not
//! emulated are the server's, which sits above this module.

mod clients;
mod invitations;
mod jwks;
mod jwt_templates;
mod machine_tokens;
mod machines;
mod memberships;
mod organization_invitations;
mod organizations;
mod query;
mod sessions;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::reply::clerk_error;
use crate::state::Shared;

use crate::store::{Failure, Outcome};
pub(crate) use machine_tokens::served_at_root;

type AppState = State<Arc<Shared>>;
type Routes = Router<Arc<Shared>>;

/// The operation ids of the Backend API that LocalClerk emulates; any other operation of the
/// spec answers 501 naming it. The crate docs list them with the query parameters they honour.
/// A test checks that they are exactly the operations of the spec the emulated routes serve.
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
    // organization invitations
    "CreateOrganizationInvitation",
    "CreateOrganizationInvitationBulk",
    "ListOrganizationInvitations",
    "ListPendingOrganizationInvitations",
    "GetOrganizationInvitation",
    "RevokeOrganizationInvitation",
    "ListInstanceOrganizationInvitations",
    "UsersGetOrganizationInvitations",
    // sessions
    "GetSessionList",
    "GetSession",
    "RevokeSession",
    "RefreshSession",
    "CreateSessionTokenFromTemplate",
    // JWT templates
    "ListJWTTemplates",
    "CreateJWTTemplate",
    "GetJWTTemplate",
    "UpdateJWTTemplate",
    "DeleteJWTTemplate",
    // clients
    "GetHandshakePayload",
    // invitations
    "CreateInvitation",
    "ListInvitations",
    "RevokeInvitation",
    // jwks
    "GetJWKS",
    // machines
    "ListMachines",
    "CreateMachine",
    "GetMachine",
    "UpdateMachine",
    "DeleteMachine",
    "GetMachineSecretKey",
    "RotateMachineSecretKey",
    "CreateMachineScope",
    "DeleteMachineScope",
    // API keys
    "getApiKeys",
    "createApiKey",
    "getApiKey",
    "updateApiKey",
    "deleteApiKey",
    "getApiKeySecret",
    "revokeApiKey",
    "verifyApiKey",
    // M2M tokens
    "getM2MTokens",
    "createM2MToken",
    "revokeM2MToken",
    "verifyM2MToken",
    // OAuth access tokens
    "verifyOAuthAccessToken",
];

/// The emulated routes, under `/v1`; the machine-token verify operations also at the root.
pub(crate) fn routes() -> Routes {
    Router::new()
        .merge(users::routes())
        .merge(organizations::routes())
        .merge(memberships::routes())
        .merge(organization_invitations::routes())
        .merge(sessions::routes())
        .merge(clients::routes())
        .merge(invitations::routes())
        .merge(jwks::routes())
        .merge(jwt_templates::routes())
        .merge(machines::routes())
        .merge(machine_tokens::routes())
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::body::Body;
    use axum::extract::Request;
    use tower::ServiceExt as _;

    use super::*;
    use crate::generated::operations::OPERATIONS;
    use crate::keys::SigningKey;
    use crate::state::Identity;

    const NOT_ROUTED: &str = "x-not-routed";

    async fn not_routed() -> Response {
        ([(NOT_ROUTED, "1")], "").into_response()
    }

    /// Probes every operation of the spec (path parameters `x`) against the emulated routes
    /// alone: an operation is served when a route answers it, whatever the answer (404 for the
    /// unknown id `x`, 422, 200).
    #[tokio::test]
    async fn emulated_operations_are_exactly_the_operations_the_routes_serve() {
        let identity = Identity {
            secret_key: "sk_test".into(),
            publishable_key: "pk_test".into(),
            frontend_api: "localhost:1".into(),
            cookie_suffix: "suffix".into(),
            session_token_lifetime: 60,
            jwk_alg: Some("RS256".into()),
            extra_jwks: Vec::new(),
            satellite_domains: Vec::new(),
        };
        let shared = Arc::new(Shared::new(
            identity,
            SigningKey::generate("kid".into()),
            crate::webhooks::Webhooks::new("ins_test".into(), Vec::new()),
        ));
        let router = routes()
            .fallback(not_routed)
            .method_not_allowed_fallback(not_routed)
            .with_state(shared);
        let mut served = BTreeSet::new();
        for (method, template, id) in OPERATIONS {
            let path = template
                .split('/')
                .map(|part| if part.starts_with('{') { "x" } else { part })
                .collect::<Vec<_>>()
                .join("/");
            let request = Request::builder()
                .method(*method)
                .uri(format!("/v1{path}"))
                .body(Body::empty())
                .expect("a valid request");
            let response = match router.clone().oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if !response.headers().contains_key(NOT_ROUTED) {
                served.insert(*id);
            }
        }
        let emulated: BTreeSet<&str> = EMULATED_OPERATIONS.iter().copied().collect();
        assert_eq!(
            emulated.len(),
            EMULATED_OPERATIONS.len(),
            "EMULATED_OPERATIONS has duplicates"
        );
        let unlisted: Vec<_> = served.difference(&emulated).collect();
        let unserved: Vec<_> = emulated.difference(&served).collect();
        assert!(
            unlisted.is_empty() && unserved.is_empty(),
            "served but not in EMULATED_OPERATIONS: {unlisted:?}; \
             in EMULATED_OPERATIONS but not served (or not in the spec): {unserved:?}"
        );
    }
}
