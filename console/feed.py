"""Feeds the conversation index from Rasa's event broker (EVENT_BROKER_URL, as the Rasa server).

- SQL (`sqlite:///…`, `postgresql://…`): Rasa's SQLEventBroker writes rows to its `events`
  table; we read new rows by id every POLL_SECONDS and remember the last id in the index, so a
  restart neither loses nor repeats events.
- AMQP (`amqp://…?queue=NAME`): Rasa's PikaEventBroker publishes to a durable queue; we consume
  it with aio-pika and acknowledge each message once it is in the index.

Every applied event is announced on `notify(conversation_id)` (the live pages listen there).
Nothing here imports Rasa.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Callable, Optional
from urllib.parse import parse_qs, urlsplit, urlunsplit

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, select
from sqlalchemy.engine import Engine

from console.index import queries
from console.index.ingest import apply_event
from knowledge.db import create_db_engine

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.3
BATCH = 500
DEFAULT_QUEUE = "rasa_console_events"  # the same default as bot/event_broker.py

# Rasa's SQLEventBroker table, read only.
_broker_metadata = MetaData()
broker_events = Table(
    "events",
    _broker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("data", Text),
)

Notify = Callable[[str], None]


def _apply_all(connection, events: list[dict]) -> set[str]:
    """Applies `events` in the caller's transaction; returns the conversations they touched."""
    return {conversation for event in events if (conversation := apply_event(connection, event))}


def apply_batch(index: Engine, events: list[dict], notify: Notify) -> None:
    with index.begin() as connection:
        touched = _apply_all(connection, events)
    for conversation in touched:
        notify(conversation)


def _decode(sender_id: Optional[str], data: str | bytes) -> Optional[dict]:
    try:
        event = json.loads(data)
    except (TypeError, ValueError):
        logger.warning("skipped an event that is not JSON")
        return None
    if isinstance(event, dict):
        event.setdefault("sender_id", sender_id)
        return event
    return None


class SqlBrokerFeed:
    def __init__(self, broker_url: str, index: Engine, notify: Notify) -> None:
        self.broker = create_db_engine(broker_url)
        self.index = index
        self.notify = notify
        self.source = f"sql:{self.broker.url.render_as_string(hide_password=True)}"

    def poll_once(self) -> int:
        """Applies the events written since the last call; returns how many."""
        with self.index.connect() as connection:
            after = queries.feed_position(connection, self.source)
        try:
            with self.broker.connect() as connection:
                rows = connection.execute(select(broker_events).where(broker_events.c.id > after).order_by(broker_events.c.id).limit(BATCH)).all()
        except Exception as error:  # the broker table does not exist until Rasa's first start
            logger.debug("event table not readable yet: %s", error)
            return 0
        if not rows:
            return 0
        events = [event for row in rows if (event := _decode(row.sender_id, row.data))]
        with self.index.begin() as connection:  # the events and the new position: all or nothing
            touched = _apply_all(connection, events)
            queries.set_feed_position(connection, self.source, rows[-1].id)
        for conversation in touched:
            self.notify(conversation)
        return len(rows)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                count = await loop.run_in_executor(None, self.poll_once)
            except Exception:
                logger.exception("the event feed failed; retrying")
                count = 0
            if count < BATCH:
                await asyncio.sleep(POLL_SECONDS)

    def close(self) -> None:
        self.broker.dispose()


def amqp_settings(url: str) -> tuple[str, str]:
    """(connection URL without the query, queue name) of an `amqp://…?queue=NAME` URL."""
    parts = urlsplit(url)
    queue = (parse_qs(parts.query).get("queue") or [DEFAULT_QUEUE])[0]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), queue


class AmqpFeed:
    def __init__(self, broker_url: str, index: Engine, notify: Notify) -> None:
        self.url, self.queue = amqp_settings(broker_url)
        self.index = index
        self.notify = notify
        self._connection = None

    async def run(self) -> None:
        import aio_pika  # only needed for this feed

        while True:
            try:
                self._connection = await aio_pika.connect_robust(self.url)
                channel = await self._connection.channel()
                await channel.set_qos(prefetch_count=100)
                queue = await channel.declare_queue(self.queue, durable=True)
                loop = asyncio.get_running_loop()
                async with queue.iterator() as messages:
                    async for message in messages:
                        event = _decode(None, message.body)
                        if event:
                            await loop.run_in_executor(None, apply_batch, self.index, [event], self.notify)
                        await message.ack()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("the RabbitMQ feed failed; reconnecting in 2 s")
                await asyncio.sleep(2)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()


def make_feed(broker_url: Optional[str], index: Engine, notify: Notify):
    if not broker_url:
        return None
    if broker_url.startswith(("amqp://", "amqps://")):
        return AmqpFeed(broker_url, index, notify)
    return SqlBrokerFeed(broker_url, index, notify)
