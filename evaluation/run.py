"""Evaluate understanding on the held-out set: `python -m evaluation.run [--model PATH]`.

Trains into models/ when the data, config or domain changed since the last model (Rasa's
fingerprint), then parses every message of evaluation/heldout.csv (never used for training)
and prints intent F1, procedure identification per variant (accented, unaccented/abbreviated,
English), out-of-scope recall and the share of in-scope messages wrongly declined. Writes
Rasa's confusion matrix and confidence histogram (`rasa test nlu`) and evaluation/REPORT.md.

"Lands on the right procedure" is judged exactly as the assistant acts: the decision of the
model's procedure resolver (bot/nlu/procedure_resolver.py, in the parse data) read as the slot
mapping (knowledge/conversation_slots.py) reads it, or - when the assistant asks a clarifying question -
the expected procedure among at most MAX_CLARIFY_CHOICES buttons. `landing_measures` splits that
into "landed directly" (a message naming one procedure fills the slot, no question asked) and
"asked, with the right option among at most 3" (a message that really fits several procedures); it
takes any list of outcomes, so other evaluation sets report the same measures.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "evaluation" / "heldout.csv"
RESULTS = ROOT / "evaluation" / "results"
REPORT = ROOT / "evaluation" / "REPORT.md"
RASA = [str(ROOT / ".venv" / "bin" / "rasa")] if (ROOT / ".venv" / "bin" / "rasa").exists() else ["rasa"]
VARIANTS = ("accented", "unaccented", "english")
MAX_CLARIFY_CHOICES = 3
TARGETS = {"procedure": 0.95, "oos_recall": 0.90, "wrongly_declined": 0.03, "train_seconds": 180}
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@dataclass
class Row:
    text: str
    variant: str
    intent: str
    expected: tuple[str, ...]  # acceptable procedure ids, or ("out_of_scope",)


@dataclass
class Outcome:
    row: Row
    intent: str  # after the FallbackClassifier (may be nlu_fallback)
    guess: str  # best intent other than nlu_fallback
    confidence: float  # of `guess`
    procedure: Optional[str]
    candidates: list[str]

    @property
    def in_scope(self) -> bool:
        return self.row.variant != "out_of_scope"

    declined_by_action: bool = False  # a find_procedure message in which nothing points to a procedure
    offered: list[str] = field(default_factory=list)  # procedures offered below the decline (named in the message)

    @property
    def declined(self) -> bool:
        return self.intent == "out_of_scope" or self.declined_by_action

    @property
    def procedure_correct(self) -> bool:
        if self.procedure is not None:
            return self.procedure in self.row.expected
        return 0 < len(self.candidates) <= MAX_CLARIFY_CHOICES and bool(set(self.candidates) & set(self.row.expected))

    @property
    def reached(self) -> bool:
        """The right procedure landed, offered by a clarifying question with at most MAX_CLARIFY_CHOICES
        buttons, or offered below a decline: one tap away either way."""
        if self.declined:
            return bool(set(self.offered) & set(self.row.expected))
        return self.procedure_correct


def landing_measures(outcomes: list[Outcome]) -> dict[str, dict[str, tuple[int, int]]]:
    """Per variant, how the assistant lands without a needless question (issue 12, part 4):

    - `landed_directly`: of the messages that name one procedure (one expected id), those that fill the
      procedure slot with it, no question asked;
    - `asked_needlessly`: of the same messages, those answered with a clarifying question instead;
    - `asked_right`: of the messages that really fit several procedures (several expected ids, such as a
      newborn: the bundle or the birth registration), those asked about with an expected option among at
      most MAX_CLARIFY_CHOICES buttons;
    - `several_landed`: of the same, those that landed directly on one of the expected procedures.

    Each value is (count, messages). Any list of outcomes works (the held-out set, or another set of
    real questions labelled the same way); out-of-scope rows are ignored."""
    result: dict[str, dict[str, tuple[int, int]]] = {}
    for variant in sorted({o.row.variant for o in outcomes if o.in_scope}, key=_variant_order):
        group = [o for o in outcomes if o.in_scope and o.row.variant == variant]
        one = [o for o in group if len(o.row.expected) == 1]
        several = [o for o in group if len(o.row.expected) > 1]
        result[variant] = {
            "landed_directly": (sum(o.procedure is not None and o.procedure_correct for o in one), len(one)),
            "asked_needlessly": (sum(o.procedure is None and bool(o.candidates) for o in one), len(one)),
            "asked_right": (sum(o.procedure is None and o.procedure_correct for o in several), len(several)),
            "several_landed": (sum(o.procedure is not None and o.procedure_correct for o in several), len(several)),
        }
    return result


def _variant_order(variant: str) -> tuple[int, str]:
    return (VARIANTS.index(variant) if variant in VARIANTS else len(VARIANTS), variant)


def landing_lines(landing: dict[str, dict[str, tuple[int, int]]]) -> list[str]:
    lines = []
    for variant, counts in landing.items():
        lines.append(
            f"landed directly, {variant}: {fmt(counts['landed_directly'])}"
            f" (asked needlessly {fmt(counts['asked_needlessly'])}; one message = "
            f"{100 / max(counts['landed_directly'][1], 1):.2f} points)"
        )
        if counts["asked_right"][1]:
            lines.append(
                f"fits several procedures, {variant}: asked with the right option among at most "
                f"{MAX_CLARIFY_CHOICES} {fmt(counts['asked_right'])}, landed directly on one "
                f"{fmt(counts['several_landed'])}"
            )
    return lines


def read_heldout(path: Path = HELDOUT) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as file:
        return [Row(r["text"], r["variant"], r["intent"], tuple(r["procedure"].split("|"))) for r in csv.DictReader(file)]


# ------------------------------------------------------------------ model


def latest_model(directory: Path) -> Optional[Path]:
    models = sorted(directory.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def train_if_needed(out: Path, force: bool = False) -> tuple[Optional[Path], Optional[float]]:
    """(model, training wall time or None when the fingerprint said nothing changed).
    `force` retrains every component without Rasa's cache: the honest full training time."""
    base = RASA + ["train", "--domain", "domain", "--out", str(out)]
    current = latest_model(out)
    if force:
        base.append("--force")
    elif current is not None:
        dry_run = subprocess.run(base + ["--dry-run"], cwd=ROOT, capture_output=True, text=True)
        if dry_run.returncode == 0:
            return current, None
    print(f"training (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)", flush=True)
    started = time.monotonic()
    subprocess.run(base, cwd=ROOT, check=True)
    return latest_model(out), time.monotonic() - started


