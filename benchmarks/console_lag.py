"""How long a citizen's message takes to reach the support staff console under load.

N simulated citizens (the conversations of benchmarks.load_rest) talk over the REST webhook at
the same time; a poller reads the console's index (CONSOLE_DATABASE_URL) every 50 ms. For each
message, the lag is the time from the end of its turn (the HTTP reply, when Rasa saves the
tracker and streams the events) to its row in the index. Target: under 2 s.

    .venv/bin/python -m benchmarks.console_lag --users 20
(start everything first with scripts/run.sh; settings come from scripts/env.sh)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import threading
import time
import uuid

import aiohttp
from sqlalchemy import func, select

from benchmarks.load_rest import CONVERSATIONS
from benchmarks.report import percentile, write_section
from benchmarks.rest_client import post_message
from console.index.db import create_index_engine
from console.index.models import messages

POLL_SECONDS = 0.05


class IndexWatcher(threading.Thread):
    """Records when the index first holds k user messages of each conversation."""

    def __init__(self, senders: set[str]):
        super().__init__(daemon=True)
        self.engine = create_index_engine()
        self.senders = senders
        self.seen: dict[tuple[str, int], float] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        query = select(messages.c.conversation_id, func.count()).where(messages.c.kind == "user").group_by(messages.c.conversation_id)
        while not self.stopping.is_set():
            now = time.monotonic()
            with self.engine.connect() as connection:
                for sender, count in connection.execute(query):
                    if sender in self.senders:
                        for k in range(1, count + 1):
                            self.seen.setdefault((sender, k), now)
            time.sleep(POLL_SECONDS)
        self.engine.dispose()


async def citizen(session, url, conversation, sender, answered, errors):
    for k, message in enumerate(conversation, start=1):
        _, error = await post_message(session, url, sender, message)
        if error:
            errors.append(error)
            continue
        answered[(sender, k)] = time.monotonic()
        await asyncio.sleep(random.uniform(0.05, 0.3))


async def run(rasa_url: str, users: int) -> dict:
    senders = [uuid.uuid4().hex for _ in range(users)]
    watcher = IndexWatcher(set(senders))
    watcher.start()
    answered: dict[tuple[str, int], float] = {}
    errors: list[str] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        await asyncio.gather(
            *(
                citizen(session, f"{rasa_url}/webhooks/rest/webhook", CONVERSATIONS[i % len(CONVERSATIONS)], sender, answered, errors)
                for i, sender in enumerate(senders)
            )
        )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not set(answered) <= set(watcher.seen):
        await asyncio.sleep(0.1)
    watcher.stopping.set()
    watcher.join()
    lags = [max(0.0, watcher.seen[key] - at) for key, at in answered.items() if key in watcher.seen]
    return {
        "users": users,
        "messages": len(answered),
        "indexed": len(lags),
        "errors": len(errors),
        "p50": percentile(lags, 50),
        "p95": percentile(lags, 95),
        "max": max(lags) if lags else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    r = asyncio.run(run(args.rasa_url, args.users))
    table = (
        "## Console index lag under load (`python -m benchmarks.console_lag`)\n\n"
        f"{r['users']} concurrent citizens over the REST webhook; time from the end of each turn to the "
        "citizen's message in the console's index (SQL event broker, SQLite).\n\n"
        "| messages | in the index | errors | lag p50 ms | lag p95 ms | lag max ms |\n|---|---|---|---|---|---|\n"
        f"| {r['messages']} | {r['indexed']} | {r['errors']} | {r['p50'] * 1000:.0f} | {r['p95'] * 1000:.0f} | "
        f"{r['max'] * 1000:.0f} |"
    )
    write_section("console_lag", table)
    print(table)
    if r["errors"] or r["indexed"] < r["messages"] or r["max"] >= 2:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
