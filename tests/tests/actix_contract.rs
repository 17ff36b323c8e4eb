//! The adapter contract (`clerk_integration_tests::cases`) run against clerk-actix, in process
//! (`actix_web::test`) and over a real actix-web server on 127.0.0.1 (actix's HTTP/1 parser
//! included, reqwest as the client): the same table as `axum_contract.rs`, so the two adapters
//! answer every request identically.

use actix_web::dev::{HttpServiceFactory, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use actix_web::{App, Error, HttpResponse, test, web};
use clerk_actix::{
    ClerkAuth, ClerkCaller, ClerkClient, ClerkMachine, ClerkMiddleware, ClerkOptions, ClerkSession,
    ClerkUser, ClerkWebhook, Optional, RequireMiddleware, WebhookMiddleware, require, require_auth,
    require_feature, require_machine, require_permission, require_plan, require_role,
    require_scope, require_tokens,
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

/// What the missing-layer answer names.
const MIDDLEWARE: &str = "ClerkMiddleware";

/// The contract app's middleware; `hooked`: with the `on_rejection` hook of the `/hooked`
/// mounting; `accepts`: the token kinds (the `/machines` mounting takes any).
fn middleware(clerk: clerk_core::Clerk, hooked: bool, accepts: Accepts) -> ClerkMiddleware {
    let options = ClerkOptions::new(clerk)
        .accepts(accepts)
        .authorized_parties([AUTHORIZED_PARTY])
        .user_lookup_timeout(LOOKUP_TIMEOUT);
    if !hooked {
        return ClerkMiddleware::new(options);
    }
    ClerkMiddleware::new(options).on_rejection(|_request, rejection| {
        let status = actix_web::http::StatusCode::from_u16(rejection.status())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status).body(hook_body(rejection.code()))
    })
}

/// The contract's webhook verifier, with replay protection.
fn webhook() -> WebhookMiddleware {
    let webhook = Webhook::new(WEBHOOK_SECRET).expect("a valid secret");
    WebhookMiddleware::new(webhook.replay_protection(1_000))
}

/// The contract's routes, without the middleware.
fn routes(config: &mut web::ServiceConfig) {
    fn guarded(path: &str, guard: RequireMiddleware) -> impl HttpServiceFactory + 'static {
        web::scope(path)
            .wrap(guard)
            .route("", web::get().to(|| async { "ok" }))
    }
    config
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
        .route(
            "/client",
            web::get().to(|_: ClerkClient| async { "client" }),
        )
        .route(
            "/machine",
            web::get().to(|machine: ClerkMachine| async move {
                format!("{} {}", machine.kind().name(), machine.subject())
            }),
        )
        .route(
            "/optional-machine",
            web::get().to(|Optional(machine): Optional<ClerkMachine>| async move {
                machine.map_or("anonymous".to_owned(), |m| {
                    format!("{} {}", m.kind().name(), m.subject())
                })
            }),
        )
        .route(
            "/caller",
            web::get().to(|ClerkCaller(caller): ClerkCaller| async move {
                let subject = match &caller {
                    Caller::Session(auth) => auth.user_id().to_owned(),
                    Caller::Machine(machine) => machine.subject().to_owned(),
                };
                format!("{} {subject}", caller.kind().name())
            }),
        )
        .service(guarded("/guard/machine", require_machine()))
        .service(guarded("/guard/scope", require_scope(SCOPE)))
        .service(guarded(
            "/guard/api-key",
            require_tokens(Accepts::kinds([TokenKind::ApiKey])),
        ))
        .service(web::resource(WEBHOOK).wrap(webhook()).route(web::post().to(
            |ClerkWebhook(delivery): ClerkWebhook| async move {
                if delivery.id.starts_with("msg_fail") {
                    return HttpResponse::InternalServerError().body(HANDLER_FAILED);
                }
                let answer = format!("{} {}", delivery.event.event_type(), delivery.id);
                HttpResponse::Ok().body(answer)
            },
        )))
        .route(
            UNCONFIGURED_WEBHOOK,
            web::post().to(|_: ClerkWebhook| async { "never" }),
        )
        .service(guarded("/guard/auth", require_auth()))
        .service(guarded("/guard/role", require_role(ROLE)))
        .service(guarded("/guard/permission", require_permission(PERMISSION)))
        .service(guarded("/guard/feature", require_feature(FEATURE)))
        .service(guarded("/guard/plan", require_plan(PLAN)))
        .service(guarded(
            "/guard/custom",
            require(|auth| auth.claims().org_slug() == Some(ORG_SLUG)),
        ));
}

