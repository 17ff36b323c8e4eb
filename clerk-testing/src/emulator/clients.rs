//! `/v1/clients/handshake_payload`: `GetHandshakePayload`, the cookie directives of a Frontend
//! API handshake, by the nonce its redirect brought back; once per nonce.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use clerk_core::models::HandshakePayload;

use super::query::Query;
use super::{AppState, Routes, reply};
use crate::store::Failure;
use crate::time::unix_now;

pub(super) fn routes() -> Routes {
    Router::new().route("/v1/clients/handshake_payload", get(handshake_payload))
}

async fn handshake_payload(State(s): AppState, RawQuery(raw): RawQuery) -> Response {
    let q = Query::parse(raw);
    let outcome = match q.one("nonce").filter(|nonce| !nonce.is_empty()) {
        None => Err(Failure::unprocessable(
            "form_param_missing",
            "nonce is required",
        )),
        Some(nonce) => s
            .store()
            .take_handshake(nonce, unix_now())
            .map(|directives| HandshakePayload { directives })
            .ok_or_else(|| Failure::not_found("handshake payload")),
    };
    reply(outcome)
}
