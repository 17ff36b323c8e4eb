//! Pages: a server-rendered Axum site, signed in with Clerk's browser session.
//!
//! With no `CLERK_SECRET_KEY` it starts a LocalClerk (an in-process Clerk, whose Frontend API
//! serves a sign-in page on `localhost`), seeds two users, and serves the app on
//! http://127.0.0.1:3000 (`PORT` to change): open it, sign in as Ada or Bob, and come back to the
//! dashboard after the session token has expired to see the server refresh it. The app is on
//! 127.0.0.1 and not `localhost` so that its cookies and the Frontend API's stay apart (a
//! browser keeps cookies per host, whatever the port). With `CLERK_SECRET_KEY` and
//! `CLERK_PUBLISHABLE_KEY` set it uses your instance, and its Account Portal to sign in.
//!
//! The actix-web version: `cargo run -p clerk-examples --features actix --example pages_actix`.

use clerk_examples::pages::{app, clerk_and_links};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {error}; set PORT to another port");
            std::process::exit(2);
        }
    };
    let app_url = format!("http://{}", listener.local_addr()?);
    let (clerk, links, _local) = clerk_and_links(&app_url).await?;

    println!("\nOpen {app_url}/ in a browser (127.0.0.1, not localhost). Press Ctrl+C to stop.");
    let server = tokio::spawn(async move { axum::serve(listener, app(clerk, links)).await });
    tokio::select! {
        result = server => { result??; }
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
