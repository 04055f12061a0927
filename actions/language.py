"""Custom slot mappings for the two slots every skill relies on: `language` and `procedure`.

Rasa runs `action_validate_slot_mappings` after every user message, before it predicts the
next action, so replies and actions always see the slots for the message just received.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from actions.clarification import keeps_choice
from actions.common import knowledge_store
from knowledge.names import Intent, Slot
from knowledge.resolution import PROCEDURE_INTENTS, Identification, resolution_of
from knowledge.text import detect_language, fold

LANGUAGES = ("vi", "en")

# Asked-for language in a switch request, matched on the folded text ("tiếng Anh" -> "tieng anh").
REQUESTED_LANGUAGE = [
    ("en", re.compile(r"\b(english|tieng anh|anh ngu)\b")),
    ("vi", re.compile(r"\b(vietnamese|tieng viet|viet ngu)\b")),
]

# A detected language replaces the current one only on a message with this many words:
# "ok", "passport" or a dossier code say little about the language someone writes in.
MIN_WORDS_TO_SWITCH = 3

# Intents that answer a question the assistant asked: a procedure word in them is never a switch.
ANSWER_INTENTS = frozenset({
    Intent.INFORM_HAVE_DOCUMENTS, Intent.INFORM_LOCATION, Intent.INFORM_DOSSIER_CODE, Intent.INFORM_PHONE,
    Intent.CHECK_DOSSIER_STATUS, Intent.WALKTHROUGH_NEXT, Intent.WALKTHROUGH_BACK, Intent.WALKTHROUGH_REPEAT,
    Intent.WALKTHROUGH_STUCK, Intent.WALKTHROUGH_RESUME,
})


def _latest_user_event(tracker: Tracker) -> dict:
    return next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})


def _intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def requested_language(text: str) -> Optional[str]:
    folded = fold(text)
    for language, pattern in REQUESTED_LANGUAGE:
        if pattern.search(folded):
            return language
    return None


def choose_language(text: str, metadata: dict, intent: Optional[str], current: Optional[str]) -> Optional[str]:
    """Widget toggle (metadata) > explicit switch request > what the message is written in."""
    if metadata.get("language") in LANGUAGES:
        return metadata["language"]
    if intent == Intent.SWITCH_LANGUAGE:
        return requested_language(text) or ("vi" if current == "en" else "en")
    detected = detect_language(text)
    if detected and (current not in LANGUAGES or len(text.split()) >= MIN_WORDS_TO_SWITCH):
        return detected
    return None


def _identified(tracker: Tracker, intent: Optional[str], current: Optional[str]) -> Identification:
    """The procedure the latest message points at, in the context of the procedure in the slot."""
    # A follow-up about the procedure in context switches only on a name or a confident alias.
    # The NLU component (bot/nlu/procedure_resolver.py) has resolved the message already.
    search_text = intent in PROCEDURE_INTENTS
    rank_keywords = intent == Intent.FIND_PROCEDURE or not current
    resolution = resolution_of(tracker.latest_message, knowledge_store(), search_text, rank_keywords)
    return resolution.decide(search_text, rank_keywords)


class ValidateSlotMappings(ValidationAction):
    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_language(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict[str, Any]) -> dict[str, Any]:
        event = _latest_user_event(tracker)
        current = tracker.get_slot(Slot.LANGUAGE)
        chosen = choose_language(event.get("text") or "", event.get("metadata") or {}, _intent(tracker), current)
        return {"language": chosen} if chosen and chosen != current else {}

    async def extract_procedure(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: dict[str, Any]) -> dict[str, Any]:
        intent = _intent(tracker)
        current = tracker.get_slot(Slot.PROCEDURE)
        if intent == Intent.OUT_OF_SCOPE:
            return {"procedure": None} if current else {}
        # In a form, a procedure word is incidental unless it comes with a procedure question.
        if intent in ANSWER_INTENTS or (tracker.active_loop.get("name") and intent not in PROCEDURE_INTENTS):
            return {}
        found = _identified(tracker, intent, current)
        if found.found:
            return {"procedure": found.procedure_id} if found.procedure_id != current else {}
        # Follow-up questions ("lệ phí bao nhiêu?") keep the procedure in context; a new search
        # that cannot pin one down clears it (a clarifying question follows).
        if intent == Intent.FIND_PROCEDURE and current:
            return {"procedure": None}
        return {}

    async def extract_procedure_choices(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: dict[str, Any]) -> dict[str, Any]:
        """The pending choice (actions/clarification.py) survives only a follow-up naming no procedure."""
        if not tracker.get_slot(Slot.PROCEDURE_CHOICES):
            return {}
        intent = _intent(tracker)
        chose = intent in PROCEDURE_INTENTS and _identified(tracker, intent, tracker.get_slot(Slot.PROCEDURE)).found
        return {} if keeps_choice(intent, chose) else {Slot.PROCEDURE_CHOICES: None}

    def validate_language(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: dict[str, Any]) -> dict[str, Any]:
        return {"language": value if value in LANGUAGES else "vi"}

    def validate_procedure(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: dict[str, Any]) -> dict[str, Any]:
        """The contract: the slot holds a catalogue id or nothing."""
        if value is None or knowledge_store().get_procedure(str(value)) is None:
            return {"procedure": None}
        return {"procedure": value}
