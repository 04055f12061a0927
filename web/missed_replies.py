"""Replies a citizen missed while their widget was closed: `POST /widget/missed`.

A staff member may answer a question the citizen left in the queue after they closed the page;
Rasa then delivers the reply to a socket that no longer exists (output_channel=latest). The
reply is in the conversation's tracker, so when the widget opens again it asks here for the
messages after the last one it showed:

    POST /widget/missed  {"session": "<the widget's signed session token>", "after": 1764266400.5}
    200 {"messages": [{"text", "buttons"?, "staff"?, "handoff"?, "timestamp"}], "paused": true}

- The token is the one Rasa's socket.io channel issued (verified with SOCKETIO_SESSION_SECRET by
  the same `SessionSigner`); it names the one conversation read. Forged, expired or missing: 401.
- Rasa is asked with a JWT of role `user` whose username is that conversation id, valid
  30 seconds: Rasa itself refuses it for any other conversation.
- Only the assistant's and staff's messages (`bot` events) are returned, as data (the widget
  renders them as it renders live ones); never the citizen's own text. At most MAX_MESSAGES,
  the newest; one conversation may be asked for RATE_LIMIT times a minute.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from typing import Any
from urllib.parse import quote

import aiohttp
import jwt
from aiohttp import web

from bot.channels.session import SessionSigner
from web.settings import WebSettings
from web.socketio_proxy import HTTP_SESSION

logger = logging.getLogger(__name__)

MAX_MESSAGES = 50
MAX_TEXT_CHARS = 4000
RATE_LIMIT = 20  # requests a minute per conversation
RATE_WINDOW_SECONDS = 60.0
RASA_TOKEN_TTL_SECONDS = 30
HANDOFF_STATES = ("waiting", "ended")

SIGNER = web.AppKey("missed_replies_signer", SessionSigner)
SETTINGS = web.AppKey("missed_replies_settings", WebSettings)
RATE = web.AppKey("missed_replies_rate", dict)


def conversation_reader_token(jwt_secret: str, conversation_id: str, now: float | None = None) -> str:
    """A short-lived Rasa API token that Rasa accepts for this one conversation only."""
    issued = int(now if now is not None else time.time())
    claims = {"user": {"username": conversation_id, "role": "user"}, "iat": issued, "exp": issued + RASA_TOKEN_TTL_SECONDS}
    return jwt.encode(claims, jwt_secret, algorithm="HS256")


def assistant_messages(events: list[Any], after: float) -> list[dict[str, Any]]:
    """The `bot` events after `after`, as the widget shows them (text, buttons, staff, handoff)."""
    messages = []
    for event in events:
        if not isinstance(event, dict) or event.get("event") != "bot":
            continue
        timestamp = event.get("timestamp")
        if not isinstance(timestamp, (int, float)) or timestamp <= after:
            continue
        message: dict[str, Any] = {"timestamp": timestamp, "text": str(event.get("text") or "")[:MAX_TEXT_CHARS]}
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        buttons = data.get("buttons") or data.get("quick_replies")
        if isinstance(buttons, list):
            message["buttons"] = [
                {"title": str(b["title"]), "payload": str(b.get("payload", b["title"]))}
                for b in buttons
                if isinstance(b, dict) and b.get("title") is not None
            ]
        custom = data.get("custom") if isinstance(data.get("custom"), dict) else {}
        if custom.get("handoff") in HANDOFF_STATES:
            message["handoff"] = custom["handoff"]
        metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
        if metadata.get("staff_reply"):
            message["staff"] = True  # that a person wrote it, not who
        if message["text"] or message.get("buttons") or message.get("handoff"):
            messages.append(message)
    return messages[-MAX_MESSAGES:]


def _rate_limited(request: web.Request, conversation_id: str) -> bool:
    """Per conversation (behind a proxy every citizen shares one address); a forged token costs
    only an HMAC check and never reaches Rasa."""
    now = time.monotonic()
    windows: dict[str, deque] = request.app[RATE]
    recent = windows.setdefault(conversation_id, deque())
    while recent and now - recent[0] > RATE_WINDOW_SECONDS:
        recent.popleft()
    if len(recent) >= RATE_LIMIT:
        return True
    recent.append(now)
    if len(windows) > 10_000:  # forget idle conversations
        for idle in [key for key, times in windows.items() if not times or now - times[-1] > RATE_WINDOW_SECONDS]:
            del windows[idle]
    return False


async def missed_replies(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return web.json_response({"error": "a JSON object is expected"}, status=400)
    conversation_id = request.app[SIGNER].conversation_of(body.get("session"))
    if conversation_id is None:
        return web.json_response({"error": "unknown or expired session"}, status=401)
    if _rate_limited(request, conversation_id):
        return web.json_response({"error": "too many requests"}, status=429, headers={"Retry-After": "60"})
    after = body.get("after", 0)
    if isinstance(after, bool) or not isinstance(after, (int, float)) or not math.isfinite(after):
        return web.json_response({"error": "`after` must be a timestamp"}, status=400)

    settings = request.app[SETTINGS]
    # `socketio:<hex>` as it is: Rasa does not unquote path parameters, and its check of the token's
    # username compares with the raw one.
    url = f"{settings.rasa_url.rstrip('/')}/conversations/{quote(conversation_id, safe=':')}/tracker"
    headers = {"Authorization": f"Bearer {conversation_reader_token(settings.rasa_jwt_secret, conversation_id)}"}
    try:
        async with request.app[HTTP_SESSION].get(
            url, headers=headers, timeout=aiohttp.ClientTimeout(total=10), params={"include_events": "ALL"}
        ) as response:
            if response.status != 200:
                logger.warning("missed replies: Rasa answered %s", response.status)
                return web.json_response({"error": "assistant unavailable"}, status=502)
            tracker = await response.json()
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as error:
        logger.warning("missed replies: Rasa is not reachable (%s)", type(error).__name__)
        return web.json_response({"error": "assistant unavailable"}, status=502)
    if not isinstance(tracker, dict) or tracker.get("sender_id") != conversation_id:
        return web.json_response({"error": "assistant unavailable"}, status=502)
    return web.json_response(
        {"messages": assistant_messages(tracker.get("events") or [], float(after)), "paused": tracker.get("paused") is True},
        headers={"Cache-Control": "no-store"},
    )


def setup_missed_replies(app: web.Application, settings: WebSettings) -> None:
    """Needs the socket.io session secret and Rasa's JWT secret (else the widget just skips it)."""
    if not (settings.socketio_session_secret and settings.rasa_jwt_secret):
        logger.warning("SOCKETIO_SESSION_SECRET or JWT_SECRET is not set: no missed replies for reopened widgets.")
        return
    app[SETTINGS] = settings
    app[SIGNER] = SessionSigner(settings.socketio_session_secret, settings.socketio_session_max_age_seconds)
    app[RATE] = {}
    app.router.add_post("/widget/missed", missed_replies)
