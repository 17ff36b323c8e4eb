//! `/v1/jwt_templates`: `ListJWTTemplates`, `CreateJWTTemplate`, `GetJWTTemplate`,
//! `UpdateJWTTemplate`, `DeleteJWTTemplate`; and `CreateSessionTokenFromTemplate` (`POST
//! /v1/sessions/{session_id}/tokens/{template_name}`), a session's token from a template.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use clerk_core::models::{
    CreateJwtTemplateRequest, CreateSessionTokenFromTemplateRequest,
    CreateSessionTokenFromTemplateResponse, Nullable, UpdateJwtTemplateRequest,
};

use super::query::{Query, list_reply};
use super::{AppState, Routes, body, reply};
use crate::token::template_token;

pub(super) fn routes() -> Routes {
    Router::new()
        .route(
            "/v1/jwt_templates",
            get(list_templates).post(create_template),
        )
        .route(
            "/v1/jwt_templates/{template_id}",
            get(get_template)
                .patch(update_template)
                .delete(delete_template),
        )
        .route(
            "/v1/sessions/{session_id}/tokens/{template_name}",
            post(token_from_template),
        )
}

/// A bare array, or `{data, total_count}` with `paginated=true`, as the spec declares it.
async fn list_templates(State(s): AppState, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw);
    let list = s.store().jwt_template_list();
    list_reply(&q, list)
}

async fn create_template(State(s): AppState, bytes: Bytes) -> Response {
    let outcome = body::<CreateJwtTemplateRequest>(&bytes)
        .and_then(|request| s.store().create_jwt_template(request));
    reply(outcome)
}

async fn get_template(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().jwt_template(&id))
}

async fn update_template(State(s): AppState, Path(id): Path<String>, bytes: Bytes) -> Response {
    let outcome = body::<UpdateJwtTemplateRequest>(&bytes)
        .and_then(|request| s.store().update_jwt_template(&id, request));
    reply(outcome)
}

async fn delete_template(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().delete_jwt_template(&id))
}

async fn token_from_template(
    State(s): AppState,
    Path((session_id, template_name)): Path<(String, String)>,
    bytes: Bytes,
) -> Response {
    let outcome = body::<CreateSessionTokenFromTemplateRequest>(&bytes).and_then(|request| {
        let expires_in = match request.expires_in_seconds {
            Nullable::Value(seconds) => Some(seconds),
            _ => None,
        };
        let jwt = template_token(&s, &session_id, &template_name, expires_in)?;
        Ok(CreateSessionTokenFromTemplateResponse {
            object: Some("token".into()),
            jwt: Some(jwt),
        })
    });
    reply(outcome)
}
