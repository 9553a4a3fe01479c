"""The shared cache from Python: two processes share one fetch through a real
redis-server (started on a free loopback port by this module, stopped by PID),
and a secure value is shared only encrypted, with a key."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

import ssmconf
from helpers import free_port

KEY = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
SCHEMA = """
g:
  model:
    ssm_param: /it/{stage}/model
    allowed: [GPT_4O, CLAUDE]
  epochs:
    ssm_param: /it/{stage}/epochs
    type: int
  token:
    ssm_param: /it/{stage}/token
    secure: true
"""


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """``redis://127.0.0.1:PORT`` of a redis-server started for this module."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server not found: apt-get install -y redis-server (scripts/test.sh does)")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="ssmconf-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                import socket

                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not listen on {port}")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def redis_values(url: str) -> list[bytes]:
    """Every value stored in the Redis at ``url``, through redis-cli."""
    port = url.rsplit(":", 1)[1]
    cli = shutil.which("redis-cli") or "redis-cli"
    keys = subprocess.run([cli, "-p", port, "--raw", "KEYS", "*"], capture_output=True, timeout=10, check=True)
    values = []
    for key in keys.stdout.decode().split():
        out = subprocess.run([cli, "-p", port, "--raw", "GET", key], capture_output=True, timeout=10, check=True)
        values.append(out.stdout)
    return values


def other_process(schema_path: Path, stage: str, endpoint: str, redis_url: str) -> dict[str, Any]:
    """Loads every entry in a separate Python process; answers its stats."""
    script = textwrap.dedent(
        f"""
        import json, ssmconf
        r = ssmconf.Resolver({str(schema_path)!r}, vars={{"stage": {stage!r}}},
                             store=ssmconf.SsmStore(region="us-east-1", endpoint_url={endpoint!r}),
                             shared_cache={redis_url!r}, shared_cache_key=[{KEY!r}])
        report = r.load_all()
        print(json.dumps({{"report": report, "stats": r.stats()}}))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60, check=True)
    return json.loads(out.stdout.decode().strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_a_fetch_in_one_process_answers_another_from_redis(
    schema: Callable[..., Path],
    stage: str,
    moto_endpoint: str,
    seed: Callable[..., int],
    redis_url: str,
) -> None:
    seed(f"/it/{stage}/model", "CLAUDE")
    seed(f"/it/{stage}/epochs", "12")
    seed(f"/it/{stage}/token", "hf_PYSECRET_42", type="SecureString")
    path = schema(SCHEMA)
    first = other_process(path, stage, moto_endpoint, redis_url)
    assert first["report"]["loaded"] == 3 and first["report"]["shared"] == 0
    assert first["stats"]["ssm_calls"] == 1

    r = ssmconf.Resolver(
        path,
        vars={"stage": stage},
        store=ssmconf.SsmStore(region="us-east-1", endpoint_url=moto_endpoint),
        shared_cache=redis_url,
        shared_cache_key=KEY,
    )
    assert r.get("g.model") == "CLAUDE"
    assert r.get("g.epochs") == 12
    assert r.get("g.token") == "hf_PYSECRET_42"
    why = r.explain("g.model")
    assert why.source == "shared"
    stats = r.stats()
    assert stats["ssm_calls"] == 0
    assert stats["shared_hits"] == 3
    assert stats["shared_errors"] == 0
    assert r.explain("g.token").value == "***"
    for value in redis_values(redis_url):
        assert b"PYSECRET" not in value


def test_without_a_key_secure_entries_skip_redis_and_bad_keys_are_refused(
    make_resolver: Callable[..., ssmconf.Resolver], stage: str, seed: Callable[..., int], redis_url: str
) -> None:
    seed(f"/it/{stage}/token", "hf_NOKEY_77", type="SecureString")
    r = make_resolver(SCHEMA, shared_cache=redis_url)
    assert r.get("g.token") == "hf_NOKEY_77"
    assert all(b"NOKEY" not in v for v in redis_values(redis_url))
    with pytest.raises(ssmconf.ValidationError, match="shared_cache_key") as info:
        make_resolver(SCHEMA, shared_cache=redis_url, shared_cache_key="s3cret-but-short")
    assert "s3cret" not in str(info.value)
    with pytest.raises(TypeError, match="shared_cache_key"):
        make_resolver(SCHEMA, shared_cache=redis_url, shared_cache_key=42)  # type: ignore[arg-type]


def test_a_redis_that_is_not_there_changes_no_answer(
    make_resolver: Callable[..., ssmconf.Resolver], stage: str, seed: Callable[..., int]
) -> None:
    seed(f"/it/{stage}/epochs", "3")
    r = make_resolver(SCHEMA, shared_cache=f"redis://127.0.0.1:{free_port()}")
    started = time.monotonic()
    assert r.get("g.epochs") == 3
    assert time.monotonic() - started < 5
    assert r.explain("g.epochs").source == "ssm"
    assert r.stats()["shared_errors"] >= 1


def test_ssmconf_shared_cache_names_the_redis_for_resolvers_that_do_not(
    make_resolver: Callable[..., ssmconf.Resolver],
    stage: str,
    seed: Callable[..., int],
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(f"/it/{stage}/epochs", "21")
    monkeypatch.setenv("SSMCONF_SHARED_CACHE", redis_url)
    first = make_resolver(SCHEMA)
    assert first.get("g.epochs") == 21
    second = make_resolver(SCHEMA)
    assert second.get("g.epochs") == 21
    assert second.explain("g.epochs").source == "shared"
    assert second.stats()["ssm_calls"] == 0
