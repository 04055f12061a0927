"""Subjects no procedure answers (bot/nlu/out_of_scope_topics.yml `subjects`): found with or without
diacritics, never confused with a procedure's words, and yielding to a procedure the message names.
Questions about the law around a procedure (`law_questions`): found in the sentences that ask, and
yielding to any asking sentence about the procedure itself."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from knowledge.phrase_matcher import SpacyPhraseMatcher
from knowledge.uncovered_subjects import LawQuestions, UncoveredSubjects, declining_subject

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


@pytest.fixture(scope="module")
def law_questions() -> LawQuestions:
    return LawQuestions.from_topics(yaml.safe_load(TOPICS.read_text(encoding="utf-8")))


def law_cue(law_questions: LawQuestions, text: str, entities: list[dict] = ()) -> str | None:
    sentences = [vars(s) for s in SpacyPhraseMatcher([], []).analyse(text).sentences]
    found = law_questions.find(text, sentences, entities)
    return found.phrase if found else None


@pytest.mark.parametrize(
    "text, cue",
    [
        ("Đăng ký khai sinh quá hạn bị xử phạt như thế nào?", "xử phạt"),
        ("dang ky tam tru het han chua gia han thi co bi phat khong", "bị phạt"),
        # the story names the procedure, the question asks only about the law
        ("Tôi đăng ký tạm trú ở nhà bạn. Nay đã hết hạn mà chưa gia hạn thì có bị phạt không?", "bị phạt"),
        ("My girlfriend is 17. Is getting married a violation of the law?", "violation"),
    ],
)
def test_a_question_about_the_law_around_a_procedure_is_found(law_questions, text, cue):
    assert law_cue(law_questions, text) == cue


@pytest.mark.parametrize(
    "text",
    [
        # a law question next to a question about the procedure: the procedure is asked
        "Con tôi 5 tuổi chưa khai sinh, đăng ký muộn có bị phạt không? Cần chuẩn bị những giấy tờ gì?",
        # paying a fine is a procedure
        "bị phạt nguội thì nộp phạt ở đâu",
        "how do I pay a traffic camera penalty online",
        # a penalty told in the story, the question asks for the procedure
        "Công an nói nếu không đăng ký sẽ bị phạt. Giờ tôi cần mang gì đến đâu?",
        "đổi bằng lái xe hết bao lâu",
    ],
)
def test_questions_about_the_procedure_are_not_law_questions(law_questions, text):
    assert law_cue(law_questions, text) is None


def test_an_asking_sentence_that_names_the_procedure_keeps_the_message(law_questions):
    text = "Tôi có phải thông báo lưu trú? Nếu không thông báo thì có bị phạt không?"
    assert law_cue(law_questions, text) == "bị phạt"
    start = text.index("thông báo lưu trú")
    mention = {"entity": "procedure", "value": "stay-notification", "start": start, "end": start + len("thông báo lưu trú")}
    assert law_cue(law_questions, text, [mention]) is None


def test_a_procedure_said_only_inside_a_repeated_subject_is_not_named(subjects):
    text = "I want to know about the temporary residence card. What documents are needed for a temporary residence card?"
    mentions = [procedure(text, "temporary residence", "temporary-residence")]
    second = text.rindex("temporary residence")
    mentions.append({"entity": "procedure", "value": "temporary-residence", "start": second, "end": second + len("temporary residence")})
    assert declining_subject(subjects, text, mentions).phrase == "temporary residence card"
