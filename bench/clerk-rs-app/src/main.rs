//! `clerk-rs-throughput-app ADDR`: serves `GET /` on ADDR behind clerk-rs's axum `ClerkLayer`
//! (with its `MemoryCacheJwksProvider`), the handler returning the token's user id, as the
//! clerk-axum app does. Reads `CLERK_SECRET_KEY` and `CLERK_API_URL` (a LocalClerk).

use axum::routing::get;
use axum::{Extension, Router};
use clerk_rs::ClerkConfiguration;
use clerk_rs::clerk::Clerk;
use clerk_rs::validators::authorizer::ClerkJwt;
use clerk_rs::validators::axum::ClerkLayer;
use clerk_rs::validators::jwks::MemoryCacheJwksProvider;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .ok_or("usage: clerk-rs-throughput-app ADDR")?;
    let secret = std::env::var("CLERK_SECRET_KEY")?;
    let api_url = std::env::var("CLERK_API_URL")?;
    let config = ClerkConfiguration::new(secret).with_base_path(format!("{api_url}/v1"));
    let clerk = Clerk::new(config);
    let app = Router::new()
        .route(
            "/",
            get(|Extension(jwt): Extension<ClerkJwt>| async move { jwt.sub }),
        )
        .layer(ClerkLayer::new(
            MemoryCacheJwksProvider::new(clerk),
            None,
            true,
        ));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
