"""Concurrency: pages fetched at once against server latency, and the client-wide in-flight cap.

The local server (its own process) waits ``latency`` seconds before each answer, standing for a
real server's work. ``iterate(concurrency=8)`` should then take about an eighth of the time of
``concurrency=1``, less the first page (which tells the total and is fetched alone) and the
client's own CPU. That first round trip is a fixed cost, a ninth of a 64-page run at
``concurrency=8``; the default of 128 pages is closer to the steady state a bulk job (thousands
of pages) sees, and ``--concurrency-pages 64`` shows the shorter run.

The reference is 8 hand-written aiohttp workers gathered, fetching and parsing the same pages
with 8 requests in flight: the throughput a client gets when its CPU is not the limit.
The same workers on stock httpx show the most a client on httpx's own network backend gets
(omsclient's default transport reads through asyncio's streams instead).
``iterate(concurrency=8)`` and ``scan(windows=8)`` (a stable scan: 8 Date Ordered windows, one
request in flight each, after a count page and then 7 pages at even offsets that place and start
the windows) and ``scan(windows=8, raw="sent")`` (the exporter's and the sync's read) are
measured against it; so is the scan on the aiohttp transport (what the ``omsclient`` commands
send through). ``--jitter`` spreads each page's latency evenly around ``--latency``, as a real
server's varies; a scan's windows then finish their pages out of step. Runs are interleaved, in
rotating order (every other round backwards), and figures are medians over rounds.

The cap: several iterators at once, each asking for 8 pages in flight, on a client with
``max_in_flight=4``; the server counts how many requests it held at once.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import attrs
import httpx
import orjson

import omsclient
from benchmarks import _measure, _server
from benchmarks._data import PAGE_SIZE
from benchmarks.e2e import CREDENTIALS, FIND, FORM, ONE_ROW, READY

HAND = "hand-written: aiohttp + orjson, {} workers (reference)"
HAND_HTTPX = "hand-written: httpx + orjson, 8 workers (stock httpx)"


@attrs.frozen
class Sample:
    """One run: its wall seconds, and the client's CPU microseconds per order (this process's
    ``time.process_time()``: the server runs in its own), of which in garbage-collector pauses."""

    wall: float
    cpu: float
    gc: float


async def _timed(run: Callable[[], Awaitable[int]], orders: int, what: str) -> Sample:
    """Run ``run`` (which returns how many orders it read), timed."""
    _measure.settle()
    with _measure.gc_timer() as gc_spent:
        cpu, started = time.process_time(), time.perf_counter()
        count = await run()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    if count != orders:
        raise AssertionError(f"{what} read {count} orders, not {orders}")
    return Sample(wall, cpu / count * 1e6, gc_spent[0] / count * 1e6)


async def _omsclient(url: str, method: str, n: int, transport: Any, orders: int) -> Sample:
    """``iterate(concurrency=n)`` or ``scan(windows=n)`` reading every order (``scan-sent``:
    ``scan(windows=n, raw="sent")``)."""
    async with omsclient.AsyncClient(
        legacy_url=url, **CREDENTIALS, transport=transport, max_retries=0
    ) as oms:
        await oms.legacy.orders.search(READY, limit=1)
        legacy = oms.legacy.orders
        read: Any
        if method == "scan":
            read = legacy.scan(windows=n)
        elif method == "scan-sent":
            read = legacy.scan(windows=n, raw="sent")
        else:
            read = legacy.iterate(READY, concurrency=n)

        async def every_order() -> int:
            count = 0
            async for _order in read:
                count += 1
            return count

        return await _timed(every_order, orders, method)


async def _gathered(fetch: Callable[[int], Awaitable[int]], pages: int, workers: int) -> Sample:
    """``workers`` tasks gathered, each fetching the next page not taken (``fetch(offset)``, its
    order count) until none is left: the pages in no particular order."""
    todo = list(range(pages))

    async def worker() -> int:
        count = 0
        while todo:
            count += await fetch(todo.pop(0) * PAGE_SIZE)
        return count

    async def gathered() -> int:
        return sum(await asyncio.gather(*(worker() for _ in range(workers))))

    return await _timed(gathered, pages * PAGE_SIZE, "the gather")


async def _hand(url: str, pages: int, workers: int) -> Sample:
    """The most a client can get here: workers fetch and parse pages, in no particular order."""
    async with _server.hand_session() as session:
        # One connection made before the clock starts, as omsclient's runs make theirs.
        async with session.post(url + FIND, data=ONE_ROW) as r:
            await r.read()

        async def fetch(offset: int) -> int:
            async with session.post(url + FIND, data={**FORM, "offset": str(offset)}) as r:
                return len(orjson.loads(await r.read())["orders"])

        return await _gathered(fetch, pages, workers)


async def _hand_httpx(url: str, pages: int, workers: int) -> Sample:
    """The same gather on httpx's own transport: the most any client built on it gets here."""
    async with httpx.AsyncClient() as http:
        await http.post(url + FIND, data=ONE_ROW)

        async def fetch(offset: int) -> int:
            r = await http.post(url + FIND, data={**FORM, "offset": str(offset)})
            return len(orjson.loads(r.content)["orders"])

        return await _gathered(fetch, pages, workers)


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
    """Per run and round: wall seconds, the client's CPU microseconds per order and those in
    garbage-collector pauses; and the most requests the server saw at once."""

    pages: int
    latency: float
    jitter: float
    wall: dict[str, list[float]]
    cpu: dict[str, list[float]]
    gc: dict[str, list[float]]
    cap: list[tuple[int, int, int, int]]  # (max_in_flight, iterators, concurrency, seen)
    tls: bool = False  # over HTTPS, as the live server answers

    def goals(self) -> list[_measure.Goal]:
        """Throughput against the gather reference, and the speedup over one page at a time."""
        ratios = functools.partial(_measure.ratios, self.wall)
        reference = HAND.format(8)
        at = f"{self.latency * 1000:.0f} ms latency"
        if self.jitter:
            at += f" ± {self.jitter:.0%}"
        if self.tls:
            at += ", HTTPS"
        goals = [
            _measure.Goal(
                f"iterate(concurrency=8) / gather at 8, throughput, {at}",
                ratios(reference, _name("iterate", "httpx", 8)),
                bound=0.8,
                at_least=True,
            ),
            _measure.Goal(
                f'iterate(concurrency=8, transport="aiohttp") / gather at 8, throughput, {at}',
                ratios(reference, _name("iterate", "aiohttp", 8)),
                bound=0.8,
                at_least=True,
            ),
            _measure.Goal(
                f"scan(windows=8) / gather at 8, throughput, {at}",
                ratios(reference, _name("scan", "httpx", 8)),
                bound=0.8,
                at_least=True,
            ),
            # The exporter's and the sync's read: a scan too.
            _measure.Goal(
                f'scan(windows=8, raw="sent") / gather at 8, throughput, {at}',
                ratios(reference, _name("scan-sent", "httpx", 8)),
                bound=0.8,
                at_least=True,
            ),
        ]
        for transport in ("httpx", "aiohttp"):
            goals.append(
                _measure.Goal(
                    f"iterate speedup, concurrency=8 over 1, transport={transport!r}, {at}",
                    ratios(_name("iterate", transport, 1), _name("iterate", transport, 8)),
                    bound=6,
                    at_least=True,
                )
            )
        goals.append(
            _measure.Goal(
                f'scan(windows=8, transport="aiohttp") / gather at 8, throughput, {at}',
                ratios(reference, _name("scan", "aiohttp", 8)),
            )
        )
        goals.append(
            _measure.Goal(
                f"gather speedup, 8 workers over 1, {at}", ratios(HAND.format(1), reference)
            )
        )
        # What stock httpx gets, and omsclient's default transport beside it.
        goals.append(
            _measure.Goal(
                f"the gather on httpx / gather at 8, throughput, {at}",
                ratios(reference, HAND_HTTPX),
            )
        )
        goals.append(
            _measure.Goal(
                f"iterate(concurrency=8) / the gather on httpx at 8, throughput, {at}",
                ratios(HAND_HTTPX, _name("iterate", "httpx", 8)),
            )
        )
        # At eight in flight the client's CPU, not the latency, sets the pace: these say what
        # that CPU is, beside the gather's, and how much of it the collector takes.
        for name in (_name("iterate", "httpx", 8), _name("scan", "httpx", 8)):
            goals.append(
                _measure.Goal(
                    f"{name} / gather at 8, client CPU per order, {at}",
                    _measure.ratios(self.cpu, name, reference),
                )
            )
            goals.append(
                _measure.Goal(
                    f"GC share of the client's CPU, {name}, {at}",
                    self._gc_share(name),
                    percent=True,
                )
            )
        return goals

    def _gc_share(self, name: str) -> list[float]:
        """The share of the client's CPU spent in garbage-collector pauses, in each round."""
        return [g / c for g, c in zip(self.gc[name], self.cpu[name], strict=True)]

    def _busy(self, name: str) -> list[float]:
        """The client's CPU seconds per wall second, in each round."""
        orders = self.pages * PAGE_SIZE
        return [c * orders / 1e6 / w for c, w in zip(self.cpu[name], self.wall[name], strict=True)]

    def report(self) -> str:
        """A Markdown table and the goals."""
        rows = [
            [
                name,
                f"{_measure.median(times):.2f}",
                f"{_measure.median(self.cpu[name]):.1f}",
                f"{_measure.median(self._gc_share(name)):.0%}",
                f"{_measure.median(self._busy(name)):.0%}",
            ]
            for name, times in self.wall.items()
        ]
        lines = [goal.line() for goal in self.goals()]
        for cap, iterators, concurrency, seen in self.cap:
            holds = "holds" if seen <= cap else "BROKEN"
            lines.append(
                f"max_in_flight={cap}, {iterators} iterators x concurrency={concurrency}: "
                f"the server saw at most {seen} requests at once (cap {holds})"
            )
        title = (
            f"Concurrency, {self.pages} pages ({self.pages * PAGE_SIZE} orders), "
            f"{self.latency * 1000:.0f} ms server latency per page"
            + (f" (± {self.jitter:.0%}, evenly drawn)" if self.jitter else "")
            + (", over HTTPS" if self.tls else "")
        )
        headers = ["run", "wall s", "client CPU µs/order", "GC share", "client CPU / wall"]
        table = _measure.table(headers, rows)
        return f"{title}\n\n{table}\n\n" + "\n".join(lines)


