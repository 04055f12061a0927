"""The console's own tables (prefixed `console_` so they can share a database with the other stores).

Timestamps are Unix seconds (floats), as in Rasa's events.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

conversations = Table(
    "console_conversations",
    metadata,
    Column("id", String(255), primary_key=True),  # Rasa sender id
    Column("channel", String(64)),
    Column("language", String(8)),
    Column("started_at", Float, nullable=False),
    Column("last_event_at", Float, nullable=False, index=True),
    Column("user_messages", Integer, nullable=False, default=0),
    Column("fallbacks", Integer, nullable=False, default=0),
    Column("low_confidence", Integer, nullable=False, default=0),
    Column("min_confidence", Float),
    Column("ended_on_fallback", Boolean, nullable=False, default=False),
    Column("handoff_requested", Boolean, nullable=False, default=False),
    Column("paused", Boolean, nullable=False, default=False),
    Column("rating", Integer),
    Column("dossier_outcome", String(32)),
    Column("procedures", Text, nullable=False, default=""),  # " id1 id2 " for LIKE filters
    Column("intents", Text, nullable=False, default=""),
    Column("review_state", String(16), nullable=False, default="new", index=True),
    Column("review_reasons", Text, nullable=False, default=""),
    Column("reviewed_by", String(64)),
    Column("reviewed_at", Float),
)

messages = Table(
    "console_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), ForeignKey("console_conversations.id"), nullable=False),
    Column("timestamp", Float, nullable=False),
    Column("kind", String(16), nullable=False),  # user, bot, staff, action, event
    Column("text", Text),
    Column("folded_text", Text),  # lowercase, no diacritics: the text search reads this
    Column("intent", String(128)),
    Column("confidence", Float),
    Column("procedure", String(128)),
    Column("language", String(8)),
    Column("data", Text),  # JSON: buttons of a reply, the event name of an `event` row
    Column("author", String(64)),  # staff replies: who wrote it
    Index("ix_console_messages_conversation", "conversation_id", "id"),
)

tags = Table(
    "console_tags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), ForeignKey("console_conversations.id"), nullable=False),
    Column("tag", String(64), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("conversation_id", "tag", name="uq_console_tags_conversation_tag"),
)

notes = Table(
    "console_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), ForeignKey("console_conversations.id"), nullable=False, index=True),
    Column("author", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

handoffs = Table(
    "console_handoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),  # waiting, taken, returned, closed, cancelled
    Column("language", String(8)),
    Column("requested_at", Float, nullable=False),
    Column("taken_by", String(64)),
    Column("taken_at", Float),
    Column("ended_at", Float),
    Column("timeout_notified", Boolean, nullable=False, default=False),
)

accounts = Table(
    "console_accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),  # staff, supervisor
    Column("active", Boolean, nullable=False, default=True),
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    Column("failed_signins", Integer, nullable=False, default=0),
    Column("last_failed_at", Float),
)

audit = Table(
    "console_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False, index=True),
    Column("actor", String(64)),
    Column("action", String(32), nullable=False),
    Column("target", String(255)),
    Column("detail", Text),
)

settings = Table(
    "console_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

feed_positions = Table(
    "console_feed_positions",
    metadata,
    Column("source", String(255), primary_key=True),
    Column("position", Integer, nullable=False),
)
