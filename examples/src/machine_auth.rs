//! Machine authentication: two services and a user's script (the `machine_auth` example's
//! code).
//!
//! - **orders-api** (Axum) takes M2M tokens from other services and API keys from users'
//!   scripts, besides browser sessions: its layer accepts those kinds, and each route narrows
//!   them with a guard. `GET /internal/orders` is for services: an M2M token whose scopes name
//!   this service's machine (that is how Clerk says which machines may reach which).
//!   `GET /api/orders` is for people: a session, or an API key with the `orders:read` scope.
//! - **billing-worker** calls `GET /internal/orders` with an M2M token from
//!   [`M2mTokenSource`], which asks Clerk once and reuses the token until shortly before it
//!   expires.

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use clerk_axum::{
    ClerkCaller, ClerkLayer, ClerkMachine, ClerkOptions, require_scope, require_tokens,
};
use clerk_core::Clerk;
use clerk_core::guard::Caller;
use clerk_core::machine::{Accepts, M2mTokenSource, TokenKind};
use clerk_testing::{LocalClerk, NewUser};

/// The scope an API key needs for `GET /api/orders`.
pub const ORDERS_READ: &str = "orders:read";

/// The orders-api: `GET /internal/orders` for M2M tokens that may reach `machine_id` (this
/// service's machine), `GET /api/orders` for sessions and API keys with [`ORDERS_READ`].
pub fn orders_api(clerk: Clerk, machine_id: &str) -> Router {
    let services = Router::new()
        .route(
            "/internal/orders",
            get(|machine: ClerkMachine| async move {
                format!("orders for service {}", machine.subject())
            }),
        )
        .route_layer(require_scope(machine_id))
        .route_layer(require_tokens(Accepts::kinds([TokenKind::M2mToken])));
    let people = Router::new()
        .route(
            "/api/orders",
            get(|ClerkCaller(caller): ClerkCaller| async move {
                match caller {
                    Caller::Session(auth) => {
                        (StatusCode::OK, format!("orders of {}", auth.user_id()))
                    }
                    Caller::Machine(key) if key.has_scope(ORDERS_READ) => (
                        StatusCode::OK,
                        format!("orders of {} (API key {:?})", key.subject(), key.name()),
                    ),
                    Caller::Machine(_) => (
                        StatusCode::FORBIDDEN,
                        format!("the API key lacks {ORDERS_READ}"),
                    ),
                }
            }),
        )
        .route_layer(require_tokens(Accepts::kinds([
            TokenKind::SessionToken,
            TokenKind::ApiKey,
        ])));
    let accepts = Accepts::kinds([
        TokenKind::SessionToken,
        TokenKind::ApiKey,
        TokenKind::M2mToken,
    ]);
    services
        .merge(people)
        .layer(ClerkLayer::new(ClerkOptions::new(clerk).accepts(accepts)))
}

/// One request of the demo and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What was done.
    pub what: &'static str,
    /// The status.
    pub status: u16,
    /// The body.
    pub body: String,
}

/// How long orders-api keeps a verdict in the demo (the default is 10 s): a revoked API key
/// works for at most this long.
pub const DEMO_VERDICT_TTL: Duration = Duration::from_secs(1);

/// Runs the demo against `local`: creates the two machines (billing-worker may reach
/// orders-api), a user with an API key, serves orders-api on 127.0.0.1, and sends its requests.
pub async fn demo(local: &LocalClerk) -> Result<Vec<Step>, Box<dyn std::error::Error>> {
    let worker = local.machines().create("billing-worker");
    let api = local.machines().create("orders-api");
    local.machines().add_scope(&worker.id, &api.id);
    let ada = local
        .users()
        .create(NewUser::with_email("ada@example.com").first_name("Ada"));
    let (key, secret) = local
        .api_keys()
        .create(&ada.id, "ada's script", [ORDERS_READ]);
    let (_, unscoped) = local
        .api_keys()
        .create(&ada.id, "read nothing", ["profile"]);

    let clerk = local
        .clerk_builder()
        .machine_token_cache_ttl(DEMO_VERDICT_TTL)
        .build()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(axum::serve(listener, orders_api(clerk, &api.id)).into_future());

    let http = reqwest::Client::new();
    let tokens = M2mTokenSource::new(worker.secret_key).api_url(local.api_url());
    let mut steps = Vec::new();
    let mut send = async |what, request: reqwest::RequestBuilder| -> reqwest::Result<()> {
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.text().await?;
        steps.push(Step { what, status, body });
        Ok(())
    };
    let internal = format!("{base}/internal/orders");
    let orders = format!("{base}/api/orders");
    for what in [
        "billing-worker, M2M token",
        "billing-worker again, same token",
    ] {
        send(what, tokens.authorize(http.get(&internal)).await?).await?;
    }
    send(
        "Ada's script, API key",
        http.get(&orders).bearer_auth(&secret),
    )
    .await?;
    send("Ada's browser, session", {
        let session = local.sessions().sign_in(&ada.id).token;
        http.get(&orders).bearer_auth(session)
    })
    .await?;
    send(
        "Ada's API key on the internal route",
        http.get(&internal).bearer_auth(&secret),
    )
    .await?;
    send(
        "an API key without orders:read",
        http.get(&orders).bearer_auth(&unscoped),
    )
    .await?;
    send("no token", http.get(&orders)).await?;
    local.api_keys().revoke(&key.id, Some("leaked"));
    send(
        "the revoked API key, verdict still cached",
        http.get(&orders).bearer_auth(&secret),
    )
    .await?;
    tokio::time::sleep(DEMO_VERDICT_TTL + Duration::from_millis(200)).await;
    send(
        "the revoked API key, after the cache TTL",
        http.get(&orders).bearer_auth(&secret),
    )
    .await?;
    server.abort();
    Ok(steps)
}
