"""Orders: a compact record per order, and its line/workflow state built on demand.

A record holds what searching and sorting need (invoice number, status, dates). The lines,
sizes and workflow quantities of an order are derived from the seed and the order's index
whenever they are needed; an order keeps its own copy only once a write has changed it.
"""

from __future__ import annotations

import copy
import random

import attrs

from . import _dates
from ._products import SIZES, ProductRecord

INVOICE_BASE = 10_001
LINE_ID_BASE = 345_000_000_000
WORKFLOW_ID_BASE = 5_400_000
SHIPMENT_ID_BASE = 45_000_000

Operator = tuple[int, str, str, str]
"""(id, login, firstname, lastname)"""

OPERATORS: tuple[Operator, ...] = (
    (735345, "Rob123", "Robert", "Smith"),
    (35345, "Bob123", "Bob", "Smith"),
    (812001, "alice.n", "Alice", "Nguyen"),
    (812002, "marco", "Marco", "Rossi"),
)
API_USER_ID = 700_001
"""The operator id of the API user (the sandbox's username), as in document URLs."""
SHIPPING_METHODS = (
    (34857623, "Overnight"),
    (34857624, "Ground"),
    (34857625, "2-Day Air"),
    (34857626, "Local Pickup"),
)

# Line production statuses an order line can wait in before it is produced.
READY, ON_HOLD, AWAITING_PO, AWAITING_STOCK, AWAITING_ARTWORK = 1, 7, 8, 9, 10
PRODUCED, SHIPPED = 2, 3
# Order statuses live servers send beyond the documented 1-3: 4 on a cancelled order, and 7
# (filtered out by client code; "on hold" as line statuses name it).
CANCELLED = 4
ORDER_ON_HOLD = ON_HOLD


def mix(seed: int, index: int, salt: int) -> int:
    """A per-order generator seed, so any order can be rebuilt alone."""
    return ((seed * 1_000_003 + index) << 3) + salt


