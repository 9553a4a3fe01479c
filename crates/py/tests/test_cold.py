"""What a cold start must not pay for, and the dict schema that no longer goes through ``json``.

Timings live in BENCHMARKS.md ("Cold start", ``benches/python/bench_cold.py``);
these tests hold the behaviour that keeps them low.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import types
from pathlib import Path

import pytest

import ssmconf

# Imports that a first Resolver used to make (json and re for a dict schema,
# collections.abc for the mapping check): 2 to 8 ms of a cold start.
COSTLY = ("json", "re", "collections", "collections.abc", "logging", "asyncio")


def test_a_first_resolver_imports_nothing(tmp_path):
    schema = tmp_path / "app.yml"
    schema.write_text("a:\n  ssm_param: /x/a\n  default: 1\n")
    code = textwrap.dedent(f"""
        import sys
        import ssmconf
        before = set(sys.modules)
        ssmconf.Resolver({str(schema)!r}, store=ssmconf.MemoryStore())
        ssmconf.Resolver({{"b": {{"ssm_param": "/x/b", "default": 2.5}}, "lit": [1, 2.5, True, None, "s"]}},
                         store=ssmconf.MemoryStore())
        new = set(sys.modules) - before
        print(" ".join(sorted(m for m in new if m in {COSTLY!r})))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"a first Resolver imported {out.stdout.strip()}"


def test_a_dict_schema_keeps_its_order_and_values():
    spec = {
        "zeta": {"ssm_param": "/x/zeta", "default": "z"},
        "alpha": {
            "inner": {"ssm_param": "/x/alpha", "default": 0.0001, "allowed": [0.0001, 2]},
            "literal": [1, "two", None, True, {"k": "v"}],
            "tuple": (1, 2),
        },
        "text": "a \"quoted\" line\nbreak \u00e9 \\ end",
    }
    r = ssmconf.Resolver(spec, store=ssmconf.MemoryStore())
    assert r.keys() == ["zeta", "alpha.inner", "alpha.literal", "alpha.tuple", "text"]
    assert r.get("alpha.inner") == 0.0001
    assert r.get("alpha.literal") == [1, "two", None, True, {"k": "v"}]
    assert r.get("alpha.tuple") == [1, 2]
    assert r.get("text") == spec["text"]


def test_any_mapping_is_a_schema():
    inner = types.MappingProxyType({"ssm_param": "/x/m", "default": "from a proxy"})
    r = ssmconf.Resolver(types.MappingProxyType({"m": inner}), store=ssmconf.MemoryStore())
    assert r.get("m") == "from a proxy"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({1: {"ssm_param": "/x/a"}}, "schema keys must be str, not int"),
        ({"a": {"ssm_param": "/x/a", "default": object()}}, "not object"),
        ({"a": {"ssm_param": "/x/a", "default": float("nan")}}, "not finite"),
    ],
)
def test_a_dict_schema_that_json_cannot_hold_is_refused(spec, message):
    with pytest.raises((TypeError, ValueError), match=message):
        ssmconf.Resolver(spec, store=ssmconf.MemoryStore())


# --- TLS: set up aside, verified as before --------------------------------------------------

GET_PARAMETERS_ANSWER = json.dumps({
    "Parameters": [{"Name": "/tls/a", "Value": "over-tls", "Type": "String", "Version": 1}],
    "InvalidParameters": [],
}).encode()


