"""Concurrent calls in an anyio task group, on asyncio and trio alike.

A task group cancels every call at once and awaits them all before it exits, so a failure or a
cancellation never leaves a request running behind the caller's back. Iterators, whose fetches
must outlive a ``yield``, use :mod:`omsclient._background` instead: an async generator
suspended inside a task group or cancel scope breaks both when its consumer leaves the loop and
when the consumer is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, NoReturn, TypeVar

import anyio
import anyio.lowlevel
import sniffio

from omsclient.errors import ConfigurationError

__all__ = [
    "check_event_loop",
    "current_loop",
    "has_ended",
    "plain_interrupts",
    "raise_unheld",
    "run_all",
]

T = TypeVar("T")


@contextlib.contextmanager
def plain_interrupts() -> Iterator[None]:
    """Let a Ctrl-C leave the task group inside as a plain ``KeyboardInterrupt``.

    trio raises it in whichever task runs at that moment, a task of the group or the one
    waiting for the group, and its nursery then wraps it in an exception group that
    ``except KeyboardInterrupt`` misses. (asyncio turns Ctrl-C into a cancellation.)
    """
    try:
        yield
    except BaseException as exc:
        interrupt = _interrupt_in(exc)
        if interrupt is None or interrupt is exc:
            raise
        raise interrupt from None


def check_event_loop() -> None:
    """Refuse an event loop the client cannot run on: trio older than 0.31.

    anyio cancels a trio cancel scope with ``cancel(reason)``, which older trios lack: a job
    ran until it left an iterator early or closed the client, and failed there with a
    TypeError naming nothing to install. A plain install does not require trio (the ``trio``
    extra does), so an application's own older trio meets the client here, at its first
    request under trio.

    Raises:
        ConfigurationError: running under a trio older than 0.31.
    """
    if sniffio.current_async_library() == "trio":
        problem = _trio_problem()
        if problem is not None:
            raise ConfigurationError(problem)


@functools.cache
def _trio_problem() -> str | None:
    import trio  # imported only when trio runs this: it is an optional dependency

    try:
        inspect.signature(trio.CancelScope.cancel).bind(None, "reason")
    except TypeError:
        return (
            f"omsclient under trio needs trio 0.31 or newer, not {trio.__version__}: "
            "pip install 'omsclient[trio]'"
        )
    return None


def current_loop() -> object:
    """The event loop running now (asyncio's loop, trio's run): what a pool, a call or an
    iterator belongs to."""
    return anyio.lowlevel.current_token().native_token


def has_ended(loop: object) -> bool:
    """Whether ``loop`` (as :func:`current_loop` gives it) can run nothing again: an asyncio
    loop closed, maybe with tasks and generators of a client still suspended in it (a loop
    made by hand and closed without ending them). A trio run ends what it suspended."""
    return isinstance(loop, asyncio.AbstractEventLoop) and loop.is_closed()


def raise_unheld(error: BaseException) -> NoReturn:
    """Raise ``error``, which a task caught for this one, held by no frame of the raise.

    A frame that raises an error it holds (a variable, a list, an attribute) ends up in the
    error's traceback: a cycle keeping every frame of the failed call, a client's pool among
    their variables, alive until the garbage collector comes. Take the error out of where it
    was kept and hand it here.
    """
    try:
        raise error
    finally:
        del error


def _interrupt_in(exc: BaseException) -> BaseException | None:
    """The first KeyboardInterrupt or SystemExit ``exc`` is or (an exception group) holds."""
    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
        return exc
    # An exception group's members (Python 3.10 has no BaseExceptionGroup to test against).
    members = getattr(exc, "exceptions", ())
    for member in members if isinstance(members, tuple) else ():
        if isinstance(member, BaseException) and (found := _interrupt_in(member)) is not None:
            return found
    return None


async def run_all(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Await every call concurrently; results in the order given.

    If any fails, the others are cancelled and awaited, and the first failure is raised as
    itself (not wrapped in an exception group), so callers can ``except NotFoundError`` (and
    ``except KeyboardInterrupt``, see :func:`plain_interrupts`).
    """
    results: list[Any] = [None] * len(calls)
    failures: list[Exception] = []

    async def run(index: int, call: Callable[[], Awaitable[T]]) -> None:
        try:
            results[index] = await call()
        except Exception as exc:  # a cancellation still propagates
            failures.append(exc)
            tg.cancel_scope.cancel()

    with plain_interrupts():
        async with anyio.create_task_group() as tg:
            for index, call in enumerate(calls):
                tg.start_soon(run, index, call)
    if failures:
        del failures[1:]
        raise_unheld(failures.pop())
    return results
