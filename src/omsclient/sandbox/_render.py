"""Full order JSON, rendered only for the rows a request returns.

Everything random here comes from a generator seeded by (seed, order index), drawn in the
same sequence whatever the include flags, so an order reads the same in every answer.

Orders have the live server's shape: dates as ``2024-10-09T02:24:39.000+00:00`` and ``null``
when unset, line ids as strings, the keys the docs leave out (``created_by``, ``source_type``,
``is_priority``, and on lines, processes, payments and options), and document URLs carrying
``?user[id]=...&key=...`` unless ``skip_login_token=1`` was sent.
"""

from __future__ import annotations

import random
from typing import Any

from ._orders import (
    OPERATORS,
    SHIPPING_METHODS,
    OrderRecord,
    OrderState,
    Shipment,
    mix,
    shipping_method_index,
)
from ._products import ProductRecord
from ._render_common import (
    JOBS,
    NOTES,
    STORES,
    TAXES,
    TERMS,
    RenderDates,
    RenderOptions,
    document_url,
    operator_json,
    person_json,
)
from ._render_line import render_line
from ._stringify import stringify

__all__ = ["RenderOptions", "render_order"]


def shipment_json(s: Shipment, dates: RenderDates, opts: RenderOptions) -> dict[str, Any]:
    method_id, method_name = SHIPPING_METHODS[s.method]
    out: dict[str, Any] = {"id": s.id}
    dates.put(out, "date", s.date)
    if s.tracking_number is not None:
        out["tracking_number"] = s.tracking_number
    out["shipping_method"] = {"id": method_id, "name": method_name}
    out["packages"] = [
        {
            "id": s.id * 4 + p,
            "weight": 1 + (s.id + p) % 40,
            "length": 10 + p,
            "width": 3 + s.id % 5,
            "height": 0.6,
        }
        for p in range(s.packages)
    ]
    if opts.workflow:
        out["workflow_items"] = [{"workflow_item_id": wid, "qty": qty} for wid, qty in s.items]
    return out


