"""The component: trained from the topics file, kept in the model, turns a near miss into
out_of_scope with the subject in the parse data; the topics file is part of its fingerprint."""

from __future__ import annotations

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import uncovered_subjects
from bot.nlu.uncovered_subjects import UncoveredSubjectClassifier
from knowledge.uncovered_subjects import LAW_QUESTION_KEY, PARSE_KEY, offered_on_decline


def loaded(tmp_path) -> UncoveredSubjectClassifier:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("uncovered_subjects")
    context = ExecutionContext(GraphSchema({}), "test")
    UncoveredSubjectClassifier.create({}, storage, resource, context).train(TrainingData())
    return UncoveredSubjectClassifier.load({}, storage, resource, context)


def parse(classifier: UncoveredSubjectClassifier, text: str, intent: str, entities: list[dict] | None = None) -> dict:
    message = Message.build(text)
    message.set("intent", {"name": intent, "confidence": 0.9}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": 0.9}, {"name": "out_of_scope", "confidence": 0.05}], add_to_output=True)
    message.set("entities", entities or [], add_to_output=True)
    classifier.process([message])
    return message.as_dict(only_output_properties=True)


def after_a_decline(classifier: UncoveredSubjectClassifier, text: str, resolution: dict, *also_ranked: tuple[str, float]) -> dict:
    """The parse data the component leaves on a message the intent classifier declined (out_of_scope
    first in the ranking, then `also_ranked`), with the resolver's `resolution` in the parse data."""
    message = Message.build(text)
    message.set("intent", {"name": "out_of_scope", "confidence": 0.95}, add_to_output=True)
    ranking = [("out_of_scope", 0.95), *also_ranked]
    message.set("intent_ranking", [{"name": name, "confidence": confidence} for name, confidence in ranking], add_to_output=True)
    message.set("procedure_resolution", resolution, add_to_output=True)
    classifier.process([message])
    return message.as_dict(only_output_properties=True)


def test_a_near_miss_becomes_out_of_scope_and_says_why(tmp_path):
    data = parse(loaded(tmp_path), "bán nhà có phải đóng thuế không", "ask_fee")
    assert data["intent"]["name"] == "out_of_scope"
    assert [i["name"] for i in data["intent_ranking"]] == ["out_of_scope", "ask_fee"]
    assert data[PARSE_KEY]["phrase"] == "đóng thuế"


def test_a_named_procedure_keeps_its_intent(tmp_path):
    text = "làm hộ chiếu xong mới xin visa được không"
    entity = {"entity": "procedure", "value": "passport", "start": 0, "end": 12}
    data = parse(loaded(tmp_path), text, "find_procedure", [entity])
    assert data["intent"]["name"] == "find_procedure"
    assert PARSE_KEY not in data


def test_other_messages_are_left_alone(tmp_path):
    data = parse(loaded(tmp_path), "đăng ký tạm trú cần giấy tờ gì", "ask_documents")
    assert data["intent"]["name"] == "ask_documents"


def test_the_topics_file_is_part_of_the_fingerprint(tmp_path, monkeypatch):
    before = UncoveredSubjectClassifier.fingerprint_addon({})
    changed = tmp_path / "topics.yml"
    changed.write_text(uncovered_subjects.TOPICS_FILE.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    monkeypatch.setattr(uncovered_subjects, "TOPICS_FILE", changed)
    assert UncoveredSubjectClassifier.fingerprint_addon({}) != before


def test_a_declined_message_that_names_a_procedure_and_no_subject_is_kept(tmp_path):
    text = "Chào luật sư, tôi muốn nhập hộ khẩu về nhà chồng thì cần gì?"
    resolution = {"named": ["permanent-residence"]}
    assert after_a_decline(loaded(tmp_path), text, resolution, ("greet", 0.03), ("ask_documents", 0.02))["intent"]["name"] == "ask_documents"


def test_a_declined_message_with_a_subject_stays_declined(tmp_path):
    text = "ly hôn xong có phải đăng ký thường trú lại không"
    assert after_a_decline(loaded(tmp_path), text, {"named": ["permanent-residence"]})["intent"]["name"] == "out_of_scope"


def test_a_subject_the_classifier_declined_is_recorded_so_nothing_inside_it_is_offered(tmp_path):
    text = "lam the tam tru cho nguoi nuoc ngoai o dau"
    # The phrase matcher reads "tam tru" inside the foreigner's card as temporary residence.
    resolution = {"named": [], "phrases": {"spans": [{"procedure_id": "temporary-residence", "start": 7, "end": 14}]}}
    data = after_a_decline(loaded(tmp_path), text, resolution)
    assert data["intent"]["name"] == "out_of_scope"
    assert data[PARSE_KEY]["phrase"] == "thẻ tạm trú"
    assert offered_on_decline(data) == []
    # Without the subject the same resolution would be offered.
    assert offered_on_decline({k: v for k, v in data.items() if k != PARSE_KEY}) == ["temporary-residence"]


def test_only_searches_for_a_procedure_are_declined(tmp_path):
    # "thời tiết" is an uncovered subject, but a thank-you is answered as one.
    data = parse(loaded(tmp_path), "cảm ơn nhé, thời tiết hôm nay đẹp quá", "thank")
    assert data["intent"]["name"] == "thank"


def test_a_question_about_the_law_around_a_named_procedure_is_declined_and_says_why(tmp_path):
    text = "Đăng ký khai sinh quá hạn bị xử phạt như thế nào?"
    entity = {"entity": "procedure", "value": "birth-registration", "start": 0, "end": len("Đăng ký khai sinh")}
    data = parse(loaded(tmp_path), text, "find_procedure", [entity])
    assert data["intent"]["name"] == "out_of_scope"
    assert data[LAW_QUESTION_KEY]["phrase"] == "xử phạt"


def test_a_declined_law_question_is_not_kept_for_the_procedure_it_names(tmp_path):
    text = "Tôi đăng ký tạm trú ở nhà bạn, nay hết hạn mà chưa gia hạn thì có bị phạt không?"
    resolution = {"named": ["temporary-residence"]}
    assert after_a_decline(loaded(tmp_path), text, resolution, ("find_procedure", 0.04))["intent"]["name"] == "out_of_scope"


def test_a_procedure_named_in_abbreviated_words_keeps_a_declined_message(tmp_path):
    # No entity (the lookup tables read the text as written), but the phrase matcher reads "CCCD" as
    # "căn cước công dân" and finds the id card in the question.
    text = "Sang năm tôi đủ 40 tuổi thì phải đổi lại thẻ CCCD. Vậy khi đổi có mất phí không?"
    resolution = {"named": [], "phrases": {"spans": [{"procedure_id": "id-card"}]}}
    assert after_a_decline(loaded(tmp_path), text, resolution, ("ask_fee", 0.01))["intent"]["name"] == "ask_fee"
