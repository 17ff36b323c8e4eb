//! `/v1/machines`: `ListMachines`, `CreateMachine`, `GetMachine`, `UpdateMachine`,
//! `DeleteMachine`, `GetMachineSecretKey`, `RotateMachineSecretKey`, `CreateMachineScope`,
//! `DeleteMachineScope`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use clerk_core::models::{
    CreateMachineRequest, CreateMachineScopeRequest, GetMachineSecretKeyResponse, Machine,
    RotateMachineSecretKeyRequest, RotateMachineSecretKeyResponse, UpdateMachineRequest,
};

use super::query::{Query, contains, num, sort_by};
use super::{AppState, Routes, body, ok, reply};

pub(super) fn routes() -> Routes {
    Router::new()
        .route("/v1/machines", get(list_machines).post(create_machine))
        .route(
            "/v1/machines/{machine_id}",
            get(get_machine)
                .patch(update_machine)
                .delete(delete_machine),
        )
        .route("/v1/machines/{machine_id}/secret_key", get(get_secret_key))
        .route(
            "/v1/machines/{machine_id}/secret_key/rotate",
            post(rotate_secret_key),
        )
        .route("/v1/machines/{machine_id}/scopes", post(create_scope))
        .route(
            "/v1/machines/{machine_id}/scopes/{other_machine_id}",
            delete(delete_scope),
        )
}

/// `{data, total_count}`, as the spec answers `ListMachines`.
async fn list_machines(State(s): AppState, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw);
    let mut list: Vec<Machine> = s
        .store()
        .machine_list()
        .into_iter()
        .filter(|m| {
            q.one("query")
                .is_none_or(|t| contains(Some(&m.name), t) || contains(Some(&m.id), t))
        })
        .collect();
    if let Err(failure) = sort_by(&mut list, q.one("order_by"), |m, field| match field {
        "name" => m.name.clone(),
        _ => num(m.created_at),
    }) {
        return failure.into_response();
    }
    match q.page(list) {
        Ok((data, total_count)) => ok(clerk_core::models::Paginated { data, total_count }),
        Err(failure) => failure.into_response(),
    }
}

async fn create_machine(State(s): AppState, bytes: Bytes) -> Response {
    let instance_id = s.webhooks().instance_id().to_owned();
    let outcome = body::<CreateMachineRequest>(&bytes).and_then(|r| {
        s.store().create_machine(
            &instance_id,
            r.name,
            r.scoped_machines.unwrap_or_default(),
            r.default_token_ttl,
        )
    });
    reply(outcome)
}

async fn get_machine(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().machine(&id))
}

async fn update_machine(State(s): AppState, Path(id): Path<String>, bytes: Bytes) -> Response {
    let outcome = body::<UpdateMachineRequest>(&bytes)
        .and_then(|r| s.store().update_machine(&id, r.name, r.default_token_ttl));
    reply(outcome)
}

async fn delete_machine(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().delete_machine(&id))
}

async fn get_secret_key(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(
        s.store()
            .machine_secret_key(&id)
            .map(|secret| GetMachineSecretKeyResponse {
                object: "machine_secret_key".into(),
                secret,
            }),
    )
}

async fn rotate_secret_key(State(s): AppState, Path(id): Path<String>, bytes: Bytes) -> Response {
    let outcome = body::<RotateMachineSecretKeyRequest>(&bytes).and_then(|r| {
        s.store()
            .rotate_machine_secret_key(&id, r.previous_token_ttl)
            .map(|secret| RotateMachineSecretKeyResponse {
                object: "machine_secret_key".into(),
                secret,
            })
    });
    reply(outcome)
}

async fn create_scope(State(s): AppState, Path(id): Path<String>, bytes: Bytes) -> Response {
    let outcome = body::<CreateMachineScopeRequest>(&bytes)
        .and_then(|r| s.store().create_machine_scope(&id, &r.to_machine_id));
    reply(outcome)
}

async fn delete_scope(State(s): AppState, Path((id, other)): Path<(String, String)>) -> Response {
    reply(s.store().delete_machine_scope(&id, &other))
}
