"""ssmconf.parameters against Powertools' parameters utility, the same calls on one moto_server, in one run.

    .venv/bin/pip install -r benches/python/requirements.txt
    VIRTUAL_ENV=$PWD/.venv .venv/bin/maturin develop --release -m crates/py/Cargo.toml
    .venv/bin/python benches/python/bench_parameters.py            # prints a markdown section
    .venv/bin/python benches/python/bench_parameters.py --write    # and puts it into BENCHMARKS.md
    .venv/bin/python benches/python/bench_parameters.py --quick    # a smoke test: few repeats, not for numbers

Both libraries are used the way the migration keeps them: the same
module-level functions, only the import differs. Figures:

- ns per ``get_parameter(name)`` cache hit: ``timeit`` in one process, both
  libraries and a bare ``dict.get`` interleaved, min and median of rounds;
- ``get_parameters_by_name`` of 30 and of 300 names, and ``get_parameters``
  of a path holding 300 parameters on nested levels, each cold (a fresh
  process: import, first call): HTTP requests to SSM, and the call's time
  (median of fresh processes);
- 32 threads behind a barrier on one name whose ``max_age`` (1 s) has just
  run out: requests sent.

Requests are counted by bench_compare's proxy in front of moto (one HTTP
request with an ``X-Amz-Target: AmazonSSM.*`` header is one request, retries
included); timings never go through the proxy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_compare import (  # noqa: E402
    AWS_ENV,
    AWS_UNSET,
    PY,
    CountingProxy,
    Moto,
    child_env,
    compile_bytecode,
    log,
    machine,
    ops,
    run_child,
    versions,
)
from bench_compare import write as write_between  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "BENCHMARKS.md"
BEGIN, END = "<!-- bench_parameters:begin -->", "<!-- bench_parameters:end -->"
COMMAND = ".venv/bin/python benches/python/bench_parameters.py --write"
BUILD = "VIRTUAL_ENV=$PWD/.venv .venv/bin/maturin develop --release -m crates/py/Cargo.toml"

FLAT = "/bench/params"  # 300 names, for get_parameter and get_parameters_by_name
TREE = "/bench/tree"  # 300 names on nested levels, for get_parameters
SEEDED = 300
STAMPEDE_THREADS = 32

IMPORT = {
    "ssmconf": "from ssmconf import parameters",
    "powertools": "from aws_lambda_powertools.utilities import parameters",
}
LABEL = {"ssmconf": "ssmconf `parameters`", "powertools": "Powertools `parameters`"}


def flat(i: int) -> str:
    return f"{FLAT}/p{i:03d}"


def tree(i: int) -> str:
    return f"{TREE}/l{i % 3}/s{i % 7}/p{i:03d}"


def seed(endpoint: str) -> None:
    import boto3

    client = boto3.client("ssm", endpoint_url=endpoint)
    for i in range(SEEDED):
        client.put_parameter(Name=flat(i), Value=f"value-{i:03d}-" + "x" * 24, Type="String", Overwrite=True)
        client.put_parameter(Name=tree(i), Value=f"tree-{i:03d}", Type="String", Overwrite=True)


# --------------------------------------------------------------------------
# Children


def child_hit(rounds: int) -> None:
    """ns per get_parameter hit, both libraries and dict.get in this one process, rounds interleaved."""
    import timeit

    from aws_lambda_powertools.utilities import parameters as powertools

    from ssmconf import parameters as ours

    name = flat(0)
    baseline = {name: "value"}
    cases: dict[str, Callable[[str], Any]] = {
        "dict": baseline.get,
        "ssmconf": ours.get_parameter,
        "powertools": powertools.get_parameter,
    }
    timers = {}
    for case, f in cases.items():
        assert isinstance(f(name), str), case  # primes the caches
        timer = timeit.Timer("f(k)", globals={"f": f, "k": name})
        number, took = timer.autorange()
        timers[case] = (timer, max(1, int(number * 0.2 / took)))  # about 0.2 s a round
    samples: dict[str, list[float]] = {case: [] for case in cases}
    for _ in range(rounds):
        for case, (timer, number) in timers.items():
            samples[case].append(timer.timeit(number) / number * 1e9)
    print(json.dumps({case: {"median": statistics.median(s), "min": min(s)} for case, s in samples.items()}))


CALLS = {
    "by_name_30": lambda p: p.get_parameters_by_name({flat(i): {} for i in range(30)}),
    "by_name_300": lambda p: p.get_parameters_by_name({flat(i): {} for i in range(SEEDED)}),
    "path_300": lambda p: p.get_parameters(TREE),
}
EXPECTED = {"by_name_30": 30, "by_name_300": SEEDED, "path_300": SEEDED}


def child_cold(lib: str, call: str) -> None:
    """A fresh process: import, then one timed call; prints its ms and how many values it returned."""
    namespace: dict[str, Any] = {}
    exec(IMPORT[lib], namespace)
    p = namespace["parameters"]
    start = time.perf_counter()
    got = CALLS[call](p)
    took = time.perf_counter() - start
    print(json.dumps({"ms": took * 1000, "values": len(got)}))


def child_stampede(lib: str, endpoint: str, rounds: int) -> None:
    """Requests sent when STAMPEDE_THREADS threads read one name whose max_age just ran out."""
    import urllib.request

    namespace: dict[str, Any] = {}
    exec(IMPORT[lib], namespace)
    p = namespace["parameters"]
    name = flat(0)

    def count() -> int:
        with urllib.request.urlopen(endpoint + "/__bench__/count") as resp:
            return sum(json.load(resp).values())

    sent = []
    for _ in range(rounds):
        p.get_parameter(name, max_age=1)  # cached now
        time.sleep(1.2)  # and expired
        barrier = threading.Barrier(STAMPEDE_THREADS)
        results: list[Any] = []

        def reader() -> None:
            barrier.wait()
            results.append(p.get_parameter(name, max_age=1))

        threads = [threading.Thread(target=reader) for _ in range(STAMPEDE_THREADS)]
        before = count()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        sent.append(count() - before)
        assert len(results) == STAMPEDE_THREADS and all(isinstance(v, str) for v in results), results
    print(json.dumps(sent))


# --------------------------------------------------------------------------
# The parent


def measure_hits(endpoint: str, rounds: int) -> dict[str, dict[str, float]]:
    log("get_parameter hits ...")
    _, out = run_child([__file__, "--child", "hit", str(rounds)], child_env(endpoint))
    return json.loads(out)


def measure_cold(endpoint: str, proxy: CountingProxy, runs: int) -> dict[str, dict[str, dict[str, Any]]]:
    """{call: {lib: {"ms": median, "requests": Counter}}}: requests through the proxy, times without it."""
    log("cold calls ...")
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for call in CALLS:
        out[call] = {}
        for lib in IMPORT:
            before = proxy.snapshot()
            _, text = run_child([__file__, "--child", "cold", lib, call], child_env(proxy.endpoint))
            got = json.loads(text)
            assert got["values"] == EXPECTED[call], (lib, call, got)
            out[call][lib] = {"requests": proxy.snapshot() - before, "ms": []}
    for _ in range(runs):  # interleaved, so a slow moment hits both libraries alike
        for call in CALLS:
            for lib in IMPORT:
                _, text = run_child([__file__, "--child", "cold", lib, call], child_env(endpoint))
                out[call][lib]["ms"].append(json.loads(text)["ms"])
    for call in out.values():
        for entry in call.values():
            entry["ms"] = statistics.median(entry["ms"])
    return out


def measure_stampede(proxy: CountingProxy, rounds: int) -> dict[str, list[int]]:
    log("stampede ...")
    return {
        lib: json.loads(run_child([__file__, "--child", "stampede", lib, proxy.endpoint, str(rounds)], child_env(proxy.endpoint))[1])
        for lib in IMPORT
    }


def report(hits: Any, cold: Any, stampede: Any, env: dict[str, str], load: str, quick: bool) -> str:
    s, pt, d = hits["ssmconf"]["median"], hits["powertools"]["median"], hits["dict"]["median"]
    lines = [
        "## Python: `ssmconf.parameters` against Powertools' `parameters`",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {env['machine']}; {env['python']}; {versions()}.",
        f"Load average (1 min) {load}. One moto_server on loopback for both libraries, in one run"
        + (" (**--quick: a smoke test, not figures to quote**)" if quick else "")
        + ":",
        "",
        "```bash",
        ".venv/bin/pip install -r benches/python/requirements.txt",
        BUILD,
        COMMAND,
        "```",
        "",
        "### A `get_parameter(name)` cache hit",
        "",
        "ns per call, `timeit` in one process (rounds interleaved).",
        "",
        "| case | median | min | × ssmconf |",
        "|---|---|---|---|",
        f"| `dict.get` (the baseline) | {d:.0f} ns | {hits['dict']['min']:.0f} ns | {d / s:.2f} |",
        f"| ssmconf `parameters.get_parameter(name)` | {s:.0f} ns | {hits['ssmconf']['min']:.0f} ns | 1.00 |",
        f"| Powertools `parameters.get_parameter(name)` | {pt:.0f} ns | {hits['powertools']['min']:.0f} ns | {pt / s:.1f} |",
        "",
        f"Powertools' hit is **{pt / s:.0f}×** ssmconf's (target: at least 50×).",
        "",
        "### Cold calls: requests and time",
        "",
        "Each in a fresh process (import, then the one call, which builds the client): HTTP requests to",
        "SSM counted at the proxy, and the call's time, median of fresh processes.",
        "",
        "| call | ssmconf requests | ssmconf time | Powertools requests | Powertools time |",
        "|---|---|---|---|---|",
    ]
    labels = {
        "by_name_30": "`get_parameters_by_name`, 30 names",
        "by_name_300": "`get_parameters_by_name`, 300 names",
        "path_300": "`get_parameters(path)`, 300 parameters on 3 levels",
    }
    for call, label in labels.items():
        o, p = cold[call]["ssmconf"], cold[call]["powertools"]
        lines.append(f"| {label} | {ops(o['requests'])} | {o['ms']:.0f} ms | {ops(p['requests'])} | {p['ms']:.0f} ms |")
    lines += [
        "",
        "### 32 threads on an expired name",
        "",
        "Requests sent when 32 threads behind a barrier call `get_parameter(name, max_age=1)` just",
        "after the value expired (each round).",
        "",
        "| library | requests, each round |",
        "|---|---|",
    ]
    for lib, rounds in stampede.items():
        lines.append(f"| {LABEL[lib]} | {', '.join(str(k) for k in rounds)} |")
    return "\n".join(lines) + "\n"


def write(section: str) -> None:
    write_between(section, BEGIN, END)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="replace the section between the markers in BENCHMARKS.md")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 1 run, 2 rounds, 1 stampede round")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per cold figure (default 5)")
    parser.add_argument("--rounds", type=int, default=7, help="timeit rounds per hit figure (default 7)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        if mode == "hit":
            child_hit(int(rest[0]))
        elif mode == "cold":
            child_cold(rest[0], rest[1])
        else:
            child_stampede(rest[0], rest[1], int(rest[2]))
        return
    if args.quick:
        args.runs, args.rounds = 1, 2
    stampede_rounds = 1 if args.quick else 3

    compile_bytecode(PY)
    for k in AWS_UNSET:
        os.environ.pop(k, None)
    os.environ.update(AWS_ENV)
    env = machine()
    load_before = os.getloadavg()[0]
    moto = Moto()
    proxy: Optional[CountingProxy] = None
    try:
        log(f"moto_server on {moto.endpoint}; seeding {SEEDED} + {SEEDED} parameters ...")
        seed(moto.endpoint)
        proxy = CountingProxy(moto.port)
        hits = measure_hits(moto.endpoint, args.rounds)
        cold = measure_cold(moto.endpoint, proxy, args.runs)
        stampede = measure_stampede(proxy, stampede_rounds)
    finally:
        if proxy is not None:
            proxy.stop()
        moto.stop()
    load = f"{load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    section = report(hits, cold, stampede, env, load, args.quick)
    print(section)
    if args.write:
        if args.quick:
            sys.exit("--write with --quick: a smoke test's figures do not go into BENCHMARKS.md")
        write(section)


if __name__ == "__main__":
    main()
