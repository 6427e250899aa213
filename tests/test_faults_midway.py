"""Faults in the middle of long reads, over real sockets: every row comes once, only reads
are retried, and each retry is logged with its reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

import omsclient
from omsclient.export import export_orders
from omsclient.legacy import Condition, Op, OrderField
from omsclient.sandbox import Faults, SandboxConfig, SandboxInfo

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
FAST = omsclient.RetryPolicy(max_retries=3, initial_delay=0.001, max_delay=0.01)
Factory = Callable[..., SandboxInfo]


async def test_an_empty_answer_is_retried_whatever_its_content_type(
    oms_sandbox_factory: Factory,
) -> None:
    # A PHP server that dies before writing sends an empty body labelled text/html, as the
    # sandbox does: no HTML page, nothing that would come back the same.
    info = oms_sandbox_factory(orders=30, products=5)
    async with omsclient.AsyncClient(**info.client_kwargs(), retry=FAST) as oms:
        info.state.queue_faults("empty")
        page = await oms.legacy.orders.search(ALL)
        assert page.total == 30
        info.state.queue_faults(*["empty"] * 4)
        with pytest.raises(omsclient.DecodeError, match="empty body") as caught:
            await oms.legacy.orders.search(ALL)
        assert caught.value.transient is True
        assert caught.value.attempts == 4


# Every kind of failure a read rides through, one after the other on the third page.
MIDWAY = ["none", "none", "truncate", "drop", "empty", "error:503", "rate_limit"]
PATIENT = omsclient.RetryPolicy(max_retries=5, initial_delay=0.001, max_delay=0.01)


@pytest.mark.parametrize("job", ["iterate", "scan", "export"])
async def test_faults_at_the_third_page_lose_and_repeat_no_row(
    oms_sandbox_factory: Factory, tmp_path: Path, job: str
) -> None:
    faults = Faults(retry_after=0)
    info = oms_sandbox_factory(SandboxConfig(orders=450, products=5, faults=faults))
    expected = sorted(r.order_id for r in info.state.orders)
    info.state.queue_faults(*MIDWAY)
    async with omsclient.AsyncClient(**info.client_kwargs(), retry=PATIENT) as oms:
        if job == "iterate":
            ids = [o["order_id"] async for o in oms.legacy.orders.iterate_raw(ALL)]
        elif job == "scan":
            ids = [o.order_id async for o in oms.legacy.orders.scan()]
        else:
            out = tmp_path / "orders.jsonl"
            await export_orders(oms, out, windows=1)
            ids = [json.loads(line)["order_id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == expected
    met = [r.fault for r in info.state.requests if r.fault]
    assert met == MIDWAY[2:]  # each met once: the faults were ridden through, not around
