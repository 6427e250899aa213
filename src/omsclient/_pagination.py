"""Offset pagination: an iterator over every page or item of a search.

How :class:`PageIterator` reads ahead (its docstring says what users see): after the first page,
which tells the total, ``concurrency=N`` fetches go out at once, and each fetch that ends makes
room for the next, sent at once (before the page in hand is converted), so a page the server is
slow to answer never stops the requests behind it. The consumer gives the requests it starts a
few turns of the event loop to go out, and fetches that end in those turns are replaced in them:
on a busy loop, waiting for the page to be converted and handed out left each slot empty for
milliseconds. The window holds at most ``2N`` fetches, in flight or done and waiting for an
earlier one, all but one of them not yet converted.

The fetches run ahead of the consumer in tasks of their own (:mod:`omsclient._background`),
never in a task group held across a ``yield``; closing the generator cancels those still in
flight and waits for their clean-up. A dropped generator is closed by the event loop
(:mod:`omsclient._dropped`, so trio does not warn).

With ``convert``, ``fetch`` returns a :class:`~omsclient._decoding.ParsedAnswer` whose ``total``
is settled (an int) and ``await convert(answer, offset, limit)`` makes the page of it. The
fetches then do only the network part, and the consumer's task converts each page as it is
handed out while the next requests are on their way: the CPU-heavy conversions overlap the
network instead of waiting for it, and the pages waiting their turn are mirrors the garbage
collector never walks.

``identity`` gives a row's id (an order's ``order_id``...): the runaway guard
(:class:`~omsclient._runaway.RunawayGuard`: a full page of rows all sent at other offsets of the
last few pages, in any order) then tells rows seen before by hash instead of comparing them
whole.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any, Generic, TypeVar, overload

import anyio

from omsclient._background import Pending, cancel_all, let_them_send, run_ahead
from omsclient._decoding import ParsedAnswer
from omsclient._dropped import closed_when_dropped
from omsclient._page import Page, handed_out
from omsclient._process_bound import OfThisProcess
from omsclient._progress import Progress
from omsclient._repr import Described
from omsclient._runaway import MAX_ROWS, RunawayGuard
from omsclient._validate import int_in_range, positive_int

__all__ = ["MAX_PAGE_SIZE", "Page", "PageIterator"]

logger = logging.getLogger("omsclient")

T = TypeVar("T")

MAX_PAGE_SIZE = 100


FetchPage = Callable[[int, int], Awaitable[Page[T]]]
Convert = Callable[[ParsedAnswer[T], int, int], Awaitable[Page[T]]]
"""Makes the page of a fetched answer, given the offset and limit it was fetched with."""


def _reach(page: Page[Any] | ParsedAnswer[Any], offset: int) -> int:
    """The offset the rows go up to, as far as ``page``, fetched at ``offset``, tells."""
    # A missing total is no end: a full page may have more behind it, so the page after it is
    # asked for, one at a time while the total stays unknown.
    return page.total if page.total_known else offset + len(page) + 1


def told_total(page: Page[Any]) -> int | None:
    """The total ``page``'s answer gave, or None when it gave none."""
    return page.total if page.total_known else None


class _Fetch:
    """One page of the window: its offset and limit, whether it is the rest of a page the
    server cut short, and its fetch once started."""

    __slots__ = ("limit", "offset", "pending", "rest")

    def __init__(self, offset: int, limit: int, *, rest: bool = False) -> None:
        self.offset = offset
        self.limit = limit
        self.rest = rest
        self.pending: Pending[Any] | None = None


def _warn_if_counted_on(page: Any, offset: int) -> None:
    """Warn that the search ends at an empty page whose own total counts rows from its offset
    on: a server catching up (a replica behind) has rows it did not send, or its total counts
    rows it never sends (counted before a filter). Nothing tells the two apart, and failing
    would fail every run against the second: the end is taken, not in silence."""
    if page.total_known and page.total > offset:
        logger.warning(
            "a search ended at offset %d on an answer of no rows, though its total counts %d "
            "(a server catching up may hold more)",
            offset,
            page.total,
        )


