"""``oms.legacy.orders``: order search, iteration and status updates."""

from __future__ import annotations

import functools
import operator
from collections.abc import Awaitable, Callable, Sequence
from datetime import tzinfo
from typing import Any, Literal, overload

import attrs
import msgspec

from omsclient._calls import read_after
from omsclient._decoding import PageDecoder
from omsclient._pagination import MAX_PAGE_SIZE, Page, PageIterator
from omsclient._parts import View
from omsclient._process_bound import OfThisProcess
from omsclient._refused import refused_as, refused_as_async, secrets_kept_out
from omsclient._request import RequestSpec
from omsclient._session import say_maybe_applied
from omsclient._settings import LEGACY_API, OrderFieldNumbering
from omsclient._validate import shown
from omsclient._with_raw_response import RawResponseView, raw_method
from omsclient.errors import (
    ApiError,
    AuthenticationError,
    OmsError,
    PermissionDeniedError,
    UnknownStatusError,
    ValidationError,
)
from omsclient.legacy._changes import StatusChange, StatusUpdate, encode_changes
from omsclient.legacy._conditions import (
    Condition,
    DateLike,
    Op,
    OrderField,
    bound,
    clear_of_repeats,
    encode_conditions,
    format_since,
    format_until,
    order_field_code,
)
from omsclient.legacy._envelope import LegacyApi, says_error
from omsclient.legacy._scan import Build, OrderScan
from omsclient.legacy._scan_dates import LAST_SECOND, to_epoch_second, wire_second
from omsclient.legacy._scan_state import ScanState
from omsclient.legacy._search import (
    SkimmedPage,
    TypedSearch,
    check_paging,
    read_page,
    search_spec,
    skimmed_page,
)
from omsclient.legacy._sent import SentFields, SentOrder, Skimmed
from omsclient.legacy.models import Order

__all__ = ["OrderIncludes", "Orders"]

FIND = f"{LEGACY_API}/manage_orders/find"
# Pages of orders go from bytes straight to models when well-formed (see omsclient._decoding).
_ORDER_PAGES = PageDecoder("orders", Order, "order_id")
_SENT_FIELDS = SentFields()
UPDATE_STATUS = f"{LEGACY_API}/manage_orders/update_order_status"


def _page_as_sent(
    found: Skimmed | dict[str, Any], spec: RequestSpec, offset: int, limit: int
) -> Page[Any]:
    """The page of what :meth:`LegacyApi.fetch_sent` returned."""
    if isinstance(found, Skimmed):
        return skimmed_page(found, spec, offset, limit)
    return read_page(found, "orders", spec, offset, limit)


async def _sent_at(page: Page[Any], positions: Sequence[int]) -> list[Any]:
    """The orders as sent at ``positions`` of a page of a scan with ``raw="sent"``: split out
    now, after the scan's next request went out, unless the fetch had to."""
    if isinstance(page, SkimmedPage):
        return page.sent_at(positions)
    return [page.items[i] for i in positions]


@attrs.frozen
class OrderIncludes:
    """Which optional parts of each order the server adds to a search answer.

    ``login_tokens`` is off by default: the server then leaves the user's login key out of
    document download URLs (``skip_login_token=1`` is sent). The key is a credential; ask for
    it only when the URLs must be downloadable as they are.
    """

    workflow_data: bool = False
    po_data: bool = False
    shipments: bool = False
    production_file_info: bool = False
    login_tokens: bool = False

    def encode(self) -> list[tuple[str, str]]:
        """The ``include_*`` form fields, and ``skip_login_token=1`` unless ``login_tokens``."""
        flags = {
            "include_workflow_data": self.workflow_data,
            "include_po_data": self.po_data,
            "include_shipments": self.shipments,
            "include_production_file_info": self.production_file_info,
        }
        for name, value in (*flags.items(), ("include_login_tokens", self.login_tokens)):
            if not isinstance(value, bool):
                raise ValidationError(f"{name} must be a bool, got {shown(value)}")
        form = [(name, "1") for name, value in flags.items() if value]
        if not self.login_tokens:
            form.append(("skip_login_token", "1"))
        return form


