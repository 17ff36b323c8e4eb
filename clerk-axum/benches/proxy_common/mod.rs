//! The measurement of the Frontend API proxy benches (`clerk-axum/benches/proxy.rs`,
//! `clerk-actix/benches/proxy.rs`): the same request sent directly to LocalClerk's Frontend API
//! and through an app's proxy, taking turns, each request timed on its own.

use std::time::{Duration, Instant};

/// Measured pairs when `PROXY_BENCH_REQUESTS` is not set.
const DEFAULT_PAIRS: usize = 5_000;
/// Pairs sent before measuring (connections opened, caches warm).
const WARMUP_PAIRS: usize = 500;

/// The request: LocalClerk's sign-in page (about 800 bytes of HTML), for one browser client.
pub fn sign_in_path() -> &'static str {
    "/sign-in?redirect_url=http%3A%2F%2F127.0.0.1%3A3000%2F"
}

/// Times `pairs` (or `PROXY_BENCH_REQUESTS`) requests to `direct` and as many to `proxied`
/// (the same page, through the proxy), one at a time on one keep-alive client, and prints the
/// percentiles; `framework` names the app.
pub async fn measure(framework: &str, direct: &str, proxied: &str) {
    let pairs: usize = std::env::var("PROXY_BENCH_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_PAIRS);
    let http = reqwest::Client::new();

    // One browser client for every request (a request without the cookie makes a new one).
    let first = http.get(direct).send().await.expect("LocalClerk answers");
    let cookie = first
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("LocalClerk's __client cookie")
        .to_owned();
    let expected = first.bytes().await.expect("a body").len();

    let time = |url: &str| {
        let request = http.get(url).header("cookie", &cookie);
        async move {
            let started = Instant::now();
            let response = request.send().await.expect("an answer");
            assert_eq!(response.status(), 200);
            let body = response.bytes().await.expect("a body");
            let elapsed = started.elapsed();
            assert_eq!(body.len(), expected, "the same page both ways");
            elapsed
        }
    };

    for _ in 0..WARMUP_PAIRS {
        time(direct).await;
        time(proxied).await;
    }
    let mut direct_times = Vec::with_capacity(pairs);
    let mut proxied_times = Vec::with_capacity(pairs);
    let started = Instant::now();
    for i in 0..pairs {
        // Which goes first alternates, so that neither always follows the other.
        if i % 2 == 0 {
            direct_times.push(time(direct).await);
            proxied_times.push(time(proxied).await);
        } else {
            proxied_times.push(time(proxied).await);
            direct_times.push(time(direct).await);
        }
    }
    let wall = started.elapsed();

    direct_times.sort_unstable();
    proxied_times.sort_unstable();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let pct =
        |times: &[Duration], p: f64| us(times[((times.len() - 1) as f64 * p).round() as usize]);
    println!(
        "{framework}: {pairs} pairs in {:.1} s; a {expected}-byte page",
        wall.as_secs_f64()
    );
    println!("| {framework} | p50 | p90 | p99 |");
    println!("|---|---|---|---|");
    for (name, times) in [
        ("direct (LocalClerk's Frontend API)", &direct_times),
        ("through the proxy (`/__clerk`)", &proxied_times),
    ] {
        println!(
            "| {name} | {:.0} µs | {:.0} µs | {:.0} µs |",
            pct(times, 0.50),
            pct(times, 0.90),
            pct(times, 0.99),
        );
    }
    let (d50, p50) = (pct(&direct_times, 0.5), pct(&proxied_times, 0.5));
    println!(
        "proxy ({framework}): p50 direct = {d50:.0} µs, proxied = {p50:.0} µs, added = {:.0} µs (target ≤ 1000 µs), ratio = {:.2}",
        p50 - d50,
        p50 / d50
    );
}
