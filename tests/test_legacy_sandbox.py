"""The legacy client against the sandbox over real sockets: the SDK and a faithful server agree."""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

import omsclient
from omsclient.legacy import (
    Condition,
    NewStatus,
    Op,
    OrderField,
    ProductField,
    ProductSort,
    StatusChange,
)
from omsclient.sandbox import SandboxConfig, SandboxInfo, serve

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
TESTS: dict[Op, Callable[[Any, Any], bool]] = {
    Op.EQ: operator.eq,
    Op.NE: operator.ne,
    Op.LT: operator.lt,
    Op.GT: operator.gt,
    Op.LE: operator.le,
    Op.GE: operator.ge,
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxInfo]:
    with serve(SandboxConfig(orders=2500, products=250, seed=11)) as info:
        yield info


@pytest.fixture(scope="module")
def everything(sandbox: SandboxInfo) -> list[dict[str, Any]]:
    import anyio

    async def fetch() -> list[dict[str, Any]]:
        async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:
            return [o async for o in oms.legacy.orders.iterate_raw(ALL, concurrency=8)]

    return anyio.run(fetch)


def when(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed


def test_pagination_of_thousands_matches_the_server(
    everything: list[dict[str, Any]], sandbox: SandboxInfo
) -> None:
    ids = [o["order_id"] for o in everything]
    assert len(ids) == len(set(ids)) == 2500
    assert set(ids) == {r.order_id for r in sandbox.state.orders}


@pytest.mark.parametrize("op", list(TESTS))
@pytest.mark.parametrize(
    "field",
    [
        OrderField.DATE_ORDERED,
        OrderField.DATE_DUE,
        OrderField.DATE_SHIPPED,
        OrderField.DATE_MODIFIED,
    ],
)
async def test_every_operator_on_date_fields_matches_a_plain_filter(
    sandbox: SandboxInfo, everything: list[dict[str, Any]], field: OrderField, op: Op
) -> None:
    pivot_row = sorted((o for o in everything if o.get(field.value)), key=lambda o: o[field.value])[
        400
    ]
    pivot = when(pivot_row[field.value])
    assert pivot is not None
    expected = {
        o["order_id"]
        for o in everything
        if (d := when(o.get(field.value))) is not None
        and TESTS[op](d.replace(microsecond=0), pivot)
    }
    async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:
        got = [
            o["order_id"]
            async for o in oms.legacy.orders.iterate_raw(
                Condition(field, op, date1=pivot), concurrency=4
            )
        ]
    assert len(got) == len(set(got))
    assert set(got) == expected


@pytest.mark.parametrize("op", [Op.LT, Op.GT, Op.LE, Op.GE])
async def test_a_date_with_a_fraction_selects_the_orders_its_instant_does(
    sandbox: SandboxInfo, everything: list[dict[str, Any]], op: Op
) -> None:
    """The API's dates are whole seconds and it takes none finer: "< 12:00:00.5" must keep the
    orders of 12:00:00 (truncated to "< 12:00:00" it lost them), ">= 12:00:00.5" must leave
    them out."""
    field = OrderField.DATE_ORDERED
    pivot_row = sorted(everything, key=lambda o: o[field.value])[400]
    pivot = when(pivot_row[field.value])
    assert pivot is not None
    assert pivot.microsecond == 0
    pivot = pivot.replace(microsecond=500_000)
    expected = {o["order_id"] for o in everything if TESTS[op](when(o[field.value]), pivot)}
    async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:
        got = [
            o["order_id"]
            async for o in oms.legacy.orders.iterate_raw(
                Condition(field, op, date1=pivot), concurrency=4
            )
        ]
    assert set(got) == expected


async def test_between_and_anded_conditions(
    sandbox: SandboxInfo, everything: list[dict[str, Any]]
) -> None:
    dates = sorted(when(o["date_ordered"]) for o in everything)
    lo, hi = dates[100], dates[900]
    assert lo is not None
    assert hi is not None
    expected = {
        o["order_id"]
        for o in everything
        if lo <= when(o["date_ordered"]) <= hi and o["order_status"] == 1  # type: ignore[operator]
    }
    async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:
        got = {
            o.order_id
            async for o in oms.legacy.orders.iterate(
                Condition(OrderField.DATE_ORDERED, Op.BETWEEN, date1=lo, date2=hi),
                Condition(OrderField.ORDER_STATUS, Op.EQ, string=1),
            )
        }
    assert got == expected
    assert 0 < len(got) < 900


@pytest.mark.parametrize("op", list(TESTS))
async def test_every_operator_on_invoice_number_and_status(
    sandbox: SandboxInfo, everything: list[dict[str, Any]], op: Op
) -> None:
    def number(o: dict[str, Any]) -> int:
        return int(o["order_id"].removeprefix("INV"))

    pivot = sorted(everything, key=number)[1234]
    async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:
        by_invoice = {
            o["order_id"]
            async for o in oms.legacy.orders.iterate_raw(
                Condition(OrderField.INVOICE_NUMBER, op, string=pivot["order_id"])
            )
        }
        by_status = {
            o["order_id"]
            async for o in oms.legacy.orders.iterate_raw(
                Condition(OrderField.ORDER_STATUS, op, string=2)
            )
        }
    assert by_invoice == {o["order_id"] for o in everything if TESTS[op](number(o), number(pivot))}
    assert by_status == {o["order_id"] for o in everything if TESTS[op](o["order_status"], 2)}


async def test_sort_and_includes_reach_the_server(sandbox: SandboxInfo) -> None:
    async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:
        page = await oms.legacy.orders.search(ALL, sort_by=OrderField.DATE_DUE, limit=100)
        plain = await oms.legacy.orders.search(ALL, limit=5)
        full = await oms.legacy.orders.search(
            ALL,
            limit=5,
            include_workflow_data=True,
            include_po_data=True,
            include_shipments=True,
            include_production_file_info=True,
            include_login_tokens=True,
        )
    dues = [o.date_due for o in page.items]
    assert dues == sorted(dues)  # type: ignore[type-var]
    assert all(not line.workflow_items for o in plain.items for line in o.order_lines)
    assert any(line.workflow_items for o in full.items for line in o.order_lines)
    # Login keys only when asked for: the default search sends skip_login_token=1.
    assert all("&key=" in (o.quote_pdf_url or "") for o in full.items)
    assert all("key=" not in (o.quote_pdf_url or "") for o in plain.items)


async def test_status_updates_are_visible_in_a_later_search(sandbox: SandboxInfo) -> None:
    async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:
        ready = Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)
        first = (await oms.legacy.orders.search(ready, limit=2)).items
        target, other = first[0].order_id, first[1].order_id
        await oms.legacy.orders.update_status(
            [
                StatusChange(
                    order_id=target, new_status=NewStatus.SHIPPED, shipping_tracking_code="TRK-42"
                ),
                StatusChange(order_id=other, new_status=NewStatus.PRODUCED),
            ]
        )
        found = (
            await oms.legacy.orders.search(
                Condition(OrderField.INVOICE_NUMBER, Op.EQ, string=target), include_shipments=True
            )
        ).items
        assert found[0].order_status == 3
        assert any(s.tracking_number == "TRK-42" for s in found[0].shipments)
        still_ready = {o.order_id async for o in oms.legacy.orders.iterate(ready)}
        assert target not in still_ready
        assert other not in still_ready
        # All or nothing: one bad change, nothing applied.
        third = (await oms.legacy.orders.search(ready, limit=1)).items[0].order_id
        with pytest.raises(omsclient.InvalidParametersError):
            await oms.legacy.orders.update_status(
                [
                    StatusChange(order_id=third, new_status=2),
                    StatusChange(order_id="INV-NOPE", new_status=2),
                ]
            )
        assert third in {o.order_id async for o in oms.legacy.orders.iterate(ready)}


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every scalar of a JSON value by its path, list positions written ``[]``... kept apart."""
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in _leaves(item, f"{path}.{key}").items()
        }
    if isinstance(value, list):
        return {
            k: v for n, item in enumerate(value) for k, v in _leaves(item, f"{path}[{n}]").items()
        }
    return {path: value}


# What moving an order to "produced" changes: its status and the dates and line fields that
# record production. Anything else changing would be the server rewriting the order.
PRODUCTION = re.compile(
    r"\.(order_status|date_modified|date_produced|date_production_files_ready)"
    r"|\.order_lines\[\d+\]\.(production_status|processed_date|processed_by(\..*)?"
    r"|views\[\d+\]\.production_files_ready)"
)


async def test_a_status_update_changes_nothing_else_of_the_order(sandbox: SandboxInfo) -> None:
    # A draw skipped once a line was processed shifted every later one: the order's amounts,
    # coupon, job name and notes were rewritten by the update.
    async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:

        async def raw(order_id: str) -> dict[str, Any]:
            by_id = Condition(OrderField.INVOICE_NUMBER, Op.EQ, string=order_id)
            answer = await oms.legacy.orders.with_raw_response.search(by_id)
            return _leaves(json.loads(answer.text)["orders"][0])

        ready = Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)
        for order in (await oms.legacy.orders.search(ready, limit=10)).items:
            before = await raw(order.order_id)
            await oms.legacy.orders.update_status(
                StatusChange(order_id=order.order_id, new_status=2)
            )
            after = await raw(order.order_id)
            changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
            assert any(k == ".order_status" for k in changed)
            assert {k for k in changed if not PRODUCTION.fullmatch(k)} == set(), order.order_id


async def test_products_search_get_and_get_many(sandbox: SandboxInfo) -> None:
    async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:
        every = [
            p
            async for p in oms.legacy.products.iterate(
                Condition(ProductField.PRODUCT_ID, Op.GT, string=0), sort_by=ProductSort.PRODUCT_ID
            )
        ]
        assert len(every) == 250
        ids = [p.product_id for p in every]
        assert all(isinstance(i, int) for i in ids)
        assert ids == sorted(ids)  # type: ignore[type-var]
        asked = [i for i in ids if i is not None][::-1]
        detailed = await oms.legacy.products.get_many(asked)
        assert [p.product_id for p in detailed] == asked
        one = await oms.legacy.products.get(asked[0])
        assert one.product_name == detailed[0].product_name
        assert one.skus
        assert one.skus == detailed[0].skus
        with pytest.raises(omsclient.ProductsNotFoundError) as caught:
            await oms.legacy.products.get_many([asked[0], 999_999_999, asked[1]])
        assert caught.value.missing_ids == [999_999_999]
        assert [p.product_id for p in caught.value.found] == [asked[0], asked[1]]
        with pytest.raises(omsclient.NotFoundError):
            await oms.legacy.products.get(999_999_999)


async def test_error_codes_from_a_real_server(sandbox: SandboxInfo) -> None:
    kwargs = sandbox.client_kwargs()
    async with omsclient.AsyncClient(**{**kwargs, "password": "nope"}) as oms:
        with pytest.raises(omsclient.AuthenticationError) as auth:
            await oms.legacy.orders.search(ALL)
    assert auth.value.code == 30001
    with serve(SandboxConfig(orders=10, products=2, legacy_api_enabled=False)) as off:
        async with omsclient.AsyncClient(**off.client_kwargs()) as oms:
            with pytest.raises(omsclient.ApiNotEnabledError):
                await oms.legacy.orders.search(ALL)
    with serve(
        SandboxConfig(
            orders=10,
            products=2,
            quirks=__import__("omsclient.sandbox").sandbox.Quirks(html_login_page=True),
        )
    ) as html:
        async with omsclient.AsyncClient(**{**html.client_kwargs(), "password": "nope"}) as oms:
            with pytest.raises(omsclient.DecodeError, match="HTML"):
                await oms.legacy.orders.search(ALL)


async def test_quirky_server_is_read_all_the_same() -> None:
    from omsclient.sandbox import Quirks

    with serve(
        SandboxConfig(
            orders=300,
            products=20,
            quirks=Quirks(
                omit_response_status=True, string_ids=True, mixed_dates=True, unknown_fields=True
            ),
        )
    ) as info:
        async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
            orders = [
                o
                async for o in oms.legacy.orders.iterate(
                    ALL, include_workflow_data=True, include_shipments=True
                )
            ]
            raw = [o async for o in oms.legacy.orders.iterate_raw(ALL)]
    assert len(orders) == 300
    assert all(o.date_ordered is not None and o.date_ordered.tzinfo is not None for o in orders)
    assert all(isinstance(line.id, int) for o in orders for line in o.order_lines)
    assert any(o.extra for o in orders)
    # Unknown keys survive the round trip back to JSON.
    back = omsclient.to_dict(orders[0])
    assert set(raw[0]) - {k for k, v in raw[0].items() if v is None} <= set(back)


async def test_an_update_answered_with_phps_empty_array_is_applied() -> None:
    # Without its response_status an update's answer is an empty PHP array, which json_encode
    # writes []: the sandbox sent {}, and the client read [] as a failure, perhaps applied.
    from omsclient.sandbox import Quirks

    config = SandboxConfig(orders=50, products=5, quirks=Quirks(omit_response_status=True))
    with serve(config) as info:
        numbers = (f"INV{10001 + i}" for i in range(50))
        new = [n for n in numbers if info.state.order(n).status == 1][:2]  # type: ignore[union-attr]
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"{info.url}/api/json/manage_orders/update_order_status",
                data={
                    "username": info.username,
                    "password": info.password,
                    "order_id": new[0],
                    "new_status": "2",
                },
            )
        assert answer.content == b"[]"
        async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
            await oms.legacy.orders.update_status(StatusChange(order_id=new[1], new_status=2))
        statuses = [info.state.order(n).status for n in new]  # type: ignore[union-attr]
    assert statuses == [2, 2]


async def test_numeric_order_ids_are_read_searched_and_updated_by_their_digits() -> None:
    # Live order ids are the number alone ("927602"): nothing may assume the docs' INV prefix.
    from omsclient.sandbox import Quirks

    config = SandboxConfig(orders=300, products=20, quirks=Quirks(numeric_order_ids=True))
    with serve(config) as info:
        async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
            ready = Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)
            order = (await oms.legacy.orders.search(ready, limit=1)).items[0]
            assert order.order_id is not None
            assert order.order_id.isdigit()
            by_invoice = Condition(OrderField.INVOICE_NUMBER, Op.EQ, string=order.order_id)
            assert [o.order_id for o in (await oms.legacy.orders.search(by_invoice)).items] == [
                order.order_id
            ]
            await oms.legacy.orders.update_status(
                StatusChange(order_id=order.order_id, new_status=NewStatus.PRODUCED)
            )
            scanned = [o.order_id async for o in oms.legacy.orders.scan(windows=3, raw="sent")]
        record = info.state.order(order.order_id)
        assert record is not None
        assert record.status == 2
    assert sorted(scanned) == sorted(str(r.number) for r in info.state.orders)


CONDITION_KEYS = ("field", "condition", "date1", "date2", "string")


def condition_params(form: dict[str, str]) -> dict[str, str]:
    """The parameters of a sent form that carry conditions, in either form."""
    return {k: v for k, v in form.items() if k in CONDITION_KEYS or k.startswith("conditions")}


async def test_one_condition_travels_flat_and_two_numbered_and_both_are_answered(
    oms_sandbox: SandboxInfo,
) -> None:
    state = oms_sandbox.state
    shipped = {r.order_id for r in state.orders if r.status == 3}
    pivot = sorted(r.date_ordered for r in state.orders)[150]
    later_shipped = {r.order_id for r in state.orders if r.status == 3 and r.date_ordered >= pivot}
    assert later_shipped  # the two conditions select some orders, and fewer than one
    assert later_shipped < shipped
    status = Condition(OrderField.ORDER_STATUS, Op.EQ, string=3)
    since = Condition(
        OrderField.DATE_ORDERED, Op.GE, date1=datetime.fromtimestamp(pivot, timezone.utc)
    )
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        one = await oms.legacy.orders.search(status)
        assert condition_params(state.requests[-1].form) == {
            "field": "4",
            "condition": "1",
            "string": "3",
        }
        two = await oms.legacy.orders.search(status, since)
        assert condition_params(state.requests[-1].form) == {
            "conditions[1][field]": "4",
            "conditions[1][condition]": "1",
            "conditions[1][string]": "3",
            "conditions[2][field]": "1",
            "conditions[2][condition]": "6",
            "conditions[2][date1]": datetime.fromtimestamp(pivot, timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%S"
            ),
        }
        products = await oms.legacy.products.search(
            Condition(ProductField.PRODUCT_ID, Op.GT, string=0)
        )
        assert condition_params(state.requests[-1].form) == {
            "field": "4",
            "condition": "4",
            "string": "0",
        }
    assert one.total == len(shipped)
    assert {o.order_id for o in one.items} <= shipped
    assert two.total == len(later_shipped)
    assert {o.order_id for o in two.items} <= later_shipped
    assert products.total == len(state.products)


async def test_a_sandbox_of_dates_before_the_year_1000_writes_them_with_four_digits() -> None:
    # glibc's strftime("%Y") wrote "999-12-30T...", which no client (its own neither) reads.
    with serve(SandboxConfig(orders=20, products=5, start=datetime(999, 12, 30), days=3)) as info:
        async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
            every = Condition(OrderField.ORDER_STATUS, Op.GT, string=0)
            orders = [o async for o in oms.legacy.orders.iterate(every)]
    years = {o.date_ordered.year for o in orders if o.date_ordered is not None}
    assert len(orders) == 20
    assert 999 in years