class PageIterator(Described, OfThisProcess, Generic[T]):
    """Every row a search matches, fetched a page (up to 100 rows) at a time.

    ``oms.legacy.orders.iterate(...)``, ``iterate_raw(...)`` and
    ``oms.legacy.products.iterate(...)`` return one; nothing is sent until it is read::

        it = oms.legacy.orders.iterate(condition, concurrency=8)
        async for order in it:              # each row, in offset order
            ...
        async for page in it.pages():       # or each Page, in offset order
            page.items, page.offset, page.total
        it.total                            # rows matching, as the server last said

    Each ``async for`` (over ``it`` or ``it.pages()``) is a search of its own: it starts again
    at the first page and sends its requests anew. It ends at the first empty page (the rest
    of a short one aside, below), after
    ``max_items`` rows, or where the ``total`` the server last reported ends, so a total that
    changes on the way never makes it loop forever; a server that answers a page with rows it
    sent just before, or a total past any real server's, raises
    :class:`~omsclient.RunawayPagingError`. A page the server cuts short while its total says
    more rows follow is read to its end, so no row is skipped (an empty answer for its rest,
    from a server that left a row out after its limit, goes on to the next page); an answer
    without a total is followed by the next page, one at a time, until an empty one.

    Concurrency: the first page is fetched alone; with ``concurrency=N`` up to ``N`` requests
    are then in flight, a new one sent whenever one ends, and the rows still come out in offset
    order: at most ``2N`` pages are held, in flight or waiting for a slower one before them.
    The requests count against the client's ``max_in_flight`` like any other. A failed request
    raises its error when its page is due, after every row before it.

    Closing: leaving the loop (``break``, an exception, a cancel) stops the requests in flight
    and gives their connections back to the pool, under asyncio and trio alike, with no
    warning; the event loop does it within a few turns. To have it done before going on, close
    the loop's iterator yourself: ``async with contextlib.aclosing(it.pages()) as pages:``.

    Offset paging over data that changes while it is read can skip or repeat rows; to see every
    row exactly once, use a stable scan (``scan(...)``) instead.

    Its repr names the search and says where the newest ``async for`` stands::

        PageIterator(operation='legacy.orders.iterate', conditions=(...), concurrency=8,
                     status='reading', pages=3, rows=300, total=1250)
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
        identity: Callable[[Any], Hashable] | None = None,
        operation: str = "",
        conditions: Sequence[object] = (),
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
        identity: Callable[[Any], Hashable] | None = None,
        operation: str = "",
        conditions: Sequence[object] = (),
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
        identity: Callable[[Any], Hashable] | None = None,
        operation: str = "",
        conditions: Sequence[object] = (),
    ) -> None:
        """Built by the client; ``convert`` and ``identity`` are described in the module,
        ``operation`` and ``conditions`` name the search in the repr."""
        # Bools are refused: max_items=False would read nothing, True one row, without a word.
        self._fetch = fetch
        self._convert = convert
        self._concurrency = positive_int(concurrency, "concurrency")
        self._max_items = (
            None if max_items is None else int_in_range(max_items, "max_items", 0, MAX_ROWS)
        )
        # Plain ints: the offsets made from them are sent as text.
        self._start = int_in_range(start_offset, "start_offset", 0, MAX_ROWS)
        self._page_size = int_in_range(page_size, "page_size", 1, MAX_PAGE_SIZE)
        self._identity = identity
        self._operation = operation
        self._conditions = tuple(conditions)
        self._progress = Progress()
        self.total: int | None = None
        """Matching rows as the server last reported; None before the first page, and while
        the server sends no total and the pages come back full."""

    def _repr_fields(self) -> Iterable[tuple[str, Any]]:
        yield "operation", self._operation
        yield "conditions", self._conditions
        yield "concurrency", self._concurrency
        if self._max_items is not None:
            yield "max_items", self._max_items
        if self._start:
            yield "start_offset", self._start
        yield from self._progress.fields()
        yield "total", self.total

    def __aiter__(self) -> AsyncGenerator[T, None]:
        return self._items()

    @closed_when_dropped
    async def _items(self) -> AsyncGenerator[T, None]:
        pages = self.pages()
        try:
            async for page in pages:
                for item in handed_out(page.items):
                    yield item
        finally:
            await pages.aclose()

    @closed_when_dropped
    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """Iterate page by page, in offset order."""
        with self._progress.reading() as handing:
            end = None if self._max_items is None else self._start + self._max_items
            if end is not None and end <= self._start:
                return

            def limit_at(offset: int) -> int:
                return self._page_size if end is None else min(self._page_size, end - offset)

            guard = RunawayGuard(self._identity)
            next_offset = self._start  # the next page not asked for yet
            reach = self._start + 1  # how far rows go, by the newest page: the first page alone
            # Fetches in offset order, the oldest first: the next page out. Done ones wait their
            # turn there, so a slow page never stops new requests going out; the window holds
            # twice as many fetches as may be in flight at most, so memory stays bounded.
            window: deque[_Fetch] = deque()
            ended = anyio.Event()  # set by each fetch that ends: room for another
            # The rows of the last page handed out that was no rest, and those the rest of a short
            # page lacked when it came back empty (until the next page is read).
            previous = missing = 0

            def start(slot: _Fetch) -> None:
                async def fetch() -> Any:
                    try:
                        return await self._fetch(slot.offset, slot.limit)
                    finally:
                        ended.set()

                slot.pending = run_ahead(fetch)

            def launch() -> bool:
                """Fill the window, as far as the newest page says there is more to read."""
                nonlocal next_offset
                in_flight = sum(
                    slot.pending is not None and not slot.pending.done() for slot in window
                )
                launched = False
                # The rest of a short page, at the front, waits for room like any page.
                if window and window[0].pending is None and in_flight < self._concurrency:
                    start(window[0])
                    in_flight += 1
                    launched = True
                limit = reach if end is None else min(end, reach)
                while (
                    in_flight < self._concurrency
                    and len(window) < 2 * self._concurrency
                    and next_offset < limit
                ):
                    slot = _Fetch(next_offset, limit_at(next_offset))
                    start(slot)
                    window.append(slot)
                    next_offset += self._page_size
                    in_flight += 1
                    launched = True
                return launched

            try:
                launch()
                while window:
                    # Left in the window until done, so closing the iterator cancels it too.
                    slot = window[0]
                    # Whether fetches went out after the last wait, with no turn of the loop yet to
                    # send their requests: those of the last wake, when this page was the one done.
                    unsent = False
                    while slot.pending is None or not slot.pending.done():
                        await ended.wait()
                        ended = anyio.Event()
                        unsent = launch()
                    raw = await slot.pending.result()
                    window.popleft()
                    offset, limit, rows = slot.offset, slot.limit, len(raw)
                    if not rows and slot.rest and (window or launch()):
                        # A server leaving a row out of a page after its limit (one it cannot
                        # render) sends none for the rest of it: the pages after it still count.
                        # A server that also ignores the offset sends the short page again, no
                        # fuller: one as full (of this one's limit, less the rows that lacked), all
                        # sent before, is a runaway all the same.
                        missing = slot.limit
                        continue
                    if not rows and offset != self._start:  # the end, whatever the total said
                        self.total = told_total(raw)
                        if end is None or offset + limit < end:  # not max_items' end
                            _warn_if_counted_on(raw, offset)
                        return
                    if rows:
                        reach = _reach(raw, offset)
                        if rows < limit and offset + rows < reach:
                            # The server sends fewer rows than asked for, yet says more follow: it
                            # caps its pages. The rest of this one is read next, or it would be
                            # skipped; a last page short by the total costs no request.
                            window.appendleft(_Fetch(offset + rows, limit - rows, rest=True))
                    # The next fetch goes out before this page is converted, so the conversion
                    # overlaps the network even at concurrency 1.
                    if (launch() or unsent) and self._convert is not None:
                        # The next answers may all be in already: nothing else would let the new
                        # fetches run before the conversion. Fetches ending in those turns (their
                        # answers were in) make room at once, not once this page is handed out.
                        await let_them_send(launch)
                    page = raw if self._convert is None else await self._convert(raw, offset, limit)
                    self.total = told_total(page)
                    full = max(1, min(previous, limit - missing)) if missing else None
                    guard.check(page, full=full)
                    previous, missing = previous if slot.rest else rows, 0
                    handing(len(page))
                    yield page
                    if not rows:  # an empty first page: yielded, for its total
                        _warn_if_counted_on(raw, offset)
                        return
            finally:
                await cancel_all(slot.pending for slot in window if slot.pending is not None)
