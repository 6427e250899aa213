"""One page of a search: its rows, and where it stands in the whole."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

import attrs

__all__ = ["Page", "handed_out"]

T = TypeVar("T")


@attrs.frozen
class Page(Generic[T]):
    """One answer of a search.

    Attributes:
        items: the rows of this page, in the server's order.
        total: how many rows match the search, as the server counted at this request; when
            the answer had no total, only the rows up to this page's end
            (``offset + len(items)``).
        offset: the offset this page starts at.
        limit: the page size asked for.
        total_known: ``False`` when the answer had no total: rows may follow that ``total``
            does not count, even after a page shorter than asked for (a server may cap its
            pages), so iterators and scans read on to an empty page.
    """

    # The rows may be raw JSON holding login keys in document URLs: the repr counts them only.
    items: list[T] = attrs.field(repr=lambda items: f"<{len(items)} items>")
    total: int
    offset: int
    limit: int
    total_known: bool = True

    @property
    def has_more(self) -> bool:
        """Whether rows beyond this page match, by this page's ``total``; ``True`` for a page
        with rows but no total (the next page tells). ``False`` for a page with no rows (a
        ``limit=0`` count, or rows gone since the total was counted), whatever its total: a
        loop asking for the next page from ``offset + len(page)`` would ask for this one
        again, for ever."""
        return bool(self.items) and (
            not self.total_known or self.offset + len(self.items) < self.total
        )

    def __len__(self) -> int:
        return len(self.items)


def handed_out(rows: list[T]) -> Iterator[T]:
    """The rows of a page no caller sees, in order, each taken out of ``rows`` as it goes.

    Kept in their page's list, the rows handed out would live until its last row is, with all
    the caller built of them (an order's lines, shipments and contacts: about 60 objects): the
    collector would walk them again and again, a sixth of the CPU of a job reading every order's
    lines. Taken out, a row is freed once the caller has moved on to the next one and keeps it
    no more (the row in hand may stay in the iterator's frame meanwhile, as in the caller's loop
    variable). ``rows`` is left empty (or, if the caller stops early, holding the rows not
    handed out, in reverse).
    """
    rows.reverse()
    while rows:
        yield rows.pop()
