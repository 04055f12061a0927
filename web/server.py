"""The public web server: demo portal pages with the widget, the widget bundle, the socket.io
proxy to Rasa and a health check. Later issues add the staff app to the same factory.

    python -m web.server --host 127.0.0.1 --port 8080 --rasa-url http://127.0.0.1:5005
"""

from __future__ import annotations

import argparse
import logging
import time

import aiohttp
import jwt
from aiohttp import web

from web.missed_replies import setup_missed_replies
from web.portal import setup_portal
from web.settings import WebSettings
from web.socketio_proxy import HTTP_SESSION, setup_socketio_proxy

logger = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", WebSettings)


def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.secure:  # HSTS only means something over TLS
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-cache")  # revalidate: a new build shows at once


@web.middleware
async def security_headers(request: web.Request, handler):
    """The headers on every response, errors included (404, 405, and a 500 without details)."""
    try:
        response = await handler(request)
    except web.HTTPException as error:
        add_security_headers(request, error)
        raise
    except Exception:  # noqa: BLE001 - logged once; the visitor gets a plain 500 with the headers
        logger.exception("web request failed: %s %s", request.method, request.path)
        response = web.json_response({"error": "internal error"}, status=500)
    add_security_headers(request, response)
    return response


async def hide_server_banner(request: web.Request, response: web.StreamResponse) -> None:
    # aiohttp fills an empty Server header with its name and version; give it a neutral value.
    response.headers["Server"] = "web"


async def healthz(request: web.Request) -> web.Response:
    """The web server is up; also says whether Rasa answers (without failing when it does not)."""
    settings = request.app[SETTINGS]
    try:
        async with request.app[HTTP_SESSION].get(settings.rasa_url.rstrip("/") + "/", timeout=aiohttp.ClientTimeout(total=3)) as response:
            rasa = "ok" if response.status < 500 else f"http {response.status}"
    except Exception:  # noqa: BLE001 - any failure means "not reachable" for a health check
        rasa = "unreachable"
    return web.json_response({"status": "ok", "rasa": rasa})


def mint_widget_token(secret: str, ttl_seconds: int) -> str:
    """A JWT that Rasa's socket.io channel accepts (its `jwt_key` is the same secret)."""
    now = int(time.time())
    return jwt.encode({"iat": now, "exp": now + ttl_seconds, "scope": "widget"}, secret, algorithm="HS256")


async def widget_token(request: web.Request) -> web.Response:
    """A short-lived token for the widget (only when SOCKETIO_JWT_SECRET is set)."""
    settings = request.app[SETTINGS]
    token = mint_widget_token(settings.socketio_jwt_secret, settings.socketio_token_ttl_seconds)
    return web.json_response({"token": token}, headers={"Cache-Control": "no-store"})


def create_app(settings: WebSettings | None = None) -> web.Application:
    settings = settings or WebSettings.from_env()
    app = web.Application(middlewares=[security_headers], client_max_size=64 * 1024)
    app.on_response_prepare.append(hide_server_banner)
    app[SETTINGS] = settings
    setup_socketio_proxy(app, settings.rasa_url, settings.portal_origins)
    setup_portal(app, settings)
    app.router.add_get("/healthz", healthz)
    setup_missed_replies(app, settings)
    if settings.socketio_jwt_secret:
        app.router.add_get("/widget/token", widget_token)
    app.router.add_static("/static", settings.static_dir, name="static")
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Citizen assistant web server (widget + demo portal).")
    parser.add_argument("--host", help="interface to listen on (env WEB_HOST/HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (env WEB_PORT, default 8080)")
    parser.add_argument("--rasa-url", help="Rasa server URL (env RASA_URL, default http://127.0.0.1:5005)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = WebSettings.from_env(host=args.host, port=args.port, rasa_url=args.rasa_url)
    if not (settings.static_dir / "widget.js").exists():
        logger.warning("web/static/widget.js is missing: build it with `cd web/widget && npm ci && npm run build`")
    shown_host = "localhost" if settings.host in ("0.0.0.0", "::") else settings.host
    print(f"Citizen widget demo page: http://{shown_host}:{settings.port}/", flush=True)
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
