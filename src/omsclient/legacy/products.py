"""``oms.legacy.products``: product search, iteration and lookup by id."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Sequence
from datetime import tzinfo
from typing import Any

from omsclient._calls import CallRecord, kept_calls, read_after
from omsclient._concurrency import run_all
from omsclient._decoding import PageDecoder, php_list, structure, structure_many
from omsclient._pagination import MAX_PAGE_SIZE, Page, PageIterator
from omsclient._parts import View
from omsclient._process_bound import OfThisProcess
from omsclient._redact import Redactor
from omsclient._refused import refused_as, refused_as_async, secrets_kept_out
from omsclient._request import RequestSpec
from omsclient._responses import json_kind
from omsclient._settings import LEGACY_API, OrderFieldNumbering
from omsclient._validate import check_int, is_collection, shown
from omsclient._with_raw_response import RawResponseView, raw_method
from omsclient.errors import ProductsNotFoundError, StructureError, ValidationError
from omsclient.legacy._conditions import Condition, Op, ProductField, ProductSort, encode_conditions
from omsclient.legacy._envelope import NOT_FOUND, LegacyApi, status_code
from omsclient.legacy._product_scan import ProductScan, ProductScanState, row_product_id
from omsclient.legacy._search import TypedSearch, check_paging, malformed, read_page, search_spec
from omsclient.legacy.models import Product, ProductDetailed

__all__ = ["Products", "scan_products"]

FIND = f"{LEGACY_API}/manage_products/find"
GET = f"{LEGACY_API}/manage_products/get"
MAX_IDS_PER_CALL = 100
# Pages of products go from bytes straight to models when well-formed (see omsclient._decoding).
_PRODUCT_PAGES = PageDecoder("products", Product, "product_id")


def _check_id(value: object, name: str = "product id") -> int:
    """``value`` as a plain positive int: an IntEnum member's str() is its name on Python 3.10."""
    return check_int(value, name, minimum=1)


def _row_id(row: Any, spec: RequestSpec) -> int | None:
    """The id of a row of a ``get`` answer, read as the model reads it (``"5.0"`` is 5); None
    for a row that is no product (a ``null`` in the place of one not found)."""
    if not isinstance(row, dict):
        return None
    found = row_product_id(row)
    if found is None:
        # A product was sent: calling its id "not found" would hide it behind a wrong error.
        raise malformed(spec, "a product row has no usable product_id")
    return found


def _product(data: Any, product_id: int, spec: RequestSpec) -> ProductDetailed:
    """The product of a ``get`` answer, which must be the one asked for."""
    row = data.get("product")
    found = _row_id(row, spec)
    if found is None:
        raise malformed(spec, f"the answer holds no product {product_id}")
    if found != product_id:
        # Another product than the one asked for is no answer to the call.
        raise malformed(spec, f"asked for product {product_id}, got product {found}")
    return structure(row, ProductDetailed)


def _rows_by_id(data: Any, ids: Sequence[int], spec: RequestSpec) -> dict[int, Any]:
    """The product rows of a ``get`` answer for the ``ids`` asked, by id.

    Only a "not found" answer (40004) says an id is missing: a successful one that lacks some
    is malformed, not proof that they do not exist (a caller may delete what is missing).
    """
    # Keyed by index or by id: PHP's json_encode writes an array whose keys are not 0..n-1 as
    # an object.
    rows = php_list(data.get("products"))
    if not rows and isinstance(data.get("product"), dict):
        rows = [data["product"]]
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        raise malformed(spec, f"products is a JSON {json_kind(rows)} where an array was expected")
    found = {rid: row for row in rows if (rid := _row_id(row, spec)) is not None}
    missing = [i for i in ids if i not in found]
    if missing and status_code(data.get("response_status")) != NOT_FOUND:
        shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
        raise malformed(
            spec,
            f"a successful answer holds no product {shown}: only a not-found answer (40004) "
            "says an id is missing",
        )
    return found


