"""examples/python/default_models.py runs, in memory and against moto_server, and says what it did."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "python" / "default_models.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def common_lines(out: str) -> None:
    lines = out.splitlines()
    assert (
        "available models: CLAUDE_3_5_SONNET_V2, CLAUDE_3_7_SONNET, CLAUDE_SONNET_4_5, CLAUDE_OPUS_4_5, GPT_4O, GPT_5_MINI"
        in lines
    ), out
    assert "default models: {'basic': 'CLAUDE_3_5_SONNET_V2', 'premium': 'CLAUDE_OPUS_4_5'}" in lines, out
    assert "explained: basic=CLAUDE_3_5_SONNET_V2 (default)  premium=CLAUDE_OPUS_4_5 (default)" in lines, out
    assert "updated basic -> GPT_5_MINI (version 1)" in lines, out
    assert "default models: {'basic': 'GPT_5_MINI', 'premium': 'CLAUDE_OPUS_4_5'}" in lines, out
    refused = [line for line in lines if line.startswith("refused premium -> GPT_3: ")]
    assert len(refused) == 1 and "GPT_5_MINI" in refused[0] and "models.default_premium" in refused[0], out
    assert "new instance: default models: {'basic': 'CLAUDE_3_5_SONNET_V2', 'premium': 'CLAUDE_OPUS_4_5'}" in lines, out
    assert "new instance: basic=CLAUDE_3_5_SONNET_V2 (default)  premium=CLAUDE_OPUS_4_5 (default)" in lines, out


def test_default_models_in_memory():
    proc = run()
    out = proc.stdout
    common_lines(out)
    assert "store: in memory, stage dev" in out
    assert "parameter: /purposepath/dev/models/default_basic" in out
    assert "running service: basic=GPT_5_MINI (stale)  premium=CLAUDE_OPUS_4_5 (default)" in out, out
    assert out.splitlines()[-1] == "default models: {'basic': 'GPT_5_MINI', 'premium': 'CLAUDE_OPUS_4_5'}", out
    assert "Using fallback value for models.default_basic (stale): throttled: simulated outage" in proc.stderr


def test_default_models_against_moto(moto_endpoint, peek, stage):
    proc = run("--endpoint-url", moto_endpoint, "--stage", stage)
    out = proc.stdout
    common_lines(out)
    assert f"store: Parameter Store at {moto_endpoint}, stage {stage}" in out
    assert "outage: Parameter Store is unreachable" in out
    assert "Using fallback value for models.default_basic (default): network" in proc.stderr, proc.stderr
    written = peek(f"/purposepath/{stage}/models/default_basic")
    assert written is not None and (written["Value"], written["Version"]) == ("GPT_5_MINI", 1)
    assert peek(f"/purposepath/{stage}/models/default_premium") is None, "the refused update wrote nothing"
