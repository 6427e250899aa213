"""manage_orders/update_order_status: real changes, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from omsclient.sandbox import SandboxConfig

from ._support import AUTH, EVERYTHING, UPDATE, Sandbox, SandboxFactory


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig(orders=300, products=60, seed=11)


def open_order(sandbox: Sandbox, lines: int = 2, status: int = 1) -> str:
    """An order of ``status`` (ready for production unless told) with at least ``lines``
    lines, none produced."""
    for record in sandbox.state.orders:
        if record.status != status:
            continue
        state = sandbox.state._order_state(record)
        if len(state.lines) >= lines and all(
            w.produced == 0 for ln in state.lines for w in ln.items
        ):
            return record.order_id
    raise AssertionError("no suitable order")


async def fetch(sandbox: Sandbox, order_id: str) -> dict[str, Any]:
    body = await sandbox.find(field="3", condition="1", string=order_id, **EVERYTHING)
    assert body["total"] == 1
    order: dict[str, Any] = body["orders"][0]
    return order


def code(body: Any) -> int:
    result: int = body["response_status"]["code"]
    return result


async def test_whole_order_produced_then_shipped(sandbox: Sandbox) -> None:
    order_id = open_order(sandbox)
    before = await fetch(sandbox, order_id)
    assert before["order_status"] == 1
    assert before["date_produced"] is None  # unset dates are null, as live servers send them
    body = await sandbox.update(order_id=order_id, new_status="2")
    assert body == {"response_status": {"code": 10001, "severity": "SUCCESS", "description": "."}}
    produced = await fetch(sandbox, order_id)
    assert produced["order_status"] == 2
    assert produced["date_produced"]
    assert produced["date_modified"] > before["date_modified"]
    for line in produced["order_lines"]:
        assert line["production_status"] == 2
        assert line["processed_by"]["login"] == "sandbox"
        for item in line["workflow_items"]:
            assert item["qty_produced"] == item["qty_to_fulfill"]
            assert item["production_status"] == 80
    assert sandbox.state.writes_applied == 1

    await sandbox.update(order_id=order_id, new_status="3", shipping_code="TRACK-1")
    shipped = await fetch(sandbox, order_id)
    assert shipped["order_status"] == 3
    assert shipped["date_shipped"]
    assert [s["tracking_number"] for s in shipped["shipments"]] == ["TRACK-1"]
    shipment_items = {
        w["workflow_item_id"]: w["qty"] for w in shipped["shipments"][0]["workflow_items"]
    }
    for line in shipped["order_lines"]:
        assert line["production_status"] == 3
        assert line["shipped_date"]
        for item in line["workflow_items"]:
            assert item["qty_shipped"] == item["qty_to_fulfill"] == shipment_items[item["id"]]
            assert item["shipping_status"] == 80
    assert sandbox.state.writes_applied == 2


async def test_one_line_moves_alone(sandbox: Sandbox) -> None:
    order_id = open_order(sandbox, lines=2)
    order = await fetch(sandbox, order_id)
    first, second = order["order_lines"][0], order["order_lines"][1]
    await sandbox.update(order_id=order_id, order_line_id=str(first["id"]), new_status="2")
    after = await fetch(sandbox, order_id)
    assert after["order_status"] == 1
    assert after["order_lines"][0]["production_status"] == 2
    assert after["order_lines"][1]["production_status"] == second["production_status"]
    assert all(w["qty_produced"] == 0 for w in after["order_lines"][1]["workflow_items"])
    # Producing the remaining lines moves the order.
    for line in after["order_lines"][1:]:
        await sandbox.update(order_id=order_id, order_line_id=str(line["id"]), new_status="2")
    assert (await fetch(sandbox, order_id))["order_status"] == 2


async def test_workflow_item_quantities(sandbox: Sandbox) -> None:
    order_id = open_order(sandbox, lines=1)
    order = await fetch(sandbox, order_id)
    line = order["order_lines"][0]
    item = max(line["workflow_items"], key=lambda w: w["qty_to_fulfill"])
    qty = item["qty_to_fulfill"]
    ids = {
        "order_id": order_id,
        "order_line_id": str(line["id"]),
        "workflow_item_id": str(item["id"]),
    }
    if qty > 1:
        await sandbox.update(**ids, qty="1", new_status="2")
        partial = await fetch(sandbox, order_id)
        moved = next(
            w for w in partial["order_lines"][0]["workflow_items"] if w["id"] == item["id"]
        )
        assert moved["qty_produced"] == 1
        assert moved["production_status"] == 60
    # Shipping the rest ships (and so produces) everything outstanding.
    await sandbox.update(**ids, new_status="3", shipping_code="T-9")
    done = await fetch(sandbox, order_id)
    moved = next(w for w in done["order_lines"][0]["workflow_items"] if w["id"] == item["id"])
    assert moved["qty_shipped"] == moved["qty_produced"] == qty
    assert done["shipments"][-1]["tracking_number"] == "T-9"
    assert done["shipments"][-1]["workflow_items"] == [{"workflow_item_id": item["id"], "qty": qty}]
    # Nothing is left: asking for one more is refused.
    body = await sandbox.update(**ids, qty="1", new_status="3")
    assert code(body) == 50005


async def test_workflow_item_without_line_id(sandbox: Sandbox) -> None:
    order_id = open_order(sandbox, lines=2)
    order = await fetch(sandbox, order_id)
    item = order["order_lines"][1]["workflow_items"][0]
    body = await sandbox.update(order_id=order_id, workflow_item_id=str(item["id"]), new_status="2")
    assert code(body) == 10001
    after = await fetch(sandbox, order_id)
    assert after["order_lines"][1]["workflow_items"][0]["qty_produced"] == item["qty_to_fulfill"]


async def test_multi_change_format_applies_in_order(sandbox: Sandbox) -> None:
    first, second = [r.order_id for r in sandbox.state.orders if r.status == 1][:2]
    body = await sandbox.update(
        **{
            "changes[1][order_id]": first,
            "changes[1][new_status]": "2",
            "changes[2][order_id]": first,
            "changes[2][new_status]": "3",
            "changes[2][shipping_tracking_code]": "MULTI",
            "changes[3][order_id]": second,
            "changes[3][new_status]": "2",
        }
    )
    assert code(body) == 10001
    assert (await fetch(sandbox, first))["order_status"] == 3
    assert (await fetch(sandbox, second))["order_status"] == 2
    assert sandbox.state.writes_applied == 1


async def test_the_tracking_number_is_read_by_the_key_its_form_names_it(
    sandbox: Sandbox,
) -> None:
    # The docs: shipping_code in the flat form, changes[n][shipping_tracking_code] in the
    # multi-change one. The other form's key is no parameter here: its number is not recorded.
    flat_right, flat_wrong, multi_right, multi_wrong = [
        r.order_id for r in sandbox.state.orders if r.status == 1
    ][:4]
    await sandbox.update(order_id=flat_right, new_status="3", shipping_code="FLAT")
    await sandbox.update(order_id=flat_wrong, new_status="3", shipping_tracking_code="LOST1")
    await sandbox.update(
        **{
            "changes[1][order_id]": multi_right,
            "changes[1][new_status]": "3",
            "changes[1][shipping_tracking_code]": "MULTI",
            "changes[2][order_id]": multi_wrong,
            "changes[2][new_status]": "3",
            "changes[2][shipping_code]": "LOST2",
        }
    )
    numbers = [
        [s.get("tracking_number") for s in (await fetch(sandbox, order_id))["shipments"]]
        for order_id in (flat_right, flat_wrong, multi_right, multi_wrong)
    ]
    assert numbers[0] == ["FLAT"]
    assert numbers[2] == ["MULTI"]
    assert "LOST1" not in numbers[1]
    assert "LOST2" not in numbers[3]


async def test_all_or_nothing(sandbox: Sandbox) -> None:
    good = open_order(sandbox)
    before = await fetch(sandbox, good)
    version = sandbox.state.version
    body = await sandbox.update(
        **{
            "changes[1][order_id]": good,
            "changes[1][new_status]": "3",
            "changes[2][order_id]": "INV99999999",
            "changes[2][new_status]": "2",
        }
    )
    assert code(body) == 50005
    assert await fetch(sandbox, good) == before
    assert sandbox.state.version == version
    assert sandbox.state.writes_applied == 0
    assert sandbox.state.order(good)._state is None  # type: ignore[union-attr]


async def test_a_refused_request_takes_no_shipment_id(sandbox_factory: SandboxFactory) -> None:
    # The refused ship change took an id from the counter all the same: every later
    # shipment's id, and the packages drawn from it, depended on refused requests.
    async def shipped(refuse_first: bool) -> Any:
        sandbox = await sandbox_factory(SandboxConfig(orders=300, products=20, seed=1))
        first, second = [
            o["order_id"]
            for o in (await sandbox.find(field="4", condition="1", string="1", limit="2"))["orders"]
        ]
        if refuse_first:
            refused = await sandbox.update(
                **{
                    "changes[1][order_id]": first,
                    "changes[1][new_status]": "3",
                    "changes[2][order_id]": "INV99999999",
                    "changes[2][new_status]": "3",
                }
            )
            assert code(refused) == 50005
        await sandbox.update(order_id=second, new_status="3", shipping_code="1ZTEST")
        found = await sandbox.find(field="3", condition="1", string=second, include_shipments="1")
        return found["orders"][0]["shipments"]

    assert await shipped(refuse_first=True) == await shipped(refuse_first=False)


async def test_contact_customer_only_when_the_order_moves(sandbox: Sandbox) -> None:
    order_id = open_order(sandbox, lines=2)
    order = await fetch(sandbox, order_id)
    line_id = str(order["order_lines"][0]["id"])
    await sandbox.update(
        order_id=order_id, order_line_id=line_id, new_status="2", contact_customer="true"
    )
    assert sandbox.state.customer_notifications == []
    await sandbox.update(order_id=order_id, new_status="2", contact_customer="true")
    assert sandbox.state.customer_notifications == [(order_id, 2)]


async def test_operator_by_login_and_id(sandbox: Sandbox) -> None:
    first, second = [r.order_id for r in sandbox.state.orders if r.status == 1][:2]
    await sandbox.update(order_id=first, new_status="2", operator_login="bob123")
    await sandbox.update(order_id=second, new_status="3", operator_id="812001")
    one, two = await fetch(sandbox, first), await fetch(sandbox, second)
    assert {ln["processed_by"]["login"] for ln in one["order_lines"]} == {"Bob123"}
    assert {ln["shipped_by"]["login"] for ln in two["order_lines"]} == {"alice.n"}


async def test_already_done_is_a_no_op(sandbox: Sandbox) -> None:
    shipped = next(r.order_id for r in sandbox.state.orders if r.status == 3)
    before = await fetch(sandbox, shipped)
    assert code(await sandbox.update(order_id=shipped, new_status="3")) == 10001
    assert await fetch(sandbox, shipped) == before


@pytest.mark.parametrize(
    "change",
    [
        {"new_status": "2"},
        {"order_id": "INV10001"},
        {"order_id": "INV10001", "new_status": "1"},
        {"order_id": "INV10001", "new_status": "4"},
        {"order_id": "INV10001", "new_status": "two"},
        {"order_id": "INV99999", "new_status": "2"},
        {"order_id": "10001", "new_status": "2"},
        {"order_id": "INV010001", "new_status": "2"},
        {"order_id": "INV10001", "new_status": "2", "qty": "1"},
        {"order_id": "INV10001", "new_status": "2", "order_line_id": "1"},
        {"order_id": "INV10001", "new_status": "2", "workflow_item_id": "1"},
        {"order_id": "INV10001", "new_status": "2", "order_line_id": "abc"},
        {"order_id": "INV10001", "new_status": "2", "operator_id": "1"},
        {"order_id": "INV10001", "new_status": "2", "operator_login": "nobody"},
        {"order_id": "INV10001", "new_status": "2", "changes[1][order_id]": "INV10002"},
        {
            "changes[1][order_id]": "INV10001",
            "changes[1][new_status]": "2",
            "changes[3][order_id]": "INV10002",
            "changes[3][new_status]": "2",
        },
        {},
    ],
)
async def test_invalid_changes(sandbox: Sandbox, change: dict[str, str]) -> None:
    version = sandbox.state.version
    body = await sandbox.update(**change)
    assert body["response_status"]["code"] == 50005
    assert body["response_status"]["severity"] == "ERROR"
    assert sandbox.state.version == version
    assert sandbox.state.writes_applied == 0


async def test_a_cancelled_order_is_refused(sandbox: Sandbox) -> None:
    # Order status 4 is a cancelled order on the live server (LIVE-SERVER.md).
    found = await sandbox.find(field="4", condition="1", string="4", limit="1")
    cancelled = found["orders"][0]["order_id"]
    before = await fetch(sandbox, cancelled)
    assert code(await sandbox.update(order_id=cancelled, new_status="3")) == 50005
    assert await fetch(sandbox, cancelled) == before


async def test_an_order_on_hold_stays_on_hold_until_every_line_is_produced(
    sandbox: Sandbox,
) -> None:
    # Order status 7 is "on hold" on the live server (LIVE-SERVER.md); producing one line of
    # several does not take the order off hold.
    held = open_order(sandbox, status=7)
    order = await fetch(sandbox, held)
    first = order["order_lines"][0]["id"]
    await sandbox.update(order_id=held, order_line_id=first, new_status="2")
    assert (await fetch(sandbox, held))["order_status"] == 7
    for line in order["order_lines"][1:]:
        await sandbox.update(order_id=held, order_line_id=line["id"], new_status="2")
    assert (await fetch(sandbox, held))["order_status"] == 2


async def test_producing_an_order_without_files_ready_sets_that_date(
    sandbox_factory: SandboxFactory,
) -> None:
    sandbox = await sandbox_factory(seed=7)  # has an open order whose files are not ready
    waiting = next(
        r.order_id
        for r in sandbox.state.orders
        if r.status == 1 and r.date_production_files_ready is None
    )
    assert (await fetch(sandbox, waiting))["date_production_files_ready"] is None
    await sandbox.update(order_id=waiting, new_status="2")
    assert (await fetch(sandbox, waiting))["date_production_files_ready"] is not None


async def test_a_shipment_sent_without_a_code_has_no_tracking_number(sandbox: Sandbox) -> None:
    order_id = open_order(sandbox, lines=1)
    await sandbox.update(order_id=order_id, new_status="3")
    shipments = (await fetch(sandbox, order_id))["shipments"]
    assert [s.get("tracking_number") for s in shipments] == [None]


async def test_qty_over_outstanding(sandbox: Sandbox) -> None:
    order_id = open_order(sandbox)
    order = await fetch(sandbox, order_id)
    item = order["order_lines"][0]["workflow_items"][0]
    body = await sandbox.update(
        order_id=order_id,
        workflow_item_id=str(item["id"]),
        qty=str(item["qty_to_fulfill"] + 1),
        new_status="2",
    )
    assert code(body) == 50005


async def test_update_needs_credentials(sandbox: Sandbox) -> None:
    response = await sandbox.client.post(
        UPDATE,
        data={"username": "sandbox", "password": "x", "order_id": "INV10001", "new_status": "2"},
    )
    assert code(response.json()) == 30001
    assert sandbox.state.writes_applied == 0


async def test_get_is_accepted_too(sandbox: Sandbox) -> None:
    order_id = open_order(sandbox)
    response = await sandbox.client.get(
        UPDATE, params={**AUTH, "order_id": order_id, "new_status": "2"}
    )
    assert code(response.json()) == 10001
    assert (await fetch(sandbox, order_id))["order_status"] == 2
