"""Incremental sync into SQLite and a real PostgreSQL server the tests start themselves."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx
import orjson
import pytest
import respx

import omsclient
from omsclient import cli
from omsclient._commands import _sandbox
from omsclient._decoding import structure
from omsclient.dbsync import (
    STATE_TABLE,
    DatabaseUrlError,
    SyncProgress,
    SyncSummary,
    _runner,
    sync_orders,
    sync_products,
)
from omsclient.dbsync._errors import OtherServerError
from omsclient.dbsync._postgres import _CLAIM_LOCK, PostgresStore
from omsclient.dbsync._runner import _latest_modified, _overlap
from omsclient.dbsync._sqlite import SqliteStore, _same_json
from omsclient.dbsync._store import Counts, distinct_records
from omsclient.dbsync._tables import ORDERS, _date_text
from omsclient.dbsync._url import parse_database_url
from omsclient.errors import StructureError
from omsclient.export._exporter import query_fingerprint
from omsclient.legacy import Condition, Op, OrderField, StatusChange
from omsclient.legacy._scan_dates import second_of_datetime
from omsclient.legacy._sent import SentOrder, read_sent
from omsclient.legacy.models import Order
from omsclient.sandbox import Churn, Quirks, SandboxConfig, SandboxInfo

from ._postgres import postgres_server
from .conftest import LEGACY, form_of, free_port, legacy_error
from .hostile import linked
from .test_scan import conditions_of

FIND = f"{LEGACY}/api/json/manage_orders/find"

Factory = Callable[..., SandboxInfo]
_databases = itertools.count(1)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def _fresh_postgres_database(server_url: str) -> str:
    import psycopg

    name = f"sync_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(server_url, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'orders.db'}"
    return _fresh_postgres_database(request.getfixturevalue("postgres"))


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` read with a connection of its own (as another program would)."""
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url[len("sqlite:///") :])
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()
    import psycopg

    with psycopg.connect(url) as db:
        return db.execute(sql).fetchall()


def execute(url: str, sql: str) -> None:
    """Run ``sql`` and commit, with a connection of its own (as another program would)."""
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url[len("sqlite:///") :])
        try:
            with db:
                db.execute(sql)
        finally:
            db.close()
        return
    import psycopg

    with psycopg.connect(url) as db:
        db.execute(sql)


def stored(url: str, table: str = "orders", key: str = "order_id") -> dict[Any, dict[str, Any]]:
    rows = query(url, f"SELECT {key}, data FROM {table}")
    return {k: (orjson.loads(d) if isinstance(d, (str, bytes)) else d) for k, d in rows}


async def server_rows(info: SandboxInfo) -> dict[str, dict[str, Any]]:
    """Every order as the server sends it now (login tokens left out), read independently."""
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        scan = oms.legacy.orders.scan(raw=True)
        return {row["order_id"]: row async for row in scan}


def modified(info: SandboxInfo) -> dict[str, int]:
    return {r.order_id: r.date_modified for r in info.state.orders}


# -- the first run and later runs --------------------------------------------------------------


@pytest.mark.parametrize("changed_last", [30, 250])
async def test_the_watermark_takes_one_request_when_a_page_holds_the_changes(
    oms_sandbox_factory: Factory, changed_last: int
) -> None:
    info = oms_sandbox_factory(orders=400, products=10)
    seconds = sorted(modified(info).values())
    floor = seconds[-changed_last]
    changed = sum(1 for second in seconds if second >= floor)
    assert (changed <= 100) is (changed_last == 30)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        latest, requests = await _latest_modified(oms, floor, int(time.time()))
    assert latest == seconds[-1]
    # One page holds 100 orders: past that, the last of them is asked for.
    assert requests == (1 if changed <= 100 else 2)
    assert len(info.state.requests) == requests


_MODIFIED_FROM = datetime(2025, 3, 27, 10, 0, 0)


