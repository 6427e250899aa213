"""End to end: client CPU per order over every page of a search, against a fast local server.

The server (``benchmarks._server``) runs in its own process and answers every page with bytes
built once, so this process's ``time.process_time()`` is the client's CPU alone: HTTP, JSON,
models and the loop. Each contender reads ``pages`` pages of 100 orders one request at a time
(the export and the sync as their scans read, a few windows at once) and touches every order,
each stopping where the answers' ``total`` says the orders end; set-up (client, connection) is
outside the measurement. omsclient's
typed iteration builds an order's nested parts when one is first read, so it runs twice:
touching each order (the goal's run: what a job reading the orders' own fields pays) and reading
every part of each order (what a job reading everything pays). Rounds are
interleaved and figures are medians. Garbage-collector pauses are timed apart
(``gc.callbacks``) to give each contender's GC share of its CPU.

The ceiling is a hand-written aiohttp + orjson loop yielding dicts: the least a Python client
can spend for a page. The same loop on stock httpx is what a client on httpx's own network
backend spends at least (omsclient's default transport reads through asyncio's streams instead,
``omsclient._network``). Beside it, the same loop decoding into msgspec ``Struct`` s of the models'
shape is the anchor for typed objects (what Python can do when C builds them). The export
writes every order to a JSON lines file (and, reported beside it, to CSV and to Parquet,
which read every order into Python values), compared with ``iterate_raw``, which builds a dict of
every order and writes nothing (the export reads each order's bytes as sent and builds none,
so the ratio sets a whole job's CPU against a plain raw read's, not two equal reads); so is a
first database sync, every order upserted into a new SQLite file (its typed columns, their
indexes and the JSON), with the CPU of the thread that writes.
Beside the sync, its floor: the ceiling's loop splitting each page into its orders' bytes and
storing only each order's id and bytes in SQLite, the least a sync into SQLite spends.
Given a PostgreSQL server's URL, a first sync into a new database of it too: the client's
CPU alone, the server's processes being apart.

Memory, apart from the timed rounds (``tracemalloc`` slows everything down): the peak of
Python allocations while ``iterate(concurrency=8)`` and the export read half of the orders,
then all of them, from a server of at least :data:`MEMORY_PAGES` pages. Flat memory means the
same peak for both.

The first sync with size, apart from the timed rounds too: its CPU per order syncing a tenth of
the orders of a server of :data:`SIZE_PAGES` pages, and all of them, each into a new file, side
by side. Flat means the same CPU an order for both.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import itertools
import os
import sqlite3
import tempfile
import time
import tracemalloc
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal

import aiohttp
import attrs
import httpx
import msgspec
import orjson

import omsclient
from benchmarks import _measure, _server
from benchmarks._data import PAGE_SIZE, ordered_at
from benchmarks._models import msgspec_page, naive_models, read_every_part
from omsclient.dbsync import sync_orders
from omsclient.export import export_orders
from omsclient.legacy import Condition, Op, OrderField

FIND = _server.FIND
READY = Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)
CREDENTIALS: dict[str, Any] = {"username": "bench", "password": "bench-secret"}
FORM = {"field": "13", "condition": "1", "string": "1", **CREDENTIALS, "limit": str(PAGE_SIZE)}
ONE_ROW = {**FORM, "offset": "0", "limit": "1"}
"""The same search for its first order only: what each loop connects with, unmeasured."""

OURS = "omsclient iterate (httpx transport, the default)"
OURS_AIOHTTP = 'omsclient iterate (transport="aiohttp")'
OURS_PARTS = "omsclient iterate (httpx), reading every part of each order"
OURS_RAW = "omsclient iterate_raw (dicts, httpx transport)"
OURS_UNFROZEN = (
    "omsclient iterate (httpx), reading every part of each order, nothing frozen (GC walks the "
    "whole process)"
)
OURS_EXPORT = "omsclient export_orders to JSON lines (httpx transport)"
OURS_EXPORT_CSV = "omsclient export_orders to CSV (httpx transport)"
OURS_EXPORT_PARQUET = "omsclient export_orders to Parquet (httpx transport)"
OURS_SYNC = "omsclient sync_orders into a new SQLite file (first run, httpx transport)"
OURS_SYNC_POSTGRES = "omsclient sync_orders into a new PostgreSQL database (first run, httpx)"
NAIVE = "naive: httpx + json + default cattrs"
HAND = "hand-written aiohttp + orjson loop (dicts): the ceiling"
HAND_HTTPX = "hand-written httpx + orjson loop (dicts): stock httpx"
HAND_SQLITE = (
    "hand-written aiohttp loop storing each order's id and bytes in SQLite: the sync's floor"
)
ANCHOR = "hand-written aiohttp + msgspec Structs of the same shape: the anchor"

Run = Callable[[int], Awaitable[int]]
Contender = Callable[[str], AbstractAsyncContextManager[Run]]


@asynccontextmanager
async def _omsclient(
    url: str, transport: Any, raw: bool = False, parts: bool = False
) -> AsyncIterator[Run]:
    async with omsclient.AsyncClient(
        legacy_url=url, **CREDENTIALS, transport=transport, max_retries=0
    ) as oms:
        await oms.legacy.orders.search(READY, limit=1)  # connect outside the measurement

        async def run(pages: int) -> int:
            orders = oms.legacy.orders
            it = orders.iterate_raw(READY) if raw else orders.iterate(READY)
            n = lines = 0
            async for order in it:
                n += 1
                if parts:
                    lines += read_every_part(order)
            return n

        yield run


@functools.cache
def _naive_converter() -> tuple[Any, Any]:
    """The naive stack's converter and its rows' type, made once a process as a client makes
    them: cattrs generates its functions on first use, which the warm-up round then pays."""
    conv, naive_order = naive_models()
    return conv, list[naive_order]  # type: ignore[valid-type]


@asynccontextmanager
async def _naive(url: str) -> AsyncIterator[Run]:
    conv, rows_type = _naive_converter()
    async with httpx.AsyncClient() as http:
        await http.post(url + FIND, data=ONE_ROW)

        async def run(pages: int) -> int:
            n, offset = 0, 0
            while True:
                response = await http.post(url + FIND, data={**FORM, "offset": str(offset)})
                data = response.json()  # json.loads
                for _order in conv.structure(data["orders"], rows_type):
                    n += 1
                offset += PAGE_SIZE
                if offset >= data["total"]:
                    return n

        yield run


@asynccontextmanager
async def _hand_httpx(url: str) -> AsyncIterator[Run]:
    """The ceiling's loop on httpx, the default transport: no client on it can spend less."""
    async with httpx.AsyncClient() as http:
        await http.post(url + FIND, data=ONE_ROW)

        async def orders() -> AsyncIterator[dict[str, Any]]:
            offset = 0
            while True:
                response = await http.post(url + FIND, data={**FORM, "offset": str(offset)})
                data = orjson.loads(response.content)
                for order in data["orders"]:
                    yield order
                offset += PAGE_SIZE
                if offset >= data["total"]:
                    return

        async def run(pages: int) -> int:
            n = 0
            async for _order in orders():
                n += 1
            return n

        yield run


