"""Service discovery and the fallback question, against a real SQLite store loaded by the loader."""

from __future__ import annotations

import json

import pytest

from actions.discovery import (
    ActionDeclineOutOfScope,
    ActionDefaultAskAffirmation,
    ActionDiscoverProcedure,
    identify,
)
from knowledge.resolution import PARSE_KEY, resolve
from tests.actions.conftest import (
    BIRTH_REGISTRATION,
    PASSPORT,
    PERMANENT_RESIDENCE,
    entity,
    load_store,
    make_tracker,
    procedure,
    run,
    slot_events,
    write_content,
)

# Life events and bundles as in the real content: the newborn bundle chains the birth registration.
DISCOVERY_PROCEDURES = [
    {**BIRTH_REGISTRATION, "aliases": {"vi": ["khai sinh", "làm giấy khai sinh"], "en": ["birth certificate"]}},
    procedure(
        "birth-bundle",
        "Liên thông đăng ký khai sinh, đăng ký thường trú",
        "Newborn bundle",
        life_events=["newborn"],
        bundle_of=["birth-registration", "permanent-residence"],
    ),
    PERMANENT_RESIDENCE,
    procedure(
        "temporary-residence",
        "Đăng ký tạm trú",
        "Temporary residence registration",
        level="commune-police",
        category="residence",
        life_events=["moving-house"],
    ),
    procedure(
        "id-card",
        "Cấp đổi, cấp lại thẻ căn cước",
        "Identity card",
        level="any-commune-police",
        category="identity",
        life_events=["lost-documents"],
        aliases={"vi": ["làm lại căn cước", "đổi căn cước"], "en": ["id card"]},
    ),
    {**PASSPORT, "life_events": ["lost-documents", "travel-abroad"], "aliases": {"vi": ["hộ chiếu", "làm hộ chiếu"], "en": ["passport"]}},
    procedure(
        "unemployment-benefit", "Giải quyết hưởng trợ cấp thất nghiệp", "Unemployment benefit", category="employment", life_events=["job-loss"]
    ),
]
DISCOVERY_PROCEDURES[0]["life_events"] = ["newborn"]


@pytest.fixture(scope="module")
def discovery_content(tmp_path_factory):
    return write_content(tmp_path_factory.mktemp("discovery") / "content", DISCOVERY_PROCEDURES)


@pytest.fixture
def discovery_store(discovery_content, tmp_path, monkeypatch):
    return load_store(discovery_content, tmp_path / "knowledge.db", monkeypatch)


def payloads(message: dict) -> list[str]:
    return [b["payload"] for b in message.get("buttons") or []]


def payload_entities(payload: str) -> dict:
    return json.loads(payload[payload.index("{") :]) if "{" in payload else {}


# ----------------------------------------------------------------------- identify


def test_named_procedure_wins_over_text_search(discovery_store):
    text = "làm hộ chiếu hết bao lâu"
    message = {"text": text, "entities": [entity("procedure", "passport", text, "hộ chiếu")]}
    assert identify(message, discovery_store).procedure_id == "passport"


def test_unmapped_entity_text_is_resolved_through_the_store(discovery_store):
    text = "lam lai can cuoc"
    message = {"text": text, "entities": [entity("procedure", text, text)]}
    assert identify(message, discovery_store).procedure_id == "id-card"


def test_shared_spelling_is_a_question_not_a_guess(discovery_store):
    text = "đăng ký"
    message = {"text": text, "entities": [entity("procedure", text, text)]}
    found = identify(message, discovery_store)
    assert found.procedure_id is None
    assert {"temporary-residence", "birth-registration"} <= set(found.candidates)


def test_confident_text_match_without_entity(discovery_store):
    found = identify({"text": "Đăng ký tạm trú", "entities": []}, discovery_store)
    assert found.procedure_id == "temporary-residence"


def test_vague_word_gives_candidates_not_a_guess(discovery_store):
    found = identify({"text": "đăng ký", "entities": []}, discovery_store)
    assert found.procedure_id is None
    assert {"temporary-residence", "birth-registration"} <= set(found.candidates)


def test_text_search_can_be_switched_off(discovery_store):
    assert identify({"text": "Đăng ký tạm trú", "entities": []}, discovery_store, search_text=False).candidates == []


