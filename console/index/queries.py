"""The conversation index's interface: every read and write the console (and later tools) make.

Each function takes an SQLAlchemy connection (inside the caller's transaction) and returns plain
dicts, so callers never build SQL on these tables themselves.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from sqlalchemy import and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from console.index.ingest import fold_for_search, low_confidence_threshold
from console.index.models import accounts, audit, conversations, feed_positions, handoffs, messages, notes, settings, tags
from knowledge.types import OfficeHours

REVIEW_STATES = ("new", "needs_review", "reviewed")
ROLES = ("staff", "maintainer", "supervisor")  # maintainers: the model pages; supervisors: everything
TAGS = ("wrong_answer", "missing_content", "not_understood", "success")
OPEN_HANDOFF = ("waiting", "taken")


def now() -> float:
    return time.time()


# --------------------------------------------------------------------------- conversations


@dataclass
class ConversationFilter:
    date_from: Optional[str] = None  # YYYY-MM-DD (Vietnam time)
    date_to: Optional[str] = None
    language: Optional[str] = None
    channel: Optional[str] = None
    procedure: Optional[str] = None
    intent: Optional[str] = None
    fallback: bool = False
    low_confidence: bool = False
    handoff: bool = False
    rating: Optional[int] = None
    dossier_outcome: Optional[str] = None
    tag: Optional[str] = None
    review_state: Optional[str] = None
    text: Optional[str] = None

    @classmethod
    def from_query(cls, query) -> "ConversationFilter":
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = (query.get(field.name) or "").strip()
            if not raw:
                continue
            if field.type == "bool":
                values[field.name] = raw in ("1", "on", "true")
            elif field.name == "rating":
                values[field.name] = int(raw) if raw.isdigit() else None
            else:
                values[field.name] = raw
        return cls(**values)

    def as_query(self, **override) -> dict[str, str]:
        values = {f.name: getattr(self, f.name) for f in fields(self)} | override
        return {k: ("1" if v is True else str(v)) for k, v in values.items() if v not in (None, False, "")}


# Days are Vietnam's (UTC+7): a filter "from 2026-11-28" starts at local midnight.
LOCAL_TIME = timezone(timedelta(hours=7))


def _day_start(day: str) -> float:
    return datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=LOCAL_TIME).timestamp()


def _conditions(f: ConversationFilter) -> list:
    c = conversations.c
    conditions = []
    if f.date_from:
        conditions.append(c.last_event_at >= _day_start(f.date_from))
    if f.date_to:
        conditions.append(c.started_at < _day_start(f.date_to) + 86400)
    if f.language:
        conditions.append(c.language == f.language)
    if f.channel:
        conditions.append(c.channel == f.channel)
    if f.procedure:
        conditions.append(c.procedures.like(f"% {f.procedure} %"))
    if f.intent:
        conditions.append(c.intents.like(f"% {f.intent} %"))
    if f.fallback:
        conditions.append(c.fallbacks > 0)
    if f.low_confidence:
        conditions.append(c.low_confidence > 0)
    if f.handoff:
        conditions.append(c.handoff_requested.is_(True))
    if f.rating:
        conditions.append(c.rating == f.rating)
    if f.dossier_outcome:
        conditions.append(c.dossier_outcome == f.dossier_outcome)
    if f.review_state:
        conditions.append(c.review_state == f.review_state)
    if f.tag:
        conditions.append(exists().where(and_(tags.c.conversation_id == c.id, tags.c.tag == f.tag)))
    if f.text:
        needle = fold_for_search(f.text).replace("%", "").replace("_", "")
        conditions.append(exists().where(and_(messages.c.conversation_id == c.id, messages.c.folded_text.like(f"%{needle}%"))))
    return conditions


def list_conversations(connection: Connection, f: ConversationFilter, page: int = 1, per_page: int = 25) -> tuple[list[dict], int]:
    """One page of conversations matching `f`, newest first, and the number matching."""
    conditions = _conditions(f)
    total = connection.execute(select(func.count()).select_from(conversations).where(*conditions)).scalar()
    rows = (
        connection.execute(
            select(conversations)
            .where(*conditions)
            .order_by(conversations.c.last_event_at.desc())
            .limit(per_page)
            .offset((max(page, 1) - 1) * per_page)
        )
        .mappings()
        .all()
    )
    return [dict(row) for row in rows], total


def facet_counts(connection: Connection, f: ConversationFilter) -> dict[str, int]:
    """How many conversations each quick filter would leave, on top of the current ones."""
    counts = {}
    overrides: dict[str, dict[str, Any]] = {
        "fallback": {"fallback": True},
        "low_confidence": {"low_confidence": True},
        "handoff": {"handoff": True},
        **{state: {"review_state": state} for state in REVIEW_STATES},
    }
    for name, override in overrides.items():
        narrowed = ConversationFilter(**{**f.__dict__, **override})
        counts[name] = connection.execute(select(func.count()).select_from(conversations).where(*_conditions(narrowed))).scalar()
    return counts


def filter_choices(connection: Connection) -> dict[str, list[str]]:
    """Values seen in the index, for the filter drop-downs."""

    def distinct(column) -> list[str]:
        return sorted(v for (v,) in connection.execute(select(column).distinct()) if v)

    words = lambda column: sorted({w for (v,) in connection.execute(select(column).distinct()) for w in (v or "").split()})
    return {
        "language": distinct(conversations.c.language),
        "channel": distinct(conversations.c.channel),
        "procedure": words(conversations.c.procedures),
        "intent": words(conversations.c.intents),
        "dossier_outcome": distinct(conversations.c.dossier_outcome),
    }


def get_conversation(connection: Connection, conversation_id: str) -> Optional[dict]:
    row = connection.execute(select(conversations).where(conversations.c.id == conversation_id)).mappings().first()
    return dict(row) if row else None


def conversation_messages(connection: Connection, conversation_id: str, after_id: int = 0) -> list[dict]:
    rows = (
        connection.execute(select(messages).where(messages.c.conversation_id == conversation_id, messages.c.id > after_id).order_by(messages.c.id))
        .mappings()
        .all()
    )
    result = []
    for row in rows:
        item = dict(row)
        item["data"] = json.loads(item["data"]) if item["data"] else {}
        result.append(item)
    return result


def conversation_tags(connection: Connection, conversation_id: str) -> list[dict]:
    rows = connection.execute(select(tags).where(tags.c.conversation_id == conversation_id).order_by(tags.c.id))
    return [dict(row) for row in rows.mappings()]


def conversation_notes(connection: Connection, conversation_id: str) -> list[dict]:
    rows = connection.execute(select(notes).where(notes.c.conversation_id == conversation_id).order_by(notes.c.id))
    return [dict(row) for row in rows.mappings()]


def add_tag(connection: Connection, conversation_id: str, tag: str, by: str) -> bool:
    if tag not in TAGS or any(t["tag"] == tag for t in conversation_tags(connection, conversation_id)):
        return False
    connection.execute(insert(tags).values(conversation_id=conversation_id, tag=tag, created_by=by, created_at=now()))
    return True


def remove_tag(connection: Connection, conversation_id: str, tag: str) -> None:
    connection.execute(delete(tags).where(tags.c.conversation_id == conversation_id, tags.c.tag == tag))


def add_note(connection: Connection, conversation_id: str, text: str, by: str) -> None:
    connection.execute(insert(notes).values(conversation_id=conversation_id, author=by, text=text, created_at=now()))


def set_review_state(connection: Connection, conversation_id: str, state: str, by: str) -> None:
    if state not in REVIEW_STATES:
        raise ValueError(state)
    connection.execute(
        update(conversations)
        .where(conversations.c.id == conversation_id)
        .values(review_state=state, reviewed_by=by if state == "reviewed" else None, reviewed_at=now() if state == "reviewed" else None)
    )


# --------------------------------------------------------------------------- handoffs


def open_handoff(connection: Connection, conversation_id: str, language: Optional[str] = None) -> int:
    """Puts the conversation in the queue (once) and returns its position among those waiting."""
    current = (
        connection.execute(select(handoffs).where(handoffs.c.conversation_id == conversation_id, handoffs.c.status.in_(OPEN_HANDOFF)))
        .mappings()
        .first()
    )
    if current is None:
        connection.execute(
            insert(handoffs).values(conversation_id=conversation_id, status="waiting", language=language, requested_at=now(), timeout_notified=False)
        )
    return queue_position(connection, conversation_id)


def queue_position(connection: Connection, conversation_id: str) -> int:
    mine = connection.execute(select(handoffs.c.id).where(handoffs.c.conversation_id == conversation_id, handoffs.c.status == "waiting")).scalar()
    if mine is None:
        return 0
    return connection.execute(select(func.count()).select_from(handoffs).where(handoffs.c.status == "waiting", handoffs.c.id <= mine)).scalar()


def open_handoffs(connection: Connection) -> list[dict]:
    """The live queue: waiting and taken handoffs, oldest first, with the last citizen message."""
    rows = connection.execute(select(handoffs).where(handoffs.c.status.in_(OPEN_HANDOFF)).order_by(handoffs.c.id)).mappings().all()
    result = []
    for row in rows:
        item = dict(row)
        item["last_message"] = connection.execute(
            select(messages.c.text)
            .where(messages.c.conversation_id == row["conversation_id"], messages.c.kind == "user")
            .order_by(messages.c.id.desc())
            .limit(1)
        ).scalar()
        result.append(item)
    return result


def get_handoff(connection: Connection, handoff_id: int) -> Optional[dict]:
    row = connection.execute(select(handoffs).where(handoffs.c.id == handoff_id)).mappings().first()
    return dict(row) if row else None


def current_handoff(connection: Connection, conversation_id: str) -> Optional[dict]:
    row = (
        connection.execute(
            select(handoffs).where(handoffs.c.conversation_id == conversation_id, handoffs.c.status.in_(OPEN_HANDOFF)).order_by(handoffs.c.id.desc())
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def take_handoff(connection: Connection, handoff_id: int, staff: str) -> bool:
    """True for exactly one of several staff taking the same handoff: a conditional update."""
    result = connection.execute(
        update(handoffs).where(handoffs.c.id == handoff_id, handoffs.c.status == "waiting").values(status="taken", taken_by=staff, taken_at=now())
    )
    return result.rowcount == 1


def end_handoff(connection: Connection, handoff_id: int, status: str) -> Optional[dict]:
    """Marks an open handoff returned, closed or cancelled; returns it, or None if it was not open."""
    assert status in ("returned", "closed", "cancelled")
    result = connection.execute(
        update(handoffs).where(handoffs.c.id == handoff_id, handoffs.c.status.in_(OPEN_HANDOFF)).values(status=status, ended_at=now())
    )
    if result.rowcount != 1:
        return None
    return dict(connection.execute(select(handoffs).where(handoffs.c.id == handoff_id)).mappings().one())


def unanswered_handoffs(connection: Connection, older_than: float) -> list[dict]:
    """Waiting handoffs nobody took within `older_than` seconds whose citizen was not told yet."""
    rows = (
        connection.execute(
            select(handoffs).where(
                handoffs.c.status == "waiting", handoffs.c.timeout_notified.is_(False), handoffs.c.requested_at <= now() - older_than
            )
        )
        .mappings()
        .all()
    )
    return [dict(row) for row in rows]


def mark_timeout_notified(connection: Connection, handoff_id: int) -> bool:
    result = connection.execute(
        update(handoffs).where(handoffs.c.id == handoff_id, handoffs.c.timeout_notified.is_(False)).values(timeout_notified=True)
    )
    return result.rowcount == 1


# --------------------------------------------------------------------------- settings


def get_setting(connection: Connection, key: str, default: Any) -> Any:
    value = connection.execute(select(settings.c.value).where(settings.c.key == key)).scalar()
    return json.loads(value) if value is not None else default


def set_setting(connection: Connection, key: str, value: Any) -> None:
    encoded = json.dumps(value, ensure_ascii=False)
    if connection.execute(update(settings).where(settings.c.key == key).values(value=encoded)).rowcount == 0:
        connection.execute(insert(settings).values(key=key, value=encoded))


def clear_setting(connection: Connection, key: str) -> None:
    connection.execute(delete(settings).where(settings.c.key == key))


def office_hours_setting(hours: OfficeHours) -> dict:
    """The content's office hours (knowledge/content/common.yml) in the form supervisors edit."""
    return {
        "timezone_offset_hours": hours.timezone_offset_hours,
        "days": list(hours.days),
        "periods": [list(period) for period in hours.periods],
        "text": {"vi": hours.text.vi, "en": hours.text.en},
    }


