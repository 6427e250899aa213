"""Stable scans driven from blocking code: :class:`SyncOrderScan` and :class:`SyncProductScan`."""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterable
from typing import Any, Generic, TypeVar

from omsclient._loop_thread import LoopHandle
from omsclient._process_bound import OfThisScan
from omsclient._repr import Described
from omsclient.legacy._product_scan import ProductScan, ProductScanState
from omsclient.legacy._scan import OrderScan, Row, Scan, ScanPage
from omsclient.legacy._scan_state import ScanState

__all__ = ["SyncOrderScan", "SyncProductScan"]

T = TypeVar("T")


class _SyncScan(Described, OfThisScan, Generic[T]):
    """A scan whose calls run on the blocking client's event loop, each waited for; its repr is
    the async scan's, from any thread."""

    def __init__(self, scan: Scan[T], loop: LoopHandle, operation: str) -> None:
        self._scan = scan
        # The client's handle: a scan of a client nobody else holds keeps it open.
        self._loop = loop
        self._operation = operation

    def _repr_fields(self) -> Iterable[tuple[str, Any]]:
        fields: Iterable[tuple[str, Any]] = self._scan._repr_fields()  # type: ignore[attr-defined]
        return fields

    @property
    def requests(self) -> int:
        """Search requests this scan has sent."""
        return self._scan.requests

    @property
    def missed_because(self) -> tuple[str, ...]:
        """Why the scan may have skipped or repeated rows other than by the data changing, as
        its warnings said (see ``OrderScan.missed_because``); empty when none did (always, for
        a product scan)."""
        return self._scan.missed_because

    def count(self) -> int | None:
        """How many rows match the conditions right now (one request for one row; none right
        after an order scan's ``plan()`` read its first page); None from a server that sends
        no ``total``."""
        return self._loop.call(self._scan.count, self._operation)

    def remaining(self) -> int | None:
        """How many matching rows lie ahead of the scan's position right now: what iterating it
        would read (see ``OrderScan.remaining``); None from a server that sends no ``total``."""
        return self._loop.call(self._scan.remaining, self._operation)

    def pages(self) -> Generator[ScanPage[T], None, None]:
        """Iterate by page; ``state`` counts a page as yielded once it is handed out.

        Leaving the loop early (``break``, an exception) stops the scan where it is.
        """
        return self._loop.iterate(self._scan.pages(), self._operation)


# ``for row in scan`` fetches each batch on the loop and hands its rows out here, through the
# scan's own per-row step (``_rows``, which ``async for`` uses too): ``pages()`` counts a whole
# page as soon as it is handed out, and a round trip between threads per row would cost more
# than the row. The loop never writes the state meanwhile: windows fetch ahead, but only the
# consumer commits, and a read of ``state`` (from any thread) that folds in the rows handed out
# so far, under the scan's lock.


class SyncOrderScan(_SyncScan[T]):
    """An :class:`~omsclient.legacy.OrderScan` of the blocking client: ``for order in scan``,
    ``scan.pages()``, ``scan.state``, ``scan.plan()``, ``scan.count()``, ``scan.remaining()``."""

    def __init__(self, scan: OrderScan[T], loop: LoopHandle) -> None:
        super().__init__(scan, loop, "legacy.orders.scan")
        self._orders = scan

    def __iter__(self) -> Generator[T, None, None]:
        # OrderScan._items, with each batch fetched on the loop (see above); closed as
        # SyncPageIterator closes its pages.
        with contextlib.closing(
            self._loop.iterate(self._orders._batches(), self._operation)
        ) as batches:
            for batch in batches:
                yield from self._orders._rows(batch)

    @property
    def state(self) -> ScanState | None:
        """Where the scan stands (serialisable with ``to_dict``); None before it starts.
        It counts the rows handed out, to the row."""
        return self._orders.state

    def plan(self) -> ScanState:
        """Split the date range into windows (done once; see ``OrderScan.plan``)."""
        return self._loop.call(self._orders.plan, self._operation)


class SyncProductScan(_SyncScan[Row]):
    """A :class:`~omsclient.legacy.ProductScan` of the blocking client: ``for row in scan``,
    ``scan.pages()``, ``scan.state``, ``scan.plan()``, ``scan.count()``, ``scan.remaining()``."""

    def __init__(self, scan: ProductScan, loop: LoopHandle) -> None:
        super().__init__(scan, loop, "legacy.products.scan")
        self._products = scan

    def __iter__(self) -> Generator[Row, None, None]:
        # ProductScan._items, with each page fetched on the loop (see above): ``pages()`` sets
        # the state to the page's end before handing the page over; the rows set it back.
        with contextlib.closing(
            self._loop.iterate(self._products.pages(), self._operation)
        ) as pages:
            for page in pages:
                yield from self._products._rows(page)

    @property
    def state(self) -> ProductScanState:
        """What has been yielded so far, to the row."""
        return self._products.state

    def plan(self) -> ProductScanState:
        """The state the scan starts from; nothing to plan, nothing sent (see
        ``ProductScan.plan``)."""
        return self._loop.call(self._products.plan, self._operation)
