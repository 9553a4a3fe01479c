"""Shared fixtures: one moto_server for the whole session, and helpers.

The server is the same SSM-compatible server the Rust integration tests use
(tests/moto/harness.rs): started on 127.0.0.1 on a free port, found through
``MOTO_SERVER``, then ``<repo>/.venv/bin/moto_server``, then ``PATH``. Tests
share it; each gets its own ``stage`` so their parameter names never meet.
Nothing reaches real AWS: the session runs with fake credentials, a fixed
region and no instance metadata.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

import ssmconf
from helpers import free_port

REPO = Path(__file__).resolve().parents[3]
INSTALL_HINT = "moto_server not found: pip install 'moto[server]' or run scripts/test.sh"

# Everything the AWS SDKs (Rust and boto3) read that could send a request to
# real AWS or to another endpoint than the test server.
_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_AWS_UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM", "SSMCONF_TTL")


@pytest.fixture(scope="session", autouse=True)
def aws_test_env() -> Iterator[None]:
    """Fake credentials for the whole session; undone at the end."""
    mp = pytest.MonkeyPatch()
    for name, value in _AWS_ENV.items():
        mp.setenv(name, value)
    for name in _AWS_UNSET:
        mp.delenv(name, raising=False)
    yield
    mp.undo()


def _moto_binary() -> Optional[str]:
    explicit = os.environ.get("MOTO_SERVER")
    if explicit:
        return explicit
    venv = REPO / ".venv" / "bin" / "moto_server"
    if venv.exists():
        return str(venv)
    return shutil.which("moto_server")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def running_moto() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A moto_server on a free port of 127.0.0.1: ``(endpoint, process)``; stopped at the end."""
    binary = _moto_binary()
    if binary is None:
        pytest.fail(INSTALL_HINT)
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix=f"ssmconf-py-moto-{port}-", suffix=".log", delete=False)
    try:
        proc = subprocess.Popen(
            [binary, "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    except OSError as e:
        log.close()
        pytest.fail(f"could not start {binary}: {e}. {INSTALL_HINT}")

    def output() -> str:
        log.flush()
        return Path(log.name).read_text(errors="replace")

    try:
        deadline = time.monotonic() + 60
        while not _accepts(port):
            if proc.poll() is not None:
                pytest.fail(f"moto_server ({binary}) exited with {proc.returncode}. Its output:\n{output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"moto_server ({binary}) did not listen on port {port} within 60 s. Its output:\n{output()}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        # Stop exactly the process this helper started.
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()
        os.unlink(log.name)


@pytest.fixture(scope="session")
def moto_endpoint(aws_test_env: None) -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a moto_server started for this session."""
    with running_moto() as (endpoint, _):
        yield endpoint


@pytest.fixture
def own_moto(aws_test_env: None) -> Callable[[], Any]:
    """``with own_moto() as (endpoint, process):`` a moto_server of the test's own, to stop at will."""
    return running_moto


@pytest.fixture(scope="session")
def boto_ssm(moto_endpoint: str) -> Any:
    """A boto3 SSM client on the test server: the "other tool" of interop checks."""
    try:
        import boto3
    except ImportError:
        pytest.fail("boto3 not found: pip install boto3 (scripts/requirements-test.txt has it)")
    return boto3.client(
        "ssm",
        region_name="us-east-1",
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def store(moto_endpoint: str) -> ssmconf.SsmStore:
    """An ``SsmStore`` on the test server."""
    return ssmconf.SsmStore(region="us-east-1", endpoint_url=moto_endpoint)


@pytest.fixture
def stage() -> str:
    """A stage no other test uses (SSM names must not start with aws/ssm: ours start with /it/)."""
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture
def schema(tmp_path: Path) -> Callable[..., Path]:
    """``schema(yaml, name="schema.yml")``: writes a dedented YAML schema file and returns its path."""

    def write(text: str, name: str = "schema.yml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return write


@pytest.fixture
def make_resolver(
    schema: Callable[..., Path], stage: str, store: ssmconf.SsmStore
) -> Callable[..., ssmconf.Resolver]:
    """``make_resolver(yaml, **kwargs)``: a resolver on the test server with ``vars={"stage": stage}``."""

    def make(text: str, **kwargs: Any) -> ssmconf.Resolver:
        kwargs.setdefault("vars", {"stage": stage})
        kwargs.setdefault("store", store)
        return ssmconf.Resolver(schema(text), **kwargs)

    return make


@pytest.fixture
def seed(boto_ssm: Any) -> Callable[..., int]:
    """``seed(name, value, type="String", description=None)``: writes through boto3; returns the version."""

    def put(name: str, value: str, type: str = "String", description: Optional[str] = None) -> int:
        args: dict[str, Any] = {"Name": name, "Value": value, "Type": type, "Overwrite": True}
        if description is not None:
            args["Description"] = description
        return int(boto_ssm.put_parameter(**args)["Version"])

    return put


@pytest.fixture
def peek(boto_ssm: Any) -> Callable[[str], Optional[dict[str, Any]]]:
    """``peek(name)``: the parameter as boto3 sees it (decrypted), or None when it does not exist."""

    def get(name: str) -> Optional[dict[str, Any]]:
        out = boto_ssm.get_parameters(Names=[name], WithDecryption=True)
        found = out["Parameters"]
        return found[0] if found else None

    return get


@pytest.fixture
def ssmconf_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog with the ``ssmconf`` logger enabled down to DEBUG (the Rust core logs there)."""
    caplog.set_level(logging.DEBUG, logger="ssmconf")
    return caplog

