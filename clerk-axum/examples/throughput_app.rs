//! The axum app measured by `bench/throughput.sh` (see BENCHMARKS.md); not an example to copy.
//!
//! `throughput_app serve none|session|session-api|machine ADDR`: serves `GET /` on ADDR with no
//! layer (a handler returning the user id as a constant), with `ClerkLayer` + `ClerkSession` (a
//! handler returning the session's user id), the same with `handshake(false)`, or a layer that
//! accepts every token kind + `ClerkMachine` (a handler returning the machine's subject); the
//! client built from the environment (`CLERK_SECRET_KEY`, `CLERK_PUBLISHABLE_KEY`,
//! `CLERK_API_URL`, written by the bench's LocalClerk, `clerk-testing/examples/bench_local.rs`).
//!
//! `throughput_app rsa POOL PEM N`: verifies the signatures of the first N tokens of the file
//! POOL with the RSA public key in PEM (jsonwebtoken's `crypto::verify`, one thread) and prints
//! the mean wall time of one verification in microseconds: the floor of a fresh token's cost.

use axum::Router;
use axum::routing::get;
use clerk_axum::{ClerkLayer, ClerkMachine, ClerkOptions, ClerkSession};
use clerk_core::machine::Accepts;

const USER: &str = "user_bench";

fn usage() -> ! {
    eprintln!("usage: throughput_app serve none|session|session-api|machine ADDR | rsa POOL PEM N");
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
        ["rsa", pool, pem, n] => rsa(pool, pem, n.parse()?),
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
                ClerkOptions::new(clerk_core::Clerk::from_env()?).handshake(false),
            )),
        "machine" => Router::new()
            .route(
                "/",
                get(|machine: ClerkMachine| async move { machine.subject().to_owned() }),
            )
            .layer(ClerkLayer::new(
                ClerkOptions::new(clerk_core::Clerk::from_env()?).accepts(Accepts::any()),
            )),
        _ => usage(),
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

fn rsa(pool: &str, pem: &str, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    use jsonwebtoken::{Algorithm, DecodingKey, crypto};
    let key = DecodingKey::from_rsa_pem(std::fs::read_to_string(pem)?.as_bytes())?;
    let pool = std::fs::read_to_string(pool)?;
    let tokens: Vec<(&str, &str)> = pool
        .lines()
        .take(n)
        .filter_map(|token| token.rsplit_once('.'))
        .collect();
    let start = std::time::Instant::now();
    for (message, signature) in &tokens {
        if !crypto::verify(signature, message.as_bytes(), &key, Algorithm::RS256)? {
            return Err("a pool token does not verify".into());
        }
    }
    let micros = start.elapsed().as_secs_f64() * 1e6 / tokens.len().max(1) as f64;
    println!("{micros:.2}");
    Ok(())
}
