"""The REST OMS API v1: orders, print files, catalog CRUD and batch orders, in memory."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._http import json_response
from ._query import integer
from ._rest_store import RestStore
from ._state import SandboxState
from ._validation import Errors, Rule, as_boolean, pick, validate

_S = Rule(type="string")
_I = Rule(type="integer")
_N = Rule(type="number")
_S_REQ = Rule(type="string", required=True)
_I_REQ = Rule(type="integer", required=True)

CUSTOMER = {
    "email": _S,
    "ecommerce_customer_id": _S,
    "name": _S,
    "surname": _S,
    "phone": _S,
}
ITEM = {
    "ecommerce_order_item_id": _S_REQ,
    "ecommerce_variant_id": _S_REQ,
    "quantity": Rule(type="integer", required=True, min=1),
    "price": _N,
    "properties": Rule(type="object"),
    "template_config": _S_REQ,
    "thumbnails": Rule(type="array", required=True, items="string"),
    "design_version_id": _S,
}
ADDRESS = {
    "type_id": Rule(type="string", required=True, choices=("billing", "shipping")),
    "address_1": _S_REQ,
    "address_2": _S,
    "post_code": _S_REQ,
    "city": _S_REQ,
    "county": _S,
    "country_code": _S_REQ,
    "country_id": _I,
}
SHIPPING = {"code": _S_REQ, "shipping_price": Rule(type="number", required=True)}
ORDER_UPDATE = {
    "customer": Rule(type="object", fields=CUSTOMER),
    "items": Rule(type="array", required=True, fields=ITEM),
    "ecommerce_order_number": _S,
    "total_price": _N,
    "subtotal_price": _N,
    "currency_code": _S,
    "note": _S,
    "addresses": Rule(type="array", fields=ADDRESS),
    "shippings": Rule(type="array", fields=SHIPPING),
}
ORDER_CREATE = {
    "store_id": _S_REQ,
    "ecommerce_order_id": _S_REQ,
    **ORDER_UPDATE,
    "create_print_files": Rule(type="boolean"),
}
CATEGORY = {
    "name": _S_REQ,
    "parent_id": _S,
    "description": _S,
    "default_dpi": _I,  # the spec sets no bound (a variant's is "unsigned")
    "editor_category_id": _S,
    "default_location_id": _S,
}
PRODUCT = {
    "category_id": _I_REQ,
    "name": _S_REQ,
    "code": _S,
    "order_column": _I_REQ,
    "active": Rule(type="boolean", required=True),
    "description": _S,
    "default_dpi": _I,  # the spec sets no bound (a variant's is "unsigned")
    "team_id": _I_REQ,
    "editor_category_id": _S,
    "default_location_id": _I,
}
VARIANT = {
    "uuid": Rule(type="string", length=36),
    "name": _S_REQ,
    "product_variant_category_id": _I,
    "product_id": _I_REQ,
    "price_id": _I,
    "editor_product_id": _S,
    "weight": Rule(type="integer", min=0),
    "length": _I,
    "width": _I,
    "height": _I,
    "description": _S,
    "country_id": _I_REQ,
    "customs_code": _S,
    "customs_description": _S,
    "long_customs_description": _S,
    "default_dpi": Rule(type="integer", min=0),
    "seo_details": _S,
    "ecommerce_tags": _S,
    "default_location_id": _I,
}
BATCH = {
    "order_items": Rule(type="array", required=True, items="string"),
    "print_templates": Rule(type="array", required=True, items="string"),
}


class RestError(Exception):
    """An error answer: HTTP status and JSON body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


MAX_DEPTH = 512
"""Levels of arrays and objects PHP's ``json_decode`` and ``json_encode`` take by default:
the server reads no body nested deeper, and answers with any body it read."""


def _php(data: Any) -> Any:
    """``data`` as the PHP server encodes it: an empty object is an empty PHP array, ``[]``."""
    # Loops, not comprehensions: one frame per level, so MAX_DEPTH levels fit Python's stack.
    if isinstance(data, dict):
        if not data:
            return []
        out = {}
        for key, value in data.items():
            out[key] = _php(value)
        return out
    if isinstance(data, list):
        items = []
        for value in data:
            items.append(_php(value))
        return items
    return data


def _too_deep(data: Any) -> bool:
    """True when ``data`` nests arrays and objects more than ``MAX_DEPTH`` levels deep."""
    pending = [(data, 1)]
    while pending:
        value, level = pending.pop()
        if isinstance(value, dict):
            children: Iterable[Any] = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if level > MAX_DEPTH:
            return True
        pending.extend((child, level + 1) for child in children)
    return False


