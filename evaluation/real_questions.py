"""Real citizen questions: the split by source site, the training part, and the held-out evaluation.

    python -m evaluation.real_questions split     # prints the split, writes data/nlu/real_questions.yml
    python -m evaluation.run --set real           # evaluates the held-out part (never trained on)
    python -m evaluation.run --set fresh          # evaluates fresh.csv in full (other sites, never trained on)

The questions (evaluation/real_questions/questions.csv, see its README) are split by *site*, not by
question: every question of a site is on the same side, so the held-out part measures how the
assistant copes with writers, editors and page styles it has never seen. The split is a pure
function of the data (sites ordered by a hash of their name), so re-running it after adding
questions moves no site that was already placed unless the new questions change the counts.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import ipaddress
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "evaluation" / "real_questions" / "questions.csv"
TRAINING = ROOT / "data" / "nlu" / "real_questions.yml"
REPORT = ROOT / "evaluation" / "real_questions" / "REPORT.md"
# A second check set: questions from sites that questions.csv does not have, evaluated in full (no split).
FRESH = ROOT / "evaluation" / "real_questions" / "fresh.csv"
FRESH_REPORT = ROOT / "evaluation" / "real_questions" / "FRESH_REPORT.md"
OUT_OF_SCOPE = "out_of_scope"
# A training example keeps at most this many words: the question sentence and what comes just before it.
# DIET pads every batch to its longest example, so one 300-word story in a batch of short chat
# messages multiplied the transformer's work and a full `rasa train` took 7 minutes instead of 3;
# the intent is in the asking part, and the procedure resolver still reads the whole message.
MAX_TRAINING_WORDS = 30
HELD_OUT_SHARE = (0.40, 0.46)  # aimed at / never above, by number of questions
# Second-level suffixes under which the registrable name has three labels (plo.vn vs sotuphap.haugiang.gov.vn).
_SECOND_LEVEL = {"com", "gov", "org", "net", "edu"}
# Pages served from these addresses are copies of thuvienphapluat.vn's Q&A (same paths and layout).
_MIRRORS = {"118.69.0.0/16": "thuvienphapluat.vn"}


@dataclass(frozen=True)
class Question:
    id: str
    language: str  # vi | en
    labels: tuple[str, ...]  # procedure ids, or ("out_of_scope",)
    intent: str  # what the citizen asks: find_procedure, ask_documents, ask_fee..., or out_of_scope
    host: str
    url: str
    note: str
    text: str

    @property
    def site(self) -> str:
        return site_of(self.host)

    @property
    def in_scope(self) -> bool:
        return self.labels != (OUT_OF_SCOPE,)

    @property
    def variant(self) -> str:
        """The evaluation's variant names (evaluation/run.py): accented, unaccented, english, out_of_scope."""
        if not self.in_scope:
            return OUT_OF_SCOPE
        if self.language == "en":
            return "english"
        from knowledge.text import strip_diacritics

        return "unaccented" if strip_diacritics(self.text) == self.text else "accented"


def read_questions(path: Path = QUESTIONS) -> list[Question]:
    with path.open(encoding="utf-8", newline="") as file:
        return [
            Question(r["id"], r["language"], tuple(r["label"].split("|")), r["intent"], r["host"], r["url"], r["note"], r["text"])
            for r in csv.DictReader(file)
        ]


