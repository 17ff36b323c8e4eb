//! Machine tokens: `/v1/api_keys` (`getApiKeys`, `createApiKey`, `getApiKey`, `updateApiKey`,
//! `deleteApiKey`, `getApiKeySecret`, `revokeApiKey`, `verifyApiKey`), `/v1/m2m_tokens`
//! (`getM2MTokens`, `createM2MToken`, `revokeM2MToken`, `verifyM2MToken`) and
//! `verifyOAuthAccessToken`.
//!
//! Every API-key and M2M-token operation, and `verifyOAuthAccessToken`, also answers at the API
//! root, without `/v1` (`POST /api_keys/verify`, `POST /m2m_tokens`, ...), where Clerk's
//! JavaScript and Python SDKs call them.
//!
//! A revoked or expired credential verifies with 200 and `revoked: true` / `expired: true`
//! (the fields of the spec's 200 answer; Clerk's SDKs reject such a token themselves); an
//! unknown one answers 404 `resource_not_found`. An expired OAuth access token in JWT form
//! answers `{"active": false}`, the spec's second shape.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clerk_core::models::{
    CreateApiKeyRequest, CreateM2MTokenRequest, CreateM2MTokenRequestTokenFormat,
    CreateM2MTokenResponse, GetApiKeySecretResponse, GetApiKeysResponseItem, GetM2MTokensResponse,
    GetM2MTokensResponseM2mTokensItem, Nullable, RevokeApiKeyRequest, RevokeApiKeyResponse,
    RevokeM2MTokenRequest, RevokeM2MTokenResponse, UpdateApiKeyRequest, UpdateApiKeyResponse,
    VerifyApiKeyRequest, VerifyApiKeyResponse, VerifyM2MTokenResponse,
    VerifyOauthAccessTokenRequest, VerifyOauthAccessTokenResponseClerkIdpOauthAccessToken,
};
use serde_json::Value;

use super::query::Query;
use super::{AppState, Routes, body, ok, reply};
use crate::store::{Failure, NewApiKey, Outcome, convert};
use crate::time::{now_ms, unix_now};
use crate::token::{decode_jwt, m2m_jwt};

/// What Clerk's SDKs call at the API root, without `/v1` (Clerk's JS SDK sends every API-key and
/// M2M-token operation, and the OAuth access-token verification, there): these paths and the
/// paths under them also answer at the root.
pub(crate) const ROOT_PATHS: &[&str] = &[
    "/api_keys",
    "/m2m_tokens",
    "/oauth_applications/access_tokens/verify",
];

