#!/usr/bin/env bash
# Run every fuzz target for SECONDS each (default 60) with cargo-fuzz (libFuzzer).
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
for target in $(cargo fuzz list); do
  echo "== $target (${seconds}s)"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 2>&1 | tail -n 3
done
