"""The conversation lock shared by several Rasa processes, against a real Redis: tickets taken at the
same moment by two processes are distinct, so their messages are handled one after the other.
Skipped (with the reason) when no Redis answers on REDIS_HOST:REDIS_PORT (127.0.0.1:6379 by default)."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
import redis

from bot.lock_store import FallbackRedisLockStore

HOST = os.environ.get("REDIS_HOST", "127.0.0.1")
PORT = int(os.environ.get("REDIS_PORT", "6379"))


@pytest.fixture
def stores():
    try:
        redis.Redis(host=HOST, port=PORT, socket_timeout=1).ping()
    except redis.exceptions.RedisError as error:
        pytest.skip(f"no Redis on {HOST}:{PORT}: {error}")
    prefix = "locktest" + uuid.uuid4().hex[:8]
    # Two stores stand for two Rasa processes: nothing in memory is shared between them.
    made = [FallbackRedisLockStore(host=HOST, port=PORT, key_prefix=prefix) for _ in range(2)]
    yield made
    for key in made[0].red.scan_iter(f"{prefix}*"):
        made[0].red.delete(key)


def test_tickets_taken_at_once_by_two_processes_are_all_distinct(stores):
    conversation = uuid.uuid4().hex
    start = threading.Barrier(16)
    tickets: list[int] = []

    def take(store: FallbackRedisLockStore) -> None:
        start.wait()
        tickets.append(store.issue_ticket(conversation, lock_lifetime=60))

    threads = [threading.Thread(target=take, args=(stores[i % 2],)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(tickets) == list(range(16))
    lock = stores[0].get_lock(conversation)
    assert lock is not None and sorted(t.number for t in lock.tickets) == list(range(16))


def test_a_finished_ticket_leaves_the_waiting_ones_in_place(stores):
    conversation = uuid.uuid4().hex
    first = stores[0].issue_ticket(conversation)
    second = stores[1].issue_ticket(conversation)
    stores[0].cleanup(conversation, first)
    lock = stores[1].get_lock(conversation)
    assert lock is not None and [t.number for t in lock.tickets] == [second]
    stores[1].cleanup(conversation, second)
    assert stores[0].get_lock(conversation) is None
