"""What the REST resources send, how answers and errors are read, and the print-file waiter (respx)."""

from __future__ import annotations

import itertools
import json
import math
import pickle
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

import anyio
import httpx
import pytest
import respx
import trio

import omsclient
from omsclient import errors
from omsclient.rest import (
    NOT_GIVEN,
    Address,
    AddressType,
    BatchOrderStatus,
    OrderItem,
    PrintFile,
    PrintFileFailedError,
    PrintFileStatus,
    PrintFileTimeoutError,
    TemplateConfig,
    TolerantEnum,
    Variant,
)
from omsclient.sandbox import SandboxInfo

from .conftest import REST, TOKEN, on_virtual_time

ORDERS = f"{REST}/api/v1/orders"
CONFIG = {"template": "mug-11oz", "layers": [{"text": "Héllo / wörld", "size": 12.5}]}
CONFIG_ENCODED = quote(json.dumps(CONFIG, separators=(",", ":"), ensure_ascii=False), safe="!~*'()")
ITEM: dict[str, Any] = {
    "ecommerce_order_item_id": "ITEM-1",
    "ecommerce_variant_id": "VAR-1",
    "quantity": 2,
    "template_config": CONFIG,
    "thumbnails": ["https://cdn.test/t1.png"],
}
ITEM_WIRE = {**ITEM, "template_config": CONFIG_ENCODED}
ADDRESS = {
    "type_id": "shipping",
    "address_1": "1 High St",
    "post_code": "AB1 2CD",
    "city": "Leeds",
    "country_code": "GB",
}


def body_of(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


def print_answer(status: str, item: str = "ITEM-1") -> httpx.Response:
    url = f"https://files.test/{item}.pdf" if status == "ready" else None
    return httpx.Response(200, json={"ecommerce_order_item_id": item, "status": status, "url": url})


# -- orders -------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["create", "update"])
@pytest.mark.parametrize("item_id", [["I-2"], {"id": "I-2"}, {"I-2"}])
@respx.mock
async def test_an_item_id_of_an_unhashable_type_is_named_not_a_type_error(
    oms: omsclient.AsyncClient, verb: str, item_id: object
) -> None:
    # The check for two items of one id looked each up in a dict first: a bare TypeError
    # ("unhashable type: 'list'") naming no field, where an int was named.
    route = respx.route().respond(json={"uid": "U1"})
    items = [OrderItem(**ITEM), OrderItem(**{**ITEM, "ecommerce_order_item_id": item_id})]
    call: Any = oms.rest.orders.create if verb == "create" else oms.rest.orders.update
    first = {"ecommerce_order_id": "O"} if verb == "create" else {"order_uid": "U1"}
    kind = type(item_id).__name__
    with pytest.raises(
        errors.ValidationError,
        match=rf"items\[1\]\.ecommerce_order_item_id must be a string, got {kind}",
    ):
        await call(**first, items=items)
    assert not route.called


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("item", {"quantity": "1e3"}, "items[0].quantity must be an integer, got str"),
        ("item", {"quantity": 2.0}, "items[0].quantity must be an integer, got float"),
        ("item", {"price": "9.99"}, "items[0].price must be a number, got str"),
        ("item", {"price": "  "}, "items[0].price must be a number, got str"),
        ("item", {"ecommerce_variant_id": 1234567.0}, "ecommerce_variant_id must be a string"),
        ("item", {"thumbnails": [1]}, "items[0].thumbnails[0] must be a string, got int"),
        ("item", {"thumbnails": ["https://a/1.png", " "]}, "items[0].thumbnails[1] must not be"),
        ("address", {"post_code": 2000.0}, "addresses[0].post_code must be a string, got float"),
        ("address", {"country_id": "44"}, "addresses[0].country_id must be an integer, got str"),
        ("customer", {"phone": 447700900123.0}, "customer.phone must be a string, got float"),
    ],
)
@respx.mock
async def test_a_dict_for_a_nested_object_is_checked_as_given_not_converted(
    oms: omsclient.AsyncClient, where: str, value: dict[str, Any], message: str
) -> None:
    # Read like a server answer, "1e3" went out as 1000 and 1234567.0 as the id "1234567.0":
    # what a model of the same values is refused for.
    route = respx.post(ORDERS).respond(json={"uid": "U1"})
    parts: dict[str, Any] = {"items": [{**ITEM, **value}] if where == "item" else [ITEM]}
    if where == "address":
        parts["addresses"] = [{**ADDRESS, **value}]
    if where == "customer":
        parts["customer"] = {"email": "a@b.test", **value}
    with pytest.raises(errors.ValidationError) as info:
        await oms.rest.orders.create(ecommerce_order_id="O", **parts)
    assert message in str(info.value)
    with pytest.raises(errors.ValidationError, match=re.escape(message)):
        await oms.rest.orders.update("U1", **parts)
    assert route.call_count == 0


@respx.mock
async def test_a_tuple_for_a_nested_list_is_sent_as_an_array(oms: omsclient.AsyncClient) -> None:
    # The call's own lists take a tuple; an item's thumbnails refused one ("must be a list,
    # got tuple"), given in a dict or a model, and an empty one was not called missing.
    route = respx.post(ORDERS).respond(json={"uid": "U1"})
    thumbnails = ("https://cdn.test/t1.png", "https://cdn.test/t2.png")
    model = OrderItem(**{**ITEM, "ecommerce_order_item_id": "ITEM-2", "thumbnails": thumbnails})
    await oms.rest.orders.create(
        ecommerce_order_id="O", items=({**ITEM, "thumbnails": thumbnails}, model)
    )
    sent = body_of(route)["items"]
    assert [item["thumbnails"] for item in sent] == [list(thumbnails)] * 2
    for empty in ({**ITEM, "thumbnails": ()}, OrderItem(**{**ITEM, "thumbnails": ()})):
        with pytest.raises(errors.ValidationError, match=r"items\[0\].thumbnails needs at least"):
            await oms.rest.orders.create(ecommerce_order_id="O", items=[empty])
    assert route.call_count == 1


@respx.mock
async def test_create_order_sends_the_documented_body_with_bearer_auth(
    oms: omsclient.AsyncClient,
) -> None:
    route = respx.post(ORDERS).respond(
        json={
            "uid": "ORDER_UID",
            "ecommerce_order_id": "ORD-001",
            "items": [{"uid": "ITEM_UID", "ecommerce_order_item_id": "ITEM-1"}],
        }
    )
    order = await oms.rest.orders.create(
        ecommerce_order_id="ORD-001",
        items=[ITEM],
        ecommerce_order_number="1001",
        total_price=69.98,
        currency_code="GBP",
        customer={"email": "a@b.test", "name": "Ann"},
        addresses=[ADDRESS],
        shippings=[{"code": "STANDARD", "shipping_price": 9.99}],
        create_print_files=True,
    )
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert body_of(route) == {
        "store_id": "42",
        "ecommerce_order_id": "ORD-001",
        "ecommerce_order_number": "1001",
        "total_price": 69.98,
        "currency_code": "GBP",
        "customer": {"email": "a@b.test", "name": "Ann"},
        "addresses": [ADDRESS],
        "shippings": [{"code": "STANDARD", "shipping_price": 9.99}],
        "items": [ITEM_WIRE],
        "create_print_files": True,
    }
    assert order.uid == "ORDER_UID"
    assert order.items[0].uid == "ITEM_UID"
    assert order.items[0].template_config is None


@respx.mock
async def test_template_config_round_trip(oms: omsclient.AsyncClient) -> None:
    route = respx.post(ORDERS).mock(
        side_effect=lambda request: httpx.Response(
            200, json={"uid": "U1", **json.loads(request.content)}
        )
    )
    order = await oms.rest.orders.create(
        ecommerce_order_id="ORD-1", items=[OrderItem(**{**ITEM, "template_config": CONFIG})]
    )
    wire = body_of(route)["items"][0]["template_config"]
    assert isinstance(wire, str)
    assert wire == CONFIG_ENCODED
    assert "{" not in wire
    assert "/" not in wire
    config = order.items[0].template_config
    assert isinstance(config, TemplateConfig)
    assert config == CONFIG
    assert config.raw == wire
    # Sent again unchanged, the received string goes back byte for byte.
    await oms.rest.orders.create(ecommerce_order_id="ORD-2", items=[order.items[0]])
    assert body_of(route)["items"][0]["template_config"] == wire


@pytest.mark.parametrize(
    ("received", "sent"),
    [
        ('{"a":1}', "%7B%22a%22%3A1%7D"),
        ('{"t":"50%"}', "%7B%22t%22%3A%2250%25%22%7D"),
        ("%7b%22a%22%3a1%7d", "%7b%22a%22%3a1%7d"),
        ("%7B%22a%22%3A%20%22x+y%22%7D", "%7B%22a%22%3A%20%22x+y%22%7D"),
    ],
    ids=["raw-json", "raw-json-percent", "encoded-lowercase", "encoded-plus"],
)
@respx.mock
async def test_a_template_config_sent_back_is_url_encoded_as_received_or_as_the_api_takes(
    oms: omsclient.AsyncClient, received: str, sent: str
) -> None:
    item = {**ITEM, "uid": "IU", "template_config": received}
    respx.get(f"{ORDERS}/U1").respond(json={"uid": "U1", "items": [item]})
    update = respx.put(f"{ORDERS}/U1").respond(json={"uid": "U1"})
    order = await oms.rest.orders.get("U1")
    await oms.rest.orders.update("U1", items=order.items)
    assert body_of(update)["items"][0]["template_config"] == sent


