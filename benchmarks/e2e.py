"""End to end: client CPU per order over every page of a search, against a fast local server.

The server (``benchmarks._server``) runs in its own process and answers every page with bytes
built once, so this process's ``time.process_time()`` is the client's CPU alone: HTTP, JSON,
models and the loop. Each contender reads ``pages`` pages of 100 orders one request at a time
and touches every order; set-up (client, connection) is outside the measurement. Rounds are
interleaved and figures are medians.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import aiohttp
import attrs
import httpx
import orjson

import omsclient
from benchmarks import _measure, _server
from benchmarks._data import PAGE_SIZE
from benchmarks._models import naive_models
from omsclient.legacy import Condition, Op, OrderField

FIND = _server.FIND
READY = Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)
CREDENTIALS: dict[str, Any] = {"username": "bench", "password": "bench-secret"}
FORM = {"field": "13", "condition": "1", "string": "1", **CREDENTIALS, "limit": str(PAGE_SIZE)}

OURS = "omsclient iterate (httpx transport, the default)"
OURS_AIOHTTP = 'omsclient iterate (transport="aiohttp")'
OURS_RAW = "omsclient iterate_raw (dicts, httpx transport)"
OURS_UNFROZEN = "omsclient iterate (httpx), nothing frozen (GC walks the whole process)"
NAIVE = "naive: httpx + json + default cattrs"
HAND = "hand-written aiohttp + orjson loop (dicts)"

Run = Callable[[int], Awaitable[int]]
Contender = Callable[[str], AbstractAsyncContextManager[Run]]


@asynccontextmanager
async def _omsclient(url: str, transport: Any, raw: bool = False) -> AsyncIterator[Run]:
    async with omsclient.AsyncClient(
        legacy_url=url, **CREDENTIALS, transport=transport, max_retries=0
    ) as oms:
        await oms.legacy.orders.search(READY, limit=1)  # connect outside the measurement

        async def run(pages: int) -> int:
            orders = oms.legacy.orders
            it = orders.iterate_raw(READY) if raw else orders.iterate(READY)
            n = 0
            async for _order in it:
                n += 1
            return n

        yield run


@asynccontextmanager
async def _naive(url: str) -> AsyncIterator[Run]:
    conv, naive_order = naive_models()
    rows_type = list[naive_order]  # type: ignore[valid-type]
    async with httpx.AsyncClient() as http:
        await http.post(url + FIND, data={**FORM, "offset": "0", "limit": "1"})

        async def run(pages: int) -> int:
            n, offset = 0, 0
            while True:
                response = await http.post(url + FIND, data={**FORM, "offset": str(offset)})
                data = response.json()  # json.loads
                rows = conv.structure(data["orders"], rows_type)
                if not rows:
                    return n
                for _order in rows:
                    n += 1
                offset += PAGE_SIZE

        yield run


async def _hand_orders(session: aiohttp.ClientSession, url: str) -> AsyncIterator[dict[str, Any]]:
    offset = 0
    while True:
        async with session.post(url + FIND, data={**FORM, "offset": str(offset)}) as response:
            data = orjson.loads(await response.read())
        if not data["orders"]:
            return
        for order in data["orders"]:
            yield order
        offset += PAGE_SIZE


@asynccontextmanager
async def _hand(url: str) -> AsyncIterator[Run]:
    async with aiohttp.ClientSession() as session:
        async with session.post(url + FIND, data={**FORM, "offset": "0", "limit": "1"}) as r:
            await r.read()

        async def run(pages: int) -> int:
            n = 0
            async for _order in _hand_orders(session, url):
                n += 1
            return n

        yield run


CONTENDERS: dict[str, Contender] = {
    OURS: lambda url: _omsclient(url, "httpx"),
    OURS_AIOHTTP: lambda url: _omsclient(url, "aiohttp"),
    OURS_RAW: lambda url: _omsclient(url, "httpx", raw=True),
    OURS_UNFROZEN: lambda url: _omsclient(url, "httpx"),
    NAIVE: _naive,
    HAND: _hand,
}


@attrs.frozen
class E2EResult:
    """CPU microseconds per order (and wall seconds) per contender, per round."""

    variant: str
    pages: int
    cpu: dict[str, list[float]]
    wall: dict[str, list[float]]

    def report(self) -> str:
        """A Markdown table and the goals."""
        rows = [
            [
                name,
                f"{_measure.median(self.cpu[name]):.1f}",
                f"{_measure.median(self.wall[name]):.2f}",
                f"{_measure.ratio(self.cpu, name, OURS):.2f}",
            ]
            for name in self.cpu
        ]
        headers = ["contender", "client CPU µs/order", "wall s", "x omsclient (CPU)"]
        goals = []
        for ours in (OURS, OURS_AIOHTTP):
            vs_naive = _measure.ratio(self.cpu, NAIVE, ours)
            vs_hand = _measure.ratio(self.cpu, ours, HAND)
            goals.append(
                f"{ours}: naive / it {vs_naive:.2f} (goal >= 3: {_ok(vs_naive >= 3)}); "
                f"it / hand-written {vs_hand:.2f} (goal <= 2: {_ok(vs_hand <= 2)})"
            )
        orders = self.pages * PAGE_SIZE
        title = f"End to end, variant {self.variant!r}, {self.pages} pages ({orders} orders)"
        return f"{title}\n\n{_measure.table(headers, rows)}\n\n" + "\n".join(goals)


def _ok(passed: bool) -> str:
    return "met" if passed else "NOT met"


async def _measure_all(url: str, pages: int, rounds: int) -> tuple[dict[str, Any], ...]:
    cpu: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    wall: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    names = list(CONTENDERS)
    for r in range(rounds + 1):  # round 0 warms up (allocator arenas, lazy builds)
        for name in names[r % len(names) :] + names[: r % len(names)]:
            async with CONTENDERS[name](url) as run:
                if name == OURS_UNFROZEN:
                    gc.collect()
                    gc.unfreeze()
                else:
                    _measure.settle()
                cpu0, wall0 = time.process_time(), time.perf_counter()
                n = await run(pages)
                cpu1, wall1 = time.process_time(), time.perf_counter()
            if n != pages * PAGE_SIZE:
                raise AssertionError(f"{name} read {n} orders, not {pages * PAGE_SIZE}")
            if r:
                cpu[name].append((cpu1 - cpu0) / n * 1e6)
                wall[name].append(wall1 - wall0)
    return cpu, wall


def run(variant: str = "sample", pages: int = 40, rounds: int = 3) -> E2EResult:
    """Start the server, measure every contender, stop the server."""
    with _server.running(pages, variant) as url:
        cpu, wall = asyncio.run(_measure_all(url, pages, rounds))
    return E2EResult(variant, pages, cpu, wall)
