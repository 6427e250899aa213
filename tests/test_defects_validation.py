"""Integers the API cannot hold, and values of the wrong kind, are refused before anything is sent.

Status changes and REST path ids are bounded to the API's 64-bit integers; every REST create and
update checks each value against the kind its model field declares (respx).
"""

from __future__ import annotations

import enum
import inspect
import json
import math
import re
from collections.abc import Callable
from typing import Any

import pytest
import respx

import omsclient
from omsclient import errors
from omsclient.dbsync import sync_orders
from omsclient.export import export_orders
from omsclient.legacy import Condition, NewStatus, Op, OrderField, ProductField, StatusChange
from omsclient.legacy._scan_state import ScanState
from omsclient.rest import OrderItem

from .conftest import REST

HUGE = 10**5000
UNTYPED_HUGE: Any = HUGE  # for the arguments that take no int
HUGE_IN_A_LIST: Any = [HUGE]
ORDERS = Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)
PRODUCTS = Condition(ProductField.PRODUCT_ID, Op.GT, string=0)
MINUS_ONE = enum.IntEnum("Signed", {"MINUS_ONE": -1}).MINUS_ONE  # type: ignore[attr-defined]
JUST_PAST_64_BITS = 2**64


# -- status changes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["order_line_id", "workflow_item_id", "qty", "operator_id"], ids=str
)
@pytest.mark.parametrize("value", [HUGE, JUST_PAST_64_BITS, 2**63], ids=["10^5000", "2^64", "2^63"])
def test_status_change_ids_beyond_64_bits_name_the_field(field: str, value: int) -> None:
    kwargs: dict[str, Any] = {"order_id": "INV1", "new_status": 2, "workflow_item_id": 1}
    kwargs[field] = value
    with pytest.raises(errors.ValidationError, match=rf"^{field} is out of range.*64-bit"):
        StatusChange(**kwargs)


def test_status_change_takes_the_largest_64_bit_id() -> None:
    change = StatusChange(order_id="INV1", new_status=2, order_line_id=2**63 - 1)
    assert ("order_line_id", str(2**63 - 1)) in change.encode_single()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "order_line_id must be an integer, got bool"),
        (1.0, "order_line_id must be an integer, got float"),
        (math.nan, "order_line_id must be a finite integer"),
        ("7", "order_line_id must be an integer, got str"),
        (0, "order_line_id must be a positive integer, got 0"),
        (-(10**5000), "order_line_id is out of range"),
    ],
    ids=["True", "1.0", "nan", "str", "0", "-10^5000"],
)
def test_status_change_ids_of_the_wrong_kind_name_the_field(value: object, message: str) -> None:
    with pytest.raises(errors.ValidationError, match=message):
        StatusChange(order_id="INV1", new_status=2, order_line_id=value)  # type: ignore[arg-type]


def test_a_huge_new_status_is_a_validation_error_not_a_print_failure() -> None:
    with pytest.raises(errors.ValidationError, match=r"new_status must be 2 .* beyond 64 bits"):
        StatusChange(order_id="INV1", new_status=HUGE)


@respx.mock
async def test_a_huge_status_change_is_never_sent(oms: omsclient.AsyncClient) -> None:
    route = respx.route()
    for value in (HUGE, JUST_PAST_64_BITS):
        with pytest.raises(errors.ValidationError, match="order_line_id"):
            await oms.legacy.orders.update_status(
                StatusChange(order_id="INV1", new_status=NewStatus.PRODUCED, order_line_id=value)
            )
    assert route.call_count == 0


# -- REST ids in paths -----------------------------------------------------------------------

