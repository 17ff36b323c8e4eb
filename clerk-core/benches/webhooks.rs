//! Webhook verification speed, on a 2 KiB and a 64 KiB `user.updated` delivery:
//!
//! - `check` (headers, HMAC-SHA256, constant-time comparison: [`Webhook::check`]) against `hmac`,
//!   a bare HMAC-SHA256 of the same signed bytes with a prepared key (the floor: the check must
//!   compute that HMAC);
//! - `verify` (the check and the typed decode: [`Webhook::verify`]) against `check+decode`, the
//!   check followed by a bare `serde_json::from_slice` into the same event type.
//!
//! Run with `cargo bench -p clerk-core --bench webhooks`. The last line prints the ratios.

mod common;

use std::hint::black_box;
use std::path::Path;

use common::mean_ns;

use aws_lc_rs::hmac;
use base64::Engine as _;
use clerk_core::webhooks::{Webhook, WebhookEvent, sign};
use criterion::Criterion;
use http::{HeaderMap, HeaderValue};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// A signed `user.updated` delivery of about `size` bytes (a user whose public metadata is
/// padded), sent now.
fn delivery(size: usize) -> (HeaderMap, Vec<u8>) {
    let mut user = serde_json::to_value(clerk_core::models::User::default()).expect("a user");
    user["id"] = "user_2bench".into();
    user["object"] = "user".into();
    let mut event = |pad: usize| {
        user["public_metadata"] = serde_json::json!({ "notes": "x".repeat(pad) });
        serde_json::to_vec(&serde_json::json!({
            "type": "user.updated",
            "object": "event",
            "timestamp": 1716883200000_i64,
            "instance_id": "ins_bench",
            "event_attributes": {"http_request": {"client_ip": "0.0.0.0", "user_agent": "bench"}},
            "data": user,
        }))
        .expect("serializes")
    };
    let overhead = event(0).len();
    let body = event(size.saturating_sub(overhead));
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("fits");
    let id = "msg_2bench0000000000000000000";
    let mut headers = HeaderMap::new();
    headers.insert("svix-id", HeaderValue::from_static(id));
    headers.insert("svix-timestamp", HeaderValue::from(now));
    let signature = sign(SECRET, id, now, &body).expect("signed");
    headers.insert(
        "svix-signature",
        HeaderValue::from_str(&signature).expect("ascii"),
    );
    (headers, body)
}

fn main() {
    let webhook = Webhook::new(SECRET).expect("valid secret");
    let key = hmac::Key::new(
        hmac::HMAC_SHA256,
        &base64::engine::general_purpose::STANDARD
            .decode(&SECRET["whsec_".len()..])
            .expect("base64"),
    );
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion");
    let mut criterion = Criterion::default()
        .output_directory(&out)
        .configure_from_args();
    let sizes = [("2KiB", 2 * 1024), ("64KiB", 64 * 1024)];
    for (name, size) in sizes {
        let (headers, body) = delivery(size);
        let signed: Vec<u8> = [
            headers["svix-id"].as_bytes(),
            b".",
            headers["svix-timestamp"].as_bytes(),
            b".",
            &body,
        ]
        .concat();
        // Sanity: every side works on this delivery.
        webhook
            .verify(&headers, &body)
            .expect("the delivery verifies");
        let mut group = criterion.benchmark_group(format!("webhooks_{name}"));
        group.bench_function("hmac", |b| {
            b.iter(|| hmac::sign(&key, black_box(&signed)));
        });
        group.bench_function("check", |b| {
            b.iter(|| webhook.check(black_box(&headers), black_box(&body)).is_ok());
        });
        group.bench_function("check+decode", |b| {
            b.iter(|| {
                webhook
                    .check(black_box(&headers), black_box(&body))
                    .expect("verified");
                serde_json::from_slice::<WebhookEvent>(black_box(&body)).expect("decoded")
            });
        });
        group.bench_function("verify", |b| {
            b.iter(|| {
                webhook
                    .verify(black_box(&headers), black_box(&body))
                    .expect("verified")
            });
        });
        group.finish();
    }
    criterion.final_summary();

    if std::env::args().any(|a| a == "--bench") {
        let ratio = |name: &str, top: &str, bottom: &str| {
            let group = format!("webhooks_{name}");
            mean_ns(&out, &group, top) / mean_ns(&out, &group, bottom)
        };
        let verify: Vec<f64> = sizes
            .iter()
            .map(|(name, _)| ratio(name, "verify", "check+decode"))
            .collect();
        for (name, _) in sizes {
            let group = format!("webhooks_{name}");
            println!(
                "{name}: hmac {:.0} ns, check {:.0} ns, check+decode {:.0} ns, verify {:.0} ns",
                mean_ns(&out, &group, "hmac"),
                mean_ns(&out, &group, "check"),
                mean_ns(&out, &group, "check+decode"),
                mean_ns(&out, &group, "verify"),
            );
        }
        println!(
            "webhooks: check/hmac 2KiB = {:.2}, 64KiB = {:.2}; verify/(check+decode) = {:.2} (2KiB {:.2}, 64KiB {:.2})",
            ratio("2KiB", "check", "hmac"),
            ratio("64KiB", "check", "hmac"),
            verify.iter().copied().fold(0.0, f64::max),
            verify[0],
            verify[1],
        );
    }
}
