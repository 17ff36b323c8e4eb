//! The Frontend API proxy's added latency with actix-web: `clerk-axum/benches/proxy.rs` (which
//! says what is measured and how) with an actix-web app (`FrontendApiProxyMiddleware` outside
//! `ClerkMiddleware`, one worker thread) in place of the axum app; LocalClerk and the client
//! run on the actix system's thread. Run with `cargo bench -p clerk-actix --bench proxy`.

#[path = "../../clerk-axum/benches/proxy_common/mod.rs"]
mod proxy_common;

use actix_web::{App, HttpServer, web};
use clerk_actix::{ClerkMiddleware, FrontendApiProxyMiddleware};
use clerk_core::proxy::FrontendApiProxy;
use clerk_testing::LocalClerk;

fn main() {
    actix_web::rt::System::new().block_on(async {
        let local = LocalClerk::start().await;
        let clerk = local.clerk();
        let proxy =
            FrontendApiProxyMiddleware::new(FrontendApiProxy::new(&clerk).expect("a proxy"));
        let server = HttpServer::new(move || {
            App::new()
                .wrap(ClerkMiddleware::new(clerk.clone()))
                .wrap(proxy.clone())
                .route("/", web::get().to(|| async { "home" }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("a port");
        let app_url = format!("http://{}", server.addrs()[0]);
        actix_web::rt::spawn(server.run());

        let path = proxy_common::sign_in_path();
        let direct = format!("{}{path}", local.frontend().url());
        let proxied = format!("{app_url}/__clerk{path}");
        proxy_common::measure("actix-web", &direct, &proxied).await;
    });
}
