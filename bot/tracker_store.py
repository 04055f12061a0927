"""SQL tracker store that masks personal numbers before anything is persisted.

Rasa keeps raw user text and slot values. This store rewrites each new event before it is
written (and before it is streamed to an event broker):
- phone numbers and ID-number-like digit runs (7+ digits) are hidden in user text, entity
  values, slot values, message metadata and the assistant's replies (which may echo what the
  citizen typed); dossier codes and public numbers such as the support line are kept;
- a message answering the phone question of the dossier form (requested_slot is
  `dossier_phone`, or NLU read it as `inform_phone` / found a `phone_number`) has every digit
  hidden, since even "the last 4 digits" are personal;
- the `dossier_phone` slot is never stored with a value.

The conversation itself is unaffected: actions run on the live tracker before it is saved.

endpoints.yml:
    tracker_store:
      type: bot.tracker_store.MaskingSQLTrackerStore
      url: ${TRACKER_STORE_URL}        # optional; else env TRACKER_STORE_URL, else `dialect`/`db`
                                       # as for Rasa's SQL store, else sqlite:///<repo>/var/tracker.db
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import os
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable, Iterator, Optional, Text, TypeVar

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import exc as sa_exc
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from bot import patches
from knowledge.personal_data import MASK, install_log_masking, mask_data

logger = logging.getLogger(__name__)
# Loaded by the Rasa server at start-up: from then on its logs are masked too.
install_log_masking()

# Rasa imports this module in the server process (endpoints.yml `tracker_store.type`): the
# place to apply our checked Rasa patches. Raises RasaPatchError (server does not start) when
# Rasa's code is no longer the code they were written for.
patches.apply()

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = f"sqlite:///{ROOT / 'var' / 'tracker.db'}"

# How long a save or a read waits for the database to come back (e.g. a PostgreSQL restart or
# fail-over) before the turn fails with a logged error. Meanwhile the conversation's lock is
# held, so its next message waits too: nothing is lost or reordered.
RETRY_SECONDS = float(os.environ.get("TRACKER_STORE_RETRY_SECONDS", "30"))
# Errors of a database that is unreachable or restarting (not of a bad statement).
TRANSIENT_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError)

T = TypeVar("T")

PHONE_SLOT = "dossier_phone"
PHONE_INTENT = "inform_phone"
PHONE_ENTITY = "phone_number"


def tracker_store_url(host: Optional[Text] = None, **kwargs: Any) -> Optional[str]:
    """The database URL: endpoint `url`, then kwargs `url`, then env TRACKER_STORE_URL.

    None when only the classic `dialect`/`db` settings are given; the default file otherwise.
    """
    for candidate in (host, kwargs.get("url"), os.environ.get("TRACKER_STORE_URL")):
        if candidate and "://" in str(candidate):
            return str(candidate)
    return None if kwargs.get("db") else DEFAULT_URL


def _ensure_sqlite_directory(url: str) -> None:
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != prefix + ":memory:":
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)


class MaskingSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` whose persisted and streamed events never hold phone or ID numbers."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        url = tracker_store_url(host, **kwargs)
        kwargs.pop("url", None)
        if url is not None:
            _ensure_sqlite_directory(url)
            kwargs.pop("dialect", None)
            kwargs.pop("db", None)
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
        self._tune_engine()
        self._statements = ConversationStatements(self.SQLEvent.__table__)

    def _tune_engine(self) -> None:
        url = self.engine.url  # type: ignore[has-type]  # set by SQLTrackerStore.__init__
        self.engine.dispose()  # type: ignore[has-type]
        self.engine = tuned_engine(url)
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)

    async def _with_retries(self, what: str, operation: Callable[[], Awaitable[T]]) -> T:
        """Runs `operation` again while the database is unreachable, up to RETRY_SECONDS."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TRANSIENT_ERRORS),
            stop=stop_after_delay(RETRY_SECONDS),
            wait=wait_exponential(multiplier=0.2, max=2),
            reraise=True,
            before_sleep=lambda state: logger.warning(
                "Tracker store unreachable during %s (attempt %d): %s; retrying",
                what,
                state.attempt_number,
                type(state.outcome.exception()).__name__ if state.outcome else "?",
            ),
        )
        async for attempt in retrying:
            with attempt:
                return await operation()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        return await self._with_retries("a read", lambda: self._retrieve_once(sender_id, fetch_events_from_all_sessions))

    async def _retrieve_once(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        """`SQLTrackerStore._retrieve` with a statement built once, reading only the data column."""
        statement = self._statements.all_sessions if fetch_events_from_all_sessions else self._statements.last_session
        with self.session_scope() as session:
            rows = session.execute(statement, {"sender_id": sender_id}).scalars().all()
        events = [json.loads(data) for data in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _additional_events(self, session: sa.orm.Session, tracker: DialogueStateTracker) -> Iterator[Event]:
        """`SQLTrackerStore._additional_events` with the count statement built once."""
        stored = session.execute(self._statements.last_session_count, {"sender_id": tracker.sender_id}).scalar_one()
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Same as `SQLTrackerStore.save`, with each new event masked first; retried while the
        database is unreachable. A retry after a commit whose answer was lost stores nothing twice:
        it writes only the events beyond those already stored.

        The events written are then published to the broker, masked the same way (in the context
        of the whole conversation: a phone number answering the form's question of an earlier turn
        is masked too). Rasa's own `stream_events` would read the whole tracker again to find them.
        """
        written: list[dict] = []
        await self._with_retries("a save", lambda: self._save_masked(tracker, written))
        if self.event_broker is not None and written:
            self._publish([{"sender_id": tracker.sender_id, **data} for data in written])

    async def _save_masked(self, tracker: DialogueStateTracker, written: list[dict]) -> None:
        """Writes the masked new events; `written` gets them before the commit (a retry that finds
        them already stored keeps the list of the attempt that stored them)."""
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
            masked = masked_event_dicts(tracker.events, new_events)
            if masked:
                # One multi-row insert of the columns Rasa's SQLEvent rows hold: ORM objects cost an
                # INSERT and a primary-key fetch each (benchmarks/REPORT.md).
                session.execute(self._statements.insert_event, [event_row(tracker.sender_id, data) for data in masked])
                written[:] = masked
            session.commit()
        logger.debug("Tracker with sender_id '%s' stored to database", tracker.sender_id)

    def _publish(self, events: list[dict]) -> None:
        # One transaction for the whole turn where the broker can (bot/event_broker.py): a commit per
        # event was most of the Rasa server's time under load (benchmarks/REPORT.md).
        publish_many = getattr(self.event_broker, "publish_many", None)
        if publish_many is not None:
            publish_many(events)
            return
        assert self.event_broker is not None
        for event in events:
            self.event_broker.publish(event)


class ConversationStatements:
    """The statements Rasa's `SQLTrackerStore._event_query` builds on every read and save, built once,
    and the insert of new events.

    Same rows in the same order: a conversation's events ordered by id, either all of them or
    those from its latest `session_started` event on (all, when it has none). Building the ORM
    query and its subquery anew was about 8 % of the Rasa server's CPU under load (native py-spy
    profile, benchmarks/REPORT.md); a statement built once is compiled once by SQLAlchemy's cache.
    """

    def __init__(self, events: sa.Table) -> None:
        sender = sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        in_last_session = sa.and_(events.c.sender_id == sender, sa.or_(events.c.timestamp >= session_start, session_start.is_(None)))
        self.all_sessions = sa.select(events.c.data).where(events.c.sender_id == sender).order_by(events.c.id)
        self.last_session = sa.select(events.c.data).where(in_last_session).order_by(events.c.id)
        self.last_session_count = sa.select(sa.func.count()).select_from(events).where(in_last_session)
        self.insert_event = events.insert()


def event_row(sender_id: Text, data: dict) -> dict:
    """The row Rasa's `SQLTrackerStore` writes for one serialised event."""
    return {
        "sender_id": sender_id,
        "type_name": data.get("event"),
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def tuned_engine(url: sa.engine.URL) -> sa.engine.Engine:
    """The engine for the tracker store and the SQL event broker. SQLite: write-ahead log;
    PostgreSQL: detect dropped connections, bounded connect.

    SQLite's default rollback journal syncs the disk several times per commit; with one commit per
    message that was about 15 % of the Rasa server's time under load, and closing the connection
    after each session another 12 % (profiles in benchmarks/REPORT.md). WAL with synchronous=NORMAL
    survives a crash of the process (a power cut may lose the last commits; run PostgreSQL in
    production).
    """
    if url.get_backend_name() == "sqlite":
        # SQLAlchemy 1.4 opens and closes a file database's connection per session; closing
        # the last connection checkpoints the log to disk: keep one open per thread instead.
        engine = sa.create_engine(url, poolclass=sa.pool.SingletonThreadPool)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_wal(dbapi_connection, _record):  # noqa: ANN001 - SQLAlchemy hook
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if url.get_backend_name() == "postgresql":
        kwargs = create_engine_kwargs(url)
        kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", 5)
        return sa.create_engine(url, pool_pre_ping=True, **kwargs)
    return sa.create_engine(url)


def masked_event_dicts(all_events: Iterable[Event], new_events: list[Event]) -> list[dict]:
    """`event.as_dict()` for each of `new_events`, masked.

    `all_events` is the event sequence the new events belong to; it is replayed to know
    which slot the form was asking for when each user message arrived.
    """
    wanted = {id(event) for event in new_events}
    masked: list[dict] = []
    requested_slot = None
    for event in all_events:
        if id(event) in wanted:
            masked.append(mask_event(event.as_dict(), asked_for_phone=requested_slot == PHONE_SLOT))
        if getattr(event, "key", None) == "requested_slot":
            requested_slot = event.value
        elif event.type_name == "active_loop" and getattr(event, "name", None) is None:
            requested_slot = None
    return masked


def mask_event(data: dict, asked_for_phone: bool = False) -> dict:
    """A masked copy of one serialised event."""
    data = copy.deepcopy(data)
    kind = data.get("event")
    if "metadata" in data:
        data["metadata"] = mask_data(data["metadata"])
    if kind == "user":
        parse_data = data.get("parse_data") or {}
        intent = (parse_data.get("intent") or {}).get(INTENT_NAME_KEY)
        entities = parse_data.get("entities") or []
        phone_answer = asked_for_phone or intent == PHONE_INTENT or any(entity.get("entity") == PHONE_ENTITY for entity in entities)
        data["text"] = mask_data(data.get("text"), all_digits=phone_answer)
        if "text" in parse_data:
            parse_data["text"] = mask_data(parse_data.get("text"), all_digits=phone_answer)
        if "metadata" in parse_data:
            parse_data["metadata"] = mask_data(parse_data["metadata"])
        for entity in entities:
            entity["value"] = mask_data(entity.get("value"), all_digits=phone_answer or entity.get("entity") == PHONE_ENTITY)
    elif kind == "entities":
        for entity in data.get("entities") or []:
            entity["value"] = mask_data(entity.get("value"), all_digits=entity.get("entity") == PHONE_ENTITY)
    elif kind == "slot":
        if data.get("name") == PHONE_SLOT and data.get("value") is not None:
            data["value"] = MASK
        else:
            data["value"] = mask_data(data.get("value"))
    elif kind == "bot":
        # Replies may echo the citizen's words (the where-to-submit answer repeats the place typed).
        data["text"] = mask_data(data.get("text"))
        data["data"] = mask_data(data.get("data"))
    return data
