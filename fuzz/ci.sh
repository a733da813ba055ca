#!/usr/bin/env bash
# Fuzzes the hand-written parsers that face the network or the owner, each for a bounded time,
# and fails on any crash, property violation or timeout, printing the input that caused it.
#
#   fuzz/ci.sh [target…]         all targets by default: json config wire glob
#   TENPOINT_FUZZ_SECONDS=45      time per target (libFuzzer's -max_total_time)
#   TENPOINT_FUZZ_SEED=1          libFuzzer's -seed; 0 draws a new one each run
#
# CI runs one fixed seed, so a commit's verdict does not depend on the draw (a slower machine
# explores a prefix of the same sequence); longer runs with fresh seeds are for hunting:
#   TENPOINT_FUZZ_SECONDS=3600 TENPOINT_FUZZ_SEED=0 fuzz/ci.sh
#
# Needs nightly (installed here if missing) and cargo-fuzz (likewise). A failing input is
# written under fuzz/artifacts/<target>/; keep it in fuzz/regressions/<target>/ once the bug
# is fixed, and `cargo test -p tenpoint-shared --test fuzz_regressions` replays it on stable.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${TENPOINT_FUZZ_SECONDS:-45}"
seed="${TENPOINT_FUZZ_SEED:-1}"
if [ $# -gt 0 ]; then targets=("$@"); else targets=(json config wire glob); fi

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz/ci.sh: installing the nightly toolchain (cargo-fuzz needs it)"
  rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz/ci.sh: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# Release with debug assertions, so integer overflow panics. No AddressSanitizer (cargo-fuzz's
# default): shared has no unsafe code (`unsafe_code = "deny"`), and ASan cost 3× the runs.
flags=(-O -a -s none)
cargo +nightly fuzz build "${flags[@]}"

summary=()
failed=()
for t in "${targets[@]}"; do
  corpus="corpus/$t"
  mkdir -p "$corpus" "artifacts/$t"
  # Start from the committed seeds and the kept regressions (a regression that fails again
  # fails here at once), plus the example configs for the JSON readers.
  for dir in "seeds/$t" "regressions/$t"; do
    if [ -d "$dir" ]; then cp "$dir"/* "$corpus"/; fi
  done
  case "$t" in json | config) cp ../examples/sites/*.json "$corpus"/ ;; esac

  log="artifacts/$t/last-run.log"
  echo "fuzz/ci.sh: $t for ${seconds}s"
  if cargo +nightly fuzz run "${flags[@]}" "$t" "$corpus" -- \
    -max_total_time="$seconds" -seed="$seed" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    summary+=("$(printf '%-7s %12s runs %9s runs/s' "$t" "${runs:-?}" "${rate:-?}")")
  else
    echo "fuzz/ci.sh: $t FAILED; from its log ($log):" >&2
    # The panic (or libFuzzer's own error: timeout, out of memory), without the backtrace.
    grep -A4 "panicked at\|^==[0-9]*== ERROR: libFuzzer" "$log" | grep -v '^ *[0-9]*: \|^ *at ' >&2 || true
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "fuzz/ci.sh: failing input: ${artifact:-none written (see the log)}" >&2
    summary+=("$(printf '%-7s FAILED: %s' "$t" "${artifact:-see $log}")")
    failed+=("$t")
  fi
done

printf '%s\n' "fuzz/ci.sh: ${seconds}s per target, seed $seed" "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz/ci.sh: failed: ${failed[*]}" >&2
  exit 1
fi
