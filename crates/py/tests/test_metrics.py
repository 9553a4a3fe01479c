"""Resolver.metrics_emf from Python: the EMF line, its counts, and its refusals."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

import ssmconf

SCHEMA = {
    "model": {"ssm_param": "/app/model", "default": "GPT_4O"},
    "token": {"ssm_param": "/app/token", "secure": True},
}
TOKEN = "tok-3f9a-never-in-metrics"


def resolver() -> ssmconf.Resolver:
    store = ssmconf.MemoryStore({"/app/model": "CLAUDE_OPUS_4_5", "/app/token": TOKEN})
    return ssmconf.Resolver(SCHEMA, store=store)


def test_defaults_and_counts() -> None:
    r = resolver()
    assert r.get("token") == TOKEN
    r.get("token")
    line = r.metrics_emf()
    assert "\n" not in line and TOKEN not in line and "/app/token" not in line
    doc: dict[str, Any] = json.loads(line)
    (directive,) = doc["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "ssmconf" and directive["Dimensions"] == [[]]
    assert (doc["Hits"], doc["Misses"], doc["HitRate"], doc["SsmCalls"]) == (1, 1, 50.0, 1)
    assert json.loads(r.metrics_emf())["Hits"] == 0, "counts since the previous call"


def test_dimensions_keep_their_order() -> None:
    doc = json.loads(resolver().metrics_emf("Svc", {"Stage": "prod", "Service": "coaching"}))
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Stage", "Service"]]
    assert (doc["Stage"], doc["Service"]) == ("prod", "coaching")


def test_refusals_say_what_is_wrong() -> None:
    r = resolver()
    with pytest.raises(TypeError, match=r'the value of dimension "Stage" must be a str, not int'):
        r.metrics_emf("ns", {"Stage": 3})
    with pytest.raises(TypeError, match="dimensions must be a mapping of str to str, not list"):
        r.metrics_emf("ns", [("a", "b")])  # type: ignore[arg-type]
    with pytest.raises(ssmconf.ValidationError, match="starts with `:`"):
        r.metrics_emf("ns", {":x": "y"})
    with pytest.raises(ssmconf.ValidationError, match="at most 30"):
        r.metrics_emf("ns", {f"D{i}": "v" for i in range(31)})


def test_threads_never_report_a_count_twice() -> None:
    r = resolver()
    r.get("model")
    totals: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(200):
            r.get("model")
            hits = json.loads(r.metrics_emf("ns"))["Hits"]
            with lock:
                totals.append(hits)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(totals) == 800
