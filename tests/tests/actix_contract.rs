//! The adapter contract (`clerk_integration_tests::cases`) run against clerk-actix: the same
//! table as `axum_contract.rs`, so the two adapters answer every request identically.

use actix_web::dev::{HttpServiceFactory, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use actix_web::{App, Error, test, web};
use clerk_actix::{
    ClerkAuth, ClerkMiddleware, ClerkOptions, ClerkSession, ClerkUser, Optional, Require, require,
    require_auth, require_feature, require_permission, require_plan, require_role,
};
use clerk_integration_tests::cases::{
    AUTHORIZED_PARTY, Case, FEATURE, ORG_SLUG, PERMISSION, PLAN, ROLE, admin_token, cases,
    outage_cases, user_cases,
};
use clerk_testing::LocalClerk;

/// The contract app (see `clerk_integration_tests::cases`).
fn contract_app(
    clerk: clerk_core::Clerk,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = Error,
        InitError = (),
    >,
> {
    fn guarded(path: &str, guard: Require) -> impl HttpServiceFactory + 'static {
        web::scope(path)
            .wrap(guard)
            .route("", web::get().to(|| async { "ok" }))
    }
    App::new()
        .wrap(ClerkMiddleware::new(
            ClerkOptions::new(clerk).authorized_parties([AUTHORIZED_PARTY]),
        ))
        .route("/public", web::get().to(|| async { "public" }))
        .route(
            "/session",
            web::get().to(|ClerkSession(claims): ClerkSession| async move {
                claims.user_id().to_owned()
            }),
        )
        .route(
            "/auth",
            web::get().to(|auth: ClerkAuth| async move { auth.user_id().to_owned() }),
        )
        .route(
            "/optional",
            web::get().to(|Optional(session): Optional<ClerkSession>| async move {
                session.map_or("anonymous".to_owned(), |s| s.user_id().to_owned())
            }),
        )
        .route(
            "/optional-auth",
            web::get().to(|Optional(auth): Optional<ClerkAuth>| async move {
                auth.map_or("anonymous".to_owned(), |a| a.user_id().to_owned())
            }),
        )
        .route(
            "/user",
            web::get().to(|user: ClerkUser| async move { user.id.clone() }),
        )
        .route(
            "/optional-user",
            web::get().to(|Optional(user): Optional<ClerkUser>| async move {
                user.map_or("anonymous".to_owned(), |u| u.id.clone())
            }),
        )
        .service(guarded("/guard/auth", require_auth()))
        .service(guarded("/guard/role", require_role(ROLE)))
        .service(guarded("/guard/permission", require_permission(PERMISSION)))
        .service(guarded("/guard/feature", require_feature(FEATURE)))
        .service(guarded("/guard/plan", require_plan(PLAN)))
        .service(guarded(
            "/guard/custom",
            require(|auth| auth.claims().org_slug() == Some(ORG_SLUG)),
        ))
}

async fn run(
    call: &impl AsyncFn(test::TestRequest) -> ServiceResponse,
    case: &Case,
) -> Result<(), String> {
    let mut request = test::TestRequest::get().uri(case.path);
    for (name, value) in &case.headers {
        let value = HeaderValue::from_bytes(value).map_err(|e| format!("{}: {e}", case.name))?;
        request = request.append_header((*name, value));
    }
    let response = call(request).await;
    let status = response.status().as_u16();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let (www_authenticate, content_type) = (header(WWW_AUTHENTICATE), header(CONTENT_TYPE));
    let body = test::read_body(response).await;
    case.check(
        status,
        www_authenticate.as_deref(),
        content_type.as_deref(),
        &body,
    )
}

/// Sends every case through the app `call` serves, and fails with every mismatch.
async fn run_all(call: impl AsyncFn(test::TestRequest) -> ServiceResponse, cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        if let Err(failure) = run(&call, case).await {
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

#[actix_web::test]
async fn every_extractor_and_guard_answers_every_request_as_the_contract_says() {
    let local = LocalClerk::start().await;
    let app = test::init_service(contract_app(local.clerk())).await;
    let cases = cases(&local);
    assert!(cases.len() > 150, "{} cases", cases.len());
    run_all(
        async |r| test::call_service(&app, r.to_request()).await,
        &cases,
    )
    .await;
}

#[actix_web::test]
async fn the_user_routes_answer_as_the_contract_says() {
    let local = LocalClerk::start().await;
    let app = test::init_service(contract_app(local.clerk())).await;
    let call = async |r: test::TestRequest| test::call_service(&app, r.to_request()).await;
    run_all(call, &user_cases(&local)).await;
    // Ada's 4 requests share one Backend API call (cached); the deleted user's 404 is
    // remembered for a few seconds, so its 2 requests make one call too.
    assert_eq!(local.calls("GetUser"), 2);
}

#[actix_web::test]
async fn with_clerk_down_routes_that_need_a_session_answer_503() {
    let local = LocalClerk::start().await;
    let token = admin_token(&local);
    let app = test::init_service(contract_app(local.clerk())).await;
    local.shutdown().await;
    let call = async |r: test::TestRequest| test::call_service(&app, r.to_request()).await;
    run_all(call, &outage_cases(&token)).await;
}

#[actix_web::test]
async fn with_the_jwks_endpoint_failing_routes_that_need_a_session_answer_503() {
    let local = LocalClerk::start().await;
    let token = admin_token(&local);
    local.set_jwks_fault(Some(clerk_testing::Fault::Status(503)));
    let app = test::init_service(contract_app(local.clerk())).await;
    let call = async |r: test::TestRequest| test::call_service(&app, r.to_request()).await;
    run_all(call, &outage_cases(&token)).await;
}

/// The same table over a real actix-web server on 127.0.0.1 (actix's HTTP/1 parser included),
/// with reqwest as the client.
#[actix_web::test]
async fn every_case_answers_the_same_over_real_http() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = actix_web::HttpServer::new(move || contract_app(clerk.clone()))
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let client = reqwest::Client::new();
    let call = async |r: test::TestRequest| {
        let request = r.to_http_request();
        let mut builder = client.get(format!("http://{addr}{}", request.uri()));
        for (name, value) in request.headers() {
            builder = builder.header(name.as_str(), value.as_bytes());
        }
        let response = builder.send().await.expect("sent");
        let mut answer = actix_web::HttpResponse::build(
            actix_web::http::StatusCode::from_u16(response.status().as_u16()).expect("status"),
        );
        for (name, value) in response.headers() {
            answer.append_header((name.as_str(), value.as_bytes()));
        }
        let body = response.bytes().await.expect("body");
        ServiceResponse::new(request, answer.body(body))
    };
    // A header value's trailing whitespace does not survive HTTP/1 (RFC 9110 section 5.5):
    // `Bearer ` arrives as `Bearer`, which clerk-core answers the same way.
    let over_the_wire: Vec<Case> = cases(&local)
        .into_iter()
        .chain(user_cases(&local))
        .collect();
    assert!(over_the_wire.len() > 150, "{} cases", over_the_wire.len());
    run_all(call, &over_the_wire).await;
    handle.stop(true).await;
}
