//! `ClerkUser`: the Backend API's user, loaded through LocalClerk's emulated
//! `GET /v1/users/{id}`, cached per user and coalesced, with the failure statuses of the issue,
//! a missing user remembered briefly, and a lookup bounded in attempts and time (the same
//! scenarios as clerk-axum's `tests/user.rs`), plus the cache shared by the workers of a real
//! actix-web server.

use std::time::{Duration, Instant};

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{App, Error, test, web};
use clerk_actix::{ClerkMiddleware, ClerkOptions, ClerkUser, Optional};
use clerk_core::api::RetryPolicy;
use clerk_core::user_cache::DEFAULT_LOOKUP_TIMEOUT;
use clerk_testing::{Fault, LocalClerk, NewUser};

async fn profile(user: ClerkUser) -> String {
    format!(
        "{} {}",
        user.first_name.as_deref().unwrap_or("?"),
        user.email_addresses[0].email_address
    )
}

async fn maybe(Optional(user): Optional<ClerkUser>) -> String {
    user.map_or("anonymous".into(), |u| u.id.clone())
}

fn middleware(local: &LocalClerk, ttl: Duration) -> ClerkMiddleware {
    let clerk = local
        .clerk_builder()
        .retry_policy(RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        })
        .build()
        .expect("valid");
    ClerkMiddleware::new(ClerkOptions::new(clerk).user_cache_ttl(ttl))
}

/// A middleware whose client retries as configured by default (three attempts), with a short
/// backoff.
fn retrying_middleware(local: &LocalClerk, lookup_timeout: Duration) -> ClerkMiddleware {
    let clerk = local
        .clerk_builder()
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        })
        .build()
        .expect("valid");
    ClerkMiddleware::new(ClerkOptions::new(clerk).user_lookup_timeout(lookup_timeout))
}

fn app(
    middleware: ClerkMiddleware,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(middleware)
        .route("/profile", web::get().to(profile))
        .route("/maybe", web::get().to(maybe))
}

/// Sends `GET path` (with the bearer token, if any) and returns the status and body.
macro_rules! call {
    ($app:expr, $path:expr, $token:expr) => {{
        let mut request = test::TestRequest::get().uri($path);
        if let Some(token) = $token {
            request = request.insert_header(("authorization", format!("Bearer {token}")));
        }
        let response = test::call_service(&$app, request.to_request()).await;
        let status = response.status();
        let body = test::read_body(response).await;
        (status, String::from_utf8_lossy(&body).into_owned())
    }};
}

fn code(body: &str) -> String {
    let json: serde_json::Value = serde_json::from_str(body).expect("JSON error body");
    json["errors"][0]["code"].as_str().expect("code").to_owned()
}

#[actix_web::test]
async fn a_signed_in_request_gets_its_user() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.sign_in(&ada.id).token;
    let app = test::init_service(app(middleware(&local, Duration::from_secs(30)))).await;
    assert_eq!(
        call!(app, "/profile", Some(&token)),
        (StatusCode::OK, "Ada ada@example.com".into())
    );
    assert_eq!(
        call!(app, "/maybe", Some(&token)),
        (StatusCode::OK, ada.id.clone())
    );
    assert_eq!(
        call!(app, "/maybe", None::<&str>),
        (StatusCode::OK, "anonymous".into())
    );
    let (status, body) = call!(app, "/profile", None::<&str>);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "session-token-and-uat-missing");
    assert_eq!(local.calls("GetUser"), 1, "cached after the first request");
}

#[actix_web::test]
async fn concurrent_requests_of_one_user_make_one_api_call() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.sign_in(&ada.id).token;
    let app = test::init_service(app(middleware(&local, Duration::from_millis(400)))).await;
    // Warm the key cache, so that every request below is waiting on the user lookup only.
    call!(app, "/maybe", None::<&str>);
    local.set_api_fault(Some(Fault::Delay(Duration::from_millis(200))));
    let requests = (0..50).map(|i| {
        let (app, token) = (&app, &token);
        async move {
            // Both extractors share the cache and the call in flight.
            let path = if i % 2 == 0 { "/profile" } else { "/maybe" };
            call!(*app, path, Some(token)).0
        }
    });
    for status in futures::future::join_all(requests).await {
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(
        local.calls("GetUser"),
        1,
        "one call for 50 concurrent requests"
    );
    call!(app, "/profile", Some(&token));
    assert_eq!(local.calls("GetUser"), 1, "served from the cache");

    local.set_api_fault(None);
    actix_web::rt::time::sleep(Duration::from_millis(450)).await;
    call!(app, "/profile", Some(&token));
    assert_eq!(local.calls("GetUser"), 2, "fetched again after the TTL");
}

