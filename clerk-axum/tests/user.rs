//! `ClerkUser`: the Backend API's user, loaded through LocalClerk's emulated `GET /v1/users/{id}`,
//! cached per user and coalesced, with the failure statuses of the issue, a missing user
//! remembered briefly, and a lookup bounded in attempts and time.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use clerk_axum::{ClerkLayer, ClerkOptions, ClerkUser};
use clerk_core::api::RetryPolicy;
use clerk_core::user_cache::DEFAULT_LOOKUP_TIMEOUT;
use clerk_testing::{Fault, LocalClerk, NewUser};
use http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

async fn profile(user: ClerkUser) -> String {
    format!(
        "{} {}",
        user.first_name.as_deref().unwrap_or("?"),
        user.email_addresses[0].email_address
    )
}

async fn maybe(user: Option<ClerkUser>) -> String {
    user.map_or("anonymous".into(), |u| u.id.clone())
}

fn app(local: &LocalClerk, ttl: Duration) -> Router {
    let clerk = local
        .clerk_builder()
        .retry_policy(RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        })
        .build()
        .expect("valid");
    Router::new()
        .route("/profile", get(profile))
        .route("/maybe", get(maybe))
        .layer(ClerkLayer::new(
            ClerkOptions::new(clerk).user_cache_ttl(ttl),
        ))
}

/// An app whose client retries as configured by default (three attempts), with a short backoff.
fn retrying_app(local: &LocalClerk, lookup_timeout: Duration) -> Router {
    let clerk = local
        .clerk_builder()
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        })
        .build()
        .expect("valid");
    Router::new()
        .route("/profile", get(profile))
        .route("/maybe", get(maybe))
        .layer(ClerkLayer::new(
            ClerkOptions::new(clerk).user_lookup_timeout(lookup_timeout),
        ))
}

