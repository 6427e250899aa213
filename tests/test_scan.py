"""Stable scans: the request sequence (respx) and exactly-once under churn (sandbox)."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import gc
import json
import re
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import attrs
import httpx
import orjson
import pytest
import respx

import omsclient
import omsclient.legacy as legacy
import omsclient.legacy.orders as legacy_orders
from omsclient import DecodeError, Page, StructureError, ValidationError
from omsclient._decoding import PageDecoder, structure_many
from omsclient.dbsync import sync_orders
from omsclient.export import export_orders
from omsclient.legacy import (
    Condition,
    Op,
    OrderField,
    ProductScanState,
    ScanState,
    WindowState,
    scan_products,
)
from omsclient.legacy._conditions import format_until
from omsclient.legacy._scan import OrderScan
from omsclient.legacy._scan_dates import (
    FIRST_SECOND,
    LAST_SECOND,
    _epoch_second_by_parts,
    epoch_second,
)
from omsclient.legacy._scan_dates import second_of_datetime as _second_of_datetime
from omsclient.legacy.models import Order
from omsclient.sandbox import (
    Churn,
    Quirks,
    SandboxConfig,
    SandboxInfo,
    SandboxState,
    asgi_transport,
)

from .conftest import LEGACY, form_of, legacy_error, ok, reads_of

FIND = f"{LEGACY}/api/json/manage_orders/find"
PRODUCTS_FIND = f"{LEGACY}/api/json/manage_products/find"
T0 = datetime(2024, 3, 1, 12, 0, 0)
READY = Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)


def at(seconds: int) -> str:
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")


FLAT = ("field", "condition", "date1", "date2", "string")


def conditions_of(form: dict[str, str]) -> list[tuple[str, str, str]]:
    """(field, op, value) of each condition of a sent form, in order.

    One condition must come flat (``field``, ``condition``, ...), several numbered
    (``conditions[n][...]``, n from 1), never both forms at once.
    """
    numbered = [key for key in form if key.startswith("conditions")]
    if "field" in form:
        assert not numbered, f"flat and numbered conditions mixed: {sorted(form)}"
        return [(form["field"], form["condition"], form.get("date1") or form.get("string", ""))]
    assert not any(key in form for key in FLAT), f"a flat parameter without field: {sorted(form)}"
    found = []
    n = 1
    while f"conditions[{n}][field]" in form:
        p = f"conditions[{n}]"
        value = form.get(f"{p}[date1]") or form.get(f"{p}[string]", "")
        found.append((form[f"{p}[field]"], form[f"{p}[condition]"], value))
        n += 1
    assert len(found) != 1, "one condition is sent flat, not as conditions[1]"
    assert all(key.startswith(tuple(f"conditions[{i}][" for i in range(1, n))) for key in numbered)
    return found


class FakeFind:
    """A find endpoint over fixed rows: Date Ordered ranges, status, sort by date or invoice,
    paging."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.forms: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        self.forms.append(form)
        rows = self.rows
        for field, op, value in conditions_of(form):
            rows = [r for r in rows if self._match(r, field, int(op), value)]
        # By Date Ordered, or within one second by Invoice Number (the order id here).
        field = {"1": "date_ordered", "3": "order_id"}[form["sortby"]]
        rows = sorted(rows, key=lambda r: r[field])
        offset, limit = int(form["offset"]), int(form["limit"])
        return httpx.Response(200, json=ok(orders=rows[offset : offset + limit], total=len(rows)))

    @staticmethod
    def _match(row: dict[str, Any], field: str, op: int, value: str) -> bool:
        if field == "4":
            return bool(row["order_status"] == int(value))
        assert field == "1"
        have, want = row["date_ordered"][:19], value
        return {3: have < want, 4: have > want, 5: have <= want, 6: have >= want}[op]

    def requests(self) -> list[tuple[list[tuple[str, str, str]], int, int]]:
        return [(conditions_of(f), int(f["offset"]), int(f["limit"])) for f in self.forms]


def order(n: int, second: int, status: int = 1) -> dict[str, Any]:
    return {"order_id": f"INV{n}", "date_ordered": at(second), "order_status": status}


async def test_a_scan_without_since_reads_orders_placed_before_1970(
    oms: omsclient.AsyncClient,
) -> None:
    # The API's dates run from the year 1000: a scan starting at the epoch missed the rest.
    rows = [
        {"order_id": "OLD1", "date_ordered": "1066-10-14T09:00:00", "order_status": 1},
        {"order_id": "OLD2", "date_ordered": "1969-12-31T23:59:59", "order_status": 1},
        *[order(i, i) for i in range(3)],
    ]
    fake = FakeFind(rows)
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        scan = oms.legacy.orders.scan(windows=2, raw=True)
        assert await scan.count() == 5
        got = [o["order_id"] async for o in scan]
    assert got == [r["order_id"] for r in rows]


@pytest.mark.parametrize("windows", [1, 2])
async def test_orders_in_the_last_second_the_api_names_are_read_and_the_scan_polls_on(
    oms: omsclient.AsyncClient, windows: int
) -> None:
    # 150 orders at 9999-12-31T23:59:59 (a tie block, and with two windows a split right after
    # it): no request may name the second after, which has no date.
    last = [
        {"order_id": f"Z{i}", "date_ordered": "9999-12-31T23:59:59", "order_status": 1}
        for i in range(150)
    ]
    rows = [order(i, i) for i in range(50)] + last
    fake = FakeFind(rows)
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        scan = oms.legacy.orders.scan(windows=windows, raw=True)
        got = [o["order_id"] async for o in scan]
        assert sorted(got) == sorted(r["order_id"] for r in rows)
        assert scan.state is not None
        resumed = oms.legacy.orders.scan(
            raw=True, state=ScanState.from_dict(json.loads(json.dumps(scan.state.to_dict())))
        )
        assert [o async for o in resumed] == []  # polled again: nothing new, nothing twice
        assert await resumed.remaining() == 0
    assert not any("10000" in value for form in fake.forms for value in form.values())


@pytest.mark.parametrize("raw", [False, True, "sent"])
async def test_every_scan_reads_the_date_shapes_the_models_read(
    oms: omsclient.AsyncClient, raw: Any
) -> None:
    # A typed scan keyed these by the second its models read; raw and sent scans, and so the
    # exports and syncs, refused them (the sync's own date column reads them).
    dates = ["2024-03-10Z", "2024-03-10T06:00:00", " 2024-03-10T06:00:01", "20240311"]
    rows = [{"order_id": f"INV{i}", "date_ordered": d} for i, d in enumerate(dates)]
    with respx.mock:
        respx.post(FIND).respond(json=ok(orders=rows, total=len(rows)))
        got = [o async for o in oms.legacy.orders.scan(raw=raw)]
    ids = [o.order_id if not isinstance(o, dict) else o["order_id"] for o in got]
    assert ids == [r["order_id"] for r in rows]


