"""Accounts, sign-in, sessions and CSRF for the console.

Passwords are hashed with Argon2 (argon2-cffi). The session lives in an encrypted, HttpOnly,
SameSite=Strict cookie (aiohttp-session); each session carries a random CSRF token that every
POST must send back. Failed sign-ins for an account slow the next attempts down.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Optional

from aiohttp import web
from aiohttp_session import get_session
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from console.index import queries
from console.index.queries import ROLES

HASHER = PasswordHasher()
# After this many failures in a row, each attempt on the account waits 2, 4, 8 … up to 30 s.
FREE_ATTEMPTS = 3
MAX_DELAY_SECONDS = 30.0
PUBLIC_PATHS = ("/signin", "/static/", "/healthz", "/language")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def new_password() -> str:
    return secrets.token_urlsafe(12)


def add_account(engine: Engine, username: str, role: str, password: Optional[str] = None, must_change_password: bool = True) -> str:
    """Creates an account; returns its (one-time, unless given) password."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").isalnum():
        raise ValueError("user names are letters, digits, dots and underscores")
    password = password or new_password()
    with engine.begin() as connection:
        if queries.find_account(connection, username):
            raise ValueError(f"account {username!r} exists")
        queries.create_account(connection, username, hash_password(password), role, must_change_password)
        queries.record_audit(connection, None, "account_created", username, role)
    return password


def ensure_first_supervisor(engine: Engine, username: str = "admin") -> Optional[str]:
    """On the first start, creates a supervisor and returns its one-time password (None later)."""
    with engine.connect() as connection:
        if queries.count_accounts(connection):
            return None
    return add_account(engine, username, "supervisor")


def signin_delay(failures: int) -> float:
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(2.0 ** (failures - FREE_ATTEMPTS + 1), MAX_DELAY_SECONDS)


async def check_credentials(engine: Engine, username: str, password: str) -> Optional[dict]:
    """The account when the password is right (and the account active), else None."""
    with engine.connect() as connection:
        account = queries.find_account(connection, username)
    failures = account["failed_signins"] if account else 0
    await asyncio.sleep(signin_delay(failures))
    try:
        valid = account is not None and HASHER.verify(account["password_hash"], password)
    except (VerificationError, InvalidHashError):
        valid = False
    if account is None:
        HASHER.hash(password)  # same work as for a real account: no timing hint about names
        return None
    with engine.begin() as connection:
        if valid and account["active"]:
            queries.update_account(connection, username, failed_signins=0)
            if HASHER.check_needs_rehash(account["password_hash"]):
                queries.update_account(connection, username, password_hash=hash_password(password))
            queries.record_audit(connection, username, "signin")
            return account
        queries.update_account(connection, username, failed_signins=failures + 1, last_failed_at=queries.now())
        queries.record_audit(connection, username, "signin_failed")
    return None


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def make_auth_middleware(engine_key):
    @web.middleware
    async def auth_middleware(request: web.Request, handler):
        session = await get_session(request)
        if request.method == "POST":  # every form, signed in or not (sign-in CSRF too)
            sent = request.headers.get("X-CSRF-Token")
            if sent is None:
                sent = (await request.post()).get("csrf")
            if not sent or not secrets.compare_digest(str(sent), session.get("csrf", "")):
                raise web.HTTPForbidden(text="CSRF token missing or wrong")
        if request.path.startswith(PUBLIC_PATHS):
            return await handler(request)
        username = session.get("user")
        account = None
        if username:
            with request.app[engine_key].connect() as connection:
                account = queries.find_account(connection, username)
        if account is None or not account["active"]:
            if username:  # an account removed or disabled since: end its session
                session.invalidate()
            if request.headers.get("Accept", "").startswith("text/event-stream") or request.method != "GET":
                raise web.HTTPUnauthorized()
            raise web.HTTPSeeOther("/signin")
        if account["must_change_password"] and request.path not in ("/account/password", "/signout"):
            raise web.HTTPSeeOther("/account/password")
        request["account"] = account
        return await handler(request)

    return auth_middleware


def require_supervisor(request: web.Request) -> None:
    if request["account"]["role"] != "supervisor":
        raise web.HTTPForbidden(text="supervisors only")


def require_maintainer(request: web.Request) -> None:
    """The maintainers' pages: maintainers, and supervisors (who may do everything a maintainer does)."""
    if request["account"]["role"] not in ("maintainer", "supervisor"):
        raise web.HTTPForbidden(text="maintainers and supervisors only")
