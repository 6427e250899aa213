"""Offset pagination: one page, and an iterator over every page or item of a search."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar, overload

import attrs

from omsclient._concurrency import cancel_and_wait, result_of
from omsclient._runaway import RunawayGuard
from omsclient.errors import ValidationError

__all__ = ["MAX_PAGE_SIZE", "Page", "PageIterator", "RawPage"]

T = TypeVar("T")
R = TypeVar("R", bound="RawPage")

MAX_PAGE_SIZE = 100
# Event loop turns the new fetches get before a page is converted: httpx passes a few anyio
# checkpoints before a request is written.
_SEND_STEPS = 8


@attrs.frozen
class Page(Generic[T]):
    """One answer of a search.

    Attributes:
        items: the rows of this page, in the server's order.
        total: how many rows match the search, as the server counted at this request.
        offset: the offset this page starts at.
        limit: the page size asked for.
    """

    items: list[T]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        """Whether rows beyond this page match, by this page's ``total``."""
        return bool(self.items) and self.offset + len(self.items) < self.total

    def __len__(self) -> int:
        return len(self.items)


FetchPage = Callable[[int, int], Awaitable[Page[T]]]


class RawPage(Protocol):
    """What a fetch returns when the iterator converts pages itself: a page not yet converted,
    whose ``total`` and row count (``len``) are already known."""

    @property
    def total(self) -> int:
        """How many rows match the search, as the server counted at this request."""
        ...

    def __len__(self) -> int: ...


class PageIterator(Generic[T]):
    """Every row of a search, fetched ``MAX_PAGE_SIZE`` at a time.

    ``async for item in it`` yields rows; ``async for page in it.pages()`` yields pages. The first
    page tells the total; with ``concurrency=N`` up to ``N`` further pages are fetched at once,
    yet pages come out in offset order and at most about ``N`` pages are held in memory.

    The scan stops at the first empty page, at ``max_items``, or when the offset passes the
    latest ``total`` the server reported, so a total that changes mid-scan, short pages and empty
    pages never make it loop forever; a page that repeats the one before, or a total past any
    real server's, raises :class:`~omsclient.RunawayPagingError`. Breaking out of the loop or
    cancelling the consuming task cancels every fetch in flight and awaits them, so no task is
    left pending and every connection returns to the pool.

    With ``convert``, ``fetch`` returns a :class:`RawPage` (say, a checked but undecoded answer)
    and ``await convert(raw)`` makes the page of it. The fetches then do only the network part, and
    this iterator converts each page, in offset order, right after launching the next fetches:
    when several answers arrive together, the requests that follow are already on their way
    while the CPU-heavy conversions run, instead of waiting for all of them.

    Offset paging over data that changes while it is read can skip or repeat rows; for a scan
    that must see every row exactly once, use the stable iterators (``scan``) instead.
    """

    @overload
    def __init__(
        self,
        fetch: FetchPage[T],
        *,
        concurrency: int = 1,
        max_items: int | None = None,
        start_offset: int = 0,
        page_size: int = MAX_PAGE_SIZE,
        convert: None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        fetch: Callable[[int, int], Awaitable[R]],
        *,
        concurrency: int = 1,
        max_items: int | None = None,
        start_offset: int = 0,
        page_size: int = MAX_PAGE_SIZE,
        convert: Callable[[R], Awaitable[Page[T]]],
    ) -> None: ...

    def __init__(
        self,
        fetch: Callable[[int, int], Awaitable[Any]],
        *,
        concurrency: int = 1,
        max_items: int | None = None,
        start_offset: int = 0,
        page_size: int = MAX_PAGE_SIZE,
        convert: Callable[[Any], Awaitable[Page[T]]] | None = None,
    ) -> None:
        """See the class; ``convert`` is described there."""
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ValidationError(f"concurrency must be an integer >= 1, got {concurrency!r}")
        if max_items is not None and (not isinstance(max_items, int) or max_items < 0):
            raise ValidationError(f"max_items must be None or an integer >= 0, got {max_items!r}")
        if not isinstance(start_offset, int) or start_offset < 0:
            raise ValidationError(f"start_offset must be an integer >= 0, got {start_offset!r}")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValidationError(f"page_size must be 1..{MAX_PAGE_SIZE}, got {page_size!r}")
        self._fetch = fetch
        self._convert = convert
        self._concurrency = concurrency
        self._max_items = max_items
        self._start = start_offset
        self._page_size = page_size
        self.total: int | None = None
        """Matching rows as the server last reported; None before the first page."""

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def _items(self) -> AsyncGenerator[T, None]:
        pages = self.pages()
        try:
            async for page in pages:
                for item in page.items:
                    yield item
        finally:
            await pages.aclose()

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """Iterate page by page, in offset order."""
        end = None if self._max_items is None else self._start + self._max_items
        if end is not None and end <= self._start:
            return

        def limit_at(offset: int) -> int:
            return self._page_size if end is None else min(self._page_size, end - offset)

        guard = RunawayGuard()
        first = await self._fetch(self._start, limit_at(self._start))
        self.total = first.total
        if self._convert is None:
            guard.check(first)
            yield first
        else:
            converted = await self._convert(first)
            self.total = converted.total
            guard.check(converted)
            yield converted
        if not len(first):
            return
        next_offset = self._start + self._page_size
        window: deque[tuple[int, asyncio.Task[Any]]] = deque()

        def more_to_launch() -> bool:
            limit = self.total if end is None else min(end, self.total or 0)
            return next_offset < (limit or 0)

        def launch() -> bool:
            nonlocal next_offset
            launched = False
            while len(window) < self._concurrency and more_to_launch():
                task = asyncio.ensure_future(self._fetch(next_offset, limit_at(next_offset)))
                window.append((next_offset, task))
                next_offset += self._page_size
                launched = True
            return launched

        try:
            while True:
                if launch() and self._convert is not None:
                    # Let the new fetches send their requests before a conversion holds the
                    # event loop: the next answers may all be in already, so nothing else would.
                    for _ in range(_SEND_STEPS):
                        await asyncio.sleep(0)
                if not window:
                    return
                # Left in the window until done, so a cancellation here cancels it too.
                page = await result_of(window[0][1])
                window.popleft()
                self.total = page.total
                if not len(page):
                    return
                if self._convert is not None:
                    page = await self._convert(page)
                    self.total = page.total
                guard.check(page)
                yield page
        finally:
            await cancel_and_wait(task for _, task in window)
