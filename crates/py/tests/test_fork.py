"""A resolver made before a fork works in the child (SPEC.md "Running where the services run", "Fork").

gunicorn ``--preload``, Celery prefork workers and ``multiprocessing`` fork pools make the resolver
(and its store) in the parent and read through it in children. The child keeps the inherited cache
and stale values, and makes a runtime and connections of its own on first need.

Every child runs under a hard deadline: the parent waits with a timeout and kills a child that has
not finished, failing the test, so that a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import multiprocessing
import os
import select
import signal
import socket
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable

import pytest

import ssmconf

# Python 3.12+ warns when a process that has threads forks ("This process (pid=...) is
# multi-threaded, use of fork() may lead to deadlocks in the child.", a DeprecationWarning), and
# the suite's filterwarnings=error would raise it in the parent once the child exists. The threads
# are ssmconf's own runtime workers (and the pools' helper threads): forking with them is the very
# thing these tests show to be safe, so that one warning, and only here, is ignored.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:This process .* is multi-threaded, use of fork\(\) may lead to deadlocks:DeprecationWarning"
)

# Seconds a child, a pool or an executor gets before it counts as hung (a read takes milliseconds).
DEADLINE = float(os.environ.get("SSMCONF_TEST_FORK_DEADLINE", "30"))

SCHEMA = """
cached:
  ssm_param: /it/{stage}/cached
short:
  ssm_param: /it/{stage}/short
  ttl: 1s
live:
  ssm_param: /it/{stage}/live
  ttl: 0
never:
  ssm_param: /it/{stage}/never
  type: int