/// Whether `path` (without `/v1`) is one that also answers at the API root.
pub(crate) fn served_at_root(path: &str) -> bool {
    ROOT_PATHS.iter().any(|root| {
        path.strip_prefix(root)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

pub(super) fn routes() -> Routes {
    let mut router = Router::new();
    for prefix in ["/v1", ""] {
        router = router
            .route(
                &format!("{prefix}/api_keys"),
                get(list_api_keys).post(create_api_key),
            )
            .route(
                &format!("{prefix}/api_keys/{{api_key_id}}"),
                get(get_api_key)
                    .patch(update_api_key)
                    .delete(delete_api_key),
            )
            .route(
                &format!("{prefix}/api_keys/{{api_key_id}}/secret"),
                get(get_api_key_secret),
            )
            .route(
                &format!("{prefix}/api_keys/{{api_key_id}}/revoke"),
                post(revoke_api_key),
            )
            .route(
                &format!("{prefix}/m2m_tokens"),
                get(list_m2m_tokens).post(create_m2m_token),
            )
            .route(
                &format!("{prefix}/m2m_tokens/{{m2m_token_id}}/revoke"),
                post(revoke_m2m_token),
            )
            .route(&format!("{prefix}/api_keys/verify"), post(verify_api_key))
            .route(
                &format!("{prefix}/m2m_tokens/verify"),
                post(verify_m2m_token),
            )
            .route(
                &format!("{prefix}/oauth_applications/access_tokens/verify"),
                post(verify_oauth_access_token),
            );
    }
    router
}

fn nullable<T: Clone>(n: &Nullable<T>) -> Option<Option<T>> {
    match n {
        Nullable::Absent => None,
        Nullable::Null => Some(None),
        Nullable::Value(v) => Some(Some(v.clone())),
    }
}

// ---- API keys ----

async fn list_api_keys(State(s): AppState, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw);
    let include_invalid = q.flag("include_invalid").unwrap_or(false);
    let list: Vec<GetApiKeysResponseItem> = s
        .store()
        .api_key_list(q.one("subject"), include_invalid)
        .iter()
        .filter(|k| q.one("type").is_none_or(|t| k.r#type == t))
        .filter(|k| {
            q.one("query")
                .is_none_or(|t| k.name.to_lowercase().contains(&t.to_lowercase()))
        })
        .map(convert)
        .collect();
    match q.page(list) {
        Ok((data, total_count)) => ok(clerk_core::models::Paginated { data, total_count }),
        Err(failure) => failure.into_response(),
    }
}

async fn create_api_key(State(s): AppState, bytes: Bytes) -> Response {
    let outcome = body::<CreateApiKeyRequest>(&bytes).and_then(|r| {
        s.store().create_api_key(NewApiKey {
            name: r.name,
            subject: r.subject,
            kind: r.r#type,
            description: r.description.value().cloned(),
            claims: r.claims.value().cloned(),
            scopes: r.scopes.unwrap_or_default(),
            created_by: r.created_by.value().cloned(),
            seconds_until_expiration: r.seconds_until_expiration.value().copied(),
        })
    });
    // 201 Created, as Clerk answers (the spec says 200; Clerk's own SDKs patch it).
    match outcome {
        Ok(key) => (StatusCode::CREATED, axum::Json(key)).into_response(),
        Err(failure) => failure.into_response(),
    }
}

async fn get_api_key(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().api_key(&id))
}

async fn update_api_key(State(s): AppState, Path(id): Path<String>, bytes: Bytes) -> Response {
    let outcome = body::<UpdateApiKeyRequest>(&bytes).and_then(|r| {
        s.store().update_api_key(
            &id,
            nullable(&r.claims),
            r.scopes,
            nullable(&r.description),
            r.subject,
            nullable(&r.seconds_until_expiration),
        )
    });
    reply(outcome.map(|k| convert::<_, UpdateApiKeyResponse>(&k)))
}

async fn delete_api_key(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(s.store().delete_api_key(&id))
}

async fn get_api_key_secret(State(s): AppState, Path(id): Path<String>) -> Response {
    reply(
        s.store()
            .api_key_secret(&id)
            .map(|secret| GetApiKeySecretResponse { secret }),
    )
}

async fn revoke_api_key(State(s): AppState, Path(id): Path<String>, bytes: Bytes) -> Response {
    let outcome = body::<RevokeApiKeyRequest>(&bytes).and_then(|r| {
        s.store()
            .revoke_api_key(&id, r.revocation_reason.value().cloned())
    });
    reply(outcome.map(|k| convert::<_, RevokeApiKeyResponse>(&k)))
}

async fn verify_api_key(State(s): AppState, bytes: Bytes) -> Response {
    let outcome =
        body::<VerifyApiKeyRequest>(&bytes).and_then(|r| s.store().verify_api_key(&r.secret));
    reply(outcome.map(|k| convert::<_, VerifyApiKeyResponse>(&k)))
}

// ---- M2M tokens ----

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn machine_key_required() -> Failure {
    Failure {
        status: 401,
        code: "authentication_invalid",
        message: "Creating an M2M token requires the secret key of a machine".into(),
    }
}

async fn list_m2m_tokens(State(s): AppState, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw);
    let Some(subject) = q.one("subject") else {
        return Failure::unprocessable("form_param_missing", "subject must be given")
            .into_response();
    };
    let list: Vec<GetM2MTokensResponseM2mTokensItem> = s
        .store()
        .m2m_token_list(subject, q.flag("revoked"), q.flag("expired"))
        .iter()
        .map(convert)
        .collect();
    match q.page(list) {
        Ok((m2m_tokens, total_count)) => ok(GetM2MTokensResponse {
            m2m_tokens,
            total_count,
        }),
        Err(failure) => failure.into_response(),
    }
}

/// Authenticated with the secret key of the machine the token is for, as Clerk requires; the
/// instance's secret key is accepted when the instance has exactly one machine (the token is
/// that machine's), and otherwise answers 401.
async fn create_m2m_token(State(s): AppState, headers: HeaderMap, bytes: Bytes) -> Response {
    let request = match body::<CreateM2MTokenRequest>(&bytes) {
        Ok(request) => request,
        Err(failure) => return failure.into_response(),
    };
    let machine_id = {
        let store = s.store();
        let key = bearer(&headers);
        match key.and_then(|key| store.machine_by_secret_key(key)) {
            Some(id) => Some(id.to_owned()),
            // The instance's secret key (all clerk-core's client can send) names the machine
            // when the instance has exactly one.
            None if store.machines.len() == 1 => store.machines.keys().next().cloned(),
            None => None,
        }
    };
    let Some(machine_id) = machine_id else {
        return machine_key_required().into_response();
    };
    let ttl = request.seconds_until_expiration.value().copied();
    if ttl.is_some_and(|t| t <= 0.0) {
        return Failure::unprocessable(
            "form_param_value_invalid",
            "seconds_until_expiration must be greater than 0",
        )
        .into_response();
    }
    let claims = request.claims.value().cloned();
    let outcome: Outcome<CreateM2MTokenResponse> =
        if request.token_format == Some(CreateM2MTokenRequestTokenFormat::Jwt) {
            let store = s.store();
            store.machine(&machine_id).map(|machine| {
                let scopes: Vec<String> = machine
                    .scoped_machines
                    .iter()
                    .map(|m| m.id.clone())
                    .collect();
                let ttl = ttl.map_or(machine.default_token_ttl.unwrap_or(3600), |t| t as i64);
                let custom = claims.as_ref().and_then(Value::as_object);
                let (token, jti, iat) = m2m_jwt(&s, &machine_id, &scopes, custom, ttl);
                CreateM2MTokenResponse {
                    object: "machine_to_machine_token".into(),
                    id: jti,
                    subject: machine_id.clone(),
                    claims,
                    scopes: Some(scopes),
                    token,
                    revoked: false,
                    revocation_reason: None,
                    expired: false,
                    expiration: Some((iat + ttl) * 1000),
                    last_used_at: None,
                    created_at: iat * 1000,
                    updated_at: iat * 1000,
                }
            })
        } else if let Some(min) = request.min_remaining_ttl_seconds {
            s.store()
                .create_or_reuse_m2m_token(&machine_id, claims, ttl, min)
        } else {
            s.store().create_m2m_token(&machine_id, None, claims, ttl)
        };
    match outcome {
        Ok(token) => (StatusCode::CREATED, axum::Json(token)).into_response(),
        Err(failure) => failure.into_response(),
    }
}

async fn revoke_m2m_token(State(s): AppState, Path(id): Path<String>, bytes: Bytes) -> Response {
    let outcome = body::<RevokeM2MTokenRequest>(&bytes).and_then(|r| {
        s.store()
            .revoke_m2m_token(&id, r.revocation_reason.value().cloned())
    });
    reply(outcome.map(|t| convert::<_, RevokeM2MTokenResponse>(&t)))
}

fn str_claim<'a>(claims: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

fn int_claim(claims: &serde_json::Map<String, Value>, name: &str) -> Option<i64> {
    claims.get(name).and_then(Value::as_i64)
}

/// The body of `verifyM2MToken`: the spec's `token`, or `secret`, which Clerk's Python SDK (and
/// older JS SDKs) send.
#[derive(Default, serde::Deserialize)]
struct VerifyM2MBody {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    secret: Option<String>,
}

/// Opaque tokens are looked up; a JWT signed by the instance with the M2M category is
/// answered from its claims (`expired` from `exp`; it cannot be revoked).
async fn verify_m2m_token(State(s): AppState, bytes: Bytes) -> Response {
    let request = match body::<VerifyM2MBody>(&bytes) {
        Ok(request) => request,
        Err(failure) => return failure.into_response(),
    };
    let token = request.token.or(request.secret).unwrap_or_default();
    if token.starts_with("mt_") {
        return reply(s.store().verify_m2m_token(&token));
    }
    let Some((header, claims)) = decode_jwt(&s, &token) else {
        return Failure::not_found("M2M token").into_response();
    };
    if header.get("cat").and_then(Value::as_str) != Some(crate::token::M2M_CATEGORY) {
        return Failure::not_found("M2M token").into_response();
    }
    let exp = int_claim(&claims, "exp");
    let iat = int_claim(&claims, "iat").unwrap_or(0);
    let scopes: Option<Vec<String>> = str_claim(&claims, "scopes")
        .map(|s| {
            s.split(' ')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .or_else(|| {
            claims.get("aud").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
        });
    let reserved = ["iss", "sub", "jti", "iat", "nbf", "exp", "scopes", "aud"];
    let custom: serde_json::Map<String, Value> = claims
        .iter()
        .filter(|(k, _)| !reserved.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    ok(VerifyM2MTokenResponse {
        object: "machine_to_machine_token".into(),
        id: str_claim(&claims, "jti").unwrap_or_default().to_owned(),
        subject: str_claim(&claims, "sub").unwrap_or_default().to_owned(),
        claims: (!custom.is_empty()).then_some(Value::Object(custom)),
        scopes,
        revoked: false,
        revocation_reason: None,
        expired: exp.is_some_and(|e| e <= unix_now()),
        expiration: exp.map(|e| e * 1000),
        last_used_at: Some(now_ms()),
        created_at: iat * 1000,
        updated_at: iat * 1000,
    })
}

// ---- OAuth access tokens ----

/// `access_token`, or the deprecated `secret`. Opaque tokens are looked up; a JWT signed by
/// the instance with `typ: at+jwt` is answered from its claims, and `{"active": false}` once
/// expired.
async fn verify_oauth_access_token(State(s): AppState, bytes: Bytes) -> Response {
    let request = match body::<VerifyOauthAccessTokenRequest>(&bytes) {
        Ok(request) => request,
        Err(failure) => return failure.into_response(),
    };
    let Some(token) = request.access_token.or(request.secret) else {
        return Failure::unprocessable("form_param_missing", "access_token must be given")
            .into_response();
    };
    if token.starts_with("oat_") {
        return reply(s.store().verify_oauth_access_token(&token));
    }
    let Some((header, claims)) = decode_jwt(&s, &token) else {
        return Failure::not_found("OAuth access token").into_response();
    };
    let typ = header.get("typ").and_then(Value::as_str);
    if !matches!(typ, Some("at+jwt") | Some("application/at+jwt")) {
        return Failure::not_found("OAuth access token").into_response();
    }
    let exp = int_claim(&claims, "exp");
    if exp.is_some_and(|e| e <= unix_now()) {
        return ok(serde_json::json!({ "active": false }));
    }
    let iat = int_claim(&claims, "iat").unwrap_or(0);
    let scopes: Vec<String> = match claims.get("scp").or_else(|| claims.get("scope")) {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) => s
            .split(' ')
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    ok(VerifyOauthAccessTokenResponseClerkIdpOauthAccessToken {
        object: "clerk_idp_oauth_access_token".into(),
        id: str_claim(&claims, "jti").unwrap_or_default().to_owned(),
        client_id: str_claim(&claims, "client_id")
            .unwrap_or_default()
            .to_owned(),
        subject: str_claim(&claims, "sub").unwrap_or_default().to_owned(),
        scopes,
        revoked: false,
        revocation_reason: None,
        expired: false,
        expiration: exp.map(|e| e * 1000),
        created_at: iat * 1000,
        updated_at: iat * 1000,
    })
}
