"""Forwards the widget's socket.io WebSocket to Rasa's socket.io channel.

Browsers then talk to one public origin (this server) and Rasa can stay internal. Frames are
passed through unchanged in both directions, so the socket.io protocol (including the JWT in
the CONNECT packet) is end-to-end between the widget and Rasa. The widget uses the WebSocket
transport only; HTTP long-polling is refused here.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import aiohttp
from aiohttp import WSMsgType, web

from bot.channels.client_address import CLIENT_HEADER, client_address_secret, signed_client_header

logger = logging.getLogger(__name__)

SOCKETIO_PATH = "/socket.io/"
MAX_FRAME_BYTES = 64 * 1024  # a message at the length limit is a few KB; Rasa refuses more anyway
HTTP_SESSION = web.AppKey("socketio_proxy_http", aiohttp.ClientSession)


def upstream_websocket_url(rasa_url: str, query_string: str) -> str:
    base = rasa_url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base[len("https://") :]
    elif base.startswith("http://"):
        base = "ws://" + base[len("http://") :]
    return f"{base}{SOCKETIO_PATH}?{query_string}" if query_string else f"{base}{SOCKETIO_PATH}"


async def _pump(source, target) -> None:
    async for message in source:
        if message.type == WSMsgType.TEXT:
            await target.send_str(message.data)
        elif message.type == WSMsgType.BINARY:
            await target.send_bytes(message.data)
        else:  # CLOSE, CLOSING, CLOSED, ERROR
            break


def origin_allowed(request: web.Request, portal_origins: tuple[str, ...]) -> bool:
    """Browsers always send Origin on a WebSocket: accept this server's own pages and the
    configured portal origins. No Origin at all means a non-browser client (it could forge one)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin.rstrip("/") in portal_origins:
        return True
    return urlsplit(origin).netloc.lower() == request.host.lower()


def client_headers(request: web.Request) -> dict[str, str]:
    """The browser's address for Rasa's per-client limit of dossier checks, signed with
    CLIENT_ADDRESS_SECRET (bot/channels/client_address.py). `request.remote` is the peer of this
    server's socket: behind a TLS terminator it is the terminator's address (README, Dossier status
    lookup)."""
    secret = client_address_secret()
    if not secret or not request.remote:
        return {}
    return {CLIENT_HEADER: signed_client_header(request.remote, secret)}


def make_handler(rasa_url: str, portal_origins: tuple[str, ...] = ()):
    async def socketio_proxy(request: web.Request) -> web.StreamResponse:
        if not origin_allowed(request, portal_origins):
            logger.info("socket.io proxy: refused a connection from another origin")
            return web.json_response({"error": "origin not allowed"}, status=403)
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return web.json_response({"error": "only the websocket transport is supported"}, status=400)
        try:
            upstream = await request.app[HTTP_SESSION].ws_connect(
                upstream_websocket_url(rasa_url, request.query_string),
                autoping=True,
                headers=client_headers(request),
            )
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            logger.warning("socket.io proxy: Rasa is not reachable (%s)", type(error).__name__)
            return web.json_response({"error": "assistant unavailable"}, status=502)

        browser = web.WebSocketResponse(autoping=True, max_msg_size=MAX_FRAME_BYTES)
        await browser.prepare(request)
        pumps = [
            asyncio.ensure_future(_pump(browser, upstream)),
            asyncio.ensure_future(_pump(upstream, browser)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            await upstream.close()
            await browser.close()
        return browser

    return socketio_proxy


def setup_socketio_proxy(app: web.Application, rasa_url: str, portal_origins: tuple[str, ...] = ()) -> None:
    async def http_session(app: web.Application):
        app[HTTP_SESSION] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, connect=10))
        yield
        await app[HTTP_SESSION].close()

    app.cleanup_ctx.append(http_session)
    app.router.add_get(SOCKETIO_PATH, make_handler(rasa_url, portal_origins))
