"""The whole cold process: ssmconf against boto3 and Powertools, and where ssmconf's time goes.

    .venv/bin/pip install -r benches/python/requirements.txt
    VIRTUAL_ENV=$PWD/.venv .venv/bin/maturin develop --release -m crates/py/Cargo.toml
    .venv/bin/python benches/python/bench_cold.py             # side by side, and the target
    .venv/bin/python benches/python/bench_cold.py --phases    # ssmconf's cold start, phase by phase
    # --python VENV/bin/python: the ssmconf of another venv; --baseline OTHER/bin/python: a second
    # build beside it, in the same run (before and after a change)

One moto_server on 127.0.0.1 (a free port, stopped by its PID), 300 String
parameters seeded with boto3, as in ``bench_compare.py`` (whose helpers this
reuses). Each figure is a median of fresh ``python -c`` processes, runs
interleaved so that a slow moment hits every column alike:

- ``python -c pass``: the interpreter's own start, the reference column;
- each library's cold process: import, build a client or resolver, load 30
  parameters its best way (ssmconf ``load_all``, boto3 ``get_parameters`` in
  batches of 10, Powertools ``get_parameters_by_name``), whole-process wall
  time seen by the parent;
- one round trip: a warm ``GetParameters`` of 10 names on a kept-alive
  connection (plain ``http.client``, no SDK), median of 50, measured in this
  process between the cold runs. A load of 30 needs three.

The target (issue 16): ssmconf's cold process at most ``pass + 1.3 × 3
round trips + 5 ms``, and at least 8 times faster than the fastest of
boto3 and Powertools.

``--phases`` times the steps inside fresh ssmconf processes with
``time.perf_counter`` (the import, the first and a second ``Resolver`` on a
``MemoryStore``, the first ``SsmStore``, the ``Resolver`` on it, the first
``load_all``, a second one after ``clear_cache``: warm round trips), wall
and CPU time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_compare as bc  # noqa: E402

TARGET_RATIO = 8.0
SSMCONF_PY = bc.PY
BASELINE_PY: str | None = None  # --baseline: another build of ssmconf, as its own column
LIBS = ("ssmconf", "boto3", "powertools-by-name")
NAMES = {
    "pass": "interpreter alone (`python -c pass`)",
    "ssmconf": "ssmconf: `Resolver(path, store=SsmStore(...))`, `load_all()`",
    "boto3": "boto3: `client('ssm')`, `get_parameters` ×3 (10 names each)",
    "powertools-by-name": "Powertools: `get_parameters_by_name` of 30",
    "baseline": "ssmconf, the `--baseline` build (the same program)",
}


def round_trip_ms(endpoint: str, samples: int = 50) -> float:
    """A warm GetParameters of 10 names on a kept-alive connection, no SDK: the server's part."""
    host, port = endpoint.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    body = json.dumps({"Names": [bc.name(i) for i in range(10)], "WithDecryption": True})
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AmazonSSM.GetParameters",
        # moto reads the region and account from the credential scope; it checks no signature.
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ssm/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
    times = []
    for i in range(samples + 3):
        start = time.perf_counter()
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200 or len(json.loads(data)["Parameters"]) != 10:
            raise RuntimeError(f"round trip failed: {response.status} {data[:300]!r}")
        if i >= 3:
            times.append(elapsed)
    conn.close()
    return statistics.median(times) * 1000


def versions() -> str:
    """bench_compare's versions line, with the build of the ssmconf that SSMCONF_PY imports."""
    out = subprocess.run([SSMCONF_PY, "-c", "import ssmconf._ssmconf as n; print(n.__file__)"],
                         capture_output=True, text=True, check=True)
    build = "dev build: figures are not representative" if ".debug_line" in bc.elf_sections(out.stdout.strip()) \
        else "release build"
    line = bc.versions()
    return line[:line.index("(") + 1] + build + line[line.index(")"):]


