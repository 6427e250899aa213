"""Sync runs against real databases: runs at once, locks held by others, watermark edges."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

import omsclient
from omsclient.dbsync import (
    DatabaseError,
    DatabaseUrlError,
    SyncProgress,
    sync_orders,
    sync_products,
)
from omsclient.dbsync._postgres import PostgresStore
from omsclient.dbsync._sqlite import SqliteStore
from omsclient.dbsync._tables import ORDERS, PRODUCTS, Table
from omsclient.dbsync._thread import in_thread
from omsclient.legacy import Condition, Op, OrderField, StatusChange
from omsclient.legacy._sent import SentOrder
from omsclient.sandbox import Faults, SandboxConfig, SandboxInfo

from .test_dbsync import (  # noqa: F401 - fixtures
    STATE_TABLE,
    _fresh_postgres_database,
    db_url,
    execute,
    postgres,
    query,
    server_rows,
    stored,
)

Factory = Callable[..., SandboxInfo]


# -- two runs of one query at once -------------------------------------------------------------


@pytest.mark.usefixtures("a_batch_a_page")
@pytest.mark.parametrize("kind", ["orders", "products"])
async def test_a_second_sync_of_the_same_query_is_refused_while_the_first_runs(
    oms_sandbox_factory: Factory,
    db_url: str,  # noqa: F811
    kind: str,
) -> None:
    # Both ran the whole job, the second "continuing an interrupted run" from the first's
    # position and overwriting its state, with counts that said nothing true.
    # Slow enough that the first is still running a second after its first batch: the second
    # waits that long for a run killed a moment ago to let go of its lock.
    info = oms_sandbox_factory(SandboxConfig(orders=2000, products=700, faults=Faults(latency=0.3)))
    # The same host and user: the second run reads "the same server", and sends it nothing.
    spare = oms_sandbox_factory(SandboxConfig(orders=700, products=700))
    sync = sync_orders if kind == "orders" else sync_products
    stored_some = asyncio.Event()

    def progress(p: SyncProgress) -> None:
        stored_some.set()

    async with (
        omsclient.AsyncClient(**info.client_kwargs()) as oms,
        omsclient.AsyncClient(**spare.client_kwargs()) as second,
    ):
        first = asyncio.ensure_future(sync(oms, db_url, progress=progress))
        await stored_some.wait()
        with pytest.raises(DatabaseError, match=f"another sync of these {kind} is running"):
            await sync(second, db_url)
        assert spare.state.requests == []
        assert not first.done()
        summary = await first
        rows = 2000 if kind == "orders" else 700
        assert (summary.new, summary.updated, summary.unchanged) == (rows, 0, 0)
        # Once the first is done, the next run runs.
        again = await sync(oms, db_url)
    assert not again.resumed
    assert again.new == again.updated == 0
    assert len(stored(db_url, kind, kind[:-1] + "_id")) == rows


def test_a_sync_through_a_symlink_to_the_database_is_refused_while_one_runs(
    tmp_path: Path,
) -> None:
    # The lock file was named after the path given: a run through a link to the same file
    # took a lock of its own and both ran, the second resuming from the first's position.
    real = tmp_path / "real.db"
    link = tmp_path / "link.db"
    first = SqliteStore(str(real), ORDERS)
    link.symlink_to(real)
    second = SqliteStore(str(link), ORDERS)
    try:
        first.hold("0123456789abcdef", "orders")
        with pytest.raises(DatabaseError, match="another sync of these orders is running"):
            second.hold("0123456789abcdef", "orders")
    finally:
        second.close()
        first.close()


def test_a_sync_of_the_same_tables_by_another_search_path_is_refused_while_one_runs(
    postgres: str,  # noqa: F811
) -> None:
    # The lock was keyed on current_schema(): a role with a schema of its own, empty, first in
    # its search path ("$user", public) reaches public's tables under another key, and both
    # runs ran, the second taking the first's position for an interrupted run's. Tables of the
    # same names in another schema are other tables: their sync runs beside.
    from omsclient.dbsync._postgres import PostgresStore

    from .test_dbsync import _fresh_postgres_database

    url = _fresh_postgres_database(postgres)
    execute(url, "CREATE SCHEMA empty; CREATE SCHEMA other")
    first = PostgresStore(url, "first", ORDERS)
    through = PostgresStore(f"{url}?options=-csearch_path%3Dempty,public", "through", ORDERS)
    apart = PostgresStore(f"{url}?options=-csearch_path%3Dother", "apart", ORDERS)
    try:
        assert query(url, "SELECT to_regclass('other.orders') IS NOT NULL") == [(True,)]
        first.hold("0123456789abcdef", "orders")
        with pytest.raises(DatabaseError, match="another sync of these orders is running"):
            through.hold("0123456789abcdef", "orders")
        apart.hold("0123456789abcdef", "orders")
    finally:
        for store in (first, through, apart):
            store.close()


def test_runs_of_other_queries_writing_the_same_orders_lock_them_in_one_order(
    postgres: str,  # noqa: F811
) -> None:
    # Each run upserted a batch in the order its pages came: two runs of other filters (other
    # date windows) writing the same orders locked them in opposite orders and one failed,
    # "deadlock detected". A third session holding the first row lines them up: the first run
    # waits for it, the second (in the opposite order) took the second row before waiting.
    import psycopg

    from .test_dbsync import _fresh_postgres_database

    url = _fresh_postgres_database(postgres)

    def rows(keys: str, version: int) -> list[SentOrder]:
        return [
            SentOrder(k, None, b'{"order_id":"%s","v":%d}' % (k.encode(), version)) for k in keys
        ]

    stores = [PostgresStore(url, "the database", ORDERS) for _ in range(2)]
    holder = psycopg.connect(url)
    watcher = psycopg.connect(url, autocommit=True)
    failed: list[BaseException] = []

    def run(store: PostgresStore, keys: str, name: str) -> None:
        try:
            store.apply(ORDERS, rows(keys, 2), name, "orders", {"run": None})
        except BaseException as exc:
            failed.append(exc)

    def waiting(count: int) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            (now,) = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            ).fetchone() or (0,)
            if now == count:
                return
            time.sleep(0.01)
        raise AssertionError(f"{count} sessions never waited for a lock")

    try:
        stores[0].apply(ORDERS, rows("AB", 1), "first", "orders", {"run": None})
        holder.execute("SELECT 1 FROM orders WHERE order_id = 'A' FOR UPDATE")
        threads = [
            threading.Thread(target=run, args=(stores[0], "AB", "first")),
            threading.Thread(target=run, args=(stores[1], "BA", "second")),
        ]
        for n, thread in enumerate(threads, 1):
            thread.start()
            waiting(n)
        holder.rollback()
        for thread in threads:
            thread.join(20)
        assert failed == []
        assert query(url, "SELECT order_id, data->>'v' FROM orders ORDER BY 1") == [
            ("A", "2"),
            ("B", "2"),
        ]
    finally:
        holder.close()
        watcher.close()
        for store in stores:
            store.close()


async def test_syncs_of_other_queries_run_at_once_on_one_database(
    oms_sandbox_factory: Factory,
    db_url: str,  # noqa: F811
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=500, products=300, faults=Faults(latency=0.01)))
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        orders, products = await asyncio.gather(
            sync_orders(oms, db_url), sync_products(oms, db_url)
        )
    assert (orders.new, products.new) == (500, 300)
    assert stored(db_url) == await server_rows(info)


def _open_at_once(path: Path, *tables: Table) -> list[BaseException]:
    """What opening ``path`` for each of ``tables`` in threads started together raised."""
    together = threading.Barrier(len(tables))
    failed: list[BaseException] = []

    def open_store(table: Table) -> None:
        together.wait()
        try:
            SqliteStore(str(path), table).close()
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=open_store, args=(table,)) for table in tables]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failed


def test_syncs_of_other_queries_opening_a_new_sqlite_file_at_once_both_open_it(
    tmp_path: Path,
) -> None:
    # Both switch the new file to the write-ahead log at once, and SQLite refuses one of them
    # "database is locked" without waiting, about one time in ten.
    for attempt in range(60):
        path = tmp_path / f"{attempt}.db"
        assert _open_at_once(path, ORDERS, PRODUCTS) == [], f"attempt {attempt}"
        tables = query(f"sqlite:///{path}", "SELECT name FROM sqlite_master WHERE type = 'table'")
        assert {"orders", "products"} <= {name for (name,) in tables}


# -- PostgreSQL: roles, layouts and settings -----------------------------------------------------


def _as_role(url: str, role: str, *grants: str) -> str:
    """``url`` for a new login role, granted ``grants`` by the owner of ``url``'s database."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE ROLE {role} LOGIN")
        db.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        for grant in grants:
            db.execute(f"GRANT {grant} TO {role}")
    return url.replace("omsclient@", f"{role}@")