async def first_watermark(
    oms: omsclient.AsyncClient, orders: int, leaving: int = 0
) -> tuple[int | None, int, list[tuple[str, str]]]:
    """A first run's watermark from a shop of ``orders`` modified a second apart from
    ``_MODIFIED_FROM`` (``leaving`` of them, the oldest, leave before each answer), the
    requests it counted, and the offset and limit each request asked for."""
    sent = [
        b'{"order_id":"INV%d","date_modified":"%b"}'
        % (n, (_MODIFIED_FROM + timedelta(seconds=n)).isoformat().encode())
        for n in range(orders)
    ]
    asked: list[tuple[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        asked.append((form["offset"], form["limit"]))
        del sent[:leaving]
        return _answer_of(sent)(request)

    with respx.mock:
        respx.post(FIND).mock(side_effect=answer)
        latest, requests = await _latest_modified(oms, None, int(time.time()))
    return latest, requests, asked


@pytest.mark.parametrize("leaving", [1, 5])
async def test_the_watermark_is_the_latest_left_when_orders_leave_at_each_request(
    oms: omsclient.AsyncClient, leaving: int
) -> None:
    # The last row was asked for at the first count's offset: one order gone by then, the
    # page came back empty, and the watermark was the first page's latest (INV99), so that
    # the next run read again every order changed since.
    latest, requests, asked = await first_watermark(oms, 150, leaving)
    # INV149, the latest of all: 10:02:29.
    assert (latest, requests) == (second_of_datetime(datetime(2025, 3, 27, 10, 2, 29)), 3)
    total = 150 - leaving
    assert asked == [("0", "1"), (str(total - 1), "1"), (str(total - leaving - 20), "20")]


@pytest.mark.parametrize("orders", [1, 2, 150])
async def test_a_first_runs_watermark_asks_for_the_first_and_the_last_order_alone(
    oms: omsclient.AsyncClient, orders: int
) -> None:
    # A first page of 100 orders would be read for its total alone where the shop holds more.
    latest, requests, asked = await first_watermark(oms, orders)
    assert latest == second_of_datetime(_MODIFIED_FROM + timedelta(seconds=orders - 1))
    assert asked == [("0", "1")] + ([(str(orders - 1), "1")] if orders > 1 else [])
    assert requests == len(asked)


async def test_first_run_stores_every_order_once_exactly_as_sent(
    oms_sandbox_factory: Factory, db_url: str
) -> None:
    info = oms_sandbox_factory(orders=600, products=40)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        summary = await sync_orders(oms, db_url, windows=3)
    assert (summary.new, summary.updated, summary.unchanged) == (600, 0, 0)
    assert summary.kind == "orders"
    assert summary.full
    assert not summary.resumed
    rows = stored(db_url)
    assert rows == await server_rows(info)
    assert query(db_url, "SELECT count(*), count(DISTINCT order_id) FROM orders") == [(600, 600)]
    # Typed columns hold what the JSON says.
    typed = dict(query(db_url, "SELECT order_id, order_status FROM orders"))
    assert all(typed[k] == int(row["order_status"]) for k, row in rows.items())
    assert not any("key=" in orjson.dumps(row).decode() for row in rows.values())
    (state,) = query(db_url, f"SELECT kind FROM {STATE_TABLE}")
    assert state == ("orders",)


async def test_the_dates_and_the_status_are_indexed_in_either_database(
    oms_sandbox_factory: Factory, db_url: str
) -> None:
    info = oms_sandbox_factory(orders=5, products=1)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        await sync_orders(oms, db_url)
    if db_url.startswith("sqlite:///"):
        sql = (
            "SELECT name FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = 'orders' AND sql IS NOT NULL"
        )
    else:
        sql = (
            "SELECT indexname FROM pg_indexes "
            "WHERE tablename = 'orders' AND indexname NOT LIKE '%pkey'"
        )
    dates = [c.name for c in ORDERS.columns if c.kind == "date"]
    assert sorted(name for (name,) in query(db_url, sql)) == sorted(
        f"orders_{column}" for column in ("order_status", *dates)
    )


# Two orders as a PHP server writes them: escaped slashes, a \u escape, amounts as strings.
SENT = [
    b'{"order_id":"INV1","date_ordered":"2025-03-26T14:35:00.000+00:00",'
    b'"date_modified":"2025-03-27T10:00:00","order_status":"1","billable_amount":"12.50",'
    b'"job_name":"A\\/B","notes_url":"https:\\/\\/x.test\\/a"}',
    b'{"order_id":"INV2","date_ordered":"2025-03-26T14:35:01Z",'
    b'"date_modified":"2025-03-27T10:00:01","order_status":2,"billable_amount":7,'
    b'"job_name":"caf\\u00e9"}',
]


def _answer_of(orders: list[bytes]) -> Callable[[httpx.Request], httpx.Response]:
    """A find endpoint that pages ``orders`` by offset and limit and ignores the conditions."""

    def answer(request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        offset, limit = int(form.get("offset", "0")), int(form.get("limit", "100"))
        rows = b",".join(orders[offset : offset + limit])
        body = b'{"response_status":{"code":10001,"severity":"SUCCESS","description":"Success"},'
        body += b'"total":%d,"orders":[%b]}' % (len(orders), rows)
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return answer


async def sync_answered(
    oms: omsclient.AsyncClient, db_url: str, orders: list[bytes]
) -> SyncSummary:
    """``sync_orders`` in one window from a find endpoint answering ``orders``
    (:func:`_answer_of`)."""
    with respx.mock:
        respx.post(FIND).mock(side_effect=_answer_of(orders))
        return await sync_orders(oms, db_url, windows=1)


async def test_orders_are_stored_as_the_bytes_the_server_sent(
    oms: omsclient.AsyncClient, db_url: str
) -> None:
    summary = await sync_answered(oms, db_url, SENT)
    assert (summary.new, summary.updated) == (2, 0)
    data = dict(query(db_url, "SELECT order_id, data FROM orders"))
    if db_url.startswith("sqlite:"):
        assert data == {"INV1": SENT[0].decode(), "INV2": SENT[1].decode()}
    assert stored(db_url) == {
        "INV1": orjson.loads(SENT[0]),
        "INV2": orjson.loads(SENT[1]),
    }
    typed = query(db_url, "SELECT order_id, order_status, billable_amount, job_name FROM orders")
    assert sorted(typed) == [("INV1", 1, 12.5, "A/B"), ("INV2", 2, 7, "caf\u00e9")]
    # From a date with milliseconds and an offset, and one with Z.
    if db_url.startswith("sqlite:"):
        # UTC text, which SQLite's date functions read.
        ordered = query(db_url, "SELECT date(date_ordered), date_ordered FROM orders")
        assert sorted(ordered) == [
            ("2025-03-26", "2025-03-26 14:35:00"),
            ("2025-03-26", "2025-03-26 14:35:01"),
        ]
    else:
        ordered = query(db_url, "SELECT order_id, date_ordered, date_modified FROM orders")
        assert sorted(ordered) == [
            (
                "INV1",
                datetime(2025, 3, 26, 14, 35, tzinfo=timezone.utc),
                datetime(2025, 3, 27, 10, tzinfo=timezone.utc),
            ),
            (
                "INV2",
                datetime(2025, 3, 26, 14, 35, 1, tzinfo=timezone.utc),
                datetime(2025, 3, 27, 10, 0, 1, tzinfo=timezone.utc),
            ),
        ]


async def test_an_integer_column_holds_an_id_sent_as_text_past_a_doubles_precision(
    oms: omsclient.AsyncClient, db_url: str
) -> None:
    sent = (
        b'{"order_id":"INV7","date_ordered":"2025-03-26T14:35:00Z",'
        b'"customer_id":"9007199254740993","order_status":"3"}'
    )
    await sync_answered(oms, db_url, [sent])
    # 2**53 + 1: a double column would hold 9007199254740992.
    assert query(db_url, "SELECT customer_id, order_status FROM orders") == [(9007199254740993, 3)]


async def test_a_later_run_reads_orders_modified_at_or_after_the_watermark_minus_the_overlap(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'orders.db'}"
    forms: list[dict[str, str]] = []
    answer = _answer_of(SENT)

    def recorded(request: httpx.Request) -> httpx.Response:
        forms.append(form_of(request))
        return answer(request)

    with respx.mock:
        respx.post(FIND).mock(side_effect=recorded)
        first = await sync_orders(oms, db_url, windows=1)
        forms.clear()
        await sync_orders(oms, db_url, windows=1, overlap=90)
    assert first.watermark == "2025-03-27T10:00:01"
    # Field 8 is Date Modified, condition 6 is ">=" (the spec's numbers).
    scans = [conditions_of(form) for form in forms if form["sortby"] == "1"]
    assert scans
    assert all(("8", "6", "2025-03-27T09:58:31") in sent for sent in scans)


async def test_a_row_written_another_way_is_unchanged_and_a_changed_one_is_updated(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'orders.db'}"
    await sync_answered(oms, db_url, SENT)
    # As an older version stored it: the JSON written again by orjson, slashes unescaped.
    older = orjson.dumps(orjson.loads(SENT[0])).decode()
    assert older != SENT[0].decode()
    with contextlib.closing(sqlite3.connect(tmp_path / "orders.db")) as db, db:
        db.execute("UPDATE orders SET data = ? WHERE order_id = 'INV1'", (older,))
    changed = SENT[1].replace(b'"order_status":2', b'"order_status":3')
    summary = await sync_answered(oms, db_url, [SENT[0], changed])
    assert (summary.new, summary.updated, summary.unchanged) == (0, 1, 1)
    data = dict(query(db_url, "SELECT order_id, data FROM orders"))
    assert data == {"INV1": older, "INV2": changed.decode()}
    assert query(db_url, "SELECT order_status FROM orders WHERE order_id = 'INV2'") == [(3,)]


async def test_an_order_holding_a_lone_surrogate_written_another_way_is_unchanged(
    oms: omsclient.AsyncClient, db_url: str
) -> None:
    # msgspec reads no lone surrogate: SQLite's comparison took such an order for changed and
    # rewrote it on every run, where PostgreSQL's found it unchanged.
    sent = SENT[0].replace(b'"job_name":"A\\/B"', b'"job_name":"A\\/B\\ud800"')
    assert b"\\ud800" in sent
    unescaped = sent.replace(b"\\/", b"/")
    summaries = [await sync_answered(oms, db_url, [form]) for form in (sent, unescaped, sent)]
    assert [(s.new, s.updated, s.unchanged) for s in summaries] == [(1, 0, 0), (0, 0, 1), (0, 0, 1)]
    changed = sent.replace(b"\\ud800", b"\\ud801")
    summary = await sync_answered(oms, db_url, [changed])
    assert (summary.new, summary.updated, summary.unchanged) == (0, 1, 0)


@pytest.mark.parametrize(
    "value",
    ["20240105", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", " 2024-01-05 10:00 "],
)
def test_a_date_column_holds_what_the_order_model_reads(value: str) -> None:
    # The column's fast reader left "20240105" NULL where the model reads a date, and gave a
    # value to dates an offset carries past what the model holds (in SQLite NULL, in
    # PostgreSQL the year 10000).
    row = {"order_id": "A", "date_due": value}
    try:
        held = structure(row, Order).date_due
        expected = _column_as_the_model_reads("date", held)
    except StructureError:
        expected = None
    _, values, _ = ORDERS.record(SentOrder("A", None, json.dumps(row).encode()))
    assert dict(zip((c.name for c in ORDERS.columns), values, strict=True))["date_due"] == expected


# Each kind of column read from values of every shape, as the order's fields can hold them.
SHAPES: list[Any] = [
    None, "", "  ", True, False, 0, 5, -5, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1,
    2**64, 5.0, 5.5, -0.0, 1e308, "5", " 5 ", "5.0", "12.50", "1e3", "-7", "1_000", "\u0663",
    "abc", "INV\x00", "2016-02-01T00:00:00", "2025-03-26T14:35:00.000+00:00", " 2016-02-01 ",
    "2024-01-31+00:00", "20240105", "9999-12-31T23:59:59-01:00", [1], {"a": 1},
    "2024-01-05 10:00:00", "2024-01-05T10:00:00Z", "2024-01-05T10:00:59.999999+00:00",
    "2024-01-05T10:00:00+05:30", "2024-01-05T10:00:00,5", "2024-W01-1T10:00:00",
    "2024-01-05T10:00", "2024-01-05X10:00:00", "0999-01-01T00:00:00", "2024-02-30T10:00:00",
    "2024-01-05T10:00:00.000-00:00", "0001-01-01T00:00:00+00:01", "2024-01-05T24:00:00",
    "2024-01-05T10:00:00+24:00", "2024-01-05T10:00:00.5-2400", "2024-01-05T10:00:00+00:60",
]  # fmt: skip


def _column_as_the_model_reads(kind: str, held: Any) -> Any:
    """What a column of ``kind`` holds for a value the ``Order`` model holds: the model's own
    value as the database takes it, None for what neither database holds."""
    if held is None:
        return None
    if kind == "integer":
        return held if -(2**63) <= held < 2**63 else None
    if kind == "number":
        return float(held) if abs(held) < float("inf") else None
    if kind == "text":
        return held.replace("\x00", "\\u0000")
    second = second_of_datetime(held)
    if second < datetime.min.replace(tzinfo=timezone.utc).timestamp():
        return None
    return (datetime(1970, 1, 1) + timedelta(seconds=second)).isoformat(" ")  # UTC, as SQLite


@pytest.mark.parametrize("value", SHAPES, ids=repr)
def test_each_column_holds_what_the_order_model_reads(value: Any) -> None:
    for column in ORDERS.columns:
        row = {"order_id": "A", column.name: value}
        try:
            held = getattr(structure(row, Order), column.name)
            expected = _column_as_the_model_reads(column.kind, held)
        except StructureError:
            expected = None
        _, values, _ = ORDERS.record(SentOrder("A", None, json.dumps(row).encode()))
        got = values[ORDERS.columns.index(column)]
        assert (got, type(got)) == (expected, type(expected)), column.name


async def test_each_column_holds_the_same_in_both_databases(
    oms: omsclient.AsyncClient, tmp_path: Path, postgres: str
) -> None:
    # Both stores take the values Table.record reads; each database then holds them its own
    # way (a date as text or a timestamptz, an amount as REAL or numeric): the same rows.
    names = [c.name for c in ORDERS.columns if c.name != "date_ordered"]
    sent = [
        json.dumps(
            {
                "order_id": f"S{n}",
                "date_ordered": f"2025-01-01T00:{n // 60:02d}:{n % 60:02d}",
                **dict.fromkeys(names, value),
            }
        ).encode()
        for n, value in enumerate(SHAPES)
    ]
    urls = [f"sqlite:///{tmp_path / 'orders.db'}", _fresh_postgres_database(postgres)]
    held = []
    for url in urls:
        await sync_answered(oms, url, sent)
        rows = query(url, f"SELECT order_id, {', '.join(names)} FROM orders ORDER BY order_id")
        held.append([tuple(_as_sqlite_holds(v) for v in row) for row in rows])
    assert len(held[0]) == len(SHAPES)
    assert held[0] == held[1]


def _as_sqlite_holds(value: Any) -> Any:
    """A PostgreSQL column's value as SQLite holds it: a date as UTC text, a number a float."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, Decimal):
        return float(value)
    return value


def test_a_value_past_a_double_leaves_its_column_null_and_the_bytes_as_sent() -> None:
    sent = b'{"order_id":"INV9","order_status":"2","billable_amount":1e400,"tax_amount":"1.5"}'
    key, values, data = ORDERS.record(SentOrder("INV9", None, sent))
    columns = dict(zip((c.name for c in ORDERS.columns), values, strict=True))
    assert (key, data) == ("INV9", sent)
    assert (columns["order_status"], columns["billable_amount"]) == (2, None)
    assert columns["tax_amount"] == 1.5


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan], ids=repr)
def test_a_number_column_of_read_fields_holds_no_infinity(value: float) -> None:
    # msgspec refuses 1e400 in JSON, but the function reading the split's fields takes any
    # float it is given: it leaves the column NULL as the one reader of a value does.
    fields = ORDERS.fields.type(order_id="A", billable_amount=value, order_status=2)
    columns = dict(zip((c.name for c in ORDERS.columns), ORDERS.columns_of(fields), strict=True))
    assert (columns["billable_amount"], columns["order_status"]) == (None, 2)


@pytest.mark.parametrize(
    ("key", "refused"),
    [
        ("\u20ac" * 682, False),  # 2,046 bytes: more characters than a quarter of the bound
        ("\u20ac" * 683, True),  # 2,049 bytes in fewer characters than the bound
        ("\U0001d11e" * 512, False),  # 2,048 bytes, four a character
        ("\U0001d11e" * 513, True),
        ("x" * 2049, True),
    ],
)
def test_a_key_is_held_to_its_bytes_whatever_its_characters(key: str, refused: bool) -> None:
    row = SentOrder(key, None, json.dumps({"order_id": key}, ensure_ascii=False).encode())
    if refused:
        with pytest.raises(omsclient.DecodeError, match="longer than the 2,048 bytes"):
            distinct_records(ORDERS, [row])
    else:
        assert list(distinct_records(ORDERS, [row])) == [key]


def _bytes_written() -> int:
    """What this thread has handed to write calls so far (Linux's accounting).

    The thread's own count: the process's took in what other threads (a server an earlier test
    left winding down, the test runner's own) wrote meanwhile, 327 KB once in CI.
    """
    return int(Path("/proc/thread-self/io").read_text().split("wchar:")[1].split()[0])


def test_a_batch_into_a_new_sqlite_table_writes_no_more_than_the_log(tmp_path: Path) -> None:
    # SQLite copies each page a statement is to change into a temporary statement journal first
    # when it takes the statement for one that may stop halfway: as the sync's INSERT of many
    # rows was, when it called datetime() or data was NOT NULL. Pages already in the file are
    # the ones copied: the second batch's rows fall between the first's in every index.
    def batch(suffix: str) -> list[SentOrder]:
        rows = []
        for n in range(600):
            sent = {
                "order_id": f"INV{n:04}{suffix}", "order_status": n % 5, "customer_id": n,
                "date_ordered": f"2024-{n % 12 + 1:02}-{n % 28 + 1:02}T10:00:0{suffix}",
                "date_modified": f"2025-{n % 12 + 1:02}-01T00:00:0{suffix}.000+00:00",
                "date_due": f"2024-02-{n % 28 + 1:02}T00:00:0{suffix}Z",
                "job_name": "x" * 6000,
            }  # fmt: skip
            rows.append(SentOrder(sent["order_id"], None, json.dumps(sent).encode()))
        return rows

    path = tmp_path / "orders.db"
    store = SqliteStore(str(path), ORDERS)
    try:
        store.apply(ORDERS, batch("1"), "q", "orders", {})
        logged, before = path.with_name("orders.db-wal").stat().st_size, _bytes_written()
        store.apply(ORDERS, batch("2"), "q", "orders", {})
        written = _bytes_written() - before
        logged = path.with_name("orders.db-wal").stat().st_size - logged
    finally:
        store.close()
    assert logged > 3_000_000  # the second batch went to the log, not yet checkpointed
    assert written < logged + 100_000, (written, logged)


def test_sqlite_dates_are_written_as_sqlites_own_date_function_writes_them() -> None:
    # The store writes each date's text itself, not SQLite's datetime(?, 'unixepoch') in the
    # INSERT: that function is the reference, over every year the model holds.
    first = second_of_datetime(datetime.min.replace(tzinfo=timezone.utc))
    last = second_of_datetime(datetime.max.replace(tzinfo=timezone.utc))
    picked = random.Random(7)
    seconds = [first, first + 86399, last - 86399, last, -86401, -1, 0, 59, 86399, 86400]
    seconds += [second_of_datetime(datetime(2000, 2, 29, 23, 59, 59, tzinfo=timezone.utc))]
    seconds += [picked.randrange(first, last + 1) for _ in range(20_000)]
    db = sqlite3.connect(":memory:")
    try:
        for second in seconds:
            (expected,) = db.execute("SELECT datetime(?, 'unixepoch')", (second,)).fetchone()
            assert _date_text(second) == expected, second
    finally:
        db.close()


async def test_a_date_column_holds_any_second_the_model_holds(
    oms: omsclient.AsyncClient, db_url: str
) -> None:
    sent = (
        b'{"order_id":"INV1","date_ordered":"2025-03-26T14:35:00.000+00:00",'
        b'"date_modified":"2025-03-27T10:00:00","date_invoiced":"0001-01-01T00:00:00+00:00",'
        b'"date_due":"9999-12-31T23:59:59.000+00:00","date_shipped":"2024-01-05T10:00:00+05:30",'
        b'"date_produced":null}'
    )
    await sync_answered(oms, db_url, [sent])
    names = "date_invoiced, date_due, date_shipped, date_produced"
    dates = query(db_url, f"SELECT {names} FROM orders")
    if db_url.startswith("sqlite:"):
        assert dates == [
            ("0001-01-01 00:00:00", "9999-12-31 23:59:59", "2024-01-05 04:30:00", None)
        ]
    else:
        utc = timezone.utc
        assert dates == [
            (
                datetime(1, 1, 1, tzinfo=utc),
                datetime(9999, 12, 31, 23, 59, 59, tzinfo=utc),
                datetime(2024, 1, 5, 4, 30, tzinfo=utc),
                None,
            )
        ]


class _CountingDecoder:
    """A table's fields decoder counting what it reads: orders split from their page (as
    ``msgspec.Raw``), or an order's bytes read again."""

    def __init__(self, decoder: Any) -> None:
        self.decoder, self.type = decoder, decoder.type
        self.split = self.again = 0

    def decode(self, data: Any) -> Any:
        if isinstance(data, bytes):
            self.again += 1
        else:
            self.split += 1
        return self.decoder.decode(data)


@pytest.fixture
def counted_fields() -> Iterator[_CountingDecoder]:
    """The orders table's fields decoder, counting."""
    counting = _CountingDecoder(ORDERS.fields)
    object.__setattr__(ORDERS, "fields", counting)
    try:
        yield counting
    finally:
        object.__setattr__(ORDERS, "fields", counting.decoder)


def test_the_columns_are_read_in_the_pages_split_not_again(
    counted_fields: _CountingDecoder,
) -> None:
    body = b'{"response_status":{"code":10001},"total":2,"orders":[%b]}' % b",".join(SENT)
    read = read_sent(body, ORDERS.fields)
    assert read is not None
    split = distinct_records(ORDERS, read[1])
    assert (counted_fields.split, counted_fields.again) == (2, 0)
    # The same columns as reading each order's bytes again gives.
    alone = distinct_records(ORDERS, [SentOrder(o.order_id, None, o.json) for o in read[1]])
    assert (counted_fields.split, counted_fields.again) == (2, 2)
    assert split == alone
    assert split["INV1"][1][:3] == [1, None, "A/B"]


async def test_a_sync_reads_each_orders_columns_once(
    oms: omsclient.AsyncClient, tmp_path: Path, counted_fields: _CountingDecoder
) -> None:
    # Read with each order's id as its page comes (by a decoder of the page, of the fields'
    # type), not again from each order's bytes by the writer.
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    summary = await sync_answered(oms, url, SENT)
    assert summary.new == 2
    assert counted_fields.again == 0
    typed = query(url, "SELECT order_id, order_status, billable_amount, job_name FROM orders")
    assert sorted(typed) == [("INV1", 1, 12.5, "A/B"), ("INV2", 2, 7, "caf\u00e9")]


async def test_a_typed_field_past_a_double_leaves_only_its_column_null(
    oms: omsclient.AsyncClient, db_url: str
) -> None:
    # The split reads the typed columns' fields with each order's id: a value msgspec refuses
    # there must leave that order to the sync's own reading, not the page to the usual way,
    # which cannot write such an order as sent and fails the batch.
    sent = (
        b'{"order_id":"INV9","date_ordered":"2025-03-26T14:35:00Z",'
        b'"billable_amount":1e400,"order_status":"2","job_name":"big"}'
    )
    summary = await sync_answered(oms, db_url, [sent, SENT[1]])
    assert summary.new == 2
    typed = query(db_url, "SELECT order_id, order_status, billable_amount, job_name FROM orders")
    assert sorted(typed) == [("INV2", 2, 7, "caf\u00e9"), ("INV9", 2, None, "big")]
    if db_url.startswith("sqlite:"):
        assert dict(query(db_url, "SELECT order_id, data FROM orders"))["INV9"] == sent.decode()


async def test_a_login_key_the_server_sends_anyway_is_in_no_column(
    oms: omsclient.AsyncClient, db_url: str
) -> None:
    # The columns are read with the page's split, before the keys are redacted: read from the
    # bytes as sent, the job name would hold the key.
    key = "0123456789abcdef0123456789abcdef01234567"
    link = f"https://x.test/doc?user[id]=700001&key={key}"
    sent = (
        b'{"order_id":"INV5","date_ordered":"2025-03-26T14:35:00Z","job_name":"%b",'
        b'"customer_po_number":"PO %b"}' % (link.encode(), link.encode())
    )
    with respx.mock:
        route = respx.post(FIND).mock(side_effect=_answer_of([sent]))
        await sync_orders(oms, db_url, windows=1)
    assert all(form_of(call.request)["skip_login_token"] == "1" for call in route.calls)
    redacted = link.replace(key, "[REDACTED]")
    assert query(db_url, "SELECT job_name, customer_po_number FROM orders") == [
        (redacted, f"PO {redacted}")
    ]
    assert key not in str(query(db_url, "SELECT data FROM orders"))


async def test_an_sqlite_file_in_utf16_holds_the_text_sent_and_finds_it_unchanged_again(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # Each order's JSON is bound as the UTF-8 bytes it came in, cast to text: SQLite converts
    # it to the file's encoding, and the text read back to compare is that file's.
    path = tmp_path / "utf16.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA encoding='UTF-16le'")
    db.execute("CREATE TABLE other (x)")
    db.close()
    sent = [
        *SENT,
        '{"order_id":"INV3","date_ordered":"2025-03-26T14:35:02Z","job_name":"Ünïcødé 🧵 刺繍"}'.encode(),
    ]
    url = f"sqlite:///{path}"
    first = await sync_answered(oms, url, sent)
    again = await sync_answered(oms, url, sent)
    assert query(url, "PRAGMA encoding") == [("UTF-16le",)]
    assert (first.new, first.updated, again.new, again.updated, again.unchanged) == (3, 0, 0, 0, 3)
    data = dict(query(url, "SELECT order_id, data FROM orders"))
    assert data == {f"INV{n}": order.decode() for n, order in enumerate(sent, 1)}
    assert query(url, "SELECT job_name FROM orders WHERE order_id = 'INV3'") == [
        ("Ünïcødé 🧵 刺繍",)
    ]


async def test_an_order_stored_as_sent_is_found_unchanged_by_its_text_alone(
    oms: omsclient.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reading both texts as JSON to compare them is for an order written another way (by an
    # older version): a run over unchanged orders would otherwise parse every one of them.
    from omsclient.dbsync import _sqlite

    compared: list[str] = []

    def same_json(before: str, after: bytes) -> bool:
        compared.append(before)
        return before == after.decode()

    monkeypatch.setattr(_sqlite, "_same_json", same_json)
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    changed = [SENT[0], SENT[1].replace(b'"order_status":2', b'"order_status":3')]
    summaries = [await sync_answered(oms, url, sent) for sent in (SENT, SENT, changed)]
    assert [(s.new, s.updated, s.unchanged) for s in summaries] == [(2, 0, 0), (0, 0, 2), (0, 1, 1)]
    assert compared == [SENT[1].decode()]


@pytest.mark.parametrize("no_json", ["7", "NULL"])
async def test_a_stored_json_another_program_wrote_as_a_blob_or_number_is_compared_or_replaced(
    oms: omsclient.AsyncClient, tmp_path: Path, no_json: str
) -> None:
    # SQLite holds any value in any column: the same JSON as a blob is the same order, and a
    # number or a NULL in `data` is no order, so the run writes the order over it (updated,
    # not new: the row is there, as PostgreSQL's store counts it).
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    assert (await sync_answered(oms, url, SENT)).new == 2
    db = sqlite3.connect(tmp_path / "orders.db")
    with db:
        db.execute("UPDATE orders SET data = CAST(data AS BLOB) WHERE order_id = 'INV1'")
        db.execute(f"UPDATE orders SET data = {no_json} WHERE order_id = 'INV2'")
    db.close()
    again = await sync_answered(oms, url, SENT)
    assert (again.new, again.updated, again.unchanged) == (0, 1, 1)
    assert query(url, "SELECT order_id, typeof(data) FROM orders ORDER BY 1") == [
        ("INV1", "blob"),
        ("INV2", "text"),
    ]
    assert stored(url) == {"INV1": orjson.loads(SENT[0]), "INV2": orjson.loads(SENT[1])}


async def test_a_new_sqlite_file_gets_pages_an_order_fits_and_an_old_one_keeps_its_own(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    old, sized = tmp_path / "old.db", tmp_path / "sized.db"
    sqlite3.connect(old).execute("CREATE TABLE other (x)").connection.close()
    # Empty, but with the page size its owner chose (docs/sync.md): the sync keeps it.
    db = sqlite3.connect(sized)
    db.execute("PRAGMA page_size=32768")
    db.execute("VACUUM")
    db.close()
    with respx.mock:
        respx.post(FIND).mock(side_effect=_answer_of(SENT))
        for path in (tmp_path / "new.db", old, sized):
            assert (await sync_orders(oms, f"sqlite:///{path}", windows=1)).new == 2
    new_url, old_url = f"sqlite:///{tmp_path / 'new.db'}", f"sqlite:///{old}"
    assert query(new_url, "PRAGMA page_size") == [(65536,)]
    # The page size of a file with content changes only with a VACUUM: the sync leaves it.
    assert query(old_url, "PRAGMA page_size") == [(4096,)]
    assert query(f"sqlite:///{sized}", "PRAGMA page_size") == [(32768,)]
    assert (
        stored(old_url)
        == stored(new_url)
        == {row["order_id"]: row for row in map(orjson.loads, SENT)}
    )


def test_sqlite_commits_write_the_log_without_waiting_for_the_disk(tmp_path: Path) -> None:
    # Each batch is committed with the state that counts it, so a commit lost to a power cut
    # is read again by the next run: waiting for the disk at each one (SQLite's default,
    # FULL) made a first sync slower for nothing (benchmarks/README.md, levers).
    store = SqliteStore(str(tmp_path / "o.db"), ORDERS)
    try:
        journal = store._db.execute("PRAGMA journal_mode").fetchone()
        synchronous = store._db.execute("PRAGMA synchronous").fetchone()
    finally:
        store.close()
    assert (journal, synchronous) == (("wal",), (1,))  # 1: NORMAL


def test_sqlite_keeps_64_mib_of_pages_for_a_file_new_or_old(tmp_path: Path) -> None:
    # With SQLite's default 2 MB a batch's pages went to the log and back before its commit,
    # and a first sync of 100,000 orders cost 1.36 times the CPU an order (benchmarks/README.md,
    # levers). The cache is the connection's: a file another program made gets it too, and a
    # program reading the file keeps its own.
    old = tmp_path / "old.db"
    sqlite3.connect(old).execute("CREATE TABLE other (x)").connection.close()
    for path in (tmp_path / "new.db", old):
        store = SqliteStore(str(path), ORDERS)
        try:
            assert store._db.execute("PRAGMA cache_size").fetchone() == (-65536,)  # KiB
        finally:
            store.close()
        assert query(f"sqlite:///{path}", "PRAGMA cache_size") == [(-2000,)]


def _numbered_orders(count: int) -> list[SentOrder]:
    """``count`` orders as a server sends them: ids, dates a second apart, amounts as strings."""
    orders = []
    for n in range(count):
        date = f"2025-03-26T14:{n // 60:02d}:{n % 60:02d}Z"
        body = (
            b'{"order_id":"INV%d","date_ordered":"%s","order_status":%d,'
            b'"billable_amount":"%d.50","job_name":"Job %d"}' % (n, date.encode(), n % 4 + 1, n, n)
        )
        orders.append(SentOrder(f"INV{n}", date, body))
    return orders


def _statements_of(store: SqliteStore, write: Callable[[], object]) -> list[str]:
    """The statements SQLite ran for ``write()`` on ``store``'s connection, one per run."""
    ran: list[str] = []
    store._db.set_trace_callback(ran.append)
    try:
        write()
    finally:
        store._db.set_trace_callback(None)
    return ran


def _rows_inserted(ran: list[str]) -> list[int]:
    """The rows each ``INSERT INTO orders`` of ``ran`` wrote (their values hold no "), (")."""
    return [s.count("), (") + 1 for s in ran if s.startswith("INSERT INTO orders")]


def test_sqlite_writes_a_batch_in_few_statements_of_sizes_it_wrote_before(tmp_path: Path) -> None:
    # sqlite3 lets go of the interpreter's lock for each statement it runs and then waits to
    # take it back: beside an event loop running Python, a wait of up to 5 ms each. A statement
    # a row (executemany) wrote a page of 100 orders in about half a second there. And SQLite
    # compiles a statement of many rows at more than it costs to run: a statement of as many
    # rows as each batch held was compiled for each batch. Powers of two up to 64 come again,
    # compiled once.
    store = SqliteStore(str(tmp_path / "o.db"), ORDERS)
    rows = _numbered_orders(1190)
    try:
        page = _statements_of(store, lambda: store.apply(ORDERS, rows[:100], "q", "orders", {}))
        batch = _statements_of(store, lambda: store.apply(ORDERS, rows[100:], "q", "orders", {}))
    finally:
        store.close()
    # Python 3.10 cannot ask SQLite how many parameters a statement takes: 55 rows a
    # statement at the 999 of SQLite's least, so 32.
    if sys.version_info >= (3, 11):
        assert (_rows_inserted(page), _rows_inserted(batch)) == ([64, 32, 4], [64] * 17 + [2])
    else:
        assert (_rows_inserted(page), _rows_inserted(batch)) == ([32] * 3 + [4], [32] * 34 + [2])
    # BEGIN, the rows stored before (read 64, 32 and 4 keys at a time), the rows, the state,
    # COMMIT
    assert len(page) == 3 + 3 + len(_rows_inserted(page))


def test_sqlite_writes_more_rows_than_a_statement_takes(tmp_path: Path) -> None:
    # 999 parameters a statement, SQLite's least, are 55 rows of 18 columns: 32 at most.
    path = tmp_path / "o.db"
    store = SqliteStore(str(path), ORDERS)
    try:
        if sys.version_info >= (3, 11):
            store._db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
        rows = _numbered_orders(200)
        ran = _statements_of(store, lambda: store.apply(ORDERS, rows, "q", "orders", {}))
        again = store.apply(ORDERS, rows[150:], "q", "orders", {})
    finally:
        store.close()
    assert _rows_inserted(ran) == [32] * 6 + [8]
    assert again == Counts(new=0, updated=0, unchanged=50)
    found = query(
        f"sqlite:///{path}",
        "SELECT order_id, order_status, billable_amount, job_name, date_ordered, data FROM orders",
    )
    assert len(found) == 200
    for order_id, status, amount, job, ordered, data in found:
        n = int(order_id[3:])
        assert (status, amount, job) == (n % 4 + 1, n + 0.5, f"Job {n}")
        assert ordered == f"2025-03-26 14:{n // 60:02d}:{n % 60:02d}"
        assert data.encode() == rows[n].json


def _sent(**order: object) -> SentOrder:
    """An order as a server sends it, its JSON compact."""
    return SentOrder(str(order["order_id"]), str(order["date_ordered"]), orjson.dumps(order))


@pytest.mark.parametrize(
    ("before", "after", "same"),
    [
        ('{"a":1,"b":"x/y"}', b'{"b":"x\\/y", "a":1}', True),
        ('{"a":1,"b":"x"}', b'{"a":2,"b":"x"}', False),
        ('{"a":1}', b'{"a":true}', False),
        ('{"a":1}', b'{"a":1.0}', True),
        ('{"a":2.5}', b'{"a":2.50}', True),
        ('{"a":2.5000000000000001}', b'{"a":2.5}', False),
        ('{"a":123456789012345678901234}', b'{"a":123456789012345678901235}', False),
        ('{"a":1,"a":2}', b'{"a":2}', True),
        ('{"a":"\\ud800"}', b'{"a":"\\ud800","b":[]}', False),
        ('{"a":"\\ud800/"}', b'{"a":"\\ud800\\/"}', True),
        ('{"a":' * 2000 + "1" + "}" * 2000, b'{"a":' * 2000 + b"2" + b"}" * 2000, False),
        ("7", b'{"a":1}', False),
    ],
    ids=lambda value: value if isinstance(value, bool) else None,
)
def test_two_orders_json_is_the_same_as_jsonb_compares_it(
    before: str, after: bytes, same: bool
) -> None:
    # Whatever reads a changed order fast: texts of another writing are the same order, a
    # flag for a number or a digit past a double's precision another.
    assert _same_json(before, after) is same


def _note_columns_set(store: SqliteStore, columns: list[str]) -> None:
    """Has ``store`` note in a table ``set_columns`` each (order_id, column) an UPDATE sets
    among ``columns``: a trigger ``UPDATE OF`` a column runs when a statement sets it, changed
    or not."""
    store._db.execute("CREATE TABLE set_columns (order_id TEXT, name TEXT)")
    for name in columns:
        store._db.execute(
            f"CREATE TRIGGER set_{name} AFTER UPDATE OF {name} ON orders "
            f"BEGIN INSERT INTO set_columns VALUES (NEW.order_id, '{name}'); END"
        )


def test_sqlite_sets_only_the_indexed_columns_a_changed_order_changes(tmp_path: Path) -> None:
    # SQLite rewrites an index's entry for each row an UPDATE sets its column in, whether the
    # value changed or not: a changed order setting every indexed column cost the store a
    # third more CPU than one setting those that changed (benchmarks/README.md, levers).
    path = tmp_path / "o.db"
    first = {
        "order_status": 1,
        "date_ordered": "2025-03-26T14:00:00",
        "date_modified": "2025-03-26T15:00:00",
        "date_shipped": "2025-03-28T09:30:00",
        "job_name": "Job",
    }
    was = [_sent(order_id=f"INV{n}", **first) for n in range(4)]
    now = [
        _sent(order_id="INV0", **{**first, "order_status": 2}),
        _sent(order_id="INV1", **{**first, "date_shipped": None, "date_modified": "2025-04-01"}),
        _sent(order_id="INV2", **{**first, "job_name": "Job 2"}),
        was[3],
    ]
    store = SqliteStore(str(path), ORDERS)
    try:
        store.apply(ORDERS, was, "q", "orders", {})
        watched = ["order_status", "date_ordered", "date_modified", "date_shipped", "job_name"]
        _note_columns_set(store, watched)
        counts = store.apply(ORDERS, now, "q", "orders", {})
        noted = store._db.execute("SELECT order_id, name FROM set_columns").fetchall()
    finally:
        store.close()
    assert counts == Counts(new=0, updated=3, unchanged=1)
    # The columns no index holds are set whatever they hold, as before (a user's own index
    # on one is rewritten, as SQLite would any UPDATE's).
    assert sorted(noted) == [
        ("INV0", "job_name"),
        ("INV0", "order_status"),
        ("INV1", "date_modified"),
        ("INV1", "date_shipped"),
        ("INV1", "job_name"),
        ("INV2", "job_name"),
    ]
    found = query(
        f"sqlite:///{path}",
        "SELECT order_id, order_status, date_ordered, date_modified, date_shipped, job_name, "
        "data FROM orders ORDER BY order_id",
    )
    assert found == [
        (
            "INV0",
            2,
            "2025-03-26 14:00:00",
            "2025-03-26 15:00:00",
            "2025-03-28 09:30:00",
            "Job",
            now[0].json.decode(),
        ),
        (
            "INV1",
            1,
            "2025-03-26 14:00:00",
            "2025-04-01 00:00:00",
            None,
            "Job",
            now[1].json.decode(),
        ),
        (
            "INV2",
            1,
            "2025-03-26 14:00:00",
            "2025-03-26 15:00:00",
            "2025-03-28 09:30:00",
            "Job 2",
            now[2].json.decode(),
        ),
        (
            "INV3",
            1,
            "2025-03-26 14:00:00",
            "2025-03-26 15:00:00",
            "2025-03-28 09:30:00",
            "Job",
            was[3].json.decode(),
        ),
    ]


def test_sqlite_writes_an_indexed_value_again_that_another_program_stored_as_another_type(
    tmp_path: Path,
) -> None:
    # A column made by hand without a type keeps what it is given: 1.0 another program wrote
    # equals the order's 1 but is no integer, and a changed order writes its own.
    path = tmp_path / "o.db"
    columns = ", ".join(
        c.name if c.name == "order_status" else f"{c.name} {c.kind}" for c in ORDERS.columns
    )
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute(f"CREATE TABLE orders (order_id TEXT PRIMARY KEY, {columns}, data TEXT)")
        db.commit()
    order = {"order_id": "INV1", "date_ordered": "2025-03-26T14:00:00", "order_status": 1}
    store = SqliteStore(str(path), ORDERS)
    try:
        store.apply(ORDERS, [_sent(**order)], "q", "orders", {})
        with store._db:
            store._db.execute("UPDATE orders SET order_status = 1.0")
        store.apply(ORDERS, [_sent(**order, job_name="Job")], "q", "orders", {})
    finally:
        store.close()
    assert query(f"sqlite:///{path}", "SELECT order_status, typeof(order_status) FROM orders") == [
        (1, "integer")
    ]


@pytest.mark.parametrize("order_id", [b"", b'"order_id":"",', b'"order_id":null,'])
async def test_an_order_without_an_id_stops_the_sync_before_it_is_written(
    oms: omsclient.AsyncClient, tmp_path: Path, order_id: bytes
) -> None:
    nameless = b'{%b"date_ordered":"2025-03-26T14:35:02Z","order_status":1}' % order_id
    db_url = f"sqlite:///{tmp_path / 'orders.db'}"
    with respx.mock:
        respx.post(FIND).mock(side_effect=_answer_of([SENT[0], nameless]))
        with pytest.raises(omsclient.DecodeError, match="has no order_id"):
            await sync_orders(oms, db_url, windows=1)
    assert query(db_url, "SELECT count(*) FROM orders") == [(0,)]


@pytest.mark.parametrize("product_id", [2**63, 2**64 - 1])
async def test_a_product_id_no_database_key_holds_is_named_not_called_missing(
    oms: omsclient.AsyncClient, tmp_path: Path, product_id: int
) -> None:
    db_url = f"sqlite:///{tmp_path / 'products.db'}"
    row = {"product_id": product_id, "product_name": "Too big"}
    with respx.mock:
        respx.post(f"{LEGACY}/api/json/manage_products/find").respond(
            json={"response_status": {"code": 10001, "severity": "INFO"}, "products": [row]}
        )
        with pytest.raises(omsclient.DecodeError) as caught:
            await sync_products(oms, db_url)
    assert f"has product_id {product_id}, which is no integer within 64 bits" in str(caught.value)
    assert query(db_url, "SELECT count(*) FROM products") == [(0,)]


async def test_typed_columns_read_the_shapes_real_servers_send(
    oms_sandbox_factory: Factory, db_url: str
) -> None:
    # Ids and amounts as strings, dates with milliseconds and an offset or null.
    info = oms_sandbox_factory(SandboxConfig(orders=300, products=30, quirks=Quirks.all()))
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        summary = await sync_orders(oms, db_url)
    assert summary.new == 300
    rows = stored(db_url)
    typed = {
        k: (status, customer, amount, ordered is not None)
        for k, status, customer, amount, ordered in query(
            db_url,
            "SELECT order_id, order_status, customer_id, billable_amount, date_ordered FROM orders",
        )
    }
    for order_id, row in rows.items():
        status, customer, amount, has_date = typed[order_id]
        assert status == int(row["order_status"])
        assert customer == (None if row.get("customer_id") is None else int(row["customer_id"]))
        assert float(amount) == pytest.approx(float(row["billable_amount"]))
        assert has_date
    assert any(isinstance(row["billable_amount"], str) for row in rows.values())


async def test_a_later_run_upserts_exactly_what_changed_with_few_requests(
    oms_sandbox_factory: Factory, db_url: str
) -> None:
    info = oms_sandbox_factory(orders=3000, products=150)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        first = await sync_orders(oms, db_url, windows=2)
        assert first.new == 3000
        before = modified(info)
        open_orders = [r for r in info.state.orders if r.status < 3][:50]
        await oms.legacy.orders.update_status(
            [StatusChange(order_id=r.order_id, new_status=r.status + 1) for r in open_orders]
        )
        state = info.state
        config = state.config
        state.config = attrs.evolve(config, churn=Churn(new_orders=10))
        state._apply_churn()
        state.config = config
        after = modified(info)
        changed = {k for k in before if before[k] != after[k]}
        arrived = set(after) - set(before)
        assert (len(changed), len(arrived)) == (50, 10)

        second = await sync_orders(oms, db_url, windows=2)
    assert (second.new, second.updated) == (len(arrived), len(changed))
    assert not second.full
    # Two pages: the watermark's holds every order changed since the last watermark, and the
    # scan's holds every order changed since the overlap before it (the 60 among them).
    assert second.requests == 2
    # The watermark (its first page, then the last order), 30 pages of orders, and a page
    # ending each of the 2 windows.
    assert first.requests == 2 + 3000 // 100 + 2
    assert stored(db_url) == await server_rows(info)

    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        third = await sync_orders(oms, db_url, windows=2)
    assert (third.new, third.updated) == (0, 0)
    assert third.requests == 2


async def test_a_database_synced_from_one_server_is_refused_for_another(
    oms_sandbox_factory: Factory, db_url: str
) -> None:
    # Tried on the sandbox, then pointed at the shop with the same database file: the shop's
    # orders were all modified before the sandbox's watermark, so an incremental run would
    # read none of them and report success.
    tried = oms_sandbox_factory(orders=300, products=10)
    async with omsclient.AsyncClient(**tried.client_kwargs()) as oms:
        assert (await sync_orders(oms, db_url)).new == 300
    shop = oms_sandbox_factory(
        SandboxConfig(orders=200, products=10, username="fred", start=datetime(2023, 1, 1))
    )
    before = query(db_url, f"SELECT query, state FROM {STATE_TABLE}")
    async with omsclient.AsyncClient(**shop.client_kwargs()) as oms:
        with pytest.raises(DatabaseUrlError) as raised:
            await sync_orders(oms, db_url)
        # Under other filters too: the same table holds their rows, and shares their ids.
        with pytest.raises(DatabaseUrlError, match="another database"):
            await sync_orders(oms, db_url, Condition(OrderField.ORDER_STATUS, Op.EQ, string=1))
    message = str(raised.value)
    assert "127.0.0.1 (or as another user)" in message
    assert "another database" in message
    assert shop.state.requests == []
    assert query(db_url, f"SELECT query, state FROM {STATE_TABLE}") == before
    # The server it was synced from is still welcome.
    async with omsclient.AsyncClient(**tried.client_kwargs()) as oms:
        assert not (await sync_orders(oms, db_url)).full
    # What the message says to do for the same shop under a new name: a first run again.
    assert f"delete the rows of {STATE_TABLE} of kind 'orders'" in message
    execute(db_url, f"DELETE FROM {STATE_TABLE} WHERE kind = 'orders'")
    async with omsclient.AsyncClient(**shop.client_kwargs()) as oms:
        again = await sync_orders(oms, db_url)
    assert (again.full, again.read) == (True, 200)
    rows = stored(db_url)
    assert {k: rows[k] for k in modified(shop)} == await server_rows(shop)


async def test_two_first_runs_from_two_servers_at_once_leave_one_servers_rows(
    oms_sandbox_factory: Factory, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two filtered syncs (two queries, so neither's lock keeps the other out) from two shops
    # into one new database, made to pass the check of the servers saved before either has
    # saved its own: the claim that saves it must still keep one shop out.
    await _two_first_runs_at_once(oms_sandbox_factory, db_url, monkeypatch)


async def test_two_first_runs_at_once_leave_one_servers_rows_under_repeatable_read(
    oms_sandbox_factory: Factory, postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database whose transactions default to REPEATABLE READ: the claim's snapshot was taken
    # by its lock statement, before the other claim committed, so both claimed (and a second
    # creation of the tables found none of their columns). Both claims are made to wait for
    # the lock, held elsewhere until they do.
    import psycopg

    db_url = _fresh_postgres_database(postgres)
    execute(
        postgres,
        f"ALTER DATABASE {db_url.rsplit('/', 1)[1]} "
        "SET default_transaction_isolation = 'repeatable read'",
    )
    assert query(db_url, "SHOW default_transaction_isolation") == [("repeatable read",)]
    held, gone = threading.Event(), threading.Event()

    def hold_the_claims_lock() -> None:
        with psycopg.connect(db_url, autocommit=True) as db:
            db.execute("SELECT pg_advisory_lock(%s)", (_CLAIM_LOCK,))
            held.set()
            waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            deadline = time.monotonic() + 20
            while db.execute(waiting).fetchone() != (2,) and time.monotonic() < deadline:
                time.sleep(0.02)
            db.execute("SELECT pg_advisory_unlock(%s)", (_CLAIM_LOCK,))
            gone.set()

    holder = threading.Thread(target=hold_the_claims_lock)
    holder.start()
    try:
        assert held.wait(20)
        await _two_first_runs_at_once(oms_sandbox_factory, db_url, monkeypatch)
    finally:
        holder.join()
    assert gone.is_set()


async def _two_first_runs_at_once(
    factory: Factory, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_class = SqliteStore if db_url.startswith("sqlite") else PostgresStore
    both_looked = threading.Barrier(2, timeout=20)
    looked = store_class.sources

    def sources_once_both_looked(self: Any, kind: str) -> set[str]:
        found = looked(self, kind)
        both_looked.wait()
        return found

    monkeypatch.setattr(store_class, "sources", sources_once_both_looked)
    one = factory(orders=120, products=10)
    other = factory(SandboxConfig(orders=90, products=10, username="fred"))
    ready = Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)

    async def sync(info: SandboxInfo, *conditions: Condition) -> SyncSummary:
        async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
            return await sync_orders(oms, db_url, *conditions)

    outcomes = await asyncio.gather(sync(one), sync(other, ready), return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refused) == 1, outcomes
    assert isinstance(refused[0], OtherServerError)
    assert "another database" in str(refused[0])
    winner = one if isinstance(outcomes[0], SyncSummary) else other
    kept = await server_rows(winner)
    if winner is other:
        kept = {k: v for k, v in kept.items() if v["order_status"] == 1}
    assert stored(db_url) == kept
    assert len(query(db_url, f"SELECT query FROM {STATE_TABLE}")) == 1


async def test_an_order_changed_during_a_run_is_picked_up_by_the_next(
    oms_sandbox_factory: Factory, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    info = oms_sandbox_factory(orders=800, products=40)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        changes: list[asyncio.Task[None]] = []
        changed: list[str] = []

        def progress(p: Any) -> None:
            # Change an order the run has already stored, while the run goes on.
            if p.read >= 300 and not changes:
                open_ids = [r.order_id for r in info.state.orders if r.status < 3]
                order_id = next(k for k in sorted(stored(url)) if k in open_ids)
                record = info.state.order(order_id)
                assert record is not None
                change = StatusChange(order_id=order_id, new_status=record.status + 1)
                changes.append(asyncio.ensure_future(oms.legacy.orders.update_status(change)))
                changed.append(order_id)

        first = await sync_orders(oms, url, progress=progress)
        await changes[0]
        assert first.new == 800
        second = await sync_orders(oms, url)
    (order_id,) = changed
    assert second.updated >= 1
    assert stored(url)[order_id] == (await server_rows(info))[order_id]


async def test_orders_arriving_and_leaving_the_filter_during_runs(
    oms_sandbox_factory: Factory, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    config = SandboxConfig(orders=1500, products=80, churn=Churn(new_orders=3, changed_orders=6))
    info = oms_sandbox_factory(config)
    ready = Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)

    def matching() -> set[str]:
        return {r.order_id for r in info.state.orders if r.status == 1}

    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        at_start = matching()
        await sync_orders(oms, url, ready, windows=3)
        after_first = matching()
        # Statuses only move forward: an order matching at both ends matched throughout.
        assert at_start & after_first <= set(stored(url))
        await sync_orders(oms, url, ready, windows=3)
        after_second = matching()
    rows = stored(url)
    # Every order that matched from the end of the first run to the end of the second,
    # including those that arrived during the first run, is stored as it is now.
    steady = after_first & after_second
    assert steady <= set(rows)
    assert all(rows[k]["order_status"] == 1 for k in steady)
    assert set(rows) <= {r.order_id for r in info.state.orders}
    assert len(rows) == query(url, "SELECT count(*) FROM orders")[0][0]


async def test_products_are_stored_once_and_unchanged_ones_are_not_rewritten(
    oms_sandbox_factory: Factory, db_url: str
) -> None:
    info = oms_sandbox_factory(orders=100, products=130)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        first = await sync_products(oms, db_url)
        second = await sync_products(oms, db_url)
    assert (first.new, first.updated) == (130, 0)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 130)
    assert first.kind == second.kind == "products"
    assert len(stored(db_url, "products", "product_id")) == 130


class Stopped(Exception):
    """Raised from a progress callback to cut a run short after a batch."""


async def progress_of(
    start: Callable[[Any], Any], stop_at: int | None = None
) -> tuple[SyncSummary | None, list[SyncProgress]]:
    """A run's summary (None when cut short at ``stop_at`` rows) and every progress it gave."""
    seen: list[SyncProgress] = []

    def progress(p: SyncProgress) -> None:
        seen.append(p)
        if stop_at is not None and p.read >= stop_at:
            raise Stopped

    try:
        return await start(progress), seen
    except Stopped:
        # Cut short, not stopped as it ended: rows are left for the run that continues it.
        assert seen[-1].total is None or seen[-1].read < seen[-1].total
        return None, seen


def assert_ends_full(summary: SyncSummary | None, seen: list[SyncProgress]) -> None:
    """A bar drawn from ``seen`` ends at 100%: the total, the same at every batch, is what the
    run read."""
    assert summary is not None
    assert seen
    assert {p.total for p in seen} == {summary.read}
    assert seen[-1].read == summary.read
    counts = (summary.new, summary.updated, summary.unchanged)
    assert (seen[-1].new, seen[-1].updated, seen[-1].unchanged) == counts


@pytest.mark.usefixtures("a_batch_a_page")
@pytest.mark.parametrize("kind", ["orders", "products"])
async def test_progress_counts_what_this_run_reads_resumed_or_not(
    oms_sandbox_factory: Factory, tmp_path: Path, kind: str
) -> None:
    info = oms_sandbox_factory(orders=1000, products=450)
    url = f"sqlite:///{tmp_path / 'o.db'}"
    everything = 1000 if kind == "orders" else 450
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:

        def sync(progress: Any, **options: Any) -> Any:
            if kind == "orders":
                return sync_orders(oms, url, windows=3, progress=progress, **options)
            return sync_products(oms, url, progress=progress)

        cut, seen = await progress_of(sync, stop_at=200)
        assert cut is None
        assert {p.total for p in seen} == {everything}
        kept = seen[-1].read
        resumed, seen = await progress_of(sync)
        assert resumed is not None
        assert resumed.resumed
        assert resumed.read == everything - kept
        assert_ends_full(resumed, seen)
        # A later run: every order modified within the overlap, all of them, cut short and
        # continued too.
        later, seen = await progress_of(functools.partial(sync, overlap=366 * 86400))
        assert later is not None
        assert kind == "products" or not later.full
        assert_ends_full(later, seen)
        cut, seen = await progress_of(functools.partial(sync, overlap=366 * 86400), stop_at=200)
        assert cut is None
        assert {p.total for p in seen} == {later.read}
        kept = seen[-1].read
        resumed, seen = await progress_of(sync)
        assert resumed is not None
        assert resumed.resumed
        assert resumed.read == later.read - kept
        assert_ends_full(resumed, seen)


def batch_reads(progress: list[SyncProgress]) -> list[int]:
    """The rows each batch of a run held, in the order they were committed."""
    reads = [p.read for p in progress]
    return [after - before for before, after in zip([0, *reads[:-1]], reads, strict=True)]


async def test_a_first_sync_commits_a_thousand_rows_a_transaction(
    oms_sandbox_factory: Factory, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # However slowly this machine reads them: the rows, not the clock, end these batches.
    monkeypatch.setattr(_runner, "_BATCH_SECONDS", 3600.0)
    info = oms_sandbox_factory(orders=2500, products=10)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        summary, seen = await progress_of(lambda p: sync_orders(oms, db_url, progress=p))
    assert summary is not None
    assert summary.new == 2500
    *full, last = batch_reads(seen)
    assert len(full) == 2
    assert all(1000 <= rows < 1100 for rows in full)  # the page that reached a thousand
    assert last == 2500 - sum(full)
    assert query(db_url, "SELECT count(*), count(DISTINCT order_id) FROM orders") == [(2500, 2500)]


async def test_a_batch_waits_no_longer_than_its_time_for_a_slow_servers_pages(
    oms_sandbox_factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_runner, "_BATCH_SECONDS", 0.01)
    info = oms_sandbox_factory(
        SandboxConfig(orders=500, products=10, faults=omsclient.sandbox.Faults(latency=0.05))
    )
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        summary, seen = await progress_of(
            lambda p: sync_orders(oms, f"sqlite:///{tmp_path / 'o.db'}", windows=1, progress=p)
        )
    assert summary is not None
    assert summary.new == 500
    # Each page came 50 ms after the one before: the batch a page began was written as the
    # next one came.
    assert len(seen) >= 3
    assert all(rows <= 200 for rows in batch_reads(seen))


async def test_a_request_failing_mid_batch_keeps_the_rows_read_before_it(
    oms: omsclient.AsyncClient, db_url: str
) -> None:
    start = datetime(2025, 3, 27, 10, 0, 0)
    sent = [
        b'{"order_id":"INV%d","date_ordered":"%b","date_modified":"%b"}'
        % (n, *[(start + timedelta(minutes=n)).isoformat().encode()] * 2)
        for n in range(450)
    ]
    answered: set[str] = set()

    def pages(request: httpx.Request) -> httpx.Response:
        # The scan's pages from its Date Ordered on (both a minute apart, in order).
        since = form_of(request).get("date1", "")
        return _answer_of([row for row in sent if orjson.loads(row)["date_ordered"] >= since])(
            request
        )

    def answer(request: httpx.Request) -> httpx.Response:
        # The latest Date Modified (two requests), three pages, then a failure.
        if len(answered) > 250:
            return httpx.Response(200, json=legacy_error(30001, "Authentication failed"))
        response = pages(request)
        if form_of(request)["limit"] == "100":
            answered.update(order["order_id"] for order in orjson.loads(response.content)["orders"])
        return response

    with respx.mock:
        respx.post(FIND).mock(side_effect=answer)
        with pytest.raises(omsclient.AuthenticationError):
            await sync_orders(oms, db_url, windows=1)
    assert 250 < len(answered) < 450
    assert {key for (key,) in query(db_url, "SELECT order_id FROM orders")} == answered
    with respx.mock:
        respx.post(FIND).mock(side_effect=pages)
        summary = await sync_orders(oms, db_url)
    assert summary.resumed
    assert summary.new == 450 - len(answered)


@pytest.mark.usefixtures("a_batch_a_page")
async def test_a_product_sync_continues_whatever_the_clients_order_field_numbering(
    oms_sandbox_factory: Factory, db_url: str
) -> None:
    # The setting numbers order fields 6 and 7, yet a product sync's state was kept under it:
    # a run cut short under one setting was started again from the first product under the
    # other, and the two ran at once without seeing each other.
    info = oms_sandbox_factory(orders=10, products=450)
    async with omsclient.AsyncClient(
        **info.client_kwargs(), order_field_numbering="blueprint"
    ) as oms:
        cut, seen = await progress_of(
            lambda progress: sync_products(oms, db_url, progress=progress), stop_at=200
        )
    assert cut is None
    kept = seen[-1].read
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        resumed = await sync_products(oms, db_url)
    assert resumed.resumed
    assert (resumed.read, resumed.new) == (450 - kept, 450 - kept)
    assert query(db_url, f"SELECT count(*) FROM {STATE_TABLE} WHERE kind = 'products'") == [(1,)]
    assert len(stored(db_url, "products", "product_id")) == 450


@pytest.mark.usefixtures("a_batch_a_page")
async def test_a_product_sync_state_kept_under_the_blueprint_numbering_is_one_full_read(
    oms_sandbox_factory: Factory, db_url: str
) -> None:
    # What a "blueprint" client saved before product queries left the setting out is another
    # query's state: the run reads every product, as every completed run does, and the stale
    # state is left alone.
    info = oms_sandbox_factory(orders=10, products=450)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        cut, seen = await progress_of(
            lambda progress: sync_products(oms, db_url, progress=progress), stop_at=200
        )
        kept = seen[-1].read
        old = query_fingerprint("products", "database", "blueprint", ())
        execute(db_url, f"UPDATE {STATE_TABLE} SET query = '{old}' WHERE kind = 'products'")
        again = await sync_products(oms, db_url)
        later = await sync_products(oms, db_url)
    assert cut is None
    assert (again.resumed, again.read, again.new, again.unchanged) == (False, 450, 450 - kept, kept)
    assert (later.resumed, later.unchanged) == (False, 450)
    assert query(db_url, f"SELECT count(*) FROM {STATE_TABLE} WHERE kind = 'products'") == [(2,)]


def test_the_blocking_client_syncs_too(oms_sandbox_factory: Factory, tmp_path: Path) -> None:
    info = oms_sandbox_factory(orders=250, products=30)
    url = f"sqlite:///{tmp_path / 'o.db'}"
    with omsclient.Client(**info.client_kwargs()) as oms:
        summary = sync_orders(oms, url)
        products = sync_products(oms, url)
    assert isinstance(summary, SyncSummary)
    assert (summary.new, products.new) == (250, 30)


# -- kill and rerun ----------------------------------------------------------------------------


def _count(url: str) -> int:
    try:
        return int(query(url, "SELECT count(*) FROM orders")[0][0])
    except Exception:  # the table may not exist yet
        return 0


def kill_once_rows_are_stored(argv: list[str], env: dict[str, str], url: str) -> tuple[int, str]:
    """Run ``argv``; SIGKILL it as soon as the first batch is committed."""
    with subprocess.Popen(argv, env=env, stderr=subprocess.PIPE) as process:  # closes the pipe
        try:
            deadline = time.monotonic() + 60
            while _count(url) == 0 and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert process.stderr is not None
        return process.returncode, process.stderr.read().decode()


async def test_a_sync_killed_with_sigkill_is_completed_by_the_next_run(
    oms_sandbox_factory: Factory, db_url: str
) -> None:
    info = oms_sandbox_factory(
        SandboxConfig(orders=4000, products=200, faults=omsclient.sandbox.Faults(latency=0.05))
    )
    env = {
        **os.environ,
        "OMS_LEGACY_URL": info.url,
        "OMS_USERNAME": info.username,
        "OMS_PASSWORD": info.password,
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    argv = [sys.executable, "-m", "omsclient", "sync", "orders", "--db", db_url, "--quiet"]
    returncode, err = kill_once_rows_are_stored(argv, env, db_url)
    assert returncode == -signal.SIGKILL, err[-2000:]
    kept = _count(db_url)
    assert 0 < kept < 4000

    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        summary = await sync_orders(oms, db_url)
    assert summary.resumed
    assert summary.full
    assert summary.updated == 0
    assert kept + summary.new == 4000
    assert query(db_url, "SELECT count(*), count(DISTINCT order_id) FROM orders") == [(4000, 4000)]


# -- bad URLs ----------------------------------------------------------------------------------


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    ("make_url", "message"),
    [
        (lambda d: "mysql://u@h/db", "unknown database 'mysql'"),
        (lambda d: "orders.db", "has no scheme"),
        (lambda d: "sqlite://orders.db", "three slashes"),
        (lambda d: f"sqlite:///{d}/missing/o.db", "does not exist"),
        (lambda d: f"sqlite:///{d}", "is a folder"),
        (lambda d: "sqlite:///:memory:", "name the SQLite file"),
        (lambda d: f"sqlite:///{d}/o.db?password=hunter22", "takes no parameters"),
        (lambda d: f"sqlite:///{d}/o?.db", "takes no parameters"),
        (lambda d: f"sqlite:///{d}/o.db#password=hunter22", "takes no parameters"),
        (lambda d: f"sqlite:///{d}/garbage.db", "not a database"),
        (lambda d: "postgresql://u:hunter22@127.0.0.1:1/db", "cannot connect"),
        (lambda d: "postgresql+psycopg://u@h/db", "without a driver name"),
        # Quoted, the URL's bytes held the password.
        (lambda d: b"postgresql://u:hunter22@h/db", "must be a non-empty string, got bytes$"),
        # Mistyped around the scheme, each was quoted whole, password and all; the last two
        # went on to psycopg, which quoted it as a connection string.
        (lambda d: "postgresql//u:hunter22@h/db", "'postgresql//u:\\*\\*\\*@h/db' has no scheme"),
        (lambda d: "u:hunter22@h/db", "'u:\\*\\*\\*@h/db': unknown database 'u'"),
        (lambda d: "sqlite://u:hunter22@h/db", "'sqlite://u:\\*\\*\\*@h/db': a SQLite URL is"),
        (lambda d: "postgresql:/u:hunter22@h/db", "two slashes after the scheme"),
        (lambda d: "postgresql:u:hunter22@h/db", "two slashes after the scheme"),
        # A "://" further on ended the search for the user's part before it began.
        (lambda d: "postgresql:/u:hunter22@h/db?sslrootcert=file://ca.pem", "two slashes"),
        # An "@" and a "/" in the password: what followed the first "@" was shown.
        (lambda d: "postgresql://u:ab@hunter22/x@h/db", "cannot be read"),
        # psycopg raised a UnicodeDecodeError, whose repr() holds the password's bytes.
        (lambda d: "postgresql://u:%E9hunter22@h/db", "its percent-encoded bytes are no UTF-8"),
        (lambda d: "postgresql://u@h/db?password=%E9hunter22", "are no UTF-8"),
        # SQLite's "disk I/O error" said to run again once the database was free, for ever.
        (lambda d: "sqlite:////dev/null", "/dev/null is a device, a pipe or a socket"),
        # "the folder ~ does not exist" said nothing of why.
        (lambda d: "sqlite:///~/o.db", "~ is not expanded in a URL: sqlite:////"),
        # No such user: pathlib's RuntimeError came out as a traceback, exit 1.
        (lambda d: "sqlite:///~no-such-user-x/o.db", "the folder ~no-such-user-x does not exist$"),
    ],
)
async def test_bad_database_urls_fail_clearly_before_anything_is_sent_or_written(
    oms_sandbox: SandboxInfo, tmp_path: Path, make_url: Callable[[Path], str], message: str
) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not sqlite at all" * 100)
    before = listing(tmp_path)
    url = make_url(tmp_path)
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        with pytest.raises(DatabaseUrlError, match=message) as caught:
            await sync_orders(oms, url)
    # Nor in any error it carries as its cause or context, which error reporters print.
    assert not [e for e in linked(caught.value) if "hunter22" in repr(e) + str(e)]
    assert oms_sandbox.state.requests == []
    assert listing(tmp_path) == before
    assert garbage.read_bytes() == b"not sqlite at all" * 100


async def test_a_sqlite_file_named_like_a_uri_is_that_file(
    oms_sandbox: SandboxInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite read "file:x.db" as a URI: it wrote x.db, and the sync then failed with a
    # traceback (FileNotFoundError) looking for the file it had been given.
    monkeypatch.chdir(tmp_path)
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        summary = await sync_orders(oms, "sqlite:///file:x.db")
    assert not (tmp_path / "x.db").exists()
    with contextlib.closing(sqlite3.connect(tmp_path / "file:x.db")) as db:
        assert db.execute("SELECT count(*) FROM orders").fetchone() == (summary.new,)


def test_bad_arguments_are_refused_before_the_database_is_touched(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    with omsclient.Client(legacy_url="http://127.0.0.1:1", username="u", password="p") as oms:
        with pytest.raises(omsclient.ValidationError, match="windows"):
            sync_orders(oms, url, windows=0)
        with pytest.raises(omsclient.ValidationError, match="overlap"):
            sync_orders(oms, url, overlap=-1)
        # Called only after the first batch was stored, it failed there with a TypeError.
        with pytest.raises(omsclient.ValidationError, match="progress must be callable, got int"):
            sync_orders(oms, url, progress=5)  # type: ignore[arg-type]
        with pytest.raises(omsclient.ValidationError, match="progress must be callable, got str"):
            sync_products(oms, url, progress="tqdm")  # type: ignore[arg-type]
    assert not (tmp_path / "o.db").exists()


def test_a_client_that_cannot_reach_the_legacy_api_is_refused_before_the_database_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The database was made, its tables created, and only the first request said the URL was
    # missing.
    monkeypatch.delenv("OMS_LEGACY_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'o.db'}"
    with omsclient.Client(rest_url="https://rest.test", api_token="t") as oms:
        with pytest.raises(omsclient.ConfigurationError, match="No legacy API URL"):
            sync_orders(oms, url)
        with pytest.raises(omsclient.ConfigurationError, match="No legacy API URL"):
            sync_products(oms, url)
    assert not (tmp_path / "o.db").exists()


@pytest.mark.parametrize(
    ("overlap", "seconds"),
    [(1.9, 2), (0.5, 1), (timedelta(milliseconds=1500), 2), (0, 0), (600, 600)],
)
def test_an_overlap_with_a_fraction_looks_back_to_the_next_whole_second(
    overlap: float | timedelta, seconds: int
) -> None:
    # Truncated, 1.9 looked back 1 s and 0.5 not at all: less than asked.
    assert _overlap(overlap) == seconds


# -- the command -------------------------------------------------------------------------------


def sync_argv(url: str, *extra: str) -> list[str]:
    return [
        "sync",
        "orders",
        "--sandbox",
        "--sandbox-orders",
        "300",
        "--sandbox-latency",
        "0",
        "--db",
        url,
        *extra,
    ]


def test_the_sync_command_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OMS_LEGACY_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'o.db'}"
    assert cli.main(sync_argv(url, "--concurrency", "2")) == 0
    out = capsys.readouterr().out
    assert "Synced orders" in out
    assert "every matching row" in out
    assert query(url, "SELECT count(*) FROM orders") == [(300,)]
    # Where the next run starts: the latest Date Modified stored.
    ((latest,),) = query(url, "SELECT max(date_modified) FROM orders")
    assert f"{latest.replace(' ', 'T')} (Date Modified, UTC)" in out
    # The same sandbox data again: nothing new, nothing rewritten.
    assert cli.main(sync_argv(url)) == 0
    out = capsys.readouterr().out
    assert "changes since the last run" in out
    assert query(url, "SELECT count(*) FROM orders") == [(300,)]
    # A sandbox of other data (its orders share invoice numbers with these) is another shop's.
    assert cli.main(sync_argv(url, "--sandbox-orders", "200")) == 2
    err = capsys.readouterr().err
    assert "synced from 127.0.0.1" in err
    # Its advice, to delete the states, left a table of both sandboxes' orders.
    assert "A --sandbox sync goes on only with the --sandbox-orders it started with" in err
    assert query(url, "SELECT count(*) FROM orders") == [(300,)]


@pytest.mark.usefixtures("a_batch_a_page")
def test_the_sync_commands_bar_ends_full_on_first_resumed_and_later_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omsclient._commands._running import Display

    monkeypatch.delenv("OMS_LEGACY_URL", raising=False)
    update, finished = Display.update_sync, Display.finished
    bars: list[tuple[float, float | None]] = []  # (completed, total) after each batch
    ends: list[tuple[tuple[float, float | None], tuple[float, float | None]]] = []
    stop_at: list[int] = []

    def bar(display: Display) -> tuple[float, float | None]:
        (task,) = display.progress.tasks
        return task.completed, task.total

    def recording_update(display: Display, done: SyncProgress) -> None:
        update(display, done)
        bars.append(bar(display))
        if stop_at and done.read >= stop_at[0]:
            raise Stopped

    def recording_finished(display: Display) -> None:
        before = bars[-1] if bars else (0, 0)
        finished(display)
        ends.append((before, bar(display)))

    monkeypatch.setattr(Display, "update_sync", recording_update)
    monkeypatch.setattr(Display, "finished", recording_finished)

    def run(url: str, *extra: str) -> tuple[float, float | None]:
        """The bar of a completed run, as its last batch left it and as it ended."""
        bars.clear()
        ends.clear()
        argv = [*sync_argv(url, "--quiet", *extra)]
        argv[argv.index("300")] = "1000"
        assert cli.main(argv) == 0
        ((last_batch, end),) = ends
        assert last_batch == end  # full already: the end only confirms it
        assert end[0] == end[1]
        return end

    url = f"sqlite:///{tmp_path / 'o.db'}"
    assert run(f"sqlite:///{tmp_path / 'fresh.db'}") == (1000, 1000)
    stop_at.append(200)
    argv = sync_argv(url, "--quiet", "--concurrency", "3")
    argv[argv.index("300")] = "1000"
    with pytest.raises(Stopped):
        cli.main(argv)
    kept = query(url, "SELECT count(*) FROM orders")[0][0]
    assert 0 < kept < 1000
    assert bars[-1] == (kept, 1000)
    stop_at.clear()
    assert run(url) == (1000 - kept, 1000 - kept)  # the rest, not 1000 - kept of 1000
    # Every sandbox order changed within 2024: a year's overlap reads them all again.
    later = run(url, "--overlap", str(366 * 86400))
    assert later == (1000, 1000)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://x/y", "unknown database"),
        ("sqlite:///no/such/folder/o.db", "does not exist"),
    ],
)
def test_the_sync_command_refuses_a_bad_url_with_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str, message: str
) -> None:
    def no_sandbox(args: Any) -> Any:
        raise AssertionError("the sandbox started before the URL was checked")

    monkeypatch.setattr(_sandbox, "sandbox", no_sandbox)
    assert cli.main(sync_argv(url)) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


async def test_a_list_of_hosts_is_tried_in_turn_as_libpq_does(
    oms_sandbox_factory: Factory, postgres: str
) -> None:
    # libpq takes host1:port1,host2:port2 (a standby first, say): the URL was refused as "a bad
    # port, or a / ... in the user name or password", where psycopg connected through it.
    info = oms_sandbox_factory(orders=30, products=1)
    url = _fresh_postgres_database(postgres)
    nobody = free_port()
    listed = url.replace("@127.0.0.1:", f"@127.0.0.1:{nobody},127.0.0.1:", 1)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        summary = await sync_orders(oms, f"{listed}?target_session_attrs=read-write")
    assert summary.new == 30
    assert query(url, "SELECT count(*) FROM orders") == [(30,)]
    with pytest.raises(DatabaseUrlError, match="cannot be read"):
        parse_database_url(url.replace("@127.0.0.1:", "@127.0.0.1:5432,127.0.0.1:port", 1))


async def test_a_postgresql_scheme_in_capitals_connects(
    oms_sandbox_factory: Factory, postgres: str
) -> None:
    # Schemes are read in any case, and the check took it; libpq, handed it as written, took
    # it for a connection string: 'missing "=" after "POSTGRESQL://..."'.
    info = oms_sandbox_factory(orders=10)
    url = _fresh_postgres_database(postgres)
    scheme, rest = url.split("://", 1)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        assert (await sync_orders(oms, f"{scheme.upper()}://{rest}")).new == 10
        assert (await sync_orders(oms, f"Postgres://{rest}")).new == 0  # the same database
    assert query(url, "SELECT count(*) FROM orders") == [(10,)]


# sync.md: the watermark is never later than this machine's clock. A server that ignores the
# Date Modified <= now bound hands back an order stamped in the future; saved as the
# watermark, every later run would read only changes after it (none, for years). The
# sandbox honours the bound, so no test reached the cap.
async def test_the_watermark_is_never_past_this_machines_clock(
    oms_sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_url = f"sqlite:///{tmp_path / 'sync.db'}"
    info = oms_sandbox_factory(orders=50, products=10)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        assert (await sync_orders(oms, db_url)).new == 50
        future = int(time.time()) + 3 * 365 * 86400
        latest = _latest_modified

        async def ignoring_the_bound(client: Any, floor: Any, until: int) -> Any:
            _, requests = await latest(client, floor, until)
            return future, requests  # what a server ignoring "<= now" would make of it

        monkeypatch.setattr("omsclient.dbsync._runner._latest_modified", ignoring_the_bound)
        second = await sync_orders(oms, db_url)
    assert second.watermark is not None
    limit = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 60))
    assert second.watermark <= limit


def test_a_sqlite_store_failing_to_open_for_any_reason_closes_its_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only a DatabaseUrlError or an sqlite3.Error closed it: the file removed between the
    # checks and os.stat() (or a Ctrl-C there) left it open for the collector, and Python 3.13
    # warns of it.
    from omsclient.dbsync import _sqlite

    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def recording(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(connect(*args, **kwargs))
        return opened[-1]

    def gone(path: Any, **_: Any) -> os.stat_result:
        raise FileNotFoundError(2, "No such file or directory", str(path))

    monkeypatch.setattr(_sqlite.sqlite3, "connect", recording)
    monkeypatch.setattr(_sqlite.os, "stat", gone)
    with pytest.raises(FileNotFoundError):
        SqliteStore(str(tmp_path / "o.db"), ORDERS)
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        opened[0].execute("SELECT 1")
