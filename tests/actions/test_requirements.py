"""Requirement answers from a real SQLite knowledge store: follow-ups on the procedure in context,
where to submit resolved from current and pre-2025 place names, missing optional data."""

from __future__ import annotations

import pytest

from actions.formatting import wording
from actions.requirements import (
    ActionAnswerAgency,
    ActionAnswerDocuments,
    ActionAnswerFee,
    ActionAnswerLegalBasis,
    ActionAnswerOnline,
    ActionAnswerProcessingTime,
    ActionAnswerSteps,
    ActionAnswerWhereToSubmit,
)
from knowledge.loader import CONTENT_DIR
from knowledge.store import close_stores
from tests.actions.conftest import entity, load_store, make_tracker, run, slot_events

ALL_ANSWERS = [
    ActionAnswerDocuments,
    ActionAnswerFee,
    ActionAnswerProcessingTime,
    ActionAnswerAgency,
    ActionAnswerOnline,
    ActionAnswerSteps,
    ActionAnswerLegalBasis,
    ActionAnswerWhereToSubmit,
]


async def test_follow_up_uses_the_procedure_in_context(store):
    messages, _ = await run(ActionAnswerFee(), make_tracker({"procedure": "permanent-residence"}, "còn lệ phí thì sao?", "ask_fee"))
    assert len(messages) == 1
    assert "Đăng ký thường trú" in messages[0]["text"]
    assert "20.000 đ" in messages[0]["text"]
    assert "10.000 đ" in messages[0]["text"]  # the online discount valid until 2099
    assert messages[0]["buttons"]


async def test_english_follow_up_is_answered_in_english(store):
    messages, _ = await run(ActionAnswerProcessingTime(), make_tracker({"procedure": "birth-registration", "language": "en"}, "how long?"))
    reply = messages[0]["text"]
    assert "Birth registration" in reply and "3 working days" in reply
    assert wording("en").CAUTION in reply  # stored as unverified
    assert "Source: procedures-facts.md · updated 15 Dec 2025" in reply


async def test_no_procedure_in_context_asks_which(store):
    messages, events = await run(ActionAnswerDocuments(), make_tracker({}, "cần giấy tờ gì", "ask_documents"))
    assert messages[0]["text"] == wording("vi").ASK_PROCEDURE
    assert events == []


async def test_language_detected_from_text_when_slot_is_empty(store):
    tracker = make_tracker({"procedure": "birth-registration", "language": None}, "what documents do I need")
    messages, _ = await run(ActionAnswerDocuments(), tracker)
    assert messages[0]["text"].startswith("Documents to prepare for Birth registration")


async def test_documents_mark_situational_ones_and_offer_checklist(store):
    messages, _ = await run(ActionAnswerDocuments(), make_tracker({"procedure": "birth-registration"}))
    reply = messages[0]
    assert "• Giấy chứng sinh (bản chính) (tùy trường hợp)" in reply["text"]
    assert "/start_checklist" in [b["payload"] for b in reply["buttons"]]


async def test_where_to_submit_with_a_current_commune_names_the_local_body(store):
    text = "tôi ở xã Ninh Phước"
    tracker = make_tracker({"procedure": "permanent-residence"}, text, "inform_location", [entity("location", "xa-ninh-phuoc", text, "Ninh Phước")])
    messages, events = await run(ActionAnswerWhereToSubmit(), tracker)
    assert "Công an xã Ninh Phước" in messages[0]["text"]
    assert slot_events(events) == {"unit_id": "xa-ninh-phuoc"}


async def test_where_to_submit_with_a_former_commune_name_resolves_to_the_new_unit(store):
    text = "nhà tôi ở Tháp Chàm"
    tracker = make_tracker({"procedure": "birth-registration"}, text, "inform_location", [entity("location", "phuong-do-vinh", text, "Tháp Chàm")])
    messages, events = await run(ActionAnswerWhereToSubmit(), tracker)
    reply = messages[0]["text"]
    assert "“Tháp Chàm” nay thuộc phường Đô Vinh" in reply
    assert "UBND phường Đô Vinh" in reply
    assert slot_events(events)["unit_id"] == "phuong-do-vinh"


