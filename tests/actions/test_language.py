"""The custom slot mappings: reply language and the procedure in context."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.language import ValidateSlotMappings, choose_language, requested_language
from tests.actions.conftest import entity, make_tracker

DOMAIN = {"slots": {"language": {"type": "categorical", "mappings": [{"type": "custom"}]},
                    "procedure": {"type": "text", "mappings": [{"type": "custom"}]}}}


def tracker_with(text: str, intent: str, slots: dict | None = None, metadata: dict | None = None,
                 entities: list | None = None) -> Tracker:
    tracker = make_tracker(slots=slots, text=text, intent=intent, entities=entities)
    if metadata is not None:
        tracker.events[-1]["metadata"] = metadata
    return tracker


async def extracted(tracker: Tracker) -> dict:
    """The slots the validation action sets for the latest message."""
    events = await ValidateSlotMappings().run(CollectingDispatcher(), tracker, DOMAIN)
    return {event["name"]: event["value"] for event in events}


# ----------------------------------------------------------------------- language

@pytest.mark.parametrize("text, expected", [
    ("English please", "en"), ("nói tiếng Anh đi", "en"), ("tra loi bang tieng anh", "en"),
    ("nói tiếng Việt", "vi"), ("Vietnamese please", "vi"), ("noi tieng viet di", "vi"),
    ("đổi ngôn ngữ", None),
])
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


async def test_slot_follows_metadata():
    tracker = tracker_with("xin chào", "greet", slots={"language": "vi"}, metadata={"language": "en"})
    assert (await extracted(tracker))["language"] == "en"


async def test_slot_switches_on_request_and_stays_when_unchanged(store):
    assert (await extracted(tracker_with("English please", "switch_language")))["language"] == "en"
    assert "language" not in await extracted(tracker_with("làm căn cước ở đâu", "find_procedure"))


# ----------------------------------------------------------------------- procedure

async def test_named_procedure_fills_the_slot(store):
    text = "hộ chiếu bao nhiêu tiền"
    tracker = tracker_with(text, "ask_fee", entities=[entity("procedure", "passport", text, "hộ chiếu")])
    assert (await extracted(tracker))["procedure"] == "passport"


async def test_out_of_scope_empties_the_slot(store):
    tracker = tracker_with("thời tiết hôm nay thế nào", "out_of_scope", slots={"procedure": "passport"})
    assert (await extracted(tracker))["procedure"] is None


async def test_follow_up_question_keeps_the_procedure(store):
    tracker = tracker_with("lệ phí bao nhiêu", "ask_fee", slots={"procedure": "passport"})
    assert "procedure" not in await extracted(tracker)


async def test_procedure_word_while_listing_documents_does_not_switch(store):
    text = "tôi có hộ chiếu rồi"
    tracker = tracker_with(text, "inform_have_documents", slots={"procedure": "birth-registration"},
                           entities=[entity("procedure", "passport", text, "hộ chiếu")])
    assert "procedure" not in await extracted(tracker)


async def test_procedure_word_in_a_form_answer_does_not_switch(store):
    text = "hộ chiếu"
    tracker = make_tracker(slots={"procedure": "birth-registration"}, text=text, intent="affirm",
                           entities=[entity("procedure", "passport", text, "hộ chiếu")], active_loop="checklist_form")
    assert "procedure" not in await extracted(tracker)


async def test_procedure_named_with_a_misread_intent_still_fills_the_slot(store):
    text = "how do I get a passport for my son"
    tracker = tracker_with(text, "greet", entities=[entity("procedure", "passport", text, "passport")])
    assert (await extracted(tracker))["procedure"] == "passport"


async def test_slot_never_holds_anything_but_a_catalogue_id(store):
    text = "làm visa"
    tracker = tracker_with(text, "find_procedure", slots={"procedure": "passport"},
                           entities=[entity("procedure", "visa", text, "visa")])
    assert (await extracted(tracker))["procedure"] is None


async def test_new_vague_search_clears_the_old_procedure(store):
    tracker = tracker_with("đăng ký", "find_procedure", slots={"procedure": "passport"})
    assert (await extracted(tracker))["procedure"] is None



@pytest.mark.parametrize("text, intent", [
    ("lệ phí bao nhiêu", "ask_fee"),
    ("make my checklist", "start_checklist"),
    ("bị mất thì sao", "ask_documents"),
])
async def test_follow_up_without_a_name_never_switches_on_shared_words(real_store, text, intent):
    # Keyword ranking matched these to death-bundle, seal-registration, unemployment-benefit.
    tracker = tracker_with(text, intent, slots={"procedure": "birth-bundle"})
    assert "procedure" not in await extracted(tracker)


@pytest.mark.parametrize("text, intent", [("phi bn", "ask_fee"), ("lệ phí bao nhiêu", "ask_fee"),
                                          ("how much is the fee", "ask_fee")])
async def test_a_question_word_alone_does_not_pick_a_procedure(real_store, text, intent):
    # "phí" is also in "mai táng phí": without a procedure in context the action asks which one.
    tracker = tracker_with(text, intent)
    assert "procedure" not in await extracted(tracker)
