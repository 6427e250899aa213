"""The sandbox's data and bookkeeping, shared by both APIs and reachable from tests."""

from __future__ import annotations

import collections
import hashlib
import random
from collections.abc import Iterator, Sequence
from typing import Any

import attrs
import orjson

from omsclient._repr import Verbatim

from . import _dates, _orders, _products
from ._cache import RenderCache
from ._config import SandboxConfig
from ._index import Finder
from ._orders import OPERATORS, OrderRecord, OrderState
from ._products import ProductRecord
from ._query import Condition, Field, integer
from ._render import RenderOptions, render_order
from ._rest_store import RestStore
from ._updates import Change, apply_changes

FAULT_KINDS: tuple[str, ...] = ("error", "rate_limit", "drop", "truncate", "empty")


@attrs.define(repr=False)
class RequestRecord:
    """One request as it reached the server, secrets included, for tests to inspect.

    ``fault`` names the injected fault, if any; ``status`` is the HTTP status sent (None when
    the connection was dropped before any response). The repr shows parameter names only.
    """

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    json: Any
    headers: dict[str, str]
    fault: str | None = None
    status: int | None = None

    @property
    def params(self) -> dict[str, str]:
        """Query and form parameters merged, the form winning, as the legacy API reads them."""
        return {**self.query, **self.form}

    def __repr__(self) -> str:
        keys = sorted(self.params)
        return (
            f"RequestRecord({self.method} {self.path}, params={keys}, "
            f"fault={self.fault!r}, status={self.status!r})"
        )

    def __rich_repr__(self) -> Iterator[Any]:
        # rich prints an attrs class field by field, secrets included, without this.
        yield Verbatim(f"{self.method} {self.path}")
        yield "params", sorted(self.params)
        yield "fault", self.fault
        yield "status", self.status


