"""The tracker store's speed and resilience settings: SQLite write-ahead log, and saves and reads
retried while PostgreSQL is unreachable (through a TCP proxy this test takes down; the shared
PostgreSQL server is never touched)."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import tracker_store as tracker_store_module
from bot.tracker_store import MaskingSQLTrackerStore
from deploy.tcp_proxy import TcpProxy

DOMAIN = Domain.from_yaml("version: '3.1'\nintents: [greet]\n")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_sqlite_runs_with_a_write_ahead_log(tmp_path):
    store = MaskingSQLTrackerStore(domain=DOMAIN, host=f"sqlite:///{tmp_path / 'tracker.db'}")
    try:
        with store.engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    finally:
        store.engine.dispose()


@pytest.fixture
def postgres_behind_proxy():
    base = os.environ.get("TEST_POSTGRES_URL")
    if not base:
        pytest.skip("PostgreSQL tracker store test skipped: TEST_POSTGRES_URL is not set")
    url = sa.engine.make_url(base)
    name = f"tracker_retry_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        pytest.skip(f"PostgreSQL unreachable ({type(error).__name__})")
    proxy = TcpProxy(_free_port(), url.host or "127.0.0.1", url.port or 5432).start()
    try:
        yield proxy, url.set(host="127.0.0.1", port=proxy.listen_port, database=name)
    finally:
        proxy.stop()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
async def test_a_save_and_a_read_wait_for_the_database_to_come_back(postgres_behind_proxy, monkeypatch):
    proxy, url = postgres_behind_proxy
    store = MaskingSQLTrackerStore(domain=DOMAIN, host=url.render_as_string(hide_password=False))
    sender = uuid.uuid4().hex
    tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen"), UserUttered("xin chào", {"name": "greet"})], DOMAIN.slots)
    try:
        proxy.down()  # open connections cut, new ones refused
        saving = asyncio.create_task(store.save(tracker))
        await asyncio.sleep(2)
        assert not saving.done(), "the save gave up (or claimed success) while the database was unreachable"
        proxy.up()
        await asyncio.wait_for(saving, timeout=30)

        proxy.down()
        reading = asyncio.create_task(store.retrieve(sender))
        await asyncio.sleep(1.5)
        proxy.up()
        stored = await asyncio.wait_for(reading, timeout=30)
        assert [e.text for e in stored.events if isinstance(e, UserUttered)] == ["xin chào"]
    finally:
        store.engine.dispose()


@pytest.mark.postgres
async def test_an_outage_longer_than_the_budget_is_an_error_not_a_silent_loss(postgres_behind_proxy, monkeypatch):
    proxy, url = postgres_behind_proxy
    store = MaskingSQLTrackerStore(domain=DOMAIN, host=url.render_as_string(hide_password=False))
    monkeypatch.setattr(tracker_store_module, "RETRY_SECONDS", 1.0)
    tracker = DialogueStateTracker.from_events(uuid.uuid4().hex, [UserUttered("xin chào")], DOMAIN.slots)
    try:
        proxy.down()
        with pytest.raises(sa.exc.OperationalError):
            await store.save(tracker)
    finally:
        proxy.up()
        store.engine.dispose()
