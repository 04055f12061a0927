"""The pending choice (issue 12, part 3): a follow-up question right after a clarifying question is
answered within the choice offered, never with the generic "which procedure?"."""

from __future__ import annotations

import pytest

from actions.checklist import ActionStartChecklist
from actions.discovery import ActionDefaultAskAffirmation, ActionDiscoverProcedure
from actions.formatting import vi
from actions.requirements import ActionAnswerDocuments, ActionAnswerFee, ActionAnswerWhereToSubmit
from tests.actions.conftest import entity, load_store, make_tracker, run, slot_events, write_content
from tests.actions.test_discovery import DISCOVERY_PROCEDURES, fallback_tracker, payloads

NEWBORN_CHOICE = ["birth-bundle", "birth-registration"]


@pytest.fixture(scope="module")
def choice_content(tmp_path_factory):
    return write_content(tmp_path_factory.mktemp("choices") / "content", DISCOVERY_PROCEDURES)


@pytest.fixture(autouse=True)
def choice_store(choice_content, tmp_path, monkeypatch):
    """The discovery tests' catalogue: a newborn bundle with its single procedure, ID card, passport."""
    return load_store(choice_content, tmp_path / "knowledge.db", monkeypatch)


def follow_up(text: str, intent: str, choices: list[str] | None, language: str = "vi", entities=None):
    return make_tracker(slots={"language": language, "procedure_choices": choices}, text=text, intent=intent, entities=entities)


# ----------------------------------------------------------------------- remembering the choice


async def test_clarifying_question_remembers_the_options_in_button_order():
    text = "con tôi mới sinh được 1 tuần"
    tracker = make_tracker(text=text, intent="find_procedure", entities=[entity("life_event", "newborn", text, "sinh")])
    _, events = await run(ActionDiscoverProcedure(), tracker)
    assert slot_events(events) == {"procedure_choices": NEWBORN_CHOICE}


async def test_generic_question_remembers_the_popular_options():
    tracker = make_tracker(text="tôi muốn làm thủ tục", intent="find_procedure")
    messages, events = await run(ActionDiscoverProcedure(), tracker)
    offered = slot_events(events)["procedure_choices"]
    assert offered and len(offered) == len(payloads(messages[0]))


async def test_choosing_a_procedure_forgets_the_choice():
    text = "chỉ làm khai sinh thôi"
    tracker = make_tracker(
        slots={"procedure_choices": NEWBORN_CHOICE},
        text=text,
        intent="find_procedure",
        entities=[entity("procedure", "birth-registration", text, "khai sinh")],
    )
    _, events = await run(ActionDiscoverProcedure(), tracker)
    assert slot_events(events) == {"procedure": "birth-registration", "procedure_choices": None}


async def test_did_you_mean_remembers_the_procedure_it_proposes():
    text = "hộ chiếu tốn nhiêu"
    tracker = fallback_tracker(text, "ask_fee", entities=[entity("procedure", "passport", text, "hộ chiếu")])
    _, events = await run(ActionDefaultAskAffirmation(), tracker)
    assert slot_events(events) == {"procedure_choices": ["passport"]}


# Keeping or clearing the choice after a typed message: tests/bot/test_conversation_slots.py.


# ----------------------------------------------------------------------- answering within it


async def test_newborn_follow_up_answers_for_birth_registration_and_says_how_the_bundle_differs():
    messages, events = await run(ActionAnswerDocuments(), follow_up("cần giấy tờ gì", "ask_documents", NEWBORN_CHOICE))
    texts = [m["text"] for m in messages]
    assert vi.ASK_PROCEDURE not in texts
    assert "Tờ khai đăng ký khai sinh" in texts[0]
    assert "Đăng ký khai sinh" in texts[-1] and "liên thông" in texts[-1]
    # One click asks the same question about the bundle.
    assert payloads(messages[-1]) == ['/ask_documents{"procedure":"birth-bundle","procedure_id":"birth-bundle"}']
    assert events == []  # nothing chosen: the choice stays pending for the next follow-up


async def test_follow_up_in_english_stays_in_english():
    tracker = follow_up("how much does it cost", "ask_fee", NEWBORN_CHOICE, language="en")
    messages, _ = await run(ActionAnswerFee(), tracker)
    assert "combined procedure" in messages[-1]["text"]
    assert payloads(messages[-1]) == ['/ask_fee{"procedure":"birth-bundle","procedure_id":"birth-bundle"}']


async def test_a_real_choice_is_offered_again_with_the_question_kept():
    messages, _ = await run(ActionAnswerFee(), follow_up("phí bao nhiêu", "ask_fee", ["id-card", "passport"]))
    assert len(messages) == 1
    assert messages[0]["text"] == vi.CHOOSE_FOR_QUESTION
    assert payloads(messages[0]) == [
        '/ask_fee{"procedure":"id-card","procedure_id":"id-card"}',
        '/ask_fee{"procedure":"passport","procedure_id":"passport"}',
    ]


async def test_the_procedure_proposed_by_did_you_mean_is_answered():
    messages, _ = await run(ActionAnswerFee(), follow_up("phí bao nhiêu", "ask_fee", ["passport"]))
    assert "200.000" in messages[0]["text"]


async def test_without_a_pending_choice_the_generic_question_remains():
    messages, _ = await run(ActionAnswerFee(), follow_up("phí bao nhiêu", "ask_fee", None))
    assert [m["text"] for m in messages] == [vi.ASK_PROCEDURE]


async def test_where_to_submit_within_the_newborn_choice_asks_where_the_citizen_lives():
    messages, _ = await run(ActionAnswerWhereToSubmit(), follow_up("nộp ở đâu", "ask_where_to_submit", NEWBORN_CHOICE))
    assert vi.ASK_PROCEDURE not in [m["text"] for m in messages]
    assert payloads(messages[-1]) == ['/ask_where_to_submit{"procedure":"birth-bundle","procedure_id":"birth-bundle"}']


async def test_where_to_submit_within_a_real_choice_repeats_the_options():
    messages, _ = await run(ActionAnswerWhereToSubmit(), follow_up("nộp ở đâu", "ask_where_to_submit", ["id-card", "passport"]))
    assert payloads(messages[0]) == [
        '/ask_where_to_submit{"procedure":"id-card","procedure_id":"id-card"}',
        '/ask_where_to_submit{"procedure":"passport","procedure_id":"passport"}',
    ]


async def test_a_form_is_never_started_for_an_option_the_citizen_did_not_pick():
    messages, events = await run(ActionStartChecklist(), follow_up("kiểm tra giấy tờ giúp tôi", "start_checklist", NEWBORN_CHOICE))
    assert payloads(messages[0]) == [
        '/start_checklist{"procedure":"birth-bundle","procedure_id":"birth-bundle"}',
        '/start_checklist{"procedure":"birth-registration","procedure_id":"birth-registration"}',
    ]
    assert slot_events(events)["checklist_answers"] is None


async def test_a_click_on_an_option_answers_for_it_and_ends_the_choice():
    # The button's payload set the procedure (the NLU component never sees a payload): the answer ends the choice.
    tracker = make_tracker(
        slots={"language": "vi", "procedure": "birth-bundle", "procedure_choices": NEWBORN_CHOICE},
        text='/ask_documents{"procedure":"birth-bundle","procedure_id":"birth-bundle"}',
        intent="ask_documents",
    )
    messages, events = await run(ActionAnswerDocuments(), tracker)
    assert vi.CHOOSE_FOR_QUESTION not in [m["text"] for m in messages]
    assert slot_events(events) == {"procedure_choices": None}
