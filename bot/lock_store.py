"""Redis lock store that keeps answering, one answer per message, while Redis is unreachable.

Several Rasa processes share one conversation lock per sender in Redis, so that two messages
of one conversation are never handled at the same time by two processes. Rasa's
`RedisLockStore` fails every message while Redis is down: the citizen gets no answer at all.
This subclass, when Redis cannot be reached to take the lock, logs an error and takes this
process's in-memory lock instead (the documented fallback): each message is still handled
once, by one process, and answered once. What the fallback cannot guarantee is the order of
two messages of one conversation that reach two *different* processes during the outage;
the load balancer routes each conversation to one process (deploy/haproxy.py), so that only
happens if a process goes down during a Redis outage.

endpoints.yml (deploy/endpoints-scaled.yml):
    lock_store:
      type: bot.lock_store.FallbackRedisLockStore
      url: ${REDIS_HOST}
      port: ${REDIS_PORT}
      db: ${REDIS_DB}
      key_prefix: ${REDIS_KEY_PREFIX}     # alphanumeric: one prefix per deployment / test run
      socket_timeout: 2
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# One error line per this many seconds while Redis stays down (not one per message).
LOG_EVERY_SECONDS = 10.0


class FallbackRedisLockStore(RedisLockStore):
    """`RedisLockStore`, falling back to an in-memory lock while Redis is unreachable."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        settings: dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config else {}
        settings.update(kwargs)
        if endpoint_config and endpoint_config.url:
            settings.setdefault("host", endpoint_config.url)
        settings.setdefault("socket_timeout", 2)
        for key in ("port", "db"):
            if key in settings:
                settings[key] = int(settings[key])
        if "socket_timeout" in settings:
            settings["socket_timeout"] = float(settings["socket_timeout"])
        settings.pop("type", None)
        super().__init__(**settings)
        self.fallback = InMemoryLockStore()
        self._last_logged = 0.0

    def _log_unreachable(self, error: BaseException) -> None:
        now = time.monotonic()
        if now - self._last_logged >= LOG_EVERY_SECONDS:
            self._last_logged = now
            logger.error("Redis lock store unreachable (%s): using this process's in-memory lock until it is back", error)

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncGenerator[TicketLock, None]:
        try:
            ticket = self.issue_ticket(conversation_id, lock_lifetime)
        except LockError as error:
            if not isinstance(error.__context__, UNREACHABLE):
                raise
            self._log_unreachable(error.__context__)
            async with self.fallback.lock(conversation_id, lock_lifetime, wait_time_in_seconds) as lock:
                yield lock
            return
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            try:
                self.cleanup(conversation_id, ticket)
            except UNREACHABLE as error:  # the ticket expires with the lock's lifetime
                self._log_unreachable(error)
