//! The adapter contract (`clerk_integration_tests::cases`) run against clerk-axum.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use clerk_axum::{
    ClerkAuth, ClerkLayer, ClerkOptions, ClerkSession, ClerkUser, require, require_auth,
    require_feature, require_permission, require_plan, require_role,
};
use clerk_integration_tests::cases::{
    AUTHORIZED_PARTY, Case, FEATURE, ORG_SLUG, PERMISSION, PLAN, ROLE, admin_token, cases,
    outage_cases, user_cases,
};
use clerk_testing::LocalClerk;
use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, Request};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

/// The contract app (see `clerk_integration_tests::cases`).
fn contract_app(clerk: clerk_core::Clerk) -> Router {
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
        .layer(ClerkLayer::new(
            ClerkOptions::new(clerk).authorized_parties([AUTHORIZED_PARTY]),
        ))
}

async fn run(app: &Router, case: &Case) -> Result<(), String> {
    let mut request = Request::get(case.path);
    for (name, value) in &case.headers {
        let value = HeaderValue::from_bytes(value).map_err(|e| format!("{}: {e}", case.name))?;
        request = request.header(*name, value);
    }
    let request = request.body(Body::empty()).map_err(|e| e.to_string())?;
    let Ok(response) = app.clone().oneshot(request).await;
    let status = response.status().as_u16();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let (www_authenticate, content_type) = (header(WWW_AUTHENTICATE), header(CONTENT_TYPE));
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    case.check(
        status,
        www_authenticate.as_deref(),
        content_type.as_deref(),
        &body,
    )
}

async fn run_all(app: &Router, cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        if let Err(failure) = run(app, case).await {
            failures.push(failure);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_extractor_and_guard_answers_every_request_as_the_contract_says() {
    let local = LocalClerk::start().await;
    let app = contract_app(local.clerk());
    let cases = cases(&local);
    assert!(cases.len() > 150, "{} cases", cases.len());
    run_all(&app, &cases).await;
}

#[tokio::test]
async fn the_user_routes_answer_as_the_contract_says() {
    let local = LocalClerk::start().await;
    let app = contract_app(local.clerk());
    run_all(&app, &user_cases(&local)).await;
    // Ada's 4 requests share one Backend API call (cached); the deleted user's 404 is
    // remembered for a few seconds, so its 2 requests make one call too.
    assert_eq!(local.calls("GetUser"), 2);
}

#[tokio::test]
async fn with_clerk_down_routes_that_need_a_session_answer_503() {
    let local = LocalClerk::start().await;
    let token = admin_token(&local);
    let app = contract_app(local.clerk());
    local.shutdown().await;
    run_all(&app, &outage_cases(&token)).await;
}

#[tokio::test]
async fn with_the_jwks_endpoint_failing_routes_that_need_a_session_answer_503() {
    let local = LocalClerk::start().await;
    let token = admin_token(&local);
    local.set_jwks_fault(Some(clerk_testing::Fault::Status(503)));
    let app = contract_app(local.clerk());
    run_all(&app, &outage_cases(&token)).await;
}
