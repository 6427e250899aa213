"""Orders read as the bytes the server sent (``scan(raw="sent")``), and the JSON lines export
that writes them: byte for byte what the server sent, whatever its JSON looks like."""

from __future__ import annotations

import copy
import json
import pickle
import re
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import respx

import omsclient
from omsclient import DecodeError, ValidationError
from omsclient.export import export_orders
from omsclient.legacy import SentOrder, _search

from .conftest import LEGACY, form_of
from .test_scan import FakeFind, at, conditions_of, order

FIND = f"{LEGACY}/api/json/manage_orders/find"

# Written by hand the way a PHP server may write them: escaped non-ASCII, a trailing zero, a
# slash escaped, key order of its own. orjson, reading and writing them again, would change
# every one of those bytes.
ORDERS = [
    b'{"order_id":"INV1","date_ordered":"2024-03-01T12:00:00","name":"Ren\\u00e9e",'
    b'"total":12.50,"url":"https:\\/\\/shop.example\\/o\\/1"}',
    b'{"date_ordered":"2024-03-01T12:00:01","order_id":2,"lines":[{"qty":1}],"note":null}',
    b'{"order_id":"INV3","date_ordered":"2024-03-01T12:00:01.000+00:00","big":1e3}',
]


def answer(orders: list[bytes], *, total: int | None = None, status: bytes | None = None) -> bytes:
    status = status or b'{"code":10001,"severity":"SUCCESS","description":"Success"}'
    total_part = b"" if total is None else b',"total":' + str(total).encode()
    return b'{"response_status":' + status + total_part + b',"orders":[' + b",".join(orders) + b"]}"


def serve(body: bytes) -> respx.Route:
    return respx.post(FIND).mock(
        return_value=httpx.Response(200, content=body, headers={"content-type": "application/json"})
    )


