"""The `language` and `procedure` slots over the REST webhook with the real servers: decided in the
Rasa server's NLU pipeline for typed messages, from the metadata for the widget's payloads."""

import pytest

from knowledge.text import detect_language
from tests.conftest import Assistant

pytestmark = pytest.mark.servers


def text_of(replies: list[dict]) -> str:
    return " ".join(reply.get("text", "") for reply in replies)


def test_an_unaccented_thank_you_keeps_a_vietnamese_conversation_vietnamese(assistant: Assistant):
    sender = assistant.new_sender()
    assistant.send(sender, "làm hộ chiếu cần giấy tờ gì")
    replies = assistant.send(sender, "cam on, danh gia 5 sao")
    assert assistant.tracker(sender)["slots"]["language"] == "vi"
    assert replies and detect_language(text_of(replies)) == "vi"


def test_an_english_question_switches_and_a_short_word_does_not_switch_back(assistant: Assistant):
    sender = assistant.new_sender()
    replies = assistant.send(sender, "What documents do I need for a passport?")
    assert assistant.tracker(sender)["slots"]["language"] == "en"
    assert "passport" in text_of(replies).lower()
    assistant.send(sender, "ok")
    slots = assistant.tracker(sender)["slots"]
    assert slots["language"] == "en" and slots["procedure"] == "passport"


def test_the_widget_payloads_take_the_language_from_the_metadata(assistant: Assistant):
    sender = assistant.new_sender()
    greeting = assistant.send(sender, "/greet", metadata={"language": "en"})
    assert "Hello" in text_of(greeting)
    switched = assistant.send(sender, "/switch_language", metadata={"language": "vi"})
    assert assistant.tracker(sender)["slots"]["language"] == "vi"
    assert "tiếng Việt" in text_of(switched)


def test_a_button_names_the_procedure_and_no_empties_it(assistant: Assistant):
    sender = assistant.new_sender()
    assistant.send(sender, '/ask_fee{"procedure":"passport","procedure_id":"passport"}')
    assert assistant.tracker(sender)["slots"]["procedure"] == "passport"
    assistant.send(sender, "/out_of_scope")  # the "no" of "did you mean …?"
    assert assistant.tracker(sender)["slots"]["procedure"] is None
