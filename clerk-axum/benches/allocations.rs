//! Heap allocations per request: what `ClerkLayer` plus the `ClerkSession` extractor add over the
//! same router without them, on each path a request can take (issue 25). Counted by dhat's
//! global allocator (every `alloc` and `realloc`, and the bytes they ask for), over `REQUESTS`
//! requests per case sent with `tower::ServiceExt::oneshot` on a current-thread runtime, after a
//! warm-up (keys fetched, caches filled). The requests are built before counting starts, so only
//! the router's own work is counted; the two sides of each row get identical requests.
//!
//! - `repeated`: the same session token in `Authorization` on every request (verified once);
//! - `cookie`: the same token as a browser's page request sends it (`__session`, `__client_uat`,
//!   the dev browser token, `Accept: text/html`, `Sec-Fetch-Dest: document`);
//! - `fresh`: a token never seen before on every request (RSA verification, claim decoding);
//! - `api_key`: an API key whose verdict is cached (`ClerkMachine` instead of `ClerkSession`);
//! - `m2m_jwt`: an M2M JWT (`ClerkMachine`).
//!
//! Each row also gives what the floor of any middleware that hands a value to its handler adds
//! (a `tower::util::MapRequestLayer` storing one value in the request's extensions, read with
//! `Extension`): `Router::layer` boxes a layered route's clone and its future, and the value is
//! boxed in the extensions.
//!
//! Run with `cargo bench -p clerk-axum --bench allocations`; record the output in BENCHMARKS.md.
//! With `ALLOCATIONS_PROFILE=<file>` it also writes dhat's profile (every allocation site with
//! its backtrace; open it in dhat's viewer, `dh_view.html`) to find where they come from, and
//! `ALLOCATIONS_CASES=repeated,cookie` runs only those cases.

use axum::Extension;
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use clerk_axum::{ClerkLayer, ClerkMachine, ClerkOptions, ClerkSession};
use clerk_core::machine::Accepts;
use clerk_testing::{LocalClerk, NewUser};
use http::{Request, StatusCode};
use tower::ServiceExt as _;
use tower::util::MapRequestLayer;

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

const REQUESTS: u64 = 2_000;

