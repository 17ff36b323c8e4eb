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
#     axum-floor      the floor of any middleware that hands a value to its handler: a
#                     tower MapRequestLayer storing the user id in the request's extensions,
#                     read with Extension (nothing checked); the same requests as axum-none
#     axum-repeated   ClerkLayer + ClerkSession, the same token on every request
#     axum-cookie     the same token as a browser's page request sends it: in `__session` with
#                     `__client_uat` and the dev browser token (bench/cookie.lua)
#     axum-none-cookie no layer, the cookie case's requests (what the bigger request costs)
#     axum-cookie-api the cookie case with browser sessions off (ClerkOptions::handshake(false))
#     axum-fresh      ClerkLayer + ClerkSession, a token never seen before on every request
#                     (a pool of POOL tokens pre-minted by the LocalClerk, rotated by fresh.lua)
#     axum-api-key    ClerkLayer accepting every token kind + ClerkMachine, the same API key on
#                     every request (its verdict cached after the first)
#     axum-m2m        the same route, the same M2M JWT on every request
#     clerk-rs        clerk-rs 0.5.0's axum ClerkLayer (bench/clerk-rs-app), same token
#     clerk-rs-fresh  the same, a token never seen before on every request (fresh.lua, as
#                     axum-fresh: wrk's per-request Lua work, which shares the CPUs with the
#                     server, is then the same on both sides)
#   actix: clerk-actix/examples/actix_throughput_app.rs
#     actix-none      no middleware; the handler returns the user id as a constant; the same
#                     token as actix-repeated
#     actix-none-bare the same, no token
#     actix-floor     wrap_fn storing the user id in the request's extensions, read with
#                     web::ReqData (nothing checked); the same requests as actix-none
#     actix-repeated  ClerkMiddleware + ClerkSession, the same token on every request
#     actix-cookie    the same token in the cookies of a page request (bench/cookie.lua)
#     actix-none-cookie no middleware, the cookie case's requests
#     actix-fresh     ClerkMiddleware + ClerkSession, a fresh token on every request
#     actix-api-key   ClerkMiddleware accepting every kind + ClerkMachine, the same API key
#     actix-m2m       the same route, the same M2M JWT
# Each case: 2 s warm-up, then DURATION seconds measured. The cases run in ROUNDS rounds (every
# case once per round, in the order above), so that a slow minute of a shared machine hits all
# cases alike. Prints each run's requests/s, latency, server peak RSS (VmHWM) and the server's
# CPU time per request (user + system from /proc/<pid>/stat over the measured window, divided
# by the requests wrk counted), then per case the medians over the rounds, and each ratio as the
# median of the per-round ratios: on CPU per request (what the layer costs, whatever share of
# the 2 CPUs wrk takes) and on requests/s.
#
# Instructions per request: with `perf stat -e instructions` working, counted over the same
# window. Where perf has no hardware counters (virtual machines), INSTRUCTIONS=callgrind (the
# default when valgrind is installed; INSTRUCTIONS=off skips it) runs a second pass: each case's
# server under `valgrind --tool=callgrind --instr-atstart=no`, instrumentation switched on with
# callgrind_control for ICOUNT_DURATION seconds of wrk (ICOUNT_CONNECTIONS connections) after a
# warm-up, ICOUNT_ROUNDS times; user-space instructions divided by requests served. Callgrind
# counts instructions, not time, so the counts do not depend on what else the machine does.
#
# Last, one bare RSA-2048 verification of a pool token (jsonwebtoken's crypto::verify, one
# thread, the process's CPU time over RSA_VERIFIES verifications; and its instructions, by perf
# or callgrind, from runs of 3000 and 1000 verifications) as the floor of the fresh path's cost.
# Record the output in BENCHMARKS.md.
#
# Usage: bench/throughput.sh [axum] [actix]   (default: both)
#        env: DURATION=10 ROUNDS=3 CONNECTIONS=64 THREADS=1 POOL=1000000 PORT=38080
#             INSTRUCTIONS=perf|callgrind|off ICOUNT_ROUNDS=2 ICOUNT_DURATION=4 ICOUNT_CONNECTIONS=4
#             RSA_VERIFIES=50000
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/bench"
DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-1}"
POOL="${POOL:-1000000}"
PORT="${PORT:-38080}"
ICOUNT_ROUNDS="${ICOUNT_ROUNDS:-2}"
ICOUNT_DURATION="${ICOUNT_DURATION:-4}"
ICOUNT_CONNECTIONS="${ICOUNT_CONNECTIONS:-4}"
RSA_VERIFIES="${RSA_VERIFIES:-50000}"
if [ -z "${INSTRUCTIONS:-}" ]; then
    if perf stat -e instructions -x, true 2>&1 >/dev/null | grep -q '^[0-9]*,,instructions'; then
        INSTRUCTIONS=perf
    elif command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
        INSTRUCTIONS=callgrind
    else
        INSTRUCTIONS=off
    fi
