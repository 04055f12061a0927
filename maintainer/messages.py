"""Citizens' messages, masked, with what the active model understood: the loop's one input.

`MessageSource` is the interface the inbox, the replay and the story export read from.
`TrackerStoreMessages` reads Rasa's SQL tracker store (the `events` table of
TRACKER_STORE_URL); the staff console's conversation index can implement the same two
methods and replace it without touching the loop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable, Optional, Protocol

import sqlalchemy as sa

from knowledge.personal_data import mask_personal_numbers
from knowledge.text import detect_language

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_default_ask_affirmation", "action_two_stage_fallback"})
HANDOFF_INTENT = "request_human"
LOW_RATING = 2
NOT_CONTENT = frozenset({HANDOFF_INTENT, "greet", "goodbye", "thank", "affirm", "deny", "give_feedback", "rate", "request_rating"})


@dataclass(frozen=True)
class CitizenMessage:
    """One message a citizen sent, masked, with what the model understood at the time."""

    conversation_id: str
    timestamp: float
    text: str
    intent: Optional[str]
    confidence: Optional[float]
    procedure: Optional[str] = None
    language: Optional[str] = None
    fell_back: bool = False  # nlu_fallback, or the assistant ran a fallback action for it
    before_handoff: bool = False  # the citizen asked for a person right after it
    before_low_rating: bool = False  # the last message before a rating of 1-2
    tags: tuple[str, ...] = field(default=())  # e.g. staff's "not understood" (from the console)


class MessageSource(Protocol):
    def recent_messages(self, limit: int) -> list[CitizenMessage]:
        """The `limit` most recent citizen messages, newest first, masked."""

    def conversation_events(self, conversation_id: str) -> list[dict]:
        """Every event of one conversation in order, as Rasa serialises them, masked."""


def _events_table() -> sa.Table:
    # The columns of Rasa's SQLTrackerStore (rasa/core/tracker_store.py, SQLEvent).
    return sa.Table(
        "events",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255)),
        sa.Column("type_name", sa.String(255)),
        sa.Column("timestamp", sa.Float),
        sa.Column("intent_name", sa.String(255)),
        sa.Column("action_name", sa.String(255)),
        sa.Column("data", sa.Text),
    )


class TrackerStoreMessages:
    """Reads the events table of Rasa's SQL tracker store (read-only)."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)
        self.events = _events_table()

    def _has_events(self) -> bool:
        return sa.inspect(self.engine).has_table("events")

    def recent_messages(self, limit: int) -> list[CitizenMessage]:
        if not self._has_events():
            return []
        events = self.events
        recent = (
            sa.select(events.c.id, events.c.sender_id)
            .where(events.c.type_name == "user")
            .order_by(events.c.timestamp.desc(), events.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as connection:
            wanted = {row.id: row.sender_id for row in connection.execute(recent)}
            senders = sorted(set(wanted.values()))
            by_sender: dict[str, list[dict]] = {}
            for chunk in _chunks(senders, 500):
                rows = connection.execute(
                    sa.select(events.c.id, events.c.sender_id, events.c.data).where(events.c.sender_id.in_(chunk)).order_by(events.c.id)
                )
                for row in rows:
                    event = json.loads(row.data)
                    event["_row_id"] = row.id
                    by_sender.setdefault(row.sender_id, []).append(event)
        messages = []
        for sender, conversation in by_sender.items():
            messages += [m for row_id, m in understood_messages(sender, conversation) if row_id in wanted]
        messages.sort(key=lambda m: m.timestamp, reverse=True)
        return messages

    def conversation_events(self, conversation_id: str) -> list[dict]:
        if not self._has_events():
            return []
        events = self.events
        query = sa.select(events.c.data).where(events.c.sender_id == conversation_id).order_by(events.c.id)
        with self.engine.connect() as connection:
            return [_masked(json.loads(row.data)) for row in connection.execute(query)]


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _masked(event: dict) -> dict:
    """Masks user text again on the way out: rows written before the masking store existed."""
    if event.get("event") == "user":
        event["text"] = mask_personal_numbers(event.get("text") or "")
        parse_data = event.get("parse_data") or {}
        if "text" in parse_data:
            parse_data["text"] = mask_personal_numbers(parse_data.get("text") or "")
    return event


def understood_messages(conversation_id: str, events: list[dict]) -> list[tuple[object, CitizenMessage]]:
    """(event's `_row_id`, message) for each user event, with what followed it in the conversation."""
    turns: list[dict] = []  # one per user message: the event and what the assistant did next
    language = None
    for event in events:
        kind = event.get("event")
        if kind == "user":
            turns.append({"event": _masked(event), "procedure": None, "fell_back": False, "language": language, "paused": False, "rating": None})
        elif kind == "slot" and event.get("name") == "language" and event.get("value"):
            language = event["value"]
            if turns:
                turns[-1]["language"] = language
        elif not turns:
            continue
        elif kind == "slot" and event.get("name") == "procedure" and event.get("value"):
            turns[-1]["procedure"] = event["value"]
        elif kind == "slot" and event.get("name") == "satisfaction_rating" and event.get("value") is not None:
            turns[-1]["rating"] = event["value"]
        elif kind == "action" and event.get("name") in FALLBACK_ACTIONS:
            turns[-1]["fell_back"] = True
        elif kind == "pause":
            turns[-1]["paused"] = True

    low_rated = set()  # the last content message before each rating of 1-2
    for index, turn in enumerate(turns):
        if turn["rating"] is not None and float(turn["rating"]) <= LOW_RATING:
            earlier = [i for i in range(index) if _is_content(turns[i]) and turns[i]["rating"] is None]
            low_rated.update(earlier[-1:])

    result = []
    for index, turn in enumerate(turns):
        event = turn["event"]
        parse_data = event.get("parse_data") or {}
        intent = parse_data.get("intent") or {}
        following = turns[index + 1] if index + 1 < len(turns) else None
        procedure = turn["procedure"] or next((e.get("value") for e in parse_data.get("entities") or [] if e.get("entity") == "procedure"), None)
        message = CitizenMessage(
            conversation_id=conversation_id,
            timestamp=float(event.get("timestamp") or 0),
            text=event.get("text") or "",
            intent=intent.get("name"),
            confidence=intent.get("confidence"),
            procedure=procedure,
            # The widget's toggle, else the slot the assistant set, else what the text itself says.
            language=(event.get("metadata") or {}).get("language") or turn["language"] or detect_language(event.get("text") or ""),
            fell_back=intent.get("name") == FALLBACK_INTENT or turn["fell_back"],
            before_handoff=_is_content(turn) and (turn["paused"] or (following is not None and _intent(following) == HANDOFF_INTENT)),
            before_low_rating=index in low_rated,
        )
        result.append((event.get("_row_id"), message))
    return result


def _intent(turn: dict) -> Optional[str]:
    return ((turn["event"].get("parse_data") or {}).get("intent") or {}).get("name")


def _is_content(turn: dict) -> bool:
    """A message that asks something (not a greeting, thanks, yes/no, rating or a request for a person)."""
    return _intent(turn) not in NOT_CONTENT