def office_hours(connection: Connection, content_hours: Optional[OfficeHours]) -> dict:
    """A supervisor's override (the console's `office_hours` setting), else the content's office hours."""
    override = get_setting(connection, "office_hours", None)
    if override is not None:
        return override
    if content_hours is None:
        raise LookupError("the knowledge store has no office hours: run `python -m knowledge load`")
    return office_hours_setting(content_hours)


def within_office_hours(hours: dict, moment: Optional[float] = None) -> bool:
    local = datetime.fromtimestamp((moment or now()) + hours["timezone_offset_hours"] * 3600, tz=timezone.utc)
    if local.weekday() not in hours["days"]:
        return False
    clock = local.strftime("%H:%M")
    return any(start <= clock < end for start, end in hours["periods"])


# --------------------------------------------------------------------------- accounts and audit


def find_account(connection: Connection, username: str) -> Optional[dict]:
    row = connection.execute(select(accounts).where(accounts.c.username == username)).mappings().first()
    return dict(row) if row else None


def list_accounts(connection: Connection) -> list[dict]:
    return [dict(r) for r in connection.execute(select(accounts).order_by(accounts.c.username)).mappings()]


def count_accounts(connection: Connection) -> int:
    return connection.execute(select(func.count()).select_from(accounts)).scalar()


