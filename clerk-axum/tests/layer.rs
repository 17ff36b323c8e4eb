//! ClerkLayer and the guards as tower services: readiness, Clone/Send, options, a rejection
//! hook built on axum's `Response`, and what handlers get. What every request gets (statuses,
//! bodies, headers, the rejection hook, hostile headers, user lookups, a missing layer, over real
//! HTTP too) is the adapter contract in the workspace's `tests/` crate (`axum_contract.rs`).

use axum::Router;
use axum::body::Body;
use axum::extract::Extension;
use axum::response::Response;
use axum::routing::get;
use clerk_axum::{
    ClerkAuth, ClerkClient, ClerkLayer, ClerkOptions, ClerkService, ClerkSession, RequireLayer,
    RequireService, rejection_response, require_role,
};
use clerk_core::RequestState;
use clerk_core::guard::Requirement;
use clerk_testing::{LocalClerk, unix_now};
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, WWW_AUTHENTICATE};
use http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;
use tower_layer::Layer as _;
use tower_service::Service as _;

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, http::HeaderMap, String) {
    let Ok(response) = app.clone().oneshot(request).await;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8(body.to_vec()).expect("UTF-8 body"),
    )
}

fn get_with(path: &str, headers: &[(http::HeaderName, String)]) -> Request<Body> {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request.body(Body::empty()).expect("request")
}

fn bearer(token: &str) -> (http::HeaderName, String) {
    (AUTHORIZATION, format!("Bearer {token}"))
}

#[test]
fn layer_service_and_futures_are_clone_send_sync() {
    fn clone_send_sync<T: Clone + Send + Sync + 'static>() {}
    fn send<T: Send>() {}
    clone_send_sync::<ClerkLayer>();
    clone_send_sync::<ClerkService<Router>>();
    clone_send_sync::<RequireLayer>();
    clone_send_sync::<RequireService<Router>>();
    send::<clerk_axum::ClerkServiceFuture<Router, Body>>();
    send::<
        clerk_axum::RequireFuture<<Router as tower_service::Service<Request<Body>>>::Future, Body>,
    >();
}

#[tokio::test]
async fn the_layer_passes_readiness_through_and_calls_the_inner_service_once() {
    let local = LocalClerk::start().await;
    let token = local.token("user_1").mint();
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response>();
    let mut service = ClerkLayer::new(local.clerk()).layer(service);

    // Backpressure: while the inner service is not ready, neither is the layer.
    handle.allow(0);
    let mut task = tower_test::mock::Spawn::new(service.clone());
    assert!(task.poll_ready().is_pending());
    handle.allow(1);
    assert!(task.poll_ready().is_ready());
    drop(task);

    // Ready: the request reaches the inner service authenticated, exactly once.
    handle.allow(1);
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .expect("ready");
    let call = tokio::spawn(service.call(get_with("/", &[bearer(&token)])));
    let (request, respond) = handle
        .next_request()
        .await
        .expect("the inner service is called");
    let state = request
        .extensions()
        .get::<RequestState>()
        .expect("the layer stores the RequestState");
    assert_eq!(state.auth().expect("signed in").user_id(), "user_1");
    respond.send_response(Response::new(Body::from("inner")));
    let response = call.await.expect("joined").expect("no error");
    assert_eq!(response.status(), StatusCode::OK);

    // A signed-out request is not rejected by the layer itself.
    handle.allow(1);
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .expect("ready");
    let call = tokio::spawn(service.call(get_with("/", &[])));
    let (request, respond) = handle
        .next_request()
        .await
        .expect("called when signed out too");
    assert!(
        !request
            .extensions()
            .get::<RequestState>()
            .expect("stored")
            .is_signed_in()
    );
    respond.send_response(Response::new(Body::empty()));
    call.await.expect("joined").expect("no error");
}

#[tokio::test]
async fn the_layer_passes_inner_errors_through() {
    let local = LocalClerk::start().await;
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response>();
    let mut service = ClerkLayer::new(local.clerk()).layer(service);
    handle.send_error("inner failure");
    let error = std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .expect_err("the inner readiness error comes through");
    assert_eq!(error.to_string(), "inner failure");
}

#[tokio::test]
async fn guards_pass_readiness_through_and_do_not_call_the_route_when_rejecting() {
    let local = LocalClerk::start().await;
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response>();
    let guard = RequireLayer::new(Requirement::signed_in()).layer(service);
    let mut service = ClerkLayer::new(local.clerk()).layer(guard);

    handle.allow(0);
    let mut task = tower_test::mock::Spawn::new(service.clone());
    assert!(task.poll_ready().is_pending());
    handle.allow(1);
    assert!(task.poll_ready().is_ready());
    drop(task);

    handle.allow(1);
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .expect("ready");
    let response = service.call(get_with("/", &[])).await.expect("no error");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // The route was never called.
    let next = tokio::time::timeout(std::time::Duration::from_millis(50), handle.next_request());
    assert!(next.await.is_err(), "the guard must not call the route");
}

