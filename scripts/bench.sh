#!/usr/bin/env bash
# Runs every benchmark and writes the results into BENCHMARKS.md:
#   1. Rust (criterion): cache hits, explain, load_all, a cold resolve of 30
#      against moto_server, a stampede of 1,000 tasks on one expired key;
#   2. Python: ssmconf against boto3 + a dict cache and Powertools'
#      parameters utility, on one moto_server (benches/python/bench_compare.py);
#   3. Python: ssmconf.parameters against Powertools' (bench_parameters.py).
# Not part of CI: timings belong to a quiet machine, not to the tests.
#
#   scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${SSMCONF_VENV:-.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r benches/python/requirements.txt
export MOTO_SERVER="$PWD/$venv/bin/moto_server"
export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_SSM

echo "==> cargo bench (criterion)"
cargo bench -p ssmconf --bench resolve -- --warm-up-time 1 --measurement-time 3
cargo bench -p ssmconf --bench store
"$venv/bin/python" benches/criterion_report.py --write

echo "==> the Python package, release build"
VIRTUAL_ENV="$PWD/$venv" "$venv/bin/maturin" develop --release --quiet -m crates/py/Cargo.toml
echo "==> Python: ssmconf against boto3 and Powertools"
"$venv/bin/python" benches/python/bench_compare.py --write
echo "==> Python: ssmconf.parameters against Powertools' parameters"
"$venv/bin/python" benches/python/bench_parameters.py --write
echo "==> back to a dev build of the package, for the tests"
VIRTUAL_ENV="$PWD/$venv" "$venv/bin/maturin" develop --quiet -m crates/py/Cargo.toml