ID_CALLS: list[tuple[str, Callable[[omsclient.AsyncClient, int], Any]]] = [
    ("categories.get", lambda oms, i: oms.rest.categories.get(i)),
    ("categories.update", lambda oms, i: oms.rest.categories.update(i, name="x")),
    ("categories.delete", lambda oms, i: oms.rest.categories.delete(i)),
    ("products.get", lambda oms, i: oms.rest.products.get(i)),
    ("products.delete", lambda oms, i: oms.rest.products.delete(i)),
    ("variants.get", lambda oms, i: oms.rest.variants.get(i)),
    ("variants.update", lambda oms, i: oms.rest.variants.update(i, name="x")),
]


@respx.mock
@pytest.mark.parametrize("call", [c for _, c in ID_CALLS], ids=[n for n, _ in ID_CALLS])
@pytest.mark.parametrize(
    "value", [HUGE, JUST_PAST_64_BITS, -(2**63) - 1], ids=["10^5000", "2^64", "-2^63-1"]
)
async def test_rest_ids_beyond_64_bits_are_refused_before_sending(
    oms: omsclient.AsyncClient, call: Callable[[omsclient.AsyncClient, int], Any], value: int
) -> None:
    route = respx.route()
    with pytest.raises(errors.ValidationError, match=r"_id is out of range.*64-bit"):
        await call(oms, value)
    assert route.call_count == 0


@respx.mock
async def test_the_largest_64_bit_rest_id_is_sent(oms: omsclient.AsyncClient) -> None:
    route = respx.get(f"{REST}/api/v1/product-categories/{2**63 - 1}").respond(
        json={"id": 2**63 - 1, "name": "Mugs"}
    )
    category = await oms.rest.categories.get(2**63 - 1)
    assert category.id == 2**63 - 1
    assert route.call_count == 1


# -- REST creates and updates check every value's kind -------------------------------------

ITEM: dict[str, Any] = {
    "ecommerce_order_item_id": "ITEM-1",
    "ecommerce_variant_id": "VAR-1",
    "quantity": 2,
    "template_config": {"template": "mug"},
    "thumbnails": ["https://cdn.test/t1.png"],
}
VARIANT: dict[str, Any] = {"name": "Mug 11oz", "product_id": 7, "country_id": 1}
PRODUCT: dict[str, Any] = {
    "category_id": 1,
    "name": "Mug",
    "order_column": 1,
    "active": True,
    "team_id": 5,
}

