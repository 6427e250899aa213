"""The REST client against the vendor spec (rest-oms-api-v1), fixtures written from its text."""

from __future__ import annotations

import enum
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import respx

import omsclient
from omsclient import errors

from .conftest import REST, TOKEN

ITEM: dict[str, Any] = {
    "ecommerce_order_item_id": "ORD_ITEM-001",
    "ecommerce_variant_id": "VAR-1",
    "quantity": 1,
    "template_config": "%7B%22template%22%3A%22front%22%7D",
    "thumbnails": ["https://example.com/t/1.png"],
}

Call = Callable[[omsclient.AsyncClient], Awaitable[object]]

# Fields the spec's create tables mark Required: an update may leave them out, never clear them.
CLEARED: list[tuple[str, Call, str]] = [
    ("order items []", lambda oms: oms.rest.orders.update("ORDER_UID", items=[]), "items"),
    (
        "order items None",
        lambda oms: oms.rest.orders.update("ORDER_UID", items=None),  # type: ignore[arg-type]
        "items",
    ),
    (
        "category name None",
        lambda oms: oms.rest.categories.update(1, name=None),  # type: ignore[arg-type]
        "name",
    ),
    ("category name blank", lambda oms: oms.rest.categories.update(1, name=" "), "name"),
    (
        "product active None",
        lambda oms: oms.rest.products.update(1, active=None),  # type: ignore[arg-type]
        "active",
    ),
    (
        "product team_id None",
        lambda oms: oms.rest.products.update(1, team_id=None),  # type: ignore[arg-type]
        "team_id",
    ),
    (
        "product category_id None",
        lambda oms: oms.rest.products.update(1, category_id=None),  # type: ignore[arg-type]
        "category_id",
    ),
    (
        "variant country_id None",
        lambda oms: oms.rest.variants.update(1, country_id=None),  # type: ignore[arg-type]
        "country_id",
    ),
    ("variant name blank", lambda oms: oms.rest.variants.update(1, name=""), "name"),
]


@respx.mock
@pytest.mark.parametrize(("call", "field"), [c[1:] for c in CLEARED], ids=[c[0] for c in CLEARED])
async def test_an_update_cannot_clear_a_field_the_spec_requires(
    oms: omsclient.AsyncClient, call: Call, field: str
) -> None:
    route = respx.route(url__startswith=REST).respond(json={"uid": "ORDER_UID", "id": 1})
    with pytest.raises(errors.ValidationError, match=rf"\b{field} (is required|needs at least)"):
        await call(oms)
    assert not route.called


@respx.mock
async def test_an_update_may_still_clear_an_optional_field(oms: omsclient.AsyncClient) -> None:
    route = respx.route(url__startswith=REST).respond(json={"uid": "ORDER_UID", "id": 1})
    await oms.rest.orders.update("ORDER_UID", note=None, items=[ITEM])
    assert route.calls.last.request.content.startswith(b'{"items":[')
    await oms.rest.products.update(1, description=None, name="Premium White T-Shirt")
    assert (
        route.calls.last.request.content == b'{"name":"Premium White T-Shirt","description":null}'
    )


@respx.mock
async def test_a_batch_answer_listing_its_items_as_objects_is_still_read(
    oms: omsclient.AsyncClient,
) -> None:
    # The spec documents the answer as {"uid", "status"}; what else the server lists about the
    # batch is kept as sent, and never fails the read of a batch already created.
    items = [{"uid": "ITEM_UID_1", "ecommerce_order_item_id": "ITEM-001"}]
    templates = {"TEMPLATE_UID_1": {"name": "A4"}}
    respx.post(f"{REST}/api/v1/batch-orders").respond(
        json={
            "uid": "BATCH_ORDER_UID",
            "status": "Batching",
            "order_items": items,
            "print_templates": templates,
        }
    )
    batch = await oms.rest.batch_orders.create(
        order_items=["ITEM_UID_1"], print_templates=["TEMPLATE_UID_1"]
    )
    assert batch.uid == "BATCH_ORDER_UID"
    assert batch.status == "Batching"
    assert batch.extra == {"order_items": items, "print_templates": templates}