async fn call(app: &Router, path: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::get(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let Ok(response) = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn code(body: &str) -> String {
    let json: serde_json::Value = serde_json::from_str(body).expect("JSON error body");
    json["errors"][0]["code"].as_str().expect("code").to_owned()
}

#[tokio::test]
async fn a_signed_in_request_gets_its_user() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.sign_in(&ada.id).token;
    let app = app(&local, Duration::from_secs(30));
    assert_eq!(
        call(&app, "/profile", Some(&token)).await,
        (StatusCode::OK, "Ada ada@example.com".into())
    );
    assert_eq!(
        call(&app, "/maybe", Some(&token)).await,
        (StatusCode::OK, ada.id.clone())
    );
    assert_eq!(
        call(&app, "/maybe", None).await,
        (StatusCode::OK, "anonymous".into())
    );
    let (status, body) = call(&app, "/profile", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "session-token-and-uat-missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_of_one_user_make_one_api_call() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.sign_in(&ada.id).token;
    let app = app(&local, Duration::from_millis(400));
    // Warm the key cache, so that every request below is waiting on the user lookup only.
    call(&app, "/maybe", None).await;
    local.set_api_fault(Some(Fault::Delay(Duration::from_millis(200))));
    let requests = (0..50).map(|_| {
        let app = app.clone();
        let token = token.clone();
        tokio::spawn(async move { call(&app, "/profile", Some(&token)).await })
    });
    for response in futures::future::join_all(requests).await {
        assert_eq!(response.expect("task").0, StatusCode::OK);
    }
    assert_eq!(
        local.calls("GetUser"),
        1,
        "one call for 50 concurrent requests"
    );
    call(&app, "/profile", Some(&token)).await;
    assert_eq!(local.calls("GetUser"), 1, "served from the cache");

    local.set_api_fault(None);
    tokio::time::sleep(Duration::from_millis(450)).await;
    call(&app, "/profile", Some(&token)).await;
    assert_eq!(local.calls("GetUser"), 2, "fetched again after the TTL");
}

#[tokio::test]
async fn a_deleted_user_is_signed_out() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com"));
    let token = local.sign_in(&ada.id).token;
    let app = app(&local, Duration::from_secs(30));
    local
        .clerk()
        .users()
        .delete(&ada.id)
        .send()
        .await
        .expect("deleted");
    let (status, body) = call(&app, "/profile", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "user-not-found");
    assert_eq!(
        call(&app, "/maybe", Some(&token)).await,
        (StatusCode::OK, "anonymous".into())
    );
}

#[tokio::test]
async fn backend_api_failures_are_502_or_503_and_not_cached() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.sign_in(&ada.id).token;
    let app = app(&local, Duration::from_secs(30));
    call(&app, "/maybe", None).await; // keys loaded before the API starts failing

    for (fault, status, expected) in [
        (
            Fault::Status(500),
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
    ] {
        local.set_api_fault(Some(fault));
        let (got, body) = call(&app, "/profile", Some(&token)).await;
        assert_eq!(got, status, "{fault:?}");
        assert_eq!(code(&body), expected, "{fault:?}");
        assert!(!body.contains(&token));
    }
    local.set_api_fault(None);
    assert_eq!(
        call(&app, "/profile", Some(&token)).await.0,
        StatusCode::OK,
        "the failures were not cached"
    );
}

/// A 404 is a missing user only when Clerk says so (`resource_not_found`); any other 404, such
/// as a wrong `CLERK_API_URL` gives, is the server's failure, not a reason to sign users out.
#[tokio::test]
async fn only_clerks_resource_not_found_is_a_missing_user() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.sign_in(&ada.id).token;
    let app = app(&local, Duration::from_secs(30));
    call(&app, "/maybe", None).await; // keys loaded before the API starts failing

    // An HTML 404 from something that is not the Backend API, then a 404 with another code.
    for fault in [Fault::NotClerk(404), Fault::Status(404)] {
        local.set_api_fault(Some(fault));
        for path in ["/profile", "/maybe"] {
            let (status, body) = call(&app, path, Some(&token)).await;
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
    let (status, body) = call(&app, "/profile", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "user-not-found");
}

#[tokio::test]
async fn a_deleted_users_retries_do_not_reach_the_backend_api() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com"));
    let token = local.sign_in(&ada.id).token;
    let app = app(&local, Duration::from_secs(30));
    local
        .clerk()
        .users()
        .delete(&ada.id)
        .send()
        .await
        .expect("deleted");
    for _ in 0..3 {
        let (status, body) = call(&app, "/profile", Some(&token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(code(&body), "user-not-found");
    }
    assert_eq!(
        call(&app, "/maybe", Some(&token)).await,
        (StatusCode::OK, "anonymous".into())
    );
    assert_eq!(local.calls("GetUser"), 1, "the missing user is remembered");
}

#[tokio::test]
async fn a_lookup_makes_at_most_two_attempts() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com"));
    let token = local.sign_in(&ada.id).token;
    // The client's own policy allows three attempts.
    let app = retrying_app(&local, DEFAULT_LOOKUP_TIMEOUT);
    call(&app, "/maybe", None).await;
    local.set_api_fault(Some(Fault::Status(503)));
    let (status, body) = call(&app, "/profile", Some(&token)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(code(&body), "user_lookup_unavailable");
    assert_eq!(local.calls("GetUser"), 2);
}

#[tokio::test]
async fn a_slow_backend_api_is_a_503_at_the_lookup_timeout() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com"));
    let token = local.sign_in(&ada.id).token;
    let app = retrying_app(&local, Duration::from_millis(300));
    call(&app, "/maybe", None).await;
    local.set_api_fault(Some(Fault::Delay(Duration::from_secs(5))));
    let started = Instant::now();
    let (status, body) = call(&app, "/profile", Some(&token)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(code(&body), "user_lookup_unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered after {:?}, not at the timeout",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_retry_after_past_the_lookup_timeout_is_not_waited_for() {
    let local = LocalClerk::start().await;
    let ada = local.create_user(NewUser::with_email("ada@example.com"));
    let token = local.sign_in(&ada.id).token;
    let app = retrying_app(&local, Duration::from_millis(300));
    call(&app, "/maybe", None).await;
    // 4 s is within the client's `max_retry_after` (30 s): without the timeout it would wait.
    local.set_api_fault(Some(Fault::RateLimited {
        retry_after_secs: 4,
    }));
    let started = Instant::now();
    let (status, body) = call(&app, "/profile", Some(&token)).await;
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

#[tokio::test]
async fn without_the_layer_it_is_a_500() {
    let app = Router::new().route("/profile", get(profile));
    let (status, body) = call(&app, "/profile", None).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(code(&body), "missing_clerk_layer");
}
