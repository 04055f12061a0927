"""Answers built from the product's own content (knowledge/content) for the facts corrected in issue 12:
what a citizen actually reads, with the caution that matches each fact's confidence."""

from __future__ import annotations

from actions.formatting import wording
from actions.requirements import ActionAnswerAgency, ActionAnswerFee, ActionAnswerOnline
from tests.actions.conftest import make_tracker, run


async def answer(action, procedure_id: str, language: str = "vi", text: str = "?") -> str:
    messages, _ = await run(action(), make_tracker({"procedure": procedure_id, "language": language}, text))
    assert len(messages) == 1
    return messages[0]["text"]


async def test_passport_fee_answer_shows_the_loss_price(real_store):
    reply = await answer(ActionAnswerFee, "passport", text="mất hộ chiếu làm lại hết bao nhiêu tiền")
    assert "• Cấp lại hộ chiếu do bị mất hoặc hư hỏng: 400.000 đ" in reply
    assert "• Cấp hộ chiếu mới: 200.000 đ" in reply
    assert "360.000 đ" not in reply.split("\n\n")[1]  # the online reduction ended on 31/12/2025
    assert wording("vi").CAUTION_SECONDARY in reply
    english = await answer(ActionAnswerFee, "passport", "en", "I lost my passport, how much is a new one")
    assert "• Reissue after the passport was lost or damaged: 400,000 VND" in english
    assert wording("en").CAUTION_SECONDARY in english


async def test_temporary_residence_extension_fee_answer(real_store):
    reply = await answer(ActionAnswerFee, "temporary-residence", text="gia hạn tạm trú bao nhiêu tiền")
    assert "• Gia hạn tạm trú (mỗi người): 15.000 đ; nộp online: 7.000 đ" in reply
    assert "Gia hạn tạm trú (mỗi người): 10.000" not in reply


async def test_judicial_record_agency_answer_gives_the_handover_date(real_store):
    reply = await answer(ActionAnswerAgency, "judicial-record", text="từ khi nào lý lịch tư pháp chuyển sang công an")
    first_line = reply.splitlines()[0]
    assert "01/03/2025" in first_line and "Sở Tư pháp" in first_line
    assert wording("vi").CAUTION_SECONDARY in first_line
    english = await answer(ActionAnswerAgency, "judicial-record", "en", "since when do the police issue it")
    assert "1 March 2025" in english.splitlines()[0]


async def test_motorbike_online_answer_says_what_is_done_in_person(real_store):
    reply = await answer(ActionAnswerOnline, "motorbike-registration", text="đăng ký xe máy online được không")
    assert wording("vi").ONLINE_AVAILABILITY["partial"] in reply
    assert wording("vi").ONLINE_AVAILABILITY["full"] not in reply
    assert "kiểm tra xe" in reply and "nhận biển số" in reply


async def test_confirmed_answer_carries_no_caution(real_store):
    """The passport agency is taken from the procedure page itself ([S]): shown without a caution."""
    reply = await answer(ActionAnswerAgency, "passport")
    words = wording("vi")
    assert words.CAUTION not in reply and words.CAUTION_SECONDARY not in reply