# ----------------------------------------------------------------------- discovery action


async def test_summary_in_vietnamese_with_next_question_buttons(discovery_store):
    text = "tôi muốn làm hộ chiếu"
    tracker = make_tracker(text=text, intent="find_procedure", entities=[entity("procedure", "passport", text, "hộ chiếu")])
    messages, events = await run(ActionDiscoverProcedure(), tracker)
    assert len(messages) == 1
    assert messages[0]["text"].startswith("Cấp hộ chiếu: Tóm tắt Cấp hộ chiếu")
    assert '/ask_documents{"procedure":"passport","procedure_id":"passport"}' in payloads(messages[0])
    assert all(payload_entities(p) == {"procedure": "passport", "procedure_id": "passport"} for p in payloads(messages[0]))
    assert slot_events(events) == {"procedure": "passport"}


async def test_summary_in_english_follows_the_language_slot(discovery_store):
    text = "I need a passport"
    tracker = make_tracker(slots={"language": "en"}, text=text, intent="find_procedure", entities=[entity("procedure", "passport", text, "passport")])
    messages, _ = await run(ActionDiscoverProcedure(), tracker)
    assert messages[0]["text"].startswith("Passport: About Passport")
    assert "What documents?" in [b["title"] for b in messages[0]["buttons"]]


async def test_moving_to_another_procedure_switches_the_slot(discovery_store):
    text = "còn đăng ký tạm trú thì sao"
    tracker = make_tracker(
        slots={"procedure": "passport"},
        text=text,
        intent="find_procedure",
        entities=[entity("procedure", "temporary-residence", text, "đăng ký tạm trú")],
    )
    _, events = await run(ActionDiscoverProcedure(), tracker)
    assert slot_events(events) == {"procedure": "temporary-residence"}


async def test_single_procedure_of_a_bundle_offers_the_bundle_too(discovery_store):
    text = "làm giấy khai sinh"
    tracker = make_tracker(text=text, intent="find_procedure", entities=[entity("procedure", "birth-registration", text, "làm giấy khai sinh")])
    messages, _ = await run(ActionDiscoverProcedure(), tracker)
    assert '/find_procedure{"procedure":"birth-bundle","procedure_id":"birth-bundle"}' in payloads(messages[0])


async def test_newborn_offers_the_bundle_and_the_single_procedure(discovery_store):
    text = "vợ tôi mới sinh em bé"
    tracker = make_tracker(
        slots={"procedure": "passport"}, text=text, intent="find_procedure", entities=[entity("life_event", "newborn", text, "sinh em bé")]
    )
    messages, events = await run(ActionDiscoverProcedure(), tracker)
    offered = [payload_entities(p)["procedure"] for p in payloads(messages[0])]
    assert offered == ["birth-bundle", "birth-registration"]
    assert "liên thông" in messages[0]["text"]
    # Nothing is identified yet, so the old procedure leaves the context; the options stay pending.
    assert slot_events(events) == {"procedure": None, "procedure_choices": ["birth-bundle", "birth-registration"]}


async def test_life_event_with_one_procedure_lands_on_it(discovery_store):
    text = "tôi vừa mất việc"
    tracker = make_tracker(text=text, intent="find_procedure", entities=[entity("life_event", "job-loss", text, "mất việc")])
    messages, events = await run(ActionDiscoverProcedure(), tracker)
    assert messages[0]["text"].startswith("Giải quyết hưởng trợ cấp thất nghiệp:")
    assert slot_events(events) == {"procedure": "unemployment-benefit"}


async def test_lost_documents_asks_which_one_with_readable_buttons(discovery_store):
    text = "tôi bị mất giấy tờ"
    tracker = make_tracker(
        slots={"language": "en"}, text=text, intent="find_procedure", entities=[entity("life_event", "lost-documents", text, "mất giấy tờ")]
    )
    messages, events = await run(ActionDiscoverProcedure(), tracker)
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles == ["Identity card", "Passport"]
    assert slot_events(events) == {"procedure_choices": ["id-card", "passport"]}  # the choice stays pending


