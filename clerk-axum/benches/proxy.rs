//! The Frontend API proxy's added latency, over loopback: the same request (LocalClerk's
//! sign-in page, `GET /sign-in?redirect_url=…` with a known `__client` cookie, about 800 bytes
//! of HTML) sent directly to LocalClerk's Frontend API (`http://localhost:<port>`) and through
//! an axum app's `FrontendApiProxyLayer` at `/__clerk` (the app on 127.0.0.1 in the same
//! process, `ClerkLayer` inside the proxy as an app would have it), one request at a time, by
//! one keep-alive HTTP/1.1 client, on a 2-thread runtime.
//!
//! Each request's whole time is recorded (send, answer, body read), direct and proxied taking
//! turns, so that both see the same machine; the percentiles are of the individual requests.
//! Run with `cargo bench -p clerk-axum --bench proxy` (`PROXY_BENCH_REQUESTS` sets the number
//! of measured pairs, 5 000 by default). The last line prints the p50s and the difference; the
//! target is at most 1 ms added at p50. `cargo bench -p clerk-actix --bench proxy` is the same
//! with actix-web.

#[path = "proxy_common/mod.rs"]
mod proxy_common;

use axum::Router;
use axum::routing::get;
use clerk_axum::{ClerkLayer, FrontendApiProxyLayer};
use clerk_core::proxy::FrontendApiProxy;
use clerk_testing::LocalClerk;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let local = LocalClerk::start().await;
        let clerk = local.clerk();
        let proxy = FrontendApiProxy::new(&clerk).expect("a proxy");
        let app = Router::new()
            .route("/", get(|| async { "home" }))
            .layer(ClerkLayer::new(clerk))
            .layer(FrontendApiProxyLayer::new(proxy));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let app_url = format!("http://{}", listener.local_addr().expect("an address"));
        tokio::spawn(async move { axum::serve(listener, app).await });

        let path = proxy_common::sign_in_path();
        let direct = format!("{}{path}", local.frontend().url());
        let proxied = format!("{app_url}/__clerk{path}");
        proxy_common::measure("axum", &direct, &proxied).await;
    });
}