BAD_WRITES: list[tuple[str, Callable[[omsclient.AsyncClient], Any], str]] = [
    (
        "variants.create country_id=True",
        lambda oms: oms.rest.variants.create(**{**VARIANT, "country_id": True}),
        "country_id must be an integer, got bool",
    ),
    (
        "variants.create weight=1.5",
        lambda oms: oms.rest.variants.create(**VARIANT, weight=1.5),
        "weight must be an integer, got float",
    ),
    (
        "variants.create weight=nan",
        lambda oms: oms.rest.variants.create(**VARIANT, weight=math.nan),
        "weight must be a finite integer",
    ),
    (
        "variants.create name=5",
        lambda oms: oms.rest.variants.create(**{**VARIANT, "name": 5}),
        "name must be a string, got int",
    ),
    (
        "variants.create product_id=1.0",
        lambda oms: oms.rest.variants.create(**{**VARIANT, "product_id": 1.0}),
        "product_id must be an integer or a string, got float",
    ),
    (
        "variants.create weight=IntEnum -1",
        lambda oms: oms.rest.variants.create(**VARIANT, weight=MINUS_ONE),
        "weight must not be negative, got -1",
    ),
    (
        "variants.create default_dpi=2^64",
        lambda oms: oms.rest.variants.create(**VARIANT, default_dpi=2**64),
        "default_dpi is out of range.*64-bit",
    ),
    (
        "variants.create default_location_id=10^5000",
        lambda oms: oms.rest.variants.create(**VARIANT, default_location_id=HUGE),
        "default_location_id is out of range.*64-bit",
    ),
    (
        "variants.create ecommerce_tags=[1]",
        lambda oms: oms.rest.variants.create(**VARIANT, ecommerce_tags=[1]),
        r"ecommerce_tags\[0\] must be a string, got int",
    ),
    (
        "variants.create ecommerce_tags=5",
        lambda oms: oms.rest.variants.create(**VARIANT, ecommerce_tags=5),
        "ecommerce_tags must be a string or a list of strings",
    ),
    (
        # Bytes are a sequence, of ints: the refusal blamed "ecommerce_tags[0] ... got int".
        "variants.create ecommerce_tags=b'red,blue'",
        lambda oms: oms.rest.variants.create(**VARIANT, ecommerce_tags=b"red,blue"),
        "ecommerce_tags must be a string or a list of strings, got bytes",
    ),
    (
        # Infinity passed as a positive number, then was refused as max_interval's fault.
        "order_items.wait_for_print_file initial_interval=inf",
        lambda oms: oms.rest.order_items.wait_for_print_file("I-1", initial_interval=math.inf),
        "max_interval must be >= initial_interval, got 30 and inf",
    ),
    (
        "variants.update height=True",
        lambda oms: oms.rest.variants.update(9, height=True),
        "rest.variants.update: height must be an integer, got bool",
    ),
    (
        "variants.update description=3",
        lambda oms: oms.rest.variants.update(9, description=3),
        "description must be a string, got int",
    ),
    (
        "products.create order_column=1.0",
        lambda oms: oms.rest.products.create(**{**PRODUCT, "order_column": 1.0}),
        "order_column must be an integer, got float",
    ),
    (
        "products.create name=5",
        lambda oms: oms.rest.products.create(**{**PRODUCT, "name": 5}),
        "name must be a string, got int",
    ),
    (
        "products.create active=1",
        lambda oms: oms.rest.products.create(**{**PRODUCT, "active": 1}),
        "active must be a bool, got int",
    ),
    (
        "products.create team_id=inf",
        lambda oms: oms.rest.products.create(**{**PRODUCT, "team_id": math.inf}),
        "team_id must be a finite integer",
    ),
    (
        "products.update code=12",
        lambda oms: oms.rest.products.update(7, code=12),
        "rest.products.update: code must be a string, got int",
    ),
    (
        "products.update order_column=2^64",
        lambda oms: oms.rest.products.update(7, order_column=2**64),
        "order_column is out of range",
    ),
    (
        "categories.create name=['x']",
        lambda oms: oms.rest.categories.create(name=["x"]),
        "name must be a string, got list",
    ),
    (
        "categories.create default_dpi=300.0",
        lambda oms: oms.rest.categories.create(name="Mugs", default_dpi=300.0),
        "default_dpi must be an integer, got float",
    ),
    (
        "categories.update parent_id=True",
        lambda oms: oms.rest.categories.update(5, parent_id=True),
        "parent_id must be a string, got bool",
    ),
    (
        "orders.create total_price=True",
        lambda oms: oms.rest.orders.create(ecommerce_order_id="O1", items=[ITEM], total_price=True),
        "total_price must be a number, got bool",
    ),
    (
        "orders.create ecommerce_order_id=5",
        lambda oms: oms.rest.orders.create(ecommerce_order_id=5, items=[ITEM]),
        "ecommerce_order_id must be a string, got int",
    ),
    (
        "orders.create create_print_files=1",
        lambda oms: oms.rest.orders.create(
            ecommerce_order_id="O1", items=[ITEM], create_print_files=1
        ),
        "create_print_files must be a bool, got int",
    ),
    (
        "orders.create item model quantity=True",
        lambda oms: oms.rest.orders.create(
            ecommerce_order_id="O1", items=[OrderItem(**{**ITEM, "quantity": True})]
        ),
        r"items\[0\].quantity must be an integer, got bool",
    ),
    (
        "orders.create item extra quantity=-5",
        lambda oms: oms.rest.orders.create(
            ecommerce_order_id="O1", items=[OrderItem(**ITEM, extra={"quantity": -5})]
        ),
        # Written after the fields, it would replace the checked quantity on the wire.
        r"items\[0\].extra holds 'quantity', a field of its own: set quantity instead",
    ),
    (
        "orders.create item extra thumbnails=[]",
        lambda oms: oms.rest.orders.create(
            ecommerce_order_id="O1",
            items=[ITEM, OrderItem(**{**ITEM, "extra": {"thumbnails": [], "gift_note": "x"}})],
        ),
        r"items\[1\].extra holds 'thumbnails'",
    ),
    (
        "orders.create two items of one id",
        lambda oms: oms.rest.orders.create(
            ecommerce_order_id="O1", items=[ITEM, {**ITEM, "ecommerce_order_item_id": "I-2"}, ITEM]
        ),
        r"^rest.orders.create: items\[2\].ecommerce_order_item_id 'ITEM-1' is also items\[0\]'s",
    ),
    (
        "orders.update two items of one id",
        lambda oms: oms.rest.orders.update("U1", items=[OrderItem(**ITEM), ITEM]),
        r"^rest.orders.update: items\[1\].ecommerce_order_item_id 'ITEM-1' is also",
    ),
    (
        "orders.create two items of one id, one of quantity 0",
        lambda oms: oms.rest.orders.create(
            ecommerce_order_id="O1", items=[ITEM, {**ITEM, "quantity": 0}], total_price="x"
        ),
        # Every problem at once, the duplicate id among them.
        r"total_price must be a number.*items\[1\].quantity must be at least 1.*"
        r"items\[1\].ecommerce_order_item_id 'ITEM-1' is also items\[0\]'s",
    ),
    (
        "orders.update two items of one id and a shipping without its price",
        lambda oms: oms.rest.orders.update(
            "U1", items=[ITEM, ITEM], shippings=[{"code": "STANDARD"}]
        ),
        r"items\[1\].ecommerce_order_item_id 'ITEM-1' is also.*"
        r"shippings\[0\].shipping_price is required",
    ),
    (
        "orders.update note=5",
        lambda oms: oms.rest.orders.update("U1", note=5),
        "rest.orders.update: note must be a string, got int",
    ),
    (
        "orders.update subtotal_price=-inf",
        lambda oms: oms.rest.orders.update("U1", subtotal_price=-math.inf),
        "subtotal_price must be finite",
    ),
    # Ids below 1 went out in bodies, though a path refuses them.
    (
        "variants.create product_id=-3",
        lambda oms: oms.rest.variants.create(**{**VARIANT, "product_id": -3}),
        "rest.variants.create: product_id must be at least 1, got -3",
    ),
    (
        "variants.create product_id='0'",
        lambda oms: oms.rest.variants.create(**{**VARIANT, "product_id": "0"}),
        "product_id must be at least 1, got 0",
    ),
    (
        "variants.update price_id=IntEnum -1",
        lambda oms: oms.rest.variants.update(9, price_id=MINUS_ONE),
        "rest.variants.update: price_id must be at least 1, got -1",
    ),
    (
        "products.create team_id=0",
        lambda oms: oms.rest.products.create(**{**PRODUCT, "team_id": 0}),
        "team_id must be at least 1, got 0",
    ),
    (
        "products.update default_location_id=0",
        lambda oms: oms.rest.products.update(9, default_location_id=0),
        "default_location_id must be at least 1, got 0",
    ),
]