@respx.mock
async def test_a_raw_json_template_config_is_sent_as_written(
    oms: omsclient.AsyncClient,
) -> None:
    # Read and written again, 18446744073709551617 went out as 1.8446744073709552e+19.
    update = respx.put(f"{ORDERS}/U1").respond(json={"uid": "U1"})
    for given in ('{"design_id":18446744073709551617}', '{"a": 1.10, "b": "x y"}'):
        await oms.rest.orders.update("U1", items=[{**ITEM, "template_config": given}])
        assert unquote(body_of(update)["items"][0]["template_config"]) == given
    # Edited, it is sent as it now reads.
    item = OrderItem(**{**ITEM, "template_config": '{"a": 1}'})
    assert item.template_config is not None
    item.template_config["a"] = 2
    await oms.rest.orders.update("U1", items=[item])
    assert unquote(body_of(update)["items"][0]["template_config"]) == '{"a":2}'


@respx.mock
async def test_a_template_config_holding_an_unsigned_64_bit_id_goes_back_as_received(
    oms: omsclient.AsyncClient,
) -> None:
    # orjson reads 12345678901234567890 as an int, which the checks of an edit refuse (past a
    # signed 64-bit integer): the order read could not be written out nor its items sent back.
    received = "%7B%22id%22%3A12345678901234567890%7D"
    item = {**ITEM, "uid": "IU", "template_config": received}
    respx.get(f"{ORDERS}/U1").respond(json={"uid": "U1", "items": [item]})
    update = respx.put(f"{ORDERS}/U1").respond(json={"uid": "U1"})
    order = await oms.rest.orders.get("U1")
    assert omsclient.to_dict(order)["items"][0]["template_config"] == received
    await oms.rest.orders.update("U1", items=order.items)
    assert body_of(update)["items"][0]["template_config"] == received
    # Edited, it is checked as any config: another such id, or NaN where null was.
    config = order.items[0].template_config
    assert config is not None
    config["other"] = 12345678901234567891
    with pytest.raises(errors.ValidationError, match=r"template_config\.other is out of range"):
        await oms.rest.orders.update("U1", items=order.items)
    nulled = TemplateConfig.from_raw('{"a":null}')
    nulled["a"] = math.nan
    with pytest.raises(errors.ValidationError, match=r"template_config\.a must be finite"):
        await oms.rest.orders.update("U1", items=[{**ITEM, "template_config": nulled}])
    assert update.call_count == 1


@respx.mock
@pytest.mark.parametrize(
    ("received", "read", "refused"),
    [
        # Read by orjson as a float, 1.2345678901234569e+23: an edit of another key sent the
        # id rounded, unchecked, where an unsigned 64-bit id is refused.
        (
            "%7B%22layer_id%22%3A123456789012345678901234%2C%22text%22%3A%22Hi%22%7D",
            {"layer_id": 123456789012345678901234, "text": "Hi"},
            r"template_config\.layer_id is out of range",
        ),
        # JSON.stringify of text cut in the middle of an emoji escapes the half left: valid
        # JSON, which orjson refused, so the config read as empty ("not URL-encoded JSON") and
        # its item could not be sent back even unchanged.
        (
            "%7B%22text%22%3A%22Happy%20%5Cud83d%22%7D",
            {"text": "Happy \ud83d"},
            r"template_config\.text holds a lone surrogate",
        ),
    ],
    ids=["an integer past 64 bits", "a lone surrogate"],
)
async def test_a_template_config_orjson_misreads_is_read_exact_and_checked_once_edited(
    oms: omsclient.AsyncClient, received: str, read: dict[str, Any], refused: str
) -> None:
    item = {**ITEM, "uid": "IU", "template_config": received}
    respx.get(f"{ORDERS}/U1").respond(json={"uid": "U1", "items": [item]})
    update = respx.put(f"{ORDERS}/U1").respond(json={"uid": "U1"})
    order = await oms.rest.orders.get("U1")
    config = order.items[0].template_config
    assert config is not None
    assert (dict(config), config.problem) == (read, None)
    await oms.rest.orders.update("U1", items=order.items)
    assert body_of(update)["items"][0]["template_config"] == received
    assert omsclient.to_dict(order)["items"][0]["template_config"] == received
    config["size"] = 2  # edited, it is checked: neither value can be sent as it is
    with pytest.raises(errors.ValidationError, match=refused):
        await oms.rest.orders.update("U1", items=order.items)
    assert update.call_count == 1


@respx.mock
async def test_a_list_the_answer_did_not_hold_is_left_out_when_handed_back(
    oms: omsclient.AsyncClient,
) -> None:
    # Sent as [] it cleared the order's addresses and shippings, which the answer had left out.
    respx.get(f"{ORDERS}/U1").respond(json={"uid": "U1", "items": [{**ITEM, "uid": "IU"}]})
    update = respx.put(f"{ORDERS}/U1").respond(json={"uid": "U1"})
    order = await oms.rest.orders.get("U1")
    await oms.rest.orders.update(
        "U1", note="x", addresses=order.addresses, shippings=order.shippings
    )
    assert body_of(update) == {"note": "x"}
    with pytest.raises(errors.ValidationError, match="at least one field"):
        await oms.rest.orders.update("U1", addresses=order.addresses)
    # A list given empty says so: it is sent, and clears them.
    await oms.rest.orders.update("U1", addresses=[], shippings=list(order.shippings))
    assert body_of(update) == {"addresses": [], "shippings": []}
    assert update.call_count == 2


@respx.mock
@pytest.mark.parametrize(
    "given",
    [CONFIG, CONFIG_ENCODED, json.dumps(CONFIG)],
    ids=["dict", "encoded string", "raw JSON string"],
)
async def test_template_config_accepts_a_dict_or_a_string(
    oms: omsclient.AsyncClient, given: object
) -> None:
    route = respx.post(ORDERS).respond(json={"uid": "U1"})
    await oms.rest.orders.create(
        ecommerce_order_id="ORD-1", items=[{**ITEM, "template_config": given}]
    )
    sent = body_of(route)["items"][0]["template_config"]
    assert TemplateConfig.from_raw(sent) == CONFIG
    if given == CONFIG_ENCODED:
        assert sent == CONFIG_ENCODED


@respx.mock
async def test_an_undecodable_template_config_is_kept_but_not_sent_again(
    oms: omsclient.AsyncClient,
) -> None:
    respx.get(f"{ORDERS}/U").respond(
        json={"uid": "U", "items": [{**ITEM_WIRE, "template_config": "%7Bbroken"}]}
    )
    create = respx.post(ORDERS).respond(json={"uid": "U2"})
    item = (await oms.rest.orders.get("U")).items[0]
    assert item.template_config is not None
    assert item.template_config == {}
    assert item.template_config.raw == "%7Bbroken"
    assert item.template_config.problem
    # What the server sent is written back unchanged, not the empty dict read from it.
    assert omsclient.to_dict(item)["template_config"] == "%7Bbroken"
    with pytest.raises(errors.ValidationError, match=r"items\[0\].template_config"):
        await oms.rest.orders.create(ecommerce_order_id="O", items=[item])
    assert create.call_count == 0


def test_a_template_config_escaping_windows_1252_text_reads_as_it() -> None:
    # Read as Latin-1, its quotes, dash and euro sign were C1 controls, sent back so once edited.
    raw = "%7B%22text%22%3A%22%93Hi%94%20%96%205%80%22%7D"
    config = omsclient.from_dict({**ITEM_WIRE, "template_config": raw}, OrderItem).template_config
    assert config is not None
    assert (dict(config), config.problem) == ({"text": "\u201cHi\u201d \u2013 5\u20ac"}, None)
    undefined = omsclient.from_dict(
        {**ITEM_WIRE, "template_config": "%7B%22text%22%3A%22%81%22%7D"}, OrderItem
    ).template_config
    assert undefined is not None
    assert (dict(undefined), undefined.problem) == (
        {},
        "escapes bytes that are no UTF-8 nor Windows-1252 (character maps to <undefined>)",
    )


def test_a_template_config_mixing_utf_8_and_windows_1252_reads_each_as_it_is() -> None:
    # Read whole as Windows-1252 once one byte was no UTF-8, its UTF-8 became "CafÃ©".
    raw = "%7B%22a%22%3A%22Caf%C3%A9%22%2C%22b%22%3A%22Caf%E9%22%7D"
    config = omsclient.from_dict({**ITEM_WIRE, "template_config": raw}, OrderItem).template_config
    assert config is not None
    assert dict(config) == {"a": "Café", "b": "Café"}


