"""Stable scans: every order (or product) that matches for a whole scan, exactly once.

Offset paging over data that changes skips and repeats rows: when a row before the offset
leaves the filter, every later row moves up one place and one of them is never read; when a
row arrives before the offset, a row is read twice. A keyset scan asks instead for "the rows
after the last one I saw", sorted by a key that never changes, so what happens to other rows
cannot move the rows it has not read yet.

Orders are scanned by Date Ordered, which is set once when an order is placed. The API filters
dates to the second, so the cursor is a second: each request asks for ``date_ordered >=
cursor`` (sorted by date ordered, offset 0) and skips the rows of the cursor's second it has
already yielded. More than one page of orders inside a single second ("a tie block") is read
by offset within that second and re-read until a pass finds nothing new. The date range can
be split into windows scanned concurrently, each with its own cursor. Products are scanned by
their id, which never changes either (see :mod:`omsclient.legacy._product_scan`).

Each window sends its next request as soon as the reader takes what it found, before the reader
builds the models of a typed scan (its pages come parsed, not built) and hands them out: a
window's round trip waits for the parse of its last page only.

The state of a scan (per window: cursor, ids already yielded at the cursor's second, done) is
small and serialisable, so a scan can be resumed later, by another process: the exporter's
checkpoints and polling workers use that. This module runs a scan; the state is
:mod:`~omsclient.legacy._scan_state`, the split into windows :mod:`~omsclient.legacy._scan_plan`
and the dates :mod:`~omsclient.legacy._scan_dates`.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import itertools
import logging
import threading
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Sequence,
)
from typing import Any, Generic, Literal, Protocol, TypeVar

import attrs
import msgspec

from omsclient._background import Finishing, let_them_send
from omsclient._calls import CallRecord, counted, kept_calls, read_after, unfit_answer
from omsclient._concurrency import run_all
from omsclient._decoding import show
from omsclient._dropped import closed_when_dropped
from omsclient._page import handed_out
from omsclient._pagination import MAX_PAGE_SIZE, Page, told_total
from omsclient._process_bound import OfThisScan
from omsclient._progress import Progress
from omsclient._repr import Described
from omsclient._responses import json_kind
from omsclient._runaway import RunawayGuard
from omsclient._validate import int_in_range, shown
from omsclient.errors import DecodeError, ValidationError
from omsclient.legacy._conditions import (
    Condition,
    Op,
    OrderField,
)
from omsclient.legacy._scan_dates import (
    FIRST_SECOND,
    LAST_SECOND,
    epoch_second,
    model_second,
    second_of_datetime,
    wire_second,
)
from omsclient.legacy._scan_plan import plan_windows
from omsclient.legacy._scan_state import ScanState, WindowState, state_problem
from omsclient.legacy._sent import SentOrder
from omsclient.legacy.models import Order

__all__ = [
    "MAX_TIE_PASSES",
    "MAX_WINDOWS",
    "OrderScan",
    "SavedState",
    "Scan",
    "ScanPage",
]

T = TypeVar("T")
Row = dict[str, Any]
Fetch = Callable[[Sequence[Condition], int, int], Awaitable[Page[T]]]
"""Fetches a page of the rows matching the conditions, at an offset."""
OrderFetch = Callable[[Sequence[Condition], int, int, OrderField], Awaitable[Page[T]]]
"""Fetches a page of the orders matching the conditions, at an offset, sorted by a field."""
Build = Callable[[Page[Any], list[int]], Awaitable[list[T]]]
"""Makes the models of the rows at some positions of a page the fetch returned."""

logger = logging.getLogger("omsclient")

MAX_WINDOWS = 64
"""Most windows one order scan may use (each keeps one request in flight)."""
MAX_TIE_PASSES = 4
"""Most offset passes over one second holding more than a page of orders."""
_NO_END = 2**63
"""A second after every date (the end of an open-ended window)."""


def may_follow(page: Page[Any]) -> bool:
    """Whether rows may follow ``page`` in its search (a keyset page's rows run from the key).

    A page shorter than asked is not the end by itself: a server may cap its pages below the
    limit. Its ``total`` (the rows from the key on, or from its offset's search) says whether
    more remain, so the last page of a search whose total agrees ends it without a request
    more. An answer without a total tells nothing: only an empty page ends the search then.
    """
    rows = len(page.items)
    if not rows:
        return False
    return rows >= page.limit or page.offset + rows < page.total or not page.total_known


@attrs.frozen
class ScanPage(Generic[T]):
    """Rows a scan yields together: part of one server page, minus rows already yielded.

    Attributes:
        window: the index of the window the rows come from (0 for products).
        items: the rows, ascending by the scan's key within the window.
    """

    window: int
    # Raw rows may hold login keys in document URLs, typed ones print a line each: counted only.
    items: list[T] = attrs.field(repr=lambda items: f"<{len(items)} items>")

    def __len__(self) -> int:
        return len(self.items)


class SavedState(Protocol):
    """A scan's position, as a job saves it to continue from (an order or product scan's)."""

    def to_dict(self) -> dict[str, Any]:
        """The position as JSON-ready data, for the scan's ``state=`` to continue from."""
        ...


class Scan(Protocol[T]):
    """What the jobs driven by a scan (the export, the database sync, the blocking client's
    scans) use of an :class:`OrderScan` or a :class:`~omsclient.legacy.ProductScan`."""

    @property
    def requests(self) -> int:
        """Search requests the scan has sent."""
        ...

    @property
    def state(self) -> SavedState | None:
        """Where the scan is, to continue from; None before it is planned."""
        ...

    @property
    def missed_because(self) -> tuple[str, ...]:
        """Why the scan may have skipped or repeated rows other than by the data changing
        (see :attr:`OrderScan.missed_because`); empty when nothing suggests it."""
        ...

    def pages(self) -> AsyncGenerator[ScanPage[T], None]:
        """The rows, a :class:`ScanPage` at a time."""
        ...

    async def plan(self) -> object:
        """The state the scan starts from: an order scan's windows, found by a few
        requests; a product scan's, at once."""
        ...

    async def count(self) -> int | None:
        """How many rows match right now; None from a server that sends no ``total``."""
        ...

    async def remaining(self) -> int | None:
        """How many rows are left to read; None from a server that sends no ``total``."""
        ...


# -- orders ------------------------------------------------------------------------------------


def _looks_again(window: WindowState) -> bool:
    """Whether a window read to its end looks for new orders on the scan's next pass: the
    open-ended last one does, unless it read the last second the API's dates can name."""
    return window.done and window.end is None and window.cursor <= LAST_SECOND


@attrs.frozen
class _Found:
    """What a window found: the rows at ``positions`` of ``page`` (none without a page), their
    keys, and the window's state after them."""

    window: int
    page: Page[Any] | None
    positions: list[int]
    keys: list[tuple[int, str]]
    after: WindowState


@attrs.frozen
class _Batch:
    """The rows of what a window found, to hand out (models, for a typed scan)."""

    window: int
    rows: list[Any]
    keys: list[tuple[int, str]]
    after: WindowState


async def _next(source: AsyncIterator[_Found]) -> _Found | None:
    """The next batch of a window, or None once it is done."""
    try:
        return await source.__anext__()
    except StopAsyncIteration:
        return None


class _Handout:
    """A batch whose rows are being handed out one by one: how many were, and how many of those
    the state counts already."""

    __slots__ = ("batch", "counted", "handed")

    def __init__(self, batch: _Batch) -> None:
        self.batch = batch
        self.handed = 0
        self.counted = 0


def _order_id(row: Any) -> Any:
    """A row's ``order_id``, whichever form the scan reads it in: the runaway guard's identity
    (an order as sent has no equality of its own, so compared whole none was found again)."""
    return row.get("order_id") if isinstance(row, dict) else getattr(row, "order_id", None)


class OrderScan(Described, OfThisScan, Generic[T]):
    """A stable scan over orders by Date Ordered; see :meth:`Orders.scan`.

    ``async for order in scan`` yields orders; ``async for page in scan.pages()`` yields
    :class:`ScanPage` s. ``scan.state`` tells what has been yielded so far (to the row, also
    when the loop is left early) and resumes a later scan. Iterating the same scan again
    continues from its state, and asks the open-ended last window for orders that arrived since,
    which is what a polling worker wants.

    Its repr names the scan and says where the newest iteration stands::

        OrderScan(operation='legacy.orders.scan', conditions=(), raw=False, windows=4,
                  since='2024-01-01T00:00:00', until=None, status='reading', pages=12,
                  rows=1130, requests=19)
    """

    def __init__(
        self,
        fetch: OrderFetch[Any],
        conditions: Sequence[Condition],
        *,
        since: int | None = None,
        until: int | None = None,
        windows: int = 1,
        state: ScanState | None = None,
        operation: str = "legacy.orders.scan",
        path: str = "",
        page_size: int = MAX_PAGE_SIZE,
        build: Build[T] | None = None,
        settle: Callable[[int], int] = lambda second: second,
        raw: bool | Literal["sent"] = False,
    ) -> None:
        """Built by the client; ``raw`` is what the repr says the rows are."""
        windows = int_in_range(windows, "windows", 1, MAX_WINDOWS)
        if since is not None and until is not None and until < since:
            raise ValidationError("until is before since")
        if state is not None and not isinstance(state, ScanState):
            raise ValidationError(f"state must be a ScanState, got {type(state).__name__}")
        problem = None if state is None else state_problem(state)
        if problem is not None:
            raise ValidationError(f"invalid scan state: {problem}")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValidationError(f"page_size must be 1..{MAX_PAGE_SIZE}, got {shown(page_size)}")
        self._fetch_page = fetch
        self._settle_split = settle  # where a window may end (see plan_windows)
        # Pages of rows not built yet: each batch's are built once its window's next request
        # is out, so that a window's round trips wait for the parse only.
        self._build = build
        self._conditions = tuple(conditions)
        # No Date Ordered can be past the API's last second: an until there is no bound (and its
        # exclusive end, a year 10000, could not be written).
        self._end = None if until is None or until >= LAST_SECOND else until + 1
        # A resumed scan's range is its state's (one saved before it kept its start: since).
        self._since = since if state is None or state.start is None else state.start
        if state is not None:
            self._end = state.windows[-1].end
        self._windows = windows
        self._state = state
        self._operation = operation
        self._path = path
        self._page_size = page_size
        self._generation = 0
        # The pages planning read that start windows, each with the call that answered it
        # (for an error placing its rows), by window.
        self._first: dict[int, tuple[Page[Any], CallRecord | None]] = {}
        # The count planning's first page gave, for count() to return once (None: the server
        # sends no total); _plan_counted says whether it is there.
        self._planned_total: int | None = None
        self._plan_counted = False
        # The state plan() made, until an iteration replaces it: nothing yielded yet.
        self._planned: ScanState | None = None
        self._handout: _Handout | None = None
        # The blocking client hands rows out in one thread while another may read the state:
        # the state is written by both then (the read counts the rows handed out so far).
        self._settling = threading.Lock()
        self._told_of_vanished = False
        self._missed: dict[str, None] = {}
        self._sent = [0]
        self._raw = raw
        self._progress = Progress()

    def _repr_fields(self) -> Iterable[tuple[str, Any]]:
        # Not the state property: it takes the lock a blocking reader's thread may hold.
        state, end = self._state, self._end
        yield "operation", self._operation
        yield "conditions", self._conditions
        yield "raw", self._raw
        yield "windows", self._windows if state is None else len(state.windows)
        yield "since", None if self._since is None else wire_second(self._since)
        yield "until", None if end is None else wire_second(end - 1)
        yield from self._progress.fields()
        yield "requests", self.requests

    @property
    def requests(self) -> int:
        """HTTP requests this scan has sent, each attempt of a retried search counted."""
        return self._sent[0]

    @property
    def state(self) -> ScanState | None:
        """What has been yielded so far; None before the scan has planned its windows."""
        self._settle()
        return self._state

    @property
    def missed_because(self) -> tuple[str, ...]:
        """Why the scan may have skipped or repeated orders other than by the data changing,
        in a few words each (``"the server's time zone"``), once each, in the order its
        warnings gave them; empty when none did. An export's summary names them as the cause
        of a difference between the orders written and the server's count."""
        return tuple(self._missed)

    # -- requests --

    async def _fetch(
        self,
        conditions: Sequence[Condition],
        offset: int,
        limit: int,
        sort_by: OrderField = OrderField.DATE_ORDERED,
    ) -> Page[Any]:
        with counted(self._sent):
            return await self._fetch_page(conditions, offset, limit, sort_by)

    def _range(self, start: int, end: int | None) -> tuple[Condition, ...]:
        bounds = [Condition(OrderField.DATE_ORDERED, Op.GE, date1=wire_second(start))]
        # An end past the last second (a tie block in it) bounds nothing, and has no date.
        if end is not None and end <= LAST_SECOND:
            bounds.append(Condition(OrderField.DATE_ORDERED, Op.LT, date1=wire_second(end)))
        return (*self._conditions, *bounds)

    def _bad_answer(self, message: str) -> DecodeError:
        # What the server holds or how it sorts: asking again meets the same.
        return unfit_answer(
            f"{self._operation}: {message}",
            operation=self._operation,
            method="POST",
            path=self._path,
        )

    def _key(self, row: Any) -> tuple[int, str]:
        if self._build is not None and isinstance(row, msgspec.Struct):
            mirror: Any = row  # an order read but not built
            order_id, date = mirror.order_id, mirror.date_ordered
            second = self._second(date)
        elif isinstance(row, dict):
            order_id, date = row.get("order_id"), row.get("date_ordered")
            second = self._second(date)
        elif isinstance(row, SentOrder):
            order_id, date = row.order_id, row.date_ordered
            second = self._second(date)
        elif isinstance(row, Order):
            order_id, date = row.order_id, row.date_ordered
            second = None if date is None else second_of_datetime(date)
        else:
            raise self._bad_answer(f"an order is a JSON {json_kind(row)}, not an object")
        if order_id is None or order_id == "":
            raise self._bad_answer("an order has no order_id")
        if isinstance(order_id, (dict, list)):
            raise self._bad_answer(f"an order's order_id is {show(order_id)}")
        if second is None:
            found = "has no date_ordered" if date is None else f"its date_ordered is {show(date)}"
            raise self._bad_answer(
                f"order {show(order_id)} matched a Date Ordered condition but {found}"
            )
        return second, str(order_id)

    @staticmethod
    def _second(date: Any) -> int | None:
        second = epoch_second(date)
        if second is None:
            # A shape only the models read (a space after the date, 20240105...): every scan,
            # typed, raw or sent, keys a row by the second its order holds, as the sync's date
            # column reads it too. (Where both read a date, they read the same second.)
            second = model_second(date)
        return second

    async def count(self) -> int | None:
        """How many orders match the conditions (and ``since``/``until``) right now; None
        from a server that sends no ``total``.

        One request for one row; none right after :meth:`plan` sent its count's page, whose
        total it returns. The exporter and the database sync use it for the progress total,
        and the exporter for its final count check.
        """
        if self._plan_counted:
            self._plan_counted = False
            return self._planned_total
        start = FIRST_SECOND if self._since is None else self._since
        return told_total(await self._fetch(self._range(start, self._end), 0, 1))

    async def remaining(self) -> int | None:
        """How many matching orders lie ahead of the scan's position right now: what iterating
        it would read, as the server counts them now.

        Before the scan has yielded anything, :meth:`count` (no request right after
        :meth:`plan`). After that, or resumed from a ``state``, each window not read to its end
        (and the open-ended last one, which looks again for new orders) counts its orders from
        its cursor on, less those of the cursor's second it has yielded: one request for one
        row per window, sent at once. The database sync uses it for a run's progress total.
        None from a server that sends no ``total``.
        """
        self._settle()
        if self._state is None or self._state is self._planned:
            return await self.count()
        windows = [w for w in self._state.windows if not w.done or _looks_again(w)]
        pages = await run_all(
            [functools.partial(self._fetch, self._range(w.cursor, w.end), 0, 1) for w in windows]
        )
        if not all(page.total_known for page in pages):
            return None
        return sum(max(0, p.total - len(w.ids)) for p, w in zip(pages, windows, strict=True))

    # -- planning --

    async def plan(self) -> ScanState:
        """Split the date range into windows holding about as many orders each.

        The first page of the matching orders counts them, and with more than one window,
        ``windows - 1`` pages at evenly spaced offsets find the dates to split at, so windows
        are balanced by orders, not by time (and there are no more windows than pages of
        orders). Those pages start the windows (each one's rows from its window's first second
        on, the first page the first window's), so planning delays the windows by one round
        trip, the count's, and sends no request a window would not; :meth:`count` called next
        returns the count's total without a request. Done once; a resumed scan keeps its
        windows.
        """
        self._settle()
        if self._state is None:
            start = FIRST_SECOND if self._since is None else self._since
            calls: dict[int, CallRecord] = {}  # by id() of the pages the plan holds

            async def fetch(conditions: Sequence[Condition], offset: int, limit: int) -> Page[Any]:
                with kept_calls() as ended:
                    page = await self._fetch(conditions, offset, limit)
                if ended:
                    calls[id(page)] = ended[-1]
                return page

            plan = await plan_windows(
                fetch,
                self._range,
                lambda row: self._key(row)[0],
                start,
                self._end,
                self._windows,
                self._page_size,
                self._settle_split,
            )
            self._state = attrs.evolve(plan.state, start=self._since)
            self._first = {k: (page, calls.get(id(page))) for k, page in plan.first.items()}
            self._planned, self._planned_total = self._state, told_total(plan.first[0])
            self._plan_counted = True
        return self._state

    # -- one window --

    def _advance(
        self, rows: list[Any], positions: range, cursor: int, end: int | None, seen: set[str]
    ) -> tuple[list[int], list[tuple[int, str]], int, set[str], bool]:
        """The positions of the rows (at ``positions``) not yielded yet, their keys, the cursor
        and ids after them, and whether the rows reached the window's end."""
        fresh: list[int] = []
        keys: list[tuple[int, str]] = []
        current, ids = cursor, seen
        previous = cursor
        stop = _NO_END if end is None else end
        for i in positions:
            second, order_id = self._key(rows[i])
            if second < previous:
                if self._settle_split(cursor) != cursor:
                    raise self._repeated_hour(order_id, cursor)
                raise self._bad_answer(
                    f"orders are not in ascending Date Ordered from {wire_second(cursor)} "
                    f"(order {order_id}); the server ignored the sort or the date condition, "
                    "or compares dates in another time zone than the client's legacy_timezone"
                )
            if second >= stop:
                # The server's "before the end" bound let the next window's orders in (it is
                # inclusive, or ignored). They are that window's to yield; rows are ascending,
                # so this window has been read to its end.
                return fresh, keys, current, ids, True
            previous = second
            if second > current:
                current, ids = second, {order_id}
            elif order_id in ids:
                continue
            else:
                if ids is seen:
                    ids = set(seen)
                ids.add(order_id)
            fresh.append(i)
            keys.append((second, order_id))
        return fresh, keys, current, ids, False

    def _repeated_hour(self, order_id: str, cursor: int) -> DecodeError:
        return self._bad_answer(
            f"order {order_id} came back from before {wire_second(cursor)}, which is the second "
            "time the clocks of the client's legacy_timezone show its wall time (they went "
            "back): a server comparing its local times reads the first, an hour earlier, and "
            "a page or more of orders of that hour cannot be paged through by date there"
        )

    def _check_they_came_back(self, cursor: int, seen: set[str], first: Any) -> None:
        """Warn, once a scan, when the orders of the cursor's second read on the page before
        do not come back first in the answer from that second on. Either they all left the
        filter meanwhile, or the server compares the date condition in another zone than the
        client's legacy_timezone, later, and skips every order in between, at every page:
        nothing else tells."""
        after = self._key(first)[0]
        if after > cursor and not self._told_of_vanished:
            self._told_of_vanished = True
            self._missed["the server's time zone"] = None
            logger.warning(
                "%s: %s of %s read on one page did not come back in the answer from that "
                "second on, which starts at %s: they left the filter meanwhile, or the server "
                "compares date conditions in another time zone than the client's "
                "legacy_timezone (UTC when unset), which skips the orders in between (then at "
                "every page: set legacy_timezone, or OMS_LEGACY_TIMEZONE, to the server's "
                "zone; this is said once)",
                self._operation,
                "the order" if len(seen) == 1 else f"the {len(seen)} orders",
                wire_second(cursor),
                wire_second(after),
            )

    async def _tie_block(
        self, index: int, second: int, end: int | None, seen: set[str]
    ) -> AsyncGenerator[_Found, None]:
        """Every order of one second holding more than a page, by offset within the second.

        Offset paging is safe from repeats here (``seen`` dedupes), but a row of this second
        leaving the filter mid-pass can hide another, and a server may order the rows of one
        second differently at each request: passes repeat until one finds nothing new, its
        answers agree on the second's total, and it received that many orders. A pass that
        falls short of the total but finds nothing new, receives the same orders and sees the
        same total as the pass before it ends the block too: nothing changed between them, and
        a server answering the same again would only be read again (its total counts orders
        it does not send, or it never sends some at any offset: a warning says so).

        Passes sort by Date Ordered, all one value here, until one falls short of the
        second's count: a database may order such ties differently for each offset and limit
        (MySQL's ``ORDER BY ... LIMIT`` does), and never send some of them at any offset. The
        passes after such a pass sort by Invoice Number, one for each order, so that their
        offsets page through an order that holds still.

        A server whose "before the next second" bound is inclusive or ignored sends orders of
        later seconds too. Sorted by date they come last: the pass stops at the first, whose
        place counts the second's orders (the total then counts the later ones as well), and
        a pass by Invoice Number, where they come anywhere, skips them and stops once it has
        that many. Met first in a pass by Invoice Number, the passes go back to Date Ordered.
        """
        conditions = self._range(second, second + 1)
        before: tuple[set[str], set[int]] | None = None
        sort_by = OrderField.DATE_ORDERED
        counted: int | None = None  # the second's orders, where a later one's place told
        for attempt in range(MAX_TIE_PASSES):
            offset, limit, found_new, past = 0, self._page_size, False, False
            by_invoice = sort_by is OrderField.INVOICE_NUMBER
            # Sorted by invoice with the second counted, later orders are skipped and the pass
            # ends at that count (only a pass by date counts: it holds still meanwhile).
            stop_at = counted if by_invoice else None
            guard = RunawayGuard(_order_id)
            received: set[str] = set()
            totals: set[int] = set()
            while True:
                with read_after():  # a page it cannot place carries the answer
                    page = await self._fetch(conditions, offset, limit, sort_by)
                    guard.check(page)
                    if page.total_known:
                        totals.add(page.total)
                    fresh: list[int] = []
                    keys: list[tuple[int, str]] = []
                    for i, row in enumerate(page.items):
                        key = self._key(row)
                        if key[0] > second:
                            # An inclusive or ignored "before the next second" bound: as in
                            # _advance, the rows of the later seconds are read after this block.
                            past = True
                            if stop_at is not None:
                                continue  # this second's may follow it
                            if not by_invoice:
                                counted = offset + i  # by date, all of the second came before
                            break
                        if key[0] < second:
                            raise self._bad_answer(
                                f"asked for orders of {wire_second(second)} only, "
                                f"got one of {wire_second(key[0])}"
                            )
                        received.add(key[1])
                        if key[1] not in seen:
                            seen.add(key[1])
                            fresh.append(i)
                            keys.append(key)
                if fresh:
                    found_new = True
                    yield _Found(index, page, fresh, keys, WindowState(second, end, tuple(seen)))
                if not may_follow(page) or (past and stop_at is None):
                    break
                if stop_at is not None and len(received) >= stop_at:
                    break  # every order of the second, the later ones skipped
                # By the rows received, not the limit: a server capping its pages sends fewer,
                # and asked for that many from then on, a page of rows sent at other offsets
                # is a full one the guard knows for a server ignoring the offset.
                offset += len(page.items)
                limit = min(limit, len(page.items))
            if past and by_invoice and stop_at is None:
                # The bound not kept after all: sorted by invoice, rows of this second may
                # have followed the later one the pass stopped at. By date from now on.
                sort_by, before = OrderField.DATE_ORDERED, None
                continue
            # A pass is whole when it received as many orders as the second holds: as a later
            # order's place counted them, or as its answers' total does when they agree on it
            # (a total counts them only where the server kept to its bound).
            count = counted if counted is not None else min(totals) if len(totals) == 1 else None
            # With no count (no totals, nor a later order's place), a pass by date that found
            # nothing new may have missed what the server never sends at any offset by date:
            # a pass by Invoice Number confirms it.
            whole = (len(received) >= count) if count is not None else not totals and by_invoice
            if not found_new and whole:
                return
            if not whole:
                sort_by = OrderField.INVOICE_NUMBER
            if not found_new and count is not None and before == (received, totals):
                self._missed["orders of a second not sent"] = None
                logger.warning(
                    "%s: the second %s holds %d orders by the server's %s, but two passes in "
                    "a row received the same %d (%d over all passes); moving on (%sit never "
                    "sends some of them at any offset, or it orders them differently at each "
                    "request)",
                    self._operation,
                    wire_second(second),
                    count,
                    "total" if counted is None else "sort",
                    len(received),
                    len(seen),
                    "the total counts orders the server does not send, " if counted is None else "",
                )
                return
            before = (received, totals)
            logger.debug(
                "%s: pass %d over the %d orders of %s",
                self._operation,
                attempt + 1,
                len(seen),
                wire_second(second),
            )
        self._missed[f"orders of a second read {MAX_TIE_PASSES} times"] = None
        logger.warning(
            "%s: %d orders share the second %s and kept changing (or the server ordered them "
            "differently at each request); moving on after %d passes",
            self._operation,
            len(seen),
            wire_second(second),
            MAX_TIE_PASSES,
        )

    def _within(self, page: Page[Any], cursor: int, end: int | None) -> tuple[range, bool]:
        """The positions of a planning page's rows in ``[cursor, end)``, and whether the window
        may hold more after them (the page ended inside it and rows may follow it)."""
        rows = page.items
        seconds = [self._key(row)[0] for row in rows]
        for earlier, later in itertools.pairwise(seconds):
            if later < earlier:
                raise self._bad_answer(
                    f"orders are not in ascending Date Ordered at {wire_second(earlier)}; "
                    "the server ignored the sort"
                )
        # Every planning page answers the whole range: a row before its start is the server's
        # date condition ignored, or read in another time zone, which shifts its end too. But
        # for a start the server reads an hour early as meant, the second time the clocks of
        # the client's legacy_timezone show its wall time (or for a cursor such, whose hour
        # before may start before the scan): the rows before it are dropped below, as another
        # window's are.
        start = FIRST_SECOND if self._since is None else self._since
        misread = self._settle_split(start) != start or self._settle_split(cursor) != cursor
        if seconds and seconds[0] < start and not misread:
            raise self._bad_answer(
                f"order {self._key(rows[0])[1]} of {wire_second(seconds[0])} came back for "
                f"orders from {wire_second(start)} on; the server ignored the date condition "
                "or read it in another time zone than the client's legacy_timezone (set it, "
                "or OMS_LEGACY_TIMEZONE, to the server's zone)"
            )
        low = bisect.bisect_left(seconds, cursor)
        high = len(rows) if end is None else bisect.bisect_left(seconds, end)
        return range(low, high), high == len(rows) and may_follow(page)

    async def _window(
        self,
        index: int,
        window: WindowState,
        first: Page[Any] | None = None,
        first_call: CallRecord | None = None,
    ) -> AsyncGenerator[_Found, None]:
        cursor, end, seen = window.cursor, window.end, set(window.ids)
        limit = self._page_size
        while True:
            # An answer the scan cannot place carries the call's answer and attempts.
            with read_after(first_call):
                first_call = None
                if first is None:
                    page = await self._fetch(self._range(cursor, end), 0, limit)
                    if self._settle_split(cursor) == cursor:
                        positions, more = range(len(page.items)), may_follow(page)
                    else:
                        # The cursor is a wall time the clocks of legacy_timezone show twice,
                        # and the second time: the server reads the first, an hour early, and
                        # sends the orders of that hour again, dropped as a planning page's
                        # are. A whole page of them leaves the cursor where it is.
                        positions, more = self._within(page, cursor, end)
                        if more and not positions:
                            raise self._repeated_hour(self._key(page.items[-1])[1], cursor)
                    if seen and positions:
                        self._check_they_came_back(cursor, seen, page.items[positions[0]])
                else:
                    page, first = first, None
                    positions, more = self._within(page, cursor, end)
                fresh, keys, after, ids, at_end = self._advance(
                    page.items, positions, cursor, end, seen
                )
            more = more and not at_end
            # A page all in the cursor's second and more to come (a whole page, or a page the
            # server capped): the keyset cannot move past that second.
            tied = bool(positions) and more and after == cursor
            if tied and positions.start and self._settle_split(cursor) != cursor:
                # Not the second's orders filling the page but the hour the server read the
                # cursor as: every request from it brings this page again, and a pass over
                # the second would end in the hour the clocks show twice.
                raise self._repeated_hour(self._key(page.items[0])[1], cursor)
            yield _Found(index, page, fresh, keys, WindowState(after, end, tuple(ids), not more))
            # Only what was found holds the page now, so it is freed once the reader has taken
            # its rows, not when this window's next page comes in: pages kept alive cost CPU.
            del page, fresh, keys
            if tied:
                # Closed with this window: left to be collected, trio would warn of it.
                async with contextlib.aclosing(
                    self._tie_block(index, cursor, end, set(ids))
                ) as block:
                    async for found in block:
                        yield found
                cursor, seen = cursor + 1, set()
                done = (end is not None and cursor >= end) or cursor > LAST_SECOND
                yield _Found(index, None, [], [], WindowState(cursor, end, (), done))
                if done:
                    return
                continue
            if not more:
                return
            cursor, seen = after, ids

    # -- consuming --

    async def _batches(self) -> AsyncGenerator[_Batch, None]:
        with self._progress.reading() as handing:
            # A loop left with ``break`` leaves its generator to be closed later by the event loop;
            # a new iteration takes over at once and the old one stops at its next batch.
            self._generation += 1
            generation = self._generation
            state = await self.plan()
            # Rows an earlier iteration hands out from now on are no longer this scan's to count.
            self._handout = None
            # The open-ended last window is only ever "caught up": look again for new orders.
            windows = tuple(
                attrs.evolve(w, done=False) if _looks_again(w) else w for w in state.windows
            )
            self._state = attrs.evolve(state, windows=windows)
            first, self._first, self._plan_counted = self._first, {}, False
            # Each planning page handed to its window: left in ``first``, they would live as long as
            # the scan.
            sources = {
                i: self._window(i, w, *first.pop(i, (None, None)))
                for i, w in enumerate(windows)
                if not w.done
            }
            # Each window fetches its next batch while the reader reads the one before: one batch
            # per window at most waits for the reader (memory stays flat however slow it is).
            # Batches are handed out as they arrive: a window never waits for a slower one, and as
            # each has one batch in flight at most, none starves.
            ahead: Finishing[int, _Found | None] = Finishing()
            for index, source in sources.items():
                ahead.start(index, functools.partial(_next, source))
            try:
                while ahead:
                    index, found = await ahead.next()
                    if found is None:
                        del sources[index]
                        continue
                    ahead.start(index, functools.partial(_next, sources[index]))
                    # The window's next request goes out before the rows are built and handed out:
                    # neither gives the loop a turn, and would hold it back.
                    await let_them_send()
                    batch = await self._batch(found)
                    del found
                    if generation != self._generation:
                        raise RuntimeError("this scan was iterated again; this iteration stopped")
                    handing(len(batch.rows))
                    yield batch
            finally:
                await ahead.cancel()
                for source in sources.values():
                    await source.aclose()

    async def _batch(self, found: _Found) -> _Batch:
        """The rows of what a window found (built into models, for a typed scan)."""
        page, positions = found.page, found.positions
        rows: list[Any] = []
        if page is not None and positions:
            if self._build is None:
                rows = [page.items[i] for i in positions]
            else:
                rows = await self._build(page, positions)
        return _Batch(found.window, rows, found.keys, found.after)

    def _commit(self, index: int, window: WindowState) -> None:
        assert self._state is not None
        windows = list(self._state.windows)
        windows[index] = window
        self._state = ScanState(tuple(windows), self._state.start)

    def _commit_row(self, index: int, key: tuple[int, str]) -> None:
        assert self._state is not None
        current = self._state.windows[index]
        second, order_id = key
        if second > current.cursor:
            window = WindowState(second, current.end, (order_id,))
        else:
            window = WindowState(current.cursor, current.end, (*current.ids, order_id))
        self._commit(index, window)

    def _settle(self) -> None:
        """Count in the state the rows of the batch being handed out that were handed out."""
        with self._settling:
            handout = self._handout
            if handout is not None:
                # Rows handed out meanwhile (in another thread) are the next read's to count.
                batch, handed = handout.batch, handout.handed
                for key in batch.keys[handout.counted : handed]:
                    self._commit_row(batch.window, key)
                handout.counted = handed

    @closed_when_dropped
    async def pages(self) -> AsyncGenerator[ScanPage[T], None]:
        """Iterate by page; ``state`` counts a page as yielded once it is handed out."""
        batches = self._batches()
        try:
            async for batch in batches:
                self._commit(batch.window, batch.after)
                if batch.rows:
                    yield ScanPage(batch.window, batch.rows)
        finally:
            await batches.aclose()

    def __aiter__(self) -> AsyncGenerator[T, None]:
        return self._items()

    @closed_when_dropped
    async def _items(self) -> AsyncGenerator[T, None]:
        batches = self._batches()
        try:
            async for batch in batches:
                for item in self._rows(batch):
                    yield item
        finally:
            await batches.aclose()

    def _rows(self, batch: _Batch) -> Iterator[T]:
        """The rows of ``batch``, the state counting each one as it is handed out, so a caller
        that stops after 30 rows resumes at row 31 (the blocking scan's ``for`` too)."""
        # Counted as they go, and put in the state only when it is read: a new state per row
        # would cost more than the row.
        handout = self._handout = _Handout(batch)
        for item in handed_out(batch.rows):
            handout.handed += 1
            yield item
        with self._settling:
            if self._handout is handout:
                self._handout = None
                self._commit(batch.window, batch.after)