@respx.mock
async def test_a_store_id_given_as_a_number_is_sent_as_its_digits(
    client_kwargs: dict[str, Any],
) -> None:
    # The spec types store_id as a string; the client takes an int for it, so one call does too.
    route = respx.post(f"{REST}/api/v1/orders").respond(json={"uid": "ORDER_UID"})
    async with omsclient.AsyncClient(**{**client_kwargs, "store_id": 1234}) as oms:
        await oms.rest.orders.create(ecommerce_order_id="ORD-001", items=[ITEM])
        assert route.calls.last.request.content.startswith(b'{"store_id":"1234",')
        await oms.rest.orders.create(ecommerce_order_id="ORD-002", items=[ITEM], store_id=5678)
        assert route.calls.last.request.content.startswith(b'{"store_id":"5678",')
        with pytest.raises(
            errors.ValidationError, match="store_id must be a str or an int, got bool"
        ):
            await oms.rest.orders.create(
                ecommerce_order_id="ORD-003",
                items=[ITEM],
                store_id=True,
            )
    assert route.call_count == 2


@respx.mock
@pytest.mark.parametrize(
    ("store_id", "problem"),
    [
        (" S1", "must not begin or end with a space or tab"),
        ("S1\n", "holds a line break at position 2"),
    ],
)
async def test_a_store_id_passed_to_a_create_is_checked_as_the_clients_is(
    client_kwargs: dict[str, Any], store_id: str, problem: str
) -> None:
    # Passed to the call, it was sent as it was (" S1", "S1\n"); given to the client, refused.
    route = respx.post(f"{REST}/api/v1/orders").respond(json={"uid": "ORDER_UID"})
    with pytest.raises(errors.ConfigurationError, match=f"^store_id {problem}"):
        omsclient.AsyncClient(**{**client_kwargs, "store_id": store_id})
    async with omsclient.AsyncClient(**client_kwargs) as oms:
        with pytest.raises(
            errors.ValidationError, match=f"^rest.orders.create: store_id {problem}"
        ):
            await oms.rest.orders.create(ecommerce_order_id="O", items=[ITEM], store_id=store_id)
    assert route.call_count == 0


BAD_IDS = [
    (True, "must be a str or an int, got bool"),
    (1.5, "must be a str or an int, got float"),
    (2**64, "is out of range: the API takes 64-bit integers"),
    ("  ", "must not be blank"),
]


@respx.mock
@pytest.mark.parametrize(("value", "problem"), BAD_IDS, ids=repr)
async def test_an_id_is_refused_in_the_same_words_wherever_it_is_given(
    client_kwargs: dict[str, Any], value: object, problem: str
) -> None:
    # The client's store_id, one create's, and an id in a path are the same kind of value.
    route = respx.route()
    with pytest.raises(errors.ConfigurationError) as client:
        omsclient.AsyncClient(**{**client_kwargs, "store_id": value})
    async with omsclient.AsyncClient(**client_kwargs) as oms:
        with pytest.raises(errors.ValidationError) as create:
            await oms.rest.orders.create(ecommerce_order_id="E-1", items=[ITEM], store_id=value)  # type: ignore[arg-type]
        with pytest.raises(errors.ValidationError) as get:
            await oms.rest.orders.get(value)  # type: ignore[arg-type]
    assert str(client.value) == f"store_id {problem}"
    assert str(create.value) == f"rest.orders.create: store_id {problem}"
    assert str(get.value) == f"rest.orders.get: order_uid {problem}"
    assert not route.called


class _Store(enum.IntEnum):
    __str__ = enum.Enum.__str__  # "_Store.MAIN", as every IntEnum's str() on Python 3.10

    MAIN = 1234


@pytest.mark.parametrize(("store_id", "sent"), [(_Store.MAIN, "1234"), (2**63 - 1, str(2**63 - 1))])
@respx.mock
async def test_an_int_store_id_is_sent_as_its_digits(store_id: int, sent: str) -> None:
    route = respx.post(f"{REST}/api/v1/orders").respond(201, json={"uid": "o-1"})
    async with omsclient.AsyncClient(rest_url=REST, api_token=TOKEN) as oms:
        await oms.rest.orders.create(ecommerce_order_id="E-1", items=[ITEM], store_id=store_id)
    assert json.loads(route.calls[0].request.content)["store_id"] == sent


async def test_an_int_store_id_beyond_64_bits_is_refused_by_name() -> None:
    async with omsclient.AsyncClient(rest_url=REST, api_token=TOKEN) as oms:
        with pytest.raises(omsclient.ValidationError, match="store_id"):
            await oms.rest.orders.create(ecommerce_order_id="E-1", items=[ITEM], store_id=2**64)


