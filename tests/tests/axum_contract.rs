//! The adapter contract (`clerk_integration_tests::cases`) run against clerk-axum, in process
//! (`tower::ServiceExt::oneshot`) and over real HTTP (`axum::serve` on 127.0.0.1, reqwest as the
//! client).

use axum::Router;
use axum::body::Body;
use axum::response::IntoResponse as _;
use axum::routing::{get, post};
use clerk_axum::{
    ClerkAuth, ClerkCaller, ClerkClient, ClerkLayer, ClerkMachine, ClerkOptions, ClerkSession,
    ClerkUser, ClerkWebhook, WebhookLayer, require, require_auth, require_feature, require_machine,
    require_permission, require_plan, require_role, require_scope, require_tokens,
};
use clerk_core::guard::Caller;
use clerk_core::machine::{Accepts, TokenKind};
use clerk_core::webhooks::Webhook;
use clerk_integration_tests::cases::{
    AUTHORIZED_PARTY, Answer, BARE, Case, FEATURE, HANDLER_FAILED, HOOKED, LOOKUP_TIMEOUT,
    MACHINES, ORG_SLUG, PERMISSION, PLAN, ROLE, SCOPE, UNCONFIGURED_WEBHOOK, WEBHOOK,
    WEBHOOK_SECRET, admin_token, contract, contract_clerk, hook_body, huge_header_cases,
    jwks_failure_contract, outage_contract, run_all,
};
use clerk_testing::LocalClerk;
use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

/// What the missing-layer answer names.
const MIDDLEWARE: &str = "ClerkLayer";

/// The contract app's layer; `hooked`: with the `on_rejection` hook of the `/hooked` mounting;
/// `accepts`: the token kinds (the `/machines` mounting takes any).
fn layer(clerk: clerk_core::Clerk, hooked: bool, accepts: Accepts) -> ClerkLayer {
    let options = ClerkOptions::new(clerk)
        .accepts(accepts)
        .authorized_parties([AUTHORIZED_PARTY])
        .user_lookup_timeout(LOOKUP_TIMEOUT);
    if !hooked {
        return ClerkLayer::new(options);
    }
    ClerkLayer::new(options).on_rejection(|_head, rejection| {
        let status =
            StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, hook_body(rejection.code())).into_response()
    })
}

/// The contract's webhook verifier, with replay protection.
fn webhook() -> WebhookLayer {
    let webhook = Webhook::new(WEBHOOK_SECRET).expect("a valid secret");
    WebhookLayer::new(webhook.replay_protection(1_000))
}

/// The contract's routes, without the layer.
fn routes() -> Router {
    fn ok() -> Router {
        Router::new().route("/", get(|| async { "ok" }))
    }
    Router::new()
        .route("/public", get(|| async { "public" }))
        .route(
            "/session",
            get(|ClerkSession(claims): ClerkSession| async move { claims.user_id().to_owned() }),
        )
        .route(
            "/auth",
            get(|auth: ClerkAuth| async move { auth.user_id().to_owned() }),
        )
        .route(
            "/optional",
            get(|session: Option<ClerkSession>| async move {
                session.map_or("anonymous".to_owned(), |s| s.user_id().to_owned())
            }),
        )
        .route(
            "/optional-auth",
            get(|auth: Option<ClerkAuth>| async move {
                auth.map_or("anonymous".to_owned(), |a| a.user_id().to_owned())
            }),
        )
        .route(
            "/user",
            get(|user: ClerkUser| async move { user.id.clone() }),
        )
        .route(
            "/optional-user",
            get(|user: Option<ClerkUser>| async move {
                user.map_or("anonymous".to_owned(), |u| u.id.clone())
            }),
        )
        .route("/client", get(|_: ClerkClient| async { "client" }))
        .route(
            "/machine",
            get(|machine: ClerkMachine| async move {
                format!("{} {}", machine.kind().name(), machine.subject())
            }),
        )
        .route(
            "/optional-machine",
            get(|machine: Option<ClerkMachine>| async move {
                machine.map_or("anonymous".to_owned(), |m| {
                    format!("{} {}", m.kind().name(), m.subject())
                })
            }),
        )
        .route(
            "/caller",
            get(|ClerkCaller(caller): ClerkCaller| async move {
                let subject = match &caller {
                    Caller::Session(auth) => auth.user_id().to_owned(),
                    Caller::Machine(machine) => machine.subject().to_owned(),
                };
                format!("{} {subject}", caller.kind().name())
            }),
        )
        .nest("/guard/machine", ok().route_layer(require_machine()))
        .nest("/guard/scope", ok().route_layer(require_scope(SCOPE)))
        .nest(
            "/guard/api-key",
            ok().route_layer(require_tokens(Accepts::kinds([TokenKind::ApiKey]))),
        )
        .route(
            WEBHOOK,
            post(|ClerkWebhook(delivery): ClerkWebhook| async move {
                if delivery.id.starts_with("msg_fail") {
                    return (StatusCode::INTERNAL_SERVER_ERROR, HANDLER_FAILED.to_owned());
                }
                let answer = format!("{} {}", delivery.event.event_type(), delivery.id);
                (StatusCode::OK, answer)
            })
            .layer(webhook()),
        )
        .route(
            UNCONFIGURED_WEBHOOK,
            post(|_: ClerkWebhook| async { "never" }),
        )
        .nest("/guard/auth", ok().route_layer(require_auth()))
        .nest("/guard/role", ok().route_layer(require_role(ROLE)))
        .nest(
            "/guard/permission",
            ok().route_layer(require_permission(PERMISSION)),
        )
        .nest("/guard/feature", ok().route_layer(require_feature(FEATURE)))
        .nest("/guard/plan", ok().route_layer(require_plan(PLAN)))
        .nest(
            "/guard/custom",
            ok().route_layer(require(|auth| auth.claims().org_slug() == Some(ORG_SLUG))),
        )
}

