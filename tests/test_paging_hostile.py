"""Offset paging against servers that bend the paging contract: no total, pages capped below
the limit, ``offset`` ignored while the rows come back in another order.

Every row is read, or the iterator raises; none is lost in silence and none pages forever.
"""

from __future__ import annotations

import itertools
import json
import logging
import operator
import random
import re
import weakref
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import anyio
import anyio.abc
import httpx
import pytest
import respx

import omsclient
from omsclient import Page, PageIterator, errors
from omsclient._runaway import RunawayGuard
from omsclient.legacy import Condition, Op, OrderField

from .conftest import LEAVES_NOTHING_UNCLOSED, LEGACY, ok
from .hostile import HostileServer, Request, hostile_server, write_json

pytestmark = LEAVES_NOTHING_UNCLOSED

SINCE = Condition(OrderField.DATE_ORDERED, Op.GE, date1="2024-01-01T00:00:00")
BASE = datetime(2024, 1, 1)
NO_RETRY = omsclient.RetryPolicy(max_retries=0)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server() as running:
        yield running


@pytest.fixture
async def oms(server: HostileServer) -> AsyncIterator[omsclient.AsyncClient]:
    async with omsclient.AsyncClient(
        legacy_url=server.url, username="u", password="p" * 8, retry=NO_RETRY, timeout=2
    ) as client:
        yield client


def orders(n: int) -> list[dict[str, Any]]:
    return [
        {
            "order_id": f"INV{i}",
            "date_ordered": (BASE + timedelta(seconds=i * 60)).isoformat() + ".000+00:00",
        }
        for i in range(n)
    ]


def shop(rows: list[dict[str, Any]], *, cap: int = 100, total: bool = True) -> Any:
    """An order search over ``rows`` by offset, at most ``cap`` rows a page, with or without a
    total."""

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        offset, limit = int(request.form["offset"]), int(request.form["limit"])
        body: dict[str, Any] = {"orders": rows[offset : offset + min(limit, cap)]}
        if total:
            body["total"] = len(rows)
        await write_json(stream, ok(**body))

    return handler


def offsets(server: HostileServer) -> list[tuple[int, int]]:
    return sorted((int(r.form["offset"]), int(r.form["limit"])) for r in server.requests)


async def ids(it: Any) -> list[str]:
    return [o["order_id"] if isinstance(o, dict) else o.order_id async for o in it]


def every(n: int) -> list[str]:
    return [f"INV{i}" for i in range(n)]


def iterate(oms: omsclient.AsyncClient, kind: str, **kwargs: Any) -> Any:
    if kind == "raw":
        return oms.legacy.orders.iterate_raw(SINCE, **kwargs)
    return oms.legacy.orders.iterate(SINCE, **kwargs)


# --- an answer without a total ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["typed", "raw"])
@pytest.mark.parametrize("concurrency", [1, 8])
async def test_no_total_reads_every_row_one_page_at_a_time(
    oms: omsclient.AsyncClient, server: HostileServer, kind: str, concurrency: int
) -> None:
    server.handler = shop(orders(250), total=False)
    it = iterate(oms, kind, concurrency=concurrency)
    assert await ids(it) == every(250)
    # While the total is unknown each page asks for the next, from where its rows stopped: a
    # short page may be one the server capped, so only the empty page ends it.
    assert offsets(server) == [(0, 100), (100, 100), (200, 100), (250, 50)]
    assert it.total is None


