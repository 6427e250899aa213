"""Async generators a loop may leave early, closed by the event loop, under trio without a warning.

A loop left with ``break``, an error or a cancel in its body drops the iterator it was reading,
suspended. asyncio closes a dropped async generator on its next turn; trio does too, but also
warns (a ResourceWarning telling the reader to wrap it in ``aclosing()``, which an iterator
such as :class:`~omsclient.PageIterator` cannot take). Every loop left early would warn, and
fail the tests of a suite run with ``-W error``.

So the generators a caller iterates (and the one holding each event loop's pool, dropped with a
client left open) are handed out wrapped: when the wrapper is dropped under trio, it has the
generator closed in a task of trio's system nursery, as trio's own hook would, and the generator
is never collected unfinished. Under asyncio the event loop's hook closes it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncGenerator, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import anyio
import sniffio

from omsclient._concurrency import current_loop
from omsclient.errors import ConfigurationError

__all__ = ["closed_when_dropped"]

T = TypeVar("T")
P = ParamSpec("P")

logger = logging.getLogger(__name__)

Closer = Callable[[AsyncGenerator[Any, None]], None]


def closed_when_dropped(
    func: Callable[P, AsyncGenerator[T, None]],
) -> Callable[P, AsyncGenerator[T, None]]:
    """Wrap the async generators ``func`` returns so a dropped one is closed without a warning."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> AsyncGenerator[T, None]:
        return _ClosedWhenDropped(func(*args, **kwargs))

    return wrapper


class _ClosedWhenDropped(AsyncGenerator[T, None]):
    """An async generator's every step, and its closing when this is dropped unfinished.

    Each step hands out the generator's own awaitable: no coroutine of ours per item.
    """

    __slots__ = ("_agen", "_closer", "_loop")

    def __init__(self, agen: AsyncGenerator[T, None]) -> None:
        self._agen = agen
        self._closer: Closer | None = None
        self._loop: object = None

    def __anext__(self) -> Coroutine[Any, Any, T]:
        """The generator's next item."""
        return self.asend(None)

    def asend(self, value: None) -> Coroutine[Any, Any, T]:
        """Send ``value`` into the generator, as :meth:`AsyncGenerator.asend`."""
        if self._closer is None:  # the loop that first steps it is the one that closes it
            self._closer = _closer()
            self._loop = current_loop()
            _STEPPED.add(self._agen)
        elif (
            getattr(self._agen, "ag_frame", None) is None  # ended: read only then
            and current_loop() is not self._loop
        ):
            # The loop it began in closed it as it ended (asyncio.run returning, a notebook
            # cell): read on in the next, it would end at once, its rows silently cut short.
            # One read to its end looks the same here (telling them apart would cost every
            # row a check): the message says both.
            raise ConfigurationError(
                "this iterator began under an event loop that has ended, which closed it "
                "unless it had been read to its end: to read the rows, iterate again (a new "
                "async for over the search) under this loop"
            )
        return self._agen.asend(value)

    def athrow(self, *args: Any) -> Coroutine[Any, Any, T]:
        """Raise an exception in the generator, as :meth:`AsyncGenerator.athrow`."""
        return self._agen.athrow(*args)

    def aclose(self) -> Coroutine[Any, Any, None]:
        """Close the generator, running its clean-up."""
        return self._agen.aclose()

    def __repr__(self) -> str:
        # The generator's, naming its method (PageIterator.pages), not this wrapper's class.
        return repr(self._agen)

    def __del__(self) -> None:
        # A generator never stepped, or run to its end (no frame left), has nothing to close;
        # nor has a wrapper whose __init__ an exception (a Ctrl-C) cut short.
        closer: Closer | None = getattr(self, "_closer", None)
        if closer is not None:
            _STEPPED.discard(self._agen)
            if getattr(self._agen, "ag_frame", None) is not None:
                closer(self._agen)


# Generators stepped, held here until their wrapper is dropped. A wrapper the collector finds
# in a reference cycle (an error kept in a local holds the frame holding the iterator) is
# collected with everything only it reaches: without this, the generator and the ones it reads
# (the pages an iterator's rows come from, a scan's windows) too, each closed at once by the
# event loop's hook, under trio with its warning, the outer one's clean-up closing an inner one
# the hook is closing already ("aclose(): asynchronous generator is already running"). Held
# here, they stay out of the cycle, and the outer generator alone is closed, as when the
# wrapper is simply dropped.
_STEPPED: set[AsyncGenerator[Any, None]] = set()


def _closer() -> Closer:
    """How to close a dropped generator on the event loop running now."""
    if sniffio.current_async_library() != "trio":
        return _left_to_the_loop
    import trio  # an optional dependency, loaded already when it runs the loop

    token = trio.lowlevel.current_trio_token()

    def close_soon(agen: AsyncGenerator[Any, None]) -> None:
        # Called by the garbage collector, maybe in another thread: run_sync_soon is the one
        # entry into trio that is safe from anywhere. The task holds the generator until it is
        # closed. Once the run is over, trio has closed the generator itself.
        with contextlib.suppress(trio.RunFinishedError):
            token.run_sync_soon(_spawn_close, agen)

    return close_soon


def _left_to_the_loop(agen: AsyncGenerator[Any, None]) -> None:
    """asyncio's hook closes a dropped generator, without a word."""


# Generators a run ending refused to close: kept alive until trio, at the very end of the run,
# closes every generator still alive. Let go of here, one collected first would draw trio's
# warning. Those it has closed are let go of at the next refusal.
_LEFT_TO_THE_RUN: set[AsyncGenerator[Any, None]] = set()


def _spawn_close(agen: AsyncGenerator[Any, None]) -> None:
    import trio

    try:
        trio.lowlevel.spawn_system_task(_close, agen, name=f"close {_name(agen)} (dropped)")
    except RuntimeError:  # refused while the system nursery shuts down
        _LEFT_TO_THE_RUN.difference_update(
            [left for left in _LEFT_TO_THE_RUN if getattr(left, "ag_frame", None) is None]
        )
        _LEFT_TO_THE_RUN.add(agen)


async def _close(agen: AsyncGenerator[Any, None]) -> None:
    import trio

    # Collected in one cycle with the generator (an error kept in a cycle holds the frames
    # that hold it), trio's own finaliser closes it too, from a task spawned with this one:
    # let it go first, and leave a generator it has closed alone. A generator still running
    # is in a step: the wrapper was dropped as the step began (``anext(aiter(...))`` takes
    # the step's awaitable and lets go of the wrapper), or trio is closing it. Held here
    # until that ends, it is not left for trio to find dropped unfinished.
    await trio.lowlevel.cancel_shielded_checkpoint()
    pause = 0.001
    while getattr(agen, "ag_running", False):
        await trio.sleep(pause)
        pause = min(pause * 2, 0.05)
    if getattr(agen, "ag_frame", None) is None:
        return
    try:
        await agen.aclose()
    except anyio.get_cancelled_exc_class():
        raise  # the run is ending, and trio's own clean-up takes over
    except BaseException:  # any other error out of a system task would crash trio's run
        logger.exception("closing a dropped %s failed", _name(agen))


def _name(agen: AsyncGenerator[Any, None]) -> str:
    return getattr(agen, "__qualname__", type(agen).__name__)
