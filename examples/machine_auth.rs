//! Machine authentication: a service calling another with an M2M token, and a user's script
//! calling it with an API key, both verified by the Clerk layer.
//!
//! With no configuration it starts a LocalClerk, creates the machines `billing-worker` and
//! `orders-api` (the worker may reach the API), a user with an API key, serves orders-api on
//! 127.0.0.1 and prints each request and its answer. With `CLERK_SECRET_KEY` and
//! `ORDERS_API_MACHINE_ID` (this service's machine, `mch_…`) set it serves orders-api on `PORT`
//! (3000) for your Clerk instance; a caller then uses `M2mTokenSource::from_env()` with its
//! `CLERK_MACHINE_SECRET_KEY`.
//!
//! Run: `cargo run -p clerk-examples --example machine_auth`

use clerk_core::Clerk;
use clerk_examples::machine_auth::{demo, orders_api};
use clerk_testing::LocalClerk;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let configured = std::env::var("CLERK_SECRET_KEY").is_ok_and(|v| !v.trim().is_empty());
    if !configured {
        let local = LocalClerk::start().await;
        println!("LocalClerk on {}", local.api_url());
        for step in demo(&local).await? {
            println!("{:<44} {} {}", step.what, step.status, step.body);
        }
        return Ok(());
    }
    let machine_id = std::env::var("ORDERS_API_MACHINE_ID")
        .map_err(|_| "set ORDERS_API_MACHINE_ID to this service's machine id (mch_…)")?;
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("orders-api on http://{}", listener.local_addr()?);
    axum::serve(listener, orders_api(Clerk::from_env()?, &machine_id)).await?;
    Ok(())
}