async def test_a_role_granted_reads_and_writes_on_tables_made_for_it_syncs(
    oms_sandbox_factory: Factory,
    postgres: str,  # noqa: F811
) -> None:
    # A DBA creates the tables (a first sync as their owner) and grants an ETL role reads and
    # writes: CREATE TABLE IF NOT EXISTS wanted CREATE on the schema, and CREATE INDEX IF NOT
    # EXISTS the table's ownership, even with everything there, so the role could never sync.
    from .test_dbsync import _fresh_postgres_database

    owner = _fresh_postgres_database(postgres)
    info = oms_sandbox_factory(orders=250, products=20)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        await sync_orders(oms, owner)
        await sync_products(oms, owner)
        etl = _as_role(
            owner,
            f"etl_{owner.rsplit('_', 1)[1]}",
            f"SELECT, INSERT, UPDATE ON orders, products, {STATE_TABLE}",
        )
        record = next(r for r in info.state.orders if r.status < 3)
        change = StatusChange(order_id=record.order_id, new_status=record.status + 1)
        await oms.legacy.orders.update_status(change)
        orders = await sync_orders(oms, etl)
        products = await sync_products(oms, etl)
    assert (orders.new, orders.updated) == (0, 1)
    assert (products.new, products.updated, products.unchanged) == (0, 0, 20)
    assert stored(owner) == await server_rows(info)


