"""Faults in the middle of long reads, over real sockets: every row comes once, only reads
are retried, and each retry is logged with its reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

import omsclient
from omsclient.legacy import Condition, Op, OrderField
from omsclient.sandbox import SandboxInfo

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