async def test_keyset_requests_and_cursor(oms: omsclient.AsyncClient) -> None:
    # 3 pages' worth at distinct seconds, with a second shared across the first page boundary.
    rows = [order(i, i // 2) for i in range(230)]
    fake = FakeFind(rows)
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        got = [o["order_id"] async for o in oms.legacy.orders.scan(raw=True)]
    assert got == [r["order_id"] for r in rows]
    sent = fake.requests()
    floor = "1000-01-01T00:00:00"
    assert sent[0] == ([("1", "6", floor)], 0, 100)
    # Row 99 is at second 49, shared with row 98: the next request starts at that second.
    assert sent[1] == ([("1", "6", at(49))], 0, 100)
    assert sent[2] == ([("1", "6", at(98))], 0, 100)
    assert len(sent) == 3


async def test_tie_block_pages_through_one_second_then_moves_on(
    oms: omsclient.AsyncClient,
) -> None:
    rows = [order(i, 0) for i in range(3)]
    rows += [order(100 + i, 10) for i in range(250)]
    rows += [order(900 + i, 15) for i in range(5)]
    fake = FakeFind(rows)
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        got = [o["order_id"] async for o in oms.legacy.orders.scan(READY, raw=True)]
    assert sorted(got) == sorted(r["order_id"] for r in rows)
    assert len(got) == len(set(got))
    status = ("4", "1", "1")
    tie = [status, ("1", "6", at(10)), ("1", "3", at(11))]
    assert fake.requests() == [
        ([status, ("1", "6", "1000-01-01T00:00:00")], 0, 100),
        ([status, ("1", "6", at(10))], 0, 100),  # a whole page in one second
        (tie, 0, 100),
        (tie, 100, 100),
        (tie, 200, 100),
        (tie, 0, 100),  # the confirming pass finds nothing new
        (tie, 100, 100),
        (tie, 200, 100),
        ([status, ("1", "6", at(11))], 0, 100),
    ]
    # Both passes by Date Ordered: the first received every order of the second, so none
    # came in another order at another offset (see test_scan_hostile for one that did).
    assert {form["sortby"] for form in fake.forms} == {"1"}


@pytest.mark.parametrize("until", ["9999-12-31T23:59:59", "9999-12-31T23:59:58"])
async def test_an_until_at_the_apis_last_second_reads_every_order(
    oms: omsclient.AsyncClient, until: str
) -> None:
    # "Until forever": its exclusive end, a second later, is a year 10000 no date can be
    # written as; no Date Ordered lies past the last second, so no bound is needed.
    rows = [order(i, i * 10) for i in range(150)]
    fake = FakeFind(rows)
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        scan = oms.legacy.orders.scan(windows=2, until=until, raw=True)
        got = [o["order_id"] async for o in scan]
    assert sorted(got) == sorted(f"INV{i}" for i in range(150))
    assert scan.state is not None
    json.dumps(scan.state.to_dict())  # the state is written, its end included
    ends = {value for form in fake.forms for _, op, value in conditions_of(form) if op == "3"}
    assert ends <= {"9999-12-31T23:59:59"}


async def test_windows_split_by_order_count_and_until_bounds_the_last(
    oms: omsclient.AsyncClient,
) -> None:
    rows = [order(i, i * 10) for i in range(400)]
    fake = FakeFind(rows)
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        scan = oms.legacy.orders.scan(windows=4, until=T0 + timedelta(seconds=3000), raw=True)
        planned = (await scan.plan()).windows
        got = [o["order_id"] async for o in scan]
    assert sorted(got) == sorted(f"INV{i}" for i in range(301))
    # Each split is the second after the row at offset k * 300 / 4 (at k * 750 s).
    assert [(w.cursor, w.end) for w in planned] == [
        (FIRST_SECOND, epoch_second(at(751))),
        (epoch_second(at(751)), epoch_second(at(1501))),
        (epoch_second(at(1501)), epoch_second(at(2251))),
        (epoch_second(at(2251)), epoch_second(at(3001))),
    ]
    assert scan.state is not None
    assert all(w.done for w in scan.state.windows)
    # The plan: a page at offset 0 (the count), then one at each of the offsets 75, 150 and
    # 225. Each holds its window whole (up to a row past the window, or the end), so the
    # windows send nothing more.
    assert sorted((o, limit) for _, o, limit in fake.requests()) == [
        (0, 100),
        (75, 100),
        (150, 100),
        (225, 100),
    ]


async def test_windows_go_on_from_the_pages_that_planned_them(
    oms: omsclient.AsyncClient,
) -> None:
    # 1000 orders at 500 seconds, two a second: the 3 probes land at offsets 250, 500 and 750.
    rows = [order(i, i // 2) for i in range(1000)]
    fake = FakeFind(rows)
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        scan = oms.legacy.orders.scan(windows=4, raw=True)
        got = [o["order_id"] async for o in scan]
    assert sorted(got) == sorted(r["order_id"] for r in rows)
    sent = fake.requests()
    floor = [("1", "6", "1000-01-01T00:00:00")]
    assert sorted(offset for conditions, offset, _ in sent if conditions == floor) == [
        0,
        250,
        500,
        750,
    ]
    # Window 1 starts at second 126, after the probe's first row (offset 250, second 125).
    # Its first page is the probe's rows 252-349; its next request starts at the last one's
    # second (174), not at its own start.
    window_1 = [("1", "6", at(174)), ("1", "3", at(251))]
    assert (window_1, 0, 100) in sent
    assert not any(c[0] == ("1", "6", at(126)) for c, _, _ in sent)
    # Each window of about 250 orders: 98 or 100 of them from its planning page, then two
    # requests (98 new rows, as a page re-reads the second it ended in, and a short page).
    # Starting from nothing, each window would need three.
    assert len(sent) == 4 + 4 * 2


async def plan_count_and_read(
    oms: omsclient.AsyncClient, orders: int, windows: int
) -> tuple[FakeFind, int]:
    """Plan a scan of ``orders`` orders, one a second, check that its count then sends
    nothing, read every one in order, count again: the server and the windows planned."""
    rows = [order(i, i) for i in range(orders)]
    fake = FakeFind(rows)
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        scan = oms.legacy.orders.scan(windows=windows, raw=True)
        planned = (await scan.plan()).windows
        # The count's page said how many: no request.
        assert await scan.count() == orders
        assert len(fake.requests()) == 1
        got = [o["order_id"] async for o in scan]
        # Asked again after reading: the server is asked.
        assert await scan.count() == orders
    assert got == [r["order_id"] for r in rows]
    return fake, len(planned)


async def test_fewer_orders_than_a_page_are_read_by_the_count_page_alone(
    oms: omsclient.AsyncClient,
) -> None:
    fake, windows = await plan_count_and_read(oms, 60, windows=4)
    assert windows == 1
    assert [(offset, limit) for _, offset, limit in fake.requests()] == [(0, 100), (0, 1)]


async def test_a_one_window_plan_reads_the_page_the_window_starts_with(
    oms: omsclient.AsyncClient,
) -> None:
    fake, _ = await plan_count_and_read(oms, 150, windows=1)
    # The plan's page is the window's first: no request for the count, none sent twice; then
    # the final count's.
    floor = [("1", "6", "1000-01-01T00:00:00")]
    assert fake.requests() == [
        (floor, 0, 100),
        ([("1", "6", at(99))], 0, 100),
        (floor, 0, 1),
    ]


async def test_no_more_windows_than_pages_of_orders(oms: omsclient.AsyncClient) -> None:
    rows = [order(i, i) for i in range(250)]
    fake = FakeFind(rows)
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        scan = oms.legacy.orders.scan(windows=8, raw=True)
        planned = (await scan.plan()).windows
        got = [o["order_id"] async for o in scan]
    assert sorted(got) == sorted(r["order_id"] for r in rows)
    # Three pages of orders, three windows: split after the rows at offsets 83 and 166, and
    # each planning page holds its window whole.
    assert [(w.cursor, w.end) for w in planned] == [
        (FIRST_SECOND, epoch_second(at(84))),
        (epoch_second(at(84)), epoch_second(at(167))),
        (epoch_second(at(167)), None),
    ]
    assert sorted(offset for _, offset, _ in fake.requests()) == [0, 83, 166]


async def test_a_probe_inside_a_crowded_second_leaves_its_window_to_ask(
    oms: omsclient.AsyncClient,
) -> None:
    # 250 orders share second 100, and the probe (offset 175) lands among them: its page has
    # no row of the window it splits off (from second 101 on), so that window asks itself.
    rows = [order(i, i) for i in range(50)]
    rows += [order(100 + i, 100) for i in range(250)]
    rows += [order(900 + i, 200 + i) for i in range(50)]
    fake = FakeFind(rows)
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        got = [o["order_id"] async for o in oms.legacy.orders.scan(windows=2, raw=True)]
    assert sorted(got) == sorted(r["order_id"] for r in rows)
    sent = fake.requests()
    assert ([("1", "6", at(101))], 0, 100) in sent
    # Window 0 pages through second 100 by offset: a whole page of it came back.
    tie = [("1", "6", at(100)), ("1", "3", at(101))]
    assert (tie, 200, 100) in sent


async def test_a_planning_page_out_of_order_is_reported() -> None:
    rows = [order(n, n) for n in range(300)]

    async def fetch(
        conditions: Sequence[Condition], offset: int, limit: int, sort_by: OrderField
    ) -> Page[Any]:
        items = rows[offset : offset + limit]
        if offset:
            items[10], items[20] = items[20], items[10]
        return Page(items=items, total=len(rows), offset=offset, limit=limit)

    scan = OrderScan(fetch, (), windows=2)
    with pytest.raises(DecodeError, match="not in ascending Date Ordered"):
        [row async for row in scan]


async def test_a_page_after_the_first_out_of_order_is_reported() -> None:
    rows = [order(n, n) for n in range(300)]
    later = rows[99:199]
    later[10], later[20] = later[20], later[10]
    answers = iter([rows[:100], later, []])

    async def fetch(
        conditions: Sequence[Condition], offset: int, limit: int, sort_by: OrderField
    ) -> Page[Any]:
        return Page(items=next(answers), total=len(rows), offset=offset, limit=limit)

    with pytest.raises(DecodeError, match="not in ascending Date Ordered"):
        [row async for row in OrderScan(fetch, ())]


async def test_rows_out_of_order_or_undated_are_reported(oms: omsclient.AsyncClient) -> None:
    with respx.mock:
        respx.post(FIND).mock(
            return_value=httpx.Response(200, json=ok(orders=[order(1, 5), order(2, 1)], total=2))
        )
        with pytest.raises(DecodeError, match="not in ascending Date Ordered"):
            [o async for o in oms.legacy.orders.scan(raw=True)]
    with respx.mock:
        undated = {"order_id": "INV3", "date_ordered": None}
        respx.post(FIND).mock(return_value=httpx.Response(200, json=ok(orders=[undated], total=1)))
        with pytest.raises(DecodeError, match="'INV3' matched a Date Ordered condition"):
            [o async for o in oms.legacy.orders.scan(raw=True)]
    with respx.mock:
        blank = {"order_id": "", "date_ordered": at(1)}
        respx.post(FIND).mock(return_value=httpx.Response(200, json=ok(orders=[blank], total=1)))
        with pytest.raises(DecodeError, match="an order has no order_id"):
            [o async for o in oms.legacy.orders.scan(raw=True)]


@respx.mock
async def test_a_page_request_names_the_search_it_is_whichever_read_sent_it(
    oms: omsclient.AsyncClient,
) -> None:
    # Errors, log lines and spans of a page's request name the API call it is, for orders and
    # products alike; a scan's or an iterator's own errors name the method (test_input_checks).
    refused = legacy_error(50003, "date1 is invalid")
    respx.post(FIND).respond(json=refused)
    respx.post(PRODUCTS_FIND).respond(json=refused)
    some = Condition(legacy.ProductField.PRODUCT_ID, Op.GT, string=0)
    reads: dict[str, list[Callable[[], Any]]] = {
        "legacy.orders.search": [
            lambda: oms.legacy.orders.iterate(READY),
            lambda: oms.legacy.orders.iterate_raw(READY),
            lambda: oms.legacy.orders.scan(READY),
            lambda: oms.legacy.orders.scan(READY, raw="sent"),
        ],
        "legacy.products.search": [
            lambda: oms.legacy.products.iterate(some),
            lambda: oms.legacy.products.scan(),
            lambda: scan_products(oms.legacy.products, some),
        ],
    }
    for operation, reading in reads.items():
        for read in reading:
            with pytest.raises(omsclient.InvalidConditionError) as caught:
                [_ async for _ in read()]
            assert caught.value.operation == operation
            assert str(caught.value).startswith(f"{operation}: ERROR 50003")


async def test_bad_arguments_fail_before_sending(oms: omsclient.AsyncClient) -> None:
    with respx.mock:
        route = respx.post(FIND)
        with pytest.raises(ValidationError, match="windows"):
            oms.legacy.orders.scan(windows=0)
        with pytest.raises(ValidationError, match="until is before since"):
            oms.legacy.orders.scan(since="2024-02-01", until="2024-01-01")
        with pytest.raises(ValidationError, match="OrderField"):
            oms.legacy.orders.scan(Condition(omsclient.legacy.ProductField.CODE, Op.EQ, string="x"))
        with pytest.raises(ValidationError, match="ScanState"):
            oms.legacy.orders.scan(state={"windows": []})  # type: ignore[call-overload]
        # Built by hand rather than read back: checked the same way, by name.
        for state, problem in [
            (ScanState(()), "non-empty"),
            (ScanState((WindowState("2024-01-01"),)), "cursor and end must be seconds of the API"),  # type: ignore[arg-type]
            (ScanState((WindowState(10**30),)), "cursor and end must be seconds of the API"),
            (ScanState((WindowState(0, 100), WindowState(50))), "windows 0 and 1 overlap"),
            (ScanState((WindowState(0, None, "INV1"),)), "ids must be a tuple"),  # type: ignore[arg-type]
        ]:
            with pytest.raises(ValidationError, match=f"invalid scan state: .*{problem}"):
                oms.legacy.orders.scan(state=state)
        with pytest.raises(ValidationError, match="invalid scan state: after must be"):
            oms.legacy.products.scan(state=ProductScanState("5"))  # type: ignore[arg-type]
        # Past a product id's signed 64 bits, but not "beyond 64 bits": the bound is said.
        with pytest.raises(
            ValidationError, match=r"0\.\.9223372036854775807 .* got after=9223372036854775808,"
        ):
            oms.legacy.products.scan(state=ProductScanState(2**63))
        assert not route.called


def test_state_round_trips_through_json() -> None:
    state = ScanState((WindowState(100, 200, ("INV1", "INV2")), WindowState(200, None, (), True)))
    data = json.loads(json.dumps(state.to_dict()))
    assert data["windows"][0]["cursor"] == "1970-01-01T00:01:40"
    assert ScanState.from_dict(data) == state
    # A window whose last second was a tie block read to its end stops at its end.
    tied = ScanState((WindowState(200, 200, (), True), WindowState(200, None)))
    assert ScanState.from_dict(json.loads(json.dumps(tied.to_dict()))) == tied
    # One that read the API's last second is done, its cursor the second after it.
    ended = ScanState((WindowState(LAST_SECOND + 1, None, (), True),))
    assert ended.to_dict()["windows"][0]["cursor"] == "10000-01-01T00:00:00"
    assert ScanState.from_dict(json.loads(json.dumps(ended.to_dict()))) == ended
    assert ProductScanState.from_dict(ProductScanState(42, True).to_dict()) == ProductScanState(
        42, True
    )
    with pytest.raises(ValidationError, match="invalid scan state"):
        ScanState.from_dict({"kind": "orders", "version": 1, "windows": [{"cursor": "never"}]})
    # A plain ValueError before, which `except ValidationError` let through.
    with pytest.raises(ValidationError, match="invalid window state: cursor must be a date"):
        WindowState.from_dict({"cursor": "never"})
    with pytest.raises(ValidationError, match="invalid window state: a window must be an object"):
        WindowState.from_dict([])
    started = ScanState((WindowState(150, None),), start=100)
    assert ScanState.from_dict(json.loads(json.dumps(started.to_dict()))) == started
    # Saved before the start was kept: from the oldest order, as it counted then.
    assert ScanState.from_dict({**state.to_dict(), "start": None}).start is None
    with pytest.raises(ValidationError, match="product scan"):
        ProductScanState.from_dict(state.to_dict())


WINDOW = {"cursor": "2024-01-01T00:00:00", "end": "2024-02-01T00:00:00", "ids": []}
BAD_STATES: list[tuple[str, Any, type[Any]]] = [
    # "false" is true: the window, or the whole product scan, would be skipped unread.
    ("window done 'false'", {"windows": [{**WINDOW, "done": "false"}]}, ScanState),
    ("window done 0", {"windows": [{**WINDOW, "done": 0}]}, ScanState),
    ("window done None", {"windows": [{**WINDOW, "done": None}]}, ScanState),
    ("products done 'false'", {"after": 5, "done": "false"}, ProductScanState),
    ("products done 1", {"after": 5, "done": 1}, ProductScanState),
    ("products after 2^64", {"after": 2**64}, ProductScanState),
    # Windows that overlap hand the orders they share out twice.
    ("windows overlap", {"windows": [WINDOW, WINDOW]}, ScanState),
    ("open window first", {"windows": [{**WINDOW, "end": None}, WINDOW]}, ScanState),
    ("cursor past end", {"windows": [{**WINDOW, "cursor": "2024-03-01T00:00:00"}]}, ScanState),
    # Its range would count orders the windows never read.
    ("start past cursor", {"start": "2024-01-02T00:00:00", "windows": [WINDOW]}, ScanState),
    ("start no date", {"start": "soon", "windows": [WINDOW]}, ScanState),
    # No scan starts before the API's first second, nor looks past its last: taken, each
    # failed at the first page with an error naming date1, not the state.
    ("cursor in year 500", {"windows": [{**WINDOW, "cursor": "0500-01-01T00:00:00"}]}, ScanState),
    (
        "cursor past the last second, not done",
        {"windows": [{"cursor": "10000-01-01T00:00:00", "end": None, "ids": [], "done": False}]},
        ScanState,
    ),
]


@pytest.mark.parametrize(
    ("data", "cls"), [(d, c) for _, d, c in BAD_STATES], ids=[n for n, _, _ in BAD_STATES]
)
def test_a_state_of_the_wrong_kinds_is_refused(data: dict[str, Any], cls: Any) -> None:
    kind = "orders" if cls is ScanState else "products"
    with pytest.raises(ValidationError, match="invalid scan state"):
        cls.from_dict({"kind": kind, "version": 1, **data})


def test_a_refused_state_is_told_in_the_form_to_dict_writes() -> None:
    # It asked for "epoch seconds (int)", which from_dict refuses: it reads dates.
    with pytest.raises(ValidationError, match=r"dates like 2024-01-31T00:00:00 in to_dict"):
        ScanState.from_dict(
            {"kind": "orders", "version": 1, "windows": [{**WINDOW, "cursor": "0500-01-01"}]}
        )
    late = {"kind": "orders", "version": 1, "start": "2024-01-02T00:00:00", "windows": [WINDOW]}
    with pytest.raises(ValidationError, match="start must be at or before the first window's"):
        ScanState.from_dict(late)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-02-01T00:00:00", datetime(2016, 2, 1, tzinfo=timezone.utc)),
        ("2025-03-26T14:35:00.000+00:00", datetime(2025, 3, 26, 14, 35, tzinfo=timezone.utc)),
        ("2025-03-26T14:35:00.999Z", datetime(2025, 3, 26, 14, 35, tzinfo=timezone.utc)),
        ("2025-03-26T16:35:07+02:00", datetime(2025, 3, 26, 14, 35, 7, tzinfo=timezone.utc)),
        ("2025-03-26T14:35:07.5z", datetime(2025, 3, 26, 14, 35, 7, tzinfo=timezone.utc)),
    ],
)
def test_epoch_second_reads_every_date_shape(text: str, expected: datetime) -> None:
    assert epoch_second(text) == int(expected.timestamp())


@pytest.mark.parametrize("text", [None, "", "yesterday", "2025-03-26T14:35:00 UTC", 17])
def test_epoch_second_rejects_non_dates(text: Any) -> None:
    assert epoch_second(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "2016-02-01T00:00:00",
        "2016-02-01 00:00:00",
        "2016-02-01",
        "2025-03-26T14:35:00.000+00:00",
        "2025-03-26T14:35:00.999999-05:30",
        "2025-03-26T14:35:00Z",
        "2025-03-26T14:35:00+0200",
        "1969-12-31T23:59:59.5",
        "0001-01-01T00:30:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2025-03-26T14:35:00.123456789+00:00",
    ],
)
def test_epoch_second_agrees_with_reading_the_date_by_parts(text: str) -> None:
    # The one-call reading takes what datetime.fromisoformat takes; the rest is read by parts.
    assert epoch_second(text) == _epoch_second_by_parts(text)
    assert epoch_second(text) is not None


async def test_product_scan_walks_ids(oms: omsclient.AsyncClient) -> None:
    products = [{"product_id": str(i * 3), "product_name": f"P{i}"} for i in range(1, 151)]
    forms: list[dict[str, str]] = []

    def find(request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        forms.append(form)
        after = int(form["string"])
        rows = [p for p in products if int(p["product_id"]) > after]
        return httpx.Response(200, json=ok(products=rows[:100], total=len(rows)))

    with respx.mock:
        respx.post(PRODUCTS_FIND).mock(side_effect=find)
        scan = scan_products(oms.legacy.products)
        got = [p["product_id"] async for p in scan]
    assert got == [p["product_id"] for p in products]
    assert [(f["field"], f["condition"], f["string"]) for f in forms] == [
        ("4", "4", "0"),
        ("4", "4", "300"),
    ]
    assert all(f["sortby"] == "4" for f in forms)
    assert scan.state == ProductScanState(450, True)


def test_scan_products_refuses_the_blocking_clients_products_by_name() -> None:
    # An AttributeError ('SyncProducts' object has no attribute '_form') said nothing of what
    # to call instead.
    wrong = r"not a SyncProducts.*oms\.legacy\.products\.scan"
    with (
        omsclient.Client(legacy_url="http://127.0.0.1:9", username="u", password="p") as oms,
        pytest.raises(TypeError, match=wrong),
    ):
        scan_products(oms.legacy.products)  # type: ignore[arg-type]


async def test_a_product_scan_refuses_a_server_that_repeats_the_last_id(
    oms: omsclient.AsyncClient,
) -> None:
    # A server reading "Product Id >" as ">=": each page starts with the last product of the
    # one before, which the scan would hand out twice.
    products = [{"product_id": str(i), "product_name": f"P{i}"} for i in range(1, 151)]

    def find(request: httpx.Request) -> httpx.Response:
        after = int(form_of(request)["string"])
        rows = [p for p in products if int(p["product_id"]) >= after]
        return httpx.Response(200, json=ok(products=rows[:100], total=len(rows)))

    with respx.mock:
        respx.post(PRODUCTS_FIND).mock(side_effect=find)
        seen: list[str] = []
        with pytest.raises(DecodeError, match="product id '100' is not above 100"):
            async for p in scan_products(oms.legacy.products):
                seen.append(p["product_id"])
    assert seen == [str(i) for i in range(1, 101)]


async def test_a_scan_of_one_second_reads_that_seconds_orders(
    oms: omsclient.AsyncClient,
) -> None:
    # until takes its whole second, so since == until is a second's range, not an empty one.
    fake = FakeFind([order(1, 4), order(2, 5), order(3, 5), order(4, 6)])
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        scan = oms.legacy.orders.scan(since=at(5), until=at(5), raw=True)
        assert [o["order_id"] async for o in scan] == ["INV2", "INV3"]
        assert await oms.legacy.orders.scan(since=at(5), until=at(5)).count() == 2


async def test_remaining_counts_the_orders_placed_since_a_scan_caught_up(
    oms: omsclient.AsyncClient,
) -> None:
    # A worker polling with one scan asks what the next pass reads: the open-ended window
    # is done once read, and looks again.
    fake = FakeFind([order(i, i) for i in range(5)])
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        scan = oms.legacy.orders.scan(raw=True)
        assert len([o async for o in scan]) == 5
        assert await scan.remaining() == 0
        fake.rows.append(order(5, 10))
        assert await scan.remaining() == 1
        assert [o["order_id"] async for o in scan] == ["INV5"]


# -- against the sandbox, with the data changing under the scan ---------------------------------


class Tracker:
    """Snapshots of which orders match, taken before the scan and after every churn step."""

    def __init__(self, state: SandboxState, matches: Callable[[Any], bool]) -> None:
        self.matches = matches
        self.state = state
        first = self.snapshot()
        self.throughout, self.ever = set(first), set(first)
        churn = state._apply_churn

        def apply_churn() -> None:
            churn()
            now = self.snapshot()
            self.throughout &= now
            self.ever |= now

        state._apply_churn = apply_churn  # type: ignore[method-assign]

    def snapshot(self) -> set[str]:
        return {r.order_id for r in self.state.orders if self.matches(r)}

    def check(self, ids: list[str]) -> None:
        assert len(ids) == len(set(ids)), "an order was yielded twice"
        assert self.throughout - set(ids) == set(), "an order that matched throughout was missed"
        assert set(ids) <= self.ever, "an order that never matched was yielded"


def churning(orders: int = 3000, new: int = 3, changed: int = 12) -> SandboxConfig:
    return SandboxConfig(
        orders=orders, products=40, seed=5, churn=Churn(new_orders=new, changed_orders=changed)
    )


@pytest.fixture
async def sandbox_client() -> AsyncIterator[Callable[[SandboxConfig], Any]]:
    clients: list[omsclient.AsyncClient] = []

    def make(config: SandboxConfig) -> tuple[omsclient.AsyncClient, SandboxInfo]:
        transport, info = asgi_transport(config)
        client = omsclient.AsyncClient(
            **info.client_kwargs(), http_client=httpx.AsyncClient(transport=transport)
        )
        clients.append(client)
        return client, info

    yield make
    for client in clients:
        await client.aclose()


def is_open(record: Any) -> bool:
    return bool(record.status != 3)


@pytest.mark.parametrize("windows", [1, 4])
async def test_scan_under_churn_yields_every_steady_order_once(
    sandbox_client: Callable[[SandboxConfig], Any], windows: int
) -> None:
    oms, info = sandbox_client(churning())
    tracker = Tracker(info.state, is_open)
    condition = Condition(OrderField.ORDER_STATUS, Op.NE, string=3)
    scan = oms.legacy.orders.scan(condition, windows=windows, raw=True)
    ids = [o["order_id"] async for o in scan]
    tracker.check(ids)
    assert len(tracker.throughout) > 100
    assert tracker.ever - tracker.throughout, "the churn did not change the filter's matches"
    assert scan.requests > 4


async def test_offset_iteration_under_the_same_churn_repeats_or_skips(
    sandbox_client: Callable[[SandboxConfig], Any],
) -> None:
    oms, info = sandbox_client(churning())
    tracker = Tracker(info.state, is_open)
    condition = Condition(OrderField.ORDER_STATUS, Op.NE, string=3)
    it = oms.legacy.orders.iterate_raw(condition, sort_by=OrderField.DATE_ORDERED)
    ids = [o["order_id"] async for o in it]
    repeated = len(ids) != len(set(ids))
    missed = tracker.throughout - set(ids)
    assert repeated or missed


async def test_typed_scan_resumes_from_a_saved_state_mid_page(
    sandbox_client: Callable[[SandboxConfig], Any],
) -> None:
    oms, info = sandbox_client(churning(new=2, changed=6))
    tracker = Tracker(info.state, lambda r: r.status == 1)
    first: list[str] = []
    scan = oms.legacy.orders.scan(READY, windows=3)
    async for item in scan:
        assert isinstance(item, Order)
        first.append(item.order_id)
        if len(first) == 130:  # mid-page, in whichever window answered first
            break
    assert scan.state is not None
    saved = json.dumps(scan.state.to_dict())
    resumed = oms.legacy.orders.scan(READY, state=ScanState.from_dict(json.loads(saved)))
    rest = [o.order_id async for o in resumed]
    tracker.check(first + rest)


async def test_remaining_after_count_before_anything_is_read_is_one_count(
    sandbox_client: Callable[[SandboxConfig], Any],
) -> None:
    oms, _info = sandbox_client(SandboxConfig(orders=700, products=5, seed=5))
    scan = oms.legacy.orders.scan(windows=4, raw=True)
    await scan.plan()
    planned = scan.requests
    assert await scan.count() == 700
    assert scan.requests == planned  # the planning page's count
    assert await scan.remaining() == 700
    assert scan.requests == planned + 1  # count() again, not a request per window


async def test_remaining_counts_what_a_resumed_scan_reads(
    sandbox_client: Callable[[SandboxConfig], Any],
) -> None:
    oms, _info = sandbox_client(SandboxConfig(orders=700, products=250, seed=5))
    scan = oms.legacy.orders.scan(windows=3, raw=True)
    await scan.plan()
    assert await scan.remaining() == 700  # the planning page's count: nothing sent
    first = []
    async for row in scan:
        first.append(row)
        if len(first) == 130:  # mid-page, in whichever window answered first
            break
    assert scan.state is not None
    resumed = oms.legacy.orders.scan(raw=True, state=scan.state)
    assert await resumed.remaining() == 570
    assert len([row async for row in resumed]) == 570
    assert await resumed.remaining() == 0  # read to the end, the open-ended window too

    products = oms.legacy.products.scan()
    assert await products.remaining() == 250
    taken = []
    async for row in products:
        taken.append(row)
        if len(taken) == 130:
            break
    rest = oms.legacy.products.scan(state=products.state)
    assert await rest.remaining() == 120
    assert len([row async for row in rest]) == 120


async def test_scanning_again_polls_for_new_orders_only(
    sandbox_client: Callable[[SandboxConfig], Any],
) -> None:
    oms, info = sandbox_client(SandboxConfig(orders=300, products=20, seed=3))
    scan = oms.legacy.orders.scan(READY, windows=2, raw=True)
    first = [o["order_id"] async for o in scan]
    assert scan.state is not None
    assert scan.state.done
    # From now on every search brings one new order, ready for production, placed "now".
    info.state.config = attrs.evolve(info.state.config, churn=Churn(new_orders=1))
    await oms.legacy.orders.search(READY, limit=1)
    await oms.legacy.orders.search(READY, limit=1)
    waiting = {r.order_id for r in info.state.orders if r.status == 1} - set(first)
    assert len(waiting) == 2
    second = [o["order_id"] async for o in scan]
    assert not set(second) & set(first)
    assert waiting <= set(second)
    assert len(second) == len(set(second))


async def test_the_state_read_between_rows_counts_each_row_handed_out(
    oms: omsclient.AsyncClient,
) -> None:
    # Three orders a second: the rows handed out of a page often share their last second.
    rows = [order(i, i // 3) for i in range(320)]
    fake = FakeFind(rows)
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        scan = oms.legacy.orders.scan(windows=2, raw=True)
        seen: list[str] = []
        saved: list[tuple[int, ScanState]] = []
        async for o in scan:
            seen.append(o["order_id"])
            if len(seen) in (37, 38, 40, 130, 131, 250):
                assert scan.state is not None
                assert all(len(set(w.ids)) == len(w.ids) for w in scan.state.windows)
                saved.append((len(seen), scan.state))
        assert scan.state is not None
        assert scan.state.done
        for count, state in saved:
            rest = [o["order_id"] async for o in oms.legacy.orders.scan(raw=True, state=state)]
            assert sorted(seen[:count] + rest) == sorted(r["order_id"] for r in rows), count
            assert not set(seen[:count]) & set(rest), count


async def test_a_scan_keeps_no_page_it_has_handed_out(
    sandbox_client: Callable[[SandboxConfig], Any],
) -> None:
    # Pages kept alive past their turn cost the whole scan CPU: the planning pages (the first
    # of each window) and each window's last page are freed once their rows are handed out.
    oms, _info = sandbox_client(SandboxConfig(orders=1200, products=20, seed=3))
    scan = oms.legacy.orders.scan(windows=3)
    refs: list[weakref.ref[Order]] = []
    count = 0
    async for order in scan:
        count += 1
        if count % 100 == 1:
            refs.append(weakref.ref(order))
        del order
        if count == 1000:
            break
    gc.collect()
    alive = [i * 100 for i, ref in enumerate(refs[:-4]) if ref() is not None]
    assert not alive, f"orders handed out at {alive} are still held"


class _Row(dict[str, Any]):
    """A raw row that a weak reference can follow."""


async def test_a_window_keeps_no_page_while_it_fetches_the_next() -> None:
    rows = [order(n, n) for n in range(400)]
    release, both_waiting = anyio.Event(), anyio.Event()
    sent = 0

    async def fetch(
        conditions: Sequence[Condition], offset: int, limit: int, sort_by: OrderField
    ) -> Page[Any]:
        nonlocal sent
        sent += 1
        if sent > 2:  # past the planning pages: each window's next page waits
            if sent == 4:
                both_waiting.set()
            await release.wait()
        start = min(epoch_second(str(c.date1)) for c in conditions if c.op == Op.GE)
        ends = [epoch_second(str(c.date1)) for c in conditions if c.op == Op.LT]
        window = [
            r for r in rows if start <= epoch_second(r["date_ordered"]) < min(ends or [2**63])
        ]
        items = [_Row(r) for r in window[offset : offset + limit]]  # each answer its own
        return Page(items=items, total=len(window), offset=offset, limit=limit)

    scan = OrderScan(fetch, (), windows=2)
    pages = scan.pages()
    with anyio.fail_after(5):
        first = await pages.__anext__()
        handed = weakref.ref(first.items[0])
        ids = [row["order_id"] for row in first.items]
        del first
        ids += [row["order_id"] for row in (await pages.__anext__()).items]  # the reader holds it
        await both_waiting.wait()
        gc.collect()
        assert handed() is None
        release.set()
        ids += [row["order_id"] async for page in pages for row in page.items]
    assert sorted(ids) == sorted(r["order_id"] for r in rows)
    await pages.aclose()


async def test_a_window_sends_its_next_request_before_its_rows_are_handed_out() -> None:
    # A reader that takes the rows without awaiting anything gives the loop no turn: a request
    # not sent before the rows are handed out would wait for the reader to be done with them.
    rows = [order(n, n) for n in range(600)]
    starts: list[int] = []

    async def fetch(
        conditions: Sequence[Condition], offset: int, limit: int, sort_by: OrderField
    ) -> Page[Any]:
        start = min(epoch_second(str(c.date1)) for c in conditions if c.op == Op.GE)
        starts.append(start)
        ends = [epoch_second(str(c.date1)) for c in conditions if c.op == Op.LT]
        window = [
            r for r in rows if start <= epoch_second(r["date_ordered"]) < min(ends or [2**63])
        ]
        await anyio.lowlevel.checkpoint()  # an answer takes a loop turn at least
        return Page(
            items=window[offset : offset + limit], total=len(window), offset=offset, limit=limit
        )

    scan = OrderScan(fetch, (), windows=2)
    checked = 0
    with anyio.fail_after(5):
        async for page in scan.pages():
            assert scan.state is not None
            window = scan.state.windows[page.window]
            if not window.done:
                assert window.cursor in starts[2:], (
                    f"window {page.window}'s next page not asked for"
                )
                checked += 1
    assert checked >= 4


async def test_a_typed_scan_builds_a_batch_once_its_window_asked_for_more(
    oms: omsclient.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Building a page's models is most of its CPU: a window that built them before asking for
    # its next page would begin each round trip that much later.
    fake = FakeFind([order(n, n) for n in range(250)])
    decoder = legacy_orders._ORDER_PAGES
    asked: list[int] = []  # requests sent when each batch was built
    models = decoder.models

    def counted(*args: Any) -> Any:
        asked.append(len(fake.forms))
        return models(*args)

    monkeypatch.setattr(decoder, "models", counted)
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        got = [o.order_id async for o in oms.legacy.orders.scan()]
    assert got == [f"INV{n}" for n in range(250)]
    # Rows 0-99 (the count's page), 99-198 and 198-249: the last one has no page after it.
    assert asked == [2, 3, 3]


async def test_a_typed_scan_reads_date_ordered_as_its_orders_hold_it(
    oms: omsclient.AsyncClient,
) -> None:
    # A space after the date, which the model reads (and a raw scan does not): the scan keys
    # its rows by the second their orders hold.
    rows = [{**order(n, n // 2), "date_ordered": f"{at(n // 2)} "} for n in range(150)]
    fake = FakeFind(rows)
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        scan = oms.legacy.orders.scan()
        got = [o async for o in scan]
    assert [o.order_id for o in got] == [r["order_id"] for r in rows]
    assert got[-1].date_ordered == (T0 + timedelta(seconds=74)).replace(tzinfo=timezone.utc)
    assert scan.state is not None
    (window,) = scan.state.windows
    assert (window.cursor, set(window.ids)) == (epoch_second(at(74)), {"INV148", "INV149"})


async def test_a_typed_scan_names_a_refused_row_by_its_place_in_the_answer(
    oms: omsclient.AsyncClient,
) -> None:
    # The scan builds only the rows it hands out; the error still points into the answer sent.
    rows = [order(n, n) for n in range(150)]
    rows[120]["order_status"] = "open"  # 21st on the second page, which starts at INV99
    got: list[str | None] = []
    with respx.mock:
        respx.post(FIND).mock(side_effect=FakeFind(rows))
        scan = oms.legacy.orders.scan()
        with pytest.raises(StructureError, match=r"'open' @ \$\[21\]\.order_status"):
            async for o in scan:
                got.append(o.order_id)
        assert got == [f"INV{n}" for n in range(100)]
        rows[120]["order_status"] = 2
        got += [o.order_id async for o in oms.legacy.orders.scan(state=scan.state)]
    assert got == [f"INV{n}" for n in range(150)]


async def test_a_typed_scan_reads_pages_the_tolerant_path_takes(
    client_kwargs: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An unknown key sends a page to the converter: its rows are JSON objects, keyed and built
    # as mirrors are, the key kept in each order's extra and learned for the next pages.
    decoder: PageDecoder[Order] = PageDecoder("orders", Order, "order_id")
    monkeypatch.setattr(legacy_orders, "_ORDER_PAGES", decoder)
    rows = [{**order(n, n // 2), "surprise": {"n": n}} for n in range(250)]
    async with omsclient.AsyncClient(**client_kwargs) as oms:  # type: ignore[arg-type]
        with respx.mock:
            respx.post(FIND).mock(side_effect=FakeFind(rows))
            got = [o async for o in oms.legacy.orders.scan(windows=2)]
    assert sorted(o.order_id or "" for o in got) == sorted(r["order_id"] for r in rows)
    assert all(o.extra == {"surprise": {"n": int((o.order_id or "")[3:])}} for o in got)
    assert decoder.parse(orjson.dumps(ok(orders=rows[:1], total=1))) is not None


async def test_a_typed_scan_does_not_send_for_a_page_again_whose_rows_it_placed(
    client_kwargs: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A key the decoder learned is read by orjson as the models are built: a byte that is no
    # UTF-8 in its value passes the fetch and fails only the build. A search sends for such a
    # page again; a scan has placed its rows by now, and another answer may hold them elsewhere
    # or not at all, so it reports the page instead.
    monkeypatch.setattr(legacy_orders, "_ORDER_PAGES", PageDecoder("orders", Order, "order_id"))
    taught = orjson.dumps(ok(orders=[{**order(0, 0), "note": 7}], total=1))
    bad = orjson.dumps(ok(orders=[{**order(1, 1), "note": "?"}], total=1)).replace(b"?", b"\xff")
    answers = [taught]

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=answers[-1])

    async with omsclient.AsyncClient(**client_kwargs) as oms:  # type: ignore[arg-type]
        with respx.mock:
            route = respx.post(FIND).mock(side_effect=answer)
            (learned,) = (await oms.legacy.orders.search(READY)).items
            assert learned.extra == {"note": 7}
            answers.append(bad)
            with pytest.raises(DecodeError, match="JSON"):
                [o async for o in oms.legacy.orders.scan()]
    assert route.call_count == 2  # the search, and the bad page once


async def test_breaking_out_and_iterating_again_continues(
    sandbox_client: Callable[[SandboxConfig], Any],
) -> None:
    oms, info = sandbox_client(SandboxConfig(orders=500, products=20, seed=3))
    scan = oms.legacy.orders.scan(windows=2, raw=True)
    seen: list[str] = []
    async for o in scan:
        seen.append(o["order_id"])
        if len(seen) == 150:
            break
    seen += [o["order_id"] async for o in scan]
    assert sorted(seen) == sorted(r.order_id for r in info.state.orders)


async def test_since_until_limit_the_scan_to_a_date_range(
    sandbox_client: Callable[[SandboxConfig], Any],
) -> None:
    oms, info = sandbox_client(SandboxConfig(orders=600, products=20, seed=4))
    since, until = datetime(2024, 3, 1), datetime(2024, 6, 30, 23, 59, 59)
    ids = [
        o["order_id"]
        async for o in oms.legacy.orders.scan(since=since, until=until, windows=3, raw=True)
    ]
    low, high = (
        int(since.replace(tzinfo=timezone.utc).timestamp()),
        int(until.replace(tzinfo=timezone.utc).timestamp()),
    )
    expected = {r.order_id for r in info.state.orders if low <= r.date_ordered <= high}
    assert len(ids) == len(set(ids))
    assert set(ids) == expected
    assert 100 < len(expected) < 600

    # A scan resumed from a state counts its range, not every order: it has no since.
    scan = oms.legacy.orders.scan(since=since, until=until, windows=3, raw=True)
    async for _ in scan:
        break
    assert scan.state is not None
    saved = json.loads(json.dumps(scan.state.to_dict()))
    assert saved["start"] == "2024-03-01T00:00:00"
    resumed = oms.legacy.orders.scan(state=ScanState.from_dict(saved), raw=True)
    assert await resumed.count() == len(expected)


@pytest.mark.parametrize(
    "until", [date(2024, 6, 30), "2024-06-30", "20240630", "2024-W26-7", "2024-06-30Z"]
)
async def test_a_date_alone_in_until_runs_to_the_end_of_that_day(
    sandbox_client: Callable[[SandboxConfig], Any], until: date | str
) -> None:
    # As its midnight, since=day, until=day read nothing and a "yesterday" export was empty;
    # the command's --until already took the whole day.
    oms, info = sandbox_client(SandboxConfig(orders=3000, products=20, seed=4))
    ids = [
        o["order_id"]
        async for o in oms.legacy.orders.scan(since=date(2024, 6, 1), until=until, raw=True)
    ]
    low = int(datetime(2024, 6, 1, tzinfo=timezone.utc).timestamp())
    high = int(datetime(2024, 6, 30, 23, 59, 59, tzinfo=timezone.utc).timestamp())
    expected = {r.order_id for r in info.state.orders if low <= r.date_ordered <= high}
    assert sorted(ids) == sorted(expected)
    last_day = {r.order_id for r in info.state.orders if high - 86399 <= r.date_ordered <= high}
    assert last_day, "the sandbox has orders on the last day"


@pytest.mark.parametrize(
    ("day", "offset"),
    [("2024-06-01+05:00", 300), ("2024-06-01-05:00", -300), ("2024-06-01+0545", 345)],
)
async def test_a_date_alone_with_a_zone_is_that_day_in_that_zone(
    sandbox_client: Callable[[SandboxConfig], Any], day: str, offset: int
) -> None:
    # fromisoformat reads "2024-06-01+05:00" as 05:00 that day: since and until were both
    # 05:00, and since=day, until=day read no order.
    oms, info = sandbox_client(SandboxConfig(orders=20000, products=5, seed=1))
    ids = [o["order_id"] async for o in oms.legacy.orders.scan(since=day, until=day, raw=True)]
    zone = timezone(timedelta(minutes=offset))
    low = int(datetime(2024, 6, 1, tzinfo=zone).timestamp())
    expected = {r.order_id for r in info.state.orders if low <= r.date_ordered < low + 86400}
    assert len(expected) > 10
    assert sorted(ids) == sorted(expected)


@pytest.mark.parametrize("job", ["scan", "export", "sync"])
async def test_a_since_with_a_fraction_leaves_out_the_second_before_it(
    sandbox_client: Callable[[SandboxConfig], Any], tmp_path: Path, job: str
) -> None:
    # It was cut down to its second: an order placed at 12:00:00 came with since=12:00:00.5,
    # which Condition(..., Op.GE, date1=since) leaves out.
    oms, info = sandbox_client(SandboxConfig(orders=300, products=5, seed=1))
    first = min(info.state.orders, key=lambda r: r.date_ordered)
    since = datetime.fromtimestamp(first.date_ordered + 0.5, timezone.utc)
    if job == "scan":
        ids = [o["order_id"] async for o in oms.legacy.orders.scan(since=since, raw=True)]
    elif job == "export":
        await export_orders(oms, tmp_path / "o.jsonl", since=since)
        lines = (tmp_path / "o.jsonl").read_bytes().splitlines()
        ids = [orjson.loads(line)["order_id"] for line in lines]
    else:
        await sync_orders(oms, f"sqlite:///{tmp_path / 'o.db'}", since=since)
        with contextlib.closing(sqlite3.connect(tmp_path / "o.db")) as db, db:
            ids = [row[0] for row in db.execute("SELECT order_id FROM orders")]
    expected = {r.order_id for r in info.state.orders if r.date_ordered > first.date_ordered}
    assert first.order_id not in ids
    assert sorted(ids) == sorted(expected)


@pytest.mark.parametrize("text", ["2024-06-30_00", "20240630x000000", "2024-06-30T00"])
def test_a_datetime_at_midnight_in_until_is_not_taken_for_a_date_alone(text: str) -> None:
    # Any character may part a datetime's time from its date: the characters do not tell.
    assert format_until(text) == "2024-06-30T00:00:00"


async def test_a_slow_reader_holds_back_the_windows(
    sandbox_client: Callable[[SandboxConfig], Any],
) -> None:
    oms, _ = sandbox_client(SandboxConfig(orders=2000, products=20, seed=2))
    scan = oms.legacy.orders.scan(windows=4, raw=True)
    pages = scan.pages()
    await pages.__anext__()
    for _ in range(200):
        await asyncio.sleep(0)
    # Plan (1 + 3 probes), then per window: one page queued and one fetched, waiting to be.
    assert scan.requests <= 4 + 4 * 2 + 1
    await pages.aclose()


async def test_a_slow_window_does_not_hold_back_the_others() -> None:
    # Window 0's server is stuck until window 1 has been read to its end: a reader taking
    # batches in a fixed window order would wait for window 0 and never ask window 1 for more.
    rows = [order(n, n) for n in range(100)]
    second_window_read = asyncio.Event()
    served: list[int] = []

    async def fetch(
        conditions: Sequence[Condition], offset: int, limit: int, sort_by: OrderField
    ) -> Page[Any]:
        bounds = {c.op: epoch_second(str(c.date1)) for c in conditions}
        start, end = bounds[Op.GE], bounds.get(Op.LT)
        window = [r for r in rows if epoch_second(r["date_ordered"]) >= start]
        if end is not None:
            window = [r for r in window if epoch_second(r["date_ordered"]) < end]
        items = window[offset : offset + limit]
        if end is not None:
            await second_window_read.wait()
        elif len(items) < limit:
            second_window_read.set()
        served.append(0 if end is not None else 1)
        return Page(items=items, total=len(window), offset=offset, limit=limit)

    middle = epoch_second(at(50))
    planned = ScanState((WindowState(0, middle), WindowState(middle, None)))
    scan = OrderScan(fetch, (), state=planned, page_size=10)
    got: list[tuple[int, str]] = []
    with anyio.fail_after(5):
        async for page in scan.pages():
            got += [(page.window, row["order_id"]) for row in page.items]
    assert [w for w, _ in got] == [1] * 50 + [0] * 50
    assert sorted(i for _, i in got) == sorted(r["order_id"] for r in rows)
    assert served[:6] == [1] * 6  # window 1's five full pages and the short last one


@pytest.mark.parametrize(
    "value",
    [
        datetime(2016, 2, 1, tzinfo=timezone.utc),
        datetime(2025, 3, 26, 14, 35, 0, 999_000, tzinfo=timezone.utc),
        datetime(2025, 3, 26, 16, 35, 7, tzinfo=timezone(timedelta(hours=2))),
        datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=timezone.utc),
        datetime(1969, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
        datetime(1, 1, 1, 5, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone.utc),
        datetime(2025, 3, 26, 14, 35, 7),
    ],
)
def test_a_models_date_has_the_second_of_its_wire_form(value: datetime) -> None:
    naive_utc = (
        value if value.tzinfo is None else value.astimezone(timezone.utc).replace(tzinfo=None)
    )
    wire = naive_utc.isoformat(timespec="milliseconds") + "Z"
    assert _second_of_datetime(value) == epoch_second(wire)


async def test_a_typed_scan_reads_pages_through_the_decoder_and_keys_as_the_raw_scan(
    sandbox_client: Callable[[SandboxConfig], Any], converter_pages: list[int]
) -> None:
    # Live shapes: string ids, dates with milliseconds and offsets, undocumented keys.
    quirks = Quirks(string_ids=True, mixed_dates=True, unknown_fields=True)
    oms, _ = sandbox_client(SandboxConfig(orders=700, seed=21, quirks=quirks))
    typed = oms.legacy.orders.scan(windows=3)
    models = [o async for o in typed]
    raw = oms.legacy.orders.scan(windows=3, raw=True)
    rows = [o async for o in raw]
    assert sorted(o.order_id for o in models) == sorted(r["order_id"] for r in rows)
    assert len(models) == 700
    assert typed.state == raw.state
    by_id = {r["order_id"]: r for r in rows}
    assert models == structure_many([by_id[o.order_id] for o in models], Order)
    # Only pages with keys not learned yet go through the converter.
    assert sum(converter_pages) < 700, converter_pages


def test_scan_modules_and_products_do_not_import_each_other() -> None:
    root = Path(legacy.__file__).parent

    def imported(module: str) -> set[str]:
        tree = ast.parse((root / f"{module}.py").read_text())
        names: set[str] = set()
        for node in ast.walk(tree):  # imports inside functions and TYPE_CHECKING blocks too
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        return names

    assert not {n for n in imported("_scan") if "products" in n or "_product_scan" in n}
    assert not {n for n in imported("_product_scan") if n.startswith("omsclient.legacy.products")}
    assert not {n for n in imported("products") if n.startswith("omsclient.legacy._scan")}


class ShiftedFind(FakeFind):
    """A server comparing date conditions in a zone 5 hours behind UTC: each date asked for is
    taken 5 hours later, so the orders in between are never sent."""

    def _match(self, row: dict[str, Any], field: str, op: int, value: str) -> bool:  # type: ignore[override]
        if field == "1":
            shifted = datetime.fromisoformat(value) + timedelta(hours=5)
            value = shifted.strftime("%Y-%m-%dT%H:%M:%S")
        return FakeFind._match(row, field, op, value)


async def test_a_server_comparing_dates_in_another_zone_is_warned_of_once(
    oms: omsclient.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # Each next page began 5 hours past the cursor, and the orders in between were skipped
    # without a word: the export said it held every order.
    rows = [order(n, n * 600) for n in range(300)]  # one every 10 minutes, 50 hours
    with respx.mock, caplog.at_level("WARNING", logger="omsclient"):
        respx.post(FIND).mock(side_effect=ShiftedFind(rows))
        got = [o.order_id async for o in oms.legacy.orders.scan(since=at(0))]
    assert len(got) < len(rows)
    (warning,) = [r.getMessage() for r in caplog.records if "did not come back" in r.getMessage()]
    assert "another time zone than the client's legacy_timezone (UTC when unset)" in warning
    assert ": the order of " in warning  # one a second: not "the 1 orders"
    # Data at rest on a server in UTC draws no such warning.
    caplog.clear()
    with respx.mock, caplog.at_level("WARNING", logger="omsclient"):
        respx.post(FIND).mock(side_effect=FakeFind(rows))
        assert len([o async for o in oms.legacy.orders.scan(since=at(0))]) == len(rows)
    assert not [r for r in caplog.records if "did not come back" in r.getMessage()]


async def test_a_later_page_the_scan_cannot_place_carries_its_answer(
    oms: omsclient.AsyncClient,
) -> None:
    # The scan's own checks ran after the call had ended: its DecodeError had no .response.
    rows = [order(n, n) for n in range(150)]

    def find(request: httpx.Request) -> httpx.Response:
        answer = FakeFind(rows)(request)
        if form_of(request)["date1"] > at(0):  # the window's next page: out of order
            data = json.loads(answer.content)
            data["orders"].reverse()
            return httpx.Response(200, json=data)
        return answer

    with respx.mock:
        respx.post(FIND).mock(side_effect=find)
        with pytest.raises(DecodeError, match="not in ascending Date Ordered") as caught:
            [o async for o in oms.legacy.orders.scan(since=at(0))]
    assert caught.value.response is not None
    assert caught.value.response.status_code == 200


@pytest.mark.parametrize("windows", [1, 3])
async def test_a_planning_page_the_scan_cannot_place_carries_its_answer(
    oms: omsclient.AsyncClient, windows: int
) -> None:
    # Read while planning and placed by a window later, outside that call: .response was None.
    rows = [order(n, n) for n in range(350)]

    def find(request: httpx.Request) -> httpx.Response:
        data = json.loads(FakeFind(rows)(request).content)
        data["orders"].reverse()  # every page out of order, the planning's first
        return httpx.Response(201, json=data)

    with respx.mock:
        route = respx.post(FIND).mock(side_effect=find)
        with pytest.raises(DecodeError, match="not in ascending Date Ordered") as caught:
            [o async for o in oms.legacy.orders.scan(since=at(0), windows=windows)]
    assert caught.value.response is not None
    assert (caught.value.response.status_code, caught.value.status_code) == (201, 201)
    assert route.call_count == windows  # planned pages only: no window sent its own


async def test_a_tie_block_page_the_scan_cannot_place_carries_its_answer(
    oms: omsclient.AsyncClient,
) -> None:
    # Read by the tie block, outside the window's read_after: .response was None.
    rows = [order(n, 5) for n in range(150)]  # one second holding more than a page

    def find(request: httpx.Request) -> httpx.Response:
        answer = FakeFind(rows)(request)
        if int(form_of(request)["offset"]) >= 100:  # the block's second page
            data = json.loads(answer.content)
            data["orders"][0] = order(999, 1)  # a second before the one asked for
            return httpx.Response(200, json=data)
        return answer

    with respx.mock:
        respx.post(FIND).mock(side_effect=find)
        with pytest.raises(DecodeError, match=r"asked for orders of .* only") as caught:
            [o async for o in oms.legacy.orders.scan(since=at(0))]
    assert caught.value.response is not None


@pytest.mark.parametrize("windows", [1, 3])
async def test_a_scans_requests_count_each_attempt_of_a_retried_search(
    oms: omsclient.AsyncClient, windows: int
) -> None:
    # A search retried after a 503 counted once: the export's and the sync's summaries said
    # fewer requests than the server's log (38 sent, 33 said).
    rows = [order(n, n) for n in range(350)]
    answers = FakeFind(rows)
    busy = iter([True, False] * 3)  # every other of the first six requests answers 503

    def find(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503) if next(busy, False) else answers(request)

    with respx.mock:
        route = respx.post(FIND).mock(side_effect=find)
        scan = oms.legacy.orders.scan(since=at(0), windows=windows)
        assert len([o async for o in scan]) == len(rows)
    assert scan.requests == route.call_count


@pytest.mark.parametrize("kind", ["plain", "refused", "unknown-key", "odd-shapes"])
async def test_a_scan_of_several_windows_reads_each_page_as_one_window_does(
    oms: omsclient.AsyncClient, kind: str
) -> None:
    # With several windows a page's rows are skimmed (id and date) when it comes, and read
    # whole once the scan builds them: the same orders and errors as one window reads.
    rows = [order(n, 1000 + n) for n in range(450)]
    if kind == "refused":
        rows[200]["date_due"] = "soon"
    elif kind == "unknown-key":
        rows[200]["undocumented"] = {"kept": True}
    elif kind == "odd-shapes":
        for row in rows[150:160]:
            row.update(order_id=int(row["order_id"][3:]), customer_id="12", billable_amount="1.5")
    outcomes = []
    for windows in (1, 3):
        with respx.mock:
            respx.post(FIND).mock(side_effect=FakeFind(rows))
            got: list[Any] = []
            try:
                async for o in oms.legacy.orders.scan(windows=windows):
                    got.append((str(o.order_id), o.extra, o.customer_id, o.billable_amount))
            except omsclient.OmsError as exc:
                # The row's place in its page: the windows' pages start elsewhere.
                outcomes.append((type(exc).__name__, re.sub(r"\$\[\d+\]", "$[n]", str(exc))))
                continue
            outcomes.append(sorted(got))
    assert outcomes[0] == outcomes[1]
    if kind == "refused":
        assert outcomes[1][0] == "StructureError"
        assert "date_due" in outcomes[1][1]
    else:
        assert len(outcomes[1]) == 450
    if kind == "unknown-key":
        assert ("INV200", {"undocumented": {"kept": True}}, None, None) in outcomes[1]


async def test_a_scan_of_several_windows_reads_each_page_when_it_builds_its_rows(
    oms: omsclient.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = reads_of(monkeypatch, oms.legacy.orders._typed._decoder, ("skim", "parse"))
    rows = [order(n, 1000 + n) for n in range(450)]
    for windows in (1, 3):
        seen.clear()
        with respx.mock:
            find = respx.post(FIND).mock(side_effect=FakeFind(rows))
            assert len([o async for o in oms.legacy.orders.scan(windows=windows)]) == 450
        pages = find.call_count
        if windows == 1:
            assert seen == [("parse", True)] * pages
        else:
            # Each skimmed in its fetch; read whole when built (a page of no row kept, none).
            assert seen.count(("skim", True)) == pages
            assert ("parse", True) not in seen
            assert 4 <= seen.count(("parse", False)) <= pages
