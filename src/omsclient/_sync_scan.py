"""Stable scans driven from blocking code: :class:`SyncOrderScan` and :class:`SyncProductScan`."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from typing import Generic, Protocol, TypeVar

import attrs

from omsclient._loop_thread import LoopHandle
from omsclient.legacy._product_scan import ProductScan, ProductScanState
from omsclient.legacy._scan import OrderScan, Row, ScanPage
from omsclient.legacy._scan_state import ScanState

__all__ = ["SyncOrderScan", "SyncProductScan"]

T = TypeVar("T")


class _Scan(Protocol[T]):
    @property
    def requests(self) -> int: ...

    def pages(self) -> AsyncGenerator[ScanPage[T], None]: ...

    async def count(self) -> int: ...


class _SyncScan(Generic[T]):
    def __init__(self, scan: _Scan[T], loop: LoopHandle) -> None:
        self._scan = scan
        # The client's handle: a scan of a client nobody else holds keeps it open.
        self._loop = loop

    @property
    def requests(self) -> int:
        """Search requests this scan has sent."""
        return self._scan.requests

    def count(self) -> int:
        """How many rows match the conditions right now (one request for one row; none right
        after an order scan's ``plan()`` read its first page)."""
        return self._loop.call(self._scan.count)

    def pages(self) -> Iterator[ScanPage[T]]:
        """Iterate by page; ``state`` counts a page as yielded once it is handed out.

        Leaving the loop early (``break``, an exception) stops the scan where it is.
        """
        return self._loop.iterate(self._scan.pages())


# ``for row in scan`` commits the state per row handed out, as ``async for`` does (the async
# scans' ``_items``), so a caller that stops after 30 rows of a page resumes at row 31. It
# cannot iterate ``pages()``: that commits a whole page before handing it out. Nor can it step
# ``_items`` on the loop row by row: one round trip between threads per row. So the batches
# are fetched on the loop and each row is committed here, in the calling thread, just before
# it is yielded, with the scans' own commit steps. The loop never writes the state while a
# batch is being handed out: a scan's windows fetch ahead, but only the consumer commits.
# TODO: once legacy/_scan.py and _product_scan.py expose a commit-per-row helper shared with
# ``_items``, use it here instead of their private steps.


class SyncOrderScan(_SyncScan[T]):
    """A :class:`~omsclient.legacy.OrderScan` of the blocking client: ``for order in scan``,
    ``scan.pages()``, ``scan.state``, ``scan.plan()``, ``scan.count()``."""

    def __init__(self, scan: OrderScan[T], loop: LoopHandle) -> None:
        super().__init__(scan, loop)
        self._orders = scan

    def __iter__(self) -> Iterator[T]:
        # OrderScan._items, with each batch fetched on the loop (see above).
        scan = self._orders
        for batch in self._loop.iterate(scan._batches()):
            for key, item in zip(batch.keys, batch.rows, strict=True):
                scan._commit_row(batch.window, key)
                yield item
            scan._commit(batch.window, batch.after)

    @property
    def state(self) -> ScanState | None:
        """Where the scan stands (serialisable with ``to_dict``); None before it starts.
        It counts the rows handed out, to the row."""
        return self._orders.state

    def plan(self) -> ScanState:
        """Split the date range into windows (done once; see ``OrderScan.plan``)."""
        return self._loop.call(self._orders.plan)


class SyncProductScan(_SyncScan[Row]):
    """A :class:`~omsclient.legacy.ProductScan` of the blocking client: ``for row in scan``,
    ``scan.pages()``, ``scan.state``, ``scan.plan()``, ``scan.count()``."""

    def __init__(self, scan: ProductScan, loop: LoopHandle) -> None:
        super().__init__(scan, loop)
        self._products = scan

    def __iter__(self) -> Iterator[Row]:
        # ProductScan._items, with each page fetched on the loop (see above): ``pages()`` sets
        # the state to the page's end before handing the page over; the rows set it back.
        scan = self._products
        for page in self._loop.iterate(scan.pages()):
            done = scan._state.done
            for row in page.items:
                scan._state = ProductScanState(int(row["product_id"]), False)
                yield row
            scan._state = attrs.evolve(scan._state, done=done)

    @property
    def state(self) -> ProductScanState:
        """What has been yielded so far, to the row."""
        return self._products.state

    def plan(self) -> ProductScanState:
        """The state the scan starts from; nothing to plan, nothing sent (see
        ``ProductScan.plan``)."""
        return self._loop.call(self._products.plan)