def test_a_template_config_escaping_latin_1_text_reads_as_latin_1() -> None:
    # PHP's urlencode of Latin-1 text: it read as "Caf\ufffd", which an edit wrote back.
    raw = "%7B%22text%22%3A%22Caf%E9%22%2C%22size%22%3A1%7D"
    config = omsclient.from_dict({**ITEM_WIRE, "template_config": raw}, OrderItem).template_config
    assert config is not None
    assert (dict(config), config.problem) == ({"text": "Café", "size": 1}, None)
    assert config.encode() == raw  # unchanged: written back as received
    config["size"] = 2
    assert unquote(config.encode()) == '{"text":"Café","size":2}'  # edited: UTF-8, as sent


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("raw", [CONFIG_ENCODED, "%7Bbroken"], ids=["decoded", "undecodable"])
def test_a_template_config_pickles_whole_with_every_protocol(protocol: int, raw: str) -> None:
    item = omsclient.from_dict({**ITEM_WIRE, "template_config": raw}, OrderItem)
    config = item.template_config
    assert config is not None
    copied = pickle.loads(pickle.dumps(item, protocol=protocol))
    assert copied == item
    back = copied.template_config
    assert type(back) is TemplateConfig
    assert (dict(back), back.raw, back.problem) == (dict(config), config.raw, config.problem)


@respx.mock
async def test_store_id_argument_wins_and_missing_store_id_is_named(
    client_kwargs: dict[str, Any],
) -> None:
    route = respx.post(ORDERS).respond(json={"uid": "U1"})
    async with omsclient.AsyncClient(**{**client_kwargs, "store_id": None}) as oms:
        await oms.rest.orders.create(store_id="7", ecommerce_order_id="O", items=[ITEM])
        assert body_of(route)["store_id"] == "7"
        with pytest.raises(errors.ValidationError, match="store_id"):
            await oms.rest.orders.create(ecommerce_order_id="O", items=[ITEM])
    assert route.call_count == 1


@respx.mock
async def test_required_fields_are_checked_before_anything_is_sent(
    oms: omsclient.AsyncClient,
) -> None:
    route = respx.post(ORDERS).respond(json={"uid": "U1"})
    item = {k: v for k, v in ITEM.items() if k not in ("template_config", "thumbnails")}
    item["ecommerce_order_item_id"] = "ITEM-2"
    address = {**ADDRESS, "type_id": "home"}
    del address["city"]
    with pytest.raises(errors.ValidationError) as info:
        await oms.rest.orders.create(
            ecommerce_order_id=None,  # type: ignore[arg-type]
            items=[ITEM, item],
            addresses=[address],
            shippings=[{"code": "STANDARD"}],
        )
    message = str(info.value)
    for field in (
        "ecommerce_order_id is required",
        "items[1].template_config is required",
        "items[1].thumbnails is required",
        "addresses[0].city is required",
        "addresses[0].type_id must be one of 'billing', 'shipping', got 'home'",
        "shippings[0].shipping_price is required",
    ):
        assert field in message
    assert "items[0]" not in message
    with pytest.raises(errors.ValidationError, match="items needs at least one item"):
        await oms.rest.orders.create(ecommerce_order_id="O", items=[])
    with pytest.raises(errors.ValidationError, match=r"items\[0\]\.quantity must be an integer"):
        await oms.rest.orders.create(ecommerce_order_id="O", items=[{**ITEM, "quantity": "two"}])
    with pytest.raises(errors.ValidationError, match=r"items\[0\].template_config .*JSON"):
        await oms.rest.orders.create(
            ecommerce_order_id="O", items=[{**ITEM, "template_config": "%7Bnot-json"}]
        )
    with pytest.raises(errors.ValidationError, match="items must be a list"):
        await oms.rest.orders.create(ecommerce_order_id="O", items="ITEM-1")  # type: ignore[arg-type]
    assert route.call_count == 0


# A dict item of the wrong kinds and missing fields, with the first item's id.
WRONG_ITEM = {"ecommerce_order_item_id": "ITEM-1", "quantity": "2"}
WRONG_ITEM_PROBLEMS = (
    "items[1].ecommerce_variant_id is required",
    "items[1].quantity must be an integer, got str",
    "items[1].template_config is required",
    "items[1].thumbnails is required",
)
DUPLICATE_ID = (
    "items[1].ecommerce_order_item_id 'ITEM-1' is also items[0]'s: print files are asked for "
    "by it, one per item"
)


@respx.mock
async def test_nested_dicts_refused_are_named_beside_every_other_problem(
    oms: omsclient.AsyncClient,
) -> None:
    # Each dict holding a value of the wrong kind was refused alone, before the others were
    # checked: a caller fixed one problem a call.
    route = respx.route().respond(json={"uid": "U1"})
    address = {"type_id": "home", "city": 5}
    with pytest.raises(errors.ValidationError) as info:
        await oms.rest.orders.create(
            ecommerce_order_id="O",
            total_price="9.99",  # type: ignore[arg-type]
            customer={"email": 5},
            items=[ITEM, WRONG_ITEM],
            addresses=[address],
            shippings=5,  # type: ignore[arg-type]
        )
    assert str(info.value) == "rest.orders.create: " + "; ".join(
        [
            "total_price must be a number, got str",
            *WRONG_ITEM_PROBLEMS,
            "customer.email must be a string, got int",
            "addresses[0].type_id must be one of 'billing', 'shipping', got 'home'",
            "addresses[0].address_1 is required",
            "addresses[0].post_code is required",
            "addresses[0].city must be a string, got int",
            "addresses[0].country_code is required",
            "shippings must be a list of Shipping, got int",
            DUPLICATE_ID,
        ]
    )
    with pytest.raises(errors.ValidationError) as info:
        await oms.rest.orders.update(
            "U1",
            total_price="9.99",  # type: ignore[arg-type]
            customer={"email": 5},
            items=[ITEM, WRONG_ITEM],
            shippings=[{"code": 5}],
        )
    assert str(info.value) == "rest.orders.update: " + "; ".join(
        [
            "total_price must be a number, got str",
            "customer.email must be a string, got int",
            *WRONG_ITEM_PROBLEMS,
            DUPLICATE_ID,
            "shippings[0].code must be a string, got int",
            "shippings[0].shipping_price is required",
        ]
    )
    assert not route.called


@respx.mock
async def test_items_given_by_a_generator_are_read_once_checked_and_sent(
    oms: omsclient.AsyncClient,
) -> None:
    route = respx.route().respond(json={"uid": "U1"})
    await oms.rest.orders.create(ecommerce_order_id="O", items=(i for i in [ITEM]))
    assert body_of(route)["items"] == [ITEM_WIRE]
    await oms.rest.orders.update("U1", items=(i for i in [ITEM]))
    assert body_of(route)["items"] == [ITEM_WIRE]
    with pytest.raises(errors.ValidationError, match=DUPLICATE_ID.replace("[", r"\[")):
        await oms.rest.orders.update("U1", items=(i for i in [ITEM, ITEM]))
    assert route.call_count == 2


@respx.mock
async def test_get_update_and_delete_order(oms: omsclient.AsyncClient) -> None:
    url = f"{ORDERS}/ORDER_UID"
    get = respx.get(url).respond(
        json={"uid": "ORDER_UID", "note": "n", "status": "new", "items": [ITEM_WIRE]}
    )
    put = respx.put(url).respond(json={"uid": "ORDER_UID", "note": "Updated"})
    delete = respx.delete(url).respond(
        json={"message": "Order successfully deleted", "order_uid": "ORDER_UID"}
    )

    order = await oms.rest.orders.get("ORDER_UID")
    assert get.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert order.extra == {"status": "new"}
    assert order.items[0].template_config == CONFIG

    updated = await oms.rest.orders.update(
        "ORDER_UID",
        note="Updated shipping instructions",
        total_price=69.98,
        shippings=[{"code": "STANDARD", "shipping_price": 9.99}],
        currency_code=None,
    )
    assert body_of(put) == {
        "note": "Updated shipping instructions",
        "total_price": 69.98,
        "shippings": [{"code": "STANDARD", "shipping_price": 9.99}],
        "currency_code": None,
    }
    assert updated.note == "Updated"

    await oms.rest.orders.update("ORDER_UID", items=[ITEM], customer={"phone": "123"})
    assert body_of(put) == {"items": [ITEM_WIRE], "customer": {"phone": "123"}}
    # A model given its address type as text, as the API writes it.
    await oms.rest.orders.update("ORDER_UID", addresses=[Address(**ADDRESS)])
    assert body_of(put) == {"addresses": [ADDRESS]}

    deleted = await oms.rest.orders.delete("ORDER_UID")
    assert delete.called
    assert (deleted.message, deleted.order_uid, deleted.id) == (
        "Order successfully deleted",
        "ORDER_UID",
        "ORDER_UID",
    )


@respx.mock
async def test_update_sends_nothing_without_fields_or_with_bad_nested_objects(
    oms: omsclient.AsyncClient,
) -> None:
    route = respx.put(f"{ORDERS}/U").respond(json={"uid": "U"})
    with pytest.raises(errors.ValidationError, match="at least one field"):
        await oms.rest.orders.update("U")
    with pytest.raises(errors.ValidationError, match="at least one field"):
        await oms.rest.orders.update("U", note=NOT_GIVEN)
    with pytest.raises(errors.ValidationError, match=r"addresses\[0\].post_code is required"):
        await oms.rest.orders.update("U", addresses=[Address(type_id=AddressType.BILLING)])
    with pytest.raises(errors.ValidationError, match="order_uid must not be blank"):
        await oms.rest.orders.get("")
    assert route.call_count == 0


