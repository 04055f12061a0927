"""End-to-end load run against the running assistant over the REST webhook.

N simulated citizens hold realistic multi-turn Vietnamese conversations at the same time.
Reports messages/s, latency p50/p95/p99 and errors, then checks through the JWT-protected
HTTP API that every message sent is in the tracker store.

    .venv/bin/python -m benchmarks.load_rest --users 20 --rounds 2
(start the assistant first with scripts/run.sh; RASA_URL and JWT_SECRET come from scripts/env.sh)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid

import aiohttp
import jwt

from benchmarks.report import percentile, write_section
from benchmarks.rest_client import post_message

CONVERSATIONS = [
    ["xin chào", "con tôi mới sinh", "cần giấy tờ gì", "lệ phí bao nhiêu", "cảm ơn"],
    ["chao ban", "lam ho chieu can gi", "mat bao lau", "lam online dc ko", "ok cam on"],
    ["tôi muốn đổi bằng lái xe", "nộp ở đâu", "tôi ở Tháp Chàm", "bao lâu thì có"],
    ["mat cccd lam lai the nao", "phi bn", "cam on nhe"],
    ["đăng ký tạm trú cần những gì", "có làm trên VNeID được không", "tạm biệt"],
    ["Hello", "my passport expired", "how much does it cost", "thanks"],
    ["bố tôi mất, cần làm thủ tục gì", "hồ sơ gồm những gì", "cảm ơn bạn"],
    ["kiểm tra hồ sơ", "000.00.31.H57-261105-0012", "0900000002", "cảm ơn"],
]


async def citizen(session, url, conversation, latencies, errors, sent):
    sender = uuid.uuid4().hex
    sent[sender] = []
    for message in conversation:
        started = time.perf_counter()
        _, error = await post_message(session, url, sender, message)
        latencies.append(time.perf_counter() - started)
        if error:
            errors.append(error)
            continue
        sent[sender].append(message)
        await asyncio.sleep(random.uniform(0.05, 0.3))  # a citizen's pause between messages


async def stored_user_messages(session, rasa_url, token, sender):
    async with session.get(f"{rasa_url}/conversations/{sender}/tracker", headers={"Authorization": f"Bearer {token}"}) as response:
        tracker = await response.json()
    return [e.get("text") for e in tracker.get("events", []) if e.get("event") == "user"]


async def run(rasa_url: str, users: int, rounds: int, jwt_secret: str) -> dict:
    latencies, errors, sent = [], [], {}
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        for _ in range(rounds):
            await asyncio.gather(
                *(
                    citizen(session, f"{rasa_url}/webhooks/rest/webhook", CONVERSATIONS[i % len(CONVERSATIONS)], latencies, errors, sent)
                    for i in range(users)
                )
            )
        elapsed = time.perf_counter() - started
        claims = {"user": {"username": "benchmark", "role": "admin"}, "exp": int(time.time()) + 600}  # exp required
        token = jwt.encode(claims, jwt_secret, algorithm="HS256")
        missing = 0
        for sender, messages in sent.items():
            # Compare counts: phone numbers are masked before they are persisted, by design.
            stored = await stored_user_messages(session, rasa_url, token, sender)
            missing += max(0, len(messages) - len(stored))
    return {
        "users": users,
        "rounds": rounds,
        "messages": len(latencies),
        "seconds": elapsed,
        "throughput": len(latencies) / elapsed,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "errors": len(errors),
        "missing": missing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    secret = os.environ["JWT_SECRET"]
    r = asyncio.run(run(args.rasa_url, args.users, args.rounds, secret))
    table = (
        "## End-to-end load over the REST webhook (`python -m benchmarks.load_rest`)\n\n"
        f"{r['users']} concurrent citizens × {r['rounds']} rounds of multi-turn Vietnamese conversations, "
        "one Rasa server + one action server, SQLite tracker store.\n\n"
        "| messages | seconds | messages/s | p50 ms | p95 ms | p99 ms | errors | messages missing from tracker store |\n"
        "|---|---|---|---|---|---|---|---|\n"
        f"| {r['messages']} | {r['seconds']:.1f} | {r['throughput']:.1f} | {r['p50'] * 1000:.0f} | "
        f"{r['p95'] * 1000:.0f} | {r['p99'] * 1000:.0f} | {r['errors']} | {r['missing']} |"
    )
    write_section("load_rest", table)
    print(table)
    if r["errors"] or r["missing"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
