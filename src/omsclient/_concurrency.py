"""Concurrent calls in an anyio task group, on asyncio and trio alike.

A task group cancels every call at once and awaits them all before it exits, so a failure or a
cancellation never leaves a request running behind the caller's back. Iterators, whose fetches
must outlive a ``yield``, use :mod:`omsclient._background` instead: an async generator
suspended inside a task group or cancel scope breaks both when its consumer leaves the loop and
when the consumer is cancelled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import anyio

__all__ = ["Failure", "outcome_of", "run_all"]

T = TypeVar("T")


class Failure:
    """An exception a call raised, kept to be raised later, when its result is due."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


class _Slot(Generic[T]):
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: T | Failure | None = None


async def outcome_of(call: Callable[[], Awaitable[T]]) -> T | Failure:
    """``await call()``, or the :class:`Failure` it raised (a cancellation still propagates)."""
    try:
        return await call()
    except Exception as exc:
        return Failure(exc)


async def run_all(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Await every call concurrently; results in the order given.

    If any fails, the others are cancelled and awaited, and the first failure is raised as
    itself (not wrapped in an exception group), so callers can ``except NotFoundError``.
    """
    slots: list[_Slot[T]] = [_Slot() for _ in calls]
    failures: list[Exception] = []

    async def run(call: Callable[[], Awaitable[T]], slot: _Slot[T]) -> None:
        outcome = await outcome_of(call)
        if isinstance(outcome, Failure):
            failures.append(outcome.error)
            tg.cancel_scope.cancel()
        slot.value = outcome

    async with anyio.create_task_group() as tg:
        for call, slot in zip(calls, slots, strict=True):
            tg.start_soon(run, call, slot)
    if failures:
        raise failures[0]
    return [slot.value for slot in slots]  # type: ignore[misc]
