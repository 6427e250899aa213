"""The pages every benchmark reads: 100 copies of the spec's full sample order (the benchmark
server's with their own dates and status, :func:`dated_orders`).

``sample`` is the sample as the spec writes it. ``live`` has the shapes live servers send (see
DESIGN.md section 3 and LIVE-SERVER.md): line ids, customer ids and weights as strings, booleans
as ``"0"``, every date with milliseconds and an offset, and two keys no document lists, on the
order and on each line.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

PAGE_SIZE = 100
SAMPLE_PATH = Path(__file__).resolve().parent.parent / "tests" / "data" / "sample_order.json"
VARIANTS = ("sample", "live")
FIRST_ORDERED = datetime(2025, 3, 26, 14, 35)
"""Date Ordered of the first order the benchmark server holds; each next one is a second later."""


def ordered_at(n: int) -> datetime:
    """Date Ordered of the benchmark server's ``n``-th order (from 0): a second after the one
    before it, so the first ``n + 1`` orders are those ordered up to it."""
    return FIRST_ORDERED + timedelta(seconds=n)


def sample_order() -> dict[str, Any]:
    """The spec's full sample order."""
    return dict(orjson.loads(SAMPLE_PATH.read_bytes()))


_SPEC_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def _live_dates(value: Any) -> Any:
    """``value`` with each date in the spec's form written as the live server writes dates."""
    if isinstance(value, dict):
        return {key: _live_dates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_live_dates(item) for item in value]
    if isinstance(value, str) and _SPEC_DATE.fullmatch(value):
        return f"{value}.000+00:00"
    return value


def _live(order: dict[str, Any], n: int) -> dict[str, Any]:
    order = _live_dates(order)
    order["order_id"] = f"Order-{27524 + n}"
    order["customer_id"] = str(order["customer_id"])
    order["total_weight"] = "2.80"
    order["is_priority"] = "0"
    order["date_ordered"] = "2025-03-26T14:35:00.000+00:00"
    order["loyalty_points"] = n
    for line in order["order_lines"]:
        line["id"] = str(line["id"])
        line["unit_price"] = str(line["unit_price"])
        line["embroidery"] = {"threads": ["red", "blue"]}
    return order


def orders(variant: str, count: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """``count`` orders of a variant, each with its own id."""
    base = sample_order()
    if variant == "sample":
        return [{**base, "order_id": f"INV{n}"} for n in range(count)]
    if variant == "live":
        return [_live(base, n) for n in range(count)]
    raise ValueError(f"unknown variant {variant!r}; one of {VARIANTS}")


# Each order's other dates come this long after its Date Ordered (a shop's day: files in hours,
# production and shipping in days, the invoice with them, due in two weeks), drawn for each
# order: a database sync's indexes then take keys spread over the weeks after the scan's
# position, as a live shop's orders give them, not one key repeated.
_AFTER_ORDERED = {
    "date_production_files_ready": (1, 48),
    "date_produced": (24, 240),
    "date_shipped": (48, 336),
    "date_invoiced": (0, 336),
    "date_modified": (1, 720),
    "date_due": (336, 336),
}


def dated_orders(variant: str, count: int) -> list[tuple[datetime, dict[str, Any]]]:
    """``count`` orders a second apart by Date Ordered (in the variant's date shape), oldest
    first, so that stable scans (keyset windows on Date Ordered) can page through them; each
    order's other dates some hours or days after it, and its status one of the three."""
    dated = []
    draw = random.Random(0)
    for n, order in enumerate(orders(variant, count)):
        ordered = ordered_at(n)
        for key, (least, most) in _AFTER_ORDERED.items():
            text = (
                ordered + timedelta(seconds=draw.randint(least * 3600, most * 3600))
            ).isoformat()
            order[key] = f"{text}.000+00:00" if variant == "live" else text
        text = ordered.isoformat()
        order["date_ordered"] = f"{text}.000+00:00" if variant == "live" else text
        order["order_status"] = draw.randint(1, 3)
        dated.append((ordered, order))
    return dated


def page_bytes(variant: str = "sample", total: int = PAGE_SIZE) -> bytes:
    """A successful ``manage_orders/find`` answer holding one page of orders."""
    status = {"code": 10001, "severity": "SUCCESS", "description": "Success"}
    return orjson.dumps({"response_status": status, "total": total, "orders": orders(variant)})
