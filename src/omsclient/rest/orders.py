"""``oms.rest.orders``: create, read, update and delete orders."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast

from omsclient._decoding import AbsentList, unstructure
from omsclient._parts import View
from omsclient._process_bound import OfThisProcess
from omsclient._refused import secrets_kept_out
from omsclient._settings import REST_API, store_id_text
from omsclient._validate import id_text, is_collection, padded_problem
from omsclient._with_raw_response import RawResponseView, raw_method
from omsclient.errors import ValidationError
from omsclient.rest._fields import (
    NOT_GIVEN,
    NotGiven,
    as_model,
    as_models,
    check_model,
    given,
)
from omsclient.rest._transport import RestTransport, dot_segment_problem, item_path
from omsclient.rest.models import Address, Customer, Deletion, Order, OrderItem, Shipping

__all__ = ["Orders"]

PATH = f"{REST_API}/orders"

T = TypeVar("T")

ItemIn = OrderItem | Mapping[str, Any]
AddressIn = Address | Mapping[str, Any]
ShippingIn = Shipping | Mapping[str, Any]
CustomerIn = Customer | Mapping[str, Any]


def _one(
    value: T | Mapping[str, Any] | NotGiven | None, cls: type[T], where: str, problems: list[str]
) -> T | NotGiven | None:
    """A nested object of an update, as a model (NOT_GIVEN and None pass through); refused, its
    problems are added to ``problems`` and it is left out of the checks that follow."""
    if value is None or isinstance(value, NotGiven):
        return value
    model = as_model(value, cls, where, problems)
    return NOT_GIVEN if model is None else model


def _many(
    values: Iterable[T | Mapping[str, Any]] | NotGiven | None,
    cls: type[T],
    where: str,
    problems: list[str],
) -> list[T | None] | NotGiven | None:
    """A list of nested objects of an update, as models (a refused one stands as None, see
    :func:`~omsclient.rest._fields.as_models`); an array the answer read did not hold (an
    empty :class:`~omsclient.AbsentList`), handed back, is left out."""
    if values is None or isinstance(values, NotGiven):
        return values
    if type(values) is AbsentList and not values:
        # As a model's write leaves it out: sent as [], it would clear what the server holds.
        return NOT_GIVEN
    return as_models(values, cls, where, problems)


def _padded(value: object, where: str) -> list[str]:
    """``value``'s problem if it is an id with white space at either end: stored so, it could
    not be asked for again, as every id in a path is refused so (or a server trims it). A blank
    one is the model's to refuse (required)."""
    problem = padded_problem(value, where) if isinstance(value, str) and value.strip() else None
    return [] if problem is None else [problem]


def _unaskable(item_id: object, where: str) -> list[str]:
    """``item_id``'s problems as the id of a new item, whose print file is asked for by it in
    a path: white space at either end (:func:`_padded`), or ``.`` or ``..``, which no path
    can hold."""
    dots = dot_segment_problem(item_id, where)
    return [*_padded(item_id, where), *([dots] if dots else [])]


def _read_once(values: T) -> T | list[Any]:
    """``values`` as a list if it is a collection of another kind (a generator is read once
    here, then checked and sent); a list as it is (an :class:`~omsclient.AbsentList` stays
    one), anything else as it is, for the checks to name."""
    if isinstance(values, list) or not is_collection(values):
        return values
    return list(cast("Iterable[Any]", values))


def _item_ids(items: object) -> list[object]:
    """The ``ecommerce_order_item_id`` of each item given, a model or a dict, refused or not
    (a list of anything else gives none)."""
    if not isinstance(items, list):
        return []
    return [
        item.ecommerce_order_item_id
        if isinstance(item, OrderItem)
        else item.get("ecommerce_order_item_id")
        if isinstance(item, Mapping)
        else None
        for item in items
    ]


def _item_id_problems(item_ids: Sequence[object]) -> list[str]:
    """Two items of one order with the same ``ecommerce_order_item_id``: their print files are
    asked for by it, and the API takes each once."""
    problems = []
    first: dict[str, int] = {}
    for i, item_id in enumerate(item_ids):
        if not isinstance(item_id, str):
            continue  # None, or a value of another type, which the model's check names
        if item_id in first:
            problems.append(
                f"items[{i}].ecommerce_order_item_id {item_id!r} is also "
                f"items[{first[item_id]}]'s: print files are asked for by it, one per item"
            )
        else:
            first[item_id] = i
    return problems


