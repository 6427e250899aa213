"""Orders rendered once are served again as they were, until they change."""

from __future__ import annotations

import attrs
import orjson

from omsclient.sandbox import Quirks, SandboxConfig
from omsclient.sandbox._render import RenderOptions

from ._support import ALL_ORDERS, AUTH, EVERYTHING, FIND, SandboxFactory

INVOICE_ORDER = {**ALL_ORDERS, "sortby": "3"}


async def test_answers_embed_the_rendered_orders_byte_for_byte(
    sandbox_factory: SandboxFactory,
) -> None:
    sandbox = await sandbox_factory(SandboxConfig(orders=120, products=10))
    state = sandbox.state
    options = RenderOptions(login_token=state.login_token)
    for _ in range(2):
        response = await sandbox.client.post(FIND, data={**AUTH, **INVOICE_ORDER})
        expected = b",".join(orjson.dumps(state._render(r, options)) for r in state.orders[:100])
        assert b'"orders":[' + expected + b"]" in response.content
    assert state.rendered_bytes > 0


async def test_a_written_order_is_rendered_anew(sandbox_factory: SandboxFactory) -> None:
    sandbox = await sandbox_factory(SandboxConfig(orders=50, products=10, seed=2))
    record = next(r for r in sandbox.state.orders if r.status == 1)
    one = {"field": "3", "condition": "1", "string": record.order_id, **EVERYTHING}
    before = (await sandbox.find(**one))["orders"][0]
    await sandbox.update(order_id=record.order_id, new_status="3", shipping_code="T-1")
    after = (await sandbox.find(**one))["orders"][0]
    assert (before["order_status"], after["order_status"]) == (1, 3)
    assert [s["tracking_number"] for s in after["shipments"]] == ["T-1"]
    assert after == sandbox.state.render(sandbox.state.orders[record.index])


async def test_flags_and_quirks_are_rendered_apart(sandbox_factory: SandboxFactory) -> None:
    sandbox = await sandbox_factory(SandboxConfig(orders=30, products=5))
    full = await sandbox.find(**ALL_ORDERS, **EVERYTHING)
    plain = await sandbox.find(**ALL_ORDERS)
    assert all("shipments" in o for o in full["orders"])
    assert all("shipments" not in o for o in plain["orders"])
    skipped = await sandbox.find(**ALL_ORDERS, skip_login_token="1")
    assert sandbox.state.login_token not in str(skipped)
    state = sandbox.state
    state.config = attrs.evolve(state.config, quirks=Quirks(string_ids=True))
    quirky = await sandbox.find(**ALL_ORDERS)
    assert all(isinstance(o["customer_id"], str) for o in quirky["orders"])
    assert all(isinstance(o["customer_id"], int) for o in plain["orders"])


async def test_memory_stays_within_the_budget(sandbox_factory: SandboxFactory) -> None:
    small = await sandbox_factory(SandboxConfig(orders=300, products=10, render_cache_mb=1))
    none = await sandbox_factory(SandboxConfig(orders=300, products=10, render_cache_mb=0))
    first = await small.all_orders()
    assert 0 < small.state.rendered_bytes <= 2**20
    assert await small.all_orders() == first
    assert await none.all_orders() == first
    assert none.state.rendered_bytes == 0