/// A hook can build on the default answer (`rejection_response`, an axum `Response`), and sees
/// the request's head. That every rejection goes through the hook is in the adapter contract
/// (the `/hooked` mounting).
#[tokio::test]
async fn the_rejection_hook_can_extend_the_default_response() {
    let local = LocalClerk::start().await;
    let member = local
        .token("user_member")
        .org("org_1", "acme", "org:member", ["org:x:read"])
        .mint();
    let layer = ClerkLayer::new(local.clerk()).on_rejection(|head, rejection| {
        let mut response = rejection_response(rejection);
        let headers = response.headers_mut();
        headers.insert("x-denied", rejection.code().parse().expect("header value"));
        // Inside `nest`, axum's request URI is the nested one; the original is an extension.
        let original = head.extensions.get::<axum::extract::OriginalUri>();
        let path = original.map_or(head.uri.path(), |uri| uri.path());
        headers.insert("x-path", path.parse().expect("header value"));
        response
    });
    let app = Router::new()
        .nest(
            "/admin",
            Router::new()
                .route("/", get(|| async { "admin" }))
                .route_layer(require_role("org:admin")),
        )
        .layer(layer);

    let (status, headers, body) = send(&app, get_with("/admin", &[bearer(&member)])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers["x-denied"], "forbidden");
    assert_eq!(headers["x-path"], "/admin");
    assert_eq!(headers[CONTENT_TYPE], "application/json");
    assert!(body.contains(r#""code":"forbidden""#), "{body}");
    assert_eq!(
        headers[WWW_AUTHENTICATE],
        r#"Bearer error="insufficient_scope""#
    );
}

#[tokio::test]
async fn the_layer_options_change_what_counts_as_signed_in() {
    let local = LocalClerk::start().await;
    let token = local.token("user_1").mint();
    let pending = local.token("user_1").status("pending").mint();
    let cookie = (
        COOKIE,
        format!(
            "__session={token}; __client_uat={}; __clerk_db_jwt=dvb_test",
            unix_now() - 30
        ),
    );
    let route = || {
        Router::new().route(
            "/",
            get(|s: Option<ClerkSession>| async move {
                s.map_or("anonymous".to_owned(), |s| s.user_id().to_owned())
            }),
        )
    };

    let defaults = route().layer(ClerkLayer::new(local.clerk()));
    assert_eq!(
        send(&defaults, get_with("/", std::slice::from_ref(&cookie)))
            .await
            .2,
        "user_1"
    );
    assert_eq!(
        send(&defaults, get_with("/", &[bearer(&pending)])).await.2,
        "anonymous"
    );

    let bearer_only = route().layer(ClerkLayer::new(
        ClerkOptions::new(local.clerk()).accept_cookie(false),
    ));
    assert_eq!(
        send(&bearer_only, get_with("/", &[cookie])).await.2,
        "anonymous"
    );
    assert_eq!(
        send(&bearer_only, get_with("/", &[bearer(&token)])).await.2,
        "user_1"
    );

    let pending_ok = route().layer(ClerkLayer::new(
        ClerkOptions::new(local.clerk()).accept_pending_sessions(true),
    ));
    assert_eq!(
        send(&pending_ok, get_with("/", &[bearer(&pending)]))
            .await
            .2,
        "user_1"
    );

    let azp = route().layer(ClerkLayer::new(
        ClerkOptions::new(local.clerk()).authorized_parties(["https://a.example"]),
    ));
    assert_eq!(
        send(&azp, get_with("/", &[bearer(&token)])).await.2,
        "anonymous"
    );
    let with_azp = local.token("user_2").azp("https://a.example").mint();
    assert_eq!(
        send(&azp, get_with("/", &[bearer(&with_azp)])).await.2,
        "user_2"
    );
}

#[tokio::test]
async fn handlers_get_the_client_the_auth_and_the_request_state() {
    let local = LocalClerk::start().await;
    let token = local
        .token("user_1")
        .org("org_1", "acme", "org:admin", ["org:a:b"])
        .mint();
    let app = Router::new()
        .route(
            "/",
            get(
                |ClerkClient(clerk): ClerkClient,
                 auth: ClerkAuth,
                 Extension(state): Extension<RequestState>| async move {
                    format!(
                        "{} {} {} {}",
                        clerk.api_url(),
                        auth.user_id(),
                        auth.has(clerk_core::Has::permission("org:a:b")),
                        state.is_signed_in() && auth.token().len() > 100,
                    )
                },
            ),
        )
        .route(
            "/client",
            get(|ClerkClient(clerk): ClerkClient| async move { clerk.api_url().to_owned() }),
        )
        .layer(ClerkLayer::new(local.clerk()));
    let (status, _, body) = send(&app, get_with("/", &[bearer(&token)])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, format!("{} user_1 true true", local.api_url()));
    // The client is available on signed-out requests too.
    let (status, _, body) = send(&app, get_with("/client", &[])).await;
    assert_eq!((status, body), (StatusCode::OK, local.api_url()));
}

#[tokio::test]
async fn debug_headers_say_why_a_request_is_signed_out_only_when_turned_on() {
    let local = LocalClerk::start().await;
    let token = local.token("user_1").mint();
    let expired = local.token("user_1").expires_in(-120).mint();
    let routes = || {
        Router::new().route("/", get(|| async { "public" })).route(
            "/me",
            get(|ClerkSession(claims): ClerkSession| async move { claims.user_id().to_owned() }),
        )
    };
    let debug = routes().layer(ClerkLayer::new(
        ClerkOptions::new(local.clerk()).debug_headers(true),
    ));
    let auth_headers = |headers: &http::HeaderMap| {
        (
            headers
                .get("x-clerk-auth-status")
                .map(|v| v.to_str().expect("ASCII").to_owned()),
            headers
                .get("x-clerk-auth-reason")
                .map(|v| v.to_str().expect("ASCII").to_owned()),
        )
    };
    let signed_out = |reason: &str| (Some("signed-out".to_owned()), Some(reason.to_owned()));

    let (status, headers, _) = send(&debug, get_with("/", &[])).await;
    assert_eq!(status, StatusCode::OK);
    // Clerk's reasons: a development instance wants its dev browser token first; an expired
    // token says why it was not refreshed.
    assert_eq!(auth_headers(&headers), signed_out("dev-browser-missing"));
    let (status, headers, _) = send(&debug, get_with("/me", &[bearer(&expired)])).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "rejections carry them too"
    );
    assert_eq!(
        auth_headers(&headers),
        signed_out("session-token-expired-refresh-non-eligible-no-refresh-cookie")
    );
    let (status, headers, body) = send(&debug, get_with("/me", &[bearer(&token)])).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "user_1"));
    assert_eq!(auth_headers(&headers), (Some("signed-in".to_owned()), None));

    // Off by default.
    let plain = routes().layer(ClerkLayer::new(local.clerk()));
    let (_, headers, _) = send(&plain, get_with("/me", &[bearer(&expired)])).await;
    assert_eq!(auth_headers(&headers), (None, None));
}

