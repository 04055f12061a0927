"""Per-message cost of the procedure resolver (what bot/nlu/procedure_resolver.py adds to every parse):
`python -m benchmarks.resolver`. Resolves every held-out message three times with the index built
from knowledge/content, as the trained component holds it, and prints p50/p99."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from benchmarks.report import percentile
from knowledge.loader import read_content
from knowledge.procedure_index import ProcedureIndex
from knowledge.resolution import resolve

HELDOUT = Path(__file__).resolve().parents[1] / "evaluation" / "heldout.csv"


def main() -> None:
    index = ProcedureIndex.from_content(read_content().procedures)
    with HELDOUT.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    resolve({"text": texts[0], "entities": []}, index)  # builds the keyword index once
    durations = []
    for text in texts * 3:
        started = time.perf_counter()
        resolve({"text": text, "entities": []}, index)
        durations.append((time.perf_counter() - started) * 1000)
    print(f"{len(durations)} messages: p50 {percentile(durations, 50):.3f} ms, p99 {percentile(durations, 99):.3f} ms")


if __name__ == "__main__":
    main()
