//! Machine authentication through `ClerkLayer`, one request at a time (`tower::ServiceExt::oneshot`
//! on an axum router, LocalClerk on 127.0.0.1 as the Backend API):
//!
//! - `api_key_cached` against `api_key_uncached`: a route taking an API key (`ClerkMachine`),
//!   with the verdict cache (default TTL, 10 s) and without it (TTL 0: every request POSTs to
//!   LocalClerk's `/api_keys/verify`);
//! - `m2m_jwt` against `session`: an M2M JWT on that route against a session token on a
//!   `ClerkSession` route of the same layer (which accepts every kind); `session_only` is the
//!   session route of a layer that accepts session tokens only (the default), to show what telling
//!   the kinds apart costs a session.
//!
//! Run with `cargo bench -p clerk-axum --bench machine`. The last line prints the ratios.

#[path = "../../clerk-core/benches/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use clerk_axum::{ClerkLayer, ClerkMachine, ClerkOptions, ClerkSession};
use clerk_core::machine::Accepts;
use clerk_testing::{LocalClerk, NewUser};
use common::mean_ns;
use criterion::Criterion;
use http::{Request, StatusCode};
use tower::ServiceExt as _;

fn app(clerk: clerk_core::Clerk, accepts: Accepts) -> Router {
    Router::new()
        .route(
            "/machine",
            get(|machine: ClerkMachine| async move { machine.subject().to_owned() }),
        )
        .route(
            "/session",
            get(|ClerkSession(claims): ClerkSession| async move { claims.user_id().to_owned() }),
        )
        .layer(ClerkLayer::new(ClerkOptions::new(clerk).accepts(accepts)))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let local = runtime.block_on(LocalClerk::start());
    let user = local
        .users()
        .create(NewUser::with_email("ada@example.com"))
        .id;
    let (_, api_key) = local.api_keys().create(&user, "bench", ["orders:read"]);
    let machine = local.machines().create("bench").id;
    let m2m_jwt = local
        .machines()
        .mint_m2m_jwt(&machine, ["mch_orders"], 3600);
    let session = local.token(&user).expires_in(3600).mint();
    let cached = app(local.clerk(), Accepts::any());
    let uncached = app(
        local
            .clerk_builder()
            .machine_token_cache_ttl(Duration::ZERO)
            .build()
            .expect("valid"),
        Accepts::any(),
    );
    let session_only = app(local.clerk(), Accepts::default());

    let call = |app: &Router, path: &str, token: &str| {
        let request = Request::get(path)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("a request");
        let response = runtime
            .block_on(app.clone().oneshot(request))
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    };
    let cases: [(&str, &Router, &str, &str); 5] = [
        ("api_key_cached", &cached, "/machine", &api_key),
        ("api_key_uncached", &uncached, "/machine", &api_key),
        ("m2m_jwt", &cached, "/machine", &m2m_jwt),
        ("session", &cached, "/session", &session),
        ("session_only", &session_only, "/session", &session),
    ];

    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion");
    let mut criterion = Criterion::default()
        .output_directory(&out)
        .configure_from_args();
    let mut group = criterion.benchmark_group("machine_route");
    for (name, app, path, token) in cases {
        call(app, path, token);
        group.bench_function(name, |b| b.iter(|| call(app, path, token)));
    }
    group.finish();
    criterion.final_summary();

    if std::env::args().any(|a| a == "--bench") {
        let mean = |name: &str| mean_ns(&out, "machine_route", name);
        for (name, ..) in cases {
            println!("{name}: {:.0} ns", mean(name));
        }
        println!(
            "machine: api_key_cached/api_key_uncached = {:.3}, m2m_jwt/session = {:.2}, session/session_only = {:.2}",
            mean("api_key_cached") / mean("api_key_uncached"),
            mean("m2m_jwt") / mean("session"),
            mean("session") / mean("session_only"),
        );
    }
    drop(local);
}
