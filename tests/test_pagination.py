"""PageIterator against an in-memory fetcher: order, concurrency, early exits, odd totals."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import anyio
import anyio.lowlevel
import httpx
import orjson
import pytest
import respx

import omsclient
import omsclient.legacy.orders as legacy_orders
from omsclient import Page, PageIterator, ValidationError, errors
from omsclient.dbsync import sync_orders
from omsclient.legacy import Condition, Op, OrderField
from omsclient.sandbox import SandboxConfig, SandboxInfo

from .conftest import LEGACY, legacy_error, ok


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


def test_a_page_with_no_rows_has_no_more_whatever_its_total() -> None:
    # A limit=0 count, or rows gone since the total was counted: a loop stepping by the page's
    # rows would ask for the same page for ever.
    assert not Page(items=[], total=300, offset=0, limit=0).has_more
    assert not Page(items=[], total=300, offset=150, limit=100).has_more
    assert Page(items=[1], total=300, offset=150, limit=1).has_more


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
    # The first page, at most 2 x concurrency pages asked for ahead of the empty one, and the
    # rest of the short page (the total says rows follow it).
    assert len(src.calls) <= 1 + 2 * 3 + 1
    assert (120, 80) in src.calls


async def test_the_total_is_the_one_the_last_answer_reported() -> None:
    async def shrinking(offset: int, limit: int) -> Page[int]:
        # Rows deleted while they are read: the empty page past them counts 180.
        if offset >= 200:
            return Page(items=[], total=180, offset=offset, limit=limit)
        return Page(
            items=list(range(offset, offset + limit)), total=250, offset=offset, limit=limit
        )

    it = PageIterator(shrinking)
    assert await collect(it) == list(range(200))
    assert it.total == 180


async def test_short_pages_are_read_to_their_end_before_the_next() -> None:
    calls: list[tuple[int, int]] = []

    async def short(offset: int, limit: int) -> Page[int]:
        # The server returns fewer rows than asked but reports more remaining.
        calls.append((offset, limit))
        items = list(range(offset, min(offset + min(limit, 60), 300)))
        return Page(items=items, total=300, offset=offset, limit=limit)

    assert await collect(PageIterator(short)) == list(range(300))
    assert sorted(calls) == [(0, 100), (60, 40), (100, 100), (160, 40), (200, 100), (260, 40)]


def filtering_after_the_limit(hidden: set[int], *, total: int = 350) -> FakeSource:
    """A server that applies LIMIT/OFFSET, then leaves out the rows in ``hidden`` (rows it
    cannot render), its total still counting them."""
    src = FakeSource(total)

    async def fetch(offset: int, limit: int) -> Page[int]:
        src.calls.append((offset, limit))
        rows = [r for r in range(offset, min(offset + limit, total)) if r not in hidden]
        return Page(items=rows, total=total, offset=offset, limit=limit)

    src.fetch = fetch  # type: ignore[method-assign]
    return src


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_an_empty_rest_of_a_short_page_goes_on_to_the_next_pages(concurrency: int) -> None:
    # Row 99, the first page's last, is left out: the rest of that page (offset 99, one row)
    # came back empty and ended the whole read, 250 rows never handed out, with a warning.
    src = filtering_after_the_limit({99})
    assert await collect(PageIterator(src.fetch, concurrency=concurrency)) == [
        r for r in range(350) if r != 99
    ]
    assert (99, 1) in src.calls


async def test_a_rest_of_rows_moved_up_by_one_left_out_names_both_causes() -> None:
    # Row 50 left out, the rest of the page (offset 99) is row 99 again: the error asked only
    # whether the server ignores the offset, which this one honours.
    src = filtering_after_the_limit({50})
    with pytest.raises(errors.RunawayPagingError) as caught:
        await collect(PageIterator(src.fetch, identity=lambda r: r))
    assert str(caught.value).endswith(
        "(it ignores the offset, or left a row out of a page and moved the rows after it up?)"
    )
    assert (99, 1) in src.calls


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_a_server_ignoring_the_offset_that_leaves_a_row_out_is_a_runaway(
    concurrency: int,
) -> None:
    # Every page rows 1..99 (row 0 left out), every rest empty: going on past the empty rests
    # handed each row out ten times, no page ever full for the guard to stop.
    async def ignoring(offset: int, limit: int) -> Page[int]:
        return Page(items=list(range(1, limit)), total=1000, offset=offset, limit=limit)

    for max_items in (None, 150):  # the page after the rest cut to 50 rows by max_items
        got: list[int] = []
        with pytest.raises(errors.RunawayPagingError, match="offset 100"):
            async for row in PageIterator(
                ignoring, concurrency=concurrency, max_items=max_items, identity=lambda r: r
            ):
                got.append(row)
        assert got == list(range(1, 100))


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_a_capping_server_ignoring_the_offset_with_a_rest_of_a_rest_is_a_runaway(
    concurrency: int,
) -> None:
    # Pages of at most 99 rows, row 0 left out: page 0 has 98, its rest (2 asked) 1, the rest
    # of that (1 asked) none. Full at 99 of 100, the next page's 98 rows passed, and every row
    # was handed out a hundred times.
    async def ignoring(offset: int, limit: int) -> Page[int]:
        rows = [r for r in range(min(limit, 99)) if r != 0]
        return Page(items=rows, total=10_000, offset=offset, limit=limit)

    got: list[int] = []
    with pytest.raises(errors.RunawayPagingError, match="offset 100"):
        async for row in PageIterator(ignoring, concurrency=concurrency, identity=lambda r: r):
            got.append(row)
    assert got == [*range(1, 99), 1]


async def test_a_row_moved_ahead_past_the_empty_rest_of_a_rest_is_no_runaway() -> None:
    # Pages capped at 98, rows 99 and 100 left out: page 0 has 98 rows, its rest (2 asked) 1,
    # the rest of that none. Two rows arrive at the front before offset 100 is read: its one
    # row was sent before, as changing data repeats rows. Full at the rest's one row, it was a
    # runaway.
    rows = list(range(101))
    calls: list[tuple[int, int]] = []
    rest_answered = anyio.Event()

    async def capped(offset: int, limit: int) -> Page[int]:
        calls.append((offset, limit))
        if (offset, limit) == (100, 100):  # sent before the rest of the rest, answered after
            await rest_answered.wait()
            rows[:0] = [-1, -2]
        sent = [r for r in rows[offset : offset + min(limit, 98)] if r not in (99, 100)]
        if (offset, limit) == (99, 1):
            rest_answered.set()
        return Page(items=sent, total=len(rows), offset=offset, limit=limit)

    with anyio.fail_after(5):
        got = await collect(PageIterator(capped, concurrency=8, identity=lambda r: r))
    assert calls[:4] == [(0, 100), (98, 2), (100, 100), (99, 1)]
    assert got == [*range(99), 98]  # 98, shifted by the two arrivals, seen again


async def test_rows_moved_ahead_past_an_empty_rest_are_no_runaway() -> None:
    # An honest server whose rows change (three move to the front after the rest of the first
    # page) and that leaves row 99 out: the page after the empty rest holds two rows sent
    # before, as offset paging over changing data repeats rows. Checked as if full, it was a
    # runaway; as full as the short page before it, it is not.
    rows = list(range(103))
    calls: list[tuple[int, int]] = []

    async def moving(offset: int, limit: int) -> Page[int]:
        calls.append((offset, limit))
        if len(calls) == 3:
            rows[:] = [100, 101, 102, *range(100)]
        sent = [r for r in rows[offset : offset + limit] if r != 99]
        return Page(items=sent, total=103, offset=offset, limit=limit)

    got = await collect(PageIterator(moving, identity=lambda r: r))
    assert got == [*range(99), 97, 98]  # 100..102 moved behind the read
    assert calls == [(0, 100), (99, 1), (100, 100), (102, 98)]


async def test_an_empty_rest_at_max_items_end_warns_of_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # max_items=100 ended the read at the empty rest of page 0 (row 99 left out): the warning
    # that the total counts 350 said a server catching up might hold more, of rows not asked for.
    src = filtering_after_the_limit({99})
    with caplog.at_level("WARNING", logger="omsclient"):
        assert await collect(PageIterator(src.fetch, max_items=100)) == list(range(99))
    assert not caplog.records
    with caplog.at_level("WARNING", logger="omsclient"):  # past max_items' end it still warns
        src = filtering_after_the_limit({349})
        assert await collect(PageIterator(src.fetch)) == list(range(349))
    assert "ended at offset 349" in caplog.records[0].getMessage()


async def test_a_rest_holding_a_row_of_its_page_again_is_a_runaway() -> None:
    # Row 57 left out: the rows shift up and the rest at offset 99 is row 99, handed out.
    src = filtering_after_the_limit({57})
    got: list[int] = []
    with pytest.raises(errors.RunawayPagingError, match="offset 99"):
        async for row in PageIterator(src.fetch, identity=lambda row: row):
            got.append(row)
    assert len(got) == len(set(got)) == 99


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
    [
        {"concurrency": 0},
        {"concurrency": 1.5},
        {"max_items": -1},
        {"start_offset": -5},
        {"start_offset": 2**31},
        {"start_offset": 10**5000},
        {"start_offset": True},
        {"start_offset": "0"},
    ],
)
def test_bad_arguments_are_rejected_before_any_fetch(kwargs: dict[str, object]) -> None:
    src = FakeSource(10)
    with pytest.raises(ValidationError):
        PageIterator(src.fetch, **kwargs)  # type: ignore[call-overload]
    assert src.calls == []


# --- pages converted by the iterator -------------------------------------------------------


class RawSource(FakeSource):
    """Serves unconverted pages; the conversion records where and in which order it ran."""

    def __init__(self, n: int, *, delay: float = 0.0) -> None:
        super().__init__(n, delay=delay)
        self.sent: list[int] = []
        self.converted: list[int] = []
        self.converted_in: set[asyncio.Task[object] | None] = set()
        self.next_sent_before_convert: list[bool] = []

    async def fetch(self, offset: int, limit: int) -> Page[int]:
        # A request takes a few turns of the loop to be written (4 for omsclient's on httpx):
        # a fetch started but given no turns has sent nothing yet.
        for _ in range(4):
            await anyio.lowlevel.checkpoint()
        self.sent.append(offset)
        return await super().fetch(offset, limit)

    async def convert(self, raw: Page[int], offset: int, limit: int) -> Page[str]:
        assert (offset, limit) == (raw.offset, raw.limit)
        self.converted.append(raw.offset)
        self.converted_in.add(asyncio.current_task())
        if raw.offset:
            # The fetch launched when this page's fetch ended, at the latest.
            ahead = raw.offset + self.concurrency * 100
            if ahead < len(self.rows):
                self.next_sent_before_convert.append(ahead in self.sent)
        return Page([str(x) for x in raw.items], raw.total, raw.offset, raw.limit)

    concurrency = 1


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_convert_runs_in_the_consumer_in_order_after_the_next_requests_are_sent(
    concurrency: int,
) -> None:
    src = RawSource(1050, delay=0.001)
    src.concurrency = concurrency
    consumer = asyncio.current_task()
    it = PageIterator(src.fetch, convert=src.convert, concurrency=concurrency)
    assert [x async for x in it] == [str(x) for x in range(1050)]
    assert it.total == 1050
    assert src.converted == list(range(0, 1100, 100))
    assert src.converted_in == {consumer}
    assert src.next_sent_before_convert
    assert all(src.next_sent_before_convert), src.next_sent_before_convert
    assert src.max_in_flight <= concurrency


async def test_a_fetch_ending_while_the_next_requests_get_their_turns_is_replaced_at_once() -> None:
    # The fetch of page 2 ends in the turns the consumer gives the request for page 3 once it
    # has taken page 1: page 4's request goes out then, not once page 1 is built and handed out
    # (on a busy loop, a page's conversion and the reader's work on its rows).
    asked: list[int] = []
    page_3_asked, page_1_converted = anyio.Event(), anyio.Event()
    asked_when_converted: dict[int, list[int]] = {}

    async def fetch(offset: int, limit: int) -> Page[int]:
        asked.append(offset)
        if offset == 300:
            page_3_asked.set()
        if offset == 200:
            await page_3_asked.wait()
        elif offset > 200:  # in flight until then, however slow the machine
            await page_1_converted.wait()
        return Page(
            items=list(range(offset, offset + limit)), total=800, offset=offset, limit=limit
        )

    async def convert(raw: Page[int], offset: int, limit: int) -> Page[int]:
        asked_when_converted[offset] = list(asked)
        if offset == 100:
            page_1_converted.set()
        return raw

    it = PageIterator(fetch, convert=convert, concurrency=2)
    assert [x async for x in it] == list(range(800))
    assert asked_when_converted[100] == [0, 100, 200, 300, 400]


async def test_convert_keeps_the_requests_of_the_plain_iterator() -> None:
    # Answers at once (one turn of the loop), not after a timer: with 1 ms, a loaded machine
    # let the plain iterator's next fetches end before its break and not the other's.
    plain, raw = FakeSource(5000), RawSource(5000)
    raw.total_override = plain.total_override = 10**9
    for src, convert in ((plain, None), (raw, raw.convert)):
        it = PageIterator(src.fetch, convert=convert, concurrency=3)
        async for page in it.pages():
            if page.offset == 700:
                break
        await asyncio.sleep(0)
    assert raw.calls == plain.calls
    # An empty page ends the scan without converting it.
    empty = RawSource(0)
    assert [x async for x in PageIterator(empty.fetch, convert=empty.convert)] == []
    assert empty.calls == [(0, 100)]


async def test_convert_cancellation_leaves_no_task() -> None:
    src = RawSource(100_000, delay=0.02)
    seen: list[str] = []
    with anyio.move_on_after(0.15):
        async for x in PageIterator(src.fetch, convert=src.convert, concurrency=4):
            seen.append(x)
    assert await _no_other_tasks()
    assert src.in_flight == 0
    assert 0 < len(seen) < 100_000


async def test_a_failing_conversion_raises_in_order_and_stops_the_rest() -> None:
    src = RawSource(1000, delay=0.002)

    async def convert(raw: Page[int], offset: int, limit: int) -> Page[str]:
        if raw.offset == 300:
            raise RuntimeError("bad page at 300")
        return await src.convert(raw, offset, limit)

    seen: list[str] = []
    with pytest.raises(RuntimeError, match="bad page at 300"):
        async for x in PageIterator(src.fetch, convert=convert, concurrency=4):
            seen.append(x)
    assert seen == [str(x) for x in range(300)]
    assert await _no_other_tasks()
    assert src.in_flight == 0


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_the_next_request_reaches_the_server_before_a_page_is_built(
    oms_sandbox_factory: Callable[..., SandboxInfo],
    monkeypatch: pytest.MonkeyPatch,
    concurrency: int,
) -> None:
    # Over real sockets. Building a page's models gives the loop no turn: a request not written
    # before it starts its round trip only once the page is built, as every page's did at
    # concurrency 1 when its fetch ended before the consumer came to wait for it.
    info = oms_sandbox_factory(SandboxConfig(orders=800))
    decoder = legacy_orders._ORDER_PAGES
    models = decoder.models
    built: list[int] = []  # searches the server had when each page was built

    def searches() -> int:
        return sum(1 for r in info.state.requests if r.path.endswith("/manage_orders/find"))

    def building(*args: Any) -> Any:
        due = min(len(built) + 1 + concurrency, 8)  # this page and those sent after it
        waited = time.monotonic() + 2  # the server's thread may take a moment to log one
        while searches() < due and time.monotonic() < waited:
            time.sleep(0.002)  # the loop is held meanwhile: nothing more can be sent
        built.append(searches())
        return models(*args)

    monkeypatch.setattr(decoder, "models", building)
    every = Condition(OrderField.DATE_ORDERED, Op.GE, date1="2000-01-01")
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        ids = [o.order_id async for o in oms.legacy.orders.iterate(every, concurrency=concurrency)]
    assert len(ids) == len(set(ids)) == 800
    # The first page's build may come before the connections the pages after it open: a
    # connect waits for the network, which no build should wait for. From then on the pool's
    # connections are reused.
    assert built[0] >= 2
    # Each page's next requests were out before its build; fetches that ended meanwhile may
    # have been replaced too, as far as the window goes (2 x concurrency pages after the one
    # being built).
    sent = [
        (min(n + 1 + concurrency, 8), seen, min(n + 1 + 2 * concurrency, 8))
        for n, seen in enumerate(built)
    ]
    assert all(least <= seen <= most for least, seen, most in sent[1:]), sent


# --- legacy order pages: checked in the fetch, decoded by the iterator ---------------------

FIND = f"{LEGACY}/api/json/manage_orders/find"
SAMPLE = json.loads((Path(__file__).parent / "data" / "sample_order.json").read_text())
STATUS = Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)
TOTAL = 250


def order_page(offset: int, **extra: object) -> bytes:
    rows = [
        {**SAMPLE, "order_id": f"INV{n}", **extra} for n in range(offset, min(offset + 100, TOTAL))
    ]
    return orjson.dumps(ok(orders=rows, total=str(TOTAL)))


class OrderServer:
    """Answers order searches by offset; ``odd`` replaces the next answers for an offset."""

    def __init__(self) -> None:
        self.odd: dict[int, list[httpx.Response]] = {}
        self.offsets: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        offset = int(dict(parse_qsl(request.content.decode()))["offset"])
        self.offsets.append(offset)
        if self.odd.get(offset):
            return self.odd[offset].pop(0)
        return httpx.Response(200, content=order_page(offset))


async def order_ids(oms: omsclient.AsyncClient) -> list[str | None]:
    return [o.order_id async for o in oms.legacy.orders.iterate(STATUS, concurrency=2)]


EVERY_ID = [f"INV{n}" for n in range(TOTAL)]


@respx.mock
async def test_order_pages_decode_to_the_same_models_as_search(oms: omsclient.AsyncClient) -> None:
    respx.post(FIND).mock(side_effect=OrderServer())
    it = oms.legacy.orders.iterate(STATUS, concurrency=3)
    pages = [page async for page in it.pages()]
    searched = [await oms.legacy.orders.search(STATUS, offset=o) for o in (0, 100, 200)]
    assert pages == searched
    assert [o.order_id for p in pages for o in p.items] == EVERY_ID
    assert it.total == TOTAL


@respx.mock
async def test_a_search_matching_nothing_yields_its_one_empty_page_and_syncs_nothing(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # The empty first page is yielded, for its total: without it, pages() yields nothing and
    # an order sync of a shop with no matching order fails instead of finishing.
    route = respx.post(FIND).respond(json=ok(orders=[], total=0))
    it = oms.legacy.orders.iterate_raw(STATUS)
    pages = [page async for page in it.pages()]
    assert [(page.items, page.total, page.offset) for page in pages] == [([], 0, 0)]
    assert it.total == 0
    assert route.call_count == 1
    summary = await sync_orders(oms, f"sqlite:///{tmp_path / 'shop.db'}")
    assert (summary.new, summary.updated) == (0, 0)


@respx.mock
async def test_a_large_max_items_sends_no_request_past_the_total(
    oms: omsclient.AsyncClient,
) -> None:
    # max_items caps the reading; it is no promise that rows reach that far. Until the first
    # page tells the total, the others wait: 150 orders take the 2 requests they need, not 8
    # at once and more, all past the end.
    offsets: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        offset, limit = int(form["offset"]), int(form["limit"])
        offsets.append(offset)
        rows = [{**SAMPLE, "order_id": f"INV{n}"} for n in range(offset, min(offset + limit, 150))]
        return httpx.Response(200, content=orjson.dumps(ok(orders=rows, total="150")))

    respx.post(FIND).mock(side_effect=answer)
    it = oms.legacy.orders.iterate(STATUS, max_items=5000, concurrency=8)
    assert [o.order_id async for o in it] == [f"INV{n}" for n in range(150)]
    assert sorted(offsets) == [0, 100]


@respx.mock
async def test_a_body_cut_short_is_retried_by_the_fetch(oms: omsclient.AsyncClient) -> None:
    server = OrderServer()
    server.odd[100] = [httpx.Response(200, content=order_page(100)[:-40])]
    respx.post(FIND).mock(side_effect=server)
    assert await order_ids(oms) == EVERY_ID
    assert server.offsets.count(100) == 2


@respx.mock
async def test_an_error_status_on_a_later_page_raises_its_error(
    oms: omsclient.AsyncClient,
) -> None:
    server = OrderServer()
    server.odd[200] = [httpx.Response(200, json=legacy_error(50004, "Invalid offset"))]
    respx.post(FIND).mock(side_effect=server)
    seen: list[str | None] = []
    with pytest.raises(errors.InvalidPagingError, match="Invalid offset"):
        async for order in oms.legacy.orders.iterate(STATUS, concurrency=2):
            seen.append(order.order_id)
    assert seen == EVERY_ID[:200]
    assert server.offsets.count(200) == 1
    assert await _no_other_tasks()


@respx.mock
async def test_a_page_the_fast_decoder_refuses_is_read_by_the_converter_without_resending(
    oms: omsclient.AsyncClient,
) -> None:
    key = f"x_{uuid.uuid4().hex}"  # unknown to the decoder, so it hands the page back
    server = OrderServer()
    server.odd[100] = [httpx.Response(200, content=order_page(100, **{key: 7}))]
    respx.post(FIND).mock(side_effect=server)
    orders = [o async for o in oms.legacy.orders.iterate(STATUS, concurrency=2)]
    assert [o.order_id for o in orders] == EVERY_ID
    assert all(o.extra == {key: 7} for o in orders[100:200])
    assert sorted(server.offsets) == [0, 100, 200]


# Valid JSON syntax, so the fetch's check passes; only the decode finds the byte that is no UTF-8.
BAD_UTF8 = order_page(100).replace(b'"INV1', b'"\xffINV1', 1)


@respx.mock
async def test_a_body_that_fails_only_the_decode_is_not_sent_for_again(
    oms: omsclient.AsyncClient,
) -> None:
    # It was, three times over: the same answer fails the same way, and a refused login in
    # Latin-1 sent four times could lock the account.
    server = OrderServer()
    server.odd[100] = [httpx.Response(200, content=BAD_UTF8)]
    respx.post(FIND).mock(side_effect=server)
    with pytest.raises(errors.DecodeError) as caught:
        await order_ids(oms)
    assert server.offsets.count(100) == 1
    assert caught.value.transient is False
    assert "bytes that are no UTF-8 at byte " in str(caught.value)
    assert "cut short" not in str(caught.value)


@respx.mock
async def test_a_learned_key_that_fails_only_the_build_is_not_sent_for_again(
    oms: omsclient.AsyncClient,
) -> None:
    # A key the decoder learned is read by orjson once the page is built: a byte that is no
    # UTF-8 in its value passes the fetch's check and fails only the build.
    bad = order_page(100, learned="BAD").replace(b'"BAD"', b'"\xff"')
    server = OrderServer()
    server.odd[0] = [httpx.Response(200, content=order_page(0, learned=7))]
    server.odd[100] = [httpx.Response(200, content=bad)]
    respx.post(FIND).mock(side_effect=server)
    await oms.legacy.orders.search(STATUS, offset=0)
    with pytest.raises(errors.DecodeError, match="bytes that are no UTF-8") as caught:
        await oms.legacy.orders.search(STATUS, offset=100)
    assert (server.offsets.count(100), caught.value.transient) == (1, False)
    assert caught.value.attempts == 1


@respx.mock
async def test_a_body_that_fails_only_the_decode_raises_without_retries(
    client_kwargs: dict[str, object],
) -> None:
    server = OrderServer()
    server.odd[100] = [httpx.Response(200, content=BAD_UTF8)]
    respx.post(FIND).mock(side_effect=server)
    kwargs = {**client_kwargs, "retry": omsclient.RetryPolicy(max_retries=0)}
    async with omsclient.AsyncClient(**kwargs) as oms:  # type: ignore[arg-type]
        with pytest.raises(errors.DecodeError):
            await order_ids(oms)
    assert server.offsets.count(100) == 1


@respx.mock
@pytest.mark.parametrize("failures", [0, 1, 3])
async def test_a_body_that_fails_only_the_decode_counts_the_attempts_before_it(
    client_kwargs: dict[str, object], failures: int
) -> None:
    # The fast path skips the unknown envelope key, so its byte that is no UTF-8 shows only
    # when the row it refuses (a date that is none) is read by orjson. The 500s before it were
    # retried; the answer itself is not asked for again, and the error counts every attempt.
    rows = [{**SAMPLE, "order_id": "INV100", "date_ordered": "2025-13-45T99:99:99"}]
    body = orjson.dumps(ok(orders=rows, total="1", zz="?")).replace(b'"?"', b'"\xff"')
    server = OrderServer()
    server.odd[100] = [httpx.Response(500)] * failures + [
        httpx.Response(200, content=body) for _ in range(8)
    ]
    respx.post(FIND).mock(side_effect=server)
    retry = omsclient.RetryPolicy(max_retries=3, initial_delay=0.001, max_delay=0.001)
    async with omsclient.AsyncClient(**{**client_kwargs, "retry": retry}) as oms:  # type: ignore[arg-type]
        with pytest.raises(errors.DecodeError) as caught:
            await oms.legacy.orders.search(STATUS, offset=100)
    assert server.offsets.count(100) == failures + 1
    assert caught.value.attempts == failures + 1


@respx.mock
@pytest.mark.parametrize(
    "offset", [2**31, 10**5000, -1, True], ids=["2^31", "10^5000", "-1", "True"]
)
async def test_an_offset_no_server_holds_is_refused_before_sending(offset: int) -> None:
    route = respx.post(f"{LEGACY}/api/json/manage_orders/find")
    async with omsclient.AsyncClient(legacy_url=LEGACY, username="u", password="p") as oms:
        with pytest.raises(ValidationError, match="offset must be an integer") as caught:
            await oms.legacy.orders.search(
                Condition(OrderField.ORDER_STATUS, Op.EQ, string=1), offset=offset
            )
        with pytest.raises(ValidationError, match="start_offset"):
            oms.legacy.orders.iterate(
                Condition(OrderField.ORDER_STATUS, Op.EQ, string=1), start_offset=offset
            )
    assert len(str(caught.value)) < 200
    assert not route.called
