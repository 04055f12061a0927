"""The few calls the console makes to Rasa's HTTP API (internal, JWT-signed with JWT_SECRET).

`pause` keeps the assistant silent while a person answers; a `bot` event appended with
`execute_side_effects=true&output_channel=latest` is delivered to the citizen's widget and
recorded in the tracker; `resume` hands the conversation back.
"""

from __future__ import annotations

import time
from typing import Any, Optional
from urllib.parse import quote

import aiohttp
import jwt


class RasaApiError(RuntimeError):
    pass


class RasaApi:
    def __init__(self, url: str, jwt_secret: str, session: aiohttp.ClientSession) -> None:
        self.url = url.rstrip("/")
        self.jwt_secret = jwt_secret
        self.session = session

    def _headers(self) -> dict[str, str]:
        now = int(time.time())
        token = jwt.encode({"user": {"username": "console", "role": "admin"}, "iat": now, "exp": now + 60}, self.jwt_secret, algorithm="HS256")
        return {"Authorization": f"Bearer {token}"}

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]], deliver: bool = False) -> None:
        url = f"{self.url}/conversations/{quote(conversation_id, safe='')}/tracker/events"
        params = {"execute_side_effects": "true", "output_channel": "latest"} if deliver else None
        async with self.session.post(url, json=events, params=params, headers=self._headers(), timeout=aiohttp.ClientTimeout(total=15)) as response:
            if response.status >= 400:
                raise RasaApiError(f"Rasa answered {response.status}")

    async def say(self, conversation_id: str, text: str, staff: Optional[str] = None, custom: Optional[dict] = None) -> None:
        """A message in the citizen's chat; `staff` marks it as a person's reply in the transcript."""
        event: dict[str, Any] = {"event": "bot", "text": text, "timestamp": time.time(), "metadata": {"staff_reply": staff} if staff else {}}
        if custom:
            event["data"] = {"custom": custom}
        await self.append_events(conversation_id, [event], deliver=True)

    async def pause(self, conversation_id: str) -> None:
        await self.append_events(conversation_id, [{"event": "pause", "timestamp": time.time()}])

    async def resume(self, conversation_id: str) -> None:
        # `action_listen` after `resume`: the next message then starts a turn the way the
        # assistant's rules expect (the pause left the tracker after action_request_human).
        now = time.time()
        await self.append_events(
            conversation_id, [{"event": "resume", "timestamp": now}, {"event": "action", "name": "action_listen", "timestamp": now}]
        )
