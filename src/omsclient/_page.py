"""One page of a search: its rows, and where it stands in the whole."""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs

__all__ = ["Page"]

T = TypeVar("T")


@attrs.frozen
class Page(Generic[T]):
    """One answer of a search.

    Attributes:
        items: the rows of this page, in the server's order.
        total: how many rows match the search, as the server counted at this request.
        offset: the offset this page starts at.
        limit: the page size asked for.
        counted: False when the answer had no ``total``: ``total`` is then only this page's
            end and says nothing of the rows after it. Set by stable scans, which then read on
            to an empty page; the pages of ``search`` and ``iterate`` leave it True.
    """

    # The rows may be raw JSON holding login keys in document URLs: the repr counts them only.
    items: list[T] = attrs.field(repr=lambda items: f"<{len(items)} items>")
    total: int
    offset: int
    limit: int
    counted: bool = attrs.field(default=True, kw_only=True, repr=False)

    @property
    def has_more(self) -> bool:
        """Whether rows beyond this page match, by this page's ``total``."""
        return bool(self.items) and self.offset + len(self.items) < self.total

    def __len__(self) -> int:
        return len(self.items)
