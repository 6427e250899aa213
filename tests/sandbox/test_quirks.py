"""Quirks of real legacy servers, each switched on alone."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest

from omsclient.sandbox import Quirks, SandboxConfig

from ._support import (
    ALL_ORDERS,
    AUTH,
    EVERYTHING,
    FIND,
    PRODUCTS_GET,
    SCHEMA,
    Sandbox,
    SandboxFactory,
)

PLAIN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+00:00$")


async def with_quirks(factory: SandboxFactory, **quirks: Any) -> Sandbox:
    return await factory(SandboxConfig(orders=120, products=20, quirks=Quirks(**quirks)))


async def test_omit_response_status(sandbox_factory: SandboxFactory) -> None:
    sandbox = await with_quirks(sandbox_factory, omit_response_status=True)
    body = await sandbox.find(**ALL_ORDERS, limit="2")
    assert "response_status" not in body
    assert body["total"] == 120
    error = await sandbox.find(limit="2")
    assert error["response_status"]["code"] == 50002
    warning = await sandbox.legacy(PRODUCTS_GET, id="1")
    assert warning["response_status"]["code"] == 40004


async def test_string_ids(sandbox_factory: SandboxFactory) -> None:
    sandbox = await with_quirks(sandbox_factory, string_ids=True)
    body = await sandbox.find(**ALL_ORDERS, **EVERYTHING, limit="5")
    assert body["total"] == "120"
    order = body["orders"][0]
    line = order["order_lines"][0]
    assert isinstance(order["customer_id"], str)
    assert order["customer_id"].isdigit()
    assert isinstance(order["item_amount"], str)
    assert re.fullmatch(r"\d+\.\d\d", order["item_amount"])
    # Amounts keep two decimals even when whole, as "12.50" in the docs.
    assert [o["discount_amount"] for o in body["orders"]] == ["0.00"] * 5
    assert isinstance(line["id"], str)
    assert isinstance(line["product_id"], str)
    assert isinstance(line["total_price"], str)
    assert isinstance(line["workflow_items"][0]["id"], str)
    assert isinstance(line["qty"], int)
    assert isinstance(order["order_status"], int)
    product = (await sandbox.legacy(PRODUCTS_GET, id=str(sandbox.state.products[0].id)))["product"]
    assert isinstance(product["product_id"], str)
    assert isinstance(product["skus"][0]["price"], str)


async def test_numeric_order_ids(sandbox_factory: SandboxFactory) -> None:
    # Live order ids are the number alone, a string ("927602"), not the docs' INV1234.
    sandbox = await with_quirks(sandbox_factory, numeric_order_ids=True)
    body = await sandbox.find(**ALL_ORDERS, limit="3")
    ids = [o["order_id"] for o in body["orders"]]
    assert all(isinstance(i, str) and i.isdigit() for i in ids)
    open_id = next(r.order_id for r in sandbox.state.orders if r.status == 1)
    digits = open_id.removeprefix("INV")
    refused = await sandbox.update(order_id=open_id, new_status="2")
    assert refused["response_status"]["code"] == 50005
    done = await sandbox.update(order_id=digits, new_status="2", contact_customer="true")
    assert done["response_status"]["code"] == 10001
    record = sandbox.state.order(digits)
    assert record is not None
    assert record.status == 2
    assert sandbox.state.order(open_id) is None
    # Named as the answers and state.order() name it: it held the INV form, which neither takes.
    assert sandbox.state.customer_notifications == [(digits, 2)]


async def test_live_dates_by_default(sandbox: Sandbox) -> None:
    orders = (await sandbox.find(**ALL_ORDERS))["orders"]
    values = [order[key] for order in orders for key in order if key.startswith("date_")]
    assert None in values  # unset dates are null, not absent
    assert all(v is None or OFFSET.match(v) for v in values)


async def test_mixed_dates(sandbox_factory: SandboxFactory) -> None:
    sandbox = await with_quirks(sandbox_factory, mixed_dates=True)
    orders = (await sandbox.find(**ALL_ORDERS))["orders"]
    shapes = {"plain": 0, "offset": 0, "null": 0}
    for order in orders:
        for key in ("date_ordered", "date_production_files_ready", "date_shipped", "date_invoiced"):
            assert key in order
            value = order[key]
            if value is None:
                shapes["null"] += 1
            elif PLAIN.match(value):
                shapes["plain"] += 1
            else:
                assert OFFSET.match(value), value
                shapes["offset"] += 1
    assert all(shapes.values()), shapes


async def test_unknown_fields(sandbox_factory: SandboxFactory) -> None:
    sandbox = await with_quirks(sandbox_factory, unknown_fields=True)
    body = await sandbox.find(**ALL_ORDERS, **EVERYTHING, limit="3")
    assert {"server_time", "api_version"} <= set(body)
    order = body["orders"][0]
    assert {"sales_channel", "x_fulfillment"} <= set(order)
    assert "carrier_code" in order["shipping_method"]
    assert "artwork_revision" in order["order_lines"][0]
    errors = list(jsonschema.Draft4Validator(SCHEMA).iter_errors(body))
    assert errors
    assert all(e.validator == "additionalProperties" for e in errors)
    product = (await sandbox.legacy(PRODUCTS_GET, id=str(sandbox.state.products[0].id)))["product"]
    assert "brand_id" in product


async def test_html_login_page(sandbox_factory: SandboxFactory) -> None:
    sandbox = await with_quirks(sandbox_factory, html_login_page=True)
    bad = await sandbox.client.post(
        FIND, data={"username": "sandbox", "password": "no", **ALL_ORDERS}
    )
    assert bad.status_code == 200
    assert bad.headers["content-type"].startswith("text/html")
    assert b"<form" in bad.content
    wrong_path = await sandbox.client.post("/api/json/manage_orders/nothing", data=AUTH)
    assert wrong_path.status_code == 200
    assert b"<form" in wrong_path.content
    good = await sandbox.find(**ALL_ORDERS, limit="1")
    assert good["total"] == 120
    disabled = await sandbox_factory(
        SandboxConfig(
            orders=5, products=2, legacy_api_enabled=False, quirks=Quirks(html_login_page=True)
        )
    )
    response = await disabled.client.post(FIND, data={**AUTH, **ALL_ORDERS})
    assert response.status_code == 200
    assert b"<form" in response.content


async def test_unknown_legacy_path_without_quirk(sandbox: Sandbox) -> None:
    response = await sandbox.client.post("/api/json/manage_orders/nothing", data=AUTH)
    assert response.status_code == 404


async def test_empty_bodies_only_on_the_legacy_api(sandbox_factory: SandboxFactory) -> None:
    sandbox = await with_quirks(sandbox_factory, empty_body_rate=1.0)
    response = await sandbox.client.post(FIND, data={**AUTH, **ALL_ORDERS})
    assert response.status_code == 200
    assert response.content == b""
    rest = await sandbox.rest("GET", "/api/v1/orders/nope")
    assert rest.status_code == 404
    assert rest.json() == {"message": "Order not found."}


async def test_all_quirks_together(sandbox_factory: SandboxFactory) -> None:
    quirks = Quirks.all()
    assert quirks.omit_response_status
    assert quirks.string_ids
    assert quirks.numeric_order_ids
    assert quirks.mixed_dates
    assert quirks.unknown_fields
    assert quirks.html_login_page
    assert quirks.empty_body_rate == 0
    sandbox = await sandbox_factory(SandboxConfig(orders=50, products=5, quirks=quirks))
    body = await sandbox.find(**ALL_ORDERS, **EVERYTHING)
    assert body["total"] == "50"
    assert "response_status" not in body
    assert len(body["orders"]) == 50


@pytest.mark.parametrize("rate", [-0.1, 1.1])
def test_rates_are_validated(rate: float) -> None:
    with pytest.raises(ValueError, match="empty_body_rate"):
        Quirks(empty_body_rate=rate)