def render_order(
    record: OrderRecord,
    state: OrderState,
    products: list[ProductRecord],
    seed: int,
    opts: RenderOptions,
) -> dict[str, Any]:
    """The order as ``manage_orders/find`` returns it."""
    rng = random.Random(mix(seed, record.index, 2))
    dates = RenderDates(record.index, opts.mixed_dates)
    tax_id, tax_name, tax_rate = TAXES[rng.randrange(len(TAXES))]
    billing = person_json(rng, 2_140_000 + rng.randrange(60_000), with_company_id=True)
    shipping = (
        person_json(rng, None)
        if rng.random() < 0.3
        else {k: v for k, v in billing.items() if k not in ("user_id", "email", "company_id")}
    )
    store_id, store_name, store_domain = STORES[rng.randrange(len(STORES))]
    owner = person_json(rng, 2_000_000 + store_id % 10_000)
    lines = [
        render_line(rng, line, products[line.product_index], tax_rate, record.date_due, dates, opts)
        for line in state.lines
    ]
    item_amount = round(sum(line["total_price"] for line in lines), 2)
    shipping_amount = round(rng.choice((0, 4.95, 7.5, 10.2, 14.99)), 2)
    tax_amount = round(sum(line["tax"] for line in lines), 2)
    coupon = rng.random() < 0.15
    coupon_discount = round(item_amount * 0.1, 2) if coupon else 0
    gift = round(rng.uniform(5, 25), 2) if rng.random() < 0.05 else 0
    credit = round(rng.uniform(1, 10), 2) if rng.random() < 0.05 else 0
    billable = round(
        max(0.0, item_amount + shipping_amount + tax_amount - coupon_discount - gift - credit), 2
    )
    paid = billable if rng.random() < 0.9 else round(billable / 2, 2)
    refund = round(min(paid, rng.uniform(1, 20)), 2) if rng.random() < 0.05 else 0
    method_id, method_name = SHIPPING_METHODS[shipping_method_index(seed, record.index)]
    number = record.number
    payment_id = 2_480_000 + record.index * 2
    order: dict[str, Any] = {
        "order_id": record.sent_id(opts.numeric_order_ids),
        "item_amount": item_amount,
        "shipping_amount": shipping_amount,
        "tax_amount_before_discounts": round(tax_amount + coupon_discount * tax_rate, 2),
        "tax_amount": tax_amount,
        "tax_names": tax_name,
        "taxes": [{"id": tax_id, "name": tax_name, "amount": tax_amount}],
        "discount_amount": 0,
        "coupon_discount_amount": coupon_discount,
    }
    if coupon:
        order["coupon_code"] = f"SAVE{rng.randrange(10, 99)}"
    order["gift_certificate_amount"] = gift
    if gift:
        order["gift_certificate_code"] = f"C{rng.randrange(16**3):03X}-{rng.randrange(16**4):04X}"
    order.update(
        credit_used=credit,
        billable_amount=billable,
        outstanding_balance=round(billable - paid + refund, 2),
        total_weight=round(
            sum(
                products[ln.product_index].unit_weight * line["qty"]
                for ln, line in zip(state.lines, lines, strict=True)
            ),
            2,
        ),
        order_proof_pdf_url=document_url(f"/manage/orders/download_order_proof/{number}", opts),
        quote_pdf_url=document_url(f"/manage/orders/download_quote/{number}", opts),
        production_pdf_url=document_url(f"/orders/print_freight/{number}", opts),
        job_name=rng.choice(JOBS),
        customer_id=billing["user_id"],
    )
    # Live orders carry these keys always, "" and 0 when unset (LIVE-SERVER.md's order).
    order["customer_po_number"] = f"PO{rng.randrange(100, 99999)}" if rng.random() < 0.3 else ""
    order["source_type"] = rng.choice((0, 0, 0, 1, 2))
    order["order_status"] = record.status
    for key in (
        "date_started",
        "date_ordered",
        "date_production_files_ready",
        "date_produced",
        "date_shipped",
        "date_invoiced",
        "date_modified",
        "date_due",
        "date_scheduled",
    ):
        dates.put(order, key, getattr(record, key))
    rush = rng.random() < 0.1
    order["rush_order_fee"] = "Rush Order Fee" if rush else ""
    order["rush_order_fee_amount"] = 5 if rush else 0
    order["account_terms"] = rng.choice(TERMS)
    order["shipping_method"] = {"id": method_id, "name": method_name}
    if opts.shipments:
        order["shipments"] = [shipment_json(s, dates, opts) for s in state.shipments]
    order["billing_details"] = billing
    order["shipping_details"] = shipping
    card = f"*********{rng.randrange(10**4):04d}"
    # A payment taken in person names no gateway: the live order LIVE-SERVER.md cites has
    # null driver codes and a custom payment type. Drawn apart, so no other value moves.
    codes: tuple[str, str | None, str | None]
    if random.Random(mix(seed, record.index, 3)).random() < 0.1:
        order["payment_details"] = {"payment_type_id": 415_651, "payment_type_name": "In Person"}
        method, codes = "In Person", ("custom_415651", None, None)
    else:
        order["payment_details"] = {
            "payment_type_id": 0,
            "payment_type_name": "Credit Card",
            "card_number": card,
        }
        method, codes = "Credit Card", ("credit_card", "stripe", "card")
    payment: dict[str, Any] = {"id": payment_id, "payment_id": 234_000 + record.index}
    dates.put(payment, "date_paid", record.date_ordered + rng.randrange(86400))
    payment.update(
        payment_method=method,
        billable_amount=billable,
        refunded_amount=refund,
        paid_amount=paid,
        code=codes[0],
        driver_code=codes[1],
        driver_sub_code=codes[2],
    )
    order["payments"] = [payment]
    refunds = []
    if refund:
        entry: dict[str, Any] = {"id": 2_958_000 + record.index}
        dates.put(entry, "date_refunded", record.date_ordered + 2 * 86400)
        entry["refunded_amount"] = refund
        refunds.append(entry)
    order["refunds"] = refunds
    order["order_lines"] = lines
    notes = []
    for n in range(rng.choices((0, 1, 2), (60, 30, 10))[0]):
        note: dict[str, Any] = {
            "note_type": rng.choice(("to customer", "internal", "from customer")),
            "content": NOTES[(record.index + n) % len(NOTES)],
        }
        dates.put(note, "created_at", record.date_ordered + 3600 * (n + 1))
        note["from"] = {k: v for k, v in billing.items() if k != "company_id"}
        notes.append(note)
    order["notes"] = notes
    # An unassigned order has "assigned_to": null, as unset operators are (docs/sandbox.md).
    assigned = rng.random() < 0.4
    order["assigned_to"] = operator_json((35345, "Bob123", "Bob", "Smith")) if assigned else None
    order["is_priority"] = rng.random() < 0.05
    order["store"] = {"id": store_id, "name": store_name, "domain": store_domain, "owner": owner}
    order["created_by"] = operator_json(OPERATORS[record.index % len(OPERATORS)])
    if opts.unknown_fields:
        order["sales_channel"] = rng.choice(("storefront", "api", "marketplace"))
        order["x_fulfillment"] = {"warehouse": "MAIN", "bin": f"A-{record.index % 40}"}
        order["shipping_method"]["carrier_code"] = method_name.upper().replace(" ", "_")
    if opts.string_ids:
        stringify(order)
    return order
