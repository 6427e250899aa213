"""PageIterator against an in-memory fetcher: order, concurrency, early exits, odd totals."""

from __future__ import annotations

import asyncio

import anyio
import pytest

from omsclient import Page, PageIterator, ValidationError


class FakeSource:
    """Serves ``rows`` by offset, with a hook to change the data between requests."""

    def __init__(self, n: int, *, delay: float = 0.0) -> None:
        self.rows = list(range(n))
        self.delay = delay
        self.calls: list[tuple[int, int]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.total_override: int | None = None

    async def fetch(self, offset: int, limit: int) -> Page[int]:
        self.calls.append((offset, limit))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            # Later pages answer sooner, so out-of-order completion is exercised.
            await asyncio.sleep(self.delay * (1 + (10_000 - offset) / 10_000))
        finally:
            self.in_flight -= 1
        total = self.total_override if self.total_override is not None else len(self.rows)
        return Page(
            items=self.rows[offset : offset + limit], total=total, offset=offset, limit=limit
        )


async def collect(it: PageIterator[int]) -> list[int]:
    return [x async for x in it]


@pytest.mark.parametrize("concurrency", [1, 3, 8])
async def test_every_row_once_in_order(concurrency: int) -> None:
    src = FakeSource(1234, delay=0.001)
    it = PageIterator(src.fetch, concurrency=concurrency)
    assert await collect(it) == list(range(1234))
    assert it.total == 1234
    assert src.max_in_flight <= concurrency
    assert all(limit == 100 for _, limit in src.calls)


async def test_concurrency_really_overlaps_fetches() -> None:
    src = FakeSource(2000, delay=0.01)
    await collect(PageIterator(src.fetch, concurrency=5))
    assert src.max_in_flight == 5


async def test_pages_are_yielded_with_offsets() -> None:
    src = FakeSource(250)
    pages = [p async for p in PageIterator(src.fetch).pages()]
    assert [(p.offset, len(p)) for p in pages] == [(0, 100), (100, 100), (200, 50)]
    assert pages[0].has_more
    assert not pages[-1].has_more


async def test_max_items_and_start_offset() -> None:
    src = FakeSource(1000)
    got = await collect(PageIterator(src.fetch, max_items=250, start_offset=130, concurrency=4))
    assert got == list(range(130, 380))
    assert src.calls[-1] == (330, 50)
    assert await collect(PageIterator(src.fetch, max_items=0)) == []


async def test_empty_result_makes_one_request() -> None:
    src = FakeSource(0)
    assert await collect(PageIterator(src.fetch, concurrency=4)) == []
    assert src.calls == [(0, 100)]


async def test_total_that_grows_mid_scan_is_followed() -> None:
    src = FakeSource(150)

    async def growing(offset: int, limit: int) -> Page[int]:
        if offset == 100:
            src.rows.extend(range(150, 260))
        return await src.fetch(offset, limit)

    assert await collect(PageIterator(growing)) == list(range(260))


async def test_total_that_shrinks_mid_scan_stops_without_error() -> None:
    src = FakeSource(500)

    async def shrinking(offset: int, limit: int) -> Page[int]:
        if offset == 100:
            del src.rows[200:]
        return await src.fetch(offset, limit)

    assert await collect(PageIterator(shrinking, concurrency=2)) == list(range(200))


async def test_lying_total_and_empty_page_never_loop_forever() -> None:
    src = FakeSource(120)
    src.total_override = 10**9
    got = await collect(PageIterator(src.fetch, concurrency=3))
    assert got == list(range(120))
    assert len(src.calls) <= 5


async def test_short_pages_keep_going_by_offset() -> None:
    async def short(offset: int, limit: int) -> Page[int]:
        # The server returns fewer rows than asked but reports more remaining.
        items = list(range(offset, min(offset + 60, 300)))
        return Page(items=items, total=300, offset=offset, limit=limit)

    got = await collect(PageIterator(short))
    assert got == [x for o in (0, 100, 200) for x in range(o, o + 60)]


async def _no_other_tasks() -> bool:
    for _ in range(5):
        await asyncio.sleep(0)
    current = asyncio.current_task()
    return not [t for t in asyncio.all_tasks() if t is not current and not t.done()]


async def test_break_cancels_fetches_in_flight_and_leaves_no_task() -> None:
    src = FakeSource(5000, delay=0.02)
    it = PageIterator(src.fetch, concurrency=6)
    pages = it.pages()
    async for page in pages:
        if page.offset == 200:
            break
    await pages.aclose()
    assert await _no_other_tasks()
    assert src.in_flight == 0
    assert len(src.calls) < 15


async def test_break_from_item_loop_cleans_up_when_the_iterator_is_dropped() -> None:
    src = FakeSource(5000, delay=0.02)
    async for x in PageIterator(src.fetch, concurrency=6):
        if x == 150:
            break
    assert await _no_other_tasks()
    assert src.in_flight == 0


async def test_cancelling_the_consumer_cancels_fetches() -> None:
    src = FakeSource(100_000, delay=0.05)
    seen: list[int] = []
    with anyio.move_on_after(0.2):
        async for x in PageIterator(src.fetch, concurrency=4):
            seen.append(x)
    assert await _no_other_tasks()
    assert src.in_flight == 0
    assert 0 < len(seen) < 100_000


async def test_a_failing_page_raises_in_order_and_stops_the_rest() -> None:
    src = FakeSource(1000, delay=0.005)

    async def failing(offset: int, limit: int) -> Page[int]:
        if offset == 300:
            raise RuntimeError("boom at 300")
        return await src.fetch(offset, limit)

    seen: list[int] = []
    with pytest.raises(RuntimeError, match="boom at 300"):
        async for x in PageIterator(failing, concurrency=4):
            seen.append(x)
    assert seen == list(range(300))
    assert await _no_other_tasks()


@pytest.mark.parametrize(
    "kwargs",
    [{"concurrency": 0}, {"concurrency": 1.5}, {"max_items": -1}, {"start_offset": -5}],
)
def test_bad_arguments_are_rejected_before_any_fetch(kwargs: dict[str, object]) -> None:
    src = FakeSource(10)
    with pytest.raises(ValidationError):
        PageIterator(src.fetch, **kwargs)  # type: ignore[arg-type]
    assert src.calls == []
