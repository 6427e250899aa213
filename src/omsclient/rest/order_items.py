"""``oms.rest.order_items``: print file status, and waiting for print files to be ready."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import anyio

from omsclient._calls import kept_calls, read_after, unfit_answer
from omsclient._concurrency import run_all
from omsclient._decoding import show, unstructure
from omsclient._parts import View
from omsclient._process_bound import OfThisProcess
from omsclient._redact import Redactor
from omsclient._refused import secrets_kept_out
from omsclient._settings import REST_API
from omsclient._validate import finite, id_text, is_collection, positive_int, shown
from omsclient._verdicts import failed_status, folded, said_failed
from omsclient._with_raw_response import RawResponseView, raw_method
from omsclient.errors import DecodeError, NotFoundError, ValidationError
from omsclient.rest._enums import PrintFileStatus
from omsclient.rest._errors import (
    PrintFileFailedError,
    PrintFileNotFoundError,
    PrintFileTimeoutError,
)
from omsclient.rest._transport import RestTransport, id_segment
from omsclient.rest.models import PrintFile

__all__ = ["OrderItems"]

PATH = f"{REST_API}/order-items/{{}}/print"
WAIT_ONE = "rest.order_items.wait_for_print_file"
WAIT = "rest.order_items.wait_for_print_files"

DEFAULT_TIMEOUT = 600.0
DEFAULT_INITIAL_INTERVAL = 1.0
DEFAULT_MAX_INTERVAL = 30.0
DEFAULT_CONCURRENCY = 8


def _positive(op: str, name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValidationError(f"{op}: {name} must be a positive number, got {shown(value)}")
    # Infinity waits for ever, as does an int too large to be made a float of.
    return float(value) if finite(value) else math.inf


@secrets_kept_out(lambda resource: resource._rest.session.redact)
class OrderItems(OfThisProcess):
    """Order items of the REST OMS API v1: their print files."""

    __slots__ = ("_rest",)

    with_raw_response = View(lambda: OrderItemsWithRawResponse)
    """These request methods returning a :class:`~omsclient.RawResponse` (the answer's
    status, headers, timing and attempts; ``.parse()`` is the method's result), e.g.
    ``await oms.rest.order_items.with_raw_response.print_file(item_id)``."""

    def __init__(self, rest: RestTransport) -> None:
        self._rest = rest

    def _path(self, item_id: str | int, operation: str) -> str:
        return PATH.format(id_segment(item_id, "ecommerce_order_item_id", operation))

    async def print_file(self, ecommerce_order_item_id: str | int) -> PrintFile:
        """The print file status of an item (``GET /api/v1/order-items/{id}/print``).

        ``url`` is set only when ``status`` is :attr:`PrintFileStatus.READY`.

        Raises:
            ValidationError: ``ecommerce_order_item_id`` is blank, begins or ends with white
                space, is ``.`` or ``..``, is an int below 1 or beyond 64 bits, or is neither a
                str nor an int (a bool, a float; nothing is sent).
            NotFoundError: no such order item.
            DecodeError: an answer naming neither the item nor a status, naming another
                item, or saying it failed (``{"success": false, ...}``).
        """
        op = "rest.order_items.print_file"
        path = self._path(ecommerce_order_item_id, op)
        asked = id_text(ecommerce_order_item_id, f"{op}: ecommerce_order_item_id")
        # One naming neither its item nor a status ({"success": false, "error": ...}) is no
        # print file: read as one not ready yet, a waiter would poll it until its timeout.
        names = ("ecommerce_order_item_id", "status")
        with read_after():
            answer = await self._rest.call(PrintFile, "GET", path, op, names=names)
            named = answer.ecommerce_order_item_id
            if named is not None and named != asked:
                # Another item's file (a server's cache, a proxy's): its url would print
                # another order's artwork.
                raise self._unlike(
                    op, path, f"the print file of order item {show(named)}, not of {show(asked)}"
                )
            if answer.status is not None and failed_status(answer.status.value):
                # JSend's {"status": "error", "message": ...}: no state of a file, and polled
                # as one not ready, it would hold a waiter until its timeout.
                raise self._unlike(op, path, said_failed(folded(answer.extra)))
        return answer

    def _unlike(self, op: str, path: str, problem: str) -> DecodeError:
        """The error of a print file's answer that is not the file asked for; raised inside
        ``read_after``, it carries the answer."""
        where = self._rest.located(path)
        message = self._rest.session.redact(f"{op}: GET {where} answered with {problem}")
        return unfit_answer(message, operation=op, method="GET", path=where)

    async def wait_for_print_file(
        self,
        ecommerce_order_item_id: str | int,
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - a polling budget, see Raises
        initial_interval: float = DEFAULT_INITIAL_INTERVAL,
        max_interval: float = DEFAULT_MAX_INTERVAL,
        raise_on_failure: bool = True,
    ) -> PrintFile:
        """Poll an item's print file until it is ready, and return it.

        Polls at once, then after ``initial_interval`` seconds, doubling the wait each time up
        to ``max_interval``, for at most ``timeout`` seconds in all. Statuses other than
        ``ready`` and ``processingfailed`` (including ones the API does not document) mean
        "not yet".

        Raises:
            PrintFileFailedError: the server reports ``processingfailed`` (with
                ``raise_on_failure=False`` the failed :class:`PrintFile` is returned instead).
            PrintFileNotFoundError: the server knows no such item (HTTP 404); a
                :class:`~omsclient.errors.NotFoundError`.
            PrintFileTimeoutError: still not done after ``timeout`` seconds; a
                :class:`~omsclient.errors.RequestTimeoutError`.
            ApiError: a poll was refused (e.g. :class:`AuthenticationError` for a 401).
            DecodeError: a poll was answered with no print file (``{"success": false}``).
            ValidationError: a ``timeout`` or interval not above 0, or ``max_interval`` below
                ``initial_interval`` (nothing is sent).
        """
        results = await self._wait(
            [ecommerce_order_item_id],
            WAIT_ONE,
            concurrency=1,
            timeout=timeout,
            initial_interval=initial_interval,
            max_interval=max_interval,
            raise_on_failure=raise_on_failure,
        )
        return results[0]

    async def wait_for_print_files(
        self,
        ecommerce_order_item_ids: Iterable[str | int],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - a polling budget, see Raises
        initial_interval: float = DEFAULT_INITIAL_INTERVAL,
        max_interval: float = DEFAULT_MAX_INTERVAL,
        raise_on_failure: bool = True,
    ) -> list[PrintFile]:
        """Wait for the print files of many items; results in the order asked.

        Polls in rounds: every item not yet done is polled, at most ``concurrency`` requests
        at a time, then the waiter sleeps (``initial_interval`` doubling up to
        ``max_interval``) before the next round. So every item is polled as often as the
        others and the whole wait is bounded by one overall ``timeout``. An id asked twice (also
        as ``7`` and ``"7"``) is polled once.

        Raises:
            PrintFileFailedError: an item's file failed (unless ``raise_on_failure=False``,
                which returns failed items with status ``processingfailed``). The other polls
                are stopped; ``pending`` lists the items not done and ``print_files`` holds
                every last answer.
            PrintFileNotFoundError: the server answered 404 for some items. The round goes on
                for the others; at its end ``missing_ids`` names every unknown item,
                ``pending`` the others not done and ``print_files`` holds every last answer.
            PrintFileTimeoutError: some items were not done after ``timeout`` seconds; its
                ``pending`` lists them and ``print_files`` holds every last answer.
            ApiError: a poll was refused (a 401, a 5xx after retries...): raised as it is.
            DecodeError: a poll was answered with no print file (``{"success": false}``):
                raised as it is, the other items' answers with it lost.
            ValidationError: ids that are no list of ids, a ``timeout``, interval or
                ``concurrency`` not above 0, or ``max_interval`` below ``initial_interval``
                (nothing is sent).
        """
        if not is_collection(ecommerce_order_item_ids):
            raise ValidationError(
                f"{WAIT}: ecommerce_order_item_ids must be a list of item ids, got "
                f"{type(ecommerce_order_item_ids).__name__}"
            )
        return await self._wait(
            ecommerce_order_item_ids,
            WAIT,
            concurrency=concurrency,
            timeout=timeout,
            initial_interval=initial_interval,
            max_interval=max_interval,
            raise_on_failure=raise_on_failure,
        )

    async def _wait(
        self,
        ecommerce_order_item_ids: Iterable[str | int],
        op: str,
        *,
        concurrency: int,
        timeout: float,  # noqa: ASYNC109 - a polling budget
        initial_interval: float,
        max_interval: float,
        raise_on_failure: bool,
    ) -> list[PrintFile]:
        """The waiters' polling, its errors named ``op``."""
        if not isinstance(raise_on_failure, bool):
            raise ValidationError(
                f"{op}: raise_on_failure must be True or False, got {shown(raise_on_failure)}"
            )
        # Named by their text in what the wait reports (pending, missing_ids), 7 as "7".
        asked = [
            (id_text(item, f"{op}: ecommerce_order_item_id"), self._path(item, op))
            for item in ecommerce_order_item_ids
        ]
        # One poll for each item the server tells apart: 7 and "7" are one item.
        first: dict[str, str] = {}
        for item, path in asked:
            first.setdefault(path, item)
        # As the requests' own errors name their paths: after the base URL's own.
        paths = {item: self._rest.located(path) for path, item in first.items()}
        for item, where in paths.items():
            # Refused now, not when its first poll is built, after others were sent.
            if problem := self._rest.session.url_problem("rest", where):
                raise ValidationError(f"{op}: ecommerce_order_item_id {shown(item)}: {problem}")
        concurrency = positive_int(concurrency, f"{op}: concurrency")
        timeout = _positive(op, "timeout", timeout)
        interval = _positive(op, "initial_interval", initial_interval)
        max_interval = _positive(op, "max_interval", max_interval)
        if max_interval < interval:
            raise ValidationError(
                f"{op}: max_interval must be >= initial_interval, got {max_interval:g} "
                f"and {interval:g}"
            )

        last: dict[str, PrintFile] = {}
        unknown: dict[str, NotFoundError] = {}
        # Each item's last poll's redactor: the wait's errors quote those answers, which the
        # credentials their requests went out with are redacted from, as in the polls' own.
        polled: dict[str, Redactor] = {}

        def record(item: str, answer: PrintFile, redact: Redactor) -> None:
            # Kept as it arrives, not when the round ends: a timeout in the middle of
            # a round must still report the answers already given (``print_files``
            # and the "last status" of its message).
            last[item], polled[item] = answer, redact
            if answer.failed and raise_on_failure:
                # Raised from inside the round, so run_all cancels the other polls
                # at once: the first failure stops the wait, as documented.
                raise PrintFileFailedError(
                    f"{op}: the print file of order item {item!r} failed (status {answer.status})",
                    item_id=item,
                    print_file=answer,
                    # The round's list: what it has not answered done yet is still pending.
                    pending=not_done(pending),
                    print_files=dict(last),
                    operation=op,
                    method="GET",
                    path=paths[item],
                    status_code=200,
                    body=unstructure(answer),
                )

        def not_done(items: list[str]) -> list[str]:
            # An item the round a timeout cut short has not polled yet has no answer.
            return [item for item in items if item not in last or not last[item].done]

        pending = list(paths)
        rounds = 0
        # One call for the close to stop: between polls, no request of its own is running.
        async with self._rest.session.lifecycle.call(op):
            # Built here, not by the session: their message and body quote what the server sent.
            redact = self._rest.session.redact
            with redact.errors(also=polled.values):
                with anyio.move_on_after(timeout):
                    while pending:
                        rounds += 1
                        await self._poll(pending, concurrency, record, unknown)
                        if unknown:
                            break
                        pending = not_done(pending)
                        if pending:
                            await anyio.sleep(interval)
                            interval = min(interval * 2, max_interval)
                # A timeout in the middle of a round: the answers it gave count.
                pending = not_done(pending)
                if unknown:
                    # Rather than the timeout: an unknown item would never have been ready.
                    raise self._not_found(op, pending, unknown, last)
                if pending:
                    raise self._timeout(op, pending, paths, last, timeout, rounds)
        return [last[first[path]] for _, path in asked]

    async def _poll(
        self,
        items: list[str],
        concurrency: int,
        record: Callable[[str, PrintFile, Redactor], None],
        unknown: dict[str, NotFoundError],
    ) -> None:
        indexes = iter(range(len(items)))

        async def worker() -> None:
            # One shared iterator: each index is taken by exactly one worker. ``record`` is
            # called with each answer as it comes, and may raise to end the round.
            for i in indexes:
                try:
                    with kept_calls() as calls:
                        answer = await self.print_file(items[i])
                except NotFoundError as exc:
                    # The server's answer about this one item, not a failure of the wait:
                    # the round goes on, so its end names every unknown item along with
                    # the others' answers.
                    unknown[items[i]] = exc
                else:
                    record(items[i], answer, calls[-1].redact)

        await run_all([worker] * min(concurrency, len(items)))

    def _not_found(
        self,
        op: str,
        not_done: list[str],
        unknown: dict[str, NotFoundError],
        last: dict[str, PrintFile],
    ) -> PrintFileNotFoundError:
        missing = [item for item in not_done if item in unknown]
        first = unknown[missing[0]]
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        # An unknown item's earlier answer is out of date: its last answer was the 404.
        others = {item: answer for item, answer in last.items() if item not in unknown}
        kept = f"; the answers for {len(others)} others are in .print_files" if others else ""
        error = PrintFileNotFoundError(
            f"{op}: order item {missing[0]!r}{more} not found (HTTP 404){kept}",
            missing_ids=missing,
            pending=[item for item in not_done if item not in unknown],
            print_files=others,
            operation=op,
            method=first.method,
            path=first.path,
            status_code=first.status_code,
            body=first.body,
        )
        error.response = first.response
        error.attempts = first.attempts
        error.__cause__ = first
        return error

    def _timeout(
        self,
        op: str,
        pending: list[str],
        paths: dict[str, str],
        last: dict[str, PrintFile],
        timeout: float,
        rounds: int,
    ) -> PrintFileTimeoutError:
        first = pending[0]
        # Quoted as messages quote what a server sent: a long status (a signed link pasted
        # into it) or one holding a line break is described, not copied. An answer without one
        # is an answer still.
        if first not in last:
            seen = "no answer yet"
            throttle = self._rest.session.throttle
            paused = throttle.paused_for
            if paused:
                # Not a server that is silent: one that asked the client to wait.
                seen += (
                    f": the server asked to wait (HTTP 429, or 503 with Retry-After), "
                    f"{math.ceil(paused)} s more"
                )
            elif throttle.in_flight >= throttle.max_in_flight:
                # Nor, perhaps, one that was asked: the client's other calls held every slot.
                seen += (
                    f": the client's other calls held all {throttle.max_in_flight} of its "
                    f"request slots (max_in_flight), so the poll may not have left"
                )
        else:
            status = last[first].status
            seen = f"last status {show(None if status is None else status.value)}"
            if status is PrintFileStatus.READY:
                seen += " without a url to download it from"
        more = f" and {len(pending) - 1} more" if len(pending) > 1 else ""
        return PrintFileTimeoutError(
            f"{op}: the print file of order item {first!r}{more} not ready after "
            f"{timeout:g} s ({rounds} polling round{'s' * (rounds != 1)}, {seen})",
            pending=pending,
            print_files=dict(last),
            timeout=timeout,
            operation=op,
            method="GET",
            path=paths[first],
            attempts=rounds,
        )


class OrderItemsWithRawResponse(RawResponseView[OrderItems]):
    """``with_raw_response`` of :class:`OrderItems`: each request method, with the same
    parameters, returning a :class:`~omsclient.RawResponse` of its result."""

    print_file = raw_method(OrderItems.print_file)
    """:meth:`OrderItems.print_file <omsclient.rest.OrderItems.print_file>`: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    wait_for_print_file = raw_method(OrderItems.wait_for_print_file)
    """:meth:`OrderItems.wait_for_print_file <omsclient.rest.OrderItems.wait_for_print_file>`:
    same arguments; its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    wait_for_print_files = raw_method(OrderItems.wait_for_print_files)
    """:meth:`OrderItems.wait_for_print_files <omsclient.rest.OrderItems.wait_for_print_files>`:
    same arguments; its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
