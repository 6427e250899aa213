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
        # Of each of the last pages: its offset, the ids of its rows, and the rows with no id
        # (every row, without ``identity``), compared whole. Only the ids of the others are
        # kept, so that a page is freed once it has been read, not four pages later.
        self._recent: deque[tuple[int, set[Hashable], list[Any]]] = deque(maxlen=_RECENT_PAGES)

    def check(self, page: Page[Any], *, full: int | None = None) -> None:
        """Check the next page of the loop; ``full``: the rows that make it a full page, if
        not its limit (the page after an empty rest of a short page: as many as the short
        page, at most its limit less the rows the rest lacked)."""
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
        keys, ids = self._ids(rows)
        if len(rows) >= (full or page.limit) and self._seen_before(offset, rows, keys):
            raise RunawayPagingError(
                f"paging stopped at offset {offset}: the server already sent all "
                f"{len(rows)} rows of this page at other offsets (it ignores the offset, or "
                "left a row out of a page and moved the rows after it up?)",
                offset=offset,
                total=total,
            )
        without = [row for row, key in zip(rows, keys, strict=True) if key is None]
        self._recent.append((offset, ids, without))

    def _ids(self, rows: list[Any]) -> tuple[list[Hashable | None], set[Hashable]]:
        """Each row's id (None for a row without one, or with one that cannot be hashed, as a
        list a server sent for an id), and the set of them."""
        if self._identity is None:
            return [None] * len(rows), set()
        keys: list[Hashable | None] = list(map(self._identity, rows))
        try:
            ids = set(keys)
        except TypeError:
            keys = [_hashable(key) for key in keys]
            ids = set(keys)
        ids.discard(None)
        return keys, ids

    def _seen_before(self, offset: int, rows: list[Any], keys: list[Hashable | None]) -> bool:
        """Whether every row of this page was on the last pages, at other offsets."""
        earlier = [(ids, without) for at, ids, without in self._recent if at != offset]

        def seen(i: int) -> bool:
            key = keys[i]
            if key is None:
                return any(rows[i] in without for _, without in earlier)
            return any(key in ids for ids, _ in earlier)

        # A real page's first row is on no earlier page, so one row is looked for; the rest
        # only once it is found, stopping at the first row not seen.
        return bool(earlier) and seen(0) and all(seen(i) for i in range(1, len(rows)))


def _hashable(key: Any) -> Hashable | None:
    try:
        hash(key)
    except TypeError:
        return None
    return key  # type: ignore[no-any-return]