@respx.mock
@pytest.mark.parametrize(
    ("call", "message"), [(c, m) for _, c, m in BAD_WRITES], ids=[n for n, _, _ in BAD_WRITES]
)
async def test_rest_writes_refuse_values_of_the_wrong_kind_before_sending(
    oms: omsclient.AsyncClient, call: Callable[[omsclient.AsyncClient], Any], message: str
) -> None:
    route = respx.route()
    with pytest.raises(errors.ValidationError, match=message):
        await call(oms)
    assert route.call_count == 0


@respx.mock
async def test_every_wrong_value_of_a_create_is_named_at_once(oms: omsclient.AsyncClient) -> None:
    route = respx.route()
    with pytest.raises(errors.ValidationError) as caught:
        await oms.rest.variants.create(name="Mug", product_id=7, country_id=True, weight=1.5)
    assert str(caught.value) == (
        "rest.variants.create: weight must be an integer, got float; "
        "country_id must be an integer, got bool"
    )
    assert route.call_count == 0


@respx.mock
async def test_values_of_the_right_kind_are_sent_as_given(oms: omsclient.AsyncClient) -> None:
    variants = respx.post(f"{REST}/api/v1/product-variants").respond(json={"id": 9})
    products = respx.put(f"{REST}/api/v1/products/7").respond(json={"id": 7})
    orders = respx.put(f"{REST}/api/v1/orders/U1").respond(json={"uid": "U1"})
    await oms.rest.variants.create(
        name="Mug",
        product_id=7,
        country_id=2**63 - 1,
        weight=0,
        ecommerce_tags=["a", "b"],
        default_location_id=3,
    )
    await oms.rest.products.update(7, active=False, order_column=3, description=None)
    await oms.rest.orders.update("U1", total_price=10, subtotal_price=9.5)
    assert json.loads(variants.calls.last.request.content) == {
        "name": "Mug",
        "product_id": 7,
        "weight": 0,
        "country_id": 2**63 - 1,
        "ecommerce_tags": "a,b",
        "default_location_id": 3,
    }
    assert json.loads(products.calls.last.request.content) == {
        "order_column": 3,
        "active": False,
        "description": None,
    }
    assert json.loads(orders.calls.last.request.content) == {
        "total_price": 10,
        "subtotal_price": 9.5,
    }


