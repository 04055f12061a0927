"""The hardened socket.io channel, with its socket.io server's transport parts stubbed out:
which room a socket joins, which sender a message gets, what reaches Rasa."""

from __future__ import annotations

import contextlib
import re
import unicodedata

import pytest

from bot.channels.client_address import CLIENT_ENVIRON_KEY, signed_client_header, verified_client_key
from bot.channels.session import SessionSigner
from bot.channels.socketio import (
    CitizenSocketIOInput,
    CitizenSocketIOOutput,
    clean_metadata,
)

SESSION = "0123456789abcdef0123456789abcdef"  # a bare id, as clients used to choose them


class StubServer:
    """Stands in for the parts of socketio.AsyncServer the handlers use. enter_room/leave_room
    are coroutines, as in python-socketio >= 5.10 (RasaHQ/rasa#13027)."""

    def __init__(self, real):
        self.handlers = real.handlers
        self.sessions: dict[str, dict] = {}
        self.rooms: dict[str, set] = {}
        self.emitted: list[tuple] = []

    async def enter_room(self, sid, room, namespace=None):
        self.rooms.setdefault(sid, set()).add(room)

    async def leave_room(self, sid, room, namespace=None):
        self.rooms.get(sid, set()).discard(room)

    @contextlib.asynccontextmanager
    async def session(self, sid, namespace=None):
        yield self.sessions.setdefault(sid, {})

    async def get_session(self, sid, namespace=None):
        return self.sessions.setdefault(sid, {})

    async def emit(self, event, data=None, room=None, namespace=None, **kwargs):
        self.emitted.append((event, data, room))


@pytest.fixture
def channel(monkeypatch):
    received = []

    async def on_new_message(message):
        received.append(message)

    monkeypatch.setenv("MAX_MESSAGE_LENGTH", "20")
    monkeypatch.setenv("SOCKETIO_SESSION_SECRET", "channel-test-secret")
    channel = CitizenSocketIOInput.from_credentials({"session_persistence": True})
    channel.blueprint(on_new_message)
    stub = StubServer(channel.sio)
    # The handlers were registered on the real server; make them run against the stub.
    for name in ("enter_room", "leave_room", "session", "get_session", "emit"):
        monkeypatch.setattr(channel.sio, name, getattr(stub, name))
    channel.received = received
    channel.stub = stub
    return channel


def handler(channel, event):
    return channel.sio.handlers["/"][event]


async def start_session(channel, sid="sid1", presented=None) -> tuple[str, str]:
    """(token, conversation id) the channel issued to a socket."""
    channel.stub.emitted.clear()
    await handler(channel, "session_request")(sid, {"session_id": presented})
    ((event, token, room),) = channel.stub.emitted
    assert event == "session_confirm" and room == sid
    return token, channel.signer.conversation_of(token)


async def test_a_session_request_gets_a_signed_token_and_joins_its_conversation_room(channel):
    token, conversation = await start_session(channel)
    assert re.fullmatch(r"socketio:[0-9a-f]{32}", conversation)
    assert token.startswith(conversation + ".")
    assert channel.stub.rooms["sid1"] == {conversation}  # joined even though enter_room is a coroutine


async def test_the_token_reopens_the_same_conversation_on_another_socket(channel):
    token, conversation = await start_session(channel, "sid1")
    again, same = await start_session(channel, "sid2", presented=token)
    assert (again, same) == (token, conversation)
    assert channel.stub.rooms["sid2"] == {conversation}


@pytest.mark.parametrize("bad", [None, "", "42", "user-name", SESSION, "socketio:" + SESSION, {"x": 1}, "x" * 5000])
async def test_ids_a_client_makes_up_get_a_fresh_conversation(channel, bad):
    token, conversation = await start_session(channel, presented=bad)
    assert conversation and conversation != bad and token != bad
    assert SESSION not in conversation
    assert channel.stub.rooms["sid1"] == {conversation}


async def test_a_conversation_id_with_a_forged_or_foreign_signature_is_not_accepted(channel):
    token, conversation = await start_session(channel, "sid1")
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    foreign = SessionSigner("another-secret").new_session()[1]
    for presented in (forged, foreign, conversation):
        _, other = await start_session(channel, "sid2", presented=presented)
        assert other != conversation
    assert channel.stub.rooms["sid2"].isdisjoint({conversation})