async def test_no_total_ends_at_the_empty_page_after_full_ones(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    server.handler = shop(orders(200), total=False)
    it = oms.legacy.orders.iterate(SINCE, concurrency=4)
    assert await ids(it) == every(200)
    assert offsets(server) == [(0, 100), (100, 100), (200, 100)]


@pytest.mark.parametrize("kind", ["typed", "raw"])
async def test_no_total_and_capped_pages_still_read_every_row(
    oms: omsclient.AsyncClient, server: HostileServer, kind: str
) -> None:
    server.handler = shop(orders(250), cap=50, total=False)
    assert await ids(iterate(oms, kind, concurrency=8)) == every(250)


async def test_a_page_without_total_says_more_may_follow(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    server.handler = shop(orders(150), total=False)
    full = await oms.legacy.orders.search(SINCE)
    assert (len(full), full.total, full.total_known, full.has_more) == (100, 100, False, True)
    short = await oms.legacy.orders.search(SINCE, offset=100)
    assert (len(short), short.total, short.total_known, short.has_more) == (50, 150, False, True)
    empty = await oms.legacy.orders.search(SINCE, offset=150)
    assert (len(empty), empty.total, empty.total_known, empty.has_more) == (0, 150, False, False)
    raw = [p async for p in oms.legacy.orders.iterate_raw(SINCE).pages()]
    assert [(len(p), p.total, p.total_known) for p in raw] == [(100, 100, False), (50, 150, False)]


async def test_a_total_known_page_is_counted_as_the_server_says(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    server.handler = shop(orders(150))
    it = oms.legacy.orders.iterate(SINCE)
    seen = [(p.total, p.total_known, it.total) async for p in it.pages()]
    assert seen == [(150, True, 150), (150, True, 150)]


def empty_at(rows: list[dict[str, Any]], offset: int, times: int) -> Any:
    """``shop(rows)``, but its first ``times`` answers from ``offset`` on hold no row, their
    total counting every one (a replica catching up)."""
    full = shop(rows)
    left = times

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        nonlocal left
        if int(request.form["offset"]) >= offset and left:
            left -= 1
            await write_json(stream, ok(orders=[], total=len(rows)))
            return
        await full(request, stream)

    return handler


@pytest.mark.parametrize("kind", ["typed", "raw"])
@pytest.mark.parametrize("concurrency", [1, 8])
async def test_an_empty_page_its_total_says_is_not_the_end_is_named_in_a_warning(
    oms: omsclient.AsyncClient,
    server: HostileServer,
    kind: str,
    concurrency: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # It ended the search as the last page does, 200 of 500 orders read, and nothing said so.
    # Nothing tells a server catching up from a total counting rows it never sends (whose
    # every run would fail if this failed): the end is taken, and named.
    server.handler = empty_at(orders(500), 200, times=100)
    with caplog.at_level(logging.WARNING, logger="omsclient"):
        assert await ids(iterate(oms, kind, concurrency=concurrency)) == every(200)
    # Once, for the page that ends it: not for pages fetched ahead of it.
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning == (
        "a search ended at offset 200 on an answer of no rows, though its total counts 500 "
        "(a server catching up may hold more)"
    )


async def test_a_count_alone_warns_of_nothing(
    oms: omsclient.AsyncClient, server: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.handler = shop(orders(300))
    with caplog.at_level(logging.WARNING, logger="omsclient"):
        page = await oms.legacy.orders.search(SINCE, limit=0)
        assert (page.total, page.items) == (300, [])
        assert await ids(oms.legacy.orders.iterate(SINCE)) == every(300)
    assert not caplog.records


# --- pages shorter than asked for ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["typed", "raw"])
@pytest.mark.parametrize("concurrency", [1, 8])
async def test_a_server_capping_pages_loses_no_row(
    oms: omsclient.AsyncClient, server: HostileServer, kind: str, concurrency: int
) -> None:
    server.handler = shop(orders(250), cap=50)
    assert await ids(iterate(oms, kind, concurrency=concurrency)) == every(250)
    # The rest of each short page is asked for; the last page, short by the total, is not.
    assert offsets(server) == [(0, 100), (50, 50), (100, 100), (150, 50), (200, 100)]


async def test_the_rest_of_a_short_page_is_read_until_it_is_whole(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    server.handler = shop(orders(230), cap=30)
    assert await ids(oms.legacy.orders.iterate(SINCE, concurrency=4)) == every(230)
    assert offsets(server)[:4] == [(0, 100), (30, 70), (60, 40), (90, 10)]


async def test_capped_pages_within_max_items(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    server.handler = shop(orders(1000), cap=40)
    it = oms.legacy.orders.iterate(SINCE, concurrency=3, start_offset=10, max_items=170)
    assert await ids(it) == [f"INV{i}" for i in range(10, 180)]
    assert all(offset + limit <= 180 for offset, limit in offsets(server))


class CappingSource:
    """Serves ``n`` ints, at most ``cap`` a page, counting the fetches in flight."""

    def __init__(self, n: int, cap: int) -> None:
        self.n, self.cap = n, cap
        self.in_flight = self.max_in_flight = 0

    async def fetch(self, offset: int, limit: int) -> Page[int]:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await anyio.sleep(random.uniform(0, 0.003))
        finally:
            self.in_flight -= 1
        items = list(range(offset, min(offset + min(limit, self.cap), self.n)))
        return Page(items=items, total=self.n, offset=offset, limit=limit)


@pytest.mark.parametrize("concurrency", [1, 2, 5])
async def test_reading_the_rest_of_short_pages_keeps_the_concurrency(concurrency: int) -> None:
    src = CappingSource(2345, cap=37)
    assert [x async for x in PageIterator(src.fetch, concurrency=concurrency)] == list(range(2345))
    assert src.max_in_flight <= concurrency


# --- a server ignoring offset ------------------------------------------------------------------


def ignoring_offset(kind: str, *, total: Any = 10**9, cycle: int = 2) -> Any:
    """Rows that ignore ``offset``: one page shuffled, or ``cycle`` pages in turn."""
    pages = [orders(100 * cycle)[100 * i : 100 * (i + 1)] for i in range(cycle)]

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        offset, limit = int(request.form["offset"]), int(request.form["limit"])
        if kind == "shuffled":
            rows = random.sample(pages[0], len(pages[0]))
        else:
            rows = pages[offset // 100 % cycle]
        body: dict[str, Any] = {"orders": rows[:limit]}
        if total is not None:
            body["total"] = total
        await write_json(stream, ok(**body))

    return handler


@pytest.mark.parametrize("kind", ["shuffled", "alternating"])
@pytest.mark.parametrize("typed", [False, True])
async def test_a_server_ignoring_offset_in_any_order_is_stopped(
    oms: omsclient.AsyncClient, server: HostileServer, kind: str, typed: bool
) -> None:
    server.handler = ignoring_offset(kind)
    it = iterate(oms, "typed" if typed else "raw", concurrency=8)
    with anyio.fail_after(5), pytest.raises(errors.RunawayPagingError, match="already sent"):
        async for _ in it:
            pass
    assert len(server.requests) < 30


async def test_a_cycle_of_three_pages_is_stopped(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    server.handler = ignoring_offset("alternating", cycle=3)
    with anyio.fail_after(5), pytest.raises(errors.RunawayPagingError):
        async for _ in oms.legacy.orders.iterate_raw(SINCE, concurrency=8):
            pass
    assert len(server.requests) < 30


async def test_a_server_ignoring_offset_without_a_total_is_stopped(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    server.handler = ignoring_offset("shuffled", total=None)
    with anyio.fail_after(5), pytest.raises(errors.RunawayPagingError):
        async for _ in oms.legacy.orders.iterate(SINCE):
            pass
    assert len(server.requests) < 10


@respx.mock
async def test_a_capping_server_ignoring_offset_is_stopped(
    client_kwargs: dict[str, object],
) -> None:
    rows = [{"order_id": f"INV{i}", "date_ordered": "2024-01-01 00:00:00"} for i in range(30)]

    def answer(request: httpx.Request) -> httpx.Response:
        limit = int(re.findall(r"limit=(\d+)", request.content.decode())[0])
        rows_now = random.sample(rows, len(rows))[:limit]
        return httpx.Response(200, content=json.dumps(ok(total=10**6, orders=rows_now)))

    route = respx.post(f"{LEGACY}/api/json/manage_orders/find").mock(side_effect=answer)
    async with omsclient.AsyncClient(**client_kwargs) as oms:  # type: ignore[arg-type]
        with anyio.fail_after(5), pytest.raises(errors.RunawayPagingError):
            async for _ in oms.legacy.orders.iterate(SINCE, concurrency=4):
                pass
    assert route.call_count < 30


@pytest.mark.parametrize(
    ("cap", "arriving", "leaving", "concurrency"),
    [(10, 1, 0, 1), (20, 3, 0, 8), (30, 3, 0, 8), (10, 1, 1, 1), (20, 4, 4, 1)],
)
async def test_a_capping_server_whose_orders_arrive_while_read_is_read_to_its_end(
    client_kwargs: dict[str, object], cap: int, arriving: int, leaving: int, concurrency: int
) -> None:
    # An honest server capping its pages, newest first, a few orders arriving at each request
    # (and as many of the oldest leaving, the total unchanged). The rest of a short page is
    # asked for once its page is read, often many requests after that page went out: a rest
    # checked against the pages before it may hold only rows read already, shifted onto it, and
    # is no runaway. Checking rests as long as the server's pages stopped each of these reads.
    rows = [f"INV{i}" for i in range(400, 0, -1)]
    arrived = itertools.count(401)

    def answer(request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        offset, limit = int(form["offset"]), int(form["limit"])
        for _ in range(arriving):
            rows.insert(0, f"INV{next(arrived)}")
        del rows[len(rows) - leaving :]
        sent = [{"order_id": o} for o in rows[offset : offset + min(limit, cap)]]
        return httpx.Response(200, content=json.dumps(ok(total=len(rows), orders=sent)))

    handed_out: list[str] = []
    with respx.mock:
        respx.post(f"{LEGACY}/api/json/manage_orders/find").mock(side_effect=answer)
        async with omsclient.AsyncClient(**client_kwargs) as oms:  # type: ignore[arg-type]
            async for order in oms.legacy.orders.iterate_raw(SINCE, concurrency=concurrency):
                handed_out.append(order["order_id"])
    # Read to its end, repeating rows and maybe skipping some, as offset paging over changing
    # data does (a stable scan would not).
    assert len(set(handed_out)) > 200


# --- the guard by itself -----------------------------------------------------------------------


def page(rows: list[int], offset: int, limit: int = 4) -> Page[int]:
    return Page(items=rows, total=10**6, offset=offset, limit=limit)


def test_the_guard_stops_only_a_full_page_of_rows_already_seen() -> None:
    guard = RunawayGuard()
    for offset in range(0, 4000, 4):
        guard.check(page(list(range(offset, offset + 4)), offset))
    # The same page again at its own offset (a second pass) is no runaway.
    guard.check(page([3996, 3997, 3998, 3999], 3996))
    # Data changing while it is read: rows inserted ahead shift a few onto the next page, and a
    # short page of rows read before may be the shifted end.
    guard.check(page([3998, 3999, 4000, 4001], 4000))
    guard.check(page([4000, 4001], 4004))
    with pytest.raises(errors.RunawayPagingError, match=r"at offset 4008.*already sent"):
        guard.check(page([4001, 3999, 4000, 3998], 4008))


def orders_page(ids: list[int | None], offset: int) -> Page[dict[str, object]]:
    rows: list[dict[str, object]] = [{"order_id": i, "n": offset + n} for n, i in enumerate(ids)]
    return Page(items=rows, total=10**6, offset=offset, limit=len(ids))


def test_the_guard_tells_rows_by_their_ids_when_given_them() -> None:
    by_id = RunawayGuard(operator.methodcaller("get", "order_id"))
    whole = RunawayGuard()
    for guard in (by_id, whole):
        guard.check(orders_page([1, 2, 3, 4], 0))
        guard.check(orders_page([5, 6, 7, 8], 4))
    # Rows with the ids of earlier ones but other content: seen before by id, new as a whole.
    with pytest.raises(errors.RunawayPagingError):
        by_id.check(orders_page([8, 6, 7, 5], 8))
    whole.check(orders_page([8, 6, 7, 5], 8))


def test_rows_without_an_id_are_compared_whole() -> None:
    guard = RunawayGuard(operator.methodcaller("get", "order_id"))
    # Every id missing: by id they would all look alike; compared whole they differ.
    for offset in range(0, 40, 4):
        guard.check(orders_page([None] * 4, offset))


class _Row:
    def __init__(self, order_id: object) -> None:
        self.order_id = order_id


def test_the_guard_keeps_the_ids_of_rows_not_the_rows() -> None:
    # A page kept alive past its turn costs the loop CPU (the collector walks it, new pages are
    # built in memory gone cold): only rows without an id, compared whole, are kept.
    guard = RunawayGuard(operator.attrgetter("order_id"))
    with_ids = [_Row(f"INV{n}") for n in range(4)]
    without = [_Row(None) for _ in range(4)]
    guard.check(Page(items=with_ids, total=10**6, offset=0, limit=4))
    guard.check(Page(items=without, total=10**6, offset=4, limit=4))
    gone, kept = weakref.ref(with_ids[0]), weakref.ref(without[0])
    del with_ids, without
    assert gone() is None
    assert kept() is not None
    # Ids of earlier rows still tell a runaway page.
    with pytest.raises(errors.RunawayPagingError):
        guard.check(Page(items=[_Row(f"INV{n}") for n in range(4)], total=10**6, offset=8, limit=4))


async def test_raw_rows_whose_ids_cannot_be_hashed_are_compared_whole(
    client_kwargs: dict[str, Any],
) -> None:
    # An id a server sent as a list or an object: the rows are still handed out as sent.
    rows = [{"order_id": ["INV0"]}, {"order_id": {"n": 1}}, {"order_id": "INV2"}]
    with respx.mock:
        respx.post(f"{LEGACY}/api/json/manage_orders/find").respond(json=ok(orders=rows, total=3))
        async with omsclient.AsyncClient(**client_kwargs) as oms:
            got = [o async for o in oms.legacy.orders.iterate_raw(SINCE)]
    assert got == rows
    guard = RunawayGuard(operator.methodcaller("get", "order_id"))
    guard.check(Page(items=rows, total=10**6, offset=0, limit=3))
    with pytest.raises(errors.RunawayPagingError):
        guard.check(Page(items=[rows[2], rows[0], rows[1]], total=10**6, offset=3, limit=3))


@pytest.mark.parametrize("row", [None, "INV1", ["INV1"], 7])
async def test_a_raw_row_that_is_no_object_is_a_decode_error(
    client_kwargs: dict[str, Any], row: Any
) -> None:
    # iterate_raw yields JSON objects: a row that is none is the server's fault, said as such
    # (a scan with raw=True says the same), not an AttributeError from deep inside the paging.
    rows = [{"order_id": "INV0"}, row]
    with respx.mock:
        respx.post(f"{LEGACY}/api/json/manage_orders/find").respond(json=ok(orders=rows, total=2))
        async with omsclient.AsyncClient(**client_kwargs) as oms:
            with pytest.raises(
                errors.DecodeError, match=re.escape("row 1 of 'orders' (offset 1) is a")
            ):
                [o async for o in oms.legacy.orders.iterate_raw(SINCE)]
