"""The optional features of SPEC.md, from Python: the last-known-good
snapshot, refresh ahead and TTL jitter."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import ssmconf

SCHEMA = """
models:
  default_basic:
    ssm_param: /it/{stage}/models/default_basic
    default: CLAUDE_3_5_SONNET_V2
  max_tokens:
    ssm_param: /it/{stage}/models/max_tokens
    type: int
secrets:
  token:
    ssm_param: /it/{stage}/secrets/token
    secure: true
"""

SECRET = "py-snapshot-s3cret-value"


def wait_for(what: str, done: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.01)


def test_a_process_started_while_ssm_is_down_gets_the_snapshot(
    make_resolver: Callable[..., ssmconf.Resolver], seed: Callable[..., int], stage: str, tmp_path: Path, schema: Any
) -> None:
    seed(f"/it/{stage}/models/default_basic", "CLAUDE_OPUS_4_5")
    seed(f"/it/{stage}/models/max_tokens", "2048")
    seed(f"/it/{stage}/secrets/token", SECRET, type="SecureString")
    snap = tmp_path / "last-good.json"
    r = make_resolver(SCHEMA, snapshot=str(snap))
    r.load_all()
    assert r.get("secrets.token") == SECRET
    wait_for("the snapshot", lambda: snap.exists() and "CLAUDE_OPUS_4_5" in snap.read_text())
    assert stat.S_IMODE(os.stat(snap).st_mode) == 0o600
    text = snap.read_text()
    assert SECRET not in text and "secrets" not in text and "/secrets/token" not in text

    # A new process, SSM unreachable: the snapshot answers, as stale.
    script = f"""
import json, ssmconf
r = ssmconf.Resolver({str(schema(SCHEMA, "again.yml"))!r}, vars={{"stage": {stage!r}}},
                     store=ssmconf.SsmStore(region="us-east-1", endpoint_url="http://127.0.0.1:9"),
                     snapshot={str(snap)!r})
why = r.explain("models.default_basic")
print(json.dumps([why.value, why.source, r.get("models.max_tokens"), r.get("secrets.token")]))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout) == ["CLAUDE_OPUS_4_5", "stale", 2048, None], out.stderr


def test_a_corrupt_snapshot_is_ignored_with_a_warning(
    tmp_path: Path, schema: Any, ssmconf_logs: pytest.LogCaptureFixture
) -> None:
    snap = tmp_path / "snap.json"
    snap.write_text('{"format": "ssmconf-snapshot/1", "parameters": {"/it/x/models/default_basic": ')
    store = ssmconf.MemoryStore()
    store.fail("unreachable")
    r = ssmconf.Resolver(schema(SCHEMA), vars={"stage": "x"}, store=store, snapshot=snap)
    assert r.explain("models.default_basic").source == "default"
    warnings = [rec.getMessage() for rec in ssmconf_logs.records if rec.levelname == "WARNING"]
    assert any(m.startswith(f"Ignoring the snapshot {snap}: not a snapshot") for m in warnings), warnings
    assert snap.read_text().endswith(": "), "the file is left as it is"


def test_refresh_ahead_answers_at_once_and_refreshes_in_the_background(schema: Any) -> None:
    store = ssmconf.MemoryStore({"/it/x/models/default_basic": "GPT_4O"})
    # A 5 s TTL whose last 90% is the refresh window: from 0.5 s on, a read
    # answers the cached value and refreshes it in the background.
    r = ssmconf.Resolver(schema(SCHEMA), vars={"stage": "x"}, store=store, ttl=5.0, refresh_ahead=0.9)
    assert r.get("models.default_basic") == "GPT_4O"
    store.set("/it/x/models/default_basic", "GPT_5_MINI")
    calls = store.calls
    time.sleep(0.6)
    assert r.get("models.default_basic") == "GPT_4O", "answered from the cache at once"
    wait_for("the background refresh", lambda: r.get("models.default_basic") == "GPT_5_MINI")
    assert store.calls == calls + 1
    assert r.stats()["misses"] == 1, r.stats()


def test_refresh_ahead_still_starts_after_repeated_hits(schema: Any) -> None:
    store = ssmconf.MemoryStore({"/it/x/models/default_basic": "GPT_4O"})
    # A 4 s TTL whose last half is the refresh window. Repeated reads of one
    # key object take the shortcut early on (its stamp ends a second before
    # the window); in the window a read must still start the refresh.
    r = ssmconf.Resolver(schema(SCHEMA), vars={"stage": "x"}, store=store, ttl=4.0, refresh_ahead=0.5)
    key = "models.default_basic"
    assert [r.get(key) for _ in range(100)] == ["GPT_4O"] * 100
    store.set("/it/x/models/default_basic", "GPT_5_MINI")
    calls = store.calls
    time.sleep(2.2)
    assert r.get(key) == "GPT_4O", "answered from the cache at once"
    # Started by that read, not by the precise clock's last second (3 s in).
    wait_for("the background refresh", lambda: store.calls == calls + 1, timeout=0.6)
    wait_for("the refreshed value", lambda: r.get(key) == "GPT_5_MINI", timeout=0.6)
    assert r.stats()["misses"] == 1, r.stats()


def test_the_options_are_checked() -> None:
    schema = {"m": {"ssm_param": "/it/m"}}
    ssmconf.Resolver(schema, store=ssmconf.MemoryStore(), refresh_ahead=True, ttl_jitter=0.1)
    ssmconf.Resolver(schema, store=ssmconf.MemoryStore(), refresh_ahead=False)
    with pytest.raises(ssmconf.ValidationError, match="refresh_ahead"):
        ssmconf.Resolver(schema, store=ssmconf.MemoryStore(), refresh_ahead=1.5)
    with pytest.raises(ssmconf.ValidationError, match="ttl_jitter"):
        ssmconf.Resolver(schema, store=ssmconf.MemoryStore(), ttl_jitter=-1)
    with pytest.raises(TypeError, match="refresh_ahead"):
        ssmconf.Resolver(schema, store=ssmconf.MemoryStore(), refresh_ahead="soon")  # type: ignore[arg-type]


def test_jitter_takes_up_to_its_fraction_off_the_ttl(schema: Any) -> None:
    text = "".join(f"k{i}:\n  ssm_param: /it/j/k{i}\n" for i in range(30))
    store = ssmconf.MemoryStore({f"/it/j/k{i}": "v" for i in range(30)})
    r = ssmconf.Resolver(schema(text, "j.yml"), store=store, ttl=1000, ttl_jitter=0.2)
    r.load_all()
    lives = []
    for i in range(30):
        why = r.explain(f"k{i}")
        assert why.fetched_at is not None and why.expires_at is not None
        lives.append((why.expires_at - why.fetched_at).total_seconds())
    assert all(800 <= life <= 1000 for life in lives), lives
    assert len(set(round(life) for life in lives)) > 10, lives
