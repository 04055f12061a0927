"""Fixtures of the console tests.

index_engine   a fresh, migrated conversation index: SQLite, and PostgreSQL (a throw-away schema on
               TEST_POSTGRES_URL; skipped with the reason when unset or unreachable)
make_events    Rasa-shaped event dicts, as the event brokers publish them
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from console.auth import add_account
from console.index.db import create_index_engine, migrate
from maintainer.layout import Layout
from tests.conftest import ARTIFACTS, ROOT, TEST_PORTS, VENV_BIN, _wait_until_up

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def index_engine(request, tmp_path, _postgres):
    url = f"sqlite:///{tmp_path / 'console.db'}" if request.param == "sqlite" else _postgres.new_url()
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
        return self._event(
            event="user",
            text=text,
            input_channel="socketio",
            metadata={"language": language},
            parse_data={"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": list(entities)},
        )

    def bot(self, text: str, buttons=None, staff: str | None = None) -> dict:
        return self._event(event="bot", text=text, data={"buttons": buttons} if buttons else {}, metadata={"staff_reply": staff} if staff else {})

    def action(self, name: str) -> dict:
        return self._event(event="action", name=name)

    def slot(self, name: str, value) -> dict:
        return self._event(event="slot", name=name, value=value)

    def kind(self, name: str) -> dict:
        return self._event(event=name)


@pytest.fixture
def make_events():
    return Events


# --------------------------------------------------------------------------- the real console

STAFF_PASSWORD = "a long staff password"
HANDOFF_TIMEOUT_SECONDS = 8  # short, so the "nobody is free" message can be tested


@dataclass
class Console:
    url: str
    database_url: str
    workdir: Path
    log: Path
    process: subprocess.Popen
    layout: Layout  # the maintainers' files (models, reviewed examples, audit): a temporary folder
    sessions: dict = field(default_factory=dict)

    def signed_in(self, username: str) -> requests.Session:
        """An HTTP session signed in as `username` (a staff account made by the fixture)."""
        if username not in self.sessions:
            session = requests.Session()
            token = csrf_in(session.get(f"{self.url}/signin", timeout=10).text)
            response = session.post(
                f"{self.url}/signin", timeout=30, allow_redirects=False, data={"username": username, "password": STAFF_PASSWORD, "csrf": token}
            )
            assert response.status_code == 303, response.text
            self.sessions[username] = session
        return self.sessions[username]

    def csrf(self, username: str) -> str:
        return csrf_in(self.signed_in(username).get(f"{self.url}/queue", timeout=10).text)

    def post(self, username: str, path: str, **data) -> requests.Response:
        return self.signed_in(username).post(f"{self.url}{path}", data={**data, "csrf": self.csrf(username)}, allow_redirects=False, timeout=30)

    def queue(self, username: str = "lan") -> list[dict]:
        return self.signed_in(username).get(f"{self.url}/queue.json", timeout=10).json()["items"]


def csrf_in(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


@pytest.fixture(scope="session")
def console(assistant, trained_model) -> Console:
    """The console as a real process beside the assistant's servers, on the same event stream.
    The maintainers' pages work on a temporary layout whose models/ holds a copy of the session's model."""
    env = dict(assistant.env)
    port = TEST_PORTS["console"]
    workdir = Path(env["TRACKER_STORE_URL"][len("sqlite:///") :]).parent
    maintainer_dir = workdir / "maintainer"
    models = maintainer_dir / "models"
    layout = Layout(
        root=ROOT,
        models=models,
        candidates=models / "candidates",
        released=models / "released",
        reviewed=maintainer_dir / "reviewed",
        audit_log=maintainer_dir / "audit.jsonl",
    )
    models.mkdir(parents=True, exist_ok=True)
    shutil.copy2(trained_model, models / trained_model.name)
    env.update(
        CONSOLE_HOST="127.0.0.1",
        CONSOLE_PORT=str(port),
        CONSOLE_SECRET_KEY=os.urandom(16).hex(),
        CONSOLE_HANDOFF_TIMEOUT=str(HANDOFF_TIMEOUT_SECONDS),
        MODELS_DIR=str(models),
        MAINTAINER_REVIEWED_DIR=str(layout.reviewed),
        MAINTAINER_AUDIT_LOG=str(layout.audit_log),
        MAINTAINER_STORIES_DIR=str(maintainer_dir / "stories"),
    )
    engine = create_index_engine(env["CONSOLE_DATABASE_URL"])
    migrate(engine)
    for name, role in (("lan", "staff"), ("minh", "staff"), ("sup", "supervisor"), ("mai", "maintainer")):
        add_account(engine, name, role, STAFF_PASSWORD, must_change_password=False)
    engine.dispose()
    log = ARTIFACTS / "logs" / "console.log"
    process = subprocess.Popen(
        [str(VENV_BIN / "python"), "-m", "console", "serve"],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/healthz", process, log, timeout=60)
        yield Console(f"http://127.0.0.1:{port}", env["CONSOLE_DATABASE_URL"], workdir, log, process, layout)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
