"""Orders sharing a second, from a server that orders such ties anew for each page it is asked
for (as MySQL's ``ORDER BY ... LIMIT`` may): the sandbox's quirk, and a scan and a database sync
over it, on real sockets."""

from __future__ import annotations

import contextlib
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

import omsclient
from omsclient.dbsync import sync_orders
from omsclient.legacy import Condition, Op, OrderField
from omsclient.sandbox import Quirks, SandboxConfig, SandboxInfo, serve

TIED = 250


def _one_second(info: SandboxInfo, count: int, first: int = 500) -> tuple[int, set[str]]:
    """Gives ``count`` orders from the ``first`` one the Date Ordered of the first, as an import
    would: that second, and their ids."""
    state = info.state
    second = state.orders[first].date_ordered
    changes = []
    for record in state.orders[first : first + count]:
        tied = record._clone()
        tied.date_ordered = second  # earlier than it was: every other date stays after it
        state.orders[record.index] = tied
        changes.append((record, tied))
    state._commit(changes)
    return second, {record.order_id for _, record in changes}


@pytest.fixture(params=[True, False], ids=["unstable", "stable"])
def tied(request: pytest.FixtureRequest) -> Iterator[tuple[SandboxInfo, int, set[str]]]:
    config = SandboxConfig(
        orders=1_000, products=20, quirks=Quirks(unstable_ties=request.param), log_requests=False
    )
    with serve(config) as info:
        second, ids = _one_second(info, TIED)
        yield info, second, ids


def _wire(second: int) -> str:
    return datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def test_offset_pages_over_unstable_ties_miss_some_and_repeat_others(
    tied: tuple[SandboxInfo, int, set[str]],
) -> None:
    info, second, ids = tied
    unstable = info.state.config.quirks.unstable_ties
    within = (
        Condition(OrderField.DATE_ORDERED, Op.GE, date1=_wire(second)),
        Condition(OrderField.DATE_ORDERED, Op.LT, date1=_wire(second + 1)),
    )
    with omsclient.Client(**info.client_kwargs()) as oms:

        def page(offset: int, sort_by: OrderField) -> list[str]:
            found = oms.legacy.orders.search(*within, offset=offset, sort_by=sort_by)
            assert found.total == TIED
            return [order.order_id for order in found.items]

        by_date = Counter(
            i for offset in (0, 100, 200) for i in page(offset, OrderField.DATE_ORDERED)
        )
        # The same page asked again is the same: only another offset or limit orders them anew.
        assert page(100, OrderField.DATE_ORDERED) == page(100, OrderField.DATE_ORDERED)
        by_invoice = [
            i for offset in (0, 100, 200) for i in page(offset, OrderField.INVOICE_NUMBER)
        ]
    assert sorted(by_invoice) == sorted(ids)  # one value each: no ties to reorder
    assert sum(by_date.values()) == TIED
    if unstable:
        assert set(by_date) < ids
        assert max(by_date.values()) > 1
    else:
        assert set(by_date) == ids


@pytest.mark.parametrize("windows", [1, 3])
def test_a_scan_and_a_sync_over_unstable_ties_read_every_order_once(
    tied: tuple[SandboxInfo, int, set[str]], tmp_path: Path, windows: int
) -> None:
    # By offset within the second sorted by Date Ordered alone, every pass missed the same
    # orders, and a sync stored 170-180 of the 250 for good, reporting success.
    info, _, ids = tied
    everything = {record.order_id for record in info.state.orders}
    db = tmp_path / "orders.db"
    with omsclient.Client(**info.client_kwargs()) as oms:
        read = Counter(order.order_id for order in oms.legacy.orders.scan(windows=windows))
        summary = sync_orders(oms, f"sqlite:///{db}", windows=windows)
    assert set(read) == everything
    assert max(read.values()) == 1
    with contextlib.closing(sqlite3.connect(db)) as connection, connection:
        stored = [row[0] for row in connection.execute("SELECT order_id FROM orders")]
    assert sorted(stored) == sorted(everything)
    assert summary.new == len(everything)
    assert ids <= set(stored)
