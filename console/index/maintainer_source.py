"""The maintainers' inbox over the console's conversation index (`maintainer.messages.MessageSource`).

When the console runs, the inbox reads the index instead of Rasa's tracker store: it knows what
staff learnt about a conversation (the "not understood" tag) besides what the events say (fallbacks,
a request for a person or a pause right after a message, a rating of 1-2). The index keeps no slot
events nor entity spans, so a conversation's events for a story export still come from the tracker
store (masked on the way out by `TrackerStoreMessages`).
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy.engine import Engine

from console.index import queries
from maintainer.inbox import NOT_UNDERSTOOD_TAG
from maintainer.messages import (
    FALLBACK_ACTIONS,
    FALLBACK_INTENT,
    HANDOFF_INTENT,
    LOW_RATING,
    NOT_CONTENT,
    CitizenMessage,
    TrackerStoreMessages,
)

# The console's tag names -> the maintainer's reasons.
TAG_REASONS = {"not_understood": NOT_UNDERSTOOD_TAG}


class ConsoleIndexMessages:
    """Citizen messages from the console's index (already masked at ingestion)."""

    def __init__(self, engine: Engine, tracker_store_url: Optional[str] = None) -> None:
        self.engine = engine
        self.tracker_store_url = tracker_store_url

    def recent_messages(self, limit: int) -> list[CitizenMessage]:
        with self.engine.connect() as connection:
            rows = queries.recent_citizen_messages(connection, limit)
        return [_citizen_message(row) for row in rows]

    def conversation_events(self, conversation_id: str) -> list[dict]:
        if not self.tracker_store_url:
            return []
        return TrackerStoreMessages(self.tracker_store_url).conversation_events(conversation_id)


def _citizen_message(row: dict) -> CitizenMessage:
    following = row["next_rows"]
    next_user = next((r for r in following if r["kind"] == "user"), None)
    low_rated = row["rating"] is not None and row["rating"] <= LOW_RATING
    content = [r for r in row["conversation_user_rows"] if r["intent"] not in NOT_CONTENT]
    return CitizenMessage(
        conversation_id=row["conversation_id"],
        timestamp=row["timestamp"],
        text=row["text"] or "",
        intent=row["intent"],
        confidence=row["confidence"],
        procedure=row["procedure"],
        language=row["language"],
        fell_back=row["intent"] == FALLBACK_INTENT or any(r["kind"] == "action" and r["text"] in FALLBACK_ACTIONS for r in following),
        before_handoff=row["intent"] not in NOT_CONTENT
        and (
            any(r["kind"] == "event" and r["text"] == "pause" for r in following) or (next_user is not None and next_user["intent"] == HANDOFF_INTENT)
        ),
        before_low_rating=low_rated and bool(content) and content[-1]["id"] == row["id"],
        tags=tuple(TAG_REASONS.get(tag, tag) for tag in row["tags"]),
    )
