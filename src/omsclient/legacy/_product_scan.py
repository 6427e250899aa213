"""Stable scans over products: every product that matches, exactly once, by ascending id.

A product's id never changes, so a keyset walk on it (``product_id > last id``, sorted by
Product Id) neither repeats nor skips products added or removed mid-scan. The request itself
is made by the caller's fetch function (see :meth:`omsclient.legacy.Products.scan`), which
keeps this module free of the products API it serves.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import attrs

from omsclient._calls import counted, read_after, unfit_answer
from omsclient._decoding import structure
from omsclient._dropped import closed_when_dropped
from omsclient._page import handed_out
from omsclient._pagination import MAX_PAGE_SIZE, Page, told_total
from omsclient._process_bound import OfThisScan
from omsclient._progress import Progress
from omsclient._repr import Described
from omsclient._responses import json_kind
from omsclient._validate import INT64_MAX, int_problem, shown
from omsclient.errors import StructureError, ValidationError
from omsclient.legacy._conditions import Condition, Op, ProductField
from omsclient.legacy._scan import Fetch, Row, ScanPage, may_follow
from omsclient.legacy._scan_state import STATE_VERSION

__all__ = ["ProductScan", "ProductScanState", "product_state_problem", "row_product_id"]


@attrs.frozen
class ProductScanState:
    """The resumable state of a product scan: products up to id ``after`` were yielded."""

    after: int = 0
    done: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "kind": "products",
            "version": STATE_VERSION,
            "after": self.after,
            "done": self.done,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ProductScanState:
        """The inverse of :meth:`to_dict`.

        Raises:
            ValidationError: not the state of a product scan.
        """
        if (
            not isinstance(data, dict)
            or data.get("kind") != "products"
            or data.get("version") != STATE_VERSION
        ):
            raise ValidationError("invalid scan state: not the state of a product scan")
        after: Any = data.get("after")  # checked below, with the state's own values
        state = cls(after=after, done=data.get("done", False))
        problem = product_state_problem(state)
        if problem is not None:
            raise ValidationError(f"invalid scan state: {problem}")
        return state


def product_state_problem(state: ProductScanState) -> str | None:
    """What makes ``state`` no state a product scan could have saved, or None."""
    # "false" is true: the scan would be taken as caught up and read nothing.
    if int_problem(state.after, "after", minimum=0) is not None or not isinstance(state.done, bool):
        return (
            f"after must be an integer 0..{INT64_MAX} (a product id) and done True or False, "
            f"got after={shown(state.after)}, done={shown(state.done)}"
        )
    return None


class ProductScan(Described, OfThisScan):
    """A stable scan over products by Product Id (``product_id > last id``, ascending).

    Yields products as the JSON objects the server sent, their numbers read as sent (an integer
    as its ``int`` with every digit, any other number as its ``Decimal``: ``1.50`` stays
    ``1.50``): exports and syncs write them out again. Like :class:`OrderScan`, ``state``
    resumes a later scan and iterating again picks up products added since. Its repr says
    where the newest iteration stands, as an order scan's does, and the last id read
    (``after=``).
    """

    def __init__(
        self,
        fetch: Fetch[Row],
        conditions: Sequence[Condition],
        *,
        state: ProductScanState | None = None,
        operation: str = "legacy.products.scan",
        path: str = "",
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        if state is not None and not isinstance(state, ProductScanState):
            raise ValidationError(f"state must be a ProductScanState, got {type(state).__name__}")
        problem = None if state is None else product_state_problem(state)
        if problem is not None:
            raise ValidationError(f"invalid scan state: {problem}")
        self._fetch_page = fetch
        self._conditions = tuple(conditions)
        self._state = state or ProductScanState()
        self._operation = operation
        self._path = path
        self._page_size = page_size
        self._sent = [0]
        self._progress = Progress()

    def _repr_fields(self) -> Iterable[tuple[str, Any]]:
        yield "operation", self._operation
        yield "conditions", self._conditions
        yield from self._progress.fields()
        yield "after", self._state.after
        yield "requests", self.requests

    @property
    def requests(self) -> int:
        """HTTP requests this scan has sent, each attempt of a retried search counted."""
        return self._sent[0]

    @property
    def state(self) -> ProductScanState:
        """What has been yielded so far."""
        return self._state

    @property
    def missed_because(self) -> tuple[str, ...]:
        """Empty: nothing a product scan reads tells it that it skipped or repeated a product
        other than by the data changing (present as on :attr:`OrderScan.missed_because
        <omsclient.legacy.OrderScan.missed_because>`, for code reading either scan)."""
        return ()

    async def _fetch(self, conditions: Sequence[Condition], offset: int, limit: int) -> Page[Row]:
        with counted(self._sent):
            return await self._fetch_page(conditions, offset, limit)

    def _after(self, after: int) -> tuple[Condition, ...]:
        return (*self._conditions, Condition(ProductField.PRODUCT_ID, Op.GT, string=after))

    async def plan(self) -> ProductScanState:
        """The state the scan starts from. Products are read in one run by id, so, unlike an
        order scan's, there is nothing to plan and nothing is sent."""
        return self._state

    async def count(self) -> int | None:
        """How many products match the conditions right now (one request for one row); None
        from a server that sends no ``total``."""
        return told_total(await self._fetch(self._after(0), 0, 1))

    async def remaining(self) -> int | None:
        """How many matching products lie ahead of the scan's position right now, those past
        the last Product Id it yielded: what iterating it would read (one request for one
        row; None from a server that sends no ``total``). The database sync uses it for a
        run's progress total."""
        return told_total(await self._fetch(self._after(self._state.after), 0, 1))

    def _id(self, row: Any, previous: int) -> int:
        product_id = row_product_id(row)
        if product_id is None or product_id <= previous:
            where = "the first product" if previous == 0 else f"the product after id {previous}"
            problem = (
                f"{where} has no usable product_id ({_described(row)})"
                if product_id is None
                else f"product id {row['product_id']!r} is not above {previous}; the server "
                "ignored the Product Id sort or condition"
            )
            # What the server holds or how it sorts: a resume meets the same.
            raise unfit_answer(
                f"{self._operation}: {problem}",
                operation=self._operation,
                method="POST",
                path=self._path,
            )
        return product_id

    @closed_when_dropped
    async def pages(self) -> AsyncGenerator[ScanPage[Row], None]:
        """Iterate by page; ``state`` counts a page as yielded once it is handed out."""
        with self._progress.reading() as handing:
            after = self._state.after
            while True:
                with read_after():  # a page it cannot place carries the answer
                    page = await self._fetch(self._after(after), 0, self._page_size)
                    last = after
                    for row in page.items:
                        last = self._id(row, last)
                # Not "shorter than asked": a server capping its pages would end the scan early.
                done = not may_follow(page)
                self._state = ProductScanState(last, done)
                if page.items:
                    handing(len(page.items))
                    yield ScanPage(0, page.items)
                if done:
                    return
                after = last

    def __aiter__(self) -> AsyncGenerator[Row, None]:
        return self._items()

    @closed_when_dropped
    async def _items(self) -> AsyncGenerator[Row, None]:
        pages = self.pages()
        try:
            async for page in pages:
                for row in self._rows(page):
                    yield row
        finally:
            await pages.aclose()

    def _rows(self, page: ScanPage[Row]) -> Iterator[Row]:
        """The rows of a page ``pages()`` just handed out, the state counting each one as it
        is handed out (``pages()`` counted the whole page), so a caller that stops after 30 rows
        resumes at row 31 (the blocking scan's ``for`` too)."""
        done = self._state.done
        for row in handed_out(page.items):
            product_id = row_product_id(row)
            assert product_id is not None  # pages() read every row's id before handing it out
            self._state = ProductScanState(product_id, False)
            yield row
        self._state = attrs.evolve(self._state, done=done)


def _described(row: Any) -> str:
    """What stands where a product id belongs: a number as it is, anything else by its type
    alone (a text may be anything the server echoed, a secret included)."""
    if not isinstance(row, dict):
        return f"the row is a JSON {json_kind(row)}"
    if "product_id" not in row:
        return "none sent"
    value = row["product_id"]
    if isinstance(value, Decimal):  # how the scan reads a JSON number with a fraction
        return f"found {value}"
    if value is None or isinstance(value, (bool, int, float)):
        return f"found {shown(value)}"
    return f"found a JSON {json_kind(value)}"


def row_product_id(row: Any) -> int | None:
    """A row's product id, read as the ``Product`` model reads it (``"5.0"`` is 5; ``5.7`` and
    ``true`` are no id), so a scan keeps every product ``get_many`` would return; None if the
    row has none it can read."""
    if not isinstance(row, dict):
        return None
    try:
        return structure(row.get("product_id"), int)
    except StructureError:
        return None
