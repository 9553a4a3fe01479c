"""ssmconf against what a Python user would pick instead, on one moto_server, in one run.

    .venv/bin/pip install -r benches/python/requirements.txt
    VIRTUAL_ENV=$PWD/.venv .venv/bin/maturin develop --release -m crates/py/Cargo.toml
    .venv/bin/python benches/python/bench_compare.py            # prints a markdown section
    .venv/bin/python benches/python/bench_compare.py --write    # and puts it into BENCHMARKS.md

The libraries: ssmconf (``Resolver`` on ``SsmStore(endpoint_url=...)``),
plain boto3 with a dict cache (what a service writes by hand: a dict of
value and expiry, ``GetParameters`` in batches of 10), and Powertools for AWS
Lambda's ``parameters`` utility (``get_parameter``, and
``get_parameters_by_name``, its best strategy for many names).

One moto_server is started on 127.0.0.1 on a free port and stopped by its
PID at the end; 300 String parameters are seeded with boto3. Figures:

- ns per cache-hit ``get`` (timeit, median of rounds) and a bare ``dict.get``
  loop as the baseline, all in one process, rounds interleaved;
- ``import`` time (``python -X importtime``, and wall time less ``python -c
  pass``), each a median of fresh processes;
- cold start: a fresh process that imports, builds and resolves 30
  parameters, whole-process wall time, median of fresh processes, runs
  interleaved; peak RSS of that process (``VmHWM`` in /proc/self/status:
  ``ru_maxrss`` would not do, Linux carries it over ``execve`` from the
  parent, so every child reported this script's own peak);
- SSM calls to resolve 30 and 300 parameters, and when 32 threads read one
  expired key at once.

SSM calls are counted by a small HTTP proxy that this script puts in front of
moto, so every library is counted by the same rule: one HTTP request with an
``X-Amz-Target: AmazonSSM.*`` header is one call, retries included (botocore
event hooks would not see ssmconf's requests, and ssmconf's
``stats()["ssm_calls"]`` counts logical requests, not HTTP ones). Timings
never go through the proxy. Timing belongs here, never in the tests.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Optional

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "BENCHMARKS.md"
BEGIN, END = "<!-- bench_compare:begin -->", "<!-- bench_compare:end -->"
PY = sys.executable
COMMAND = ".venv/bin/python benches/python/bench_compare.py --write"
BUILD = "VIRTUAL_ENV=$PWD/.venv .venv/bin/maturin develop --release -m crates/py/Cargo.toml"

PREFIX = "/bench/cmp"
SEEDED = 300
STAMPEDE_THREADS = 32

# Fake credentials, a fixed region, no instance metadata: nothing reaches AWS.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
AWS_UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM", "SSMCONF_TTL",
             "POWERTOOLS_PARAMETERS_MAX_AGE", "POWERTOOLS_PARAMETERS_SSM_DECRYPT")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def name(i: int) -> str:
    return f"{PREFIX}/p{i:03d}"


# --------------------------------------------------------------------------
# moto_server and the counting proxy


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def moto_binary() -> str:
    for candidate in (os.environ.get("MOTO_SERVER"), str(Path(PY).with_name("moto_server")), shutil.which("moto_server")):
        if candidate and Path(candidate).exists():
            return candidate
    sys.exit("moto_server not found: .venv/bin/pip install -r benches/python/requirements.txt")


class Moto:
    """One moto_server on 127.0.0.1, stopped by its PID."""

    def __init__(self) -> None:
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="bench-compare-moto-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [moto_binary(), "-H", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not self._accepts():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"moto_server did not start; its output:\n{Path(self.log.name).read_text(errors='replace')}")
            time.sleep(0.05)
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def _accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
        os.unlink(self.log.name)


HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}


def forward_to(handler: BaseHTTPRequestHandler, upstream_port: int, body: bytes) -> None:
    """Sends the request `handler` holds to 127.0.0.1:`upstream_port` on the handler's kept-alive
    connection (made again once if the upstream closed it) and copies the answer back."""
    headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
    headers["Content-Length"] = str(len(body))
    for attempt in (1, 2):  # a kept-alive upstream connection may have been closed
        upstream = getattr(handler, "upstream", None) or http.client.HTTPConnection("127.0.0.1", upstream_port)
        handler.upstream = upstream  # type: ignore[attr-defined]
        try:
            upstream.request(handler.command, handler.path, body, headers)
            resp = upstream.getresponse()
            data = resp.read()
            break
        except (http.client.HTTPException, OSError):
            upstream.close()
            handler.upstream = None  # type: ignore[attr-defined]
            if attempt == 2:
                raise
    handler.send_response(resp.status, resp.reason)
    for k, v in resp.getheaders():
        if k.lower() not in HOP_BY_HOP | {"content-length", "server", "date"}:
            handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class CountingProxy:
    """Forwards HTTP to moto and counts SSM operations (``X-Amz-Target``).

    ``GET /__bench__/count`` answers the counts so far as JSON, so a child
    process can count one phase of its run.
    """

    def __init__(self, upstream_port: int) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as SDK clients expect

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/__bench__/count":
                    with proxy.lock:
                        data = json.dumps(dict(proxy.counts)).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                else:
                    self.forward()

            def do_POST(self) -> None:
                self.forward()

            def body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks: list[bytes] = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def forward(self) -> None:
                body = self.body()
                target = self.headers.get("X-Amz-Target", "")
                if target.startswith("AmazonSSM."):
                    with proxy.lock:
                        proxy.counts[target.split(".", 1)[1]] += 1
                forward_to(self, upstream_port, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def snapshot(self) -> collections.Counter[str]:
        with self.lock:
            return collections.Counter(self.counts)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------
# What each library runs in a fresh process: import, build, resolve N.

SCHEMA_TEMPLATE = "p:\n{entries}"


def write_schemas(folder: Path) -> dict[int, Path]:
    paths = {}
    for n in (1, 30, SEEDED):
        entries = "".join(f"  p{i:03d}:\n    ssm_param: {name(i)}\n" for i in range(n))
        path = folder / f"schema_{n}.yml"
        path.write_text(SCHEMA_TEMPLATE.format(entries=entries))
        paths[n] = path
    return paths


# The child's peak RSS in KiB, printed last.
PEAK_RSS = "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))"


def cold_code(lib: str, n: int, endpoint: str, schemas: dict[int, Path]) -> str:
    """The child's program: resolve ``n`` parameters the library's best way, print peak RSS (KiB)."""
    names = f"[f'{PREFIX}/p{{i:03d}}' for i in range({n})]"
    body = {
        "ssmconf": f"""