/// The contract app (see `clerk_integration_tests::cases`): the routes under the layer, under
/// the hooked layer at `/hooked`, under a layer accepting every token kind at `/machines`, and
/// without a layer at `/bare`.
fn contract_app(local: &LocalClerk) -> Router {
    let clerk = contract_clerk(local);
    let sessions = Accepts::default();
    routes()
        .layer(layer(clerk.clone(), false, sessions))
        .nest(HOOKED, routes().layer(layer(clerk.clone(), true, sessions)))
        .nest(
            MACHINES,
            routes().layer(layer(clerk, false, Accepts::any())),
        )
        .nest(BARE, routes())
}

fn answer(status: StatusCode, headers: &HeaderMap, body: Vec<u8>) -> Answer {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    Answer {
        status: status.as_u16(),
        www_authenticate: header(WWW_AUTHENTICATE),
        content_type: header(CONTENT_TYPE),
        body,
    }
}

/// Sends `cases` to the contract app in process.
async fn in_process(local: &LocalClerk, cases: &[Case]) {
    let app = contract_app(local);
    let send = async |case: &Case| {
        let mut request = Request::builder()
            .method(case.method)
            .uri(case.path.as_str());
        for (name, value) in &case.headers {
            let value =
                HeaderValue::from_bytes(value).map_err(|e| format!("{}: {e}", case.name))?;
            request = request.header(*name, value);
        }
        let request = request
            .body(Body::from(case.body.clone()))
            .map_err(|e| e.to_string())?;
        let Ok(response) = app.clone().oneshot(request).await;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(answer(parts.status, &parts.headers, body.to_vec()))
    };
    run_all(local, cases, send).await;
}

/// Sends `cases` to the contract app served by `axum::serve` on 127.0.0.1, with reqwest.
async fn over_http(local: &LocalClerk, cases: &[Case]) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(axum::serve(listener, contract_app(local)).into_future());
    let client = reqwest::Client::new();
    let send = async |case: &Case| {
        let method = Method::from_bytes(case.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut request = client
            .request(method, format!("http://{addr}{}", case.path))
            .body(case.body.clone());
        for (name, value) in &case.headers {
            let value =
                HeaderValue::from_bytes(value).map_err(|e| format!("{}: {e}", case.name))?;
            request = request.header(*name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{}: {e}", case.name))?;
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        Ok(answer(status, &headers, body.to_vec()))
    };
    run_all(local, cases, send).await;
    server.abort();
}

#[tokio::test]
async fn the_contract_in_process() {
    let local = LocalClerk::start().await;
    let cases = contract(&local, MIDDLEWARE);
    assert!(cases.len() > 700, "{} cases", cases.len());
    in_process(&local, &cases).await;
}

#[tokio::test]
async fn the_contract_over_http() {
    let local = LocalClerk::start().await;
    over_http(&local, &contract(&local, MIDDLEWARE)).await;
}

#[tokio::test]
async fn huge_headers_in_process() {
    let local = LocalClerk::start().await;
    in_process(&local, &huge_header_cases(&local)).await;
}

#[tokio::test]
async fn with_clerk_down_routes_that_need_a_session_answer_503() {
    let local = LocalClerk::start().await;
    in_process(&local, &outage_contract(&admin_token(&local))).await;
}

#[tokio::test]
async fn with_clerk_down_over_http() {
    let local = LocalClerk::start().await;
    over_http(&local, &outage_contract(&admin_token(&local))).await;
}

#[tokio::test]
async fn with_the_jwks_endpoint_failing_routes_that_need_a_session_answer_503() {
    let local = LocalClerk::start().await;
    in_process(&local, &jwks_failure_contract(&admin_token(&local))).await;
}

#[tokio::test]
async fn with_the_jwks_endpoint_failing_over_http() {
    let local = LocalClerk::start().await;
    over_http(&local, &jwks_failure_contract(&admin_token(&local))).await;
}
