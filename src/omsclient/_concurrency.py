"""Background tasks that are cancelled exactly once and always awaited to the end.

Why not ``await task`` or ``asyncio.gather``: both forward every cancellation of the waiting
task to the awaited ones. anyio cancel scopes cancel a task again at each of its awaits, so a
fetch would be cancelled again in the middle of its own clean-up, leaving its HTTP connection
marked active in the pool forever (and, after a few of those, every request ending in a pool
timeout). Here a fetch is cancelled once, then waited for under a shield until it has finished.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

import anyio

__all__ = ["cancel_and_wait", "result_of", "run_all"]

T = TypeVar("T")


async def result_of(task: asyncio.Task[T]) -> T:
    """The task's result, waiting without forwarding our own cancellation to it."""
    if not task.done():
        await asyncio.wait([task])
    return task.result()


async def cancel_and_wait(tasks: Iterable[asyncio.Task[object]]) -> None:
    """Cancel each unfinished task once and wait until all have finished their clean-up.

    A cancellation of the caller that arrives meanwhile is held back until then, and raised after.
    """
    tasks = list(tasks)
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    interrupted = False
    with anyio.CancelScope(shield=True):
        while pending:
            try:
                await asyncio.wait(pending)
            except asyncio.CancelledError:
                interrupted = True
            pending = [task for task in pending if not task.done()]
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log "never retrieved"
    if interrupted:
        raise asyncio.CancelledError


async def run_all(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Await every call concurrently; results in the order given.

    If any fails, the others are cancelled and awaited, and the first failure is raised as
    itself (not wrapped in an exception group), so callers can ``except NotFoundError``.
    """
    tasks = [asyncio.ensure_future(call()) for call in calls]
    try:
        return [await result_of(task) for task in tasks]
    finally:
        await cancel_and_wait(tasks)