import ssmconf
r = ssmconf.Resolver({str(schemas[n])!r}, store=ssmconf.SsmStore(endpoint_url={endpoint!r}))
r.load_all()
values = [r.get(f'p.p{{i:03d}}') for i in range({n})]
""",
        "ssmconf-get": f"""
import ssmconf
r = ssmconf.Resolver({str(schemas[n])!r}, store=ssmconf.SsmStore(endpoint_url={endpoint!r}))
values = [r.get(f'p.p{{i:03d}}') for i in range({n})]
""",
        "boto3": f"""
import time
import boto3
client = boto3.client('ssm', endpoint_url={endpoint!r})
cache = {{}}
names = {names}
for i in range(0, len(names), 10):
    out = client.get_parameters(Names=names[i:i + 10], WithDecryption=True)
    expires = time.monotonic() + 300
    for p in out['Parameters']:
        cache[p['Name']] = (p['Value'], expires)
values = [cache[n][0] for n in names]
""",
        "powertools-by-name": f"""
from aws_lambda_powertools.utilities import parameters
names = {names}
got = parameters.get_parameters_by_name({{n: {{}} for n in names}}, max_age=300)
values = [got[n] for n in names]
""",
        "powertools-get": f"""
from aws_lambda_powertools.utilities import parameters
values = [parameters.get_parameter(n, max_age=300) for n in {names}]
""",
    }[lib]
    check = f"assert len(values) == {n} and all(isinstance(v, str) for v in values), values"
    return body.strip() + "\n" + check + "\n" + PEAK_RSS + "\n"


LIBS = {
    "ssmconf": "ssmconf: `load_all()` then `get`",
    "ssmconf-get": "ssmconf: `get` per key, no `load_all`",
    "boto3": "boto3 + dict cache: `get_parameters`, 10 names a call",
    "powertools-by-name": "Powertools: `get_parameters_by_name`",
    "powertools-get": "Powertools: `get_parameter` per name",
}


def child_env(endpoint: Optional[str] = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in AWS_UNSET}
    env.update(AWS_ENV)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if endpoint:
        # Powertools builds its own boto3 client: the endpoint comes from the environment.
        env["AWS_ENDPOINT_URL_SSM"] = endpoint
    return env


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run([PY, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"child {args[:2]} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return wall, out.stdout


# --------------------------------------------------------------------------
# Child modes: the hit benchmark and the stampede (run as `--child MODE`).


def child_hit(endpoint: str, schema: str, rounds: int) -> None:
    """ns per cache-hit get, every library in this one process, rounds interleaved."""
    import timeit

    import boto3
    import ssmconf
    from aws_lambda_powertools.utilities import parameters

    key_name = name(0)
    r = ssmconf.Resolver(schema, store=ssmconf.SsmStore(endpoint_url=endpoint))
    r.load_all()

    class Boto3Cache:
        """The dict cache a service writes around boto3."""

        def __init__(self, client: Any, ttl: float = 300.0) -> None:
            self.client, self.ttl = client, ttl
            self.cache: dict[str, tuple[str, float]] = {}

        def get(self, n: str) -> str:
            hit = self.cache.get(n)
            if hit is not None and hit[1] > time.monotonic():
                return hit[0]
            value = self.client.get_parameter(Name=n, WithDecryption=True)["Parameter"]["Value"]
            self.cache[n] = (value, time.monotonic() + self.ttl)
            return value

    b = Boto3Cache(boto3.client("ssm", endpoint_url=endpoint))
    baseline = {"p.p000": "value"}
    cases: dict[str, tuple[str, Any, str]] = {
        "dict": ("f(k)", baseline.get, "p.p000"),
        "ssmconf": ("f(k)", r.get, "p.p000"),
        "ssmconf-item": ("f[k]", r, "p.p000"),
        "boto3": ("f(k)", b.get, key_name),
        "powertools-get": ("f(k, max_age=3600)", parameters.get_parameter, key_name),
    }
    timers = {}
    for case, (stmt, f, k) in cases.items():
        assert isinstance(eval(stmt, {"f": f, "k": k}), str), case  # primes the cache too
        timer = timeit.Timer(stmt, setup="f = F; k = K", globals={"F": f, "K": k})
        number, took = timer.autorange()
        timers[case] = (timer, max(1, int(number * 0.2 / took)))  # about 0.2 s a round
    calls_before = r.stats()["ssm_calls"]
    samples: dict[str, list[float]] = {case: [] for case in cases}
    for _ in range(rounds):
        for case, (timer, number) in timers.items():
            samples[case].append(timer.timeit(number) / number * 1e9)
    assert r.stats()["ssm_calls"] == calls_before, "every ssmconf get was a hit"
    print(json.dumps({case: {"median": statistics.median(s), "min": min(s)} for case, s in samples.items()}))


def child_stampede(lib: str, endpoint: str, schema: str, rounds: int) -> None:
    """SSM calls when STAMPEDE_THREADS threads read one expired key at once."""
    import urllib.request

    ttl = 1.0  # Powertools' max_age is whole seconds
    key_name = name(0)
    if lib == "ssmconf":
        import ssmconf

        r = ssmconf.Resolver(schema, ttl=ttl, store=ssmconf.SsmStore(endpoint_url=endpoint))
        get: Callable[[], Any] = lambda: r.get("p.p000")  # noqa: E731
    elif lib == "boto3":
        import boto3

        client = boto3.client("ssm", endpoint_url=endpoint)
        cache: dict[str, tuple[str, float]] = {}

        def get() -> Any:
            hit = cache.get(key_name)
            if hit is not None and hit[1] > time.monotonic():
                return hit[0]
            value = client.get_parameter(Name=key_name, WithDecryption=True)["Parameter"]["Value"]
            cache[key_name] = (value, time.monotonic() + ttl)
            return value
    else:
        from aws_lambda_powertools.utilities import parameters

        get = lambda: parameters.get_parameter(key_name, max_age=int(ttl))  # noqa: E731

    def count() -> int:
        with urllib.request.urlopen(endpoint + "/__bench__/count") as resp:
            return sum(json.load(resp).values())

    calls = []
    for _ in range(rounds):
        get()  # cached now
        time.sleep(ttl + 0.2)  # and expired
        barrier = threading.Barrier(STAMPEDE_THREADS)
        results: list[Any] = []

        def reader() -> None:
            barrier.wait()
            results.append(get())

        threads = [threading.Thread(target=reader) for _ in range(STAMPEDE_THREADS)]
        before = count()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        calls.append(count() - before)
        assert len(results) == STAMPEDE_THREADS and all(isinstance(v, str) for v in results)
    print(json.dumps(calls))


# --------------------------------------------------------------------------
# The parent: measure, then print (and write) the markdown section.


def seed(endpoint: str) -> None:
    import boto3

    client = boto3.client("ssm", endpoint_url=endpoint)
    for i in range(SEEDED):
        client.put_parameter(Name=name(i), Value=f"value-{i:03d}-" + "x" * 24, Type="String", Overwrite=True)


def measure_hits(endpoint: str, schemas: dict[int, Path], rounds: int) -> dict[str, dict[str, float]]:
    log("cache hits ...")
    _, out = run_child([__file__, "--child", "hit", endpoint, str(schemas[30]), str(rounds)], child_env(endpoint))
    return json.loads(out)


IMPORTS = {
    "ssmconf": "import ssmconf",
    "boto3": "import boto3",
    "powertools": "from aws_lambda_powertools.utilities import parameters",
}


def importtime_us(stmt: str, startup: set[str], env: dict[str, str]) -> tuple[int, set[str]]:
    """Cumulative µs of the top-level imports of ``stmt`` that interpreter startup does not do."""
    out = subprocess.run([PY, "-X", "importtime", "-c", stmt], env=env, capture_output=True, text=True, check=True)
    total, names = 0, set()
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)$", line)
        if m and not m.group(3):
            names.add(m.group(4))
            if m.group(4) not in startup:
                total += int(m.group(2))
    return total, names


def measure_imports(runs: int) -> dict[str, dict[str, float]]:
    log("import times ...")
    env = child_env()
    _, startup = importtime_us("pass", set(), env)
    walls: dict[str, list[float]] = {"pass": [], **{lib: [] for lib in IMPORTS}}
    selfs: dict[str, list[int]] = {lib: [] for lib in IMPORTS}
    for _ in range(runs):
        walls["pass"].append(run_child(["-c", "pass"], env)[0])
        for lib, stmt in IMPORTS.items():
            walls[lib].append(run_child(["-c", stmt], env)[0])
            selfs[lib].append(importtime_us(stmt, startup, env)[0])
    base = statistics.median(walls["pass"])
    return {
        lib: {"importtime_ms": statistics.median(selfs[lib]) / 1000, "wall_ms": (statistics.median(walls[lib]) - base) * 1000}
        for lib in IMPORTS
    }


COLD_LIBS = ("ssmconf", "boto3", "powertools-by-name", "powertools-get")


def measure_cold(endpoint: str, schemas: dict[int, Path], runs: int) -> dict[str, dict[str, float]]:
    log("cold starts ...")
    env = child_env(endpoint)
    walls: dict[str, list[float]] = {"pass": [], **{lib: [] for lib in COLD_LIBS}}
    rss: dict[str, list[int]] = {"pass": [], **{lib: [] for lib in COLD_LIBS}}
    for lib in COLD_LIBS:  # one untimed run each: files in the page cache, like every later run
        run_child(["-c", cold_code(lib, 30, endpoint, schemas)], env)
    for _ in range(runs):  # interleaved, so a slow moment hits every library alike
        walls["pass"].append(run_child(["-c", "pass"], env)[0])
        rss["pass"].append(int(run_child(["-c", PEAK_RSS], env)[1]))
        for lib in COLD_LIBS:
            wall, out = run_child(["-c", cold_code(lib, 30, endpoint, schemas)], env)
            walls[lib].append(wall)
            rss[lib].append(int(out))
    return {
        lib: {"wall_ms": statistics.median(walls[lib]) * 1000, "rss_mib": statistics.median(rss[lib]) / 1024}
        for lib in walls
    }


def measure_calls(proxy: CountingProxy, schemas: dict[int, Path]) -> dict[str, dict[int, collections.Counter[str]]]:
    log("SSM calls ...")
    env = child_env(proxy.endpoint)
    calls: dict[str, dict[int, collections.Counter[str]]] = {}
    for lib in LIBS:
        calls[lib] = {}
        for n in (30, SEEDED):
            before = proxy.snapshot()
            run_child(["-c", cold_code(lib, n, proxy.endpoint, schemas)], env)
            calls[lib][n] = proxy.snapshot() - before
    return calls


def measure_stampede(proxy: CountingProxy, schemas: dict[int, Path], rounds: int) -> dict[str, list[int]]:
    log("stampede ...")
    env = child_env(proxy.endpoint)
    return {
        lib: json.loads(run_child([__file__, "--child", "stampede", lib, proxy.endpoint, str(schemas[1]), str(rounds)], env)[1])
        for lib in ("ssmconf", "boto3", "powertools-get")
    }


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        mem = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "machine": f"{nproc} cores ({cpu}){mem}, {platform.system()} {platform.release()} {platform.machine()}",
        "python": f"CPython {platform.python_version()}",
    }


def elf_sections(path: str) -> set[str]:
    """The section names of an ELF64 little-endian file (empty for anything else)."""
    import struct

    data = Path(path).read_bytes()
    if data[:6] != b"\x7fELF\x02\x01":
        return set()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = headers[shstrndx][4]  # sh_offset of the section-name table
    return {data[strtab + h[0]:data.index(b"\0", strtab + h[0])].decode() for h in headers}


def ssmconf_build() -> str:
    """'release' or 'dev', from the native module: the dev profile keeps line tables."""
    import ssmconf._ssmconf as native

    if ".debug_line" in elf_sections(native.__file__):
        return "dev build: figures are not representative"
    return "release build"


def versions() -> str:
    import ssmconf

    parts = [f"ssmconf {ssmconf.__version__} ({ssmconf_build()})"]
    for dist in ("boto3", "botocore", "aws-lambda-powertools", "moto"):
        try:
            parts.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts)


def ops(counter: collections.Counter[str]) -> str:
    total = sum(counter.values())
    detail = ", ".join(f"{op} ×{k}" for op, k in sorted(counter.items()))
    return f"**{total}** ({detail})" if detail else "**0**"


def report(hits: Any, imports: Any, cold: Any, calls: Any, stampede: Any, env: dict[str, str], load: str) -> str:
    s = hits["ssmconf"]["median"]
    d = hits["dict"]["median"]
    pt = hits["powertools-get"]["median"]
    c = cold["ssmconf"]["wall_ms"]
    rs = cold["ssmconf"]["rss_mib"]
    best_other = min(cold[lib]["wall_ms"] for lib in ("boto3", "powertools-by-name", "powertools-get"))
    lines = [
        "## Python: ssmconf against boto3 and Powertools",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {env['machine']}; {env['python']}; {versions()}.",
        f"Load average (1 min) {load}. One moto_server on loopback for every library, in one run:",
        "",
        "```bash",
        ".venv/bin/pip install -r benches/python/requirements.txt",
        BUILD,
        COMMAND,
        "```",
        "",
        "### A cache hit",
        "",
        "ns per call, `timeit` in one process (median of rounds, interleaved); \"× ssmconf\" is the",
        "library's time over ssmconf's.",
        "",
        "| case | median | min | × ssmconf |",
        "|---|---|---|---|",
    ]
    hit_rows = [
        ("dict", "`dict.get` loop (the baseline)"),
        ("ssmconf", "ssmconf `r.get(key)`"),
        ("ssmconf-item", "ssmconf `r[key]`"),
        ("boto3", "boto3 + dict cache with a TTL check"),
        ("powertools-get", "Powertools `get_parameter(name, max_age=3600)`"),
    ]
    for case, label in hit_rows:
        h = hits[case]
        lines.append(f"| {label} | {h['median']:.0f} ns | {h['min']:.0f} ns | {h['median'] / s:.2f} |")
    lines += [
        "",
        f"ssmconf's hit is **{s / d:.2f}×** a bare `dict.get` (target: at most 2×), and Powertools'"
        f" `get_parameter` hit is **{pt / s:.0f}×** ssmconf's (target: at least 50×).",
        "",
        "### Import, cold start, memory",
        "",
        "Import: `python -X importtime -c STMT` (the statement's own imports, cumulative) and the wall",
        "time of `python -c STMT` less `python -c pass`. Cold start: a fresh `python -c` that imports,",
        "builds a client or resolver and resolves 30 parameters, whole-process wall time; peak RSS is",
        "its `VmHWM`. Each a median of fresh processes, runs interleaved.",
        "",
        "| library | import (importtime) | import (wall) | cold start, 30 params | × ssmconf | peak RSS | × ssmconf |",
        "|---|---|---|---|---|---|---|",
        f"| interpreter alone (`python -c pass`) | | | {cold['pass']['wall_ms']:.0f} ms | | {cold['pass']['rss_mib']:.1f} MiB | |",
    ]
    import_of = {"ssmconf": "ssmconf", "boto3": "boto3", "powertools-by-name": "powertools", "powertools-get": "powertools"}
    for lib in COLD_LIBS:
        imp = imports[import_of[lib]]
        cw, cr = cold[lib]["wall_ms"], cold[lib]["rss_mib"]
        lines.append(
            f"| {LIBS[lib]} | {imp['importtime_ms']:.1f} ms | {imp['wall_ms']:.1f} ms | {cw:.0f} ms | {cw / c:.1f} |"
            f" {cr:.1f} MiB | {cr / rs:.2f} |"
        )
    lines += [
        "",
        f"The fastest alternative's cold start is **{best_other / c:.1f}×** ssmconf's (target: at least 8×);"
        f" over the bare interpreter: ssmconf {c - cold['pass']['wall_ms']:.0f} ms,"
        f" the fastest alternative {best_other - cold['pass']['wall_ms']:.0f} ms.",
        "",
        "### SSM calls",
        "",
        "HTTP requests to SSM, counted by a proxy in front of moto (retries would count), each in a",
        "fresh process. The stampede: 32 threads behind a barrier read one key whose TTL (1 s) has",
        "just run out; rounds in one process.",
        "",
        "| library: strategy | resolve 30 | resolve 300 |",
        "|---|---|---|",
    ]
    for lib, label in LIBS.items():
        lines.append(f"| {label} | {ops(calls[lib][30])} | {ops(calls[lib][SEEDED])} |")
    lines += [
        "",
        "| library | SSM calls, 32 threads on one expired key (each round) |",
        "|---|---|",
    ]
    stampede_labels = {
        "ssmconf": "ssmconf `get`",
        "boto3": "boto3 + dict cache (no lock)",
        "powertools-get": "Powertools `get_parameter`",
    }
    for lib, rounds in stampede.items():
        lines.append(f"| {stampede_labels[lib]} | {', '.join(str(k) for k in rounds)} |")
    return "\n".join(lines) + "\n"


def compile_bytecode(py: str) -> None:
    """Writes the ``.pyc`` of that interpreter's ssmconf package, as ``pip install`` of a wheel does.

    ``maturin develop`` leaves the package's Python files in the source tree
    without bytecode, and the children run with ``PYTHONDONTWRITEBYTECODE``:
    without this, every cold process compiled ``__init__.py`` and
    ``exceptions.py`` (and built the ``_ast`` types to do so), 12 million
    instructions of the 21 million ssmconf added to ``python -c pass``
    (callgrind, BENCHMARKS.md "Cold start"), a cost no installed wheel pays
    and that boto3 and Powertools (installed with their bytecode) did not pay.
    Every benchmark that starts fresh ssmconf processes calls it first.
    """
    out = subprocess.run([py, "-c", "import os, ssmconf; print(os.path.dirname(ssmconf.__file__))"],
                         capture_output=True, text=True, check=True)
    subprocess.run([py, "-m", "compileall", "-q", out.stdout.strip()], check=True)


def write(section: str, begin: str = BEGIN, end: str = END) -> None:
    """Puts ``section`` between the markers ``begin`` and ``end`` of BENCHMARKS.md
    (at its end, markers and all, the first time)."""
    text = BENCHMARKS.read_text()
    block = f"{begin}\n{section}{end}"
    if begin in text and end in text:
        start, stop = text.index(begin), text.index(end) + len(end)
        text = text[:start] + block + text[stop:]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    BENCHMARKS.write_text(text)
    log(f"wrote {BENCHMARKS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="replace the section between the markers in BENCHMARKS.md")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per cold-start figure (default 5)")
    parser.add_argument("--import-runs", type=int, default=7, help="fresh processes per import figure (default 7)")
    parser.add_argument("--rounds", type=int, default=7, help="timeit rounds per hit figure (default 7)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        if mode == "hit":
            child_hit(rest[0], rest[1], int(rest[2]))
        else:
            child_stampede(rest[0], rest[1], rest[2], int(rest[3]))
        return

    compile_bytecode(PY)
    for k in AWS_UNSET:
        os.environ.pop(k, None)
    os.environ.update(AWS_ENV)
    env = machine()
    load_before = os.getloadavg()[0]
    moto = Moto()
    proxy: Optional[CountingProxy] = None
    try:
        log(f"moto_server on {moto.endpoint}; seeding {SEEDED} parameters ...")
        seed(moto.endpoint)
        proxy = CountingProxy(moto.port)
        with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
            schemas = write_schemas(Path(tmp))
            hits = measure_hits(moto.endpoint, schemas, args.rounds)
            imports = measure_imports(args.import_runs)
            cold = measure_cold(moto.endpoint, schemas, args.runs)
            calls = measure_calls(proxy, schemas)
            stampede = measure_stampede(proxy, schemas, rounds=3)
    finally:
        if proxy is not None:
            proxy.stop()
        moto.stop()
    load = f"{load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    section = report(hits, imports, cold, calls, stampede, env, load)
    print(section)
    if args.write:
        write(section)


if __name__ == "__main__":
    main()