@secrets_kept_out(lambda resource: resource._api.session.redact)
class Orders(OfThisProcess):
    """The legacy Order Management API."""

    with_raw_response = View(lambda: OrdersWithRawResponse)
    """These request methods returning a :class:`~omsclient.RawResponse` (the answer's
    status, headers, timing and attempts; ``.parse()`` is the method's result), e.g.
    ``await oms.legacy.orders.with_raw_response.search(condition)``."""

    def __init__(
        self, api: LegacyApi, numbering: OrderFieldNumbering, zone: tzinfo | None = None
    ) -> None:
        self._api = api
        self._numbering = numbering
        self._zone = zone  # the legacy_timezone date conditions are written in
        # The paths as the server sees them, after the base URL's own: requests are sent to
        # them, and errors name them.
        self._find = api.session.full_path("legacy", FIND)
        self._update_status = api.session.full_path("legacy", UPDATE_STATUS)
        self._typed = TypedSearch(
            api, self._find, "legacy.orders.search", _ORDER_PAGES, operator.attrgetter("order_id")
        )
        self._sent_fields = _SENT_FIELDS

    def _reading(self, keys: msgspec.json.Decoder[Any]) -> Orders:
        """These orders, whose scans with ``raw="sent"`` read ``keys`` of each order in the
        pass that reads its page (:class:`~omsclient.legacy._sent.SentFields`)."""
        # Copied by hand: copy.copy refuses, as pickling does (what holds a client stays in
        # its process).
        reading = object.__new__(Orders)
        vars(reading).update(vars(self))
        reading._sent_fields = SentFields(keys)
        return reading

    def _form(
        self, conditions: Sequence[Condition], sort_by: OrderField | None, includes: OrderIncludes
    ) -> list[tuple[str, str]]:
        form = encode_conditions(conditions, OrderField, self._numbering, self._zone)
        if sort_by is not None:
            if not isinstance(sort_by, OrderField):
                raise ValidationError(f"sort_by must be an OrderField, got {shown(sort_by)}")
            form.append(("sortby", str(order_field_code(sort_by, self._numbering))))
        if not isinstance(includes, OrderIncludes):
            raise ValidationError(
                f"includes must be an OrderIncludes, got {type(includes).__name__}"
            )
        form.extend(includes.encode())
        return form

    async def _raw_page(
        self, form: Sequence[tuple[str, str]], offset: int, limit: int
    ) -> Page[Any]:
        spec = search_spec(self._find, "legacy.orders.search", form, offset, limit)
        with read_after():
            return read_page(await self._api.call(spec), "orders", spec, offset, limit)

    async def _sent_page(
        self, form: Sequence[tuple[str, str]], offset: int, limit: int
    ) -> Page[Any]:
        spec = search_spec(self._find, "legacy.orders.search", form, offset, limit)
        # The answer is never a variable here: a coroutine's outlive an error leaving it, and
        # error reporters print them.
        with read_after():
            return _page_as_sent(
                await self._api.fetch_sent(spec, limit, self._sent_fields), spec, offset, limit
            )

    @refused_as_async("legacy.orders.search")
    async def search(
        self,
        *conditions: Condition,
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
        sort_by: OrderField | None = None,
        include_workflow_data: bool = False,
        include_po_data: bool = False,
        include_shipments: bool = False,
        include_production_file_info: bool = False,
        include_login_tokens: bool = False,
    ) -> Page[Order]:
        """One page of the orders matching every condition.

        Args:
            conditions: one or more :class:`Condition` on :class:`OrderField` s, ANDed.
            limit: rows per page, 0..100.
            offset: rows to skip.
            sort_by: the field to sort by; the server's default (Date Production Files Ready)
                when None.
            include_workflow_data: add each line's workflow items.
            include_po_data: add purchase order lines (implies workflow data).
            include_shipments: add shipments.
            include_production_file_info: add production file format and crop details.
            include_login_tokens: keep the user's login key in document download URLs
                (``?user[id]=...&key=...``). Off by default: ``skip_login_token=1`` is sent
                and the URLs come without it. The key is a credential; the models keep it out
                of their repr, and the SDK's logs and errors redact it.

        Raises:
            ValidationError: bad conditions, limit or offset (nothing is sent).
            ApiError: the server refused; see :mod:`omsclient.errors`.
        """
        check_paging(limit, offset)
        includes = OrderIncludes(
            include_workflow_data,
            include_po_data,
            include_shipments,
            include_production_file_info,
            include_login_tokens,
        )
        return await self._typed.page(self._form(conditions, sort_by, includes), offset, limit)

    @refused_as("legacy.orders.iterate")
    def iterate(
        self,
        *conditions: Condition,
        concurrency: int = 1,
        max_items: int | None = None,
        start_offset: int = 0,
        sort_by: OrderField | None = None,
        include_workflow_data: bool = False,
        include_po_data: bool = False,
        include_shipments: bool = False,
        include_production_file_info: bool = False,
        include_login_tokens: bool = False,
    ) -> PageIterator[Order]:
        """Every order matching the conditions, 100 per request (see :class:`PageIterator`).

        ``async for order in oms.legacy.orders.iterate(...)`` yields :class:`Order` s;
        ``.pages()`` yields pages; ``.total`` is known after the first page.
        Arguments are checked now, before anything is sent.

        Raises:
            ValidationError: no condition or a bad one, or a bad ``concurrency``, ``max_items``,
                ``start_offset``, ``sort_by`` or ``include_*`` flag (nothing is sent).
            ApiError: while iterating, the server refused a page; see :mod:`omsclient.errors`.
        """
        includes = OrderIncludes(
            include_workflow_data,
            include_po_data,
            include_shipments,
            include_production_file_info,
            include_login_tokens,
        )
        return self._typed.iterate(
            self._form(conditions, sort_by, includes),
            concurrency=concurrency,
            max_items=max_items,
            start_offset=start_offset,
            operation="legacy.orders.iterate",
            conditions=conditions,
        )

    @refused_as("legacy.orders.iterate_raw")
    def iterate_raw(
        self,
        *conditions: Condition,
        concurrency: int = 1,
        max_items: int | None = None,
        start_offset: int = 0,
        sort_by: OrderField | None = None,
        includes: OrderIncludes = OrderIncludes(),
    ) -> PageIterator[dict[str, Any]]:
        """Like :meth:`iterate`, yielding each order as the JSON object the server sent.

        For pass-through jobs: no models, so no CPU is spent on them. The dicts are orjson's
        reading of the JSON, so an integer past 64 bits becomes a float and a decimal a
        double; for the bytes as sent, use :meth:`scan` with ``raw="sent"``.

        Raises:
            ValidationError: no condition or a bad one, or a bad ``concurrency``, ``max_items``,
                ``start_offset``, ``sort_by`` or ``includes`` (nothing is sent).
            ApiError: while iterating, the server refused a page; see :mod:`omsclient.errors`.
        """
        form = self._form(conditions, sort_by, includes)
        return PageIterator(
            lambda offset, limit: self._raw_page(form, offset, limit),
            concurrency=concurrency,
            max_items=max_items,
            start_offset=start_offset,
            identity=operator.methodcaller("get", "order_id"),
            operation="legacy.orders.iterate_raw",
            conditions=conditions,
        )

    @overload
    def scan(
        self,
        *conditions: Condition,
        since: DateLike | None = ...,
        until: DateLike | None = ...,
        windows: int = ...,
        raw: Literal[False] = ...,
        state: ScanState | None = ...,
        include_workflow_data: bool = ...,
        include_po_data: bool = ...,
        include_shipments: bool = ...,
        include_production_file_info: bool = ...,
        include_login_tokens: bool = ...,
    ) -> OrderScan[Order]: ...

    @overload
    def scan(
        self,
        *conditions: Condition,
        since: DateLike | None = ...,
        until: DateLike | None = ...,
        windows: int = ...,
        raw: Literal[True],
        state: ScanState | None = ...,
        include_workflow_data: bool = ...,
        include_po_data: bool = ...,
        include_shipments: bool = ...,
        include_production_file_info: bool = ...,
        include_login_tokens: bool = ...,
    ) -> OrderScan[dict[str, Any]]: ...

    @overload
    def scan(
        self,
        *conditions: Condition,
        since: DateLike | None = ...,
        until: DateLike | None = ...,
        windows: int = ...,
        raw: Literal["sent"],
        state: ScanState | None = ...,
        include_workflow_data: bool = ...,
        include_po_data: bool = ...,
        include_shipments: bool = ...,
        include_production_file_info: bool = ...,
        include_login_tokens: bool = ...,
    ) -> OrderScan[SentOrder]: ...

    @overload
    def scan(
        self,
        *conditions: Condition,
        since: DateLike | None = ...,
        until: DateLike | None = ...,
        windows: int = ...,
        raw: bool | Literal["sent"],
        state: ScanState | None = ...,
        include_workflow_data: bool = ...,
        include_po_data: bool = ...,
        include_shipments: bool = ...,
        include_production_file_info: bool = ...,
        include_login_tokens: bool = ...,
    ) -> OrderScan[Order] | OrderScan[dict[str, Any]] | OrderScan[SentOrder]: ...

    @refused_as("legacy.orders.scan")
    def scan(
        self,
        *conditions: Condition,
        since: DateLike | None = None,
        until: DateLike | None = None,
        windows: int = 1,
        raw: bool | Literal["sent"] = False,
        state: ScanState | None = None,
        include_workflow_data: bool = False,
        include_po_data: bool = False,
        include_shipments: bool = False,
        include_production_file_info: bool = False,
        include_login_tokens: bool = False,
    ) -> OrderScan[Order] | OrderScan[dict[str, Any]] | OrderScan[SentOrder]:
        """Every order matching the conditions, exactly once, even while the data changes.

        Unlike :meth:`iterate` (offset paging, which repeats and skips rows when orders arrive
        or leave the filter mid-scan), this walks Date Ordered, which it takes never to change
        (an order re-dated after it was read comes again), as a keyset: each request asks for
        the orders from the last second seen onwards. Every order that matches for the whole
        scan is yielded exactly once; an order that starts or stops matching mid-scan may or
        may not be yielded, never twice. Orders without a date ordered are not visited. See
        ``docs/export.md`` for the design.

        ``async for order in oms.legacy.orders.scan(...)`` yields :class:`Order` s (raw JSON
        objects with ``raw=True``, :class:`SentOrder` s with ``raw="sent"``); ``.pages()``
        yields pages; ``.state`` is a small serialisable :class:`ScanState` that resumes the
        scan (``state=``), also in another process. Iterating again continues from the state
        and picks up orders placed since, so a worker can poll with one scan object::

            scan = oms.legacy.orders.scan(Condition(OrderField.ORDER_STATUS, Op.EQ, string=1))
            while True:
                async for order in scan:
                    await handle(order)
                save(scan.state.to_dict())
                await anyio.sleep(60)

        Args:
            conditions: extra conditions, ANDed (none: every order).
            since: the first Date Ordered to visit (UTC, to the second); default: the oldest.
            until: the last Date Ordered to visit (inclusive, to the second; a date alone,
                ``date(2024, 6, 1)`` or ``"2024-06-01"``, runs to the end of that day); default:
                none, so orders placed during the scan are visited too. An ``until`` at the
                API's last second (9999-12-31T23:59:59) bounds nothing and is read as none.
            windows: split the range into this many windows holding about as many orders each,
                scanned concurrently (one request in flight per window). Output order across
                windows is interleaved; within a window it is ascending.
            raw: yield each order as the JSON object the server sent instead of a model; with
                ``"sent"``, as a :class:`SentOrder`: its id, its Date Ordered and its JSON as
                the bytes the server sent, for jobs that write orders out as they are (a JSON
                lines file, a queue) at a third of the CPU of dicts.
            state: resume from a :class:`ScanState`; ``since``, ``until`` and ``windows`` then
                come from the state.
            include_workflow_data, include_po_data, include_shipments,
            include_production_file_info, include_login_tokens: as in :meth:`search`.

        Raises:
            ValidationError: bad conditions, dates, windows, state or ``raw`` (nothing is sent).
        """
        if not (isinstance(raw, bool) or raw == "sent"):
            raise ValidationError(f"raw must be True, False or 'sent', got {shown(raw)}")
        includes = OrderIncludes(
            include_workflow_data,
            include_po_data,
            include_shipments,
            include_production_file_info,
            include_login_tokens,
        )
        start = None if since is None else to_epoch_second(format_since(since), "since")
        end = None if until is None else to_epoch_second(format_until(until), "until")
        # Encode once now so bad conditions or flags fail here, before anything is sent; and
        # the windows' end, an hour legacy_timezone repeats refused as it would be sent.
        self._form(
            (*conditions, Condition(OrderField.DATE_ORDERED, Op.GE, date1="1970-01-01")),
            OrderField.DATE_ORDERED,
            includes,
        )
        if end is not None and end < LAST_SECOND:
            bound(Op.LT, wire_second(end + 1), self._zone, "the end after until")

        # A typed scan's pages come parsed, not built: it builds the rows it keeps. With
        # several windows, pages wait for the scan: each row's id and date are read as the
        # page comes, the rest when the row is built (see PageDecoder.skim). A page as sent
        # comes skimmed likewise, its orders' bytes split out when they are kept.
        read: Callable[..., Awaitable[Page[Any]]]
        build: Build[Any] | None = self._typed.models_at
        if raw:
            read, build = (self._sent_page, _sent_at) if raw == "sent" else (self._raw_page, None)
        elif isinstance(windows, int) and windows > 1:  # a bad one is the scan's to refuse
            read = functools.partial(self._typed.parsed, skim=("order_id", "date_ordered"))
        else:
            read = self._typed.parsed

        async def fetch(
            extra: Sequence[Condition], offset: int, limit: int, sort_by: OrderField
        ) -> Page[Any]:
            return await read(self._form(extra, sort_by, includes), offset, limit)

        return OrderScan(
            fetch,
            conditions,
            since=start,
            until=end,
            windows=windows,
            state=state,
            operation="legacy.orders.scan",
            path=self._find,
            build=build,
            settle=functools.partial(clear_of_repeats, zone=self._zone),
            raw=raw,
        )

    @refused_as_async("legacy.orders.update_status")
    async def update_status(self, changes: StatusChange | Sequence[StatusChange]) -> StatusUpdate:
        """Apply one or many status changes in one request.

        One change is sent in the flat form of the API's request sample (``order_id``,
        ``new_status``, ..., the tracking number as ``shipping_code``), the form every client
        of the live server sends. Several are sent as ``changes[n][...]`` with n from 1 (the
        tracking number as ``changes[n][shipping_tracking_code]``), the documented multi-change
        form. This is a write: it is retried only when the request surely did not reach the
        server (connection refused, 429), never after a timeout or a dropped connection, so it
        is never applied twice. No document says whether a refused multi-change request applied
        none of its changes or those before the one refused, so such a refusal says
        ``maybe_applied=True``; a refused single change, ``False`` (but for a status no
        document explains and not saying ERROR in an HTTP 2xx answer, which may be a success
        said otherwise).

        Returns:
            A :class:`StatusUpdate` saying what was sent: the changes, the form used and its
            fields, and the server's description of the update.

        Raises:
            ValidationError: no change, something that is not a :class:`StatusChange`, a change
                listed twice, or more changes than a PHP server reads in one request (nothing
                is sent).
            ApiError: the server refused (e.g. :class:`~omsclient.errors.InvalidParametersError`
                for an unknown order or line).
        """
        update = encode_changes(changes)
        sent_to = update.sent_to()
        spec = RequestSpec(
            api="legacy",
            method="POST",
            path=self._update_status,
            operation="legacy.orders.update_status",
            form=update.form,
            idempotent=False,
            changes=sent_to,
        )
        try:
            answer = await self._api.call(spec)
        except OmsError as exc:
            if isinstance(exc, ApiError):
                # A refusal of the request as a whole (credentials, the API switched off, an
                # HTTP error status with no envelope: a proxy's, a web server's) applied
                # nothing; the API's own, in an envelope, may have come after the changes
                # before it, whatever its HTTP status and whether or not its response_status
                # carries a numeric code (an envelope's error has a severity, an HTTP one none).
                refused_whole = isinstance(exc, (AuthenticationError, PermissionDeniedError)) or (
                    (exc.status_code or 0) >= 400 and exc.severity is None
                )
                # A status no document explains in a 2xx answer ({"severity": "SUCCESS"} with
                # no code, "success") may be a success said otherwise: not a refusal, unless
                # its severity says ERROR (10002, seen for a login refused).
                unclear = (
                    isinstance(exc, UnknownStatusError)
                    and (exc.status_code or 0) < 400
                    and not (
                        isinstance(exc.body, dict) and says_error(exc.body.get("response_status"))
                    )
                )
                if (update.format == "multi" and not refused_whole) or unclear:
                    exc.maybe_applied = True
                    say_maybe_applied(exc)
            if exc.maybe_applied and exc.args:
                # What to look at before sending it again, in the message a log keeps.
                exc.args = (f"{exc.args[0]} ({sent_to})", *exc.args[1:])
            raise
        return attrs.evolve(update, description=self._api.description(answer))


class OrdersWithRawResponse(RawResponseView[Orders]):
    """``with_raw_response`` of :class:`Orders`: each request method, with the same
    parameters, returning a :class:`~omsclient.RawResponse` of its result."""

    search = raw_method(Orders.search)
    """:meth:`Orders.search <omsclient.legacy.Orders.search>`: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    update_status = raw_method(Orders.update_status)
    """:meth:`Orders.update_status <omsclient.legacy.Orders.update_status>`: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
