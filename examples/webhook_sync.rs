//! Webhook sync: an Axum app that keeps a users table in SQLite from Clerk's webhook events.
//!
//! With no configuration it starts a LocalClerk, registers the app as its webhook endpoint,
//! creates, edits and deletes users there, and prints the table the events built. With
//! `CLERK_SECRET_KEY` and `CLERK_WEBHOOK_SIGNING_SECRET` set it serves `POST /webhooks/clerk` on
//! `PORT` (3000) for your Clerk instance, writing to `DATABASE_URL` (default
//! `sqlite://webhook_sync.db`).
//!
//! Run: `cargo run -p clerk-examples --features webhook-sync --example webhook_sync`

use clerk_core::Clerk;
use clerk_core::webhooks::Webhook;
use clerk_examples::webhook_sync::{Db, app, demo};
use clerk_testing::LocalClerk;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let configured = std::env::var("CLERK_SECRET_KEY").is_ok_and(|v| !v.trim().is_empty());
    if !configured {
        let local = LocalClerk::start().await;
        println!(
            "LocalClerk on {}; creating, editing and deleting users…",
            local.api_url()
        );
        let demo = demo(&local).await?;
        println!(
            "GET /me as Ada: {:?}; after the user.updated webhook: {:?}",
            demo.me_before, demo.me_after
        );
        let rows = demo.rows;
        println!(
            "{:<34} {:<20} {:<12} {:<10} deleted",
            "id", "email", "first name", "last name"
        );
        for row in rows {
            println!(
                "{:<34} {:<20} {:<12} {:<10} {}",
                row.id,
                row.email.unwrap_or_default(),
                row.first_name.unwrap_or_default(),
                row.last_name.unwrap_or_default(),
                row.deleted
            );
        }
        return Ok(());
    }
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://webhook_sync.db".into());
    let db = Db::open(&url).await?;
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "POST http://{}/webhooks/clerk -> {url}",
        listener.local_addr()?
    );
    axum::serve(listener, app(Clerk::from_env()?, Webhook::from_env()?, db)).await?;
    Ok(())
}