def _name(method: str, transport: str, concurrency: int) -> str:
    if method == "scan-sent":
        return f'scan(windows={concurrency}, raw="sent"), transport={transport!r}'
    knob = "windows" if method == "scan" else "concurrency"
    return f"{method}({knob}={concurrency}), transport={transport!r}"


def run(
    pages: int = 128,
    latency: float = 0.05,
    rounds: int = 5,
    jitter: float = 0.0,
    tls: bool = False,
) -> ConcurrencyResult:
    """Start the server (over HTTPS with ``tls``) with ``latency`` (each page's drawn evenly
    from ``latency * (1 ± jitter)``); time each run; check the cap; stop the server."""
    ours = [("iterate", t, n) for t in ("httpx", "aiohttp") for n in (1, 8)]
    ours += [("scan", "httpx", 8), ("scan", "aiohttp", 8), ("scan-sent", "httpx", 8)]
    runs: list[tuple[str, Callable[[str], Any]]] = [
        (
            _name(method, transport, n),
            functools.partial(
                _omsclient, method=method, n=n, transport=transport, orders=pages * PAGE_SIZE
            ),
        )
        for method, transport, n in ours
    ]
    for workers in (1, 8):
        runs.append((HAND.format(workers), functools.partial(_hand, pages=pages, workers=workers)))
    runs.append((HAND_HTTPX, functools.partial(_hand_httpx, pages=pages, workers=8)))
    cap = []
    with _server.running(pages, tls=tls) as url:
        _server.control(url, latency, jitter)
        samples = _measure.interleaved([(name, _runner(url, make)) for name, make in runs], rounds)
        for max_in_flight in (4, 16):
            seen = asyncio.run(_cap(url, max_in_flight, iterators=3, concurrency=8))
            cap.append((max_in_flight, 3, 8, seen))
    wall, cpu, gc = (
        {name: [getattr(s, field) for s in runs] for name, runs in samples.items()}
        for field in ("wall", "cpu", "gc")
    )
    return ConcurrencyResult(pages, latency, jitter, wall, cpu, gc, cap, tls)


def _runner(url: str, make: Callable[[str], Coroutine[Any, Any, Sample]]) -> Callable[[], Sample]:
    return lambda: asyncio.run(make(url))