def make_ca_and_leaf(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a leaf for 127.0.0.1 that it signed (openssl), as PEM files: ca, cert, key."""
    ca_key, ca, key, csr, cert = (folder / n for n in ("ca.key", "ca.pem", "leaf.key", "leaf.csr", "leaf.pem"))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)  # noqa: E731
    run("req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(ca), "-days", "2", "-subj", "/CN=ssmconf test CA")
    run("req", *ec, "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1")
    ext = folder / "leaf.ext"
    ext.write_text("basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
        "-out", str(cert), "-days", "2", "-extfile", str(ext))
    return ca, cert, key


class TlsServer:
    """A one-answer TLS server on 127.0.0.1: records each handshake, answers GetParameters."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(cert), str(key))
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.handshakes: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(5)
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    self.handshakes.append("ok")
                    self.answer(tls)
            except (ssl.SSLError, OSError) as e:
                self.handshakes.append(f"failed: {e}")

    def answer(self, tls: ssl.SSLSocket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += tls.recv(65536) or b"\r\n\r\n"
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += tls.recv(65536)
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(GET_PARAMETERS_ANSWER) + GET_PARAMETERS_ANSWER)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def tls_server(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    ca, cert, key = make_ca_and_leaf(tmp_path)
    server = TlsServer(cert, key)
    yield server, ca
    server.close()


SCHEMA = {"a": {"ssm_param": "/tls/a", "default": "fallback"}}


def test_an_https_endpoint_with_an_unknown_ca_is_refused(tls_server):
    server, _ = tls_server
    store = ssmconf.SsmStore(endpoint_url=f"https://127.0.0.1:{server.port}")
    r = ssmconf.Resolver(SCHEMA, store=store)
    why = r.explain("a")
    assert (why.value, why.source) == ("fallback", "default")
    assert server.handshakes and not any(h == "ok" for h in server.handshakes), server.handshakes


def test_an_https_endpoint_signed_by_a_trusted_root_answers(tls_server):
    # The roots come from the standard places (here SSL_CERT_FILE), loaded
    # on a thread aside; a fresh process, as they are loaded once per process.
    server, ca = tls_server
    code = textwrap.dedent(f"""
        import ssmconf
        r = ssmconf.Resolver({SCHEMA!r}, store=ssmconf.SsmStore(endpoint_url="https://127.0.0.1:{server.port}"))
        why = r.explain("a")
        print(why.value, why.source)
    """)
    env = {**os.environ, "SSL_CERT_FILE": str(ca)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["over-tls", "ssm"], (out.stdout, out.stderr, server.handshakes)
    assert "ok" in server.handshakes


# --- Exit: the runtime is never shut down, so nothing in flight holds the process ------------


def test_the_process_exits_without_waiting_for_a_request_in_flight():
    # A server that accepts and never answers. A daemon thread's read is in
    # flight on the runtime when the main thread ends; were the runtime shut
    # down (joined) at exit, the request would run out its 3-second attempt
    # deadline and retry: the server would see 3 connections. It sees one,
    # and then the end of it (the process gone).
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(30)
    port = server.getsockname()[1]
    code = textwrap.dedent(f"""
        import socket, threading
        import ssmconf
        r = ssmconf.Resolver({SCHEMA!r}, store=ssmconf.SsmStore(endpoint_url="http://127.0.0.1:{port}"))
        threading.Thread(target=r.get, args=("a",), daemon=True).start()
        # Wait until the request is out, from the server's side.
        socket.create_connection(("127.0.0.1", {port}), timeout=30).recv(1)
        print("exiting", flush=True)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    conns = []
    try:
        # Two connections, in either order: the store's (it sends its
        # request) and the child's own (it sends nothing, and waits for a byte).
        store_conn = signal_conn = None
        while store_conn is None:
            conn, _ = server.accept()
            conn.settimeout(0.5)
            conns.append(conn)
            try:
                head = conn.recv(65536)
            except TimeoutError:
                signal_conn = conn
                continue
            assert head.startswith(b"POST "), head
            store_conn = conn
        if signal_conn is None:
            signal_conn, _ = server.accept()
            conns.append(signal_conn)
        signal_conn.sendall(b"x")
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        assert out.strip() == "exiting"
        store_conn.settimeout(30)
        while chunk := store_conn.recv(65536):  # the rest of the request, then its end with the process
            assert not chunk.startswith(b"POST "), "a second request on the connection"
        server.settimeout(0.5)
        with pytest.raises(TimeoutError):
            server.accept()  # no retry came
    finally:
        child.kill()
        child.wait(timeout=10)
        for conn in conns:
            conn.close()
        server.close()


def test_a_cancelled_read_takes_its_request_down_with_it():
    # Each batch request runs on a task of its own (the first load prepares
    # its batches at once); cancelling the read must still end the request:
    # the connection closes, and no retry follows the 3-second attempt
    # deadline that a request left running would reach.
    import asyncio

    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(30)
    port = server.getsockname()[1]
    r = ssmconf.Resolver(SCHEMA, store=ssmconf.SsmStore(endpoint_url=f"http://127.0.0.1:{port}"))

    async def read_then_cancel() -> socket.socket:
        task = asyncio.ensure_future(r.aget("a"))
        conn, _ = await asyncio.to_thread(server.accept)
        conn.settimeout(30)
        assert (await asyncio.to_thread(conn.recv, 65536)).startswith(b"POST ")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return conn

    conn = asyncio.run(asyncio.wait_for(read_then_cancel(), 60))
    try:
        while chunk := conn.recv(65536):  # the rest of the request, then its end
            assert not chunk.startswith(b"POST ")
        server.settimeout(5)  # past the attempt deadline (3 s) and a retry's backoff
        with pytest.raises(TimeoutError):
            server.accept()
    finally:
        conn.close()
        server.close()
