"""What a user's code sees of omsclient's types, checked by ``mypy --strict`` (CI and ``nox -s
types``), never run: each ``assert_type`` fails the check when an overload picks another type.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any, Literal

from typing_extensions import assert_type

import omsclient
from omsclient import SyncOrderScan
from omsclient.dbsync import sync_orders
from omsclient.export import export_orders
from omsclient.legacy import (
    Condition,
    NewStatus,
    Op,
    OrderField,
    OrderScan,
    SentOrder,
    StatusChange,
)
from omsclient.legacy.models import Order
from omsclient.rest import PrintFileStatus

READY = Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)

# An op and a new status are an Op or its number and a NewStatus or 2 / 3, not Any: each ignore
# would be unused (an error under --strict) if a wrong type passed.
Condition(OrderField.ORDER_STATUS, 1, string=1)
Condition(OrderField.ORDER_STATUS, "==", string=1)  # type: ignore[arg-type]
StatusChange(order_id="INV1", new_status=NewStatus.SHIPPED)
StatusChange(order_id="INV1", new_status="shipped")  # type: ignore[arg-type]

# A name the sandbox does not have is an error, not Any: the ignore would be unused (an error
# under --strict) if the module's lazy __getattr__ answered for every name.
from omsclient.sandbox import serve_asnyc  # type: ignore[attr-defined]  # noqa: E402, F401
from omsclient.sandbox.pytest_plugin import SMALL  # noqa: E402


async def scans(oms: omsclient.AsyncClient, flag: bool) -> None:
    assert_type(oms.legacy.orders.scan(READY), OrderScan[Order])
    assert_type(oms.legacy.orders.scan(READY, raw=True), OrderScan[dict[str, Any]])
    assert_type(oms.legacy.orders.scan(READY, raw="sent"), OrderScan[SentOrder])
    # A flag known only when the code runs: any of the three.
    assert_type(
        oms.legacy.orders.scan(READY, raw=flag),
        OrderScan[Order] | OrderScan[dict[str, Any]] | OrderScan[SentOrder],
    )
    async for order in oms.legacy.orders.scan(READY):
        assert_type(order, Order)


def blocking_scans(oms: omsclient.Client, flag: bool) -> None:
    assert_type(oms.legacy.orders.scan(READY), SyncOrderScan[Order])
    assert_type(oms.legacy.orders.scan(READY, raw="sent"), SyncOrderScan[SentOrder])
    assert_type(
        oms.legacy.orders.scan(READY, raw=flag),
        SyncOrderScan[Order] | SyncOrderScan[dict[str, Any]] | SyncOrderScan[SentOrder],
    )
    for order in oms.legacy.orders.scan(READY):
        assert_type(order, Order)


def blocking_methods(oms: omsclient.Client) -> None:
    # Made in the blocking classes' bodies from the async methods: the parameters and results
    # of the async twins, a wrong keyword refused (the ignore would be unused otherwise).
    assert_type(oms.legacy.orders.search(READY, limit=5), omsclient.Page[Order])
    oms.legacy.orders.search(READY, limti=5)  # type: ignore[call-arg]
    assert_type(oms.legacy.orders.iterate(READY), omsclient.SyncPageIterator[Order])
    assert_type(
        oms.legacy.orders.with_raw_response.search(READY),
        omsclient.RawResponse[omsclient.Page[Order]],
    )
    assert_type(oms.rest.orders.get("x"), omsclient.rest.Order)
    oms.rest.orders.get()  # type: ignore[call-arg]
    # What create_autospec reads on the class: the namespaces' classes.
    assert_type(omsclient.Client.legacy, type[omsclient.SyncLegacy])
    assert_type(omsclient.AsyncClient.rest, type[omsclient.rest.RestApi])


async def raw_responses(oms: omsclient.AsyncClient) -> None:
    raw = await omsclient.raw_response(oms.legacy.orders.search)(READY)
    assert_type(raw, omsclient.RawResponse[omsclient.Page[Order]])
    # A coroutine, as the method it wraps: a task takes it (an Awaitable was refused).
    task = asyncio.create_task(oms.legacy.orders.with_raw_response.search(READY, limit=1))
    assert_type((await task).parse(), omsclient.Page[Order])
    # A view and its methods, with the resource methods' parameters; on the class, the view's
    # class, which create_autospec reads.
    assert_type(oms.rest.orders.with_raw_response, omsclient.rest.OrdersWithRawResponse)
    assert_type(
        await oms.rest.orders.with_raw_response.get("x"),
        omsclient.RawResponse[omsclient.rest.Order],
    )
    await oms.rest.orders.with_raw_response.get("x", uid="y")  # type: ignore[call-arg]
    assert_type(
        omsclient.legacy.Products.with_raw_response,
        type[omsclient.legacy.ProductsWithRawResponse],
    )


def qualified(
    orders: omsclient.rest.SyncOrders,
    condition: omsclient.legacy.Condition,
    error: omsclient.errors.NotFoundError,
    legacy_order: omsclient.legacy.models.Order,
) -> None:
    # Both APIs have an Order and SyncOrders: a user tells them apart by their package, which
    # `import omsclient` alone binds.
    assert_type(orders.get(1), omsclient.rest.Order)
    assert_type(condition.field, omsclient.legacy.OrderField | omsclient.legacy.ProductField)
    assert_type(legacy_order, Order)
    assert_type(error.status_code, int | None)


async def rest_ids(oms: omsclient.AsyncClient, blocking: omsclient.Client) -> None:
    # Path ids are a str or an int (docs/rest.md); orders and print files took str alone.
    await oms.rest.orders.get(123)
    await oms.rest.orders.delete(123)
    await oms.rest.order_items.print_file(7)
    await oms.rest.order_items.wait_for_print_files([7, "8"])
    blocking.rest.orders.update(123, note="x")
    # Nested lists are any iterable (docs/rest.md): a generator was no Sequence.
    item = {"ecommerce_order_item_id": "I1", "quantity": 1}
    await oms.rest.orders.create(ecommerce_order_id="E1", items=(i for i in [item]))
    blocking.rest.orders.update(123, items=iter([item]), addresses=(a for a in [item]))
    status = PrintFileStatus("processing_failed")
    # Any text, not only the declared members' (an unknown status is a member too).
    assert_type(status.value, str)


def settings_of_either(oms: omsclient.AsyncClient, blocking: omsclient.Client) -> None:
    # The blocking client had none of these: "Client" has no attribute "settings".
    assert_type(blocking.settings, omsclient.Settings)
    assert_type(blocking.retry_policy, omsclient.RetryPolicy)
    assert_type(blocking.timeout.read, float | None)
    assert_type(oms.settings, omsclient.Settings)


def plain_data(
    order: Order, orders: list[Order], page: omsclient.Page[Order], kept: Sequence[Order]
) -> None:
    assert_type(omsclient.to_dict(order), dict[str, Any])
    assert_type(omsclient.to_dict(orders), list[dict[str, Any]])
    assert_type(omsclient.to_dict(kept), list[dict[str, Any]])
    assert_type(omsclient.to_dict((order, order)), list[dict[str, Any]])
    assert_type(omsclient.to_dict(page.items), list[dict[str, Any]])
    assert_type(SMALL, dict[str, int])


class ShopClient(omsclient.Client):
    """A user's subclass: ``with`` and ``with_options`` keep its type."""

    def ready(self) -> int:
        return self.legacy.orders.search(READY).total


