//! Custom session-token claims (a session-token template's), read into a typed struct.
//!
//! Starts a LocalClerk, serves `GET /tenant` on 127.0.0.1, and calls it with a session token that
//! carries the template's claims (200, the typed claims) and with one that does not (403).
//!
//! Run: `cargo run -p clerk-examples --example custom_claims`

use clerk_examples::custom_claims::demo;
use clerk_testing::LocalClerk;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let local = LocalClerk::start().await;
    for step in demo(&local).await? {
        println!("{:<38} {} {}", step.what, step.status, step.body);
    }
    Ok(())
}
