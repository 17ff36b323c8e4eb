//! `ClerkUser`: concurrent requests of one user share one Backend API call, and the user is
//! cached for the layer's TTL.
//!
//! What a request gets from `ClerkUser` and `Option<ClerkUser>` (the user, 401 for a deleted
//! user, 502/503 for each fault of the Backend API, not cached, bounded in attempts and time, a
//! missing layer) is in the adapter contract, `tests/src/cases.rs` of the workspace's `tests/`
//! crate, run by `tests/axum_contract.rs`.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use clerk_axum::{ClerkLayer, ClerkOptions, ClerkUser};
use clerk_core::api::RetryPolicy;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_of_one_user_make_one_api_call() {
    let local = LocalClerk::start().await;
    let ada = local
        .users()
        .create(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.sessions().sign_in(&ada.id).token;
    let app = app(&local, Duration::from_millis(400));
    // Warm the key cache, so that every request below is waiting on the user lookup only.
    call(&app, "/maybe", None).await;
    local
        .faults()
        .set_api(Some(Fault::Delay(Duration::from_millis(200))));
    let requests = (0..50).map(|_| {
        let app = app.clone();
        let token = token.clone();
        tokio::spawn(async move { call(&app, "/profile", Some(&token)).await })
    });
    for response in futures::future::join_all(requests).await {
        assert_eq!(response.expect("task").0, StatusCode::OK);
    }
    assert_eq!(
        local.requests().count("GetUser"),
        1,
        "one call for 50 concurrent requests"
    );
    call(&app, "/profile", Some(&token)).await;
    assert_eq!(
        local.requests().count("GetUser"),
        1,
        "served from the cache"
    );

    local.faults().set_api(None);
    tokio::time::sleep(Duration::from_millis(450)).await;
    call(&app, "/profile", Some(&token)).await;
    assert_eq!(
        local.requests().count("GetUser"),
        2,
        "fetched again after the TTL"
    );
}

/// `ClerkLayer::user_cache` is the cache the layer's `ClerkUser` reads: invalidating a user
/// there makes the next request load it again (as after the app changed it), and every clone of
/// the layer shares it.
#[tokio::test]
async fn the_layers_user_cache_invalidates_a_user() {
    let local = LocalClerk::start().await;
    let ada = local
        .users()
        .create(NewUser::with_email("ada@example.com").first_name("Ada"));
    let token = local.sessions().sign_in(&ada.id).token;
    let layer = ClerkLayer::new(local.clerk());
    let app = Router::new()
        .route("/profile", get(profile))
        .layer(layer.clone());
    for _ in 0..2 {
        let answer = call(&app, "/profile", Some(&token)).await;
        assert_eq!(answer, (StatusCode::OK, "Ada ada@example.com".into()));
    }
    assert_eq!(local.requests().count("GetUser"), 1, "cached");
    assert_eq!(layer.pipeline().user_cache().entry_count().await, 1);
    layer.pipeline().user_cache().invalidate(&ada.id).await;
    assert_eq!(layer.pipeline().user_cache().entry_count().await, 0);
    call(&app, "/profile", Some(&token)).await;
    assert_eq!(
        local.requests().count("GetUser"),
        2,
        "loaded again after the invalidation"
    );
}
