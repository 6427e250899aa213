"""Constants and a small client wrapper shared by the sandbox tests."""

from __future__ import annotations

import copy
import json
import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from omsclient.sandbox import SandboxInfo, SandboxState

AUTH = {"username": "sandbox", "password": "pw-sandbox-1"}
TOKEN = {"Authorization": "Bearer tk-sandbox-1"}
FIND = "/api/json/manage_orders/find"
UPDATE = "/api/json/manage_orders/update_order_status"
PRODUCTS_FIND = "/api/json/manage_products/find"
PRODUCTS_GET = "/api/json/manage_products/get"
ALL_ORDERS = {"field": "3", "condition": "4", "string": "0"}
EVERYTHING = {
    "include_workflow_data": "1",
    "include_po_data": "1",
    "include_shipments": "1",
    "include_production_file_info": "1",
}

BLUEPRINT: dict[str, Any] = json.loads(
    (pathlib.Path(__file__).parent.parent / "data" / "order-schema.json").read_text()
)


def _nullable(node: dict[str, Any]) -> None:
    node["type"] = [node["type"], "null"]


def live(schema: dict[str, Any]) -> dict[str, Any]:
    """The blueprint's schema widened by what LIVE-SERVER.md shows the live server sends:
    ``null`` for unset dates and operators, line ids as strings, and the undocumented keys."""
    schema = copy.deepcopy(schema)
    order = schema["properties"]["orders"]["items"]
    props = order["properties"]
    for key, node in props.items():
        if key.startswith("date_"):
            _nullable(node)
    props["created_by"] = {"type": "object"}
    line = props["order_lines"]["items"]["properties"]
    line["id"]["type"] = "string"
    line["product_color"]["required"].remove("colors")
    for key in (
        "processed_date",
        "shipped_date",
        "processed_by",
        "production_assigned_to",
        "shipped_by",
    ):
        _nullable(line[key])
    _nullable(props["assigned_to"])
    # "company_id and salutation are often null" on the live server.
    _nullable(props["billing_details"]["properties"]["company_id"])
    for contact in (
        props["billing_details"],
        props["shipping_details"],
        props["notes"]["items"]["properties"]["from"],
        props["store"]["properties"]["owner"],
    ):
        _nullable(contact["properties"]["salutation"])
    line["product_supplier_name"] = {"type": "string"}
    line["fc_production_status"] = {"type": "string"}
    line["attachment_urls"] = {"type": "array", "items": {"type": "string"}}
    line["item_type"] = {"type": "integer"}
    # The live order LIVE-SERVER.md cites (WorkwithMarque's): a field's unset values are null.
    for key in ("string_value", "date_value", "file_value_url"):
        _nullable(line["fields"]["items"]["properties"][key])
    option = line["fields"]["items"]["properties"]["options"]["items"]["properties"]
    option["price"] = option["cost"] = {"type": "number"}
    process = line["views"]["items"]["properties"]["areas"]["items"]["properties"]["processes"]
    process["items"]["properties"]["source_file_url"] = {"type": "string"}
    payment = props["payments"]["items"]["properties"]
    payment["code"] = {"type": "string"}
    # The same order's payment taken in person has null driver codes.
    payment["driver_code"] = payment["driver_sub_code"] = {"type": ["string", "null"]}
    return schema


SCHEMA = live(BLUEPRINT)


class Sandbox:
    """An in-process sandbox and a client to it."""

    def __init__(self, client: httpx.AsyncClient, info: SandboxInfo) -> None:
        self.client = client
        self.info = info
        self.state: SandboxState = info.state

    async def legacy(self, path: str, **params: Any) -> Any:
        """POST form parameters (credentials added; a product's ``id`` and ``ids`` in the query
        string, where the API documents them) and return the decoded JSON."""
        query = {k: params.pop(k) for k in ("id", "ids") if path == PRODUCTS_GET and k in params}
        response = await self.client.post(path, params=query, data={**AUTH, **params})
        assert response.status_code == 200
        return response.json()

    async def find(self, **params: Any) -> Any:
        """``manage_orders/find``."""
        return await self.legacy(FIND, **params)

    async def all_orders(self, **params: Any) -> list[dict[str, Any]]:
        """Every order, paging 100 at a time."""
        orders: list[dict[str, Any]] = []
        if not any(k == "field" or k.startswith("conditions") for k in params):
            params = {**ALL_ORDERS, **params}
        while True:
            body = await self.find(**{**params, "offset": str(len(orders))})
            orders.extend(body["orders"])
            if len(orders) >= body["total"] or not body["orders"]:
                return orders

    async def update(self, **params: Any) -> Any:
        """``manage_orders/update_order_status``."""
        return await self.legacy(UPDATE, **params)

    async def rest(self, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        """A REST request with the sandbox token."""
        headers = kwargs.pop("headers", TOKEN)
        return await self.client.request(method, path, json=body, headers=headers, **kwargs)


SandboxFactory = Callable[..., Awaitable[Sandbox]]
