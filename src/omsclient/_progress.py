"""Where an iterator or a scan stands, for its repr: read from any thread, without a lock."""

from __future__ import annotations

from types import TracebackType
from typing import Any

__all__ = ["Progress", "Reading"]


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

    def reading(self) -> Reading:
        """An iteration, counted: ``with progress.reading() as handing:`` around the body of
        the generator that yields the pages, ``handing(rows)`` as each is handed out. An
        iteration begun later counts instead."""
        return Reading(self)


class Reading:
    """One iteration of a :class:`Progress`: its pages counted as they are handed out, its
    status set as it ends (a generator closed at a ``yield`` ends "closed").

    In the generator's own body, not a generator around it: one more generator in the chain
    a dropped iterator is closed through was closed twice when collected in a reference
    cycle (Python 3.10: "aclose(): asynchronous generator is already running").
    """

    __slots__ = ("_number", "_progress")

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._number = 0

    def __enter__(self) -> Reading:
        progress = self._progress
        progress._newest += 1
        self._number = progress._newest
        progress._now = ("reading", 0, 0)
        return self

    def __call__(self, rows: int) -> None:
        """A page of ``rows`` rows handed out (an empty one is not counted)."""
        progress = self._progress
        if rows and self._number == progress._newest:
            _, pages, handed = progress._now
            progress._now = ("reading", pages + 1, handed + rows)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            status = "finished"
        elif issubclass(kind, Exception):
            status = f"failed ({kind.__name__})"
        else:  # GeneratorExit at a yield (a loop left early), a cancel
            status = "closed"
        progress = self._progress
        if self._number == progress._newest:
            progress._now = (status, *progress._now[1:])
