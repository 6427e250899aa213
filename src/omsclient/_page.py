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
    """

    # The rows may be raw JSON holding login keys in document URLs: the repr counts them only.
    items: list[T] = attrs.field(repr=lambda items: f"<{len(items)} items>")
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        """Whether rows beyond this page match, by this page's ``total``."""
        return bool(self.items) and self.offset + len(self.items) < self.total

    def __len__(self) -> int:
        return len(self.items)