"""
KEYS = ("cached", "short", "live", "never")
FIRST = {"cached": "c1", "short": "s1", "live": "l1", "never": 1}
SECOND = {"cached": "c2", "short": "s2", "live": "l2", "never": 2}
# What a reader made before the change sees after it, once `short` expired: `cached` from the
# cache (its TTL is 5 minutes), the others from the store.
AFTER = {"cached": "c1", "short": "s2", "live": "l2", "never": 2}


def in_child(body: Callable[[], Any], deadline: float = DEADLINE) -> Any:
    """Runs ``body`` in a child of ``os.fork()`` and answers what it returned (through JSON).

    Fails the test when the child raises, exits with a status other than 0, or has not finished
    within ``deadline`` seconds (it is killed then).
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # The child: never returns into pytest.
        status = 1
        try:
            os.close(read_end)
            try:
                out = {"ok": body()}
                status = 0
            except BaseException:  # noqa: BLE001 - reported to the parent, which fails the test
                out = {"error": traceback.format_exc()}
            data = json.dumps(out).encode()
            while data:
                data = data[os.write(write_end, data) :]
        finally:
            os._exit(status)
    os.close(write_end)
    chunks = []
    end = time.monotonic() + deadline
    try:
        while True:
            left = end - time.monotonic()
            ready = select.select([read_end], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail(f"the fork child did not finish within {deadline} s: it hangs")
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
    status = _reap(pid, end)
    out = json.loads(b"".join(chunks) or b"{}")
    assert "error" not in out, f"the fork child failed:\n{out['error']}"
    assert os.waitstatus_to_exitcode(status) == 0, f"the fork child exited with {os.waitstatus_to_exitcode(status)}"
    return out["ok"]


def _reap(pid: int, end: float) -> int:
    """The wait status of ``pid``, which closed its end of the pipe; killed after ``end``."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > end:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the fork child did not exit after its answer: it hangs")
        time.sleep(0.01)


class Backend:
    """Where the test's parameters live: ``make(**kwargs)`` a resolver, ``write(key, value)`` a value."""

    def __init__(self, make: Callable[..., ssmconf.Resolver], write: Callable[[str, Any], Any]) -> None:
        self.make = make
        self.write = write

    def write_all(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            self.write(key, value)


@pytest.fixture(params=["ssm", "file"])
def backend(request, make_resolver, seed, stage, schema, tmp_path: Path) -> Backend:
    """The same schema on moto (through SsmStore, written with boto3) and on a FileStore."""
    if request.param == "ssm":
        return Backend(lambda **kw: make_resolver(SCHEMA, **kw), lambda k, v: seed(f"/it/{stage}/{k}", str(v)))
    path = schema(SCHEMA)
    params = tmp_path / "params.json"

    def make(**kwargs: Any) -> ssmconf.Resolver:
        return ssmconf.Resolver(path, vars={"stage": stage}, store=ssmconf.FileStore(params), **kwargs)

    writer = make(ttl=0)
    return Backend(make, writer.put)


def warmed(backend: Backend) -> ssmconf.Resolver:
    """A resolver that read every key but ``never`` (so its runtime and connections exist), after
    which every value changed in the store and ``short`` expired: the state a preloaded server forks in.
    """
    backend.write_all(FIRST)
    r = backend.make()
    assert {k: r.get(k) for k in ("cached", "short", "live")} == {k: FIRST[k] for k in ("cached", "short", "live")}
    backend.write_all(SECOND)
    time.sleep(1.1)  # `short` (ttl 1s) expires
    return r


def read_all(r: ssmconf.Resolver) -> dict[str, Any]:
    return {k: r.get(k) for k in KEYS}


def test_a_fork_child_reads_cached_expired_never_read_and_uncached_keys(backend):
    r = warmed(backend)

    def child() -> Any:
        start = time.monotonic()
        got = read_all(r)
        return {"got": got, "seconds": time.monotonic() - start, "sources": {k: r.explain(k).source for k in KEYS}}

    out = in_child(child)
    assert out["got"] == AFTER
    assert out["sources"] == {"cached": "ssm", "short": "ssm", "live": "ssm", "never": "ssm"}
    # The parent is unaffected, and its cache did not move for the child's reads.
    assert read_all(r) == AFTER
    backend.write("live", "l3")
    assert r.get("live") == "l3"


def test_a_child_of_a_child_reads_too(backend):
    r = warmed(backend)

    def child() -> Any:
        first = read_all(r)
        return {"child": first, "grandchild": in_child(lambda: read_all(r))}

    assert in_child(child) == {"child": AFTER, "grandchild": AFTER}
    assert read_all(r) == AFTER


class SlowProxy:
    """A TCP proxy on 127.0.0.1 to ``target`` that holds each connection's first request for ``delay``
    seconds before passing it on: a request stays in flight long enough for a fork to happen meanwhile."""

    def __init__(self, target: str, delay: float) -> None:
        host, port = target.removeprefix("http://").split(":")
        self.target = (host, int(port))
        self.delay = delay
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.started = threading.Event()  # a request arrived and is being held
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client, socket.create_connection(self.target) as upstream:
            first = client.recv(1 << 16)
            self.started.set()
            time.sleep(self.delay)
            upstream.sendall(first)
            pipes = [
                threading.Thread(target=self._pipe, args=pair, daemon=True)
                for pair in ((client, upstream), (upstream, client))
            ]
            for pipe in pipes:
                pipe.start()
            for pipe in pipes:
                pipe.join()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(1 << 16):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self) -> None:
        self.listener.close()


def test_a_fetch_in_flight_in_a_parent_thread_does_not_block_the_child(moto_endpoint, seed, schema, stage):
    # A parent thread reads `live` (ttl 0) through a proxy that holds the request for 2 s; the
    # process forks meanwhile, so the child inherits that key's single-flight lock as held, by a
    # thread it does not have.
    seed(f"/it/{stage}/live", "l1")
    proxy = SlowProxy(moto_endpoint, delay=2.0)
    try:
        store = ssmconf.SsmStore(region="us-east-1", endpoint_url=proxy.endpoint)
        r = ssmconf.Resolver(schema(SCHEMA), vars={"stage": stage}, store=store)
        in_flight: list[Any] = []
        reader = threading.Thread(target=lambda: in_flight.append(r.get("live")))
        reader.start()
        assert proxy.started.wait(10), "the parent's request never reached the proxy"
        assert in_child(lambda: r.get("live")) == "l1"
        reader.join(DEADLINE)
        assert in_flight == ["l1"], "the parent's own request completes as usual"
    finally:
        proxy.close()


def test_a_store_still_being_built_when_the_process_forks_does_not_block_the_child(
    moto_endpoint, seed, schema, stage, tmp_path, monkeypatch
):
    # `SsmStore()` builds itself in the background (the AWS configuration chain, the client); the
    # first request waits for that build. Here the build reads its config file from a FIFO, so it
    # stays under way until the test writes to it, while a parent thread waits for it; the process
    # forks meanwhile. The child must build a store of its own, not wait on the parent's build.
    seed(f"/it/{stage}/live", "l1")
    fifo = tmp_path / "aws-config"
    os.mkfifo(fifo)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(fifo))
    store = ssmconf.SsmStore(region="us-east-1", endpoint_url=moto_endpoint)
    r = ssmconf.Resolver(schema(SCHEMA), vars={"stage": stage}, store=store)
    in_flight: list[Any] = []
    reader = threading.Thread(target=lambda: in_flight.append(r.get("live")))
    reader.start()
    time.sleep(0.3)  # the reader is waiting for the build, which waits for the FIFO
    try:

        def child() -> Any:
            os.environ["AWS_CONFIG_FILE"] = os.devnull  # the child's own build reads no FIFO
            return r.get("live")

        assert in_child(child) == "l1"
        assert in_flight == [], "the parent's reader was still waiting for the build"
    finally:
        try:  # lets the parent's build finish (ENXIO: nothing is reading the FIFO)
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    reader.join(DEADLINE)
    assert in_flight == ["l1"], "the parent's own read completes once its build does"


