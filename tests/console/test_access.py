"""Access to the console: nothing without signing in, roles, CSRF, slowed sign-ins, the audit log.

The console application runs in-process behind a real HTTP server (aiohttp's TestServer) with its
own SQLite index; Rasa is not needed for these pages.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from aiohttp.test_utils import TestClient, TestServer

from console.app import create_app
from console.auth import add_account, signin_delay
from console.index import queries
from console.index.ingest import apply_event
from console.keys import ENGINE
from console.settings import ConsoleSettings

PASSWORD = "correct horse battery"
PAGES = [
    "/",
    "/queue",
    "/queue.json",
    "/conversations",
    "/conversations/abc",
    "/conversations/abc/messages.json",
    "/overview",
    "/overview/export.csv",
    "/overview/chart/per_day.svg",
    "/accounts",
    "/audit",
    "/account/password",
]


@pytest.fixture
async def console(tmp_path, real_database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", real_database)  # the default office hours come from the content
    settings = ConsoleSettings(
        database_url=f"sqlite:///{tmp_path / 'console.db'}",
        event_broker_url=None,
        rasa_url="http://127.0.0.1:9",
        jwt_secret="test-jwt",
        secret_key="test-key",
    )
    app = create_app(settings)
    engine = app[ENGINE]
    add_account(engine, "sup", "supervisor", PASSWORD, must_change_password=False)
    add_account(engine, "lan", "staff", PASSWORD, must_change_password=False)
    client = TestClient(TestServer(app))
    await client.start_server()
    client.engine = engine
    yield client
    await client.close()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def sign_in(client, username: str, password: str = PASSWORD):
    page = await client.get("/signin")
    token = csrf_of(await page.text())
    return await client.post("/signin", data={"username": username, "password": password, "csrf": token}, allow_redirects=False)


async def csrf(client, path: str = "/queue") -> str:
    return csrf_of(await (await client.get(path)).text())


async def test_nothing_without_signing_in(console):
    for path in PAGES:
        response = await console.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/signin", path
    events = await console.get("/queue/events", headers={"Accept": "text/event-stream"})
    assert events.status == 401
    assert (await console.get("/static/console.css")).status == 200


async def test_session_cookie_is_httponly_and_samesite(console):
    response = await sign_in(console, "lan")
    assert response.status == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert (await console.get("/queue")).status == 200


async def test_wrong_password_is_refused_and_slows_later_attempts(console):
    for _ in range(3):
        assert (await sign_in(console, "lan", "wrong")).status == 401
    with console.engine.connect() as connection:
        assert queries.find_account(connection, "lan")["failed_signins"] == 3
    started = time.monotonic()
    assert (await sign_in(console, "lan")).status == 303  # right password, but only after the delay
    assert time.monotonic() - started >= signin_delay(3) >= 2
    with console.engine.connect() as connection:
        assert queries.find_account(connection, "lan")["failed_signins"] == 0
    assert signin_delay(0) == 0 and signin_delay(20) == 30


async def test_forms_without_the_csrf_token_are_rejected(console):
    page = await console.get("/signin")
    refused = await console.post("/signin", data={"username": "lan", "password": PASSWORD})
    assert refused.status == 403
    await sign_in(console, "sup")
    for path, data in [
        ("/accounts", {"what": "create", "username": "eve", "role": "supervisor"}),
        ("/conversations/x/annotate", {"what": "note", "text": "hi"}),
        ("/handoffs/1/take", {}),
        ("/signout", {}),
    ]:
        assert (await console.post(path, data=data)).status == 403, path
        assert (await console.post(path, data={**data, "csrf": "forged"})).status == 403, path
    with console.engine.connect() as connection:
        assert queries.find_account(connection, "eve") is None
    assert page.status == 200


async def test_staff_cannot_manage_accounts_or_see_supervisor_pages(console):
    await sign_in(console, "lan")
    token = await csrf(console)
    for path in ["/accounts", "/audit", "/overview", "/overview/export.csv"]:
        assert (await console.get(path)).status == 403, path
    created = await console.post("/accounts", data={"what": "create", "username": "eve", "role": "supervisor", "csrf": token})
    assert created.status == 403
    with console.engine.connect() as connection:
        assert queries.find_account(connection, "eve") is None


async def test_supervisor_creates_an_account_and_the_audit_log_records_each_action(console):
    with console.engine.begin() as connection:
        apply_event(
            connection,
            {
                "sender_id": "c1",
                "event": "user",
                "timestamp": time.time(),
                "text": "<b>tạm trú</b>",
                "parse_data": {"intent": {"name": "ask_documents", "confidence": 0.9}},
            },
        )
    await sign_in(console, "sup")
    token = await csrf(console)
    response = await console.post("/accounts", data={"what": "create", "username": "minh", "role": "staff", "csrf": token})
    one_time = re.search(r"(?:One-time password|Mật khẩu dùng một lần): ([A-Za-z0-9_-]+)", await response.text()).group(1)
    await console.post("/conversations/c1/annotate", data={"what": "add_tag", "tag": "success", "csrf": token})
    await console.post("/conversations/c1/annotate", data={"what": "note", "csrf": token, "text": "gọi lại 0912 345 678"})
    await console.post("/conversations/c1/annotate", data={"what": "review", "state": "reviewed", "csrf": token})
    export = await console.get("/overview/export.csv")
    assert export.status == 200 and "c1" in await export.text()
    page = await (await console.get("/conversations/c1")).text()
    assert "&lt;b&gt;tạm trú&lt;/b&gt;" in page and "<b>tạm trú</b>" not in page  # text, never HTML
    assert "345 678" not in page and "[***]" in page  # notes are masked too
    audit = await (await console.get("/audit")).text()
    for action in ["signin", "account_created", "tag_added", "note_added", "review_state", "export"]:
        assert f"<td>{action}</td>" in audit, action

    # The new account must replace its one-time password before anything else.
    await console.post("/signout", data={"csrf": token})
    assert (await sign_in(console, "minh", one_time)).status == 303
    redirected = await console.get("/queue", allow_redirects=False)
    assert redirected.headers["Location"] == "/account/password"
    token = await csrf(console, "/account/password")
    changed = await console.post(
        "/account/password", allow_redirects=False, data={"password": one_time, "new_password": "a much longer secret", "csrf": token}
    )
    assert changed.status == 303
    assert (await console.get("/queue", allow_redirects=False)).status == 200


def test_the_console_does_not_need_rasa():
    """It must run in its own environment (another aiohttp, no Rasa): importing it loads no Rasa."""
    import subprocess
    import sys

    code = (
        "import sys, console.app, console.feed, console.__main__; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rasa', 'rasa_sdk', 'tensorflow')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


async def test_supervisors_see_the_content_s_office_hours_override_them_and_go_back(console):
    await sign_in(console, "sup")
    page = await (await console.get("/accounts")).text()
    assert "thứ Hai – thứ Sáu, 7:30–11:30 và 13:30–17:00" in page  # knowledge/content/common.yml
    token = await csrf(console, "/accounts")
    override = {"timezone_offset_hours": 7, "days": [5], "periods": [["08:00", "10:00"]], "text": {"vi": "sáng thứ Bảy", "en": "Saturday mornings"}}
    page = await (await console.post("/accounts", data={"what": "office_hours", "csrf": token, "hours": json.dumps(override)})).text()
    assert "sáng thứ Bảy" in page and "thứ Hai – thứ Sáu" not in page
    page = await (await console.post("/accounts", data={"what": "office_hours", "csrf": token, "hours": " "})).text()
    assert "thứ Hai – thứ Sáu, 7:30–11:30 và 13:30–17:00" in page and "sáng thứ Bảy" not in page
    audit = await (await console.get("/audit")).text()
    assert "<td>office_hours_changed</td>" in audit and "<td>office_hours_reset</td>" in audit
