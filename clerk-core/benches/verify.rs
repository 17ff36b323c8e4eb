//! Session-token verification speed: a fresh token through `Clerk`, the same token through a bare
//! `jsonwebtoken::decode` with the same key (the baseline: the RSA check is the floor), and a
//! repeated token served by the verified-token cache.
//!
//! Run with `cargo bench -p clerk-core --bench verify`. The last line prints the ratios.

use std::hint::black_box;
use std::path::Path;

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

fn mean_ns(dir: &Path, name: &str) -> f64 {
    let path = dir
        .join("verify")
        .join(name)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).expect("criterion estimates");
    json["mean"]["point_estimate"].as_f64().expect("mean")
}

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

    let jwk = &local.jwks_json()["keys"][0];
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
    criterion.final_summary();

    if std::env::args().any(|a| a == "--bench") {
        let (baseline, fresh, cached) = (
            mean_ns(&out, "baseline"),
            mean_ns(&out, "fresh"),
            mean_ns(&out, "cached"),
        );
        println!("means: baseline {baseline:.0} ns, fresh {fresh:.0} ns, cached {cached:.0} ns");
        println!(
            "verify: fresh/baseline = {:.2}, cached/fresh = {:.4}",
            fresh / baseline,
            cached / fresh
        );
    }
}
