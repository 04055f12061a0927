"""The held-out set stays held out: no message of it is also a training example (compared after
folding diacritics, case, punctuation and Rasa's entity markup), and every row is labelled with
known intents and procedure ids."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from evaluation.run import VARIANTS, read_heldout
from knowledge.names import Intent
from knowledge.text import fold

ROOT = Path(__file__).resolve().parents[2]
ENTITY_MARKUP = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def normalised(text: str) -> str:
    text = ENTITY_MARKUP.sub(lambda m: m.group(1) or m.group(2) or "", text)
    return " ".join(re.sub(r"[^\w\s]", " ", fold(text)).split())


def training_examples() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "data" / "nlu").rglob("*.yml"):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            for line in str(item.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found.add(normalised(line[2:]))
    return found


def test_no_held_out_message_is_a_training_example():
    training = training_examples()
    assert len(training) > 500  # the reader found the data
    leaked = [row.text for row in read_heldout() if normalised(row.text) in training]
    assert leaked == []


def test_held_out_rows_use_known_labels():
    import csv

    ids = {row["id"] for row in csv.DictReader((ROOT / "knowledge" / "content" / "catalogue.csv").open(encoding="utf-8"))}
    intents = {value for name, value in vars(Intent).items() if name.isupper()}
    for row in read_heldout():
        assert row.variant in (*VARIANTS, "out_of_scope"), row
        assert row.intent in intents, row
        if row.variant == "out_of_scope":
            assert row.expected == ("out_of_scope",), row
        else:
            assert set(row.expected) <= ids, row


def test_held_out_texts_are_unique():
    texts = [row.text for row in read_heldout()]
    assert len(texts) == len(set(texts))
