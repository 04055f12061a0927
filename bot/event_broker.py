"""Rasa's event broker chosen by one setting, EVENT_BROKER_URL, so endpoints.yml stays the same.

- `sqlite:///var/events.db` (default) or `postgresql://user@host:5432/db`: Rasa's SQL event
  broker (`SQLEventBroker`, table `events`), which the console polls;
- `amqp://user:password@host:5672/vhost?queue=NAME`: Rasa's Pika broker to RabbitMQ, publishing
  to the durable queue NAME (default `rasa_console_events`), which the console consumes.

Events reach the broker through the masking tracker store (bot/tracker_store.py), so neither
the broker table nor the queue ever holds a phone or ID number.

endpoints.yml:
    event_broker:
      type: bot.event_broker.EventBrokerFromUrl
      url: ${EVENT_BROKER_URL}
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy.orm
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.pika import PikaEventBroker
from rasa.core.brokers.sql import SQLEventBroker

from bot.tracker_store import tuned_engine

logger = logging.getLogger(__name__)

DEFAULT_QUEUE = "rasa_console_events"


class EventBrokerFromUrl(EventBroker):
    """Only a factory: `from_endpoint_config` returns one of Rasa's own brokers."""

    @classmethod
    async def from_endpoint_config(cls, broker_config: Any, event_loop: Any = None) -> Optional[EventBroker]:
        url = (getattr(broker_config, "url", None) or os.environ.get("EVENT_BROKER_URL") or "").strip()
        if not url:
            logger.info("No EVENT_BROKER_URL: events are not streamed to the console")
            return None
        if url.startswith(("amqp://", "amqps://")):
            return await pika_broker(url, event_loop)
        return sql_broker(url)


def pika_broker_settings(url: str) -> dict:
    """PikaEventBroker keyword arguments for an amqp URL (queue in the `queue` query parameter)."""
    parts = urlsplit(url)
    queue = (parse_qs(parts.query).get("queue") or [DEFAULT_QUEUE])[0]
    vhost = parts.path or ""
    return {
        "host": f"{parts.scheme}://{parts.hostname}{vhost}",
        "username": unquote(parts.username or "guest"),
        "password": unquote(parts.password or "guest"),
        "port": parts.port or 5672,
        "queues": [queue],
        # Fail fast at start-up rather than retrying for 100 s: the tracker keeps the events.
        "connection_attempts": 3,
        "retry_delay_in_seconds": 1,
    }


async def pika_broker(url: str, event_loop: Any = None) -> PikaEventBroker:
    broker = PikaEventBroker(**pika_broker_settings(url), event_loop=event_loop)
    await broker.connect()
    return broker


class TurnSQLEventBroker(SQLEventBroker):
    """Rasa's SQL broker (same `events` table, same rows, same order) that writes the events of one
    tracker save in one transaction (`publish_many`, called by bot/tracker_store.py), on the
    tracker store's tuned engine (SQLite write-ahead log, one connection kept per thread)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        url = self.engine.url  # type: ignore[has-type]  # set by SQLEventBroker.__init__
        self.engine.dispose()  # type: ignore[has-type]
        self.engine = tuned_engine(url)
        self.sessionmaker = sqlalchemy.orm.sessionmaker(bind=self.engine)

    def publish_many(self, events: list[dict]) -> None:
        if not events:
            return
        # One multi-row insert, not an ORM object (an INSERT and a primary-key fetch) per event.
        rows = [{"sender_id": event.get("sender_id"), "data": json.dumps(event)} for event in events]
        with self.session_scope() as session:
            session.execute(self.SQLBrokerEvent.__table__.insert(), rows)
            session.commit()


def sql_broker(url: str) -> SQLEventBroker:
    """Rasa's SQL broker for a database URL (it takes dialect/host/db, not a URL)."""
    parts = urlsplit(url)
    dialect = parts.scheme.split("+")[0]
    if dialect == "sqlite":
        path = url.split(":///", 1)[1]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return TurnSQLEventBroker(dialect="sqlite", db=path)
    return TurnSQLEventBroker(
        dialect=parts.scheme,
        host=parts.hostname,
        port=parts.port,
        db=parts.path.lstrip("/"),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