@pytest.mark.parametrize("body", [{"success": False, "message": "store is closed"}, {}])
@pytest.mark.parametrize(
    "create",
    [
        lambda oms: oms.rest.orders.create(ecommerce_order_id="E-1", items=[ITEM], store_id="S"),
        lambda oms: oms.rest.categories.create(name="Mugs"),
        lambda oms: oms.rest.batch_orders.create(order_items=["I-1"], print_templates=["T-1"]),
    ],
    ids=["order", "category", "batch"],
)
@respx.mock
async def test_a_create_answered_with_nothing_it_made_is_an_error_that_may_have_applied(
    body: dict[str, Any], create: Callable[[omsclient.AsyncClient], Awaitable[object]]
) -> None:
    """A 200 whose object names no uid or id (a {"success": false} refusal, an empty object)
    is no created object: returned, it would read as made, with nothing to find it by."""
    respx.route(url__startswith=REST).respond(200, json=body)
    problem = (
        r"saying it failed \(store is closed\)" if body else r"naming nothing(\w| )* \(no (uid|id)"
    )
    async with omsclient.AsyncClient(rest_url=REST, api_token=TOKEN) as oms:
        with pytest.raises(errors.DecodeError, match=problem) as caught:
            await create(oms)
    assert caught.value.maybe_applied is True


@pytest.mark.parametrize(
    "call",
    [
        lambda oms: oms.rest.products.create(
            category_id=1, name="n", order_column=1, active=True, team_id=5
        ),
        lambda oms: oms.rest.products.get(5),
        lambda oms: oms.rest.variants.get(5),
    ],
    ids=["create product", "get product", "get variant"],
)
@respx.mock
async def test_a_product_or_variant_named_by_its_uuid_alone_is_read(
    call: Callable[[omsclient.AsyncClient], Awaitable[Any]],
) -> None:
    # The spec: a product's create "will return the created product details, including the
    # auto-generated UUID".
    uuid = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
    respx.route(url__startswith=REST).respond(200, json={"uuid": uuid, "name": "n"})
    async with omsclient.AsyncClient(rest_url=REST, api_token=TOKEN) as oms:
        assert (await call(oms)).uuid == uuid


@pytest.mark.parametrize("body", [{"success": False, "message": "order is locked"}, {}])
@pytest.mark.parametrize(
    "call",
    [
        lambda oms: oms.rest.orders.update("U1", note="n"),
        lambda oms: oms.rest.categories.update(5, name="Mugs"),
        lambda oms: oms.rest.products.update(5, name="Mug"),
        lambda oms: oms.rest.variants.update(5, name="Red"),
        lambda oms: oms.rest.orders.get("U1"),
        lambda oms: oms.rest.categories.get(5),
        lambda oms: oms.rest.products.get(5),
        lambda oms: oms.rest.variants.get(5),
    ],
    ids=[
        "order",
        "category",
        "product",
        "variant",
        "get order",
        "get category",
        "get product",
        "get variant",
    ],
)
@respx.mock
async def test_an_update_or_get_answered_with_no_object_is_an_error(
    body: dict[str, Any],
    call: Callable[[omsclient.AsyncClient], Awaitable[object]],
) -> None:
    """The spec answers an update and a get with the object: a 200 naming none (a refusal
    as {"success": false}, an empty object) read as an object of nothing, the refusal hidden
    in its extra."""
    respx.route(url__startswith=REST).respond(200, json=body)
    async with omsclient.AsyncClient(rest_url=REST, api_token=TOKEN, store_id="S") as oms:
        # A refusal quotes its reason (it said "naming nothing", the reason left out).
        problem = (
            r"saying it failed \(order is locked\)"
            if body
            else r"naming nothing(\w| )* \(no (uid|id)"
        )
        with pytest.raises(errors.DecodeError, match=problem) as caught:
            await call(oms)
    # As any 2xx answer that is not what the API promises: the server answered success.
    assert caught.value.maybe_applied is True
    if body:
        assert "order is locked" in caught.value.snippet


@respx.mock
async def test_a_ready_print_file_without_a_url_is_waited_on_until_it_has_one() -> None:
    """The spec sends a url with every ready file; a ready answer without one (the status
    set before the link) is nothing to download yet, and the waiter polls on."""
    route = respx.get(f"{REST}/api/v1/order-items/ITEM-1/print").mock(
        side_effect=[
            httpx.Response(200, json={"status": "ready", "url": None}),
            httpx.Response(200, json={"status": "ready", "url": "https://cdn.example/f.pdf"}),
        ]
    )
    async with omsclient.AsyncClient(rest_url=REST, api_token=TOKEN) as oms:
        found = await oms.rest.order_items.wait_for_print_file(
            "ITEM-1", initial_interval=0.01, timeout=5
        )
    assert found.url == "https://cdn.example/f.pdf"
    assert found.ready
    assert route.call_count == 2