@pytest.mark.parametrize("text", ["tôi ở huyện Ninh Phước cũ", "toi o Ninh Phuoc cu", "I live in old Ninh Phuoc district"])
async def test_a_former_district_offers_its_new_units_as_buttons(store, text):
    # The lookup entity only covers "Ninh Phước", which is also the name of a current commune.
    said = "Ninh Phước" if "Ninh Phước" in text else "Ninh Phuoc"
    tracker = make_tracker({"procedure": "birth-registration"}, text, "inform_location", [entity("location", "xa-ninh-phuoc", text, said)])
    messages, events = await run(ActionAnswerWhereToSubmit(), tracker)
    buttons = messages[0]["buttons"]
    assert [b["title"] for b in buttons] == ["xã Ninh Phước", "xã Phước Hữu"]
    assert "unit_id" not in slot_events(events)

    # The button sends the chosen unit back as a location entity.
    payload = buttons[1]["payload"]
    chosen = make_tracker({"procedure": "birth-registration"}, payload, "inform_location", [{"entity": "location", "value": "xã Phước Hữu"}])
    messages, events = await run(ActionAnswerWhereToSubmit(), chosen)
    assert "UBND xã Phước Hữu" in messages[0]["text"]
    assert slot_events(events) == {"unit_id": "xa-phuoc-huu"}


async def test_a_current_commune_named_like_a_former_district_is_taken_as_the_commune(store):
    text = "tôi ở Ninh Phước"
    tracker = make_tracker({"procedure": "birth-registration"}, text, "inform_location", [entity("location", "xa-ninh-phuoc", text, "Ninh Phước")])
    messages, events = await run(ActionAnswerWhereToSubmit(), tracker)
    assert "UBND xã Ninh Phước" in messages[0]["text"]
    assert "nay thuộc" not in messages[0]["text"]


async def test_remembered_unit_answers_a_later_where_question(store):
    tracker = make_tracker({"procedure": "birth-registration", "unit_id": "xa-phuoc-huu"}, "nộp ở đâu", "ask_where_to_submit")
    messages, _ = await run(ActionAnswerWhereToSubmit(), tracker)
    assert "UBND xã Phước Hữu" in messages[0]["text"]


async def test_provincial_procedure_does_not_depend_on_the_place(store):
    text = "tôi ở Tháp Chàm"
    tracker = make_tracker(
        {"procedure": "passport", "language": "en"}, text, "inform_location", [entity("location", "phuong-do-vinh", text, "Tháp Chàm")]
    )
    messages, _ = await run(ActionAnswerWhereToSubmit(), tracker)
    assert "does not depend on your commune" in messages[0]["text"]
    assert "Office for Passport" in messages[0]["text"]
    assert "“Tháp Chàm” is now part of Do Vinh Ward" in messages[0]["text"]


async def test_commune_level_procedure_without_a_place_asks_for_it(store):
    messages, _ = await run(ActionAnswerWhereToSubmit(), make_tracker({"procedure": "birth-registration"}, "nộp ở đâu", "ask_where_to_submit"))
    assert wording("vi").ASK_LOCATION in messages[0]["text"]


async def test_unknown_place_is_said_honestly(store):
    text = "tôi ở Hà Giang"
    tracker = make_tracker({"procedure": "birth-registration"}, text, "inform_location", [entity("location", "Hà Giang", text)])
    messages, _ = await run(ActionAnswerWhereToSubmit(), tracker)
    assert "Hà Giang" in messages[0]["text"]
    assert "chưa tìm thấy" in messages[0]["text"]


async def test_unknown_fee_confidence_is_flagged(store):
    messages, _ = await run(ActionAnswerFee(), make_tracker({"procedure": "passport"}))
    assert "200.000 đ" in messages[0]["text"]
    assert "cần kiểm tra lại tại cổng dịch vụ công" in messages[0]["text"]


@pytest.mark.parametrize("action", ALL_ANSWERS)
@pytest.mark.parametrize("language", ["vi", "en"])
async def test_procedure_with_missing_optional_data_does_not_crash(store, action, language):
    tracker = make_tracker({"procedure": "id-number-confirmation", "language": language}, "?")
    messages, _ = await run(action(), tracker)
    assert messages and all(message["text"] for message in messages)


async def test_every_real_procedure_answers_every_question_in_both_languages(tmp_path, monkeypatch):
    """The content in knowledge/content, loaded as the product loads it."""
    store = load_store(CONTENT_DIR, tmp_path / "real.db", monkeypatch)
    try:
        procedures = store.list_procedures()
        assert procedures
        for procedure in procedures:
            for language in ("vi", "en"):
                for action in ALL_ANSWERS:
                    tracker = make_tracker({"procedure": procedure.id, "language": language}, "?")
                    messages, _ = await run(action(), tracker)
                    assert messages and messages[0]["text"], (procedure.id, language, action)
                    name = procedure.names.in_(language)
                    if action is ActionAnswerFee:
                        assert name in messages[0]["text"]
    finally:
        close_stores()
