"""What a message changes in the `language` and `procedure` slots, decided inside the Rasa server.

The path is the real one: the procedure resolver trained on knowledge/content, the ConversationSlots
component with a live tracker of the real domain, then Rasa's own action_extract_slots reading the
entities it emitted through the slot mappings of domain/core.yml. No action server is involved.
"""

from __future__ import annotations

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.conversation_slots import ConversationSlots
from bot.nlu.procedure_resolver import ProcedureResolver
from knowledge.conversation_slots import choose_language, requested_language
from tests.conftest import ROOT

DOMAIN = Domain.load(str(ROOT / "domain"))


@pytest.fixture(scope="module")
def resolver(trained) -> ProcedureResolver:
    return ProcedureResolver.load(*trained)


def conversation(slots: dict | None = None, active_loop: str | None = None) -> DialogueStateTracker:
    events = [ActionExecuted("action_listen"), *(SlotSet(name, value) for name, value in (slots or {}).items())]
    if active_loop:
        events.append(ActiveLoop(active_loop))
    return DialogueStateTracker.from_events("test", events, slots=DOMAIN.slots)


def entity(name: str, value: str, text: str, said: str) -> dict:
    start = text.index(said)
    return {"entity": name, "value": value, "start": start, "end": start + len(said)}


def parsed(resolver, tracker, text: str, intent: str, metadata: dict | None = None, entities: list | None = None) -> Message:
    message = Message.build(text)
    message.set("intent", {"name": intent, "confidence": 1.0}, add_to_output=True)
    message.set("entities", entities or [], add_to_output=True)
    message.set("metadata", metadata or {})
    resolver.process([message])
    ConversationSlots().process([message], tracker)
    return message


async def changed(
    resolver,
    text: str,
    intent: str,
    slots: dict | None = None,
    metadata: dict | None = None,
    entities: list | None = None,
    active_loop: str | None = None,
) -> dict:
    """The slots Rasa's action_extract_slots sets for this message in this conversation."""
    tracker = conversation(slots, active_loop)
    message = parsed(resolver, tracker, text, intent, metadata, entities)
    tracker.update(UserUttered(text, message.get("intent"), message.get("entities"), metadata=metadata))
    events = await ActionExtractSlots(None).run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(DOMAIN.responses), tracker, DOMAIN)
    return {event.key: event.value for event in events if isinstance(event, SlotSet)}


# ----------------------------------------------------------------------- language


@pytest.mark.parametrize(
    "text, expected",
    [
        ("English please", "en"),
        ("nói tiếng Anh đi", "en"),
        ("tra loi bang tieng anh", "en"),
        ("nói tiếng Việt", "vi"),
        ("Vietnamese please", "vi"),
        ("noi tieng viet di", "vi"),
        ("đổi ngôn ngữ", None),
    ],
)
def test_requested_language(text, expected):
    assert requested_language(text) == expected


def test_widget_toggle_wins_over_what_is_written():
    assert choose_language("tôi muốn làm hộ chiếu", {"language": "en"}, "find_procedure", "vi") == "en"


def test_switch_request_without_a_language_flips_it():
    assert choose_language("switch language", {}, "switch_language", "vi") == "en"
    assert choose_language("đổi ngôn ngữ", {}, "switch_language", "en") == "vi"


def test_detected_language_needs_a_real_sentence_to_switch():
    assert choose_language("How do I renew my passport", {}, "find_procedure", "vi") == "en"
    assert choose_language("lam ho chieu o dau vay", {}, "find_procedure", "en") == "vi"
    assert choose_language("passport", {}, "find_procedure", "vi") is None
    assert choose_language("ok", {}, "affirm", "en") is None


@pytest.mark.parametrize("text, intent", [("cam on, danh gia 5 sao", "give_feedback"), ("cam on nhe", "thank"), ("ok cam on ban", "thank")])
def test_unaccented_vietnamese_never_switches_a_vietnamese_conversation(text, intent):
    # "on" is an English word too: unaccented Vietnamese must not read as English.
    assert choose_language(text, {}, intent, "vi") in (None, "vi")


async def test_slot_follows_metadata(resolver):
    assert (await changed(resolver, "xin chào", "greet", {"language": "vi"}, metadata={"language": "en"}))["language"] == "en"


async def test_slot_switches_on_request_and_stays_when_unchanged(resolver):
    assert (await changed(resolver, "English please", "switch_language"))["language"] == "en"
    assert "language" not in await changed(resolver, "làm căn cước ở đâu", "find_procedure")


async def test_a_thank_you_without_accents_keeps_a_vietnamese_conversation_vietnamese(resolver):
    assert "language" not in await changed(resolver, "cam on, danh gia 5 sao", "give_feedback", {"language": "vi"})


async def test_an_english_sentence_switches_a_vietnamese_conversation(resolver):
    assert (await changed(resolver, "How do I renew my passport", "find_procedure"))["language"] == "en"


# ----------------------------------------------------------------------- procedure


async def test_named_procedure_fills_the_slot(resolver):
    text = "hộ chiếu bao nhiêu tiền"
    found = await changed(resolver, text, "ask_fee", entities=[entity("procedure", "passport", text, "hộ chiếu")])
    assert found["procedure"] == "passport"


