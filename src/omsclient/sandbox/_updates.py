"""``update_order_status``: parse the changes, apply them all or none."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import attrs

from ._errors import invalid
from ._orders import (
    CANCELLED,
    PRODUCED,
    READY,
    SHIPPED,
    Line,
    Operator,
    OrderRecord,
    Shipment,
    WorkflowItem,
)
from ._query import integer

# ASCII digits, at most 18: see _query.
_MULTI = re.compile(r"changes\[([0-9]{1,18})\]\[(\w+)\]")
_KEYS = (
    "order_id",
    "order_line_id",
    "workflow_item_id",
    "qty",
    "new_status",
    "contact_customer",
    "shipping_tracking_code",
    "shipping_code",
    "operator_id",
    "operator_login",
)


@attrs.frozen
class Change:
    """One parsed status change."""

    order_id: str
    line_id: int | None
    workflow_item_id: int | None
    qty: int | None
    new_status: int
    contact_customer: bool
    tracking_code: str | None
    operator: Operator


def _int(number: int, raw: Mapping[str, str], key: str) -> int | None:
    text = raw.get(key, "").strip()
    if not text:
        return None
    value = integer(text) if text.isdigit() else None
    if value is None:
        raise invalid(f"change {number}: {key} {text!r} is not a whole number")
    return value


def _operator(number: int, raw: Mapping[str, str], operators: Sequence[Operator]) -> Operator:
    op_id = _int(number, raw, "operator_id")
    login = raw.get("operator_login", "").strip()
    by_id = {op[0]: op for op in operators}
    by_login = {op[1].casefold(): op for op in operators}
    found = by_id.get(op_id) if op_id is not None else None
    if op_id is not None and found is None:
        raise invalid(f"change {number}: unknown operator_id {op_id}")
    if login:
        named = by_login.get(login.casefold())
        if named is None or (found is not None and named != found):
            raise invalid(f"change {number}: unknown operator_login {login!r}")
        found = named
    return found or operators[-1]


def parse_changes(params: Mapping[str, str], operators: Sequence[Operator]) -> list[Change]:
    """Changes from the single (flat) format or ``changes[n][...]`` (n from 1, no gaps).

    Both are accepted, as the live server does: the flat form of the docs' request sample
    (tracking number as ``shipping_code``) is what every client seen sends for one change.

    ``operators[-1]`` is the API user, the operator when none is named.
    """
    multi: dict[int, dict[str, str]] = {}
    for key, value in params.items():
        match = _MULTI.fullmatch(key)
        if match:
            multi.setdefault(int(match[1]), {})[match[2]] = value
        elif key.startswith("changes"):
            raise invalid(f"malformed parameter {key!r}")
    single = {k: params[k] for k in _KEYS if k in params}
    if multi:
        if single:
            raise invalid("single and multi change formats mixed")
        if 0 in multi or sorted(multi) != list(range(1, len(multi) + 1)):
            raise invalid("changes must be numbered 1, 2, 3, ...")
        groups = [multi[n] for n in sorted(multi)]
    elif single:
        groups = [single]
    else:
        raise invalid("no changes given")
    # The docs name the tracking number shipping_code in the flat form and
    # shipping_tracking_code in changes[n][...]. The other key is no parameter of that form:
    # ignored, as a server ignores what it does not know, so a client sending it loses the
    # number here as it would live.
    tracking_key = "shipping_tracking_code" if multi else "shipping_code"
    changes = []
    for number, raw in enumerate(groups, 1):
        order_id = raw.get("order_id", "").strip()
        if not order_id:
            raise invalid(f"change {number}: order_id is missing")
        status = _int(number, raw, "new_status")
        if status not in (PRODUCED, SHIPPED):
            raise invalid(f"change {number}: new_status must be 2 (Produced) or 3 (Shipped)")
        workflow_item_id = _int(number, raw, "workflow_item_id")
        qty = _int(number, raw, "qty")
        if qty is not None and workflow_item_id is None:
            raise invalid(f"change {number}: qty needs a workflow_item_id")
        if qty is not None and qty < 1:
            raise invalid(f"change {number}: qty must be at least 1")
        contact = raw.get("contact_customer", "").strip().lower() in ("1", "true", "yes", "on")
        tracking = raw.get(tracking_key, "").strip()
        changes.append(
            Change(
                order_id=order_id,
                line_id=_int(number, raw, "order_line_id"),
                workflow_item_id=workflow_item_id,
                qty=qty,
                new_status=status,
                contact_customer=contact,
                tracking_code=tracking or None,
                operator=_operator(number, raw, operators),
            )
        )
    return changes


@attrs.define
class Outcome:
    """What a request changed: the new order copies and who to notify."""

    records: dict[int, OrderRecord] = attrs.Factory(dict)
    notifications: list[tuple[str, int]] = attrs.Factory(list)


def apply_changes(
    changes: Sequence[Change],
    lookup: Callable[[str], OrderRecord | None],
    working_copy: Callable[[OrderRecord], OrderRecord],
    now: int,
    next_shipment_id: Callable[[], int],
    shipping_method: Callable[[OrderRecord], int],
) -> Outcome:
    """Apply ``changes`` in order to working copies; raise before anything is committed."""
    outcome = Outcome()
    for number, change in enumerate(changes, 1):
        original = lookup(change.order_id)
        if original is None:
            raise invalid(f"change {number}: unknown order_id {change.order_id!r}")
        if original.status == CANCELLED:
            raise invalid(f"change {number}: order {change.order_id!r} is cancelled")
        record = outcome.records.get(original.index)
        if record is None:
            record = outcome.records[original.index] = working_copy(original)
        state = record._state
        assert state is not None
        targets = _targets(number, change, state.lines)
        shipped: list[tuple[int, int]] = []
        changed = False
        for line, item in targets:
            if change.new_status == PRODUCED:
                amount = change.qty if change.qty is not None else item.outstanding_production
                if amount > item.outstanding_production:
                    raise invalid(
                        f"change {number}: qty {amount} is more than the "
                        f"{item.outstanding_production} left to produce"
                    )
                item.produced += amount
            else:
                amount = change.qty if change.qty is not None else item.outstanding_shipping
                if amount > item.outstanding_shipping:
                    raise invalid(
                        f"change {number}: qty {amount} is more than the "
                        f"{item.outstanding_shipping} left to ship"
                    )
                item.shipped += amount
                item.produced = max(item.produced, item.shipped)
                if amount:
                    shipped.append((item.id, amount))
            changed = changed or amount > 0
            _mark_line(line, change.operator, now)
        if not changed:
            continue
        if shipped:
            state.shipments.append(
                Shipment(
                    id=next_shipment_id(),
                    date=now,
                    tracking_number=change.tracking_code,
                    method=shipping_method(record),
                    items=shipped,
                )
            )
        before, after = record.status, state.status
        if after == READY and before not in (PRODUCED, SHIPPED):
            after = before  # an order on hold stays on hold until it is produced
        if after >= PRODUCED and record.date_produced is None:
            record.date_produced = now
        if after == SHIPPED and record.date_shipped is None:
            record.date_shipped = now
        if record.date_production_files_ready is None:
            record.date_production_files_ready = now
        record.status = after
        record.date_modified = now
        if change.contact_customer and after != before:
            outcome.notifications.append((change.order_id, after))  # as the answers name it
    return outcome


def _targets(number: int, change: Change, lines: list[Line]) -> list[tuple[Line, WorkflowItem]]:
    if change.line_id is not None:
        matching = [line for line in lines if line.id == change.line_id]
        if not matching:
            raise invalid(f"change {number}: order line {change.line_id} is not in the order")
        lines = matching
    pairs = [(line, item) for line in lines for item in line.items]
    if change.workflow_item_id is not None:
        pairs = [(line, item) for line, item in pairs if item.id == change.workflow_item_id]
        if not pairs:
            raise invalid(
                f"change {number}: workflow item {change.workflow_item_id} is not in the "
                + ("line" if change.line_id is not None else "order")
            )
    return pairs


def _mark_line(line: Line, operator: Operator, now: int) -> None:
    status = line.status
    if status in (PRODUCED, SHIPPED) and line.processed_date is None:
        line.processed_date, line.processed_by = now, operator
    if status == SHIPPED and line.shipped_date is None:
        line.shipped_date, line.shipped_by = now, operator