async def test_an_expired_token_starts_a_new_conversation(channel):
    token, conversation = await start_session(channel, "sid1")
    valid = channel.signer
    channel.signer = SessionSigner(valid.secret, max_age_seconds=-1)  # every token is now too old
    channel.stub.emitted.clear()
    await handler(channel, "session_request")("sid2", {"session_id": token})
    ((_, issued, _),) = channel.stub.emitted
    assert issued != token and valid.conversation_of(issued) not in (None, conversation)


async def test_a_new_conversation_on_the_same_socket_leaves_the_old_room(channel):
    _, first = await start_session(channel, "sid1")
    _, second = await start_session(channel, "sid1")
    assert first != second
    assert channel.stub.rooms["sid1"] == {second}


async def test_messages_reach_rasa_normalised_with_clean_metadata(channel):
    token, conversation = await start_session(channel)
    decomposed = unicodedata.normalize("NFD", "  hộ chiếu  ")
    await handler(channel, "user_uttered")("sid1", {"message": decomposed, "session_id": token, "metadata": {"language": "EN", "page": "/"}})
    (message,) = channel.received
    assert message.text == "hộ chiếu" and unicodedata.is_normalized("NFC", message.text)
    assert message.sender_id == conversation
    assert message.input_channel == "socketio"
    assert message.metadata == {"language": "en"}
    assert isinstance(message.output_channel, CitizenSocketIOOutput)


async def test_payload_entities_that_are_not_plain_values_are_dropped(channel, monkeypatch):
    monkeypatch.setenv("MAX_MESSAGE_LENGTH", "1000")
    token, _ = await start_session(channel)
    await handler(channel, "user_uttered")("sid1", {"message": '/inform_location{"location": {"a": 1}}', "session_id": token})
    await handler(channel, "user_uttered")("sid1", {"message": '/rate{"rating": 5}', "session_id": token})
    await handler(channel, "user_uttered")("sid1", {"message": '/inform_location{"location": "Phan Rang"}', "session_id": token})
    assert [message.text for message in channel.received] == ["/inform_location", '/rate{"rating": "5"}', '/inform_location{"location": "Phan Rang"}']


async def test_messages_for_another_conversation_or_without_a_session_are_ignored(channel):
    await handler(channel, "user_uttered")("sid1", {"message": "xin chào", "session_id": SESSION})
    token, conversation = await start_session(channel)
    await handler(channel, "user_uttered")("sid1", {"message": "xin chào", "session_id": conversation})
    await handler(channel, "user_uttered")("sid1", {"message": "   ", "session_id": token})
    await handler(channel, "user_uttered")("sid1", {"message": None, "session_id": token})
    await handler(channel, "user_uttered")("sid1", ["not", "a", "dict"])
    assert channel.received == []


async def test_over_long_messages_are_rejected_with_an_event(channel):
    token, _ = await start_session(channel)
    await handler(channel, "user_uttered")("sid1", {"message": "x" * 21, "session_id": token})
    assert channel.received == []
    assert ("message_rejected", {"reason": "too_long", "max_length": 20}, "sid1") in channel.stub.emitted


def test_metadata_keeps_only_languages_we_speak():
    assert clean_metadata({"language": "fr"}) == {}
    assert clean_metadata('{"language": "vi"}') == {"language": "vi"}
    assert clean_metadata({"language": "vi", "phone": "0900000001"}) == {"language": "vi"}
    assert clean_metadata("not json") == {}
    assert clean_metadata(["vi"]) == {}


def test_jwt_key_comes_from_the_named_environment_variable(monkeypatch):
    monkeypatch.setenv("TEST_SOCKETIO_SECRET", "s3cret")
    assert CitizenSocketIOInput.from_credentials({"jwt_key_env": "TEST_SOCKETIO_SECRET"}).jwt_key == "s3cret"
    monkeypatch.delenv("TEST_SOCKETIO_SECRET")
    assert CitizenSocketIOInput.from_credentials({"jwt_key_env": "TEST_SOCKETIO_SECRET"}).jwt_key is None


