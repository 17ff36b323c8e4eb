//! ClerkMiddleware and the guards as actix-web services: readiness, Clone/Send, options, a
//! rejection hook built on actix's `HttpResponse`, `Scope::wrap` and `Resource::wrap`,
//! `Optional` versus actix's `Option`, and what handlers get. What every request gets
//! (statuses, bodies, headers, the rejection hook, hostile headers, user lookups, a missing
//! middleware, over real HTTP too) is the adapter contract in the workspace's `tests/` crate
//! (`actix_contract.rs`, the same table as clerk-axum's); actix's own header limits are in
//! `hostile.rs`, the user cache in `user.rs`.

use std::cell::{Cell, RefCell};
use std::future::{Ready, ready};
use std::rc::Rc;
use std::task::Poll;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, COOKIE};
use actix_web::{App, HttpMessage as _, HttpResponse, test, web};
use clerk_actix::{
    ClerkAuth, ClerkClient, ClerkMiddleware, ClerkOptions, ClerkSession, ClerkUser, Optional,
    RequireMiddleware, rejection_response, require_auth, require_role,
};
use clerk_core::RequestState;
use clerk_core::guard::Requirement;
use clerk_testing::{LocalClerk, unix_now};

/// Sends `request` to `app` and returns the status, headers and body.
macro_rules! send {
    ($app:expr, $request:expr) => {{
        let response = test::call_service(&$app, $request.to_request()).await;
        let status = response.status();
        let headers = response.headers().clone();
        let body = test::read_body(response).await;
        (
            status,
            headers,
            String::from_utf8(body.to_vec()).expect("UTF-8 body"),
        )
    }};
}

/// A header's value as text ("" when absent or not text).
fn header<'a>(headers: &'a actix_web::http::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn get(path: &str) -> test::TestRequest {
    test::TestRequest::get().uri(path)
}

fn bearer(token: &str) -> (actix_web::http::header::HeaderName, String) {
    (AUTHORIZATION, format!("Bearer {token}"))
}

#[actix_web::test]
async fn middleware_and_guards_are_clone_send_sync() {
    fn clone_send_sync<T: Clone + Send + Sync + 'static>() {}
    clone_send_sync::<ClerkMiddleware>();
    clone_send_sync::<RequireMiddleware>();
    clone_send_sync::<ClerkSession>();
    clone_send_sync::<ClerkAuth>();
    clone_send_sync::<ClerkUser>();
    clone_send_sync::<ClerkClient>();
    clone_send_sync::<Optional<ClerkSession>>();
}

/// An inner service that is ready only when told, and records what it was called with.
#[derive(Clone, Default)]
struct Recorder {
    ready: Rc<Cell<bool>>,
    calls: Rc<RefCell<Vec<Option<RequestState>>>>,
}

impl Service<ServiceRequest> for Recorder {
    type Response = ServiceResponse;
    type Error = actix_web::Error;
    type Future = Ready<Result<ServiceResponse, actix_web::Error>>;

