"""A guard that stops paging a server would otherwise keep going forever."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
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

    __slots__ = ("_identity", "_recent")

    def __init__(self, identity: Callable[[Any], Hashable] | None = None) -> None:
        # ``identity`` (a row's id) makes each look-up a hash: comparing models field by
        # field to the rows of four pages would cost a microsecond a row.
        self._identity = identity
        # The rows of the last pages, and their ids when known: bounded.
        self._recent: deque[tuple[int, list[Any], set[Any] | None]] = deque(maxlen=_RECENT_PAGES)

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
        ids = None if self._identity is None else set(map(self._identity, rows))
        if None in (ids or ()):
            ids = None  # a row without an id: compared whole, like every row of such pages
        if len(rows) >= page.limit and self._seen_before(offset, rows, ids):
            raise RunawayPagingError(
                f"paging stopped at offset {offset}: the server already sent all "
                f"{len(rows)} rows of this page at other offsets (it ignores the offset?)",
                offset=offset,
                total=total,
            )
        self._recent.append((offset, rows, ids))

    def _seen_before(self, offset: int, rows: list[Any], ids: set[Any] | None) -> bool:
        """Whether every row of this page was on the last pages, at other offsets."""
        earlier = [(seen, seen_ids) for at, seen, seen_ids in self._recent if at != offset]
        # A real page's first row is on no earlier page, so one row is looked for; the rest
        # only once it is found, stopping at the first row not seen.
        sets = [seen_ids for _, seen_ids in earlier if seen_ids is not None]
        if ids is not None and len(sets) == len(earlier):
            return any(next(iter(ids)) in seen for seen in sets) and all(
                any(i in seen for seen in sets) for i in ids
            )
        lists = [seen for seen, _ in earlier]
        return any(rows[0] in seen for seen in lists) and all(
            any(row in seen for seen in lists) for row in rows
        )
