"""The spaCy phrase matcher on the product's content: spellings, overlaps, sentences, and the
resolver's decision when a story names one procedure and the question another."""

from __future__ import annotations

import pytest

from knowledge.loader import CONTENT_DIR, read_content
from knowledge.phrase_matcher import SpacyPhraseMatcher
from knowledge.procedure_index import AliasMatcher, ProcedureIndex
from knowledge.resolution import Identification, Resolution, resolve

pytest.importorskip("spacy")


@pytest.fixture(scope="module")
def procedures():
    return read_content(CONTENT_DIR).procedures


@pytest.fixture(scope="module")
def index(procedures) -> ProcedureIndex:
    return ProcedureIndex.from_content(procedures, SpacyPhraseMatcher)


@pytest.fixture(scope="module")
def hand_written(procedures) -> ProcedureIndex:
    return ProcedureIndex.from_content(procedures)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("đổi giấy phép lái xe", "driving-licence-renewal"),
        ("doi giay phep lai xe", "driving-licence-renewal"),
        ("đổi gplx", "driving-licence-renewal"),
        ("cấp lại căn cước công dân", "id-card"),
        ("cap lai cccd", "id-card"),
        ("ĐĂNG KÝ KHAI SINH", "birth-registration"),
        ("dk tam tru", "temporary-residence"),
        ("renew my passport", "passport"),
    ],
)
def test_every_spelling_gives_the_same_span(index, text, expected):
    spans = index.matcher.analyse(text).spans
    assert expected in {span.procedure_id for span in spans}
    assert index.find_procedures(text)[0].procedure_id == expected


def test_spans_carry_their_position_in_the_message(index):
    text = "Cho em hỏi đổi gplx ở đâu"
    [span] = [s for s in index.matcher.analyse(text).spans if s.procedure_id == "driving-licence-renewal"]
    assert text[span.start : span.end].lower().endswith("gplx")


@pytest.mark.parametrize(
    "text, longest, inside",
    [
        ("tôi cần công chứng giấy khai sinh của con", "copy-certification", "birth-registration"),
        ("xin giay xac nhan chua ket hon o dau", "marital-status-certificate", "marriage-registration"),
    ],
)
def test_overlapping_aliases_the_longest_wins(index, hand_written, text, longest, inside):
    spans = index.matcher.analyse(text).spans
    assert [span.procedure_id for span in spans] == [longest]
    assert index.matcher.analyse(text).shadowed == (inside,)
    assert inside not in {match.procedure_id for match in index.find_procedures(text)}
    # The hand-written matcher scores the shorter alias inside it as well.
    assert inside in {match.procedure_id for match in hand_written.find_procedures(text)}


def test_the_sentencizer_finds_the_question_sentence(index):
    text = "Tôi mới chuyển nhà. Hộ chiếu vẫn còn hạn. Đăng ký tạm trú thế nào?"
    analysis = index.matcher.analyse(text)
    assert len(analysis.sentences) == 3
    assert analysis.question == 2
    assert text[analysis.sentences[2].start : analysis.sentences[2].end] == "Đăng ký tạm trú thế nào?"


def test_a_procedure_in_the_question_outweighs_one_in_the_story(index):
    text = "Hộ chiếu của tôi vẫn còn hạn. Tôi mới thuê nhà ở đây, đăng ký tạm trú thế nào?"
    scores = {m.procedure_id: m.score for m in index.find_procedures(text)}
    assert scores["temporary-residence"] > scores["passport"]
    # The same two procedures, the other way round.
    swapped = "Tôi vừa đăng ký tạm trú ở đây. Giờ làm hộ chiếu thế nào?"
    scores = {m.procedure_id: m.score for m in index.find_procedures(swapped)}
    assert scores["passport"] > scores["temporary-residence"]


def test_one_sentence_scores_as_the_hand_written_matcher(index, hand_written):
    for text in ("khai sinh", "cho tôi hỏi về giấy khai sinh cho con với", "lam lai cccd bi mat", "doi bang lai xe"):
        spacy_best = index.find_procedures(text)[0]
        hand_best = hand_written.find_procedures(text)[0]
        assert (spacy_best.procedure_id, spacy_best.score) == (hand_best.procedure_id, hand_best.score)


def test_the_resolver_lands_on_the_procedure_asked_about_not_the_one_in_the_story(index, hand_written):
    text = "Tôi bị mất ví có bằng lái xe và căn cước. Đã đổi bằng lái xe rồi. Giờ làm lại căn cước cần những gì?"
    licence, card = text.index("bằng lái xe"), text.rindex("căn cước")
    entities = [  # as the lookup-table entity extractor gives them
        {"entity": "procedure", "value": "driving-licence-renewal", "start": licence, "end": licence + 11},
        {"entity": "procedure", "value": "id-card", "start": card, "end": card + len("căn cước")},
    ]
    message = {"text": text, "entities": entities}
    resolution = resolve(message, index)
    assert resolution.asked == "id-card"
    assert resolution.decide() == Identification(procedure_id="id-card")
    # The explanation in the parse data: sentences, the question sentence, spans with positions.
    stored = Resolution.from_dict(resolution.to_dict())
    assert stored.phrases["question"] == 2
    assert {(s["procedure_id"], s["sentence"]) for s in stored.phrases["spans"]} >= {("driving-licence-renewal", 0), ("id-card", 2)}
    # Without sentences the longest mention comes first, with both offered.
    assert resolve(message, hand_written).decide().candidates == ["driving-licence-renewal", "id-card"]


