"""The procedure resolver component: trained from knowledge/content, kept in the model as JSON,
decides per message and explains its decision in the parse data; content changes change its
fingerprint (so Rasa's cache never serves a stale index)."""
from __future__ import annotations

import shutil

import pytest
from rasa.shared.nlu.training_data.message import Message

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
    assert ProcedureResolver.fingerprint_addon({**config, "content_dir": str(first)}) == \
        ProcedureResolver.fingerprint_addon({**config, "content_dir": str(second)})
