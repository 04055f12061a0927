"""The socket.io path against the real Rasa server (and through the web server's proxy): replies
arrive with session persistence on, and a reconnect with the session token the server issued
continues the same conversation. Guards RasaHQ/rasa#13027 (enter_room not awaited -> replies
silently dropped)."""

from __future__ import annotations

import asyncio
import re

import pytest
import requests
import socketio

pytestmark = pytest.mark.servers

REPLY_TIMEOUT = 60  # seconds: the first message of a conversation also runs the session start


def conversation_of(token: str) -> str:
    """The conversation id a session token carries (`<id>.<timestamp>.<signature>`)."""
    return token.rsplit(".", 2)[0]


class WidgetClient:
    """What the widget does, with python-socketio: connect, ask for our session, send, listen."""

    def __init__(self, url: str, web_url: str):
        self.url = url
        self.web_url = web_url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue = asyncio.Queue()
        self.confirmations: asyncio.Queue = asyncio.Queue()
        self.sio.on("bot_uttered", self.replies.put_nowait)
        self.sio.on("session_confirm", self.confirmations.put_nowait)

    def auth(self) -> dict | None:
        """The JWT the widget would fetch, when the channel requires one (SOCKETIO_JWT_SECRET)."""
        response = requests.get(f"{self.web_url}/widget/token", timeout=10)
        return {"token": response.json()["token"]} if response.status_code == 200 else None

    async def start(self, session_id: str | None) -> str:
        await self.sio.connect(self.url, transports=["websocket"], socketio_path="/socket.io/", auth=self.auth())
        await self.sio.emit("session_request", {"session_id": session_id})
        return await asyncio.wait_for(self.confirmations.get(), 10)

    async def say(self, session_id: str, text: str, language: str = "vi") -> list[dict]:
        """Sends a message and collects the replies until the assistant goes quiet."""
        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id, "metadata": {"language": language}})
        replies = [await asyncio.wait_for(self.replies.get(), REPLY_TIMEOUT)]
        while True:
            try:
                replies.append(await asyncio.wait_for(self.replies.get(), 1.5))
            except asyncio.TimeoutError:
                return replies

    async def close(self) -> None:
        await self.sio.disconnect()


@pytest.fixture(params=["rasa", "web-proxy"])
def socket_url(request, assistant) -> str:
    return assistant.rasa_url if request.param == "rasa" else assistant.web_url


async def test_bot_uttered_arrives_and_a_reconnect_continues_the_conversation(assistant, socket_url):
    first = WidgetClient(socket_url, assistant.web_url)
    try:
        token = await first.start(None)
        replies = await first.say(token, "xin chào")
        assert any(reply.get("text") for reply in replies), replies
    finally:
        await first.close()

    second = WidgetClient(socket_url, assistant.web_url)
    try:
        assert await second.start(token) == token
        replies = await second.say(token, "làm hộ chiếu cần giấy tờ gì")
        assert any(reply.get("text") for reply in replies), replies
    finally:
        await second.close()

    events = assistant.tracker(conversation_of(token))["events"]
    user_events = [event for event in events if event["event"] == "user"]
    assert [event["text"] for event in user_events] == ["xin chào", "làm hộ chiếu cần giấy tờ gì"]
    assert {event["input_channel"] for event in user_events} == {"socketio"}


async def test_a_made_up_session_id_is_replaced_by_a_server_issued_one(assistant):
    client = WidgetClient(assistant.rasa_url, assistant.web_url)
    try:
        confirmed = await client.start("citizen-1")
        assert confirmed != "citizen-1" and re.fullmatch(r"socketio:[0-9a-f]{32}", conversation_of(confirmed))
        assert await client.say(confirmed, "xin chào")
    finally:
        await client.close()


async def test_the_widget_language_reaches_the_tracker(assistant):
    client = WidgetClient(assistant.rasa_url, assistant.web_url)
    try:
        token = await client.start(None)
        await client.say(token, "hello", language="en")
    finally:
        await client.close()
    tracker = assistant.tracker(conversation_of(token))
    (user_event,) = [event for event in tracker["events"] if event["event"] == "user"]
    assert user_event["metadata"]["language"] == "en"
    assert tracker["slots"]["language"] == "en"


async def test_a_rating_payload_becomes_a_countable_slot_event(assistant):
    client = WidgetClient(assistant.rasa_url, assistant.web_url)
    try:
        token = await client.start(None)
        asked = await client.say(token, "/request_rating")
        buttons = [button for reply in asked for button in reply.get("quick_replies", [])]
        assert [button["payload"] for button in buttons] == [f'/rate{{"rating": {n}}}' for n in (5, 4, 3, 2, 1)]
        thanks = await client.say(token, buttons[1]["payload"])
        assert any(reply.get("text") for reply in thanks)
    finally:
        await client.close()
    events = assistant.tracker(conversation_of(token))["events"]
    ratings = [event["value"] for event in events if event["event"] == "slot" and event["name"] == "satisfaction_rating"]
    assert ratings == [4.0]


async def test_through_the_web_server_a_message_carries_an_opaque_client_key_and_directly_none(assistant):
    """The per-client limit of dossier checks reads `client` from the message metadata: only the
    web server's signed address gives one (bot/channels/client_address.py), never the address itself."""
    keys = []
    for url in (assistant.web_url, assistant.rasa_url):
        client = WidgetClient(url, assistant.web_url)
        try:
            token = await client.start(None)
            await client.say(token, "xin chào")
        finally:
            await client.close()
        (user_event,) = [event for event in assistant.tracker(conversation_of(token))["events"] if event["event"] == "user"]
        keys.append(user_event["metadata"].get("client"))
        assert "127.0.0.1" not in str(user_event["metadata"])
    through_proxy, direct = keys
    assert isinstance(through_proxy, str) and re.fullmatch(r"[a-p]{32}", through_proxy)
    assert direct is None