# ------------------------------------------------------------------ parsing


def landed(parse: dict) -> tuple[Optional[str], list[str], bool]:
    """(procedure put in the slot, clarifying choices offered, declined as out of scope) -
    as the slot mapping and the discovery action do it, outside any form, from the decision the
    model's procedure resolver put in the parse data."""
    from actions.discovery import fallback_declines, fallback_guess
    from knowledge.resolution import PARSE_KEY, PROCEDURE_INTENTS, Resolution

    resolution = Resolution.from_dict(parse[PARSE_KEY])
    intent = parse["intent"]["name"]
    if intent == "out_of_scope":
        return None, [], True
    if intent == "nlu_fallback":
        # The fallback question offers the best guess with its procedure, or declines when
        # nothing in the message points to public services (ActionDefaultAskAffirmation).
        guess = fallback_guess(parse)
        found = resolution.decide(search_text=guess in PROCEDURE_INTENTS)
        return found.procedure_id, found.candidates, not found.found and fallback_declines(parse, found, guess)
    found = resolution.decide(search_text=intent in PROCEDURE_INTENTS)
    declined = intent == "find_procedure" and resolution.outside_public_services(found)
    return found.procedure_id, found.candidates, declined


async def parse_all(model: Path, rows: list[Row]) -> list[Outcome]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    from knowledge.text import nfc

    configure_structlog(logging.WARNING)  # no debug line per parsed message
    agent = Agent.load(str(model))
    return [outcome_of(row, await agent.parse_message(nfc(row.text))) for row in rows]


def outcome_of(row: Row, parse: dict) -> Outcome:
    """How the assistant handles one parsed held-out message."""
    from knowledge.uncovered_subjects import offered_on_decline

    ranking = [i for i in parse.get("intent_ranking", []) if i["name"] != "nlu_fallback"]
    guess = ranking[0] if ranking else parse["intent"]
    procedure, candidates, declined = landed(parse)
    offered = offered_on_decline(parse) if parse["intent"]["name"] == "out_of_scope" else []
    return Outcome(
        row,
        parse["intent"]["name"],
        guess["name"],
        float(guess.get("confidence") or 0),
        procedure,
        candidates,
        declined and parse["intent"]["name"] != "out_of_scope",
        offered,
    )