@pytest.mark.parametrize("field", ["order_id", "shipping_tracking_code", "operator_login"])
def test_status_change_text_that_cannot_be_sent_names_the_field(field: str) -> None:
    # A lone surrogate has no UTF-8 form: the form could not be encoded at send time, where it
    # would be a UnicodeEncodeError naming no field.
    kwargs: dict[str, Any] = {"order_id": "INV1", "new_status": 3, field: "Zo\udceb"}
    with pytest.raises(errors.ValidationError, match=rf"^{field} holds a lone surrogate"):
        StatusChange(**kwargs)


# -- integers too large to print or to make a float of ------------------------------------

HUGE_ARGUMENTS: list[tuple[str, Callable[[omsclient.AsyncClient], Any], str]] = [
    ("max_in_flight", lambda oms: omsclient.AsyncClient(max_in_flight=-HUGE), "max_in_flight"),
    # Taken, it failed the first call after a pause with OverflowError.
    ("max_in_flight huge", lambda oms: omsclient.AsyncClient(max_in_flight=HUGE), "1..10,000"),
    ("max_retries", lambda oms: omsclient.AsyncClient(max_retries=-HUGE), "max_retries"),
    # Taken, the policy's repr failed, and so did a log line printing a retry's max_attempts.
    (
        "max_retries huge",
        lambda oms: omsclient.AsyncClient(max_retries=HUGE),
        "max_retries must be an integer >= 0 within 64 bits",
    ),
    (
        "with_options max_retries huge",
        lambda oms: oms.with_options(max_retries=HUGE),
        "max_retries must be an integer >= 0 within 64 bits",
    ),
    (
        "RetryPolicy count huge",
        lambda oms: omsclient.RetryPolicy(max_retries=HUGE),
        "RetryPolicy.max_retries must be an integer >= 0 within 64 bits",
    ),
    (
        "max_response_bytes huge",
        lambda oms: omsclient.AsyncClient(max_response_bytes=HUGE),
        "max_response_bytes must be an integer 1..9,223,372,036,854,775,807",
    ),
    (
        "iterate concurrency huge",
        lambda oms: oms.legacy.orders.iterate(ORDERS, concurrency=2**64),
        "concurrency must be an integer 1..",
    ),
    (
        "max_response_bytes",
        lambda oms: omsclient.AsyncClient(max_response_bytes=-HUGE),
        "max_response_bytes",
    ),
    ("timeout", lambda oms: omsclient.AsyncClient(timeout=HUGE), "timeout"),
    ("attempt_deadline", lambda oms: omsclient.AsyncClient(attempt_deadline=HUGE), "deadline"),
    (
        "requests_per_second",
        lambda oms: omsclient.AsyncClient(requests_per_second=-HUGE),
        "requests_per_second",
    ),
    ("with_options timeout", lambda oms: oms.with_options(timeout=-HUGE), "timeout"),
    ("RetryPolicy count", lambda oms: omsclient.RetryPolicy(max_retries=-HUGE), "max_retries"),
    ("RetryPolicy delay", lambda oms: omsclient.RetryPolicy(max_delay=HUGE), "max_delay"),
    (
        "iterate concurrency",
        lambda oms: oms.legacy.orders.iterate(ORDERS, concurrency=-HUGE),
        "concurrency",
    ),
    ("scan windows", lambda oms: oms.legacy.orders.scan(windows=HUGE), "windows"),
    (
        "wait concurrency",
        lambda oms: oms.rest.order_items.wait_for_print_files(["A"], concurrency=-HUGE),
        "concurrency",
    ),
    (
        "wait timeout",
        lambda oms: oms.rest.order_items.wait_for_print_files(["A"], timeout=-HUGE),
        "timeout",
    ),
    (
        "variant weight",
        lambda oms: oms.rest.variants.create(**VARIANT, weight=-HUGE),
        "weight is out of range",
    ),
    (
        "sync overlap",
        lambda oms: sync_orders(oms, "sqlite:///never-made.db", overlap=HUGE),
        "overlap",
    ),
    # Checks of a value's kind, which quote the value refused.
    (
        "StatusChange order_id",
        lambda oms: StatusChange(order_id=UNTYPED_HUGE, new_status=2),
        "order_id",
    ),
    (
        "StatusChange contact_customer",
        lambda oms: StatusChange(order_id="INV1", new_status=2, contact_customer=UNTYPED_HUGE),
        "contact_customer must be a bool",
    ),
    (
        "Condition op",
        lambda oms: Condition(OrderField.ORDER_STATUS, UNTYPED_HUGE, string=1),
        "op must",
    ),
    ("Condition field", lambda oms: Condition(UNTYPED_HUGE, Op.EQ, string=1), "field must"),
    (
        "Condition string",
        lambda oms: Condition(OrderField.ORDER_STATUS, Op.EQ, string=HUGE_IN_A_LIST),
        "string must be a str or int",
    ),
    ("update_status", lambda oms: oms.legacy.orders.update_status(UNTYPED_HUGE), "changes must"),
    ("update_status list", lambda oms: oms.legacy.orders.update_status([UNTYPED_HUGE]), "change 1"),
    ("search condition", lambda oms: oms.legacy.orders.search(HUGE_IN_A_LIST), "condition 1"),
    (
        "search include_shipments",
        lambda oms: oms.legacy.orders.search(ORDERS, include_shipments=UNTYPED_HUGE),
        "include_shipments must be a bool",
    ),
    (
        "search sort_by",
        lambda oms: oms.legacy.orders.search(ORDERS, sort_by=UNTYPED_HUGE),
        "sort_by",
    ),
    (
        "products sort_by",
        lambda oms: oms.legacy.products.search(PRODUCTS, sort_by=UNTYPED_HUGE),
        "sort_by must be a ProductSort",
    ),
    ("scan raw", lambda oms: oms.legacy.orders.scan(raw=UNTYPED_HUGE), "raw must be"),
    (
        "wait raise_on_failure",
        lambda oms: oms.rest.order_items.wait_for_print_files(["A"], raise_on_failure=UNTYPED_HUGE),
        "raise_on_failure must be True or False",
    ),
    ("client retry", lambda oms: omsclient.AsyncClient(retry=UNTYPED_HUGE), "retry must be"),
    (
        "client transport",
        lambda oms: omsclient.AsyncClient(transport=UNTYPED_HUGE),
        "transport must be",
    ),
    (
        "client order_field_numbering",
        lambda oms: omsclient.AsyncClient(order_field_numbering=UNTYPED_HUGE),
        "order_field_numbering must be",
    ),
    ("client app_name", lambda oms: omsclient.AsyncClient(app_name=UNTYPED_HUGE), "app_name"),
    ("export resume", lambda oms: export_orders(oms, "o.jsonl", resume=UNTYPED_HUGE), "resume"),
    ("export format", lambda oms: export_orders(oms, "o.jsonl", format=UNTYPED_HUGE), "format"),
    (
        "export include_login_tokens",
        lambda oms: export_orders(oms, "o.jsonl", include_login_tokens=UNTYPED_HUGE),
        "include_login_tokens must be True or False",
    ),
    ("sync client", lambda oms: sync_orders(UNTYPED_HUGE, "sqlite:///o.db"), "client must be"),
    ("sync url", lambda oms: sync_orders(oms, UNTYPED_HUGE), "database URL must be"),
    (
        "scan state done",
        lambda oms: ScanState.from_dict(state_with(done=UNTYPED_HUGE)),
        "done must be true or false",
    ),
    (
        "scan state cursor",
        lambda oms: ScanState.from_dict(state_with(cursor=UNTYPED_HUGE)),
        "cursor must be a date like 2024-01-31T00:00:00, got an integer beyond 64 bits",
    ),
]


