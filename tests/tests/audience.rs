//! The `audience` option (Clerk's `audience`, checked against the token's `aud`): on the
//! client's builder (every verification), per call (`VerifyOptions`) and per layer
//! (`ClerkOptions`, both frameworks over real HTTP). A token without `aud` is refused while an
//! audience is configured (Clerk's SDK skips the check: stricter on purpose), and a token the
//! verified-token cache holds from a verification without an audience is checked again.

use clerk_core::{Clerk, VerifyError};
use clerk_testing::LocalClerk;

/// The audience the tests configure, and a second one.
const API: &str = "https://api.example.com";
const OTHER: &str = "https://other.example.com";

fn client(local: &LocalClerk, audience: &[&str]) -> Clerk {
    local
        .clerk_builder()
        .audience(audience.iter().copied())
        .build()
        .expect("a client")
}

#[tokio::test]
async fn the_clients_audience_is_checked_against_aud() {
    let local = LocalClerk::start().await;
    let clerk = client(&local, &[API, OTHER]);
    let with = |aud: serde_json::Value| local.token("user_1").claim("aud", aud).mint();

    for (aud, accepted) in [
        (serde_json::json!(API), true),
        (serde_json::json!(OTHER), true),
        (serde_json::json!(["https://x.example.com", API]), true),
        (serde_json::json!("https://x.example.com"), false),
        (serde_json::json!(["https://x.example.com"]), false),
        (serde_json::json!([]), false),
        (serde_json::json!(""), false),
        (serde_json::json!(42), false),
        (serde_json::json!([API, 42]), false),
    ] {
        let result = clerk.verify_token(&with(aud.clone())).await;
        match result {
            Ok(claims) => {
                assert!(accepted, "{aud} was accepted");
                assert!(!claims.audience().is_empty());
            }
            Err(error) => {
                assert!(!accepted, "{aud}: {error}");
                assert_eq!(error, VerifyError::InvalidAudience, "{aud}");
                // Clerk's `assertAudienceClaim` refuses with this reason.
                assert_eq!(error.reason(), "token-verification-failed");
            }
        }
    }
    // No `aud` at all: Clerk skips the check, we refuse.
    let without = local.token("user_1").mint();
    assert_eq!(
        clerk.verify_token(&without).await.map(|_| ()),
        Err(VerifyError::InvalidAudience)
    );
    // Without an audience configured, `aud` is not looked at.
    let open = client(&local, &[]);
    assert!(open.verify_token(&without).await.is_ok());
    assert!(
        open.verify_token(&with(serde_json::json!(42)))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_cached_token_is_checked_again_for_a_call_that_sets_an_audience() {
    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let without = local.token("user_1").mint();
    let for_api = local.token("user_1").claim("aud", API).mint();
    // Twice each: the second verification puts the token in the shared cache.
    for token in [&without, &for_api] {
        clerk
            .verify_token(token)
            .await
            .expect("verifies without an audience");
        clerk.verify_token(token).await.expect("verifies again");
    }
    assert!(clerk.cached_token_count() >= 2);
    let strict = clerk.verify_options().audience([API]);
    assert_eq!(
        clerk.verify_token_with(&without, &strict).await.map(|_| ()),
        Err(VerifyError::InvalidAudience)
    );
    assert!(clerk.verify_token_with(&for_api, &strict).await.is_ok());
    let elsewhere = clerk.verify_options().audience([OTHER]);
    assert_eq!(
        clerk
            .verify_token_with(&for_api, &elsewhere)
            .await
            .map(|_| ()),
        Err(VerifyError::InvalidAudience)
    );
    // And the other way round: a client-wide audience, replaced per call by none.
    let strict_client = client(&local, &[API]);
    assert!(strict_client.verify_token(&without).await.is_err());
    let none = strict_client
        .verify_options()
        .audience(Vec::<String>::new());
    assert!(
        strict_client
            .verify_token_with(&without, &none)
            .await
            .is_ok()
    );
}

/// What a request to `path` of an app on `addr` answers with `token`: the status and the
/// `x-clerk-auth-reason` debug header.
async fn ask(addr: std::net::SocketAddr, path: &str, token: &str) -> (u16, Option<String>) {
    let answer = reqwest::Client::new()
        .get(format!("http://{addr}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("the app answers");
    let reason = answer
        .headers()
        .get("x-clerk-auth-reason")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (answer.status().as_u16(), reason)
}

/// The per-layer contract: `/open/me` under a layer without an audience, `/api/me` under one
/// with [`API`]; the same token, verified (and cached) by the first, is refused by the second.
async fn per_layer_contract(local: &LocalClerk, addr: std::net::SocketAddr) {
    let without = local.token("user_1").mint();
    let for_api = local.token("user_1").claim("aud", API).mint();
    let for_other = local.token("user_1").claim("aud", OTHER).mint();
    for _ in 0..2 {
        assert_eq!(ask(addr, "/open/me", &without).await, (200, None));
    }
    let refused = (401, Some("token-verification-failed".to_owned()));
    assert_eq!(ask(addr, "/api/me", &without).await, refused);
    assert_eq!(ask(addr, "/api/me", &for_other).await, refused);
    assert_eq!(ask(addr, "/api/me", &for_api).await, (200, None));
    assert_eq!(ask(addr, "/open/me", &for_other).await, (200, None));
}

#[tokio::test]
async fn axum_layers_check_their_own_audience() {
    use axum::Router;
    use axum::routing::get;
    use clerk_axum::{ClerkLayer, ClerkOptions, ClerkSession};

    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let me = || {
        Router::new().route(
            "/me",
            get(|ClerkSession(claims): ClerkSession| async move { claims.user_id().to_owned() }),
        )
    };
    let app = Router::new()
        .nest(
            "/open",
            me().layer(ClerkLayer::new(
                ClerkOptions::new(clerk.clone()).debug_headers(true),
            )),
        )
        .nest(
            "/api",
            me().layer(ClerkLayer::new(
                ClerkOptions::new(clerk).audience([API]).debug_headers(true),
            )),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(axum::serve(listener, app).into_future());
    per_layer_contract(&local, addr).await;
    server.abort();
}

#[actix_web::test]
async fn actix_middlewares_check_their_own_audience() {
    use actix_web::{App, web};
    use clerk_actix::{ClerkMiddleware, ClerkOptions, ClerkSession};

    let local = LocalClerk::start().await;
    let clerk = local.clerk();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = actix_web::HttpServer::new(move || {
        let me = |ClerkSession(claims): ClerkSession| async move { claims.user_id().to_owned() };
        App::new()
            .service(
                web::scope("/open")
                    .wrap(ClerkMiddleware::new(
                        ClerkOptions::new(clerk.clone()).debug_headers(true),
                    ))
                    .route("/me", web::get().to(me)),
            )
            .service(
                web::scope("/api")
                    .wrap(ClerkMiddleware::new(
                        ClerkOptions::new(clerk.clone())
                            .audience([API])
                            .debug_headers(true),
                    ))
                    .route("/me", web::get().to(me)),
            )
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    per_layer_contract(&local, addr).await;
    handle.stop(true).await;
}
