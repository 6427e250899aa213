"""A guard that stops paging a server would otherwise keep going forever."""

from __future__ import annotations

from typing import Any

from omsclient._page import Page
from omsclient.errors import RunawayPagingError

__all__ = ["MAX_ROWS", "RunawayGuard"]

MAX_ROWS = 2**31 - 1
"""More rows than any real shop holds: the largest id of the servers' 32-bit id columns."""


class RunawayGuard:
    """Checks each page of one paging loop, in order; raises when the loop would never end.

    A server that ignores ``offset`` sends the same rows at every offset, and a ``total`` of
    10^12 (or 1e308) would have them fetched forever: a page that repeats the previous one at
    a new offset, or a total or offset past :data:`MAX_ROWS`, raises
    :class:`~omsclient.RunawayPagingError`.
    """

    __slots__ = ("_previous", "_previous_offset")

    def __init__(self) -> None:
        self._previous: list[Any] | None = None
        self._previous_offset = -1

    def check(self, page: Page[Any]) -> None:
        """Check the next page of the loop."""
        total, offset, rows = page.total, page.offset, page.items
        if total > MAX_ROWS or offset > MAX_ROWS:
            raise RunawayPagingError(
                f"paging stopped at offset {offset}: the server reports a total of {total} "
                f"rows, more than any real server holds ({MAX_ROWS})",
                offset=offset,
                total=total,
            )
        if rows:
            # Comparing lists stops at the first row that differs, the first one of a real page.
            if offset != self._previous_offset and rows == self._previous:
                raise RunawayPagingError(
                    f"paging stopped at offset {offset}: the server sent the same {len(rows)} "
                    f"rows as at offset {self._previous_offset} (it ignores the offset?)",
                    offset=offset,
                    total=total,
                )
            self._previous, self._previous_offset = rows, offset
