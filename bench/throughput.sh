#!/usr/bin/env bash
# Throughput of the web adapters over loopback, with wrk (installed from Debian if missing).
#
# One LocalClerk (clerk-testing/examples/bench_local.rs: JWKS server, one token, a pool of fresh
# tokens), then, per framework, the same cases, each against a fresh server process, GET / over
# 127.0.0.1:
#   axum:  clerk-axum/examples/throughput_app.rs
#     axum-none       no layer; the handler returns the user id as a constant; the requests
#                     carry the same token as axum-repeated (so only the layer differs)
#     axum-none-bare  the same, but the requests carry no token (the baseline of the first runs)
#     axum-repeated   ClerkLayer + ClerkSession, the same token on every request
#     axum-cookie     the same token as a browser's page request sends it: in `__session` with
#                     `__client_uat` and the dev browser token (bench/cookie.lua)
#     axum-none-cookie no layer, the cookie case's requests (what the bigger request costs)
#     axum-cookie-api the cookie case with browser sessions off (ClerkOptions::handshake(false))
#     axum-fresh      ClerkLayer + ClerkSession, a token never seen before on every request
#                     (a pool of POOL tokens pre-minted by the LocalClerk, rotated by fresh.lua)
#     clerk-rs        clerk-rs 0.5.0's axum ClerkLayer (bench/clerk-rs-app), same token
#     clerk-rs-fresh  the same, a token never seen before on every request (fresh.lua, as
#                     axum-fresh: wrk's per-request Lua work, which shares the CPUs with the
#                     server, is then the same on both sides)
#   actix: clerk-actix/examples/actix_throughput_app.rs
#     actix-none      no middleware; the handler returns the user id as a constant; the same
#                     token as actix-repeated
#     actix-none-bare the same, no token
#     actix-repeated  ClerkMiddleware + ClerkSession, the same token on every request
#     actix-cookie    the same token in the cookies of a page request (bench/cookie.lua)
#     actix-fresh     ClerkMiddleware + ClerkSession, a fresh token on every request
# Each case: 2 s warm-up, then DURATION seconds measured. The cases run in ROUNDS rounds (every
# case once per round, in the order above), so that a slow minute of a shared machine hits all
# cases alike. Prints each run's requests/s, latency and server peak RSS (VmHWM), then per case
# the median requests/s over the rounds, and each ratio as the median of the per-round ratios.
# Record the output in BENCHMARKS.md.
#
# Usage: bench/throughput.sh [axum] [actix]   (default: both)
#        env: DURATION=10 ROUNDS=3 CONNECTIONS=64 THREADS=1 POOL=1000000 PORT=38080
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/bench"
DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-1}"
POOL="${POOL:-1000000}"
PORT="${PORT:-38080}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
FRAMEWORKS=("$@")
[ "${#FRAMEWORKS[@]}" -gt 0 ] || FRAMEWORKS=(axum actix)
for framework in "${FRAMEWORKS[@]}"; do
    case "$framework" in
        axum | actix) ;;
        *) echo "unknown framework: $framework (axum, actix)"; exit 2 ;;
    esac
done
wants() { [[ " ${FRAMEWORKS[*]} " == *" $1 "* ]]; }

if ! command -v wrk >/dev/null; then
    echo "== installing wrk (Debian)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

echo "== building (release)"
build() { cargo build --quiet --release --manifest-path "$ROOT/Cargo.toml" "$@"; }
build -p clerk-testing --example bench_local
LOCAL="$TARGET/release/examples/bench_local"
if wants axum; then
    build -p clerk-axum --example throughput_app
    CARGO_TARGET_DIR="$TARGET" cargo build --quiet --release --manifest-path "$BENCH/clerk-rs-app/Cargo.toml"
fi
if wants actix; then
    build -p clerk-actix --example actix_throughput_app
fi
AXUM_APP="$TARGET/release/examples/throughput_app"
ACTIX_APP="$TARGET/release/examples/actix_throughput_app"
CLERK_RS_APP="$TARGET/release/clerk-rs-throughput-app"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== starting LocalClerk, minting $POOL tokens"
"$LOCAL" "$WORK" "$POOL" >"$WORK/local.out" &
PIDS+=($!)
for _ in $(seq 1 600); do
    grep -q ready "$WORK/local.out" 2>/dev/null && break
    sleep 0.5
done
grep -q ready "$WORK/local.out" || { echo "LocalClerk did not start"; exit 1; }
# shellcheck disable=SC1091
source "$WORK/env"
URL="http://127.0.0.1:$PORT/"

# run_case NAME LUA-ARGS... -- SERVER-COMMAND...   (in round $ROUND)
declare -A RPS RSS
CASES=()
run_case() {
    local name="$1"; shift
    [ "$ROUND" -gt 1 ] || CASES+=("$name")
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
    # Warm-up (keys fetched, caches and allocator settled); the fresh cases warm up with the
    # repeated token so that no pool token is used twice. Each server process has its own
    # verified-token cache, so every fresh case can use the same pool.
    if [[ "$name" == *fresh ]]; then
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
    RPS[$name,$ROUND]="$(awk '/Requests\/sec/ {print $2}' "$WORK/$name.txt")"
    RSS[$name,$ROUND]="$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$pid/status")"
    local p50 p99
    p50="$(awk '$1=="50%" {print $2}' "$WORK/$name.txt")"
    p99="$(awk '$1=="99%" {print $2}' "$WORK/$name.txt")"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    printf 'round %s %-16s %12s req/s   p50 %-9s p99 %-9s peak RSS %s MiB\n' "$ROUND" "$name" "${RPS[$name,$ROUND]}" "$p50" "$p99" "${RSS[$name,$ROUND]}"
    if [[ "$name" == *fresh ]]; then
        grep "used" "$WORK/$name.txt" | sed 's/^/                fresh: /'
    fi
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# ratio A B: the median over the rounds of RPS(A)/RPS(B) in the same round, and the range.
ratio() {
    local values=() r
    for r in $(seq 1 "$ROUNDS"); do
        values+=("$(awk -v a="${RPS[$1,$r]}" -v b="${RPS[$2,$r]}" 'BEGIN { printf "%.3f", a / b }')")
    done
    printf '%.2f (rounds: %s)' "$(printf '%s\n' "${values[@]}" | median)" "${values[*]}"
}

