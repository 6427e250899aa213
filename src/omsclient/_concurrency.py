"""Concurrent calls in an anyio task group, on asyncio and trio alike.

A task group cancels every call at once and awaits them all before it exits, so a failure or a
cancellation never leaves a request running behind the caller's back. Iterators, whose fetches
must outlive a ``yield``, use :mod:`omsclient._background` instead: an async generator
suspended inside a task group or cancel scope breaks both when its consumer leaves the loop and
when the consumer is cancelled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import anyio

__all__ = ["run_all"]

T = TypeVar("T")


async def run_all(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Await every call concurrently; results in the order given.

    If any fails, the others are cancelled and awaited, and the first failure is raised as
    itself (not wrapped in an exception group), so callers can ``except NotFoundError``.
    """
    results: list[Any] = [None] * len(calls)
    failures: list[Exception] = []

    async def run(index: int, call: Callable[[], Awaitable[T]]) -> None:
        try:
            results[index] = await call()
        except Exception as exc:  # a cancellation still propagates
            failures.append(exc)
            tg.cancel_scope.cancel()

    async with anyio.create_task_group() as tg:
        for index, call in enumerate(calls):
            tg.start_soon(run, index, call)
    if failures:
        raise failures[0]
    return results
