//! Pages with actix-web: the same server-rendered site as `pages` (Axum), on the same terms
//! (an embedded LocalClerk without `CLERK_SECRET_KEY`, http://127.0.0.1:3000, `PORT` to change,
//! `-- --proxy` or `PAGES_PROXY=1` to run through the Frontend API proxy at `/__clerk`).
//!
//! Run: `cargo run -p clerk-examples --features actix --example pages_actix`

use actix_web::{App, HttpServer};
use clerk_examples::pages::{proxy_requested, setup};
use clerk_examples::pages_actix::{MaybeProxy, middleware, routes};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    actix_web::rt::System::new().block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {error}; set PORT to another port");
            std::process::exit(2);
        }
    };
    let app_url = format!("http://{}", listener.local_addr()?);
    let setup = setup(&app_url, proxy_requested()).await?;
    let _local = setup.local;

    // Built once and cloned into every worker: the workers share one user cache, one set of
    // refreshes in flight and the proxy's connection pool.
    let proxy = MaybeProxy::new(setup.proxy, &setup.clerk)?;
    let middleware = middleware(setup.clerk);
    let routes = routes(setup.links);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(middleware.clone())
            .wrap(proxy.condition()) // the last wrap is the outermost
            .configure(routes.clone())
    })
    .workers(2)
    .listen(listener)?
    .run();
    println!("\nOpen {app_url}/ in a browser (127.0.0.1, not localhost). Press Ctrl+C to stop.");
    server.await?;
    Ok(())
}
