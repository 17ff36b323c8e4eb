//! The actix-web app measured by `bench/throughput.sh` (see BENCHMARKS.md); not an example to
//! copy.
//!
//! `actix_throughput_app serve none|floor|session|machine ADDR`: serves `GET /` on ADDR with no
//! middleware (a handler returning the user id as a constant); with the floor of any middleware
//! that hands a value to its handler (`wrap_fn` storing the user id in the request's extensions,
//! read with `web::ReqData`: nothing checked); with `ClerkMiddleware` +
//! `ClerkSession` (a handler returning the session's user id), or a middleware that accepts every
//! token kind + `ClerkMachine` (a handler returning the machine's subject), the client built from the environment
//! (`CLERK_SECRET_KEY`, `CLERK_PUBLISHABLE_KEY`, `CLERK_API_URL`, written by the bench's
//! LocalClerk, `clerk-testing/examples/bench_local.rs`). actix-web's default worker count (one
//! per CPU).

use actix_web::dev::Service as _;
use actix_web::{App, HttpMessage as _, HttpServer, web};
use clerk_actix::{ClerkMachine, ClerkMiddleware, ClerkOptions, ClerkSession};
use clerk_core::machine::Accepts;

const USER: &str = "user_bench";

fn usage() -> ! {
    eprintln!("usage: actix_throughput_app serve none|floor|session|machine ADDR");
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
        "floor" => {
            HttpServer::new(|| {
                App::new()
                    .wrap_fn(|request, service| {
                        request.extensions_mut().insert(USER);
                        service.call(request)
                    })
                    .route(
                        "/",
                        web::get().to(|user: web::ReqData<&'static str>| async move {
                            user.into_inner().to_owned()
                        }),
                    )
            })
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
        "machine" => {
            let middleware = ClerkMiddleware::new(
                ClerkOptions::new(clerk_core::Clerk::from_env()?).accepts(Accepts::any()),
            );
            HttpServer::new(move || {
                App::new().wrap(middleware.clone()).route(
                    "/",
                    web::get()
                        .to(|machine: ClerkMachine| async move { machine.subject().to_owned() }),
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
