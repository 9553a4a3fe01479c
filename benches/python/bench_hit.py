"""ns per cache-hit `get` from Python, beside a bare dict.get loop, in one run.

    VIRTUAL_ENV=$PWD/.venv .venv/bin/maturin develop --release -m crates/py/Cargo.toml
    .venv/bin/python benches/python/bench_hit.py

To compare builds of the native module side by side (say, before and after a
change), copy each build's `crates/py/python/ssmconf/_ssmconf*.so` aside and
name them; they are loaded into one process and measured in interleaved
rounds, so a busy machine slows them alike:

    .venv/bin/python benches/python/bench_hit.py --compare /tmp/before.so /tmp/after.so

The full comparison with boto3 and Powertools is bench_compare.py. Timing
belongs here, never in the tests.
"""

import argparse
import importlib.machinery
import importlib.util
import statistics
import time
from pathlib import Path

import ssmconf

N = 200_000
ROUNDS = 7
SCHEMA = {
    "models": {
        "basic": {"ssm_param": "/app/{stage}/basic"},
        "max": {"ssm_param": "/app/{stage}/max", "type": "int"},
    }
}


def per_call(f, key):
    start = time.perf_counter()
    for _ in range(N):
        f(key)
    return (time.perf_counter() - start) / N * 1e9


def load_native(path, label):
    """A build of ``ssmconf._ssmconf`` from ``path``, as a module of its own."""
    name = f"bench_{label}._ssmconf"  # the init function is named after the last part
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    loader.exec_module(module)
    return module


def resolver(native):
    store = native.MemoryStore({"/app/dev/basic": "CLAUDE_3_5_SONNET_V2", "/app/dev/max": "4096"})
    r = native.Resolver(SCHEMA, vars={"stage": "dev"}, store=store)
    r.load_all()
    return r


KEPT = []


def usual_key(r):
    """A `models.basic` object whose shortcut bucket another object holds, so
    every `get` of it takes the usual path (`Resolver::with_hit`)."""
    copies = ["".join(["models.", "basic"]) for _ in range(256)]  # distinct objects, equal values
    for k in copies:  # each bucket keeps the first object that lands in it
        r.get(k)
    KEPT.append(copies)  # alive, so no later object reuses their addresses
    return "".join(["models.", "basic"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", nargs="+", metavar="SO", help="builds of the native module to measure side by side")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"rounds of {N:,} calls per row (default {ROUNDS})")
    parser.add_argument("--usual", action="store_true", help="add rows for the usual hit path (a key object the shortcuts do not hold)")
    args = parser.parse_args()
    natives = {"": ssmconf} if not args.compare else {
        Path(p).name.split(".")[0]: load_native(p, f"v{i}") for i, p in enumerate(args.compare)
    }
    d = {"models.basic": "CLAUDE_3_5_SONNET_V2"}
    rows = {"dict.get (str)": lambda: per_call(d.get, "models.basic")}
    resolvers = {}
    for label, native in natives.items():
        r = resolvers[label] = resolver(native)
        tag = f" [{label}]" if label else ""
        rows[f"Resolver.get hit (str){tag}"] = lambda r=r: per_call(r.get, "models.basic")
        rows[f"Resolver.get hit (int){tag}"] = lambda r=r: per_call(r.get, "models.max")
        if args.usual:
            rows[f"Resolver.get hit, usual path (str){tag}"] = lambda r=r: per_call(r.get, usual_key(r))
    samples = {name: [] for name in rows}
    for _ in range(args.rounds):  # interleaved: a slow moment hits every row alike
        for name, run in rows.items():
            samples[name].append(run())
    width = max(len(name) for name in rows)
    for name, s in samples.items():
        print(f"{name:<{width}} median {statistics.median(s):7.1f} ns   min {min(s):7.1f} ns")
    for r in resolvers.values():
        assert r.stats()["ssm_calls"] == 1, "every get above was a hit"


if __name__ == "__main__":
    main()