def create_account(connection: Connection, username: str, password_hash: str, role: str, must_change_password: bool = False) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    connection.execute(
        insert(accounts).values(
            username=username,
            password_hash=password_hash,
            role=role,
            active=True,
            must_change_password=must_change_password,
            created_at=now(),
            failed_signins=0,
        )
    )


def update_account(connection: Connection, username: str, **values) -> None:
    connection.execute(update(accounts).where(accounts.c.username == username).values(**values))


def record_audit(connection: Connection, actor: Optional[str], action: str, target: Optional[str] = None, detail: Optional[str] = None) -> None:
    connection.execute(insert(audit).values(at=now(), actor=actor, action=action, target=target, detail=detail))


def audit_entries(connection: Connection, limit: int = 200) -> list[dict]:
    return [dict(r) for r in connection.execute(select(audit).order_by(audit.c.id.desc()).limit(limit)).mappings()]


# --------------------------------------------------------------------------- feed positions


def feed_position(connection: Connection, source: str) -> int:
    return connection.execute(select(feed_positions.c.position).where(feed_positions.c.source == source)).scalar() or 0


def set_feed_position(connection: Connection, source: str, position: int) -> None:
    if connection.execute(update(feed_positions).where(feed_positions.c.source == source).values(position=position)).rowcount == 0:
        connection.execute(insert(feed_positions).values(source=source, position=position))