# ------------------------------------------------------------------ metrics


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def intent_f1(outcomes: list[Outcome], threshold: Optional[float] = None) -> dict:
    """F1 over the intents of the held-out set (a prediction of any other intent counts as wrong)."""
    from sklearn.metrics import f1_score

    expected = [o.row.intent for o in outcomes]
    predicted = [o.intent if threshold is None else (o.guess if o.confidence >= threshold else "nlu_fallback") for o in outcomes]
    labels = sorted(set(expected))
    return {
        "weighted": f1_score(expected, predicted, labels=labels, average="weighted", zero_division=0),
        "macro": f1_score(expected, predicted, labels=labels, average="macro", zero_division=0),
    }


def metrics(outcomes: list[Outcome]) -> dict:
    in_scope = [o for o in outcomes if o.in_scope]
    oos = [o for o in outcomes if not o.in_scope]
    per_variant = {}
    for variant in VARIANTS:
        group = [o for o in in_scope if o.row.variant == variant]
        per_variant[variant] = (sum(o.procedure_correct for o in group), len(group))
    return {
        "intent_f1": intent_f1(outcomes),
        "procedure": per_variant,
        "oos_recall": (sum(o.declined for o in oos), len(oos)),
        "oos_procedure_empty": (sum(o.procedure is None and not o.candidates for o in oos), len(oos)),
        "wrongly_declined": (sum(o.declined for o in in_scope), len(in_scope)),
        "fallback_in_scope": (sum(o.intent == "nlu_fallback" for o in in_scope), len(in_scope)),
        "landing": landing_measures(outcomes),
    }


def threshold_table(outcomes: list[Outcome]) -> list[dict]:
    """What each FallbackClassifier threshold would do on this set (confidences of the raw guess)."""
    table = []
    for threshold in THRESHOLDS:
        right = [o for o in outcomes if o.guess == o.row.intent]
        wrong = [o for o in outcomes if o.guess != o.row.intent]
        table.append(
            {
                "threshold": threshold,
                "right_sent_to_fallback": share(sum(o.confidence < threshold for o in right), len(right)),
                "wrong_caught_by_fallback": share(sum(o.confidence < threshold for o in wrong), len(wrong)),
                "intent_f1_weighted": intent_f1(outcomes, threshold)["weighted"],
            }
        )
    return table


# ------------------------------------------------------------------ rasa test nlu (images)


def rasa_test_nlu(model: Path, rows: list[Row], out: Path) -> None:
    """Rasa's own report, confusion matrix and confidence histogram for the held-out intents."""
    by_intent = defaultdict(list)
    for row in rows:
        by_intent[row.intent].append(row.text)
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in sorted(by_intent.items()):
        lines += [f"- intent: {intent}", "  examples: |"] + [f"    - {json.dumps(t, ensure_ascii=False)[1:-1]}" for t in texts]
    out.mkdir(parents=True, exist_ok=True)
    data = out / "heldout_nlu.yml"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    subprocess.run(RASA + ["test", "nlu", "--model", str(model), "--nlu", str(data), "--out", str(out)], cwd=ROOT, check=True, capture_output=True)


# ------------------------------------------------------------------ report


def fmt(part_whole: tuple[int, int]) -> str:
    part, whole = part_whole
    return f"{share(part, whole):.1%} ({part}/{whole})"


def summary_lines(result: dict, train_seconds: Optional[float]) -> list[str]:
    lines = [
        f"intent F1 (weighted / macro): {result['intent_f1']['weighted']:.3f} / {result['intent_f1']['macro']:.3f}",
    ]
    for variant, counts in result["procedure"].items():
        lines.append(f"procedure identified, {variant}: {fmt(counts)}")
    lines += landing_lines(result["landing"])
    lines += [
        f"out-of-scope recall: {fmt(result['oos_recall'])}",
        f"out-of-scope with no procedure set: {fmt(result['oos_procedure_empty'])}",
        f"in-scope wrongly declined: {fmt(result['wrongly_declined'])}",
        f"in-scope sent to the fallback question: {fmt(result['fallback_in_scope'])}",
    ]
    if train_seconds is not None:
        lines.append(f"rasa train wall time: {train_seconds:.0f} s")
    return lines


def errors_table(outcomes: list[Outcome]) -> list[str]:
    lines = ["| variant | message | expected | intent | landed on / offered |", "|---|---|---|---|---|"]
    for o in outcomes:
        needless = o.in_scope and len(o.row.expected) == 1 and o.procedure is None
        wrong = (o.in_scope and (not o.procedure_correct or o.declined or needless)) or (not o.in_scope and not o.declined)
        if wrong:
            landed_on = o.procedure or ", ".join(o.candidates) or "-"
            lines.append(f"| {o.row.variant} | {o.row.text} | {'/'.join(o.row.expected)} | {o.intent} ({o.confidence:.2f}) | {landed_on} |")
    return lines


