"""Calls that run ahead of an iterator's consumer, in tasks of their own.

An iterator that keeps ``N`` requests in flight while its consumer reads a page needs those
requests to outlive the ``yield`` that hands the page out. An async generator may not hold a task
group or a cancel scope across a ``yield`` (closing it from another task, as the event loop does
when it drops one, breaks the scope), and anyio starts tasks only in task groups. So each call
here runs in a task started on the event loop itself: asyncio's ``create_task``, or a task of
trio's system nursery. Each has its own cancel scope and keeps whatever it raised for the
consumer: nothing escapes into the loop, and :func:`cancel_all` cancels and awaits the calls an
iterator leaves behind when it is closed.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar, cast

import anyio
import anyio.lowlevel
import sniffio

from omsclient._concurrency import raise_unheld

__all__ = ["Finishing", "Pending", "cancel_all", "let_them_send", "run_ahead"]

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

# Event loop turns a call just started takes to write its request: httpx passes a few anyio
# checkpoints first.
_SEND_STEPS = 8


class Pending(Generic[T]):
    """A call running in the background: its result is awaited with :meth:`result`."""

    __slots__ = ("_done", "_error", "_scope", "_task", "_value")

    def __init__(self) -> None:
        self._scope = anyio.CancelScope()
        self._done = anyio.Event()
        self._value: T | None = None
        self._error: BaseException | None = None
        self._task: object = None  # a strong reference: asyncio keeps only weak ones

    async def _run(self, call: Callable[[], Awaitable[T]]) -> None:
        try:
            with self._scope:
                self._value = await call()
        except anyio.get_cancelled_exc_class():
            raise  # the loop itself is shutting down
        except BaseException as exc:  # kept for the consumer, who raises it in its own task
            self._error = exc
        finally:
            self._done.set()

    def _taken_error(self) -> BaseException:
        """The error kept, let go of here (see :func:`~omsclient._concurrency.raise_unheld`)."""
        error, self._error = self._error, None
        return cast(BaseException, error)

    def done(self) -> bool:
        """Whether the call has ended."""
        return self._done.is_set()

    def cancel(self) -> None:
        """Cancel the call (it ends at its next checkpoint)."""
        self._scope.cancel()

    async def result(self) -> T:
        """The call's result, once it is done; what it raised is raised here (asked for once)."""
        await self._done.wait()
        if self._error is not None:
            raise_unheld(self._taken_error())
        if self._scope.cancelled_caught:
            raise RuntimeError("the result of a cancelled call was asked for")
        return self._value  # type: ignore[return-value]


def run_ahead(call: Callable[[], Awaitable[T]]) -> Pending[T]:
    """Start ``await call()`` in a task of the running event loop and return at once."""
    pending: Pending[T] = Pending()
    if sniffio.current_async_library() == "trio":
        import trio  # an optional dependency, loaded already when it runs the loop

        context = contextvars.copy_context()  # as asyncio's tasks do: logging, tracing
        pending._task = trio.lowlevel.spawn_system_task(pending._run, call, context=context)
    else:
        pending._task = asyncio.get_running_loop().create_task(pending._run(call))
    return pending


async def let_them_send(refill: Callable[[], bool] = lambda: False) -> None:
    """Give the calls just started the loop turns they need to send their requests, calling
    ``refill`` after each turn.

    Without them a call started and then followed by CPU-heavy work (building a page's models,
    a consumer reading rows) sends nothing until that work is done: its round trip would begin
    late instead of overlapping it. Calls end during those turns too (their answers were in):
    ``refill`` starts the ones that take their place, which would otherwise wait for the
    consumer to come back for more, and returns whether it started any; those get their turns
    too. (It starts calls only while there is room for them, so the turns end.)
    """
    steps = _SEND_STEPS
    while steps:
        await anyio.lowlevel.checkpoint()
        steps = _SEND_STEPS if refill() else steps - 1


async def cancel_all(pending: Iterable[Pending[Any]]) -> None:
    """Cancel every call and wait until each has ended, even if the caller is cancelled."""
    calls = [call for call in pending if not call._done.is_set()]
    for call in calls:
        call.cancel()
    with anyio.CancelScope(shield=True):
        for call in calls:
            if not call._done.is_set():  # waiting on a set event still costs a loop turn
                await call._done.wait()


class Finishing(Generic[K, T]):
    """Calls running ahead under keys, handed back in the order they finish.

    A consumer of several independent sources (a scan's windows) that waited for them in a
    fixed order would hold every source's next call behind the slowest one.
    """

    def __init__(self) -> None:
        self._running: dict[K, Pending[T]] = {}
        self._finished: deque[K] = deque()
        self._wake = anyio.Event()

    def __len__(self) -> int:
        return len(self._running)

    def start(self, key: K, call: Callable[[], Awaitable[T]]) -> None:
        """Run ``await call()`` ahead, under ``key`` (one call per key at a time)."""
        if key in self._running:
            raise RuntimeError(f"a call is already running under {key!r}")

        async def run() -> T:
            try:
                return await call()
            finally:
                self._finished.append(key)
                self._wake.set()

        self._running[key] = run_ahead(run)

    async def next(self) -> tuple[K, T]:
        """The key and result of the call that finished first; what it raised is raised here."""
        while not self._finished:
            await self._wake.wait()
            self._wake = anyio.Event()
        key = self._finished.popleft()
        return key, await self._running.pop(key).result()

    async def cancel(self) -> None:
        """Cancel every call still running and wait until each has ended."""
        running, self._running = self._running, {}
        await cancel_all(running.values())
        self._finished.clear()
