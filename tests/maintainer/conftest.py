"""Shared fixtures of the maintainers' loop tests.

Everything the loop writes (candidates, releases, manifest, audit log, reviewed examples) goes to
a temporary layout; the repository's data/ and the session's trained model are only read. The
candidate is the session's model reused by fingerprint (same data, same config), so the loop is
tested end to end without a second training; tests that train for real are marked `slow`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from maintainer.layout import Layout
from maintainer.messages import TrackerStoreMessages
from tests.conftest import ROOT, Assistant

slow = pytest.mark.skipif(not os.environ.get("RUN_SLOW"), reason="trains a model; run with RUN_SLOW=1")

# Messages planted in real conversations: near-duplicates (diacritics, case, spacing,
# abbreviations), a message already in the training data, a phone number that must be masked.
PLANTED = {
    "duplicates": ["Mất  CCCD thì làm lại ở đâu vậy", "mat cccd thi lam lai o dau vay", "mất căn cước công dân thì làm lại ở đâu vậy"],
    "training": "xin chào",
    "phone": "gọi cho tôi số 0912 345 678 về hộ chiếu được không",
    "gibberish": "asdf qwer zxcv",  # the current model falls back on it (nlu_fallback)
}


def temporary_layout(base: Path) -> Layout:
    models = base / "models"
    return Layout(
        root=ROOT,
        models=models,
        candidates=models / "candidates",
        released=models / "released",
        reviewed=base / "reviewed",
        audit_log=base / "audit.jsonl",
    )


@pytest.fixture
def layout(tmp_path) -> Layout:
    return temporary_layout(tmp_path)


def copied_layout(base: Path) -> Layout:
    """A copy of what a model is trained from (config, domain, data, knowledge content) as the layout's root,
    for the steps that edit the domain or a procedure's knowledge file: the repository stays untouched."""
    root = base / "repo"
    for folder in ("domain", "data", "knowledge/content"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("*.provenance.csv", "ignored.csv"))
    shutil.copy2(ROOT / "config.yml", root / "config.yml")
    models = base / "models"
    return Layout(
        root=root,
        models=models,
        candidates=models / "candidates",
        released=models / "released",
        reviewed=root / "data" / "nlu" / "reviewed",
        audit_log=base / "var" / "audit.jsonl",
    )


@pytest.fixture
def copied(tmp_path) -> Layout:
    return copied_layout(tmp_path)


@pytest.fixture(scope="session")
def planted_conversations(assistant: Assistant) -> dict[str, str]:
    """Text -> conversation id, each sent in its own conversation through the REST channel."""
    sent = {}
    texts = PLANTED["duplicates"] + [PLANTED["training"], PLANTED["phone"], PLANTED["gibberish"]]
    for text in texts:
        sender = assistant.new_sender()
        assistant.send(sender, text)
        sent[text] = sender
    return sent


@pytest.fixture(scope="session")
def tracker_messages(assistant: Assistant) -> TrackerStoreMessages:
    return TrackerStoreMessages(assistant.env["TRACKER_STORE_URL"])