async def test_ambiguous_word_gets_a_clarifying_question(discovery_store):
    tracker = make_tracker(text="đăng ký", intent="find_procedure")
    messages, events = await run(ActionDiscoverProcedure(), tracker)
    assert messages[0]["text"] == "Bạn muốn làm thủ tục nào dưới đây?"
    offered = {payload_entities(p)["procedure"] for p in payloads(messages[0])}
    assert {"temporary-residence", "birth-registration"} <= offered
    assert set(slot_events(events)["procedure_choices"]) == offered


async def test_paperwork_without_a_procedure_asks_what_they_need(discovery_store):
    tracker = make_tracker(slots={"language": "en"}, text="I need some paperwork", intent="find_procedure")
    messages, _ = await run(ActionDiscoverProcedure(), tracker)
    assert messages[0]["response"] == "utter_ask_which_procedure"
    offered = [payload_entities(p)["procedure"] for p in payloads(messages[0])]
    assert offered and all(discovery_store.get_procedure(pid) is not None for pid in offered)


# ----------------------------------------------------------------------- fallback affirmation


def fallback_tracker(text: str, guess: str, language: str = "vi", entities=None):
    tracker = make_tracker(slots={"language": language}, text=text, intent="nlu_fallback", entities=entities)
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": guess, "confidence": 0.35},
        {"name": "out_of_scope", "confidence": 0.2},
    ]
    return tracker


async def test_affirmation_names_the_topic_and_procedure_in_vietnamese(discovery_store):
    text = "hộ chiếu tốn nhiêu"
    tracker = fallback_tracker(text, "ask_fee", entities=[entity("procedure", "passport", text, "hộ chiếu")])
    messages, _ = await run(ActionDefaultAskAffirmation(), tracker)
    assert messages[0]["text"] == "Bạn muốn hỏi về lệ phí Cấp hộ chiếu phải không?"
    assert payloads(messages[0]) == ['/ask_fee{"procedure":"passport","procedure_id":"passport"}', "/out_of_scope"]
    assert [b["title"] for b in messages[0]["buttons"]] == ["Đúng vậy", "Không phải"]


async def test_affirmation_in_english_without_a_procedure(discovery_store):
    tracker = fallback_tracker("talk human maybe", "request_human", language="en")
    messages, _ = await run(ActionDefaultAskAffirmation(), tracker)
    assert messages[0]["text"] == "Did you mean: talking to a person?"
    assert payloads(messages[0]) == ["/request_human", "/out_of_scope"]


async def test_affirmation_never_offers_small_talk_intents(discovery_store):
    tracker = fallback_tracker("hmm chào, thủ tục giấy tờ", "greet")
    messages, _ = await run(ActionDefaultAskAffirmation(), tracker)
    assert payloads(messages[0])[0].startswith("/find_procedure")


async def test_affirmation_declines_when_nothing_points_to_public_services(discovery_store):
    tracker = fallback_tracker("who is the president of France", "give_feedback", language="en")
    messages, _ = await run(ActionDefaultAskAffirmation(), tracker)
    assert messages[0]["response"] == "utter_out_of_scope"
    assert not messages[0].get("buttons")


async def test_find_message_about_nothing_public_is_declined(discovery_store):
    tracker = make_tracker(slots={"procedure": "passport"}, text="đội nào vô địch V-League năm nay", intent="find_procedure")
    messages, events = await run(ActionDiscoverProcedure(), tracker)
    assert messages[0]["response"] == "utter_out_of_scope"
    assert slot_events(events) == {"procedure": None}


async def test_two_procedures_in_one_message_answers_one_and_offers_the_other(discovery_store):
    text = "tôi mất hộ chiếu, tiện hỏi luôn đăng ký tạm trú cho vợ thế nào"
    tracker = make_tracker(
        text=text,
        intent="find_procedure",
        entities=[entity("procedure", "passport", text, "hộ chiếu"), entity("procedure", "temporary-residence", text, "đăng ký tạm trú")],
    )
    messages, events = await run(ActionDiscoverProcedure(), tracker)
    answered = slot_events(events)["procedure"]
    other = ({"passport", "temporary-residence"} - {answered}).pop()
    assert len(messages) == 2
    assert messages[1]["text"].startswith("Bạn cũng hỏi về")
    # The click sets the procedure slot too (payloads skip the NLU pipeline that would decide it).
    assert payloads(messages[1]) == [f'/find_procedure{{"procedure":"{other}","procedure_id":"{other}"}}']


