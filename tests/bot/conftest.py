from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.procedure_resolver import ProcedureResolver


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The arguments of ProcedureResolver.load for a resolver trained on the product's content."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    resource = Resource("procedure_resolver")
    config = ProcedureResolver.get_default_config()
    context = ExecutionContext(GraphSchema({}), "test")
    ProcedureResolver.create(config, storage, resource, context).train(TrainingData())
    return config, storage, resource, context