/// One row: the requests, and the routers they go to with and without the layer.
struct Case {
    name: &'static str,
    with_layer: Router,
    headers: Vec<(&'static str, String)>,
    /// A distinct token per request (the fresh path) instead of `headers` alone.
    fresh: Option<Vec<String>>,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let local = runtime.block_on(LocalClerk::start());
    let user = local
        .users()
        .create(NewUser::with_email("ada@example.com"))
        .id;
    let session = local.token(&user).expires_in(3600).mint();
    let (_, api_key) = local.api_keys().create(&user, "bench", ["orders:read"]);
    let machine = local.machines().create("bench").id;
    let m2m_jwt = local
        .machines()
        .mint_m2m_jwt(&machine, ["mch_orders"], 3600);
    // Minted before counting: RSA signing allocates.
    let fresh: Vec<String> = (0..=REQUESTS)
        .map(|_| local.token(&user).expires_in(3600).mint())
        .collect();

    // The handlers of both sides allocate their answer alike.
    let without_layer = Router::new()
        .route("/session", get(|| async { "user_bench".to_owned() }))
        .route("/machine", get(|| async { "user_bench".to_owned() }))
        // As `axum::serve` does: the routes are built once, not per request.
        .with_state(());
    // The floor of any middleware that hands a value to its handler: a `MapRequestLayer` that
    // stores one value in the request's extensions, read with `Extension` (nothing checked).
    let floor = Router::new()
        .route(
            "/session",
            get(|Extension(user): Extension<&'static str>| async move { user.to_owned() }),
        )
        .route(
            "/machine",
            get(|Extension(user): Extension<&'static str>| async move { user.to_owned() }),
        )
        .layer(MapRequestLayer::new(|mut request: Request<Body>| {
            request.extensions_mut().insert("user_bench");
            request
        }))
        .with_state(());
    let layer = |accepts: Accepts| {
        Router::new()
            .route(
                "/session",
                get(
                    |ClerkSession(claims): ClerkSession| async move { claims.user_id().to_owned() },
                ),
            )
            .route(
                "/machine",
                get(|machine: ClerkMachine| async move { machine.subject().to_owned() }),
            )
            .layer(ClerkLayer::new(
                ClerkOptions::new(local.clerk()).accepts(accepts),
            ))
            .with_state(())
    };
    let bearer = |token: &str| vec![("authorization", format!("Bearer {token}"))];
    let cases = [
        Case {
            name: "repeated",
            with_layer: layer(Accepts::default()),
            headers: bearer(&session),
            fresh: None,
        },
        Case {
            name: "cookie",
            with_layer: layer(Accepts::default()),
            headers: vec![
                (
                    "cookie",
                    format!("__session={session}; __client_uat=1; __clerk_db_jwt=dvb_bench"),
                ),
                ("accept", "text/html,application/xhtml+xml".to_owned()),
                ("sec-fetch-dest", "document".to_owned()),
            ],
            fresh: None,
        },
        Case {
            name: "fresh",
            with_layer: layer(Accepts::default()),
            headers: Vec::new(),
            fresh: Some(fresh),
        },
        Case {
            name: "api_key",
            with_layer: layer(Accepts::any()),
            headers: bearer(&api_key),
            fresh: None,
        },
        Case {
            name: "m2m_jwt",
            with_layer: layer(Accepts::any()),
            headers: bearer(&m2m_jwt),
            fresh: None,
        },
    ];

    let _profiler = match std::env::var_os("ALLOCATIONS_PROFILE") {
        Some(file) => dhat::Profiler::builder().file_name(file).build(),
        None => dhat::Profiler::builder().testing().build(),
    };
    println!(
        "allocations per request over {REQUESTS} requests (dhat): with the layer and its extractor, without, and what the layer adds"
    );
    let only = std::env::var("ALLOCATIONS_CASES").ok();
    for case in &cases {
        if only
            .as_deref()
            .is_some_and(|only| !only.split(',').any(|name| name == case.name))
        {
            continue;
        }
        let path = if case.name == "api_key" || case.name == "m2m_jwt" {
            "/machine"
        } else {
            "/session"
        };
        let requests = |tokens: Option<&[String]>, n: usize| -> Vec<Request<Body>> {
            (0..n)
                .map(|i| {
                    let mut request = Request::get(path);
                    for (name, value) in &case.headers {
                        request = request.header(*name, value);
                    }
                    if let Some(tokens) = tokens {
                        request = request.header("authorization", format!("Bearer {}", tokens[i]));
                    }
                    request.body(Body::empty()).expect("a request")
                })
                .collect()
        };
        // Warm-up: keys fetched, the verdict or token cached (the fresh path warms up on a token
        // it then never sends again).
        let warm_up = case
            .fresh
            .as_deref()
            .map(|tokens| &tokens[REQUESTS as usize..]);
        for request in requests(warm_up, 1) {
            let response = runtime
                .block_on(case.with_layer.clone().oneshot(request))
                .expect("infallible");
            assert_eq!(response.status(), StatusCode::OK, "{}", case.name);
        }
        let count = |router: &Router, requests: Vec<Request<Body>>| -> (f64, f64) {
            let before = dhat::HeapStats::get();
            for request in requests {
                let response = runtime
                    .block_on(router.clone().oneshot(request))
                    .expect("infallible");
                assert_eq!(response.status(), StatusCode::OK, "{}", case.name);
            }
            let after = dhat::HeapStats::get();
            let per = |n: u64| n as f64 / REQUESTS as f64;
            (
                per(after.total_blocks - before.total_blocks),
                per(after.total_bytes - before.total_bytes),
            )
        };
        let tokens = case.fresh.as_deref();
        let n = REQUESTS as usize;
        let (with_blocks, with_bytes) = count(&case.with_layer, requests(tokens, n));
        let (without_blocks, without_bytes) = count(&without_layer, requests(tokens, n));
        let (floor_blocks, floor_bytes) = count(&floor, requests(tokens, n));
        println!(
            "{:<9} with {with_blocks:6.2} allocations {with_bytes:8.0} B   without {without_blocks:6.2} allocations {without_bytes:8.0} B   layer adds {:6.2} allocations {:8.0} B   (floor adds {:5.2} allocations {:6.0} B)",
            case.name,
            with_blocks - without_blocks,
            with_bytes - without_bytes,
            floor_blocks - without_blocks,
            floor_bytes - without_bytes,
        );
    }
    drop(local);
}
