"""Applies Rasa's streamed events to the conversation index.

Each event (as Rasa's event brokers publish it: the event's dict plus `sender_id`) is masked
again here, whatever its source, before anything is written: the index never holds a phone
or identity number even if a producer forgot to mask.
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from console.index.models import conversations, messages
from knowledge.personal_data import mask_data
from knowledge.text import nfc, strip_diacritics

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback"})
HANDOFF_INTENT = "request_human"
RATING_SLOT = "satisfaction_rating"
UNHAPPY_RATING = 2
# Actions not worth showing in a transcript.
QUIET_ACTIONS = frozenset({"action_listen", "action_session_start", "action_validate_slot_mappings"})


def low_confidence_threshold() -> float:
    return float(os.environ.get("CONSOLE_LOW_CONFIDENCE", "0.6"))


def fold_for_search(text: Optional[str]) -> str:
    """'Tạm TRÚ' -> 'tam tru': what the diacritic-insensitive search compares."""
    return strip_diacritics(nfc(text or "")).lower()


def apply_event(connection: Connection, event: dict[str, Any]) -> Optional[str]:
    """Records one event; returns the conversation id it touched (None for an unusable event)."""
    sender = event.get("sender_id")
    kind = event.get("event")
    if not sender or not kind:
        return None
    event = mask_data(event)
    timestamp = float(event.get("timestamp") or 0)
    conversation = _conversation(connection, sender, timestamp, event)
    changes: dict[str, Any] = {"last_event_at": max(timestamp, conversation["last_event_at"])}
    reasons: list[str] = []

    if kind == "user":
        parse = event.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        confidence = (parse.get("intent") or {}).get("confidence")
        procedure = next((e.get("value") for e in parse.get("entities") or [] if e.get("entity") == "procedure"), None)
        language = (event.get("metadata") or {}).get("language") or conversation["language"]
        _add_message(
            connection, sender, timestamp, "user", event.get("text"), intent=intent, confidence=confidence, procedure=procedure, language=language
        )
        changes["user_messages"] = conversation["user_messages"] + 1
        if language and not conversation["language"]:
            changes["language"] = language  # the widget's toggle; the `language` slot refines it
        if event.get("input_channel") and not conversation["channel"]:
            changes["channel"] = event["input_channel"]
        changes["ended_on_fallback"] = False
        if intent:
            changes["intents"] = _add_word(conversation["intents"], intent)
        if procedure:
            changes["procedures"] = _add_word(conversation["procedures"], procedure)
        if intent == FALLBACK_INTENT:
            changes["fallbacks"] = conversation["fallbacks"] + 1
            reasons.append("fallback")
        if confidence is not None and confidence < low_confidence_threshold():
            changes["low_confidence"] = conversation["low_confidence"] + 1
            current = conversation["min_confidence"]
            changes["min_confidence"] = confidence if current is None else min(current, confidence)
        if intent == HANDOFF_INTENT:
            changes["handoff_requested"] = True
            reasons.append("handoff")
    elif kind == "bot":
        metadata = event.get("metadata") or {}
        staff = metadata.get("staff_reply")
        buttons = (event.get("data") or {}).get("buttons")
        outcome = metadata.get("dossier_outcome")  # set by action_check_dossier
        if outcome:
            changes["dossier_outcome"] = outcome
            if outcome == "locked":
                reasons.append("lockout")
        # A reply without text or buttons is a widget signal ({"handoff": "waiting"}): nothing to read.
        if event.get("text") or buttons:
            _add_message(
                connection,
                sender,
                timestamp,
                "staff" if staff else "bot",
                event.get("text"),
                data={"buttons": buttons} if buttons else None,
                author=staff or None,
                language=conversation["language"],
            )
    elif kind == "action":
        name = event.get("name")
        if name and name not in QUIET_ACTIONS:
            _add_message(connection, sender, timestamp, "action", name)
        if name in FALLBACK_ACTIONS:
            changes["ended_on_fallback"] = True
            if name == "action_default_fallback":
                changes["fallbacks"] = conversation["fallbacks"] + 1
                reasons.append("fallback")
        if name == "action_request_human":
            changes["handoff_requested"] = True
            reasons.append("handoff")
    elif kind == "slot":
        _apply_slot(connection, sender, conversation, event, changes, reasons)
    elif kind in ("pause", "resume"):
        changes["paused"] = kind == "pause"
        _add_message(connection, sender, timestamp, "event", kind)

    if reasons and conversation["review_state"] != "reviewed":
        changes["review_state"] = "needs_review"
        changes["review_reasons"] = " ".join(sorted(set(conversation["review_reasons"].split()) | set(reasons)))
    connection.execute(update(conversations).where(conversations.c.id == sender).values(**changes))
    return sender


def _apply_slot(connection, sender, conversation, event, changes, reasons) -> None:
    name, value = event.get("name"), event.get("value")
    if name == "language" and value:
        changes["language"] = value
        _fill_latest_user_message(connection, sender, language=value)
    elif name == "procedure" and value:
        changes["procedures"] = _add_word(conversation["procedures"], value)
        _fill_latest_user_message(connection, sender, procedure=value)
    elif name == RATING_SLOT and value is not None:
        try:
            rating = int(float(value))
        except (TypeError, ValueError):
            return
        changes["rating"] = rating
        if rating <= UNHAPPY_RATING:
            reasons.append("low_rating")


def _conversation(connection: Connection, sender: str, timestamp: float, event: dict) -> dict:
    row = connection.execute(select(conversations).where(conversations.c.id == sender)).mappings().first()
    if row is not None:
        return dict(row)
    values = dict(
        id=sender,
        channel=event.get("input_channel"),
        language=None,
        started_at=timestamp,
        last_event_at=timestamp,
        user_messages=0,
        fallbacks=0,
        low_confidence=0,
        min_confidence=None,
        ended_on_fallback=False,
        handoff_requested=False,
        paused=False,
        rating=None,
        dossier_outcome=None,
        procedures="",
        intents="",
        review_state="new",
        review_reasons="",
    )
    connection.execute(insert(conversations).values(**values))
    return values


def _add_message(
    connection, sender, timestamp, kind, text, *, intent=None, confidence=None, procedure=None, language=None, data=None, author=None
) -> None:
    connection.execute(
        insert(messages).values(
            conversation_id=sender,
            timestamp=timestamp,
            kind=kind,
            text=text,
            folded_text=fold_for_search(text) if kind in ("user", "bot", "staff") else None,
            intent=intent,
            confidence=confidence,
            procedure=procedure,
            language=language,
            data=json.dumps(data, ensure_ascii=False) if data else None,
            author=author,
        )
    )


def _fill_latest_user_message(connection, sender: str, **values) -> None:
    """Slots set by the slot-mapping action describe the user message just before them."""
    latest = connection.execute(
        select(messages.c.id).where(messages.c.conversation_id == sender, messages.c.kind == "user").order_by(messages.c.id.desc()).limit(1)
    ).scalar()
    if latest is not None:
        connection.execute(update(messages).where(messages.c.id == latest).values(**values))


def _add_word(words: str, word: str) -> str:
    present = words.split()
    return words if word in present else f" {' '.join(present + [word])} "
