"""Issue 13, item 1: one long message must not stall everyone. One message-size limit on every
channel, a capped request body, and no message that holds Rasa's event loop for long."""

from __future__ import annotations

import asyncio
import time

import pytest
import requests

from bot.channels.inbound import DEFAULT_MAX_MESSAGE_LENGTH
from tests.security.conftest import SocketClient, rest_post

pytestmark = pytest.mark.servers

LIMIT = DEFAULT_MAX_MESSAGE_LENGTH
WORDS = "tôi muốn làm hộ chiếu cho con ở huyện Ninh Phước thì cần giấy tờ gì và lệ phí bao nhiêu".split()


def words(length: int) -> str:
    """Vietnamese words, exactly `length` characters (no trailing space for the channel to trim)."""
    text = " ".join(WORDS[index % len(WORDS)] for index in range(length // 2 + 1))
    return text[: length - 1] + "x"


def test_rest_refuses_a_message_over_the_limit_and_accepts_one_at_it(assistant):
    over = rest_post(assistant, {"sender": assistant.new_sender(), "message": words(LIMIT + 1)})
    assert over.status_code == 413
    assert over.json() == {"error": "message_too_long", "max_length": LIMIT}
    at_limit = rest_post(assistant, {"sender": assistant.new_sender(), "message": words(LIMIT)})
    assert at_limit.status_code == 200 and at_limit.json()


async def test_socketio_applies_the_same_limit(assistant):
    client = SocketClient(assistant.rasa_url)
    try:
        token = await client.start()
        await client.send(token, words(LIMIT + 1))
        assert await asyncio.wait_for(client.rejections.get(), 10) == {"reason": "too_long", "max_length": LIMIT}
        assert await client.say(token, words(LIMIT))
    finally:
        await client.close()


def test_request_bodies_are_capped(assistant):
    padded = {"sender": assistant.new_sender(), "message": "xin chào", "metadata": {"pad": "x" * 20_000}}
    assert rest_post(assistant, padded).status_code == 413
    # Every other Rasa endpoint: Sanic refuses a body over 1 MB before any handler runs.
    huge = requests.post(f"{assistant.rasa_url}/model/parse", data=b"x" * (2 * 1024 * 1024), timeout=30)
    assert huge.status_code == 413


async def _post(session, url: str, body: dict) -> tuple[int, float]:
    started = time.monotonic()
    async with session.post(url, json=body) as response:
        await response.read()
        return response.status, time.monotonic() - started


async def test_a_long_message_does_not_stall_other_citizens(assistant):
    """Before the fix a 100 KB message held the event loop for 98 s and every citizen waited."""
    import aiohttp

    url = f"{assistant.rasa_url}/webhooks/rest/webhook"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        await _post(session, url, {"sender": assistant.new_sender(), "message": "xin chào"})  # warm up
        for attack in (words(100_000), words(LIMIT)):
            long_message = asyncio.ensure_future(_post(session, url, {"sender": assistant.new_sender(), "message": attack}))
            await asyncio.sleep(0.05)
            status, waited = await _post(session, url, {"sender": assistant.new_sender(), "message": "xin chào"})
            assert status == 200
            assert waited < 5, f"another citizen waited {waited:.1f} s behind a {len(attack)}-character message"
            attack_status, attack_time = await long_message
            assert attack_status == (413 if len(attack) > LIMIT else 200)
            assert attack_time < 10


async def test_an_oversized_socketio_packet_closes_that_socket_only(assistant):
    attacker, citizen = SocketClient(assistant.rasa_url), SocketClient(assistant.rasa_url)
    try:
        attacker_token = await attacker.start()
        citizen_token = await citizen.start()
        await attacker.send(attacker_token, words(40_000))  # > 16 KB: refused by engine.io, not parsed
        for _ in range(50):
            if not attacker.sio.connected:
                break
            await asyncio.sleep(0.1)
        assert not attacker.sio.connected
        assert attacker.replies.empty() and attacker.rejections.empty()
        assert await citizen.say(citizen_token, "xin chào")
    finally:
        await attacker.close()
        await citizen.close()
