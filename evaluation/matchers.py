"""Hand-written vs spaCy phrase matcher in the procedure resolver: `python -m evaluation.matchers`.

Parses every message of the held-out sets once with the trained model (latest in models/, or
`--model`), then re-runs the procedure resolver (`knowledge.resolution.resolve`) on each parse with
each matcher, so the intents are identical and only the matcher differs. Judged as
`evaluation.run` judges (`landed`, `metrics`): procedure landed per variant (directly, or among at
most 3 clarifying choices), and how many of those landed directly; out-of-scope declined; in-scope
wrongly declined. Also times the resolver per message with each matcher. Prints the table and
writes it into evaluation/NOTES.md (between the markers), which `evaluation.run` appends to REPORT.md.

Sets: evaluation/heldout.csv (short messages); real citizen questions (`--real`, default
evaluation/real_questions/questions.csv when it is there: all of them, since a model trained
without them has seen none; a question asking two things counts when either is landed); and
evaluation/stories.csv (long story-first questions written by the matcher's author, not collected:
a smoke test, not a measure of real citizens).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

from evaluation.run import HELDOUT, ROOT, VARIANTS, Outcome, Row, fmt, latest_model, metrics, outcome_of, read_heldout

REAL = ROOT / "evaluation" / "real_questions" / "questions.csv"
STORIES = ROOT / "evaluation" / "stories.csv"
MATCHERS = {
    "hand-written": "knowledge.procedure_index.AliasMatcher",
    "spaCy": "knowledge.phrase_matcher.SpacyPhraseMatcher",
}
REPEAT = 5
NOTES = ROOT / "evaluation" / "NOTES.md"
BEGIN, END = "<!-- evaluation.matchers: begin -->", "<!-- evaluation.matchers: end -->"


async def parse_sets(model: Path, sets: dict[str, list[Row]]) -> dict[str, list[dict]]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    from knowledge.text import nfc

    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    parsed: dict[str, list[dict]] = {}
    for name, rows in sets.items():
        parsed[name] = [await agent.parse_message(nfc(row.text)) for row in rows]
    return parsed


def judge(rows: list[Row], parses: list[dict], resolve_one: Callable[[dict], dict]) -> list[Outcome]:
    """Outcomes with the resolution `resolve_one` gives, judged as `evaluation.run` does."""
    from knowledge.resolution import PARSE_KEY

    return [outcome_of(row, {**parse, PARSE_KEY: resolve_one(parse)}) for row, parse in zip(rows, parses)]


def timed(resolvers: dict[str, Callable[[dict], dict]], parses: list[dict]) -> dict[str, list[float]]:
    """Per matcher, the resolver's time per message (ms): the median of REPEAT runs, the matchers
    taking turns on each message so that a busy moment of the shared machine hits both alike."""
    times: dict[str, list[float]] = {name: [] for name in resolvers}
    for parse in parses:
        runs: dict[str, list[float]] = {name: [] for name in resolvers}
        for _ in range(REPEAT):
            for name, resolve_one in resolvers.items():
                started = time.perf_counter()
                resolve_one(parse)
                runs[name].append((time.perf_counter() - started) * 1000)
        for name in resolvers:
            times[name].append(statistics.median(runs[name]))
    return times


def resolver_with(index: Any) -> Callable[[dict], dict]:
    """The procedure resolver on a parse, with `index`'s matcher instead of the model's."""
    from knowledge.resolution import PARSE_KEY, resolve

    def resolve_one(parse: dict) -> dict:
        return resolve({key: value for key, value in parse.items() if key != PARSE_KEY}, index).to_dict()

    return resolve_one


def directly(outcomes: list[Outcome], variant: str) -> tuple[int, int]:
    group = [o for o in outcomes if o.in_scope and o.row.variant == variant]
    return sum(o.procedure is not None and o.procedure in o.row.expected for o in group), len(group)


def read_real(path: Path) -> list[Row]:
    """Real questions (columns language, label, text) as held-out rows, variant from the text."""
    from knowledge.procedure_index import has_marks

    with path.open(encoding="utf-8", newline="") as file:
        rows = []
        for r in csv.DictReader(file):
            out = r["label"] == "out_of_scope"
            variant = "out_of_scope" if out else "english" if r["language"] == "en" else "accented" if has_marks(r["text"]) else "unaccented"
            rows.append(Row(r["text"], variant, "out_of_scope" if out else "find_procedure", tuple(r["label"].split("|"))))
        return rows


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: Optional[list[str]] = None) -> int:
    from bot.nlu.procedure_resolver import _matcher_factory
    from knowledge.loader import CONTENT_DIR, read_content
    from knowledge.procedure_index import ProcedureIndex

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="default: the latest model in models/")
    parser.add_argument("--real", type=Path, default=REAL, help="real questions CSV (id, language, label, ..., text)")
    parser.add_argument("--no-notes", action="store_true", help="print only, do not rewrite evaluation/NOTES.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    model = args.model or latest_model(ROOT / "models")
    if model is None:
        print("no model in models/: run `bash scripts/train.sh` first", file=sys.stderr)
        return 1
    sets = {"short messages (heldout.csv)": read_heldout(HELDOUT)}
    if args.real.exists():
        sets[f"real questions ({args.real.name})"] = read_real(args.real)
    else:
        print(f"({args.real}: not there, real questions skipped)")
    sets["stories written for this test (stories.csv)"] = read_heldout(STORIES)
    parsed = asyncio.run(parse_sets(model, sets))

    # Built after Rasa is loaded, as in the Rasa server; the first spaCy build includes its import.
    procedures = read_content(CONTENT_DIR).procedures
    build_ms: dict[str, float] = {}
    resolvers: dict[str, Callable[[dict], dict]] = {}
    for name, path in MATCHERS.items():
        started = time.perf_counter()
        index = ProcedureIndex.from_content(procedures, _matcher_factory(path))
        build_ms[name] = (time.perf_counter() - started) * 1000
        resolvers[name] = resolver_with(index)

    lines = [
        f"Model `{model.name}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores. Procedure landed = directly or among ≤ 3 "
        "clarifying choices (as `evaluation.run`), then how many of those directly (no clarifying question).",
        "",
        "| set | matcher | " + " | ".join(f"{v}: landed / directly" for v in VARIANTS) + " | out-of-scope declined | in-scope wrongly declined |",
        "|---|---|" + "---|" * (len(VARIANTS) + 2),
    ]
    for set_name, rows in sets.items():
        for name, resolve_one in resolvers.items():
            outcomes = judge(rows, parsed[set_name], resolve_one)
            result = metrics(outcomes)
            cells = [f"{fmt(result['procedure'][v])} / {directly(outcomes, v)[0]}" if result["procedure"][v][1] else "–" for v in VARIANTS]
            lines.append(
                f"| {set_name} | {name} | "
                + " | ".join(cells)
                + f" | {fmt(result['oos_recall']) if result['oos_recall'][1] else '–'}"
                + f" | {fmt(result['wrongly_declined'])} |"
            )
    lines += ["", *[f"- {name}: {len(rows)} messages" for name, rows in sets.items()]]
    timings = timed(resolvers, [parse for parses in parsed.values() for parse in parses])
    lines += [
        "",
        f"| matcher | resolver per message: median | p95 | max (median of {REPEAT} runs each) | building the matcher |",
        "|---|---|---|---|---|",
    ]
    for name, times in timings.items():
        lines.append(
            f"| {name} | {statistics.median(times):.2f} ms | {percentile(times, 0.95):.2f} ms | {max(times):.2f} ms | {build_ms[name]:.0f} ms |"
        )
    print("\n".join(lines))
    if not args.no_notes:
        text = NOTES.read_text(encoding="utf-8")
        table = "\n".join([BEGIN, *lines, END])
        if BEGIN in text:
            text = text[: text.index(BEGIN)] + table + text[text.index(END) + len(END) :]
        else:
            text = text.rstrip("\n") + "\n\n### Phrase matcher: hand-written vs spaCy (`python -m evaluation.matchers`)\n\n" + table + "\n"
        NOTES.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