    fn poll_ready(&self, _: &mut std::task::Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.ready.get() {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let state = request.extensions().get::<RequestState>().cloned();
        self.calls.borrow_mut().push(state);
        ready(Ok(request.into_response(HttpResponse::Ok().body("inner"))))
    }
}

async fn is_ready<S: Service<ServiceRequest>>(service: &S) -> bool {
    std::future::poll_fn(|cx| Poll::Ready(service.poll_ready(cx).is_ready())).await
}

#[actix_web::test]
async fn the_middleware_passes_readiness_through_and_calls_the_inner_service_once() {
    let local = LocalClerk::start().await;
    let token = local.token("user_1").mint();
    let inner = Recorder::default();
    let service = ClerkMiddleware::new(local.clerk())
        .new_transform(inner.clone())
        .await
        .expect("transform");

    // Backpressure: while the inner service is not ready, neither is the middleware.
    assert!(!is_ready(&service).await);
    inner.ready.set(true);
    assert!(is_ready(&service).await);

    // The request reaches the inner service authenticated, exactly once.
    let response = service
        .call(get("/").insert_header(bearer(&token)).to_srv_request())
        .await
        .expect("no error");
    assert_eq!(response.status(), StatusCode::OK);
    {
        let calls = inner.calls.borrow();
        assert_eq!(calls.len(), 1);
        let state = calls[0]
            .as_ref()
            .expect("the middleware stores the RequestState");
        assert_eq!(state.auth().expect("signed in").user_id(), "user_1");
    }

    // A signed-out request is not rejected by the middleware itself.
    let response = service
        .call(get("/").to_srv_request())
        .await
        .expect("no error");
    assert_eq!(response.status(), StatusCode::OK);
    let calls = inner.calls.borrow();
    assert_eq!(calls.len(), 2);
    assert!(!calls[1].as_ref().expect("stored").is_signed_in());
}

#[actix_web::test]
async fn guards_pass_readiness_through_and_do_not_call_the_route_when_rejecting() {
    let inner = Recorder::default();
    let guard = RequireMiddleware::new(Requirement::signed_in())
        .new_transform(inner.clone())
        .await
        .expect("transform");
    assert!(!is_ready(&guard).await);
    inner.ready.set(true);
    assert!(is_ready(&guard).await);

    let local = LocalClerk::start().await;
    let service = ClerkMiddleware::new(local.clerk())
        .new_transform(guard)
        .await
        .expect("transform");
    let response = service
        .call(get("/").to_srv_request())
        .await
        .expect("no error");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        inner.calls.borrow().is_empty(),
        "the guard must not call the route"
    );

    let token = local.token("user_1").mint();
    let response = service
        .call(get("/").insert_header(bearer(&token)).to_srv_request())
        .await
        .expect("no error");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(inner.calls.borrow().len(), 1);
}

/// actix-web's own `Option<T>` extractor turns every rejection into `None`; the docs say so and
/// point to `Optional<T>`. This pins that documented behaviour.
#[actix_web::test]
async fn option_of_an_extractor_is_actix_webs_and_swallows_every_rejection() {
    let handler = |session: Option<ClerkSession>| async move {
        session.map_or("anonymous".to_owned(), |s| s.user_id().to_owned())
    };
    let without = test::init_service(App::new().route("/", web::get().to(handler))).await;
    let (status, _, body) = send!(without, get("/"));
    assert_eq!((status, body.as_str()), (StatusCode::OK, "anonymous"));

    let local = LocalClerk::start().await;
    let token = local.token("user_1").mint();
    let app = test::init_service(
        App::new()
            .wrap(ClerkMiddleware::new(local.clerk()))
            .route("/", web::get().to(handler))
            .route(
                "/optional",
                web::get().to(|Optional(s): Optional<ClerkSession>| async move {
                    s.map_or("anonymous".to_owned(), |s| s.user_id().to_owned())
                }),
            ),
    )
    .await;
    local.faults().shutdown().await;
    // Clerk is down: `Option` hides it, `Optional` answers 503.
    let (status, _, body) = send!(app, get("/").insert_header(bearer(&token)));
    assert_eq!((status, body.as_str()), (StatusCode::OK, "anonymous"));
    let (status, _, body) = send!(app, get("/optional").insert_header(bearer(&token)));
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("keys_unavailable"), "{body}");
}

