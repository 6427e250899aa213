"""Timing helpers shared by the benchmarks: interleaved rounds, medians, ratios, tables."""

from __future__ import annotations

import functools
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
from typing import Any, TypeVar

import attrs

T = TypeVar("T")


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


@contextmanager
def gc_timer() -> Iterator[list[float]]:
    """CPU seconds spent in garbage-collector pauses while the block runs (``[0]`` of the list).

    Timed apart with ``gc.callbacks``: a profiler charges a pause to whichever function happened
    to allocate.
    """
    spent = [0.0]
    started = [0.0]

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.process_time()
        else:
            spent[0] += time.process_time() - started[0]

    gc.callbacks.append(callback)
    try:
        yield spent
    finally:
        gc.callbacks.remove(callback)


def settle() -> None:
    """Collect, then move every object alive now out of the collector's sight.

    What the set-up left (modules, models, test data) then costs no contender anything, and a
    full collection costs each what its own objects cost, as in a lean worker process.
    """
    gc.collect()
    gc.freeze()


def interleaved(
    contenders: Sequence[tuple[str, Callable[[], T]]], rounds: int
) -> dict[str, list[T]]:
    """Run every contender once per round, rotating the order; each returns its measurement.

    Every other round runs backwards: rotated only, each contender would always follow the
    same one, and whatever that one leaves behind (caches, the allocator, the processor's
    clock) would weigh on it in every round.
    """
    results: dict[str, list[T]] = {name: [] for name, _ in contenders}
    for r in range(rounds):
        shift = r % len(contenders)
        order = [*contenders[shift:], *contenders[:shift]]
        for name, run in order[::-1] if r % 2 else order:
            results[name].append(run())
    return results


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ratios(results: dict[str, list[float]], a: str, b: str) -> list[float]:
    """``a / b`` in each round, both measured in that round."""
    return [x / y for x, y in zip(results[a], results[b], strict=True)]


def ratio(results: dict[str, list[float]], a: str, b: str) -> float:
    """The median over rounds of ``a / b``, measured in the same round."""
    return statistics.median(ratios(results, a, b))


@attrs.frozen
class Goal:
    """A figure measured in every round (a ratio side by side, or a share) and its bound.

    The median over rounds must be at most ``bound`` (at least, with ``at_least``); without a
    bound the figure is only reported. ``stretch`` is a further bound, reported beside it.
    """

    name: str
    values: list[float]
    bound: float | None = None
    at_least: bool = False
    stretch: float | None = None
    percent: bool = False

    @property
    def value(self) -> float:
        return statistics.median(self.values)

    def meets(self, bound: float) -> bool:
        return self.value >= bound if self.at_least else self.value <= bound

    @property
    def met(self) -> bool | None:
        """Whether the median meets the bound; None for a figure only reported."""
        return None if self.bound is None else self.meets(self.bound)

    def show(self, value: float) -> str:
        return f"{value * 100:.0f} %" if self.percent else f"{value:.2f}"

    def spread(self) -> str:
        """Lowest to highest over the rounds."""
        rounds = len(self.values)
        return (
            f"{self.show(min(self.values))} to {self.show(max(self.values))} "
            f"over {rounds} round{'s' * (rounds > 1)}"
        )

    def target(self) -> str:
        if self.bound is None:
            return "reported"
        sign = ">=" if self.at_least else "<="
        stretch = "" if self.stretch is None else f" (stretch {sign} {self.show(self.stretch)})"
        return f"{sign} {self.show(self.bound)}{stretch}"

    def verdict(self) -> str:
        if self.met is None:
            return "-"
        if not self.met:
            return "NOT met"
        if self.stretch is None:
            return "met"
        return "met, stretch met" if self.meets(self.stretch) else "met, stretch not met"

    def line(self) -> str:
        """One line: the figure, its spread, the bound and the verdict."""
        return (
            f"{self.name}: {self.show(self.value)} ({self.spread()}); "
            f"goal {self.target()}: {self.verdict()}"
        )


def goals_table(goals: Sequence[Goal]) -> str:
    """Every goal of a run in one Markdown table."""
    rows = [[g.name, g.show(g.value), g.spread(), g.target(), g.verdict()] for g in goals]
    return table(["goal", "measured", "spread", "target", "verdict"], rows)


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


def timed(
    run: Callable[[], object], repeat: int, before: Callable[[], object] | None = None
) -> float:
    """CPU seconds per call of ``run``, over ``repeat`` calls (the last result is kept alive
    until the next call returns, as a caller holding one page at a time would); ``before``,
    if given, runs untimed before each call.

    The process's CPU, not the wall clock: on a shared machine, the time other processes take
    from this one would count, unevenly between two contenders of a ratio.
    """
    kept: object = None
    elapsed = 0.0
    for _ in range(repeat):
        if before is not None:
            before()
        started = time.process_time()
        kept = run()
        elapsed += time.process_time() - started
    del kept
    return elapsed / repeat


@functools.cache
def _copy_buffers() -> tuple[bytes, bytearray]:
    # Made on first use: a benchmark process that never calls other_work() holds no 16 MiB.
    size = 8 * 1024 * 1024
    return bytes(size), bytearray(size)


def other_work() -> None:
    """Copy 8 MiB, as a client copies a page of orders about a dozen times on its way in (TLS,
    the stream, HTTP) before decoding it: the CPU's caches then hold the copies, not what the
    decoder touched decoding the page before."""
    source, target = _copy_buffers()
    target[:] = source