async def _hand_orders(session: aiohttp.ClientSession, url: str) -> AsyncIterator[dict[str, Any]]:
    offset = 0
    while True:
        async with session.post(url + FIND, data={**FORM, "offset": str(offset)}) as response:
            data = orjson.loads(await response.read())
        for order in data["orders"]:
            yield order
        offset += PAGE_SIZE
        if offset >= data["total"]:
            return


async def _struct_orders(
    session: aiohttp.ClientSession, url: str, decoder: Any
) -> AsyncIterator[Any]:
    offset = 0
    while True:
        async with session.post(url + FIND, data={**FORM, "offset": str(offset)}) as response:
            page = decoder.decode(await response.read())
        for order in page.orders:
            yield order
        offset += PAGE_SIZE
        if offset >= page.total:
            return


@asynccontextmanager
async def _hand(url: str, structs: bool = False) -> AsyncIterator[Run]:
    decoder = msgspec.json.Decoder(msgspec_page(), strict=False) if structs else None
    async with _server.hand_session() as session:
        async with session.post(url + FIND, data=ONE_ROW) as r:
            await r.read()

        async def run(pages: int) -> int:
            orders = (
                _struct_orders(session, url, decoder) if structs else _hand_orders(session, url)
            )
            n = 0
            async for _order in orders:
                n += 1
            return n

        yield run


class _SentPage(msgspec.Struct):
    total: int = 0
    orders: list[msgspec.Raw] = []


class _OrderId(msgspec.Struct):
    order_id: Any = None