fi
# PIN=1 (the default with 2 CPUs or more): each measured server runs on CPU 0 alone and wrk on
# the others (taskset), so that the server is never preempted by its own load generator and is
# the bottleneck in every case; its runtime then has one worker thread (tokio and actix-web size
# themselves from the CPUs the process may use). PIN=0: both share every CPU.
PIN="${PIN:-1}"
SERVER_ON=() CLIENT_ON=()
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    SERVER_ON=(taskset -c 0)
    CLIENT_ON=(taskset -c "1-$(($(nproc) - 1))")
fi
CLK_TCK="$(getconf CLK_TCK)"
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

# The CPU time (user + system, in clock ticks) of process $1 and all its threads.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Requests wrk counted in its output file $1.
requests_in() { awk '/requests in/ { print $1 }' "$1"; }

# run_case NAME LUA-ARGS... -- SERVER-COMMAND...   (in round $ROUND)
declare -A RPS RSS CPU INS
CASES=()
run_case() {
    local name="$1"; shift
    [ "$ROUND" -gt 1 ] || CASES+=("$name")
    local lua=()
    while [ "$1" != "--" ]; do lua+=("$1"); shift; done
    shift
    CASE_LUA["$name"]="${lua[*]}"
    CASE_CMD["$name"]="$*"
    "${SERVER_ON[@]}" "$@" &
    local pid=$!
    PIDS+=("$pid")
    wait_up
    local script=() args=()
    if [ "${#lua[@]}" -gt 0 ]; then script=(-s "${lua[0]}"); args=(-- "${lua[@]:1}"); fi
    warm_up "$name" "${script[@]}" "$URL" "${args[@]}"
    local perf_pid="" before
    if [ "$INSTRUCTIONS" = perf ]; then
        perf stat -e instructions -x, -o "$WORK/$name.perf" -p "$pid" &
        perf_pid=$!
    fi
    before="$(cpu_ticks "$pid")"
    "${CLIENT_ON[@]}" wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency "${script[@]}" "$URL" "${args[@]}" >"$WORK/$name.txt"
    local ticks=$(($(cpu_ticks "$pid") - before))
    if [ -n "$perf_pid" ]; then
        kill -INT "$perf_pid"
        wait "$perf_pid" 2>/dev/null || true
    fi
    check_run "$name"
    local requests
    requests="$(requests_in "$WORK/$name.txt")"
    RPS[$name,$ROUND]="$(awk '/Requests\/sec/ {print $2}' "$WORK/$name.txt")"
    RSS[$name,$ROUND]="$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$pid/status")"
    CPU[$name,$ROUND]="$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }')"
    if [ -n "$perf_pid" ]; then
        INS[$name,$ROUND]="$(awk -F, -v n="$requests" '$3 == "instructions" { printf "%.0f", $1 / n }' "$WORK/$name.perf")"
    fi
    local p50 p99
    p50="$(awk '$1=="50%" {print $2}' "$WORK/$name.txt")"
    p99="$(awk '$1=="99%" {print $2}' "$WORK/$name.txt")"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    printf 'round %s %-16s %12s req/s   p50 %-9s p99 %-9s peak RSS %5s MiB   cpu %7s us/req%s\n' "$ROUND" "$name" "${RPS[$name,$ROUND]}" "$p50" "$p99" "${RSS[$name,$ROUND]}" "${CPU[$name,$ROUND]}" "${INS[$name,$ROUND]:+   ${INS[$name,$ROUND]} instructions/req}"
    if [[ "$name" == *fresh ]]; then
        grep "used" "$WORK/$name.txt" | sed 's/^/                fresh: /'
    fi
}
declare -A CASE_LUA CASE_CMD

wait_up() {
    for _ in $(seq 1 300); do
        curl -s -o /dev/null "$URL" && return 0
        sleep 0.1
    done
    echo "the server did not answer on $URL"
    exit 1
}

