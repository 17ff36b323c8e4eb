//! `/v1/users`: `GetUserList`, `GetUsersCount`, `CreateUser`, `GetUser`, `UpdateUser`,
//! `DeleteUser`, `UpdateUserMetadata`, `BanUser`, `UnbanUser`, `LockUser`, `UnlockUser`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, patch, post};
use clerk_core::models::{
    self, CreateUserRequest, UpdateUserMetadataRequest, UpdateUserRequest, User,
};

use super::query::{Query, contains, num, sort_by};
use super::{AppState, Routes, body, reply};
use crate::store::{Failure, Outcome, Store};

pub(super) fn routes() -> Routes {
    Router::new()
        .route("/v1/users", get(list_users).post(create_user))
        .route("/v1/users/count", get(count_users))
        .route(
            "/v1/users/{user_id}",
            get(get_user).patch(update_user).delete(delete_user),
        )
        .route("/v1/users/{user_id}/metadata", patch(update_user_metadata))
        .route("/v1/users/{user_id}/ban", post(ban_user))
        .route("/v1/users/{user_id}/unban", post(unban_user))
        .route("/v1/users/{user_id}/lock", post(lock_user))
        .route("/v1/users/{user_id}/unlock", post(unlock_user))
}

fn user_key(user: &User, field: &str) -> String {
    match field {
        "updated_at" => num(user.updated_at),
        "email_address" => user
            .email_addresses
            .first()
            .map(|e| e.email_address.clone())
            .unwrap_or_default(),
        "username" => user.username.clone().unwrap_or_default(),
        "first_name" => user.first_name.clone().unwrap_or_default(),
        "last_name" => user.last_name.clone().unwrap_or_default(),
        "last_sign_in_at" => num(user.last_sign_in_at.unwrap_or(0)),
        "last_active_at" => num(user.last_active_at.unwrap_or(0)),
        _ => num(user.created_at),
    }
}

/// The users that match the filters of `GET /users` and `GET /users/count`.
fn filtered_users(store: &Store, q: &Query) -> Outcome<Vec<User>> {
    let emails = q.all("email_address");
    let external_ids = q.all("external_id");
    let usernames = q.all("username");
    let user_ids = q.all("user_id");
    let org_ids = q.all("organization_id");
    let text = q.one("query");
    let banned = q.flag("banned");
    let created_before = q.int("created_at_before")?;
    let created_after = q.int("created_at_after")?;
    let mut users: Vec<User> = store
        .users
        .values()
        .filter(|u| {
            emails.is_empty()
                || u.email_addresses.iter().any(|e| {
                    emails
                        .iter()
                        .any(|m| m.eq_ignore_ascii_case(&e.email_address))
                })
        })
        .filter(|u| {
            external_ids.is_empty()
                || external_ids
                    .iter()
                    .any(|x| u.external_id.as_deref() == Some(*x))
        })
        .filter(|u| {
            usernames.is_empty() || usernames.iter().any(|x| u.username.as_deref() == Some(*x))
        })
        .filter(|u| user_ids.is_empty() || user_ids.contains(&u.id.as_str()))
        .filter(|u| {
            org_ids.is_empty()
                || store
                    .memberships
                    .keys()
                    .any(|(org, user)| *user == u.id && org_ids.contains(&org.as_str()))
        })
        .filter(|u| {
            text.is_none_or(|t| {
                contains(Some(&u.id), t)
                    || contains(u.username.as_deref(), t)
                    || contains(u.first_name.as_deref(), t)
                    || contains(u.last_name.as_deref(), t)
                    || contains(u.external_id.as_deref(), t)
                    || u.email_addresses
                        .iter()
                        .any(|e| contains(Some(&e.email_address), t))
            })
        })
        .filter(|u| {
            q.one("email_address_query").is_none_or(|t| {
                u.email_addresses
                    .iter()
                    .any(|e| contains(Some(&e.email_address), t))
            })
        })
        .filter(|u| {
            q.one("username_query")
                .is_none_or(|t| contains(u.username.as_deref(), t))
        })
        .filter(|u| {
            q.one("name_query").is_none_or(|t| {
                contains(u.first_name.as_deref(), t) || contains(u.last_name.as_deref(), t)
            })
        })
        .filter(|u| banned.is_none_or(|b| u.banned == b))
        .filter(|u| created_before.is_none_or(|t| u.created_at < t))
        .filter(|u| created_after.is_none_or(|t| u.created_at > t))
        .cloned()
        .collect();
    sort_by(&mut users, q.one("order_by"), user_key)?;
    if let Some(cursor) = q.one("starting_after") {
        let position = users
            .iter()
            .position(|u| u.id == cursor)
            .ok_or_else(|| Failure::not_found("starting_after user"))?;
        users.drain(..=position);
    }
    Ok(users)
}

async fn list_users(State(s): AppState, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw);
    let store = s.store();
    reply(
        filtered_users(&store, &q)
            .and_then(|users| q.page(users))
            .map(|(page, _)| page),
    )
}

async fn count_users(State(s): AppState, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw);
    let store = s.store();
    reply(filtered_users(&store, &q).map(|users| models::TotalCount {
        object: "total_count".into(),
        total_count: users.len() as i64,
    }))
}

async fn create_user(State(s): AppState, bytes: Bytes) -> Response {
    reply(body::<CreateUserRequest>(&bytes).and_then(|request| s.store().create_user_from(request)))
}

async fn get_user(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().user(&id).cloned())
}

async fn update_user(State(s): AppState, Path(id): Path<String>, bytes: Bytes) -> Response {
    reply(body::<UpdateUserRequest>(&bytes).and_then(|request| s.store().update_user(&id, request)))
}

async fn delete_user(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().delete_user(&id))
}

async fn update_user_metadata(
    State(s): AppState,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    reply(
        body::<UpdateUserMetadataRequest>(&bytes)
            .and_then(|request| s.store().update_user_metadata(&id, request)),
    )
}

async fn ban_user(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().set_banned(&id, true))
}

async fn unban_user(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().set_banned(&id, false))
}

async fn lock_user(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().set_locked(&id, true))
}

async fn unlock_user(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().set_locked(&id, false))
}
