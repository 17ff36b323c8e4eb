//! Session-token verification speed: a fresh token through `Clerk`, the same token through a bare
//! `jsonwebtoken::decode` with the same key (the baseline: the RSA check is the floor), a
//! repeated token served by the verified-token cache, and a token never seen before on a client
//! whose verified-token cache is full (the fresh path of a busy app: every iteration verifies a
//! new token from a pre-minted pool).
//!
//! Run with `cargo bench -p clerk-core --bench verify`. The last line prints the ratios.

mod common;

use std::hint::black_box;
use std::path::Path;

use common::mean_ns;

use clerk_core::Clerk;
use clerk_testing::LocalClerk;
use criterion::Criterion;
use futures::FutureExt as _;

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct StandardClaims {
    sub: String,
    sid: String,
    iss: String,
    azp: Option<String>,
    exp: i64,
    iat: i64,
    nbf: Option<i64>,
}

/// Runs a verification that completes without waiting (keys are loaded).
fn ready(clerk: &Clerk, token: &str) -> clerk_core::SessionClaims {
    clerk
        .verify_token(token)
        .now_or_never()
        .expect("keys are loaded, so verification does not wait")
        .expect("valid token")
}

/// `count` distinct tokens (each has its own session id), minted on every core.
fn mint_many(local: &LocalClerk, count: usize) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|i| {
                let share = count / threads + usize::from(i < count % threads);
                scope.spawn(move || {
                    (0..share)
                        .map(|_| local.token("user_pool").expires_in(3600).mint())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("minting thread"))
            .collect()
    })
}

/// Tokens for the full-cache case: enough for its warm-up and measurement (the case panics if
/// the pool runs out rather than measure repeated tokens).
const POOL: usize = 30_000;

/// The verified-token cache of the full-cache case.
const FULL_CAPACITY: u64 = 2_000;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let local = runtime.block_on(LocalClerk::start());
    let token = local
        .token("user_2NNEqL2nrIRdJ194ndJqAHwEfxC")
        .azp("https://app.example.com")
        .org(
            "org_2NNEq",
            "acme",
            "org:admin",
            [
                "org:invoices:read",
                "org:invoices:write",
                "org:teams:manage",
            ],
        )
        .features(["u:beta"])
        .plan("o:pro")
        .expires_in(3600)
        .mint();

    let cached = local.clerk();
    let uncached = local
        .clerk_builder()
        .token_cache_capacity(0)
        .build()
        .expect("valid");
    runtime
        .block_on(cached.verify_token(&token))
        .expect("keys load");
    runtime
        .block_on(uncached.verify_token(&token))
        .expect("keys load");

    let jwk = &local.keys().jwks()["keys"][0];
    let key = jsonwebtoken::DecodingKey::from_rsa_components(
        jwk["n"].as_str().expect("n"),
        jwk["e"].as_str().expect("e"),
    )
    .expect("rsa key");
    let validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);

    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion");
    let mut criterion = Criterion::default()
        .output_directory(&out)
        .configure_from_args();
    let mut group = criterion.benchmark_group("verify");
    group.bench_function("baseline", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<StandardClaims>(black_box(&token), &key, &validation)
                .expect("valid")
        })
    });
    group.bench_function("fresh", |b| b.iter(|| ready(&uncached, black_box(&token))));
    group.bench_function("cached", |b| b.iter(|| ready(&cached, black_box(&token))));
    group.finish();

    // A client whose verified-token cache (2 000 entries, to keep the minting short) is full of
    // tokens each verified twice, as by a user's repeated requests; then a token never seen
    // before on every iteration.
    let full = local
        .clerk_builder()
        .token_cache_capacity(FULL_CAPACITY)
        .build()
        .expect("valid");
    runtime
        .block_on(full.verify_token(&token))
        .expect("keys load");
    let measured = std::env::args().any(|a| a == "--bench");
    if measured {
        let started = std::time::Instant::now();
        for old in mint_many(&local, FULL_CAPACITY as usize) {
            ready(&full, &old);
            ready(&full, &old);
        }
        assert!(
            full.cached_token_count() >= FULL_CAPACITY * 9 / 10,
            "the cache is full"
        );
        println!("cache filled in {:?}", started.elapsed());
    }
    let pool = if measured {
        mint_many(&local, POOL)
    } else {
        mint_many(&local, 200)
    };
    let mut next = 0;
    let mut group = criterion.benchmark_group("verify_full");
    group
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_millis(100))
        .measurement_time(std::time::Duration::from_millis(400))
        .sampling_mode(criterion::SamplingMode::Flat);
    group.bench_function("fresh_full_cache", |b| {
        b.iter_custom(|iters| {
            let tokens = pool
                .get(next..next + iters as usize)
                .expect("the pool of fresh tokens ran out: raise POOL");
            next += tokens.len();
            let start = std::time::Instant::now();
            for token in tokens {
                black_box(ready(&full, token));
            }
            start.elapsed()
        })
    });
    group.finish();
    criterion.final_summary();

    if measured {
        let (baseline, fresh, cached, full) = (
            mean_ns(&out, "verify", "baseline"),
            mean_ns(&out, "verify", "fresh"),
            mean_ns(&out, "verify", "cached"),
            mean_ns(&out, "verify_full", "fresh_full_cache"),
        );
        println!(
            "means: baseline {baseline:.0} ns, fresh {fresh:.0} ns, cached {cached:.0} ns, fresh with a full cache {full:.0} ns ({next} pool tokens used)"
        );
        println!(
            "verify: fresh/baseline = {:.2}, fresh-full-cache/baseline = {:.2}, cached/fresh = {:.4}",
            fresh / baseline,
            full / baseline,
            cached / fresh
        );
    }
}
