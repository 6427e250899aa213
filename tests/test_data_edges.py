"""Data at the edges of what a file or a database holds: long keys, lone surrogates, numbers
past a double, integers past 64 bits. Every body is spelled out as the server would send it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import omsclient
from omsclient.dbsync import sync_orders, sync_products
from omsclient.export import ExportError, export_orders, export_products
from omsclient.legacy.models import Product

from .conftest import LEGACY, form_of
from .test_dbsync import (  # noqa: F401 - fixtures
    FIND,
    _answer_of,
    db_url,
    postgres,
    query,
)
from .test_scan import conditions_of


def order(order_id: bytes, second: int, extra: bytes = b"") -> bytes:
    """An order as the server writes it, ``order_id`` its JSON (quotes and escapes included)."""
    return (
        b'{"order_id":%b,"date_ordered":"2025-03-26T14:35:%02dZ",'
        b'"date_modified":"2025-03-27T10:00:00","order_status":1%b}' % (order_id, second, extra)
    )


def incompressible(size: int) -> str:
    """``size`` characters PostgreSQL cannot compress (hex of hashes: no repeats for pglz)."""
    text = "".join(hashlib.sha256(str(n).encode()).hexdigest() for n in range(size // 64 + 1))
    return text[:size]


# -- 1. an order id longer than a key may be -------------------------------------------------


async def test_an_order_id_too_long_for_a_key_is_refused_naming_it(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # PostgreSQL's btree on order_id failed the batch with "index row size ... exceeds
    # maximum", naming no order; SQLite stored it, so the two databases held other rows.
    long_id = "INV-" + incompressible(3000)
    sent = [order(b'"INV1"', 1), order(json.dumps(long_id).encode(), 2)]
    with respx.mock:
        respx.post(FIND).mock(side_effect=_answer_of(sent))
        with pytest.raises(omsclient.DecodeError) as caught:
            await sync_orders(oms, db_url, windows=1)
    message = str(caught.value)
    assert "order_id 'INV-" + long_id[4:20] in message
    assert "3,004 bytes" in message
    assert "2,048 bytes" in message
    assert len(message) < 400
    assert caught.value.transient is False  # the next run meets the same order
    # Refused before the batch was written: nothing of it is stored.
    assert query(db_url, "SELECT count(*) FROM orders") == [(0,)]


async def test_an_order_id_of_the_longest_a_key_may_be_is_stored(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # 2,048 bytes of UTF-8, é two each: PostgreSQL's index takes it uncompressed.
    longest = "\u00e9" * 24 + incompressible(2000)
    sent = [order(json.dumps(longest, ensure_ascii=False).encode(), 1)]
    with respx.mock:
        respx.post(FIND).mock(side_effect=_answer_of(sent))
        summary = await sync_orders(oms, db_url, windows=1)
    assert summary.new == 1
    assert query(db_url, "SELECT order_id FROM orders") == [(longest,)]


# -- 2. a lone surrogate in an export ----------------------------------------------------------


def dated(n: int, order_id: bytes, extra: bytes = b"") -> bytes:
    """Order ``n`` (its Date Ordered ``n`` seconds into the day), ``order_id`` as JSON."""
    ordered = (datetime(2025, 3, 26) + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S")
    return b'{"order_id":%b,"date_ordered":"%b","order_status":1%b}' % (
        order_id,
        ordered.encode(),
        extra,
    )


def _keyset_answer(orders: list[bytes]) -> Callable[[httpx.Request], httpx.Response]:
    """A find endpoint over ``orders`` (bytes as sent): Date Ordered conditions, sorted by it,
    paged; each order's bytes go out as they are."""
    dates = [json.loads(o)["date_ordered"] for o in orders]  # the standard library reads \ud800

    def answer(request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        assert form["sortby"] == "1"
        chosen = sorted(range(len(orders)), key=dates.__getitem__)
        for field, op, value in conditions_of(form):
            assert field == "1"
            compare = {3: str.__lt__, 4: str.__gt__, 5: str.__le__, 6: str.__ge__}[int(op)]
            chosen = [i for i in chosen if compare(dates[i][:19], value)]
        offset, limit = int(form["offset"]), int(form["limit"])
        rows = b",".join(orders[i] for i in chosen[offset : offset + limit])
        body = b'{"response_status":{"code":10001,"severity":"SUCCESS","description":""},'
        body += b'"total":%d,"orders":[%b]}' % (len(chosen), rows)
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return answer


# The 100th order, the last of the first page, so the first checkpoint's scan position names it.
SURROGATES = [dated(n, b'"INV%d"' % n) for n in range(150)]
SURROGATES[99] = dated(99, b'"S\\ud800"', b',"job_name":"cut \\ud83d","n":{"k\\udc00":[1e400]}')


class _Stop(Exception):
    pass


def _stop(_: object) -> None:
    raise _Stop


async def test_jsonl_export_of_an_order_id_holding_a_lone_surrogate_resumes_exactly(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # The checkpoint names the order ids read at the scan's position: orjson refused to write
    # one holding a lone surrogate, and every export of it failed with a bare TypeError.
    out = tmp_path / "o.jsonl"
    with respx.mock:
        respx.post(FIND).mock(side_effect=_keyset_answer(SURROGATES))
        with pytest.raises(_Stop):
            await export_orders(oms, out, windows=1, progress=_stop)
        # Resumed, the id read back is the one the server sends: the order is not written twice.
        summary = await export_orders(oms, out, windows=1, resume=True)
    assert (summary.exported, summary.this_run) == (150, 50)
    assert out.read_bytes() == b"".join(o + b"\n" for o in SURROGATES)


async def test_csv_export_writes_a_lone_surrogate_as_its_escape(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # msgspec refused the order: a bare msgspec.DecodeError, naming no order.
    out = tmp_path / "o.csv"
    with respx.mock:
        respx.post(FIND).mock(side_effect=_keyset_answer(SURROGATES))
        await export_orders(oms, out, windows=1)
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode())))
    assert len(rows) == 150
    cut = rows[99]
    # Text cells hold it as its six characters, as the sync's text columns do; JSON cells as
    # the JSON escape, which reads back as the character sent.
    assert (cut["order_id"], cut["job_name"]) == ("S\\ud800", "cut \\ud83d")
    assert cut["n"] == '{"k\\udc00":[1E+400]}'
    assert json.loads(cut["n"]) == json.loads(b'{"k\\udc00":[1e400]}')
    assert rows[98]["order_id"] == "INV98"


