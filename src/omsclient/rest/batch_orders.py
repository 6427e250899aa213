"""``oms.rest.batch_orders``: combining order items into one print file."""

from __future__ import annotations

from collections.abc import Sequence

from omsclient._decoding import show
from omsclient._parts import View
from omsclient._process_bound import OfThisProcess
from omsclient._refused import secrets_kept_out
from omsclient._settings import REST_API
from omsclient._validate import invisible, padded_problem, text_problem
from omsclient._with_raw_response import RawResponseView, raw_method
from omsclient.errors import ValidationError
from omsclient.rest._transport import RestTransport
from omsclient.rest.models import BatchOrder

__all__ = ["BatchOrders"]

PATH = f"{REST_API}/batch-orders"


def _uid_problem(uid: object, where: str) -> str | None:
    """What keeps ``uid`` from being a UID, or None: one problem a UID (a line break at its
    end is white space, and invisible too)."""
    if not isinstance(uid, str) or not uid.strip():
        return f"{where} must be a non-empty string"
    problem = padded_problem(uid, where) or text_problem(uid, where)  # a lone surrogate, named
    hidden = next((char for char in uid if invisible(char)), None)
    if problem is None and hidden is not None:
        # No UID holds one: a line break or a zero-width space pasted in with it.
        return f"{where} holds an invisible character ({hidden!r})"
    return problem


def _uid_problems(value: Sequence[str], name: str) -> list[str]:
    """Every problem of ``value`` as a list of UIDs, each named with its place."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return [f"{name} must be a list of UIDs"]
    if not value:
        return [f"{name} is required (at least one UID)"]
    problems: list[str] = []
    first: dict[str, int] = {}
    for i, uid in enumerate(value):
        problem = _uid_problem(uid, f"{name}[{i}]")
        if problem is not None:
            problems.append(problem)
        elif uid in first:
            # An item's artwork twice in the batch's print file, or a template applied twice.
            problems.append(f"{name}[{i}] repeats {name}[{first[uid]}] ({show(uid)})")
        else:
            first[uid] = i
    return problems


@secrets_kept_out(lambda resource: resource._rest.session.redact)
class BatchOrders(OfThisProcess):
    """Batch orders of the REST OMS API v1 (``/api/v1/batch-orders``)."""

    __slots__ = ("_rest",)

    with_raw_response = View(lambda: BatchOrdersWithRawResponse)
    """These request methods returning a :class:`~omsclient.RawResponse` (the answer's
    status, headers, timing and attempts; ``.parse()`` is the method's result), e.g.
    ``await oms.rest.batch_orders.with_raw_response.create(...)``."""

    def __init__(self, rest: RestTransport) -> None:
        self._rest = rest

    async def create(
        self, *, order_items: Sequence[str], print_templates: Sequence[str]
    ) -> BatchOrder:
        """Combine order items into one print file (``POST /api/v1/batch-orders``).

        Args:
            order_items: UIDs of the order items (the OMS ``uid`` of each, not the ecommerce
                id).
            print_templates: UIDs of the print templates to use (made in the dashboard).

        Returns:
            The batch, with ``uid`` and ``status`` (``Batching`` when just created).

        This is a write: it is retried only when the request surely did not reach the server.

        Raises:
            ValidationError: a list is empty or holds something other than a UID string (or
                one beginning or ending with white space), or names one twice; every such
                problem of both lists is named.
        """
        op = "rest.batch_orders.create"
        problems = [
            *_uid_problems(order_items, "order_items"),
            *_uid_problems(print_templates, "print_templates"),
        ]
        if problems:
            raise ValidationError(f"{op}: " + "; ".join(problems))
        body = {"order_items": list(order_items), "print_templates": list(print_templates)}
        return await self._rest.call(BatchOrder, "POST", PATH, op, body)


class BatchOrdersWithRawResponse(RawResponseView[BatchOrders]):
    """``with_raw_response`` of :class:`BatchOrders`: each request method, with the same
    parameters, returning a :class:`~omsclient.RawResponse` of its result."""

    create = raw_method(BatchOrders.create)
    """:meth:`BatchOrders.create <omsclient.rest.BatchOrders.create>`: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
