//! The emulated Backend API routes: users, organizations, organization memberships, sessions and
//! invitations, over the in-memory [`Store`](crate::store::Store). Request and response bodies are
//! the generated models of `clerk-core`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use clerk_core::models::{
    self, CreateInvitationRequest, CreateOrganizationMembershipRequest, CreateOrganizationRequest,
    CreateUserRequest, InvitationStatus, MergeOrganizationMetadataRequest, Metadata, Nullable,
    Organization, OrganizationMembership, Paginated, Session, UpdateOrganizationMembershipRequest,
    UpdateOrganizationRequest, UpdateUserMetadataRequest, UpdateUserRequest, User,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::server::{Shared, clerk_error};
use crate::store::{Failure, NewUser, Outcome, Store, merge_metadata};

type AppState = State<Arc<Shared>>;

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

/// The query string, with repeated keys.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: Option<String>) -> Self {
        Self(
            raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default(),
        )
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn one(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }

    fn int(&self, name: &str) -> Outcome<Option<i64>> {
        self.one(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    Failure::unprocessable(
                        "form_param_format_invalid",
                        format!("{name} must be an integer"),
                    )
                })
            })
            .transpose()
    }

    fn flag(&self, name: &str) -> Option<bool> {
        self.one(name).map(|v| v == "true")
    }

    /// `limit` (1..=500, default 10) and `offset` (default 0).
    fn page<T>(&self, items: Vec<T>) -> Outcome<(Vec<T>, i64)> {
        let limit = self.int("limit")?.unwrap_or(10);
        if !(1..=500).contains(&limit) {
            return Err(Failure::unprocessable(
                "form_param_value_invalid",
                "limit must be between 1 and 500",
            ));
        }
        let offset = self.int("offset")?.unwrap_or(0).max(0);
        let total = items.len() as i64;
        let page = items
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        Ok((page, total))
    }
}

fn contains(haystack: Option<&str>, needle: &str) -> bool {
    haystack.is_some_and(|h| h.to_lowercase().contains(&needle.to_lowercase()))
}

/// Sorts by `order_by` (`+field` or `-field`, default `-created_at`).
fn sort_by<T>(
    items: &mut [T],
    order_by: Option<&str>,
    key: impl Fn(&T, &str) -> String,
) -> Outcome<()> {
    let order_by = order_by.unwrap_or("-created_at");
    let (descending, field) = match order_by.strip_prefix('-') {
        Some(field) => (true, field),
        None => (false, order_by.trim_start_matches('+')),
    };
    if key_supported(field) {
        items.sort_by(|a, b| {
            let ordering = key(a, field).cmp(&key(b, field));
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
        Ok(())
    } else {
        Err(Failure::unprocessable(
            "form_param_value_invalid",
            format!("order_by `{order_by}` is not supported"),
        ))
    }
}

fn key_supported(field: &str) -> bool {
    matches!(
        field,
        "created_at"
            | "updated_at"
            | "email_address"
            | "username"
            | "first_name"
            | "last_name"
            | "name"
            | "last_sign_in_at"
            | "last_active_at"
            | "members_count"
            | "role"
            | "phone_number"
    )
}

/// Zero-padded so that string order is numeric order.
fn num(n: i64) -> String {
    format!("{:020}", n.max(0))
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

/// Merges a metadata patch from a request, when it has one.
fn merge_into(target: &mut Metadata, patch: Option<&Metadata>) {
    if let Some(patch) = patch {
        merge_metadata(target, patch);
    }
}

fn set(target: &mut Option<String>, value: Nullable<String>) {
    match value {
        Nullable::Value(v) => *target = Some(v),
        Nullable::Null => *target = None,
        Nullable::Absent => {}
    }
}

async fn create_user(State(s): AppState, bytes: Bytes) -> Response {
    let outcome = body::<CreateUserRequest>(&bytes).and_then(|request| {
        let mut store = s.store();
        let mut user = store.create_user(NewUser {
            email_addresses: request.email_address.unwrap_or_default(),
            first_name: request.first_name.value().cloned(),
            last_name: request.last_name.value().cloned(),
            username: request.username.value().cloned(),
            external_id: request.external_id.value().cloned(),
            public_metadata: request.public_metadata.unwrap_or_default(),
            private_metadata: request.private_metadata.unwrap_or_default(),
            unsafe_metadata: request.unsafe_metadata.unwrap_or_default(),
        })?;
        let stored = store.user_mut(&user.id)?;
        stored.password_enabled = request.password.value().is_some();
        stored.banned = request.banned.value().copied().unwrap_or(false);
        stored.locked = request.locked.value().copied().unwrap_or(false);
        user = stored.clone();
        Ok(user)
    });
    reply(outcome)
}

async fn get_user(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().user(&id).cloned())
}

async fn update_user(State(s): AppState, Path(id): Path<String>, bytes: Bytes) -> Response {
    let outcome = body::<UpdateUserRequest>(&bytes).and_then(|request| {
        let mut store = s.store();
        if let Nullable::Value(username) = &request.username
            && store
                .users
                .values()
                .any(|u| u.id != id && u.username.as_deref() == Some(username))
        {
            return Err(Failure::unprocessable(
                "form_identifier_exists",
                "That username is taken. Please try another.",
            ));
        }
        let user = store.user_mut(&id)?;
        if let Nullable::Value(primary) = &request.primary_email_address_id
            && !user
                .email_addresses
                .iter()
                .any(|e| e.id.as_deref() == Some(primary))
        {
            return Err(Failure::unprocessable(
                "form_param_value_invalid",
                "primary_email_address_id is not one of the user's email addresses",
            ));
        }
        set(&mut user.first_name, request.first_name);
        set(&mut user.last_name, request.last_name);
        set(&mut user.username, request.username);
        set(&mut user.external_id, request.external_id);
        set(&mut user.locale, request.locale);
        set(
            &mut user.primary_email_address_id,
            request.primary_email_address_id,
        );
        if let Nullable::Value(password) = request.password {
            user.password_enabled = !password.is_empty();
        }
        Ok(user.clone())
    });
    reply(outcome)
}

async fn delete_user(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().delete_user(&id))
}

async fn update_user_metadata(
    State(s): AppState,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let outcome = body::<UpdateUserMetadataRequest>(&bytes).and_then(|request| {
        let mut store = s.store();
        let user = store.user_mut(&id)?;
        merge_into(&mut user.public_metadata, request.public_metadata.as_ref());
        merge_into(
            user.private_metadata.get_or_insert_with(Metadata::new),
            request.private_metadata.as_ref(),
        );
        merge_into(
            user.unsafe_metadata.get_or_insert_with(Metadata::new),
            request.unsafe_metadata.as_ref(),
        );
        Ok(user.clone())
    });
    reply(outcome)
}

/// `ban`, `unban`, `lock` and `unlock`.
async fn set_user_flag(s: Arc<Shared>, id: String, apply: impl FnOnce(&mut User)) -> Response {
    let mut store = s.store();
    let outcome = store.user_mut(&id).map(|user| {
        apply(user);
        user.clone()
    });
    reply(outcome)
}

async fn ban_user(State(s): AppState, Path(id): Path<String>) -> Response {
    set_user_flag(s, id, |u| u.banned = true).await
}

async fn unban_user(State(s): AppState, Path(id): Path<String>) -> Response {
    set_user_flag(s, id, |u| u.banned = false).await
}

async fn lock_user(State(s): AppState, Path(id): Path<String>) -> Response {
    set_user_flag(s, id, |u| u.locked = true).await
}

async fn unlock_user(State(s): AppState, Path(id): Path<String>) -> Response {
    set_user_flag(s, id, |u| u.locked = false).await
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
    let outcome = body::<UpdateOrganizationRequest>(&bytes).and_then(|request| {
        let mut store = s.store();
        if let Nullable::Value(slug) = &request.slug
            && store
                .organizations
                .values()
                .any(|o| &o.slug == slug && o.id != id && o.slug != id)
        {
            return Err(Failure::unprocessable(
                "form_identifier_exists",
                "That slug is taken. Please try another.",
            ));
        }
        let org = store.organization_mut(&id)?;
        if let Nullable::Value(name) = request.name {
            org.name = name;
        }
        if let Nullable::Value(slug) = request.slug {
            org.slug = slug;
        }
        if let Nullable::Value(max) = request.max_allowed_memberships {
            org.max_allowed_memberships = max;
        }
        if let Nullable::Value(enabled) = request.admin_delete_enabled {
            org.admin_delete_enabled = enabled;
        }
        Ok(org.clone())
    });
    reply(outcome)
}

async fn delete_organization(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().delete_organization(&id))
}

