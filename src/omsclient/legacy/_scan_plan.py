"""Planning a stable order scan: the date range split into windows of about as many orders."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from omsclient._concurrency import run_all
from omsclient._page import Page
from omsclient.legacy._conditions import Condition
from omsclient.legacy._scan_state import ScanState, WindowState

__all__ = ["plan_windows"]


async def plan_windows(
    fetch: Callable[[Sequence[Condition], int, int], Awaitable[Page[Any]]],
    conditions_for: Callable[[int, int | None], Sequence[Condition]],
    second_of_row: Callable[[Any], int],
    start: int,
    end: int | None,
    windows: int,
) -> ScanState:
    """Split the seconds ``start`` to ``end`` (exclusive; None: open-ended) into ``windows``.

    With one window nothing is sent. Otherwise one request counts the matching orders (the
    search ``conditions_for(start, end)``) and ``windows - 1`` one-row requests at evenly
    spaced offsets find the dates to split at (``second_of_row`` of the row each finds), so
    windows are balanced by orders, not by time.
    """
    bounds: list[int] = []
    if windows > 1:
        conditions = conditions_for(start, end)
        first = await fetch(conditions, 0, 1)
        total = first.total
        offsets = sorted({k * total // windows for k in range(1, windows)})
        offsets = [o for o in offsets if 0 < o < total]
        probes = await run_all([functools.partial(fetch, conditions, o, 1) for o in offsets])
        seconds = {second_of_row(p.items[0]) for p in probes if p.items}
        bounds = sorted(s for s in seconds if s > start and (end is None or s < end))
    starts = [start, *bounds]
    ends: list[int | None] = [*bounds, end]
    return ScanState(tuple(WindowState(cursor=s, end=e) for s, e in zip(starts, ends, strict=True)))