def nested_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


# Its repr() raises RecursionError on every Python (3.13 prints a list nested 2,000 deep).
DEEP: Any = nested_list(100_000)

DEEP_ARGUMENTS: list[tuple[str, Callable[[omsclient.AsyncClient], Any], str]] = [
    (
        "StatusChange order_id",
        lambda oms: StatusChange(order_id=DEEP, new_status=2),
        "order_id must be a non-blank string, got a list nested too deep to show",
    ),
    (
        "Condition string",
        lambda oms: Condition(OrderField.ORDER_STATUS, Op.EQ, string=DEEP),
        "string must be a str or int, got a list nested too deep to show",
    ),
    ("update_status", lambda oms: oms.legacy.orders.update_status(DEEP), "change 1 must be"),
    (
        "search include_shipments",
        lambda oms: oms.legacy.orders.search(ORDERS, include_shipments=DEEP),
        "include_shipments must be a bool",
    ),
    (
        "wait raise_on_failure",
        lambda oms: oms.rest.order_items.wait_for_print_files(["A"], raise_on_failure=DEEP),
        "raise_on_failure must be True or False",
    ),
    ("client retry", lambda oms: omsclient.AsyncClient(retry=DEEP), "retry must be"),
    ("export format", lambda oms: export_orders(oms, "o.jsonl", format=DEEP), "format must be"),
    # A scan state is saved as JSON, which orjson reads 1,024 levels deep.
    (
        "scan state done",
        lambda oms: ScanState.from_dict(state_with(done=DEEP)),
        "done must be true or false",
    ),
    (
        "scan state version",
        lambda oms: ScanState.from_dict({**state_with(), "version": DEEP}),
        "unsupported scan state version",
    ),
    (
        "scan state end",
        lambda oms: ScanState.from_dict(state_with(end=DEEP)),
        "end must be a date like 2024-01-31T00:00:00, got a list nested too deep",
    ),
]


