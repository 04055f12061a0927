"""The one way the benchmarks send a citizen's message over Rasa's REST webhook."""

from __future__ import annotations

import asyncio
from typing import Optional

import aiohttp


async def post_message(session: aiohttp.ClientSession, url: str, sender: str, message: str) -> tuple[Optional[list], Optional[str]]:
    """(the assistant's replies, None), or (None, what went wrong: `HTTP <status>` or the exception's name)."""
    try:
        async with session.post(url, json={"sender": sender, "message": message}) as response:
            if response.status != 200:
                await response.read()
                return None, f"HTTP {response.status}"
            return await response.json(), None
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return None, type(exc).__name__
