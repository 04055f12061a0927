"""NLU component: decides what a message changes in the `language` and `procedure` slots, and
whether a pending choice between procedures (`procedure_choices`) is over.

Runs last in the pipeline (config.yml), after the intent classifiers, the procedure resolver and
the fallback classifier. Rasa hands an NLU component's `process` the live conversation tracker when
it asks for one (a `tracker` parameter), so the decision sees the current slots and the active form
without an action-server call; it is emitted as entities (`language`, `procedure_id`, `procedure_choices`) that the
slot mappings in domain/core.yml read with `from_entity`. An entity with value None empties the
slot. The rules themselves are in knowledge/conversation_slots.py.

A message parsed outside a conversation (`rasa test`, `/model/parse`, the evaluation) gets no such
entity: there are no slots to change, and the conversation tests compare entities with their stories.
Button payloads ("/ask_fee{...}") skip the pipeline's output: they carry `procedure_id` themselves
(actions/common.py `naming`), and the few that need the conversation (the widget's greeting and
language toggle, the "no" of "did you mean …?") go to actions/language.py through the slot mappings.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from knowledge.conversation_slots import choose_language, choose_procedure, keeps_pending_choice
from knowledge.names import Entity, Slot
from knowledge.resolution import PARSE_KEY, Resolution


def _entity(name: str, value: Optional[str]) -> dict:
    # No span (start == end): the value is a decision about the whole message, not a word in it, so
    # span-based readers (the story exporter in maintainer/stories.py) never annotate the text with it.
    return {"entity": name, "value": value, "start": 0, "end": 0, "extractor": "ConversationSlots"}


def slot_entities(message: Message, tracker: DialogueStateTracker) -> list[dict]:
    """The entities that set the two slots for this message in this conversation."""
    text = message.get("text") or ""
    intent = (message.get("intent") or {}).get("name")
    entities = []
    current_language = tracker.get_slot(Slot.LANGUAGE)
    language = choose_language(text, message.get("metadata") or {}, intent, current_language)
    if language and language != current_language:
        entities.append(_entity(Entity.LANGUAGE, language))
    stored = message.get(PARSE_KEY)
    resolution = Resolution.from_dict(stored) if stored else None
    if tracker.get_slot(Slot.PROCEDURE_CHOICES) and not keeps_pending_choice(intent, tracker.get_slot(Slot.PROCEDURE), resolution):
        entities.append(_entity(Entity.PROCEDURE_CHOICES, None))
    if resolution is not None:
        change = choose_procedure(intent, tracker.get_slot(Slot.PROCEDURE), tracker.active_loop_name is not None, resolution)
        if change.changes:
            entities.append(_entity(Entity.PROCEDURE_ID, change.procedure_id))
    return entities


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class ConversationSlots(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ConversationSlots":
        return cls()

    def process(self, messages: List[Message], tracker: DialogueStateTracker) -> List[Message]:
        if not tracker.events:  # parsed outside a conversation
            return messages
        for message in messages:
            added = slot_entities(message, tracker)
            if added:
                message.set("entities", [*(message.get("entities") or []), *added], add_to_output=True)
        return messages
