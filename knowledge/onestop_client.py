"""HTTP client for a remote one-stop system / LGSP dossier-lookup API.

The remote system checks ownership itself, so the contract is one call:

    POST {ONESTOP_API_URL}/dossiers/lookup
    Authorization: Bearer {ONESTOP_API_TOKEN}
    {"code": "000.00.12.H57-250714-0031", "phone": "0912345678"}     # or "phone_last4": "5678"

    200 -> one dossier as JSON, the fields of an import line without the phone
    404 -> no such dossier, or the phone does not match (the API does not say which)

The phone goes in the JSON body, never in the URL, so it stays out of access logs.
Every attempt has a timeout, a lookup retries a bounded number of times on timeouts,
connection errors and 5xx answers, and a circuit breaker stops calling a remote that
keeps failing until it has had time to recover (half-open: one trial call decides).
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from aiobreaker import CircuitBreaker, CircuitBreakerError
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

logger = logging.getLogger(__name__)


class OneStopUnavailable(Exception):
    """The remote API did not give a usable answer (down, slow, failing, misconfigured)."""


class _TransientError(Exception):
    """A failure worth retrying: timeout, connection error, 5xx."""


@dataclass(frozen=True)
class OneStopSettings:
    base_url: str
    token: str | None = None
    timeout_seconds: float = 3.0
    attempts: int = 3
    backoff_seconds: float = 0.2
    breaker_failures: int = 5
    breaker_reset_seconds: float = 30.0

    @classmethod
    def from_env(cls) -> "OneStopSettings | None":
        """Settings from ONESTOP_API_* variables; None when no remote API is configured."""
        base_url = os.environ.get("ONESTOP_API_URL", "").strip()
        if not base_url:
            return None
        return cls(
            base_url=base_url,
            token=os.environ.get("ONESTOP_API_TOKEN") or None,
            timeout_seconds=float(os.environ.get("ONESTOP_API_TIMEOUT", "3")),
            attempts=int(os.environ.get("ONESTOP_API_ATTEMPTS", "3")),
            breaker_failures=int(os.environ.get("ONESTOP_API_BREAKER_FAILURES", "5")),
            breaker_reset_seconds=float(os.environ.get("ONESTOP_API_BREAKER_RESET", "30")),
        )


class OneStopClient:
    """One client per process; the circuit breaker state lives in it."""

    def __init__(self, settings: OneStopSettings) -> None:
        self.settings = settings
        self.breaker = CircuitBreaker(
            fail_max=settings.breaker_failures,
            timeout_duration=timedelta(seconds=settings.breaker_reset_seconds),
            name="onestop-api",
        )
        self._session: aiohttp.ClientSession | None = None

    async def lookup(self, code: str, *, phone: str | None = None, phone_last4: str | None = None) -> dict | None:
        """The dossier as a dict, or None when unknown or not owned. Raises OneStopUnavailable."""
        body: dict[str, Any] = {"code": code}
        if phone:
            body["phone"] = phone
        elif phone_last4:
            body["phone_last4"] = phone_last4
        else:
            raise ValueError("a phone number or its last 4 digits is required")
        try:
            return await self.breaker.call_async(self._lookup_with_retries, body)
        except CircuitBreakerError as error:
            logger.warning("one-stop API circuit open: %s", error.message)
            raise OneStopUnavailable("circuit open") from error

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def _lookup_with_retries(self, body: dict) -> dict | None:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.attempts),
            wait=wait_exponential(multiplier=self.settings.backoff_seconds, max=2),
            retry=retry_if_exception_type(_TransientError),
            reraise=False,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._post_once(body)
        except RetryError as error:
            cause = error.last_attempt.exception()
            logger.warning("one-stop API failed after %d attempts: %s", self.settings.attempts, cause)
            raise OneStopUnavailable(str(cause)) from cause
        return None  # unreachable: AsyncRetrying either returns or raises

    async def _post_once(self, body: dict) -> dict | None:
        session = self._client_session()
        url = self.settings.base_url.rstrip("/") + "/dossiers/lookup"
        headers = {"Authorization": f"Bearer {self.settings.token}"} if self.settings.token else {}
        try:
            async with session.post(url, json=body, headers=headers) as response:
                if response.status == 404:
                    return None
                if response.status >= 500:
                    raise _TransientError(f"HTTP {response.status}")
                if response.status != 200:
                    # 400/401/403: retrying will not help, and it is our configuration, not the citizen.
                    raise OneStopUnavailable(f"HTTP {response.status}")
                payload = await response.json(content_type=None)
        except (asyncio.TimeoutError, aiohttp.ClientConnectionError) as error:
            raise _TransientError(type(error).__name__) from error
        except (aiohttp.ContentTypeError, ValueError) as error:
            raise OneStopUnavailable("answer is not JSON") from error
        if not isinstance(payload, dict) or "status" not in payload:
            raise OneStopUnavailable("answer is not a dossier")
        return payload

    def _client_session(self) -> aiohttp.ClientSession:
        # A session belongs to the event loop that created it; the action server has one loop.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.settings.timeout_seconds))
        return self._session
