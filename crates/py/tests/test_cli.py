"""The ``ssmconf`` command the wheel installs: the Rust CLI, run from Python.

The console script (``ssmconf`` beside this interpreter), ``python -m
ssmconf`` and ``ssmconf._cli.main`` in this process all run
``ssmconf_cli::run``, the code of the ``ssmconf`` binary: the same flags,
output, exit codes and log lines (the Rust suite tests/cli runs against the
console script too: ``SSMCONF_CLI``, scripts/test.sh).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

import ssmconf
from ssmconf._cli import main

SCRIPT = Path(sys.executable).parent / "ssmconf"
SCHEMA = """
models:
  default_basic:
    ssm_param: /it/{stage}/models/default_basic
    default: CLAUDE_3_5_SONNET_V2
ec2:
  instance_id:
    ssm_param: /it/{stage}/ec2/instance-id
    required: true
secrets:
  hf_token:
    ssm_param: /it/{stage}/secrets/hf-token
    secure: true
"""
TIMEOUT = 60


def cli(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs the installed console script; fails the test if it is not there."""
    assert SCRIPT.is_file(), f"{SCRIPT} missing: the package's [project.scripts] entry was not installed"
    return subprocess.run(
        [str(SCRIPT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def with_file(schema: Callable[..., Path], tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``with_file(*args)``: the script on a schema and a file store of this test."""
    path = schema(SCHEMA)
    store = tmp_path / "params.json"

    def run(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return cli("--schema", str(path), "--stage", "dev", f"--store=file:{store}", *args, **kwargs)

    return run


def test_help_and_version_come_from_the_rust_cli() -> None:
    out = cli("--help")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Seed, check and explain typed configuration"), out.stdout
    assert "Usage: ssmconf [OPTIONS] <COMMAND>" in out.stdout
    assert "Exit codes: 0 done" in out.stdout
    version = cli("--version")
    assert (version.returncode, version.stdout) == (0, f"ssmconf {ssmconf.__version__}\n")


def test_bad_usage_exits_2_on_stderr() -> None:
    out = cli("--no-such-flag")
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.startswith("error: unexpected argument '--no-such-flag'"), out.stderr


def test_init_put_get_round_trip_with_exit_codes(with_file: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    plan = with_file("init", "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.startswith("Dry run: nothing was written.\n")
    assert "would create  models.default_basic" in plan.stdout

    missing = with_file("get", "ec2.instance_id")
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr.startswith("error: no value for `ec2.instance_id`"), missing.stderr
    check = with_file("check")
    assert check.returncode == 1, check.stdout

    put = with_file("put", "ec2.instance_id", "i-0abc123")
    assert put.returncode == 0, put.stderr
    got = with_file("get", "ec2.instance_id")
    assert (got.returncode, got.stdout) == (0, "i-0abc123\n")


def test_stdin_reaches_the_command_and_secrets_stay_masked(
    with_file: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    secret = "hf_s3cr3t_from_stdin"
    put = with_file("put", "secrets.hf_token", "-", stdin=secret + "\n")
    assert put.returncode == 0, put.stderr
    masked = with_file("get", "secrets.hf_token")
    assert masked.returncode == 0
    assert masked.stdout == "***\n"
    assert secret not in masked.stdout + masked.stderr + put.stdout + put.stderr
    revealed = with_file("get", "secrets.hf_token", "--reveal")
    assert revealed.stdout == secret + "\n"


def test_log_lines_are_the_clis_on_stderr(
    with_file: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    (tmp_path / "params.json").write_text("{ not json")
    out = with_file("get", "models.default_basic")
    assert (out.returncode, out.stdout) == (0, "CLAUDE_3_5_SONNET_V2\n"), out.stderr
    # The CLI's tracing format (level, then the message), not Python logging's.
    assert " WARN Using fallback value for models.default_basic (default)" in out.stderr, out.stderr
    broken = with_file("check")
    assert broken.returncode == 3, broken.stderr
    quiet = with_file("get", "models.default_basic", env={"SSMCONF_LOG": "off"})
    assert quiet.stderr == ""


def test_python_m_ssmconf_is_the_same_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ssmconf", "--version"], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert (out.returncode, out.stdout) == (0, f"ssmconf {ssmconf.__version__}\n"), out.stderr


def test_against_ssm_the_cli_writes_what_boto3_reads(
    schema: Callable[..., Path], stage: str, moto_endpoint: str, peek: Callable[[str], Any]
) -> None:
    path = schema(SCHEMA)
    args = ["--schema", str(path), "--stage", stage, "--store", "ssm", "--endpoint-url", moto_endpoint]
    # boto3 first: moto loads its SSM backend on the first request, which can
    # take longer than the CLI's 3 s per attempt on a busy machine.
    assert peek(f"/it/{stage}/models/default_basic") is None
    out = cli(*args, "init")
    assert out.returncode == 0, out.stderr
    found = peek(f"/it/{stage}/models/default_basic")
    assert found is not None and found["Value"] == "CLAUDE_3_5_SONNET_V2"
    explain = cli(*args, "--output", "json", "explain", "models.default_basic")
    assert explain.returncode == 0, explain.stderr
    assert '"source": "ssm"' in explain.stdout


def test_in_process_main_answers_the_exit_code_and_keeps_python_logging(
    capfd: pytest.CaptureFixture[str], ssmconf_logs: pytest.LogCaptureFixture, schema: Callable[..., Path], tmp_path: Path
) -> None:
    before = signal.getsignal(signal.SIGINT)
    assert main(["--version"]) == 0
    assert capfd.readouterr().out == f"ssmconf {ssmconf.__version__}\n"
    assert main(["--no-such-flag"]) == 2
    assert "unexpected argument" in capfd.readouterr().err
    assert signal.getsignal(signal.SIGINT) is before, "main() left its SIGINT disposition behind"

    # The command's log lines go to fd 2 in the CLI's format, not to this
    # process's `logging` (which the module's bridge feeds otherwise)...
    store = tmp_path / "broken.json"
    store.write_text("{ not json")
    args = ["--schema", str(schema(SCHEMA)), "--stage", "dev", f"--store=file:{store}", "get", "models.default_basic"]
    assert main(args) == 0
    captured = capfd.readouterr()
    assert captured.out == "CLAUDE_3_5_SONNET_V2\n"
    assert " WARN Using fallback value for models.default_basic" in captured.err, captured.err
    assert not [r for r in ssmconf_logs.records if r.name == "ssmconf"]
    # ...and the bridge still works afterwards for the library's own lines.
    r = ssmconf.Resolver(
        {"a": {"ssm_param": "/x/a", "default": 1}}, store=ssmconf.FileStore(str(store))
    )
    assert r.get("a") == 1
    assert any("Using fallback value for a" in rec.getMessage() for rec in ssmconf_logs.records), [
        rec.getMessage() for rec in ssmconf_logs.records
    ]
