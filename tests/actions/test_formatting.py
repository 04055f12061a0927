"""Formatting rules: fees with dated online discounts, provenance footers, low-confidence wording,
chat-sized lists, both languages, and procedures with missing optional data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from actions.formatting import answers, wording
from actions.formatting.common import footer, online_discount_today
from knowledge.types import (
    Agency,
    Answer,
    Document,
    Fee,
    FeeItem,
    LegalBasis,
    OnlineAvailability,
    OnlineDiscount,
    Procedure,
    ProcessingTime,
    Provenance,
    Question,
    Step,
    Text,
)

CONFIRMED = Provenance("Luật Căn cước 2023", date(2025, 12, 15), "confirmed")
UNVERIFIED = Provenance("background knowledge", date(2025, 11, 1), "unverified")


def id_card(fee_provenance: Provenance = CONFIRMED, **changes) -> Procedure:
    reissue = FeeItem(Text("Cấp lại thẻ", "Reissue"), 70000, OnlineDiscount(35000, date(2025, 1, 1), date(2025, 12, 31)))
    procedure = Procedure(
        id="id-card",
        national_code=None,
        category="identity",
        essential=True,
        names=Text("Cấp lại thẻ căn cước", "ID card reissue"),
        summary=Text("…", "…"),
        agency=Agency(
            "commune-police", Text("Công an cấp xã", "Commune police"), Text("Nộp tại công an xã", "Submit at the commune police"), CONFIRMED
        ),
        processing_time=ProcessingTime(Text("7 ngày làm việc", "7 working days"), 7, UNVERIFIED),
        fee=Fee(False, (reissue,), fee_provenance, exemptions=(Text("Người nghèo", "Poor households"),)),
        online=OnlineAvailability("partial", ("national-portal", "vneid"), CONFIRMED),
        legal_basis=LegalBasis((Text("Luật Căn cước 2023", "Law on Identification 2023"),), CONFIRMED),
        documents=(
            Document("form", Text("Tờ khai CC01", "Form CC01"), True, CONFIRMED),
            Document("police-report", Text("Đơn báo mất", "Loss report"), True, UNVERIFIED, when={"lost": ("yes",)}),
        ),
        checklist=(
            Question(
                "lost", Text("Bạn bị mất thẻ?", "Did you lose the card?"), (Answer("yes", Text("Có", "Yes")), Answer("no", Text("Không", "No")))
            ),
        ),
        steps=(Step("login", Text("Đăng nhập", "Log in"), Text("Mở VNeID", "Open VNeID")),),
    )
    return replace(procedure, **changes)


@pytest.mark.parametrize(
    "today, discounted",
    [
        (date(2025, 6, 1), True),
        (date(2025, 1, 1), True),  # first day of validity
        (date(2025, 12, 31), True),  # last day of validity
        (date(2024, 12, 31), False),  # not yet valid
        (date(2026, 1, 1), False),  # expired
    ],
)
def test_online_discount_only_inside_its_dates(today, discounted):
    item = id_card().fee.items[0]
    assert (online_discount_today(item, today) is not None) is discounted
    text = answers.fee(id_card(), "vi", today).text
    assert "70.000 đ" in text
    assert ("35.000 đ" in text) is discounted


def test_fee_in_english_uses_english_money_and_labels():
    text = answers.fee(id_card(), "en", date(2025, 6, 1)).text
    assert "Reissue: 70,000 VND" in text
    assert "online: 35,000 VND (until 31 Dec 2025)" in text
    assert "Poor households" in text
    assert "Cấp lại" not in text


def test_free_procedure_says_free_and_lists_exemptions():
    free = id_card(fee=Fee(True, (), CONFIRMED, exemptions=(Text("Trẻ em", "Children"),)))
    text = answers.fee(free, "vi", date(2025, 6, 1)).text
    assert wording("vi").FREE in text
    assert "• Trẻ em" in text


def test_footer_names_sources_and_oldest_review_date():
    text = footer([CONFIRMED, UNVERIFIED, CONFIRMED], wording("vi"))
    assert text.count("Luật Căn cước 2023") == 1
    assert "background knowledge" in text
    assert "cập nhật 01/11/2025" in text
    assert "Nguồn:" in text
    assert "updated 1 Nov 2025" in footer([UNVERIFIED], wording("en"))


def test_low_confidence_fact_is_flagged_and_confirmed_is_not():
    assert wording("vi").CAUTION in answers.processing_time(id_card(), "vi").text
    assert wording("en").CAUTION in answers.processing_time(id_card(), "en").text
    assert wording("vi").CAUTION not in answers.agency(id_card(), "vi").text
    uncertain_fee = answers.fee(id_card(fee_provenance=UNVERIFIED), "vi", date(2025, 6, 1)).text
    assert "cần kiểm tra lại tại cổng dịch vụ công" in uncertain_fee


SECONDARY = Provenance("thuvienphapluat.vn Q&A", date(2025, 12, 15), "secondary")
UNKNOWN = Provenance("no source", date(2025, 12, 15), "unknown")


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    "confidence, expected",
    [
        (CONFIRMED, None),
        (SECONDARY, "CAUTION_SECONDARY"),
        (UNVERIFIED, "CAUTION"),
        (UNKNOWN, "CAUTION"),
    ],
)
def test_caution_matches_the_confidence_of_each_kind_of_fact(language, confidence, expected):
    """Confirmed facts are shown as they are; secondary ones with the milder caution; unverified and
    unknown ones with the full caution. Checked on every answer that shows a fact block."""
    words = wording(language)
    procedure = id_card(
        fee_provenance=confidence,
        agency=Agency("commune-police", Text("Công an cấp xã", "Commune police"), Text("…", "…"), confidence),
        processing_time=ProcessingTime(Text("7 ngày làm việc", "7 working days"), 7, confidence),
        online=OnlineAvailability("partial", ("vneid",), confidence),
        legal_basis=LegalBasis((Text("Luật Căn cước 2023", "Law on Identification 2023"),), confidence),
    )
    texts = [
        answers.fee(procedure, language, date(2026, 11, 27)).text,
        answers.agency(procedure, language).text,
        answers.processing_time(procedure, language).text,
        answers.online(procedure, language).text,
        answers.legal_basis(procedure, language).text,
    ]
    for text in texts:
        shown = {name for name in ("CAUTION", "CAUTION_SECONDARY") if getattr(words, name) in text}
        assert shown == ({expected} if expected else set()), (text, shown)


def test_secondary_caution_is_milder_and_differs_from_the_full_one():
    for language in ("vi", "en"):
        words = wording(language)
        assert words.CAUTION_SECONDARY and words.CAUTION_SECONDARY != words.CAUTION
        assert words.CAUTION_SECONDARY not in words.CAUTION and words.CAUTION not in words.CAUTION_SECONDARY


def test_secondary_document_is_marked_in_the_list():
    secondary_document = Document("form", Text("Tờ khai CC01", "Form CC01"), True, SECONDARY)
    text = answers.documents(id_card(documents=(secondary_document,)), "en").text
    assert f"Form CC01 ({wording('en').CAUTION_SECONDARY})" in text


def test_documents_are_a_bullet_list_with_situational_ones_marked():
    reply = answers.documents(id_card(), "vi")
    lines = reply.text.splitlines()
    assert "• Tờ khai CC01" in lines
    assert any(line.startswith("• Đơn báo mất") and "tùy trường hợp" in line for line in lines)
    assert "/start_checklist" in [b["payload"] for b in reply.buttons]


def test_every_answer_is_chat_sized_with_buttons():
    procedure = id_card()
    for reply in [
        answers.documents(procedure, "vi"),
        answers.fee(procedure, "vi", date(2025, 6, 1)),
        answers.processing_time(procedure, "en"),
        answers.agency(procedure, "en"),
        answers.online(procedure, "vi"),
        answers.legal_basis(procedure, "en"),
    ]:
        assert reply.buttons, reply.text
        assert all(len(paragraph) < 600 for paragraph in reply.text.split("\n\n"))


def test_online_answer_names_channels_and_offers_walkthrough():
    reply = answers.online(id_card(), "vi")
    assert "ứng dụng VNeID" in reply.text
    assert "/walkthrough_start" in [b["payload"] for b in reply.buttons]
    offline = id_card(online=OnlineAvailability("none", (), CONFIRMED))
    reply = answers.online(offline, "en")
    assert "cannot be done online" in reply.text
    assert "/walkthrough_start" not in [b["payload"] for b in reply.buttons]


def test_missing_optional_data_does_not_crash():
    bare = id_card(
        documents=(), checklist=(), steps=(), deadline=None, url=None, fee=Fee(False, (), CONFIRMED), legal_basis=LegalBasis((), CONFIRMED)
    )
    for language in ("vi", "en"):
        words = wording(language)
        assert answers.documents(bare, language).text == words.NO_DOCUMENTS
        assert answers.legal_basis(bare, language).text == words.NO_LEGAL_DATA
        assert words.NO_FEE_DATA in answers.fee(bare, language, date(2025, 6, 1)).text
        assert answers.steps_overview(bare, bare.steps, language).text == words.NO_STEPS
        assert answers.processing_time(bare, language).text
        assert answers.walkthrough_done(bare, language).text


def test_walkthrough_step_buttons_and_stuck_help():
    procedure = id_card()
    first = answers.walkthrough_step(procedure, procedure.steps, 0, "vi")
    assert first.text.startswith("Bước 1/1: Đăng nhập")
    assert "/walkthrough_back" not in [b["payload"] for b in first.buttons]
    stuck = answers.walkthrough_stuck(procedure.steps, 0, "en")
    assert wording("en").NO_STEP_HELP in stuck.text  # the step has no help of its own
    assert "/request_human" in [b["payload"] for b in stuck.buttons]


def test_checklist_question_buttons_send_answer_values():
    reply = answers.checklist_question(id_card().checklist[0], "en")
    assert reply.text == "Did you lose the card?"
    assert [(b["title"], b["payload"]) for b in reply.buttons] == [("Yes", "yes"), ("No", "no")]


def test_content_sentences_are_embedded_without_double_full_stops():
    procedure = id_card(processing_time=ProcessingTime(Text("Trong 7 ngày.", "Within 7 days."), 7, CONFIRMED))
    assert "Trong 7 ngày." in answers.processing_time(procedure, "vi").text
    assert ".." not in answers.processing_time(procedure, "vi").text
    assert ".." not in answers.walkthrough_done(procedure, "en").text


def test_footer_names_at_most_two_sources():
    provenances = [Provenance(f"source {n}", date(2025, 12, 1), "confirmed") for n in range(4)]
    text = footer(provenances, wording("en"))
    assert "source 0; source 1; …" in text
    assert "source 2" not in text


def test_document_overview_leaves_notes_for_the_checklist():
    noted = Document("form", Text("Tờ khai", "Form"), True, CONFIRMED, note=Text("Ghi chú dài", "A long note"))
    procedure = id_card(documents=(noted,))
    assert "Ghi chú dài" not in answers.documents(procedure, "vi").text
    assert "Ghi chú dài" in answers.checklist(procedure, "vi", [noted]).text


def test_both_languages_word_the_same_things():
    """A name missing in one wording module would break every reply in that language."""
    public = {language: {name for name in dir(wording(language)) if not name.startswith("_")} for language in ("vi", "en")}
    assert public["vi"] == public["en"]
    # The fallback question proposes only intents both languages can name.
    assert wording("vi").INTENT_TOPICS.keys() == wording("en").INTENT_TOPICS.keys()


def test_footer_splits_combined_sources_and_leaves_reviewer_remarks_out():
    provenances = [
        Provenance("Trang thủ tục 1.001456 (bản lưu GitHub); TT 31/2023/TT-BCA", date(2025, 12, 15), "confirmed"),
        Provenance("Trang thủ tục 1.001456 (bản lưu GitHub)", date(2025, 12, 15), "confirmed"),
    ]
    text = footer(provenances, wording("vi"))
    assert "Nguồn: Trang thủ tục 1.001456; TT 31/2023/TT-BCA ·" in text
    assert "GitHub" not in text


def test_a_caution_shared_by_every_document_is_said_once_below_the_list():
    secondary = tuple(Document(f"d{n}", Text(f"Giấy {n}", f"Paper {n}"), True, SECONDARY) for n in range(3))
    text = answers.documents(id_card(documents=secondary), "vi").text
    caution = wording("vi").CAUTION_SECONDARY
    assert text.count(caution) == 1
    assert "• Giấy 2\n(" + caution + ")" in text
    mixed = secondary[:2] + (Document("d9", Text("Giấy 9", "Paper 9"), True, CONFIRMED),)
    text = answers.documents(id_card(documents=mixed), "vi").text
    assert text.count(caution) == 2 and f"• Giấy 0 ({caution})" in text and "• Giấy 9\n" in text