# --------------------------------------------------------------------------- overview


def overview(connection: Connection, f: ConversationFilter) -> dict[str, Any]:
    """Supervisor figures over the conversations matching `f` (usually a date range)."""
    rows = connection.execute(select(conversations).where(*_conditions(f))).mappings().all()
    total = len(rows)
    per_day = Counter(datetime.fromtimestamp(r["started_at"], tz=LOCAL_TIME).strftime("%Y-%m-%d") for r in rows)
    handed = [r for r in rows if r["handoff_requested"]]
    contained = [r for r in rows if not r["handoff_requested"] and not r["ended_on_fallback"]]
    with_fallback = [r for r in rows if r["fallbacks"]]
    ratings = Counter(r["rating"] for r in rows if r["rating"])
    procedures = Counter(p for r in rows for p in r["procedures"].split())
    ids = [r["id"] for r in rows]
    waits = [
        h["taken_at"] - h["requested_at"]
        for h in connection.execute(select(handoffs).where(handoffs.c.taken_at.is_not(None))).mappings()
        if h["conversation_id"] in set(ids)
    ]
    not_understood: Counter = Counter()
    examples: dict[str, str] = {}
    if ids:
        misunderstood = select(messages.c.text, messages.c.folded_text).where(
            messages.c.kind == "user",
            messages.c.conversation_id.in_(ids),
            or_(messages.c.intent == "nlu_fallback", messages.c.confidence < low_confidence_threshold()),
        )
        for text, folded in connection.execute(misunderstood):
            key = " ".join((folded or "").split())
            not_understood[key] += 1
            examples.setdefault(key, text)
    rating_count = sum(ratings.values())
    return {
        "total": total,
        "per_day": sorted(per_day.items()),
        "containment": len(contained) / total if total else None,
        "fallback_rate": len(with_fallback) / total if total else None,
        "handoff_rate": len(handed) / total if total else None,
        "median_wait_seconds": statistics.median(waits) if waits else None,
        "rating_average": sum(k * v for k, v in ratings.items()) / rating_count if rating_count else None,
        "rating_distribution": [(k, ratings.get(k, 0)) for k in range(1, 6)],
        "top_procedures": procedures.most_common(10),
        "not_understood": [(examples[k], k, n) for k, n in not_understood.most_common(10)],
    }


