"""Fixtures of the console tests.

    index_engine   a fresh, migrated conversation index: SQLite, and PostgreSQL (a throw-away schema on
                   TEST_POSTGRES_URL; skipped with the reason when unset or unreachable)
    make_events    Rasa-shaped event dicts, as the event brokers publish them
"""
from __future__ import annotations

import time
import uuid

import pytest

from console.index.db import create_index_engine, migrate
from tests.knowledge.conftest import _PostgresSchemas

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def _console_postgres():
    schemas = _PostgresSchemas()
    yield schemas
    if schemas.admin is not None:
        schemas.drop(list(schemas.created))
        schemas.admin.dispose()


@pytest.fixture(params=BACKENDS)
def index_engine(request, tmp_path, _console_postgres):
    url = f"sqlite:///{tmp_path / 'console.db'}" if request.param == "sqlite" else _console_postgres.new_url()
    engine = create_index_engine(url)
    migrate(engine)
    yield engine
    engine.dispose()


class Events:
    """Builds one conversation's events with increasing timestamps."""

    def __init__(self, sender: str | None = None, start: float | None = None):
        self.sender = sender or uuid.uuid4().hex
        self.clock = start or time.time()

    def _event(self, **data) -> dict:
        self.clock += 1
        return {"sender_id": self.sender, "timestamp": self.clock, **data}

    def user(self, text: str, intent: str, confidence: float = 0.95, language: str = "vi", entities=()) -> dict:
        return self._event(event="user", text=text, input_channel="socketio", metadata={"language": language},
                           parse_data={"text": text, "intent": {"name": intent, "confidence": confidence},
                                       "entities": list(entities)})

    def bot(self, text: str, buttons=None, staff: str | None = None) -> dict:
        return self._event(event="bot", text=text, data={"buttons": buttons} if buttons else {},
                           metadata={"staff_reply": staff} if staff else {})

    def action(self, name: str) -> dict:
        return self._event(event="action", name=name)

    def slot(self, name: str, value) -> dict:
        return self._event(event="slot", name=name, value=value)

    def kind(self, name: str) -> dict:
        return self._event(event=name)


@pytest.fixture
def make_events():
    return Events