async fn merge_organization_metadata(
    State(s): AppState,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let outcome = body::<MergeOrganizationMetadataRequest>(&bytes).and_then(|request| {
        let mut store = s.store();
        let org = store.organization_mut(&id)?;
        merge_into(&mut org.public_metadata, request.public_metadata.as_ref());
        merge_into(
            org.private_metadata.get_or_insert_with(Metadata::new),
            request.private_metadata.as_ref(),
        );
        Ok(org.clone())
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

/// Lists that answer a bare array, or `{data, total_count}` with `paginated=true`.
fn list_reply<T: Serialize>(q: &Query, items: Vec<T>) -> Response {
    match q.page(items) {
        Ok((data, total_count)) if q.flag("paginated") == Some(true) => {
            ok(Paginated { data, total_count })
        }
        Ok((data, _)) => ok(data),
        Err(failure) => failure.into_response(),
    }
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
    let mut list: Vec<models::Invitation> = store
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

/// The operation ids this module answers; the clerk-testing docs list them.
pub const EMULATED_OPERATIONS: &[&str] = &[
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
    "ListOrganizations",
    "CreateOrganization",
    "GetOrganization",
    "UpdateOrganization",
    "DeleteOrganization",
    "MergeOrganizationMetadata",
    "CreateOrganizationMembership",
    "ListOrganizationMemberships",
    "UpdateOrganizationMembership",
    "DeleteOrganizationMembership",
    "GetSessionList",
    "GetSession",
    "RevokeSession",
    "CreateInvitation",
    "ListInvitations",
    "RevokeInvitation",
    "GetJWKS",
];

/// The emulated routes, under `/v1`.
pub(crate) fn routes() -> Router<Arc<Shared>> {
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
        .route(
            "/v1/users/{user_id}/organization_memberships",
            get(user_memberships),
        )
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
        .route(
            "/v1/organizations/{organization_id}/memberships",
            get(list_memberships).post(create_membership),
        )
        .route(
            "/v1/organizations/{organization_id}/memberships/{user_id}",
            patch(update_membership).delete(delete_membership),
        )
        .route("/v1/sessions", get(list_sessions))
        .route("/v1/sessions/{session_id}", get(get_session))
        .route("/v1/sessions/{session_id}/revoke", post(revoke_session))
        .route(
            "/v1/invitations",
            get(list_invitations).post(create_invitation),
        )
        .route(
            "/v1/invitations/{invitation_id}/revoke",
            post(revoke_invitation),
        )
}
