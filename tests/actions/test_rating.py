"""action_record_rating: a valid 1-5 rating becomes a slot event; anything else asks again."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.rating import ActionRecordRating, parse_rating


def tracker_with(entities: list[dict]) -> Tracker:
    return Tracker(
        sender_id="test",
        slots={"language": "vi"},
        latest_message={"intent": {"name": "rate"}, "entities": entities, "text": "/rate"},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.mark.parametrize(
    "value, expected",
    [
        (5, 5),
        ("4", 4),
        (1.0, 1),
        ("3.0", 3),
        (0, None),
        (6, None),
        (4.5, None),
        ("năm", None),
        (None, None),
        ([], None),
    ],
)
def test_parse_rating(value, expected):
    assert parse_rating(value) == expected


@pytest.mark.parametrize(
    "rating, response", [(5, "utter_rating_thanks"), (3, "utter_rating_thanks"), (2, "utter_rating_sorry"), (1, "utter_rating_sorry")]
)
def test_a_rating_is_recorded_as_a_slot_event(rating, response):
    dispatcher = CollectingDispatcher()
    events = ActionRecordRating().run(dispatcher, tracker_with([{"entity": "rating", "value": rating}]), {})
    assert events == [{"event": "slot", "timestamp": None, "name": "satisfaction_rating", "value": float(rating)}]
    assert [m["response"] for m in dispatcher.messages] == [response]


@pytest.mark.parametrize("entities", [[], [{"entity": "rating", "value": 9}], [{"entity": "procedure", "value": "x"}]])
def test_without_a_valid_rating_the_buttons_are_offered_again(entities):
    dispatcher = CollectingDispatcher()
    assert ActionRecordRating().run(dispatcher, tracker_with(entities), {}) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_rating"]
