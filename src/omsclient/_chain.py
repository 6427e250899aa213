"""An error's chain: the error and those it was raised from, each once."""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["chain"]


def chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then the error it was raised from (its ``__cause__``, else its
    ``__context__``), and so on; each once, as an error may end up in its own chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
