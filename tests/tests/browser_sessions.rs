//! The browser-session contract (`clerk_integration_tests::browser`) against an Axum app and an
//! actix-web app, over real HTTP on 127.0.0.1, with LocalClerk (on `localhost`) as the Frontend
//! API.

use clerk_integration_tests::browser::{
    SATELLITE_HOST, SIGNED_OUT_BODY, TOKEN_LIFETIME, contract, hostile_returns, loop_guard,
    organization_sync, protected_pages, satellite, signed_in_body,
};

/// The organization sync of both apps: `/orgs/{slug}` names an organization, `/me` the
/// personal account.
fn org_sync() -> clerk_core::browser::OrganizationSync {
    clerk_core::browser::OrganizationSync::new(["/orgs/{slug}"], ["/me"]).expect("valid")
}

/// What `/orgs/{slug}` and `/me` answer: the session's active organization, or `personal`.
fn active_org(claims: &clerk_core::SessionClaims) -> String {
    claims.org_slug().unwrap_or("personal").to_owned()
}

/// The permission `/admin` requires (no user of the contract has it).
const ADMIN_PERMISSION: &str = "org:admin:access";
use clerk_testing::LocalClerk;

/// The app's client: no clock skew, so that a token is expired as soon as its lifetime ends
/// (Clerk's SDKs, and ours by default, allow 5 s).
fn app_clerk(local: &LocalClerk) -> clerk_core::Clerk {
    local
        .clerk_builder()
        .clock_skew(std::time::Duration::ZERO)
        .build()
        .expect("valid")
}

async fn local_clerk() -> LocalClerk {
    LocalClerk::builder()
        .session_token_lifetime(TOKEN_LIFETIME)
        .start()
        .await
        .expect("LocalClerk starts")
}

/// A development satellite's client: LocalClerk's keys, `CLERK_IS_SATELLITE`, its domain, and
/// LocalClerk's sign-in page as the primary's (it plays the primary for `__clerk_redirect_url`).
fn satellite_clerk(local: &LocalClerk) -> clerk_core::Clerk {
    local
        .clerk_builder()
        .clock_skew(std::time::Duration::ZERO)
        .is_satellite(true)
        .domain(SATELLITE_HOST)
        .sign_in_url(format!("{}/sign-in", local.frontend().url()))
        .build()
        .expect("valid")
}

/// A client with LocalClerk's publishable key (so its Frontend API) but another instance's
/// secret key and Backend API: no handshake it starts can resolve.
fn mismatched(local: &LocalClerk, other: &LocalClerk) -> clerk_core::Clerk {
    clerk_core::Clerk::builder()
        .publishable_key(local.publishable_key())
        .secret_key(other.secret_key())
        .api_url(other.api_url())
        .build()
        .expect("valid")
}

mod axum_app {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use clerk_axum::{ClerkLayer, ClerkOptions, ClerkSession, require_permission};

    pub async fn serve(clerk: clerk_core::Clerk) -> String {
        serve_on(clerk, "127.0.0.1").await
    }

    pub async fn serve_on(clerk: clerk_core::Clerk, host: &str) -> String {
        let app = Router::new()
            .route(
                "/page",
                get(|session: Option<ClerkSession>| async move {
                    session.map_or(SIGNED_OUT_BODY.to_owned(), |s| signed_in_body(s.user_id()))
                }),
            )
            .route(
                "/dashboard",
                get(
                    |ClerkSession(claims): ClerkSession| async move { claims.user_id().to_owned() },
                ),
            )
            .route(
                "/api/me",
                get(
                    |ClerkSession(claims): ClerkSession| async move { claims.user_id().to_owned() },
                )
                .post(|ClerkSession(claims): ClerkSession| async move {
                    claims.user_id().to_owned()
                }),
            )
            .route(
                "/admin",
                get(|| async { "admin" }).route_layer(require_permission(ADMIN_PERMISSION)),
            )
            .route(
                "/orgs/{slug}",
                get(|ClerkSession(claims): ClerkSession| async move { active_org(&claims) }),
            )
            .route(
                "/me",
                get(|ClerkSession(claims): ClerkSession| async move { active_org(&claims) }),
            )
            .layer(ClerkLayer::new(
                ClerkOptions::new(clerk)
                    .debug_headers(true)
                    .organization_sync(org_sync()),
            ));
        let listener = tokio::net::TcpListener::bind((host, 0))
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("an address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }
}

mod actix_app {
    use super::*;
    use actix_web::{App, HttpServer, web};
    use clerk_actix::{ClerkMiddleware, ClerkOptions, ClerkSession, Optional, require_permission};

    pub async fn serve(clerk: clerk_core::Clerk) -> String {
        serve_on(clerk, "127.0.0.1").await
    }

    pub async fn serve_on(clerk: clerk_core::Clerk, host: &str) -> String {
        async fn page(session: Optional<ClerkSession>) -> String {
            session
                .0
                .map_or(SIGNED_OUT_BODY.to_owned(), |s| signed_in_body(s.user_id()))
        }
        async fn me(session: ClerkSession) -> String {
            session.user_id().to_owned()
        }
        async fn org(session: ClerkSession) -> String {
            active_org(&session)
        }
        let server = HttpServer::new(move || {
            App::new()
                .wrap(ClerkMiddleware::new(
                    ClerkOptions::new(clerk.clone())
                        .debug_headers(true)
                        .organization_sync(org_sync()),
                ))
                .route("/orgs/{slug}", web::get().to(org))
                .route("/me", web::get().to(org))
                .route("/page", web::get().to(page))
                .route("/dashboard", web::get().to(me))
                .route("/api/me", web::get().to(me))
                .route("/api/me", web::post().to(me))
                .service(
                    web::scope("/admin")
                        .wrap(require_permission(ADMIN_PERMISSION))
                        .route("", web::get().to(|| async { "admin" })),
                )
        })
        .workers(1)
        .bind((host, 0))
        .expect("a port");
        let addr = server.addrs()[0];
        actix_web::rt::spawn(server.run());
        format!("http://{addr}")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_keeps_browser_sessions_alive_as_clerk_does() {
    let local = local_clerk().await;
    let app = axum_app::serve(app_clerk(&local)).await;
    contract(&local, &app).await;
    hostile_returns(&local, &app).await;
    protected_pages(&local, &app).await;
    organization_sync(&local, &app).await;
    satellite(
        &local,
        &axum_app::serve_on(satellite_clerk(&local), SATELLITE_HOST).await,
    )
    .await;
    let other = LocalClerk::start().await;
    loop_guard(&axum_app::serve(mismatched(&local, &other)).await).await;
}

#[actix_web::test]
async fn actix_keeps_browser_sessions_alive_as_clerk_does() {
    let local = local_clerk().await;
    let app = actix_app::serve(app_clerk(&local)).await;
    contract(&local, &app).await;
    hostile_returns(&local, &app).await;
    protected_pages(&local, &app).await;
    organization_sync(&local, &app).await;
    satellite(
        &local,
        &actix_app::serve_on(satellite_clerk(&local), SATELLITE_HOST).await,
    )
    .await;
    let other = LocalClerk::start().await;
    loop_guard(&actix_app::serve(mismatched(&local, &other)).await).await;
}
