"""Constants and a small client wrapper shared by the sandbox tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from omsclient.sandbox import SandboxInfo, SandboxState

AUTH = {"username": "sandbox", "password": "sandbox-secret"}
TOKEN = {"Authorization": "Bearer sandbox-token"}
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


class Sandbox:
    """An in-process sandbox and a client to it."""

    def __init__(self, client: httpx.AsyncClient, info: SandboxInfo) -> None:
        self.client = client
        self.info = info
        self.state: SandboxState = info.state

    async def legacy(self, path: str, **params: Any) -> Any:
        """POST form parameters (credentials added) and return the decoded JSON."""
        response = await self.client.post(path, data={**AUTH, **params})
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