def _rows_found(data: Any, ids: Sequence[int], spec: RequestSpec) -> dict[int, Any] | None:
    """The rows of a ``get_many`` answer by id (see :func:`_rows_by_id`), or None for a "not
    found" answer listing nothing, which says nothing of each of several ``ids``."""
    if len(ids) == 1 or not _lists_nothing(data):
        return _rows_by_id(data, ids, spec)
    return None


def _lists_nothing(data: dict[str, Any]) -> bool:
    """Whether a "not found" answer holds no ``products`` (nor a ``product``) at all: the
    answer of a get of one id, which says nothing of each of several."""
    return (
        status_code(data.get("response_status")) == NOT_FOUND
        and data.get("products") is None
        and data.get("product") is None
    )


def _merged(parts: list[dict[int, Any]]) -> dict[int, Any]:
    rows: dict[int, Any] = {}
    for part in parts:
        rows.update(part)
    return rows


def _products(rows: dict[int, Any]) -> dict[int, ProductDetailed]:
    """The products of the rows, by id.

    Raises:
        StructureError: a product does not fit; each message names its id, as the place of
            its row in the merged answers is nowhere the caller could look it up.
    """
    try:
        return dict(zip(rows, structure_many(list(rows.values()), ProductDetailed), strict=True))
    except StructureError as exc:
        # Its messages, not the error: kept in a variable of the frame its traceback holds, it
        # would keep the frame, and the rows, in a cycle until the garbage collector runs.
        failure = (exc.cls, exc.errors)
    problems = []
    for product_id, row in rows.items():
        try:
            structure(row, ProductDetailed)
        except StructureError as exc:
            problems += [f"product {product_id}: {problem}" for problem in exc.errors]
    raise StructureError(ProductDetailed, problems) if problems else StructureError(*failure)


def _built(
    parts: list[dict[int, Any]], redact: Redactor, calls: list[CallRecord]
) -> dict[int, ProductDetailed]:
    """The products of the rows ``calls`` answered with, by id: built once the calls have
    ended, and redacted as their errors are (the credentials each request carried too)."""
    with redact.joined(call.redact for call in calls).errors():
        return _products(_merged(parts))


