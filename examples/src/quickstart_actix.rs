//! The quickstart app with actix-web: the same routes and answers as [`quickstart`](crate::quickstart).

use actix_web::{HttpResponse, web};
use clerk_actix::{ClerkSession, ClerkUser, Optional, require_permission};
use serde_json::json;

async fn home(Optional(session): Optional<ClerkSession>) -> HttpResponse {
    HttpResponse::Ok().json(match session {
        Some(ClerkSession(claims)) => {
            json!({ "message": "hello again", "user_id": claims.user_id() })
        }
        None => json!({ "message": "hello, stranger: send a session token to /me" }),
    })
}

async fn me(ClerkSession(claims): ClerkSession) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "user_id": claims.user_id(),
        "session_id": claims.session_id(),
        "org_id": claims.org_id(),
        "org_role": claims.org_role(),
        "permissions": claims.org_permissions(),
    }))
}

async fn profile(ClerkUser(user): ClerkUser) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email_addresses.first().map(|e| e.email_address.clone()),
    }))
}

async fn invoices(ClerkSession(claims): ClerkSession) -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({ "org_id": claims.org_id(), "invoices": [{ "id": "inv_1", "total": 4200 }] }))
}

/// The routes: `/` (public), `/me` (signed in), `/profile` (signed in, loads the user from the
/// Backend API), `/invoices` (needs `org:invoices:read`). Wrap the app in a
/// [`ClerkMiddleware`](clerk_actix::ClerkMiddleware).
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(home))
        .route("/me", web::get().to(me))
        .route("/profile", web::get().to(profile))
        .service(
            web::resource("/invoices")
                .wrap(require_permission("org:invoices:read"))
                .route(web::get().to(invoices)),
        );
}
