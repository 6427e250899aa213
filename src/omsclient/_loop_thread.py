"""An event loop in a daemon thread that other threads hand coroutines to.

The blocking :class:`~omsclient.Client` runs its ``AsyncClient`` here. The thread is a daemon,
so a client nobody closed never keeps the interpreter alive; a finalizer closes such a client
properly (its connections, then the loop) when it is collected or the interpreter exits.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from concurrent.futures import Future
from typing import TypeVar

import anyio
from anyio.from_thread import BlockingPortal

from omsclient.errors import ClientClosedError

__all__ = ["LoopThread"]

T = TypeVar("T")

_CLOSED = "this client is closed; create a new one (or keep it open while calls use it)"


class LoopThread:
    """One asyncio event loop running in a daemon thread until :meth:`stop`."""

    def __init__(self, name: str) -> None:
        self.closed = False
        self._started: Future[BlockingPortal] = Future()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._portal = self._started.result()

    def _run(self) -> None:
        try:
            anyio.run(self._serve)
        except BaseException as exc:  # the loop could not start: tell the waiting constructor
            if not self._started.done():
                self._started.set_exception(exc)
            raise

    async def _serve(self) -> None:
        async with BlockingPortal() as portal:
            self._started.set_result(portal)
            await portal.sleep_until_stopped()

    def call(self, func: Callable[[], Awaitable[T]]) -> T:
        """Run ``await func()`` on the loop and return its result, from any other thread."""
        if self.closed:
            raise ClientClosedError(_CLOSED)
        try:
            return self._portal.call(func)
        except RuntimeError as exc:
            if self.closed and "not running" in str(exc):
                raise ClientClosedError(_CLOSED) from exc
            raise

    def iterate(self, agen: AsyncGenerator[T, None]) -> Iterator[T]:
        """Drive ``agen`` on the loop, one item a step, from any other thread.

        Leaving early (``break``, an exception) closes it on the loop, unless the client was
        closed first: that ended the loop, and the generator with it.
        """
        try:
            while True:
                try:
                    item = self.call(agen.__anext__)
                except StopAsyncIteration:
                    return
                yield item
        finally:
            if not self.closed:
                self.call(agen.aclose)

    def close(self, last: Callable[[], Awaitable[None]], timeout: float | None = None) -> None:
        """Run ``await last()`` (closing the client), then stop the loop and its thread.

        With ``timeout``, give up waiting for ``last`` after that many seconds (at interpreter
        exit nothing may hang).
        """
        if self.closed:
            return
        if threading.current_thread() is self._thread:
            # Dropped by code running on this very loop, which cannot wait for itself: the
            # idle daemon thread and its sockets end with the process.
            self.closed = True
            return
        try:
            self._portal.start_task_soon(last).result(timeout)
        finally:
            self.closed = True
            self._portal.call(self._portal.stop, True)
            self._thread.join(timeout)