@secrets_kept_out(lambda resource: resource._api.session.redact)
class Products(OfThisProcess):
    """The legacy Product Management API."""

    with_raw_response = View(lambda: ProductsWithRawResponse)
    """These request methods returning a :class:`~omsclient.RawResponse` (the answer's
    status, headers, timing and attempts; ``.parse()`` is the method's result), e.g.
    ``await oms.legacy.products.with_raw_response.get(42)``."""

    def __init__(
        self, api: LegacyApi, numbering: OrderFieldNumbering, zone: tzinfo | None = None
    ) -> None:
        self._api = api
        self._numbering = numbering
        self._zone = zone  # the legacy_timezone date conditions are written in
        # As the server sees them (see Orders).
        self._find = api.session.full_path("legacy", FIND)
        self._get = api.session.full_path("legacy", GET)
        self._typed = TypedSearch(
            api,
            self._find,
            "legacy.products.search",
            _PRODUCT_PAGES,
            operator.attrgetter("product_id"),
        )

    def _form(
        self, conditions: Sequence[Condition], sort_by: ProductSort | None
    ) -> list[tuple[str, str]]:
        form = encode_conditions(conditions, ProductField, self._numbering, self._zone)
        if sort_by is not None:
            if not isinstance(sort_by, ProductSort):
                raise ValidationError(f"sort_by must be a ProductSort, got {shown(sort_by)}")
            form.append(("sortby", str(int(sort_by))))
        return form

    @refused_as_async("legacy.products.search")
    async def search(
        self,
        *conditions: Condition,
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
        sort_by: ProductSort | None = None,
    ) -> Page[Product]:
        """One page of the products matching every condition.

        The API needs at least one condition; to list every product use
        ``Condition(ProductField.PRODUCT_ID, Op.GT, string=0)``.

        Raises:
            ValidationError: no condition or one not on a :class:`ProductField`, or a bad
                limit, offset or ``sort_by`` (nothing is sent).
            ApiError: the server refused; see :mod:`omsclient.errors`.
        """
        check_paging(limit, offset)
        return await self._typed.page(self._form(conditions, sort_by), offset, limit)

    @refused_as("legacy.products.iterate")
    def iterate(
        self,
        *conditions: Condition,
        concurrency: int = 1,
        max_items: int | None = None,
        start_offset: int = 0,
        sort_by: ProductSort | None = None,
    ) -> PageIterator[Product]:
        """Every product matching the conditions, 100 per request (see :class:`PageIterator`).

        Raises:
            ValidationError: no condition or one not on a :class:`ProductField`, or a bad
                ``concurrency``, ``max_items``, ``start_offset`` or ``sort_by`` (nothing is sent).
            ApiError: while iterating, the server refused a page; see :mod:`omsclient.errors`.
        """
        return self._typed.iterate(
            self._form(conditions, sort_by),
            concurrency=concurrency,
            max_items=max_items,
            start_offset=start_offset,
            operation="legacy.products.iterate",
            conditions=conditions,
        )

    @refused_as("legacy.products.scan")
    def scan(self, *conditions: Condition, state: ProductScanState | None = None) -> ProductScan:
        """Every product matching the conditions (all when none) exactly once, by ascending id.

        A keyset walk on Product Id (``PRODUCT_ID > last id``) instead of offsets, so products
        added or removed mid-scan never shift it. ``.state`` resumes it (``state=``); see
        ``docs/export.md``.

        Raises:
            ValidationError: a condition not on a :class:`ProductField`, or a ``state`` that is
                no valid :class:`ProductScanState` (nothing is sent).
        """
        return scan_products(self, *conditions, state=state)

    @refused_as_async("legacy.products.get")
    async def get(self, product_id: int) -> ProductDetailed:
        """The detailed product with this id.

        Raises:
            ValidationError: ``product_id`` is not a positive int within 64 bits (a str, a bool
                and a float are refused too; nothing is sent).
            NotFoundError: no such product (legacy code 40004).
            DecodeError: a successful answer holding no product, or another product.
        """
        product_id = _check_id(product_id)
        spec = RequestSpec(
            api="legacy",
            method="POST",
            path=self._get,
            operation="legacy.products.get",
            # Where the API documents it, and every public client sends it.
            query=(("id", str(product_id)),),
        )
        # The answer is read in functions, not here: an error leaving the block clears their
        # variables (error reporters print them), which a coroutine's could not be.
        with self._api.session.redact.errors(), read_after():
            return _product(await self._api.call(spec), product_id, spec)

    async def _chunk(self, ids: Sequence[int]) -> dict[int, Any]:
        spec = RequestSpec(
            api="legacy",
            method="POST",
            path=self._get,
            operation="legacy.products.get_many",
            query=(("ids", ",".join(map(str, ids))),),
        )
        # "Not found" is a WARNING here, not a failure: the answer still carries the products
        # that were found, as sent (an error's body would be redacted). An HTTP 404 that is no
        # envelope is no such answer: a wrong URL, raised as it is.
        # Read in a function, as in get: a coroutine's variables outlive an error.
        with read_after():
            rows = _rows_found(await self._api.call(spec, accept=frozenset({NOT_FOUND})), ids, spec)
        if rows is not None:
            return rows
        # "Not found" with no products at all, as a get of one id answers it: which of these
        # ids are missing it does not say, so each half is asked again, down to single ids.
        half = len(ids) // 2
        return _merged(
            await run_all(
                [functools.partial(self._chunk, part) for part in (ids[:half], ids[half:])]
            )
        )

    @refused_as_async("legacy.products.get_many")
    async def get_many(self, product_ids: Iterable[int]) -> list[ProductDetailed]:
        """The detailed products with these ids, in the order asked.

        Any number of ids: they are split into calls of at most 100, fetched concurrently
        (within the client's in-flight cap). A repeated id is fetched once and returned at each
        place it was asked. No id returns ``[]``, sending nothing.

        Raises:
            ValidationError: ``product_ids`` is no iterable of ids, or holds one that is no
                product id (nothing is sent).
            ProductsNotFoundError: some ids do not exist; ``missing_ids`` lists them and
                ``found`` holds the products that do, in the order asked.
        """
        if not is_collection(product_ids):
            raise ValidationError(
                f"product_ids must be an iterable of integers, got {type(product_ids).__name__}"
            )
        # Named by its place: one bad id among hundreds read from a file is found at once.
        asked = [_check_id(i, f"product_ids[{n}]") for n, i in enumerate(product_ids)]
        unique = list(dict.fromkeys(asked))
        chunks = [unique[i : i + MAX_IDS_PER_CALL] for i in range(0, len(unique), MAX_IDS_PER_CALL)]
        # As in get: the answers are read in functions.
        redact = self._api.session.redact
        with redact.errors(), kept_calls() as calls:
            by_id = _built(
                await run_all([functools.partial(self._chunk, c) for c in chunks]), redact, calls
            )
        found = [by_id[i] for i in asked if i in by_id]
        missing = [i for i in unique if i not in by_id]
        if missing:
            shown = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
            raise ProductsNotFoundError(
                f"legacy.products.get_many: {len(missing)} of {len(unique)} ids not found: {shown}",
                operation="legacy.products.get_many",
                method="POST",
                path=self._get,
                code=NOT_FOUND,
                severity="WARNING",
                missing_ids=missing,
                found=found,
            )
        return found


