#!/usr/bin/env python3
"""Writes criterion's latest results into BENCHMARKS.md.

Reads target/criterion/<bench>/new/estimates.json for every benchmark that
ran, and replaces the section between `<!-- criterion:begin -->` and
`<!-- criterion:end -->` in BENCHMARKS.md (appending it when absent) with a
table of medians and the machine it ran on.

    python3 benches/criterion_report.py [--write]
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
BEGIN, END = "<!-- criterion:begin -->", "<!-- criterion:end -->"


def human(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def rustc() -> str:
    try:
        return subprocess.run(["rustc", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "rustc (unknown version)"


def section() -> str:
    rows = []
    for estimates in sorted(CRITERION.glob("*/new/estimates.json")):
        name = estimates.parent.parent.name
        data = json.loads(estimates.read_text())
        median = data["median"]["point_estimate"]
        low = data["median"]["confidence_interval"]["lower_bound"]
        high = data["median"]["confidence_interval"]["upper_bound"]
        rows.append(f"| `{name}` | {human(median)} | {human(low)} to {human(high)} |")
    if not rows:
        sys.exit("no criterion results under target/criterion: run `cargo bench -p ssmconf` first")
    return "\n".join(
        [
            BEGIN,
            "### Criterion medians (latest run)",
            "",
            f"Machine: {os.cpu_count()} CPUs, {cpu()}; {rustc()}. Written by",
            "`scripts/bench.sh` (`cargo bench -p ssmconf`, then `benches/criterion_report.py --write`).",
            "",
            "| benchmark | median | 95% interval of the median |",
            "|---|---|---|",
            *rows,
            END,
        ]
    )


def main() -> None:
    text = section()
    if "--write" not in sys.argv:
        print(text)
        return
    path = ROOT / "BENCHMARKS.md"
    doc = path.read_text()
    if BEGIN in doc and END in doc:
        doc = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: text, doc, flags=re.S)
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(doc)
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