class SandboxState:
    """All mutable sandbox data: orders, products, REST objects, request log, counters.

    One event loop serves the app, so handlers change this without locks; tests read it from
    other threads between requests.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        start = _dates.to_epoch(config.start)
        self.start = start
        self.now: int = start + config.days * 86400
        self.products: list[ProductRecord] = _products.generate(
            config.products, config.seed, start, self.now - start
        )
        self.product_by_id: dict[int, ProductRecord] = {p.id: p for p in self.products}
        self.orders: list[OrderRecord] = _orders.generate(
            config.orders, config.seed, start, self.now
        )
        staff = (*OPERATORS, (_orders.API_USER_ID, config.username, "Sandbox", "User"))
        self.operators: tuple[tuple[int, str, str, str], ...] = staff
        """The shop's staff, each ``(id, login, firstname, lastname)``: a status update may name
        one as its operator (``operator_id`` or ``operator_login``); one naming none is made by
        the last, the API user that the sandbox's username logs in as."""
        # 40 hex characters, as the key= of live document URLs.
        self.login_token: str = hashlib.sha256(
            f"{config.seed}:{config.username}:login".encode()
        ).hexdigest()[:40]
        self.version: int = 0
        self.requests: list[RequestRecord] = []
        self.writes_applied = 0
        self.customer_notifications: list[tuple[str, int]] = []
        self.rest: RestStore = RestStore(config, self._tick)
        fault_seed = config.faults.seed if config.faults.seed is not None else config.seed
        self.fault_rng: random.Random = random.Random(fault_seed * 31 + 7)
        self.churn_rng: random.Random = random.Random(config.seed * 131 + 3)
        self.queued_faults: collections.deque[str] = collections.deque()
        self._next_shipment_id = 90_000_000
        self._order_finder = Finder()
        self._product_finder = Finder()
        self._rendered = RenderCache()
        self._variants: dict[tuple[int, RenderOptions], int] = {}

    # -- clock ---------------------------------------------------------------------------

    def _tick(self) -> int:
        """Advance the sandbox clock by one second and return it (epoch seconds)."""
        self.now += 1
        return self.now

    # -- faults --------------------------------------------------------------------------

    def queue_faults(self, *kinds: str) -> None:
        """Force the next API requests to fail, one kind per request, in order.

        Kinds: ``error`` (or ``error:503`` for a given status), ``rate_limit``, ``drop``,
        ``truncate``, ``empty`` (HTTP 200, empty body), ``none`` (a normal answer).
        """
        for kind in kinds:
            if not isinstance(kind, str):
                # queue_faults(["drop"]): the kinds are its arguments, not one list of them.
                raise TypeError(f"queue_faults takes each kind as a str argument, got {kind!r}")
            base, _, status = kind.partition(":")
            if base not in (*FAULT_KINDS, "none") or (
                status
                and (
                    base != "error"
                    or not (status.isascii() and status.isdigit())
                    or not 500 <= int(status) <= 599
                )
            ):
                raise ValueError(f"unknown fault {kind!r}")
            self.queued_faults.append(kind)

    # -- orders --------------------------------------------------------------------------

    def order(self, order_id: str) -> OrderRecord | None:
        """The record of an invoice number like ``INV10001`` (or ``10001`` with the
        ``numeric_order_ids`` quirk, the form its answers send), or None."""
        if not isinstance(order_id, str):
            raise TypeError(f"order takes an order id as a str (INV10001), got {order_id!r}")
        numeric = self.config.quirks.numeric_order_ids
        digits = order_id if numeric else order_id.removeprefix("INV")
        if digits == order_id and not numeric:
            return None
        # ASCII digits only: "²".isdigit() is true too, and int() refuses it (and 4,300 digits).
        number = integer(digits) if digits.isdigit() else None
        if number is None:
            return None
        index = number - _orders.INVOICE_BASE
        if 0 <= index < len(self.orders) and str(index + _orders.INVOICE_BASE) == digits:
            return self.orders[index]
        return None

    def _order_state(self, record: OrderRecord) -> OrderState:
        """The lines and workflow items of an order (generated unless changed by a write)."""
        return _orders.build_state(record, self.config.seed, self.products)

    def render(self, record: OrderRecord) -> dict[str, Any]:
        """An order as ``manage_orders/find`` returns it with every include flag on and the
        login token in document URLs, no quirks."""
        return self._render(
            record,
            RenderOptions(
                workflow=True,
                po=True,
                shipments=True,
                production_file_info=True,
                login_token=self.login_token,
            ),
        )

    def _render(self, record: OrderRecord, options: RenderOptions) -> dict[str, Any]:
        return render_order(
            record, self._order_state(record), self.products, self.config.seed, options
        )

    @property
    def rendered_bytes(self) -> int:
        """Memory held by orders already rendered (at most ``config.render_cache_mb``)."""
        return self._rendered.size

    def _render_json(
        self, records: Sequence[OrderRecord], options: RenderOptions
    ) -> list[orjson.Fragment]:
        """``_render(record, options)`` of each record as JSON, ready to embed in an answer.

        Kept (up to ``config.render_cache_mb``) while the order does not change.
        """
        # A small number per way of rendering keeps cache keys cheap to hash and compare.
        variant = self._variants.setdefault((self.config.seed, options), len(self._variants))
        budget = self.config.render_cache_mb << 20
        cache = self._rendered
        out = []
        for record in records:
            key = (record.index, variant)
            body = cache.get(key, record)
            if body is None:
                # orjson leaves slack after its output; an exact copy saves a third.
                body = bytes(memoryview(orjson.dumps(self._render(record, options))))
                cache.put(key, record, body, budget)
            out.append(orjson.Fragment(body))
        return out

    def _find_orders(self, conditions: Sequence[Condition], sort: Field) -> Sequence[OrderRecord]:
        """Every matching order, sorted; valid until the next write (do not change it)."""
        return self._order_finder.find(self.orders, self.version, conditions, sort)

    def _find_products(
        self, conditions: Sequence[Condition], sort: Field
    ) -> Sequence[ProductRecord]:
        """Every matching product, sorted; valid until the next write (do not change it)."""
        return self._product_finder.find(self.products, self.version, conditions, sort)

    def _working_copy(self, record: OrderRecord) -> OrderRecord:
        copy = record._clone()
        if copy._state is None:
            copy._state = self._order_state(copy)
        return copy

    def _shipment_id(self) -> int:
        self._next_shipment_id += 1
        return self._next_shipment_id

    def _shipping_method(self, record: OrderRecord) -> int:
        return _orders.shipping_method_index(self.config.seed, record.index)

    def _apply_changes(self, changes: Sequence[Change]) -> None:
        """Apply status changes all or nothing (raises LegacyError, changing nothing)."""
        shipment_ids = self._next_shipment_id
        try:
            outcome = apply_changes(
                changes,
                self.order,
                self._working_copy,
                self.now + 1,
                self._shipment_id,
                self._shipping_method,
            )
        except BaseException:
            # Nothing changes, the shipment ids a refused change took included: every later
            # shipment's id, and the packages drawn from it, would depend on refused requests.
            self._next_shipment_id = shipment_ids
            raise
        self._tick()
        moved: list[tuple[OrderRecord | None, OrderRecord]] = []
        for index, record in outcome.records.items():
            moved.append((self.orders[index], record))
            self.orders[index] = record
        self.customer_notifications.extend(outcome.notifications)
        self._commit(moved)

    def _commit(self, changes: Sequence[tuple[OrderRecord | None, OrderRecord]]) -> None:
        """A new version of the data; searches follow ``changes`` (old or None, new)."""
        before = self.version
        self.version += 1
        self._order_finder.follow(before, self.version, changes)
        self._product_finder.follow(before, self.version, ())

    def _apply_churn(self) -> None:
        """New orders arrive and some open orders move on, as a busy shop's would."""
        churn = self.config.churn
        if not churn.enabled:
            return
        rng = self.churn_rng
        changes: list[tuple[OrderRecord | None, OrderRecord]] = []
        for _ in range(churn.new_orders):
            self.orders.append(_orders.new_order(len(self.orders), self._tick(), rng))
            changes.append((None, self.orders[-1]))
        api_user = self.operators[-1]
        # A shop with no orders yet has none to move on. Each moves one status a search: drawn
        # again, it went on from 1 to 3, one order moved for two.
        moved: set[int] = set()
        for _ in range(churn.changed_orders if self.orders else 0):
            for _attempt in range(20):
                index = rng.randrange(len(self.orders))
                record = self.orders[index]
                if index not in moved and record.status < _orders.SHIPPED:
                    break
            else:
                continue
            moved.add(index)
            change = Change(
                # In the form the state's own lookup takes (the quirk's digits alone): the
                # invoice number form failed every search with 50005 under the quirk.
                order_id=record.sent_id(self.config.quirks.numeric_order_ids),
                line_id=None,
                workflow_item_id=None,
                qty=None,
                new_status=record.status + 1,
                contact_customer=False,
                tracking_code=f"CHURN{rng.randrange(10**8):08d}",
                operator=api_user,
            )
            outcome = apply_changes(
                [change],
                self.order,
                self._working_copy,
                self._tick(),
                self._shipment_id,
                self._shipping_method,
            )
            for index, changed in outcome.records.items():
                changes.append((self.orders[index], changed))
                self.orders[index] = changed
        self._commit(changes)
