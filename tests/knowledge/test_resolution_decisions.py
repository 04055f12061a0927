"""Questions where none is needed (issue 12, part 4): the resolver's decision on the product's own
content when a message names one procedure in the citizen's words, and the questions that stay
because the message really fits several procedures."""

from __future__ import annotations

import pytest

from knowledge.loader import CONTENT_DIR, read_content
from knowledge.procedure_index import ProcedureIndex
from knowledge.resolution import resolve


@pytest.fixture(scope="module")
def index() -> ProcedureIndex:
    return ProcedureIndex.from_content(read_content(CONTENT_DIR).procedures)


def message(text: str, **entities: str) -> dict:
    """A parsed message; each entity is given as `kind="value:words in the text"`."""
    found = []
    for kind, spec in entities.items():
        value, said = spec.split(":", 1)
        start = text.index(said)
        found.append({"entity": kind, "value": value, "start": start, "end": start + len(said)})
    return {"text": text, "entities": found}


@pytest.mark.parametrize(
    "text, life_event, expected",
    [
        ("muốn sang tên hợp đồng điện của nhà mới mua", "electricity:điện", "electricity-contract-change"),
        ("xin lắp công tơ cấp điện cho căn nhà mới xây", "electricity:điện", "electricity-connection"),
        ("mua xe máy rồi thì bấm biển số ở đâu", "vehicle:xe máy", "motorbike-registration"),
        ("sửa thông tin chủ đất trên sổ đỏ", "land:sổ đỏ", "land-title-change"),
    ],
)
def test_a_life_event_whose_words_single_out_one_procedure_lands_on_it(index, text, life_event, expected):
    found = resolve(message(text, life_event=life_event), index).decide()
    assert (found.procedure_id, found.candidates) == (expected, [])


def test_a_newborn_still_gets_the_choice_of_the_bundle_or_the_single_procedure(index):
    found = resolve(message("vợ tôi mới sinh em bé", life_event="newborn:sinh em bé"), index).decide()
    assert found.procedure_id is None
    assert found.candidates == ["birth-bundle", "birth-registration"]


def test_words_that_point_elsewhere_win_over_a_bundle_life_event(index):
    text = "bố mất rồi, muốn chuyển hóa đơn tiền điện sang tên mẹ"
    found = resolve(message(text, life_event="death-in-family:bố mất"), index).decide()
    assert found.procedure_id == "electricity-contract-change"


def test_a_short_mention_yields_to_what_the_rest_of_the_message_is_about(index):
    text = "sổ đỏ vẫn ghi số căn cước cũ, muốn cập nhật lên giấy chứng nhận quyền sử dụng đất"
    resolution = resolve(message(text, procedure="id-card:căn cước"), index)
    assert resolution.decide().procedure_id == "land-title-change"
    # A follow-up about the procedure in context does not rank keywords: the name stays.
    assert resolution.decide(search_text=True, rank_keywords=False).procedure_id == "id-card"


def test_a_named_procedure_stays_when_nothing_says_more_about_another(index):
    text = "làm lại căn cước bị mất cần giấy tờ gì"
    assert resolve(message(text, procedure="id-card:căn cước"), index).decide().procedure_id == "id-card"


def test_a_named_bundle_is_never_replaced_by_one_of_its_parts(index):
    text = "thủ tục liên thông khai tử cần giấy gì"
    found = resolve(message(text, procedure="death-bundle:liên thông khai tử"), index).decide()
    assert found.procedure_id == "death-bundle"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("health insurance cards for my household expire soon, how much to pay", "health-insurance-renewal"),
        ("insurance card for my newborn together with the birth certificate", "birth-bundle"),
    ],
)
def test_a_bundle_counts_only_when_the_words_say_clearly_more_about_it(index, text, expected):
    # The newborn bundle's long name shares "health insurance card" with the household renewal.
    found = resolve(message(text), index).decide()
    assert (found.procedure_id, found.candidates) == (expected, [])


def named(text: str, *mentions: tuple[str, str]) -> dict:
    """A parsed message naming several procedures: (catalogue id, words in the text) each."""
    found = []
    for value, said in mentions:
        start = text.index(said)
        found.append({"entity": "procedure", "value": value, "start": start, "end": start + len(said)})
    return {"text": text, "entities": found}


@pytest.mark.parametrize(
    "text, mentions, expected",
    [
        # a paper the citizen lacks
        (
            "Không có giấy khai sinh làm căn cước công dân thế nào?",
            [("birth-registration", "khai sinh"), ("id-card", "căn cước công dân")],
            "id-card",
        ),
        ("chua co giay khai sinh thi lam ho chieu cho con duoc khong", [("birth-registration", "khai sinh"), ("passport", "ho chieu")], "passport"),
        # a purpose
        (
            "Để được đăng ký kết hôn cần phải có giấy xác nhận tình trạng độc thân, xin ở đâu?",
            [("marriage-registration", "đăng ký kết hôn"), ("marital-status-certificate", "giấy xác nhận tình trạng độc thân")],
            "marital-status-certificate",
        ),
        (
            "How do I apply for a certificate of single status for marriage registration?",
            [("marital-status-certificate", "certificate of single status"), ("marriage-registration", "marriage registration")],
            "marital-status-certificate",
        ),
        # what has already happened
        (
            "Do I need to change my ID card after changing the household registration?",
            [("id-card", "ID card"), ("permanent-residence", "household registration")],
            "id-card",
        ),
    ],
)
def test_a_procedure_named_as_a_missing_paper_a_purpose_or_a_past_step_is_put_aside(index, text, mentions, expected):
    resolution = resolve(named(text, *mentions), index)
    assert resolution.decide().procedure_id == expected
    assert expected not in resolution.aside


@pytest.mark.parametrize(
    "text, mentions",
    [
        # "cần gì để làm hộ chiếu" asks for the passport: a bare "để" puts nothing aside
        ("làm căn cước xong thì cần gì để làm hộ chiếu", [("id-card", "căn cước"), ("passport", "hộ chiếu")]),
        # "for" before the first name of a clause is what the citizen wants
        ("documents for passport and id card", [("passport", "passport"), ("id-card", "id card")]),
    ],
)
def test_ordinary_words_before_a_name_put_nothing_aside(index, text, mentions):
    resolution = resolve(named(text, *mentions), index)
    assert resolution.aside == []
    assert resolution.decide().candidates == [pid for pid, _ in mentions]
