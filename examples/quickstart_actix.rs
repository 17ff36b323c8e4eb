//! Quickstart with actix-web: the same protected app as `quickstart` (Axum).
//!
//! With no `CLERK_SECRET_KEY` it starts a LocalClerk in-process, seeds the demo organization,
//! prints curl commands with fresh session tokens, and serves on http://127.0.0.1:3000 (`PORT` to
//! change). With `CLERK_SECRET_KEY` set it uses your Clerk instance. `-- --check` runs the
//! printed commands against the server and exits.
//!
//! Run: `cargo run -p clerk-examples --features actix --example quickstart_actix`

use actix_web::{App, HttpServer};
use clerk_actix::ClerkMiddleware;
use clerk_core::Clerk;
use clerk_examples::quickstart::{print_tries, run_checks, tries};
use clerk_examples::quickstart_actix::routes;
use clerk_testing::LocalClerk;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    actix_web::rt::System::new().block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let check = std::env::args().any(|a| a == "--check");
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let configured = std::env::var("CLERK_SECRET_KEY").is_ok_and(|v| !v.trim().is_empty());

    let (clerk, commands, _local) = if configured {
        (Clerk::from_env()?, Vec::new(), None)
    } else {
        let local = LocalClerk::start().await;
        let demo = clerk_testing::demo::seed(&local);
        let commands = tries(&demo.ada_token(&local, 600), &demo.bob_token(&local, 600));
        (local.clerk(), commands, Some(local))
    };

    // Built once and cloned into every worker: the workers share one user cache.
    let middleware = ClerkMiddleware::new(clerk);
    let server =
        match HttpServer::new(move || App::new().wrap(middleware.clone()).configure(routes))
            .workers(2)
            .bind(("127.0.0.1", port))
        {
            Ok(server) => server,
            Err(error) => {
                eprintln!("cannot listen on 127.0.0.1:{port}: {error}; set PORT to another port");
                std::process::exit(2);
            }
        };
    let base = format!("http://{}", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    let running = actix_web::rt::spawn(server);

    print_tries(&base, &commands, configured);
    if check {
        let failed = run_checks(&base, &commands).await;
        handle.stop(true).await;
        if failed > 0 {
            eprintln!("{failed} command(s) did not answer as promised");
            std::process::exit(1);
        }
        println!("--check: every command answered as promised");
        return Ok(());
    }
    println!("Press Ctrl+C to stop.");
    running.await??;
    Ok(())
}