async def test_out_of_scope_empties_the_slot(resolver):
    assert (await changed(resolver, "thời tiết hôm nay thế nào", "out_of_scope", {"procedure": "passport"}))["procedure"] is None


async def test_follow_up_question_keeps_the_procedure(resolver):
    assert "procedure" not in await changed(resolver, "lệ phí bao nhiêu", "ask_fee", {"procedure": "passport"})


async def test_procedure_word_while_listing_documents_does_not_switch(resolver):
    text = "tôi có hộ chiếu rồi"
    found = await changed(
        resolver, text, "inform_have_documents", {"procedure": "birth-registration"}, entities=[entity("procedure", "passport", text, "hộ chiếu")]
    )
    assert "procedure" not in found


async def test_procedure_word_in_a_form_answer_does_not_switch(resolver):
    text = "hộ chiếu"
    found = await changed(
        resolver,
        text,
        "affirm",
        {"procedure": "birth-registration"},
        entities=[entity("procedure", "passport", text, "hộ chiếu")],
        active_loop="checklist_form",
    )
    assert "procedure" not in found


async def test_procedure_named_with_a_misread_intent_still_fills_the_slot(resolver):
    text = "how do I get a passport for my son"
    found = await changed(resolver, text, "greet", entities=[entity("procedure", "passport", text, "passport")])
    assert found["procedure"] == "passport"


async def test_slot_never_holds_anything_but_a_catalogue_id(resolver):
    text = "làm visa"
    found = await changed(resolver, text, "find_procedure", {"procedure": "passport"}, entities=[entity("procedure", "visa", text, "visa")])
    assert found["procedure"] is None


async def test_new_vague_search_clears_the_old_procedure(resolver):
    assert (await changed(resolver, "đăng ký", "find_procedure", {"procedure": "passport"}))["procedure"] is None


@pytest.mark.parametrize(
    "text, intent",
    [
        ("lệ phí bao nhiêu", "ask_fee"),
        ("make my checklist", "start_checklist"),
        ("bị mất thì sao", "ask_documents"),
    ],
)
async def test_follow_up_without_a_name_never_switches_on_shared_words(resolver, text, intent):
    # Keyword ranking matched these to death-bundle, seal-registration, unemployment-benefit.
    assert "procedure" not in await changed(resolver, text, intent, {"procedure": "birth-bundle"})


@pytest.mark.parametrize("text, intent", [("phi bn", "ask_fee"), ("lệ phí bao nhiêu", "ask_fee"), ("how much is the fee", "ask_fee")])
async def test_a_question_word_alone_does_not_pick_a_procedure(resolver, text, intent):
    # "phí" is also in "mai táng phí": without a procedure in context the action asks which one.
    assert "procedure" not in await changed(resolver, text, intent)


# ----------------------------------------------------------------------- outside a conversation and payloads


def test_a_message_parsed_outside_a_conversation_gets_no_slot_entity(resolver):
    # `rasa test` and /model/parse: the conversation tests compare entities with their stories.
    empty = DialogueStateTracker.from_events("test", [])
    message = parsed(resolver, empty, "How do I renew my passport", "find_procedure")
    assert [e["entity"] for e in message.get("entities")] == []


async def test_a_button_payload_names_the_procedure_itself(resolver):
    tracker = conversation({"procedure": "birth-registration"})
    entities = [{"entity": "procedure", "value": "passport"}, {"entity": "procedure_id", "value": "passport"}]
    tracker.update(UserUttered('/ask_fee{"procedure":"passport","procedure_id":"passport"}', {"name": "ask_fee"}, entities))
    events = await ActionExtractSlots(None).run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(DOMAIN.responses), tracker, DOMAIN)
    assert [(e.key, e.value) for e in events if isinstance(e, SlotSet)] == [("procedure", "passport")]


# ----------------------------------------------------------------------- the pending choice

NEWBORN_CHOICE = ["birth-bundle", "birth-registration"]


@pytest.mark.parametrize(
    "text, intent, named, kept",
    [
        ("cần giấy tờ gì", "ask_documents", None, True),
        ("how long does it take", "ask_processing_time", None, True),
        ("tôi ở xã Phước Hữu", "inform_location", None, True),
        ("hộ chiếu cần giấy tờ gì", "ask_documents", ("passport", "hộ chiếu"), False),
        ("cảm ơn", "thank", None, False),
        ("tôi muốn hỏi chuyện khác", "find_procedure", None, False),
        ("hello", "greet", None, False),
    ],
)
async def test_a_typed_follow_up_keeps_the_choice_anything_else_clears_it(resolver, text, intent, named, kept):
    entities = [entity("procedure", named[0], text, named[1])] if named else []
    changes = await changed(resolver, text, intent, slots={"procedure_choices": NEWBORN_CHOICE}, entities=entities)
    if kept:
        assert "procedure_choices" not in changes
    else:
        assert "procedure_choices" in changes and changes["procedure_choices"] is None


async def test_no_choice_pending_nothing_to_clear(resolver):
    assert "procedure_choices" not in await changed(resolver, "cảm ơn", "thank")
