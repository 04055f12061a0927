"""Rendering helpers shared by the console's views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session
from yarl import URL

from console.auth import csrf_token
from console.i18n import LANGUAGES, translate
from console.index.ingest import low_confidence_threshold
from console.index.queries import LOCAL_TIME
from console.keys import ENGINE


def local_time(timestamp: float | None) -> str:
    if not timestamp:
        return "—"
    return datetime.fromtimestamp(timestamp, tz=LOCAL_TIME).strftime("%Y-%m-%d %H:%M:%S")


async def flash(request: web.Request, key: str, error: bool = False, **values: str) -> None:
    """A message for the next page rendered in this session (after a redirect): a translation key and its values."""
    session = await get_session(request)
    session["notice"] = {"key": key, "values": values, "error": error}


async def render(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    session = await get_session(request)
    language = session.get("lang", "vi")
    context = {
        "notice": session.pop("notice", None),
        **context,
        "account": request.get("account"),
        "csrf": await csrf_token(request),
        "lang": language,
        "t": lambda key, **values: translate(key, language, **values),
        "local_time": local_time,
        "low_threshold": low_confidence_threshold(),
        "path": request.path,
    }
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


async def set_language(request: web.Request) -> web.Response:
    session = await get_session(request)
    data = await request.post()
    if data.get("lang") in LANGUAGES:
        session["lang"] = data["lang"]
    # Back to the same page: only its path, never an outside address.
    raise web.HTTPSeeOther(URL(request.headers.get("Referer", "/")).path_qs or "/")


def engine(request: web.Request):
    return request.app[ENGINE]
