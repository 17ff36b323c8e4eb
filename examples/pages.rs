//! Pages: a server-rendered Axum site, signed in with Clerk's browser session.
//!
//! With no `CLERK_SECRET_KEY` it starts a LocalClerk (an in-process Clerk, whose Frontend API
//! serves a sign-in page on `localhost`), seeds two users, and serves the app on
//! http://127.0.0.1:3000 (`PORT` to change): open it, sign in as Ada or Bob, and come back to the
//! dashboard after the session token has expired to see the server refresh it. The app is on
//! 127.0.0.1 and not `localhost` so that its cookies and the Frontend API's stay apart (a
//! browser keeps cookies per host, whatever the port). With `CLERK_SECRET_KEY` and
//! `CLERK_PUBLISHABLE_KEY` set it uses your instance, and its Account Portal to sign in.

use clerk_core::Clerk;
use clerk_examples::pages::{Links, app};
use clerk_testing::LocalClerk;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let configured = std::env::var("CLERK_SECRET_KEY").is_ok_and(|v| !v.trim().is_empty());

    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {error}; set PORT to another port");
            std::process::exit(2);
        }
    };
    let app_url = format!("http://{}", listener.local_addr()?);

    let (clerk, links, _local) = if configured {
        let clerk = Clerk::from_env()?;
        let links = Links::account_portal(&clerk, &app_url)
            .ok_or("set CLERK_PUBLISHABLE_KEY too: it names your instance's sign-in page")?;
        println!("Using your Clerk instance (CLERK_SECRET_KEY is set).");
        println!(
            "Add {app_url} to your instance's allowed redirect origins, sign in at {}",
            links.sign_in
        );
        println!(
            "(signing out needs Clerk's frontend, clerk-js: the Account Portal has no page for it)"
        );
        (clerk, links, None)
    } else {
        let local = LocalClerk::start().await;
        let demo = clerk_testing::demo::seed(&local);
        let links = Links::local(&local, &app_url);
        println!(
            "No CLERK_SECRET_KEY: running against an embedded LocalClerk (no account, no network)."
        );
        println!(
            "Its sign-in page lists the demo users: {} and {}.",
            demo.ada.first_name.as_deref().unwrap_or("Ada"),
            demo.bob.first_name.as_deref().unwrap_or("Bob"),
        );
        (local.clerk(), links, Some(local))
    };

    println!("\nOpen {app_url}/ in a browser (127.0.0.1, not localhost). Press Ctrl+C to stop.");
    let server = tokio::spawn(async move { axum::serve(listener, app(clerk, links)).await });
    tokio::select! {
        result = server => { result??; }
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
