"""Records the citizen's satisfaction rating as a slot event the staff side can count."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge.names import Entity, Slot

LOWEST_RATING, HIGHEST_RATING = 1, 5
# Ratings at or below this get an apology and a way to a person instead of a plain thank-you.
UNHAPPY_RATING = 2


def parse_rating(value: Any) -> Optional[int]:
    """A whole rating from 1 to 5, or None for anything else (missing, text, 4.5, 9)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not number.is_integer() or not LOWEST_RATING <= number <= HIGHEST_RATING:
        return None
    return int(number)


class ActionRecordRating(Action):
    def name(self) -> Text:
        return "action_record_rating"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        rating = parse_rating(next(tracker.get_latest_entity_values(Entity.RATING), None))
        if rating is None:
            dispatcher.utter_message(response="utter_ask_rating")
            return []
        dispatcher.utter_message(response="utter_rating_sorry" if rating <= UNHAPPY_RATING else "utter_rating_thanks")
        return [SlotSet(Slot.SATISFACTION_RATING, float(rating))]
