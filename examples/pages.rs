//! Pages: a server-rendered Axum site, signed in with Clerk's browser session.
//!
//! With no `CLERK_SECRET_KEY` it starts a LocalClerk (an in-process Clerk, whose Frontend API
//! serves a sign-in page on `localhost`), seeds two users and their organization, and serves
//! the app on http://127.0.0.1:3000 (`PORT` to change): open it, sign in as Ada or Bob, and come
//! back to the dashboard after the session token has expired to see the server refresh it;
//! `/orgs/acme-inc` makes Acme the active organization, `/me` goes back to the personal
//! account (a signed-out visitor of either is sent to sign in and back). The app is on
//! 127.0.0.1 and not `localhost` so that its cookies and the Frontend API's stay apart (a
//! browser keeps cookies per host, whatever the port). With `CLERK_SECRET_KEY` and
//! `CLERK_PUBLISHABLE_KEY` set it uses your instance, and its Account Portal to sign in.
//!
//! `-- --proxy` (or `PAGES_PROXY=1`) runs it through the Frontend API proxy, mounted at
//! `/__clerk`: the browser then talks to the app's origin only.
//!
//! The actix-web version: `cargo run -p clerk-examples --features actix --example pages_actix`.

use clerk_examples::pages::{app, proxy_requested, setup, with_proxy};

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
    let setup = setup(&app_url, proxy_requested()).await?;
    let _local = setup.local;
    let app = with_proxy(app(setup.clerk, setup.links), setup.proxy);

    println!("\nOpen {app_url}/ in a browser (127.0.0.1, not localhost). Press Ctrl+C to stop.");
    // With the peer's address, for the proxy's X-Forwarded-For.
    let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });
    tokio::select! {
        result = server => { result??; }
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
