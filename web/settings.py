"""Settings of the web server, from environment variables with documented defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from bot.channels.limits import max_message_length
from bot.channels.origins import portal_origins

WEB_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"  # WEB_HOST (or HOST)
    port: int = 8080  # WEB_PORT
    rasa_url: str = "http://127.0.0.1:5005"  # RASA_URL: where the Rasa server listens (internal)
    # SOCKETIO_JWT_SECRET: when set, Rasa's socket.io channel requires a JWT signed with it and
    # /widget/token hands short-lived ones to the widget. Never printed or logged.
    socketio_jwt_secret: str | None = None
    socketio_token_ttl_seconds: int = 3600
    # SOCKETIO_SESSION_SECRET (as Rasa's) and JWT_SECRET (Rasa's HTTP API): /widget/missed checks a
    # widget's session token and reads that one conversation's missed replies from Rasa. Never logged.
    socketio_session_secret: str | None = None
    socketio_session_max_age_seconds: int = 24 * 3600  # SOCKETIO_SESSION_MAX_AGE, as Rasa's
    rasa_jwt_secret: str | None = None
    # WIDGET_SOCKET_URL: where browsers open the socket.io connection. Default: this server,
    # which proxies /socket.io/ to Rasa, so Rasa itself need not be reachable from outside.
    widget_socket_url: str | None = None
    # PORTAL_ORIGINS: other origins whose pages may open the socket.io proxy (this server's own
    # pages always may). Comma-separated, e.g. "https://dichvucong.khanhhoa.gov.vn".
    portal_origins: tuple[str, ...] = ()
    max_message_length: int = 1000  # MAX_MESSAGE_LENGTH, the limit Rasa applies; the widget shows it
    static_dir: Path = WEB_DIR / "static"
    templates_dir: Path = WEB_DIR / "templates"

    @classmethod
    def from_env(cls, **overrides) -> "WebSettings":
        env = os.environ
        settings = cls(
            host=env.get("WEB_HOST") or env.get("HOST") or cls.host,
            port=int(env.get("WEB_PORT") or cls.port),
            rasa_url=env.get("RASA_URL") or cls.rasa_url,
            socketio_jwt_secret=env.get("SOCKETIO_JWT_SECRET") or None,
            socketio_session_secret=env.get("SOCKETIO_SESSION_SECRET") or None,
            socketio_session_max_age_seconds=int(env.get("SOCKETIO_SESSION_MAX_AGE") or 24 * 3600),
            rasa_jwt_secret=env.get("JWT_SECRET") or None,
            widget_socket_url=env.get("WIDGET_SOCKET_URL") or None,
            portal_origins=tuple(portal_origins(env.get("PORTAL_ORIGINS", ""))),
            max_message_length=max_message_length(),
        )
        overrides = {key: value for key, value in overrides.items() if value is not None}
        return replace(settings, **overrides)
