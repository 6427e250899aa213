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

import attrs

from . import _dates
from ._orders import (
    API_USER_ID,
    AWAITING_PO,
    AWAITING_STOCK,
    OPERATORS,
    SHIPPING_METHODS,
    Line,
    Operator,
    OrderRecord,
    OrderState,
    Shipment,
    WorkflowItem,
    mix,
    shipping_method_index,
)
from ._products import COLORS, SIZE_NAMES, ProductRecord

DOCUMENT_HOST = "https://oms.sandbox.test"

_FIRST = ("Fred", "Patrick", "Maria", "James", "Aisha", "Chen", "Olivia", "Lucas", "Sofia", "Noah")
_LAST = ("Smith", "Garcia", "Nguyen", "Brown", "Khan", "Muller", "Rossi", "Tanaka", "Jones")
_PLACES = (
    ("Huntington Beach", "California", "92647", "US", "Cimmaron Road"),
    ("Austin", "Texas", "78701", "US", "Congress Avenue"),
    ("Portland", "Oregon", "97205", "US", "Burnside Street"),
    ("Columbus", "Ohio", "43215", "US", "High Street"),
    ("Toronto", "Ontario", "M5V 2T6", "CA", "King Street West"),
    ("Manchester", "Greater Manchester", "M1 1AE", "GB", "Market Street"),
    ("Melbourne", "Victoria", "3000", "AU", "Collins Street"),
)
_COMPANIES = ("Acme Co", "Riverside Athletics", "Bright Ideas LLC", "North High Boosters", "")
_JOBS = ("Internet Order", "Team Uniforms", "Staff Shirts", "Fun Run 5K", "Reunion", "")
_DECORATED = ("Racing Special Shirt", "Team Jersey", "Logo Tee", "Event Hoodie", "Staff Polo")
_PROCESSES = ("DTG", "Screen Print", "Embroidery", "Vinyl", "Sublimation", "DTF")
_VIEWS = ("Front", "Back", "Left Sleeve", "Right Sleeve")
_AREAS = ("Body", "Chest", "Pocket", "Full Back")
_TERMS = ("C.O.D.", "Net 30", "Prepaid", "Net 15")
_TAXES = ((6345, "GST", 0.05), (6346, "Sales Tax", 0.0825), (6347, "VAT", 0.2))
_STORES = (
    (11424233, "Bobs Store", "www.bobs.com"),
    (11424234, "Riverside Team Shop", "shop.riverside.example"),
    (11424235, "Print Express", "printexpress.example"),
)
_COLORS = {cid: (name, rgb) for cid, name, rgb in COLORS}
_NOTES = ("Please hurry", "Customer called about sizing", "Check artwork before printing")

_AMOUNT_KEYS = frozenset(
    {
        "tax",
        "discount",
        "credit_used",
        "outstanding_balance",
        "store_commission",
        "parent_store_commission",
        "commission_transaction_fee",
        "total",
        "price",
        "cost",
    }
)


@attrs.frozen(kw_only=True, cache_hash=True)
class RenderOptions:
    """What one find request asked for, and the quirks that shape the answer."""

    workflow: bool = False
    po: bool = False
    shipments: bool = False
    production_file_info: bool = False
    login_token: str | None = None
    mixed_dates: bool = False
    unknown_fields: bool = False
    string_ids: bool = False


class _Dates:
    """Date rendering: the live shape and ``null`` when unset; with mixed_dates, every other
    date in the docs' plain shape instead."""

    def __init__(self, salt: int, mixed: bool) -> None:
        self._salt = salt
        self._mixed = mixed

    def put(self, target: dict[str, Any], key: str, ts: int | None) -> None:
        if ts is None:
            target[key] = None
            return
        # The shape depends on the value only, so a date reads the same in every answer.
        if self._mixed and (self._salt + ts) % 2:
            target[key] = _dates.plain(ts)
        else:
            target[key] = _dates.with_offset(ts)