@asynccontextmanager
async def _hand_sqlite(url: str) -> AsyncIterator[Run]:
    """The least a sync into SQLite can spend: each order's id and bytes, one table, no typed
    columns, no indexes, no sync state; in the event loop's thread; the sync's 64 KiB pages and
    its transactions of ten pages (1,000 orders); read as the ceiling reads (aiohttp), the
    least a client spends on the pages."""
    pages_of = msgspec.json.Decoder(_SentPage)
    id_of = msgspec.json.Decoder(_OrderId)
    async with _server.hand_session() as session:
        async with session.post(url + FIND, data=ONE_ROW) as r:
            await r.read()
        with tempfile.TemporaryDirectory(prefix="omsclient-bench-") as folder:
            paths = (f"{folder}/orders-{n}.db" for n in itertools.count())

            async def run(pages: int) -> int:
                db = sqlite3.connect(next(paths), isolation_level=None)
                try:
                    db.execute("PRAGMA page_size=65536")
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute(
                        "CREATE TABLE orders (order_id TEXT PRIMARY KEY, data TEXT NOT NULL)"
                    )
                    n, offset = 0, 0
                    db.execute("BEGIN")
                    while True:
                        form = {**FORM, "offset": str(offset)}
                        async with session.post(url + FIND, data=form) as response:
                            page = pages_of.decode(await response.read())
                        db.executemany(
                            "INSERT INTO orders VALUES (?, ?)",
                            [
                                (id_of.decode(raw).order_id, bytes(raw).decode())
                                for raw in page.orders
                            ],
                        )
                        n += len(page.orders)
                        offset += PAGE_SIZE
                        if offset >= page.total:
                            db.execute("COMMIT")
                            return n
                        if n % 1000 == 0:
                            db.execute("COMMIT")
                            db.execute("BEGIN")
                finally:
                    db.close()

            yield run


@asynccontextmanager
async def _writing(
    url: str, write: Callable[[omsclient.AsyncClient, str], Awaitable[int]]
) -> AsyncIterator[Run]:
    """A run that writes every order to a new file (``write(oms, path)`` returns how many)."""
    async with omsclient.AsyncClient(legacy_url=url, **CREDENTIALS, max_retries=0) as oms:
        await oms.legacy.orders.search(READY, limit=1)  # connect outside the measurement
        with tempfile.TemporaryDirectory(prefix="omsclient-bench-") as folder:
            paths = (f"{folder}/orders-{n}" for n in itertools.count())

            async def run(pages: int) -> int:
                return await write(oms, next(paths))

            yield run


def _exporting(
    format: Literal["jsonl", "csv", "parquet"],
) -> Callable[[omsclient.AsyncClient, str], Awaitable[int]]:
    """An export of every order to ``path`` and the format's extension."""

    async def export(oms: omsclient.AsyncClient, path: str) -> int:
        return (await export_orders(oms, f"{path}.{format}", format=format)).exported

    return export


async def _sync_to(oms: omsclient.AsyncClient, path: str) -> int:
    return (await sync_orders(oms, f"sqlite:///{path}.db")).new


@asynccontextmanager
async def _postgres_syncing(url: str, server: str) -> AsyncIterator[Run]:
    """A run that syncs every order into a new database of the PostgreSQL ``server`` (a URL),
    made before the run and dropped after it, both outside the measurement."""
    import psycopg

    name = f"omsclient_bench_{os.getpid()}"
    database = urllib.parse.urlsplit(server)._replace(path=f"/{name}").geturl()
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name}")
        db.execute(f"CREATE DATABASE {name}")
    try:

        async def sync(oms: omsclient.AsyncClient, path: str) -> int:
            return (await sync_orders(oms, database)).new

        async with _writing(url, sync) as run:
            yield run
    finally:
        with psycopg.connect(server, autocommit=True) as db:
            db.execute(f"DROP DATABASE {name}")


CONTENDERS: dict[str, Contender] = {
    OURS: lambda url: _omsclient(url, "httpx"),
    OURS_AIOHTTP: lambda url: _omsclient(url, "aiohttp"),
    OURS_PARTS: lambda url: _omsclient(url, "httpx", parts=True),
    OURS_RAW: lambda url: _omsclient(url, "httpx", raw=True),
    # With parts built, as OURS_PARTS: orders whose parts are never built leave the collector
    # almost nothing to walk, and the row would show no cost of an unfrozen process.
    OURS_UNFROZEN: lambda url: _omsclient(url, "httpx", parts=True),
    OURS_EXPORT: lambda url: _writing(url, _exporting("jsonl")),
    OURS_EXPORT_CSV: lambda url: _writing(url, _exporting("csv")),
    OURS_EXPORT_PARQUET: lambda url: _writing(url, _exporting("parquet")),
    OURS_SYNC: lambda url: _writing(url, _sync_to),
    NAIVE: _naive,
    HAND: _hand,
    HAND_HTTPX: _hand_httpx,
    HAND_SQLITE: _hand_sqlite,
    ANCHOR: lambda url: _hand(url, structs=True),
}


