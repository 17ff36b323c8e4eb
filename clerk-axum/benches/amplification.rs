//! How many Backend API calls a flood of made-up API keys causes (see BENCHMARKS.md): 10 000
//! requests, 64 at a time, each with a random `ak_` token of Clerk's shape, against an Axum app
//! whose `ClerkLayer` accepts API keys, on a LocalClerk that answers like Clerk (after 20 ms,
//! its latency over the internet). Meanwhile a real client with a real API key calls the same
//! app in a loop. Run twice in one process: with the default limits, and with the in-flight cap
//! lifted (10 000), the baseline of what the layer would cost Clerk without it.
//!
//! `cargo bench -p clerk-axum --bench amplification`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use clerk_axum::{ClerkCaller, ClerkLayer, ClerkOptions};
use clerk_core::machine::{Accepts, DEFAULT_VERIFY_CONCURRENCY, TokenKind};
use clerk_testing::{Fault, LocalClerk, NewUser};

const REQUESTS: usize = 10_000;
const CONCURRENCY: usize = 64;
const CLERK_LATENCY: Duration = Duration::from_millis(20);

struct Run {
    elapsed: Duration,
    verify_calls: usize,
    statuses: [usize; 3],
    real_ok: usize,
    real_total: usize,
}

async fn run(concurrency_cap: usize) -> Run {
    let local = LocalClerk::start().await;
    let user = local.users().create(NewUser::with_email("ada@example.com"));
    let (_, real_key) = local.api_keys().create(&user.id, "real", ["read"]);
    let clerk = local
        .clerk_builder()
        .machine_verify_concurrency(concurrency_cap)
        .build()
        .expect("valid");
    let options = ClerkOptions::new(clerk)
        .accepts(Accepts::kinds([TokenKind::SessionToken, TokenKind::ApiKey]))
        .handshake(false);
    let app = Router::new()
        .route(
            "/",
            get(|caller: ClerkCaller| async move { format!("{:?}", caller.0.kind()) }),
        )
        .layer(ClerkLayer::new(options));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY * 2)
        .build()
        .expect("a client");
    // The real client's key is verified (and its verdict cached) before the flood.
    let first = http
        .get(&url)
        .bearer_auth(&real_key)
        .send()
        .await
        .expect("sent");
    assert_eq!(first.status(), 200);
    local.faults().set_api(Some(Fault::Delay(CLERK_LATENCY)));
    let calls_before = local.requests().count("verifyApiKey");

    let done = Arc::new(AtomicBool::new(false));
    let (real_ok, real_total) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let real = {
        let (http, url, done) = (http.clone(), url.clone(), done.clone());
        let (ok, total) = (real_ok.clone(), real_total.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                let response = http.get(&url).bearer_auth(&real_key).send().await;
                total.fetch_add(1, Ordering::Relaxed);
                if response.is_ok_and(|r| r.status() == 200) {
                    ok.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let next = Arc::new(AtomicUsize::new(0));
    let statuses: Arc<[AtomicUsize; 3]> = Arc::new(Default::default());
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (http, url, next, statuses) =
                (http.clone(), url.clone(), next.clone(), statuses.clone());
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < REQUESTS {
                    let token = format!("ak_{}", random_secret());
                    let status = http
                        .get(&url)
                        .bearer_auth(token)
                        .send()
                        .await
                        .map_or(0, |r| r.status().as_u16());
                    let slot = match status {
                        401 => 0,
                        503 => 1,
                        _ => 2,
                    };
                    statuses[slot].fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a worker");
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    real.await.expect("the real client");
    Run {
        elapsed,
        verify_calls: local.requests().count("verifyApiKey") - calls_before,
        statuses: [0, 1, 2].map(|i| statuses[i].load(Ordering::Relaxed)),
        real_ok: real_ok.load(Ordering::Relaxed),
        real_total: real_total.load(Ordering::Relaxed),
    }
}

/// 32 random base62 characters (xorshift seeded from the clock: unpredictable enough here).
fn random_secret() -> String {
    use std::cell::Cell;
    thread_local!(static STATE: Cell<u64> = Cell::new(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1
    ));
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    STATE.with(|state| {
        (0..32)
            .map(|_| {
                let mut x = state.get();
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                state.set(x);
                char::from(ALPHABET[(x % 62) as usize])
            })
            .collect()
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "{REQUESTS} requests with made-up `ak_` tokens, {CONCURRENCY} at a time; LocalClerk answers after {CLERK_LATENCY:?}"
    );
    for (name, cap) in [
        ("limits on (default cap)", DEFAULT_VERIFY_CONCURRENCY),
        ("cap lifted (baseline)", REQUESTS),
    ] {
        let run = run(cap).await;
        let per_second = run.verify_calls as f64 / run.elapsed.as_secs_f64();
        println!(
            "{name:<24} cap {cap:>5}: {:>6.2} s, verify calls {:>5} ({per_second:>6.0}/s, bound cap/latency = {:.0}/s), answers 401 {} / 503 {} / other {}, real client 200 {}/{}",
            run.elapsed.as_secs_f64(),
            run.verify_calls,
            cap as f64 / CLERK_LATENCY.as_secs_f64(),
            run.statuses[0],
            run.statuses[1],
            run.statuses[2],
            run.real_ok,
            run.real_total,
        );
    }
}
