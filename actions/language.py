"""The two slots on the turns the NLU pipeline cannot see: button payloads.

Every typed message gets its `language` and `procedure` decisions from the NLU component
bot/nlu/conversation_slots.py, without an action-server call. A payload ("/greet") skips the
pipeline's output, yet the widget's greeting and language toggle are payloads whose metadata
carries the language, and the "no" of "did you mean …?" is `/out_of_scope`, which empties the
procedure in context. The slot mappings in domain/core.yml run this action on those intents only,
and only when the pipeline decided nothing.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge.conversation_slots import choose_language
from knowledge.names import Intent, Slot

LANGUAGE_PAYLOADS = (Intent.GREET, Intent.SWITCH_LANGUAGE)


class ActionSlotsOfPayload(Action):
    def name(self) -> str:
        return "action_slots_of_payload"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == Intent.OUT_OF_SCOPE:
            # The "no" of "did you mean …?": no procedure in context and no choice pending.
            return [SlotSet(slot, None) for slot in (Slot.PROCEDURE, Slot.PROCEDURE_CHOICES) if tracker.get_slot(slot)]
        if intent not in LANGUAGE_PAYLOADS:
            return []
        event: dict = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
        current = tracker.get_slot(Slot.LANGUAGE)
        chosen = choose_language(event.get("text") or "", event.get("metadata") or {}, intent, current)
        return [SlotSet(Slot.LANGUAGE, chosen)] if chosen and chosen != current else []
