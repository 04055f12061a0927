"""The console's aiohttp application: routes, middlewares and background tasks.

python -m console               # serve (CONSOLE_HOST:CONSOLE_PORT, default 127.0.0.1:8090)
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import setup as setup_sessions
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from console import admin, handoff, maintain, overview, review
from console.auth import make_auth_middleware
from console.feed import make_feed
from console.index.db import create_index_engine, migrate
from console.jobs import JobRunner, MaintainerPlaces
from console.keys import ENGINE, FEED, HTTP, HUB, MAINTAINER, MAINTAINER_JOBS, RASA, SETTINGS, TASKS
from console.live import Hub
from console.pages import set_language
from console.rasa_api import RasaApi
from console.settings import CONSOLE_DIR, ConsoleSettings

logger = logging.getLogger(__name__)
SESSION_MAX_AGE = 8 * 3600  # one working day


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")
    return response


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def home(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/queue")


async def _start_background(app: web.Application) -> None:
    hub = app[HUB]
    hub.bind(asyncio.get_running_loop())
    app[HTTP] = aiohttp.ClientSession()
    app[RASA] = RasaApi(app[SETTINGS].rasa_url, app[SETTINGS].jwt_secret, app[HTTP])
    feed = make_feed(app[SETTINGS].event_broker_url, app[ENGINE], hub.notify)
    app[FEED] = feed
    app[TASKS] = [asyncio.create_task(handoff.watch_handoffs(app))]
    if feed is not None:
        app[TASKS].append(asyncio.create_task(feed.run()))
    else:
        logger.warning("EVENT_BROKER_URL is not set: the console receives no conversations")


async def _end_streams(app: web.Application) -> None:
    app[HUB].close()


async def _stop_background(app: web.Application) -> None:
    for task in app.get(TASKS, []):
        task.cancel()
    await asyncio.gather(*app.get(TASKS, []), return_exceptions=True)
    feed = app.get(FEED)
    if feed is not None:
        closing = feed.close()
        if asyncio.iscoroutine(closing):
            await closing
    await app[HTTP].close()
    app[ENGINE].dispose()


def create_app(settings: ConsoleSettings | None = None, maintainer_places: MaintainerPlaces | None = None) -> web.Application:
    settings = settings or ConsoleSettings.from_env()
    engine = create_index_engine(settings.database_url)
    migrate(engine)
    app = web.Application(middlewares=[security_headers])
    app[SETTINGS] = settings
    app[ENGINE] = engine
    app[HUB] = Hub()
    app[MAINTAINER] = maintainer_places or MaintainerPlaces.from_environment()
    app[MAINTAINER_JOBS] = JobRunner(app[MAINTAINER].layout.job_file)
    setup_sessions(
        app,
        EncryptedCookieStorage(
            settings.cookie_key(),
            cookie_name="console_session",
            httponly=True,
            samesite="Strict",
            secure=settings.secure_cookies,
            max_age=SESSION_MAX_AGE,
        ),
    )
    app.middlewares.append(make_auth_middleware(ENGINE))
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(CONSOLE_DIR / "templates"), autoescape=True)
    app.on_startup.append(_start_background)
    app.on_shutdown.append(_end_streams)
    app.on_shutdown.append(maintain.stop_jobs)
    app.on_cleanup.append(_stop_background)

    r = app.router
    r.add_get("/healthz", healthz)
    r.add_get("/signin", admin.signin_form)
    r.add_post("/signin", admin.signin)
    r.add_post("/signout", admin.signout)
    r.add_post("/language", set_language)
    r.add_get("/account/password", admin.password_form)
    r.add_post("/account/password", admin.change_password)
    r.add_get("/", home)
    r.add_get("/queue", handoff.queue_page)
    r.add_get("/queue.json", handoff.queue_json)
    r.add_get("/queue/events", handoff.queue_events)
    r.add_post("/handoffs/{handoff_id:\\d+}/take", handoff.take)
    r.add_get("/conversations", review.conversation_list)
    r.add_get("/conversations/{conversation_id}", review.conversation_page)
    r.add_get("/conversations/{conversation_id}/messages.json", review.conversation_messages_json)
    r.add_get("/conversations/{conversation_id}/events", handoff.conversation_events)
    r.add_post("/conversations/{conversation_id}/annotate", review.annotate)
    r.add_post("/conversations/{conversation_id}/reply", handoff.reply)
    r.add_post("/conversations/{conversation_id}/{how:(return|close)}", handoff.finish)
    r.add_get("/overview", overview.overview_page)
    r.add_get("/overview/chart/{name}.svg", overview.chart)
    r.add_get("/overview/export.csv", overview.export_csv)
    r.add_get("/accounts", admin.accounts_page)
    r.add_post("/accounts", admin.accounts_change)
    r.add_get("/audit", admin.audit_page)
    r.add_post("/conversations/{conversation_id}/export-story", maintain.export_conversation_story)
    r.add_get("/maintain/inbox", maintain.inbox_page)
    r.add_post("/maintain/inbox/annotate", maintain.inbox_annotate)
    r.add_get("/maintain/models", maintain.models_page)
    r.add_get("/maintain/job.json", maintain.job_json)
    r.add_post("/maintain/{kind:(train|compare|release|rollback)}", maintain.start_job)
    r.add_get("/maintain/reports/{model}", maintain.report_page)
    r.add_static("/static", CONSOLE_DIR / "static", name="static")
    return app