@respx.mock
@pytest.mark.parametrize(
    ("order_uid", "raw_path"),
    [
        ("a/b", b"/api/v1/orders/a%2Fb"),
        ("...", b"/api/v1/orders/..."),
        ("a;b,c=d", b"/api/v1/orders/a%3Bb%2Cc%3Dd"),
        ("x?y#z", b"/api/v1/orders/x%3Fy%23z"),
        ("sp ace", b"/api/v1/orders/sp%20ace"),
    ],
)
async def test_path_parameters_are_quoted(
    oms: omsclient.AsyncClient, order_uid: str, raw_path: bytes
) -> None:
    route = respx.get(url__startswith=REST).respond(json={"uid": order_uid})
    await oms.rest.orders.get(order_uid)
    request = route.calls.last.request
    assert request.url.raw_path == raw_path
    assert request.url.query == b""


@pytest.mark.parametrize(
    ("item_id", "message"),
    [
        (".", "'.' cannot"),
        ("..", "'..' cannot"),
        (-1, "must be 1 or more, got -1"),
        (0, "must be 1 or more, got 0"),
        (" x ", "must not begin or end with white space"),
    ],
)
async def test_a_path_id_no_object_can_have_is_refused_before_sending(
    oms: omsclient.AsyncClient, item_id: str | int, message: str
) -> None:
    # A dot segment, escaped or not, is resolved: DELETE /api/v1/orders/.. reached the API's
    # root, and its 2xx was taken for the order's deletion. -1, 0 and " x " went out, to
    # answer 404 at best.
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(200)
        for call in (
            oms.rest.orders.delete,
            oms.rest.categories.get,
            oms.rest.order_items.print_file,
            oms.rest.products.get,
        ):
            # A product's id is an integer in paths: a string is refused as no integer's text.
            expected = (
                "must be an integer"
                if call == oms.rest.products.get and str(item_id) == item_id
                else message
            )
            with pytest.raises(errors.ValidationError, match=re.escape(expected)):
                await call(item_id)  # type: ignore[arg-type]
    assert route.call_count == 0


# -- catalog ------------------------------------------------------------------------------

CATALOG = [
    (
        "categories",
        "/api/v1/product-categories",
        {"name": "T-Shirts", "parent_id": "aef6", "description": "All", "default_dpi": 300},
        {"name": "Premium T-Shirts", "default_dpi": 600},
        "category_id",
        "Product category successfully deleted",
    ),
    (
        "products",
        "/api/v1/products",
        {
            "category_id": 1,
            "name": "Classic White T-Shirt",
            "code": "CWT001",
            "order_column": 1,
            "active": True,
            "team_id": 5,
            "default_location_id": 2,
        },
        {"name": "Premium White T-Shirt", "active": False, "default_dpi": 600},
        "product_id",
        "Product successfully deleted",
    ),
    (
        "variants",
        "/api/v1/product-variants",
        {
            "name": "Classic White T-Shirt - Large",
            "product_id": 1,
            "country_id": 1,
            "weight": 200,
            "ecommerce_tags": "tshirt,white,large",
        },
        {"name": "XL", "weight": 220, "description": None},
        "variant_id",
        "Product variant successfully deleted",
    ),
]


@respx.mock
@pytest.mark.parametrize(
    ("resource", "path", "create", "update", "id_key", "message"),
    CATALOG,
    ids=[c[0] for c in CATALOG],
)
async def test_catalog_crud_encoding(
    oms: omsclient.AsyncClient,
    resource: str,
    path: str,
    create: dict[str, Any],
    update: dict[str, Any],
    id_key: str,
    message: str,
) -> None:
    api = getattr(oms.rest, resource)
    post = respx.post(f"{REST}{path}").respond(json={"id": 1, **create, "x": 1})
    get = respx.get(f"{REST}{path}/1").respond(json={"id": 1, **create})
    put = respx.put(f"{REST}{path}/1").respond(json={"id": 1, **create, **update})
    delete = respx.delete(f"{REST}{path}/1").respond(json={"message": message, id_key: 1})

    created = await api.create(**create)
    assert post.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert body_of(post) == create
    assert created.id == 1
    assert created.extra == {"x": 1}
    assert created.name == create["name"]

    fetched = await api.get(1)
    assert get.called
    assert fetched.id == 1

    changed = await api.update(1, **update)
    assert body_of(put) == update
    assert changed.name == update["name"]

    deleted = await api.delete(1)
    assert delete.called
    assert deleted.message == message
    assert deleted.id == 1
    assert getattr(deleted, id_key) == 1


@respx.mock
async def test_catalog_required_fields_and_conveniences(oms: omsclient.AsyncClient) -> None:
    route = respx.route(url__startswith=REST).respond(json={"id": 1})
    with pytest.raises(errors.ValidationError, match="name is required"):
        await oms.rest.categories.create(name=" ")
    with pytest.raises(errors.ValidationError, match="active is required; team_id is required"):
        await oms.rest.products.create(
            category_id=1,
            name="n",
            order_column=1,
            active=None,  # type: ignore[arg-type]
            team_id=None,  # type: ignore[arg-type]
        )
    with pytest.raises(errors.ValidationError, match="uuid must be 36 characters"):
        await oms.rest.variants.create(name="n", product_id=1, country_id=1, uuid="short")
    with pytest.raises(errors.ValidationError, match="at least one field"):
        await oms.rest.variants.update(1)
    assert route.call_count == 0

    await oms.rest.variants.create(
        name="n", product_id=1, country_id=1, ecommerce_tags=["tshirt", "white"]
    )
    assert body_of(route) == {
        "name": "n",
        "product_id": 1,
        "country_id": 1,
        "ecommerce_tags": "tshirt,white",
    }
    await oms.rest.variants.update(1, ecommerce_tags=["a", "b"], price_id=None)
    assert route.calls.last.request.method == "PUT"
    assert route.calls.last.request.url.path == "/api/v1/product-variants/1"
    assert body_of(route) == {"ecommerce_tags": "a,b", "price_id": None}
    assert Variant(ecommerce_tags=" tshirt, ,white,").tags == ["tshirt", "white"]


# -- batch orders -------------------------------------------------------------------------


@respx.mock
async def test_batch_order_create(oms: omsclient.AsyncClient) -> None:
    route = respx.post(f"{REST}/api/v1/batch-orders").respond(
        json={"uid": "BATCH_ORDER_UID", "status": "Batching"}
    )
    batch = await oms.rest.batch_orders.create(
        order_items=["ITEM_UID_1", "ITEM_UID_2"], print_templates=["TEMPLATE_UID_1"]
    )
    assert body_of(route) == {
        "order_items": ["ITEM_UID_1", "ITEM_UID_2"],
        "print_templates": ["TEMPLATE_UID_1"],
    }
    assert batch.uid == "BATCH_ORDER_UID"
    assert batch.status is BatchOrderStatus.BATCHING

    route.respond(json={"uid": "B2", "status": "Archived"})
    later = await oms.rest.batch_orders.create(order_items=["I"], print_templates=["T"])
    assert later.status == "Archived"
    assert later.status is not None
    assert not later.status.known
    assert isinstance(later.status, BatchOrderStatus)

    with pytest.raises(errors.ValidationError, match="print_templates is required"):
        await oms.rest.batch_orders.create(order_items=["I"], print_templates=[])
    assert route.call_count == 2


# -- errors -------------------------------------------------------------------------------


@respx.mock
@pytest.mark.parametrize(
    ("status", "cls", "calls"),
    [
        (400, errors.InvalidRequestError, 1),
        (401, errors.AuthenticationError, 1),
        (403, errors.PermissionDeniedError, 1),
        (404, errors.NotFoundError, 1),
        (429, errors.RateLimitError, 4),
        (500, errors.ServerError, 4),
        (503, errors.ServerError, 4),
    ],
)
async def test_http_errors_map_to_the_hierarchy(
    oms: omsclient.AsyncClient, status: int, cls: type[errors.ApiError], calls: int
) -> None:
    body: dict[str, Any] = {"message": f"problem {status} with Bearer {TOKEN}"}
    if status == 400:
        body["errors"] = {"items.0.quantity": ["The quantity must be at least 1."]}
    headers = {"retry-after": "0"} if status == 429 else {}
    route = respx.get(f"{ORDERS}/U").respond(status, json=body, headers=headers)
    with pytest.raises(cls) as info:
        await oms.rest.orders.get("U")
    error = info.value
    assert (error.status_code, error.method, error.path, error.operation) == (
        status,
        "GET",
        "/api/v1/orders/U",
        "rest.orders.get",
    )
    assert error.body["message"].startswith(f"problem {status}")
    for text in (str(error), repr(error), json.dumps(error.body)):
        assert TOKEN not in text
    if status == 400:
        assert error.field_errors == {"items.0.quantity": ["The quantity must be at least 1."]}
        assert "items.0.quantity" in str(error)
    assert route.call_count == calls