def state_with(**window: Any) -> dict[str, Any]:
    """A scan state as saved, its one window's keys replaced by ``window``."""
    saved = {"cursor": "2024-01-01T00:00:00", "end": None, "ids": [], "done": False}
    return {"kind": "orders", "version": 1, "windows": [{**saved, **window}]}


REFUSED_ARGUMENTS = HUGE_ARGUMENTS + DEEP_ARGUMENTS


@respx.mock
@pytest.mark.parametrize(
    ("call", "name"),
    [(c, n) for _, c, n in REFUSED_ARGUMENTS],
    ids=[i for i, _, _ in REFUSED_ARGUMENTS],
)
async def test_an_argument_no_repr_prints_is_refused_by_name(
    oms: omsclient.AsyncClient, call: Callable[[omsclient.AsyncClient], Any], name: str
) -> None:
    # Printed with repr() it raised ValueError (more than 4,300 digits) or RecursionError (a
    # list nested past the stack); made a float, OverflowError: a Python error naming no
    # argument.
    route = respx.route()
    with pytest.raises((errors.ValidationError, errors.ConfigurationError)) as caught:
        result = call(oms)
        if inspect.isawaitable(result):
            await result
    assert name in str(caught.value)
    assert len(str(caught.value)) < 300
    assert route.call_count == 0


