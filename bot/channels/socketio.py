"""Rasa's socket.io channel, hardened for the citizen web widget.

Registered in credentials.yml as `bot.channels.socketio.CitizenSocketIOInput`. Compared with
Rasa 3.6's built-in channel it:
- awaits `enter_room` when python-socketio makes it a coroutine (>= 5.10), so bot replies
  still reach the browser with session persistence on (RasaHQ/rasa#13027);
- issues the session itself: a new conversation gets a random id `socketio:<32 hex>` and the
  client receives a token signed with SOCKETIO_SESSION_SECRET (`bot/channels/session.py`).
  Only that token reopens the conversation, so a conversation id seen in a log, the console
  or the tracker store is not a password, and no REST sender id can name a socket.io
  conversation (REST ids have no colon);
- binds a socket to the one conversation it asked for, and leaves the old room when the
  widget starts a new conversation on the same socket;
- applies the checks every public channel shares (`bot/channels/inbound.py`): one message
  length limit, NFC text, plain payload entities, metadata reduced to `language`;
- accepts browser connections only from the configured portal origins (PORTAL_ORIGINS);
- adds `client` to the metadata: an opaque key of the browser's address, only when the web
  server's proxy signed that address (`bot/channels/client_address.py`), for the per-client
  limit of dossier checks;
- sends a text with its lists in one message instead of one message per paragraph, and sends
  custom payloads as `{"custom": ...}` (the built-in one passes them to `emit` as arguments).
- reads the optional JWT key from an environment variable named in credentials.yml
  (`jwt_key_env`), so an unset variable simply means "no JWT" instead of a start-up error;
  such a token must carry an expiry.
"""

from __future__ import annotations

import inspect
import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import jwt
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot.channels.client_address import client_address_secret, client_key_from_environ
from bot.channels.inbound import SOCKETIO_CONVERSATION_PREFIX, clean_metadata, clean_text, max_message_length
from bot.channels.origins import portal_origins
from bot.channels.session import SessionSigner

logger = logging.getLogger(__name__)

# Largest socket.io packet accepted (bytes): a message at the length limit and its metadata.
MAX_PACKET_BYTES = 16 * 1024

__all__ = ["CitizenSocketIOInput", "CitizenSocketIOOutput", "clean_metadata"]


def with_client(metadata: Dict[Text, Any], client: Optional[Text]) -> Dict[Text, Any]:
    """The cleaned client metadata plus the server-side client key (never taken from the client)."""
    return {**metadata, "client": client} if client else metadata


async def _maybe_await(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


def _provenance(kwargs: Dict[Text, Any]) -> Dict[Text, Any]:
    """What the widget needs besides the text: the bot event's timestamp (so a reopened widget asks
    only for the replies after the last one it showed) and whether a staff member wrote it (the
    console appends staff replies with `metadata.staff_reply`; Rasa passes metadata as kwargs)."""
    extra: Dict[Text, Any] = {}
    if isinstance(kwargs.get("timestamp"), (int, float)):
        extra["timestamp"] = kwargs["timestamp"]
    if kwargs.get("staff_reply"):
        extra["staff"] = True  # that a person wrote it, not who
    return extra


class CitizenSocketIOOutput(SocketIOOutput):
    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text.strip(), **_provenance(kwargs)})

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        quick_replies = [{"content_type": "text", "title": button["title"], "payload": button["payload"]} for button in buttons]
        await self._send_message(recipient_id, {"text": text.strip(), "quick_replies": quick_replies, **_provenance(kwargs)})

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class CitizenSocketIOInput(SocketIOInput):
    """The socket.io channel the widget talks to (see the module docstring)."""

    signer: SessionSigner

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "CitizenSocketIOInput":
        credentials = dict(credentials or {})
        jwt_key_env = credentials.pop("jwt_key_env", None)
        credentials.pop("max_message_length", None)  # one limit for every channel: MAX_MESSAGE_LENGTH
        channel = super().from_credentials(credentials)
        if not channel.jwt_key and jwt_key_env:
            channel.jwt_key = os.environ.get(jwt_key_env) or None
        channel.signer = SessionSigner.from_env()
        return channel

    @property
    def max_message_length(self) -> int:
        return max_message_length()

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        if self.sio is None:
            return super().get_output_channel()
        return CitizenSocketIOOutput(self.sio, self.bot_message_evt)

    def _token_accepted(self, auth: Any) -> bool:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str):
            return False
        try:
            jwt.decode(token, self.jwt_key, algorithms=[self.jwt_algorithm], options={"require": ["exp"]})
        except jwt.PyJWTError:
            return False
        return True

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        namespace = self.namespace
        # Rasa builds its server with the origin check off (cors_allowed_origins=[]): browsers may
        # connect only from the portal (none configured: same origin only). Clients that send no
        # Origin (servers, our proxy) are not browsers and pass, as engine.io does for them.
        sio.eio.cors_allowed_origins = portal_origins() or None
        sio.eio.max_http_buffer_size = MAX_PACKET_BYTES

        async def connect(sid: Text, environ: Dict, auth: Any = None) -> bool:
            if self.jwt_key and not self._token_accepted(auth):
                return False
            # The browser's address, only when the web server's proxy signed it (client_address.py).
            client = client_key_from_environ(environ, client_address_secret())
            if client:
                async with sio.session(sid, namespace=namespace) as socket_session:
                    socket_session["client"] = client
            return True

        # Handlers take any number of arguments: a client may emit an event with none or several,
        # and python-socketio would otherwise log a TypeError traceback.
        async def session_request(sid: Text, data: Any = None, *_: Any) -> None:
            presented = data.get("session_id") if isinstance(data, dict) else None
            conversation = self.signer.conversation_of(presented)
            token = presented if conversation else None
            if conversation is None:
                conversation, token = self.signer.new_session()
            async with sio.session(sid, namespace=namespace) as socket_session:
                previous = socket_session.get("conversation")
                if self.session_persistence:
                    if previous and previous != conversation:
                        await _maybe_await(sio.leave_room(sid, previous, namespace=namespace))
                    await _maybe_await(sio.enter_room(sid, conversation, namespace=namespace))
                socket_session["conversation"] = conversation
                socket_session["token"] = token
            await sio.emit("session_confirm", token, room=sid, namespace=namespace)

        async def handle_message(sid: Text, data: Any = None, *_: Any) -> None:
            if not isinstance(data, dict):
                return
            socket_session = await sio.get_session(sid, namespace=namespace)
            conversation = socket_session.get("conversation")
            if self.session_persistence:
                if not conversation or data.get("session_id") != socket_session.get("token"):
                    logger.warning("Ignored a socket.io message for a session this socket did not request.")
                    return
                sender_id = conversation
            else:  # one conversation per socket; the prefix keeps it out of REST's reach too
                sender_id = SOCKETIO_CONVERSATION_PREFIX + sid

            text = clean_text(data.get("message"))
            if text is None:
                return
            limit = self.max_message_length
            if len(text) > limit:
                logger.info("Refused a socket.io message of %d characters (limit %d).", len(text), limit)
                await sio.emit("message_rejected", {"reason": "too_long", "max_length": limit}, room=sid, namespace=namespace)
                return

            message = UserMessage(
                text,
                CitizenSocketIOOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata=with_client(clean_metadata(data.get(self.metadata_key)), socket_session.get("client")),
            )
            await on_new_message(message)

        sio.on("connect", connect, namespace=namespace)
        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, handle_message, namespace=namespace)
        return blueprint
