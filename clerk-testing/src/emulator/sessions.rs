//! `/v1/sessions`: `GetSessionList`, `GetSession`, `RevokeSession`.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use clerk_core::models::Session;

use super::query::{Query, list_reply};
use super::{AppState, Routes, reply};

pub(super) fn routes() -> Routes {
    Router::new()
        .route("/v1/sessions", get(list_sessions))
        .route("/v1/sessions/{session_id}", get(get_session))
        .route("/v1/sessions/{session_id}/revoke", post(revoke_session))
}

async fn list_sessions(State(s): AppState, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw);
    let store = s.store();
    let mut list: Vec<Session> = store
        .sessions
        .values()
        .filter(|x| q.one("user_id").is_none_or(|u| x.user_id == u))
        .filter(|x| q.one("client_id").is_none_or(|c| x.client_id == c))
        .filter(|x| q.one("status").is_none_or(|st| x.status.as_str() == st))
        .cloned()
        .collect();
    list.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    list_reply(&q, list)
}

async fn get_session(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().session(&id).cloned())
}

async fn revoke_session(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().revoke_session(&id))
}
