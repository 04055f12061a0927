"""Rasa's socket.io channel, hardened for the citizen web widget.

Registered in credentials.yml as `bot.channels.socketio.CitizenSocketIOInput`. Compared with
Rasa 3.6's built-in channel it:
- awaits `enter_room` when python-socketio makes it a coroutine (>= 5.10), so bot replies
  still reach the browser with session persistence on (RasaHQ/rasa#13027);
- only accepts 128-bit hex session ids (anything else gets a fresh random one), because with
  session persistence whoever knows an id receives that conversation's replies;
- binds a socket to the one conversation it asked for, and leaves the old room when the
  widget starts a new conversation on the same socket;
- normalises text to NFC, trims it and drops over-long messages at the edge;
- keeps only known metadata values (`language`: vi | en);
- sends a text with its lists in one message instead of one message per paragraph, and sends
  custom payloads as `{"custom": ...}` (the built-in one passes them to `emit` as arguments).
- reads the optional JWT key from an environment variable named in credentials.yml
  (`jwt_key_env`), so an unset variable simply means "no JWT" instead of a start-up error.
"""
from __future__ import annotations

import inspect
import json
import logging
import os
import re
import secrets
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from knowledge.text import nfc

logger = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
LANGUAGES = ("vi", "en")
DEFAULT_MAX_MESSAGE_LENGTH = 1000


async def _maybe_await(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


def valid_session_id(candidate: Any) -> Optional[Text]:
    """The client's session id if it is 32 lowercase hex characters, else None."""
    if isinstance(candidate, str) and SESSION_ID.match(candidate):
        return candidate
    return None


def clean_metadata(raw: Any) -> Dict[Text, Any]:
    """Client metadata as a dict, with `language` kept only when it is a language we speak."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if not isinstance(raw, dict):
        return {}
    metadata = dict(raw)
    language = str(metadata.get("language", "")).lower()
    if language in LANGUAGES:
        metadata["language"] = language
    else:
        metadata.pop("language", None)
    return metadata


class CitizenSocketIOOutput(SocketIOOutput):
    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text.strip()})

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        quick_replies = [
            {"content_type": "text", "title": button["title"], "payload": button["payload"]}
            for button in buttons
        ]
        await self._send_message(recipient_id, {"text": text.strip(), "quick_replies": quick_replies})

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class CitizenSocketIOInput(SocketIOInput):
    """The socket.io channel the widget talks to (see the module docstring)."""

    max_message_length = DEFAULT_MAX_MESSAGE_LENGTH

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "CitizenSocketIOInput":
        credentials = dict(credentials or {})
        jwt_key_env = credentials.pop("jwt_key_env", None)
        max_length = int(credentials.pop("max_message_length", DEFAULT_MAX_MESSAGE_LENGTH))
        channel = super().from_credentials(credentials)
        if not channel.jwt_key and jwt_key_env:
            channel.jwt_key = os.environ.get(jwt_key_env) or None
        channel.max_message_length = max_length
        return channel

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        if self.sio is None:
            return super().get_output_channel()
        return CitizenSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        namespace = self.namespace

        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            requested = (data or {}).get("session_id") if isinstance(data, dict) else None
            session_id = valid_session_id(requested) or secrets.token_hex(16)
            async with sio.session(sid, namespace=namespace) as socket_session:
                previous = socket_session.get("conversation")
                if self.session_persistence:
                    if previous and previous != session_id:
                        await _maybe_await(sio.leave_room(sid, previous, namespace=namespace))
                    await _maybe_await(sio.enter_room(sid, session_id, namespace=namespace))
                socket_session["conversation"] = session_id
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict):
                return
            socket_session = await sio.get_session(sid, namespace=namespace)
            conversation = socket_session.get("conversation")
            if self.session_persistence:
                if not conversation or data.get("session_id") != conversation:
                    logger.warning("Ignored a socket.io message for a session this socket did not request.")
                    return
                sender_id = conversation
            else:
                sender_id = sid

            text = nfc(str(data.get("message") or "")).strip()
            if not text:
                return
            if len(text) > self.max_message_length:
                logger.info("Ignored a socket.io message of %d characters.", len(text))
                await sio.emit(
                    "message_rejected",
                    {"reason": "too_long", "max_length": self.max_message_length},
                    room=sid,
                    namespace=namespace,
                )
                return

            message = UserMessage(
                text,
                CitizenSocketIOOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata=clean_metadata(data.get(self.metadata_key)),
            )
            await on_new_message(message)

        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, handle_message, namespace=namespace)
        return blueprint
