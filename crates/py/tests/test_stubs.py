"""The hand-written stubs match the compiled module (mypy.stubtest)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ALLOWLIST = REPO / "crates" / "py" / "stubtest-allowlist.txt"


def test_stubtest_passes():
    if importlib.util.find_spec("mypy") is None:
        pytest.fail("mypy is not installed: pip install mypy (scripts/test.sh installs it)")
    assert ALLOWLIST.is_file(), ALLOWLIST
    proc = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "ssmconf._ssmconf", "--allowlist", str(ALLOWLIST)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"stubtest failed:\n{proc.stdout}\n{proc.stderr}"


def test_the_package_ships_its_stubs_and_py_typed():
    import ssmconf

    package = Path(ssmconf.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_ssmconf.pyi").is_file()


USAGE = '''
from __future__ import annotations

import asyncio
import datetime
from typing import Any, Optional

import ssmconf

store = ssmconf.MemoryStore(values={"/app/dev/model": "GPT_4O"})
store.set("/app/dev/model", "CLAUDE_OPUS_4_5", type="StringList")
r = ssmconf.Resolver({"model": {"ssm_param": "/app/{stage}/model"}}, vars={"stage": "dev"}, ttl=300, store=store)
r2 = ssmconf.Resolver("config/", store=ssmconf.SsmStore(region="us-east-1", endpoint_url=None))
value: Any = r.get("model", "GPT_4O")
why: ssmconf.Resolved = r.explain("model")
when: Optional[datetime.datetime] = why.fetched_at
steps: list[tuple[str, str]] = why.steps
plan: ssmconf.InitPlan = r.init(dry_run=True)
created: list[ssmconf.PlanItem] = plan.created
report: ssmconf.CheckReport = r.check()
problems: list[ssmconf.Problem] = report.problems
history: list[ssmconf.HistoryEntry] = r.history("model")
stats: dict[str, int] = r.stats()
dropped: list[str] = r.handle_change_event({"detail-type": "Parameter Store Change"})


async def main() -> int:
    fresh: Any = await r.aget("model", None)
    why_async: ssmconf.Resolved = await r.aexplain("model")
    counts: dict[str, int] = await r.aload_all()
    return await r.aput("model", "GPT_4O")


version: int = asyncio.run(main())

try:
    r.require("model")
except ssmconf.SchemaError as e:
    file: str = e.file
    line: int = e.line
    column: int = e.column
    schema_key: str = e.key
except ssmconf.UnknownKeyError as e:
    unknown: str = e.key
    suggestion: Optional[str] = e.suggestion
except ssmconf.NotFoundError as e:
    missing: str = e.key
    name: Optional[str] = e.ssm_param
    chain: list[tuple[str, str]] = e.steps
except ssmconf.ValidationError as e:
    invalid: str = e.key
except ssmconf.StoreError as e:
    kind: str = e.kind
    transient: bool = e.transient
'''


def test_the_documented_api_type_checks(tmp_path):
    """What the stubs and exceptions.py document (attributes included) passes mypy."""
    if importlib.util.find_spec("mypy") is None:
        pytest.fail("mypy is not installed: pip install mypy (scripts/test.sh installs it)")
    (tmp_path / "usage.py").write_text(USAGE)
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--warn-unused-ignores", "usage.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"mypy found errors in code that uses the documented API:\n{proc.stdout}\n{proc.stderr}"
