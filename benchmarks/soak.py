"""Soak run of the scaled-out assistant: 100 concurrent citizens for 10 minutes (loopback only).

    bash scripts/setup-scale.sh
    .venv/bin/python -m benchmarks.soak [--citizens 100] [--minutes 10]   # writes benchmarks/REPORT.md

Starts the scaled-out setup itself (deploy/local_cluster.py: 2 Rasa processes, PostgreSQL
tracker store, Redis lock store, 2 action servers, HAProxy; private databases, redis-server
and ports), then keeps `--citizens` citizens talking through HAProxy for `--minutes`: each
holds 8-message conversations with a short pause (0.5-2 s) between messages. Checks: no error,
every message sent is in the tracker store, and memory: no process's resident memory grows by
more than 10 % between the end of the first 2 minutes (warm-up) and the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

from benchmarks.report import percentile, write_section
from benchmarks.rest_client import post_message
from benchmarks.vs_vanilla import ASSISTANT_CONVERSATIONS
from deploy.local_cluster import LocalCluster

WARM_UP_SECONDS = 120


async def soak(cluster: LocalCluster, citizens: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    sent: dict[str, list[str]] = {}
    memory: dict[str, dict[str, float]] = {}
    deadline = time.monotonic() + seconds

    async def citizen(index: int, session: aiohttp.ClientSession) -> None:
        await asyncio.sleep(random.uniform(0, 5))  # staggered arrivals
        turn = 0
        while time.monotonic() < deadline:
            sender = uuid.uuid4().hex
            sent[sender] = []
            for message in ASSISTANT_CONVERSATIONS[(index + turn) % len(ASSISTANT_CONVERSATIONS)]:
                started = time.perf_counter()
                replies, error = await post_message(session, f"{cluster.url}/webhooks/rest/webhook", sender, message)
                if error or not replies:
                    errors.append(error or "HTTP 200, 0 replies")
                else:
                    sent[sender].append(message)
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(random.uniform(0.5, 2.0))
            turn += 1

    async def sample_memory() -> None:
        await asyncio.sleep(min(WARM_UP_SECONDS, seconds / 2))
        memory["after warm-up"] = cluster.rss_mb()
        await asyncio.sleep(max(0.0, deadline - time.monotonic() - 1))
        memory["end"] = cluster.rss_mb()

    connector = aiohttp.TCPConnector(limit=citizens + 10)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        started = time.perf_counter()
        await asyncio.gather(sample_memory(), *(citizen(i, session) for i in range(citizens)))
        elapsed = time.perf_counter() - started
    missing = 0
    for sender, messages in sent.items():
        stored = [e["text"] for e in cluster.stored_events(sender) if e["event"] == "user"]
        missing += max(0, len(messages) - len(stored))
    return {
        "messages": len(latencies),
        "seconds": elapsed,
        "errors": errors,
        "missing": missing,
        "conversations": len(sent),
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "memory": memory,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("SOAK_PORT_BASE", "19500")))
    args = parser.parse_args()
    cluster = LocalCluster(workdir=Path(tempfile.mkdtemp(prefix="soak-")), port_base=args.port_base)
    try:
        print("[soak] starting the scaled-out assistant", flush=True)
        cluster.start()
        print(f"[soak] {args.citizens} citizens for {args.minutes} min", flush=True)
        load_before = os.getloadavg()
        result = asyncio.run(soak(cluster, args.citizens, args.minutes * 60))
        load_after = os.getloadavg()
    finally:
        cluster.stop()
    growth = {}
    for name, start_mb in result["memory"].get("after warm-up", {}).items():
        end_mb = result["memory"].get("end", {}).get(name, 0)
        growth[name] = (start_mb, end_mb, 100 * (end_mb - start_mb) / start_mb if start_mb else 0)
    steady = all(pct <= 10 for _, _, pct in growth.values())
    verdict = "steady: no process grew by more than 10 %" if steady else "NOT steady"
    rows = "\n".join(f"| {name} | {a:.0f} | {b:.0f} | {pct:+.1f} % |" for name, (a, b, pct) in growth.items())
    markdown = f"""## Soak run of the scaled-out setup (`python -m benchmarks.soak`)

{args.citizens} concurrent citizens for {args.minutes:g} min through HAProxy: 2 Rasa processes (PostgreSQL tracker
store, Redis lock store), 2 action servers. Each citizen holds 8-message conversations with a 0.5-2 s pause between
messages. Load average (1/5/15 min) before: {load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f}, after:
{load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f}.

| messages | conversations | messages/s | p50 ms | p95 ms | p99 ms | errors | messages missing from tracker store |
|---:|---:|---:|---:|---:|---:|---:|---:|
| {result["messages"]} | {result["conversations"]} | {result["messages"] / result["seconds"]:.1f} \
| {result["p50"] * 1000:.0f} | {result["p95"] * 1000:.0f} | {result["p99"] * 1000:.0f} | {len(result["errors"])} | {result["missing"]} |

Resident memory (MB) after the {WARM_UP_SECONDS // 60}-minute warm-up and at the end ({verdict}):

| process | after warm-up | end | growth |
|---|---:|---:|---:|
{rows}
"""
    write_section("soak", markdown)
    print(markdown)
    if result["errors"]:
        print("first errors:", result["errors"][:10])
    if result["errors"] or result["missing"] or not steady:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