@pytest.mark.parametrize(
    ("grants", "temporary", "refused"),
    [
        ("SELECT, INSERT", True, "may not UPDATE orders"),
        # Each batch is staged in a temporary table: without TEMPORARY on the database, the
        # sync failed as a DatabaseError (exit 1, "run it again"), naming tables that were there.
        ("SELECT, INSERT, UPDATE", False, "may not create temporary tables"),
    ],
    ids=["no UPDATE", "no TEMPORARY"],
)
async def test_a_role_that_may_not_write_is_refused_before_anything_is_sent(
    oms_sandbox_factory: Factory,
    postgres: str,  # noqa: F811
    grants: str,
    temporary: bool,
    refused: str,
) -> None:
    from .test_dbsync import _fresh_postgres_database

    owner = _fresh_postgres_database(postgres)
    info = oms_sandbox_factory(orders=150, products=10)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        await sync_orders(oms, owner)
    database = owner.rsplit("/", 1)[1]
    if not temporary:  # PostgreSQL grants it to every role: a common hardening revokes it
        execute(owner, f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC")
    role = _as_role(
        owner, f"role_{database.rsplit('_', 1)[1]}", f"{grants} ON orders, {STATE_TABLE}"
    )
    info.state.requests.clear()
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        with pytest.raises(DatabaseUrlError) as raised:
            await sync_orders(oms, role)
    assert refused in str(raised.value)
    assert info.state.requests == []


@pytest.mark.parametrize(
    ("setting", "remedy"),
    [
        ("no CREATE", "grant the user CREATE on the schema"),
        ("read-only", "the session is read-only"),
        ("no schema", "its search_path names no schema"),
    ],
)
async def test_a_database_where_the_tables_cannot_be_made_is_refused_as_set_up(
    oms_sandbox_factory: Factory,
    postgres: str,  # noqa: F811
    setting: str,
    remedy: str,
) -> None:
    # Each failed as a DatabaseError (exit 1) whose message said to run the same command again,
    # which failed the same way every time.
    from .test_dbsync import _fresh_postgres_database

    url = _fresh_postgres_database(postgres)
    if setting == "no CREATE":
        url = _as_role(url, f"bare_{url.rsplit('_', 1)[1]}")
    else:
        option = (
            "default_transaction_read_only%3Don" if setting == "read-only" else "search_path%3D"
        )
        url += f"?options=-c{option}"
    info = oms_sandbox_factory(orders=20)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        with pytest.raises(DatabaseUrlError, match="cannot create the sync tables") as raised:
            await sync_orders(oms, url)
    assert remedy in str(raised.value)
    assert info.state.requests == []


async def test_a_statement_the_database_times_out_says_which_setting_to_change(
    oms_sandbox_factory: Factory,
    postgres: str,  # noqa: F811
) -> None:
    # A statement_timeout shorter than a batch's write failed every run with the server's
    # "canceling statement due to statement timeout", and the command's advice to run again.
    from .test_dbsync import _fresh_postgres_database

    url = _fresh_postgres_database(postgres)
    info = oms_sandbox_factory(orders=20)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        await sync_orders(oms, url)
        # Each run saves its state: a write that takes longer than the timeout, every time.
        for sql in (
            "CREATE FUNCTION slowly() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END $$",
            f"CREATE TRIGGER slowly BEFORE INSERT ON {STATE_TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION slowly()",
            f"ALTER DATABASE {url.rsplit('/', 1)[1]} SET statement_timeout = '100ms'",
        ):
            execute(url, sql)
        with pytest.raises(DatabaseError, match="statement timeout") as raised:
            await sync_orders(oms, url)
        assert "statement_timeout" in str(raised.value)
        # The remedy the message gives works.
        assert "URL parameter options=-cstatement_timeout%3D0" in str(raised.value)
        summary = await sync_orders(oms, url + "?options=-cstatement_timeout%3D0")
    assert summary.new == 0


async def test_a_session_closed_for_idleness_says_which_setting_to_change(
    oms_sandbox_factory: Factory,
    postgres: str,  # noqa: F811
) -> None:
    # The session is idle while the sync reads pages: an idle_session_timeout shorter than a
    # page's wait ended every run at its first batch, saying only to run it again.
    from .test_dbsync import _fresh_postgres_database

    url = _fresh_postgres_database(postgres)
    info = oms_sandbox_factory(orders=20, faults=Faults(latency=1.0))
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        with pytest.raises(DatabaseError, match="idle-session timeout") as raised:
            await sync_orders(oms, url + "?options=-cidle_session_timeout%3D300")
        # The remedy the message gives works.
        assert "URL parameter options=-cidle_session_timeout%3D0" in str(raised.value)
        remedied = "?options=-cidle_session_timeout%3D300%20-cidle_session_timeout%3D0"
        summary = await sync_orders(oms, url + remedied)
    assert summary.new == 20


# -- tables that are not the sync's ---------------------------------------------------------------


_ORDERS_WITHOUT_TAX = (
    "CREATE TABLE orders (order_id text PRIMARY KEY, order_status integer, customer_id integer, "
    "job_name text, customer_po_number text, date_ordered {date}, date_modified {date}, "
    "date_production_files_ready {date}, date_produced {date}, date_shipped {date}, "
    "date_invoiced {date}, date_due {date}, billable_amount numeric, outstanding_balance numeric, "
    "item_amount numeric, shipping_amount numeric, data {json} NOT NULL)"
)


async def test_an_orders_table_without_a_column_the_sync_writes_is_refused_before_sending(
    oms_sandbox_factory: Factory,
    db_url: str,  # noqa: F811
) -> None:
    # Another program's orders table, or one altered by hand: every run sent its first request,
    # then failed the write ("column tax_amount does not exist"), exit 1, "run it again".
    sqlite = db_url.startswith("sqlite:")
    execute(
        db_url,
        _ORDERS_WITHOUT_TAX.format(
            date="TEXT" if sqlite else "timestamptz", json="TEXT" if sqlite else "jsonb"
        ),
    )
    assert "orders has no column tax_amount" in await _refusal(oms_sandbox_factory, db_url)


async def test_an_orders_table_of_its_key_and_data_alone_is_refused_naming_every_column(
    oms_sandbox_factory: Factory,
    db_url: str,  # noqa: F811
) -> None:
    # SQLite made the indexes first, and the first on a column the table lacked failed in
    # its words ("no such column: order_status"), one column a run.
    data = "TEXT" if db_url.startswith("sqlite:") else "jsonb"
    execute(db_url, f"CREATE TABLE orders (order_id text PRIMARY KEY, data {data})")
    refusal = await _refusal(oms_sandbox_factory, db_url)
    for column in ORDERS.columns:
        assert f"orders has no column {column.name}" in refusal


@pytest.mark.parametrize(
    ("column", "layout", "named"),
    [
        ("date_shipped", "timestamp", "date_shipped is timestamp"),
        ("data", "json", "data is json"),
        ("order_id", "text", "order_id is not unique"),
        # Each passed, then failed every batch after its first request.
        ("order_id", "text PRIMARY KEY DEFERRABLE", "order_id is not unique"),
        ("order_id", "varchar(4) PRIMARY KEY", "order_id is character varying(4)"),
        ("billable_amount", "numeric(3,0)", "billable_amount is numeric(3,0)"),
        # Passed, then failed every run ("smallint out of range"): customer ids run to millions.
        ("customer_id", "smallint", "customer_id is int2, not int4 or int8 or numeric"),
    ],
)
async def test_a_postgresql_table_whose_columns_hold_other_types_is_refused(
    oms_sandbox_factory: Factory,
    postgres: str,  # noqa: F811
    column: str,
    layout: str,
    named: str,
) -> None:
    # A timestamp without a time zone took each UTC date as the server's TimeZone's local
    # time, silently; json has no equality for the merge; a key without a unique index, no
    # ON CONFLICT. The last two failed only after the first request.
    from .test_dbsync import _fresh_postgres_database

    url = _fresh_postgres_database(postgres)
    sql = _ORDERS_WITHOUT_TAX.format(date="timestamptz", json="jsonb").replace(
        "data jsonb", "tax_amount numeric, data jsonb"
    )
    if column == "order_id":
        sql = sql.replace("text PRIMARY KEY", layout)
    else:
        was = {"data": "jsonb", "billable_amount": "numeric", "customer_id": "integer"}.get(
            column, "timestamptz"
        )
        sql = sql.replace(f"{column} {was}", f"{column} {layout}")
    execute(url, sql)
    execute(url, "ALTER DATABASE " + url.rsplit("/", 1)[1] + " SET timezone = 'America/New_York'")
    assert named in await _refusal(oms_sandbox_factory, url)


async def test_a_postgresql_product_id_of_32_bits_is_refused_a_customer_id_taken(
    oms_sandbox_factory: Factory,
    postgres: str,  # noqa: F811
) -> None:
    # Product ids pass 32 bits: an int4 key passed the check, then failed every run after
    # reading the catalogue ("integer out of range"). A customer id of int4 holds its ids.
    from .test_dbsync import _fresh_postgres_database

    url = _fresh_postgres_database(postgres)
    execute(url, _PRODUCTS.format(key="integer").replace("data TEXT", "data jsonb"))
    info = oms_sandbox_factory(orders=150, products=10)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        with pytest.raises(DatabaseUrlError, match="product_id is int4, not int8 or numeric"):
            await sync_products(oms, url)
        assert info.state.requests == []
        sql = _ORDERS_WITHOUT_TAX.format(date="timestamptz", json="jsonb")
        execute(url, sql.replace("data jsonb", "tax_amount numeric, data jsonb"))
        assert (await sync_orders(oms, url)).new == 150


async def test_a_narrower_postgresql_column_takes_null_for_a_value_past_its_range(
    oms: omsclient.AsyncClient,
    postgres: str,  # noqa: F811
) -> None:
    # Columns docs/sync.md allows (integer for customer_id, any integer for the status, a float
    # for the amounts) passed the check, then a customer id past 32 bits, or an amount past a
    # real's range, failed the batch on every run ("integer out of range", "out of range for
    # type real") and the table stayed empty: it is NULL there now, as a value the model
    # refuses, and whole in data.
    from .test_dbsync import _fresh_postgres_database
    from .test_export_sync_fidelity import _sync, order

    url = _fresh_postgres_database(postgres)
    sql = _ORDERS_WITHOUT_TAX.format(date="timestamptz", json="jsonb")
    execute(
        url,
        sql.replace("order_status integer", "order_status smallint")
        .replace("item_amount numeric", "item_amount real")
        .replace("data jsonb", "tax_amount numeric, data jsonb"),
    )
    sent = [
        order(1, b',"customer_id":3000000000,"item_amount":1e39'),
        order(2, b',"customer_id":2147483647,"item_amount":-3.4e38'),
        order(3, b',"customer_id":-2147483649,"item_amount":1e-50'),
        order(4, b',"item_amount":0'),
        # Real's ends as PostgreSQL prints them: reals.
        order(5, b',"item_amount":3.4028235e38'),
        order(6, b',"item_amount":1e-45'),
        # Just short of half-way past the largest, staged as written: real's largest (bounded
        # by the rounded 3.4028235677973366e38, it was NULL).
        order(7, b',"item_amount":3.4028235677973366e38'),
        # Read as the double 2^-150, half the smallest, and past half-way: no real.
        order(8, b',"item_amount":7.006492321624086e-46'),
        order(9, b',"item_amount":3.402823567797337e38'),
        order(10, b',"item_amount":7e-46'),
    ]
    sent[0] = sent[0].replace(b'"order_status":1', b'"order_status":32768')
    assert (await _sync(oms, url, sent)).new == 10
    stored = query(
        url,
        "SELECT order_id, customer_id, order_status, item_amount, data->>'customer_id' "
        "FROM orders ORDER BY order_id",
    )
    assert stored == [
        ("INV1", None, None, None, "3000000000"),
        ("INV10", None, 1, None, None),
        ("INV2", 2147483647, 1, pytest.approx(-3.4e38), "2147483647"),
        ("INV3", None, 1, None, "-2147483649"),
        ("INV4", None, 1, 0.0, None),
        ("INV5", None, 1, pytest.approx(3.4028235e38), None),
        ("INV6", None, 1, pytest.approx(1e-45), None),
        ("INV7", None, 1, pytest.approx(3.4028235e38), None),
        ("INV8", None, 1, None, None),
        ("INV9", None, 1, None, None),
    ]


@pytest.mark.parametrize(
    ("key", "index"),
    [
        ("", ""),
        ("", "CREATE UNIQUE INDEX partly ON orders (order_id) WHERE order_status > 0"),
        (", PRIMARY KEY (order_id, job_name)", ""),
    ],
)
async def test_a_sqlite_orders_table_whose_key_is_not_unique_is_refused_before_sending(
    oms_sandbox_factory: Factory, tmp_path: Path, key: str, index: str
) -> None:
    # Without a unique index on order_id alone, SQLite's ON CONFLICT (order_id) fails every
    # batch after its first request.
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    sql = _ORDERS_WITHOUT_TAX.format(date="TEXT", json="TEXT").replace(
        "data TEXT NOT NULL", f"tax_amount REAL, data TEXT NOT NULL{key}"
    )
    execute(url, sql.replace("order_id text PRIMARY KEY", "order_id text"))
    if index:
        execute(url, index)
    assert "order_id is not unique" in await _refusal(oms_sandbox_factory, url)


_PRODUCTS = (
    "CREATE TABLE products (product_id {key} PRIMARY KEY, product_code TEXT, product_name TEXT, "
    "supplier TEXT, brand TEXT, data TEXT NOT NULL)"
)


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        (
            _ORDERS_WITHOUT_TAX.format(date="TEXT", json="TEXT")
            .replace("data TEXT", "tax_amount REAL, data TEXT")
            .replace("order_id text", f"order_id {key}"),
            f"order_id is {affinity}, not BLOB or TEXT",
        )
        for key, affinity in [("INTEGER", "INTEGER"), ("NUMERIC", "NUMERIC"), ("REAL", "REAL")]
    ]
    + [
        (_PRODUCTS.format(key=key), f"product_id is {affinity}, not INTEGER or NUMERIC")
        for key, affinity in [("TEXT", "TEXT"), ("VARCHAR(20)", "TEXT"), ("", "BLOB")]
    ],
)
async def test_a_sqlite_key_column_of_another_affinity_is_refused_before_sending(
    oms_sandbox_factory: Factory, tmp_path: Path, sql: str, named: str
) -> None:
    # SQLite turned the keys the sync looks up ("927602" into 927602, 5 into "5"): every row
    # was counted new and written again on every run, or a text id failed its batch.
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    execute(url, sql)
    info = oms_sandbox_factory(orders=150, products=10)
    sync = sync_products if sql.startswith("CREATE TABLE products") else sync_orders
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        with pytest.raises(DatabaseUrlError, match=named):
            await sync(oms, url)
    assert info.state.requests == []


