"""The procedure resolver component: trained from knowledge/content, kept in the model as JSON,
decides per message and explains its decision in the parse data; content changes change its
fingerprint (so Rasa's cache never serves a stale index)."""

from __future__ import annotations

import shutil

import pytest
import requests
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.procedure_resolver import ProcedureResolver
from knowledge.loader import CONTENT_DIR, load, read_content
from knowledge.procedure_index import AliasMatcher, ProcedureIndex
from knowledge.resolution import PARSE_KEY, Resolution, identify
from knowledge.store import open_store


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('knowledge') / 'knowledge.db'}"
    load(CONTENT_DIR, url=url)
    return open_store(url)


def parse(resolver: ProcedureResolver, text: str, entities: list[dict] | None = None) -> dict:
    message = Message.build(text)
    message.set("entities", entities or [])
    resolver.process([message])
    return message.as_dict(only_output_properties=True)


def test_the_loaded_resolver_explains_its_choice_in_the_parse_data(trained):
    resolver = ProcedureResolver.load(*trained)
    data = parse(resolver, "làm lại hộ chiếu bị mất")
    resolution = Resolution.from_dict(data[PARSE_KEY])
    assert resolution.decide().procedure_id == "passport"
    assert resolution.text_match == "passport" or resolution.keyword_choice == "passport"


def test_it_decides_as_the_knowledge_store_does(trained, real_store):
    """The model's index (from the content files) and the store's (from the database) agree."""
    resolver = ProcedureResolver.load(*trained)
    for text in ("doi bang lai xe", "my passport expired", "con tôi mới sinh", "đăng ký tạm trú", "thủ tục"):
        from_model = Resolution.from_dict(parse(resolver, text)[PARSE_KEY])
        message = {"text": text, "entities": []}
        assert from_model.decide() == identify(message, real_store)
        assert from_model.decide(search_text=False) == identify(message, real_store, search_text=False)


def test_entities_come_first(trained):
    resolver = ProcedureResolver.load(*trained)
    text = "lệ phí làm căn cước"
    entity = {"entity": "procedure", "value": "id-card", "start": 12, "end": 19}
    resolution = Resolution.from_dict(parse(resolver, text, [entity])[PARSE_KEY])
    assert resolution.named == ["id-card"] and resolution.decide(search_text=False).procedure_id == "id-card"


def test_content_changes_change_the_fingerprint(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    config = {**ProcedureResolver.get_default_config(), "content_dir": str(content)}
    before = ProcedureResolver.fingerprint_addon(config)
    assert ProcedureResolver.fingerprint_addon(config) == before
    passport = content / "procedures" / "passport.yml"
    passport.write_text(passport.read_text(encoding="utf-8") + "\n# reviewed again\n", encoding="utf-8")
    assert ProcedureResolver.fingerprint_addon(config) != before


def test_the_phrase_matcher_is_replaceable():
    class FirstAliasOnly(AliasMatcher):
        def find(self, text, limit=5):
            return super().find(text, 1)

    procedures = read_content(CONTENT_DIR).procedures
    index = ProcedureIndex.from_content(procedures, FirstAliasOnly)
    assert isinstance(index.matcher, FirstAliasOnly)
    assert len(index.find_procedures("đăng ký", limit=5)) <= 1
    assert ProcedureIndex.from_dict(index.to_dict()).to_dict() == index.to_dict()


def test_the_fingerprint_does_not_depend_on_where_the_content_is(tmp_path):
    first, second = tmp_path / "a" / "content", tmp_path / "b" / "elsewhere"
    shutil.copytree(CONTENT_DIR, first)
    shutil.copytree(CONTENT_DIR, second)
    config = ProcedureResolver.get_default_config()
    assert ProcedureResolver.fingerprint_addon({**config, "content_dir": str(first)}) == ProcedureResolver.fingerprint_addon(
        {**config, "content_dir": str(second)}
    )


SPACY_MATCHER = "knowledge.phrase_matcher.SpacyPhraseMatcher"


def test_the_spacy_matcher_option_explains_sentences_and_spans_in_the_parse_data(tmp_path):
    pytest.importorskip("spacy")
    storage = LocalModelStorage(tmp_path)
    resource = Resource("procedure_resolver")
    config = {**ProcedureResolver.get_default_config(), "matcher": SPACY_MATCHER}
    context = ExecutionContext(GraphSchema({}), "test")
    ProcedureResolver.create(config, storage, resource, context).train(TrainingData())
    resolver = ProcedureResolver.load(config, storage, resource, context)

    text = "Hộ chiếu của tôi vẫn còn hạn. Tôi mới thuê nhà ở đây, đăng ký tạm trú thế nào?"
    data = parse(resolver, text)
    explained = data[PARSE_KEY]["phrases"]
    assert explained["question"] == 1 and len(explained["sentences"]) == 2
    where = {span["procedure_id"]: span["sentence"] for span in explained["spans"]}
    assert where == {"passport": 0, "temporary-residence": 1}
    assert Resolution.from_dict(data[PARSE_KEY]).decide().procedure_id == "temporary-residence"


@pytest.mark.servers
def test_in_the_trained_pipeline_the_question_sentence_decides(assistant):
    """The real Rasa server with config.yml's pipeline: entity extraction, then the resolver with
    the configured (spaCy) matcher, explained in the parse data the actions read."""
    text = "Tôi bị mất ví có bằng lái xe và căn cước. Đã đổi bằng lái xe rồi. Giờ làm lại căn cước cần những gì?"
    response = requests.post(
        f"{assistant.rasa_url}/model/parse", json={"text": text}, timeout=60, headers={"Authorization": f"Bearer {assistant.token()}"}
    )
    response.raise_for_status()
    resolution = Resolution.from_dict(response.json()[PARSE_KEY])
    assert resolution.phrases["question"] == 2
    assert ("driving-licence-renewal", 0) in {(s["procedure_id"], s["sentence"]) for s in resolution.phrases["spans"]}
    assert resolution.decide().procedure_id == "id-card"
