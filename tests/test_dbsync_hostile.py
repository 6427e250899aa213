"""Hostile but legal orders in both databases: what is stored is what the server sent."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import respx

import omsclient
from omsclient._exact_json import dumps_exact, loads_as_sent
from omsclient._storable import storable_value
from omsclient.dbsync import DatabaseError, DatabaseUrlError, _sqlite, sync_orders, sync_products
from omsclient.dbsync._postgres import _jsonb

from .conftest import LEGACY
from .test_dbsync import (  # noqa: F401 - fixtures
    FIND,
    _answer_of,
    db_url,
    execute,
    postgres,
    query,
    stored,
)
from .test_export_sync_fidelity import _pretty_answer_of, _products_answer


def order(order_id: bytes, second: int, extra: bytes = b"") -> bytes:
    """An order as the server writes it, ``order_id`` its JSON (quotes and escapes included)."""
    return (
        b'{"order_id":%b,"date_ordered":"2025-03-26T14:35:%02dZ",'
        b'"date_modified":"2025-03-27T10:00:00","order_status":1%b}' % (order_id, second, extra)
    )


async def _sync(oms: omsclient.AsyncClient, url: str, orders: list[bytes]) -> Any:
    with respx.mock:
        respx.post(FIND).mock(side_effect=_answer_of(orders))
        return await sync_orders(oms, url, windows=1)


async def test_an_order_id_holding_a_nul_is_not_the_id_without_it(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # The key dropped the NUL: INV\0001 and INV1, two orders, were one row, each run storing
    # whichever came last, and the other order was nowhere in the table.
    sent = [order(b'"INV\\u00001"', 1, b',"job_name":"first"'), order(b'"INV1"', 2)]
    first = await _sync(oms, db_url, sent)
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    assert sorted(query(db_url, "SELECT order_id FROM orders")) == [("INV1",), ("INV\\u00001",)]
    assert stored(db_url)["INV\\u00001"]["job_name"] == "first"
    again = await _sync(oms, db_url, sent)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)


async def test_the_numbers_of_an_order_holding_a_nul_are_stored_as_sent(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # PostgreSQL's data took the order through a double to replace its NUL: 2.5000000000000001
    # became 2.5, and 1e400 (no double) failed its batch on every run.
    numbers = b',"note":"a\\u0000b","rate":2.5000000000000001,"big":1e400,"n":%b' % (b"9" * 30)
    sent = order(b'"INV1"', 1, numbers)
    first = await _sync(oms, db_url, [sent, order(b'"INV2"', 2)])
    assert first.new == 2
    if db_url.startswith("sqlite"):
        assert query(db_url, "SELECT data FROM orders WHERE order_id = 'INV1'") == [
            (sent.decode(),)
        ]
    else:
        assert query(
            db_url,
            "SELECT data->>'rate', data->>'big', data->>'n', data->>'note' FROM orders "
            "WHERE order_id = 'INV1'",
        ) == [("2.5000000000000001", "1" + "0" * 400, "9" * 30, "a\\u0000b")]
    again = await _sync(oms, db_url, [sent, order(b'"INV2"', 2)])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)


async def test_an_order_holding_a_number_past_postgresqls_range_is_stored(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # jsonb's numbers are numeric's: 1e200000 (and 1e-20000) overflow it. The batch failed
    # ("value overflows numeric format", naming no order) on every run: the sync was stuck.
    # Then one nested a few hundred levels deep (which the scan reads) a RecursionError.
    huge = b',"big":1e200000,"tiny":-1e-20000,"rate":2.50,"billable_amount":1e200000'
    depth = 800
    huge += b',"deep":' + b"[" * depth + b"1e200000" + b"]" * depth
    sent = [order(b'"INV1"', 1, huge), order(b'"INV2"', 2, b',"rate":2.50')]
    first = await _sync(oms, db_url, sent)
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    if db_url.startswith("sqlite"):
        assert query(db_url, "SELECT data FROM orders WHERE order_id = 'INV1'") == [
            (sent[0].decode(),)
        ]
    else:
        # Such a number is stored as the text of its value; the others of the batch as sent.
        assert query(
            db_url,
            "SELECT jsonb_typeof(data->'big'), data->>'big', data->>'tiny', data->>'rate', "
            "billable_amount FROM orders ORDER BY order_id",
        ) == [("string", "1E+200000", "-1E-20000", "2.50", None), (None, None, None, "2.50", None)]
        innermost = "{deep" + ",0" * depth + "}"
        assert query(db_url, f"SELECT data #>> '{innermost}' FROM orders") == [
            ("1E+200000",),
            (None,),
        ]
    again = await _sync(oms, db_url, sent)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)


# A lone surrogate: half of a pair, which JSON's \u escapes can carry (JavaScript writes one for
# a string cut between the halves of an emoji) and no UTF-8 text holds.
LONE = [
    order(b'"S2"', 1, b',"rate":2.5000000000000001,"big":1e400,"emoji":"\\ud83d\\ude00"'),
    # Last, so the batch's saved scan position names it.
    order(b'"S\\udc001"', 2, b',"job_name":"cut \\ud83d","note":"\\uDFFF\\\\ud800"'),
]


async def test_an_order_holding_a_lone_surrogate_is_stored(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # Every run failed with a bare TypeError ("surrogates not allowed"), naming no order.
    first = await _sync(oms, db_url, LONE)
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    # The key and the text columns hold each lone surrogate as its escape, as they hold a NUL.
    assert sorted(query(db_url, "SELECT order_id, job_name FROM orders")) == [
        ("S2", None),
        ("S\\udc001", "cut \\ud83d"),
    ]
    if db_url.startswith("sqlite"):
        # The server's bytes, the other order's numbers and escapes included.
        assert sorted(query(db_url, "SELECT data FROM orders")) == sorted(
            (sent.decode(),) for sent in LONE
        )
    else:
        # jsonb refuses a lone surrogate: its escape as six characters, like a NUL.
        assert sorted(
            query(
                db_url,
                "SELECT data->>'order_id', data->>'note', data->>'rate', data->>'big', "
                "data->>'emoji' FROM orders",
            )
        ) == [
            ("S2", None, "2.5000000000000001", "1" + "0" * 400, "\U0001f600"),
            ("S\\udc001", "\\udfff\\ud800", None, None, None),
        ]
    again = await _sync(oms, db_url, LONE)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    changed = await _sync(oms, db_url, [LONE[0], LONE[1].replace(b'status":1', b'status":2')])
    assert (changed.new, changed.updated, changed.unchanged) == (0, 1, 1)
    assert query(db_url, "SELECT order_status FROM orders WHERE order_id = 'S\\udc001'") == [(2,)]


async def test_an_order_whose_only_lone_surrogate_is_escaped_in_capitals_is_stored(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # Only the lowercase escape was looked for: jsonb refused "\\uD83D" and failed the batch.
    sent = [order(b'"S3"', 1, b',"job_name":"cut \\uD83D"')]
    first = await _sync(oms, db_url, sent)
    assert (first.new, first.updated, first.unchanged) == (1, 0, 0)
    assert query(db_url, "SELECT order_id, job_name FROM orders") == [("S3", "cut \\ud83d")]


async def test_a_pretty_printed_answer_holding_a_lone_surrogate_is_stored(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # Read the usual way (msgspec compacts no lone surrogate), each order is written again.
    sent = [order(b'"S2"', 1, b',"rate":2.5,"emoji":"\\ud83d\\ude00 \xc3\xa9"'), LONE[1]]
    with respx.mock:
        respx.post(FIND).mock(side_effect=_pretty_answer_of(sent))
        first = await sync_orders(oms, db_url, windows=1)
    assert first.new == 2
    assert sorted(query(db_url, "SELECT order_id, job_name FROM orders")) == [
        ("S2", None),
        ("S\\udc001", "cut \\ud83d"),
    ]
    if db_url.startswith("sqlite"):
        # The same JSON, each lone surrogate the escape it came in.
        data = sorted(text for (text,) in query(db_url, "SELECT data FROM orders"))
        assert [json.loads(text) for text in data] == sorted(
            (json.loads(order) for order in sent), key=lambda o: str(o["order_id"])
        )
        assert "\\ud83d" in data[1]


async def test_a_number_past_a_double_on_a_pretty_page_with_a_lone_surrogate_is_kept(
    oms: omsclient.AsyncClient, tmp_path: Path
) -> None:
    # Such a page was read the usual way, which reads 1e400 as an infinity (orjson wrote it as
    # null, then the sync refused the order): it is split as sent now, every number as sent.
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    sent = [order(b'"S2"', 1, b',"big":1e400'), LONE[1]]
    with respx.mock:
        respx.post(FIND).mock(side_effect=_pretty_answer_of(sent))
        await sync_orders(oms, url, windows=1)
    assert query(url, "SELECT data FROM orders WHERE order_id = 'S2'") == [(sent[0].decode(),)]


# -- the saved state ----------------------------------------------------------------------------

UNREADABLE_STATES = {
    # A newer version's state: its watermark and scan may mean something else.
    "newer": {"version": 3, "source": "shop.test fred", "watermark": None, "run": None},
    "newer scan": {
        "version": 2,
        "source": "shop.test fred",
        "watermark": None,
        "run": {"since": None, "mark": None, "scan": {"kind": "orders", "version": 2}},
    },
    "no object": [1, 2],
    # A scan naming an order id no database text holds is saved as its JSON text.
    "scan no json": {
        "version": 2,
        "source": "shop.test fred",
        "watermark": None,
        "run": {"since": None, "mark": None, "scan": "{cut"},
    },
}


@pytest.mark.parametrize("state", list(UNREADABLE_STATES))
async def test_a_state_this_version_cannot_read_is_refused_naming_the_remedy(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
    state: str,
) -> None:
    # A newer version's state was taken for this one's (its version never read); a scan state
    # it could not read was a ValidationError ("bad arguments"), and one that was no object a
    # bare TypeError, neither naming the database nor what to do.
    sent = [order(b'"INV1"', 1), order(b'"INV2"', 2)]
    await _sync(oms, db_url, sent)
    await _refused_with(oms, db_url, sent, json.dumps(UNREADABLE_STATES[state]))


@pytest.mark.parametrize(
    "text",
    [
        # SQLite's text column can hold it (PostgreSQL's jsonb cannot).
        "{cut",
        # Its version quoted with repr(): a bare RecursionError on every run.
        '{"version":' + "[" * 1000 + "2" + "]" * 1000 + ',"source":"shop.test fred"}',
    ],
    ids=["no json", "version nested past the stack"],
)
async def test_a_state_text_it_cannot_read_is_refused_naming_the_remedy(
    oms: omsclient.AsyncClient, tmp_path: Path, text: str
) -> None:
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    sent = [order(b'"INV1"', 1), order(b'"INV2"', 2)]
    await _sync(oms, url, sent)
    await _refused_with(oms, url, sent, text)


async def _refused_with(oms: omsclient.AsyncClient, url: str, sent: list[bytes], text: str) -> None:
    execute(url, f"UPDATE omsclient_sync_state SET state = '{text}'")
    with respx.mock:
        find = respx.post(FIND).mock(side_effect=_answer_of(sent))
        with pytest.raises(DatabaseUrlError, match="sync state of these orders") as caught:
            await sync_orders(oms, url, windows=1)
        assert find.call_count == 0
    assert "delete its row of omsclient_sync_state" in str(caught.value)
    assert query(url, "SELECT count(*) FROM orders") == [(2,)]


# -- products: read as objects, written out again -------------------------------------------------

PRODUCTS_FIND = f"{LEGACY}/api/json/manage_products/find"


async def test_a_product_holding_a_lone_surrogate_is_stored(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # orjson refused to write it back: a bare TypeError on every run.
    sent = [b'{"product_id":1,"product_name":"cut \\ud83d","brand":"\\u00e9"}']
    with respx.mock:
        respx.post(PRODUCTS_FIND).mock(side_effect=_products_answer(sent))
        summary = await sync_products(oms, db_url)
    assert summary.new == 1
    assert query(db_url, "SELECT product_name, brand FROM products") == [("cut \\ud83d", "\u00e9")]
    if db_url.startswith("sqlite"):
        [(data,)] = query(db_url, "SELECT data FROM products")
        assert json.loads(data) == json.loads(sent[0])
    else:
        assert query(db_url, "SELECT data->>'product_name' FROM products") == [("cut \\ud83d",)]


async def test_a_deep_product_holding_a_lone_surrogate_is_stored(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # Written back by recursion: a bare RecursionError on every run, a few hundred levels deep.
    depth = 800
    sent = [
        b'{"product_id":1,"product_name":"Tee","x":%b"cut \\ud83d"%b}'
        % (b"[" * depth, b"]" * depth)
    ]
    with respx.mock:
        respx.post(PRODUCTS_FIND).mock(side_effect=_products_answer(sent))
        summary = await sync_products(oms, db_url)
    assert summary.new == 1
    if db_url.startswith("sqlite"):
        assert query(db_url, "SELECT data FROM products") == [(sent[0].decode(),)]
    else:
        innermost = "{x" + ",0" * depth + "}"
        assert query(db_url, f"SELECT data #>> '{innermost}' FROM products") == [("cut \\ud83d",)]


async def test_a_product_number_past_a_double_is_no_null(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # The client read 1e400 as an infinity, which orjson wrote as null: the product was
    # stored with a price it never had. The scan now reads the number as sent, stored as such.
    sent = [b'{"product_id":2,"product_name":"A","price":1e400}']
    with respx.mock:
        respx.post(PRODUCTS_FIND).mock(side_effect=_products_answer(sent))
        summary = await sync_products(oms, db_url)
    assert summary.new == 1
    if db_url.startswith("sqlite"):
        [(data,)] = query(db_url, "SELECT data FROM products")
        assert data == '{"product_id":2,"product_name":"A","price":1E+400}'
    else:
        assert query(db_url, "SELECT data->>'price' FROM products") == [("1" + "0" * 400,)]


async def test_a_key_sent_twice_reads_as_its_last_value_in_both_databases(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    twice = b',"order_status":1,"job_name":"a","order_status":3,"job_name":"b","Job_Name":"c"'
    sent = [order(b'"INV1"', 1, twice)]
    await _sync(oms, db_url, sent)
    assert query(db_url, "SELECT order_status, job_name FROM orders") == [(3, "b")]
    if db_url.startswith("sqlite"):
        # The text as sent; SQLite's own JSON functions take the first (docs/sync.md).
        assert query(db_url, "SELECT data FROM orders") == [(sent[0].decode(),)]
        assert query(db_url, "SELECT json_extract(data, '$.order_status') FROM orders") == [(1,)]
    else:
        assert query(db_url, "SELECT data->>'order_status', data->>'Job_Name' FROM orders") == [
            ("3", "c")
        ]
    # The same JSON (each key's last value) written another way is unchanged, in SQLite too.
    same = b',"order_status":3,"job_name":"b","Job_Name":"c"'
    again = await _sync(oms, db_url, [order(b'"INV1"', 1, same)])
    assert (again.updated, again.unchanged) == (0, 1)


async def test_an_order_sent_twice_in_one_page_is_stored_as_its_last_copy(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    sent = [
        order(b'"INV1"', 1, b',"job_name":"first"'),
        order(b'"INV2"', 2),
        order(b'"INV1"', 3, b',"job_name":"last"'),
    ]
    summary = await _sync(oms, db_url, sent)
    assert (summary.new, summary.updated, summary.unchanged) == (2, 0, 0)
    assert sorted(query(db_url, "SELECT order_id, job_name FROM orders")) == [
        ("INV1", "last"),
        ("INV2", None),
    ]
    assert stored(db_url)["INV1"] == json.loads(sent[2])


async def test_a_sqlite_database_held_by_another_program_is_no_bad_argument(
    oms: omsclient.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reader holding a write transaction as the sync starts: it was a DatabaseUrlError, so
    # the command exited 2, "bad arguments", which a wrapper does not run again.
    url = f"sqlite:///{tmp_path / 'o.db'}"
    await _sync(oms, url, [order(b'"INV1"', 1)])
    monkeypatch.setattr(_sqlite, "_BUSY_SECONDS", 0.1)
    holder = sqlite3.connect(tmp_path / "o.db", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(DatabaseError) as caught:
            await _sync(oms, url, [order(b'"INV1"', 1)])
    finally:
        holder.close()
    assert not isinstance(caught.value, DatabaseUrlError)
    assert "database is locked" in str(caught.value)
    assert "run again" in str(caught.value)


async def test_a_full_sqlite_disk_is_named_in_the_error_not_the_rollback_after_it(
    oms: omsclient.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite rolls a transaction back itself when its disk is full: the sync's ROLLBACK then
    # failed, and "cannot rollback - no transaction is active" was the error it reported.
    connect = sqlite3.connect

    def on_a_small_disk(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = connect(*args, **kwargs)
        db.execute("PRAGMA max_page_count=30")  # as full as a disk: SQLITE_FULL
        return db

    monkeypatch.setattr(_sqlite.sqlite3, "connect", on_a_small_disk)
    url = f"sqlite:///{tmp_path / 'o.db'}"
    sent = [order(b'"INV%d"' % n, n, b',"note":"%b"' % (b"x" * 60_000)) for n in range(59)]
    with pytest.raises(DatabaseError) as caught:
        await _sync(oms, url, sent)
    assert str(caught.value).endswith("o.db: database or disk is full")
    monkeypatch.undo()  # room again: the next run stores every order
    await _sync(oms, url, sent)
    assert sorted(stored(url)) == sorted(f"INV{n}" for n in range(59))


@pytest.mark.parametrize("encoding", ["LATIN1", "SQL_ASCII"])
async def test_a_session_in_another_client_encoding_stores_every_character(
    oms: omsclient.AsyncClient,
    postgres: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    encoding: str,
) -> None:
    # libpq's PGCLIENTENCODING (or the role's, or the URL's client_encoding): LATIN1 failed
    # every batch holding an emoji with a bare UnicodeEncodeError; SQL_ASCII handed the
    # catalog's names back as bytes, and a new database's tables were refused as lacking every
    # column. The sync's session speaks UTF-8 whatever the environment says.
    from .test_dbsync import _fresh_postgres_database

    url = _fresh_postgres_database(postgres)
    monkeypatch.setenv("PGCLIENTENCODING", encoding)
    sent = [order(b'"INV1"', 1, ',"job_name":"Café 🎉"'.encode()), order(b'"INV2"', 2)]
    first = await _sync(oms, url, sent)
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    monkeypatch.delenv("PGCLIENTENCODING")
    assert query(url, "SELECT job_name, data->>'job_name' FROM orders ORDER BY order_id") == [
        ("Café 🎉", "Café 🎉"),
        (None, None),
    ]


async def test_postgresql_stores_each_order_as_its_data_column_says(
    oms: omsclient.AsyncClient,
    postgres: str,  # noqa: F811
) -> None:
    # Each batch goes through a staging table, whose copy of an order's JSON the merge keeps as
    # it is: a data column set to lz4, or to no compression, held pglz values all the same.
    from .test_dbsync import _fresh_postgres_database

    url = _fresh_postgres_database(postgres)
    long = b',"notes":"%b"' % (b"compressible " * 400)  # past the 2 KB PostgreSQL compresses
    sent = [order(b'"INV%d"' % n, n, long) for n in range(1, 4)]
    await _sync(oms, url, sent[:1])
    execute(url, "ALTER TABLE orders ALTER COLUMN data SET STORAGE EXTERNAL")
    await _sync(oms, url, sent[:2])
    compressed = "SELECT order_id, pg_column_compression(data) FROM orders ORDER BY order_id"
    assert query(url, compressed) == [("INV1", "pglz"), ("INV2", None)]
    lz4 = "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
    if query(url, lz4) == [(True,)]:  # a server built with lz4, as Debian's and most are
        execute(
            url,
            "ALTER TABLE orders ALTER COLUMN data SET STORAGE EXTENDED, "
            "ALTER COLUMN data SET COMPRESSION lz4",
        )
        await _sync(oms, url, sent)
        assert query(url, compressed)[2] == ("INV3", "lz4")
    # Read back whole, however stored.
    assert {row["notes"] for row in stored(url).values()} == {"compressible " * 400}


def _jsonb_read_whole(data: bytes) -> bytes:
    """What ``_jsonb`` makes of ``data``, every text read whole (its slow path, always)."""
    value = loads_as_sent(data)
    cleaned = storable_value(value)
    return data if cleaned == value else dumps_exact(cleaned)


_JSONB_PIECES = [b"a", b"\\\\", b"\\/", b"\\n", b"\\u0000", b"\\u00e9", b"\\ud83d\\ude00"]
_JSONB_PIECES += [b"\\ud800", b"\\uDC00", b"\\u0d00", b"u0000", b"\\u000a", b"\\uD83D\\uDE00"]


@pytest.mark.parametrize("seed", range(4))
def test_the_jsonb_fast_path_leaves_only_orders_nothing_would_change(seed: int) -> None:
    # The PostgreSQL store passes an order whose bytes hold no backslash, or no escape jsonb may
    # refuse, as it came; anything else is read whole. Both must write what reading every order
    # whole writes: a NUL or a lone surrogate escaped, pairs and escaped backslashes kept.
    pick = random.Random(seed)
    for _ in range(300):
        text = b"".join(pick.choices(_JSONB_PIECES, k=pick.randrange(0, 6)))
        data = b'{"order_id":"1","note":"%b","n":2.50}' % text
        assert _jsonb(data) == _jsonb_read_whole(data), data
    plain = b'{"order_id":"1","url":"https:\\/\\/x\\/a.pdf","name":"Caf\\u00e9 \\ud83d\\ude00"}'
    assert _jsonb(plain) is plain
    assert _jsonb(b'{"a":"x\\u0000"}') == b'{"a":"x\\\\u0000"}'
    assert _jsonb(b'{"a":"\\\\u0000"}') == b'{"a":"\\\\u0000"}'
    assert _jsonb(b'{"a":"\\uDC00"}') == b'{"a":"\\\\udc00"}'
