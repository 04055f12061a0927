"""Writes one benchmark's section into benchmarks/REPORT.md, leaving the other sections alone."""

from __future__ import annotations

import os
import platform
import re
from datetime import datetime, timezone
from pathlib import Path

REPORT = Path(__file__).with_name("REPORT.md")
HEADER = "# Benchmark report\n\nEach section is rewritten by the script named in it.\n"


def machine_line() -> str:
    return f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"


def write_section(name: str, markdown: str, report: Path = REPORT) -> None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{markdown.strip()}\n\n_{machine_line()}_\n{end}"
    text = report.read_text() if report.exists() else HEADER
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    report.write_text(text)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
