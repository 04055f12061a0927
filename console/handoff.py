"""Handing a conversation to a person: the live queue, take, reply, hand back, close, and the
watcher that tells a citizen nobody is free and notices when they go back to the assistant.

Rasa stays the conversation's owner: the citizen's messages keep going through it (paused, it
only records them), and each staff reply is a bot event appended through its HTTP API, so the
tracker, the event stream and this index all see it.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy import select

from console.index import queries
from console.index.models import messages
from console.keys import ENGINE, HUB, RASA, SETTINGS
from console.live import QUEUE, event_stream
from console.pages import engine, render
from console.rasa_api import RasaApiError
from knowledge.personal_data import mask_personal_numbers

logger = logging.getLogger(__name__)

CANCEL_INTENT = "handoff_cancel"
WATCH_SECONDS = 1.0

CITIZEN_TEXTS = {
    "taken": ("Một cán bộ hỗ trợ đã tham gia cuộc trò chuyện.", "A staff member has joined the conversation."),
    "returned": (
        "Cán bộ đã chuyển bạn lại cho trợ lý ảo. Bạn cần hỏi gì thêm cứ nhắn nhé.",
        "The staff member handed you back to the assistant. Ask me anything else.",
    ),
    "closed": (
        "Cán bộ đã kết thúc cuộc trò chuyện. Cảm ơn bạn! Trợ lý ảo vẫn ở đây nếu bạn cần.",
        "The staff member closed the conversation. Thank you! The assistant is still here if you need it.",
    ),
    "cancelled": (
        "Vâng, bạn đã quay lại với trợ lý ảo. Bạn cần hỏi gì cứ nhắn nhé.",
        "OK, you are back with the assistant. What can I help you with?",
    ),
    "timeout": (
        "Hiện chưa có cán bộ nào rảnh. Bạn cứ để lại câu hỏi ở đây, cán bộ sẽ trả lời ngay khi có thể "
        "(lần sau bạn mở lại khung chat trên trình duyệt này). Bạn cũng có thể quay lại trợ lý ảo.",
        "Nobody is free right now. Leave your question here and a staff member will answer as soon as "
        "possible (you will see it the next time you open the chat in this browser). You can also go "
        "back to the assistant.",
    ),
}


def citizen_text(key: str, language: str | None) -> str:
    vi, en = CITIZEN_TEXTS[key]
    return en if language == "en" else vi


async def queue_page(request: web.Request) -> web.Response:
    with engine(request).connect() as connection:
        items = queries.open_handoffs(connection)
    return await render(request, "queue.html", {"items": items})


async def queue_json(request: web.Request) -> web.Response:
    with engine(request).connect() as connection:
        items = queries.open_handoffs(connection)
    keep = ("id", "conversation_id", "status", "taken_by", "requested_at", "last_message", "language")
    return web.json_response({"items": [{k: item[k] for k in keep} for item in items]}, headers={"Cache-Control": "no-store"})


async def queue_events(request: web.Request) -> web.StreamResponse:
    return await event_stream(request, request.app[HUB], {QUEUE})


async def conversation_events(request: web.Request) -> web.StreamResponse:
    return await event_stream(request, request.app[HUB], {request.match_info["conversation_id"]})


def _handoff_or_404(connection, handoff_id: int) -> dict:
    handoff = queries.get_handoff(connection, handoff_id)
    if handoff is None:
        raise web.HTTPNotFound(text="no such handoff")
    return handoff


async def take(request: web.Request) -> web.Response:
    handoff_id = int(request.match_info["handoff_id"])
    user = request["account"]["username"]
    with engine(request).begin() as connection:
        handoff = _handoff_or_404(connection, handoff_id)
        won = queries.take_handoff(connection, handoff_id, user)
        if won:
            queries.record_audit(connection, user, "handoff_taken", handoff["conversation_id"])
    request.app[HUB].notify(QUEUE)
    if not won:
        raise web.HTTPConflict(text="taken by someone else")
    await _tell_citizen(request.app, handoff["conversation_id"], "taken", handoff["language"])
    raise web.HTTPSeeOther(f"/conversations/{handoff['conversation_id']}")


def _own_open_handoff(request: web.Request, connection, conversation_id: str) -> dict:
    handoff = queries.current_handoff(connection, conversation_id)
    if handoff is None or handoff["status"] != "taken":
        raise web.HTTPConflict(text="take the conversation first")
    account = request["account"]
    if handoff["taken_by"] != account["username"] and account["role"] != "supervisor":
        raise web.HTTPForbidden(text="another staff member has this conversation")
    return handoff


async def reply(request: web.Request) -> web.Response:
    conversation_id = request.match_info["conversation_id"]
    form = await request.post()
    text = str(form.get("text", "")).strip()[:2000]
    user = request["account"]["username"]
    with engine(request).begin() as connection:
        _own_open_handoff(request, connection, conversation_id)
        if text:
            queries.record_audit(connection, user, "reply", conversation_id)
    if text:
        try:
            # Staff replies follow the citizen-side rule too: no personal number in any store.
            await request.app[RASA].say(conversation_id, mask_personal_numbers(text), staff=user)
        except (RasaApiError, OSError, asyncio.TimeoutError) as error:
            logger.warning("staff reply not delivered: %s", error)
            raise web.HTTPBadGateway(text="the assistant's server did not take the reply; try again") from error
    if request.headers.get("X-Requested-With") == "fetch":
        return web.json_response({"ok": True})
    raise web.HTTPSeeOther(f"/conversations/{conversation_id}")


async def finish(request: web.Request) -> web.Response:
    """Hand back (`return`) or close: either way the assistant resumes and says so."""
    conversation_id = request.match_info["conversation_id"]
    status = {"return": "returned", "close": "closed"}[request.match_info["how"]]
    user = request["account"]["username"]
    with engine(request).begin() as connection:
        handoff = _own_open_handoff(request, connection, conversation_id)
        queries.end_handoff(connection, handoff["id"], status)
        queries.record_audit(connection, user, f"handoff_{status}", conversation_id)
    await _hand_back(request.app, conversation_id, status, handoff["language"])
    request.app[HUB].notify(QUEUE)
    raise web.HTTPSeeOther(f"/conversations/{conversation_id}")


async def _tell_citizen(app: web.Application, conversation_id: str, key: str, language, custom=None) -> None:
    try:
        await app[RASA].say(conversation_id, citizen_text(key, language), custom=custom)
    except (RasaApiError, OSError, asyncio.TimeoutError) as error:
        logger.warning("could not tell the citizen (%s): %s", key, error)


async def _hand_back(app: web.Application, conversation_id: str, key: str, language) -> None:
    try:
        await app[RASA].resume(conversation_id)
    except (RasaApiError, OSError, asyncio.TimeoutError) as error:
        logger.warning("could not resume the conversation: %s", error)
    await _tell_citizen(app, conversation_id, key, language, custom={"handoff": "ended"})


async def watch_handoffs(app: web.Application) -> None:
    """Every second: citizens who went back to the assistant, and requests nobody took in time."""
    while True:
        try:
            await _watch_once(app)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("handoff watcher failed; retrying")
        await asyncio.sleep(WATCH_SECONDS)


async def _watch_once(app: web.Application) -> None:
    engine_ = app[ENGINE]
    cancelled = []
    with engine_.begin() as connection:
        for handoff in queries.open_handoffs(connection):
            latest = connection.execute(
                select(messages.c.intent, messages.c.timestamp)
                .where(messages.c.conversation_id == handoff["conversation_id"], messages.c.kind == "user")
                .order_by(messages.c.id.desc())
                .limit(1)
            ).first()
            if latest and latest.intent == CANCEL_INTENT and latest.timestamp >= handoff["requested_at"] - 1:
                if queries.end_handoff(connection, handoff["id"], "cancelled"):
                    queries.record_audit(connection, None, "handoff_cancelled", handoff["conversation_id"])
                    cancelled.append(handoff)
        overdue = [
            h
            for h in queries.unanswered_handoffs(connection, app[SETTINGS].handoff_timeout_seconds)
            if queries.mark_timeout_notified(connection, h["id"])
        ]
    for handoff in cancelled:
        await _hand_back(app, handoff["conversation_id"], "cancelled", handoff["language"])
    for handoff in overdue:
        await _tell_citizen(app, handoff["conversation_id"], "timeout", handoff["language"])
    if cancelled or overdue:
        app[HUB].notify(QUEUE)
