"""Shared fixtures: a model trained once per run and the real servers started once per run.

Tests that need the running assistant take the `assistant` fixture; it starts the Rasa
server, the action server and the web server as real processes on the test ports, with a
fresh knowledge store and tracker store under a temporary directory.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
VENV_BIN = ROOT / ".venv" / "bin"
WEB_APPS_VENV_BIN = ROOT / ".venv-web" / "bin"  # the web apps' own environment (current aiohttp)

# TEST_PORT_OFFSET lets two checkouts run their suites side by side on one machine.
_OFFSET = int(os.environ.get("TEST_PORT_OFFSET", "0"))
TEST_PORTS = {"rasa": 5105 + _OFFSET, "actions": 5155 + _OFFSET, "web": 8180 + _OFFSET, "console": 8190 + _OFFSET}


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} not up after {timeout}s:\n{log.read_text()[-4000:]}")


class PostgresSchemas:
    """Creates throw-away schemas on TEST_POSTGRES_URL, or skips with the reason why it cannot."""

    def __init__(self):
        self.base_url = os.environ.get("TEST_POSTGRES_URL")
        self.admin = None
        self.created: list[str] = []

    def new_url(self) -> str:
        if not self.base_url:
            pytest.skip("PostgreSQL store tests skipped: TEST_POSTGRES_URL is not set")
        schema = f"knowledge_test_{uuid.uuid4().hex[:12]}"
        try:
            self.admin = self.admin or create_engine(self.base_url, future=True)
            with self.admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as error:  # any failure to connect means: no usable PostgreSQL here
            pytest.skip(f"PostgreSQL store tests skipped: TEST_POSTGRES_URL unreachable ({type(error).__name__})")
        self.created.append(schema)
        url = make_url(self.base_url)
        url = url.set(query={**url.query, "options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def drop(self, schemas: list[str]) -> None:
        for schema in schemas:
            with self.admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            self.created.remove(schema)


@pytest.fixture(scope="session")
def _postgres():
    """Throw-away PostgreSQL schemas for the store, console and index tests; dropped at the end."""
    schemas = PostgresSchemas()
    yield schemas
    if schemas.admin is not None:
        schemas.drop(list(schemas.created))
        schemas.admin.dispose()


@dataclass
class Assistant:
    """Handles to the running assistant, for tests that talk to it over HTTP."""

    rasa_url: str
    action_url: str
    web_url: str
    jwt_secret: str
    env: dict
    processes: dict = field(default_factory=dict)

    def token(self, role: str = "admin", username: str = "staff", ttl_seconds: int = 300) -> str:
        """A short-lived API token (the Rasa server refuses tokens without an expiry)."""
        claims = {"user": {"username": username, "role": role}, "exp": int(time.time()) + ttl_seconds}
        return jwt.encode(claims, self.jwt_secret, algorithm="HS256")

    def send(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        body = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        response = requests.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict:
        response = requests.get(
            f"{self.rasa_url}/conversations/{sender}/tracker",
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    @staticmethod
    def new_sender() -> str:
        return uuid.uuid4().hex


@pytest.fixture(scope="session")
def real_database(tmp_path_factory) -> str:
    """The product's own content (knowledge/content), loaded once per run into SQLite."""
    from knowledge.loader import CONTENT_DIR, load

    url = f"sqlite:///{tmp_path_factory.mktemp('real-knowledge') / 'knowledge.db'}"
    load(CONTENT_DIR, url=url)
    return url


@pytest.fixture(scope="module")
def portal_store(real_database):
    """DATABASE_URL pointing at the product's content, for web apps built in-process (the portal
    pages list the procedures of the knowledge store)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", real_database)
        yield real_database


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """Trains once per run when the data changed; Rasa reuses a model with the same fingerprint."""
    subprocess.run(["bash", str(ROOT / "scripts" / "train.sh")], cwd=ROOT, check=True)
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    assert models, "training produced no model"
    return models[-1]


@pytest.fixture(scope="session")
def assistant(trained_model: Path, tmp_path_factory) -> Assistant:
    workdir = tmp_path_factory.mktemp("assistant")
    logs = ARTIFACTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        PYTHONPATH=str(ROOT),
        HOST="127.0.0.1",
        RASA_PORT=str(TEST_PORTS["rasa"]),
        ACTION_PORT=str(TEST_PORTS["actions"]),
        WEB_PORT=str(TEST_PORTS["web"]),
        RASA_URL=f"http://127.0.0.1:{TEST_PORTS['rasa']}",
        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{TEST_PORTS['actions']}/webhook",
        DATABASE_URL=f"sqlite:///{workdir}/knowledge.db",
        TRACKER_STORE_URL=f"sqlite:///{workdir}/tracker.db",
        # Rasa's event stream and the console's index (tests/console starts the console on them).
        EVENT_BROKER_URL=f"sqlite:///{workdir}/events.db",
        CONSOLE_DATABASE_URL=f"sqlite:///{workdir}/console.db",
        JWT_SECRET=secrets.token_hex(32),
        DOSSIER_HASH_KEY=secrets.token_hex(32),
        ACTION_SERVER_SECRET=secrets.token_hex(32),
        SOCKETIO_SESSION_SECRET=secrets.token_hex(32),
        CLIENT_ADDRESS_SECRET=secrets.token_hex(32),
        PORTAL_ORIGINS=f"http://127.0.0.1:{TEST_PORTS['web']}",
    )
    py = str(VENV_BIN / "python")
    subprocess.run([py, "-m", "knowledge", "load"], cwd=ROOT, env=env, check=True)
    subprocess.run([py, "-m", "knowledge.dossiers", "seed-demo"], cwd=ROOT, env=env, check=True)

    commands = {
        # The same launchers as the Procfile: secrets come from the environment, never argv.
        "actions": [py, "-m", "bot.action_server", "--actions", "actions", "--port", env["ACTION_PORT"]],
        "rasa": [
            py,
            "-m",
            "bot.rasa_server",
            "--model",
            str(trained_model),
            "--endpoints",
            str(ROOT / "endpoints.yml"),
            "--credentials",
            str(ROOT / "credentials.yml"),
            "--interface",
            "127.0.0.1",
            "--port",
            env["RASA_PORT"],
            "--enable-api",
        ],
        "web": [
            str(WEB_APPS_VENV_BIN / "python"),
            "-m",
            "web.server",
            "--host",
            "127.0.0.1",
            "--port",
            env["WEB_PORT"],
            "--rasa-url",
            env["RASA_URL"],
        ],
    }
    health = {
        "actions": f"http://127.0.0.1:{env['ACTION_PORT']}/health",
        "rasa": f"{env['RASA_URL']}/",
        "web": f"http://127.0.0.1:{env['WEB_PORT']}/healthz",
    }
    handle = Assistant(
        rasa_url=env["RASA_URL"],
        action_url=f"http://127.0.0.1:{env['ACTION_PORT']}",
        web_url=f"http://127.0.0.1:{env['WEB_PORT']}",
        jwt_secret=env["JWT_SECRET"],
        env=env,
    )
    try:
        for name, command in commands.items():
            log = logs / f"{name}.log"
            handle.processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        for name, url in health.items():
            _wait_until_up(url, handle.processes[name], logs / f"{name}.log", timeout=180)
        yield handle
    finally:
        for proc in handle.processes.values():
            proc.terminate()
        for proc in handle.processes.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
