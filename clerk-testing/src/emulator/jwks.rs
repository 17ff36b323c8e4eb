//! `/v1/jwks`: `GetJWKS`, the instance's signing keys as a JSON Web Key Set.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{AppState, Routes};

pub(super) fn routes() -> Routes {
    Router::new().route("/v1/jwks", get(jwks))
}

async fn jwks(State(shared): AppState) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        shared.jwks().to_string(),
    )
        .into_response()
}
