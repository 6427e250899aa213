"""A transport that follows the event loop it is used in.

A connection belongs to the event loop that opened it: an ``AsyncClient`` used from a second
``asyncio.run()`` (per-test event loops, task queues, notebooks) or from asyncio and then trio
would reuse sockets of a loop that is gone ("Event loop is closed"). This transport keeps one
pool per loop: the first request under a new loop builds a new pool.

The old pool is closed by its own loop, before that loop ends: ``asyncio.run`` and ``trio.run``
close every async generator still suspended before they return, so each pool comes with one
suspended generator whose ``finally`` closes it. No socket is left to the garbage collector.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable

import httpx

from omsclient._concurrency import current_loop
from omsclient._dropped import closed_when_dropped

__all__ = ["LoopBoundTransport"]


@closed_when_dropped  # a client dropped unclosed: closed on trio as on asyncio, quietly
async def _closed_with_its_loop(transport: httpx.AsyncBaseTransport) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await transport.aclose()


class LoopBoundTransport(httpx.AsyncBaseTransport):
    """Sends through ``make()``'s transport, built anew for each event loop."""

    def __init__(self, make: Callable[[], httpx.AsyncBaseTransport]) -> None:
        self._make = make
        self._loop: object = None
        self._transport: httpx.AsyncBaseTransport | None = None
        self._closer: AsyncGenerator[None, None] | None = None

    def current(self) -> httpx.AsyncBaseTransport | None:
        """This loop's transport, or None if it has none yet."""
        if self._loop is current_loop():
            return self._transport
        return None

    async def ready(self) -> httpx.AsyncBaseTransport:
        """This loop's transport, built if it has none yet (which may block the loop a while:
        httpx loads the CA certificates)."""
        transport = self.current()
        if transport is None:
            transport = self._make()
            closer = _closed_with_its_loop(transport)
            await closer.asend(None)
            # Held until the loop closes it (or the next loop replaces it, when the old loop
            # has already closed it).
            self._loop = current_loop()
            self._transport, self._closer = transport, closer
        return transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the current event loop's pool."""
        return await (await self.ready()).handle_async_request(request)

    async def aclose(self) -> None:
        """Close the current loop's pool (one of an earlier loop was closed by that loop)."""
        if self.current() is not None and self._closer is not None:
            closer, self._closer, self._transport = self._closer, None, None
            await closer.aclose()
