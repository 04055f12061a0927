"""The inbox reads real conversations from the tracker store of the running assistant."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from maintainer.annotate import annotate, ignore
from maintainer.inbox import build_inbox, find_group
from maintainer.training_data import near_duplicate_key
from tests.conftest import ROOT
from tests.maintainer.conftest import PLANTED

pytestmark = pytest.mark.servers


def _group_of(groups, text):
    key = near_duplicate_key(text)
    return next((g for g in groups if g.key == key), None)


def test_near_duplicates_are_one_group_with_what_the_model_understood(planted_conversations, tracker_messages, layout):
    groups = build_inbox(tracker_messages, layout)
    group = _group_of(groups, PLANTED["duplicates"][0])
    assert group is not None and group.count == 3
    assert set(group.texts) == set(PLANTED["duplicates"])
    assert {m.conversation_id for m in group.messages} == {planted_conversations[t] for t in PLANTED["duplicates"]}
    latest = group.as_dict()
    assert latest["intent"] and latest["confidence"] is not None
    assert latest["procedure"] == "id-card"  # what the slot mapping made of it


def test_training_examples_are_left_out_and_fallbacks_come_first(planted_conversations, tracker_messages, layout):
    groups = build_inbox(tracker_messages, layout)
    assert _group_of(groups, PLANTED["training"]) is None  # "xin chào" is in data/nlu/core.yml
    gibberish = _group_of(groups, PLANTED["gibberish"])
    assert gibberish is not None and "fallback" in gibberish.reasons
    ranks = [g.sort_key()[0] for g in groups]
    assert ranks == sorted(ranks)
    # Fallbacks outrank counts: every group with a fallback comes before every group without one
    # (whether the model also falls back on one of the duplicates depends on the training run).
    with_fallback = [position for position, group in enumerate(groups) if "fallback" in group.reasons]
    without = [position for position, group in enumerate(groups) if "fallback" not in group.reasons]
    assert groups.index(gibberish) in with_fallback and without
    assert max(with_fallback) < min(without)


def test_messages_are_masked_and_annotated_or_ignored_ones_leave_the_inbox(planted_conversations, tracker_messages, layout):
    groups = build_inbox(tracker_messages, layout)
    phone = _group_of(groups, PLANTED["phone"].replace("0912 345 678", "[***]"))
    assert phone is not None, [g.text for g in groups]
    assert not [text for g in groups for text in g.texts if "0912" in text or "345 678" in text]

    annotate([PLANTED["duplicates"][1]], "find_procedure", "lan", layout)
    ignore([PLANTED["gibberish"]], "lan", layout)
    remaining = build_inbox(tracker_messages, layout)
    assert _group_of(remaining, PLANTED["duplicates"][0]) is None  # the whole group is now training data
    assert _group_of(remaining, PLANTED["gibberish"]) is None
    with pytest.raises(KeyError):
        find_group(remaining, "0000000000")


def test_inbox_and_annotate_commands(planted_conversations, assistant, layout):
    env = {
        **assistant.env,
        "MODELS_DIR": str(layout.models),
        "MAINTAINER_AUDIT_LOG": str(layout.audit_log),
        "MAINTAINER_REVIEWED_DIR": str(layout.reviewed),
    }
    listing = subprocess.run([sys.executable, "-m", "maintainer", "inbox", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    groups = json.loads(listing.stdout)
    gibberish = next(g for g in groups if g["text"] == PLANTED["gibberish"])
    assert gibberish["reasons"][0] == "fallback" and gibberish["count"] == 1

    phone = next(g for g in groups if "[***]" in g["text"])
    refused = subprocess.run(
        [sys.executable, "-m", "maintainer", "annotate", "--intent", "ask_documents", "--by", "lan", "--group", phone["group"]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and "placeholder" in refused.stderr
