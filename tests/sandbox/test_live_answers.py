"""The sandbox answers as LIVE-SERVER.md and the vendor docs say the live server does.

Every test here requests a sandbox served over a real socket with plain httpx, and checks the
answer against the facts as written, never against what the sandbox's own renderer makes.
"""

from __future__ import annotations

import re
import tracemalloc
from typing import Any

import httpx
import pytest

import omsclient
from omsclient import errors
from omsclient.legacy import Condition, Op, OrderField

from ._support import ALL_ORDERS, AUTH, FIND


def _find(info: Any, **params: str) -> Any:
    with httpx.Client(base_url=info.url, timeout=30) as client:
        response = client.post(FIND, data={**AUTH, **params})
    assert response.status_code == 200
    return response.json()


def test_every_field_option_carries_price_and_cost(oms_sandbox: Any) -> None:
    # LIVE-SERVER.md: "on size and field options `price` and `cost`", not only on sizes.
    body = _find(oms_sandbox, **ALL_ORDERS)
    options = [
        (field["field_name"], option)
        for order in body["orders"]
        for line in order["order_lines"]
        for field in line["fields"]
        for option in field["options"]
    ]
    assert {name for name, _ in options} >= {"Size", "Ink Color"}
    for name, option in options:
        assert isinstance(option.get("price"), (int, float)), (name, option)
        assert isinstance(option.get("cost"), (int, float)), (name, option)


async def test_the_sdk_reads_the_price_and_cost_of_field_options(oms_sandbox: Any) -> None:
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        page = await oms.legacy.orders.search(Condition(OrderField.INVOICE_NUMBER, Op.GT, string=0))
    options = [
        option
        for order in page.items
        for line in order.order_lines
        for field in line.fields
        if field.field_name == "Ink Color"
        for option in field.options
    ]
    assert options
    assert all(o.price is not None and o.cost is not None for o in options)


