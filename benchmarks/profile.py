"""Where the client's CPU goes: cProfile grouped by layer, plus garbage-collector pauses.

Profiling slows Python code more than C code, so shares are indicative; the µs/order column is
each share applied to the run's unprofiled CPU time. Time in ``epoll`` (waiting for the server)
is left out. Garbage-collector pauses are timed apart (``gc.callbacks``): cProfile charges them
to whatever function happened to allocate.
``--pyinstrument`` prints pyinstrument's call tree of the same run instead.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from benchmarks import _measure, _server
from benchmarks._data import PAGE_SIZE, page_bytes
from benchmarks._models import read_every_part
from benchmarks.e2e import _omsclient
from omsclient._decoding import PageDecoder, structure_many
from omsclient.legacy.models import Order

IDLE = "waiting for the server (epoll)"
# (layer, test on "file:function"), first match wins.
LAYERS: list[tuple[str, Callable[[str], bool]]] = [
    (IDLE, lambda k: "select.epoll" in k),
    ("msgspec: JSON to mirror structs (C)", lambda k: "msgspec.json.Decoder" in k),
    ("orjson.loads (C)", lambda k: "orjson.loads" in k),
    ("mirrors to models (generated code)", lambda k: "generated mirror_to_" in k),
    (
        "converter (generated + hooks)",
        lambda k: (
            "generated structure_" in k
            or "_decoding/_converter.py" in k
            or "_decoding/_scalars.py" in k
        ),
    ),
    ("object.__new__ of the models", lambda k: "method __new__" in k),
    ("dates: fromisoformat", lambda k: "fromisoformat" in k),
    ("httpx / httpcore / h11", lambda k: any(p in k for p in ("/httpx/", "/httpcore/", "/h11/"))),
    (
        "aiohttp / httpx-aiohttp / yarl / multidict",
        lambda k: any(p in k for p in ("/aiohttp/", "httpx_aiohttp", "/yarl/", "/multidict/")),
    ),
    ("sockets, event loop, anyio", lambda k: any(p in k for p in ("asyncio", "anyio", "socket"))),
    ("omsclient: session, pages, iterator", lambda k: "/omsclient/" in k),
]
OTHER = "other"


def _layers(stats: pstats.Stats) -> dict[str, float]:
    totals: dict[str, float] = {}
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        key = f"{filename}:{func}"
        layer = next((name for name, test in LAYERS if test(key)), OTHER)
        totals[layer] = totals.get(layer, 0.0) + tottime
    return totals


def _report(title: str, orders: int, cpu: float, gc_spent: float, stats: pstats.Stats) -> str:
    layers = _layers(stats)
    layers.pop(IDLE, None)
    profiled = sum(layers.values()) or 1.0
    work = max(cpu - gc_spent, 0.0)
    rows = [
        [name, f"{share / profiled * 100:.0f} %", f"{share / profiled * work / orders * 1e6:.1f}"]
        for name, share in sorted(layers.items(), key=lambda kv: -kv[1])
        if share / profiled >= 0.005
    ]
    rows.append(["garbage collector pauses", "(apart)", f"{gc_spent / orders * 1e6:.1f}"])
    rows.append(["total client CPU", "", f"{cpu / orders * 1e6:.1f}"])
    table = _measure.table(["layer", "share of profile", "µs/order"], rows)
    return f"{title}\n\n{table}"


def _run(
    title: str, orders: int, work: Callable[[], Awaitable[None] | None], pyinstrument: bool
) -> str:
    def call() -> None:
        result = work()
        if result is not None:
            asyncio.get_event_loop().run_until_complete(result)

    call()  # warm up: lazy builds, allocator arenas
    _measure.settle()
    with _measure.gc_timer() as gc_spent:
        cpu = time.process_time()
        call()
        cpu = time.process_time() - cpu
    if pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler()
        with profiler:
            call()
        return f"{title}\n\n{profiler.output_text(unicode=True, color=False, show_all=False)}"
    profile = cProfile.Profile()
    profile.enable()
    call()
    profile.disable()
    return _report(title, orders, cpu, gc_spent[0], pstats.Stats(profile))


UNREAD = "page decoder: JSON to models, no nested part built"
EVERY_PART = "page decoder: JSON to models, every part built (each read)"


def stages(pages: int = 20, rounds: int = 7) -> str:
    """Direct timings of each stage of a page's decode (medians over rounds)."""
    content = page_bytes("sample")
    decoder = PageDecoder("orders", Order, "order_id")
    decoder.decode(content)
    built = decoder._built
    assert built is not None
    mirrors = built.adaptive.decoder

    def per_order(run: Callable[[], object]) -> Callable[[], float]:
        return lambda: _measure.timed(run, pages) / PAGE_SIZE * 1e6

    def every_part() -> object:
        page = decoder.decode(content)
        assert page is not None
        for order in page.items:
            read_every_part(order)
        return page

    timed = [
        ("orjson.loads (dicts)", per_order(lambda: orjson.loads(content))),
        ("msgspec: JSON to mirror structs", per_order(lambda: mirrors.decode(content))),
        (UNREAD, per_order(lambda: decoder.decode(content))),
        (EVERY_PART, per_order(every_part)),
        (
            "orjson + converter: JSON to models",
            per_order(lambda: structure_many(orjson.loads(content)["orders"], Order)),
        ),
    ]
    _measure.interleaved(timed, 1)  # warm up
    _measure.settle()
    with _measure.gc_state(False):
        off = _measure.interleaved(timed, rounds)
    with _measure.gc_state(True):
        on = _measure.interleaved(timed, rounds)
    med = {name: (_measure.median(on[name]), _measure.median(off[name])) for name, _ in timed}
    rows = [[name, f"{a:.1f}", f"{b:.1f}", f"{a - b:.1f}"] for name, (a, b) in med.items()]
    # The converter builds every part: the like of it is the page decoder's every part.
    copy = med[EVERY_PART][1] - med["msgspec: JSON to mirror structs"][1]
    rows.append(["(mirrors to models with every part, by difference)", "", f"{copy:.1f}", ""])
    headers = ["stage", "µs/order, GC on", "µs/order, GC off", "GC cost"]
    return "Decode stages, measured directly\n\n" + _measure.table(headers, rows)


def run(pages: int = 30, pyinstrument: bool = False) -> list[str]:
    """Time the decode's stages, then profile iterate() end to end through each transport."""
    reports = [stages(pages)]
    orders = pages * PAGE_SIZE
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        with _server.running(pages) as url:
            for transport in ("httpx", "aiohttp"):
                manager = _omsclient(url, transport)
                run_pages = loop.run_until_complete(manager.__aenter__())
                try:

                    async def iterate(run_pages: Any = run_pages) -> None:
                        await run_pages(pages)

                    title = f"End to end: iterate(), transport={transport!r} (cProfile)"
                    reports.append(_run(title, orders, iterate, pyinstrument))
                finally:
                    loop.run_until_complete(manager.__aexit__(None, None, None))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    return reports
