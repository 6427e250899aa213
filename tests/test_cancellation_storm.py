"""Random cancellations of concurrent iterators never leave a pool connection busy for good.

A served sandbox with latency and faults; 200 cancels landing anywhere (before the request,
while waiting for a connection, mid-body, while the pool takes a connection back), alternately
by ``asyncio`` (``wait_for`` cancels the task) and by an anyio cancel scope. Afterwards the pool
holds no busy connection and the client still serves 16 searches at once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import date
from typing import Any

import anyio
import httpx
import pytest

import omsclient
from omsclient._loop_bound import LoopBoundTransport
from omsclient.legacy import Condition, Op, OrderField
from omsclient.sandbox import Faults, SandboxConfig, SandboxInfo

from .conftest import LEAVES_NOTHING_UNCLOSED

pytestmark = LEAVES_NOTHING_UNCLOSED

SINCE = Condition(OrderField.DATE_ORDERED, Op.GE, date1=date(2020, 1, 1))
CANCELS = 200
IN_FLIGHT = 4


def busy_connections(http: httpx.AsyncClient) -> list[Any]:
    """The connections of ``http``'s pool that are neither idle nor closed."""
    transport = http._transport
    if isinstance(transport, LoopBoundTransport):
        transport = transport.current()
    assert isinstance(transport, httpx.AsyncHTTPTransport)
    return [c for c in transport._pool.connections if not (c.is_idle() or c.is_closed())]


async def iterate_all(oms: omsclient.AsyncClient) -> None:
    try:
        async for _ in oms.legacy.orders.iterate(SINCE, concurrency=IN_FLIGHT):
            pass
    except omsclient.OmsError:
        pass  # faults: what matters here is what a cancel leaves behind


@pytest.mark.parametrize("stock", [False, True], ids=["default transport", "stock httpx"])
async def test_a_cancellation_storm_leaves_no_connection_busy(
    oms_sandbox_factory: Callable[..., SandboxInfo], stock: bool
) -> None:
    info = oms_sandbox_factory(
        SandboxConfig(
            orders=600,
            products=20,
            faults=Faults(
                latency=(0.02, 0.08), error_rate=0.05, drop_rate=0.05, truncate_rate=0.05, seed=3
            ),
        )
    )
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    async with (
        httpx.AsyncClient(limits=limits) if stock else _no_client() as http,
        omsclient.AsyncClient(
            **info.client_kwargs(),
            max_in_flight=IN_FLIGHT,
            retry=omsclient.RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.01),
            http_client=http,
        ) as oms,
    ):
        rng = random.Random(12)
        landed = 0
        for n in range(CANCELS):
            after = rng.uniform(0, 0.12)
            if n % 2:
                try:
                    await asyncio.wait_for(iterate_all(oms), after)
                except asyncio.TimeoutError:  # not yet the builtin TimeoutError on Python 3.10
                    landed += 1
            else:
                with anyio.move_on_after(after) as scope:
                    await iterate_all(oms)
                landed += scope.cancelled_caught
        assert landed > CANCELS // 2  # the storm did cancel, mostly mid-iteration
        assert busy_connections(oms._session.http) == []
        # Faults stay on: enough retries that 16 searches all get through them.
        patient = oms.with_options(max_retries=10)
        with anyio.fail_after(30):
            pages = await asyncio.gather(
                *(patient.legacy.orders.search(SINCE, limit=5) for _ in range(16))
            )
        assert [len(page) for page in pages] == [5] * 16


class _no_client:
    """An ``async with`` giving None: the client then builds its default transport."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None
