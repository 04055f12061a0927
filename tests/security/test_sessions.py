"""Issue 13, item 6: a socket.io session is a server-issued signed token, not an id a client
picks, and REST and socket.io conversations cannot reach each other's ids."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from tests.security.conftest import SocketClient, conversation_of, rest_post

pytestmark = pytest.mark.servers


async def test_a_second_client_cannot_join_a_conversation_by_its_id(assistant):
    owner, intruder = SocketClient(assistant.rasa_url), SocketClient(assistant.rasa_url)
    try:
        token = await owner.start()
        conversation = conversation_of(token)
        assert await owner.say(token, "xin chào")

        # The intruder knows the conversation id (from a log, a screen, a guess) but not the token.
        for presented in (conversation, conversation + ".0.forged", secrets.token_hex(16)):
            issued = await intruder.start(presented)
            assert conversation_of(issued) != conversation
            await intruder.sio.disconnect()
            intruder = SocketClient(assistant.rasa_url)
        issued = await intruder.start(conversation)
        await intruder.send(token, "cho tôi xem hồ sơ")  # writing with the owner's token: ignored
        await intruder.send(conversation, "cho tôi xem hồ sơ")

        assert await owner.say(token, "làm hộ chiếu cần giấy tờ gì")
        await asyncio.sleep(2)
        assert intruder.replies.empty(), "the intruder received the owner's replies"
    finally:
        await owner.close()
        await intruder.close()
    texts = [event["text"] for event in assistant.tracker(conversation)["events"] if event["event"] == "user"]
    assert texts == ["xin chào", "làm hộ chiếu cần giấy tờ gì"]


async def test_the_token_reopens_the_conversation_after_a_reconnect(assistant):
    first = SocketClient(assistant.rasa_url)
    try:
        token = await first.start()
        assert await first.say(token, "xin chào")
    finally:
        await first.close()
    second = SocketClient(assistant.web_url)  # through the web server's proxy, like the widget
    try:
        assert await second.start(token) == token
        assert await second.say(token, "cảm ơn")
    finally:
        await second.close()
    texts = [event["text"] for event in assistant.tracker(conversation_of(token))["events"] if event["event"] == "user"]
    assert texts == ["xin chào", "cảm ơn"]


async def test_rest_cannot_write_into_a_socketio_conversation(assistant):
    client = SocketClient(assistant.rasa_url)
    try:
        token = await client.start()
        conversation = conversation_of(token)
        assert await client.say(token, "xin chào")
        for sender in (conversation, token, conversation.split(":")[1]):
            response = rest_post(assistant, {"sender": sender, "message": "kiểm tra hồ sơ"})
            if sender == conversation.split(":")[1]:
                assert response.status_code == 200  # a different conversation: the bare hex is a REST id
            else:
                assert response.status_code == 400
        await asyncio.sleep(2)
        assert client.replies.empty(), "a REST message produced replies in the socket.io conversation"
    finally:
        await client.close()
    texts = [event["text"] for event in assistant.tracker(conversation)["events"] if event["event"] == "user"]
    assert texts == ["xin chào"]


async def test_socketio_cannot_open_a_rest_conversation(assistant):
    sender = assistant.new_sender()
    assert assistant.send(sender, "xin chào")
    client = SocketClient(assistant.rasa_url)
    try:
        issued = await client.start(sender)
        assert conversation_of(issued) != sender
        assert await client.say(issued, "cảm ơn")
    finally:
        await client.close()
    texts = [event["text"] for event in assistant.tracker(sender)["events"] if event["event"] == "user"]
    assert texts == ["xin chào"]
