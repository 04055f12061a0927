"""The training examples already in data/nlu/, and the folded key that groups near-duplicates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import yaml

from knowledge.text import fold

# Rasa's inline entity annotation: [text](entity), [text]{"entity": ...}, [text][{...}]
ENTITY_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+?)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")


def near_duplicate_key(text: str) -> str:
    """One form for texts that differ only by diacritics, case, spacing, punctuation or everyday
    abbreviations: "mat cccd", "Mất  CCCD!" and "mất căn cước công dân" share a key."""
    return fold(text)


def plain_text(example: str) -> str:
    """An example line without its entity annotations, as Rasa reads it."""
    return ENTITY_ANNOTATION.sub(lambda match: match.group("text"), example).strip()


def examples_in(path: Path) -> Iterator[tuple[str, str]]:
    """(intent, example text) for each intent example of one Rasa YAML NLU file."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for item in document.get("nlu") or []:
        if "intent" not in item:
            continue  # synonyms, lookups and regexes are not examples
        examples = item.get("examples") or []
        if isinstance(examples, str):
            lines = [line.strip()[2:] for line in examples.splitlines() if line.strip().startswith("- ")]
        else:  # the list form with per-example metadata
            lines = [entry.get("text", "") if isinstance(entry, dict) else str(entry) for entry in examples]
        for line in lines:
            yield item["intent"], plain_text(line)


def training_examples(nlu_dir: Path) -> dict[str, set[str]]:
    """Folded key -> intents it is an example of, over every YAML file under `nlu_dir`."""
    known: dict[str, set[str]] = {}
    for path in sorted(nlu_dir.rglob("*.yml")) + sorted(nlu_dir.rglob("*.yaml")):
        for intent, text in examples_in(path):
            known.setdefault(near_duplicate_key(text), set()).add(intent)
    return known


def known_examples(root: Path, reviewed: Path) -> dict[str, set[str]]:
    """`training_examples` of data/nlu/ and of the reviewed folder, wherever it is."""
    nlu = root / "data" / "nlu"
    known = training_examples(nlu)
    if not reviewed.resolve().is_relative_to(nlu.resolve()) and reviewed.exists():
        for key, intents in training_examples(reviewed).items():
            known.setdefault(key, set()).update(intents)
    return known
