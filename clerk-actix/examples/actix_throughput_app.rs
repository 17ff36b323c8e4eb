//! The actix-web app measured by `bench/throughput.sh` (see BENCHMARKS.md); not an example to
//! copy.
//!
//! `actix_throughput_app serve none|session ADDR`: serves `GET /` on ADDR with no middleware (a
//! handler returning the user id as a constant) or with `ClerkMiddleware` + `ClerkSession` (a
//! handler returning the session's user id), the client built from the environment
//! (`CLERK_SECRET_KEY`, `CLERK_PUBLISHABLE_KEY`, `CLERK_API_URL`, written by the bench's
//! LocalClerk, `clerk-testing/examples/bench_local.rs`). actix-web's default worker count (one
//! per CPU).

use actix_web::{App, HttpServer, web};
use clerk_actix::{ClerkMiddleware, ClerkSession};

const USER: &str = "user_bench";

fn usage() -> ! {
    eprintln!("usage: actix_throughput_app serve none|session ADDR");
    std::process::exit(2)
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, addr) = match args.as_slice() {
        [serve, mode, addr] if serve == "serve" => (mode.as_str(), addr.as_str()),
        _ => usage(),
    };
    match mode {
        "none" => {
            HttpServer::new(|| App::new().route("/", web::get().to(|| async { USER.to_owned() })))
                .bind(addr)?
                .run()
                .await?
        }
        "session" => {
            let middleware = ClerkMiddleware::new(clerk_core::Clerk::from_env()?);
            HttpServer::new(move || {
                App::new().wrap(middleware.clone()).route(
                    "/",
                    web::get().to(|ClerkSession(claims): ClerkSession| async move {
                        claims.user_id().to_owned()
                    }),
                )
            })
            .bind(addr)?
            .run()
            .await?
        }
        _ => usage(),
    }
    Ok(())
}