@attrs.frozen
class E2EResult:
    """CPU microseconds per order, of which in GC pauses, and wall seconds, per round."""

    variant: str
    pages: int
    cpu: dict[str, list[float]]
    gc: dict[str, list[float]]
    wall: dict[str, list[float]]
    memory: dict[str, list[float]]  # peak MB of Python allocations, per run, by MEMORY_RUNS
    memory_pages: int  # the pages of the memory runs' server
    sizes: dict[str, list[float]]  # the first sync's CPU µs an order, by SYNC_SIZES
    tls: bool = False  # over HTTPS, as the live server answers

    def goals(self) -> list[_measure.Goal]:
        """The goals this run measures, each a ratio of two contenders within each round."""
        where = f"({self.variant!r}{', HTTPS' if self.tls else ''})"
        ratios = functools.partial(_measure.ratios, self.cpu)
        goals = [
            _measure.Goal(
                f"typed iterate / the ceiling, CPU per order {where}",
                ratios(OURS, HAND),
                bound=1.3,
                stretch=1.0,
            ),
            _measure.Goal(
                f'typed iterate, transport="aiohttp" / the ceiling {where}',
                ratios(OURS_AIOHTTP, HAND),
                bound=1.3,
                stretch=1.0,
            ),
            # The same goal on the same work as the ceiling, which builds every dict: the
            # rows above build an order's nested parts only when one is read, and never here.
            _measure.Goal(
                f"typed iterate reading every part / the ceiling {where}",
                ratios(OURS_PARTS, HAND),
                bound=1.3,
                stretch=1.0,
            ),
            _measure.Goal(
                f"msgspec Structs / the ceiling (the anchor) {where}", ratios(ANCHOR, HAND)
            ),
            _measure.Goal(
                f"the httpx loop / the ceiling (stock httpx) {where}",
                ratios(HAND_HTTPX, HAND),
            ),
            _measure.Goal(
                f"typed iterate / the httpx loop (omsclient against stock httpx) {where}",
                ratios(OURS, HAND_HTTPX),
            ),
            _measure.Goal(
                f"export / iterate_raw, CPU per order {where}",
                ratios(OURS_EXPORT, OURS_RAW),
                bound=1.2,
            ),
            # Both read every order into Python values to write it again (numbers exact), where
            # JSON lines write it as sent: reported, the goal being the export's own.
            _measure.Goal(
                f"export to CSV / iterate_raw {where}", ratios(OURS_EXPORT_CSV, OURS_RAW)
            ),
            _measure.Goal(
                f"export to Parquet / iterate_raw {where}", ratios(OURS_EXPORT_PARQUET, OURS_RAW)
            ),
            _measure.Goal(
                f"database sync (SQLite, first run) / iterate_raw, CPU per order {where}",
                ratios(OURS_SYNC, OURS_RAW),
                bound=1.2,
            ),
            *(
                [
                    _measure.Goal(
                        f"database sync (PostgreSQL, first run) / iterate_raw, CPU per order "
                        f"{where}",
                        ratios(OURS_SYNC_POSTGRES, OURS_RAW),
                        bound=1.2,
                    )
                ]
                if OURS_SYNC_POSTGRES in self.cpu
                else []
            ),
            _measure.Goal(
                f"the sync's floor (hand-written, id and bytes) / iterate_raw {where}",
                ratios(HAND_SQLITE, OURS_RAW),
            ),
            _measure.Goal(
                f"database sync / the sync's floor (what typed columns, indexes, state add) {where}",
                ratios(OURS_SYNC, HAND_SQLITE),
            ),
            _measure.Goal(
                f"GC share of typed iterate's CPU {where}",
                _shares(self.gc, self.cpu, OURS),
                percent=True,
            ),
            _measure.Goal(
                f"GC share of typed iterate's CPU, reading every part {where}",
                _shares(self.gc, self.cpu, OURS_PARTS),
                percent=True,
            ),
            _measure.Goal(
                f"naive / typed iterate reading every part {where}",
                ratios(NAIVE, OURS_PARTS),
                bound=3,
                at_least=True,
            ),
        ]
        for name in MEMORY_RUNS:
            goals.append(
                _measure.Goal(
                    f"{name}: peak memory, all orders / half {where}",
                    _measure.ratios(self.memory, f"{name}, all", f"{name}, half"),
                    bound=1.2,
                )
            )
        few, many = SYNC_SIZES
        goals.append(
            _measure.Goal(
                f"first sync, CPU per order, {many} orders / {few} {where}",
                _measure.ratios(self.sizes, f"{many} orders", f"{few} orders"),
                bound=1.2,
            )
        )
        return goals

    def report(self) -> str:
        """A Markdown table and the goals."""
        rows = [
            [
                name,
                f"{_measure.median(self.cpu[name]):.1f}",
                f"{_measure.median(_shares(self.gc, self.cpu, name)) * 100:.0f} %",
                f"{_measure.median(self.wall[name]):.2f}",
                f"{_measure.ratio(self.cpu, name, HAND):.2f}",
            ]
            for name in self.cpu
        ]
        headers = ["contender", "client CPU µs/order", "GC share", "wall s", "x ceiling (CPU)"]
        orders = self.pages * PAGE_SIZE
        title = f"End to end, variant {self.variant!r}, {self.pages} pages ({orders} orders)"
        if self.tls:
            title += ", over HTTPS"
        memory = _measure.table(
            ["run", f"peak MB of Python allocations ({self.memory_pages} pages)"],
            [[name, f"{_measure.median(peaks):.1f}"] for name, peaks in self.memory.items()],
        )
        sizes = _measure.table(
            ["first sync into a new SQLite file", "client CPU µs/order"],
            [[name, f"{_measure.median(cpu):.1f}"] for name, cpu in self.sizes.items()],
        )
        goals = "\n".join(goal.line() for goal in self.goals())
        tables = f"{_measure.table(headers, rows)}\n\n{memory}\n\n{sizes}"
        return f"{title}\n\n{tables}\n\n{goals}"


