#!/usr/bin/env bash
# Runs each cargo-fuzz target in fuzz/ for a fixed time: scripts/fuzz.sh [SECONDS]
# (60 s each by default). Not part of CI.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). Works on a stable toolchain:
# without a sanitizer (the default, FUZZ_SANITIZER=none) no nightly flag is
# used; FUZZ_SANITIZER=address needs nightly, or RUSTC_BOOTSTRAP=1, which this
# script sets for it (only the default has been tried). New inputs go to fuzz/corpus/TARGET (seeded from
# fuzz/seeds/TARGET), crashes to fuzz/artifacts/TARGET: turn each crash into a
# regression test in tests/hostile/ before fixing it.
set -euo pipefail

seconds="${1:-60}"
sanitizer="${FUZZ_SANITIZER:-none}"
cd "$(dirname "$0")/../fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 2
fi
if [ "$sanitizer" != none ]; then
    export RUSTC_BOOTSTRAP=1
fi

targets=$(cargo fuzz list)
cargo fuzz build -s "$sanitizer"
status=0
for target in $targets; do
    mkdir -p "corpus/$target"
    echo "== $target: ${seconds}s"
    # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a bomb that
    # got through shows as an out-of-memory crash, not a dead machine.
    if ! cargo fuzz run -s "$sanitizer" "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1; then
        echo "== $target: FAILED; the input is in fuzz/artifacts/$target/" >&2
        status=1
    fi
done
exit "$status"
