"""NLU component: decides once per message which catalogue procedure it is about.

Runs after the entity extractors and the synonym mapper (config.yml). At training time it reads
the procedures from knowledge/content (the same files the knowledge store is loaded from) and
keeps its index in the model as JSON; the content files are part of its fingerprint, so a content
change retrains it (and only it) instead of leaving a stale cached index. Per message it runs
`knowledge.resolution.resolve` and puts the result in the parse data under
`procedure_resolution`: what the named entities, the text search, the life events and the keyword
ranking each found. The actions (slot mapping, discovery, fallback) and the evaluation read that
instead of searching again.

It does not add `procedure` entities: entities are dialogue features and `rasa test` compares
them with the test stories, so adding some would change what the policies see. The actions read
the decision from `procedure_resolution`.

The phrase matcher is the `matcher` option's class (default `knowledge.procedure_index.AliasMatcher`);
any class with the same constructor and `find(text, limit)` can replace it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.model_files import files_digest, load_json, save_json
from knowledge.catalogue import CATALOGUE_FILE
from knowledge.loader import CONTENT_DIR, read_content
from knowledge.procedure_index import MatcherFactory, ProcedureIndex
from knowledge.resolution import PARSE_KEY, resolve

INDEX_FILE = "procedure_index.json"
# The code that turns content into the index and decides: part of the fingerprint too.
_CODE_FILES = [
    Path(importlib.import_module(name).__file__ or "")
    for name in ("knowledge.procedure_index", "knowledge.phrase_matcher", "knowledge.resolution", "knowledge.text", "knowledge.loader")
]


def _matcher_factory(path: str) -> MatcherFactory:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class ProcedureResolver(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # None: knowledge/content of this checkout (no absolute path in the model's fingerprint)
            "content_dir": None,
            "matcher": "knowledge.procedure_index.AliasMatcher",
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """The content files and this component's code: Rasa cannot see them in the training data."""
        content = Path(config.get("content_dir") or CONTENT_DIR)
        # Names relative to their folder: the same content gives the same fingerprint in any checkout.
        files = [(path.relative_to(content).as_posix(), path) for path in sorted(content.rglob("*.yml"))]
        files += [(path.name, path) for path in [CATALOGUE_FILE, *_CODE_FILES]]
        return files_digest(files)

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, index: Optional[ProcedureIndex] = None) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._index = index

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> "ProcedureResolver":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        content = read_content(self._config.get("content_dir") or CONTENT_DIR)
        index = ProcedureIndex.from_content(content.procedures, _matcher_factory(self._config["matcher"]))
        save_json(self._model_storage, self._resource, INDEX_FILE, index.to_dict())
        self._index = index
        return self._resource

    @classmethod
    def load(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext, **kwargs: Any
    ) -> "ProcedureResolver":
        index = ProcedureIndex.from_dict(load_json(model_storage, resource, INDEX_FILE), _matcher_factory(config["matcher"]))
        return cls(config, model_storage, resource, index)

    def process(self, messages: List[Message]) -> List[Message]:
        if self._index is None:
            return messages
        for message in messages:
            parse = {"text": message.get("text") or "", "entities": message.get("entities") or []}
            message.set(PARSE_KEY, resolve(parse, self._index).to_dict(), add_to_output=True)
        return messages
