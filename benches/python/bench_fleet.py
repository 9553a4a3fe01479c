"""A fleet of cold starts under SSM's 40 requests a second (issue 12), side by side in one run.

    .venv/bin/pip install -r benches/python/requirements.txt
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \\
      VIRTUAL_ENV=$PWD/.venv .venv/bin/maturin develop --release -m crates/py/Cargo.toml
    .venv/bin/python benches/python/bench_fleet.py        # prints a markdown section
    MEMBERS=100 PROCS=5 .venv/bin/python benches/python/bench_fleet.py   # a quick, smaller run

What runs, all on 127.0.0.1, started here on free ports and stopped by PID:

- one moto_server with 30 String parameters;
- in front of it a throttling proxy (in this process): a token bucket of
  40 requests a second (40 tokens, refilled at 40/s), shared by every
  client, like SSM's default quota per account and Region; a request
  without a token gets SSM's answer to throttling (HTTP 400,
  ``x-amzn-ErrorType: ThrottlingException``, body
  ``{"__type":"ThrottlingException","message":"Rate exceeded"}``). While
  "SSM is down" it answers every request with HTTP 503
  ``ServiceUnavailable`` instead. It counts admitted, throttled and
  down answers;
- one redis-server (no persistence), flushed before each fleet.

A fleet is MEMBERS (1000) cold members in PROCS (25) worker processes of
MEMBERS/PROCS threads; member ``i`` starts at ``t0 + i/MEMBERS`` seconds, so
the fleet starts within one second. Each member has its own client (boto3,
Powertools) or its own resolver with its own SsmStore (ssmconf), and loads
the same 30 entries. A member's time is from its own start until it has
all 30 values (or gave up); a read "on a default or an error" is one of the
30 that ended on the schema's default (ssmconf) or on an exception or a
missing value (boto3, Powertools).

Scenarios: ``normal``; ``ssm-down`` (SSM answers 503 from t0 + 0.5 s, the
last half of the start window, to the end of the fleet); ``redis-killed``
(redis-server SIGKILLed at t0 + 0.5 s, started again after the fleet);
``redis-restarted`` (killed at t0 + 0.5 s, started again, empty, at
t0 + 0.75 s).
Each run is bounded: a worker that has not finished RUN_DEADLINE (180) s
after t0 is killed by its PID and reported as such. Ctrl-C stops
everything this script started.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_compare import Moto, child_env, forward_to, free_port, machine, versions  # noqa: E402

PY = sys.executable
PREFIX = "/bench/fleet"
ENTRIES = 30
RATE = 40.0
MEMBERS = int(os.environ.get("MEMBERS", "1000"))
PROCS = int(os.environ.get("PROCS", "25"))
WINDOW = 1.0  # members start within this many seconds
EVENT_AT = 0.5  # SSM goes down / Redis is killed this long after t0
RESTART_AT = 0.75  # redis-restarted: Redis is back (empty) this long after t0
RUN_DEADLINE = float(os.environ.get("RUN_DEADLINE", "180"))
LIBS = os.environ.get("LIBS", "boto3,powertools,ssmconf,ssmconf-tier").split(",")
SCENARIOS = os.environ.get("SCENARIOS", "normal,ssm-down,redis-killed,redis-restarted").split(",")
COMMAND = ".venv/bin/python benches/python/bench_fleet.py"

LABELS = {
    "boto3": "boto3 `get_parameters`, 10 names a call, standard retries",
    "powertools": "Powertools `get_parameters_by_name`",
    "ssmconf": "ssmconf `load_all`, without the tier",
    "ssmconf-tier": "ssmconf `load_all`, with the tier (`shared_cache=`)",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def name(i: int) -> str:
    return f"{PREFIX}/p{i:02d}"


def value(i: int) -> str:
    return f"value-{i:02d}"


# --------------------------------------------------------------------------
# The throttling proxy


THROTTLED = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
UNAVAILABLE = json.dumps({"__type": "ServiceUnavailable", "message": "Service Unavailable"}).encode()


class ThrottlingProxy:
    """Forwards SSM requests to moto while a shared token bucket has a token."""

    def __init__(self, upstream_port: int, rate: float = RATE, burst: float = RATE) -> None:
        self.rate, self.burst = rate, burst
        self.lock = threading.Lock()
        self.reset()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                verdict = proxy.admit()
                if verdict == "throttled":
                    self.answer(400, THROTTLED, {"x-amzn-ErrorType": "ThrottlingException"})
                elif verdict == "down":
                    self.answer(503, UNAVAILABLE, {"x-amzn-ErrorType": "ServiceUnavailable"})
                else:
                    forward_to(self, upstream_port, body)

            def answer(self, status: int, data: bytes, extra: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            request_queue_size = 4096  # a fleet connects at once
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                # A client that gave up on its attempt (its deadline) closed
                # the connection: not the proxy's fault, nothing to print.
                if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        with self.lock:
            self.tokens, self.last = self.burst, time.monotonic()
            self.down = False
            self.counts = {"admitted": 0, "throttled": 0, "down": 0}

    def admit(self) -> str:
        with self.lock:
            if self.down:
                verdict = "down"
            else:
                now = time.monotonic()
                self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
                self.last = now
                if self.tokens >= 1.0:
                    self.tokens -= 1.0
                    verdict = "admitted"
                else:
                    verdict = "throttled"
            self.counts[verdict] += 1
            return verdict

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.counts)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------
# redis-server


class Redis:
    """One redis-server on 127.0.0.1, no persistence, stopped by its PID."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--maxclients", "10000"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.command(b"PING") == b"+PONG":
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                sys.exit("redis-server did not start (is it installed? apt-get install redis-server)")
            time.sleep(0.05)

    def command(self, *args: bytes) -> bytes:
        """One inline command, its first reply line."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(b" ".join(args) + b"\r\n")
            return s.recv(4096).split(b"\r\n")[0]

    def flush(self) -> None:
        assert self.command(b"FLUSHALL") == b"+OK"

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


# --------------------------------------------------------------------------
# A worker process: COUNT members from FIRST, one thread each.


def worker(lib: str, first: int, count: int, endpoint: str, redis_url: str, schema: str) -> None:
    names = [name(i) for i in range(ENTRIES)]
    expected = {name(i): value(i) for i in range(ENTRIES)}
    keys = [f"p.p{i:02d}" for i in range(ENTRIES)]
    members: list[Any] = []
    if lib == "boto3":
        import boto3
        from botocore.config import Config

        session = boto3.session.Session()
        config = Config(retries={"mode": "standard"})  # 3 attempts, backoff with jitter
        for _ in range(count):
            members.append(session.client("ssm", endpoint_url=endpoint, config=config))
    elif lib == "powertools":
        import boto3
        from aws_lambda_powertools.utilities.parameters import SSMProvider

        session = boto3.session.Session()
        for _ in range(count):
            # The client Powertools makes itself, pointed at the proxy: botocore's default retries.
            members.append(SSMProvider(boto3_client=session.client("ssm", endpoint_url=endpoint)))
    else:
        import ssmconf

        shared = redis_url if lib == "ssmconf-tier" else None
        for _ in range(count):
            members.append(ssmconf.Resolver(schema, store=ssmconf.SsmStore(endpoint_url=endpoint), shared_cache=shared))

    def run(member: Any) -> tuple[int, int, dict[str, int]]:
        """Loads the 30 entries: (reads on a default or an error, exceptions, sources)."""
        sources: dict[str, int] = {}
        if lib == "boto3":
            got: dict[str, str] = {}
            errors = 0
            for i in range(0, ENTRIES, 10):
                try:
                    out = member.get_parameters(Names=names[i:i + 10])
                    got.update({p["Name"]: p["Value"] for p in out["Parameters"]})
                except Exception:
                    errors += 1
            bad = sum(1 for n in names if got.get(n) != expected[n])
            return bad, errors, sources
        if lib == "powertools":
            try:
                out = member.get_parameters_by_name({n: {} for n in names}, max_age=300, raise_on_error=False)
            except Exception:
                return ENTRIES, 1, sources
            bad = sum(1 for n in names if out.get(n) != expected[n])
            return bad, len(out.get("_errors", [])), sources
        errors = 0
        try:
            member.load_all()
        except Exception:
            errors += 1
        bad = 0
        for i, key in enumerate(keys):
            try:
                resolved = member.explain(key)
                sources[resolved.source] = sources.get(resolved.source, 0) + 1
                if resolved.value != value(i):
                    bad += 1
            except Exception:
                errors += 1
                bad += 1
        return bad, errors, sources

    print("ready", flush=True)
    t0 = float(json.loads(sys.stdin.readline())["t0"])
    results: list[Optional[dict[str, Any]]] = [None] * count

    def member_thread(j: int) -> None:
        i = first + j
        scheduled = t0 + WINDOW * i / MEMBERS
        time.sleep(max(0.0, scheduled - time.time()))
        started = time.time()
        bad, errors, sources = run(members[j])
        done = time.time()
        stats = members[j].stats() if lib.startswith("ssmconf") else {}
        results[j] = {
            "i": i, "ms": (done - scheduled) * 1000, "late_ms": (started - scheduled) * 1000, "done_at": done - t0,
            "bad": bad, "errors": errors, "sources": sources,
            "ssm_calls": stats.get("ssm_calls", 0), "shared_hits": stats.get("shared_hits", 0),
            "shared_errors": stats.get("shared_errors", 0),
        }

    threads = [threading.Thread(target=member_thread, args=(j,), daemon=True) for j in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(results), flush=True)


# --------------------------------------------------------------------------
# The orchestrator


def seed(endpoint: str) -> None:
    import boto3

    client = boto3.client("ssm", endpoint_url=endpoint)
    for i in range(ENTRIES):
        client.put_parameter(Name=name(i), Value=value(i), Type="String", Overwrite=True)


def write_schema(folder: Path) -> Path:
    entries = "".join(f"  p{i:02d}:\n    ssm_param: {name(i)}\n    default: fallback\n" for i in range(ENTRIES))
    path = folder / "fleet.yml"
    path.write_text("p:\n" + entries)
    return path


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]


class Fleet:
    def __init__(self, proxy: ThrottlingProxy, redis: Redis, schema: Path) -> None:
        self.proxy, self.redis, self.schema = proxy, redis, schema
        self.children: list[subprocess.Popen[str]] = []

    def stop_children(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=10)
        self.children = []

    def run(self, lib: str, scenario: str) -> dict[str, Any]:
        if self.redis.proc is None or self.redis.proc.poll() is not None:
            self.redis.start()
        self.redis.flush()
        self.proxy.reset()
        env = child_env(self.proxy.endpoint)
        env.pop("SSMCONF_SHARED_CACHE", None)
        env.pop("SSMCONF_SHARED_CACHE_KEY", None)
        per = MEMBERS // PROCS
        prep = time.monotonic()
        for p in range(PROCS):
            first, count = p * per, per if p < PROCS - 1 else MEMBERS - p * per
            self.children.append(subprocess.Popen(
                [PY, __file__, "--worker", lib, str(first), str(count), self.proxy.endpoint, self.redis.url,
                 str(self.schema)],
                env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            ))
        for child in self.children:
            assert child.stdout is not None
            line = child.stdout.readline()
            if line.strip() != "ready":
                self.stop_children()
                raise RuntimeError(f"a {lib} worker did not start: {line!r}")
        prep_s = time.monotonic() - prep
        self.proxy.reset()
        t0 = time.time() + 0.5
        for child in self.children:
            assert child.stdin is not None
            child.stdin.write(json.dumps({"t0": t0}) + "\n")
            child.stdin.flush()
        event = None
        if scenario in ("ssm-down", "redis-killed", "redis-restarted"):
            def fire() -> None:
                time.sleep(max(0.0, t0 + EVENT_AT - time.time()))
                if scenario == "ssm-down":
                    with self.proxy.lock:
                        self.proxy.down = True
                else:
                    self.redis.kill()
                if scenario == "redis-restarted":
                    time.sleep(max(0.0, t0 + RESTART_AT - time.time()))
                    self.redis.start()
            event = threading.Thread(target=fire, daemon=True)
            event.start()
        members: list[dict[str, Any]] = []
        killed = 0
        for child in self.children:
            try:
                out, _ = child.communicate(timeout=max(1.0, t0 + RUN_DEADLINE - time.time()))
                members.extend(m for m in json.loads(out.strip().splitlines()[-1]) if m)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                killed += 1
        self.children = []
        if event:
            event.join()
        counts = self.proxy.snapshot()
        self.proxy.reset()
        times = [m["ms"] for m in members]
        complete = [m for m in members if m["bad"] == 0]
        sources: dict[str, int] = {}
        for m in members:
            for s, k in m["sources"].items():
                sources[s] = sources.get(s, 0) + k
        return {
            "lib": lib, "scenario": scenario, "members": len(members), "killed_workers": killed, "prep_s": prep_s,
            **counts,
            "bad": sum(m["bad"] for m in members), "errors": sum(m["errors"] for m in members),
            "complete": len(complete),
            "p50": statistics.median(times) if times else None, "p99": percentile(times, 0.99) if times else None,
            "max": max(times) if times else None,
            "late_p99": percentile([m["late_ms"] for m in members], 0.99) if members else None,
            "ssm_calls": sum(m["ssm_calls"] for m in members), "shared_hits": sum(m["shared_hits"] for m in members),
            "shared_errors": sum(m["shared_errors"] for m in members), "sources": sources,
        }


def report(rows: list[dict[str, Any]], load: str) -> str:
    lines = [
        f"`{COMMAND}` (benches/python/bench_fleet.py), {MEMBERS} members in {PROCS} processes; "
        f"{machine()['machine']}, {machine()['python']}; {versions()}; load average before the run: {load}.",
        "",
        "| scenario | library | SSM requests admitted | throttled answers | 503 answers (SSM down) "
        "| reads on a default or an error | members with all 30 | p50 | p99 | max | start late p99 "
        "| ssmconf: sources; Redis errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        def ms(v: Optional[float]) -> str:
            return "-" if v is None else f"{v:.0f} ms"
        killed = f" ({r['killed_workers']} workers killed at the deadline)" if r["killed_workers"] else ""
        sources = ", ".join(f"{s} {k}" for s, k in sorted(r["sources"].items()))
        sources = f"{sources}; {r['shared_errors']}" if sources else "-"
        lines.append(
            f"| {r['scenario']} | {LABELS[r['lib']]} | {r['admitted']} | {r['throttled']} | {r['down']} "
            f"| {r['bad']}{killed} | {r['complete']} / {MEMBERS} | {ms(r['p50'])} | {ms(r['p99'])} | {ms(r['max'])} "
            f"| {ms(r['late_p99'])} "
            f"| {sources} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        lib, first, count, endpoint, redis_url, schema = sys.argv[2:8]
        worker(lib, int(first), int(count), endpoint, redis_url, schema)
        return
    for k, v in child_env().items():
        os.environ[k] = v
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    moto = Moto()
    proxy = redis = fleet = None
    try:
        seed(moto.endpoint)
        proxy = ThrottlingProxy(moto.port)
        redis = Redis()
        with tempfile.TemporaryDirectory(prefix="bench-fleet-") as folder:
            fleet = Fleet(proxy, redis, write_schema(Path(folder)))
            rows = []
            for scenario in SCENARIOS:
                for lib in (["ssmconf-tier"] if scenario.startswith("redis-") else LIBS):
                    log(f"==> {scenario}: {lib}, {MEMBERS} members in {PROCS} processes")
                    row = fleet.run(lib, scenario)
                    log(json.dumps(row))
                    rows.append(row)
        print(report(rows, load))
    finally:
        if fleet:
            fleet.stop_children()
        if redis:
            redis.stop()
        if proxy:
            proxy.stop()
        moto.stop()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
