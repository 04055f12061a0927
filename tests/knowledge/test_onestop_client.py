"""The one-stop API client against a real local aiohttp server standing in for the remote API."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import datetime, timezone

import pytest
from aiohttp import web

from knowledge.db import create_db_engine, migrate
from knowledge.dossier_lookup import DossierLookupService, LookupAttempts, LookupOutcome, RemoteDossierSource
from knowledge.onestop_client import OneStopClient, OneStopSettings, OneStopUnavailable
from knowledge.personal_data import parse_phone_proof
from tests.knowledge.dossier_records import CODE, DOSSIER_FIELDS

DOSSIER = {
    "code": CODE,
    **DOSSIER_FIELDS,
    "history": [{"status": "received", "at": "2025-07-14T09:00:00+07:00", "note": None}],
}


class FakeOneStop:
    """Answers POST /dossiers/lookup according to `mode`; records what it received."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.delay = 0.0
        self.failures_before_ok = 0
        self.requests: list[dict] = []

    async def lookup(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append({"body": body, "query": dict(request.query), "auth": request.headers.get("Authorization")})
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures_before_ok > 0:
            self.failures_before_ok -= 1
            return web.Response(status=500, text="boom")
        if self.mode == "error":
            return web.Response(status=503, text="maintenance")
        if self.mode == "garbage":
            return web.Response(status=200, text="<html>login</html>", content_type="text/html")
        owned = body.get("phone") == "0912345678" or body.get("phone_last4") == "5678"
        if body.get("code") != CODE or not owned:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(DOSSIER)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def remote():
    fake = FakeOneStop()
    app = web.Application()
    app.router.add_post("/api/dossiers/lookup", fake.lookup)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    fake.url = f"http://127.0.0.1:{port}/api"
    yield fake
    await runner.cleanup()


def settings(url: str, **overrides) -> OneStopSettings:
    values = dict(
        base_url=url, token="secret-token", timeout_seconds=0.5, attempts=3, backoff_seconds=0.01, breaker_failures=3, breaker_reset_seconds=0.5
    )
    values.update(overrides)
    return OneStopSettings(**values)


@pytest.fixture
async def client(remote):
    client = OneStopClient(settings(remote.url))
    yield client
    await client.close()


async def test_owner_gets_the_dossier_and_the_phone_travels_in_the_body(remote, client):
    assert await client.lookup(CODE, phone="0912345678") == DOSSIER
    assert await client.lookup(CODE, phone_last4="5678") == DOSSIER
    sent = remote.requests[0]
    assert sent["body"] == {"code": CODE, "phone": "0912345678"}
    assert sent["query"] == {} and sent["auth"] == "Bearer secret-token"


async def test_not_found_is_none_without_retrying(remote, client):
    assert await client.lookup(CODE, phone="0999999999") is None
    assert len(remote.requests) == 1
    assert client.breaker.fail_counter == 0


async def test_transient_errors_are_retried(remote, client):
    remote.failures_before_ok = 2
    assert await client.lookup(CODE, phone="0912345678") == DOSSIER
    assert len(remote.requests) == 3


async def test_retries_are_bounded(remote, client):
    remote.mode = "error"
    with pytest.raises(OneStopUnavailable):
        await client.lookup(CODE, phone="0912345678")
    assert len(remote.requests) == 3


async def test_slow_answers_time_out(remote, client):
    remote.delay = 2.0
    started = time.perf_counter()
    with pytest.raises(OneStopUnavailable):
        await client.lookup(CODE, phone="0912345678")
    elapsed = time.perf_counter() - started
    assert len(remote.requests) == 3
    assert elapsed < 3 * 0.5 + 1.0, f"three 0.5 s attempts took {elapsed:.1f}s"


async def test_an_answer_that_is_not_json_is_unavailable(remote, client):
    remote.mode = "garbage"
    with pytest.raises(OneStopUnavailable):
        await client.lookup(CODE, phone="0912345678")


async def test_nothing_listening_is_unavailable():
    client = OneStopClient(settings(f"http://127.0.0.1:{free_port()}/api", attempts=2))
    try:
        with pytest.raises(OneStopUnavailable):
            await client.lookup(CODE, phone="0912345678")
    finally:
        await client.close()


async def test_breaker_opens_then_recovers_through_half_open(remote, client):
    remote.mode = "error"
    for _ in range(3):  # breaker_failures lookups, each with its retries
        with pytest.raises(OneStopUnavailable):
            await client.lookup(CODE, phone="0912345678")
    calls = len(remote.requests)
    started = time.perf_counter()
    with pytest.raises(OneStopUnavailable):
        await client.lookup(CODE, phone="0912345678")
    assert len(remote.requests) == calls, "an open breaker must not call the remote"
    assert time.perf_counter() - started < 0.1

    await asyncio.sleep(0.6)  # reset timeout: the next call is a half-open trial
    with pytest.raises(OneStopUnavailable):
        await client.lookup(CODE, phone="0912345678")  # trial fails: open again
    calls = len(remote.requests)
    with pytest.raises(OneStopUnavailable):
        await client.lookup(CODE, phone="0912345678")
    assert len(remote.requests) == calls

    remote.mode = "ok"
    await asyncio.sleep(0.6)
    assert await client.lookup(CODE, phone="0912345678") == DOSSIER  # trial succeeds: closed
    assert await client.lookup(CODE, phone_last4="5678") == DOSSIER
    assert client.breaker.current_state.name == "CLOSED"


async def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("ONESTOP_API_URL", raising=False)
    assert OneStopSettings.from_env() is None
    monkeypatch.setenv("ONESTOP_API_URL", "https://lgsp.example/api")
    monkeypatch.setenv("ONESTOP_API_TOKEN", "t")
    monkeypatch.setenv("ONESTOP_API_TIMEOUT", "1.5")
    configured = OneStopSettings.from_env()
    assert (configured.base_url, configured.token, configured.timeout_seconds) == ("https://lgsp.example/api", "t", 1.5)


# --------------------------------------------------------------------------- behind the lookup service


@pytest.fixture
def attempts(tmp_path):
    url = f"sqlite:///{tmp_path / 'knowledge.db'}"
    migrate(url)
    engine = create_db_engine(url)
    yield LookupAttempts(engine, lambda: datetime(2025, 7, 20, 3, 0, tzinfo=timezone.utc))
    engine.dispose()


async def test_remote_source_answers_through_the_service(remote, client, attempts):
    service = DossierLookupService(RemoteDossierSource(client), attempts)
    found = await service.check(CODE, parse_phone_proof("0912 345 678"), "conv")
    assert found.outcome is LookupOutcome.FOUND
    assert found.dossier.status == "processing" and found.dossier.agency == "Công an tỉnh Khánh Hòa"
    assert found.dossier.due_at == datetime(2025, 7, 22, 10, 0, tzinfo=timezone.utc)
    assert [change.status for change in found.history] == ["received"]
    wrong = await service.check(CODE, parse_phone_proof("1111"), "conv")
    assert wrong.outcome is LookupOutcome.NOT_VERIFIED


async def test_remote_down_is_unavailable_and_not_a_failed_check(remote, client, attempts):
    remote.mode = "error"
    service = DossierLookupService(RemoteDossierSource(client), attempts)
    for _ in range(6):
        result = await service.check(CODE, parse_phone_proof("0912345678"), "conv")
        assert result.outcome is LookupOutcome.UNAVAILABLE
    assert attempts.failures_left(CODE, "conv") == 5  # an outage never locks the citizen out
