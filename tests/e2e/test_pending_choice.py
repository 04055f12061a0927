"""Issue 12, part 3, through the real Rasa server, action server and knowledge store: after the
assistant offers a choice between procedures, a question asked instead of a click is answered
within that choice, never with the generic "which procedure?"."""

import pytest

from actions.formatting import en, vi
from tests.conftest import Assistant

pytestmark = pytest.mark.servers


def texts(replies: list[dict]) -> list[str]:
    return [reply.get("text") or "" for reply in replies]


def payloads(replies: list[dict]) -> list[str]:
    return [button["payload"] for reply in replies for button in reply.get("buttons") or []]


def test_newborn_follow_ups_are_answered_within_the_choice(assistant: Assistant):
    sender = assistant.new_sender()
    offer = assistant.send(sender, "con tôi mới sinh được 1 tuần")
    assert '/find_procedure{"procedure":"birth-bundle","procedure_id":"birth-bundle"}' in payloads(offer)
    assert assistant.tracker(sender)["slots"]["procedure_choices"] == ["birth-bundle", "birth-registration"]

    for question in ("cần giấy tờ gì", "phí bao nhiêu", "mất bao lâu"):
        replies = assistant.send(sender, question)
        assert vi.ASK_PROCEDURE not in texts(replies), question
        # Answered for the birth registration, with one click to the same answer for the bundle.
        assert "Đăng ký khai sinh" in " ".join(texts(replies)), question
        assert any(p.endswith('{"procedure":"birth-bundle","procedure_id":"birth-bundle"}') for p in payloads(replies)), question

    # The bundle's button answers directly and ends the pending choice.
    replies = assistant.send(sender, '/ask_documents{"procedure":"birth-bundle","procedure_id":"birth-bundle"}')
    slots = assistant.tracker(sender)["slots"]
    assert slots["procedure"] == "birth-bundle" and slots["procedure_choices"] is None
    assert vi.CHOOSE_FOR_QUESTION not in texts(replies)


def test_a_real_choice_is_asked_again_with_the_question_kept_in_english(assistant: Assistant):
    sender = assistant.new_sender()
    offer = assistant.send(sender, "I lost my wallet with all my papers")
    offered = [p for p in payloads(offer) if p.startswith("/find_procedure")]
    assert len(offered) > 1
    replies = assistant.send(sender, "how long does it take")
    assert en.ASK_PROCEDURE not in texts(replies)
    assert en.CHOOSE_FOR_QUESTION in texts(replies)
    assert payloads(replies) == [p.replace("/find_procedure", "/ask_processing_time") for p in offered]


def test_a_new_topic_forgets_the_choice(assistant: Assistant):
    sender = assistant.new_sender()
    assistant.send(sender, "vợ tôi mới sinh em bé")
    assistant.send(sender, "làm hộ chiếu cần giấy tờ gì")
    slots = assistant.tracker(sender)["slots"]
    assert slots["procedure"] == "passport" and slots["procedure_choices"] is None


def test_a_declined_question_still_offers_the_procedure_it_names(assistant: Assistant):
    sender = assistant.new_sender()
    # A question about the penalty, not the procedure: declined with the legal-aid pointer ...
    replies = assistant.send(sender, "Đăng ký khai sinh quá hạn bị xử phạt như thế nào?")
    assert "nằm ngoài phạm vi" in texts(replies)[0]
    # ... and the procedure itself one tap away, pending like any offer.
    assert payloads(replies) == ['/find_procedure{"procedure":"birth-registration","procedure_id":"birth-registration"}']
    assert assistant.tracker(sender)["slots"]["procedure_choices"] == ["birth-registration"]
    replies = assistant.send(sender, "cần giấy tờ gì")
    assert vi.ASK_PROCEDURE not in texts(replies)
    assert "Đăng ký khai sinh" in " ".join(texts(replies))


def test_a_decline_that_names_nothing_offers_nothing(assistant: Assistant):
    sender = assistant.new_sender()
    replies = assistant.send(sender, "tell me a funny joke")
    assert len(replies) == 1 and not payloads(replies)
    assert "outside what I can help with" in texts(replies)[0]
