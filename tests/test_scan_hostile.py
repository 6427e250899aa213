"""Stable scans against servers that answer their own way, over real sockets (tests/hostile.py).

A scan promises every order exactly once. These servers cap their pages below the limit asked
for, send no total, treat "Date Ordered before the window's end" as "at or before" or ignore it,
or send bytes a scan of the orders as sent must not write out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio.abc
import pytest

import omsclient
from omsclient import errors
from omsclient._commands._export import summary_rows
from omsclient.dbsync import sync_orders
from omsclient.export import export_orders
from omsclient.legacy import ScanState

from .conftest import LEAVES_NOTHING_UNCLOSED
from .hostile import HostileServer, Request, hostile_server, write_json, write_response

pytestmark = LEAVES_NOTHING_UNCLOSED

BASE = datetime(2024, 1, 1)
NO_RETRY = omsclient.RetryPolicy(max_retries=0)
Handler = Any


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server() as running:
        yield running


def client(server: HostileServer) -> omsclient.AsyncClient:
    return omsclient.AsyncClient(
        legacy_url=server.url, username="u", password="p" * 8, retry=NO_RETRY, timeout=5
    )


def orders(n: int, step: int = 60, first: int = 0) -> list[dict[str, Any]]:
    """``n`` orders, one every ``step`` seconds from BASE + ``first`` s, as the server sends."""
    return [
        {
            "order_id": f"INV{first}-{i}",
            "date_ordered": (BASE + timedelta(seconds=first + i * step)).isoformat() + ".000+00:00",
        }
        for i in range(n)
    ]


def conditions(request: Request) -> list[dict[str, str]]:
    """The conditions of a search: one flat (``field``, ``condition``...) or several numbered."""
    if "field" in request.form:
        return [dict(request.form)]
    found: dict[str, dict[str, str]] = {}
    for key, value in request.form.items():
        if m := re.fullmatch(r"conditions\[(\d+)\]\[(\w+)\]", key):
            found.setdefault(m[1], {})[m[2]] = value
    return list(found.values())


def shop(
    rows: list[dict[str, Any]],
    *,
    cap: int = 100,
    total: bool = True,
    lt: str = "<",
    miscount: int = 0,
    ahead: int = 0,
    invoice_sort: bool = True,
) -> Handler:
    """An order search over ``rows`` (ascending by date) honouring Date Ordered >= and <
    (``lt``: "<", "<=" or "ignored"), offset and limit, with at most ``cap`` rows a page,
    its totals ``miscount`` more than the rows it holds; its date conditions read in a zone
    ``ahead`` seconds ahead of UTC. Asked to sort by Invoice Number (``sortby`` 3), it sorts
    by the order id, unless ``invoice_sort`` is False."""

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        found = rows
        for c in conditions(request):
            date = c.get("date1", "")
            if date and ahead:
                date = (datetime.fromisoformat(date) - timedelta(seconds=ahead)).isoformat()
            if c["condition"] == "6":
                found = [r for r in found if r["date_ordered"][:19] >= date]
            elif c["condition"] == "3" and lt == "<":
                found = [r for r in found if r["date_ordered"][:19] < date]
            elif c["condition"] == "3" and lt == "<=":
                found = [r for r in found if r["date_ordered"][:19] <= date]
        if invoice_sort and request.form.get("sortby") == "3":
            found = sorted(found, key=lambda row: str(row["order_id"]))
        offset, limit = int(request.form["offset"]), int(request.form["limit"])
        body: dict[str, Any] = {"orders": found[offset : offset + min(limit, cap)]}
        if total:
            body["total"] = len(found) + miscount
        await write_json(stream, body)

    return handler


def ids_of(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(r["order_id"] for r in rows)


async def scanned(scan: Any) -> list[str]:
    return [o["order_id"] if isinstance(o, dict) else o.order_id async for o in scan]


def all_done(state: ScanState | None) -> bool:
    return state is not None and all(w.done for w in state.windows)


# -- pages shorter than asked --------------------------------------------------------------------


@pytest.mark.parametrize("windows", [1, 8])
async def test_a_scan_reads_every_order_of_a_server_capping_its_pages(
    server: HostileServer, windows: int
) -> None:
    # Before: a page of 50 for a limit of 100 ended its window: 50 (1 window) or 393 (8) of
    # 1000 orders, and a state saying done.
    rows = orders(1000)
    server.handler = shop(rows, cap=50)
    async with client(server) as oms:
        scan = oms.legacy.orders.scan(since=BASE, windows=windows, raw=True)
        got = await scanned(scan)
    assert sorted(got) == ids_of(rows)
    assert all_done(scan.state)
    if windows == 1:
        # 50 new orders, then 49 a page (each starts at the last one's second): no request
        # more than the pages need, the last short page's total agreeing that it is the end.
        assert scan.requests == 1 + -(-950 // 49)


@pytest.mark.parametrize("raw", [False, True, "sent"])
async def test_a_scan_without_totals_reads_on_to_an_empty_page(
    server: HostileServer, raw: Any
) -> None:
    # Without a total, a short page may be a capped one: only an empty page ends the window.
    rows = orders(300)
    server.handler = shop(rows, cap=50, total=False)
    async with client(server) as oms:
        scan = oms.legacy.orders.scan(since=BASE, raw=raw)
        got = await scanned(scan)
    assert sorted(got) == ids_of(rows)
    assert all_done(scan.state)


async def test_counts_from_a_server_without_totals_are_unknown_not_made_up(
    server: HostileServer, tmp_path: Path
) -> None:
    # A page without a total is read as one of offset + its rows: counts made of it said 1
    # (the one row asked for), so the export's progress and its summary claimed 349 orders
    # "arrived, left or changed", and a sync's progress total was as wrong.
    rows = orders(350)
    server.handler = shop(rows, total=False)
    seen: list[Any] = []
    async with client(server) as oms:
        scan = oms.legacy.orders.scan(since=BASE)
        assert await scan.count() is None
        await scan.plan()
        assert (await scan.count(), await scan.remaining()) == (None, None)
        summary = await export_orders(
            oms, tmp_path / "o.jsonl", since=BASE, windows=2, progress=seen.append
        )
        synced: list[Any] = []
        await sync_orders(oms, f"sqlite:///{tmp_path}/o.db", since=BASE, progress=synced.append)
    assert (summary.exported, summary.server_total, summary.difference) == (350, None, None)
    assert [p.total for p in seen] == [None] * len(seen) != []
    assert seen[-1].exported == 350
    assert [p.total for p in synced] == [None] * len(synced) != []
    assert synced[-1].read == 350
    rows_shown = dict(summary_rows(summary))
    assert (
        rows_shown["Server total now"]
        == rows_shown["Difference"]
        == ("unknown (the server sends no total)")
    )


async def test_a_capped_page_all_in_one_second_is_read_past(server: HostileServer) -> None:
    # 130 orders share a second: a capped page of 50 of them cannot move the keyset, so the
    # second is read by offset (by the rows received, not by the limit) before moving on.
    rows = orders(5) + orders(130, step=0, first=600) + orders(20, first=601)
    server.handler = shop(rows, cap=50)
    async with client(server) as oms:
        scan = oms.legacy.orders.scan(since=BASE, raw=True)
        got = await scanned(scan)
    assert sorted(got) == ids_of(rows)
    assert all_done(scan.state)


async def test_a_product_scan_reads_every_product_of_a_server_capping_its_pages(
    server: HostileServer,
) -> None:
    products = [{"product_id": 1000 + i, "name": f"P{i}"} for i in range(250)]

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        after = max(int(c["string"]) for c in conditions(request) if c["field"] == "4")
        found = [p for p in products if p["product_id"] > after]
        limit = int(request.form["limit"])
        await write_json(stream, {"total": len(found), "products": found[: min(limit, 50)]})

    server.handler = handler
    async with client(server) as oms:
        scan = oms.legacy.products.scan()
        got = [p["product_id"] async for p in scan]
    assert got == [p["product_id"] for p in products]
    assert scan.state.done
    assert scan.requests == 5


# -- the window's end ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [False, "sent"])
@pytest.mark.parametrize("lt", ["<=", "ignored"])
async def test_a_window_never_yields_orders_past_its_end(
    server: HostileServer, lt: str, raw: Any
) -> None:
    # Before: 3007 orders of 3000 with an inclusive bound, about 13000 with none.
    rows = orders(3000, step=1)
    server.handler = shop(rows, lt=lt)
    async with client(server) as oms:
        scan = oms.legacy.orders.scan(since=BASE, windows=8, raw=raw)
        got = await scanned(scan)
    assert sorted(got) == ids_of(rows)
    assert all_done(scan.state)


@pytest.mark.parametrize("windows", [1, 3])
async def test_a_server_reading_dates_in_a_zone_ahead_of_utc_fails_the_scan(
    server: HostileServer, windows: int
) -> None:
    # Its range starts and ends an hour early: the first page held orders before the start,
    # which planning cut away in silence, and the last hour's 30 orders were never asked for.
    rows = orders(100, step=120)  # 2024-01-01 00:00 to 03:18, every two minutes
    server.handler = shop(rows, ahead=3600)
    async with client(server) as oms:
        scan = oms.legacy.orders.scan(
            since=BASE + timedelta(hours=1), until=BASE + timedelta(hours=3), windows=windows
        )
        with pytest.raises(errors.DecodeError, match="INV0-0 of 2024-01-01T00:00:00 came back"):
            await scanned(scan)


async def test_a_crowded_second_under_an_inclusive_bound_moves_on(
    server: HostileServer,
) -> None:
    # The pass over one second (>= s and < s + 1) gets the next second's orders too: before,
    # a DecodeError ("asked for orders of s only"); they are read after the second instead.
    rows = orders(150, step=0, first=60) + orders(50, first=61)
    server.handler = shop(rows, lt="<=")
    async with client(server) as oms:
        scan = oms.legacy.orders.scan(since=BASE, raw=True)
        got = await scanned(scan)
    assert sorted(got) == ids_of(rows)
    assert all_done(scan.state)


# -- orders as sent -------------------------------------------------------------------------------

DATE = b'"date_ordered":"2024-01-01T00:00:00"'


@pytest.mark.parametrize(
    "body",
    [
        b'{"total":1,"orders":[' + b"[" * 2000 + b"]" * 2000 + b"]}",
        b'{"total":1,"orders":[{"order_id":"A\xff",' + DATE + b"}]}",
        b'{"total":"\xff","orders":[]}',
        b'{"response_status":"\xff","total":0,"orders":[]}',
        # msgspec never reads an order's other values: these bytes went into SentOrder.json
        # and on into JSON lines exports.
        b'{"total":1,"orders":[{"order_id":"A",' + DATE + b',"name":"caf\xe9"}]}',
        b'{"total":1,"orders":[{"order_id":"A",' + DATE + b',"lines":[{"sku":"\xc3("}]}]}',
    ],
    ids=["deep", "bad-utf8-id", "bad-utf8-total", "bad-utf8-status", "latin1-name", "nested"],
)
async def test_a_sent_scan_refuses_what_is_no_json_with_a_decode_error(
    server: HostileServer, body: bytes
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, body)

    server.handler = handler
    async with client(server) as oms:
        with pytest.raises(errors.DecodeError):
            async for _ in oms.legacy.orders.scan(raw="sent"):
                pass


async def test_a_sent_scan_keeps_utf8_text_as_sent_and_refuses_other_bytes(
    server: HostileServer,
) -> None:
    good = b'{"order_id":"A",' + DATE + ',"name":"café ☕ 𝄞"}'.encode()
    row = good

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, b'{"total":1,"orders":[' + row + b"]}")

    server.handler = handler
    async with client(server) as oms:
        assert [o.json async for o in oms.legacy.orders.scan(raw="sent")] == [good]
        row = good.replace("é".encode(), b"\xe9")
        with pytest.raises(errors.DecodeError):
            async for _ in oms.legacy.orders.scan(raw="sent"):
                pass


# -- a second holding more than a page (the tie block) ---------------------------------------------


def passes(requests: list[Request]) -> dict[str, int]:
    """How many times a tie block began a pass over each second (offset 0, ``>= s`` and
    ``< s + 1``)."""
    found: dict[str, int] = {}
    for request in requests:
        dates = [datetime.fromisoformat(c["date1"]) for c in conditions(request)]
        one_second = len(dates) == 2 and dates[1] - dates[0] == timedelta(seconds=1)
        if one_second and request.form["offset"] == "0":
            found[dates[0].isoformat()] = found.get(dates[0].isoformat(), 0) + 1
    return found


def crowded() -> list[dict[str, Any]]:
    """Orders before, 101 orders in one second, orders after."""
    return orders(5) + orders(101, step=0, first=600) + orders(5, first=601)


async def test_a_tie_block_reads_the_second_again_when_an_order_leaves_it_mid_pass(
    server: HostileServer,
) -> None:
    # The keyset page read the second's first 100 orders. The block's pass asked for them
    # again (offset 0), then the first left the filter: at offset 100 the 101st had moved to
    # 99, and the pass, finding nothing new, ended the block. Every answer's total had said so.
    rows = crowded()
    leaving = rows[5]
    inner = shop(rows)

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        in_the_block = len(conditions(request)) == 2 and "T00:10:00" in str(conditions(request))
        if in_the_block and request.form["offset"] == "100" and leaving in rows:
            rows.remove(leaving)
        await inner(request, stream)

    server.handler = handler
    async with client(server) as oms:
        scan = oms.legacy.orders.scan(since=BASE, windows=1, raw=True)
        got = await scanned(scan)
    assert leaving not in rows
    assert sorted(got) == ids_of([leaving, *rows])
    assert all_done(scan.state)


async def test_a_tie_block_whose_second_keeps_changing_says_so_after_four_passes(
    server: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    # An order arrives in the crowded second at every pass: each pass finds it, so the block
    # reads the second 4 times, hands out each order once, and warns of the change it saw.
    rows = crowded()
    inner = shop(rows)
    arrived: list[dict[str, Any]] = []

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        if "T00:10:00" in str(passes([request])) and len(arrived) < 10:
            arrived.append(orders(1, first=600)[0] | {"order_id": f"NEW-{len(arrived)}"})
            rows.insert(106, arrived[-1])
        await inner(request, stream)

    server.handler = handler
    async with client(server) as oms:
        scan = oms.legacy.orders.scan(since=BASE, windows=1, raw=True)
        got = await scanned(scan)
    assert passes(server.requests) == {"2024-01-01T00:10:00": 4}
    # Changing or ordered differently each time: the export's summary names the warning.
    assert scan.missed_because == ("orders of a second read 4 times",)
    assert len(got) == len(set(got))
    assert set(got) >= {r["order_id"] for r in crowded()}
    assert "share the second 2024-01-01T00:10:00 and kept changing" in caplog.text
    assert "two passes in a row" not in caplog.text


@pytest.mark.parametrize("invoice_sort", [True, False])
async def test_a_tie_block_whose_server_orders_ties_by_the_page_asked_reads_them_all(
    server: HostileServer, caplog: pytest.LogCaptureFixture, invoice_sort: bool
) -> None:
    # A server ordering the orders of one second one way at offset 0 and the other way at
    # every other offset (as MySQL may order ties by LIMIT): by Date Ordered, 50 of the
    # second's 150 orders are never sent. Every pass asked so, and a sync stored 100 of 150
    # for good. Sorted by Invoice Number, one per order, the pages hold still.
    rows = orders(150, step=0, first=600)
    inner = shop(rows, invoice_sort=invoice_sort)

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        if request.form["offset"] != "0":
            rows.reverse()
        try:
            await inner(request, stream)
        finally:
            rows.sort(key=lambda row: int(row["order_id"].split("-")[1]))

    server.handler = handler
    async with client(server) as oms:
        scan = oms.legacy.orders.scan(since=BASE, windows=1, raw=True)
        got = await scanned(scan)
    sorts = [request.form["sortby"] for request in server.requests if passes([request])]
    assert sorts[0] == "1"
    assert set(sorts[1:]) == {"3"}
    if invoice_sort:
        assert sorted(got) == ids_of(rows)
        # The first pass by date received 100, the second by invoice the other 50, and the
        # third confirmed it.
        assert passes(server.requests) == {"2024-01-01T00:10:00": 3}
        assert "moving on" not in caplog.text
        assert scan.missed_because == ()
        return
    # A server ignoring that sort too: two passes received the same 100, which is all a scan
    # can tell: the server's total says 150 (a total counting orders never sent looks the
    # same), and nothing kept changing.
    assert len(got) == len(set(got)) == 100
    assert passes(server.requests) == {"2024-01-01T00:10:00": 2}
    assert (
        "the second 2024-01-01T00:10:00 holds 150 orders by the server's total, "
        "but two passes in a row received the same 100 (100 over all passes); moving on"
    ) in caplog.text
    assert "kept changing" not in caplog.text
    # Nothing changed: the orders the export misses are the server's doing, which its
    # summary's difference says instead of orders that "arrived, left or changed".
    assert scan.missed_because == ("orders of a second not sent",)


@pytest.mark.parametrize(
    ("lt", "total"), [("<", True), ("<=", True), ("ignored", True), ("<", False)]
)
async def test_ties_ordered_by_the_page_asked_are_read_whatever_the_before_bound(
    server: HostileServer, caplog: pytest.LogCaptureFixture, lt: str, total: bool
) -> None:
    # With a "before" bound read as "<=", or ignored, the first pass met an order of a later
    # second and took that for the end of the second: 110 of 160 orders read, no warning.
    # Sorted by date, the later order's place counts the second's 150: the passes by Invoice
    # Number after it skip the later orders and stop once they have all 150.
    # With no totals, nothing counted the second: the first pass by date, finding nothing new
    # (the keyset page had handed its 100 out), ended the block, 50 orders never read.
    rows = orders(150, step=0, first=600) + orders(10, first=601)
    inner = shop(rows, lt=lt, total=total)

    def number(row: dict[str, Any]) -> int:
        return int(row["order_id"].split("-")[1])

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        ahead = request.form["offset"] != "0"  # ties one way at offset 0, the other elsewhere
        rows.sort(key=lambda row: (row["date_ordered"], -number(row) if ahead else number(row)))
        await inner(request, stream)

    server.handler = handler
    async with client(server) as oms:
        scan = oms.legacy.orders.scan(since=BASE, windows=1, raw=True)
        got = await scanned(scan)
    assert sorted(got) == ids_of(rows)
    expected = {"2024-01-01T00:10:00": 3}
    if not total:
        # The last second too is read again by Invoice Number: a server without totals
        # tells no count to confirm it by.
        expected["2024-01-01T00:19:01"] = 2
    assert passes(server.requests) == expected
    assert "moving on" not in caplog.text


@pytest.mark.parametrize("windows", [1, 3])
async def test_a_total_counting_one_order_more_than_are_sent_is_checked_once(
    server: HostileServer, caplog: pytest.LogCaptureFixture, windows: int
) -> None:
    # Every answer's total counted one order more than the server ever sent, its orders never
    # changing. Before, the last second of each window, and a crowded second, were read in
    # 4 passes each, and a warning said their orders "kept changing".
    rows = crowded()
    server.handler = shop(rows)
    async with client(server) as oms:
        assert sorted(await scanned(oms.legacy.orders.scan(since=BASE, raw=True))) == ids_of(rows)
        assert passes(server.requests) == {"2024-01-01T00:10:00": 2}
        server.requests.clear()
        server.handler = shop(rows, miscount=1)
        scan = oms.legacy.orders.scan(since=BASE, windows=windows, raw=True)
        got = await scanned(scan)
    assert sorted(got) == ids_of(rows)
    assert all_done(scan.state)
    # A second pass that agrees with the first (the same orders, the same total) ends a block.
    # (Split in two windows, the first ends at 00:10:01: its keyset request for the orders from
    # 00:10:00 on looks like a pass too.)
    crowded_second = 2 if windows == 1 else 3
    assert passes(server.requests) == {
        "2024-01-01T00:10:00": crowded_second,
        "2024-01-01T00:14:01": 2,
    }
    assert "kept changing" not in caplog.text
    assert (
        "the second 2024-01-01T00:10:00 holds 102 orders by the server's total, "
        "but two passes in a row received the same 101"
    ) in caplog.text


@pytest.mark.parametrize("raw", [False, True, "sent"])
@pytest.mark.parametrize("page", [50, 100])
async def test_a_tie_block_of_a_server_ignoring_the_offset_is_stopped(
    server: HostileServer, raw: bool | str, page: int
) -> None:
    # Pages of 50 for a limit of 100 were never full, so the runaway guard never looked at
    # them: the block read the same 50 orders at every offset up to the total and ended,
    # 150 of 200 never read, or paged on to a total of 10 million. Read as sent (what
    # export_orders and sync_orders read), the orders of each page were new objects the
    # guard compared whole and never found again: it paged on for ever, full pages too.
    rows = orders(200, step=0, first=600)

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_json(stream, {"orders": rows[:page], "total": 10**7})

    server.handler = handler
    async with client(server) as oms:
        with anyio.fail_after(60), pytest.raises(errors.RunawayPagingError, match="offset"):
            await scanned(oms.legacy.orders.scan(since=BASE, windows=1, raw=raw))  # type: ignore[call-overload]
    assert len(server.requests) < 20


@pytest.mark.parametrize("count", [1, 99, 100, 101, 350])
async def test_a_sync_from_a_server_without_totals_keeps_the_latest_date_modified(
    server: HostileServer, tmp_path: Path, count: int
) -> None:
    # The watermark is the latest Date Modified, from the last row of a list sorted by it: with
    # no total, the first page was taken for the whole list, so the next run read again every
    # order modified after its last row (1,401 orders where 2 had changed).
    rows = [
        {**row, "date_modified": row["date_ordered"][:19].replace("T", " ")}
        for row in orders(count)
    ]
    server.handler = shop(rows, total=False)
    async with client(server) as oms:
        summary = await sync_orders(oms, f"sqlite:///{tmp_path}/o.db", since=BASE)
    assert summary.new == count
    assert summary.watermark == rows[-1]["date_modified"].replace(" ", "T")


async def test_a_sync_from_a_server_without_totals_ignoring_the_offset_is_a_runaway(
    server: HostileServer, tmp_path: Path
) -> None:
    # Looking for the last row by offsets, the first row came back at every one: the offsets
    # doubled 25 times until one was refused as no start_offset ("ValidationError"), where
    # paging such a server is a RunawayPagingError.
    rows = [
        {**row, "date_modified": row["date_ordered"][:19].replace("T", " ")} for row in orders(150)
    ]

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_json(stream, {"orders": rows[: int(request.form["limit"])]})

    server.handler = handler
    async with client(server) as oms:
        with pytest.raises(errors.RunawayPagingError, match="ignores the offset"):
            await sync_orders(oms, f"sqlite:///{tmp_path}/o.db", since=BASE)
    assert len(server.requests) <= 3
