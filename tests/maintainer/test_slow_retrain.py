"""The whole loop with a real training: a message the active model gets wrong, annotated, is handled by
the candidate, and the comparison lists it among the changed messages. Slow (a full `rasa train`):
RUN_SLOW=1 bash scripts/test.sh tests/maintainer -m slow
"""

from __future__ import annotations

import asyncio

import pytest

from evaluation.run import Row, parse_all
from maintainer.annotate import annotate
from maintainer.compare import compare
from maintainer.inbox import build_inbox
from maintainer.procedures import set_procedure
from maintainer.train import train_candidate
from maintainer.training_data import near_duplicate_key
from tests.conftest import ROOT, Assistant
from tests.maintainer.conftest import copied_layout, slow, temporary_layout

pytestmark = [pytest.mark.servers, pytest.mark.slow, slow]

# Everyday wording the model (trained on the data of 2026-11-27) got wrong: a fallback, a wrong intent.
CITIZEN_WORDING = {
    "giá làm sổ hồng bi nhiu": "ask_fee",
    "ở nhà bấm điện thoại làm được hông hay phải lên xã": "ask_online",
    "đem theo mấy thứ gì khi đi làm hộ chiếu": "ask_documents",
    "có cần lên tận nơi không hay ngồi nhà làm được": "ask_online",
}


def test_annotated_message_is_understood_by_the_new_candidate(assistant: Assistant, tracker_messages, trained_model, tmp_path):
    layout = temporary_layout(tmp_path)
    for text in CITIZEN_WORDING:
        assistant.send(assistant.new_sender(), text)
    inbox = {g.key: g for g in build_inbox(tracker_messages, layout)}
    wrong = {text: intent for text, intent in CITIZEN_WORDING.items() if inbox[near_duplicate_key(text)].understood.intent != intent}
    if not wrong:
        pytest.skip("the active model already understands every one of these messages")
    for text, intent in wrong.items():
        annotate([text], intent, "lan", layout)

    progress = []
    result = train_candidate(layout, on_progress=progress.append)
    assert result.reused_from is None and result.model.exists()
    assert any(p.stage == "epochs" for p in progress) and progress[-1].stage == "done"

    report = compare(result.model, trained_model, layout, source=tracker_messages, run_stories=False, on_progress=lambda _: None).report
    changed = {row["text"]: row for row in report["replay"]["changed"]}
    for text, intent in wrong.items():
        assert changed[text]["candidate"]["intent"] == intent, changed.get(text)
        assert changed[text]["active"]["intent"] != intent
    assert report["gate"]["reasons"][-1] == "conversation tests were not run"


def test_a_set_procedure_trains_its_intent_and_the_candidate_resolves_it(tmp_path, monkeypatch):
    """On a copy of the training inputs: the alias set from the inbox reaches the trained model's resolver."""
    layout = copied_layout(tmp_path)
    config = layout.root / "config.yml"
    resolver = "  - name: bot.nlu.procedure_resolver.ProcedureResolver\n"
    assert resolver in config.read_text(encoding="utf-8")
    # The copy's resolver indexes the copy's content (the default is this checkout's knowledge/content).
    config.write_text(config.read_text(encoding="utf-8").replace(resolver, f"{resolver}    content_dir: {layout.content}\n"), encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # `rasa train` runs in the copy: the components come from here
    text = "xin cấp lại giấy chủ quyền nhà"
    set_procedure([text], "land-title-change", "find_procedure", "lan", layout, alias="giấy chủ quyền nhà")

    result = train_candidate(layout, name="candidate-alias", on_progress=lambda _: None)
    assert result.reused_from is None
    unseen = "giấy chủ quyền nhà bị rách thì làm sao"
    outcomes = asyncio.run(parse_all(result.model, [Row(t, "replay", "", ()) for t in (text, unseen)]))
    assert [(o.intent, o.procedure) for o in outcomes][0] == ("find_procedure", "land-title-change")
    assert outcomes[1].procedure == "land-title-change"