def test_a_far_condition_number_is_answered_without_counting_up_to_it(oms_sandbox: Any) -> None:
    # A condition numbered far past the others (any number a client writes) had the server
    # build a list that long before answering, for ever at 10**12; the answer, as for any
    # gap, names the first missing condition.
    tracemalloc.start()
    try:
        body = _find(
            oms_sandbox,
            **{
                "conditions[1][field]": "3",
                "conditions[1][condition]": "4",
                "conditions[1][string]": "0",
                "conditions[1000000][field]": "3",
            },
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert body == {
        "response_status": {
            "code": 50003,
            "severity": "ERROR",
            "description": "Condition 2 'field' is missing",
        }
    }
    assert peak < 16 << 20


TOKEN_HEADER = {"Authorization": "Bearer tk-sandbox-1"}
ITEM = {
    "ecommerce_order_item_id": "PHP-1",
    "ecommerce_variant_id": "VAR-1",
    "quantity": 1,
    "template_config": "%7B%7D",
    "thumbnails": ["https://cdn.example/t.png"],
}


def test_rest_answers_encode_an_empty_object_as_php_does(oms_sandbox: Any) -> None:
    # The server is PHP: json_encode writes an empty array, what an empty JSON object
    # becomes, as [] (docs/rest.md); a PHP client sends an empty object the same way.
    with httpx.Client(base_url=oms_sandbox.url, headers=TOKEN_HEADER, timeout=30) as client:
        created = client.post(
            "/api/v1/orders",
            json={
                "store_id": "1",
                "ecommerce_order_id": "PHP-ORDER",
                "customer": {},
                "items": [
                    {**ITEM, "properties": {}},
                    {**ITEM, "ecommerce_order_item_id": "PHP-2", "properties": []},
                ],
            },
        )
        assert created.status_code == 200, created.text
        fetched = client.get(f"/api/v1/orders/{created.json()['uid']}")
    for answer in (created.json(), fetched.json()):
        assert answer["customer"] == []
        assert [item["properties"] for item in answer["items"]] == [[], []]


async def test_the_sdk_reads_php_empty_objects_from_the_sandbox(oms_sandbox: Any) -> None:
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        order = await oms.rest.orders.create(
            ecommerce_order_id="PHP-SDK", customer={}, items=[{**ITEM, "properties": {}}]
        )
        again = await oms.rest.orders.get(order.uid)
    for read in (order, again):
        assert read.customer is None
        assert read.items[0].properties == {}


LONG = "1" * 5000  # past int()'s 4,300 digits, and any 64-bit id


def test_a_number_too_long_for_any_id_is_an_api_error_not_a_crash(oms_sandbox: Any) -> None:
    with httpx.Client(base_url=oms_sandbox.url, timeout=30) as client:
        for path in ("products", "product-variants", "product-categories"):
            response = client.get(f"/api/v1/{path}/{LONG}", headers=TOKEN_HEADER)
            assert response.status_code == 404, (path, response.text)
            assert response.json()["message"].endswith(" not found.")

        def legacy(path: str, **params: str) -> Any:
            query = {"id": params.pop("id")} if "id" in params else {}
            response = client.post(f"/api/json/{path}", params=query, data={**AUTH, **params})
            assert response.status_code == 200, (params, response.text)
            return response.json()["response_status"]["code"]

        assert legacy("manage_orders/find", **ALL_ORDERS, limit=LONG) == 50004
        assert legacy("manage_orders/find", **ALL_ORDERS, offset=LONG) == 50004
        assert legacy("manage_orders/find", field="4", condition="1", string=LONG) == 50005
        assert legacy("manage_orders/find", field="3", condition="1", string="INV" + LONG) == 50005
        assert legacy("manage_orders/find", **{f"conditions[{LONG}][field]": "3"}) == 50005
        assert legacy("manage_products/get", id=LONG) == 50005
        update = "manage_orders/update_order_status"
        assert legacy(update, order_id="INV" + LONG, new_status="2") == 50005
        assert legacy(update, order_id="INV10001", new_status="2", qty=LONG) == 50005


async def test_the_sdk_reports_a_long_id_as_not_found(oms_sandbox: Any) -> None:
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        with pytest.raises(errors.NotFoundError):
            await oms.rest.categories.get(LONG)  # a category's may be a UID of any length
        # A product's id is a 64-bit integer in paths: refused before sending.
        with pytest.raises(errors.ValidationError, match="64-bit"):
            await oms.rest.products.get(LONG)
    assert [r.status for r in oms_sandbox.state.requests] == [404]


KEYED_URL = re.compile(r"https://\S+\?user\[id\]=[0-9]+&key=[0-9a-f]{40}")


def test_every_document_download_url_carries_the_login_key(oms_sandbox: Any) -> None:
    # LIVE-SERVER.md: document download URLs carry ?user[id]=<number>&key=<40 hex>. On a live
    # order that is each of them: the order's PDFs, an area's proof, and a process's production,
    # edit and source files alike.
    def urls(order: dict[str, Any]) -> list[str]:
        found = [order[k] for k in ("order_proof_pdf_url", "quote_pdf_url", "production_pdf_url")]
        for line in order["order_lines"]:
            for view in line["views"]:
                for area in view["areas"]:
                    found.append(area["proof_url"])
                    for process in area["processes"]:
                        found += [process[k] for k in ("production_file_url", "edit_file_url")]
                        found.append(process["source_file_url"])
        return found

    keyed = _find(oms_sandbox, **ALL_ORDERS)["orders"]
    bad = [url for order in keyed for url in urls(order) if not KEYED_URL.fullmatch(url)]
    assert bad == []
    skipped = _find(oms_sandbox, **ALL_ORDERS, skip_login_token="1")["orders"]
    assert [url for order in skipped for url in urls(order) if "key=" in url] == []


LIVE_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.000\+00:00")


def test_a_field_without_a_date_sends_date_value_null(oms_sandbox: Any) -> None:
    # LIVE-SERVER.md: unset dates are null, not left out; and both order docs show date_value
    # on every field, a size included.
    fields = [
        field
        for order in _find(oms_sandbox, **ALL_ORDERS)["orders"]
        for line in order["order_lines"]
        for field in line["fields"]
    ]
    values = [field.get("date_value", "absent") for field in fields]
    assert None in values
    assert [v for v in values if v is not None and not LIVE_DATE.fullmatch(v)] == []


def test_unset_field_values_and_gateway_codes_are_null_as_on_the_live_order(
    oms_sandbox: Any,
) -> None:
    # The live order LIVE-SERVER.md cites (WorkwithMarque's): its size field carries
    # "string_value": null and "file_value_url": null, and its payment taken in person
    # "code": "custom_415651" with null driver codes, beside "payment_type_name": "In Person".
    orders = _find(oms_sandbox, **ALL_ORDERS)["orders"]
    fields = [f for o in orders for line in o["order_lines"] for f in line["fields"]]
    for key in ("string_value", "file_value_url"):
        values = [field.get(key, "absent") for field in fields]
        assert "absent" not in values, key
        assert None in values, key
        assert any(isinstance(v, str) for v in values), key
    in_person = [o for o in orders if o["payment_details"]["payment_type_name"] == "In Person"]
    assert in_person
    assert len(in_person) < len(orders)
    for order in in_person:
        (payment,) = order["payments"]
        assert payment["code"] == f"custom_{order['payment_details']['payment_type_id']}"
        assert (payment["driver_code"], payment["driver_sub_code"]) == (None, None)


async def test_the_sdk_reads_null_gateway_codes_from_the_sandbox(oms_sandbox: Any) -> None:
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        page = await oms.legacy.orders.search(Condition(OrderField.INVOICE_NUMBER, Op.GT, string=0))
    codes = {(p.driver_code, p.driver_sub_code) for o in page.items for p in o.payments}
    assert codes == {(None, None), ("stripe", "card")}


def test_orders_carry_the_keys_the_docs_leave_out(oms_sandbox: Any) -> None:
    # LIVE-SERVER.md: created_by (an operator object), is_priority (boolean), item_type on
    # lines (0, 25, 26), and product_color objects that may lack the colors array.
    orders = _find(oms_sandbox, **ALL_ORDERS)["orders"]
    for order in orders:
        assert {"id", "login", "firstname", "lastname"} <= set(order["created_by"])
        assert isinstance(order["is_priority"], bool)
    lines = [line for order in orders for line in order["order_lines"]]
    assert {line["item_type"] for line in lines} == {0, 25, 26}
    assert {"colors" in line["product_color"] for line in lines} == {True, False}


def test_unset_po_number_and_rush_fee_are_sent_empty_as_on_a_live_order(oms_sandbox: Any) -> None:
    # LIVE-SERVER.md's live order carries "customer_po_number": "", "rush_order_fee": "" and
    # "rush_order_fee_amount": 0; the sandbox left the keys out of 70-90 % of its orders.
    orders = _find(oms_sandbox, **ALL_ORDERS)["orders"]
    for order in orders:
        assert isinstance(order["customer_po_number"], str), order["order_id"]
        assert isinstance(order["rush_order_fee"], str), order["order_id"]
        assert isinstance(order["rush_order_fee_amount"], (int, float)), order["order_id"]
    unset = [o for o in orders if o["rush_order_fee"] == ""]
    assert unset
    assert all(o["rush_order_fee_amount"] == 0 for o in unset)
    assert any(o["customer_po_number"] == "" for o in orders)


@pytest.mark.parametrize(
    ("method", "path"), [("PUT", "/api/json/manage_orders/find"), ("PATCH", "/api/v1/orders/x")]
)
def test_a_method_not_allowed_says_which_are(oms_sandbox: Any, method: str, path: str) -> None:
    # HTTP requires an Allow header on every 405; the sandbox's error answers dropped it.
    with httpx.Client(base_url=oms_sandbox.url, timeout=30) as client:
        response = client.request(method, path)
    assert response.status_code == 405
    assert "GET" in response.headers["allow"] or "POST" in response.headers["allow"]
