"""Hand-written vs spaCy phrase matcher in the procedure resolver: `python -m evaluation.matchers`.

Parses every message of the held-out sets once with the trained model (latest in models/, or
`--model`), then re-runs the procedure resolver (`knowledge.resolution.resolve`) on each parse with
each matcher, so the intents are identical and only the matcher differs. Judged as
`evaluation.run` judges (`landed`, `metrics`): procedure landed per variant (directly, or among at
most 3 clarifying choices), and how many of those landed directly; out-of-scope declined; in-scope
wrongly declined. Also times the resolver per message with each matcher. Prints the table and
writes it into evaluation/NOTES.md (between the markers), which `evaluation.run` appends to REPORT.md.

Sets: evaluation/heldout.csv (short messages), the real-question held-out set when it is there
(evaluation/real_questions/heldout.csv), and evaluation/stories.csv (long story-first questions
written by the matcher's author, not collected: a smoke test, not a measure of real citizens).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Optional

from evaluation.run import HELDOUT, ROOT, VARIANTS, Outcome, Row, fmt, landed, latest_model, metrics, read_heldout

SETS = {
    "short (heldout.csv)": HELDOUT,
    "real questions (real_questions/heldout.csv)": ROOT / "evaluation" / "real_questions" / "heldout.csv",
    "stories written for this test (stories.csv)": ROOT / "evaluation" / "stories.csv",
}
MATCHERS = {
    "hand-written": "knowledge.procedure_index.AliasMatcher",
    "spaCy": "knowledge.phrase_matcher.SpacyPhraseMatcher",
}
NOTES = ROOT / "evaluation" / "NOTES.md"
BEGIN, END = "<!-- evaluation.matchers: begin -->", "<!-- evaluation.matchers: end -->"


async def parse_rows(model: Path, rows: list[Row]) -> list[dict]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    from knowledge.text import nfc

    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    return [await agent.parse_message(nfc(row.text)) for row in rows]


def judge(rows: list[Row], parses: list[dict], resolve_one: Callable[[dict], dict]) -> tuple[list[Outcome], list[float]]:
    """Outcomes with the resolution `resolve_one` gives, and the resolver's time per message (ms)."""
    from knowledge.resolution import PARSE_KEY

    outcomes, times = [], []
    for row, parse in zip(rows, parses):
        started = time.perf_counter()
        resolution = resolve_one(parse)
        times.append((time.perf_counter() - started) * 1000)
        parse = {**parse, PARSE_KEY: resolution}
        ranking = [i for i in parse.get("intent_ranking", []) if i["name"] != "nlu_fallback"]
        guess = ranking[0] if ranking else parse["intent"]
        procedure, candidates, declined = landed(parse)
        outcomes.append(Outcome(row, parse["intent"]["name"], guess["name"], float(guess.get("confidence") or 0),
                                procedure, candidates, declined and parse["intent"]["name"] != "out_of_scope"))
    return outcomes, times


def directly(outcomes: list[Outcome], variant: str) -> tuple[int, int]:
    group = [o for o in outcomes if o.in_scope and o.row.variant == variant]
    return sum(o.procedure is not None and o.procedure in o.row.expected for o in group), len(group)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: Optional[list[str]] = None) -> int:
    from bot.nlu.procedure_resolver import _matcher_factory
    from knowledge.loader import CONTENT_DIR, read_content
    from knowledge.procedure_index import ProcedureIndex
    from knowledge.resolution import PARSE_KEY, resolve

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="default: the latest model in models/")
    parser.add_argument("--no-notes", action="store_true", help="print only, do not rewrite evaluation/NOTES.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    model = args.model or latest_model(ROOT / "models")
    if model is None:
        print("no model in models/: run `bash scripts/train.sh` first", file=sys.stderr)
        return 1
    procedures = read_content(CONTENT_DIR).procedures
    indexes = {name: ProcedureIndex.from_content(procedures, _matcher_factory(path)) for name, path in MATCHERS.items()}

    lines = [f"Model `{model.name}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
             "Procedure landed = directly or among ≤ 3 clarifying choices (as `evaluation.run`); "
             "directly = no clarifying question.", "",
             "| set | matcher | " + " | ".join(f"{v}: landed / directly" for v in VARIANTS)
             + " | out-of-scope declined | in-scope wrongly declined |",
             "|---|---|" + "---|" * (len(VARIANTS) + 2)]
    timings: dict[str, list[float]] = {name: [] for name in MATCHERS}
    for set_name, path in SETS.items():
        if not path.exists():
            lines_note = f"({set_name}: not in this checkout)"
            print(lines_note)
            continue
        rows = read_heldout(path)
        parses = asyncio.run(parse_rows(model, rows))
        for name, index in indexes.items():
            def resolve_one(parse: dict, index: ProcedureIndex = index) -> dict:
                message = {key: value for key, value in parse.items() if key != PARSE_KEY}
                return resolve(message, index).to_dict()

            resolve_one(parses[0])  # warm-up (first spaCy call builds caches)
            outcomes, times = judge(rows, parses, resolve_one)
            timings[name] += times
            result = metrics(outcomes)
            cells = [f"{fmt(result['procedure'][v])} / {directly(outcomes, v)[0]}" if result["procedure"][v][1] else "–"
                     for v in VARIANTS]
            lines.append(f"| {set_name} | {name} | " + " | ".join(cells)
                         + f" | {fmt(result['oos_recall']) if result['oos_recall'][1] else '–'}"
                         + f" | {fmt(result['wrongly_declined'])} |")
    lines += ["", "| matcher | resolver time per message: median | p95 | max | messages |", "|---|---|---|---|---|"]
    for name, times in timings.items():
        if times:
            lines.append(f"| {name} | {statistics.median(times):.2f} ms | {percentile(times, 0.95):.2f} ms "
                         f"| {max(times):.2f} ms | {len(times)} |")
    print("\n".join(lines))
    if not args.no_notes:
        text = NOTES.read_text(encoding="utf-8")
        table = "\n".join([BEGIN, *lines, END])
        if BEGIN in text:
            text = text[:text.index(BEGIN)] + table + text[text.index(END) + len(END):]
        else:
            text = text.rstrip("\n") + "\n\n### Phrase matcher: hand-written vs spaCy (`python -m evaluation.matchers`)\n\n" \
                + table + "\n"
        NOTES.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
