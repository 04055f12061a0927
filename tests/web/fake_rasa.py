"""A python-socketio server that stands in for Rasa's socket.io channel in tests that must not
depend on a trained model: session_request -> session_confirm, user_uttered -> bot_uttered,
with rooms like Rasa's session persistence."""

from __future__ import annotations

import secrets
from typing import Callable

import socketio
from aiohttp import web


def fake_rasa_app(replies: Callable[[dict], list[dict]]) -> tuple[web.Application, socketio.AsyncServer]:
    """An aiohttp app answering each `user_uttered` payload with `replies(payload)`."""
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins=[])
    app = web.Application()
    sio.attach(app)

    sio.connect_environs = []  # type: ignore[attr-defined]  # what each connection's request carried

    @sio.on("connect")
    async def connect(sid, environ, auth=None):
        sio.connect_environs.append(environ)

    @sio.on("session_request")
    async def session_request(sid, data):
        # Like the real channel, the server issues the session token (not signed here).
        token = (data or {}).get("session_id") or f"socketio:{secrets.token_hex(16)}.0.fake"
        sio.enter_room(sid, token)
        await sio.emit("session_confirm", token, room=sid)

    @sio.on("user_uttered")
    async def user_uttered(sid, data):
        for reply in replies(data):
            await sio.emit("bot_uttered", reply, room=data["session_id"])

    return app, sio