/// The layer and its guards over a plain tower service with other bodies than axum's (here
/// `String` both ways, as a hyper or tonic service has its own): the same decisions, the JSON
/// refusal in the service's own body type, the state in the request's extensions, and the
/// `on_rejection` hook (which makes axum responses) left out for a body it cannot make.
#[tokio::test]
async fn the_layer_and_guards_serve_a_plain_tower_service_with_its_own_bodies() {
    let local = LocalClerk::start().await;
    let token = local.token("user_1").mint();
    let handler = tower::service_fn(|request: Request<String>| async move {
        let who = match request.extensions().get::<RequestState>() {
            Some(RequestState::SignedIn(auth)) => auth.user_id().to_owned(),
            other => format!("{other:?}"),
        };
        Ok::<_, std::convert::Infallible>(http::Response::new(format!("{who} {}", request.body())))
    });
    let layer = ClerkLayer::new(local.clerk())
        .on_rejection(|_, _| panic!("an axum response cannot answer a String service"));
    let service = tower::ServiceBuilder::new()
        .layer(layer)
        .layer(clerk_axum::require_auth())
        .service(handler);
    let request = |token: Option<&str>| {
        let mut request = Request::post("/").body("ping".to_owned()).expect("request");
        if let Some(token) = token {
            let value = format!("Bearer {token}").parse().expect("header value");
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        request
    };

    let answer = service
        .clone()
        .oneshot(request(Some(&token)))
        .await
        .expect("infallible");
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.body(), "user_1 ping");

    let answer = service.oneshot(request(None)).await.expect("infallible");
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(answer.headers()[CONTENT_TYPE], "application/json");
    assert_eq!(answer.headers()[WWW_AUTHENTICATE], "Bearer");
    let body: serde_json::Value = serde_json::from_str(answer.body()).expect("JSON");
    assert_eq!(body["errors"][0]["code"], "session-token-and-uat-missing");
}