async def test_a_sqlite_key_column_of_its_own_affinity_by_another_name_is_taken(
    oms_sandbox_factory: Factory, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    execute(url, _PRODUCTS.format(key="BIGINT"))
    info = oms_sandbox_factory(orders=150, products=30)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        assert (await sync_products(oms, url)).new == 30
        again = await sync_products(oms, url)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 30)


async def _refusal(oms_sandbox_factory: Factory, url: str) -> str:
    """The message of the refusal a sync into ``url`` meets before it sends anything."""
    info = oms_sandbox_factory(orders=150, products=10)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        with pytest.raises(DatabaseUrlError) as raised:
            await sync_orders(oms, url)
    assert info.state.requests == []
    return str(raised.value)


@pytest.mark.parametrize("encoding", ["LATIN1", "SQL_ASCII"])
async def test_a_postgresql_database_not_in_utf8_is_refused_before_sending(
    oms_sandbox_factory: Factory,
    postgres: str,  # noqa: F811
    encoding: str,
) -> None:
    # LATIN1: psycopg raised a UnicodeEncodeError (no DatabaseError) for each batch holding an
    # emoji, every run. SQL_ASCII: names came back as bytes, and a new table read as missing
    # every column.
    import psycopg

    name = f"enc_{encoding.lower()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres, autocommit=True) as db:
        db.execute(
            f"CREATE DATABASE {name} ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C' "
            "TEMPLATE template0"
        )
    url = f"{postgres.rsplit('/', 1)[0]}/{name}"
    info = oms_sandbox_factory(orders=50, products=10)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        with pytest.raises(DatabaseUrlError) as raised:
            await sync_orders(oms, url)
    assert f"is a database in {encoding}: the sync needs one in UTF8" in str(raised.value)
    assert info.state.requests == []


