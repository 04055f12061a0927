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

Rasa's `RedisLockStore` reads the conversation's ticket lock, changes it and writes it back in three
separate Redis calls (issuing a ticket, dropping expired ones, finishing one): two processes taking
a ticket at the same moment both got ticket 0, both handled their message at once, and the second
save stored only the events beyond the first's, so a citizen's message was lost
(tests/scale/test_consistency.py caught it in about half the runs; Rasa issue #9213; the fix Rasa
ships, `ConcurrentRedisLockStore`, is not in Rasa Open Source). Here every read-change-write of a
conversation's ticket lock holds a short Redis mutex of that conversation (redis-py's `Lock`:
SET NX with an expiry, released by a script), so the changes of two processes never interleave.

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
from redis.exceptions import LockError as RedisMutexError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# One error line per this many seconds while Redis stays down (not one per message).
LOG_EVERY_SECONDS = 10.0
# The mutex around one read-change-write of a ticket lock: held for a few Redis calls, so a holder
# that died frees it after MUTEX_SECONDS, and a waiter gives up after as long.
MUTEX_SECONDS = 5.0


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

    def _mutex(self, conversation_id: Text) -> Any:
        return self.red.lock(f"{self.key_prefix}{conversation_id}:mutex", timeout=MUTEX_SECONDS, blocking_timeout=MUTEX_SECONDS)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """`LockStore.issue_ticket` under the conversation's mutex: one ticket number per message."""
        try:
            with self._mutex(conversation_id):
                return super().issue_ticket(conversation_id, lock_lifetime)
        except (RedisMutexError, *UNREACHABLE) as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: Text) -> None:
        """`LockStore.update_lock` (drops expired tickets) under the conversation's mutex."""
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """`LockStore.cleanup` under the conversation's mutex: a ticket issued meanwhile by another
        process is never deleted with the lock. Without the mutex the ticket expires with its lifetime."""
        try:
            with self._mutex(conversation_id):
                super().cleanup(conversation_id, ticket_number)
        except RedisMutexError as error:
            logger.warning("Conversation lock not released (%s): its ticket expires with its lifetime", error)

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
