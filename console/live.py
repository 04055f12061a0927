"""Live updates for open pages: an in-process hub and server-sent events.

The feed calls `Hub.notify(conversation_id)` after each applied event, the handoff views after
each state change. Each open page holds one SSE stream; it receives the conversation id that
changed (or "queue") and fetches what it shows again, so no text ever travels in the event.
"""

from __future__ import annotations

import asyncio
from typing import Optional

from aiohttp import web

QUEUE = "queue"
KEEPALIVE_SECONDS = 15


class Hub:
    def __init__(self) -> None:
        self._listeners: set[asyncio.Queue] = set()
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def notify(self, topic: str) -> None:
        """Thread-safe: the SQL feed calls it from a worker thread."""
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._publish, topic)

    def _publish(self, topic: str) -> None:
        for queue in list(self._listeners):
            queue.put_nowait(topic)

    def close(self) -> None:
        """Ends every open stream (on shutdown, so stopping the console does not wait for them)."""
        for queue in list(self._listeners):
            queue.put_nowait(None)

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        self._listeners.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self._listeners.discard(queue)


async def event_stream(request: web.Request, hub: Hub, wanted: set[str]) -> web.StreamResponse:
    """`text/event-stream` of the topics in `wanted` (a conversation id, or QUEUE for any change)."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    await response.prepare(request)
    queue = hub.subscribe()
    try:
        await response.write(b": connected\n\n")
        while True:
            try:
                topic = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
            except asyncio.TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if topic is None:
                break
            if QUEUE in wanted or topic in wanted:
                name = "queue" if QUEUE in wanted else "conversation"
                await response.write(f"event: {name}\ndata: changed\n\n".encode())
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        hub.unsubscribe(queue)
    return response
