"""A real conversation exported as a `rasa test` story passes `rasa test core` with the model it came from."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from maintainer.compare import run_conversation_tests
from maintainer.stories import conversation_label, export_story
from tests.conftest import ROOT, Assistant

pytestmark = pytest.mark.servers


def test_exported_conversation_is_a_passing_test_story(assistant: Assistant, tracker_messages, trained_model, layout, tmp_path):
    sender = assistant.new_sender()
    for text in ["xin chào", "làm hộ chiếu cần giấy tờ gì", "cảm ơn"]:
        assistant.send(sender, text)
    story = export_story(tracker_messages, sender, tmp_path / "stories", name="passport documents")

    assert story.path.name == f"test_exported_{conversation_label(sender)}.yml"
    content = story.path.read_text()
    assert sender not in content  # the citizen's session id is never written
    steps = yaml.safe_load(content)["stories"][0]["steps"]
    assert [s.get("intent") for s in steps if "user" in s] == ["greet", "ask_documents", "thank"]
    assert {"action": "utter_greet"} in steps
    assert {"slot_was_set": [{"procedure": "passport"}]} in steps

    results = run_conversation_tests(trained_model, story.path.parent, layout, tmp_path / "results")
    assert results == {"total": 1, "failed": [], "seconds": results["seconds"]}


def test_exported_dossier_check_keeps_the_phone_masked(assistant: Assistant, tmp_path):
    sender = assistant.new_sender()
    for text in ["tôi muốn tra cứu hồ sơ", "000.00.31.H57-261105-0012", "0900000002"]:
        assistant.send(sender, text)
    exported = subprocess.run(
        [sys.executable, "-m", "maintainer", "export-story", sender, "--out", str(tmp_path)],
        cwd=ROOT,
        env=assistant.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
    assert "masked personal data" in exported.stdout
    content = next(tmp_path.glob("test_exported_*.yml")).read_text()
    assert "000.00.31.H57-261105-0012" in content  # dossier codes may be shown
    assert "0900000002" not in content and "[***]" in content
    assert "intent: inform_phone" in content and "active_loop: dossier_lookup_form" in content

    unknown = subprocess.run(
        [sys.executable, "-m", "maintainer", "export-story", "no-such-conversation", "--out", str(tmp_path)],
        cwd=ROOT,
        env=assistant.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert unknown.returncode == 2 and "no conversation" in unknown.stderr