def _operator(op: Operator) -> dict[str, Any]:
    return {"id": op[0], "login": op[1], "firstname": op[2], "lastname": op[3]}


def _person(
    rng: random.Random, user_id: int | None, with_company_id: bool = False
) -> dict[str, Any]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    city, state, postcode, country, street = rng.choice(_PLACES)
    company = rng.choice(_COMPANIES)
    person: dict[str, Any] = {}
    if user_id is not None:
        person["user_id"] = user_id
        person["email"] = f"{first}.{last}{user_id % 1000}@example.com".lower()
    person.update(
        firstname=first,
        lastname=last,
        country_code=country,
        state=state,
        city=city,
        street=f"{rng.randrange(1, 9999)} {street}",
        postcode=postcode,
        company=company,
    )
    if with_company_id and company:
        person["company_id"] = 5000 + rng.randrange(900)
    person["salutation"] = rng.choice(("Mr", "Ms", "Mx", ""))
    person["ph_number"] = (
        f"{rng.randrange(200, 999)}-{rng.randrange(200, 999)}-{rng.randrange(10**4):04d}"
    )
    person["custom_fields"] = (
        [{"caption": "Student Name", "value": rng.choice(_FIRST)}] if rng.random() < 0.3 else []
    )
    return person


def _url(path: str, opts: RenderOptions) -> str:
    url = f"{DOCUMENT_HOST}{path}"
    if not opts.login_token:
        return url
    return f"{url}?user[id]={API_USER_ID}&key={opts.login_token}"


def _workflow_item(
    w: WorkflowItem, line: Line, product: ProductRecord, opts: RenderOptions
) -> dict[str, Any]:
    required = w.qty + w.wasted
    waiting = line.pre_status in (AWAITING_PO, AWAITING_STOCK) and w.produced == 0
    if waiting:
        procurement, allocated, on_order = 20, 0, required if w.uses_po else 0
    else:
        procurement, allocated, on_order = 60, required, 0
    skip = 0 if w.uses_po else required
    if w.produced >= w.qty:
        production = 80
    elif w.produced:
        production = 60
    else:
        production = 20 if line.on_hold else 40
    if w.shipped >= w.qty:
        shipping = 80
    elif w.shipped:
        shipping = 60
    else:
        shipping = 20 if line.on_hold else 40
    item: dict[str, Any] = {
        "id": w.id,
        "option_id": w.option_id,
        "vendor_sku": w.sku,
        "dn_sku_id": product.dn_sku_id(line.color_id, w.size),
        "qty_to_fulfill": w.qty,
        "qty_required": required,
        "qty_allocated": allocated,
        "qty_on_order": on_order,
        "qty_produced": w.produced,
        "qty_wasted": w.wasted,
        "qty_shipped": w.shipped,
        "qty_skip_po": skip,
        "qty_skip_inv": skip,
        "procurement_status": procurement,
        "production_status": production,
        "shipping_status": shipping,
    }
    if opts.po:
        item["purchase_order_lines"] = (
            [
                {
                    "po_line_id": 9_600_000 + w.id % 10_000_000,
                    "po_number": f"PO{3000 + w.id % 7919}",
                    "qty_ordered": required,
                    "qty_received": 0 if waiting else required,
                }
            ]
            if w.uses_po
            else []
        )
    return item


