//! The axum app measured by `bench/throughput.sh` (see BENCHMARKS.md); not an example to copy.
//!
//! `throughput_app serve none|floor|session|session-outer|session-api|machine ADDR`: serves `GET /` on ADDR
//! with no layer (a handler returning the user id as a constant); with the floor of any
//! middleware that hands a value to its handler (a `tower::util::MapRequestLayer` that stores the
//! user id in the request's extensions, read with `Extension`: nothing checked); with
//! `ClerkLayer` + `ClerkSession` (a handler returning the session's user id), the same with the
//! layer around the whole router (`session-outer`) instead of `Router::layer`, the same with
//! `handshake(false)`, or a layer that accepts every token kind + `ClerkMachine` (a handler
//! returning the machine's subject); the
//! client built from the environment (`CLERK_SECRET_KEY`, `CLERK_PUBLISHABLE_KEY`,
//! `CLERK_API_URL`, written by the bench's LocalClerk, `clerk-testing/examples/bench_local.rs`).
//!
//! `throughput_app rsa POOL PEM N HZ`: verifies N signatures of the tokens of the file POOL (in
//! turn) with the RSA public key in PEM (jsonwebtoken's `crypto::verify`, one thread) and prints
//! the process's CPU time per verification in microseconds (user + system from
//! `/proc/self/stat`, in clock ticks of HZ per second): the floor of a fresh token's cost.

use axum::Router;
use axum::ServiceExt;
use axum::extract::{Extension, Request};
use axum::routing::get;
use clerk_axum::{ClerkLayer, ClerkMachine, ClerkOptions, ClerkSession};
use clerk_core::machine::Accepts;
use tower::Layer as _;
use tower::util::MapRequestLayer;

const USER: &str = "user_bench";

fn usage() -> ! {
    eprintln!(
        "usage: throughput_app serve none|floor|session|session-outer|session-api|machine ADDR | rsa POOL PEM N HZ"
    );
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
        ["rsa", pool, pem, n, hz] => rsa(pool, pem, n.parse()?, hz.parse()?),
        _ => usage(),
    }
}

async fn serve(mode: &str, addr: &str) -> Result<(), Box<dyn std::error::Error>> {
    let app = match mode {
        "none" => Router::new().route("/", get(|| async { USER.to_owned() })),
        "floor" => Router::new()
            .route(
                "/",
                get(|Extension(user): Extension<&'static str>| async move { user.to_owned() }),
            )
            .layer(MapRequestLayer::new(|mut request: Request| {
                request.extensions_mut().insert(USER);
                request
            })),
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
        // `session` with the layer around the whole router instead of `Router::layer` (which
        // wraps each route, boxing the layered route's clone and its future per request).
        "session-outer" => {
            let app = ClerkLayer::new(clerk_core::Clerk::from_env()?).layer(Router::new().route(
                "/",
                get(
                    |ClerkSession(claims): ClerkSession| async move { claims.user_id().to_owned() },
                ),
            ));
            let listener = tokio::net::TcpListener::bind(addr).await?;
            axum::serve(listener, ServiceExt::<Request>::into_make_service(app)).await?;
            return Ok(());
        }
        _ => usage(),
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

fn rsa(pool: &str, pem: &str, n: usize, hz: f64) -> Result<(), Box<dyn std::error::Error>> {
    use jsonwebtoken::{Algorithm, DecodingKey, crypto};
    let key = DecodingKey::from_rsa_pem(std::fs::read_to_string(pem)?.as_bytes())?;
    let pool = std::fs::read_to_string(pool)?;
    let tokens: Vec<(&str, &str)> = pool
        .lines()
        .filter_map(|token| token.rsplit_once('.'))
        .collect();
    if tokens.is_empty() {
        return Err("no tokens in the pool".into());
    }
    let before = cpu_ticks()?;
    for (message, signature) in tokens.iter().cycle().take(n) {
        if !crypto::verify(signature, message.as_bytes(), &key, Algorithm::RS256)? {
            return Err("a pool token does not verify".into());
        }
    }
    let ticks = cpu_ticks()? - before;
    println!("{:.2}", ticks / hz * 1e6 / n.max(1) as f64);
    Ok(())
}

/// This process's CPU time (user + system) in clock ticks, from `/proc/self/stat`.
fn cpu_ticks() -> Result<f64, Box<dyn std::error::Error>> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The fields after the command name (which may hold spaces, within parentheses).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .ok_or("an unreadable /proc/self/stat")?
        .1
        .split_whitespace()
        .collect();
    let field = |i: usize| -> Result<f64, Box<dyn std::error::Error>> {
        Ok(fields.get(i).ok_or("a short /proc/self/stat")?.parse()?)
    };
    // utime and stime: fields 14 and 15 of the line, here 11 and 12 (the state is 0).
    Ok(field(11)? + field(12)?)
}