def _shares(part: dict[str, list[float]], whole: dict[str, list[float]], name: str) -> list[float]:
    """``part / whole`` of one contender, in each round."""
    return [p / w for p, w in zip(part[name], whole[name], strict=True)]


async def _measure_all(
    url: str, pages: int, rounds: int, contenders: dict[str, Contender]
) -> tuple[dict[str, Any], ...]:
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    gc_cpu: dict[str, list[float]] = {name: [] for name in contenders}
    wall: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(rounds + 1):  # round 0 warms up (allocator arenas, lazy builds)
        for name in names[r % len(names) :] + names[: r % len(names)]:
            async with contenders[name](url) as run:
                if name == OURS_UNFROZEN:
                    gc.collect()
                    gc.unfreeze()
                else:
                    _measure.settle()
                with _measure.gc_timer() as gc_spent:
                    cpu0, wall0 = time.process_time(), time.perf_counter()
                    n = await run(pages)
                    cpu1, wall1 = time.process_time(), time.perf_counter()
            if n != pages * PAGE_SIZE:
                raise AssertionError(f"{name} read {n} orders, not {pages * PAGE_SIZE}")
            if r:
                cpu[name].append((cpu1 - cpu0) / n * 1e6)
                gc_cpu[name].append(gc_spent[0] / n * 1e6)
                wall[name].append(wall1 - wall0)
    return cpu, gc_cpu, wall


async def _iterate_some(url: str, orders: int) -> int:
    async with omsclient.AsyncClient(legacy_url=url, **CREDENTIALS, max_retries=0) as oms:
        n = 0
        async for _order in oms.legacy.orders.iterate(READY, concurrency=8):
            n += 1
            if n == orders:
                break
        return n


async def _export_some(url: str, orders: int) -> int:
    async with omsclient.AsyncClient(legacy_url=url, **CREDENTIALS, max_retries=0) as oms:
        until = ordered_at(orders - 1)
        with tempfile.TemporaryDirectory(prefix="omsclient-bench-") as folder:
            summary = await export_orders(oms, f"{folder}/orders.jsonl", until=until)
        return summary.exported


MEMORY_RUNS: dict[str, Callable[[str, int], Coroutine[Any, Any, int]]] = {
    "typed iterate(concurrency=8)": _iterate_some,
    "export_orders": _export_some,
}


def _peak_mb(url: str, read: Callable[[str, int], Coroutine[Any, Any, int]], orders: int) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        n = asyncio.run(read(url, orders))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    if n != orders:
        raise AssertionError(f"read {n} orders, not {orders}")
    return peak / 2**20