def _line(
    rng: random.Random,
    line: Line,
    product: ProductRecord,
    tax_rate: float,
    due: int,
    dates: _Dates,
    opts: RenderOptions,
) -> dict[str, Any]:
    color_name, (r, g, b) = _COLORS[line.color_id]
    qty = sum(w.qty for w in line.items)
    decoration = round(rng.uniform(2, 14), 2)
    unit_price = round(product.unit_price + decoration, 2)
    discount = round(unit_price * qty * 0.05, 2) if rng.random() < 0.15 else 0
    total = round(unit_price * qty - discount, 2)
    sub_option = rng.random() < 0.2
    options = []
    for w in line.items:
        option: dict[str, Any] = {
            "option_id": w.option_id,
            "qty": w.qty,
            "name": SIZE_NAMES[w.size],
            "code": w.size,
            "sku": w.sku,
            "dn_sku_id": product.dn_sku_id(line.color_id, w.size),
            "vendor_sku": w.sku,
            "price": unit_price,
            "cost": round(product.unit_price * 0.55, 2),
            "sub_options": [],
        }
        if sub_option:
            option["sub_options"].append(
                {
                    "sub_option_id": 76_000 + w.option_id % 1000,
                    "qty": w.qty,
                    "name": "Long",
                    "code": "LG",
                    "sku": f"{w.sku}-LG",
                    "dn_sku_id": f"{w.option_id}-{w.id % 100_000}-1",
                    "vendor_sku": f"{w.sku}-LG",
                    "price": 2,
                    "cost": 1,
                }
            )
        options.append(option)
    fields: list[dict[str, Any]] = [
        {"field_id": 35345, "field_name": "Size", "field_type": 0, "options": options}
    ]
    if rng.random() < 0.5:
        fields.append(
            {
                "field_id": 35400 + rng.randrange(50),
                "field_name": "Ink Color",
                "field_type": 2,
                "options": [
                    {
                        "option_id": 80_000 + rng.randrange(40),
                        "name": rng.choice(("Black", "White", "Gold", "Red")),
                        "code": "INK",
                        "sub_options": [],
                    }
                ],
            }
        )
    if rng.random() < 0.4:
        fields.append(
            {
                "field_id": 35500 + rng.randrange(50),
                "field_name": "Personalization",
                "field_type": 7,
                "options": [],
                "string_value": f"{rng.choice(_FIRST).upper()} {rng.randrange(1, 99)}",
            }
        )
    if rng.random() < 0.2:
        field: dict[str, Any] = {
            "field_id": 35600,
            "field_name": "Event Date",
            "field_type": 11,
            "options": [],
        }
        dates.put(field, "date_value", due + 86400 * rng.randrange(1, 30))
        fields.append(field)
    if rng.random() < 0.3:
        fields.append(
            {
                "field_id": 35700,
                "field_name": "Artwork Upload",
                "field_type": 9,
                "options": [],
                "file_value_url": (
                    f"/configured_product_field/s/{line.id % 1000}/{line.id}/file.pdf"
                ),
            }
        )
    views = []
    for v in range(rng.choices((1, 2, 3), (55, 35, 10))[0]):
        view_id = 235_000 + (line.id % 100_000) * 4 + v
        areas = []
        for a in range(rng.choices((1, 2), (75, 25))[0]):
            area_id = view_id * 4 + a
            processes = []
            for p in range(rng.choices((1, 2), (80, 20))[0]):
                process_id = area_id * 4 + p
                name = rng.choice(_PROCESSES)
                info = {
                    "stitch_count": rng.randrange(2000, 20000) if name == "Embroidery" else 0,
                    "cropped": rng.random() < 0.3,
                    "top": f"{rng.uniform(2, 12):.1f}cm",
                    "left": f"{rng.uniform(1, 8):.1f}cm",
                    "width": f"{rng.uniform(8, 30):.1f}cm",
                    "height": f"{rng.uniform(8, 35):.1f}cm",
                    "format": rng.choice(("png", "pdf", "dst", "svg")),
                }
                process: dict[str, Any] = {
                    "process": name,
                    "production_file_url": _url(f"/orders/get_design/{process_id}", opts),
                    "edit_file_url": _url(f"/orders/get_edit_file/{process_id}", opts),
                    "source_file_url": f"{DOCUMENT_HOST}/uploads/designs/{process_id}.png",
                }
                if opts.production_file_info:
                    process.update(info)
                processes.append(process)
            areas.append(
                {
                    "area_id": area_id,
                    "area_name": _AREAS[a if v == 0 else rng.randrange(len(_AREAS))],
                    "processes": processes,
                    "proof_url": f"{DOCUMENT_HOST}/orders/get_area_proof/{area_id}",
                }
            )
        views.append(
            {
                "view_id": view_id,
                "view_name": _VIEWS[v],
                "thumbnail": (
                    f"/configured_product_views/s/image/{view_id % 1000}/{view_id}/large_thumb.png"
                ),
                "areas": areas,
                "production_files_ready": line.processed_date is not None or rng.random() < 0.9,
            }
        )
    teamnames = []
    if rng.random() < 0.2:
        for w in line.items:
            for _ in range(min(w.qty, 3)):
                teamnames.append(
                    {
                        "size": w.size,
                        "fields": [
                            {"location": "Back-Body", "text": rng.choice(_LAST).upper()},
                            {"location": "Back-Number", "text": str(rng.randrange(1, 99))},
                        ],
                    }
                )
    assigned = rng.random() < 0.5
    assignee = (735345 + rng.randrange(3), "Rob123", "Robert", "Smith")
    dims = (rng.randrange(4, 12), rng.randrange(3, 10), round(rng.uniform(0.5, 3), 2))
    out: dict[str, Any] = {
        "id": str(line.id),  # a string on live servers
        "product_id": product.id,
        "product_code": product.code,
        "product_name": product.name,
        "decorated_product_name": rng.choice(_DECORATED),
        "product_color": {
            "id": line.color_id,
            "name": color_name,
            "colors": [
                {
                    "id": line.color_id,
                    "type": "rgb",
                    "r": r,
                    "g": g,
                    "b": b,
                    "c": 0,
                    "m": 0,
                    "y": 0,
                    "k": 0,
                    "name": color_name.lower(),
                }
            ],
        },
        "sku": f"{product.code}-{line.color_id}",
        "fields": fields,
        "views": views,
        "teamnames": teamnames,
        "qty": qty,
        "total_price": total,
        "unit_price": unit_price,
        "decoration_unit_price": decoration,
        "discount": discount,
        "tax": round(total * tax_rate, 2),
        "tax_names": "",
        "store_commission": round(total * 0.02, 2),
        "parent_store_commission": round(total * 0.005, 2),
        "commission_transaction_fee": round(total * 0.003, 2),
        "production_status": line.status,
    }
    dates.put(out, "processed_date", line.processed_date)
    # Live servers send unset operators as null.
    out["processed_by"] = None if line.processed_by is None else _operator(line.processed_by)
    out["production_assigned_to"] = _operator(assignee) if assigned else None
    dates.put(out, "shipped_date", line.shipped_date)
    if line.shipped_by is not None:
        out["shipped_by"] = _operator(line.shipped_by)
    out.update(length=dims[0], width=dims[1], height=dims[2], unit_weight=product.unit_weight)
    if opts.workflow:
        out["workflow_items"] = [_workflow_item(w, line, product, opts) for w in line.items]
    # Undocumented keys of live lines, derived from ids so no draw shifts the other values.
    out["product_supplier_name"] = product.supplier
    out["fc_production_status"] = ""
    out["attachment_urls"] = (
        [f"{DOCUMENT_HOST}/uploads/attachments/{line.id}/brief.pdf"] if line.id % 5 == 0 else []
    )
    out["item_type"] = (0, 0, 0, 25, 26)[line.id % 5]
    if line.id % 7 == 3:
        del out["product_color"]["colors"]  # live servers leave it out on some lines
    if opts.unknown_fields:
        out["artwork_revision"] = 1 + line.id % 3
        out["x_line_flags"] = {"rush": False, "reprint": line.id % 7 == 0}
    return out


