//! Quickstart: a protected Axum app.
//!
//! With no `CLERK_SECRET_KEY` it starts a LocalClerk (an in-process Clerk on 127.0.0.1), seeds a
//! demo organization with two users, prints ready-to-paste curl commands with fresh session
//! tokens, and serves on http://127.0.0.1:3000 (`PORT` to change). With `CLERK_SECRET_KEY` (and
//! `CLERK_PUBLISHABLE_KEY`) set it uses your Clerk instance instead.
//!
//! `-- --check` runs the printed commands against the server and exits: 0 when every status is
//! the promised one, and prints what the SDK did meanwhile (`Clerk::stats`).

use clerk_core::Clerk;
use clerk_examples::quickstart::{app, print_tries, run_checks, tries};
use clerk_testing::LocalClerk;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
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
        // Ten minutes, so there is time to paste them (Clerk's own tokens live 60 seconds).
        let commands = tries(&demo.ada_token(&local, 600), &demo.bob_token(&local, 600));
        (local.clerk(), commands, Some(local))
    };

    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {error}; set PORT to another port");
            std::process::exit(2);
        }
    };
    let base = format!("http://{}", listener.local_addr()?);
    let counted = clerk.clone();
    let server = tokio::spawn(async move { axum::serve(listener, app(clerk)).await });

    print_tries(&base, &commands, configured);
    if check {
        let failed = run_checks(&base, &commands).await;
        server.abort();
        if failed > 0 {
            eprintln!("{failed} command(s) did not answer as promised");
            std::process::exit(1);
        }
        println!("--check: every command answered as promised");
        // What the SDK did meanwhile: key fetches, cache hits, Backend API calls.
        println!("Clerk stats: {}", counted.stats());
        return Ok(());
    }
    println!("Press Ctrl+C to stop.");
    tokio::select! {
        result = server => { result??; }
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
