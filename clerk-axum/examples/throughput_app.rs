//! The axum app measured by `bench/throughput.sh` (see BENCHMARKS.md); not an example to copy.
//!
//! `throughput_app serve none|session|session-api ADDR`: serves `GET /` on ADDR with no layer
//! (a handler returning the user id as a constant), with `ClerkLayer` + `ClerkSession` (a
//! handler returning the session's user id), or the same with `handshake(false)`, the client built from the environment
//! (`CLERK_SECRET_KEY`, `CLERK_PUBLISHABLE_KEY`, `CLERK_API_URL`, written by the bench's
//! LocalClerk, `clerk-testing/examples/bench_local.rs`).

use axum::Router;
use axum::routing::get;
use clerk_axum::{ClerkLayer, ClerkSession};

const USER: &str = "user_bench";

fn usage() -> ! {
    eprintln!("usage: throughput_app serve none|session|session-api ADDR");
    std::process::exit(2)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["serve", mode, addr] => serve(mode, addr).await,
        _ => usage(),
    }
}

async fn serve(mode: &str, addr: &str) -> Result<(), Box<dyn std::error::Error>> {
    let app = match mode {
        "none" => Router::new().route("/", get(|| async { USER.to_owned() })),
        "session" => Router::new()
            .route(
                "/",
                get(
                    |ClerkSession(claims): ClerkSession| async move { claims.user_id().to_owned() },
                ),
            )
            .layer(ClerkLayer::new(clerk_core::Clerk::from_env()?)),
        // The same without browser sessions (`handshake(false)`): what they cost.
        "session-api" => Router::new()
            .route(
                "/",
                get(
                    |ClerkSession(claims): ClerkSession| async move { claims.user_id().to_owned() },
                ),
            )
            .layer(ClerkLayer::new(
                clerk_axum::ClerkOptions::new(clerk_core::Clerk::from_env()?).handshake(false),
            )),
        _ => usage(),
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