def _answer(data: dict[str, Any]) -> Response:
    """A successful answer: HTTP 200 with ``data`` encoded as the server does."""
    body = _php(data)
    try:
        return json_response(body)
    except orjson.JSONEncodeError:
        # orjson stops at 255 levels, PHP at MAX_DEPTH: a body the server read, it answers.
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return Response(text.encode(), media_type="application/json")


def _invalid(errors: Errors) -> RestError:
    messages = [m for ms in errors.values() for m in ms]
    message = messages[0]
    if len(messages) > 1:
        more = len(messages) - 1
        message += f" (and {more} more error{'s' if more > 1 else ''})"
    return RestError(400, {"message": message, "errors": errors})


def _not_found(what: str) -> RestError:
    return RestError(404, {"message": f"{what} not found."})


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RestError(400, {"message": "The request body is not valid JSON."}) from None
    if not isinstance(data, dict):
        raise RestError(400, {"message": "The request body must be a JSON object."})
    if _too_deep(data):
        # PHP's json_decode refuses it, so the server never sees the fields: nothing is stored.
        message = f"The request body is nested more than {MAX_DEPTH} levels deep."
        raise RestError(400, {"message": message})
    return _blanks_as_null(data)


def _blanks_as_null(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with every blank string (``""``, or white space alone) null, as a Laravel
    app's validation sees it: its global middleware trims strings and turns an empty one into
    null. A blank required field is then left out, an optional one cleared, and no ``""`` is
    stored where an object, an array or a number belongs, which no answer of the live server
    holds. (Other strings are kept as sent.) In place, and without recursion: a body may nest
    as deep as PHP reads (512 levels)."""
    stack: list[Any] = [data]
    while stack:
        container = stack.pop()
        keys = container.keys() if isinstance(container, dict) else range(len(container))
        for key in keys:
            value = container[key]
            if isinstance(value, str):
                if not value.strip():
                    container[key] = None
            elif isinstance(value, (dict, list)):
                stack.append(value)
    return data


def _authorize(request: Request, state: SandboxState) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    expected = state.config.api_token.encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
        raise RestError(401, {"message": "Unauthenticated."})


Handler = Callable[[Request, SandboxState, RestStore], Awaitable[Response]]


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        try:
            _authorize(request, state)
            response = await handler(request, state, state.rest)
        except RestError as error:
            return json_response(error.body, error.status)
        if request.method != "GET":
            state.writes_applied += 1
        return response

    endpoint.__name__ = handler.__name__
    return endpoint


# -- orders -------------------------------------------------------------------------------


def _items(
    items: list[dict[str, Any]], store: RestStore, previous: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    previous = previous or {}
    out = []
    for raw in items:
        item = {name: None for name in ITEM}
        item.update(pick(raw, ITEM))
        uid = previous.get(str(item["ecommerce_order_item_id"])) or store._uid()
        out.append({"uid": uid, **item})
    return out


def _check_unique(
    value: Any, key: str, table: dict[int, dict[str, Any]], own_id: int | None
) -> None:
    """Refuse ``value`` for ``key`` (an object's uuid, the spec's "unique identifier") when
    another object of the table holds it: a create sent again would make a second object."""
    if value is not None and any(
        obj.get(key) == value for number, obj in table.items() if number != own_id
    ):
        raise _invalid({key: [f"The {key} has already been taken."]})


def _check_item_ids(items: list[dict[str, Any]], store: RestStore, own_uid: str | None) -> None:
    taken = {
        item["ecommerce_order_item_id"]
        for uid, order in store.orders.items()
        if uid != own_uid
        for item in order["items"]
    }
    errors: Errors = {}
    seen: set[str] = set()
    for i, item in enumerate(items):
        item_id = item["ecommerce_order_item_id"]
        if item_id in taken or item_id in seen:
            key = f"items.{i}.ecommerce_order_item_id"
            errors[key] = [f"The {key.replace('_', ' ')} has already been taken."]
        seen.add(item_id)
    if errors:
        raise _invalid(errors)


async def create_order(request: Request, state: SandboxState, store: RestStore) -> Response:
    """POST /api/v1/orders."""
    body = await _body(request)
    errors = validate(body, ORDER_CREATE)
    if errors:
        raise _invalid(errors)
    if body["store_id"] != state.config.store_id:
        raise RestError(403, {"message": "This action is unauthorized."})
    if any(o["ecommerce_order_id"] == body["ecommerce_order_id"] for o in store.orders.values()):
        raise _invalid({"ecommerce_order_id": ["The ecommerce order id has already been taken."]})
    _check_item_ids(body["items"], store, None)
    order: dict[str, Any] = {"uid": store._uid()}
    order.update({name: None for name in ORDER_CREATE})
    order.update(pick(body, ORDER_CREATE))
    order["create_print_files"] = as_boolean(order["create_print_files"])
    order["items"] = _items(body["items"], store)
    order["created_at"] = order["updated_at"] = store._timestamp()
    store.orders[order["uid"]] = order
    return _answer(order)


def _order(store: RestStore, uid: str) -> dict[str, Any]:
    order = store.orders.get(uid)
    if order is None:
        raise _not_found("Order")
    return order


async def order_detail(request: Request, state: SandboxState, store: RestStore) -> Response:
    """GET, PUT and DELETE /api/v1/orders/{order_uid}."""
    uid = request.path_params["order_uid"]
    order = _order(store, uid)
    if request.method == "GET":
        return _answer(order)
    if request.method == "DELETE":
        del store.orders[uid]
        return _answer({"message": "Order successfully deleted", "order_uid": uid})
    body = await _body(request)
    errors = validate(body, ORDER_UPDATE, partial=True)
    if errors:
        raise _invalid(errors)
    changes = pick(body, ORDER_UPDATE)
    if "items" in changes:
        _check_item_ids(changes["items"], store, uid)
        previous = {i["ecommerce_order_item_id"]: i["uid"] for i in order["items"]}
        changes["items"] = _items(changes["items"], store, previous)
    order.update(changes)
    order["updated_at"] = store._timestamp()
    return _answer(order)


async def print_file(request: Request, state: SandboxState, store: RestStore) -> Response:
    """GET /api/v1/order-items/{ecommerce_order_item_id}/print."""
    item_id = request.path_params["item_id"]
    item = store._find_item(item_id)
    if item is None:
        raise _not_found("Order item")
    return _answer(store._poll_print(item))


# -- catalog ------------------------------------------------------------------------------


def _id(key: str) -> int | None:
    """The integer id in a path, or None: the server answers 404 to anything else.

    ASCII digits only: str.isdigit() is also true for "²" or "٣", which int() refuses (a 500
    answer) or reads as another number; and a number 64 bits hold, as int() refuses 4,300
    digits and the server's ids are 64-bit.
    """
    return integer(key) if key.isdigit() else None


def _category(store: RestStore, key: str) -> dict[str, Any] | None:
    number = _id(key)
    if number is not None and number in store.categories:
        return store.categories[number]
    return next((c for c in store.categories.values() if c["uid"] == key), None)


def _ancestors(store: RestStore, parent: object, category_id: int | None) -> bool:
    """Whether category ``category_id`` is ``parent`` or one of its ancestors."""
    seen: set[int] = set()
    node = _category(store, str(parent))
    while node is not None and node["id"] not in seen:
        if node["id"] == category_id:
            return True
        seen.add(node["id"])
        above = node.get("parent_id")
        node = None if above is None else _category(store, str(above))
    return False


def _check_references(body: Mapping[str, Any], store: RestStore, updated: int | None) -> None:
    """Refuse a reference to nothing, and a category (``updated``, by id) made its own parent
    or ancestor: a tree with a cycle has no root to walk up to."""
    errors: Errors = {}
    parent = body.get("parent_id")
    if parent is not None and (
        _category(store, str(parent)) is None or _ancestors(store, parent, updated)
    ):
        errors["parent_id"] = ["The selected parent id is invalid."]
    category = body.get("category_id")
    if category is not None and category not in store.categories:
        errors["category_id"] = ["The selected category id is invalid."]
    product = body.get("product_id")
    if product is not None and product not in store.products:
        errors["product_id"] = ["The selected product id is invalid."]
    if errors:
        raise _invalid(errors)


def _crud(
    kind: str,
    label: str,
    schema: Mapping[str, Rule],
    table: Callable[[RestStore], dict[int, dict[str, Any]]],
    id_key: str,
    uid_key: str,
    defaults: Mapping[str, Any],
) -> tuple[Handler, Handler]:
    """Create and detail (GET/PUT/DELETE) handlers for one catalog resource."""

    def lookup(store: RestStore, key: str) -> dict[str, Any]:
        if kind == "category":
            found = _category(store, key)
        else:
            number = _id(key)
            found = None if number is None else table(store).get(number)
        if found is None:
            raise _not_found(label)
        return found

    async def create(request: Request, state: SandboxState, store: RestStore) -> Response:
        body = await _body(request)
        errors = validate(body, schema)
        if errors:
            raise _invalid(errors)
        # Only the resource's own fields: a key it does not have (``product_id`` sent to a
        # category) is ignored by the server, not checked as a reference.
        fields = pick(body, schema)
        _check_references(fields, store, None)
        _check_unique(fields.get(uid_key), uid_key, table(store), None)
        obj: dict[str, Any] = {"id": store._next_id(kind), uid_key: None}
        obj.update({name: None for name in schema})
        obj.update(defaults)
        obj.update(fields)
        obj[uid_key] = obj[uid_key] or store._uid()
        if "active" in obj:
            obj["active"] = as_boolean(obj["active"])
        obj["created_at"] = obj["updated_at"] = store._timestamp()
        table(store)[obj["id"]] = obj
        return _answer(obj)

    async def detail(request: Request, state: SandboxState, store: RestStore) -> Response:
        obj = lookup(store, request.path_params["key"])
        if request.method == "GET":
            return _answer(obj)
        if request.method == "DELETE":
            del table(store)[obj["id"]]
            message = f"{label} successfully deleted"
            return _answer({"message": message, id_key: obj["id"]})
        body = await _body(request)
        errors = validate(body, schema, partial=True)
        if errors:
            raise _invalid(errors)
        # Only the resource's own fields: a key it does not have (``product_id`` sent to a
        # category) is ignored by the server, not checked as a reference.
        fields = pick(body, schema)
        _check_references(fields, store, obj["id"] if kind == "category" else None)
        _check_unique(fields.get(uid_key), uid_key, table(store), obj["id"])
        obj.update(fields)
        if "active" in obj:
            obj["active"] = as_boolean(obj["active"])
        obj["updated_at"] = store._timestamp()
        return _answer(obj)

    create.__name__ = f"create_{kind}"
    detail.__name__ = f"{kind}_detail"
    return create, detail


create_category, category_detail = _crud(
    "category",
    "Product category",
    CATEGORY,
    lambda s: s.categories,
    "category_id",
    "uid",
    {"default_dpi": 300},
)
create_product, product_detail = _crud(
    "product", "Product", PRODUCT, lambda s: s.products, "product_id", "uuid", {}
)
create_variant, variant_detail = _crud(
    "variant", "Product variant", VARIANT, lambda s: s.variants, "variant_id", "uuid", {}
)


# -- batch orders -------------------------------------------------------------------------


async def create_batch(request: Request, state: SandboxState, store: RestStore) -> Response:
    """POST /api/v1/batch-orders."""
    body = await _body(request)
    errors = validate(body, BATCH)
    if errors:
        raise _invalid(errors)
    known = store._item_uids()
    unknown = {
        f"order_items.{i}": [f"The selected order items.{i} is invalid."]
        for i, uid in enumerate(body["order_items"])
        if uid not in known
    }
    if unknown:
        raise _invalid(unknown)
    uid = store._uid()
    store.batches[uid] = {
        "uid": uid,
        "status": "Batching",
        "order_items": list(body["order_items"]),
        "print_templates": list(body["print_templates"]),
        "url": None,
        "created_at": store._timestamp(),
    }
    return _answer({"uid": uid, "status": "Batching"})


async def batch_detail(request: Request, state: SandboxState, store: RestStore) -> Response:
    """GET /api/v1/batch-orders/{uid}: a sandbox extension to follow a batch."""
    uid = request.path_params["uid"]
    if uid not in store.batches:
        raise _not_found("Batch order")
    return _answer(store._poll_batch(uid))


_DETAIL = ["GET", "PUT", "DELETE"]
ROUTES = [
    Route("/api/v1/orders", _endpoint(create_order), methods=["POST"]),
    Route("/api/v1/orders/{order_uid}", _endpoint(order_detail), methods=_DETAIL),
    # Item ids are the shop's own, "/" included: sent as one segment, decoded before routing.
    Route("/api/v1/order-items/{item_id:path}/print", _endpoint(print_file), methods=["GET"]),
    Route("/api/v1/product-categories", _endpoint(create_category), methods=["POST"]),
    Route("/api/v1/product-categories/{key}", _endpoint(category_detail), methods=_DETAIL),
    Route("/api/v1/products", _endpoint(create_product), methods=["POST"]),
    Route("/api/v1/products/{key}", _endpoint(product_detail), methods=_DETAIL),
    Route("/api/v1/product-variants", _endpoint(create_variant), methods=["POST"]),
    Route("/api/v1/product-variants/{key}", _endpoint(variant_detail), methods=_DETAIL),
    Route("/api/v1/batch-orders", _endpoint(create_batch), methods=["POST"]),
    Route("/api/v1/batch-orders/{uid}", _endpoint(batch_detail), methods=["GET"]),
]
