"""Helpers for the hardening tests: probes as an attacker on this machine would send them
(loopback only), and the servers' logs read from where the `assistant` fixture writes them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import requests

from tests.conftest import ARTIFACTS
from tests.web.test_socketio_protocol import WidgetClient

LOGS = ARTIFACTS / "logs"


class LogWatch:
    """What the Rasa, action and web servers logged since the watch started."""

    def __init__(self) -> None:
        self.offsets = {name: self._size(name) for name in ("rasa", "actions", "web")}

    @staticmethod
    def _path(name: str) -> Path:
        return LOGS / f"{name}.log"

    def _size(self, name: str) -> int:
        path = self._path(name)
        return path.stat().st_size if path.exists() else 0

    def new_text(self, name: str) -> str:
        with self._path(name).open("rb") as handle:
            handle.seek(self.offsets[name])
            return handle.read().decode("utf-8", "replace")

    def assert_no_traceback(self) -> None:
        for name in self.offsets:
            text = self.new_text(name)
            assert "Traceback" not in text, f"{name}.log:\n{text[-3000:]}"


@pytest.fixture
def logs(assistant) -> LogWatch:
    return LogWatch()


def rest_post(assistant, body, **kwargs) -> requests.Response:
    """POST to the REST webhook: `body` as JSON, or bytes/str sent as they are."""
    url = f"{assistant.rasa_url}/webhooks/rest/webhook"
    if isinstance(body, (bytes, str)):
        return requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=60, **kwargs)
    return requests.post(url, json=body, timeout=60, **kwargs)


def conversation_of(token: str) -> str:
    return token.rsplit(".", 2)[0]


class SocketClient(WidgetClient):
    """What the widget does (or an attacker's script): optional headers such as Origin, and
    the `message_rejected` events kept too."""

    def __init__(self, url: str, headers: dict | None = None):
        super().__init__(url, web_url=url)
        self.headers = headers or {}
        self.rejections: asyncio.Queue = asyncio.Queue()
        self.sio.on("message_rejected", self.rejections.put_nowait)

    async def connect(self) -> None:
        await self.sio.connect(self.url, transports=["websocket"], socketio_path="/socket.io/", headers=self.headers)

    async def start(self, presented=None) -> str:
        await self.connect()
        await self.sio.emit("session_request", {"session_id": presented})
        return await asyncio.wait_for(self.confirmations.get(), 10)

    async def send(self, token: str, text, metadata: dict | None = None) -> None:
        await self.sio.emit("user_uttered", {"message": text, "session_id": token, "metadata": metadata or {"language": "vi"}})