def scan_products(
    products: Products, *conditions: Condition, state: ProductScanState | None = None
) -> ProductScan:
    """A :class:`ProductScan` of ``oms.legacy.products`` (every product when no condition).

    Raises:
        TypeError: ``products`` is not an :class:`~omsclient.AsyncClient`'s (the blocking
            ``Client``'s scan is ``oms.legacy.products.scan()``).
        ValidationError: a condition that is not on a :class:`ProductField` (nothing is sent).
    """
    if not isinstance(products, Products):
        raise TypeError(
            "scan_products takes an AsyncClient's oms.legacy.products, not a "
            f"{type(products).__name__}; with the blocking Client, iterate "
            "oms.legacy.products.scan(...)"
        )
    # Encode once now so bad conditions fail here, before anything is sent.
    products._form((*conditions, Condition(ProductField.PRODUCT_ID, Op.GT, string=0)), None)

    async def fetch(extra: Sequence[Condition], offset: int, limit: int) -> Page[Any]:
        form = products._form(extra, ProductSort.PRODUCT_ID)
        # A scan's requests are searches, named as the orders scan's and iterate()'s are; the
        # scan's own errors (a runaway server, its arguments) name the scan.
        spec = search_spec(products._find, "legacy.products.search", form, offset, limit)
        # Read exactly: a scan's products are written out again by an export or a sync.
        with read_after():
            answer = await products._api.call_exact(spec)
            return read_page(answer, "products", spec, offset, limit)

    return ProductScan(
        fetch, conditions, state=state, operation="legacy.products.scan", path=products._find
    )


class ProductsWithRawResponse(RawResponseView[Products]):
    """``with_raw_response`` of :class:`Products`: each request method, with the same
    parameters, returning a :class:`~omsclient.RawResponse` of its result."""

    search = raw_method(Products.search)
    """:meth:`Products.search <omsclient.legacy.Products.search>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    get = raw_method(Products.get)
    """:meth:`Products.get <omsclient.legacy.Products.get>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    get_many = raw_method(Products.get_many)
    """:meth:`Products.get_many <omsclient.legacy.Products.get_many>`: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