# warm_up NAME WRK-ARGS...: keys fetched, caches and allocator settled. The fresh cases warm up
# with the repeated token so that no pool token is used twice. Each server process has its own
# verified-token cache, so every fresh case can use the same pool.
warm_up() {
    local name="$1"; shift
    if [[ "$name" == *fresh ]]; then
        "${CLIENT_ON[@]}" wrk -t "$THREADS" -c "${WARM_CONNECTIONS:-$CONNECTIONS}" -d 2s --timeout 20s -s "$BENCH/repeated.lua" "$URL" -- "$WORK/token" >/dev/null
    else
        "${CLIENT_ON[@]}" wrk -t "$THREADS" -c "${WARM_CONNECTIONS:-$CONNECTIONS}" -d 2s --timeout 20s "$@" >/dev/null
    fi
}

check_run() {
    if grep -q "Non-2xx\|Socket errors\|POOL EXHAUSTED" "$WORK/$1.txt"; then
        cat "$WORK/$1.txt"
        echo "case $1: errors or pool exhausted (see above)"
        exit 1
    fi
}

# count_instructions NAME (in round $ROUND): the case's server under callgrind, instructions
# per request over ICOUNT_DURATION seconds of wrk.
count_instructions() {
    local name="$1" lua=() script=() args=()
    read -r -a lua <<<"${CASE_LUA[$name]}"
    if [ "${#lua[@]}" -gt 0 ]; then script=(-s "${lua[0]}"); args=(-- "${lua[@]:1}"); fi
    local out="$WORK/$name.$ROUND.callgrind"
    # shellcheck disable=SC2086
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" ${CASE_CMD[$name]} 2>"$WORK/$name.valgrind" &
    local pid=$!
    PIDS+=("$pid")
    wait_up
    WARM_CONNECTIONS="$ICOUNT_CONNECTIONS" warm_up "$name" "${script[@]}" "$URL" "${args[@]}"
    callgrind_control -i on "$pid" >/dev/null
    wrk -t "$THREADS" -c "$ICOUNT_CONNECTIONS" -d "${ICOUNT_DURATION}s" --timeout 20s "${script[@]}" "$URL" "${args[@]}" >"$WORK/$name.txt"
    callgrind_control -i off "$pid" >/dev/null
    # The counts of the window are in the first dump ($out.1); the file written at exit has
    # nothing more (instrumentation is off).
    callgrind_control -d "$pid" >/dev/null
    check_run "$name"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    local total
    total="$(awk '/^totals:/ { print $2; exit }' "$out.1")"
    INS[$name,$ROUND]="$(awk -v t="$total" -v n="$(requests_in "$WORK/$name.txt")" 'BEGIN { printf "%.0f", t / n }')"
    printf 'instructions round %s %-16s %10s instructions/req (%s requests)\n' "$ROUND" "$name" "${INS[$name,$ROUND]}" "$(requests_in "$WORK/$name.txt")"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# ratio_of ARRAY A B: the median over the rounds of ARRAY(A)/ARRAY(B) in the same round, and
# the range (RPS: requests/s; CPU: CPU time per request; INS: instructions per request).
ratio_of() {
    local -n values_of="$1"
    local values=() r rounds="$ROUNDS"
    [ "$1" != INS ] || [ "$INSTRUCTIONS" != callgrind ] || rounds="$ICOUNT_ROUNDS"
    for r in $(seq 1 "$rounds"); do
        values+=("$(awk -v a="${values_of[$2,$r]}" -v b="${values_of[$3,$r]}" 'BEGIN { printf "%.3f", a / b }')")
    done
    printf '%.2f (rounds: %s)' "$(printf '%s\n' "${values[@]}" | median)" "${values[*]}"
}
ratio() { ratio_of RPS "$@"; }
# report FRAMEWORK A B [NOTE]: the CPU, instructions and requests/s ratios of A over B.
report() {
    local a="$1-$2" b="$1-$3"
    [[ "$2" != clerk-rs* ]] || a="$2"
    [[ "$3" != clerk-rs* ]] || b="$3"
    echo "$1: cpu $2/$3 = $(ratio_of CPU "$a" "$b")${4:+ $4}"
    if [ "$INSTRUCTIONS" != off ]; then
        echo "$1: instructions $2/$3 = $(ratio_of INS "$a" "$b")"
    fi
    echo "$1: req/s $2/$3 = $(ratio "$a" "$b")"
}

echo "== wrk -t $THREADS -c $CONNECTIONS -d ${DURATION}s, GET $URL ($(nproc) CPUs: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo))${SERVER_ON[*]:+; server: ${SERVER_ON[*]}, wrk: ${CLIENT_ON[*]}}"
for ROUND in $(seq 1 "$ROUNDS"); do
    if wants axum; then
        run_case axum-none-bare -- "$AXUM_APP" serve none "127.0.0.1:$PORT"
        run_case axum-none "$BENCH/repeated.lua" "$WORK/token" -- "$AXUM_APP" serve none "127.0.0.1:$PORT"
        run_case axum-floor "$BENCH/repeated.lua" "$WORK/token" -- "$AXUM_APP" serve floor "127.0.0.1:$PORT"
        run_case axum-repeated "$BENCH/repeated.lua" "$WORK/token" -- "$AXUM_APP" serve session "127.0.0.1:$PORT"
        run_case axum-cookie "$BENCH/cookie.lua" "$WORK/token" -- "$AXUM_APP" serve session "127.0.0.1:$PORT"
        run_case axum-none-cookie "$BENCH/cookie.lua" "$WORK/token" -- "$AXUM_APP" serve none "127.0.0.1:$PORT"
        run_case axum-cookie-api "$BENCH/cookie.lua" "$WORK/token" -- "$AXUM_APP" serve session-api "127.0.0.1:$PORT"
        run_case axum-fresh "$BENCH/fresh.lua" "$WORK/pool" "$THREADS" -- "$AXUM_APP" serve session "127.0.0.1:$PORT"
        run_case axum-api-key "$BENCH/repeated.lua" "$WORK/api_key" -- "$AXUM_APP" serve machine "127.0.0.1:$PORT"
        run_case axum-m2m "$BENCH/repeated.lua" "$WORK/m2m" -- "$AXUM_APP" serve machine "127.0.0.1:$PORT"
        run_case clerk-rs "$BENCH/repeated.lua" "$WORK/token" -- "$CLERK_RS_APP" "127.0.0.1:$PORT"
        run_case clerk-rs-fresh "$BENCH/fresh.lua" "$WORK/pool" "$THREADS" -- "$CLERK_RS_APP" "127.0.0.1:$PORT"
    fi
    if wants actix; then
        run_case actix-none-bare -- "$ACTIX_APP" serve none "127.0.0.1:$PORT"
        run_case actix-none "$BENCH/repeated.lua" "$WORK/token" -- "$ACTIX_APP" serve none "127.0.0.1:$PORT"
        run_case actix-floor "$BENCH/repeated.lua" "$WORK/token" -- "$ACTIX_APP" serve floor "127.0.0.1:$PORT"
        run_case actix-repeated "$BENCH/repeated.lua" "$WORK/token" -- "$ACTIX_APP" serve session "127.0.0.1:$PORT"
        run_case actix-cookie "$BENCH/cookie.lua" "$WORK/token" -- "$ACTIX_APP" serve session "127.0.0.1:$PORT"
        run_case actix-none-cookie "$BENCH/cookie.lua" "$WORK/token" -- "$ACTIX_APP" serve none "127.0.0.1:$PORT"
        run_case actix-fresh "$BENCH/fresh.lua" "$WORK/pool" "$THREADS" -- "$ACTIX_APP" serve session "127.0.0.1:$PORT"
        run_case actix-api-key "$BENCH/repeated.lua" "$WORK/api_key" -- "$ACTIX_APP" serve machine "127.0.0.1:$PORT"
        run_case actix-m2m "$BENCH/repeated.lua" "$WORK/m2m" -- "$ACTIX_APP" serve machine "127.0.0.1:$PORT"
    fi
done

if [ "$INSTRUCTIONS" = callgrind ]; then
    echo "== instructions per request: callgrind, wrk -c $ICOUNT_CONNECTIONS -d ${ICOUNT_DURATION}s, $ICOUNT_ROUNDS rounds"
    for ROUND in $(seq 1 "$ICOUNT_ROUNDS"); do
        for name in "${CASES[@]}"; do count_instructions "$name"; done
    done
fi

echo "== one bare RSA-2048 verification (jsonwebtoken crypto::verify, one thread, CPU time of $RSA_VERIFIES verifications of pool tokens)"
RSA_US="$("$AXUM_APP" rsa "$WORK/pool" "$WORK/key.pem" "$RSA_VERIFIES" "$CLK_TCK")"
echo "rsa-verify: $RSA_US us"
# Its instructions: the difference between runs of 3000 and 1000 verifications, over 2000 (the
# start-up, reading the pool and the key, cancels out).
rsa_instructions() {
    local n="$1" out="$WORK/rsa.$1"
    if [ "$INSTRUCTIONS" = perf ]; then
        perf stat -e instructions -x, -o "$out" "$AXUM_APP" rsa "$WORK/pool" "$WORK/key.pem" "$n" "$CLK_TCK" >/dev/null
        awk -F, '$3 == "instructions" { print $1 }' "$out"
    else
        valgrind --tool=callgrind --callgrind-out-file="$out" "$AXUM_APP" rsa "$WORK/pool" "$WORK/key.pem" "$n" "$CLK_TCK" >/dev/null 2>&1
        awk '/^totals:/ { print $2; exit }' "$out"
    fi
}
RSA_INS=""
if [ "$INSTRUCTIONS" != off ]; then
    RSA_INS="$(awk -v a="$(rsa_instructions 3000)" -v b="$(rsa_instructions 1000)" 'BEGIN { printf "%.0f", (a - b) / 2000 }')"
    echo "rsa-verify: $RSA_INS instructions"
fi

echo "== median of $ROUNDS rounds"
for name in "${CASES[@]}"; do
    rps="$(for r in $(seq 1 "$ROUNDS"); do echo "${RPS[$name,$r]}"; done | median)"
    cpu="$(for r in $(seq 1 "$ROUNDS"); do echo "${CPU[$name,$r]}"; done | median)"
    rss="$(for r in $(seq 1 "$ROUNDS"); do echo "${RSS[$name,$r]}"; done | sort -g | tail -1)"
    ins=""
    if [ "$INSTRUCTIONS" != off ]; then
        ins="   $(for r in $(seq 1 "$ROUNDS"); do [ -z "${INS[$name,$r]:-}" ] || echo "${INS[$name,$r]}"; done | median) instructions/req"
    fi
    printf '%-16s %12.0f req/s   cpu %7.2f us/req%s   peak RSS %s MiB (max over rounds)\n' "$name" "$rps" "$cpu" "$ins" "$rss"
done

# extra_ins CASE BASE: the median over the rounds of INS(CASE) - INS(BASE), per request.
extra_ins() {
    local rounds="$ROUNDS"
    [ "$INSTRUCTIONS" != callgrind ] || rounds="$ICOUNT_ROUNDS"
    for r in $(seq 1 "$rounds"); do
        awk -v a="${INS[$1,$r]}" -v b="${INS[$2,$r]}" 'BEGIN { printf "%.0f\n", a - b }'
    done | median
}
# fresh_floor FRAMEWORK: the fresh path's extra CPU (and instructions) over no layer, against
# one bare RSA verification.
fresh_floor() {
    local extra
    extra="$(extra_cpu "$1-fresh" "$1-none")"
    echo "$1: cpu fresh - none = $extra us = $(awk -v a="$extra" -v b="$RSA_US" 'BEGIN { printf "%.2f", a / b }') x one bare RSA verification (target <= 1.15)"
    if [ -n "$RSA_INS" ]; then
        extra="$(extra_ins "$1-fresh" "$1-none")"
        echo "$1: instructions fresh - none = $extra = $(awk -v a="$extra" -v b="$RSA_INS" 'BEGIN { printf "%.2f", a / b }') x one bare RSA verification"
    fi
}
# extra_cpu CASE BASE: the median over the rounds of CPU(CASE) - CPU(BASE), in us per request.
extra_cpu() {
    for r in $(seq 1 "$ROUNDS"); do
        awk -v a="${CPU[$1,$r]}" -v b="${CPU[$2,$r]}" 'BEGIN { printf "%.3f\n", a - b }'
    done | median
}

echo "== ratios (cpu and instructions: per request, lower is cheaper; req/s: higher is faster)"
if wants axum; then
    report axum repeated none "(target <= 1.05)"
    report axum floor none "(any middleware handing its handler a value)"
    report axum repeated floor "(what Clerk's work adds over that floor)"
    report axum cookie none-cookie "(target <= 1.05)"
    report axum none-cookie none
    report axum cookie cookie-api "(browser sessions on / off)"
    report axum api-key none
    report axum m2m none
    report axum fresh none
    report axum fresh clerk-rs-fresh "(target <= 0.80)"
    report axum repeated clerk-rs
    fresh_floor axum
fi
if wants actix; then
    report actix repeated none "(target <= 1.05)"
    report actix floor none "(any middleware handing its handler a value)"
    report actix repeated floor "(what Clerk's work adds over that floor)"
    report actix cookie none-cookie "(target <= 1.05)"
    report actix api-key none
    report actix m2m none
    report actix fresh none
    fresh_floor actix
fi
if wants axum && wants actix; then
    for path in repeated cookie fresh api-key m2m; do
        echo "actix-$path/axum-$path: cpu = $(ratio_of CPU "actix-$path" "axum-$path") (target <= 1.05)"
    done
fi