class RecordingServer:
    def __init__(self):
        self.emitted = []

    async def emit(self, event, data=None, room=None, **kwargs):
        self.emitted.append((event, data, room))


async def test_output_keeps_a_list_in_one_message_and_sends_custom_payloads_as_data():
    server = RecordingServer()
    output = CitizenSocketIOOutput(server, "bot_uttered")
    await output.send_text_message(SESSION, "Giấy tờ:\n\n- tờ khai\n- căn cước\n")
    await output.send_text_with_buttons(SESSION, "Chọn:", [{"title": "5 ★", "payload": '/rate{"rating": 5}'}])
    await output.send_custom_json(SESSION, {"type": "rating_request"})
    assert server.emitted == [
        ("bot_uttered", {"text": "Giấy tờ:\n\n- tờ khai\n- căn cước"}, SESSION),
        ("bot_uttered", {"text": "Chọn:", "quick_replies": [{"content_type": "text", "title": "5 ★", "payload": '/rate{"rating": 5}'}]}, SESSION),
        ("bot_uttered", {"custom": {"type": "rating_request"}}, SESSION),
    ]


async def test_with_a_jwt_key_only_sockets_with_a_valid_widget_token_connect(monkeypatch):
    from web.server import mint_widget_token

    monkeypatch.setenv("TEST_SOCKETIO_SECRET", "a-long-enough-test-secret-0123456789")
    channel = CitizenSocketIOInput.from_credentials({"jwt_key_env": "TEST_SOCKETIO_SECRET"})

    async def ignore(message):
        pass

    channel.blueprint(ignore)
    connect = channel.sio.handlers["/"]["connect"]
    token = mint_widget_token("a-long-enough-test-secret-0123456789", 60)
    assert await connect("sid1", {}, {"token": token}) is True
    assert await connect("sid2", {}, None) is False
    assert await connect("sid3", {}, {"token": mint_widget_token("another-secret-0123456789abcdefgh", 60)}) is False
    assert await connect("sid4", {}, {"token": mint_widget_token("a-long-enough-test-secret-0123456789", -10)}) is False


# --------------------------------------------------------------------------- client address (dossier limits)


async def _message_metadata_after_connect(channel, environ) -> dict:
    await handler(channel, "connect")("sid1", environ, None)
    token, _ = await start_session(channel)
    await handler(channel, "user_uttered")("sid1", {"message": "xin chào", "session_id": token, "metadata": {"language": "vi", "client": "made-up"}})
    return channel.received[-1].metadata


async def test_the_client_key_comes_only_from_the_address_the_web_server_signed(channel, monkeypatch):
    monkeypatch.setenv("CLIENT_ADDRESS_SECRET", "client-test-secret")
    signed = {CLIENT_ENVIRON_KEY: signed_client_header("203.0.113.7", "client-test-secret")}
    metadata = await _message_metadata_after_connect(channel, signed)
    assert metadata["language"] == "vi"
    assert metadata["client"] == verified_client_key(signed[CLIENT_ENVIRON_KEY], "client-test-secret")
    assert "203.0.113.7" not in str(metadata)  # an opaque key, not the address


@pytest.mark.parametrize(
    "header",
    [
        None,
        "203.0.113.7",
        "203.0.113.7 " + "0" * 64,
        signed_client_header("203.0.113.7", "another-secret"),
    ],
)
async def test_unsigned_forged_or_foreign_client_headers_and_client_metadata_give_no_client(channel, monkeypatch, header):
    monkeypatch.setenv("CLIENT_ADDRESS_SECRET", "client-test-secret")
    environ = {CLIENT_ENVIRON_KEY: header} if header else {}
    assert await _message_metadata_after_connect(channel, environ) == {"language": "vi"}


async def test_without_a_client_address_secret_no_client_is_trusted(channel, monkeypatch):
    monkeypatch.delenv("CLIENT_ADDRESS_SECRET", raising=False)
    environ = {CLIENT_ENVIRON_KEY: signed_client_header("203.0.113.7", "")}
    assert await _message_metadata_after_connect(channel, environ) == {"language": "vi"}
