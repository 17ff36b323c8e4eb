//! `/v1/sessions`: `GetSessionList`, `GetSession`, `RevokeSession`, and `RefreshSession`, which
//! gives a session whose token expired a new one, for its refresh token.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use clerk_core::models::{
    Cookies, Nullable, RefreshSessionRequest, RefreshSessionRequestFormat, Session, SessionRefresh,
    Token,
};

use super::query::{Query, list_reply};
use super::{AppState, Routes, body, reply};
use crate::cookies;
use crate::store::Failure;
use crate::token::{decode_jwt, session_token};

pub(super) fn routes() -> Routes {
    Router::new()
        .route("/v1/sessions", get(list_sessions))
        .route("/v1/sessions/{session_id}", get(get_session))
        .route("/v1/sessions/{session_id}/revoke", post(revoke_session))
        .route("/v1/sessions/{session_id}/refresh", post(refresh_session))
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

/// The code of every refused refresh (401). Clerk's SDK turns it into the reason
/// `session-token-expired-refresh-<code>`; Clerk documents no list of codes, this is the one
/// its own material names.
const REFRESH_REFUSED: &str = "refresh_token_invalid";

fn refused(message: &str) -> Failure {
    Failure {
        status: 401,
        code: REFRESH_REFUSED,
        message: message.to_owned(),
    }
}

/// A new session token for a session whose token expired: the session must exist (else 404)
/// and be active, `refresh_token` must be its refresh token, and `expired_token` a token this
/// instance signed for it (its expiry does not matter), else 401. `format: cookie` answers the
/// `Set-Cookie` values for the app (`__session`, and `__session_<suffix>` with
/// `suffixed_cookies=true`), otherwise the token. The new token's `azp` is `request_origin`,
/// and its `iss` the expired one's when that is a satellite domain's, else the instance's.
async fn refresh_session(
    State(s): AppState,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    bytes: Bytes,
) -> Response {
    let suffixed = Query::parse(raw).flag("suffixed_cookies") == Some(true);
    let outcome = body::<RefreshSessionRequest>(&bytes).and_then(|request| {
        let session = s.store().session(&id).cloned()?;
        let refresh_token = s.store().refresh_token(&session.id).map(str::to_owned);
        if request.refresh_token.is_empty() || refresh_token != Some(request.refresh_token) {
            return Err(refused("The refresh token is invalid for this session."));
        }
        let expired_claims = decode_jwt(&s, &request.expired_token)
            .map(|(_, claims)| claims)
            .filter(|c| {
                c.get("sid").and_then(|v| v.as_str()) == Some(session.id.as_str())
                    && c.get("sub").and_then(|v| v.as_str()) == Some(session.user_id.as_str())
            });
        let Some(expired_claims) = expired_claims else {
            return Err(refused(
                "The expired token was not issued by this instance for this session.",
            ));
        };
        // A satellite domain's token is refreshed for that domain.
        let issuer = expired_claims
            .get("iss")
            .and_then(|v| v.as_str())
            .filter(|iss| s.is_satellite_issuer(iss));
        let jwt = session_token(&s, &session.id, Some(&request.request_origin), issuer)
            .ok_or_else(|| refused("The session is no longer active."))?;
        Ok(answer(&s, jwt, request.format, suffixed))
    });
    reply(outcome)
}

fn answer(
    s: &crate::state::Shared,
    jwt: String,
    format: Nullable<RefreshSessionRequestFormat>,
    suffixed: bool,
) -> SessionRefresh {
    if format != Nullable::Value(RefreshSessionRequestFormat::Cookie) {
        return SessionRefresh::Token(Token {
            object: "token".into(),
            jwt,
        });
    }
    let mut list = vec![cookies::session(cookies::SESSION, &jwt)];
    if suffixed {
        let name = cookies::suffixed(cookies::SESSION, &s.identity().cookie_suffix);
        list.push(cookies::session(&name, &jwt));
    }
    SessionRefresh::Cookies(Cookies {
        object: "cookies".into(),
        cookies: list,
    })
}
