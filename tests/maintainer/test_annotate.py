"""Annotations become valid, reviewable Rasa training data, and never personal data."""

from __future__ import annotations

import csv
import subprocess

import pytest
import yaml

from maintainer.annotate import AnnotationRefused, annotate, ignore, ignored_keys
from maintainer.training_data import examples_in, near_duplicate_key
from tests.conftest import ROOT, VENV_BIN


def test_examples_are_written_per_intent_with_provenance_and_pass_rasa_validation(layout):
    first = annotate(["cho em hỏi làm lại  cccd bị mất ở đâu"], "find_procedure", "lan", layout)
    again = annotate(["cho em hỏi làm lại cccd bị mất ở đâu", "bằng lái hết hạn đổi ở chỗ nào ạ"], "find_procedure", "minh", layout)
    oos = annotate(["hôm nay xổ số miền nam ra con gì"], "out_of_scope", "lan", layout)

    assert first.added == ["cho em hỏi làm lại cccd bị mất ở đâu"]  # spacing normalised
    assert again.already_there == ["cho em hỏi làm lại cccd bị mất ở đâu"]
    assert again.added == ["bằng lái hết hạn đổi ở chỗ nào ạ"]
    file = layout.reviewed / "find_procedure.yml"
    assert list(examples_in(file)) == [
        ("find_procedure", "cho em hỏi làm lại cccd bị mất ở đâu"),
        ("find_procedure", "bằng lái hết hạn đổi ở chỗ nào ạ"),
    ]
    assert yaml.safe_load(file.read_text())["nlu"][0]["intent"] == "find_procedure"
    assert oos.file == layout.reviewed / "out_of_scope.yml"

    with (layout.reviewed / "find_procedure.provenance.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["text"], r["added_by"]) for r in rows] == [
        ("cho em hỏi làm lại cccd bị mất ở đâu", "lan"),
        ("bằng lái hết hạn đổi ở chỗ nào ạ", "minh"),
    ]
    assert all(r["added_at"].endswith("+00:00") for r in rows)
    assert set(rows[0]) == {"text", "added_at", "added_by", "source"}  # no conversation id, no citizen

    # The repository's data with the reviewed files added must still pass Rasa's strict validation.
    result = subprocess.run(
        [
            str(VENV_BIN / "rasa"),
            "data",
            "validate",
            "--domain",
            "domain",
            "--config",
            "config.yml",
            "--data",
            "data",
            str(layout.reviewed),
            "--fail-on-warnings",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("số của tôi là [***] tra hồ sơ giúp", "placeholder"),
        ("số tôi 0912 345 678 tra hồ sơ", "phone or ID number"),
        ("căn cước 079201001234 bị mất", "phone or ID number"),
        ("làm [hộ chiếu](procedure) ở đâu", "entity markup"),
        ("/find_procedure", "button payload"),
        ("   ", "empty"),
    ],
)
def test_personal_data_and_markup_never_become_training_text(layout, text, reason):
    with pytest.raises(AnnotationRefused, match=reason.split()[0]):
        annotate([text], "find_procedure", "lan", layout)
    assert not (layout.reviewed / "find_procedure.yml").exists()


def test_a_batch_with_one_bad_text_writes_nothing(layout):
    with pytest.raises(AnnotationRefused):
        annotate(["làm hộ chiếu mất bao lâu vậy ta", "gọi [***] nhé"], "ask_processing_time", "lan", layout)
    assert not layout.reviewed.exists() or not list(layout.reviewed.iterdir())


def test_unknown_intents_and_conflicting_examples_are_refused(layout):
    with pytest.raises(AnnotationRefused, match="unknown intent"):
        annotate(["abc def"], "no_such_intent", "lan", layout)
    # "xin chào" trains greet in data/nlu/core.yml: its unaccented twin cannot train another intent.
    with pytest.raises(AnnotationRefused, match="greet"):
        annotate(["Xin chao"], "find_procedure", "lan", layout)
    with pytest.raises(AnnotationRefused, match="who"):
        annotate(["làm hộ chiếu mất bao lâu vậy ta"], "ask_processing_time", " ", layout)


def test_ignored_texts_are_remembered_by_their_folded_form_and_masked(layout):
    ignored = ignore(["Ờ ừm  HELLO?", "gọi 0912345678 giúp"], "lan", layout)
    assert ignored == ["Ờ ừm HELLO?", "gọi [***] giúp"]
    keys = ignored_keys(layout)
    assert near_duplicate_key("o um hello") in keys
    assert "0912345678" not in (layout.reviewed / "ignored.csv").read_text()
    assert ignore(["ờ ừm hello"], "minh", layout) == []  # a near-duplicate is already ignored