def test_the_child_serves_stale_values_when_the_file_store_fails(schema, stage, tmp_path):
    params = tmp_path / "params.json"
    r = ssmconf.Resolver(schema(SCHEMA), vars={"stage": stage}, store=ssmconf.FileStore(params))
    r.put("short", "s1")
    assert r.get("short") == "s1"
    params.write_text("not json")  # every read of the store fails from now on
    time.sleep(1.1)  # `short` expires

    def child() -> Any:
        why = r.explain("short")
        return {"short": r.get("short"), "source": why.source, "error": why.error is not None, "never": r.get("never")}

    assert in_child(child) == {"short": "s1", "source": "stale", "error": True, "never": None}
    assert r.explain("short").source == "stale", "the parent falls back the same way"


def test_the_child_serves_stale_values_when_ssm_is_down(own_moto, schema, stage):
    import boto3

    with own_moto() as (endpoint, server):
        boto3.client("ssm", region_name="us-east-1", endpoint_url=endpoint).put_parameter(
            Name=f"/it/{stage}/short", Value="s1", Type="String", Overwrite=True
        )
        store = ssmconf.SsmStore(region="us-east-1", endpoint_url=endpoint)
        r = ssmconf.Resolver(schema(SCHEMA), vars={"stage": stage}, store=store)
        assert r.get("short") == "s1"
        server.terminate()
        server.wait(timeout=10)
    time.sleep(1.1)  # `short` expires; the server is gone

    def child() -> Any:
        why = r.explain("short")
        return {"short": r.get("short"), "source": why.source, "error": why.error is not None, "never": r.get("never")}

    assert in_child(child) == {"short": "s1", "source": "stale", "error": True, "never": None}
    assert r.explain("short").source == "stale"


def test_asyncio_works_in_the_child(backend):
    r = warmed(backend)

    def child() -> Any:
        async def main() -> Any:
            got = {k: await r.aget(k) for k in KEYS}
            again = await asyncio.gather(*(r.aget("live") for _ in range(8)))
            return {"got": got, "again": again, "source": (await r.aexplain("never")).source}

        return asyncio.run(main())

    out = in_child(child)
    assert out == {"got": AFTER, "again": ["l2"] * 8, "source": "ssm"}

    async def in_parent() -> Any:
        return await r.aget("live")

    assert asyncio.run(in_parent()) == "l2", "asyncio still works in the parent"


def test_refresh_ahead_runs_on_the_childs_own_runtime(backend):
    # With a TTL of 100 s and refresh_ahead=0.99, `cached` is in its refresh window after 1 s.
    backend.write_all(FIRST)
    r = backend.make(refresh_ahead=0.99, ttl=100)
    assert r.get("cached") == "c1"
    backend.write("cached", "c2")
    time.sleep(1.1)

    def child() -> Any:
        seen = [r.get("cached")]  # answers from the cache at once, and starts the refresh
        end = time.monotonic() + 10
        while seen[-1] != "c2" and time.monotonic() < end:
            time.sleep(0.02)
            seen.append(r.get("cached"))
        return {"first": seen[0], "last": seen[-1]}

    assert in_child(child) == {"first": "c1", "last": "c2"}, "the background refresh ran in the child"


# What the pool workers read through: set before the pool forks them, inherited by each.
_INHERITED: dict[str, ssmconf.Resolver] = {}


def _read_in_worker(_: int) -> tuple[int, dict[str, Any]]:
    return os.getpid(), read_all(_INHERITED["resolver"])


