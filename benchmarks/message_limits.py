"""How long one citizen message can hold the Rasa server, and whether others wait behind it.

Sends, over the REST webhook, messages at the length limit in nine shapes (words, one long word,
digits, emoji, repeated dossier codes and phone numbers...) and reports each one's time; then a
message at the limit and one far over it (100 KB), each with another citizen's short message
sent meanwhile, and how long that citizen waited.

    .venv/bin/python -m benchmarks.message_limits
(start the assistant first with scripts/run.sh; RASA_URL comes from scripts/env.sh)
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import aiohttp

from bot.channels.limits import max_message_length

WORDS = "tôi muốn làm hộ chiếu cho con ở huyện Ninh Phước thì cần giấy tờ gì và lệ phí bao nhiêu".split()


def shapes(limit: int) -> dict[str, str]:
    words = " ".join(WORDS[i % len(WORDS)] for i in range(limit))
    return {
        "Vietnamese words": words[:limit],
        "one long word": "a" * limit,
        "short words": ("a " * limit)[:limit],
        "digits": "0" * limit,
        "digit words": ("1 " * limit)[:limit],
        "emoji": "😀" * limit,
        "dossier codes": ("000.00.12.H57-261118-0003 " * limit)[:limit],
        "phone numbers": ("0900000001 " * limit)[:limit],
        "button payload": ("/" + "x" * limit)[:limit],
    }


async def post(session: aiohttp.ClientSession, url: str, text: str) -> tuple[int, float]:
    started = time.monotonic()
    async with session.post(url, json={"sender": uuid.uuid4().hex, "message": text}) as response:
        await response.read()
        return response.status, time.monotonic() - started


async def main() -> None:
    url = os.environ.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/") + "/webhooks/rest/webhook"
    limit = max_message_length()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
        await post(session, url, "xin chào")  # warm up
        for name, text in shapes(limit).items():
            status, took = await post(session, url, text)
            print(f"{name:18s} {len(text):6d} chars  HTTP {status}  {took:.2f} s")
        for text in (shapes(limit)["Vietnamese words"], " ".join(WORDS * 6000)[:100_000]):
            attack = asyncio.ensure_future(post(session, url, text))
            await asyncio.sleep(0.05)
            _, waited = await post(session, url, "xin chào")
            status, took = await attack
            print(f"{len(text):6d}-char message: HTTP {status} in {took:.3f} s; another citizen meanwhile waited {waited:.2f} s")


if __name__ == "__main__":
    asyncio.run(main())
