//! The pages app with actix-web: the same routes and the same HTML as [`pages`](crate::pages),
//! behind [`ClerkMiddleware`](clerk_actix::ClerkMiddleware), which runs the same browser-session
//! pipeline (handshake, server-side refresh) as `ClerkLayer`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use clerk_actix::{ClerkSession, ClerkUser, Optional};

use crate::pages::{Links, dashboard_page, home_page, signed_out_page};

/// The routes, `/` and `/dashboard`, with `links` as their app data:
/// `App::new().wrap(ClerkMiddleware::new(clerk)).configure(routes(links))`.
pub fn routes(links: Links) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |config| {
        config
            .app_data(web::Data::new(links.clone()))
            .route("/", web::get().to(home))
            .route("/dashboard", web::get().to(dashboard));
    }
}

fn html(status: StatusCode, page: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page)
}

async fn home(links: web::Data<Links>, Optional(user): Optional<ClerkUser>) -> HttpResponse {
    html(StatusCode::OK, home_page(&links, user.as_deref()))
}

async fn dashboard(
    links: web::Data<Links>,
    Optional(session): Optional<ClerkSession>,
    Optional(user): Optional<ClerkUser>,
) -> HttpResponse {
    match (session, user) {
        (Some(ClerkSession(claims)), Some(user)) => {
            html(StatusCode::OK, dashboard_page(&links, &claims, &user))
        }
        _ => html(StatusCode::UNAUTHORIZED, signed_out_page(&links)),
    }
}