# -- the watermark -----------------------------------------------------------------------------


async def test_an_order_stamped_while_the_servers_clock_ran_ahead_does_not_stop_later_runs(
    oms_sandbox_factory: Factory,
    db_url: str,  # noqa: F811
) -> None:
    # The server's clock set three years ahead for a while, then corrected: the order changed
    # meanwhile carried the latest Date Modified, which became the watermark, and every later
    # run read only what changed after it: nothing, for three years, reporting success.
    info = oms_sandbox_factory(orders=300, products=20)
    now = int(time.time())
    info.state.now = now - 120  # the sandbox's clock near this machine's

    async def change(order_id: str) -> None:
        record = info.state.order(order_id)
        assert record is not None
        await oms.legacy.orders.update_status(
            StatusChange(order_id=order_id, new_status=record.status + 1)
        )

    open_ids = [r.order_id for r in info.state.orders if r.status < 3]
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        assert (await sync_orders(oms, db_url)).new == 300
        info.state.now = now + 3 * 365 * 86400
        await change(open_ids[0])
        info.state.now = now - 60
        second = await sync_orders(oms, db_url)
        assert second.updated == 1
        # The watermark is this machine's time, not the order's stamp three years ahead.
        assert second.watermark is not None
        assert second.watermark < time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now + 60))
        await change(open_ids[1])
        third = await sync_orders(oms, db_url)
    assert third.updated == 1
    assert not third.full  # what changed since that watermark, not every order again
    assert stored(db_url) == await server_rows(info)


@pytest.mark.parametrize("behind", [3600, 300 * 86400])
async def test_a_server_clock_behind_this_machines_loses_no_change_past_a_future_order(
    oms_sandbox_factory: Factory,
    db_url: str,  # noqa: F811
    behind: int,
) -> None:
    # One order stamped in 2099 (a bad import) on a server whose clock runs behind this
    # machine's: the watermark must be the server's latest real stamp, not this machine's
    # time, which every later change on the server would be stamped before.
    info = oms_sandbox_factory(orders=200, products=20)
    server_now = int(time.time()) - behind
    open_ids = [r.order_id for r in info.state.orders if r.status < 3]
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:

        async def change(order_id: str, at: int) -> None:
            info.state.now = at
            record = info.state.order(order_id)
            assert record is not None
            await oms.legacy.orders.update_status(
                StatusChange(order_id=order_id, new_status=record.status + 1)
            )

        await change(open_ids[0], 4_070_908_800)  # 2099-01-01
        info.state.now = server_now
        assert (await sync_orders(oms, db_url)).new == 200
        await change(open_ids[1], server_now + 5)
        second = await sync_orders(oms, db_url)
        assert second.updated == 1
        await change(open_ids[2], server_now + 10)
        third = await sync_orders(oms, db_url)
    assert third.updated == 1
    assert not third.full
    assert stored(db_url) == await server_rows(info)


def _set_states(url: str, **fields: object) -> None:
    """Set ``fields`` of every saved state, as another version would have written them."""
    setter = "state"
    for name, value in fields.items():
        if url.startswith("sqlite:"):
            setter = f"json_set({setter}, '$.{name}', json('{json.dumps(value)}'))"
        else:
            setter = f"jsonb_set({setter}, '{{{name}}}', '{json.dumps(value)}')"
    execute(url, f"UPDATE {STATE_TABLE} SET state = {setter}")


async def test_a_server_clock_ahead_reads_only_the_change_of_the_watermarks_own_order(
    oms_sandbox_factory: Factory,
    db_url: str,  # noqa: F811
) -> None:
    # The order the watermark was taken from changes again, stamped past this machine's time:
    # no order holds a stamp from the watermark up to now, and nothing else changed.
    info = oms_sandbox_factory(orders=300, products=20)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        first = await sync_orders(oms, db_url)
        latest = max(info.state.orders, key=lambda r: r.date_modified)
        assert first.watermark is not None
        info.state.now = int(time.time()) + 300
        await oms.legacy.orders.update_status(
            StatusChange(order_id=latest.order_id, new_status=latest.status % 3 + 1)
        )
        again = await sync_orders(oms, db_url)
    assert (again.full, again.updated, again.unchanged) == (False, 1, 0)
    assert again.watermark == first.watermark
    assert stored(db_url) == await server_rows(info)


@pytest.mark.parametrize(
    "kind", ["capped at this machine's time", "capped in a run", "past this machine's time"]
)
async def test_a_watermark_that_cannot_say_what_changed_makes_the_next_run_read_all(
    oms_sandbox_factory: Factory,
    db_url: str,  # noqa: F811
    kind: str,
) -> None:
    # This machine's time, saved by the version that capped the watermark and its runs' marks
    # there (its states are of version 1), on a server whose clock runs an hour behind: every
    # change since is stamped before it, and a change since it may stamp an order after it. Or
    # an order's stamp in 2099, saved by a version without the cap.
    info = oms_sandbox_factory(orders=200, products=20)
    now = int(time.time())
    info.state.now = now - 3600
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        await sync_orders(oms, db_url)
        if kind.startswith("capped"):
            saved = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
            if kind.endswith("run"):
                # Interrupted, its mark capped: the resumed run would save it as the watermark.
                run = {"since": None, "mark": saved, "scan": None}
                _set_states(db_url, watermark=None, run=run, version=1)
            else:
                _set_states(db_url, watermark=saved, version=1)
        else:
            saved = "2099-01-01T00:00:00"
            _set_states(db_url, watermark=saved)
        record = next(r for r in info.state.orders if r.status < 3)
        await oms.legacy.orders.update_status(
            StatusChange(order_id=record.order_id, new_status=record.status + 1)
        )
        again = await sync_orders(oms, db_url)
        later = await sync_orders(oms, db_url)
    assert (again.full, again.resumed, again.updated, again.unchanged) == (True, False, 1, 199)
    assert again.watermark is not None
    assert again.watermark < saved
    assert not later.full  # the watermark a server stamp again
    assert stored(db_url) == await server_rows(info)


@pytest.mark.parametrize("emptied", ["DELETE FROM orders", "DROP TABLE orders"])
async def test_an_orders_table_emptied_since_the_last_run_is_filled_again_for_every_query(
    oms_sandbox_factory: Factory,
    db_url: str,  # noqa: F811
    emptied: str,
) -> None:
    # The watermark outlived the rows it described: the next run read only what changed
    # since it (the few orders changed meanwhile), reported success, and every later run of
    # each query left the other orders out for good.
    info = oms_sandbox_factory(orders=300, products=20)
    shipped = Condition(OrderField.ORDER_STATUS, Op.EQ, string=3)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        await sync_orders(oms, db_url)
        await sync_orders(oms, db_url, shipped)
        execute(db_url, emptied)
        record = next(r for r in info.state.orders if r.status < 3)
        await oms.legacy.orders.update_status(
            StatusChange(order_id=record.order_id, new_status=record.status + 1)
        )
        filtered = await sync_orders(oms, db_url, shipped)  # the other query's run first
        everything = await sync_orders(oms, db_url)
        later = await sync_orders(oms, db_url)
    assert filtered.full
    assert everything.full  # though the table held rows again when it began
    assert not later.full
    assert stored(db_url) == await server_rows(info)