@pytest.mark.parametrize(
    "text, lacking, said",
    [
        ("khong co giay khai sinh thi lam cccd the nao", "birth-registration", "giay khai sinh"),
        ("chưa có giấy khai sinh, làm thẻ CCCD cho con được không", "birth-registration", "giấy khai sinh"),
    ],
)
def test_a_missing_paper_the_only_entity_names_gives_way_to_what_the_phrase_matcher_finds_asked(index, text, lacking, said):
    # "cccd" is a document for the lookup tables, so the entities name only the paper the citizen lacks.
    start = text.index(said)
    message = {"text": text, "entities": [{"entity": "procedure", "value": lacking, "start": start, "end": start + len(said)}]}
    resolution = resolve(message, index)
    assert resolution.named == [lacking]
    assert resolution.mentioned() == [lacking, "id-card"]
    assert resolution.aside == [lacking]
    assert resolution.decide() == Identification(procedure_id="id-card")
    # Declined anyway, the message would be offered the card, not the paper it lacks.
    assert resolution.offered_on_decline() == ["id-card"]


def test_a_named_procedure_stays_when_the_phrase_matcher_finds_another_not_put_aside(index):
    # The card is a paper to bring here, not what is asked.
    text = "đăng ký khai sinh cho con thì bố mẹ có phải mang cccd không"
    start = text.index("đăng ký khai sinh")
    message = {"text": text, "entities": [{"entity": "procedure", "value": "birth-registration", "start": start, "end": start + 17}]}
    resolution = resolve(message, index)
    assert resolution.mentioned() == ["birth-registration", "id-card"]
    assert resolution.aside == []
    assert resolution.decide().procedure_id == "birth-registration"
    assert resolution.offered_on_decline() == ["birth-registration", "id-card"]


def test_a_word_written_with_another_tone_is_not_the_alias(index):
    # "báo tư vấn" folds to "bao tu van", which holds the death notice "báo tử"
    spans = index.explain_phrases("Nay tôi xin quý báo tư vấn giúp tôi cách để đòi được lương!")["spans"]
    assert "death-registration" not in {span["procedure_id"] for span in spans}


@pytest.mark.parametrize(
    "text",
    [
        "bố tôi mất, xin giấy báo tử ở đâu",  # as the alias writes it
        "bo toi mat, xin giay bao tu o dau",  # without diacritics
        "bố tôi mất, xin giấy báo tu ở đâu",  # one word without them
    ],
)
def test_the_alias_still_matches_with_its_tone_or_without_diacritics(index, text):
    assert "death-registration" in {span["procedure_id"] for span in index.explain_phrases(text)["spans"]}


def test_the_place_of_the_tone_mark_does_not_matter(index):
    # old and new placement: "xoá" and "xóa"
    for text in ("khai tử xóa thường trú cùng lúc", "khai tử xoá thường trú cùng lúc"):
        assert [span["procedure_id"] for span in index.explain_phrases(text)["spans"]] == ["death-bundle"], text


def test_a_message_without_words_has_no_spans(index):
    assert index.find_procedures("?!") == []
    assert index.explain_phrases("") == {"sentences": [], "question": None, "spans": [], "shadowed": []}


def test_the_hand_written_matcher_explains_nothing(hand_written):
    assert isinstance(hand_written.matcher, AliasMatcher) and hand_written.explain_phrases("đổi gplx") == {}


def test_english_nouns_and_participles_meet_their_verb():
    """ "copy certification" shares its words with "certified copies"; "registration" with "register"."""
    from knowledge.procedure_index import keywords

    assert "certify" in keywords("copy certification fee") & keywords("certified copies")
    assert "register" in keywords("registration of a marriage")


@pytest.mark.parametrize(
    "text, procedure_id",
    [
        ("Thẻ bảo hiểm y tế (BHYT) tự nguyện của tôi hết hạn rồi", "health-insurance-renewal"),
        ("the bao hiem y te (bhyt) tu nguyen het han", "health-insurance-renewal"),
    ],
)
def test_an_abbreviation_in_brackets_that_repeats_the_name_does_not_break_it(index, text, procedure_id):
    spans = index.explain_phrases(text)["spans"]
    assert procedure_id in {span["procedure_id"] for span in spans}


def test_a_bracket_that_does_not_repeat_the_words_before_it_stays():
    matcher = SpacyPhraseMatcher([("health-insurance-renewal", "bảo hiểm y tế tự nguyện", "bao hiem y te tu nguyen")], ["health-insurance-renewal"])
    assert len(matcher.analyse("thẻ bảo hiểm y tế (BHYT) tự nguyện").spans) == 1
    # "(BHYT)" after "bảo hiểm" repeats nothing: the bracket stays and the name is broken.
    assert matcher.analyse("thẻ bảo hiểm (BHYT) y tế tự nguyện").spans == ()
