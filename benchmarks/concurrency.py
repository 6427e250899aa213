"""Concurrency: pages fetched at once against server latency, and the client-wide in-flight cap.

The local server (its own process) waits ``latency`` seconds before each answer, standing for a
real server's work. ``iterate(concurrency=8)`` should then take about an eighth of the time of
``concurrency=1``, less the first page (which tells the total and is fetched alone) and the
client's own CPU. That first round trip is a fixed cost, a ninth of a 64-page run at
``concurrency=8``; the default of 128 pages is closer to the steady state a bulk job (thousands
of pages) sees, and ``--concurrency-pages 64`` shows the shorter run. The cap: several iterators at once, each asking for 8 pages in flight, on a
client with ``max_in_flight=4``; the server counts how many requests it held at once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import attrs
import orjson

import omsclient
from benchmarks import _measure, _server
from benchmarks._data import PAGE_SIZE
from benchmarks.e2e import CREDENTIALS, FIND, FORM, READY

HAND = "hand-written: aiohttp + orjson, {} workers (reference)"


async def _iterate(url: str, concurrency: int, transport: Any) -> float:
    async with omsclient.AsyncClient(
        legacy_url=url, **CREDENTIALS, transport=transport, max_retries=0
    ) as oms:
        await oms.legacy.orders.search(READY, limit=1)
        _measure.settle()
        started = time.perf_counter()
        n = 0
        async for _order in oms.legacy.orders.iterate(READY, concurrency=concurrency):
            n += 1
        return time.perf_counter() - started


async def _hand(url: str, pages: int, workers: int) -> float:
    """The most a client can get here: workers fetch and parse pages, in no particular order."""
    async with aiohttp.ClientSession() as session:
        todo = list(range(pages))

        async def worker() -> None:
            while todo:
                offset = todo.pop(0) * PAGE_SIZE
                async with session.post(url + FIND, data={**FORM, "offset": str(offset)}) as r:
                    orjson.loads(await r.read())

        _measure.settle()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(workers)))
        return time.perf_counter() - started


async def _cap(url: str, max_in_flight: int, iterators: int, concurrency: int) -> int:
    async with omsclient.AsyncClient(
        legacy_url=url, **CREDENTIALS, max_in_flight=max_in_flight, max_retries=0
    ) as oms:

        async def drain() -> int:
            pages = oms.legacy.orders.iterate(READY, concurrency=concurrency).pages()
            return sum([len(page.items) async for page in pages])

        _server.stats(url)  # reset the server's counters
        await asyncio.gather(*(drain() for _ in range(iterators)))
        return _server.stats(url)["max_in_flight"]


@attrs.frozen
class ConcurrencyResult:
    """Wall seconds per concurrency and transport, and the most requests the server saw."""

    pages: int
    latency: float
    wall: dict[str, list[float]]
    cap: list[tuple[int, int, int, int]]  # (max_in_flight, iterators, concurrency, seen)

    def report(self) -> str:
        """A Markdown table and the goals."""
        rows = [[name, f"{_measure.median(times):.2f}"] for name, times in self.wall.items()]
        reference = _measure.ratio(self.wall, HAND.format(1), HAND.format(8))
        goals = [f"reference: 8 hand-written workers are {reference:.1f}x faster than 1"]
        for transport in ("httpx", "aiohttp"):
            speedup = _measure.ratio(self.wall, _name(transport, 1), _name(transport, 8))
            goals.append(
                f"{transport}: concurrency=8 is {speedup:.1f}x faster than concurrency=1 "
                f"(goal >= 6: {'met' if speedup >= 6 else 'NOT met'})"
            )
        for cap, iterators, concurrency, seen in self.cap:
            holds = "holds" if seen <= cap else "BROKEN"
            goals.append(
                f"max_in_flight={cap}, {iterators} iterators x concurrency={concurrency}: "
                f"the server saw at most {seen} requests at once (cap {holds})"
            )
        title = (
            f"Concurrency, {self.pages} pages ({self.pages * PAGE_SIZE} orders), "
            f"{self.latency * 1000:.0f} ms server latency per page"
        )
        table = _measure.table(["run", "wall s"], rows)
        return f"{title}\n\n{table}\n\n" + "\n".join(goals)


def _name(transport: str, concurrency: int) -> str:
    return f"iterate(concurrency={concurrency}), transport={transport!r}"


def run(pages: int = 128, latency: float = 0.05, rounds: int = 2) -> ConcurrencyResult:
    """Start the server with ``latency``; time each run; check the cap; stop the server."""
    wall: dict[str, list[float]] = {}
    cap = []
    with _server.running(pages) as url:
        _server.control(url, latency)
        for _ in range(rounds):
            for transport in ("httpx", "aiohttp"):
                for concurrency in (1, 8):
                    seconds = asyncio.run(_iterate(url, concurrency, transport))
                    wall.setdefault(_name(transport, concurrency), []).append(seconds)
            for workers in (1, 8):
                seconds = asyncio.run(_hand(url, pages, workers))
                wall.setdefault(HAND.format(workers), []).append(seconds)
        for max_in_flight in (4, 16):
            seen = asyncio.run(_cap(url, max_in_flight, iterators=3, concurrency=8))
            cap.append((max_in_flight, 3, 8, seen))
    return ConcurrencyResult(pages, latency, wall, cap)
