"""One resolver shared by many threads: one request per cold key, no errors under churn."""

from __future__ import annotations

import threading
import time

import ssmconf

SCHEMA = """
models:
  default_basic:
    ssm_param: /it/{stage}/models/default_basic
    default: CLAUDE_3_5_SONNET_V2
    allowed: [CLAUDE_3_5_SONNET_V2, CLAUDE_OPUS_4_5, GPT_4O]
  premium:
    ssm_param: /it/{stage}/models/premium
    type: list
training:
  epochs: 3
"""


def run_threads(n, target):
    """Runs ``target(i)`` in ``n`` threads; returns (results, errors)."""
    results = [None] * n
    errors = []

    def wrap(i):
        try:
            results[i] = target(i)
        except BaseException as e:  # noqa: BLE001 - collected and asserted on
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, errors


def test_thirty_two_threads_reading_a_cold_key_make_one_call(make_resolver, seed, stage):
    seed(f"/it/{stage}/models/default_basic", "GPT_4O")
    r = make_resolver(SCHEMA)
    barrier = threading.Barrier(32)

    def read(_):
        barrier.wait(timeout=10)
        return r.get("models.default_basic")

    results, errors = run_threads(32, read)
    assert errors == []
    assert results == ["GPT_4O"] * 32
    stats = r.stats()
    assert stats["ssm_calls"] == 1, f"concurrent readers share one request: {stats}"


def test_threads_reading_a_memory_store_make_one_call(schema):
    mem = ssmconf.MemoryStore(values={"/it/mem/models/default_basic": "CLAUDE_OPUS_4_5"})
    r = ssmconf.Resolver(schema(SCHEMA), vars={"stage": "mem"}, store=mem)
    barrier = threading.Barrier(32)

    def read(_):
        barrier.wait(timeout=10)
        return r.require("models.default_basic")

    results, errors = run_threads(32, read)
    assert errors == []
    assert results == ["CLAUDE_OPUS_4_5"] * 32
    assert mem.calls == 1
    assert r.stats()["ssm_calls"] == 1


def test_a_shared_resolver_under_get_put_invalidate_churn(make_resolver, stage):
    r = make_resolver(SCHEMA, ttl=0.05)
    allowed = ["CLAUDE_3_5_SONNET_V2", "CLAUDE_OPUS_4_5", "GPT_4O"]
    deadline = time.monotonic() + 1.0
    seen = set()
    counts = {"get": 0, "put": 0, "invalidate": 0}
    lock = threading.Lock()

    def work(i):
        n = 0
        while time.monotonic() < deadline:
            n += 1
            role = i % 4
            if role == 0:
                r.put("models.default_basic", allowed[n % 3])
                r.put("models.premium", [allowed[n % 3], allowed[(n + 1) % 3]])
                op = "put"
            elif role == 1:
                r.invalidate("models.default_basic")
                if n % 5 == 0:
                    r.clear_cache()
                op = "invalidate"
            else:
                value = r.get("models.default_basic")
                premium = r.get("models.premium")
                assert value in allowed, value
                assert premium is None or (isinstance(premium, list) and len(premium) == 2), premium
                assert r["training.epochs"] == 3
                r.explain("models.default_basic")
                with lock:
                    seen.add(value)
                op = "get"
            with lock:
                counts[op] += 1
        return n

    results, errors = run_threads(8, work)
    assert errors == [], errors[:3]
    assert all(n and n > 0 for n in results)
    assert min(counts.values()) > 0, counts
    assert seen <= set(allowed)
    stats = r.stats()
    assert stats["ssm_errors"] == 0, stats
    final = r.history("models.default_basic")[0].value
    r.invalidate("models.default_basic")
    assert r.get("models.default_basic") == final, "after the churn, a fresh read sees the last write"
