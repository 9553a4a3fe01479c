#!/usr/bin/env bash
# Runs every test on a fresh machine: makes a virtualenv with moto[server]
# (the SSM-compatible server the tests start on 127.0.0.1), maturin, pytest
# and mypy; runs the Rust unit, integration and documentation tests; builds
# the Python package into the virtualenv; runs the Python tests (which also
# check the type stubs with mypy.stubtest).
#
#   scripts/test.sh                 everything
#   scripts/test.sh -p ssmconf      only what cargo test selects, then Python
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${SSMCONF_VENV:-.venv}"
stamp="$venv/.requirements-test.txt"
if ! cmp -s scripts/requirements-test.txt "$stamp" 2>/dev/null; then
  echo "==> setting up $venv with moto[server]"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
  cp scripts/requirements-test.txt "$stamp"
fi
export MOTO_SERVER="$PWD/$venv/bin/moto_server"
# The shared cache's tests start their own redis-server (Debian's package).
if ! command -v redis-server >/dev/null 2>&1; then
  echo "==> installing redis-server (apt-get)"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
fi
# Tests must never reach real AWS: no profile, no instance metadata.
export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_SSM

echo "==> cargo test"
cargo test --workspace "$@"

echo "==> maturin develop (the Python package, into $venv)"
VIRTUAL_ENV="$PWD/$venv" "$venv/bin/maturin" develop --quiet -m crates/py/Cargo.toml

echo "==> pytest"
"$venv/bin/python" -m pytest crates/py/tests -q
