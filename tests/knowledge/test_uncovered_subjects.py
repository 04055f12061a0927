"""Subjects no procedure answers (bot/nlu/out_of_scope_topics.yml `subjects`): found with or without
diacritics, never confused with a procedure's words, and yielding to a procedure the message names."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from knowledge.uncovered_subjects import UncoveredSubjects, declining_subject

TOPICS = Path(__file__).resolve().parents[2] / "bot" / "nlu" / "out_of_scope_topics.yml"


@pytest.fixture(scope="module")
def subjects() -> UncoveredSubjects:
    return UncoveredSubjects.from_topics(yaml.safe_load(TOPICS.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("chị em tôi muốn chia thừa kế căn nhà của mẹ", "thừa kế"),
        ("chia thua ke nha cua me the nao", "thừa kế"),
        ("mua xe hơi cũ rồi sang tên thế nào", "xe hơi"),
        ("nộp thuế thu nhập cá nhân ở đâu", "nộp thuế"),  # the first at the earliest place
        ("Do I pay tax on the flat my parents gave me?", "tax"),
        ("cả xóm bị cúp điện từ trưa", "cúp điện"),
        ("where do I apply for a visa to Korea", "visa"),
    ],
)
def test_a_subject_is_found_as_written_or_folded(subjects, text, phrase):
    found = subjects.find(text)
    assert found is not None and found.phrase == phrase


@pytest.mark.parametrize(
    "text",
    [
        "thuê nhà ở Nha Trang thì đăng ký tạm trú thế nào",  # thuê (rent) is not thuế (tax)
        "thue nha o nha trang dang ky tam tru the nao",  # "thuế" phrases are looked for only as written
        "ở tổ dân phố 5 thì nộp hồ sơ ở đâu",  # "ở tổ" is not "ô tô"
        "how to register a birth",
        "chuyển hợp đồng điện sang tên mẹ",
    ],
)
def test_procedure_words_are_not_subjects(subjects, text):
    assert subjects.find(text) is None


def procedure(text: str, mention: str, value: str) -> dict:
    start = text.index(mention)
    return {"entity": "procedure", "value": value, "start": start, "end": start + len(mention)}


def test_a_procedure_named_beside_the_subject_keeps_the_message(subjects):
    text = "ly hôn rồi giờ muốn đăng ký kết hôn lại"
    assert declining_subject(subjects, text, [procedure(text, "đăng ký kết hôn", "marriage-registration")]) is None
    assert declining_subject(subjects, text, []).phrase == "ly hôn"


def test_a_mention_that_holds_the_subject_names_the_procedure(subjects):
    # The driving licence alias "đổi bằng lái ô tô" holds the subject "ô tô": a car licence is covered.
    text = "đổi bằng lái ô tô cần gì"
    assert declining_subject(subjects, text, [procedure(text, "đổi bằng lái ô tô", "driving-licence-renewal")]) is None


def test_a_mention_inside_the_subject_does_not(subjects):
    # "tạm trú" inside "thẻ tạm trú" (a foreigner's residence card) is not temporary residence registration.
    text = "làm thẻ tạm trú cho người nước ngoài"
    found = declining_subject(subjects, text, [procedure(text, "tạm trú", "temporary-residence")])
    assert found is not None and found.phrase == "thẻ tạm trú"


def test_it_round_trips_through_the_model(subjects):
    again = UncoveredSubjects.from_dict(subjects.to_dict())
    assert again.find("thuế đất năm nay") == subjects.find("thuế đất năm nay")
