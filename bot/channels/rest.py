"""Rasa's REST channel with the checks every public channel shares.

Registered in credentials.yml as `bot.channels.rest.CitizenRestInput`; same URL as Rasa's
(`POST /webhooks/rest/webhook`, `{"sender": ..., "message": ..., "metadata": {...}}`) and the same
reply (a JSON list of bot messages). Compared with Rasa 3.6's channel it answers a clear 4xx,
with one log line and no traceback, to: a body over 16 KB, a body that is not a JSON object, a
missing or non-text message, a message over MAX_MESSAGE_LENGTH characters, a sender id that is
not a short plain id (at most 64 of `A-Z a-z 0-9 _ . @ + -`; never a socket.io conversation). It
ignores the client's `input_channel` (always "rest"), keeps only the `language` metadata, drops
non-plain entity values from `/intent{...}` payloads and never logs the message text.
"""

from __future__ import annotations

import json
import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbound import (
    MAX_REST_BODY_BYTES,
    clean_metadata,
    clean_text,
    max_message_length,
    valid_rest_sender,
)

logger = logging.getLogger(__name__)


class RefusedRequest(Exception):
    def __init__(self, status: int, error: str, **details: Any) -> None:
        super().__init__(error)
        self.status = status
        self.body = {"error": error, **details}


def parse_request(body: bytes) -> tuple[str, str, Dict[Text, Any]]:
    """(sender id, text, metadata) of a REST webhook body, or RefusedRequest saying why not."""
    if len(body) > MAX_REST_BODY_BYTES:
        raise RefusedRequest(413, "body_too_large", max_bytes=MAX_REST_BODY_BYTES)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise RefusedRequest(400, "body_not_json") from None
    if not isinstance(data, dict):
        raise RefusedRequest(400, "body_not_a_json_object")
    sender = valid_rest_sender(data.get("sender"))
    if sender is None:
        raise RefusedRequest(400, "invalid_sender", expected="1-64 characters of A-Z a-z 0-9 _ . @ + -")
    text = clean_text(data.get("message"))
    if text is None:
        raise RefusedRequest(400, "message_missing")
    limit = max_message_length()
    if len(text) > limit:
        raise RefusedRequest(413, "message_too_long", max_length=limit)
    return sender, text, clean_metadata(data.get("metadata"))


class CitizenRestInput(RestInput):
    """REST channel (see the module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, text, metadata = parse_request(request.body or b"")
            except RefusedRequest as refused:
                logger.info("Refused a REST message: %s.", refused.body["error"])
                return response.json(refused.body, status=refused.status)
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
            try:
                await on_new_message(message)
            except CancelledError:
                logger.error("A REST message timed out (sender %s).", sender)
            except Exception as error:  # noqa: BLE001 - the citizen gets what was said so far, not a 500
                logger.error("A REST message failed (sender %s): %s.", sender, type(error).__name__)
            return response.json(collector.messages)

        return webhook

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "CitizenRestInput":
        return cls()