#[actix_web::test]
async fn a_deleted_user_is_signed_out() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com"));
    let token = local.sign_in(&ada.id).token;
    let app = test::init_service(app(middleware(&local, Duration::from_secs(30)))).await;
    local
        .clerk()
        .users()
        .delete(&ada.id)
        .send()
        .await
        .expect("deleted");
    let (status, body) = call!(app, "/profile", Some(&token));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "user-not-found");
    assert_eq!(
        call!(app, "/maybe", Some(&token)),
        (StatusCode::OK, "anonymous".into())
    );
}

#[actix_web::test]
async fn backend_api_failures_are_502_or_503_and_not_cached() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.sign_in(&ada.id).token;
    let app = test::init_service(app(middleware(&local, Duration::from_secs(30)))).await;
    call!(app, "/maybe", None::<&str>); // keys loaded before the API starts failing

    for (fault, status, expected) in [
        (
            Fault::Status(500),
            StatusCode::BAD_GATEWAY,
            "user_lookup_failed",
        ),
        (
            Fault::Status(401),
            StatusCode::BAD_GATEWAY,
            "user_lookup_failed",
        ),
        (
            Fault::Status(503),
            StatusCode::SERVICE_UNAVAILABLE,
            "user_lookup_unavailable",
        ),
        (
            Fault::RateLimited {
                retry_after_secs: 120,
            },
            StatusCode::SERVICE_UNAVAILABLE,
            "user_lookup_unavailable",
        ),
        (
            Fault::Close,
            StatusCode::SERVICE_UNAVAILABLE,
            "user_lookup_unavailable",
        ),
    ] {
        local.set_api_fault(Some(fault));
        for path in ["/profile", "/maybe"] {
            // `Optional<ClerkUser>` fails too: the user exists, it just cannot be loaded now.
            let (got, body) = call!(app, path, Some(&token));
            assert_eq!(got, status, "{fault:?} {path}");
            assert_eq!(code(&body), expected, "{fault:?} {path}");
            assert!(!body.contains(&token));
        }
    }
    local.set_api_fault(None);
    assert_eq!(
        call!(app, "/profile", Some(&token)).0,
        StatusCode::OK,
        "the failures were not cached"
    );
}

#[actix_web::test]
async fn the_rejection_hook_sees_lookup_failures() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com"));
    let token = local.sign_in(&ada.id).token;
    let options = middleware(&local, Duration::from_secs(30))
        .options()
        .clone()
        .on_rejection(|rejection| {
            actix_web::HttpResponse::build(
                StatusCode::from_u16(rejection.status()).expect("status"),
            )
            .body(format!("custom {}", rejection.code()))
        });
    let middleware = ClerkMiddleware::new(options);
    let app = test::init_service(app(middleware)).await;
    call!(app, "/maybe", None::<&str>);
    local.set_api_fault(Some(Fault::Status(500)));
    assert_eq!(
        call!(app, "/profile", Some(&token)),
        (StatusCode::BAD_GATEWAY, "custom user_lookup_failed".into())
    );
}

/// A 404 is a missing user only when Clerk says so (`resource_not_found`); any other 404, such
/// as a wrong `CLERK_API_URL` gives, is the server's failure, not a reason to sign users out.
#[actix_web::test]
async fn only_clerks_resource_not_found_is_a_missing_user() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.sign_in(&ada.id).token;
    let app = test::init_service(app(middleware(&local, Duration::from_secs(30)))).await;
    call!(app, "/maybe", None::<&str>); // keys loaded before the API starts failing

    // An HTML 404 from something that is not the Backend API, then a 404 with another code.
    for fault in [Fault::NotClerk(404), Fault::Status(404)] {
        local.set_api_fault(Some(fault));
        for path in ["/profile", "/maybe"] {
            let (status, body) = call!(app, path, Some(&token));
            assert_eq!(status, StatusCode::BAD_GATEWAY, "{fault:?} {path}");
            assert_eq!(code(&body), "user_lookup_failed", "{fault:?} {path}");
        }
    }
    local.set_api_fault(None);
    local
        .clerk()
        .users()
        .delete(&ada.id)
        .send()
        .await
        .expect("deleted");
    let (status, body) = call!(app, "/profile", Some(&token));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "user-not-found");
}