@respx.mock
async def test_a_list_of_field_errors_keeps_each_field_with_its_message(
    oms: omsclient.AsyncClient,
) -> None:
    # Errors as a list of objects naming their field: the field was dropped, leaving messages
    # such as "must be at least 1" with nothing to say which value was meant.
    body = {
        "message": "The given data was invalid.",
        "errors": [
            {"field": "items.0.quantity", "message": "must be at least 1"},
            {"field": "items.1.quantity", "message": "must be at least 1"},
            {"field": "items.0.quantity", "message": "must be an integer"},
            {"field": f"note {TOKEN}", "message": f"echoes Bearer {TOKEN}"},
            {"message": "the store is paused"},
            "a plain reason",
        ],
    }
    respx.post(ORDERS).respond(422, json=body)
    with pytest.raises(errors.InvalidRequestError) as info:
        await oms.rest.orders.create(ecommerce_order_id="O", items=[ITEM])
    error = info.value
    assert error.field_errors == {
        "items.0.quantity": ["must be at least 1", "must be an integer"],
        "items.1.quantity": ["must be at least 1"],
        "note [REDACTED]": ["echoes Bearer [REDACTED]"],
    }
    text = str(error)
    assert "The given data was invalid.; the store is paused; a plain reason" in text
    assert "items.0.quantity: must be at least 1, must be an integer" in text
    assert "items.1.quantity: must be at least 1" in text
    for shown in (text, repr(error), json.dumps(error.body), repr(error.field_errors)):
        assert TOKEN not in shown
    copy = pickle.loads(pickle.dumps(error))
    assert copy.field_errors == error.field_errors


@respx.mock
async def test_creates_are_retried_only_when_they_surely_did_not_arrive(
    oms: omsclient.AsyncClient,
) -> None:
    ok = httpx.Response(200, json={"uid": "U1"})
    route = respx.post(ORDERS).mock(side_effect=[httpx.Response(503), ok])
    with pytest.raises(errors.ServerError):
        await oms.rest.orders.create(ecommerce_order_id="O", items=[ITEM])
    assert route.call_count == 1

    route.side_effect = [httpx.ReadTimeout("slow"), ok]
    with pytest.raises(errors.RequestTimeoutError):
        await oms.rest.orders.create(ecommerce_order_id="O", items=[ITEM])
    assert route.call_count == 2

    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(429), ok]
    order = await oms.rest.orders.create(ecommerce_order_id="O", items=[ITEM])
    assert order.uid == "U1"
    assert route.call_count == 5

    # Reads and updates are idempotent: retried after a 503.
    put = respx.put(f"{ORDERS}/U1").mock(side_effect=[httpx.Response(503), ok])
    await oms.rest.orders.update("U1", note="n")
    assert put.call_count == 2


@respx.mock
async def test_answers_that_are_not_objects_are_decode_errors(
    oms: omsclient.AsyncClient,
) -> None:
    respx.get(f"{ORDERS}/LIST").respond(json=[1, 2])
    respx.get(f"{ORDERS}/NULL").respond(content=b"null")
    respx.get(f"{ORDERS}/EMPTY").respond(content=b"")
    respx.get(f"{ORDERS}/BAD").respond(json={"uid": "U", "items": "not a list"})
    respx.get(f"{ORDERS}/WRAPPED").respond(json={"data": {"uid": "WRAPPED"}})
    respx.delete(f"{ORDERS}/GONE").respond(204)
    # Named as JSON names them: the reader of the server's answer knows no "list" or "NoneType".
    with pytest.raises(errors.DecodeError, match="a JSON array where an object"):
        await oms.rest.orders.get("LIST")
    with pytest.raises(errors.DecodeError, match="a JSON null where an object"):
        await oms.rest.orders.get("NULL")  # it was "an empty body"
    with pytest.raises(errors.DecodeError, match="an empty body where JSON was expected"):
        await oms.rest.orders.get("EMPTY")
    with pytest.raises(errors.DecodeError, match="items"):
        await oms.rest.orders.get("BAD")
    assert (await oms.rest.orders.get("WRAPPED")).uid == "WRAPPED"
    deleted = await oms.rest.orders.delete("GONE")
    assert (deleted.message, deleted.order_uid) == (None, "GONE")


@respx.mock
@pytest.mark.parametrize("method", ["get", "delete"])
@pytest.mark.parametrize("kind", ["application/json", "Application/Problem+JSON; charset=utf-8"])
async def test_a_404_with_an_empty_body_labelled_json_is_not_found(
    oms: omsclient.AsyncClient, method: str, kind: str
) -> None:
    # An order already gone may be answered 404 with no body at all: that was a DecodeError
    # ("a body that is not JSON"), not the NotFoundError a caller catches.
    route = respx.route(method=method.upper(), url=f"{ORDERS}/GONE").respond(
        404, content=b"", headers={"content-type": kind}
    )
    with pytest.raises(errors.NotFoundError) as info:
        await getattr(oms.rest.orders, method)("GONE")
    assert (info.value.status_code, info.value.method) == (404, method.upper())
    assert route.call_count == 1


@respx.mock
@pytest.mark.parametrize(
    "headers", [{}, {"content-type": "text/plain"}, {"content-type": "text/html"}]
)
async def test_a_404_with_an_empty_body_not_labelled_json_is_a_wrong_url(
    oms: omsclient.AsyncClient, headers: dict[str, str]
) -> None:
    # What a proxy or framework answers for a route it does not know (Envoy, ASP.NET Core): with
    # a wrong rest_url, each delete was "not found", which code takes for "already deleted".
    respx.delete(f"{ORDERS}/GONE").respond(404, content=b"", headers=headers)
    with pytest.raises(errors.DecodeError) as info:
        await oms.rest.orders.delete("GONE")
    assert "check rest_url" in str(info.value)
    assert (info.value.status_code, info.value.transient) == (404, False)


# -- print files --------------------------------------------------------------------------

PRINT = f"{REST}/api/v1/order-items/ITEM-1/print"
FAST: dict[str, Any] = {"initial_interval": 0.001, "max_interval": 0.004}


def test_a_ready_print_file_whose_url_is_blanks_is_not_ready() -> None:
    # Taken for ready, its url "   " was handed out as the link to download.
    for url, ready in [("   ", False), ("", False), (None, False), ("https://f.test/a", True)]:
        answer = PrintFile(ecommerce_order_item_id="A", status=PrintFileStatus.READY, url=url)
        assert (answer.ready, answer.done) == (ready, ready)


@respx.mock
async def test_print_file_status_and_url(oms: omsclient.AsyncClient) -> None:
    route = respx.get(PRINT).mock(
        side_effect=[print_answer("processing"), print_answer("ready"), print_answer("queued")]
    )
    processing = await oms.rest.order_items.print_file("ITEM-1")
    assert processing.status is PrintFileStatus.PROCESSING
    assert processing.url is None
    assert not processing.done
    ready = await oms.rest.order_items.print_file("ITEM-1")
    assert ready.ready
    assert ready.url == "https://files.test/ITEM-1.pdf"
    unknown = await oms.rest.order_items.print_file("ITEM-1")
    assert unknown.status == "queued"
    assert unknown.status is not None
    assert not unknown.status.known
    assert not unknown.done
    assert route.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"


@respx.mock
async def test_an_unknown_status_is_shown_short_and_marked_unknown(
    oms: omsclient.AsyncClient,
) -> None:
    # A server may echo anything as the status, a login key or a token included: the repr
    # printed it whole, twice, where reprs elsewhere describe a long value instead.
    echoed = f"https://files.test/x.pdf?user[id]=5&key={'ab01' * 10}"
    weird = "on\x1b[2Jhold"
    respx.get(PRINT).mock(
        side_effect=[print_answer("on_hold"), print_answer(echoed), print_answer(weird)]
    )
    short = await oms.rest.order_items.print_file("ITEM-1")
    assert repr(short.status) == "<PrintFileStatus.UNKNOWN('on_hold')>"
    assert "UNKNOWN('on_hold')" in repr(short)
    for text in (echoed, weird):
        answer = await oms.rest.order_items.print_file("ITEM-1")
        assert answer.status == text
        assert answer.status is not None
        assert str(answer.status) == answer.status.value == text
        described = f"<PrintFileStatus.UNKNOWN(a string of {len(text)} characters)>"
        assert repr(answer.status) == described
        assert answer.status.name == f"UNKNOWN(a string of {len(text)} characters)"
        for shown in (repr(answer), repr(answer.status), answer.status.name):
            assert "ab01" not in shown
            assert "\x1b" not in shown
    assert repr(PrintFileStatus.READY) == "<PrintFileStatus.READY: 'ready'>"
    assert repr(BatchOrderStatus("Shipped")) == "<BatchOrderStatus.UNKNOWN('Shipped')>"


@pytest.mark.parametrize("enum", [PrintFileStatus, BatchOrderStatus, AddressType])
def test_unknown_values_are_not_kept_once_read(enum: type[TolerantEnum]) -> None:
    # Each unknown text was cached in the class for the life of the process: a worker polling
    # a server whose status says its progress ("processing 45 of 100") grew 736 bytes a poll,
    # and kept what a server echoed there.
    before = (len(enum._value2member_map_), len(enum._member_map_))
    statuses = [enum(f"processing {n} of 3000") for n in range(3000)]
    assert (len(enum._value2member_map_), len(enum._member_map_)) == before
    again = enum("processing 7 of 3000")
    assert again == statuses[7] == "processing 7 of 3000"
    assert hash(again) == hash(statuses[7])
    assert not again.known
    assert again in {statuses[7]}
    assert {str(s) for s in statuses} == {f"processing {n} of 3000" for n in range(3000)}


