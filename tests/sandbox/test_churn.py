"""Churn: orders arriving and moving on while a client pages through a search."""

from __future__ import annotations

import attrs
import pytest

from omsclient.sandbox import Churn, Quirks, SandboxConfig

from ._support import ALL_ORDERS, Sandbox, SandboxFactory


def churning(new: int = 0, changed: int = 0) -> SandboxConfig:
    return SandboxConfig(
        orders=200, products=20, churn=Churn(new_orders=new, changed_orders=changed)
    )


async def test_new_orders_arrive_at_every_find(sandbox_factory: SandboxFactory) -> None:
    sandbox = await sandbox_factory(churning(new=3))
    last_date = max(r.date_ordered for r in sandbox.state.orders)
    first = await sandbox.find(**ALL_ORDERS, limit="0")
    second = await sandbox.find(**ALL_ORDERS, limit="0")
    assert (first["total"], second["total"]) == (203, 206)
    newest = await sandbox.find(**ALL_ORDERS, sortby="3", offset="206", limit="10")
    assert newest["total"] == 209
    ids = [o["order_id"] for o in newest["orders"]]
    assert ids == ["INV10207", "INV10208", "INV10209"]
    assert all(o["order_status"] == 1 for o in newest["orders"])
    new_records = sandbox.state.orders[200:]
    assert all(r.date_ordered > last_date for r in new_records)


async def test_open_orders_move_on(sandbox_factory: SandboxFactory) -> None:
    sandbox = await sandbox_factory(churning(changed=10))
    # Each order moves one step a find: one drawn twice went on from 1 to 3 (two of twenty
    # finds did so here).
    for _ in range(20):
        before = {r.order_id: (r.status, r.date_modified) for r in sandbox.state.orders}
        still_open = sum(1 for r in sandbox.state.orders if r.status < 3)
        await sandbox.find(**ALL_ORDERS, limit="0")
        moved = [
            r for r in sandbox.state.orders if (r.status, r.date_modified) != before[r.order_id]
        ]
        assert len(moved) <= 10
        assert moved or still_open < 10
        for record in moved:
            old_status, old_modified = before[record.order_id]
            assert record.status == old_status + 1
            assert record.date_modified > old_modified
            assert record._state is not None
            assert record._state.status == record.status


async def test_offset_paging_over_churn_skips_rows(sandbox_factory: SandboxFactory) -> None:
    """The problem clients must solve: a plain offset scan over changing data misses rows."""
    config = SandboxConfig(orders=400, products=20, days=10, churn=Churn(changed_orders=10))
    sandbox = await sandbox_factory(config)
    open_at_start = {r.order_id for r in sandbox.state.orders if r.status == 1}
    search = {"field": "4", "condition": "1", "string": "1", "sortby": "3", "limit": "20"}
    seen: list[str] = []
    offset = 0
    while True:
        body = await sandbox.find(**search, offset=str(offset))
        seen.extend(o["order_id"] for o in body["orders"])
        offset += 20
        if offset >= body["total"]:
            break
    open_throughout = open_at_start & {r.order_id for r in sandbox.state.orders if r.status == 1}
    assert len(open_at_start) > 100
    assert open_throughout - set(seen), "orders open all along were skipped"


async def test_churn_is_deterministic(sandbox_factory: SandboxFactory) -> None:
    async def run(sandbox: Sandbox) -> list[list[str]]:
        pages = []
        for offset in (0, 50, 100):
            body = await sandbox.find(**ALL_ORDERS, sortby="8", offset=str(offset), limit="50")
            pages.append([f"{o['order_id']}:{o['order_status']}" for o in body["orders"]])
        return pages

    config = churning(new=2, changed=3)
    assert await run(await sandbox_factory(config)) == await run(await sandbox_factory(config))


async def test_no_churn_by_default(sandbox: Sandbox) -> None:
    await sandbox.find(**ALL_ORDERS, limit="0")
    assert sandbox.state.version == 0
    assert len(sandbox.state.orders) == 300


async def test_churn_starting_from_an_empty_shop(sandbox_factory: SandboxFactory) -> None:
    sandbox = await sandbox_factory(
        SandboxConfig(orders=0, products=5, churn=Churn(new_orders=2, changed_orders=1))
    )
    assert (await sandbox.find(**ALL_ORDERS))["total"] == 2
    assert (await sandbox.find(**ALL_ORDERS))["total"] == 4
    # Nothing to move on yet: the find answers rather than failing.
    idle = await sandbox_factory(SandboxConfig(orders=0, churn=Churn(changed_orders=3)))
    assert (await idle.find(**ALL_ORDERS))["total"] == 0


def test_churned_orders_need_products() -> None:
    # Arriving orders are made of catalog products; without any, every find would fail.
    with pytest.raises(ValueError, match="need at least one product"):
        SandboxConfig(orders=0, products=0, churn=Churn(new_orders=1))


async def test_orders_move_on_under_the_numeric_order_ids_quirk(
    sandbox_factory: SandboxFactory,
) -> None:
    # The churn named orders in the invoice form the quirk's lookup refuses: every find
    # answered 50005 "unknown order_id", and the arrivals piled up uncommitted.
    config = attrs.evolve(churning(new=2, changed=2), quirks=Quirks(numeric_order_ids=True))
    sandbox = await sandbox_factory(config)
    for total in (202, 204):
        body = await sandbox.find(**ALL_ORDERS, limit="0")
        assert body["response_status"]["code"] == 10001
        assert body["total"] == total