/// A hook can build on the default answer (`rejection_response`, an actix `HttpResponse`). That
/// every rejection goes through the hook is in the adapter contract (the `/hooked` mounting).
#[actix_web::test]
async fn the_rejection_hook_can_extend_the_default_response() {
    let local = LocalClerk::start().await;
    let member = local
        .token("user_member")
        .org("org_1", "acme", "org:member", ["org:x:read"])
        .mint();
    let middleware = ClerkMiddleware::new(local.clerk()).on_rejection(|request, rejection| {
        let mut response = rejection_response(rejection);
        let headers = response.headers_mut();
        headers.insert(
            actix_web::http::header::HeaderName::from_static("x-denied"),
            rejection.code().parse().expect("header value"),
        );
        headers.insert(
            actix_web::http::header::HeaderName::from_static("x-path"),
            request.path().parse().expect("header value"),
        );
        response
    });
    let app = test::init_service(
        App::new().wrap(middleware).service(
            web::scope("/admin")
                .wrap(require_role("org:admin"))
                .route("", web::get().to(|| async { "admin" })),
        ),
    )
    .await;

    let (status, headers, body) = send!(app, get("/admin").insert_header(bearer(&member)));
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(header(&headers, "x-denied"), "forbidden");
    assert_eq!(header(&headers, "x-path"), "/admin");
    assert_eq!(header(&headers, "content-type"), "application/json");
    assert!(body.contains(r#""code":"forbidden""#), "{body}");
    assert_eq!(
        header(&headers, "www-authenticate"),
        r#"Bearer error="insufficient_scope""#
    );
}

#[actix_web::test]
async fn the_middleware_options_change_what_counts_as_signed_in() {
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
    let handler = |Optional(s): Optional<ClerkSession>| async move {
        s.map_or("anonymous".to_owned(), |s| s.user_id().to_owned())
    };
    macro_rules! app {
        ($middleware:expr) => {
            test::init_service(
                App::new()
                    .wrap($middleware)
                    .route("/", web::get().to(handler)),
            )
            .await
        };
    }

    let defaults = app!(ClerkMiddleware::new(local.clerk()));
    assert_eq!(
        send!(defaults, get("/").insert_header(cookie.clone())).2,
        "user_1"
    );
    assert_eq!(
        send!(defaults, get("/").insert_header(bearer(&pending))).2,
        "anonymous"
    );

    let bearer_only = app!(ClerkMiddleware::new(
        ClerkOptions::new(local.clerk()).accept_cookie(false)
    ));
    assert_eq!(
        send!(bearer_only, get("/").insert_header(cookie)).2,
        "anonymous"
    );
    assert_eq!(
        send!(bearer_only, get("/").insert_header(bearer(&token))).2,
        "user_1"
    );

    let pending_ok = app!(ClerkMiddleware::new(
        ClerkOptions::new(local.clerk()).accept_pending_sessions(true)
    ));
    assert_eq!(
        send!(pending_ok, get("/").insert_header(bearer(&pending))).2,
        "user_1"
    );

    let azp = app!(ClerkMiddleware::new(
        ClerkOptions::new(local.clerk()).authorized_parties(["https://a.example"])
    ));
    assert_eq!(
        send!(azp, get("/").insert_header(bearer(&token))).2,
        "anonymous"
    );
    let with_azp = local.token("user_2").azp("https://a.example").mint();
    assert_eq!(
        send!(azp, get("/").insert_header(bearer(&with_azp))).2,
        "user_2"
    );

    let middleware = ClerkMiddleware::new(ClerkOptions::new(local.clerk()).accept_cookie(false));
    assert!(
        !middleware
            .pipeline()
            .options()
            .authenticate_options()
            .accept_cookie
    );
    assert_eq!(middleware.pipeline().clerk().api_url(), local.api_url());
}

#[actix_web::test]
async fn handlers_get_the_client_the_auth_and_the_request_state() {
    let local = LocalClerk::start().await;
    let token = local
        .token("user_1")
        .org("org_1", "acme", "org:admin", ["org:a:b"])
        .mint();
    let app = test::init_service(
        App::new()
            .wrap(ClerkMiddleware::new(local.clerk()))
            .route(
                "/",
                web::get().to(
                    |ClerkClient(clerk): ClerkClient,
                     auth: ClerkAuth,
                     state: web::ReqData<RequestState>| async move {
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
                web::get().to(|ClerkClient(clerk): ClerkClient| async move {
                    clerk.api_url().to_owned()
                }),
            ),
    )
    .await;
    let (status, _, body) = send!(app, get("/").insert_header(bearer(&token)));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, format!("{} user_1 true true", local.api_url()));
    // The client is available on signed-out requests too.
    let (status, _, body) = send!(app, get("/client"));
    assert_eq!((status, body), (StatusCode::OK, local.api_url()));
}

#[actix_web::test]
async fn scope_wrap_authenticates_the_scope_only() {
    let local = LocalClerk::start().await;
    let token = local.token("user_1").mint();
    let admin = local
        .token("user_admin")
        .org("org_1", "acme", "org:admin", ["org:a:b"])
        .mint();
    let me = |ClerkSession(claims): ClerkSession| async move { claims.user_id().to_owned() };
    let app = test::init_service(
        App::new()
            .service(
                web::scope("/api")
                    .wrap(ClerkMiddleware::new(
                        ClerkOptions::new(local.clerk()).accept_cookie(false),
                    ))
                    .route("/me", web::get().to(me)),
            )
            // Guard and middleware on one scope: the last `wrap` is the outermost, so the
            // middleware goes after the guard.
            .service(
                web::scope("/admin")
                    .wrap(require_role("org:admin"))
                    .wrap(ClerkMiddleware::new(local.clerk()))
                    .route("", web::get().to(|| async { "admin" })),
            )
            .route("/outside", web::get().to(me)),
    )
    .await;

    let (status, _, body) = send!(app, get("/api/me").insert_header(bearer(&token)));
    assert_eq!((status, body.as_str()), (StatusCode::OK, "user_1"));
    // The scope's own options apply: no cookies there.
    let cookie = (COOKIE, format!("__session={token}"));
    let (status, headers, _) = send!(app, get("/api/me").insert_header(cookie));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(header(&headers, "www-authenticate"), "Bearer");

    let (status, _, body) = send!(app, get("/admin").insert_header(bearer(&admin)));
    assert_eq!((status, body.as_str()), (StatusCode::OK, "admin"));
    let (status, _, _) = send!(app, get("/admin").insert_header(bearer(&token)));
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send!(app, get("/admin"));
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Outside the scopes the middleware did not run.
    let (status, _, body) = send!(app, get("/outside").insert_header(bearer(&token)));
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("missing_clerk_layer"), "{body}");
}

#[actix_web::test]
async fn guards_work_on_resources_too() {
    let local = LocalClerk::start().await;
    let token = local.token("user_1").mint();
    let app = test::init_service(
        App::new()
            .wrap(ClerkMiddleware::new(local.clerk()))
            .service(
                web::resource("/settings")
                    .wrap(require_auth())
                    .route(web::get().to(|| async { "settings" })),
            ),
    )
    .await;
    let (status, _, body) = send!(app, get("/settings").insert_header(bearer(&token)));
    assert_eq!((status, body.as_str()), (StatusCode::OK, "settings"));
    let (status, _, _) = send!(app, get("/settings"));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn debug_headers_say_why_a_request_is_signed_out_only_when_turned_on() {
    let local = LocalClerk::start().await;
    let token = local.token("user_1").mint();
    let expired = local.token("user_1").expires_in(-120).mint();
    async fn me(ClerkSession(claims): ClerkSession) -> String {
        claims.user_id().to_owned()
    }
    let debug = test::init_service(
        App::new()
            .wrap(ClerkMiddleware::new(
                ClerkOptions::new(local.clerk()).debug_headers(true),
            ))
            .route("/", web::get().to(|| async { "public" }))
            .route("/me", web::get().to(me)),
    )
    .await;
    let auth_headers = |headers: &actix_web::http::header::HeaderMap| {
        (
            header(headers, "x-clerk-auth-status").to_owned(),
            header(headers, "x-clerk-auth-reason").to_owned(),
        )
    };
    let pair = |status: &str, reason: &str| (status.to_owned(), reason.to_owned());

    let (status, headers, _) = send!(debug, get("/"));
    assert_eq!(status, StatusCode::OK);
    // Clerk's reasons: a development instance wants its dev browser token first; an expired
    // token says why it was not refreshed.
    assert_eq!(
        auth_headers(&headers),
        pair("signed-out", "dev-browser-missing")
    );
    let (status, headers, _) = send!(debug, get("/me").insert_header(bearer(&expired)));
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "rejections carry them too"
    );
    assert_eq!(
        auth_headers(&headers),
        pair(
            "signed-out",
            "session-token-expired-refresh-non-eligible-no-refresh-cookie"
        )
    );
    let (status, headers, body) = send!(debug, get("/me").insert_header(bearer(&token)));
    assert_eq!((status, body.as_str()), (StatusCode::OK, "user_1"));
    assert_eq!(auth_headers(&headers), pair("signed-in", ""));

    // Off by default.
    let plain = test::init_service(
        App::new()
            .wrap(ClerkMiddleware::new(local.clerk()))
            .route("/me", web::get().to(me)),
    )
    .await;
    let (_, headers, _) = send!(plain, get("/me").insert_header(bearer(&expired)));
    assert_eq!(auth_headers(&headers), pair("", ""));
}
