#!/usr/bin/env bash
# Builds the wheels users install (`pip install ssmconf`, no Rust needed):
# manylinux2014 (glibc 2.17: every Lambda Python runtime, Amazon Linux 2 and
# 2023) for x86_64 and aarch64, release profile (fat LTO), cross-compiled by
# maturin with zig from PyPI; per architecture one abi3 wheel for CPython
# 3.10 and later and one wheel for CPython 3.9 (abi3 costs the hit path
# nothing measurable from 3.10 on: BENCHMARKS.md "Wheels"); plus the sdist.
# Every wheel is checked with `auditwheel show` (manylinux2014 at most, no
# external libraries) and for the `ssmconf` command; the script fails
# otherwise. Prints each wheel's size.
#
#   scripts/wheels.sh                           every wheel and the sdist, into dist/
#   scripts/wheels.sh --arch x86_64 --only abi3 --no-sdist
#                                               one wheel (what CI tests)
#   scripts/wheels.sh check dist/*.whl          only the checks
#
# Interpreters: none is needed but the one running the tools; maturin uses
# its bundled sysconfig for the versions this machine lacks. Each wheel is a
# build of its own: about 10 min of CPU cold (the AWS SDK, then fat LTO),
# 2 to 4 min warm, on 2 cores. Target dirs: target/wheel-ARCH. Tools: the
# versions in scripts/requirements-wheels.txt, in $SSMCONF_VENV (default
# .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${SSMCONF_VENV:-.venv}"
out=dist
arches=()
kinds=()
sdist=1
checks_only=0
wheels=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
if [[ "${1:-}" == check ]]; then
  checks_only=1
  shift
  wheels=("$@")
  [[ ${#wheels[@]} -gt 0 ]] || usage 2
else
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --arch) arches+=("$2"); shift 2 ;;
      --only) kinds+=("$2"); shift 2 ;;
      --no-sdist) sdist=0; shift ;;
      --out) out="$2"; shift 2 ;;
      -h|--help) usage ;;
      *) echo "wheels.sh: unknown argument $1" >&2; usage 2 ;;
    esac
  done
  [[ ${#arches[@]} -gt 0 ]] || arches=(x86_64 aarch64)
  [[ ${#kinds[@]} -gt 0 ]] || kinds=(abi3 cp39)
fi

# The tools, once per change of scripts/requirements-wheels.txt.
stamp="$venv/.requirements-wheels.txt"
if ! cmp -s scripts/requirements-wheels.txt "$stamp" 2>/dev/null; then
  echo "==> installing maturin, zig and auditwheel into $venv"
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/requirements-wheels.txt
  cp scripts/requirements-wheels.txt "$stamp"
fi
# maturin finds `python -m ziglang` through the interpreter on PATH.
export PATH="$PWD/$venv/bin:$PATH"

# Fails unless WHEEL is manylinux2014-compatible for its architecture, links
# no library outside the manylinux2014 set, and installs `ssmconf`.
check() {
  local wheel="$1" arch report
  case "$wheel" in
    *_x86_64.whl) arch=x86_64 ;;
    *_aarch64.whl) arch=aarch64 ;;
    *) echo "FAIL $wheel: not a manylinux x86_64 or aarch64 wheel" >&2; return 1 ;;
  esac
  [[ "$wheel" == *manylinux2014_"$arch"* ]] || { echo "FAIL $wheel: not tagged manylinux2014_$arch" >&2; return 1; }
  report="$(auditwheel show "$wheel" 2>&1)" || { echo "$report" >&2; echo "FAIL $wheel: auditwheel show failed" >&2; return 1; }
  report="$(tr '\n' ' ' <<<"$report")"
  if [[ "$report" != *"consistent with the following platform tag: \"manylinux_2_17_$arch\""* ]]; then
    auditwheel show "$wheel" >&2
    echo "FAIL $wheel: auditwheel does not find it manylinux_2_17_$arch (manylinux2014) compatible" >&2
    return 1
  fi
  # auditwheel's tag already excludes libraries outside the policy; say so
  # plainly too: it names them when there are any, and the native module's
  # DT_NEEDED entries are all glibc's or libgcc's.
  if [[ "$report" == *"external shared libraries are required"* ]]; then
    auditwheel show "$wheel" >&2
    echo "FAIL $wheel: it needs shared libraries outside the manylinux2014 set" >&2
    return 1
  fi
  "$venv/bin/python" - "$wheel" <<'EOF' || return 1
import re, subprocess, sys, tempfile, zipfile
wheel = zipfile.ZipFile(sys.argv[1])
points = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
if not points or not re.search(r"(?m)^ssmconf\s*=\s*ssmconf\._cli:main$", wheel.read(points[0]).decode()):
    sys.exit(f"FAIL {sys.argv[1]}: no `ssmconf` console script in entry_points.txt")
system = re.compile(r"(libc|libm|libpthread|libdl|librt|libutil|libgcc_s)\.so\.\d+|ld-linux-(x86-64|aarch64)\.so\.\d+")
for name in (n for n in wheel.namelist() if n.endswith(".so")):
    with tempfile.NamedTemporaryFile(suffix=".so") as so:
        so.write(wheel.read(name))
        so.flush()
        dynamic = subprocess.run(["readelf", "-d", so.name], capture_output=True, text=True, check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)
    extra = [lib for lib in needed if not system.fullmatch(lib)]
    if extra or not needed:
        sys.exit(f"FAIL {sys.argv[1]}: {name} needs {extra or 'nothing?'} beyond glibc and libgcc")
EOF
  echo "ok   $(basename "$wheel"): manylinux_2_17_$arch (manylinux2014), no external libraries, installs \`ssmconf\`"
}

sizes() {
  "$venv/bin/python" - "$@" <<'EOF'
import os, sys, zipfile
for path in sys.argv[1:]:
    native = ""
    if path.endswith(".whl"):
        so = [i for i in zipfile.ZipFile(path).infolist() if i.filename.endswith(".so")]
        native = "  (native module %.1f MiB unpacked)" % (sum(i.file_size for i in so) / 2**20)
    print("%-80s %6.1f MiB%s" % (os.path.basename(path), os.path.getsize(path) / 2**20, native))
EOF
}

if [[ $checks_only == 1 ]]; then
  status=0
  for wheel in "${wheels[@]}"; do check "$wheel" || status=1; done
  sizes "${wheels[@]}"
  exit $status
fi

mkdir -p "$out"
built=()
# abi3 wheels are built against the tools' own interpreter when it is 3.10
# or later (else maturin's bundled 3.10 sysconfig).
tools_python="$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
[[ "$tools_python" != 3.9 ]] || tools_python=3.10
for arch in "${arches[@]}"; do
  for kind in "${kinds[@]}"; do
    case "$kind" in
      abi3) flags=(--features abi3 -i "python$tools_python") ;;
      cp39) flags=(-i python3.9) ;;
      *) echo "wheels.sh: --only abi3 or cp39, not $kind" >&2; exit 2 ;;
    esac
    echo "==> $kind wheel for $arch (release profile, zig, manylinux2014)"
    log="$(mktemp)"
    start=$SECONDS
    CARGO_TARGET_DIR="target/wheel-$arch" maturin build --release --locked --zig \
      --target "$arch-unknown-linux-gnu" --compatibility manylinux2014 \
      -m crates/py/Cargo.toml "${flags[@]}" -o "$out" 2>&1 | tee "$log" | grep -v '^ *Compiling ' || {
      echo "FAIL: maturin build, $kind for $arch" >&2
      exit 1
    }
    echo "    built in $((SECONDS - start)) s"
    # The wheel this build wrote (maturin prints its path).
    while read -r wheel; do built+=("$wheel"); done < <(sed -n 's/^📦 Built wheel.* to //p' "$log")
    rm -f "$log"
  done
done
if [[ $sdist == 1 ]]; then
  echo "==> sdist"
  log="$(mktemp)"
  maturin sdist -m crates/py/Cargo.toml -o "$out" 2>&1 | tee "$log"
  built+=("$(sed -n 's/^📦 Built source distribution to //p' "$log")")
  rm -f "$log"
fi

echo "==> checks"
status=0
for wheel in "${built[@]}"; do
  [[ "$wheel" == *.whl ]] || continue
  check "$wheel" || status=1
done
echo "==> sizes"
sizes "${built[@]}"
exit $status
