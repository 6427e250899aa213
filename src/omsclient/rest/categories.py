"""``oms.rest.categories``: product categories (``/api/v1/product-categories``)."""

from __future__ import annotations

from typing import TypeVar

from omsclient._parts import View
from omsclient._refused import secrets_kept_out
from omsclient._settings import REST_API
from omsclient._validate import unpadded
from omsclient._with_raw_response import RawResponseView, raw_method
from omsclient.errors import ValidationError
from omsclient.rest._fields import NOT_GIVEN, NotGiven
from omsclient.rest._resource import Resource
from omsclient.rest._transport import RestTransport
from omsclient.rest.models import Category, Deletion

__all__ = ["Categories"]

PATH = f"{REST_API}/product-categories"
P = TypeVar("P")


def _uid(value: P, name: str, none: str, operation: str) -> P:
    """UID ``value``, unless it is a string naming nothing as it would be sent: the server
    would find no such object ("The selected parent id is invalid.")."""
    if isinstance(value, str):
        if not value.strip():
            raise ValidationError(f"{operation}: {name} must not be blank (None for {none})")
        unpadded(value, f"{operation}: {name}")
    return value


def _parent(parent_id: P, operation: str) -> P:
    return _uid(parent_id, "parent_id", "no parent", operation)


def _location(default_location_id: P, operation: str) -> P:
    return _uid(default_location_id, "default_location_id", "no default location", operation)


@secrets_kept_out(lambda resource: resource._rest.session.redact)
class Categories(Resource[Category]):
    """Product categories: ``create``, ``get``, ``update``, ``delete`` by category id."""

    __slots__ = ()

    with_raw_response = View(lambda: CategoriesWithRawResponse)
    """These request methods returning a :class:`~omsclient.RawResponse` (the answer's
    status, headers, timing and attempts; ``.parse()`` is the method's result), e.g.
    ``await oms.rest.categories.with_raw_response.get(5)``."""

    def __init__(self, rest: RestTransport) -> None:
        super().__init__(
            rest,
            path=PATH,
            model=Category,
            name="categories",
            id_name="category_id",
            integer_ids=False,
        )

    async def create(
        self,
        *,
        name: str,
        parent_id: str | None = None,
        description: str | None = None,
        default_dpi: int | None = None,
        editor_category_id: str | None = None,
        default_location_id: str | None = None,
    ) -> Category:
        """Create a category (``POST``); arguments left as None are not sent.

        The server's ``default_dpi`` is 300. This is a write: it is retried only when the
        request surely did not reach the server.

        Raises:
            ValidationError: ``name`` is missing, or ``parent_id`` or ``default_location_id``
                is blank or begins or ends with white space (nothing is sent).
        """
        return await self._create(
            Category(
                name=name,
                parent_id=_parent(parent_id, self._op("create")),
                description=description,
                default_dpi=default_dpi,
                editor_category_id=editor_category_id,
                default_location_id=_location(default_location_id, self._op("create")),
            )
        )

    async def update(
        self,
        category_id: int | str,
        *,
        name: str | NotGiven = NOT_GIVEN,
        parent_id: str | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        default_dpi: int | NotGiven | None = NOT_GIVEN,
        editor_category_id: str | NotGiven | None = NOT_GIVEN,
        default_location_id: str | NotGiven | None = NOT_GIVEN,
    ) -> Category:
        """Change a category (``PUT``): only the arguments given are sent, None as ``null``.

        Raises:
            ValidationError: no field given, ``name`` (required on create) given as None or
                blank (it can be left out, not cleared), or ``parent_id`` or
                ``default_location_id`` blank or beginning or ending with white space.
            NotFoundError: no such category.
        """
        return await self._update(
            category_id,
            name=name,
            parent_id=_parent(parent_id, self._op("update")),
            description=description,
            default_dpi=default_dpi,
            editor_category_id=editor_category_id,
            default_location_id=_location(default_location_id, self._op("update")),
        )

    async def get(self, category_id: int | str) -> Category:
        """The category with this id (``GET``).

        Raises:
            ValidationError: ``category_id`` is blank, begins or ends with white space, is ``.`` or
                ``..``, is an int below 1 or beyond 64 bits, or is neither a str nor an int (a
                bool, a float; nothing is sent).
            NotFoundError: no such category.
        """
        return await self._get(category_id)

    async def delete(self, category_id: int | str) -> Deletion:
        """Delete a category (``DELETE``); the answer names the id deleted.

        Retried like a read: deleting twice is harmless. If an attempt reached the server but
        its answer was lost, the retry may answer 404: :class:`~omsclient.errors.NotFoundError`
        with ``maybe_applied`` True, whose message says an earlier attempt may have deleted it.

        Raises:
            ValidationError: ``category_id`` is blank, begins or ends with white space, is ``.`` or
                ``..``, is an int below 1 or beyond 64 bits, or is neither a str nor an int (a
                bool, a float; nothing is sent).
            NotFoundError: nothing to delete; with ``maybe_applied``, an earlier attempt may
                have deleted it.
        """
        return await self._delete(category_id)


class CategoriesWithRawResponse(RawResponseView[Categories]):
    """``with_raw_response`` of :class:`Categories`: each request method, with the same
    parameters, returning a :class:`~omsclient.RawResponse` of its result."""

    create = raw_method(Categories.create)
    """:meth:`Categories.create <omsclient.rest.Categories.create>`: same arguments; its result
    is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    get = raw_method(Categories.get)
    """:meth:`Categories.get <omsclient.rest.Categories.get>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    update = raw_method(Categories.update)
    """:meth:`Categories.update <omsclient.rest.Categories.update>`: same arguments; its result
    is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    delete = raw_method(Categories.delete)
    """:meth:`Categories.delete <omsclient.rest.Categories.delete>`: same arguments; its result
    is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