def shipping_method_index(seed: int, index: int) -> int:
    """The order's shipping method, shared by the order and its shipments."""
    return (seed + index * 7 + index // 5) % len(SHIPPING_METHODS)


@attrs.define(slots=True)
class WorkflowItem:
    """One size of one line going through production."""

    id: int
    option_id: int
    size: str
    sku: str
    qty: int
    wasted: int
    produced: int
    shipped: int
    uses_po: bool

    @property
    def outstanding_production(self) -> int:
        """Units still to produce."""
        return self.qty - self.produced

    @property
    def outstanding_shipping(self) -> int:
        """Units still to ship."""
        return self.qty - self.shipped


@attrs.define(slots=True)
class Line:
    """An order line and its workflow items."""

    id: int
    product_index: int
    color_id: int
    pre_status: int
    items: list[WorkflowItem]
    processed_date: int | None = None
    processed_by: Operator | None = None
    shipped_date: int | None = None
    shipped_by: Operator | None = None

    @property
    def status(self) -> int:
        """Line production status, following its workflow items."""
        if all(w.shipped >= w.qty for w in self.items):
            return SHIPPED
        if all(w.produced >= w.qty for w in self.items):
            return PRODUCED
        return self.pre_status

    @property
    def on_hold(self) -> bool:
        """True while the line waits on something other than production."""
        return self.pre_status != READY


@attrs.define(slots=True)
class Shipment:
    """A shipment; ``items`` are (workflow item id, qty) pairs."""

    id: int
    date: int
    tracking_number: str | None
    method: int
    items: list[tuple[int, int]]
    packages: int = 1


@attrs.define(slots=True)
class OrderState:
    """The mutable production state of one order."""

    lines: list[Line]
    shipments: list[Shipment]

    @property
    def status(self) -> int:
        """Order status from the lines: 1 ready for production, 2 ready for shipping, 3 shipped."""
        statuses = [line.status for line in self.lines]
        if all(s == SHIPPED for s in statuses):
            return SHIPPED
        if all(s in (PRODUCED, SHIPPED) for s in statuses):
            return PRODUCED
        return READY


@attrs.define(slots=True)
class OrderRecord:
    """One generated order as the sandbox holds it: what searches and sorts read, plus its
    production state once a write has changed it.

    ``SandboxState.order("INV10001")`` and ``SandboxState.orders`` hand these out, and
    ``SandboxState.render(record)`` makes the JSON ``manage_orders/find`` would send for one. A
    write replaces the record of each order it changes, so look an order up again after one
    rather than keeping its record. Dates are epoch seconds (UTC).

    Attributes:
        index: the order's position in ``SandboxState.orders`` (invoice number ``INV10001`` is
            index 0).
        status: the order status: 1 ready for production, 2 produced (ready for shipping),
            3 shipped, 4 cancelled, 7 on hold.
        date_started: when the customer started the order.
        date_ordered: when it was placed ("Date Ordered").
        date_production_files_ready: when its production files were ready; None before.
        date_produced: when it was produced; None before.
        date_shipped: when it was shipped; None before.
        date_invoiced: when it was invoiced; None if not.
        date_modified: its last change.
        date_due: when it is due.
        date_scheduled: when it is scheduled for production; None if not.

    Its lines, workflow items and shipments are in the JSON ``SandboxState.render(record)``
    makes: the sandbox rebuilds them from the seed until a write changes them, then keeps its
    own copy.
    """

    index: int
    status: int
    date_started: int
    date_ordered: int
    date_production_files_ready: int | None
    date_produced: int | None
    date_shipped: int | None
    date_invoiced: int | None
    date_modified: int
    date_due: int
    date_scheduled: int | None
    # None until a write changes the order: then its own copy of what render() reads.
    _state: OrderState | None = None

    @property
    def number(self) -> int:
        """The numeric part of the invoice number."""
        return INVOICE_BASE + self.index

    @property
    def order_id(self) -> str:
        """The invoice number, e.g. ``INV10001``."""
        return f"INV{self.number}"

    def sent_id(self, numeric: bool) -> str:
        """The order id answers send and updates take: the invoice number, or its digits alone
        with the ``numeric_order_ids`` quirk (``"10001"``)."""
        return str(self.number) if numeric else self.order_id

    def _clone(self) -> OrderRecord:
        """A deep copy to change without touching the original until committed."""
        return copy.deepcopy(self)


def _by_now(when: int, floor: int, now: int, index: int) -> int:
    """``when``, or, past ``now``, a moment of the day before ``now`` and not before ``floor``.

    A server's dates never pass its clock; all set to it, a few hundred of 200,000 orders
    shared one ``date_modified``, inside the overlap of every later database sync. Spread by
    the order's index, not drawn: the draws, and so every other order, stay as they were.
    """
    return when if when <= now else max(floor, now - 1 - index * 7919 % 86400)


def generate(count: int, seed: int, start: int, now: int) -> list[OrderRecord]:
    """``count`` orders spread over ``[start, now)``, invoice numbers growing with time."""
    rng = random.Random(seed)
    span = now - start
    step = max(1, span // max(count, 1))
    records = []
    randrange, rand = rng.randrange, rng.random
    for index in range(count):
        ordered = min(now - 1, start + index * span // max(count, 1) + randrange(2 * step))
        age = now - ordered
        roll = rand()
        if age > 30 * 86400:
            status = SHIPPED if roll < 0.9 else PRODUCED if roll < 0.95 else READY
        elif age > 7 * 86400:
            status = SHIPPED if roll < 0.5 else PRODUCED if roll < 0.8 else READY
        else:
            status = READY if roll < 0.6 else PRODUCED if roll < 0.9 else SHIPPED
        files_ready: int | None = _by_now(
            _dates.hour_ceiling(ordered + randrange(2 * 86400)), ordered, now, index
        )
        if status == READY and rand() < 0.05:
            files_ready = None
        # Chosen by index, not drawn, so the other orders read the same with or without them.
        if index % 23 == 5:
            status = CANCELLED
        elif status == READY and index % 7 == 3:
            status = ORDER_ON_HOLD
        produced = shipped = None
        if status in (PRODUCED, SHIPPED):
            began = files_ready or ordered
            produced = _by_now(began + randrange(3 * 86400), began, now, index)
        if status == SHIPPED and produced is not None:
            shipped = _by_now(produced + randrange(2 * 86400), produced, now, index)
        invoiced = _by_now(ordered + randrange(600), ordered, now, index) if rand() < 0.85 else None
        due = ordered - ordered % 86400 + (7 + randrange(15)) * 86400
        scheduled = due - 2 * 86400 if rand() < 0.5 else None
        latest = max(d for d in (ordered, files_ready, produced, shipped, invoiced) if d)
        records.append(
            OrderRecord(
                index=index,
                status=status,
                date_started=ordered - randrange(3600),
                date_ordered=ordered,
                date_production_files_ready=files_ready,
                date_produced=produced,
                date_shipped=shipped,
                date_invoiced=invoiced,
                date_modified=_by_now(latest + randrange(600), latest, now, index),
                date_due=due,
                date_scheduled=scheduled,
            )
        )
    return records


def new_order(index: int, when: int, rng: random.Random) -> OrderRecord:
    """An order arriving now (churn): ready for production, files ready shortly."""
    return OrderRecord(
        index=index,
        status=READY,
        date_started=when - rng.randrange(1800),
        date_ordered=when,
        date_production_files_ready=when,
        date_produced=None,
        date_shipped=None,
        date_invoiced=when,
        date_modified=when,
        date_due=when - when % 86400 + (7 + rng.randrange(15)) * 86400,
        date_scheduled=None,
    )


def build_state(record: OrderRecord, seed: int, products: list[ProductRecord]) -> OrderState:
    """The line/workflow state of an order as generated (before any write)."""
    if record._state is not None:
        return record._state
    rng = random.Random(mix(seed, record.index, 1))
    # Cancelled and on-hold orders have lines that were never produced, like ready ones.
    status = record.status if record.status in (PRODUCED, SHIPPED) else READY
    line_count = rng.choices((1, 2, 3, 4), (40, 35, 18, 7))[0]
    partial_line = status == READY and line_count > 1 and rng.random() < 0.25
    lines = []
    for k in range(line_count):
        product_index = rng.randrange(len(products))
        product = products[product_index]
        color_id = product.color_ids[rng.randrange(len(product.color_ids))]
        sizes = sorted(
            rng.sample(product.sizes, rng.randrange(1, min(4, len(product.sizes)) + 1)),
            key=SIZES.index,
        )
        pre_status = READY
        if status == READY and not (partial_line and k == 0):
            pre_status = rng.choices(
                (READY, ON_HOLD, AWAITING_PO, AWAITING_STOCK, AWAITING_ARTWORK), (80, 5, 5, 5, 5)
            )[0]
            if record.status == ORDER_ON_HOLD:
                pre_status = ON_HOLD
        produced_line = status >= PRODUCED or (partial_line and k == 0)
        shipped_line = status == SHIPPED
        items = []
        for j, size in enumerate(sizes):
            qty = rng.randrange(1, 13)
            items.append(
                WorkflowItem(
                    id=WORKFLOW_ID_BASE + record.index * 64 + k * 16 + j,
                    option_id=70_000 + SIZES.index(size),
                    size=size,
                    sku=f"{product.code}-{size}",
                    qty=qty,
                    wasted=1 if produced_line and rng.random() < 0.05 else 0,
                    produced=qty if produced_line else 0,
                    shipped=qty if shipped_line else 0,
                    uses_po=rng.random() < 0.3,
                )
            )
        operator = OPERATORS[rng.randrange(len(OPERATORS))]
        line = Line(
            id=LINE_ID_BASE + record.index * 16 + k,
            product_index=product_index,
            color_id=color_id,
            pre_status=pre_status,
            items=items,
        )
        if produced_line:
            line.processed_date = record.date_produced or record.date_modified
            line.processed_by = operator
        if shipped_line:
            line.shipped_date = record.date_shipped
            line.shipped_by = operator
        lines.append(line)
    shipments = []
    if record.status == SHIPPED and record.date_shipped is not None:
        shipments.append(
            Shipment(
                id=SHIPMENT_ID_BASE + record.index * 8,
                date=record.date_shipped,
                tracking_number=f"1Z{rng.randrange(16**12):012X}",
                method=shipping_method_index(seed, record.index),
                items=[(w.id, w.qty) for line in lines for w in line.items],
                packages=rng.randrange(1, 3),
            )
        )
    return OrderState(lines=lines, shipments=shipments)
