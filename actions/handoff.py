"""Handing a conversation to a person of the support staff console (console/).

`action_request_human` queues the conversation in the console's index, tells the citizen their
position and the office hours (knowledge/content/common.yml, unless a supervisor changed them
in the console), marks the widget "waiting for a person" and pauses the assistant
(Rasa `pause`): from then on only staff answer, until the console hands it back (`resume`).
`action_default_fallback` (a second fallback in a row) offers the same.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.common import knowledge_store
from console.index import queries
from console.index.db import create_index_engine, migrate
from knowledge.personal_data import install_log_masking

logger = logging.getLogger(__name__)
# The action server logs requests when an action fails: never a citizen's number in clear.
install_log_masking()

WAITING = {"handoff": "waiting"}
ENDED = {"handoff": "ended"}

_engine = None
_engine_lock = threading.Lock()


def index_engine():
    """The console's index (CONSOLE_DATABASE_URL), migrated once per process."""
    global _engine
    with _engine_lock:
        if _engine is None:
            engine = create_index_engine()
            migrate(engine)
            _engine = engine
    return _engine


class ActionRequestHuman(Action):
    def name(self) -> Text:
        return "action_request_human"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        language = tracker.get_slot("language") or "vi"
        try:
            with index_engine().begin() as connection:
                position = queries.open_handoff(connection, tracker.sender_id, language)
                hours = queries.office_hours(connection, knowledge_store().office_hours())
        except Exception:  # noqa: BLE001 - no console: the support line is the way to a person
            logger.exception("handoff could not be queued")
            dispatcher.utter_message(response="utter_human_handoff")
            return []
        hours_text = hours["text"].get(language) or hours["text"]["vi"]
        response = "utter_handoff_queued" if queries.within_office_hours(hours) else "utter_handoff_queued_closed"
        dispatcher.utter_message(response=response, position=position, office_hours=hours_text)
        dispatcher.utter_message(json_message=WAITING)
        return [ConversationPaused()]


class ActionHandoffCancel(Action):
    """Reached only when the assistant is not paused: no request is pending any more."""

    def name(self) -> Text:
        return "action_handoff_cancel"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_handoff_cancelled")
        dispatcher.utter_message(json_message=ENDED)
        return []


class ActionDefaultFallback(Action):
    """Rasa's default fallback (say so, forget the message), plus the offer of a person."""

    def name(self) -> Text:
        return "action_default_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_default")
        dispatcher.utter_message(response="utter_offer_human")
        return [UserUtteranceReverted()]
