"""Where an iterator or a scan stands, for its repr: read from any thread, without a lock."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Callable
from typing import Any, TypeVar

__all__ = ["Progress"]

P = TypeVar("P")


class Progress:
    """The status of the newest iteration of an iterator or a scan, and the pages (with rows)
    and rows it has handed out: ``not started``, ``reading``, ``finished``, ``closed`` (left
    early, cancelled) or ``failed (ErrorName)``.

    Written a page at a time (never a row: a repr is rare, rows are not); the three are one
    tuple, replaced whole, so a repr in another thread reads them as they were together, and
    never waits.
    """

    __slots__ = ("_newest", "_now")

    def __init__(self) -> None:
        self._now: tuple[str, int, int] = ("not started", 0, 0)
        self._newest = 0

    def fields(self) -> list[tuple[str, Any]]:
        """The repr's fields: ``status``, ``pages``, ``rows``."""
        status, pages, rows = self._now
        return [("status", status), ("pages", pages), ("rows", rows)]

    async def followed(
        self, pages: AsyncGenerator[P, None], rows: Callable[[P], int]
    ) -> AsyncGenerator[P, None]:
        """``pages``, each counted as it is handed out (``rows`` of it), and closed with this
        generator (not left to the event loop's finaliser, which trio warns of). An iteration
        begun later counts instead."""
        self._newest += 1
        number = self._newest
        self._now = ("reading", 0, 0)
        status = "closed"  # unless it ends or fails: a loop left early, a cancel
        try:
            async with contextlib.aclosing(pages):
                async for page in pages:
                    count = rows(page)
                    if count and number == self._newest:
                        _, read, handed = self._now
                        self._now = ("reading", read + 1, handed + count)
                    yield page
            status = "finished"
        except Exception as exc:
            status = f"failed ({type(exc).__name__})"
            raise
        finally:
            if number == self._newest:
                self._now = (status, *self._now[1:])
