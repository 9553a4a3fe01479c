#!/usr/bin/env bash
# Runs every test on a fresh machine: makes a virtualenv with moto[server]
# (the SSM-compatible server the tests start on 127.0.0.1), maturin, pytest
# and mypy; runs the Rust unit, integration and documentation tests; builds
# the Python package into the virtualenv; runs the Python tests (which also
# check the type stubs with mypy.stubtest).
#
# With CI=true (or SSMCONF_WHEEL=1) the Python package is instead what
# ships: the x86_64 manylinux2014 release wheel (scripts/wheels.sh, which
# also runs auditwheel), installed into a fresh virtualenv with no cargo on
# PATH; the Python tests, `ssmconf --help` and the CLI suite (tests/cli,
# through the wheel's `ssmconf`) run against it. That build takes minutes;
# without it, `maturin develop` gives developers a quick debug build.
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

if [[ "${CI:-}" != true && "${SSMCONF_WHEEL:-}" != 1 ]]; then
  echo "==> maturin develop (the Python package, into $venv)"
  VIRTUAL_ENV="$PWD/$venv" "$venv/bin/maturin" develop --quiet -m crates/py/Cargo.toml

  echo "==> pytest"
  "$venv/bin/python" -m pytest crates/py/tests -q
  exit 0
fi

# The wheel this interpreter installs: abi3 from 3.10 on, else the 3.9 one.
kind="$("$venv/bin/python" -c 'import sys; print("cp39" if sys.version_info < (3, 10) else "abi3")')"
echo "==> the x86_64 $kind wheel (scripts/wheels.sh: release build, auditwheel)"
rm -rf target/wheels/test
bash scripts/wheels.sh --arch x86_64 --only "$kind" --no-sdist --out target/wheels/test
wheel="$(ls target/wheels/test/ssmconf-*-manylinux*_x86_64.whl)"

# A fresh virtualenv with the test tools and the wheel (from the file, never
# built), used with a PATH that has no cargo, rustc or maturin on it.
wheel_venv="$PWD/target/wheel-venv"
echo "==> fresh virtualenv $wheel_venv with $(basename "$wheel")"
rm -rf "$wheel_venv"
"$venv/bin/python" -m venv "$wheel_venv"
"$wheel_venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
"$wheel_venv/bin/python" -m pip uninstall --quiet --yes maturin
"$wheel_venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --no-deps "$wheel"
bare_path="$wheel_venv/bin:/usr/local/bin:/usr/bin:/bin"
in_wheel_venv() { env PATH="$bare_path" MOTO_SERVER="$wheel_venv/bin/moto_server" "$@"; }
in_wheel_venv sh -c '! command -v cargo && ! command -v rustc && ! command -v maturin' >/dev/null ||
  { echo "FAIL: cargo, rustc or maturin is on the wheel's test PATH" >&2; exit 1; }
in_wheel_venv python -c '
import sysconfig, ssmconf
from pathlib import Path
where = Path(ssmconf.__file__).resolve()
site = Path(sysconfig.get_paths()["purelib"]).resolve()
assert site in where.parents, f"ssmconf comes from {where}, not from the wheel in {site}"
print(f"ssmconf {ssmconf.__version__} from {where.parent}")
'

echo "==> ssmconf --help (the wheel's command, no cargo on PATH)"
help="$(in_wheel_venv ssmconf --help)"
head -n 3 <<<"$help"

echo "==> pytest against the installed wheel"
in_wheel_venv python -m pytest crates/py/tests -q

echo "==> tests/cli through the wheel's ssmconf"
SSMCONF_CLI="$wheel_venv/bin/ssmconf" cargo test --workspace --test cli