async def test_parquet_export_writes_a_lone_surrogate_as_its_escape(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    sent = [
        dated(1, b'"INV1"', b',"n":{"k":"a"}'),
        dated(2, b'"S\\ud800"', b',"n":{"k":"\\udc00"}'),
    ]
    out = tmp_path / "o.parquet"
    with respx.mock:
        respx.post(FIND).mock(side_effect=_keyset_answer(sent))
        await export_orders(oms, out, windows=1)
    rows = pq.read_table(out).to_pylist()
    assert [(r["order_id"], r["n"]) for r in rows] == [
        ("INV1", {"k": "a"}),
        ("S\\ud800", {"k": "\\udc00"}),
    ]


# -- 3 and 4. products: numbers past a double, integers past 64 bits -----------------------------

PRODUCTS_FIND = f"{LEGACY}/api/json/manage_products/find"
BIG = b"123456789012345678901234567891"
PRODUCTS = [
    b'{"product_id":1,"product_name":"Tee","price":1e400,"sizes":[{"w":-1E+400}]}',
    b'{"product_id":2,"product_name":"Mug","weight":%b,"dims":{"d":-%b},"n":1.5}' % (BIG, BIG),
    b'{"product_id":3,"product_name":"cut \\ud83d","tags":["\\udc00"]}',
]


async def _exported(oms: omsclient.AsyncClient, products: list[bytes], out: Path) -> Path:
    """``out``, written by a product export from a server holding ``products``."""
    with respx.mock:
        respx.post(PRODUCTS_FIND).mock(side_effect=_products_answer(products))
        await export_products(oms, out)
    return out


def _products_answer(products: list[bytes]) -> Callable[[httpx.Request], httpx.Response]:
    """manage_products/find over ``products`` (bytes as sent): product_id > after, one a page,
    so that each answer is read alone (one that orjson refuses is read another way)."""

    def answer(request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        after = int(form.get("string") or 0)  # the scan's one condition, sent flat
        rows = [p for p in products if json.loads(p)["product_id"] > after]
        offset, limit = int(form.get("offset", "0")), min(int(form.get("limit", "100")), 1)
        body = b'{"response_status":{"code":10001,"severity":"SUCCESS","description":""},'
        body += b'"total":%d,"products":[%b]}' % (
            len(rows),
            b",".join(rows[offset : offset + limit]),
        )
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return answer


async def _export_products(oms: omsclient.AsyncClient, out: Path) -> None:
    with respx.mock:
        respx.post(PRODUCTS_FIND).mock(side_effect=_products_answer(PRODUCTS))
        summary = await export_products(oms, out)
    assert summary.exported == 3


def _exact(text: str | bytes) -> Any:
    """JSON with every number as written: 1E+400 and 1e400 alike, no double between."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


async def test_a_product_jsonl_export_keeps_every_number(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # 1e400 was written as null (the client read an infinity, orjson writes one as null), and
    # an integer beyond 64 bits lost its last digits (orjson reads it as a double).
    out = tmp_path / "p.jsonl"
    await _export_products(oms, out)
    lines = out.read_bytes().splitlines()
    assert [_exact(line) for line in lines] == [_exact(p) for p in PRODUCTS]
    assert b"null" not in out.read_bytes()
    # A lone surrogate is written as the escape it came in.
    assert b'"cut \\ud83d"' in lines[2]


async def test_a_product_csv_export_keeps_every_number(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    out = tmp_path / "p.csv"
    await _export_products(oms, out)
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode())))
    assert _exact(rows[0]["price"]) == Decimal("1e400")
    assert _exact(rows[0]["sizes"]) == [{"w": Decimal("-1e400")}]
    # The columns are the first product's: the others' keys are in the extra column.
    digits = BIG.decode()
    assert rows[1]["extra"] == f'{{"weight":{digits},"dims":{{"d":-{digits}}},"n":1.5}}'
    assert rows[2]["product_name"] == "cut \\ud83d"


async def test_a_product_parquet_export_names_the_field_of_a_big_integer(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # As for orders: Parquet has no type for it, and the staged JSON lines keep it.
    pytest.importorskip("pyarrow")
    with respx.mock:
        respx.post(PRODUCTS_FIND).mock(side_effect=_products_answer(PRODUCTS[1:]))
        with pytest.raises(ExportError, match="field 'weight'"):
            await export_products(oms, tmp_path / "p.parquet")


async def test_a_product_sync_stores_every_number(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # An integer beyond 64 bits was stored with its last digits lost; 1e400 stopped the batch.
    with respx.mock:
        respx.post(PRODUCTS_FIND).mock(side_effect=_products_answer(PRODUCTS))
        first = await sync_products(oms, db_url)
        again = await sync_products(oms, db_url)
    assert (first.new, again.unchanged) == (3, 3)
    if db_url.startswith("sqlite"):
        stored = dict(query(db_url, "SELECT product_id, data FROM products"))
        assert _exact(stored[1]) == _exact(PRODUCTS[0])
        assert _exact(stored[2]) == _exact(PRODUCTS[1])
    else:
        assert query(
            db_url,
            "SELECT data->>'price', data->>'weight', data->'dims'->>'d' FROM products "
            "ORDER BY product_id",
        )[:2] == [("1" + "0" * 400, None, None), (None, BIG.decode(), "-" + BIG.decode())]


# -- 5. products: decimals as sent ----------------------------------------------------------------

# Decimals a double cannot write back as sent: a trailing zero (1.50 reads 1.5), more digits
# than a double holds, and an id with a point, which is still the id 8.
DECIMALS = [
    b'{"product_id":7,"product_name":"Cap","list_price":12345678901234567.89,'
    b'"skus":[{"sku":"C-1","price":1.50,"cost":0.1000000000000000055511151231257827}]}',
    b'{"product_id":8.0,"product_name":"Bag","list_price":2.0,'
    b'"skus":[{"sku":"B-1","price":10,"cost":-0.25}]}',
]


async def test_a_product_scan_reads_every_decimal_as_sent(oms: omsclient.AsyncClient) -> None:
    with respx.mock:
        respx.post(PRODUCTS_FIND).mock(side_effect=_products_answer(DECIMALS))
        rows = [row async for row in oms.legacy.products.scan()]
    assert [str(row["list_price"]) for row in rows] == ["12345678901234567.89", "2.0"]
    assert [str(row["skus"][0]["price"]) for row in rows] == ["1.50", "10"]
    assert str(rows[0]["skus"][0]["cost"]) == "0.1000000000000000055511151231257827"
    # The typed model takes the values as it takes the server's: a price as a float, the id
    # with a point as the integer it is.
    products = [omsclient.from_dict(row, Product) for row in rows]
    assert [p.product_id for p in products] == [7, 8]
    assert [(s.price, s.cost) for p in products for s in p.skus] == [
        (1.5, 0.1000000000000000055511151231257827),
        (10, -0.25),
    ]


async def test_a_product_jsonl_export_writes_every_decimal_as_sent(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # 1.50 was written 1.5, and the others lost their last digits: the scan read doubles.
    out = await _exported(oms, DECIMALS, tmp_path / "p.jsonl")
    assert out.read_bytes() == b"".join(p + b"\n" for p in DECIMALS)


async def test_a_product_csv_export_writes_every_decimal_as_sent(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    out = await _exported(oms, DECIMALS, tmp_path / "p.csv")
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode())))
    assert [(r["product_id"], r["list_price"]) for r in rows] == [
        ("7", "12345678901234567.89"),
        ("8.0", "2.0"),
    ]
    assert rows[0]["skus"] == (
        '[{"sku":"C-1","price":1.50,"cost":0.1000000000000000055511151231257827}]'
    )


async def test_a_product_parquet_export_keeps_every_decimal(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = await _exported(oms, DECIMALS, tmp_path / "p.parquet")
    rows = pq.read_table(out).to_pylist()
    # A Parquet decimal column holds every value at one scale: the values are the ones sent.
    assert [r["list_price"] for r in rows] == [
        Decimal("12345678901234567.89"),
        Decimal("2.0"),
    ]
    assert [(s["price"], s["cost"]) for r in rows for s in r["skus"]] == [
        (Decimal("1.50"), Decimal("0.1000000000000000055511151231257827")),
        (Decimal("10"), Decimal("-0.25")),
    ]


async def test_a_product_sync_stores_every_decimal_as_sent(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    with respx.mock:
        respx.post(PRODUCTS_FIND).mock(side_effect=_products_answer(DECIMALS))
        first = await sync_products(oms, db_url)
        again = await sync_products(oms, db_url)
    assert (first.new, again.unchanged) == (2, 2)
    if db_url.startswith("sqlite"):
        stored = query(db_url, "SELECT product_id, data FROM products ORDER BY product_id")
        assert stored == [(7, DECIMALS[0].decode()), (8, DECIMALS[1].decode())]
    else:
        # jsonb keeps a numeric's digits and scale.
        assert query(
            db_url,
            "SELECT product_id, data->>'list_price', data->'skus'->0->>'price', "
            "data->'skus'->0->>'cost' FROM products ORDER BY product_id",
        ) == [
            (7, "12345678901234567.89", "1.50", "0.1000000000000000055511151231257827"),
            (8, "2.0", "10", "-0.25"),
        ]


# -- 6. a resumed sync and the order ids its state names -----------------------------------------


@pytest.mark.usefixtures("a_batch_a_page")
@pytest.mark.parametrize(
    "order_id",
    [b'"INV99"', b'"S\\ud800"', b'"N\\u0000"'],
    ids=["plain", "lone surrogate", "nul"],
)
async def test_a_resumed_sync_reads_no_order_of_its_saved_position_again(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
    order_id: bytes,
) -> None:
    # The state names the ids read at the scan's position (here the 100th order, the last of
    # the first batch). One holding a character no database text holds was saved as its
    # escape, six characters, which no order id read from the server equals: the resumed run
    # read that order again, counted unchanged, past the total it announced.
    sent = [dated(n, b'"INV%d"' % n) for n in range(150)]
    sent[99] = dated(99, order_id)
    seen: list[Any] = []

    def stop_after_the_first_batch(progress: Any) -> None:
        seen.append(progress)
        if len(seen) == 1:
            raise _Stop

    scan, latest = _keyset_answer(sent), _answer_of(sent)

    def answer(request: httpx.Request) -> httpx.Response:
        # The run's first request asks for the latest Date Modified, sorted by it (these
        # orders have none); the scan's sort by Date Ordered.
        return (scan if form_of(request)["sortby"] == "1" else latest)(request)

    with respx.mock:
        respx.post(FIND).mock(side_effect=answer)
        with pytest.raises(_Stop):
            await sync_orders(oms, db_url, windows=1, progress=stop_after_the_first_batch)
        assert seen[0].read == 100
        resumed = await sync_orders(oms, db_url, windows=1, progress=seen.append)
    assert resumed.resumed
    assert (resumed.new, resumed.updated, resumed.unchanged) == (50, 0, 0)
    assert seen[-1].total == resumed.read == 50
    assert query(db_url, "SELECT count(*) FROM orders") == [(150,)]


# -- 7. orders: decimals as sent ------------------------------------------------------------------

# An order's decimals a double cannot write back as sent: a trailing zero, more digits than a
# double holds, and one in a nested object.
ORDER_DECIMALS = [
    dated(
        1,
        b'"INV1"',
        b',"total_price":1.50,"tax_amount":12345678901234567.89,'
        b'"order_lines":[{"id":1,"unit_price":0.1000000000000000055511151231257827,"qty":2}]',
    ),
    dated(2, b'"INV2"', b',"total_price":10,"tax_amount":-0.25,"order_lines":[]'),
]


async def test_an_order_csv_export_writes_every_number_as_sent(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # Each order's bytes were read with floats as doubles: 1.50 was the cell 1.5, and the
    # others lost their last digits.
    out = tmp_path / "o.csv"
    with respx.mock:
        respx.post(FIND).mock(side_effect=_keyset_answer(ORDER_DECIMALS))
        await export_orders(oms, out, windows=1)
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode())))
    assert [(r["total_price"], r["tax_amount"]) for r in rows] == [
        ("1.50", "12345678901234567.89"),
        ("10", "-0.25"),
    ]
    assert rows[0]["order_lines"] == (
        '[{"id":1,"unit_price":0.1000000000000000055511151231257827,"qty":2}]'
    )
    assert rows[1]["order_lines"] == "[]"


async def test_an_order_csv_export_respells_only_exponents_tiny_decimals_and_an_integer_zero(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # What docs/export.md names as the only spellings a cell may change: a number with an
    # exponent, or below a millionth, as Python's Decimal writes it, and the sign of an
    # integer zero; a decimal zero keeps its sign.
    sent = [
        dated(
            1,
            b'"INV1"',
            b',"credit_used":-0,"discount_amount":-0.0,"total_weight":1e5,'
            b'"store":{"a":-0,"b":-0.0,"c":1.0e-3,"d":0.0000001,"e":0.000001}',
        )
    ]
    out = tmp_path / "o.csv"
    with respx.mock:
        respx.post(FIND).mock(side_effect=_keyset_answer(sent))
        await export_orders(oms, out, windows=1)
    [row] = list(csv.DictReader(io.StringIO(out.read_bytes().decode())))
    assert (row["credit_used"], row["discount_amount"], row["total_weight"]) == (
        "0",
        "-0.0",
        "1E+5",
    )
    assert row["store"] == '{"a":0,"b":-0.0,"c":0.0010,"d":1E-7,"e":0.000001}'


async def test_an_order_parquet_export_keeps_every_decimal(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # Order columns were doubles: 1.50 read back 1.5 and the others lost their last digits,
    # where a product export's decimal columns hold the values sent.
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "o.parquet"
    with respx.mock:
        respx.post(FIND).mock(side_effect=_keyset_answer(ORDER_DECIMALS))
        await export_orders(oms, out, windows=1)
    table = pq.read_table(out)
    # One precision and scale a column: 1.50 beside the integer 10, the values sent.
    assert table.schema.field("total_price").type == pa.decimal128(4, 2)
    rows = table.to_pylist()
    assert [(r["total_price"], r["tax_amount"]) for r in rows] == [
        (Decimal("1.50"), Decimal("12345678901234567.89")),
        (Decimal("10"), Decimal("-0.25")),
    ]
    assert [line["unit_price"] for line in rows[0]["order_lines"]] == [
        Decimal("0.1000000000000000055511151231257827")
    ]
    assert rows[1]["order_lines"] == []


# -- 8. products: an array PHP wrote as an object of indexes --------------------------------------

# PHP writes an array whose keys are no longer 0, 1, 2... (an entry filtered out) as an object of
# them: the second product's categories and its SKU's sizes.
INDEXED = [
    b'{"product_id":401,"product_name":"A","categories":[{"name":"Hats"}],'
    b'"skus":[{"sku":"a","price":1.50,"sizes":[{"id":1}]}]}',
    b'{"product_id":402,"product_name":"B","categories":{"1":{"name":"Caps"},"3":{"name":"Tees"}},'
    b'"skus":[{"sku":"b","price":2,"sizes":{"2":{"id":7}}}]}',
]


async def test_a_product_parquet_export_reads_an_object_of_indexes_as_its_array(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # The column held arrays in one product and objects in the other: the export stopped with
    # "cannot mix list and non-list", where the models read that object as the array.
    pq = pytest.importorskip("pyarrow.parquet")
    out = await _exported(oms, INDEXED, tmp_path / "p.parquet")
    rows = pq.read_table(out).to_pylist()
    assert [r["categories"] for r in rows] == [
        [{"name": "Hats"}],
        [{"name": "Caps"}, {"name": "Tees"}],
    ]
    assert [[s["sizes"] for s in r["skus"]] for r in rows] == [[[{"id": 1}]], [[{"id": 7}]]]
    assert [[s["price"] for s in r["skus"]] for r in rows] == [[Decimal("1.50")], [Decimal("2")]]
    models = [omsclient.from_dict(json.loads(p), Product) for p in INDEXED]
    assert [[c.name for c in p.categories] for p in models] == [["Hats"], ["Caps", "Tees"]]


async def test_a_product_jsonl_export_keeps_an_object_of_indexes_as_sent(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    out = await _exported(oms, INDEXED, tmp_path / "p.jsonl")
    assert out.read_bytes() == b"".join(p + b"\n" for p in INDEXED)
