#!/usr/bin/env bash
# Prints what the shared crate adds to a WASM module (raw, gzip -9, brotli -q 11 bytes):
# the probe uses what the widget will (config parsing, rules, flow, answers), the baseline nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
for ex in wasm_size_baseline wasm_size_probe; do
  cargo build -q -p tenpoint-shared --example "$ex" --target wasm32-unknown-unknown --profile wasm-release
done
dir=target/wasm32-unknown-unknown/wasm-release/examples
size() { wc -c <"$1" | tr -d ' '; }
gz() { gzip -9 -c "$1" | wc -c | tr -d ' '; }
br() { if command -v brotli >/dev/null; then brotli -q 11 -c "$1" | wc -c | tr -d ' '; else echo "n/a"; fi; }
printf '%-22s %10s %10s %10s\n' module raw gzip brotli
for ex in wasm_size_baseline wasm_size_probe; do
  f="$dir/$ex.wasm"
  printf '%-22s %10s %10s %10s\n' "$ex" "$(size "$f")" "$(gz "$f")" "$(br "$f")"
done
