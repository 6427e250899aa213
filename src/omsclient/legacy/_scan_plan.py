"""Planning a stable order scan: the date range split into windows of about as many orders."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import attrs

from omsclient._concurrency import run_all
from omsclient._page import Page
from omsclient.legacy._conditions import Condition
from omsclient.legacy._scan_dates import LAST_SECOND
from omsclient.legacy._scan_state import ScanState, WindowState

__all__ = ["Plan", "plan_windows"]


@attrs.frozen
class Plan:
    """The windows, and for some of them a page the planning read that starts the window.

    ``first[k]`` is a page of the whole range's search whose rows from window ``k``'s start
    onwards are that window's first rows (those before it belong to earlier windows);
    ``first[0]`` is the count's page, whose total is how many orders matched.
    """

    state: ScanState
    first: dict[int, Page[Any]]


async def plan_windows(
    fetch: Callable[[Sequence[Condition], int, int], Awaitable[Page[Any]]],
    conditions_for: Callable[[int, int | None], Sequence[Condition]],
    second_of_row: Callable[[Any], int],
    start: int,
    end: int | None,
    windows: int,
    page_size: int,
    settle: Callable[[int], int] = lambda second: second,
) -> Plan:
    """Split the seconds ``start`` to ``end`` (exclusive; None: open-ended) into ``windows``.

    The first page of the search ``conditions_for(start, end)`` counts the matching orders
    (and is the first window's first page), and one page at each of ``windows - 1`` evenly
    spaced offsets finds a date to split at: the second after its first row's
    (``second_of_row``). So windows are balanced by orders, not by time, and each page read to
    plan starts a window: its rows from that second on are the window's first, which saves
    each window a request. No more windows are made than there are pages of orders; when the
    count's page holds them all, nothing more is sent. ``settle`` moves a split to where one
    may be sent (out of an hour a server's clocks repeat); a window split elsewhere than its
    probe's page starts reads its own first page.
    """
    conditions = conditions_for(start, end)
    head = await fetch(conditions, 0, page_size)
    total = head.total
    windows = max(1, min(windows, -(-total // page_size)))
    offsets = sorted({k * total // windows for k in range(1, windows)})
    offsets = [o for o in offsets if 0 < o < total]
    probes = await run_all([functools.partial(fetch, conditions, o, page_size) for o in offsets])
    # The first row's second may go on before the probe's offset: split after it, so that
    # everything from the split on is in the page, from its first row of the next second.
    at: dict[int, Page[Any] | None] = {}
    for probe in probes:
        if probe.items:
            split = second_of_row(probe.items[0]) + 1
            moved = settle(split)
            at[moved] = probe if moved == split else None
    # A probe whose first row is of the last second would split after it, past every date.
    bounds = sorted(s for s in at if start < s <= LAST_SECOND and (end is None or s < end))
    starts = [start, *bounds]
    ends: list[int | None] = [*bounds, end]
    state = ScanState(tuple(WindowState(s, e) for s, e in zip(starts, ends, strict=True)))
    first = {k: page for k, s in enumerate(bounds, 1) if (page := at[s]) is not None}
    return Plan(state, {0: head} | first)
