"""``oms.rest.products``: products (``/api/v1/products``)."""

from __future__ import annotations

from typing import TypeVar

from omsclient._parts import View
from omsclient._refused import secrets_kept_out
from omsclient._settings import REST_API
from omsclient._validate import unpadded
from omsclient._with_raw_response import RawResponseView, raw_method
from omsclient.rest._fields import NOT_GIVEN, NotGiven, integer_if_digits, optional_integer_id
from omsclient.rest._resource import Resource
from omsclient.rest._transport import RestTransport
from omsclient.rest.models import Deletion, Product

__all__ = ["Products"]

PATH = f"{REST_API}/products"
C = TypeVar("C")


def _category(category_id: C, operation: str) -> C | int:
    """``category_id`` as sent (see :func:`integer_if_digits`), unless it is a string that no
    category's id or UID is: the server would find no such category."""
    if isinstance(category_id, str):
        unpadded(category_id, f"{operation}: category_id")
    return integer_if_digits(category_id)


@secrets_kept_out(lambda resource: resource._rest.session.redact)
class Products(Resource[Product]):
    """Products: ``create``, ``get``, ``update``, ``delete`` by product id."""

    __slots__ = ()

    with_raw_response = View(lambda: ProductsWithRawResponse)
    """These request methods returning a :class:`~omsclient.RawResponse` (the answer's
    status, headers, timing and attempts; ``.parse()`` is the method's result), e.g.
    ``await oms.rest.products.with_raw_response.get(7)``."""

    def __init__(self, rest: RestTransport) -> None:
        super().__init__(
            rest, path=PATH, model=Product, name="products", id_name="product_id", integer_ids=True
        )

    async def create(
        self,
        *,
        category_id: int | str,
        name: str,
        order_column: int,
        active: bool,
        team_id: int,
        code: str | None = None,
        description: str | None = None,
        default_dpi: int | None = None,
        editor_category_id: str | None = None,
        default_location_id: int | str | None = None,
    ) -> Product:
        """Create a product (``POST``); arguments left as None are not sent.

        The answer carries the generated ``uuid``. This is a write: it is retried only when
        the request surely did not reach the server. A ``category_id`` string that is an integer's
        text (``"12"``) is sent as that integer, the spec's type; any other string (a category's
        UID, ``"0042"``) as it is.

        Raises:
            ValidationError: a required field is None, or ``default_location_id`` is blank or
                a string other than digits (nothing is sent).
        """
        return await self._create(
            Product(
                category_id=_category(category_id, self._op("create")),
                name=name,
                code=code,
                order_column=order_column,
                active=active,
                description=description,
                default_dpi=default_dpi,
                team_id=team_id,
                editor_category_id=editor_category_id,
                default_location_id=optional_integer_id(
                    default_location_id, "default_location_id", self._op("create")
                ),
            )
        )

    async def update(
        self,
        product_id: int | str,
        *,
        category_id: int | str | NotGiven = NOT_GIVEN,
        name: str | NotGiven = NOT_GIVEN,
        code: str | NotGiven | None = NOT_GIVEN,
        order_column: int | NotGiven = NOT_GIVEN,
        active: bool | NotGiven = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        default_dpi: int | NotGiven | None = NOT_GIVEN,
        team_id: int | NotGiven = NOT_GIVEN,
        editor_category_id: str | NotGiven | None = NOT_GIVEN,
        default_location_id: int | str | NotGiven | None = NOT_GIVEN,
    ) -> Product:
        """Change a product (``PUT``): only the arguments given are sent, None as ``null``.

        Raises:
            ValidationError: no field given, a field required on create
                (``category_id``, ``name``, ``order_column``, ``active``, ``team_id``) given as
                None or blank: it can be left out, not cleared; or ``default_location_id``
                blank or a string other than digits.
            NotFoundError: no such product.
        """
        return await self._update(
            product_id,
            category_id=_category(category_id, self._op("update")),
            name=name,
            code=code,
            order_column=order_column,
            active=active,
            description=description,
            default_dpi=default_dpi,
            team_id=team_id,
            editor_category_id=editor_category_id,
            default_location_id=optional_integer_id(
                default_location_id, "default_location_id", self._op("update")
            ),
        )

    async def get(self, product_id: int | str) -> Product:
        """The product with this id (``GET``).

        Raises:
            ValidationError: ``product_id`` is not a positive int within 64 bits or a str of
                its digits (a blank or padded str, ``..``, a bool, a float; nothing is sent).
            NotFoundError: no such product.
        """
        return await self._get(product_id)

    async def delete(self, product_id: int | str) -> Deletion:
        """Delete a product (``DELETE``); the answer names the id deleted.

        Retried like a read: deleting twice is harmless. If an attempt reached the server but
        its answer was lost, the retry may answer 404: :class:`~omsclient.errors.NotFoundError`
        with ``maybe_applied`` True, whose message says an earlier attempt may have deleted it.

        Raises:
            ValidationError: ``product_id`` is not a positive int within 64 bits or a str of
                its digits (a blank or padded str, ``..``, a bool, a float; nothing is sent).
            NotFoundError: nothing to delete; with ``maybe_applied``, an earlier attempt may
                have deleted it.
        """
        return await self._delete(product_id)


class ProductsWithRawResponse(RawResponseView[Products]):
    """``with_raw_response`` of :class:`Products`: each request method, with the same
    parameters, returning a :class:`~omsclient.RawResponse` of its result."""

    create = raw_method(Products.create)
    """:meth:`Products.create <omsclient.rest.Products.create>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    get = raw_method(Products.get)
    """:meth:`Products.get <omsclient.rest.Products.get>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    update = raw_method(Products.update)
    """:meth:`Products.update <omsclient.rest.Products.update>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    delete = raw_method(Products.delete)
    """:meth:`Products.delete <omsclient.rest.Products.delete>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