class AsyncShopClient(omsclient.AsyncClient):
    async def ready(self) -> int:
        return (await self.legacy.orders.search(READY)).total


async def subclasses() -> None:
    with ShopClient() as oms:
        assert_type(oms, ShopClient)
        assert_type(oms.with_options(timeout=5), ShopClient)
        oms.ready()
    async with AsyncShopClient() as aoms:
        assert_type(aoms, AsyncShopClient)
        assert_type(aoms.with_options(max_retries=0), AsyncShopClient)
        await aoms.ready()


def namespaces(oms: omsclient.AsyncClient) -> None:
    # The async legacy namespace is public, to annotate a helper that takes it.
    assert_type(oms.legacy, omsclient.LegacyApiNamespace)


async def closed_by_hand(oms: omsclient.AsyncClient, blocking: omsclient.Client) -> None:
    # What the docs give to close an iteration left mid-way, each an error before: iter() and
    # aiter() were typed Iterator and AsyncIterator, which have no close() nor aclose().
    it = oms.legacy.orders.iterate(READY)
    async with contextlib.aclosing(aiter(it)) as rows:
        async for order in rows:
            assert_type(order, Order)
    await aiter(oms.legacy.orders.scan(since=READY.date1)).aclose()
    await aiter(oms.legacy.products.scan()).aclose()
    with contextlib.closing(iter(blocking.legacy.orders.iterate(READY))) as blocking_rows:
        for order in blocking_rows:
            assert_type(order, Order)
    iter(blocking.legacy.orders.scan(since=READY.date1)).close()
    iter(blocking.legacy.products.scan()).close()


async def export_again(oms: omsclient.AsyncClient) -> None:
    # An export's summary names its format as export_orders takes it: it was a str.
    summary = await export_orders(oms, "orders.jsonl")
    await export_orders(oms, "orders.csv", format=summary.format)


async def summaries_say_what_they_read(oms: omsclient.AsyncClient) -> None:
    # Each summary's kind is one of the two, as a match over it can tell: it was a str.
    exported = await export_orders(oms, "orders.jsonl")
    synced = await sync_orders(oms, "sqlite:///orders.db")
    assert_type(exported.kind, Literal["orders", "products"])
    assert_type(synced.kind, omsclient.export.Kind)