async def test_one_procedure_offers_nothing_more(discovery_store):
    text = "làm hộ chiếu thế nào"
    tracker = make_tracker(text=text, intent="find_procedure", entities=[entity("procedure", "passport", text, "hộ chiếu")])
    messages, _ = await run(ActionDiscoverProcedure(), tracker)
    assert len(messages) == 1


# ---------------------------------------------------------------- decline with an offer


def declined_tracker(text: str, store, language: str = "vi", entities=None, choices=None):
    """An out_of_scope message as the NLU pipeline leaves it: the resolution in the parse data."""
    tracker = make_tracker(slots={"language": language, "procedure_choices": choices}, text=text, intent="out_of_scope", entities=entities)
    tracker.latest_message[PARSE_KEY] = resolve(tracker.latest_message, store).to_dict()
    return tracker


async def test_decline_offers_the_procedure_a_declined_story_names(discovery_store):
    text = "Công ty đã chốt sổ bảo hiểm xã hội cho tôi nhưng tôi làm mất sổ. Tôi có được hưởng trợ cấp thất nghiệp không?"
    tracker = declined_tracker(text, discovery_store, entities=[entity("procedure", "unemployment-benefit", text, "trợ cấp thất nghiệp")])
    messages, events = await run(ActionDeclineOutOfScope(), tracker)
    assert messages[0]["response"] == "utter_out_of_scope"
    assert messages[1]["text"] == "Nếu bạn cần làm thủ tục Giải quyết hưởng trợ cấp thất nghiệp, mình có thể hướng dẫn:"
    assert [payload_entities(p)["procedure"] for p in payloads(messages[1])] == ["unemployment-benefit"]
    # A follow-up question instead of a click is answered within the offer.
    assert slot_events(events) == {"procedure_choices": ["unemployment-benefit"]}


async def test_decline_offers_nothing_when_nothing_is_named(discovery_store):
    tracker = declined_tracker("kể chuyện cười đi", discovery_store, choices=["passport"])
    messages, events = await run(ActionDeclineOutOfScope(), tracker)
    assert [m.get("response") for m in messages] == ["utter_out_of_scope"]
    assert not messages[0].get("buttons")
    # An earlier pending choice is over: the conversation moved on.
    assert slot_events(events) == {"procedure_choices": None}


async def test_decline_of_a_button_payload_offers_nothing(discovery_store):
    # "No" to "did you mean …?" is the /out_of_scope payload: no NLU, no resolution.
    tracker = make_tracker(
        text="/out_of_scope", intent="out_of_scope", entities=[entity("procedure", "passport", "/out_of_scope passport", "passport")]
    )
    messages, events = await run(ActionDeclineOutOfScope(), tracker)
    assert [m.get("response") for m in messages] == ["utter_out_of_scope"]
    assert events == []


async def test_decline_offer_leaves_out_a_procedure_put_aside_and_speaks_english(discovery_store):
    text = "I don't have a birth certificate, how do I get a passport for my trip, is that legal?"
    entities = [entity("procedure", "birth-registration", text, "birth certificate"), entity("procedure", "passport", text, "passport")]
    tracker = declined_tracker(text, discovery_store, language="en", entities=entities)
    messages, _ = await run(ActionDeclineOutOfScope(), tracker)
    assert messages[1]["text"] == "If you need the procedure itself (Passport), I can guide you:"
    assert [payload_entities(p)["procedure"] for p in payloads(messages[1])] == ["passport"]


async def test_decline_by_a_subject_offers_nothing_inside_it(discovery_store):
    # "thẻ tạm trú" for a foreigner: the words "tạm trú" belong to the subject, not to the procedure.
    text = "làm thẻ tạm trú cho người nước ngoài ở đâu"
    tracker = declined_tracker(text, discovery_store, entities=[entity("procedure", "temporary-residence", text, "tạm trú")])
    tracker.latest_message["uncovered_subject"] = {"phrase": "thẻ tạm trú", "start": 4, "end": 15}
    messages, _ = await run(ActionDeclineOutOfScope(), tracker)
    assert [m.get("response") for m in messages] == ["utter_out_of_scope"]
