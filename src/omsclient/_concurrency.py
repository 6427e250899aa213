"""Running a few awaitables at once, with plain (not grouped) errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

__all__ = ["run_all"]

T = TypeVar("T")


async def run_all(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Await every call concurrently; results in the order given.

    If any fails, the others are cancelled and awaited, and the first failure is raised as
    itself (not wrapped in an exception group), so callers can ``except NotFoundError``.
    """
    tasks = [asyncio.ensure_future(call()) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
