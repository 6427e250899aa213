"""Per request: client CPU of one search answering one order, omsclient against hand-written loops.

The end-to-end pages hold 100 orders, so what a client spends once per request (building it,
the transport's exchange, retries, deadline, telemetry, the envelope check) hides among what it
spends per order. Here each answer holds one order, so that part is nearly all there is: the CPU
of ``requests`` sequential searches, per request, for a hand-written loop (the request posted,
the body read and parsed by orjson into a dict) and for ``oms.legacy.orders.search(limit=1)``
(the same request, its one order typed), on each transport. The difference, divided by a page's
100 orders, is what omsclient's plumbing adds to each order of a bulk read on that transport.
Rounds are interleaved, figures are medians.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Literal

import attrs
import httpx
import orjson

import omsclient
from benchmarks import _measure, _server
from benchmarks._data import PAGE_SIZE
from benchmarks.e2e import CREDENTIALS, FIND, ONE_ROW, READY

HAND = "hand-written aiohttp + orjson"
HAND_HTTPX = "hand-written httpx + orjson"
OURS = "omsclient search(limit=1), httpx transport"
OURS_AIOHTTP = 'omsclient search(limit=1), transport="aiohttp"'

Run = Callable[[int], Awaitable[None]]


@asynccontextmanager
async def _hand(url: str) -> AsyncIterator[Run]:
    async with _server.hand_session() as session:

        async def run(requests: int) -> None:
            for _ in range(requests):
                async with session.post(url + FIND, data=ONE_ROW) as response:
                    orjson.loads(await response.read())

        await run(1)  # connect outside the measurement
        yield run


@asynccontextmanager
async def _hand_httpx(url: str) -> AsyncIterator[Run]:
    async with httpx.AsyncClient() as http:

        async def run(requests: int) -> None:
            for _ in range(requests):
                orjson.loads((await http.post(url + FIND, data=ONE_ROW)).content)

        await run(1)
        yield run


@asynccontextmanager
async def _omsclient(url: str, transport: Literal["httpx", "aiohttp"]) -> AsyncIterator[Run]:
    async with omsclient.AsyncClient(
        legacy_url=url, **CREDENTIALS, transport=transport, max_retries=0
    ) as oms:

        async def run(requests: int) -> None:
            for _ in range(requests):
                await oms.legacy.orders.search(READY, limit=1)

        await run(1)
        yield run


CONTENDERS: dict[str, Callable[[str], AbstractAsyncContextManager[Run]]] = {
    HAND: _hand,
    HAND_HTTPX: _hand_httpx,
    OURS: functools.partial(_omsclient, transport="httpx"),
    OURS_AIOHTTP: functools.partial(_omsclient, transport="aiohttp"),
}


@attrs.frozen
class PerRequestResult:
    """CPU microseconds per request, per contender and round."""

    requests: int
    cpu: dict[str, list[float]]

    def goals(self) -> list[_measure.Goal]:
        """What omsclient's plumbing costs on each transport, against the same transport's loop
        (reported, no bound)."""
        return [
            _measure.Goal(
                "omsclient search / the httpx loop, CPU per request (one order an answer)",
                _measure.ratios(self.cpu, OURS, HAND_HTTPX),
            ),
            _measure.Goal(
                'omsclient search, transport="aiohttp" / the aiohttp loop, CPU per request',
                _measure.ratios(self.cpu, OURS_AIOHTTP, HAND),
            ),
            _measure.Goal(
                "the httpx loop / the aiohttp loop, CPU per request",
                _measure.ratios(self.cpu, HAND_HTTPX, HAND),
            ),
        ]

    def report(self) -> str:
        """A Markdown table and the reported ratios."""
        hand_of = {OURS: HAND_HTTPX, OURS_AIOHTTP: HAND}
        rows = []
        for name, values in self.cpu.items():
            added = ""
            if name in hand_of:
                extra = [o - h for o, h in zip(values, self.cpu[hand_of[name]], strict=True)]
                added = f"{_measure.median(extra) / PAGE_SIZE:.1f}"
            rows.append([name, f"{_measure.median(values):.0f}", added])
        headers = [
            "contender",
            "client CPU µs/request",
            f"added per order of a {PAGE_SIZE}-order page, µs",
        ]
        title = f"Per request, {self.requests} searches answering one order each"
        goals = "\n".join(goal.line() for goal in self.goals())
        return f"{title}\n\n{_measure.table(headers, rows)}\n\n{goals}"


async def _cpu_per_request(url: str, name: str, requests: int) -> float:
    async with CONTENDERS[name](url) as run:
        _measure.settle()
        started = time.process_time()
        await run(requests)
        return (time.process_time() - started) / requests * 1e6


def run(requests: int = 1000, rounds: int = 4) -> PerRequestResult:
    """Start the server, measure every contender ``rounds`` times, stop the server."""
    with _server.running(1) as url:
        runs: list[tuple[str, Callable[[], float]]] = [
            (name, functools.partial(_run_one, url, name, requests)) for name in CONTENDERS
        ]
        cpu = _measure.interleaved(runs, rounds)
    return PerRequestResult(requests, cpu)


def _run_one(url: str, name: str, requests: int) -> float:
    return asyncio.run(_cpu_per_request(url, name, requests))