def site_of(host: str) -> str:
    """The site a host belongs to: its registrable name (m.plo.vn -> plo.vn, amp.laodong.vn ->
    laodong.vn), or the site a mirror address copies."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        labels = host.lower().split(".")
        keep = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL else 2
        return ".".join(labels[-keep:])
    for network, site in _MIRRORS.items():
        if address in ipaddress.ip_network(network):
            return site
    return host


def _order(site: str) -> str:
    return hashlib.sha1(site.encode("utf-8")).hexdigest()


def held_out_sites(questions: list[Question]) -> set[str]:
    """Sites whose questions are never trained on: first, for every label found on two or more
    sites, the first such site in hash order (so each procedure is represented on both sides
    where the data allows); then further sites in hash order up to about 40 % of the questions."""
    per_site: dict[str, list[Question]] = {}
    for question in questions:
        per_site.setdefault(question.site, []).append(question)
    sites = sorted(per_site, key=_order)
    total = len(questions)
    held: set[str] = set()

    def room_for(site: str) -> bool:
        size = sum(len(per_site[s]) for s in held) + len(per_site[site])
        return size <= HELD_OUT_SHARE[1] * total

    labels = sorted({label for q in questions for label in q.labels})
    for label in labels:
        with_label = [s for s in sites if any(label in q.labels for q in per_site[s])]
        if len(with_label) < 2 or held & set(with_label):
            continue
        for site in with_label:
            if room_for(site):
                held.add(site)
                break
    for site in sites:
        if sum(len(per_site[s]) for s in held) >= HELD_OUT_SHARE[0] * total:
            break
        if site not in held and room_for(site):
            held.add(site)
    return held


def split(questions: list[Question]) -> tuple[list[Question], list[Question]]:
    """(training part, held-out part)."""
    held = held_out_sites(questions)
    return [q for q in questions if q.site not in held], [q for q in questions if q.site in held]


def asking_part(text: str, max_words: int = MAX_TRAINING_WORDS) -> str:
    """The question sentence (the last one asking; else the last one) with the sentences just before
    it that fit in `max_words`; a longer question sentence keeps its last `max_words` words. Sentences
    come from the spaCy sentencizer of the procedure matcher (knowledge/phrase_matcher.py)."""
    from knowledge.phrase_matcher import SpacyPhraseMatcher

    if len(text.split()) <= max_words:
        return text
    sentences = SpacyPhraseMatcher([], []).analyse(text).sentences
    asking = [i for i, sentence in enumerate(sentences) if sentence.question]
    last = asking[-1] if asking else len(sentences) - 1
    first = last
    while first > 0 and len(text[sentences[first - 1].start : sentences[last].end].split()) <= max_words:
        first -= 1
    kept = text[sentences[first].start : sentences[last].end]
    return " ".join(kept.split()[-max_words:])


def training_yaml(training: list[Question]) -> str:
    """Rasa NLU data for the training part: every question under its `intent` column - what the
    citizen asks about the procedure (ask_documents, ask_fee, ask_where_to_submit..., find_procedure
    when no particular aspect is asked; the resolver decides which procedure), out_of_scope for the
    rest. Intents in alphabetical order with out_of_scope last; texts as the citizens wrote them, long
    ones cut to their asking part (`asking_part`)."""
    lines = [
        'version: "3.1"',
        "# Written by `python -m evaluation.real_questions split` from evaluation/real_questions/questions.csv",
        "# (training sites only; the held-out sites are never written here). Do not edit by hand.",
        "nlu:",
    ]
    by_intent: dict[str, list[str]] = {}
    for question in training:
        by_intent.setdefault(question.intent, []).append(asking_part(question.text))
    for intent in sorted(by_intent, key=lambda name: (name == OUT_OF_SCOPE, name)):
        texts = by_intent[intent]
        lines += [f"- intent: {intent}", "  examples: |"] + [f"    - {text}" for text in texts]
    return "\n".join(lines) + "\n"


def write_training(questions: Optional[list[Question]] = None, path: Path = TRAINING) -> tuple[list, list]:
    training, held = split(read_questions() if questions is None else questions)
    path.write_text(training_yaml(training), encoding="utf-8")
    return training, held


# ------------------------------------------------------------------ evaluation


def rows(questions: list[Question]) -> list:
    """The held-out questions as evaluation.run rows (same measures as the short-message set); the
    expected intent is the question's `intent` column (reported, not part of the landing judgement)."""
    from evaluation.run import Row

    return [Row(q.text, q.variant, q.intent, q.labels) for q in questions]


def landed_directly(outcome) -> bool:
    """The slot got an expected procedure without a clarifying question."""
    return outcome.procedure is not None and outcome.procedure in outcome.row.expected


def figures(outcomes: list) -> dict:
    from evaluation.run import VARIANTS

    result: dict = {"direct": {}, "with_clarify": {}}
    for variant in VARIANTS:
        group = [o for o in outcomes if o.row.variant == variant]
        result["direct"][variant] = (sum(landed_directly(o) for o in group), len(group))
        result["with_clarify"][variant] = (sum(o.reached for o in group), len(group))
    in_scope = [o for o in outcomes if o.in_scope]
    oos = [o for o in outcomes if not o.in_scope]
    result["oos_recall"] = (sum(o.declined for o in oos), len(oos))
    result["oos_took_procedure"] = (sum(o.procedure is not None for o in oos), len(oos))
    result["wrongly_declined"] = (sum(o.declined for o in in_scope), len(in_scope))
    return result