def test_the_waiters_interval_doubles_up_to_its_maximum(
    client_kwargs: dict[str, object],
) -> None:
    # Past the maximum, a wait of hours doubled on to polls an hour apart and more.
    polled: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        polled.append(trio.current_time())
        return print_answer("ready" if len(polled) == 7 else "processing")

    async def main() -> None:
        async with omsclient.AsyncClient(**client_kwargs) as oms:  # type: ignore[arg-type]
            await oms.rest.order_items.wait_for_print_file(
                "ITEM-1", timeout=600, initial_interval=1, max_interval=4
            )

    with respx.mock:
        respx.get(PRINT).mock(side_effect=answer)
        on_virtual_time(main)
    waits = [round(later - earlier, 3) for earlier, later in itertools.pairwise(polled)]
    assert waits == [1, 2, 4, 4, 4, 4]


@respx.mock
async def test_waiter_polls_until_ready(oms: omsclient.AsyncClient) -> None:
    route = respx.get(PRINT).mock(
        side_effect=[
            print_answer("received"),
            print_answer("processing"),
            print_answer("rendering"),
            print_answer("ready"),
        ]
    )
    result = await oms.rest.order_items.wait_for_print_file("ITEM-1", **FAST)
    assert result.ready
    assert result.url == "https://files.test/ITEM-1.pdf"
    assert route.call_count == 4


@respx.mock
async def test_waiter_reports_a_failed_print_file(oms: omsclient.AsyncClient) -> None:
    route = respx.get(PRINT).mock(
        side_effect=[print_answer("processing"), print_answer("processingfailed")]
    )
    with pytest.raises(PrintFileFailedError) as info:
        await oms.rest.order_items.wait_for_print_file("ITEM-1", **FAST)
    assert isinstance(info.value, errors.ApiError)
    assert info.value.item_id == "ITEM-1"
    assert info.value.print_file.failed
    assert "ITEM-1" in str(info.value)

    route.side_effect = [print_answer("processingfailed")]
    result = await oms.rest.order_items.wait_for_print_file(
        "ITEM-1", raise_on_failure=False, **FAST
    )
    assert result.status is PrintFileStatus.PROCESSING_FAILED


@respx.mock
async def test_waiter_times_out_with_a_clear_error(oms: omsclient.AsyncClient) -> None:
    route = respx.get(PRINT).mock(return_value=print_answer("processing"))
    with pytest.raises(PrintFileTimeoutError) as info:
        await oms.rest.order_items.wait_for_print_file(
            "ITEM-1", timeout=0.5, initial_interval=0.001, max_interval=0.002
        )
    error = info.value
    assert isinstance(error, errors.RequestTimeoutError)
    assert isinstance(error, TimeoutError)
    assert error.pending == ["ITEM-1"]
    assert error.print_files["ITEM-1"].status is PrintFileStatus.PROCESSING
    assert error.attempts >= 1
    assert "ITEM-1" in str(error)
    assert "processing" in str(error)
    assert route.call_count >= 1


@respx.mock
async def test_waiting_for_many_keeps_order_and_bounds_concurrency(
    oms: omsclient.AsyncClient,
) -> None:
    polls: dict[str, int] = {}
    in_flight = 0
    peak = 0

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        item = request.url.path.split("/")[-2]
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.001)
        in_flight -= 1
        polls[item] = polls.get(item, 0) + 1
        # Item N is ready on poll N + 1, so they finish out of order.
        status = "ready" if polls[item] > int(item.split("-")[1]) % 3 else "processing"
        return print_answer(status, item)

    respx.get(url__regex=rf"{REST}/api/v1/order-items/.+/print").mock(side_effect=answer)
    ids = [f"IT-{n}" for n in range(10)]
    results = await oms.rest.order_items.wait_for_print_files([*ids, "IT-0"], concurrency=3, **FAST)
    assert [r.ecommerce_order_item_id for r in results] == [*ids, "IT-0"]
    assert all(isinstance(r, PrintFile) and r.ready for r in results)
    assert peak == 3
    assert polls["IT-0"] == 1
    assert polls["IT-2"] == 3


@respx.mock
async def test_an_item_asked_as_a_number_and_as_its_text_is_polled_once(
    oms: omsclient.AsyncClient,
) -> None:
    route = respx.get(f"{REST}/api/v1/order-items/7/print").mock(
        return_value=print_answer("ready", "7")
    )
    results = await oms.rest.order_items.wait_for_print_files([7, "7", 7], **FAST)  # type: ignore[list-item]
    assert [r.ecommerce_order_item_id for r in results] == ["7", "7", "7"]
    assert route.call_count == 1


@respx.mock
async def test_waiting_for_many_stops_at_the_first_failure_or_returns_it(
    oms: omsclient.AsyncClient,
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        item = request.url.path.split("/")[-2]
        return print_answer("processingfailed" if "fail" in item else "ready", item)

    respx.get(url__regex=rf"{REST}/api/v1/order-items/.+/print").mock(side_effect=answer)
    with pytest.raises(PrintFileFailedError, match="B-fail"):
        await oms.rest.order_items.wait_for_print_files(["A", "B-fail", "C"], **FAST)
    results = await oms.rest.order_items.wait_for_print_files(
        ["A", "B-fail", "C"], raise_on_failure=False, **FAST
    )
    assert [r.status for r in results] == ["ready", "processingfailed", "ready"]


@respx.mock
async def test_waiting_for_many_times_out_listing_what_is_pending(
    oms: omsclient.AsyncClient,
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        item = request.url.path.split("/")[-2]
        return print_answer("ready" if item == "A" else "received", item)

    respx.get(url__regex=rf"{REST}/api/v1/order-items/.+/print").mock(side_effect=answer)
    with pytest.raises(PrintFileTimeoutError, match="'B' and 1 more") as info:
        await oms.rest.order_items.wait_for_print_files(["A", "B", "C"], timeout=0.5, **FAST)
    assert info.value.pending == ["B", "C"]
    assert f"({info.value.attempts} polling rounds," in str(info.value)
    # One round, the next poll due after the timeout: not "1 polling rounds".
    with pytest.raises(PrintFileTimeoutError, match=r"\(1 polling round, last status"):
        await oms.rest.order_items.wait_for_print_files(
            ["B"], timeout=0.05, initial_interval=1, max_interval=1
        )
    assert info.value.print_files["A"].ready


@respx.mock
async def test_a_failure_keeps_the_answers_received(oms: omsclient.AsyncClient) -> None:
    polls: dict[str, int] = {}

    def answer(request: httpx.Request, item: str) -> httpx.Response:
        polls[item] = polls.get(item, 0) + 1
        if item == "A":
            return print_answer("ready", item)
        if item == "X":
            return not_found(item)
        failed = item == "F" or (item == "B" and polls[item] > 1)
        status = "processingfailed" if failed else "processing"
        return print_answer(status, item)

    respx.get(url__regex=EVERY_PRINT).mock(side_effect=answer)
    with pytest.raises(PrintFileFailedError) as info:
        await oms.rest.order_items.wait_for_print_files(["A", "B", "C", "D"], concurrency=1, **FAST)
    error = info.value
    assert error.item_id == "B"
    assert error.print_files["A"].url == "https://files.test/A.pdf"
    assert error.print_files["B"].failed
    assert error.print_files["C"].status is PrintFileStatus.PROCESSING
    assert error.pending == ["C", "D"]  # D not polled again before the failure stopped it
    assert polls == {"A": 1, "B": 2, "C": 1, "D": 1}

    # A 404 earlier in the round the failure stops: the item stays pending, not dropped.
    with pytest.raises(PrintFileFailedError) as info:
        await oms.rest.order_items.wait_for_print_files(["X", "F", "C"], concurrency=1, **FAST)
    assert info.value.pending == ["X", "C"]
    assert set(info.value.print_files) == {"F"}


def not_found(item: str) -> httpx.Response:
    return httpx.Response(404, json={"message": f"Order item {item} not found."})


@respx.mock
async def test_the_one_item_waiter_names_itself_in_its_errors(
    oms: omsclient.AsyncClient,
) -> None:
    # Its errors name the method called, not the many-item waiter it shares its polling with.
    one = "rest.order_items.wait_for_print_file"
    waiter = oms.rest.order_items.wait_for_print_file
    respx.get(PRINT).mock(return_value=not_found("ITEM-1"))
    with pytest.raises(omsclient.rest.PrintFileNotFoundError) as missing:
        await waiter("ITEM-1", **FAST)
    respx.get(PRINT).mock(return_value=print_answer("processing"))
    with pytest.raises(PrintFileTimeoutError) as late:
        await waiter("ITEM-1", timeout=0.05, **FAST)
    for error in (missing.value, late.value):
        assert error.operation == one
        assert str(error).startswith(f"{one}: ")
    with pytest.raises(errors.ValidationError, match=rf"^{one}: timeout must be a positive"):
        await waiter("ITEM-1", timeout=0)
    with pytest.raises(errors.ValidationError, match=rf"^{one}: "):
        await waiter("", **FAST)


@respx.mock
async def test_an_unknown_item_is_named_and_every_answer_is_kept(
    oms: omsclient.AsyncClient,
) -> None:
    answers = {"A": "ready", "B": "received", "C": "ready"}
    route = respx.get(url__regex=EVERY_PRINT).mock(
        side_effect=lambda request, item: (
            print_answer(answers[item], item) if item in answers else not_found(item)
        )
    )
    with pytest.raises(errors.NotFoundError) as info:
        await oms.rest.order_items.wait_for_print_files(
            ["A", "X", "B", "Y", "C"], concurrency=1, **FAST
        )
    error = info.value
    assert isinstance(error, omsclient.rest.PrintFileNotFoundError)
    # The round goes on after the first 404: every unknown item is named at once.
    assert error.missing_ids == ["X", "Y"]
    assert route.call_count == 5
    assert set(error.print_files) == {"A", "B", "C"}
    assert error.print_files["A"].url == "https://files.test/A.pdf"
    assert error.print_files["C"].ready
    assert error.pending == ["B"]
    assert error.status_code == 404
    assert error.response is not None
    assert error.response.status_code == 404
    assert error.path == "/api/v1/order-items/X/print"
    assert error.operation == "rest.order_items.wait_for_print_files"
    assert "'X' and 1 more" in str(error)
    assert isinstance(error.__cause__, errors.NotFoundError)


@respx.mock
async def test_an_item_unknown_in_a_later_round_keeps_the_others(
    oms: omsclient.AsyncClient,
) -> None:
    polls: dict[str, int] = {}

    def answer(request: httpx.Request, item: str) -> httpx.Response:
        polls[item] = polls.get(item, 0) + 1
        if item == "GONE" and polls[item] > 1:
            return not_found(item)  # e.g. its order was deleted while waiting
        return print_answer("ready" if item == "A" else "processing", item)

    respx.get(url__regex=EVERY_PRINT).mock(side_effect=answer)
    with pytest.raises(errors.NotFoundError) as info:
        await oms.rest.order_items.wait_for_print_files(["A", "GONE", "B"], **FAST)
    error = info.value
    assert isinstance(error, omsclient.rest.PrintFileNotFoundError)
    assert error.missing_ids == ["GONE"]
    assert error.pending == ["B"]
    assert error.print_files["A"].ready
    assert error.print_files["B"].status is PrintFileStatus.PROCESSING
    assert "GONE" not in error.print_files  # its "processing" of round 1 is out of date
    assert polls == {"A": 1, "GONE": 2, "B": 2}


@respx.mock
async def test_one_unknown_item_alone(oms: omsclient.AsyncClient) -> None:
    respx.get(url__regex=EVERY_PRINT).respond(
        404, json={"message": f"No item for Authorization: Bearer {TOKEN}"}
    )
    with pytest.raises(errors.NotFoundError) as info:
        await oms.rest.order_items.wait_for_print_file("X", **FAST)
    error = info.value
    assert isinstance(error, omsclient.rest.PrintFileNotFoundError)
    assert (error.missing_ids, error.pending, error.print_files) == (["X"], [], {})
    assert "'X'" in str(error)
    assert error.maybe_applied is False
    assert TOKEN not in repr(error.body) + str(error.__cause__)
    assert error.response is not None
    assert TOKEN not in error.response.text


@respx.mock
async def test_an_unknown_item_wins_over_a_timeout_cutting_its_round(
    oms: omsclient.AsyncClient,
) -> None:
    async def answer(request: httpx.Request, item: str) -> httpx.Response:
        if item == "SLOW":
            await anyio.sleep(10)
        return not_found(item) if item == "X" else print_answer("ready", item)

    respx.get(url__regex=EVERY_PRINT).mock(side_effect=answer)
    with anyio.fail_after(5), pytest.raises(errors.NotFoundError) as info:
        await oms.rest.order_items.wait_for_print_files(["A", "X", "SLOW"], timeout=0.3, **FAST)
    error = info.value
    assert isinstance(error, omsclient.rest.PrintFileNotFoundError)
    assert error.missing_ids == ["X"]
    assert error.pending == ["SLOW"]
    assert error.print_files["A"].ready


@respx.mock
async def test_a_ready_item_is_not_polled_again(oms: omsclient.AsyncClient) -> None:
    polls: dict[str, int] = {}

    def answer(request: httpx.Request, item: str) -> httpx.Response:
        polls[item] = polls.get(item, 0) + 1
        if item == "A":
            # Were it polled again after its ready answer, it would be unknown.
            return print_answer("ready", item) if polls[item] == 1 else not_found(item)
        return print_answer("ready" if polls[item] > 2 else "processing", item)

    respx.get(url__regex=EVERY_PRINT).mock(side_effect=answer)
    files = await oms.rest.order_items.wait_for_print_files(["A", "B", "A"], **FAST)
    assert [f.ready for f in files] == [True, True, True]
    assert polls == {"A": 1, "B": 3}


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(401, errors.AuthenticationError), (500, errors.ServerError)],
)
@respx.mock
async def test_a_refused_poll_mid_wait_raises_its_own_error(
    oms: omsclient.AsyncClient, status: int, error_type: type[Exception]
) -> None:
    polls: dict[str, int] = {}

    def answer(request: httpx.Request, item: str) -> httpx.Response:
        polls[item] = polls.get(item, 0) + 1
        if item == "B" and polls[item] > 1:
            return httpx.Response(status, json={"message": "no"})
        return print_answer("ready" if item == "A" else "processing", item)

    respx.get(url__regex=EVERY_PRINT).mock(side_effect=answer)
    with pytest.raises(error_type) as info:
        await oms.rest.order_items.wait_for_print_files(["A", "B"], **FAST)
    # Not an error about the item: raised as itself, as from any other call.
    assert type(info.value) is error_type
    assert polls["B"] == (5 if status == 500 else 2)  # a 500 is retried 3 times