def _memory_all(url: str, pages: int, rounds: int) -> dict[str, list[float]]:
    total = pages * PAGE_SIZE
    sizes = {"half": max(PAGE_SIZE, total // 2), "all": total}
    runs = [
        (f"{name}, {size}", functools.partial(_peak_mb, url, read, orders))
        for name, read in MEMORY_RUNS.items()
        for size, orders in sizes.items()
    ]
    return _measure.interleaved(runs, rounds)


MEMORY_PAGES = 80
"""The fewest pages the memory runs read: up to 16 pages of ``iterate(concurrency=8)`` are
held in flight or waiting (about 30 MB of the sample order), as much as 2,000 typed orders
kept would take, so at 40 pages a reader keeping every order measured 1.10, "flat"; at 80,
the half holds 4,000 orders, and such a reader fails the goal."""


SIZE_PAGES = 400
"""The pages of the server the first sync is measured with size on: a tenth of its orders, then
all of them. A first sync's CPU per order grew with its file (2026-12-07: SQLite's page cache,
2 MB, held fewer index pages than a batch touches), which 4,000 orders did not show."""
SYNC_SIZES = (SIZE_PAGES * PAGE_SIZE // 10, SIZE_PAGES * PAGE_SIZE)


def _sync_cpu(url: str, orders: int) -> float:
    """A first sync of the ``orders`` first orders into a new SQLite file: CPU µs an order."""

    async def sync() -> tuple[int, float]:
        """The orders stored, and the CPU seconds it took (the connection's set-up left out)."""
        async with omsclient.AsyncClient(legacy_url=url, **CREDENTIALS, max_retries=0) as oms:
            await oms.legacy.orders.search(READY, limit=1)  # connect outside the measurement
            until = ordered_at(orders - 1)
            with tempfile.TemporaryDirectory(prefix="omsclient-bench-") as folder:
                _measure.settle()
                started = time.process_time()
                n = (await sync_orders(oms, f"sqlite:///{folder}/orders.db", until=until)).new
                return n, time.process_time() - started

    n, spent = asyncio.run(sync())
    if n != orders:
        raise AssertionError(f"the sync stored {n} orders, not {orders}")
    return spent / n * 1e6


def _sizes_all(url: str, rounds: int) -> dict[str, list[float]]:
    runs = [(f"{n} orders", functools.partial(_sync_cpu, url, n)) for n in SYNC_SIZES]
    _measure.interleaved(runs, 1)  # warms up (the decoder, the allocator's arenas)
    return _measure.interleaved(runs, rounds)


ROUNDS = 11
"""The timed rounds' default. A single round's ratio moves by a third or more (reading every
part of the live shapes / the ceiling 0.70-1.45 within one run, 2026-12-07): with 5 rounds a
run's median of a goal near its bound fell on either side of it from one run to the next, and
the median narrows with more rounds (benchmarks/README.md, 2026-12-07)."""

SIDE_ROUNDS = 5
"""At most this many rounds of the memory runs and of the first sync with size: memory
measures within a few hundredths from round to round, and a round of the two takes about half
a minute (the sync with size stores 44,000 orders)."""


def run(
    variant: str = "sample",
    pages: int = 40,
    rounds: int = ROUNDS,
    tls: bool = False,
    postgres: str | None = None,
) -> E2EResult:
    """Start the server (over HTTPS with ``tls``), measure every contender ``rounds`` times
    (with a first sync into PostgreSQL too, given a ``postgres`` server's URL), then the memory
    runs (on a server of at least :data:`MEMORY_PAGES` pages) and the first sync with size (on
    one of :data:`SIZE_PAGES`), :data:`SIDE_ROUNDS` times at most, stop the servers."""
    contenders = dict(CONTENDERS)
    if postgres is not None:
        contenders[OURS_SYNC_POSTGRES] = lambda url: _postgres_syncing(url, postgres)
    with _server.running(pages, variant, tls) as url:
        cpu, gc_cpu, wall = asyncio.run(_measure_all(url, pages, rounds, contenders))
    side_rounds = min(rounds, SIDE_ROUNDS)
    memory_pages = max(pages, MEMORY_PAGES)
    with _server.running(memory_pages, variant, tls) as url:
        memory = _memory_all(url, memory_pages, side_rounds)
    with _server.running(SIZE_PAGES, variant, tls) as url:
        sizes = _sizes_all(url, side_rounds)
    return E2EResult(variant, pages, cpu, gc_cpu, wall, memory, memory_pages, sizes, tls)
