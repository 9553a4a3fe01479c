"""ns per cache-hit `get` from Python, beside a bare dict.get loop, in one run.

    VIRTUAL_ENV=$PWD/.venv .venv/bin/maturin develop --release -m crates/py/Cargo.toml
    .venv/bin/python benches/python/bench_hit.py

A first figure; the full comparison with boto3 and Powertools (issue 5)
comes next. Timing belongs here, never in the tests.
"""

import statistics
import time

import ssmconf

N = 200_000
ROUNDS = 7


def per_call(f, key):
    start = time.perf_counter()
    for _ in range(N):
        f(key)
    return (time.perf_counter() - start) / N * 1e9


def main():
    store = ssmconf.MemoryStore({"/app/dev/basic": "CLAUDE_3_5_SONNET_V2", "/app/dev/max": "4096"})
    schema = {"models": {"basic": {"ssm_param": "/app/{stage}/basic"}, "max": {"ssm_param": "/app/{stage}/max", "type": "int"}}}
    r = ssmconf.Resolver(schema, vars={"stage": "dev"}, store=store)
    r.load_all()
    d = {"models.basic": "CLAUDE_3_5_SONNET_V2"}
    rows = {
        "dict.get (str)": lambda: per_call(d.get, "models.basic"),
        "Resolver.get hit (str)": lambda: per_call(r.get, "models.basic"),
        "Resolver.get hit (int)": lambda: per_call(r.get, "models.max"),
    }
    for name, run in rows.items():
        samples = [run() for _ in range(ROUNDS)]
        print(f"{name:<26} median {statistics.median(samples):7.1f} ns   min {min(samples):7.1f} ns")
    assert r.stats()["ssm_calls"] == 1, "every get above was a hit"


if __name__ == "__main__":
    main()