def test_a_fork_pool_of_4_workers_returns_every_value(backend):
    r = warmed(backend)
    _INHERITED["resolver"] = r
    pool = multiprocessing.get_context("fork").Pool(4)
    try:
        results = pool.map_async(_read_in_worker, range(16), chunksize=1).get(timeout=DEADLINE)
    except multiprocessing.TimeoutError:
        pytest.fail(f"the fork pool did not return within {DEADLINE} s: a worker hangs")
    finally:
        pool.terminate()
        pool.join()
        _INHERITED.clear()
    assert [values for _, values in results] == [AFTER] * 16
    assert os.getpid() not in {pid for pid, _ in results}, "the reads ran in the workers"
    assert read_all(r) == AFTER


def test_a_process_pool_executor_with_the_fork_context_returns_every_value(backend):
    r = warmed(backend)
    _INHERITED["resolver"] = r
    executor = concurrent.futures.ProcessPoolExecutor(max_workers=4, mp_context=multiprocessing.get_context("fork"))
    try:
        futures = [executor.submit(_read_in_worker, i) for i in range(16)]
        done, pending = concurrent.futures.wait(futures, timeout=DEADLINE)
        if pending:
            for process in list(getattr(executor, "_processes", {}).values()):
                process.kill()
            pytest.fail(f"{len(pending)} of 16 reads did not return within {DEADLINE} s: a worker hangs")
        results = [f.result() for f in futures]
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        _INHERITED.clear()
    assert [values for _, values in results] == [AFTER] * 16
    assert os.getpid() not in {pid for pid, _ in results}
    assert read_all(r) == AFTER


GUNICORN_APP = '''
import json, os
import ssmconf

# Made at import: with --preload, in the master, before the workers fork.
r = ssmconf.Resolver({schema_path!r}, vars={{"stage": {stage!r}}},
                     store=ssmconf.SsmStore(region="us-east-1", endpoint_url={endpoint!r}))
assert r.get("cached") == "c1" and r.get("live") == "l1"  # the master's runtime and connections exist


def app(environ, start_response):
    body = json.dumps({{"pid": os.getpid(), "values": {{k: r.get(k) for k in {keys!r}}}}}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
'''


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_gunicorn_preload_workers_read_through_the_masters_resolver(moto_endpoint, seed, stage, schema, tmp_path):
    import shutil
    import subprocess
    import sys
    import urllib.request

    from helpers import free_port

    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    assert gunicorn, "gunicorn not found: pip install -r scripts/requirements-test.txt"
    for key, value in FIRST.items():
        seed(f"/it/{stage}/{key}", str(value))
    (tmp_path / "forkapp.py").write_text(
        GUNICORN_APP.format(schema_path=str(schema(SCHEMA)), stage=stage, endpoint=moto_endpoint, keys=list(KEYS))
    )
    port = free_port()
    server = subprocess.Popen(
        [gunicorn, "--preload", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--chdir", str(tmp_path), "forkapp:app"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    end = time.monotonic() + DEADLINE

    def fail(what: str) -> None:
        server.kill()
        pytest.fail(f"gunicorn {what} within {DEADLINE} s; its log:\n{server.communicate(timeout=10)[1].decode()}")

    try:
        # It listens once the master has loaded the app (--preload): then the store changes.
        while not _listening(port):
            if time.monotonic() > end or server.poll() is not None:
                fail("did not listen")
            time.sleep(0.05)
        for key, value in SECOND.items():
            if key != "cached":
                seed(f"/it/{stage}/{key}", str(value))
        answers = []
        while len(answers) < 8:
            if time.monotonic() > end or server.poll() is not None:
                fail("did not answer 8 requests")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=max(end - time.monotonic(), 0.1)) as resp:
                    answers.append(json.loads(resp.read()))
            except OSError:
                time.sleep(0.1)
        # `cached` from the master's cache; `short` (never read in the master), `live` (ttl 0) and
        # `never` from each worker's own requests.
        assert [a["values"] for a in answers] == [{"cached": "c1", "short": "s2", "live": "l2", "never": 2}] * 8
        assert server.pid not in {a["pid"] for a in answers}, "the workers answered, not the master"
    finally:
        server.terminate()  # gunicorn's master stops its workers on SIGTERM
        try:
            server.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        if server.stderr:
            server.stderr.close()