/// The contract app (see `clerk_integration_tests::cases`): the routes under the middleware,
/// under the hooked middleware at `/hooked`, under a middleware accepting every token kind at
/// `/machines`, and without a middleware at `/bare`.
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
    let sessions = Accepts::default();
    App::new()
        .service(
            web::scope(HOOKED)
                .wrap(middleware(clerk.clone(), true, sessions))
                .configure(routes),
        )
        .service(
            web::scope(MACHINES)
                .wrap(middleware(clerk.clone(), false, Accepts::any()))
                .configure(routes),
        )
        .service(web::scope(BARE).configure(routes))
        .service(
            web::scope("")
                .wrap(middleware(clerk, false, sessions))
                .configure(routes),
        )
}

/// Sends `cases` to the contract app in process.
async fn in_process(local: &LocalClerk, cases: &[Case]) {
    let app = test::init_service(contract_app(contract_clerk(local))).await;
    let send = async |case: &Case| {
        let method = actix_web::http::Method::from_bytes(case.method.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut request = test::TestRequest::default()
            .method(method)
            .uri(&case.path)
            .set_payload(case.body.clone());
        for (name, value) in &case.headers {
            let value =
                HeaderValue::from_bytes(value).map_err(|e| format!("{}: {e}", case.name))?;
            request = request.append_header((*name, value));
        }
        let response = test::call_service(&app, request.to_request()).await;
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let (status, www_authenticate, content_type) = (
            response.status().as_u16(),
            header(WWW_AUTHENTICATE),
            header(CONTENT_TYPE),
        );
        Ok(Answer {
            status,
            www_authenticate,
            content_type,
            body: test::read_body(response).await.to_vec(),
        })
    };
    run_all(local, cases, send).await;
}

/// Sends `cases` to the contract app served by a real actix-web server (one worker) on
/// 127.0.0.1, with reqwest.
async fn over_http(local: &LocalClerk, cases: &[Case]) {
    let clerk = contract_clerk(local);
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
    let send = async |case: &Case| {
        let method =
            reqwest::Method::from_bytes(case.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut request = client
            .request(method, format!("http://{addr}{}", case.path))
            .body(case.body.clone());
        for (name, value) in &case.headers {
            request = request.header(*name, value.as_slice());
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{}: {e}", case.name))?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (status, www_authenticate, content_type) = (
            response.status().as_u16(),
            header("www-authenticate"),
            header("content-type"),
        );
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        Ok(Answer {
            status,
            www_authenticate,
            content_type,
            body: body.to_vec(),
        })
    };
    run_all(local, cases, send).await;
    handle.stop(true).await;
}

#[actix_web::test]
async fn the_contract_in_process() {
    let local = LocalClerk::start().await;
    let cases = contract(&local, MIDDLEWARE);
    assert!(cases.len() > 700, "{} cases", cases.len());
    in_process(&local, &cases).await;
}

#[actix_web::test]
async fn the_contract_over_http() {
    let local = LocalClerk::start().await;
    over_http(&local, &contract(&local, MIDDLEWARE)).await;
}

#[actix_web::test]
async fn huge_headers_in_process() {
    let local = LocalClerk::start().await;
    in_process(&local, &huge_header_cases(&local)).await;
}

#[actix_web::test]
async fn with_clerk_down_routes_that_need_a_session_answer_503() {
    let local = LocalClerk::start().await;
    in_process(&local, &outage_contract(&admin_token(&local))).await;
}

#[actix_web::test]
async fn with_clerk_down_over_http() {
    let local = LocalClerk::start().await;
    over_http(&local, &outage_contract(&admin_token(&local))).await;
}

#[actix_web::test]
async fn with_the_jwks_endpoint_failing_routes_that_need_a_session_answer_503() {
    let local = LocalClerk::start().await;
    in_process(&local, &jwks_failure_contract(&admin_token(&local))).await;
}

#[actix_web::test]
async fn with_the_jwks_endpoint_failing_over_http() {
    let local = LocalClerk::start().await;
    over_http(&local, &jwks_failure_contract(&admin_token(&local))).await;
}
