"""A guard that stops paging a server would otherwise keep going forever."""

from __future__ import annotations

from collections import deque
from typing import Any

from omsclient._page import Page
from omsclient.errors import RunawayPagingError

__all__ = ["MAX_ROWS", "RunawayGuard"]

MAX_ROWS = 2**31 - 1
"""More rows than any real shop holds: the largest id of the servers' 32-bit id columns."""

_RECENT_PAGES = 4
"""Pages a guard remembers: a server cycling through up to this many pages is caught."""


class RunawayGuard:
    """Checks each page of one paging loop, in order; raises when the loop would never end.

    A server that ignores ``offset`` sends the same rows at every offset, in the same order or
    not, and a ``total`` of 10^12 (or 1e308) would have them fetched forever: a full page whose
    rows were all sent at other offsets of the last few pages, or a total or offset past
    :data:`MAX_ROWS`, raises :class:`~omsclient.RunawayPagingError`.

    An honest server whose data does not change never sends a row at two offsets, so it never
    trips the guard. Over data that changes while it is read, a page would trip it only if a
    whole page of rows it holds had been read before: as many new rows as a page holds, added
    ahead of its offset between two requests.
    """

    __slots__ = ("_recent",)

    def __init__(self) -> None:
        # The rows of the last pages, as references: bounded, and nothing is computed per row.
        self._recent: deque[tuple[int, list[Any]]] = deque(maxlen=_RECENT_PAGES)

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
        if not rows:
            return
        if len(rows) >= page.limit:
            earlier = [seen for at, seen in self._recent if at != offset]
            # A real page's first row is on no earlier page, so one row is looked for; the rest
            # only once it is found, stopping at the first row not seen.
            if any(rows[0] in seen for seen in earlier) and all(
                any(row in seen for seen in earlier) for row in rows
            ):
                raise RunawayPagingError(
                    f"paging stopped at offset {offset}: the server already sent all "
                    f"{len(rows)} rows of this page at other offsets (it ignores the offset?)",
                    offset=offset,
                    total=total,
                )
        self._recent.append((offset, rows))
