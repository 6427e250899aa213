"""Sync runs against real databases: runs at once, locks held by others, watermark edges."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

import omsclient
from omsclient.dbsync import DatabaseError, SyncProgress, sync_orders, sync_products
from omsclient.sandbox import Faults, SandboxConfig, SandboxInfo

from .test_dbsync import (  # noqa: F401 - fixtures
    STATE_TABLE,
    db_url,
    postgres,
    query,
    server_rows,
    stored,
)

Factory = Callable[..., SandboxInfo]


# -- two runs of one query at once -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["orders", "products"])
async def test_a_second_sync_of_the_same_query_is_refused_while_the_first_runs(
    oms_sandbox_factory: Factory,
    db_url: str,  # noqa: F811
    kind: str,
) -> None:
    # Both ran the whole job, the second "continuing an interrupted run" from the first's
    # position and overwriting its state, with counts that said nothing true.
    info = oms_sandbox_factory(SandboxConfig(orders=700, products=700, faults=Faults(latency=0.02)))
    # The same host and user: the second run reads "the same server", and sends it nothing.
    spare = oms_sandbox_factory(SandboxConfig(orders=700, products=700))
    sync = sync_orders if kind == "orders" else sync_products
    stored_some = asyncio.Event()

    def progress(p: SyncProgress) -> None:
        stored_some.set()

    async with (
        omsclient.AsyncClient(**info.client_kwargs()) as oms,
        omsclient.AsyncClient(**spare.client_kwargs()) as second,
    ):
        first = asyncio.ensure_future(sync(oms, db_url, progress=progress))
        await stored_some.wait()
        with pytest.raises(DatabaseError, match=f"another sync of these {kind} is running"):
            await sync(second, db_url)
        assert spare.state.requests == []
        assert not first.done()
        summary = await first
        assert (summary.new, summary.updated, summary.unchanged) == (700, 0, 0)
        # Once the first is done, the next run runs.
        again = await sync(oms, db_url)
    assert not again.resumed
    assert again.new == again.updated == 0
    assert len(stored(db_url, kind, kind[:-1] + "_id")) == 700


async def test_syncs_of_other_queries_run_at_once_on_one_database(
    oms_sandbox_factory: Factory,
    db_url: str,  # noqa: F811
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=500, products=300, faults=Faults(latency=0.01)))
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        orders, products = await asyncio.gather(
            sync_orders(oms, db_url), sync_products(oms, db_url)
        )
    assert (orders.new, products.new) == (500, 300)
    assert stored(db_url) == await server_rows(info)