def serve_paged(orders: list[bytes]) -> respx.Route:
    """The orders in the Date Ordered range a scan asks for, by offset and limit."""

    def find(request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        offset, limit = int(form["offset"]), int(form["limit"])
        rows = orders
        for field, op, value in conditions_of(form):
            rows = [o for o in rows if FakeFind._match(json.loads(o), field, int(op), value)]
        body = answer(rows[offset : offset + limit], total=len(rows))
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return respx.post(FIND).mock(side_effect=find)


async def test_a_sent_scan_yields_each_order_as_the_bytes_it_came_in(
    oms: omsclient.AsyncClient,
) -> None:
    with respx.mock:
        serve(answer(ORDERS, total=3))
        got = [o async for o in oms.legacy.orders.scan(raw="sent")]
    assert all(isinstance(o, SentOrder) for o in got)
    assert [o.json for o in got] == ORDERS
    assert [o.order_id for o in got] == ["INV1", 2, "INV3"]
    assert got[1].date_ordered == "2024-03-01T12:00:01"
    assert "Ren" not in repr(got[0])
    assert "INV1" in repr(got[0])


@pytest.mark.parametrize("status", [True, False], ids=["with a status", "without one"])
async def test_a_lone_surrogate_in_one_order_leaves_the_pages_numbers_as_sent(
    oms: omsclient.AsyncClient, status: bool
) -> None:
    # Without response_status (as live servers answer), the check that the answer says nothing
    # else read its top level with msgspec, which refuses a lone surrogate: the page went the
    # usual way, through doubles, and 1.50 was written 1.5 in every format of an export.
    orders = [
        b'{"order_id":"INV1","date_ordered":"2024-03-01T12:00:00","price":1.50,'
        b'"cents":12345678901234567.89}',
        b'{"order_id":"INV2","date_ordered":"2024-03-01T12:00:01","note":"cut \\ud83c"}',
    ]
    body = answer(orders, total=2)
    if not status:
        body = b"{" + body[body.index(b'"total"') :]
    with respx.mock:
        serve(body)
        got = [o async for o in oms.legacy.orders.scan(raw="sent")]
    assert [o.json for o in got] == orders


async def test_the_same_order_sent_the_same_way_compares_equal(
    oms: omsclient.AsyncClient,
) -> None:
    # Compared by identity, the same orders read twice were all different, as were their
    # copies: diffing or removing repeats of raw="sent" rows silently found nothing.
    with respx.mock:
        serve(answer(ORDERS, total=3))
        first = [o async for o in oms.legacy.orders.scan(raw="sent")]
        again = [o async for o in oms.legacy.orders.scan(raw="sent")]
    assert first == again
    assert [copy.deepcopy(o) for o in first] == [pickle.loads(pickle.dumps(o)) for o in first]
    assert first[0] != first[1]
    assert first[0] != SentOrder("INV1", first[0].date_ordered, first[0].json + b" ")
    assert first[0] != SentOrder("INV9", first[0].date_ordered, first[0].json)
    assert first[0] != orjson.loads(first[0].json)
    with pytest.raises(TypeError, match="unhashable"):
        hash(first[0])  # its json can be set


def test_the_repr_leaves_out_a_login_key_in_an_id_holding_a_document_link() -> None:
    # A server put a quote's link where the id belongs: the repr printed its key, where a
    # model's repr of the same order redacts it.
    key = "0123456789abcdef0123456789abcdef01234567"
    sent = SentOrder(f"https://x/q.pdf?user[id]=12&key={key}", "2024-01-01T00:00:00", b"{}")
    assert key not in repr(sent)
    assert repr(sent) == (
        "SentOrder(order_id='https://x/q.pdf?user[id]=12&key=[REDACTED]', 2 bytes)"
    )


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
async def test_a_pretty_printed_answer_gives_one_compact_line_per_order(
    oms: omsclient.AsyncClient, line_end: bytes
) -> None:
    pretty = orjson.dumps(orjson.loads(answer(ORDERS, total=3)), option=orjson.OPT_INDENT_2)
    with respx.mock:
        serve(pretty.replace(b"\n", line_end))
        got = [o async for o in oms.legacy.orders.scan(raw="sent")]
    # A CR left in a line is a line end to readers of the file (Python's universal newlines).
    assert [b"\n" in o.json or b"\r" in o.json for o in got] == [False] * 3
    assert [orjson.loads(o.json) for o in got] == [orjson.loads(o) for o in ORDERS]


async def test_answers_the_split_does_not_take_go_the_usual_way(
    oms: omsclient.AsyncClient,
) -> None:
    refused = b'{"code":30001,"severity":"ERROR","description":"Authentication failed"}'
    with respx.mock:
        serve(answer([], status=refused))
        with pytest.raises(omsclient.AuthenticationError):
            [o async for o in oms.legacy.orders.scan(raw="sent")]
    with respx.mock:
        serve(answer(ORDERS)[:-20])  # cut short: no JSON
        with pytest.raises(DecodeError):
            [o async for o in oms.with_options(max_retries=0).legacy.orders.scan(raw="sent")]
    with respx.mock:
        serve(answer([b'"INV9"'], total=1))
        with pytest.raises(
            DecodeError,
            match=re.escape("row 0 of 'orders' (offset 0) is a JSON string, not a JSON object"),
        ):
            [o async for o in oms.legacy.orders.scan(raw="sent")]
    with respx.mock:
        serve(answer(ORDERS * 40, total=120))
        with pytest.raises(DecodeError, match="rows where at most"):
            [o async for o in oms.legacy.orders.scan(raw="sent")]


async def test_a_status_left_out_still_reads_as_success(oms: omsclient.AsyncClient) -> None:
    body = b'{"total":1,"orders":[' + ORDERS[0] + b"]}"
    with respx.mock:
        serve(body)
        got = [o.json async for o in oms.legacy.orders.scan(raw="sent")]
    assert got == ORDERS[:1]


async def test_raw_takes_only_true_false_or_sent(oms: omsclient.AsyncClient) -> None:
    with respx.mock:
        route = respx.post(FIND)
        for bad in ("bytes", 1, None):
            with pytest.raises(ValidationError, match="raw must be"):
                oms.legacy.orders.scan(raw=bad)  # type: ignore[call-overload]
        assert not route.called


async def test_a_json_lines_export_writes_the_orders_as_sent(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    with respx.mock:
        serve_paged(ORDERS)
        summary = await export_orders(oms, tmp_path / "orders.jsonl")
    assert summary.exported == 3
    assert (tmp_path / "orders.jsonl").read_bytes() == b"\n".join(ORDERS) + b"\n"


def test_the_blocking_client_scans_as_sent(client_kwargs: dict[str, object]) -> None:
    with respx.mock, omsclient.Client(**client_kwargs) as oms:  # type: ignore[arg-type]
        serve(answer(ORDERS, total=3))
        assert [o.json for o in oms.legacy.orders.scan(raw="sent")] == ORDERS


KEY = "0123456789abcdef0123456789abcdef01234567"


def hostile_orders() -> list[bytes]:
    """320 orders as a PHP server may write them, three to a second (a window's next page
    starts inside its last second, leaving out the orders it handed out): escapes, numbers
    past a double, a login key sent though left out, a lone surrogate (a page msgspec
    refuses, split the usual way)."""
    orders = []
    for n in range(320):
        extra = b'"note":"Ren\\u00e9e","total":12.50'
        if n == 50:
            extra = b'"doc":"https:\\/\\/x.test\\/d.pdf?user[id]=7&key=' + KEY.encode() + b'"'
        elif n == 170:
            extra = b'"note":"cut \\ud83c"'
        elif n == 260:
            extra = b'"big":1e400,"cents":12345678901234567.89'
        date = at(n // 3).encode()
        orders.append(b'{"order_id":"INV%d","date_ordered":"%s",%s}' % (n, date, extra))
    return orders


@pytest.mark.parametrize("windows", [1, 4])
async def test_every_page_of_a_sent_scan_gives_each_order_once_as_sent(
    oms: omsclient.AsyncClient, windows: int
) -> None:
    # Each page is split once the scan keeps its rows, which may start past its first (the
    # cursor's second handed out already): the orders kept, not those before them.
    orders = hostile_orders()
    with respx.mock:
        route = serve_paged(orders)
        got = [o async for o in oms.legacy.orders.scan(since=at(0), windows=windows, raw="sent")]
    assert route.call_count >= 4
    expected = [o.replace(KEY.encode(), b"[REDACTED]") for o in orders]
    assert sorted(o.json for o in got) == sorted(expected)
    assert all(str(o.order_id).encode() in o.json for o in got)
    by_id = {o.order_id: o for o in got}
    assert by_id["INV170"].json == expected[170]
    assert by_id["INV4"].date_ordered == at(1)


async def test_a_sent_scan_splits_a_page_once_its_window_asked_for_more(
    oms: omsclient.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Splitting a page into its orders' bytes is most of its CPU: a window that split them
    # before asking for its next page would begin each round trip that much later.
    fake = FakeFind([order(n, n) for n in range(250)])
    asked: list[int] = []  # requests sent when each page was split
    split = _search.sent_at

    def counted(*args: Any, **kwargs: Any) -> Any:
        asked.append(len(fake.forms))
        return split(*args, **kwargs)

    monkeypatch.setattr(_search, "sent_at", counted)
    with respx.mock:
        respx.post(FIND).mock(side_effect=fake)
        got = [o.order_id async for o in oms.legacy.orders.scan(raw="sent")]
    assert got == [f"INV{n}" for n in range(250)]
    # Rows 0-99 (the count's page), 99-198 and 198-249: the last one has no page after it.
    assert asked == [2, 3, 3]