def summary_lines(result: dict) -> list[str]:
    from evaluation.run import fmt

    # Variants the held-out part has no question of (real writers rarely drop every diacritic) are left out.
    lines = [f"landed directly on the right procedure, {v}: {fmt(c)}" for v, c in result["direct"].items() if c[1]]
    lines += [f"right procedure landed or offered among at most 3, {v}: {fmt(c)}" for v, c in result["with_clarify"].items() if c[1]]
    lines += [
        f"out-of-scope declined: {fmt(result['oos_recall'])}",
        f"out-of-scope taken for a procedure: {fmt(result['oos_took_procedure'])}",
        f"in-scope wrongly declined: {fmt(result['wrongly_declined'])}",
    ]
    return lines


def errors_table(outcomes: list) -> list[str]:
    lines = ["| id | variant | expected | intent expected | intent got | landed on / offered | message |", "|---|---|---|---|---|---|---|"]
    for question, o in outcomes:
        wrong = (o.in_scope and not landed_directly(o)) or (not o.in_scope and not o.declined)
        if wrong:
            landed_on = o.procedure or ", ".join(o.candidates) or ("declined" if o.declined else "-")
            if o.offered:
                landed_on += f"; offered {', '.join(o.offered)}"
            text = question.text if len(question.text) <= 160 else question.text[:157] + "..."
            lines.append(
                f"| {question.id} | {o.row.variant} | {'/'.join(o.row.expected)} | {o.row.intent} | {o.intent} "
                f"({o.confidence:.2f}) | {landed_on} | {text.replace('|', '/')} |"
            )
    return lines


def write_report(result: dict, held: list[Question], outcomes: list, model: Path, path: Path = REPORT, source: Path = QUESTIONS) -> None:
    """The report of `evaluate`: the held-out part of questions.csv, or all of another file (fresh.csv)."""
    sites = Counter(q.site for q in held)
    full = source != QUESTIONS
    text = [
        "# Real citizen questions: " + ("fresh check set" if full else "held-out evaluation"),
        "",
        f"Generated by `python -m evaluation.run --set {'fresh' if full else 'real'}` with model `{model.name}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
        + (
            f"All of `{source.relative_to(ROOT) if source.is_relative_to(ROOT) else source}`: {len(held)} questions from "
            f"{len(sites)} sites that questions.csv does not have, never trained on "
            if full
            else f"Held-out part of `evaluation/real_questions/questions.csv`: {len(held)} questions from {len(sites)} sites never trained on "
        )
        + f"({', '.join(f'{s} {n}' for s, n in sorted(sites.items()))}).",
        "",
        "## Results",
        "",
        *[f"- {line}" for line in summary_lines(result)],
        "",
        "Judged as in `evaluation/REPORT.md`: *landed directly* means the slot mapping filled `procedure` with an "
        "expected id without a clarifying question; a question asking two things counts when either is landed. "
        "*Declined* means the intent is out_of_scope or the discovery action finds nothing that points to public "
        "services. *Landed or offered* also counts a declined message whose decline offers the right procedure "
        "below it (`action_decline_out_of_scope` offers the procedures a declined message names, at most 3); "
        "such a message still counts as declined (wrongly, when it is in scope).",
        "",
        "## Questions not landed directly / not declined",
        "",
        *errors_table(list(zip(held, outcomes))),
        "",
    ]
    path.write_text("\n".join(text), encoding="utf-8")


def evaluate(model: Path, report: Path = REPORT, source: Path = QUESTIONS) -> dict:
    """Parse and judge the held-out part of questions.csv, or every question of another file (fresh.csv: its
    sites are not in questions.csv, so nothing of it is trained on and there is nothing to split)."""
    import asyncio

    from evaluation.run import parse_all

    held = split(read_questions())[1] if source == QUESTIONS else read_questions(source)
    outcomes = asyncio.run(parse_all(model, rows(held)))
    result = figures(outcomes)
    print("\n".join(summary_lines(result)))
    write_report(result, held, outcomes, model, report, source)
    print(f"report: {report.relative_to(ROOT) if report.is_relative_to(ROOT) else report}")
    return result


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["split"])
    parser.parse_args(argv)
    training, held = write_training()
    for name, part in (("training", training), ("held-out", held)):
        sites = Counter(q.site for q in part)
        print(f"{name}: {len(part)} questions from {len(sites)} sites: " + ", ".join(f"{s} {n}" for s, n in sorted(sites.items())))
    intents = Counter(q.intent for q in training)
    print("training intents: " + ", ".join(f"{i} {n}" for i, n in sorted(intents.items())))
    print(f"wrote {TRAINING.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
