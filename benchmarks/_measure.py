"""Timing helpers shared by the benchmarks: interleaved rounds, medians, ratios, tables."""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from importlib import metadata


@contextmanager
def gc_state(enabled: bool) -> Iterator[None]:
    """Run with the garbage collector on or off, then restore it."""
    was = gc.isenabled()
    if enabled:
        gc.enable()
    else:
        gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


def settle() -> None:
    """Collect, then move every object alive now out of the collector's sight.

    What the set-up left (modules, models, test data) then costs no contender anything, and a
    full collection costs each what its own objects cost, as in a lean worker process.
    """
    gc.collect()
    gc.freeze()


def interleaved(
    contenders: Sequence[tuple[str, Callable[[], float]]], rounds: int
) -> dict[str, list[float]]:
    """Run every contender once per round, rotating the order; each returns its measurement."""
    results: dict[str, list[float]] = {name: [] for name, _ in contenders}
    for r in range(rounds):
        shift = r % len(contenders)
        for name, run in [*contenders[shift:], *contenders[:shift]]:
            results[name].append(run())
    return results


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ratio(results: dict[str, list[float]], a: str, b: str) -> float:
    """The median over rounds of ``a / b``, measured in the same round."""
    return statistics.median(x / y for x, y in zip(results[a], results[b], strict=True))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def machine() -> str:
    """Date, CPU, cores, Python and the versions that matter, for quoting a table."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for text in f:
                if text.startswith("model name"):
                    cpu = text.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    libs = []
    for name in ("httpx", "httpx-aiohttp", "aiohttp", "orjson", "cattrs", "msgspec", "pydantic"):
        with suppress(metadata.PackageNotFoundError):
            libs.append(f"{name} {metadata.version(name)}")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{now}; {cpu}, {os.cpu_count()} cores; Python {sys.version.split()[0]} "
        f"({platform.system()}); {', '.join(libs)}"
    )


def timed(run: Callable[[], object], repeat: int) -> float:
    """Seconds per call of ``run``, over ``repeat`` calls (the last result is kept alive until
    the next call returns, as a caller holding one page at a time would)."""
    kept: object = None
    started = time.perf_counter()
    for _ in range(repeat):
        kept = run()
    elapsed = time.perf_counter() - started
    del kept
    return elapsed / repeat
