"""The legacy JSON API: order and product search, product get, order status updates."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import _dates
from ._errors import (
    API_DISABLED,
    AUTH_FAILED,
    PRODUCT_NOT_FOUND,
    SUCCESS,
    LegacyError,
    invalid,
)
from ._http import json_response, login_page, parse_form
from ._query import (
    ORDER_FIELDS,
    PRODUCT_FIELDS,
    PRODUCT_SORT_FIELDS,
    flag,
    integer,
    page_of_unstable_ties,
    parse_conditions,
    parse_paging,
    parse_sort,
)
from ._render_common import RenderOptions
from ._state import SandboxState
from ._stringify import stringify
from ._updates import parse_changes

MAX_IDS = 100
_SUCCESS_STATUS = {"code": SUCCESS, "severity": "SUCCESS", "description": "."}

Handler = Callable[[SandboxState, Mapping[str, str]], dict[str, Any]]


async def read_params(request: Request, from_query: frozenset[str]) -> dict[str, str]:
    """Query parameters, overridden by url-encoded form fields on POST, except those
    ``from_query`` names: the API documents them in the query string, so only that is read."""
    params = dict(request.query_params)
    if request.method == "POST":
        body = await request.body()
        form = parse_form(body, request.headers.get("content-type", "").lower())
        params.update((name, value) for name, value in form.items() if name not in from_query)
    return params


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _check_access(state: SandboxState, params: Mapping[str, str]) -> None:
    config = state.config
    if not config.legacy_api_enabled:
        raise LegacyError(API_DISABLED)
    if not (
        _same(params.get("username", ""), config.username)
        and _same(params.get("password", ""), config.password)
    ):
        raise LegacyError(AUTH_FAILED)


def find_orders(state: SandboxState, params: Mapping[str, str]) -> dict[str, Any]:
    """``manage_orders/find``."""
    fields = ORDER_FIELDS[state.config.order_field_numbering]
    conditions = parse_conditions(params, fields, state.config.quirks.condition_zone)
    limit, offset = parse_paging(params)
    sort = parse_sort(params, fields, default=2)
    state._apply_churn()
    quirks = state.config.quirks
    po = flag(params, "include_po_data")
    options = RenderOptions(
        workflow=po or flag(params, "include_workflow_data"),
        po=po,
        shipments=flag(params, "include_shipments"),
        production_file_info=flag(params, "include_production_file_info"),
        login_token=None if flag(params, "skip_login_token") else state.login_token,
        mixed_dates=quirks.mixed_dates,
        unknown_fields=quirks.unknown_fields,
        string_ids=quirks.string_ids,
        numeric_order_ids=quirks.numeric_order_ids,
    )
    found = state._find_orders(conditions, sort)
    page: Sequence[Any]
    if quirks.unstable_ties:
        page = page_of_unstable_ties(found, sort, offset, limit, state.config.seed)
    else:
        page = found[offset : offset + limit]
    return {
        "response_status": dict(_SUCCESS_STATUS),
        "orders": state._render_json(page, options),
        "total": len(found),
    }


def update_order_status(state: SandboxState, params: Mapping[str, str]) -> dict[str, Any]:
    """``manage_orders/update_order_status``: all changes applied, or none."""
    state._apply_changes(parse_changes(params, state.operators))
    state.writes_applied += 1
    return {"response_status": dict(_SUCCESS_STATUS)}


def _product(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    quirks = state.config.quirks
    if quirks.unknown_fields:
        body["brand_id"] = 100 + body["product_id"] % 12
    if quirks.string_ids:
        stringify(body)
    return body


def find_products(state: SandboxState, params: Mapping[str, str]) -> dict[str, Any]:
    """``manage_products/find``."""
    conditions = parse_conditions(params, PRODUCT_FIELDS, state.config.quirks.condition_zone)
    limit, offset = parse_paging(params)
    sort = parse_sort(params, PRODUCT_SORT_FIELDS, default=6)
    found = state._find_products(conditions, sort)
    return {
        "response_status": dict(_SUCCESS_STATUS),
        "products": [_product(state, p.render()) for p in found[offset : offset + limit]],
        "total": len(found),
    }


def _product_id(text: str) -> int:
    text = text.strip()
    value = integer(text) if text.isdigit() else None
    if value is None:
        raise invalid(f"{text!r} is not a product id")
    return value


def get_products(state: SandboxState, params: Mapping[str, str]) -> dict[str, Any]:
    """``manage_products/get``: ``id=`` gives ``product``, ``ids=`` gives ``products``.

    Missing ids answer 40004 (WARNING); with ``ids=`` the products found are still returned.
    """
    one, many = params.get("id", "").strip(), params.get("ids", "").strip()
    if one and many:
        raise invalid("give either id or ids, not both")
    if one:
        product = state.product_by_id.get(_product_id(one))
        if product is None:
            raise LegacyError(PRODUCT_NOT_FOUND, severity="WARNING")
        return {
            "response_status": dict(_SUCCESS_STATUS),
            "product": _product(state, product.render()),
        }
    if not many:
        # Also when a body held them: the spec reads them from the query string.
        raise invalid("id or ids is required, in the query string (not read from a body)")
    ids = list(dict.fromkeys(_product_id(part) for part in many.split(",") if part.strip()))
    if not ids or len(ids) > MAX_IDS:
        raise invalid(f"ids takes 1 to {MAX_IDS} product ids")
    found = [state.product_by_id[i] for i in ids if i in state.product_by_id]
    missing = [i for i in ids if i not in state.product_by_id]
    status: dict[str, Any] = dict(_SUCCESS_STATUS)
    if missing:
        status = LegacyError(
            PRODUCT_NOT_FOUND,
            "Product ID Not Found: " + ", ".join(map(str, missing)),
            severity="WARNING",
        ).envelope()
    return {
        "response_status": status,
        "products": [_product(state, p.render()) for p in found],
    }


def _finish(state: SandboxState, payload: dict[str, Any]) -> Response:
    quirks = state.config.quirks
    status = payload.get("response_status", {})
    if quirks.omit_response_status and status.get("code") == SUCCESS:
        del payload["response_status"]
    if quirks.unknown_fields:
        payload["server_time"] = _dates.plain(state.now)
        payload["api_version"] = "1.4.2"
    if quirks.string_ids and "total" in payload:
        payload["total"] = str(payload["total"])
    # PHP's json_encode writes an empty array, as an update's answer without its status is,
    # as [].
    return json_response(payload or [])


def _endpoint(
    handler: Handler, from_query: frozenset[str] = frozenset()
) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        params = await read_params(request, from_query)
        try:
            _check_access(state, params)
            payload = handler(state, params)
        except LegacyError as error:
            if error.code in (AUTH_FAILED, API_DISABLED) and state.config.quirks.html_login_page:
                return login_page()
            payload = {"response_status": error.envelope()}
        return _finish(state, payload)

    endpoint.__name__ = handler.__name__
    return endpoint


_METHODS = ["GET", "POST"]
ROUTES = [
    Route("/api/json/manage_orders/find", _endpoint(find_orders), methods=_METHODS),
    Route(
        "/api/json/manage_orders/update_order_status",
        _endpoint(update_order_status),
        methods=_METHODS,
    ),
    Route("/api/json/manage_products/find", _endpoint(find_products), methods=_METHODS),
    # The product spec lists id and ids as query parameters, where public clients send them.
    Route(
        "/api/json/manage_products/get",
        _endpoint(get_products, frozenset({"id", "ids"})),
        methods=_METHODS,
    ),
]
