"""Offset pagination: an iterator over every page or item of a search."""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar, overload

import anyio
import anyio.lowlevel

from omsclient._concurrency import Failure, outcome_of
from omsclient._decoding import ParsedAnswer
from omsclient._page import Page
from omsclient._runaway import MAX_ROWS, RunawayGuard
from omsclient._validate import int_in_range
from omsclient.errors import ValidationError

__all__ = ["MAX_PAGE_SIZE", "Page", "PageIterator"]

T = TypeVar("T")

MAX_PAGE_SIZE = 100
# Event loop turns the new fetches get before a page is converted: httpx passes a few anyio
# checkpoints before a request is written.
_SEND_STEPS = 8


FetchPage = Callable[[int, int], Awaitable[Page[T]]]
Convert = Callable[[ParsedAnswer[T], int, int], Awaitable[Page[T]]]
"""Makes the page of a fetched answer, given the offset and limit it was fetched with."""


class PageIterator(Generic[T]):
    """Every row of a search, fetched ``MAX_PAGE_SIZE`` at a time.

    ``async for item in it`` yields rows; ``async for page in it.pages()`` yields pages. The first
    page tells the total; with ``concurrency=N`` the next ``N`` pages are fetched at once, and
    while the consumer reads them the ``N`` after are already fetched: pages come out in offset
    order, at most ``N`` requests are on the wire and at most about ``2N`` pages are held.

    The scan stops at the first empty page, at ``max_items``, or when the offset passes the
    latest ``total`` the server reported, so a total that changes mid-scan, short pages and empty
    pages never make it loop forever; a page that repeats the one before, or a total past any
    real server's, raises :class:`~omsclient.RunawayPagingError`. Fetches run only while the
    iterator is asked for a page (in an anyio task group that never outlives the request):
    breaking out of the loop leaves no request in flight, and cancelling the consumer cancels
    every fetch at once and waits for their clean-up, so every connection returns to the pool.
    It runs on asyncio and trio.

    With ``convert``, ``fetch`` returns a :class:`~omsclient._decoding.ParsedAnswer` whose
    ``total`` is settled (an int) and ``await convert(answer, offset, limit)`` makes the page of
    it. The fetches then do only the network part, and
    this iterator converts each batch of pages, in offset order, in the consuming task, while the
    requests for the next batch are on their way: the CPU-heavy conversions overlap the network
    instead of waiting for it.

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
        fetch: Callable[[int, int], Awaitable[ParsedAnswer[T]]],
        *,
        concurrency: int = 1,
        max_items: int | None = None,
        start_offset: int = 0,
        page_size: int = MAX_PAGE_SIZE,
        convert: Convert[T],
    ) -> None: ...

    def __init__(
        self,
        fetch: Callable[[int, int], Awaitable[Any]],
        *,
        concurrency: int = 1,
        max_items: int | None = None,
        start_offset: int = 0,
        page_size: int = MAX_PAGE_SIZE,
        convert: Convert[T] | None = None,
    ) -> None:
        """See the class; ``convert`` is described there."""
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ValidationError(f"concurrency must be an integer >= 1, got {concurrency!r}")
        if max_items is not None and (not isinstance(max_items, int) or max_items < 0):
            raise ValidationError(f"max_items must be None or an integer >= 0, got {max_items!r}")
        int_in_range(start_offset, "start_offset", 0, MAX_ROWS)
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
            converted = await self._convert(first, self._start, limit_at(self._start))
            self.total = converted.total
            guard.check(converted)
            yield converted
        if not len(first):
            return
        next_offset = self._start + self._page_size
        # Fetched, not yet converted: (offset, result or Failure), in offset order.
        arrived: deque[tuple[int, Any]] = deque()
        while True:
            # Launch the next batch only while the pages in hand say there is more to read:
            # an empty page or a failure ends the scan where it stands.
            batch: list[int] = []
            if all(not isinstance(raw, Failure) and len(raw) for _, raw in arrived):
                total = arrived[-1][1].total if arrived else self.total
                limit = total if end is None else min(end, total or 0)
                while len(batch) < self._concurrency and next_offset < (limit or 0):
                    batch.append(next_offset)
                    next_offset += self._page_size
            if not arrived and not batch:
                return
            ready, stop, incoming = await self._step(arrived, batch, limit_at)
            for page in ready:
                self.total = page.total
                guard.check(page)
                yield page
            if isinstance(stop, Failure):
                raise stop.error
            if stop is not None:
                self.total = stop.total
                return
            arrived = incoming

    async def _step(
        self, arrived: deque[tuple[int, Any]], batch: list[int], limit_at: Callable[[int], int]
    ) -> tuple[list[Page[T]], Any, deque[tuple[int, Any]]]:
        """Fetch ``batch`` while the pages that ``arrived`` are converted, in one task group.

        Returns the converted pages, what stopped the scan among the arrived ones (an empty page
        or a :class:`Failure`; None if nothing did) and the new batch, in offset order. Nothing
        runs after the return: a consumer that stops, or is cancelled, between two steps leaves
        no request behind, and a cancellation during a step cancels every fetch at once and
        waits for their clean-up.
        """
        incoming: list[tuple[int, Any]] = [(offset, None) for offset in batch]
        ready: list[Page[T]] = []
        stop: Any = None

        async def fetch(index: int, offset: int) -> None:
            incoming[index] = (
                offset,
                await outcome_of(functools.partial(self._fetch, offset, limit_at(offset))),
            )

        async with anyio.create_task_group() as tg:
            for index, offset in enumerate(batch):
                tg.start_soon(fetch, index, offset)
            if batch and arrived and self._convert is not None:
                # Let the new fetches send their requests before a conversion holds the
                # event loop: the next answers may all be in already, so nothing else would.
                for _ in range(_SEND_STEPS):
                    await anyio.lowlevel.checkpoint()
            while arrived:
                offset, raw = arrived.popleft()
                if isinstance(raw, Failure) or not len(raw):
                    stop = raw
                    break
                if self._convert is None:
                    ready.append(raw)
                    continue
                try:
                    ready.append(await self._convert(raw, offset, limit_at(offset)))
                except Exception as exc:
                    stop = Failure(exc)
                    break
            if stop is not None:
                tg.cancel_scope.cancel()  # the scan ends here: the new batch is not needed
        return ready, stop, deque(incoming)
