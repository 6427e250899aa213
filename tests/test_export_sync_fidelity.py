"""What the export and the sync keep of odd values: big integers, odd shapes, NUL, passwords.

Each test reproduces a defect found by an audit: a value the models refuse blocking every
sync, integers beyond 64 bits turned into floats, type changes counted as unchanged, raw
pyarrow errors, NUL characters PostgreSQL refuses, passwords printed, and two first syncs at
once on a fresh PostgreSQL database.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio.lowlevel
import httpx
import pytest
import respx

import omsclient
from omsclient import cli
from omsclient._decoding import converter
from omsclient._exact_json import dumps_exact, loads_exact
from omsclient.dbsync import DatabaseError, DatabaseUrlError, sync_orders, sync_products
from omsclient.dbsync._runner import _latest_modified
from omsclient.dbsync._sqlite import SqliteStore
from omsclient.dbsync._tables import ORDERS
from omsclient.dbsync._url import parse_database_url
from omsclient.errors import StructureError
from omsclient.export import CheckpointError, ExportError, export_orders, export_products
from omsclient.legacy import Condition, Op, OrderField
from omsclient.legacy._conditions import order_field_code
from omsclient.legacy._scan_dates import epoch_second
from omsclient.legacy._sent import SentOrder, read_sent
from omsclient.legacy.models import Order

from .conftest import LEGACY, PASSWORD, form_of
from .test_dbsync import (  # noqa: F401 - fixtures
    FIND,
    _answer_of,
    _fresh_postgres_database,
    db_url,
    postgres,
    query,
    stored,
    sync_argv,
)
from .test_scan import FakeFind
from .test_scan import order as scan_order

BIG = b"123456789012345678901234567891"


def order(n: int, extra: bytes = b"") -> bytes:
    return (
        b'{"order_id":"INV%d","date_ordered":"2025-03-26T14:35:%02d.000+00:00",'
        b'"date_modified":"2025-03-27T10:00:00","order_status":1%b}' % (n, n, extra)
    )


def _pretty_answer_of(orders: list[bytes]) -> Any:
    """Like ``_answer_of``, pretty-printed: each order spread over several lines."""

    def answer(request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        offset, limit = int(form.get("offset", "0")), int(form.get("limit", "100"))
        rows = b",\n  ".join(o.replace(b',"', b',\n    "') for o in orders[offset : offset + limit])
        body = b'{\n "response_status":{"code":10001,"severity":"SUCCESS"},\n'
        body += b' "total":%d,\n "orders":[\n  %b\n ]\n}' % (len(orders), rows)
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return answer


async def _sync(oms: omsclient.AsyncClient, url: str, orders: list[bytes]) -> Any:
    with respx.mock:
        respx.post(FIND).mock(side_effect=_answer_of(orders))
        return await sync_orders(oms, url, windows=1)


async def _export(
    oms: omsclient.AsyncClient, path: Path, orders: list[bytes], pretty: bool = False
) -> Any:
    with respx.mock:
        respx.post(FIND).mock(side_effect=(_pretty_answer_of if pretty else _answer_of)(orders))
        return await export_orders(oms, path, windows=1)


# -- 1. a value the Order model refuses does not block the sync ---------------------------------


@pytest.mark.parametrize(
    "odd",
    [
        b'"date_shipped":"0000-00-00 00:00:00"',
        b'"date_shipped":"2024-10-09T02:24:39."',  # the scan's own reading took it
        b'"billable_amount":"1,234.50"',
        b'"tax_amount":"NaN"',
        b'"customer_po_number":[]',
    ],
)
async def test_a_value_the_model_refuses_is_synced_with_its_column_null(
    oms: omsclient.AsyncClient, tmp_path: Path, odd: bytes
) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    sent = [order(1, b"," + odd), order(2)]
    first = await _sync(oms, url, sent)
    assert (first.new, first.watermark) == (2, "2025-03-27T10:00:00")
    # The later run reads the watermark from the same orders: it must not fail either.
    again = await _sync(oms, url, sent)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    column = odd.split(b'"')[1].decode()
    assert query(url, f"SELECT {column} FROM orders ORDER BY order_id") == [(None,), (None,)]


# -- 2. integers beyond 64 bits keep their digits -----------------------------------------------


async def test_csv_keeps_every_digit_of_a_big_integer(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    sent = [
        order(1, b',"big":' + BIG + b',"nested":{"n":' + BIG + b"}"),
        order(2, b',"neg":-9223372036854775809,"later":' + BIG),
    ]
    out = tmp_path / "o.csv"
    await _export(oms, out, sent)
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows[0]["big"] == BIG.decode()
    assert rows[0]["nested"] == '{"n":' + BIG.decode() + "}"
    assert rows[1]["neg"] == "-9223372036854775809"
    assert rows[1]["later"] == BIG.decode()


async def test_jsonl_from_a_pretty_printed_answer_keeps_every_digit(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    out = tmp_path / "o.jsonl"
    await _export(oms, out, [order(1, b',"big":' + BIG + b',"f":1.50')], pretty=True)
    assert out.read_bytes() == order(1, b',"big":' + BIG + b',"f":1.50') + b"\n"


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
async def test_a_pretty_printed_page_holding_a_lone_surrogate_keeps_every_digit(
    oms: omsclient.AsyncClient, tmp_path: Path, fmt: str
) -> None:
    # msgspec refused to compact the order with half an emoji: the whole page was read into
    # doubles and written out again, 1.50 as 1.5, and the digits past a double's lost.
    first = order(1, b',"f":12345678901234567.89,"dec":1.50,"dup":1,"dup":2')
    cut = order(2, b',"note":"cut emoji \\ud83d \\"q\\" \\\\ud83d"')
    out = tmp_path / f"o.{fmt}"
    await _export(oms, out, [first, cut], pretty=True)
    if fmt == "jsonl":
        assert out.read_bytes() == first + b"\n" + cut + b"\n"
    else:
        (row, _) = list(csv.DictReader(io.StringIO(out.read_text())))
        assert (row["f"], row["dec"]) == ("12345678901234567.89", "1.50")


async def test_an_integer_past_pythons_digit_limit_is_written_as_sent_or_refused_by_name(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # int() reads 4,300 digits at most: the CSV and Parquet exports died with a bare
    # ValueError (a traceback from the command).
    huge = b"7" * 5000
    await _export(oms, tmp_path / "o.csv", [order(1, b',"n":' + huge)])
    (row,) = csv.DictReader(io.StringIO((tmp_path / "o.csv").read_text()))
    assert row["n"] == huge.decode()
    pytest.importorskip("pyarrow")
    with pytest.raises(ExportError, match="field 'n'"):
        await _export(oms, tmp_path / "o.parquet", [order(1, b',"n":' + huge)])


async def test_parquet_names_the_field_of_an_integer_beyond_64_bits(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    pytest.importorskip("pyarrow")
    with pytest.raises(ExportError, match="field 'big'"):
        await _export(oms, tmp_path / "o.parquet", [order(1, b',"big":' + BIG)])


async def test_parquet_gives_the_named_fields_own_reason(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # The field came from a search field by field, the reason from the whole table: 'n' was
    # said to "mix list and non-list", which is 'm'.
    pytest.importorskip("pyarrow")
    sent = [order(1, b',"n":1,"m":{"x":1}'), order(2, b',"n":' + BIG + b',"m":[1]')]
    with pytest.raises(ExportError) as caught:
        await _export(oms, tmp_path / "o.parquet", sent)
    message = str(caught.value)
    assert message.startswith("cannot write Parquet: field 'n': ")
    assert "list" not in message.split(". The rows")[0]


def _products_answer(products: list[bytes]) -> Any:
    """manage_products/find over ``products``: the scan's product_id > after, then paging."""

    def answer(request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        after = int(form["string"])
        rows = [p for p in products if json.loads(p)["product_id"] > after]
        body = b'{"response_status":{"code":10001,"severity":"SUCCESS","description":""},'
        body += b'"total":%d,"products":[%b]}' % (len(rows), b",".join(rows[:100]))
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return answer


@pytest.mark.parametrize(
    ("depth", "leaf"),
    [
        # orjson reads about 1,000 levels of nesting but writes at most 254.
        (300, b"1"),
        # Nor does msgspec write a lone surrogate: the text written in their place recursed,
        # a bare RecursionError for a product a few hundred levels deep.
        (800, b'"cut \\ud83d"'),
    ],
)
async def test_a_deep_product_is_exported_as_sent(
    oms: omsclient.AsyncClient, tmp_path: Path, depth: int, leaf: bytes
) -> None:
    product = b'{"product_id":1,"product_name":"Tee","x":%b%b%b}' % (
        b"[" * depth,
        leaf,
        b"]" * depth,
    )
    out = tmp_path / "p.jsonl"
    with respx.mock:
        respx.post(f"{LEGACY}/api/json/manage_products/find").mock(
            side_effect=_products_answer([product])
        )
        summary = await export_products(oms, out)
    assert summary.exported == 1
    assert out.read_bytes() == product + b"\n"


_DISK_FULL = r"""
import asyncio, pathlib, resource, signal, sys
import httpx, omsclient
from omsclient.export import export_orders
from omsclient.sandbox import SandboxConfig, asgi_transport

async def main() -> None:
    transport, info = asgi_transport(SandboxConfig(orders=300, seed=3))
    # The disk fills up: writes past 100 kB fail (EFBIG, as ENOSPC would).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, resource.RLIM_INFINITY))
    async with omsclient.AsyncClient(
        **info.client_kwargs(), http_client=httpx.AsyncClient(transport=transport)
    ) as oms:
        try:
            await export_orders(oms, pathlib.Path(sys.argv[1]) / "orders.jsonl", windows=1)
        except Exception as exc:
            print(type(exc).__qualname__, isinstance(exc, omsclient.OmsError), exc)
            return
    print("finished")

asyncio.run(main())
"""


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
def test_output_that_cannot_be_written_is_an_export_error(tmp_path: Path) -> None:
    script = tmp_path / "disk_full.py"
    script.write_text(_DISK_FULL)
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run(
        [sys.executable, str(script), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src")},
        check=True,
    )
    name, is_oms_error, *message = done.stdout.split()
    assert (name, is_oms_error) == ("ExportError", "True"), done.stdout + done.stderr
    assert "File too large" in " ".join(message)


async def test_csv_writes_a_number_past_a_double_as_the_number_sent(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # Read as an infinity, it was written as orjson writes one: the word null, neither the
    # empty cell of a null nor the number sent.
    out = tmp_path / "o.csv"
    await _export(oms, out, [order(1, b',"huge":1e400,"nested":{"n":-2e999},"gone":null')])
    [row] = list(csv.DictReader(io.StringIO(out.read_text())))
    assert (row["huge"], row["nested"], row["gone"]) == ("1E+400", '{"n":-2E+999}', "")


async def test_parquet_refuses_a_number_past_a_double_naming_its_field(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    pytest.importorskip("pyarrow")
    with pytest.raises(ExportError, match="field 'huge'"):
        await _export(oms, tmp_path / "o.parquet", [order(1, b',"huge":1e400')])


async def test_parquet_names_the_field_when_two_chunks_types_cannot_merge(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    pytest.importorskip("pyarrow")
    # Each chunk of 1,000 rows reads alone; merged, the field's decimal would need 79 digits
    # (19 before the point, 60 after), past the 76 a Parquet decimal holds.
    rows = [{**scan_order(i, i), "qty": 9223372036854775807} for i in range(1000)]
    rows.append({**scan_order(1000, 1000), "qty": 1e-60})
    with respx.mock:
        respx.post(FIND).mock(side_effect=FakeFind(rows))
        with pytest.raises(ExportError, match="Field qty has incompatible types"):
            await export_orders(oms, tmp_path / "o.parquet", windows=1)


async def test_parquet_holds_an_integer_past_a_double_beside_a_decimal(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    # The column was a double, which cannot hold the first chunk's integer beyond 2**53: the
    # export stopped. A decimal column holds both values as sent.
    rows = [{**scan_order(i, i), "qty": 9007199254740993} for i in range(1000)]
    rows.append({**scan_order(1000, 1000), "qty": 1.5})
    out = tmp_path / "o.parquet"
    with respx.mock:
        respx.post(FIND).mock(side_effect=FakeFind(rows))
        await export_orders(oms, out, windows=1)
    held = pq.read_table(out, columns=["qty"]).column("qty").to_pylist()
    assert (held[0], held[-1]) == (9007199254740993, Decimal("1.5"))


class _Stop(Exception):
    pass


def _stop(_: object) -> None:
    raise _Stop


async def test_a_resume_reading_another_server_is_refused(
    client_kwargs: dict[str, Any], tmp_path: Path
) -> None:
    # The same filters on another shop: its rows would be appended to the first shop's.
    staging = "https://staging-shop.test"
    out = tmp_path / "o.jsonl"
    shop = FakeFind([scan_order(i, i) for i in range(250)])
    other = FakeFind([{**scan_order(i, i), "order_id": f"B{i}"} for i in range(250)])
    with respx.mock:
        respx.post(FIND).mock(side_effect=shop)
        respx.post(f"{staging}/api/json/manage_orders/find").mock(side_effect=other)
        async with omsclient.AsyncClient(**{**client_kwargs, "legacy_url": staging}) as first:
            with pytest.raises(_Stop):
                await export_orders(first, out, windows=1, progress=_stop)
        async with omsclient.AsyncClient(**client_kwargs) as second:
            with pytest.raises(CheckpointError, match=r"staging-shop\.test"):
                await export_orders(second, out, windows=1, resume=True)
        # The same server on another port (the sandbox's, from run to run) resumes.
        moved = {**client_kwargs, "legacy_url": f"{staging}:8443"}
        respx.post(f"{staging}:8443/api/json/manage_orders/find").mock(side_effect=other)
        async with omsclient.AsyncClient(**moved) as again:
            summary = await export_orders(again, out, windows=1, resume=True)
    ids = [json.loads(line)["order_id"] for line in out.read_bytes().splitlines()]
    assert summary.resumed
    assert sorted(ids) == sorted(f"B{i}" for i in range(250))


async def test_two_shops_behind_one_gateway_are_two_servers(
    client_kwargs: dict[str, Any],
    db_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    # A shop a folder of one host: the sync's state and the export's checkpoint recorded the
    # host alone, so the second shop's sync was taken for a later run of the first's, stored
    # none of its orders but those sharing an invoice number, over the first shop's rows.
    def shop(folder: str, port: str = "") -> dict[str, Any]:
        return {**client_kwargs, "legacy_url": f"https://gw.test{port}/{folder}"}

    first = [order(n) for n in range(1, 4)]
    second = [order(n, b',"shop":"b"') for n in range(1, 4)]
    out = tmp_path / "o.jsonl"
    with respx.mock:
        for where, orders in (("/shop-a", first), ("/shop-b", second), (":8443/shop-a", first)):
            find = f"https://gw.test{where}/api/json/manage_orders/find"
            respx.post(find).mock(side_effect=_answer_of(orders))
        async with omsclient.AsyncClient(**shop("shop-a")) as oms:
            assert (await sync_orders(oms, db_url, windows=1)).new == 3
            with pytest.raises(_Stop):
                await export_orders(oms, out, windows=1, progress=_stop)
        async with omsclient.AsyncClient(**shop("shop-b")) as oms:
            with pytest.raises(DatabaseUrlError, match=r"synced from gw\.test/shop-a \(or"):
                await sync_orders(oms, db_url, windows=1)
            with pytest.raises(CheckpointError, match=r"gw\.test/shop-a"):
                await export_orders(oms, out, windows=1, resume=True)
        # The first shop on another port is the first shop still.
        async with omsclient.AsyncClient(**shop("shop-a", ":8443")) as oms:
            assert not (await sync_orders(oms, db_url, windows=1)).full
    assert "shop" not in stored(db_url)["INV1"]


async def test_an_order_holding_bytes_that_are_no_utf_8_is_named(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    # One Latin-1 byte among 90 orders stops every run at its page, as documented; the error
    # named a byte of the page only, so the order to mend was a search through 12 KB by hand.
    orders = [order(n, b',"job_name":"job %d"' % n) for n in range(1, 91)]
    orders[60] = orders[60].replace(b'"job 61"', b'"caf\xe9 61"')
    with pytest.raises(omsclient.DecodeError) as synced:
        await _sync(oms, db_url, orders)
    orders[60] = order(61, b',"caf\xe9":1')  # in a key: its object is named
    with pytest.raises(omsclient.DecodeError) as exported:
        await _export(oms, tmp_path / "o.jsonl", orders)
    assert "(JSON is UTF-8), in $.orders[60].job_name of the order with order_id 'INV61'," in str(
        synced.value
    )
    assert "in $.orders[60][a key] of the order with order_id 'INV61'" in str(exported.value)
    assert synced.value.transient is False


# -- 3. SQLite: a change of type is a change ----------------------------------------------------


async def test_a_change_of_type_or_of_a_big_integer_is_stored(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    await _sync(oms, db_url, [order(1, b',"is_priority":1,"qty":' + BIG + b"1")])
    summary = await _sync(oms, db_url, [order(1, b',"is_priority":true,"qty":' + BIG + b"2")])
    assert (summary.updated, summary.unchanged) == (1, 0)
    data = stored(db_url)["INV1"]
    assert data["is_priority"] is True
    column = "data::text" if db_url.startswith("postgres") else "data"
    [(text,)] = query(db_url, f"SELECT {column} FROM orders")
    assert (BIG + b"2").decode() in text


@pytest.mark.parametrize(
    ("before", "after", "changed"),
    [
        (b"2.5000000000000001", b"2.5", True),  # one double, two numbers
        (b"2.50", b"2.5", False),
        (b"1", b"1.0", False),
        (b"100", b"100.0", False),  # 1E+2 once normalized, where the integer is 100
        (b"1e400", b"1e400", False),  # no double holds it, nor any change
        (b"1e400", b"2e400", True),
    ],
)
async def test_a_number_changes_as_jsonb_sees_it_in_both_databases(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
    before: bytes,
    after: bytes,
    changed: bool,
) -> None:
    await _sync(oms, db_url, [order(1, b',"rate":' + before)])
    summary = await _sync(oms, db_url, [order(1, b',"rate":' + after)])
    assert (summary.updated, summary.unchanged) == ((1, 0) if changed else (0, 1))


async def test_sqlite_counts_formatting_alone_as_unchanged(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    await _sync(oms, url, [order(1, b',"a":1.50,"b":"\\u00e9"')])
    summary = await _sync(oms, url, [order(1, b', "b":"\xc3\xa9", "a":1.5')])
    assert (summary.updated, summary.unchanged) == (0, 1)


# -- 4. Parquet: pyarrow's errors and PHP's empty objects ---------------------------------------


@pytest.mark.parametrize(
    ("extras", "expected"),
    [
        ((b',"meta":{}', b',"meta":{}'), [None, None]),
        ((b',"billing":[]', b',"billing":{"email":"a@b"}'), [None, {"email": "a@b"}]),
    ],
)
async def test_parquet_writes_empty_objects_as_null(
    oms: omsclient.AsyncClient, tmp_path: Path, extras: tuple[bytes, bytes], expected: list[Any]
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "o.parquet"
    await _export(oms, out, [order(1, extras[0]), order(2, extras[1])])
    field = extras[0].split(b'"')[1].decode()
    assert [row[field] for row in pq.read_table(out).to_pylist()] == expected


async def test_parquet_turns_an_overflow_into_an_export_error(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    pytest.importorskip("pyarrow")
    sent = [order(1, b',"u":18446744073709551615'), order(2, b',"u":-1')]
    with pytest.raises(ExportError, match="field 'u'"):
        await _export(oms, tmp_path / "o.parquet", sent)


_KEY = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("field", "values", "secret"),
    [
        # A login key, asked for in the file (LIVE-SERVER.md).
        (
            "source_file_url",
            (
                b"false",
                b'"https://shop.example.com/files/proof.pdf?user[id]=2143423&key=%b"'
                % _KEY.encode(),
            ),
            _KEY,
        ),
        # The client's password, echoed in a value or as a key: quoted whole.
        ("note", (b"1", b'"%b"' % PASSWORD.encode()), PASSWORD),
        (PASSWORD, (b"1", b'"x"'), PASSWORD),
    ],
)
async def test_a_parquet_error_never_quotes_a_secret(
    oms: omsclient.AsyncClient, tmp_path: Path, field: str, values: tuple[bytes, bytes], secret: str
) -> None:
    pytest.importorskip("pyarrow")
    # pyarrow quotes the value it failed on.
    sent = [order(n, b',"%b":%b' % (field.encode(), value)) for n, value in enumerate(values, 1)]
    with respx.mock:
        respx.post(FIND).mock(side_effect=_answer_of(sent))
        with pytest.raises(ExportError, match="cannot write Parquet: field") as caught:
            await export_orders(oms, tmp_path / "o.parquet", windows=1, include_login_tokens=True)
    assert secret not in str(caught.value)
    assert "[REDACTED]" in str(caught.value)


@pytest.mark.parametrize("pretty", [False, True], ids=["compact", "pretty"])
async def test_login_keys_a_server_sends_though_asked_not_to_are_never_stored(
    oms: omsclient.AsyncClient, tmp_path: Path, pretty: bool
) -> None:
    # skip_login_token=1 is only a request: a server ignoring it had every document link's key
    # written into the export file and the database (LIVE-SERVER.md: never, unless asked).
    links = (
        b',"quote_pdf_url":"https://shop.example.com/q/1?user[id]=700001&key=%b",'
        b'"production_pdf_url":"https:\\/\\/shop.example.com\\/p\\/1?user[id]=700001\\u0026key=%b",'
        b'"note":"track at t.example/t?id=9&key=Z8K2QX; lockbox?key=4821, monkey=banana"'
        % (_KEY.encode(), _KEY.encode())
    )
    sent = [order(1, links), order(2)]
    out = tmp_path / "o.jsonl"
    await _export(oms, out, sent, pretty=pretty)
    written = out.read_bytes()
    assert _KEY.encode() not in written
    assert written == (
        order(1, links.replace(_KEY.encode(), b"[REDACTED]")) + b"\n" + order(2) + b"\n"
    )
    await _sync(oms, f"sqlite:///{tmp_path}/o.db", sent)
    with contextlib.closing(sqlite3.connect(tmp_path / "o.db")) as db, db:
        stored = [data for (data,) in db.execute("SELECT data FROM orders ORDER BY order_id")]
    assert stored == [
        order(1, links.replace(_KEY.encode(), b"[REDACTED]")).decode(),
        order(2).decode(),
    ]
    # Asked for, the keys are the server's.
    with respx.mock:
        route = respx.post(FIND).mock(side_effect=_answer_of(sent))
        await export_orders(oms, out, windows=1, include_login_tokens=True)
    assert "skip_login_token" not in form_of(route.calls.last.request)
    assert out.read_bytes() == sent[0] + b"\n" + sent[1] + b"\n"


async def test_a_login_key_is_redacted_in_each_order_wherever_its_links_are(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # The page's first order with a PDF link decided for the whole page: keyless PDF links (a
    # CDN's) left every key of its lines' file links, and of every other order, in the file
    # and the database. Other text with a key= in it is the customer's.
    keyed = b"https://shop.example.com/f/1?user[id]=700001&key=%b" % _KEY.encode()
    first = order(
        1,
        b',"quote_pdf_url":"https://cdn.example.com/q/1.pdf",'
        b'"order_lines":[{"processes":[{"source_file_url":"%b"}]}],'
        b'"note":"lockbox?key=4821, monkey=banana"' % keyed,
    )
    second = order(2, b',"quote_pdf_url":"%b","note":"pasted %b"' % (keyed, keyed))
    sent = [first, second]
    redacted = [row.replace(_KEY.encode(), b"[REDACTED]") for row in sent]
    out = tmp_path / "o.jsonl"
    await _export(oms, out, sent)
    assert out.read_bytes() == redacted[0] + b"\n" + redacted[1] + b"\n"
    assert b"lockbox?key=4821, monkey=banana" in redacted[0]
    await _sync(oms, f"sqlite:///{tmp_path}/o.db", sent)
    with contextlib.closing(sqlite3.connect(tmp_path / "o.db")) as db, db:
        stored = [data for (data,) in db.execute("SELECT data FROM orders ORDER BY order_id")]
    assert stored == [row.decode() for row in redacted]


async def _written_as(
    oms: omsclient.AsyncClient, tmp_path: Path, sent: list[bytes], expected: bytes
) -> None:
    """Export and sync ``sent``: the file's line and the database's row are ``expected``."""
    out = tmp_path / "o.jsonl"
    await _export(oms, out, sent)
    assert out.read_bytes() == expected + b"\n"
    await _sync(oms, f"sqlite:///{tmp_path}/o.db", sent)
    with contextlib.closing(sqlite3.connect(tmp_path / "o.db")) as db, db:
        assert [data for (data,) in db.execute("SELECT data FROM orders")] == [expected.decode()]


@pytest.mark.parametrize(
    "link",
    [
        # Inside another link's query, URL-encoded once, then twice.
        "https://x.test/login?next=%2Fd.pdf%3Fuser%5Bid%5D%3D700001%26key%3D{key}",
        "https://x.test/a?to=https%253A%252F%252Fx.test%252Fd%253Fuser%255Bid%255D%253D7%2526key%253D{key}",
        # The parameters the other way round.
        "https://x.test/d.pdf?key={key}&user[id]=700001",
        "https://x.test/d.pdf?key={key}\\u0026user[id]=700001",
        # The "&" or the "=" HTML-escaped with a number or a name.
        "https://x.test/d.pdf?user[id]=700001&#38;key={key}",
        "https://x.test/d.pdf?user[id]=700001&#x26;key={key}",
        "https://x.test/d.pdf?user[id]=700001&amp;key&equals;{key}",
    ],
)
async def test_a_login_key_in_a_link_written_another_way_is_redacted_too(
    oms: omsclient.AsyncClient, tmp_path: Path, link: str
) -> None:
    # Only "?user[id]=N&key=<hex>" was found, its "&" raw, JSON-escaped or "&amp;": the same
    # link nested in another's query, its parameters swapped or its "&" written "&#38;" had
    # its key written into the export file and the database.
    keyed = link.format(key=_KEY).encode()
    # A "key=" that is no login key's is the customer's: no user id beside it.
    theirs = b"lockbox?key=%b, monkey=%b&user[id]=7" % (_KEY.encode(), _KEY.encode())
    sent = [order(1, b',"quote_pdf_url":"%b","note":"%b"' % (keyed, theirs))]
    expected = order(
        1,
        b',"quote_pdf_url":"%b","note":"%b"'
        % (keyed.replace(_KEY.encode(), b"[REDACTED]"), theirs),
    )
    await _written_as(oms, tmp_path, sent, expected)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
async def test_a_login_key_behind_a_json_escape_is_redacted_too(
    oms: omsclient.AsyncClient, tmp_path: Path, fmt: str
) -> None:
    # The key's pattern read the order's bytes: a "\u003d" for "=", or "\u005b" for "[", hid
    # the key from it, and the CSV writer (as any reader of the file) decoded it back into a
    # plain ?user[id]=...&key=<hex> link.
    hidden = order(
        1,
        b',"doc":"https://x.test/d.pdf?user\\u005bid\\u005d=700001&key=%b",'
        b'"pdf":"https://x.test/p.pdf?user[id]=700001&key\\u003d%b","who":"caf\\u00e9"'
        % (_KEY.encode(), _KEY.encode()),
    )
    plain = order(2, b',"doc":"https://x.test/d.pdf?user[id]=700001&key=%b"' % _KEY.encode())
    # An escape of another ASCII character alone leaves the order as it came.
    untouched = order(3, b',"note":"\\u003cb\\u003e","who":"caf\\u00e9"')
    out = tmp_path / f"o.{fmt}"
    await _export(oms, out, [hidden, plain, untouched])
    written = out.read_text()
    assert _KEY not in written
    assert written.count("key=[REDACTED]") == 3
    if fmt == "jsonl":
        lines = out.read_bytes().splitlines()
        assert lines[1:] == [plain.replace(_KEY.encode(), b"[REDACTED]"), untouched]
    await _sync(oms, f"sqlite:///{tmp_path}/o.db", [hidden, plain, untouched])
    with contextlib.closing(sqlite3.connect(tmp_path / "o.db")) as db, db:
        stored = " ".join(data for (data,) in db.execute("SELECT data FROM orders"))
    assert _KEY not in stored
    assert stored.count("key=[REDACTED]") == 3


def _indexed_answer_of(orders: list[bytes]) -> Any:
    """Like ``_answer_of``, each page's orders as PHP writes an array some rows were filtered
    out of: an object of their indexes (``{"0": ..., "2": ...}``)."""

    def answer(request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        offset, limit = int(form.get("offset", "0")), int(form.get("limit", "100"))
        page = orders[offset : offset + limit]
        rows = b",".join(b'"%d":%b' % (2 * i, row) for i, row in enumerate(page))
        body = (
            b'{"response_status":{"code":10001,"severity":"SUCCESS"},"total":%d,"orders":{%b}}'
            % (
                len(orders),
                rows,
            )
        )
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return answer


@pytest.mark.parametrize("split", [True, False], ids=["split", "read-the-usual-way"])
async def test_orders_sent_as_an_object_of_indexes_are_written_as_sent_their_keys_redacted(
    oms: omsclient.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split: bool
) -> None:
    # The split took only an array: such a page went the usual way, which left the object as
    # it was, so its orders reached the file, the database and scan(raw="sent") as dicts, every
    # login key a server sent though asked not to with them, and 12.50 written 12.5.
    if not split:  # a page the split refuses (JSON nested too deep for msgspec, say)
        monkeypatch.setattr("omsclient.legacy._envelope.read_sent", lambda *_: None)
    links = b',"quote_pdf_url":"https://shop.example.com/q/1?user[id]=700001&key=%b"' % (
        _KEY.encode()
    )
    sent = [order(1, links + b',"item_amount":12.50'), order(2, links), order(3)]
    redacted = [row.replace(_KEY.encode(), b"[REDACTED]") for row in sent]
    out = tmp_path / "o.jsonl"
    with respx.mock:
        respx.post(FIND).mock(side_effect=_indexed_answer_of(sent))
        await export_orders(oms, out, windows=1)
        scanned = [o async for o in oms.legacy.orders.scan(raw="sent")]
        await sync_orders(oms, f"sqlite:///{tmp_path}/o.db", windows=1)
    with contextlib.closing(sqlite3.connect(tmp_path / "o.db")) as db, db:
        stored = [data for (data,) in db.execute("SELECT data FROM orders ORDER BY order_id")]
    lines = out.read_bytes().splitlines()
    assert [type(o).__name__ for o in scanned] == ["SentOrder"] * 3
    for written in (lines, [o.json for o in scanned], [row.encode() for row in stored]):
        if split:
            assert written == redacted
        else:  # written out again from what was read: the same JSON
            assert [json.loads(row) for row in written] == [json.loads(r) for r in redacted]


def test_a_pretty_order_with_a_lone_surrogate_is_compacted_in_linear_time() -> None:
    # Compacted by a regular expression, a string of megabytes took seconds.
    text = b'x \\" y ' * 400_000
    line = b'{\n  "a": 1,\n  "s": "%b\\ud83d",\n  "b": [ 1, 2 ]\n}' % text
    started = time.process_time()
    (_, (sent,)) = read_sent(b'{"total": 1, "orders": [%b]}' % line)  # type: ignore[misc]
    assert sent.json == b'{"a":1,"s":"%b\\ud83d","b":[1,2]}' % text
    assert time.process_time() - started < 2.0  # a quadratic or per-character pass takes far more


def _staged(path: Path, rows: list[bytes]) -> Path:
    path.write_bytes(b"".join(row + b"\n" for row in rows))
    return path


def _untidied(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The calls of the pass that tidies every row in Python (see ``_parquet._tidied``)."""
    from omsclient.export import _parquet

    calls: list[object] = []
    real = _parquet._tidied

    def tidied(*args: Any) -> Any:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(_parquet, "_tidied", tidied)
    return calls


def _price(n: int) -> bytes:
    # Cents mostly, whole prices of more digits than the cents' (10 beside 9.99), a long one.
    return [b"9.99", b"10", b"0.5", b"12345678", b"-7"][n % 5]


def test_parquet_takes_whole_prices_into_a_decimal_column_without_tidying_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyarrow took such a column's precision from its decimals and refused the price 10 beside
    # 9.99: every row was then rewritten in Python, which made a product export's conversion
    # four times as long as one with doubles.
    pq = pytest.importorskip("pyarrow.parquet")
    from omsclient.export._parquet import jsonl_to_parquet

    # Two chunks of 1,000: "whole" holds only integers in the first, a decimal in the second.
    rows = [
        b'{"id":%d,"price":%b,"skus":[{"price":%b},{"price":%b}],"whole":%b}'
        % (n, _price(n), _price(n + 1), _price(n + 2), b"2.5" if n == 1500 else b"%d" % n)
        for n in range(2000)
    ]
    calls = _untidied(monkeypatch)
    out = tmp_path / "p.parquet"
    assert jsonl_to_parquet(_staged(tmp_path / "p.jsonl", rows), out) == 2000
    assert calls == []
    table = pq.read_table(out)
    assert str(table.schema.field("price").type) == "decimal128(10, 2)"
    assert str(table.schema.field("whole").type) == "decimal128(5, 1)"
    got = table.to_pylist()
    assert [r["price"] for r in got] == [Decimal(_price(n).decode()) for n in range(2000)]
    assert [[s["price"] for s in r["skus"]] for r in got] == [
        [Decimal(_price(n + 1).decode()), Decimal(_price(n + 2).decode())] for n in range(2000)
    ]
    assert [r["whole"] for r in got] == [Decimal("2.5") if n == 1500 else n for n in range(2000)]


@pytest.mark.parametrize(
    ("long", "type"),
    [
        # 39 digits: past decimal128's 38 and Python's 28-digit context
        (-(10**39) + 1, "decimal256(41, 2)"),
        # 36 digits and 2 after the point: as many as decimal128 holds
        (10**36 - 1, "decimal128(38, 2)"),
    ],
)
def test_parquet_fits_a_decimal_column_to_integers_past_28_and_38_digits(
    tmp_path: Path, long: int, type: str
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    from omsclient.export._parquet import jsonl_to_parquet

    rows = [b'{"n":1.5}', b'{"n":%d}' % long, b'{"n":0.25}']
    out = tmp_path / "p.parquet"
    jsonl_to_parquet(_staged(tmp_path / "p.jsonl", rows), out)
    table = pq.read_table(out)
    assert str(table.schema.field("n").type) == type
    assert table.column("n").to_pylist() == [Decimal("1.5"), long, Decimal("0.25")]


def test_parquet_holds_an_integer_beyond_64_bits_in_a_chunk_before_the_decimals(
    tmp_path: Path,
) -> None:
    # The first chunk's column is integers, one no Parquet integer holds; the second's
    # decimals make the column a decimal, which holds it.
    pq = pytest.importorskip("pyarrow.parquet")
    from omsclient.export._parquet import jsonl_to_parquet

    rows = [b'{"w":%d}' % (2**70 if n == 0 else n) for n in range(1000)] + [b'{"w":1.5}']
    out = tmp_path / "p.parquet"
    jsonl_to_parquet(_staged(tmp_path / "p.jsonl", rows), out)
    held = pq.read_table(out).column("w").to_pylist()
    assert (held[0], held[1], held[-1]) == (2**70, 1, Decimal("1.5"))


def _read_by_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """Has a Parquet conversion read its rows again its own way, as it does when pyarrow's JSON
    reader refuses one."""
    from omsclient.export import _parquet

    def refused(schema: Any) -> Any:
        raise _parquet._ReadOtherwise

    monkeypatch.setattr(_parquet, "_read_by_arrow", lambda *args: refused)


@pytest.mark.parametrize("reading", ["pyarrow", "python"])
def test_parquet_cuts_a_chunk_before_its_text_outgrows_one_arrow_array(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reading: str
) -> None:
    # Past 2 GiB of text in one column pyarrow hands back pieces, which no row group takes:
    # a chunk ends before its JSON lines pass CHUNK_BYTES (here 100: two 40-byte rows); a block
    # pyarrow's reader reads holds CHUNK_BYTES and the rest of the row the last one cut.
    pq = pytest.importorskip("pyarrow.parquet")
    from omsclient.export import _parquet

    if reading == "python":
        _read_by_python(monkeypatch)
    monkeypatch.setattr(_parquet, "CHUNK_BYTES", 100, raising=False)
    monkeypatch.setattr(_parquet, "ROW_GROUP_BYTES", 1, raising=False)  # a row group a chunk
    rows = [b'{"n":%d,"note":"%s"}' % (n, b"x" * 22) for n in range(5)]
    assert {len(row) + 1 for row in rows} == {40}  # with its newline
    out = tmp_path / "p.parquet"
    assert _parquet.jsonl_to_parquet(_staged(tmp_path / "p.jsonl", rows), out) == 5
    held = pq.ParquetFile(out)
    sizes = [held.metadata.row_group(i).num_rows for i in range(held.num_row_groups)]
    assert sizes == ([2, 2, 1] if reading == "python" else [2, 3])
    assert held.read().column("n").to_pylist() == [0, 1, 2, 3, 4]


def test_parquet_gathers_chunks_into_row_groups_of_tens_of_megabytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each 1,000-row chunk was a row group, whose metadata the writer holds until the file is
    # closed (about 0.4 MB each for the sandbox's orders): memory grew with the export, 0.4 GB
    # more for a million orders. Chunks are gathered until they hold ROW_GROUP_BYTES of Arrow
    # data (here a few chunks' worth).
    pq = pytest.importorskip("pyarrow.parquet")
    from omsclient.export import _parquet

    _read_by_python(monkeypatch)
    rows = [b'{"n":%d,"note":"%s"}' % (n, b"x" * 100) for n in range(4500)]
    out = tmp_path / "p.parquet"
    assert _parquet.jsonl_to_parquet(_staged(tmp_path / "p.jsonl", rows), out) == 4500
    held = pq.ParquetFile(out)
    assert [held.metadata.row_group(i).num_rows for i in range(held.num_row_groups)] == [4500]
    monkeypatch.setattr(_parquet, "ROW_GROUP_BYTES", 250_000, raising=False)
    _parquet.jsonl_to_parquet(_staged(tmp_path / "q.jsonl", rows), tmp_path / "q.parquet")
    held = pq.ParquetFile(tmp_path / "q.parquet")
    sizes = [held.metadata.row_group(i).num_rows for i in range(held.num_row_groups)]
    assert sizes == [3000, 1500]  # 112 KB of Arrow data a chunk: a group at the third
    assert held.read().column("n").to_pylist() == list(range(4500))


def test_parquet_gathers_the_batches_pyarrow_reads_into_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyarrow's reader hands back a batch a block (here about 1,000 of these rows); batches are
    # gathered into row groups as chunks are.
    pq = pytest.importorskip("pyarrow.parquet")
    from omsclient.export import _parquet

    rows = [b'{"n":%d,"note":"%s"}' % (n, b"x" * 100) for n in range(4500)]
    monkeypatch.setattr(_parquet, "ARROW_BLOCK_BYTES", 120_000, raising=False)
    monkeypatch.setattr(_parquet, "ROW_GROUP_BYTES", 250_000, raising=False)
    out = tmp_path / "p.parquet"
    assert _parquet.jsonl_to_parquet(_staged(tmp_path / "p.jsonl", rows), out) == 4500
    held = pq.ParquetFile(out)
    sizes = [held.metadata.row_group(i).num_rows for i in range(held.num_row_groups)]
    assert len(sizes) == 2, sizes
    assert sizes[0] > 2000, sizes
    assert held.read().column("n").to_pylist() == list(range(4500))


# Rows pyarrow's JSON reader and the conversion's own reading must read alike: numbers of every
# writing beside each other, escapes, nesting, keys some rows lack; and the spec's sample order.
_READ_ALIKE = [
    b'{"n":1,"p":9.99,"q":-0.0,"big":12345678901234567.89,"e":1.5e3,"s":"caf\\u00e9 \\/ \\"q\\"",'
    b'"l":[{"x":1.50},{"x":2}],"o":{"k":"v","m":null},"t":true,"z":"a\\u0000b"}',
    b'{"n":9223372036854775807,"p":10,"q":0.125,"big":1,"e":2,"s":"\\ud83d\\ude00",'
    b'"l":null,"o":{"k":"w"},"t":false,"late":"x"}',
    b'{ "n" : -3 , "p" : null , "l" : [ ] , "o" : { "k" : "" , "m" : 7 } }',
    (Path(__file__).parent / "data" / "sample_order.json").read_bytes().replace(b"\n", b""),
]


def test_parquet_read_by_pyarrow_is_the_file_read_by_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The second pass reads the rows with pyarrow's JSON reader, given the schema the first
    # found: the file must be the one the conversion's own reading writes, value for value.
    pq = pytest.importorskip("pyarrow.parquet")
    pj = pytest.importorskip("pyarrow.json")
    from omsclient.export import _parquet

    opened: list[object] = []
    read_json = pj.read_json
    monkeypatch.setattr(pj, "read_json", lambda *a, **k: opened.append(a) or read_json(*a, **k))
    rows = _READ_ALIKE * 3
    fast = tmp_path / "fast.parquet"
    assert _parquet.jsonl_to_parquet(_staged(tmp_path / "f.jsonl", rows), fast) == len(rows)
    assert len(opened) == 1  # read by pyarrow, not handed back
    _read_by_python(monkeypatch)
    own = tmp_path / "own.parquet"
    assert _parquet.jsonl_to_parquet(_staged(tmp_path / "o.jsonl", rows), own) == len(rows)
    assert pq.read_schema(fast).equals(pq.read_schema(own), check_metadata=True)
    assert pq.read_table(fast).to_pylist() == pq.read_table(own).to_pylist()
    assert pq.read_table(fast).column("z").to_pylist()[:2] == ["a\x00b", None]


async def test_parquet_read_by_pyarrow_is_the_file_read_by_python_for_the_sandboxs_orders(
    oms_sandbox_factory: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same for every shape the sandbox serves, its quirks on: unknown fields, ids as text
    # and as numbers, dates of several writings.
    pq = pytest.importorskip("pyarrow.parquet")
    pj = pytest.importorskip("pyarrow.json")
    from omsclient.export import _parquet
    from omsclient.sandbox import Quirks

    quirks = Quirks(unknown_fields=True, string_ids=True, mixed_dates=True)
    info = oms_sandbox_factory(orders=300, quirks=quirks)
    staged = tmp_path / "orders.jsonl"
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        assert (await export_orders(oms, staged)).exported == 300
    opened: list[object] = []
    read_json = pj.read_json
    monkeypatch.setattr(pj, "read_json", lambda *a, **k: opened.append(a) or read_json(*a, **k))
    fast = tmp_path / "fast.parquet"
    assert _parquet.jsonl_to_parquet(staged, fast) == 300
    assert len(opened) == 1
    _read_by_python(monkeypatch)
    own = tmp_path / "own.parquet"
    assert _parquet.jsonl_to_parquet(staged, own) == 300
    assert pq.read_schema(fast).equals(pq.read_schema(own), check_metadata=True)
    assert pq.read_table(fast).to_pylist() == pq.read_table(own).to_pylist()


_PEAK_OF_CONVERSION = """
import sys
from pathlib import Path
import pyarrow as pa
from omsclient.export import _parquet
_parquet.ARROW_BLOCK_BYTES = 512 * 1024
_parquet.ROW_GROUP_BYTES = 2 * 1024 * 1024
_parquet.jsonl_to_parquet(Path(sys.argv[1]), Path(sys.argv[1] + ".parquet"))
print(pa.default_memory_pool().max_memory())
"""


def test_parquet_conversion_memory_is_flat_with_the_export(tmp_path: Path) -> None:
    # pyarrow's streaming JSON reader read the whole file ahead of the batches it handed back:
    # the conversion's peak grew with the export (462 MB for 40,000 orders, 352 for 20,000).
    # The lines now go to pyarrow a piece at a time: its peak is that of a piece and a row
    # group, whatever the file's size (here 4 and 32 MB of lines).
    pytest.importorskip("pyarrow.json")
    note = b"x" * 1800
    lines = [b'{"n":%d,"p":%d.5,"note":"%s"}' % (n, n, note) for n in range(16_000)]
    peaks = []
    for count in (2_000, 16_000):
        staged = _staged(tmp_path / f"{count}.jsonl", lines[:count])
        found = subprocess.run(
            [sys.executable, "-c", _PEAK_OF_CONVERSION, str(staged)],
            capture_output=True,
            text=True,
            check=True,
        )
        peaks.append(int(found.stdout.split()[-1]))
    small, large = peaks
    assert large < small * 1.5 + 4 * 2**20, peaks


def test_parquet_lines_go_to_pyarrow_in_pieces_of_whole_lines(tmp_path: Path) -> None:
    # Each piece ends at a line's end (pyarrow reads no row cut in two), a line longer than a
    # piece is read on to its end, and together the pieces are the file.
    from omsclient.export._parquet import _lines_in_pieces

    pick = random.Random(5)
    for trial in range(300):
        lines = [b"x" * pick.randrange(0, 50) for _ in range(pick.randrange(0, 20))]
        data = b"\n".join(lines) + (b"\n" if pick.random() < 0.7 else b"")
        path = tmp_path / f"{trial}.jsonl"
        path.write_bytes(data)
        pieces = list(_lines_in_pieces(path, pick.randrange(1, 40)))
        assert b"".join(pieces) == data
        assert all(piece.endswith(b"\n") for piece in pieces[:-1])
        assert all(pieces)


def test_parquet_rows_pyarrow_refuses_are_read_by_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyarrow's reader refuses a key twice in an object, which the conversion's own reading
    # takes (the last one): the second pass starts again its own way, and the file is whole.
    pq = pytest.importorskip("pyarrow.parquet")
    from omsclient.export import _parquet

    rows = [b'{"n":%d,"s":"a"}' % n for n in range(5)] + [b'{"n":5,"s":"first","s":"last"}']
    out = tmp_path / "p.parquet"
    read: list[int] = []
    staged = _staged(tmp_path / "p.jsonl", rows)
    assert _parquet.jsonl_to_parquet(staged, out, counted=read.append) == 6
    # Two passes over the rows, the schema's kept: not read a third time for it.
    assert sum(read) == 12
    assert pq.read_table(out).to_pylist()[-1] == {"n": 5, "s": "last"}
    assert pq.read_table(out).column("n").to_pylist() == list(range(6))


def test_parquet_writes_a_key_holding_a_lone_surrogate_as_its_escape(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    from omsclient.export._parquet import jsonl_to_parquet

    rows = [
        b'{"order_id":"INV1","note\\ud800":"x","n\\u0000":1,"text":"a\\u0000b"}',
        b'{"order_id":"INV2","text":"a\\u0000b"}',
    ]
    out = tmp_path / "p.parquet"
    assert jsonl_to_parquet(_staged(tmp_path / "p.jsonl", rows), out) == 2
    # Six characters, as in the values: a Parquet name is UTF-8 too. UTF-8 holds a NUL: it is
    # kept, whatever else the row holds.
    assert pq.read_table(out).to_pylist() == [
        {"order_id": "INV1", "note\\ud800": "x", "n\x00": 1, "text": "a\x00b"},
        {"order_id": "INV2", "note\\ud800": None, "n\x00": None, "text": "a\x00b"},
    ]


def test_parquet_is_written_zstd_compressed(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    from omsclient.export._parquet import jsonl_to_parquet

    rows = [b'{"order_id":"INV%d","total":1.50,"lines":[{"qty":2}]}' % n for n in range(3)]
    out = tmp_path / "p.parquet"
    jsonl_to_parquet(_staged(tmp_path / "p.jsonl", rows), out)
    group = pq.ParquetFile(out).metadata.row_group(0)
    assert {group.column(i).compression for i in range(group.num_columns)} == {"ZSTD"}


def test_parquet_names_the_field_it_cannot_write_beside_whole_prices(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    from omsclient.export._parquet import jsonl_to_parquet

    rows = [b'{"price":9.99,"code":1}', b'{"price":10,"code":"A"}']
    with pytest.raises(ExportError, match="field 'code'"):
        jsonl_to_parquet(_staged(tmp_path / "p.jsonl", rows), tmp_path / "p.parquet")


def _parquet_rows(tmp_path: Path, rows: list[bytes]) -> list[dict[str, Any]]:
    pq = pytest.importorskip("pyarrow.parquet")
    from omsclient.export._parquet import jsonl_to_parquet

    out = tmp_path / "p.parquet"
    jsonl_to_parquet(_staged(tmp_path / "p.jsonl", rows), out)
    return pq.read_table(out).to_pylist()  # type: ignore[no-any-return]


def test_parquet_reads_an_object_of_indexes_as_the_array_its_column_holds(
    tmp_path: Path,
) -> None:
    # A column of arrays in some rows and PHP's objects of indexes in others stopped the
    # conversion ("cannot mix list and non-list"). Such an object is the array, in the order
    # sent, nested ones too; [] stays an empty array beside them.
    rows = _parquet_rows(
        tmp_path,
        [
            b'{"id":1,"lines":[{"n":1,"tags":["a"],"price":1.5}]}',
            b'{"id":2,"lines":{"2":{"n":3,"tags":{"1":"c"},"price":2},"0":{"n":2,"tags":[]}}}',
            b'{"id":3,"lines":[]}',
            b'{"id":4,"lines":[{"n":4,"tags":{"5":"d","7":"e"}}]}',
        ],
    )
    assert [[line["n"] for line in row["lines"]] for row in rows] == [[1], [3, 2], [], [4]]
    assert [[line["tags"] for line in row["lines"]] for row in rows] == [
        [["a"]],
        [["c"], []],
        [],
        [["d", "e"]],
    ]
    assert [line["price"] for line in rows[1]["lines"]] == [Decimal("2"), None]


def test_parquet_keeps_an_object_of_indexes_an_object_where_its_column_holds_no_array(
    tmp_path: Path,
) -> None:
    # Only the arrays of other rows make such an object an array: a field that is an object of
    # ids everywhere, or one with a key that is no index, keeps its keys.
    rows = _parquet_rows(
        tmp_path,
        [
            b'{"id":1,"by_id":{"12":{"q":1}},"opts":{"1":"x","a":"y"}}',
            b'{"id":2,"by_id":[],"opts":{}}',
        ],
    )
    assert [row["by_id"] for row in rows] == [{"12": {"q": 1}}, None]
    # {} beside objects with keys is such an object, its fields null, as before.
    assert [row["opts"] for row in rows] == [{"1": "x", "a": "y"}, {"1": None, "a": None}]


def test_parquet_names_a_field_whose_type_varies_between_rows(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    from omsclient.export._parquet import jsonl_to_parquet

    rows = [b'{"product_id":1,"code":1}', b'{"product_id":2,"code":"A"}']
    with pytest.raises(ExportError, match="whose type varies between rows,"):
        jsonl_to_parquet(_staged(tmp_path / "p.jsonl", rows), tmp_path / "p.parquet")


# -- 5. PostgreSQL: NUL characters --------------------------------------------------------------


async def test_a_nul_character_neither_blocks_the_sync_nor_differs_between_databases(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    sent = [order(1, b',"note":"a\\u0000b","job_name":"x\\u0000y"'), order(2)]
    summary = await _sync(oms, db_url, sent)
    assert summary.new == 2
    # The text column holds the NUL as jsonb does: the six characters \u0000.
    assert query(db_url, "SELECT job_name FROM orders WHERE order_id = 'INV1'") == [("x\\u0000y",)]
    note = stored(db_url)["INV1"]["note"]
    # SQLite keeps the JSON as sent; jsonb holds the six characters \u0000 for the NUL.
    assert note == ("a\\u0000b" if db_url.startswith("postgres") else "a\x00b")
    again = await _sync(oms, db_url, sent)
    assert (again.updated, again.unchanged) == (0, 2)


@pytest.mark.parametrize(
    ("order_id", "key"),
    [
        (b"1234", "1234"),
        (b"123456789012345678901234567890", "123456789012345678901234567890"),
        (b'"INV\\u00001"', "INV\\u00001"),
    ],
    ids=["number", "beyond-64-bits", "nul"],
)
async def test_an_order_id_is_its_text_as_the_model_reads_it(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
    order_id: bytes,
    key: str,
) -> None:
    # A numeric id looked up as an int found nothing in SQLite's text column (new again on
    # every run), or overflowed; a NUL made PostgreSQL refuse the batch on every run.
    sent = [
        b'{"order_id":%b,"date_ordered":"2025-03-26T14:35:00Z",' % order_id
        + b'"date_modified":"2025-03-27T10:00:00","order_status":1}'
    ]
    first = await _sync(oms, db_url, sent)
    assert first.new == 1
    assert query(db_url, "SELECT order_id FROM orders") == [(key,)]
    again = await _sync(oms, db_url, sent)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)


def test_a_number_past_a_doubles_range_in_a_saved_state_reads_back_as_written() -> None:
    # A checkpoint or a sync state holds values as sent: 1e400 read back as an infinity would
    # be written out as null (orjson's infinity) the next time it is saved.
    saved = b'{"ids":[1e400,-1E+400,1.5,12345678901234567890]}'
    assert dumps_exact(loads_exact(saved)) == b'{"ids":[1E+400,-1E+400,1.5,12345678901234567890]}'


async def test_an_order_holding_a_number_past_a_double_is_synced_and_read_raw(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # orjson refuses 1e400: the watermark's raw read failed the whole sync, on every run while
    # that order was among the changes, where the scan stores it with its column NULL.
    sent = [order(1, b',"billable_amount":1e400')]
    summary = await _sync(oms, db_url, sent)
    assert summary.new == 1
    assert query(db_url, "SELECT billable_amount FROM orders") == [(None,)]
    with respx.mock:
        respx.post(FIND).mock(side_effect=_answer_of(sent))
        every = Condition(OrderField.DATE_ORDERED, Op.GE, date1="2000-01-01")
        [row] = [o async for o in oms.legacy.orders.iterate_raw(every)]
    assert row["billable_amount"] == float("inf")


# -- 6. the password is never printed -----------------------------------------------------------


@pytest.mark.parametrize("char", ["/", "?", "#", "["])
def test_an_unencoded_character_in_the_password_is_never_printed(
    char: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://etl:my{char}Secret9@db.example.com/shop"
    with pytest.raises(DatabaseUrlError) as caught:
        parse_database_url(url)
    assert "Secret9" not in str(caught.value)
    assert "'my'" not in str(caught.value)
    assert "etl:***@db.example.com/shop" in str(caught.value)
    assert cli.main(sync_argv(url)) == 2
    printed = capsys.readouterr()
    assert "Secret9" not in printed.out + printed.err
    assert "Traceback" not in printed.err


def test_a_password_holding_an_unencoded_at_sign_is_refused_before_connecting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # libpq ends the user's part at the first "@": "SecretPart@127.0.0.1" would be the host
    # name, printed in its error and sent to the name resolver.
    url = "postgresql://etl:Top@SecretPart@127.0.0.1:1/shop"
    with pytest.raises(DatabaseUrlError, match="%40 for @") as caught:
        parse_database_url(url)
    assert "SecretPart" not in str(caught.value)
    assert cli.main(sync_argv(url)) == 2
    printed = capsys.readouterr()
    assert "SecretPart" not in printed.out + printed.err
    assert "Top@" not in printed.out + printed.err


# libpq decodes a query's names as well as its values: pass%77ord is password.
@pytest.mark.parametrize(
    "name", ["password", "sslpassword", "PASSWORD", "pass%77ord", "%70%61ssword", "ssl%50assword"]
)
def test_a_password_given_as_a_url_parameter_is_never_printed(name: str) -> None:
    url = (
        f"postgresql://etl@db.example.com/shop?sslmode=require&{name}=S3cret%2Fx&connect_timeout=3"
    )
    shown = parse_database_url(url).display
    assert "S3cret" not in shown
    assert shown == (
        f"postgresql://etl@db.example.com/shop?sslmode=require&{name}=***&connect_timeout=3"
    )


def test_a_sync_summary_never_shows_a_password_given_as_a_url_parameter(
    postgres: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The test server trusts every user, so the sync runs and prints its summary, wide
    # enough for the URL to stand on one line.
    monkeypatch.setenv("COLUMNS", "250")
    url = f"{_fresh_postgres_database(postgres)}?password=TopSecret9Param"
    assert cli.main(sync_argv(url)) == 0
    printed = capsys.readouterr()
    assert "Synced orders" in printed.out
    assert "TopSecret9Param" not in printed.out + printed.err


def test_a_connection_error_never_shows_a_password_given_as_a_url_parameter() -> None:
    from omsclient.dbsync._postgres import PostgresStore

    # Nothing listens on port 1: psycopg's message quotes the connection's parameters only
    # in part, but whatever it quotes, no password is left in it.
    url = "postgresql://etl@127.0.0.1:1/shop?password=TopSecret9Param"
    with pytest.raises(DatabaseUrlError) as caught:
        PostgresStore(url, parse_database_url(url).display, ORDERS)
    assert "TopSecret9Param" not in str(caught.value)
    assert "password=***" in str(caught.value)


@pytest.mark.parametrize(
    "password", ["ab#Secret9", "my Secret9", "sec&Secret9", "a b&c#Secret9", "Tr0 horse=Secret9"]
)
def test_a_url_parameter_password_holding_a_separator_is_never_printed(password: str) -> None:
    from omsclient.dbsync._postgres import PostgresStore

    # libpq takes "ab#Secret9" whole (the sync ran, its summary showing "***#Secret9"), and
    # quotes "Secret9" in its refusal of the others ("unexpected spaces", "invalid URI query
    # parameter"): the hidden value ran to the first "#", space or "&".
    url = f"postgresql://etl@127.0.0.1:1/shop?connect_timeout=3&password={password}"
    shown = parse_database_url(url).display
    assert shown == "postgresql://etl@127.0.0.1:1/shop?connect_timeout=3&password=***"
    with pytest.raises(DatabaseUrlError) as caught:
        PostgresStore(url, shown, ORDERS)
    assert "Secret9" not in str(caught.value)


def test_a_password_quoted_by_psycopgs_refusal_is_never_shown() -> None:
    from omsclient.dbsync._postgres import PostgresStore

    # libpq quotes a user's part it cannot decode: "invalid percent-encoded token: ...".
    url = "postgresql://etl:Top%zzSecret9@127.0.0.1:1/shop"
    with pytest.raises(DatabaseUrlError, match="percent-encoded") as caught:
        PostgresStore(url, parse_database_url(url).display, ORDERS)
    assert "Secret9" not in str(caught.value)


@pytest.mark.parametrize(
    "dsn",
    [
        "host=db.example.com user=etl password=Secret9 dbname=shop",
        "host=db.example.com port=5432 password=Sec:Secret9 dbname=shop",
        "host=db.example.com password='pass Secret9' dbname=shop",
        # libpq's escaped quote: the value runs on to the quote that closes it.
        "host=db.example.com password='it\\'s Secret9' dbname=shop",
    ],
)
def test_a_libpq_connection_string_is_refused_without_its_password(dsn: str) -> None:
    # Given where a URL belongs: "has no scheme", or a colon in it read as one.
    with pytest.raises(DatabaseUrlError, match="has no scheme") as caught:
        parse_database_url(dsn)
    assert "Secret9" not in str(caught.value)
    assert "password=***" in str(caught.value)


@pytest.mark.parametrize("client", [None, "oms"])
def test_a_sync_without_a_client_is_a_validation_error(client: Any, tmp_path: Path) -> None:
    for sync in (sync_orders, sync_products):
        with pytest.raises(omsclient.ValidationError, match="client must be an AsyncClient"):
            sync(client, f"sqlite:///{tmp_path / 'o.db'}")


# -- 7. two first syncs at once on a fresh PostgreSQL database ----------------------------------


def test_two_first_syncs_at_once_both_create_the_tables(postgres: str) -> None:  # noqa: F811
    from omsclient.dbsync._postgres import PostgresStore

    for _ in range(3):
        url = _fresh_postgres_database(postgres)
        barrier = threading.Barrier(4)
        failures: list[BaseException] = []

        def open_store(
            url: str = url,
            barrier: threading.Barrier = barrier,
            found: list[BaseException] = failures,
        ) -> None:
            barrier.wait()
            try:
                PostgresStore(url, url, ORDERS).close()
            except BaseException as exc:  # collected for the assertion
                found.append(exc)

        threads = [threading.Thread(target=open_store) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []


def test_a_schema_error_is_no_url_error(postgres: str) -> None:  # noqa: F811
    import psycopg

    from omsclient.dbsync._postgres import PostgresStore

    url = _fresh_postgres_database(postgres)
    with psycopg.connect(url, autocommit=True) as db:
        # A domain of the table's name: CREATE TABLE fails ("type orders already exists").
        db.execute("CREATE DOMAIN orders AS text")
    with pytest.raises(DatabaseError) as caught:
        PostgresStore(url, url, ORDERS)
    assert not isinstance(caught.value, DatabaseUrlError)
    assert "cannot create the sync tables" in str(caught.value)


@pytest.mark.parametrize(
    ("made", "said"),
    [
        ("CREATE VIEW orders AS SELECT 'a'::text AS order_id", "holds orders as a view"),
        (
            "CREATE TABLE orders (order_id text PRIMARY KEY, date_ordered timestamptz, "
            "data jsonb) PARTITION BY RANGE (order_id)",
            "holds orders as a partitioned table",
        ),
        (
            "CREATE TABLE omsclient_sync_state (query text, kind text, state jsonb, "
            "updated_at timestamptz)",
            "omsclient_sync_state the sync cannot write: query is not unique",
        ),
        (
            "CREATE TABLE omsclient_sync_state (query varchar(10) PRIMARY KEY, kind text, "
            "state jsonb, updated_at timestamptz)",
            "query is character varying(10), not text or varchar",
        ),
        (
            "CREATE TABLE omsclient_sync_state (query text PRIMARY KEY, state jsonb, "
            "updated_at timestamptz)",
            "omsclient_sync_state has no column kind",
        ),
    ],
)
def test_a_table_the_batches_cannot_write_is_refused_at_open(
    postgres: str,  # noqa: F811
    made: str,
    said: str,
) -> None:
    # Each opened, then every run fetched pages and failed on its first write ("cannot
    # retrieve a system column in this context", "no unique or exclusion constraint
    # matching the ON CONFLICT specification"...), exit 1 and "run again".
    import psycopg

    from omsclient.dbsync._postgres import PostgresStore

    url = _fresh_postgres_database(postgres)
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(made)
    with pytest.raises(DatabaseUrlError, match=re.escape(said)):
        PostgresStore(url, url, ORDERS)


def test_a_sqlite_sync_state_table_the_batches_cannot_write_is_refused_at_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "o.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE omsclient_sync_state (query TEXT, kind TEXT, state TEXT)")
    with pytest.raises(DatabaseUrlError, match="has no column updated_at; query is not unique"):
        SqliteStore(str(path), ORDERS)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_id", "5.0"),
        ("customer_id", "1e3"),
        ("customer_id", "1_000"),
        ("customer_id", "\u0663"),
        ("order_status", "4.0"),
        ("billable_amount", "1_000.5"),
        ("billable_amount", "\u0661\u0662"),
        ("billable_amount", "1e400"),
        ("job_name", True),
        ("job_name", 12),
        ("date_modified", " 2016-02-01T00:00:00 "),
    ],
)
def test_a_typed_column_holds_what_the_order_model_reads(field: str, value: object) -> None:

    from omsclient.dbsync._tables import ORDERS

    row = {"order_id": "A", field: value}
    try:
        model_value = getattr(converter.structure(row, Order), field)
    except (StructureError, ValueError, TypeError):
        model_value = None  # refused by the model: NULL in the column
    if isinstance(model_value, datetime):  # a date column holds UTC text
        model_value = model_value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    _, values, _ = ORDERS.record(SentOrder("A", None, json.dumps(row).encode()))
    column = next(i for i, c in enumerate(ORDERS.columns) if c.name == field)
    assert values[column] == model_value


def test_a_checkpoint_that_cannot_be_saved_leaves_no_temporary_file(tmp_path: Path) -> None:
    from omsclient.export._checkpoint import Checkpoint

    path = tmp_path / "orders.jsonl.checkpoint"
    (path / "in-the-way").mkdir(parents=True)  # a directory: the rename over it fails
    checkpoint = Checkpoint(kind="orders", format="jsonl", query="q", scan={}, rows=0, size=0)
    with pytest.raises(IsADirectoryError):
        checkpoint.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.jsonl.checkpoint"]


async def test_an_async_def_progress_callback_is_awaited(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # It passed the check, then was called and never awaited: it never ran, and each batch
    # warned "coroutine 'progress' was never awaited".
    seen: list[Any] = []

    async def progress(where: Any) -> None:
        await anyio.lowlevel.checkpoint()
        seen.append(where)

    sent = [order(n) for n in range(1, 4)]
    with respx.mock:
        respx.post(FIND).mock(side_effect=_answer_of(sent))
        await export_orders(oms, tmp_path / "o.jsonl", windows=1, progress=progress)
        await sync_orders(oms, f"sqlite:///{tmp_path}/o.db", windows=1, progress=progress)
    assert [(type(p).__name__, p.total) for p in seen] == [
        ("ExportProgress", 3),
        ("SyncProgress", 3),
    ]


async def test_the_latest_date_modified_from_a_server_without_totals_whose_ties_vary(
    oms: omsclient.AsyncClient,
) -> None:
    # Looking for the latest Date Modified one row at a time, a row of the first page seen
    # again at a later offset was taken for a server ignoring the offset (RunawayPagingError),
    # where a database sorting by Date Modified returns tied rows in any order, per query.
    sent = [  # one Date Modified for all
        b'{"order_id":"INV%d","date_ordered":"2025-03-26T%02d:%02d:00",'
        b'"date_modified":"2025-03-27T10:00:00"}' % (n, n // 60, n % 60)
        for n in range(150)
    ]
    by_date_modified = str(order_field_code(OrderField.DATE_MODIFIED, "api"))

    def answer(request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        offset, limit = int(form.get("offset", "0")), int(form.get("limit", "100"))
        rows = list(sent)
        if form.get("sortby") == by_date_modified:
            random.Random(offset * 1000 + limit).shuffle(rows)
        body = b'{"response_status":{"code":10001},"orders":[%b]}' % b",".join(
            rows[offset : offset + limit]
        )
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    with respx.mock:
        respx.post(FIND).mock(side_effect=answer)
        latest, _ = await _latest_modified(oms, None, epoch_second("2030-01-01T00:00:00"))
    assert latest == epoch_second("2025-03-27T10:00:00")


@pytest.mark.parametrize("offset", ["-24:00", "-2400", "-23:60"])
async def test_a_date_modified_with_an_offset_of_a_day_moves_no_watermark(
    oms: omsclient.AsyncClient, offset: str
) -> None:
    # Python refuses such an offset, and so does the Order model; the watermark's reading by
    # parts took it, and put the latest change a day later than the server holds it: the next
    # run would ask for the changes since then and miss that day's.
    sent = [
        b'{"order_id":"INV1","date_modified":"2025-03-27T10:00:00"}',
        b'{"order_id":"INV2","date_modified":"2025-03-27T11:00:00%b"}' % offset.encode(),
    ]
    floor = epoch_second("2025-03-27T09:00:00")
    with respx.mock:
        respx.post(FIND).mock(side_effect=_answer_of(sent))
        latest, _ = await _latest_modified(oms, floor, epoch_second("2030-01-01T00:00:00"))
    assert latest == epoch_second("2025-03-27T10:00:00")


@pytest.mark.parametrize(
    "link",
    [
        # The whole query URL-encoded, so the order holds no "=" at all: only "%".
        "https://x.test/d.pdf%3Fuser%5Bid%5D%3D700001%26key%3D{key}",
        # "=" HTML-escaped, "&" too: only "&".
        "https://x.test/d.pdf?user[id]&#61;700001&amp;key&#61;{key}",
    ],
)
async def test_a_login_key_in_an_order_holding_no_raw_equals_sign_is_redacted(
    oms: omsclient.AsyncClient, tmp_path: Path, link: str
) -> None:
    # The bytes are searched for a key only when they hold "=", "%" or "&": every test order
    # held a raw "=" (a customer's "key=" note), so a search made only for "=" went unseen.
    keyed = link.format(key=_KEY).encode()
    sent = [order(1, b',"quote_pdf_url":"%b"' % keyed)]
    assert b"=" not in sent[0]
    expected = order(1, b',"quote_pdf_url":"%b"' % keyed.replace(_KEY.encode(), b"[REDACTED]"))
    await _written_as(oms, tmp_path, sent, expected)
