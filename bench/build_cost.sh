#!/usr/bin/env bash
# The cost of the generated Backend API client: clean release build time of clerk-core, and the
# size of its generated code, beside clerk-rs (crates.io) built the same way on the same machine.
#
#   bench/build_cost.sh            # CLERK_RS_VERSION=0.5.0 by default
#
# Each crate is built twice in its own fresh target directory: a clean build (dependencies
# included), then, after `cargo clean -p <crate>`, the crate alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${CLERK_RS_VERSION:-0.5.0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seconds() { local start=$SECONDS; "$@" >/dev/null 2>&1; echo $((SECONDS - start)); }

echo "== clerk-core (this repository)"
core_clean=$(cd "$root" && seconds env CARGO_TARGET_DIR="$work/core" cargo build --release -p clerk-core)
(cd "$root" && CARGO_TARGET_DIR="$work/core" cargo clean --release -p clerk-core >/dev/null 2>&1)
core_crate=$(cd "$root" && seconds env CARGO_TARGET_DIR="$work/core" cargo build --release -p clerk-core)

echo "== clerk-rs $version (crates.io)"
mkdir -p "$work/clerk-rs-app/src"
cat > "$work/clerk-rs-app/Cargo.toml" <<TOML
[package]
name = "clerk-rs-build-cost"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
clerk-rs = "=$version"

[workspace]
TOML
echo 'fn main() {}' > "$work/clerk-rs-app/src/main.rs"
rs_clean=$(cd "$work/clerk-rs-app" && seconds env CARGO_TARGET_DIR="$work/rs" cargo build --release)
(cd "$work/clerk-rs-app" && CARGO_TARGET_DIR="$work/rs" cargo clean --release -p clerk-rs >/dev/null 2>&1)
rs_crate=$(cd "$work/clerk-rs-app" && seconds env CARGO_TARGET_DIR="$work/rs" cargo build --release)

rs_src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/clerk-rs-"$version"/src | head -1)
lines() { find "$1" -name '*.rs' -print0 | xargs -0 cat | wc -l; }
bytes() { find "$1" -name '*.rs' -print0 | xargs -0 cat | wc -c; }
core_lines=$(lines "$root/clerk-core/src/generated"); core_bytes=$(bytes "$root/clerk-core/src/generated")
rs_lines=$(lines "$rs_src"); rs_bytes=$(bytes "$rs_src")
core_ops=$(grep -c '^async fn op_' "$root/clerk-core/tests/generated/operations.rs")
rs_ops=$(cat "$rs_src"/apis/*.rs | grep -c 'pub async fn')

printf '\n| | clerk-core (generated client) | clerk-rs %s |\n|---|---|---|\n' "$version"
printf '| operations | %s | %s |\n' "$core_ops" "$rs_ops"
printf '| clean release build, dependencies included | %s s | %s s |\n' "$core_clean" "$rs_clean"
printf '| release build of the crate alone | %s s | %s s |\n' "$core_crate" "$rs_crate"
printf '| generated/source code | %s lines, %s KiB | %s lines, %s KiB (whole crate) |\n' \
  "$core_lines" $((core_bytes / 1024)) "$rs_lines" $((rs_bytes / 1024))
echo "build_cost: crate alone clerk-core/clerk-rs = $(python3 -c "print(f'{$core_crate/$rs_crate:.2f}')")," \
  "clean clerk-core/clerk-rs = $(python3 -c "print(f'{$core_clean/$rs_clean:.2f}')")"
