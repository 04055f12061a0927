"""A TCP proxy that can be taken down and brought back, to simulate a database outage.

Used by the scale fault tests between the Rasa processes and PostgreSQL (the shared
PostgreSQL server itself is never stopped). `down()` closes every open connection and refuses
new ones, like a restarting server; `up()` accepts again.
"""

from __future__ import annotations

import asyncio
import threading


class TcpProxy:
    def __init__(self, listen_port: int, target_host: str, target_port: int, host: str = "127.0.0.1") -> None:
        self.host, self.listen_port = host, listen_port
        self.target = (target_host, target_port)
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.AbstractServer | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="tcp-proxy")

    def start(self) -> "TcpProxy":
        self.thread.start()
        self.up()
        return self

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def up(self) -> None:
        self._call(self._listen())

    def down(self) -> None:
        self._call(self._close_all())

    def stop(self) -> None:
        self.down()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

    async def _listen(self) -> None:
        if self.server is None:
            self.server = await asyncio.start_server(self._handle, self.host, self.listen_port, reuse_address=True)

    async def _close_all(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self.writers.update((client_writer, server_writer))

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.transport.abort()
                self.writers.discard(writer)

        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))
