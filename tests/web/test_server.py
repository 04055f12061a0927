"""The web server in-process: pages, security headers, widget token, health and the socket.io
proxy (against a small python-socketio server standing in for Rasa). No Rasa needed."""

from __future__ import annotations

import asyncio
import re
from typing import NamedTuple

import jwt
import pytest
import socketio
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.client_address import CLIENT_ENVIRON_KEY, verified_client_key
from bot.channels.session import SessionSigner
from tests.web.fake_rasa import fake_rasa_app
from web.server import create_app
from web.settings import WebSettings
from web.socketio_proxy import upstream_websocket_url

UNUSED_PORT_URL = "http://127.0.0.1:9"  # discard port: nothing listens there


async def _client(settings: WebSettings) -> TestClient:
    client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    return client


@pytest.fixture
async def client():
    client = await _client(WebSettings(rasa_url=UNUSED_PORT_URL))
    yield client
    await client.close()


class FakeRasa(NamedTuple):
    url: str
    sio: socketio.AsyncServer


@pytest.fixture
async def fake_rasa():
    """A socket.io server that speaks the channel's events: session_request -> session_confirm,
    user_uttered -> bot_uttered, with rooms like Rasa's session persistence."""
    app, sio = fake_rasa_app(lambda data: [{"text": f"echo: {data['message']}", "language": data.get("metadata", {}).get("language")}])

    server = TestServer(app)
    await server.start_server()
    fake_rasa_url = str(server.make_url("")).rstrip("/")
    yield FakeRasa(fake_rasa_url, sio)
    await sio.eio.shutdown()  # stops engine.io's background service task
    await server.close()
    for task in asyncio.all_tasks():  # and its per-socket ping timers (25 s sleeps)
        if task.get_coro().__qualname__.endswith("_send_ping"):
            task.cancel()


async def test_home_page_embeds_the_widget_with_a_nonce_bound_inline_config(client):
    response = await client.get("/")
    assert response.status == 200
    html = await response.text()
    assert '<script src="/static/widget.js" defer></script>' in html
    nonce = re.search(r'<script nonce="([^"]+)">window.CitizenAssistantConfig = ', html).group(1)
    policy = response.headers["Content-Security-Policy"]
    assert f"'nonce-{nonce}'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Each page load gets its own nonce.
    second = await (await client.get("/")).text()
    assert nonce not in second


async def test_procedures_page_filters_by_name_with_or_without_diacritics(client):
    accented = await (await client.get("/thu-tuc-hanh-chinh", params={"q": "đăng ký khai sinh"})).text()
    plain = await (await client.get("/thu-tuc-hanh-chinh", params={"q": "dang ky khai sinh"})).text()
    assert "Đăng ký khai sinh" in accented and "Đăng ký khai sinh" in plain
    assert "Cấp Phiếu lý lịch tư pháp" not in accented
    everything = await (await client.get("/thu-tuc-hanh-chinh")).text()
    assert everything.count("<tr>") >= 27 + 1  # header row + one row per catalogue procedure


async def test_search_text_is_escaped(client):
    html = await (await client.get("/thu-tuc-hanh-chinh", params={"q": "<img src=x onerror=alert(1)>"})).text()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


async def test_widget_bundle_is_served(client):
    response = await client.get("/static/widget.js")
    assert response.status == 200, "build the widget: cd web/widget && npm ci && npm run build"
    body = await response.text()
    assert "session_request" in body and "user_uttered" in body
    assert "javascript" in response.headers["Content-Type"]


async def test_health_reports_an_unreachable_rasa_without_failing(client):
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "rasa": "unreachable"}


async def test_widget_token_only_exists_with_a_secret(client):
    assert (await client.get("/widget/token")).status == 404
    config = await (await client.get("/")).text()
    assert "tokenUrl" not in config

    secret = "test-secret-of-enough-length-123456"
    with_secret = await _client(WebSettings(rasa_url=UNUSED_PORT_URL, socketio_jwt_secret=secret))
    try:
        response = await with_secret.get("/widget/token")
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-store"
        claims = jwt.decode((await response.json())["token"], secret, algorithms=["HS256"])
        assert claims["exp"] > claims["iat"]
        assert '"tokenUrl": "/widget/token"' in await (await with_secret.get("/")).text()
    finally:
        await with_secret.close()