def write_report(result: dict, table: list[dict], outcomes: list[Outcome], model: Path, train_seconds: Optional[float], out: Path) -> None:
    counts = Counter(o.row.variant for o in outcomes)
    text = [
        "# NLU evaluation on the held-out set",
        "",
        f"Generated by `python -m evaluation.run` with model `{model.name}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Held-out set: `evaluation/heldout.csv`, "
        f"{len(outcomes)} messages ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}), "
        "written for this evaluation and never used for training.",
        "",
        "## Results",
        "",
        *[f"- {line}" for line in summary_lines(result, train_seconds)],
        "",
        f"Targets: procedure and landed directly ≥ {TARGETS['procedure']:.0%} per variant, out-of-scope recall ≥ "
        f"{TARGETS['oos_recall']:.0%}, in-scope wrongly declined ≤ {TARGETS['wrongly_declined']:.0%}, "
        f"full `rasa train` ≤ {TARGETS['train_seconds']} s on 2 cores.",
        "",
        "A message counts as declined when the intent is out_of_scope, or when the discovery action or the "
        "fallback question finds nothing in it that points to public services (no procedure, life event or "
        "paperwork word) and answers with the polite decline. "
        "A message counts as landing on the right procedure when the slot mapping fills `procedure` with an "
        f"expected id, or when the assistant asks a clarifying question with at most {MAX_CLARIFY_CHOICES} "
        "buttons that include it (life events such as a newborn offer the bundle and the single procedure). "
        '"Landed directly" counts only the messages that name one procedure (one expected id): the slot is '
        "filled with it and no question is asked. A message labelled with several ids really fits several "
        'procedures; for it a question with the right option is the expected answer ("asked with the right '
        'option").',
        "",
        "## Fallback threshold calibration",
        "",
        "Confidence of the best intent (before the FallbackClassifier) on this set:",
        "",
        "| threshold | correct intents sent to fallback | wrong intents caught | intent F1 (weighted) |",
        "|---|---|---|---|",
        *[
            f"| {row['threshold']:.2f} | {row['right_sent_to_fallback']:.1%} | {row['wrong_caught_by_fallback']:.1%} "
            f"| {row['intent_f1_weighted']:.3f} |"
            for row in table
        ],
        "",
        "Images (Rasa's `rasa test nlu` on the same set): `evaluation/results/intent_confusion_matrix.png`, "
        "`evaluation/results/intent_histogram.png`.",
        "",
        "## Messages not handled as expected",
        "",
        *errors_table(outcomes),
        "",
    ]
    notes = ROOT / "evaluation" / "NOTES.md"
    if notes.exists():
        text += [notes.read_text(encoding="utf-8")]
    out.write_text("\n".join(text), encoding="utf-8")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="evaluate this model instead of training into models/")
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--no-images", action="store_true", help="skip `rasa test nlu` (faster)")
    parser.add_argument(
        "--set",
        choices=["short", "real", "fresh"],
        default="short",
        help="short: evaluation/heldout.csv; real: the held-out real citizen questions "
        "(evaluation/real_questions.py, report in evaluation/real_questions/REPORT.md); fresh: all of "
        "evaluation/real_questions/fresh.csv, questions from other sites (report in evaluation/real_questions/FRESH_REPORT.md)",
    )
    parser.add_argument("--force-train", action="store_true", help="retrain everything without Rasa's cache and report the full training time")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    train_seconds = None
    model = args.model
    if model is None:
        model, train_seconds = train_if_needed(args.models_dir, force=args.force_train)
    if model is None:
        print(f"no model in {args.models_dir}", file=sys.stderr)
        return 1
    if args.set == "real":
        from evaluation.real_questions import evaluate

        evaluate(model)
        return 0
    if args.set == "fresh":
        from evaluation.real_questions import FRESH, FRESH_REPORT, evaluate

        evaluate(model, FRESH_REPORT, FRESH)
        return 0
    rows = read_heldout()
    outcomes = asyncio.run(parse_all(model, rows))
    result = metrics(outcomes)
    table = threshold_table(outcomes)
    print("\n".join(summary_lines(result, train_seconds)))
    if not args.no_images:
        rasa_test_nlu(model, rows, RESULTS)
    write_report(result, table, outcomes, model, train_seconds, args.report)
    print(f"report: {args.report.relative_to(ROOT) if args.report.is_relative_to(ROOT) else args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