@secrets_kept_out(lambda resource: resource._rest.session.redact)
class Orders(OfThisProcess):
    """Orders of the REST OMS API v1 (``/api/v1/orders``).

    Nested objects (items, addresses, shippings, the customer) are given as models or as dicts
    with the API's keys; a dict's unknown keys are sent as they are.
    """

    __slots__ = ("_rest",)

    with_raw_response = View(lambda: OrdersWithRawResponse)
    """These request methods returning a :class:`~omsclient.RawResponse` (the answer's
    status, headers, timing and attempts; ``.parse()`` is the method's result), e.g.
    ``await oms.rest.orders.with_raw_response.get(uid)``."""

    def __init__(self, rest: RestTransport) -> None:
        self._rest = rest

    def _item(self, order_uid: str | int, operation: str) -> tuple[str, str]:
        """The order's path, and its UID as the answer names it."""
        return item_path(PATH, order_uid, "order_uid", operation)

    async def create(
        self,
        *,
        ecommerce_order_id: str,
        items: Iterable[ItemIn],
        store_id: str | int | None = None,
        ecommerce_order_number: str | None = None,
        total_price: float | None = None,
        subtotal_price: float | None = None,
        currency_code: str | None = None,
        customer: CustomerIn | None = None,
        note: str | None = None,
        addresses: Iterable[AddressIn] | None = None,
        shippings: Iterable[ShippingIn] | None = None,
        create_print_files: bool | None = None,
    ) -> Order:
        """Create an order (``POST /api/v1/orders``).

        Arguments left as None are not sent. ``store_id`` defaults to the client's
        (``store_id=`` or ``OMS_STORE_ID``); an int is sent as its digits, as the client takes
        it (the API's store id is a string). Each item's ``template_config`` may be a dict or
        the URL-encoded string; it is sent URL-encoded.

        This is a write: it is retried only when the request surely did not reach the server
        (connection refused, HTTP 429), so an order is never created twice by a retry.

        Raises:
            ValidationError: a required field is missing or a value is invalid (nothing is
                sent); the message names every such field, e.g. ``items[0].thumbnails``. An
                ``ecommerce_order_id`` or an item's ``ecommerce_order_item_id`` beginning or
                ending with white space is refused: its print file could not be asked for.
            ApiError: the server refused; a 400 carries ``field_errors``.
            DecodeError: the answer names another ``ecommerce_order_id`` than the one sent
                (``maybe_applied``).
        """
        op = "rest.orders.create"
        given_store = store_id if store_id is not None else self._rest.store_id
        # Refused in the client's own words: a padded or two-line id is sent as it is.
        store = store_id_text(given_store, f"{op}: store_id", ValidationError)
        if store is None:
            raise ValidationError(
                f"{op}: store_id is required: pass store_id= here or to the client, "
                "or set OMS_STORE_ID"
            )
        problems: list[str] = []
        # The item ids are checked in what was given, a refused item's too.
        entries = _read_once(items)
        lines = as_models(entries, OrderItem, "items", problems)
        item_ids = _item_ids(entries)
        order = Order(
            store_id=store,
            ecommerce_order_id=ecommerce_order_id,
            ecommerce_order_number=ecommerce_order_number,
            total_price=total_price,
            subtotal_price=subtotal_price,
            currency_code=currency_code,
            customer=None
            if customer is None
            else as_model(customer, Customer, "customer", problems),
            note=note,
            # A refused item stands as None until every problem is raised below.
            items=cast("list[OrderItem]", lines),
            create_print_files=create_print_files,
        )
        if addresses is not None:
            order.addresses = cast(
                "list[Address]", as_models(addresses, Address, "addresses", problems)
            )
        if shippings is not None:
            order.shippings = cast(
                "list[Shipping]", as_models(shippings, Shipping, "shippings", problems)
            )
        # An empty ``items`` is refused by check_model, like every required array.
        check_model(
            order,
            op,
            more=[
                *problems,
                # Only here: an update may send back an order's items as read, ids stored
                # padded by an older client included.
                *_padded(ecommerce_order_id, "ecommerce_order_id"),
                *(
                    problem
                    for i, item_id in enumerate(item_ids)
                    for problem in _unaskable(item_id, f"items[{i}].ecommerce_order_item_id")
                ),
                *_item_id_problems(item_ids),
            ],
        )
        sent = ("ecommerce_order_id", id_text(ecommerce_order_id, "ecommerce_order_id"))
        return await self._rest.call(Order, "POST", PATH, op, unstructure(order), sent=sent)

    async def get(self, order_uid: str | int) -> Order:
        """The order with this UID (``GET /api/v1/orders/{order_uid}``).

        Raises:
            ValidationError: ``order_uid`` is blank, begins or ends with white space, is ``.`` or
                ``..``, is an int below 1 or beyond 64 bits, or is neither a str nor an int (a
                bool, a float; nothing is sent).
            NotFoundError: no such order.
            DecodeError: the answer is about another order (another ``uid``).
        """
        op = "rest.orders.get"
        path, asked = self._item(order_uid, op)
        return await self._rest.call(Order, "GET", path, op, asked=asked)

    async def update(
        self,
        order_uid: str | int,
        *,
        customer: CustomerIn | NotGiven | None = NOT_GIVEN,
        items: Iterable[ItemIn] | NotGiven = NOT_GIVEN,
        ecommerce_order_number: str | NotGiven | None = NOT_GIVEN,
        total_price: float | NotGiven | None = NOT_GIVEN,
        subtotal_price: float | NotGiven | None = NOT_GIVEN,
        currency_code: str | NotGiven | None = NOT_GIVEN,
        note: str | NotGiven | None = NOT_GIVEN,
        addresses: Iterable[AddressIn] | NotGiven | None = NOT_GIVEN,
        shippings: Iterable[ShippingIn] | NotGiven | None = NOT_GIVEN,
    ) -> Order:
        """Change an order (``PUT /api/v1/orders/{order_uid}``); returns the updated order.

        Only the arguments given are sent; ``None`` is sent as ``null``. ``items``, required on
        create, can be left out but not cleared (``None`` or ``[]``). Nested objects are
        checked like on create. A list an order read did not hold (``order.addresses`` when the
        answer had no ``addresses``: an empty :class:`~omsclient.AbsentList`) is left out, as
        a model's write leaves it out, not sent as ``[]``, which would clear it.

        Raises:
            ValidationError: nothing to change, ``items`` cleared, or a nested object misses a
                required field.
            NotFoundError: no such order.
            DecodeError: the answer is about another order (``maybe_applied``: the update
                may have been applied, to either).
        """
        op = "rest.orders.update"
        path, asked = self._item(order_uid, op)
        problems: list[str] = []
        # Each refused nested object is left out of given's checks, its problems named beside.
        person = _one(customer, Customer, "customer", problems)
        entries = _read_once(items)
        lines = _many(entries, OrderItem, "items", problems)
        problems.extend(_item_id_problems(_item_ids(entries)))
        fields = {
            "customer": person,
            "items": lines,
            "ecommerce_order_number": ecommerce_order_number,
            "total_price": total_price,
            "subtotal_price": subtotal_price,
            "currency_code": currency_code,
            "note": note,
            "addresses": _many(addresses, Address, "addresses", problems),
            "shippings": _many(shippings, Shipping, "shippings", problems),
        }
        body = given(Order, op, fields, more=problems)
        if not body:
            raise ValidationError(f"{op}: give at least one field to change")
        return await self._rest.call(Order, "PUT", path, op, body, asked=asked)

    async def delete(self, order_uid: str | int) -> Deletion:
        """Delete an order (``DELETE /api/v1/orders/{order_uid}``).

        Retried like a read: deleting twice is harmless. If an attempt reached the server but
        its answer was lost, the retry may answer 404: :class:`~omsclient.errors.NotFoundError`
        with ``maybe_applied`` True, whose message says an earlier attempt may have deleted it.

        Raises:
            ValidationError: ``order_uid`` is blank, begins or ends with white space, is ``.`` or
                ``..``, is an int below 1 or beyond 64 bits, or is neither a str nor an int (a
                bool, a float; nothing is sent).
            NotFoundError: nothing to delete; with ``maybe_applied``, an earlier attempt may
                have deleted it.
        """
        op = "rest.orders.delete"
        path, uid = self._item(order_uid, op)
        # As text, the model's type for it, also for an int asked (an empty answer's UID).
        return await self._rest.delete(path, op, order_uid=uid)


class OrdersWithRawResponse(RawResponseView[Orders]):
    """``with_raw_response`` of :class:`Orders`: each request method, with the same
    parameters, returning a :class:`~omsclient.RawResponse` of its result."""

    create = raw_method(Orders.create)
    """:meth:`Orders.create <omsclient.rest.Orders.create>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    get = raw_method(Orders.get)
    """:meth:`Orders.get <omsclient.rest.Orders.get>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    update = raw_method(Orders.update)
    """:meth:`Orders.update <omsclient.rest.Orders.update>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    delete = raw_method(Orders.delete)
    """:meth:`Orders.delete <omsclient.rest.Orders.delete>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