async def test_a_query_whose_state_another_run_clears_as_it_begins_reads_every_row(
    oms_sandbox_factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shipped orders' run read its state (its watermark), then the other query's run
    # found the table empty, cleared every state and stored its rows; the first, finding rows
    # by then, went on from the watermark it had read and wrote it back: none of the shipped
    # orders was ever stored again.
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    info = oms_sandbox_factory(orders=300, products=20)
    shipped = Condition(OrderField.ORDER_STATUS, Op.EQ, string=3)
    others = Condition(OrderField.ORDER_STATUS, Op.NE, string=3)
    load_state = SqliteStore.load_state
    other_runs: list[object] = []

    def the_other_query_runs_meanwhile(store: SqliteStore, query: str) -> object:
        state = load_state(store, query)
        if not other_runs:
            other_runs.append(None)
            with omsclient.Client(**info.client_kwargs()) as blocking:
                other_runs[0] = sync_orders(blocking, url, others)
        return state

    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        await sync_orders(oms, url, shipped)
        await sync_orders(oms, url, others)
        execute(url, "DELETE FROM orders")
        monkeypatch.setattr(SqliteStore, "load_state", the_other_query_runs_meanwhile)
        summary = await sync_orders(oms, url, shipped)
    assert summary.full
    assert other_runs[0].full  # type: ignore[attr-defined]
    assert stored(url) == await server_rows(info)


async def test_orders_all_changed_before_1970_still_give_a_watermark(
    oms_sandbox_factory: Factory, tmp_path: Path
) -> None:
    # The search for the latest Date Modified began at 1970: none was found, and every run
    # read every order again.
    from datetime import datetime

    url = f"sqlite:///{tmp_path / 'orders.db'}"
    info = oms_sandbox_factory(
        SandboxConfig(orders=200, products=5, start=datetime(1960, 1, 1), days=30)
    )
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        first = await sync_orders(oms, url)
        again = await sync_orders(oms, url)
    assert first.watermark is not None
    assert first.watermark < "1970"
    assert not again.full


@contextlib.contextmanager
def locked_state(url: str) -> Iterator[None]:
    """Another session holding the sync state's table locked, as a long transaction would. Let
    go after 20 s at the latest, so that a sync waiting for it fails its test instead of hanging
    it."""
    import psycopg

    db = psycopg.connect(url)
    db.execute(f"LOCK TABLE {STATE_TABLE} IN ACCESS EXCLUSIVE MODE")
    held = [True]
    lock = threading.Lock()

    def release() -> None:
        with lock:
            if held.pop() if held else False:
                db.rollback()
                db.close()

    timer = threading.Timer(20, release)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        release()


async def test_a_cancelled_sync_waiting_for_a_lock_stops_its_statement(
    postgres: str,  # noqa: F811
    oms_sandbox_factory: Factory,
) -> None:
    # It waited until the other session let go, however long: a Ctrl-C was held as long.
    # (SQLite's wait for its lock is bounded by the busy timeout, 10 s, which an interrupt
    # does not shorten.)
    from .test_dbsync import _fresh_postgres_database

    url = _fresh_postgres_database(postgres)
    info = oms_sandbox_factory(orders=150)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        await sync_orders(oms, url)
        with locked_state(url):
            started = time.monotonic()
            with anyio.move_on_after(0.5) as waiting:
                await sync_orders(oms, url)
            waited = time.monotonic() - started
        assert waiting.cancelled_caught
        assert waited < 5
        record = next(r for r in info.state.orders if r.status < 3)
        await oms.legacy.orders.update_status(
            StatusChange(order_id=record.order_id, new_status=record.status + 1)
        )
        again = await sync_orders(oms, url)
    assert (again.new, again.updated) == (0, 1)
    assert stored(url) == await server_rows(info)


class _HeldStatement:
    """A database call that runs until released; ``ended`` notes when it ends."""

    def __init__(self) -> None:
        self.begun, self.release = threading.Event(), threading.Event()
        self.ended: list[str] = []

    def __call__(self) -> None:
        self.begun.set()
        self.release.wait(10)
        self.ended.append("call")


async def test_a_second_cancel_while_the_call_is_interrupted_still_waits_for_the_call() -> None:
    # asyncio's Task.cancel() goes through shields: a second one (asyncio.timeout expiring in a
    # task group being cancelled) while the interrupt ran (a round trip to PostgreSQL) ended
    # the caller with the call still running, and the sync closed its connection under it.
    statement, interrupting = _HeldStatement(), threading.Event()

    def interrupt() -> None:
        interrupting.set()
        time.sleep(0.2)

    task = asyncio.create_task(in_thread(statement, interrupt=interrupt))
    task.add_done_callback(lambda _: statement.ended.append("caller"))
    await asyncio.to_thread(statement.begun.wait, 10)
    task.cancel()
    await asyncio.to_thread(interrupting.wait, 10)
    task.cancel()
    for _ in range(50):
        await asyncio.sleep(0)
    statement.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert statement.ended == ["call", "caller"]


def test_a_ctrl_c_while_a_cancelled_call_is_waited_for_still_waits_for_it() -> None:
    # A second Ctrl-C while the sync stopped ended the wait with the statement running: the
    # sync closed its connection under it, and SQLite crashed the process (SIGSEGV).
    statement = _HeldStatement()

    def interrupted_again() -> None:  # raised in the wait, as a signal's handler would
        raise KeyboardInterrupt

    async def stopped_twice() -> None:
        task = asyncio.create_task(in_thread(statement, interrupt=interrupted_again))
        task.add_done_callback(lambda _: statement.ended.append("caller"))
        await asyncio.to_thread(statement.begun.wait, 10)
        task.cancel()
        for _ in range(50):
            await asyncio.sleep(0)
        statement.release.set()
        await task

    # Its own loop: asyncio raises a KeyboardInterrupt out of the loop, the test's included.
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(stopped_twice())
    assert statement.ended == ["call", "caller"]


async def test_a_database_call_cancelled_while_it_runs_ends_before_its_caller_does() -> None:
    # Its connection must not be closed under a running statement (SQLite crashes then):
    # asyncio's Task.cancel() (Ctrl-C, asyncio.timeout) waits for the call to end.
    statement = _HeldStatement()
    task = asyncio.create_task(in_thread(statement))
    task.add_done_callback(lambda _: statement.ended.append("caller"))
    await asyncio.to_thread(statement.begun.wait, 10)
    task.cancel()
    for _ in range(50):  # loop turns, not time: the caller ends within them if it waits not
        await asyncio.sleep(0)
    statement.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert statement.ended == ["call", "caller"]


# -- a pooler in transaction mode -----------------------------------------------------------------


@pytest.mark.parametrize("staged_there", [True, False])
def test_a_batch_written_in_another_server_session_says_a_pooler_is_in_between(
    postgres: str,  # noqa: F811
    staged_there: bool,
) -> None:
    # Behind a pooler in transaction mode (PgBouncer's pool_mode = transaction), each
    # transaction may run in another server session, without the run's lock or staging table:
    # runs failed with 'relation "orders_staging" does not exist', or wrote the batch where
    # another run's staging table was, and each said to run again. The store's connection is
    # swapped for another session here, as such a pooler hands one out.
    import psycopg

    url = _fresh_postgres_database(postgres)
    store = PostgresStore(url, "the database", ORDERS)
    other = PostgresStore(url, "the database", ORDERS) if staged_there else None
    ours, store._db = (
        store._db,
        (other._db if other is not None else psycopg.connect(url, autocommit=True)),
    )
    try:
        rows = [SentOrder("INV1", "2025-01-01T00:00:00", b'{"order_id":"INV1"}')]
        with pytest.raises(
            DatabaseUrlError, match="a pooler in transaction or statement mode"
        ) as caught:
            store.apply(ORDERS, rows, "q", "orders", {"run": None})
        assert "connect to PostgreSQL directly or through a pool in session mode" in str(
            caught.value
        )
        # Nothing of the batch is kept: its run's lock is held in another session.
        assert query(url, "SELECT count(*) FROM orders") == [(0,)]
        assert query(url, f"SELECT count(*) FROM {STATE_TABLE}") == [(0,)]
    finally:
        store._db.close()
        ours.close()


def test_a_store_prepares_no_statement_a_later_connection_would_meet_again(
    postgres: str,  # noqa: F811
) -> None:
    # psycopg prepared a statement run five times, as "_pg3_0": through a pooler the server
    # session outlives the connection, and the next run's first one already existed there.
    url = _fresh_postgres_database(postgres)
    store = PostgresStore(url, "the database", ORDERS)
    try:
        for n in range(8):
            rows = [SentOrder(f"INV{n}", None, b'{"order_id":"INV%d"}' % n)]
            store.apply(ORDERS, rows, "q", "orders", {"run": None})
        assert store._db.execute("SELECT count(*) FROM pg_prepared_statements").fetchone() == (0,)
        assert query(url, "SELECT count(*) FROM orders") == [(8,)]
    finally:
        store.close()


class _TransactionPooler:
    """What a pooler in transaction mode does to a connection: each statement runs in the next
    of its server sessions (real ones), which outlive the connection's close."""

    def __init__(self, sessions: list[Any]) -> None:
        self.sessions = sessions
        self.turn = 0

    def execute(self, *args: Any) -> Any:
        session = self.sessions[self.turn % len(self.sessions)]
        self.turn += 1
        return session.execute(*args)

    def close(self) -> None:
        pass  # the pooler keeps its sessions


@pytest.mark.parametrize("first_in_its_own", [True, False])
def test_a_run_behind_a_pooler_leaves_no_lock_in_a_session_it_keeps(
    postgres: str,  # noqa: F811
    first_in_its_own: bool,
) -> None:
    # The lock was taken in whatever session the pooler handed out, and closing the connection
    # did not end that session: every later run, direct ones too, was told another one ran.
    import psycopg

    url = _fresh_postgres_database(postgres)
    store = PostgresStore(url, "the database", ORDERS)
    own, other = store._db, psycopg.connect(url, autocommit=True)
    # Its own session for the statements before the lock and the lock's (a lone client's
    # pooler hands it back); then the other, then its own again.
    store._db = _TransactionPooler([own] * 4 + [other] if first_in_its_own else [own, other])
    try:
        if first_in_its_own:
            store.hold("0123456789abcdef", "orders")
        else:
            # Handed to another session than the store opened before the lock: not taken.
            with pytest.raises(DatabaseUrlError, match="a pooler in transaction or statement mode"):
                store.hold("0123456789abcdef", "orders")
        store.close()
        later = PostgresStore(url, "the database", ORDERS)
        try:
            later.hold("0123456789abcdef", "orders")  # not "another sync ... is running"
        finally:
            later.close()
    finally:
        own.close()
        other.close()


def test_a_refusal_names_the_server_process_holding_the_lock(
    postgres: str,  # noqa: F811
) -> None:
    # Behind a pooler in transaction mode a run's lock can outlive it in a session the pooler
    # keeps, and every later run was told another sync ran, with nothing to find it by.
    url = _fresh_postgres_database(postgres)
    first, second = PostgresStore(url, "db", ORDERS), PostgresStore(url, "db", ORDERS)
    try:
        first.hold("0123456789abcdef", "orders")
        (pid,) = first._db.execute("SELECT pg_backend_pid()").fetchone()  # type: ignore[misc]
        with pytest.raises(DatabaseError, match="another sync of these orders") as caught:
            second.hold("0123456789abcdef", "orders")
        assert f"held by the server process {pid};" in str(caught.value)
        assert f"SELECT pg_terminate_backend({pid}) lets go of it" in str(caught.value)
    finally:
        second.close()
        first.close()


def test_a_refusal_names_no_process_of_another_database(
    postgres: str,  # noqa: F811
) -> None:
    # A clone (CREATE DATABASE ... TEMPLATE) has the same state table oid, so the same lock
    # key: the refusal named the clone's sync, and told the reader to terminate it.
    import psycopg

    url = _fresh_postgres_database(postgres)
    PostgresStore(url, "db", ORDERS).close()  # its tables made
    clone_name = f"{url.rsplit('/', 1)[1]}_clone"
    with psycopg.connect(postgres, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {clone_name} TEMPLATE {url.rsplit('/', 1)[1]}")
    clone = url.rsplit("/", 1)[0] + f"/{clone_name}"
    elsewhere, here = PostgresStore(clone, "clone", ORDERS), PostgresStore(url, "db", ORDERS)
    try:
        elsewhere.hold("0123456789abcdef", "orders")
        here.hold("0123456789abcdef", "orders")  # no conflict: another database's lock
        (pid,) = here._db.execute("SELECT pg_backend_pid()").fetchone()  # type: ignore[misc]
        # What a refusal here would say of the holder: this database's, never the clone's.
        said = here._holder("0123456789abcdef")
        assert f"held by the server process {pid};" in said
        here.close()  # now only the clone's lock is held: none of this database's
        again = PostgresStore(url, "db", ORDERS)
        try:
            assert again._holder("0123456789abcdef") == ""
        finally:
            again.close()
    finally:
        elsewhere.close()


# -- a search_path, a key's collation, a connect timeout ---------------------------------------


async def test_the_staging_table_is_the_syncs_own_whatever_the_search_path(
    oms_sandbox_factory: Factory,
    postgres: str,  # noqa: F811
) -> None:
    # With pg_temp last, as PostgreSQL's docs advise for security, the unqualified staging
    # table named a permanent table of the user's first: the sync copied into it, merged its
    # rows into orders, and emptied it.
    url = _fresh_postgres_database(postgres)
    info = oms_sandbox_factory(orders=20)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        await sync_orders(oms, url)  # the tables, made
        execute(url, "CREATE TABLE orders_staging (LIKE orders)")
        execute(url, "INSERT INTO orders_staging (order_id, data) VALUES ('MINE-1', '{}')")
        execute(url, "DELETE FROM orders")
        execute(url, f"DELETE FROM {STATE_TABLE}")
        summary = await sync_orders(oms, f"{url}?options=-csearch_path%3Dpublic,pg_temp")
    assert summary.new == 20
    assert query(url, "SELECT order_id FROM orders_staging") == [("MINE-1",)]
    assert query(url, "SELECT count(*) FROM orders WHERE order_id = 'MINE-1'") == [(0,)]


async def test_a_search_path_that_makes_the_tables_temporary_is_refused(
    oms_sandbox_factory: Factory,
    postgres: str,  # noqa: F811
) -> None:
    # pg_temp first: the tables were made temporary, each run stored every order, said so, and
    # left nothing for the next, which began again from nothing.
    url = _fresh_postgres_database(postgres)
    info = oms_sandbox_factory(orders=20)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        with pytest.raises(DatabaseUrlError, match="as a temporary table") as raised:
            await sync_orders(oms, f"{url}?options=-csearch_path%3Dpg_temp,public")
    assert "pg_temp" in str(raised.value)
    assert info.state.requests == []


_SQLITE_TYPES = {"integer": "INTEGER", "number": "REAL", "text": "TEXT", "date": "TEXT"}


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_a_key_compared_without_regard_to_case_is_refused(
    oms_sandbox_factory: Factory,
    postgres: str,  # noqa: F811
    tmp_path: Path,
    database: str,
) -> None:
    # "INV1" and "inv1" were one key: in SQLite the order read last replaced the other under
    # its id on every run; in PostgreSQL every batch holding both failed, naming no order.
    types = {"integer": "bigint", "number": "numeric", "text": "text", "date": "timestamptz"}
    if database == "sqlite":
        types = _SQLITE_TYPES
    columns = ", ".join(f"{c.name} {types[c.kind]}" for c in ORDERS.columns)
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'o.db'}"
        execute(
            url,
            f"CREATE TABLE orders (order_id TEXT COLLATE NOCASE PRIMARY KEY, {columns}, data TEXT)",
        )
    else:
        import psycopg

        url = _fresh_postgres_database(postgres)
        try:
            execute(
                url,
                "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', "
                "deterministic = false)",
            )
        except psycopg.errors.FeatureNotSupported:
            # A server built without ICU (pgserver's) has no collation but byte by byte ones,
            # so no such table: the check reads this server's catalog and takes its keys.
            info = oms_sandbox_factory(orders=20)
            async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
                assert (await sync_orders(oms, url)).new == 20
            return
        execute(
            url,
            f"CREATE TABLE orders (order_id text COLLATE ci PRIMARY KEY, {columns}, data jsonb)",
        )
    info = oms_sandbox_factory(orders=20)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        with pytest.raises(DatabaseUrlError, match=r"a key \(order_id\) .*byte by byte"):
            await sync_orders(oms, url)
    assert info.state.requests == []


@pytest.mark.parametrize(
    ("collation", "merged"),
    [("NOCASE", "differing in case"), ("RTRIM", "differing in spaces at the end")],
)
async def test_a_key_sqlite_compares_loosely_is_refused_naming_what_it_merges(
    oms_sandbox_factory: Factory, tmp_path: Path, collation: str, merged: str
) -> None:
    # RTRIM, which takes "INV1" and "INV1 " for one key, was said to merge keys differing in
    # case.
    columns = ", ".join(f"{c.name} {_SQLITE_TYPES[c.kind]}" for c in ORDERS.columns)
    url = f"sqlite:///{tmp_path / 'o.db'}"
    execute(
        url,
        f"CREATE TABLE orders (order_id TEXT COLLATE {collation} PRIMARY KEY, {columns}, "
        "data TEXT)",
    )
    info = oms_sandbox_factory(orders=20)
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        with pytest.raises(DatabaseUrlError) as refused:
            await sync_orders(oms, url)
    assert f"compared {collation}, not byte by byte: keys {merged} are different keys" in str(
        refused.value
    )
    assert info.state.requests == []


async def test_a_connect_timeout_in_the_url_is_the_one_waited() -> None:
    # A fixed 10 s overrode the URL's connect_timeout (and PGCONNECT_TIMEOUT), long or short.
    silent = socket.create_server(("127.0.0.1", 0))  # takes connections, never answers
    try:
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(DatabaseUrlError, match="cannot connect"):
            await in_thread(
                lambda: PostgresStore(
                    f"postgresql://u@127.0.0.1:{port}/db?connect_timeout=2", "db", ORDERS
                )
            )
        took = time.monotonic() - started
    finally:
        silent.close()
    assert 1.5 < took < 8


def indexed_columns(url: str, table: str) -> set[str]:
    """The columns that lead an index of ``table``, as the database's catalog says."""
    if url.startswith("sqlite:///"):
        indexes = [row[1] for row in query(url, f"PRAGMA index_list({table})")]
        return {query(url, f"PRAGMA index_info({index})")[0][2] for index in indexes}
    rows = query(
        url,
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
        "ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
        f"WHERE i.indrelid = '{table}'::regclass",
    )
    return {name for (name,) in rows}


async def test_a_table_made_anew_after_the_old_was_renamed_has_its_indexes(
    oms_sandbox_factory: Factory,
    db_url: str,  # noqa: F811
) -> None:
    # The indexes were looked up by name, which a renamed table keeps: the new table had none.
    info = oms_sandbox_factory(orders=20)
    wanted = {"order_id", *(column.name for column in ORDERS.indexed)}
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        await sync_orders(oms, db_url)
        execute(db_url, "ALTER TABLE orders RENAME TO orders_2024")
        execute(db_url, f"DELETE FROM {STATE_TABLE}")
        assert (await sync_orders(oms, db_url)).new == 20
    assert indexed_columns(db_url, "orders") >= wanted
    assert indexed_columns(db_url, "orders_2024") >= wanted  # its own, left as they were
