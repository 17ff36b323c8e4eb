//! `ClerkUser`: concurrent requests of one user share one Backend API call (both extractors,
//! and the workers of a real actix-web server), and the user is cached for the middleware's TTL.
//!
//! What a request gets from `ClerkUser` and `Optional<ClerkUser>` (the user, 401 for a deleted
//! user, 502/503 for each fault of the Backend API, not cached, bounded in attempts and time, the
//! rejection hook, a missing middleware) is in the adapter contract, `tests/src/cases.rs` of the
//! workspace's `tests/` crate, run by `tests/actix_contract.rs`.

use std::time::Duration;

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{App, Error, test, web};
use clerk_actix::{ClerkMiddleware, ClerkOptions, ClerkUser, Optional};
use clerk_core::api::RetryPolicy;
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

#[actix_web::test]
async fn concurrent_requests_of_one_user_make_one_api_call() {
    let local = LocalClerk::start().await;
    let ada = local
        .users()
        .create(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.sessions().sign_in(&ada.id).token;
    let app = test::init_service(app(middleware(&local, Duration::from_millis(400)))).await;
    // Warm the key cache, so that every request below is waiting on the user lookup only.
    call!(app, "/maybe", None::<&str>);
    local
        .faults()
        .set_api(Some(Fault::Delay(Duration::from_millis(200))));
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
        local.requests().count("GetUser"),
        1,
        "one call for 50 concurrent requests"
    );
    call!(app, "/profile", Some(&token));
    assert_eq!(
        local.requests().count("GetUser"),
        1,
        "served from the cache"
    );

    local.faults().set_api(None);
    actix_web::rt::time::sleep(Duration::from_millis(450)).await;
    call!(app, "/profile", Some(&token));
    assert_eq!(
        local.requests().count("GetUser"),
        2,
        "fetched again after the TTL"
    );
}

/// A real server with two workers (two threads, each with its own `App`): the middleware built
/// once and cloned into the factory shares one cache, so 40 concurrent requests spread over both
/// workers still make one Backend API call.
#[actix_web::test]
async fn the_workers_of_a_real_server_share_the_cache() {
    let local = LocalClerk::start().await;
    let ada = local
        .users()
        .create(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.sessions().sign_in(&ada.id).token;
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
    local
        .faults()
        .set_api(Some(Fault::Delay(Duration::from_millis(300))));
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
    assert_eq!(
        local.requests().count("GetUser"),
        1,
        "one call for both workers"
    );
    local.faults().set_api(None);
    handle.stop(true).await;
}

/// `ClerkMiddleware::user_cache` is the cache the middleware's `ClerkUser` reads: invalidating a
/// user there makes the next request load it again (as after the app changed it), and every
/// clone of the middleware shares it.
#[actix_web::test]
async fn the_middlewares_user_cache_invalidates_a_user() {
    let local = LocalClerk::start().await;
    let ada = local
        .users()
        .create(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.sessions().sign_in(&ada.id).token;
    let middleware = ClerkMiddleware::new(local.clerk());
    let app = test::init_service(app(middleware.clone())).await;
    for _ in 0..2 {
        assert_eq!(call!(app, "/profile", Some(&token)).0, StatusCode::OK);
    }
    assert_eq!(local.requests().count("GetUser"), 1, "cached");
    assert_eq!(middleware.pipeline().user_cache().entry_count().await, 1);
    middleware.pipeline().user_cache().invalidate(&ada.id).await;
    assert_eq!(middleware.pipeline().user_cache().entry_count().await, 0);
    call!(app, "/profile", Some(&token));
    assert_eq!(
        local.requests().count("GetUser"),
        2,
        "loaded again after the invalidation"
    );
}