# --------------------------------------------------------------------------- the maintainers' inbox


def recent_citizen_messages(connection: Connection, limit: int) -> list[dict]:
    """The `limit` most recent user messages, newest first, each with what the index knows around it:
    `next_rows` (the conversation's rows after it, up to the next user message), the conversation's
    `rating`, `tags` and whether it is the conversation's `last_content` message before its rating."""
    recent = (
        connection.execute(select(messages).where(messages.c.kind == "user").order_by(messages.c.timestamp.desc(), messages.c.id.desc()).limit(limit))
        .mappings()
        .all()
    )
    conversation_ids = sorted({row["conversation_id"] for row in recent})
    rows_by_conversation: dict[str, list[dict]] = {}
    ratings: dict[str, Optional[int]] = {}
    tags_by_conversation: dict[str, list[str]] = {}
    for start in range(0, len(conversation_ids), 500):
        chunk = conversation_ids[start : start + 500]
        for row in connection.execute(select(messages).where(messages.c.conversation_id.in_(chunk)).order_by(messages.c.id)).mappings():
            rows_by_conversation.setdefault(row["conversation_id"], []).append(dict(row))
        for row in connection.execute(select(conversations.c.id, conversations.c.rating).where(conversations.c.id.in_(chunk))):
            ratings[row.id] = row.rating
        for row in connection.execute(select(tags.c.conversation_id, tags.c.tag).where(tags.c.conversation_id.in_(chunk))):
            tags_by_conversation.setdefault(row.conversation_id, []).append(row.tag)
    result = []
    for message in recent:
        rows = rows_by_conversation.get(message["conversation_id"], [])
        position = next((i for i, row in enumerate(rows) if row["id"] == message["id"]), len(rows))
        following = []
        for row in rows[position + 1 :]:
            following.append(row)
            if row["kind"] == "user":
                break
        result.append(
            {
                **dict(message),
                "next_rows": following,
                "rating": ratings.get(message["conversation_id"]),
                "tags": tags_by_conversation.get(message["conversation_id"], []),
                "conversation_user_rows": [row for row in rows if row["kind"] == "user"],
            }
        )
    return result
