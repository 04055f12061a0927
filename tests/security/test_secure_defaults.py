"""Issue 13, items 5 and 7: security headers on every web response (errors included), no server
version banner, the proxy's Origin check, and no dossier hashing without a configured key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from web.server import add_security_headers, create_app
from web.settings import WebSettings

ROOT = Path(__file__).resolve().parents[2]
UNUSED_PORT_URL = "http://127.0.0.1:9"
EVIL = "https://evil.example"


@pytest.fixture
async def client(portal_store):
    app = create_app(WebSettings(rasa_url=UNUSED_PORT_URL, portal_origins=("https://portal.example",)))

    async def boom(request):
        raise RuntimeError("secret detail 0900000001")

    app.router.add_get("/boom", boom)
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()


def assert_security_headers(headers) -> None:
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    server = headers.get("Server", "")
    assert "aiohttp" not in server.lower() and "python" not in server.lower()


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/", 200),
        ("GET", "/healthz", 200),
        ("GET", "/static/portal.css", 200),
        ("GET", "/no-such-page", 404),
        ("POST", "/", 405),
        ("GET", "/boom", 500),
    ],
)
async def test_every_response_carries_the_security_headers(client, method, path, status):
    response = await client.request(method, path)
    assert response.status == status
    assert_security_headers(response.headers)
    if status == 500:
        body = await response.text()
        assert "secret detail" not in body and "Traceback" not in body


def test_hsts_is_sent_over_tls_only():
    plain = web.Response()
    add_security_headers(make_mocked_request("GET", "/"), plain)
    assert "Strict-Transport-Security" not in plain.headers
    over_tls = web.Response()
    add_security_headers(make_mocked_request("GET", "/", sslcontext=True), over_tls)
    assert over_tls.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(
    "origin, allowed",
    [
        (None, True),
        ("own", True),
        ("https://portal.example", True),
        (EVIL, False),
        ("null", False),
        ("http://127.0.0.1.evil.example", False),
    ],
)
async def test_the_socketio_proxy_checks_the_origin(client, origin, allowed):
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    if origin:
        headers["Origin"] = str(client.make_url("")).rstrip("/") if origin == "own" else origin
    response = await client.get("/socket.io/", params={"EIO": "4", "transport": "websocket"}, headers=headers)
    # Allowed origins reach the proxy, which reports Rasa missing (nothing listens there).
    assert response.status == (502 if allowed else 403)


@pytest.mark.servers
def test_no_server_version_banner_anywhere(assistant):
    for url in (
        f"{assistant.rasa_url}/",
        f"{assistant.rasa_url}/nope",
        f"{assistant.action_url}/health",
        f"{assistant.web_url}/",
        f"{assistant.web_url}/nope",
    ):
        response = requests.get(url, timeout=10)
        server = response.headers.get("Server", "")
        assert not any(word in server.lower() for word in ("aiohttp", "python", "sanic")), (url, server)
        assert response.headers["X-Content-Type-Options"] == "nosniff", url


def _without_hash_key(**extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("DOSSIER_HASH_KEY", "ONESTOP_API_URL")}
    env.update(PYTHONPATH=str(ROOT), **extra)
    return env


def test_dossiers_are_not_imported_without_a_hash_key(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "knowledge.dossiers", "seed-demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_without_hash_key(DATABASE_URL=f"sqlite:///{tmp_path}/knowledge.db"),
        timeout=120,
    )
    assert result.returncode == 1
    assert "DOSSIER_HASH_KEY" in result.stderr and "Traceback" not in result.stderr


def test_the_action_server_does_not_start_without_its_secrets(tmp_path):
    for missing in ("ACTION_SERVER_SECRET", "DOSSIER_HASH_KEY"):
        env = _without_hash_key(ACTION_SERVER_SECRET="s" * 32)
        if missing == "ACTION_SERVER_SECRET":
            env.pop("ACTION_SERVER_SECRET")
            env["DOSSIER_HASH_KEY"] = "k" * 32
        result = subprocess.run(
            [sys.executable, "-m", "bot.action_server", "--port", "9"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120
        )
        assert result.returncode != 0 and missing in result.stderr