async def test_missed_replies_only_with_both_secrets_and_only_for_our_tokens(client):
    assert (await client.post("/widget/missed", json={})).status in (404, 405)
    assert "missedRepliesUrl" not in await (await client.get("/")).text()

    session_secret = "session-secret-of-enough-length-123"
    settings = WebSettings(rasa_url=UNUSED_PORT_URL, socketio_session_secret=session_secret, rasa_jwt_secret="rasa-secret-of-enough-length-123456")
    with_secrets = await _client(settings)
    try:
        assert '"missedRepliesUrl": "/widget/missed"' in await (await with_secrets.get("/")).text()
        _, forged = SessionSigner("another secret").new_session()
        assert (await with_secrets.post("/widget/missed", json={"session": forged})).status == 401
        assert (await with_secrets.post("/widget/missed", data="not json")).status == 400
        _, token = SessionSigner(session_secret).new_session()
        # A token of ours gets as far as asking Rasa, which does not answer here.
        assert (await with_secrets.post("/widget/missed", json={"session": token, "after": 1.5})).status == 502
    finally:
        await with_secrets.close()


def test_upstream_url_keeps_the_socketio_query():
    assert upstream_websocket_url("http://rasa:5005/", "EIO=4&transport=websocket") == ("ws://rasa:5005/socket.io/?EIO=4&transport=websocket")
    assert upstream_websocket_url("https://bot.example", "").startswith("wss://bot.example/socket.io/")


async def test_socketio_proxy_carries_a_conversation_both_ways(fake_rasa):
    web_client = await _client(WebSettings(rasa_url=fake_rasa.url))
    sio = socketio.AsyncClient(reconnection=False)
    confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
    replies: asyncio.Queue = asyncio.Queue()
    sio.on("session_confirm", lambda session_id: confirmed.set_result(session_id))
    sio.on("bot_uttered", replies.put_nowait)
    try:
        await sio.connect(str(web_client.make_url("")), transports=["websocket"], socketio_path="/socket.io/")
        session_id = "0123456789abcdef0123456789abcdef"
        await sio.emit("session_request", {"session_id": session_id})
        assert await asyncio.wait_for(confirmed, 5) == session_id
        await sio.emit("user_uttered", {"message": "xin chào", "session_id": session_id, "metadata": {"language": "en"}})
        reply = await asyncio.wait_for(replies.get(), 5)
        assert reply == {"text": "echo: xin chào", "language": "en"}
    finally:
        await sio.disconnect()
        await web_client.close()


async def test_socketio_proxy_refuses_polling_and_reports_a_missing_rasa(client):
    polling = await client.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert polling.status == 400
    sio = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sio.connect(str(client.make_url("")), transports=["websocket"], socketio_path="/socket.io/")


async def test_socketio_proxy_passes_the_browser_address_to_rasa_signed(fake_rasa, monkeypatch):
    monkeypatch.setenv("CLIENT_ADDRESS_SECRET", "proxy-test-secret")
    web_client = await _client(WebSettings(rasa_url=fake_rasa.url))
    sio = socketio.AsyncClient(reconnection=False)
    try:
        # A browser cannot make the proxy forward a header of its own choosing.
        await sio.connect(
            str(web_client.make_url("")), transports=["websocket"], socketio_path="/socket.io/", headers={"X-Citizen-Client": "198.51.100.1 forged"}
        )
        (environ,) = fake_rasa.sio.connect_environs
        header = environ[CLIENT_ENVIRON_KEY]
        assert header.startswith("127.0.0.1 ")  # the test client's address, as the web server saw it
        assert verified_client_key(header, "proxy-test-secret") is not None
        assert verified_client_key(header, "another-secret") is None
    finally:
        await sio.disconnect()
        await web_client.close()
