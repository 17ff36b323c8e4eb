//! Custom session-token claims, typed (the `custom_claims` example's code).
//!
//! In the Clerk Dashboard, **Sessions → Customize session token** adds claims to every session
//! token from a template, for example:
//!
//! ```json
//! { "email": "{{user.primary_email_address}}", "metadata": "{{user.public_metadata}}" }
//! ```
//!
//! A handler reads them into its own type with [`SessionClaims::custom`], with no Backend API
//! call: the claims are in the verified token. A token minted before the template changed (or for
//! another app) lacks them: the handler answers 403 and says which claim is missing.

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use clerk_axum::{ClerkLayer, ClerkSession};
use clerk_core::{Clerk, SessionClaims};
use clerk_testing::{LocalClerk, NewUser};
use serde::{Deserialize, Serialize};

/// The claims the template adds, as this app reads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppClaims {
    /// `{{user.primary_email_address}}`.
    pub email: String,
    /// `{{user.public_metadata}}`.
    pub metadata: AppMetadata,
}

/// The user's public metadata, as this app stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppMetadata {
    /// The customer the user belongs to.
    pub tenant: String,
    /// Early-access features, none when absent.
    #[serde(default)]
    pub beta: Vec<String>,
}

/// What `GET /tenant` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantAnswer {
    /// The session's user (`sub`, a standard claim).
    pub user_id: String,
    /// The template's claims.
    pub claims: AppClaims,
}

/// The app's claims of a verified session, or a 403 that says what is missing.
pub fn app_claims(claims: &SessionClaims) -> Result<AppClaims, (StatusCode, String)> {
    claims.custom::<AppClaims>().map_err(|error| {
        (
            StatusCode::FORBIDDEN,
            format!("the session token lacks this app's claims ({error}): sign in again"),
        )
    })
}

/// `GET /tenant`: the signed-in user's tenant, from the session token's custom claims.
pub fn app(clerk: Clerk) -> Router {
    Router::new()
        .route(
            "/tenant",
            get(|ClerkSession(claims): ClerkSession| async move {
                let mine = app_claims(&claims)?;
                Ok::<_, (StatusCode, String)>(Json(TenantAnswer {
                    user_id: claims.user_id().to_owned(),
                    claims: mine,
                }))
            }),
        )
        .layer(ClerkLayer::new(clerk))
}

/// A session token of `user_id` as Clerk mints it with the template above.
pub fn templated_token(local: &LocalClerk, user_id: &str, email: &str, tenant: &str) -> String {
    local
        .token(user_id)
        .claim("email", email)
        .claim(
            "metadata",
            serde_json::json!({ "tenant": tenant, "beta": ["reports"] }),
        )
        .mint()
}

/// One request of the demo and its answer.
#[derive(Debug, Clone)]
pub struct Step {
    /// What was sent.
    pub what: &'static str,
    /// The status.
    pub status: u16,
    /// The body.
    pub body: String,
}

/// Runs the demo against `local`: serves [`app`] on 127.0.0.1 and calls it with a templated
/// token and with one minted without the template.
pub async fn demo(local: &LocalClerk) -> Result<Vec<Step>, Box<dyn std::error::Error>> {
    let ada = local.users().create(NewUser::with_email("ada@example.com"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/tenant", listener.local_addr()?);
    let server = tokio::spawn(axum::serve(listener, app(local.clerk())).into_future());
    let http = reqwest::Client::new();
    let mut steps = Vec::new();
    for (what, token) in [
        (
            "a token with the template's claims",
            templated_token(local, &ada.id, "ada@example.com", "acme"),
        ),
        (
            "a token minted before the template",
            local.token(&ada.id).mint(),
        ),
    ] {
        let response = http.get(&url).bearer_auth(token).send().await?;
        let status = response.status().as_u16();
        let body = response.text().await?;
        steps.push(Step { what, status, body });
    }
    server.abort();
    Ok(steps)
}