def _shipment(s: Shipment, dates: _Dates, opts: RenderOptions) -> dict[str, Any]:
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
    dates = _Dates(record.index, opts.mixed_dates)
    tax_id, tax_name, tax_rate = _TAXES[rng.randrange(len(_TAXES))]
    billing = _person(rng, 2_140_000 + rng.randrange(60_000), with_company_id=True)
    shipping = (
        _person(rng, None)
        if rng.random() < 0.3
        else {k: v for k, v in billing.items() if k not in ("user_id", "email", "company_id")}
    )
    store_id, store_name, store_domain = _STORES[rng.randrange(len(_STORES))]
    owner = _person(rng, 2_000_000 + store_id % 10_000)
    lines = [
        _line(rng, line, products[line.product_index], tax_rate, record.date_due, dates, opts)
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
        "order_id": record.order_id,
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
        order_proof_pdf_url=_url(f"/manage/orders/download_order_proof/{number}", opts),
        quote_pdf_url=_url(f"/manage/orders/download_quote/{number}", opts),
        production_pdf_url=_url(f"/orders/print_freight/{number}", opts),
        job_name=rng.choice(_JOBS),
        customer_id=billing["user_id"],
    )
    if rng.random() < 0.3:
        order["customer_po_number"] = f"PO{rng.randrange(100, 99999)}"
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
    if rng.random() < 0.1:
        order["rush_order_fee"] = "Rush Order Fee"
        order["rush_order_fee_amount"] = 5
    order["account_terms"] = rng.choice(_TERMS)
    order["shipping_method"] = {"id": method_id, "name": method_name}
    if opts.shipments:
        order["shipments"] = [_shipment(s, dates, opts) for s in state.shipments]
    order["billing_details"] = billing
    order["shipping_details"] = shipping
    order["payment_details"] = {
        "payment_type_id": 0,
        "payment_type_name": "Credit Card",
        "card_number": f"*********{rng.randrange(10**4):04d}",
    }
    payment: dict[str, Any] = {"id": payment_id, "payment_id": 234_000 + record.index}
    dates.put(payment, "date_paid", record.date_ordered + rng.randrange(86400))
    payment.update(
        payment_method="Credit Card",
        billable_amount=billable,
        refunded_amount=refund,
        paid_amount=paid,
        code="credit_card",
        driver_code="stripe",
        driver_sub_code="card",
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
            "content": _NOTES[(record.index + n) % len(_NOTES)],
        }
        dates.put(note, "created_at", record.date_ordered + 3600 * (n + 1))
        note["from"] = {k: v for k, v in billing.items() if k != "company_id"}
        notes.append(note)
    order["notes"] = notes
    if rng.random() < 0.4:
        order["assigned_to"] = _operator((35345, "Bob123", "Bob", "Smith"))
    order["is_priority"] = rng.random() < 0.05
    order["store"] = {"id": store_id, "name": store_name, "domain": store_domain, "owner": owner}
    order["created_by"] = _operator(OPERATORS[record.index % len(OPERATORS)])
    if opts.unknown_fields:
        order["sales_channel"] = rng.choice(("storefront", "api", "marketplace"))
        order["x_fulfillment"] = {"warehouse": "MAIN", "bin": f"A-{record.index % 40}"}
        order["shipping_method"]["carrier_code"] = method_name.upper().replace(" ", "_")
    if opts.string_ids:
        stringify(order)
    return order


def _stringify_value(key: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if key == "id" or key.endswith("_id"):
        return str(value)
    if (
        key in _AMOUNT_KEYS
        or key.endswith(("_amount", "_price", "_fee"))
        or key.startswith("total")
    ):
        return f"{value:.2f}"
    return value


def stringify(obj: Any) -> None:
    """Turn ids, totals and amounts into strings, in place, as some live servers send them."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, (dict, list)):
                stringify(value)
            else:
                obj[key] = _stringify_value(key, value)
    elif isinstance(obj, list):
        for item in obj:
            stringify(item)
