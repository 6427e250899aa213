"""Open, closing, closed: what an ``AsyncClient`` does with calls around ``aclose()``.

Every call registers its own cancel scope while it runs. Closing refuses new calls, cancels the
ones in flight at once and waits until they have finished their clean-up (so their connections
are closed or back in the pool before the pool itself is closed, and no socket is left for the
garbage collector to warn about); each of them raises :class:`ClientClosedError`. The closer's
own cancel scope bounds that wait; the pool is closed either way.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

import anyio
import attrs

from omsclient._concurrency import current_loop, has_ended
from omsclient.errors import ClientClosedError, ConfigurationError

__all__ = [
    "CLOSED",
    "CLOSED_DURING",
    "CutShort",
    "Lifecycle",
    "Progress",
    "cut_short",
    "heard_cut_short",
]

CLOSED = "this client is closed; create a new one (or keep it open while calls use it)"
"""What the error of a call made on a closed client says after the call's name."""
CLOSED_DURING = "the client was closed during this call"
"""What the error of a call a close cut short says after the call's name."""
_POLL_SECONDS = 0.01

_tell_cut_short: ContextVar[Callable[[CutShort], None] | None] = ContextVar(
    "omsclient_tell_cut_short", default=None
)
"""Where a write cut short by an outside close says what it was sending (see
:func:`heard_cut_short`); None in a call of an ``AsyncClient`` used directly."""


@attrs.frozen
class CutShort:
    """A write a cancellation from outside the client cut short: its operation, what it
    changes, and whether its request may have reached the server."""

    operation: str
    changes: str
    reached: bool


def cut_short(write: CutShort) -> None:
    """Tell the task's close (see :func:`heard_cut_short`), if any, of ``write``.

    The blocking client's close cancels its calls before the client's own close runs (so
    that an export between two requests stops at once): the cancellation passes by the
    session's handling of a close, which alone knows whether the write's request went out.
    """
    tell = _tell_cut_short.get()
    if tell is not None:
        tell(write)


def heard_cut_short(scope: anyio.CancelScope) -> list[CutShort]:
    """Where the writes of this task (see :func:`cut_short`) say what they were sending when
    cancelling ``scope`` cuts them short. For a task of its own whose call a close stops by
    cancelling ``scope``: the blocking client's (see ``_loop_thread``)."""
    heard: list[CutShort] = []

    def tell(write: CutShort) -> None:
        # Only the close's: a write the caller's own deadline stopped, the call going on,
        # was not what the close cut short.
        if scope.cancel_called:
            heard.append(write)

    _tell_cut_short.set(tell)
    return heard


class Progress:
    """How far a call has got: whether its request may have reached the server yet. A close
    cutting the call short says so (``maybe_applied``): a write still waiting for a free slot
    was never sent."""

    __slots__ = ("reached",)

    def __init__(self) -> None:
        self.reached = False


class Lifecycle:
    """Shared by a client and its ``with_options`` views."""

    def __init__(self) -> None:
        self.closed: bool = False
        self._calls: set[anyio.CancelScope] = set()
        # The event loop of the calls in flight, and what guards it: a client used from two
        # threads' loops at once swapped its pool between them, and hung or failed with
        # asyncio's errors.
        self._loop: object = None
        self._loop_lock = threading.Lock()
        self._drained: anyio.Event | None = None
        self._shut: anyio.Event | None = None  # set when the first close() is over

    def _forget_calls_of_a_closed_loop(self) -> None:
        """Forget the calls of an asyncio loop closed with them suspended in it (an iterator
        left by ``break`` on a loop made by hand, closed without ending its tasks and
        generators first): nothing can run them again, nor end them, and taken for calls in
        flight they refused every later call and the close, for good. Under the lock."""
        if has_ended(self._loop):
            self._calls.clear()
            self._loop = None

    @property
    def busy(self) -> bool:
        """Whether a call is in flight (waiting for the server, or between its attempts)."""
        return bool(self._calls)

    def refuse_if_closed(self, operation: str) -> None:
        """Raise :class:`ClientClosedError` naming ``operation`` if the client is (being)
        closed."""
        if self.closed:
            raise ClientClosedError(f"{operation}: {CLOSED}")

    @asynccontextmanager
    async def call(self, operation: str, progress: Progress | None = None) -> AsyncIterator[None]:
        """Run one call, or raise :class:`ClientClosedError` if the client is (being) closed;
        cut short by the close, with ``maybe_applied`` as ``progress`` says (True without)."""
        self.refuse_if_closed(operation)
        scope = anyio.CancelScope()
        loop = current_loop()
        with self._loop_lock:
            # Again under the lock: a close from another loop sets it there, and must find
            # every call it lets through on its own loop.
            self.refuse_if_closed(operation)
            self._forget_calls_of_a_closed_loop()
            if self._calls and loop is not self._loop:
                raise ConfigurationError(
                    f"{operation}: this client has calls in flight on another event loop "
                    "(another thread's): an AsyncClient serves one event loop at a time; make "
                    "one per thread, or share a blocking omsclient.Client, which any thread "
                    "may call"
                )
            self._loop = loop
            self._calls.add(scope)
        within = False  # a call within this one (a waiter's poll), stopped by the same close
        try:
            with scope:
                try:
                    yield
                except ClientClosedError:
                    if not scope.cancel_called:
                        raise
                    within = True
        finally:
            with self._loop_lock:
                self._calls.discard(scope)
                if not self._calls:
                    self._loop = None
            if not self._calls and self._drained is not None:
                self._drained.set()
        if scope.cancelled_caught or within:
            # Named as the call the caller made, not one it made within.
            raise ClientClosedError(
                f"{operation}: {CLOSED_DURING}",
                maybe_applied=progress is None or progress.reached,
            )

    async def close(self, close_pool: Callable[[], Awaitable[None]]) -> None:
        """Refuse new calls, cancel and await the ones in flight, then ``close_pool()``.

        The caller's cancel scope (``anyio.fail_after``, ``asyncio.timeout``) bounds the wait
        for the calls, never the closing of the pool.

        A second close (a shutdown handler's beside an ``async with`` exit) returns once the
        first is over, so that for every caller the calls have stopped and the pool is closed.
        """
        with self._loop_lock:
            # Under the lock: two closes at once from two loops both found no close begun,
            # and both closed the pool.
            begun = self._shut
            if begun is None:
                self._forget_calls_of_a_closed_loop()
                if self._calls and current_loop() is not self._loop:
                    # Their cancel scopes and the wait for them belong to that loop: cancelled
                    # from here they went on, and the wait never ended.
                    raise ConfigurationError(
                        "aclose: this client has calls in flight on another event loop (another "
                        "thread's): close it from that loop, or once its calls are over"
                    )
                self.closed = True
                self._shut = shut = anyio.Event()
        if begun is not None:
            # Polled, not awaited: the event belongs to the loop of the first close, and this
            # one may run on another (another thread's, or asyncio then trio), which its set()
            # would never wake.
            while not begun.is_set():  # noqa: ASYNC110
                await anyio.sleep(_POLL_SECONDS)
            return
        try:
            if self._calls:
                self._drained = anyio.Event()
                for scope in self._calls:
                    scope.cancel()
                # Not shielded: a call stuck where no cancellation reaches it (a hook of the
                # caller's http_client that shields itself) would hold the caller for as long
                # as it likes; the caller's deadline ends the wait instead.
                await self._drained.wait()
        finally:
            try:
                # However the wait ended, the pool is closed: the sockets of a call still
                # unwinding with it, and the close is over for a second aclose().
                with anyio.CancelScope(shield=True):
                    await close_pool()
            finally:
                shut.set()