echo "== wrk -t $THREADS -c $CONNECTIONS -d ${DURATION}s, GET $URL ($(nproc) CPUs: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo))"
for ROUND in $(seq 1 "$ROUNDS"); do
    if wants axum; then
        run_case axum-none-bare -- "$AXUM_APP" serve none "127.0.0.1:$PORT"
        run_case axum-none "$BENCH/repeated.lua" "$WORK/token" -- "$AXUM_APP" serve none "127.0.0.1:$PORT"
        run_case axum-repeated "$BENCH/repeated.lua" "$WORK/token" -- "$AXUM_APP" serve session "127.0.0.1:$PORT"
        run_case axum-cookie "$BENCH/cookie.lua" "$WORK/token" -- "$AXUM_APP" serve session "127.0.0.1:$PORT"
        run_case axum-none-cookie "$BENCH/cookie.lua" "$WORK/token" -- "$AXUM_APP" serve none "127.0.0.1:$PORT"
        run_case axum-cookie-api "$BENCH/cookie.lua" "$WORK/token" -- "$AXUM_APP" serve session-api "127.0.0.1:$PORT"
        run_case axum-fresh "$BENCH/fresh.lua" "$WORK/pool" "$THREADS" -- "$AXUM_APP" serve session "127.0.0.1:$PORT"
        run_case clerk-rs "$BENCH/repeated.lua" "$WORK/token" -- "$CLERK_RS_APP" "127.0.0.1:$PORT"
        run_case clerk-rs-fresh "$BENCH/fresh.lua" "$WORK/pool" "$THREADS" -- "$CLERK_RS_APP" "127.0.0.1:$PORT"
    fi
    if wants actix; then
        run_case actix-none-bare -- "$ACTIX_APP" serve none "127.0.0.1:$PORT"
        run_case actix-none "$BENCH/repeated.lua" "$WORK/token" -- "$ACTIX_APP" serve none "127.0.0.1:$PORT"
        run_case actix-repeated "$BENCH/repeated.lua" "$WORK/token" -- "$ACTIX_APP" serve session "127.0.0.1:$PORT"
        run_case actix-cookie "$BENCH/cookie.lua" "$WORK/token" -- "$ACTIX_APP" serve session "127.0.0.1:$PORT"
        run_case actix-fresh "$BENCH/fresh.lua" "$WORK/pool" "$THREADS" -- "$ACTIX_APP" serve session "127.0.0.1:$PORT"
    fi
done

echo "== median of $ROUNDS rounds"
for name in "${CASES[@]}"; do
    rps="$(for r in $(seq 1 "$ROUNDS"); do echo "${RPS[$name,$r]}"; done | median)"
    rss="$(for r in $(seq 1 "$ROUNDS"); do echo "${RSS[$name,$r]}"; done | sort -g | tail -1)"
    printf '%-16s %12.0f req/s   peak RSS %s MiB (max over rounds)\n' "$name" "$rps" "$rss"
done

echo "== ratios"
if wants axum; then
    echo "axum: repeated/none = $(ratio axum-repeated axum-none) (target >= 0.85)"
    echo "axum: repeated/none-bare = $(ratio axum-repeated axum-none-bare)"
    echo "axum: cookie/repeated = $(ratio axum-cookie axum-repeated) (target >= 0.95)"
    echo "axum: cookie/none-cookie = $(ratio axum-cookie axum-none-cookie)"
    echo "axum: none-cookie/none = $(ratio axum-none-cookie axum-none)"
    echo "axum: cookie/cookie-api = $(ratio axum-cookie axum-cookie-api) (browser sessions on / off)"
    echo "axum: fresh/none = $(ratio axum-fresh axum-none)"
    echo "axum: clerk-rs/none = $(ratio clerk-rs axum-none)"
    echo "axum: repeated/clerk-rs = $(ratio axum-repeated clerk-rs) (target > 1)"
    echo "axum: fresh/clerk-rs = $(ratio axum-fresh clerk-rs)"
    echo "axum: fresh/clerk-rs-fresh = $(ratio axum-fresh clerk-rs-fresh)"
fi
if wants actix; then
    echo "actix: repeated/none = $(ratio actix-repeated actix-none) (target >= 0.85)"
    echo "actix: repeated/none-bare = $(ratio actix-repeated actix-none-bare)"
    echo "actix: cookie/repeated = $(ratio actix-cookie actix-repeated) (target >= 0.95)"
    echo "actix: fresh/none = $(ratio actix-fresh actix-none)"
fi
if wants axum && wants actix; then
    echo "actix-repeated/axum-repeated = $(ratio actix-repeated axum-repeated)"
fi
