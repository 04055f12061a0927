"""Annotations become reviewable training data: data/nlu/reviewed/<intent>.yml (Rasa YAML), with a
sidecar <intent>.provenance.csv saying when and by whom each example was added - never who wrote
it in the first place. Ignored messages are listed in ignored.csv so the inbox stops showing them.
"""

from __future__ import annotations

import csv
import functools
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import yaml

from knowledge.personal_data import MASK, mask_personal_numbers
from knowledge.text import nfc
from maintainer.layout import Layout
from maintainer.training_data import ENTITY_ANNOTATION, examples_in, known_examples, near_duplicate_key

PROVENANCE_FIELDS = ("text", "added_at", "added_by", "source")
IGNORED_FIELDS = ("key", "text", "ignored_at", "ignored_by")
INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Placeholders that masking leaves in a text: ours, and the usual redaction marks.
PLACEHOLDERS = (MASK, "***", "[phone]", "[id]", "<phone>", "<id>")


# The console runs annotations in worker threads: one at a time, so that two maintainers' read-modify-write
# of the same file (examples, a knowledge file, the reviewed domain) never interleave. Reentrant: a new
# intent or a procedure annotates inside its own write.
_WRITING = threading.RLock()


def one_writer(function):
    @functools.wraps(function)
    def serialized(*args, **kwargs):
        with _WRITING:
            return function(*args, **kwargs)

    return serialized


class AnnotationRefused(ValueError):
    """The example cannot become training data; the message says why."""


@dataclass
class AnnotationResult:
    intent: str
    file: Path
    added: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)


def clean_example(text: str) -> str:
    """The text as it will be stored: NFC, one line, single spaces; refused when it cannot be training text."""
    cleaned = " ".join(nfc(text).split())
    if not cleaned:
        raise AnnotationRefused("empty text")
    if any(placeholder in cleaned for placeholder in PLACEHOLDERS):
        raise AnnotationRefused(f"contains a personal-data placeholder: {cleaned!r}")
    if mask_personal_numbers(cleaned) != cleaned:
        raise AnnotationRefused("contains a phone or ID number: personal data never becomes training text")
    if ENTITY_ANNOTATION.search(cleaned):
        raise AnnotationRefused(f"looks like Rasa entity markup: {cleaned!r}")
    if cleaned.startswith("/"):
        raise AnnotationRefused(f"a button payload, not a citizen's words: {cleaned!r}")
    return cleaned


def domain_names(domain: Path, key: str) -> set[str]:
    """The names in one section (intents, responses, ...) of the domain folder."""
    names: set[str] = set()
    for path in sorted(domain.glob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(key) or []:
            names.add(item if isinstance(item, str) else next(iter(item)))
    return names


def domain_intents(domain: Path) -> set[str]:
    return domain_names(domain, "intents")


def check_intent(intent: str, layout: Layout) -> None:
    if not INTENT_NAME.match(intent) or intent not in domain_intents(layout.domain):
        raise AnnotationRefused(f"unknown intent {intent!r}: add it to domain/ first (or create it from the inbox)")


@one_writer
def annotate(texts: Iterable[str], intent: str, by: str, layout: Layout, source: str = "inbox") -> AnnotationResult:
    """Adds `texts` as examples of `intent`. All or nothing: one refused text refuses the batch."""
    if not by.strip():
        raise AnnotationRefused("say who annotates (--by)")
    check_intent(intent, layout)
    cleaned = list(dict.fromkeys(clean_example(text) for text in texts))
    file = layout.reviewed / f"{intent}.yml"
    existing = [text for _, text in examples_in(file)] if file.exists() else []
    known = known_examples(layout.root, layout.reviewed)
    for text in cleaned:
        others = known.get(near_duplicate_key(text), set()) - {intent}
        if others:
            raise AnnotationRefused(f"{text!r} is already an example of {', '.join(sorted(others))}: the same words cannot train two intents")
    result = AnnotationResult(intent, file)
    for text in cleaned:
        (result.already_there if text in existing else result.added).append(text)
    if not result.added:
        return result
    layout.reviewed.mkdir(parents=True, exist_ok=True)
    write_examples(file, intent, existing + result.added)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    append_csv(
        provenance_file(layout, intent),
        PROVENANCE_FIELDS,
        [{"text": text, "added_at": now, "added_by": by.strip(), "source": source} for text in result.added],
    )
    return result


def write_examples(file: Path, intent: str, examples: list[str]) -> None:
    lines = [
        'version: "3.1"',
        f"# Reviewed citizen messages (masked), added with `python -m maintainer annotate`; who and when: {file.stem}.provenance.csv",
        "nlu:",
        f"- intent: {intent}",
        "  examples: |",
    ]
    lines += [f"    - {text}" for text in examples]
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def provenance_file(layout: Layout, intent: str) -> Path:
    return layout.reviewed / f"{intent}.provenance.csv"


@one_writer
def ignore(texts: Iterable[str], by: str, layout: Layout) -> list[str]:
    """Marks texts as not worth training on; the inbox stops showing them and their near-duplicates."""
    if not by.strip():
        raise AnnotationRefused("say who ignores (--by)")
    already = ignored_keys(layout)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    rows = []
    for text in texts:
        masked = mask_personal_numbers(" ".join(text.split()))  # a raw number is never kept
        key = near_duplicate_key(masked)
        if key and key not in already:
            already.add(key)
            rows.append({"key": key, "text": masked, "ignored_at": now, "ignored_by": by.strip()})
    layout.reviewed.mkdir(parents=True, exist_ok=True)
    append_csv(layout.reviewed / "ignored.csv", IGNORED_FIELDS, rows)
    return [row["text"] for row in rows]


def ignored_keys(layout: Layout) -> set[str]:
    path = layout.reviewed / "ignored.csv"
    if not path.exists():
        return set()
    with path.open(encoding="utf-8", newline="") as file:
        return {row["key"] for row in csv.DictReader(file)}


def append_csv(path: Path, fields: tuple[str, ...], rows: list[dict]) -> None:
    if not rows:
        return
    new = not path.exists()
    with path.open("a", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=fields)
        if new:
            writer.writeheader()
        writer.writerows(rows)