async def test_waiter_arguments_are_checked(oms: omsclient.AsyncClient) -> None:
    items = oms.rest.order_items
    with pytest.raises(errors.ValidationError, match="timeout"):
        await items.wait_for_print_file("I", timeout=0)
    with pytest.raises(errors.ValidationError, match="max_interval"):
        await items.wait_for_print_file("I", initial_interval=2, max_interval=1)
    with pytest.raises(errors.ValidationError, match="concurrency"):
        await items.wait_for_print_files(["I"], concurrency=0)
    with pytest.raises(errors.ValidationError, match="list of item ids"):
        await items.wait_for_print_files("I")
    assert await items.wait_for_print_files([]) == []


# -- the blocking client ------------------------------------------------------------------


@respx.mock
def test_the_blocking_client_reaches_every_resource(client_kwargs: dict[str, Any]) -> None:
    respx.get(f"{ORDERS}/U").respond(json={"uid": "U"})
    respx.get(PRINT).mock(side_effect=[print_answer("received"), print_answer("ready")])
    with omsclient.Client(**client_kwargs) as oms:
        assert oms.rest.orders.get("U").uid == "U"
        assert oms.rest.order_items.wait_for_print_file("ITEM-1", **FAST).ready


def test_rest_models_print_their_identifying_fields_only() -> None:
    from rich.pretty import pretty_repr

    from omsclient._decoding import structure
    from omsclient.rest.models import Deletion, Order, PrintFile

    signed = "https://cdn.example/f.pdf?X-Amz-Signature=0123456789abcdef"
    print_file = structure(
        {"ecommerce_order_item_id": "1", "status": "ready", "url": signed}, PrintFile
    )
    assert repr(print_file) == (
        "PrintFile(ecommerce_order_item_id='1', status=<PrintFileStatus.READY: 'ready'>, ...)"
    )
    order = structure(
        {"uid": "U1", "ecommerce_order_id": "E1", "customer": {"email": "ann@example.com"}}, Order
    )
    assert repr(order) == "Order(uid='U1', ecommerce_order_id='E1', ...)"
    assert "ann@example.com" not in repr(order) + str(order) + repr(order.customer)
    assert print_file.url == signed  # still on the attribute
    # A delete's answer printed every key the server sent, a document's URL among them.
    deletion = structure({"message": "ok", "order_uid": "U1", "doc": signed}, Deletion)
    assert repr(deletion) == (
        "Deletion(order_uid='U1', category_id=None, product_id=None, variant_id=None, ...)"
    )
    # rich prints an attrs class field by field, whatever its __repr__, unless told otherwise.
    for model in (print_file, order, order.customer, deletion):
        assert pretty_repr(model, max_width=10_000) == repr(model)


@pytest.mark.parametrize("body", [[1, 2], {"uid": [1]}], ids=["not an object", "does not fit"])
@respx.mock
async def test_an_answer_that_is_no_model_carries_its_response_and_is_not_retried(
    oms: omsclient.AsyncClient, body: object
) -> None:
    route = respx.get(f"{REST}/api/v1/orders/X").respond(json=body)
    with pytest.raises(errors.DecodeError) as caught:
        await oms.rest.orders.get("X")
    error = caught.value
    assert error.response is not None
    assert error.response.status_code == 200
    assert error.attempts == 1
    assert error.transient is False  # the server would send the same answer again
    assert route.call_count == 1


EVERY_PRINT = rf"{REST}/api/v1/order-items/(?P<item>[^/]+)/print"


