//! Pages with actix-web: the same server-rendered site as `pages` (Axum), on the same terms
//! (an embedded LocalClerk without `CLERK_SECRET_KEY`, http://127.0.0.1:3000, `PORT` to change).
//!
//! Run: `cargo run -p clerk-examples --features actix --example pages_actix`

use actix_web::{App, HttpServer};
use clerk_actix::ClerkMiddleware;
use clerk_examples::pages::clerk_and_links;
use clerk_examples::pages_actix::routes;

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
    let (clerk, links, _local) = clerk_and_links(&app_url).await?;

    // Built once and cloned into every worker: the workers share one user cache and one set of
    // refreshes in flight.
    let middleware = ClerkMiddleware::new(clerk);
    let routes = routes(links);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(middleware.clone())
            .configure(routes.clone())
    })
    .workers(2)
    .listen(listener)?
    .run();
    println!("\nOpen {app_url}/ in a browser (127.0.0.1, not localhost). Press Ctrl+C to stop.");
    server.await?;
    Ok(())
}
