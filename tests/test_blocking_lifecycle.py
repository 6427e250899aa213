"""The blocking Client's lifetime: scans resumed to the row, interrupted waits, fork, views.

Every test talks to a sandbox over a real socket. Tests that raise signals or fork run their
client in a subprocess with a timeout, so a regression fails them instead of hanging the suite.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

import omsclient
from omsclient.legacy import Condition, Op, OrderField, ProductScanState, ScanState
from omsclient.sandbox import SandboxConfig, SandboxInfo

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
SRC = str(Path(omsclient.__file__).parent.parent)


# -- 1. a blocking scan's state is committed per row handed out -----------------------------


@pytest.mark.parametrize("windows", [1, 3])
def test_a_blocking_order_scan_left_mid_page_resumes_at_the_next_row(
    oms_sandbox: SandboxInfo, windows: int
) -> None:
    with omsclient.Client(**oms_sandbox.client_kwargs()) as oms:
        scan = oms.legacy.orders.scan(raw=True, windows=windows)
        first: list[str] = []
        for order in scan:
            first.append(order["order_id"])
            if len(first) == 30:
                break
        assert scan.state is not None
        saved = json.loads(json.dumps(scan.state.to_dict()))
        resumed = oms.legacy.orders.scan(raw=True, state=ScanState.from_dict(saved))
        rest = [order["order_id"] for order in resumed]
    # Row 31 on: nothing lost, nothing repeated, as with ``async for``.
    assert len(first) + len(rest) == 300
    assert sorted(first + rest) == sorted(o.order_id for o in oms_sandbox.state.orders)


def test_a_blocking_typed_order_scan_counts_each_row_it_hands_out(
    oms_sandbox: SandboxInfo,
) -> None:
    with omsclient.Client(**oms_sandbox.client_kwargs()) as oms:
        scan = oms.legacy.orders.scan()
        it = iter(scan)
        taken = [next(it).order_id for _ in range(7)]
        state = scan.state
        assert state is not None
        # The state names the seventh order, not the last one of its page.
        assert taken[-1] in state.windows[0].ids
        it.close()
        rest = [o.order_id for o in oms.legacy.orders.scan(state=state)]
    assert sorted(taken + rest) == sorted(o.order_id for o in oms_sandbox.state.orders)


def test_a_blocking_product_scan_left_mid_page_resumes_at_the_next_row(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=5, products=250))
    with omsclient.Client(**info.client_kwargs()) as oms:
        everything = [row["product_id"] for row in oms.legacy.products.scan()]
        scan = oms.legacy.products.scan()
        first: list[int] = []
        for row in scan:
            first.append(row["product_id"])
            if len(first) == 30:
                break
        assert scan.state == ProductScanState(after=first[-1], done=False)
        saved = ProductScanState.from_dict(json.loads(json.dumps(scan.state.to_dict())))
        rest = [row["product_id"] for row in oms.legacy.products.scan(state=saved)]
    assert len(everything) == 250
    assert first + rest == everything
