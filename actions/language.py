"""The reply language on the turns the NLU pipeline cannot see: button payloads.

Every typed message gets its `language` decision from the NLU component
bot/nlu/conversation_slots.py, without an action-server call. A payload ("/greet",
"/switch_language") skips the pipeline's output, yet the widget's greeting and language toggle are
payloads whose metadata carries the language: the slot mapping in domain/core.yml runs this action
for those two intents only, and only when the pipeline decided nothing.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge.conversation_slots import choose_language
from knowledge.names import Slot


class ActionLanguageOfPayload(Action):
    def name(self) -> str:
        return "action_language_of_payload"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        event: dict = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
        current = tracker.get_slot(Slot.LANGUAGE)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        chosen = choose_language(event.get("text") or "", event.get("metadata") or {}, intent, current)
        return [SlotSet(Slot.LANGUAGE, chosen)] if chosen and chosen != current else []