@respx.mock
async def test_the_waiters_errors_quote_no_echoed_token(oms: omsclient.AsyncClient) -> None:
    # Built by the waiter, not by a request: they still go through the redactor.
    respx.get(url__regex=EVERY_PRINT).mock(
        side_effect=lambda request, item: httpx.Response(
            200,
            json={
                "ecommerce_order_item_id": item,
                "status": "processingfailed" if item == "A" else f"queued (token {TOKEN})",
                "url": None,
                "error": f"renderer refused Authorization: Bearer {TOKEN}",
            },
        )
    )
    with pytest.raises(PrintFileFailedError) as failed:
        await oms.rest.order_items.wait_for_print_file("A", **FAST)
    assert TOKEN not in repr(failed.value.body)
    assert TOKEN not in str(failed.value) + repr(failed.value)
    with pytest.raises(PrintFileTimeoutError) as late:
        await oms.rest.order_items.wait_for_print_file("B", timeout=0.05, **FAST)
    assert TOKEN not in str(late.value)
    assert "[REDACTED]" in str(late.value)


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        (
            OrderItem(**{**ITEM, "properties": {1: "front"}}),
            r"items\[0\]\.properties has a key of type int",
        ),
        # A dict item's mappings were read as an answer is: the key made text ({1: "a", "1":
        # "b"} sent as {"1": "b"}), an object of indexes taken for the thumbnails' array.
        (
            {**ITEM, "properties": {1: "a", "1": "b"}},
            r"items\[0\]\.properties has a key of type int",
        ),
        (
            {**ITEM, "properties": {"a": {2: "b"}}},
            r"items\[0\]\.properties\.a has a key of type int",
        ),
        (
            {**ITEM, "thumbnails": {"1": "https://cdn.test/b.png"}},
            r"items\[0\]\.thumbnails must be a list, got dict",
        ),
        ({**ITEM, "properties": {"price": Decimal("1.50")}}, r"properties\.price is a Decimal"),
        ({**ITEM, "properties": {"sizes": {"S", "M"}}}, r"properties\.sizes is a set"),
        (
            OrderItem(**{**ITEM, "template_config": {1: "front"}}),
            r"items\[0\]\.template_config has a key of type int",
        ),
        (
            {**ITEM, "template_config": {"scale": Decimal("1.5")}},
            r"template_config\.scale is a Decimal",
        ),
        # Under an unknown key it was written out as a float, 12345678901234567890.123 sent
        # as 1.2345678901234567e19 (a known number field refuses a Decimal).
        (
            {**ITEM, "cost": Decimal("12345678901234567890.123")},
            r"items\[0\]\.cost is a Decimal",
        ),
        (
            OrderItem(**ITEM, extra={"costs": [1, {"unit": Decimal("1.50")}]}),
            r"items\[0\]\.costs\[1\]\.unit is a Decimal",
        ),
    ],
    ids=[
        "int-key",
        "dict-int-key",
        "dict-nested-int-key",
        "dict-thumbnails-object",
        "decimal",
        "set",
        "template-int-key",
        "template-decimal",
        "unknown-key-decimal",
        "extra-decimal",
    ],
)
@respx.mock
async def test_a_value_json_cannot_carry_is_a_validation_error_naming_it(
    oms: omsclient.AsyncClient, item: Any, problem: str
) -> None:
    # orjson would raise a bare TypeError naming no field ("Dict key must be str").
    route = respx.post(f"{REST}/api/v1/orders").respond(json={"uid": "U"})
    with pytest.raises(omsclient.ValidationError, match=problem):
        await oms.rest.orders.create(ecommerce_order_id="O-1", items=[item])
    assert not route.called


@respx.mock
async def test_values_the_encoder_writes_are_still_sent(oms: omsclient.AsyncClient) -> None:
    route = respx.post(f"{REST}/api/v1/orders").respond(json={"uid": "U"})
    when = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)
    await oms.rest.orders.create(
        ecommerce_order_id="O-1", items=[{**ITEM, "properties": {"at": when}}]
    )
    sent = json.loads(route.calls.last.request.content)
    assert sent["items"][0]["properties"]["at"].startswith("2026-11-29T10:00:00")


@respx.mock
async def test_a_datetime_in_properties_keeps_its_offset_as_everywhere_else_in_a_body(
    oms: omsclient.AsyncClient,
) -> None:
    # properties wrote the legacy API's form, UTC with no marker ("2024-06-01T10:00:00"), where
    # an unknown key and template_config wrote the offset: a shop reading it as local time was
    # two hours off, and could not tell it from a naive one.
    route = respx.post(f"{REST}/api/v1/orders").respond(json={"uid": "U"})
    aware = datetime(2024, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    naive = datetime(2024, 6, 1, 12, 0, 0, 500)
    values = {"aware": aware, "naive": naive, "nested": [{"day": aware.date()}]}
    item = OrderItem(**{**ITEM, "properties": values})
    item.extra["ship_by"] = aware
    await oms.rest.orders.create(ecommerce_order_id="O-1", items=[item])
    sent = json.loads(route.calls.last.request.content)["items"][0]
    written = {
        "aware": "2024-06-01T12:00:00+02:00",
        "naive": "2024-06-01T12:00:00.000500",
        "nested": [{"day": "2024-06-01"}],
    }
    assert sent["properties"] == written
    assert sent["ship_by"] == "2024-06-01T12:00:00+02:00"
    # to_dict writes the same text, so json.dumps takes its result.
    data = omsclient.to_dict(item)
    assert (data["properties"], data["ship_by"]) == (written, "2024-06-01T12:00:00+02:00")
    assert json.loads(json.dumps(data)) == data


@respx.mock
async def test_a_categorys_uids_keep_their_text(oms: omsclient.AsyncClient) -> None:
    respx.get(f"{REST}/api/v1/product-categories/5").respond(
        json={"id": 5, "name": "Mugs", "parent_id": "0042", "default_location_id": "0007"}
    )
    category = await oms.rest.categories.get(5)
    assert (category.parent_id, category.default_location_id) == ("0042", "0007")


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("12", 12),
        (12, 12),
        ("9223372036854775807", 2**63 - 1),
        ("0042", "0042"),
        ("9223372036854775808", "9223372036854775808"),
        ("123456789012345678901234", "123456789012345678901234"),
        ("5ef622b3-d6ab-4bdb-9937-b268813f031a", "5ef622b3-d6ab-4bdb-9937-b268813f031a"),
    ],
)
@respx.mock
async def test_a_products_category_id_that_is_an_integers_text_is_sent_as_the_integer(
    oms: omsclient.AsyncClient, given: int | str, sent: int | str
) -> None:
    # The spec types it as an integer in a product's body: "12" read from a CSV was refused by
    # a server checking types. Any other text is a category's UID, sent as it is.
    create = respx.post(f"{REST}/api/v1/products").respond(json={"id": 1})
    update = respx.put(f"{REST}/api/v1/products/1").respond(json={"id": 1})
    await oms.rest.products.create(
        category_id=given, name="n", order_column=1, active=True, team_id=1
    )
    await oms.rest.products.update(1, category_id=given)
    assert body_of(create)["category_id"] == sent
    assert body_of(update) == {"category_id": sent}


async def test_a_products_category_id_given_as_text_is_taken_by_the_sandbox(
    oms_sandbox: SandboxInfo,
) -> None:
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        category = await oms.rest.categories.create(name="Mugs")
        assert category.id is not None
        product = await oms.rest.products.create(
            category_id=str(category.id), name="Mug", order_column=1, active=True, team_id=1
        )
        assert product.category_id == category.id


@respx.mock
async def test_a_category_id_sent_as_text_names_the_same_category_again(
    oms: omsclient.AsyncClient,
) -> None:
    # A category's id is a UID in the spec: "0042" read as 42 sent the update to another one,
    # and an id past 64 bits was refused before sending.
    for uid in ("0042", "123456789012345678901234"):
        respx.get(f"{REST}/api/v1/product-categories/{uid}").respond(json={"id": uid, "name": "M"})
        update = respx.put(f"{REST}/api/v1/product-categories/{uid}").respond(
            json={"id": uid, "name": "N"}
        )
        category = await oms.rest.categories.get(uid)
        assert category.id == uid
        assert category.id is not None
        await oms.rest.categories.update(category.id, name="N")
        assert update.called


@respx.mock
@pytest.mark.parametrize("hung", [False, True], ids=["between-polls", "mid-poll"])
async def test_closing_the_client_stops_a_print_file_waiter_at_once(
    client_kwargs: dict[str, Any], hung: bool
) -> None:
    # Between polls the waiter slept on (30 s by default) and then failed naming its poll.
    async def answer(request: httpx.Request) -> httpx.Response:
        if hung:
            await anyio.sleep(60)
        return print_answer("processing")

    respx.get(PRINT).mock(side_effect=answer)
    oms = omsclient.AsyncClient(**client_kwargs)
    caught: list[BaseException] = []

    async def wait() -> None:
        try:
            await oms.rest.order_items.wait_for_print_file(
                "ITEM-1", initial_interval=60, max_interval=60
            )
        except omsclient.OmsError as exc:
            caught.append(exc)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            await anyio.sleep(0.2)
            closed_at = anyio.current_time()
            await oms.aclose()
        assert anyio.current_time() - closed_at < 5
    assert [type(e) for e in caught] == [errors.ClientClosedError]
    assert str(caught[0]) == (
        "rest.order_items.wait_for_print_file: the client was closed during this call"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"text":"A+B"}', {"text": "A+B"}),
        ('{"price":"50%25 off"}', {"price": "50%25 off"}),
    ],
)
def test_a_raw_json_template_config_is_read_as_written(raw: str, expected: dict) -> None:
    # docs/rest.md: a config given or received "as raw JSON" is that JSON; URL-decoding it
    # too would read "A+B" as "A B" and "%25" as "%", and an edit of another key would
    # send the altered text back.
    config = TemplateConfig.from_raw(raw)
    assert config.problem is None
    assert dict(config) == expected
    config["other"] = 1
    edited = TemplateConfig.from_raw(config.encode())
    assert dict(edited) == {**expected, "other": 1}
