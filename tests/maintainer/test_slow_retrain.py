"""The whole loop with a real training: a message the active model gets wrong, annotated, is handled by
the candidate, and the comparison lists it among the changed messages. Slow (a full `rasa train`):
RUN_SLOW=1 bash scripts/test.sh tests/maintainer -m slow
"""
from __future__ import annotations

import pytest

from maintainer.annotate import annotate
from maintainer.compare import compare
from maintainer.inbox import build_inbox
from maintainer.train import train_candidate
from maintainer.training_data import near_duplicate_key
from tests.conftest import Assistant
from tests.maintainer.conftest import slow, temporary_layout

pytestmark = [pytest.mark.servers, pytest.mark.slow, slow]

# Everyday wording the model (trained on the data of 2026-11-27) got wrong: a fallback, a wrong intent.
CITIZEN_WORDING = {
    "giá làm sổ hồng bi nhiu": "ask_fee",
    "ở nhà bấm điện thoại làm được hông hay phải lên xã": "ask_online",
    "đem theo mấy thứ gì khi đi làm hộ chiếu": "ask_documents",
    "có cần lên tận nơi không hay ngồi nhà làm được": "ask_online",
}


def test_annotated_message_is_understood_by_the_new_candidate(assistant: Assistant, tracker_messages,
                                                              trained_model, tmp_path):
    layout = temporary_layout(tmp_path)
    for text in CITIZEN_WORDING:
        assistant.send(assistant.new_sender(), text)
    inbox = {g.key: g for g in build_inbox(tracker_messages, layout)}
    wrong = {text: intent for text, intent in CITIZEN_WORDING.items()
             if inbox[near_duplicate_key(text)].understood.intent != intent}
    if not wrong:
        pytest.skip("the active model already understands every one of these messages")
    for text, intent in wrong.items():
        annotate([text], intent, "lan", layout)

    progress = []
    result = train_candidate(layout, on_progress=progress.append)
    assert result.reused_from is None and result.model.exists()
    assert any(p.stage == "epochs" for p in progress) and progress[-1].stage == "done"

    report = compare(result.model, trained_model, layout, source=tracker_messages, run_stories=False,
                     on_progress=lambda _: None).report
    changed = {row["text"]: row for row in report["replay"]["changed"]}
    for text, intent in wrong.items():
        assert changed[text]["candidate"]["intent"] == intent, changed.get(text)
        assert changed[text]["active"]["intent"] != intent
    assert report["gate"]["reasons"][-1] == "conversation tests were not run"
