#!/usr/bin/env bash
# Throughput of clerk-axum over loopback, with wrk (installed from Debian if missing).
#
# One app (clerk-axum/examples/throughput_app.rs), four cases, each against a fresh server
# process, GET / over 127.0.0.1:
#   none      no layer; the handler returns the user id as a constant
#   repeated  ClerkLayer + ClerkSession, the same token on every request
#   fresh     ClerkLayer + ClerkSession, a token never seen before on every request
#             (a pool of POOL tokens pre-minted by a LocalClerk, rotated by fresh.lua)
#   clerk-rs  clerk-rs 0.5.0's axum ClerkLayer (clerk-axum/bench/clerk-rs-app), same token
# Each case: 2 s warm-up, then DURATION seconds measured. Prints requests/s, the ratios and the
# server's peak RSS (VmHWM). Record the output in BENCHMARKS.md.
#
# Usage: clerk-axum/bench/throughput.sh   (env: DURATION=10 CONNECTIONS=64 THREADS=1 POOL=400000)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BENCH="$ROOT/clerk-axum/bench"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-1}"
POOL="${POOL:-400000}"
PORT="${PORT:-38080}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"

if ! command -v wrk >/dev/null; then
    echo "== installing wrk (Debian)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

echo "== building (release)"
cargo build --quiet --release --manifest-path "$ROOT/Cargo.toml" -p clerk-axum --example throughput_app
CARGO_TARGET_DIR="$TARGET" cargo build --quiet --release --manifest-path "$BENCH/clerk-rs-app/Cargo.toml"
APP="$TARGET/release/examples/throughput_app"
CLERK_RS_APP="$TARGET/release/clerk-rs-throughput-app"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== starting LocalClerk, minting $POOL tokens"
"$APP" local "$WORK" "$POOL" >"$WORK/local.out" &
PIDS+=($!)
for _ in $(seq 1 600); do
    grep -q ready "$WORK/local.out" 2>/dev/null && break
    sleep 0.5
done
grep -q ready "$WORK/local.out" || { echo "LocalClerk did not start"; exit 1; }
# shellcheck disable=SC1091
source "$WORK/env"
URL="http://127.0.0.1:$PORT/"

# run_case NAME LUA-ARGS... -- SERVER-COMMAND...
declare -A RPS RSS
run_case() {
    local name="$1"; shift
    local lua=()
    while [ "$1" != "--" ]; do lua+=("$1"); shift; done
    shift
    "$@" &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "$URL" && break
        sleep 0.1
    done
    local script=() args=()
    if [ "${#lua[@]}" -gt 0 ]; then script=(-s "${lua[0]}"); args=(-- "${lua[@]:1}"); fi
    # Warm-up (keys fetched, caches and allocator settled); the fresh case warms up with the
    # repeated token so that no pool token is used twice.
    if [ "$name" = fresh ]; then
        wrk -t "$THREADS" -c "$CONNECTIONS" -d 2s -s "$BENCH/repeated.lua" "$URL" -- "$WORK/token" >/dev/null
    else
        wrk -t "$THREADS" -c "$CONNECTIONS" -d 2s "${script[@]}" "$URL" "${args[@]}" >/dev/null
    fi
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency "${script[@]}" "$URL" "${args[@]}" >"$WORK/$name.txt"
    if grep -q "Non-2xx\|Socket errors\|POOL EXHAUSTED" "$WORK/$name.txt"; then
        cat "$WORK/$name.txt"
        echo "case $name: errors or pool exhausted (see above)"
        exit 1
    fi
    RPS[$name]="$(awk '/Requests\/sec/ {print $2}' "$WORK/$name.txt")"
    RSS[$name]="$(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$pid/status")"
    local p50 p99
    p50="$(awk '$1=="50%" {print $2}' "$WORK/$name.txt")"
    p99="$(awk '$1=="99%" {print $2}' "$WORK/$name.txt")"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    printf '%-9s %12s req/s   p50 %-9s p99 %-9s peak RSS %s\n' "$name" "${RPS[$name]}" "$p50" "$p99" "${RSS[$name]}"
}

echo "== wrk -t $THREADS -c $CONNECTIONS -d ${DURATION}s, GET $URL ($(nproc) CPUs: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo))"
run_case none -- "$APP" serve none "127.0.0.1:$PORT"
run_case repeated "$BENCH/repeated.lua" "$WORK/token" -- "$APP" serve session "127.0.0.1:$PORT"
run_case fresh "$BENCH/fresh.lua" "$WORK/pool" "$THREADS" -- "$APP" serve session "127.0.0.1:$PORT"
grep "used" "$WORK/fresh.txt" | sed 's/^/          fresh: /'
run_case clerk-rs "$BENCH/repeated.lua" "$WORK/token" -- "$CLERK_RS_APP" "127.0.0.1:$PORT"

ratio() { awk -v a="${RPS[$1]}" -v b="${RPS[$2]}" 'BEGIN { printf "%.2f", a / b }'; }
echo "== ratios"
echo "repeated/none = $(ratio repeated none) (target >= 0.85)"
echo "fresh/none = $(ratio fresh none)"
echo "clerk-rs/none = $(ratio clerk-rs none)"
echo "repeated/clerk-rs = $(ratio repeated clerk-rs) (target > 1)"
echo "fresh/clerk-rs = $(ratio fresh clerk-rs)"
