#!/usr/bin/env bash
# Soak test: the Axum quickstart app (release build, its own process, pointed at LocalClerk with
# CLERK_SECRET_KEY / CLERK_API_URL) under load for DURATION seconds, while LocalClerk (in the
# driver's process, examples/soak.rs) cycles through faults, one phase each: normal, JWKS
# answering 503, JWKS hanging, a key rotation (a new signing key, tokens signed with it), the
# Backend API answering 429 with Retry-After, the Backend API closing connections, recovered.
#
# Requests (CONNECTIONS at a time, round robin over a pool of POOL distinct valid tokens):
# valid tokens on GET /me (ClerkSession), tokens of the new key, invalid tokens (expired, bad
# signature, unknown key, garbage) on GET /me, valid tokens on GET /profile (ClerkUser).
# Prints per phase each status count, latency p50/p99 and the app's RSS, then checks: no valid
# token answered 401, no invalid token answered 200, 503 only while the keys (or, for
# /profile, the Backend API) are unavailable, no panic, the app alive, RSS not growing in the
# second half. Exits 1 when an expectation fails. Not part of `cargo test`.
#
# Usage: bench/soak.sh    env: DURATION=120 POOL=100000 CONNECTIONS=32
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
echo "== building (release)"
cargo build --quiet --release --manifest-path "$ROOT/Cargo.toml" -p clerk-examples \
    --example quickstart --example soak
echo "== soak: ${DURATION:-120} s, ${POOL:-100000} tokens, ${CONNECTIONS:-32} connections"
exec "$TARGET/release/examples/soak" "$TARGET/release/examples/quickstart"
