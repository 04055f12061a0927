"""Signing in and out, one's own password, and the supervisors' pages: accounts, audit, office hours."""

from __future__ import annotations

import json
import secrets

from aiohttp import web
from aiohttp_session import get_session, new_session

from console import auth
from console.index import queries
from console.pages import engine, render
from knowledge.store import open_store

MIN_PASSWORD_LENGTH = 10


async def signin_form(request: web.Request) -> web.Response:
    return await render(request, "signin.html", {"error": False})


async def signin(request: web.Request) -> web.Response:
    form = await request.post()
    session = await get_session(request)  # the CSRF token was checked by the middleware
    account = await auth.check_credentials(engine(request), str(form.get("username", "")), str(form.get("password", "")))
    if account is None:
        return await render(request, "signin.html", {"error": True}, status=401)
    language = session.get("lang", "vi")
    session = await new_session(request)  # a fresh session id on sign-in (no session fixation)
    session["user"] = account["username"]
    session["csrf"] = secrets.token_urlsafe(32)
    session["lang"] = language
    raise web.HTTPSeeOther("/")


async def signout(request: web.Request) -> web.Response:
    session = await get_session(request)
    session.invalidate()
    raise web.HTTPSeeOther("/signin")


async def password_form(request: web.Request) -> web.Response:
    return await render(request, "password.html", {"error": None})


async def change_password(request: web.Request) -> web.Response:
    form = await request.post()
    account = request["account"]
    new = str(form.get("new_password", ""))
    verified = await auth.check_credentials(engine(request), account["username"], str(form.get("password", "")))
    if verified is None or len(new) < MIN_PASSWORD_LENGTH:
        return await render(request, "password.html", {"error": True}, status=400)
    with engine(request).begin() as connection:
        queries.update_account(connection, account["username"], password_hash=auth.hash_password(new), must_change_password=False)
        queries.record_audit(connection, account["username"], "password_changed")
    raise web.HTTPSeeOther("/")


async def accounts_page(request: web.Request) -> web.Response:
    auth.require_supervisor(request)
    with engine(request).connect() as connection:
        rows = queries.list_accounts(connection)
        hours = queries.office_hours(connection, open_store().office_hours())
    return await render(
        request, "accounts.html", {"rows": rows, "created": None, "error": None, "hours": json.dumps(hours, ensure_ascii=False, indent=1)}
    )


async def accounts_change(request: web.Request) -> web.Response:
    auth.require_supervisor(request)
    form = await request.post()
    actor = request["account"]["username"]
    created = error = None
    what = form.get("what")
    if what == "create":
        try:
            name = str(form.get("username", "")).strip()
            password = auth.add_account(engine(request), name, str(form.get("role", "")))
            created = {"name": name, "password": password}
            with engine(request).begin() as connection:
                queries.record_audit(connection, actor, "account_created", name, str(form.get("role")))
        except ValueError as problem:
            error = str(problem)
    elif what == "active":
        name = str(form.get("username", ""))
        active = form.get("active") == "1"
        if name != actor:  # nobody locks themselves out
            with engine(request).begin() as connection:
                queries.update_account(connection, name, active=active)
                queries.record_audit(connection, actor, "account_enabled" if active else "account_disabled", name)
    elif what == "office_hours" and not str(form.get("hours", "")).strip():
        with engine(request).begin() as connection:  # back to the office hours of the knowledge content
            queries.clear_setting(connection, "office_hours")
            queries.record_audit(connection, actor, "office_hours_reset")
    elif what == "office_hours":
        try:
            hours = json.loads(str(form.get("hours", "")))
            assert {"timezone_offset_hours", "days", "periods", "text"} <= set(hours)
        except (ValueError, AssertionError):
            error = "office hours: not valid"
        else:
            with engine(request).begin() as connection:
                queries.set_setting(connection, "office_hours", hours)
                queries.record_audit(connection, actor, "office_hours_changed")
    with engine(request).connect() as connection:
        rows = queries.list_accounts(connection)
        hours = queries.office_hours(connection, open_store().office_hours())
    return await render(
        request, "accounts.html", {"rows": rows, "created": created, "error": error, "hours": json.dumps(hours, ensure_ascii=False, indent=1)}
    )


async def audit_page(request: web.Request) -> web.Response:
    auth.require_supervisor(request)
    with engine(request).connect() as connection:
        rows = queries.audit_entries(connection)
    return await render(request, "audit.html", {"rows": rows})
