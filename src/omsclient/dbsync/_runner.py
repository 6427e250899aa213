"""``sync_orders`` and ``sync_products``: keep a database table current with the server.

A run reads the matching rows through the stable scan the exporter uses and upserts them in
batches; each batch commits together with the sync state (the scan's position and the
watermark), so a run killed at any point is completed by the next, each row stored once.
The first run of a query reads every matching order; later runs read only the orders whose
Date Modified is at or after the previous run's watermark minus an overlap.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Coroutine
from contextlib import aclosing
from datetime import timedelta
from typing import Any, Protocol, overload

import anyio
import attrs

from omsclient._calls import counted
from omsclient._client import AsyncClient
from omsclient._exact_json import dumps_exact, loads_exact
from omsclient._page import Page
from omsclient._pagination import MAX_PAGE_SIZE
from omsclient._redact import forgets_frames
from omsclient._runaway import MAX_ROWS
from omsclient._storable import storable_value
from omsclient._sync import Client
from omsclient._validate import shown
from omsclient.dbsync._errors import DatabaseUrlError, OtherServerError
from omsclient.dbsync._postgres import PostgresStore
from omsclient.dbsync._sqlite import SqliteStore
from omsclient.dbsync._store import Counts, Store, other_source
from omsclient.dbsync._tables import ORDERS, PRODUCTS, STATE_TABLE, Table
from omsclient.dbsync._thread import in_thread
from omsclient.dbsync._url import DatabaseUrl, parse_database_url
from omsclient.errors import RunawayPagingError, ValidationError
from omsclient.export._exporter import (
    DEFAULT_WINDOWS,
    Kind,
    check_progress,
    host_of,
    product_query_fingerprint,
    query_fingerprint,
    report,
    source_of,
)
from omsclient.legacy._conditions import (
    Condition,
    DateLike,
    Op,
    OrderField,
    clear_of_repeats,
    format_since,
    format_until,
)
from omsclient.legacy._product_scan import ProductScanState
from omsclient.legacy._scan import Scan
from omsclient.legacy._scan_dates import FIRST_SECOND, epoch_second, wire_second
from omsclient.legacy._scan_state import ScanState
from omsclient.legacy.products import scan_products

__all__ = [
    "DEFAULT_OVERLAP",
    "SyncProgress",
    "SyncProgressCallback",
    "SyncSummary",
    "sync_orders",
    "sync_products",
]

DEFAULT_OVERLAP = timedelta(minutes=10)
"""How far before the last watermark a later run starts reading: covers orders committed late
and clock differences between the server's machines. Rows read again unchanged cost a
comparison, nothing is written for them."""
MAX_OVERLAP = timedelta(days=366)
"""The longest overlap a sync takes."""

# The rows a transaction writes when they come fast enough, not a page's: every commit writes
# each page it changed to SQLite's log again, among them the index pages the previous batch's rows
# went into, so a first sync writing a page a transaction wrote 4.4 times the orders' bytes where
# ten pages write 2.7 times (docs/sync.md). A batch waits no longer than _BATCH_SECONDS for its
# rows from a slow server: a run killed meanwhile reads them again, and the progress shows
# nothing of them until then.
_BATCH_ROWS = 1_000
_BATCH_SECONDS = 1.0

_STATE_VERSION = 2
# A state of version 1 may hold this machine's time for its watermark or its run's mark: that
# version capped them there, ahead of every stamp of a server whose clock runs behind.
_CAPPED_STATE_VERSION = 1
_STATE_VERSIONS = (_STATE_VERSION, _CAPPED_STATE_VERSION)


@attrs.frozen
class SyncProgress:
    """Where a running sync stands, passed to the ``progress`` callback after each batch.

    Attributes:
        read: rows read by this run so far (``new + updated + unchanged``).
        total: rows this run reads, as the server counted them when it started: every
            matching row on a first run (and every product run); the orders modified since
            the watermark minus the overlap on a later run; on a run continuing an
            interrupted one, the rows that run had not read. ``read`` ends at ``total``
            unless rows arrived or left meanwhile. None when the server sends no total.
        new, updated, unchanged: what the batches so far did to the table.
        elapsed: seconds since this run started.
    """

    read: int
    total: int | None
    new: int
    updated: int
    unchanged: int
    elapsed: float


class SyncProgressCallback(Protocol):
    """What ``progress=`` takes: called with a :class:`SyncProgress` after each batch."""

    def __call__(self, progress: SyncProgress, /) -> object: ...


@attrs.frozen
class SyncSummary:
    """The outcome of a sync run.

    Attributes:
        kind: ``"orders"`` or ``"products"``.
        database: the database URL, without its password.
        table: the table synced.
        full: this run read every matching row (the first run, or any product run); otherwise
            only the orders modified since the last watermark (minus the overlap).
        resumed: this run continued a run that was interrupted.
        new: rows inserted.
        updated: rows whose data changed.
        unchanged: rows read again that were already up to date (nothing written).
        requests: HTTP requests this run sent, each attempt of a retried one counted.
        elapsed: seconds this run took.
        watermark: the Date Modified (UTC) the next run starts from (minus the overlap),
            None for products and while the server holds no order.
        missed_because: why the scan may have skipped orders other than by the data changing
            (``"the server's time zone"``; see :attr:`OrderScan.missed_because
            <omsclient.legacy.OrderScan.missed_because>`), in this run or the one it
            continued; empty when nothing suggests it. Then the watermark is the one before
            this run: the next run reads those orders again.
    """

    kind: Kind
    database: str
    table: str
    full: bool
    resumed: bool
    new: int
    updated: int
    unchanged: int
    requests: int
    elapsed: float
    watermark: str | None
    missed_because: tuple[str, ...] = ()

    @property
    def read(self) -> int:
        """Rows this run read: ``new + updated + unchanged``."""
        return self.new + self.updated + self.unchanged


MakeScan = Callable[[AsyncClient, "int | None", "dict[str, Any] | None", int], Scan[Any]]


def _saved_scan(scan: dict[str, Any]) -> dict[str, Any] | str:
    """A scan's state as the sync state holds it: as it is, or, when it names an order id
    holding a NUL or a lone surrogate (which neither database's text holds), as its JSON text,
    each such character written as its escape, which :func:`_scan_of` reads back exactly.

    Stored as the databases store such characters elsewhere (their six-character escape), the
    id would no longer be the one the server sends, and a resumed run would read its order
    again.
    """
    return scan if storable_value(scan) == scan else dumps_exact(scan).decode()


def _scan_of(saved: object) -> Any:
    """The scan state :func:`_saved_scan` saved, as :meth:`ScanState.from_dict` reads it.

    Raises:
        ValueError: text that is no JSON.
    """
    return loads_exact(saved.encode()) if isinstance(saved, str) else saved


# The frames opening the database hold its URL whole, password included (psycopg's connect
# spells it out in its conninfo): an error opening it leaves none of them with variables.
@forgets_frames
def _open(url: DatabaseUrl, table: Table, query: str) -> Store:
    store: Store
    if url.kind == "sqlite":
        store = SqliteStore(url.target, table)
    else:
        store = PostgresStore(url.target, url.display, table)
    # Two runs of one query at once both read everything, each taking the other's saved
    # position for an interrupted run's and overwriting it: the second is refused instead.
    try:
        store.hold(query, table.name)
    except BaseException:
        store.close()
        raise
    return store


def _order_id(row: Any) -> Any:
    return row.get("order_id") if isinstance(row, dict) else None


def _runaway(offset: int) -> RunawayPagingError:
    return RunawayPagingError(
        f"looking for the latest Date Modified stopped at offset {offset}: the server sent "
        "the first order again (it ignores the offset?)",
        offset=offset,
        total=offset,
    )


def _latest_of(rows: list[Any]) -> int | None:
    """The latest Date Modified the rows hold, skipping what is unreadable (or no order)."""
    seconds = [
        second
        for row in rows
        if isinstance(row, dict) and (second := epoch_second(row.get("date_modified"))) is not None
    ]
    return max(seconds, default=None)


_TAIL_ROWS = 20
"""The last rows asked for when the last one left after the count (see _latest_modified)."""


async def _latest_modified(
    client: AsyncClient, floor: int | None, until: int
) -> tuple[int | None, int]:
    """The latest Date Modified of any order now (the server's "now"), and requests sent.

    Every order changed after this call gets a Date Modified at or after it, so a run that
    saves it as the watermark cannot miss an order changed while it ran. Orders modified
    before ``floor`` (the last watermark) are left out of the count; with none from it on, not
    even the order it was taken from, the answer is None. So are orders stamped after
    ``until`` (this machine's time): one stamped in the future by a bad import or a clock set
    ahead for a while is no "now" of the server's, and neither is this machine's time when the
    server's clock runs behind it, where every later change would be stamped before the
    watermark and never read. The API sorts ascending only: the first page holds the latest
    when it holds every order changed since (a later run's usual few), else the last one is
    asked for (and, if it left since the count, the last few by the new count); from a server
    that sends no total, found by pages of one row. A first run's first page is one row: a
    shop's orders seldom fit in a page, which would be read for its total alone.

    The pages are read raw and only ``date_modified`` is taken: building the orders' models
    would fail the whole sync, run after run, on an order holding a value its model refuses
    (``"date_shipped":"0000-00-00 00:00:00"``, ``"billable_amount":"1,234.50"``) that the
    sync itself stores (the typed column NULL).
    """
    # From the first second the API stores, not 1970: a shop's orders may all be older.
    start = FIRST_SECOND if floor is None else floor
    since = Condition(OrderField.DATE_MODIFIED, Op.GE, date1=wire_second(start))
    # In the hour legacy_timezone repeats, no end can be sent: one before it only makes the
    # watermark earlier, and the next run read a little more.
    until = clear_of_repeats(until, client.settings.legacy_timezone, back=True)
    not_after = Condition(OrderField.DATE_MODIFIED, Op.LE, date1=wire_second(until))

    async def page(offset: int, limit: int) -> Page[dict[str, Any]]:
        pages = client.legacy.orders.iterate_raw(
            since,
            not_after,
            sort_by=OrderField.DATE_MODIFIED,
            start_offset=offset,
            max_items=limit,
        ).pages()
        async with aclosing(pages):
            return await anext(pages)

    async def last_without_total(first: Page[dict[str, Any]]) -> list[dict[str, Any]]:
        # The offsets of the first page hold rows: double past them until one holds none, then
        # halve the gap to the last that does (a request of one row each, about 2 log2(n) of
        # them). A server ignoring the offset sends the first row at every one: twice running
        # is a runaway (once may be a tie of Date Modified sorted otherwise this time).
        first_id, again = _order_id(first.items[0]), 0
        held_at, last, empty_at, step = len(first.items) - 1, None, None, len(first.items)
        while empty_at is None:
            if held_at + step > MAX_ROWS:
                raise _runaway(held_at + step)
            probe = await page(held_at + step, 1)
            again = again + 1 if probe.items and _order_id(probe.items[0]) == first_id else 0
            if again == 2:
                raise _runaway(held_at + step)
            if probe.items:
                held_at, last, step = held_at + step, probe, step * 2
            else:
                empty_at = held_at + step
        while empty_at - held_at > 1:
            middle = (held_at + empty_at) // 2
            probe = await page(middle, 1)
            if probe.items:
                held_at, last = middle, probe
            else:
                empty_at = middle
        return first.items[-1:] if last is None else last.items  # None: the first page's

    with counted() as sent:
        first = await page(0, 1 if floor is None else MAX_PAGE_SIZE)
        if first.total <= 0:
            return None, sent[0]
        latest = _latest_of(first.items)
        if not first.total_known or len(first.items) < first.total:
            # A server that sends no total: the first page says nothing of what follows.
            if first.total_known:
                last_page = await page(first.total - 1, 1)
                last = last_page.items
                if not last:
                    # An order left since the count: the last row is further up now. The
                    # last few rows by the new count, so that more orders leaving meanwhile
                    # (one at each request, on a busy shop) still leave some of them.
                    now = last_page.total if last_page.total_known else first.total
                    last = (await page(max(0, now - _TAIL_ROWS), _TAIL_ROWS)).items
            else:
                last = await last_without_total(first)
            # Orders that left since the count shorten the list: the first page is still a
            # floor.
            found = [second for second in (latest, _latest_of(last)) if second is not None]
            latest = max(found, default=None)
    return (floor if latest is None else latest), sent[0]


@attrs.frozen
class _Job:
    """One sync, its arguments checked: what to read and where to store it."""

    kind: Kind
    table: Table
    url: DatabaseUrl
    query: str
    make_scan: MakeScan
    incremental: bool
    overlap: int
    progress: SyncProgressCallback | None
    windows: int = 1

    async def run(self, client: AsyncClient) -> SyncSummary:
        started = time.monotonic()
        # A transport that cannot run on this loop (aiohttp's under trio) fails before the
        # database is made, not after, with its tables made and nothing in them.
        await client._session.ready()
        # Kept by the thread that opens it: a cancellation while it opens still closes it.
        opened: list[Store] = []
        try:
            await in_thread(lambda: opened.append(_open(self.url, self.table, self.query)))
            return await self._run(client, opened[0], started)
        finally:
            if opened:
                # Shielded, or a cancelled run would not even start the close's thread.
                with anyio.CancelScope(shield=True):
                    await in_thread(opened[0].close)

    def _state(
        self, source: str, watermark: str | None, run: dict[str, Any] | None
    ) -> dict[str, Any]:
        return {"version": _STATE_VERSION, "source": source, "watermark": watermark, "run": run}

    def _check_source(self, stored: str | None) -> None:
        """Raise if ``stored`` names another source (:func:`other_source`)."""
        if stored is not None:
            # Another shop's server (the sandbox's, then production's): its rows would mix with
            # these, and a later run would read only what it changed since this watermark,
            # which may be none of its orders, and report success.
            raise OtherServerError(
                f"{self.url.display} holds {self.kind} synced from "
                f"{host_of(stored)} (or as another user), not from this client's "
                f"server: sync it into another database (the same shop under a new name: "
                f"delete the rows of {STATE_TABLE} of kind {self.kind!r}, and the next run "
                f"reads every row again)"
            )

    def _unreadable(self, problem: str) -> DatabaseUrlError:
        """The refusal of a saved state this version cannot read: a newer version's, or one
        altered by hand. Taken for this version's, its watermark or scan position could skip
        orders; nothing is sent, and the remedy costs one full read."""
        return DatabaseUrlError(
            f"{self.url.display} holds a sync state of these {self.kind} that this version of "
            f"omsclient cannot read ({problem}): written by a newer version, or altered. Sync "
            f"with that version, or delete its row of {STATE_TABLE} (query '{self.query}') and "
            f"the next run reads every row again"
        )

    def _readable(self, saved: object) -> dict[str, Any]:
        """The saved state, {} before the first run.

        Raises:
            DatabaseUrlError: a state of another version, or no JSON object.
        """
        if saved is None:
            return {}
        if isinstance(saved, dict) and saved.get("version") in _STATE_VERSIONS:
            return saved
        version = saved.get("version") if isinstance(saved, dict) else None
        raise self._unreadable("no JSON object" if version is None else f"version {shown(version)}")

    async def _forget_positions(self, store: Store) -> None:
        """Clear the watermark and the run under way of every saved state of this kind, each
        query's next run (this one's too) reading every row: the table was emptied, or
        dropped and made again, since they were saved, and a watermark would have each run
        read only what changed since it, leaving every other row out, run after run. A state
        this version cannot read is left for its own run to refuse."""
        for query in await in_thread(store.queries, self.kind, interrupt=store.interrupt):
            state = await in_thread(store.load_state, query, interrupt=store.interrupt)
            if not isinstance(state, dict) or state.get("version") not in _STATE_VERSIONS:
                continue
            if state.get("watermark") is not None or state.get("run") is not None:
                forgotten = {**state, "watermark": None, "run": None}
                await in_thread(
                    store.save_state, query, self.kind, forgotten, interrupt=store.interrupt
                )

    async def _run(self, client: AsyncClient, store: Store, started: float) -> SyncSummary:
        # Before this query's state is read: a run of another query that finds the table
        # empty clears it, and read first, it would be written back whole with this run's.
        if not await in_thread(store.holds_rows, self.table, interrupt=store.interrupt):
            await self._forget_positions(store)
        saved = self._readable(
            await in_thread(store.load_state, self.query, interrupt=store.interrupt)
        )
        if saved.get("version") == _CAPPED_STATE_VERSION:
            # Its watermark, or its interrupted run's mark, may be this machine's time, ahead
            # of every change a server whose clock runs behind stamps, and no stamp tells it
            # from a server's: this run reads every row again, as a first run.
            saved = {**saved, "watermark": None, "run": None}
        source = source_of(client)
        # Before anything is sent; checked again, closely, as the first state is saved.
        self._check_source(
            other_source(
                await in_thread(store.sources, self.kind, interrupt=store.interrupt), source
            )
        )
        watermark = saved.get("watermark")
        run = saved.get("run")
        resumed = isinstance(run, dict)
        requests = 0
        if not isinstance(run, dict):
            since = mark = None
            if self.incremental:
                now = int(time.time())
                floor = epoch_second(watermark) if isinstance(watermark, str) else None
                if floor is not None and floor > now:
                    # Taken from an order stamped in the future (by a version that did not
                    # cap it): it cannot say what changed since, so everything is read again.
                    floor = None
                mark, requests = await _latest_modified(client, floor, now)
                if mark is None:
                    # No order holds a stamp from the watermark on, not even the one it was
                    # taken from: changed since, stamped past this machine's time, or deleted.
                    # Nothing else changed since.
                    mark = floor
                since = None if floor is None else floor - self.overlap
                if mark is not None and mark > now:
                    # A server that ignored the bound: an order stamped in the future would
                    # make every later run skip each change until that date.
                    mark = now
            run = {
                "since": None if since is None else wire_second(since),
                "mark": None if mark is None else wire_second(mark),
                "scan": None,
            }
            # Saved before reading, so a resumed run reads the same query to the same mark;
            # claimed, so that a first run from another server at the same moment, past the
            # check above too, is kept out by one of the two claims.
            self._check_source(
                await in_thread(
                    store.claim,
                    self.query,
                    self.kind,
                    self._state(source, watermark, run),
                    interrupt=store.interrupt,
                )
            )
        since_text = run.get("since")
        since_second = epoch_second(since_text) if isinstance(since_text, str) else None
        saved_scan = run.get("scan")
        earlier = run.get("missed", [])
        if not isinstance(earlier, list) or not all(isinstance(c, str) for c in earlier):
            raise self._unreadable(f"missed must be a list of text, got {shown(earlier)}")
        if saved_scan is None:
            scan = self.make_scan(client, since_second, None, self.windows)
        else:
            try:
                scan = self.make_scan(client, since_second, _scan_of(saved_scan), 1)
            except (ValidationError, ValueError, RecursionError) as exc:
                raise self._unreadable(str(exc)) from None
        # Planning's first page counts the rows (and starts the scan), so remaining() sends
        # nothing then; a later run's few pages of changes make one window. A run continuing
        # an interrupted one counts only what lies ahead of the saved position: the total is
        # what this run reads, as ``read`` counts it.
        await scan.plan()
        total = await scan.remaining()
        counts = Counts()

        async def write(rows: list[Any]) -> None:
            nonlocal counts
            counts += await in_thread(
                store.apply,
                self.table,
                rows,
                self.query,
                self.kind,
                self._state(source, watermark, run),
                interrupt=store.interrupt,
            )
            await report(
                self.progress,
                SyncProgress(
                    counts.new + counts.updated + counts.unchanged,
                    total,
                    counts.new,
                    counts.updated,
                    counts.unchanged,
                    time.monotonic() - started,
                ),
            )

        rows: list[Any] = []
        began = 0.0
        # Closed here, not by the garbage collector, when a cancel or an error ends the sync.
        async with aclosing(scan.pages()) as pages:
            try:
                async for page in pages:
                    state = scan.state
                    assert state is not None  # planned: a scan that yields pages has its windows
                    run = {**run, "scan": _saved_scan(state.to_dict())}
                    if scan.missed_because:
                        # Kept with the position: a resumed run may not meet the cause again.
                        run["missed"] = list(dict.fromkeys([*earlier, *scan.missed_because]))
                    if not rows:
                        began = time.monotonic()
                    rows += page.items
                    if len(rows) >= _BATCH_ROWS or time.monotonic() - began >= _BATCH_SECONDS:
                        batch, rows = rows, []
                        await write(batch)
            except Exception:
                # The rows read before a request failed are kept, as they were when each page
                # was a batch; and a row no key column holds is named, not the request for the
                # page after it that its key made.
                if rows:
                    await write(rows)
                raise
        if rows:
            await write(rows)
        missed = tuple(dict.fromkeys([*earlier, *scan.missed_because]))
        mark = run.get("mark")
        if isinstance(mark, str) and not missed:
            # Past orders the scan may have skipped, a watermark would leave them out of every
            # later run until they change: the next run reads from the last one again.
            watermark = mark
        await in_thread(
            store.save_state,
            self.query,
            self.kind,
            self._state(source, watermark, None),
            interrupt=store.interrupt,
        )
        return SyncSummary(
            kind=self.kind,
            database=self.url.display,
            table=self.table.name,
            full=since_second is None,
            resumed=resumed,
            new=counts.new,
            updated=counts.updated,
            unchanged=counts.unchanged,
            requests=requests + scan.requests,
            elapsed=time.monotonic() - started,
            watermark=watermark if self.incremental else None,
            missed_because=missed,
        )


def _overlap(value: timedelta | float) -> int:
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
        raise ValidationError(f"overlap must be a timedelta or seconds >= 0, got {shown(value)}")
    if seconds > MAX_OVERLAP.total_seconds():
        raise ValidationError(f"overlap must be at most a year, got {shown(value)}")
    # Up to the next whole second (the API's dates are whole seconds): 1.9 taken as 1 would
    # look back less than asked, and 0.5 not at all.
    return math.ceil(seconds)


def _start(job: _Job, client: AsyncClient | Client) -> Any:
    """The job run by ``client``, already checked by :func:`_async_client`."""
    if isinstance(client, Client):
        return client._call(job.run, f"sync_{job.kind}")
    return job.run(client)


def _async_client(client: AsyncClient | Client) -> AsyncClient:
    """The client to read with, once its settings are known to reach the legacy API: checked
    before the database is opened, which a missing URL would otherwise leave with its tables
    made and nothing in them."""
    if isinstance(client, Client):
        oms = client.async_client
    elif isinstance(client, AsyncClient):
        oms = client
    else:
        # Its type, not its value, as the export says it: a token passed by mistake is a
        # credential.
        raise ValidationError(
            f"client must be an AsyncClient or a Client, got {type(client).__name__}"
        )
    oms._session.check_settings("legacy")
    return oms


@overload
def sync_orders(
    client: AsyncClient,
    db_url: str,
    *conditions: Condition,
    since: DateLike | None = ...,
    until: DateLike | None = ...,
    windows: int = ...,
    overlap: timedelta | float = ...,
    progress: SyncProgressCallback | None = ...,
) -> Coroutine[Any, Any, SyncSummary]: ...


@overload
def sync_orders(
    client: Client,
    db_url: str,
    *conditions: Condition,
    since: DateLike | None = ...,
    until: DateLike | None = ...,
    windows: int = ...,
    overlap: timedelta | float = ...,
    progress: SyncProgressCallback | None = ...,
) -> SyncSummary: ...


@forgets_frames
def sync_orders(
    client: AsyncClient | Client,
    db_url: str,
    *conditions: Condition,
    since: DateLike | None = None,
    until: DateLike | None = None,
    windows: int = DEFAULT_WINDOWS,
    overlap: timedelta | float = DEFAULT_OVERLAP,
    progress: SyncProgressCallback | None = None,
) -> Coroutine[Any, Any, SyncSummary] | SyncSummary:
    """Bring the ``orders`` table of the database at ``db_url`` up to date with the server.

    ``await sync_orders(async_client, ...)`` with an :class:`~omsclient.AsyncClient`;
    ``sync_orders(client, ...)`` returns when done with the blocking :class:`~omsclient.Client`.

    The first run for a set of filters stores every matching order, read with the stable
    keyset scan of :meth:`Orders.scan <omsclient.legacy.Orders.scan>`; later runs read only
    the orders whose Date Modified is at or after the previous run's watermark minus
    ``overlap``, and upsert them. Each batch commits with the sync state, so a run killed at
    any point is completed by the next one, with each order stored once. See ``docs/sync.md``.

    Args:
        client: the client to read with.
        db_url: ``sqlite:///path.db`` (created if missing) or ``postgresql://user@host/db``
            (needs ``omsclient[postgres]``).
        conditions: filters on :class:`~omsclient.legacy.OrderField` s, ANDed (none: all).
        since, until: Date Ordered range, inclusive, UTC, to the second (a date alone in
            ``until`` runs to the end of that day).
        windows: date ranges scanned concurrently, 1..64 (one request in flight each); fewer
            when few orders match (one window per page of 100), as in a later run reading a
            few changes.
        overlap: how far before the watermark a later run starts (a timedelta or seconds,
            0 to a year).
        progress: called with a :class:`SyncProgress` after each batch.

    Returns:
        A :class:`SyncSummary`: rows new, updated and unchanged, requests sent.

    Raises:
        ValidationError: bad filters or arguments (nothing sent, nothing written).
        ConfigurationError: the client has no legacy API URL or credentials (nothing sent,
            nothing written).
        DatabaseUrlError: a bad database URL or a database that cannot be opened (nothing
            sent, nothing written).
        OtherServerError: the database holds orders synced from another server (nothing
            written; sent, at most, by a run that met another's first state as it saved its
            own, the searches that find the watermark).
        DatabaseError: a write failed; run again to continue.
        ApiError, TransportError: the server failed; run again to continue.
    """
    url = parse_database_url(db_url)
    oms = _async_client(client)
    check_progress(progress)
    since_text = None if since is None else format_since(since)
    until_text = None if until is None else format_until(until)
    query = query_fingerprint(
        "orders",
        "database",
        oms.settings.order_field_numbering,
        conditions,
        oms.settings.legacy_timezone,
        since=since_text,
        until=until_text,
    )

    def make_scan(
        oms: AsyncClient, modified_since: int | None, state: dict[str, Any] | None, windows: int
    ) -> Scan[Any]:
        extra: tuple[Condition, ...] = ()
        if modified_since is not None:
            extra = (Condition(OrderField.DATE_MODIFIED, Op.GE, date1=wire_second(modified_since)),)
        # Each order's columns read with its id as its page comes, not again by the writer.
        return oms.legacy.orders._reading(ORDERS.fields).scan(
            *conditions,
            *extra,
            since=since,
            until=until,
            windows=windows,
            raw="sent",
            state=None if state is None else ScanState.from_dict(state),
        )

    make_scan(oms, 0, None, windows)  # checks every argument before anything is opened or sent
    job = _Job(
        kind="orders",
        table=ORDERS,
        url=url,
        query=query,
        make_scan=make_scan,
        incremental=True,
        overlap=_overlap(overlap),
        progress=progress,
        windows=windows,
    )
    return _start(job, client)  # type: ignore[no-any-return]


@overload
def sync_products(
    client: AsyncClient,
    db_url: str,
    *conditions: Condition,
    progress: SyncProgressCallback | None = ...,
) -> Coroutine[Any, Any, SyncSummary]: ...


@overload
def sync_products(
    client: Client,
    db_url: str,
    *conditions: Condition,
    progress: SyncProgressCallback | None = ...,
) -> SyncSummary: ...


@forgets_frames
def sync_products(
    client: AsyncClient | Client,
    db_url: str,
    *conditions: Condition,
    progress: SyncProgressCallback | None = None,
) -> Coroutine[Any, Any, SyncSummary] | SyncSummary:
    """Bring the ``products`` table of the database at ``db_url`` up to date with the server.

    Every run reads every matching product in ascending Product Id (the legacy API has no
    reliable change date for products) and writes only those that are new or changed. Runs
    are resumable like :func:`sync_orders`; arguments and errors are the same.

    Raises:
        ValidationError: bad filters, a ``progress`` that cannot be called, or a ``client``
            that is no client (nothing sent, nothing written).
        ConfigurationError: the client has no legacy API URL or credentials (nothing sent,
            nothing written).
        DatabaseUrlError: a bad database URL or a database that cannot be opened, or one
            holding products synced from another server (nothing sent, nothing written).
        DatabaseError: the database failed (e.g. another program holds it locked); run again
            to continue.
        ApiError, TransportError: the server failed; run again to continue.
    """
    url = parse_database_url(db_url)
    oms = _async_client(client)
    check_progress(progress)
    query = product_query_fingerprint("database", conditions, oms.settings.legacy_timezone)

    def make_scan(
        oms: AsyncClient, _modified_since: int | None, state: dict[str, Any] | None, _windows: int
    ) -> Scan[Any]:
        return scan_products(
            oms.legacy.products,
            *conditions,
            state=None if state is None else ProductScanState.from_dict(state),
        )

    make_scan(oms, None, None, 1)
    job = _Job(
        kind="products",
        table=PRODUCTS,
        url=url,
        query=query,
        make_scan=make_scan,
        incremental=False,
        overlap=0,
        progress=progress,
    )
    return _start(job, client)  # type: ignore[no-any-return]
