"""Demo pages that look like the provincial public-service portal, with the widget embedded.

Two pages, so the browser tests can check that a conversation survives a navigation.
"""

from __future__ import annotations

import secrets
from typing import NamedTuple

import jinja2
from aiohttp import web

from knowledge.store import open_store
from knowledge.text import fold
from web.settings import WebSettings

TEMPLATES = web.AppKey("portal_templates", jinja2.Environment)
SETTINGS = web.AppKey("portal_settings", WebSettings)

# Tiles on the home page: (procedure id, short label).
POPULAR = (
    "birth-registration",
    "permanent-residence",
    "id-card",
    "passport",
    "judicial-record",
    "driving-licence-renewal",
    "marriage-registration",
    "health-insurance-renewal",
)


def widget_config(settings: WebSettings) -> dict:
    """The configuration object the page hands to widget.js (nothing secret in it)."""
    config = {"language": "vi", "title": "Trợ lý dịch vụ công Khánh Hòa", "colors": {"primary": "#0b4f8a"}, "maxLength": settings.max_message_length}
    # Default: the widget connects back to this server, which proxies /socket.io/ to Rasa.
    if settings.widget_socket_url:
        config["serverUrl"] = settings.widget_socket_url
    if settings.socketio_jwt_secret:
        config["tokenUrl"] = "/widget/token"
    if settings.socketio_session_secret and settings.rasa_jwt_secret:
        config["missedRepliesUrl"] = "/widget/missed"  # web/missed_replies.py
    return config


def content_security_policy(settings: WebSettings, nonce: str) -> str:
    connect = "'self'"
    if settings.widget_socket_url:
        origin = settings.widget_socket_url.rstrip("/")
        connect += f" {origin} " + origin.replace("http", "ws", 1)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",  # the widget's shadow-root <style> and colour variables
            "img-src 'self' data: https:",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'self'",
        ]
    )


def render(request: web.Request, template: str, **context) -> web.Response:
    settings = request.app[SETTINGS]
    nonce = secrets.token_urlsafe(16)
    html = request.app[TEMPLATES].get_template(template).render(nonce=nonce, widget_config=widget_config(settings), path=request.path, **context)
    response = web.Response(text=html, content_type="text/html")
    response.headers["Content-Security-Policy"] = content_security_policy(settings, nonce)
    return response


class ListedProcedure(NamedTuple):
    id: str
    name_vi: str
    essential: bool


def listed_procedures() -> list[ListedProcedure]:
    """The procedures of the knowledge store (DATABASE_URL), in catalogue order."""
    return [ListedProcedure(p.id, p.names.vi, p.essential) for p in open_store().list_procedures()]


async def home(request: web.Request) -> web.Response:
    by_id = {entry.id: entry for entry in listed_procedures()}
    return render(request, "home.html", popular=[by_id[pid] for pid in POPULAR if pid in by_id])


async def procedures(request: web.Request) -> web.Response:
    query = request.query.get("q", "")[:200]
    wanted = fold(query)
    entries = [entry for entry in listed_procedures() if not wanted or wanted in fold(entry.name_vi)]
    return render(request, "procedures.html", procedures=entries, query=query)


def setup_portal(app: web.Application, settings: WebSettings) -> None:
    app[SETTINGS] = settings
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(settings.templates_dir),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    app.router.add_get("/", home, name="home")
    app.router.add_get("/thu-tuc-hanh-chinh", procedures, name="procedures")