#[actix_web::test]
async fn a_deleted_users_retries_do_not_reach_the_backend_api() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com"));
    let token = local.sign_in(&ada.id).token;
    let app = test::init_service(app(middleware(&local, Duration::from_secs(30)))).await;
    local
        .clerk()
        .users()
        .delete(&ada.id)
        .send()
        .await
        .expect("deleted");
    for _ in 0..3 {
        let (status, body) = call!(app, "/profile", Some(&token));
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(code(&body), "user-not-found");
    }
    assert_eq!(
        call!(app, "/maybe", Some(&token)),
        (StatusCode::OK, "anonymous".into())
    );
    assert_eq!(local.calls("GetUser"), 1, "the missing user is remembered");
}

#[actix_web::test]
async fn a_lookup_makes_at_most_two_attempts() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com"));
    let token = local.sign_in(&ada.id).token;
    // The client's own policy allows three attempts.
    let app = test::init_service(app(retrying_middleware(&local, DEFAULT_LOOKUP_TIMEOUT))).await;
    call!(app, "/maybe", None::<&str>);
    local.set_api_fault(Some(Fault::Status(503)));
    let (status, body) = call!(app, "/profile", Some(&token));
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(code(&body), "user_lookup_unavailable");
    assert_eq!(local.calls("GetUser"), 2);
}

#[actix_web::test]
async fn a_slow_backend_api_is_a_503_at_the_lookup_timeout() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com"));
    let token = local.sign_in(&ada.id).token;
    let app =
        test::init_service(app(retrying_middleware(&local, Duration::from_millis(300)))).await;
    call!(app, "/maybe", None::<&str>);
    local.set_api_fault(Some(Fault::Delay(Duration::from_secs(5))));
    let started = Instant::now();
    let (status, body) = call!(app, "/profile", Some(&token));
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(code(&body), "user_lookup_unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered after {:?}, not at the timeout",
        started.elapsed()
    );
}

#[actix_web::test]
async fn a_retry_after_past_the_lookup_timeout_is_not_waited_for() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com"));
    let token = local.sign_in(&ada.id).token;
    let app =
        test::init_service(app(retrying_middleware(&local, Duration::from_millis(300)))).await;
    call!(app, "/maybe", None::<&str>);
    // 4 s is within the client's `max_retry_after` (30 s): without the timeout it would wait.
    local.set_api_fault(Some(Fault::RateLimited {
        retry_after_secs: 4,
    }));
    let started = Instant::now();
    let (status, body) = call!(app, "/profile", Some(&token));
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(code(&body), "user_lookup_unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered after {:?}",
        started.elapsed()
    );
    assert_eq!(
        local.calls("GetUser"),
        1,
        "no retry that cannot finish in time"
    );
}

#[actix_web::test]
async fn without_the_middleware_it_is_a_500() {
    let app = test::init_service(App::new().route("/profile", web::get().to(profile))).await;
    let (status, body) = call!(app, "/profile", None::<&str>);
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(code(&body), "missing_clerk_layer");
}

/// A real server with two workers (two threads, each with its own `App`): the middleware built
/// once and cloned into the factory shares one cache, so 40 concurrent requests spread over both
/// workers still make one Backend API call.
#[actix_web::test]
async fn the_workers_of_a_real_server_share_the_cache() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.sign_in(&ada.id).token;
    let middleware = middleware(&local, Duration::from_secs(30));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = actix_web::HttpServer::new(move || {
        app(middleware.clone()).route(
            "/thread",
            web::get().to(|user: ClerkUser| async move {
                format!("{} {:?}", user.id, std::thread::current().id())
            }),
        )
    })
    .workers(2)
    .listen(listener)
    .expect("listen")
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/thread");
    // Warm both workers' connections and the key cache without loading the user.
    for _ in 0..4 {
        let response = client
            .get(format!("http://{addr}/maybe"))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200);
    }
    local.set_api_fault(Some(Fault::Delay(Duration::from_millis(300))));
    let requests = (0..40).map(|_| {
        // A client per request: separate connections, spread over the workers.
        let request = reqwest::Client::new().get(&url).bearer_auth(&token);
        async move {
            let response = request.send().await.expect("sent");
            (response.status(), response.text().await.expect("body"))
        }
    });
    let mut threads = std::collections::HashSet::new();
    for (status, body) in futures::future::join_all(requests).await {
        assert_eq!(status.as_u16(), 200, "{body}");
        let (user, thread) = body.split_once(' ').expect("user and thread");
        assert_eq!(user, ada.id);
        threads.insert(thread.to_owned());
    }
    assert_eq!(threads.len(), 2, "both workers answered");
    assert_eq!(local.calls("GetUser"), 1, "one call for both workers");
    local.set_api_fault(None);
    handle.stop(true).await;
}