def test_a_long_value_is_quoted_in_part() -> None:
    # A megabyte of bytes where an order id belongs was quoted whole in the message (and so
    # in every log line and traceback carrying it).
    with pytest.raises(errors.ValidationError) as caught:
        StatusChange(order_id=b"x" * 1_000_000, new_status=2)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("order_id must be a non-blank string, got b'xxx")
    assert message.endswith("... (1,000,003 characters)")
    assert len(message) < 300


@pytest.mark.parametrize(
    "call",
    [
        lambda oms, secret: oms.rest.products.get(secret),
        lambda oms, secret: oms.rest.variants.create(name="n", product_id=secret, country_id=1),
        lambda oms, secret: oms.legacy.orders.search(
            Condition(OrderField.ORDER_STATUS, Op.EQ, string=1), sort_by=secret
        ),
        lambda oms, secret: oms.legacy.orders.update_status(secret),
        lambda oms, secret: oms.legacy.orders.iterate(
            Condition(OrderField.ORDER_STATUS, Op.EQ, string=1), concurrency=secret
        ),
    ],
    ids=["rest-get", "rest-create", "legacy-search", "legacy-update", "legacy-iterate"],
)
@pytest.mark.parametrize("which", ["password", "api_token"])
async def test_a_secret_passed_as_an_argument_is_not_quoted_back(
    oms: omsclient.AsyncClient, call: Callable[..., Any], which: str
) -> None:
    # errors.md: no message holds the password or the API token; a refusal quoted the value
    # refused, a token passed in the wrong place included.
    secret = getattr(oms.settings, which)
    with (
        respx.mock(assert_all_called=False) as router,
        pytest.raises(omsclient.ValidationError) as caught,
    ):
        route = router.route()
        made = call(oms, secret)
        if inspect.isawaitable(made):
            await made
    assert secret not in str(caught.value)
    assert "[REDACTED]" in str(caught.value)
    assert not route.called


@pytest.mark.parametrize(
    ("retry", "retry_after", "message"),
    [
        (0, -5.0, "retry_after must be a number of seconds >= 0, got -5.0"),
        (0, math.nan, "retry_after must be a number of seconds >= 0, got nan"),
        (0, "5", "retry_after must be a number of seconds >= 0, got '5'"),
        (-1, None, "retry must be an integer >= 0, got -1"),
        (True, None, "retry must be an integer >= 0, got True"),
    ],
)
def test_a_retry_policys_delay_refuses_what_no_sleep_takes(
    retry: Any, retry_after: Any, message: str
) -> None:
    # A negative or NaN retry_after came back as it was, and failed later in sleep(); a string
    # raised a bare TypeError.
    with pytest.raises(omsclient.ValidationError, match=re.escape(f"RetryPolicy.delay: {message}")):
        omsclient.RetryPolicy().delay(retry, retry_after)
    assert omsclient.RetryPolicy().delay(0, 90) == 60