def run(lib: str, code: str, env: dict[str, str]) -> tuple[float, str]:
    """A fresh process, ssmconf's in SSMCONF_PY; whole-process wall time."""
    if lib not in ("ssmconf", "baseline"):
        return bc.run_child(["-c", code], env)
    start = time.perf_counter()
    py = SSMCONF_PY if lib == "ssmconf" else (BASELINE_PY or SSMCONF_PY)
    out = subprocess.run([py, "-c", code], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"ssmconf child failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return wall, out.stdout


def measure(endpoint: str, schemas: dict[int, Path], runs: int) -> dict[str, Any]:
    env = bc.child_env(endpoint)
    libs = LIBS + (("baseline",) if BASELINE_PY else ())
    codes = {lib: bc.cold_code("ssmconf" if lib == "baseline" else lib, 30, endpoint, schemas) for lib in libs}
    for lib in libs:  # one untimed run each: files in the page cache, like every later run
        run(lib, codes[lib], env)
    walls: dict[str, list[float]] = {"pass": [], **{lib: [] for lib in libs}}
    trips: list[float] = []
    for i in range(runs):
        bc.log(f"  round {i + 1}/{runs}")
        walls["pass"].append(bc.run_child(["-c", "pass"], env)[0] * 1000)
        for lib in libs:
            walls[lib].append(run(lib, codes[lib], env)[0] * 1000)
        trips.append(round_trip_ms(endpoint, samples=10))
    return {
        "wall_ms": {lib: statistics.median(v) for lib, v in walls.items()},
        "round_trip_ms": statistics.median(trips),
    }


def report(m: dict[str, Any], runs: int, machine: dict[str, str], load: str) -> str:
    w, rtt = m["wall_ms"], m["round_trip_ms"]
    floor = w["pass"] + 3 * rtt
    bound = w["pass"] + 1.3 * 3 * rtt + 5
    best = min(w[lib] for lib in LIBS if lib != "ssmconf")
    lines = [
        f"Medians of {runs} fresh processes each, interleaved; {machine['machine']}, {machine['python']};"
        f" {versions()}; load average {load}.",
        "",
        "| process | wall | over `python -c pass` | × ssmconf |",
        "|---|---|---|---|",
    ]
    for lib in ("pass", *LIBS, *(("baseline",) if "baseline" in w else ())):
        over = "" if lib == "pass" else f"{w[lib] - w['pass']:.1f} ms"
        ratio = "" if lib in ("pass", "ssmconf") else f"{w[lib] / w['ssmconf']:.2f}"
        lines.append(f"| {NAMES[lib]} | {w[lib]:.1f} ms | {over} | {ratio} |")
    lines += [
        "",
        f"One round trip (warm `GetParameters` of 10, no SDK): {rtt:.2f} ms; the floor (`pass` + 3 round trips)"
        f" {floor:.1f} ms; the bound (`pass` + 1.3 × 3 round trips + 5 ms) **{bound:.1f} ms**: ssmconf"
        f" {w['ssmconf']:.1f} ms, {'within' if w['ssmconf'] <= bound else 'over'} it"
        f" ({w['ssmconf'] - bound:+.1f} ms). The fastest alternative is **{best / w['ssmconf']:.1f}×**"
        f" ssmconf (target: at least {TARGET_RATIO:.0f}×).",
    ]
    return "\n".join(lines)


PHASES = """
import time
t = [(time.perf_counter(), time.process_time())]
def mark():
    t.append((time.perf_counter(), time.process_time()))
import ssmconf
mark()
ssmconf.Resolver({schema!r}, store=ssmconf.MemoryStore())
mark()
ssmconf.Resolver({schema!r}, store=ssmconf.MemoryStore())
mark()
store = ssmconf.SsmStore(endpoint_url={endpoint!r})
mark()
r = ssmconf.Resolver({schema!r}, store=store)
mark()
assert r.load_all()["loaded"] == 30
mark()
r.clear_cache()
assert r.load_all()["loaded"] == 30
mark()
print(" ".join(f"{{(b[0] - a[0]) * 1000:.3f}},{{(b[1] - a[1]) * 1000:.3f}}" for a, b in zip(t, t[1:])))
"""
PHASE_NAMES = (
    "`import ssmconf`",
    "first `Resolver(path, store=MemoryStore())`",
    "second `Resolver(path, store=MemoryStore())`",
    "first `SsmStore(endpoint_url=...)`",
    "`Resolver(path, store=that SsmStore)`",
    "first `load_all()` of 30 (3 requests)",
    "`clear_cache()`, second `load_all()` (warm)",
)


def phases(endpoint: str, schemas: dict[int, Path], runs: int) -> str:
    """Wall and CPU time (``time.process_time``: every thread of the process) of each phase."""
    code = PHASES.format(schema=str(schemas[30]), endpoint=endpoint)
    env = bc.child_env(endpoint)
    run("ssmconf", code, env)  # untimed: the page cache
    rows: list[list[tuple[float, float]]] = []
    walls: list[float] = []
    for i in range(runs):
        bc.log(f"  round {i + 1}/{runs}")
        wall, out = run("ssmconf", code, env)
        walls.append(wall * 1000)
        rows.append([tuple(float(x) for x in cell.split(",")) for cell in out.split()])  # type: ignore[misc]
    lines = [f"Medians of {runs} fresh processes, ms; {versions()}; load average {os.getloadavg()[0]:.2f}.", "",
             "| phase | wall | CPU (all threads) |", "|---|---|---|"]
    for j, label in enumerate(PHASE_NAMES):
        lines.append(f"| {label} | {statistics.median(r[j][0] for r in rows):.2f}"
                     f" | {statistics.median(r[j][1] for r in rows):.2f} |")
    lines.append(f"| the whole process (wall, seen by the parent) | {statistics.median(walls):.1f} | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per figure (default 15)")
    parser.add_argument("--phases", action="store_true", help="ssmconf's cold start phase by phase")
    parser.add_argument("--python", help="the interpreter of the ssmconf processes (another venv's build of it)")
    parser.add_argument("--baseline", help="the interpreter of another build of ssmconf, measured beside it")
    args = parser.parse_args()
    global SSMCONF_PY, BASELINE_PY
    SSMCONF_PY = args.python or bc.PY
    BASELINE_PY = args.baseline
    for k in bc.AWS_UNSET:
        os.environ.pop(k, None)
    os.environ.update(bc.AWS_ENV)
    for py in {SSMCONF_PY, BASELINE_PY or SSMCONF_PY}:
        bc.compile_bytecode(py)
    machine = bc.machine()
    load_before = os.getloadavg()[0]
    moto = bc.Moto()
    try:
        bc.log(f"moto_server on {moto.endpoint}; seeding {bc.SEEDED} parameters ...")
        bc.seed(moto.endpoint)
        with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
            schemas = bc.write_schemas(Path(tmp))
            if args.phases:
                section = phases(moto.endpoint, schemas, args.runs)
            else:
                result = measure(moto.endpoint, schemas, args.runs)
                load = f"{load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
                section = report(result, args.runs, machine, load)
    finally:
        moto.stop()
    print(section)


if __name__ == "__main__":
    main()
