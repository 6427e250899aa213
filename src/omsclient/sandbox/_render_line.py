"""One order line as ``manage_orders/find`` renders it: product, options, decoration, workflow."""

from __future__ import annotations

import random
from typing import Any

from ._orders import AWAITING_PO, AWAITING_STOCK, Line, WorkflowItem
from ._products import SIZE_NAMES, ProductRecord
from ._render_common import (
    AREAS,
    COLOR_NAMES,
    DECORATED,
    DOCUMENT_HOST,
    FIRST,
    LAST,
    PROCESSES,
    VIEWS,
    RenderDates,
    RenderOptions,
    document_url,
    operator_json,
)

__all__ = ["render_line"]

# (price, cost) of an ink colour option: metallic ink costs extra.
INK_PRICES = {"Black": (0, 0), "White": (0, 0), "Gold": (1.5, 0.6), "Red": (0, 0)}


def _workflow_item_json(
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


def render_line(
    rng: random.Random,
    line: Line,
    product: ProductRecord,
    tax_rate: float,
    due: int,
    dates: RenderDates,
    opts: RenderOptions,
) -> dict[str, Any]:
    """The line as an order of ``manage_orders/find`` holds it."""
    color_name, (r, g, b) = COLOR_NAMES[line.color_id]
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
        field_id = 35400 + rng.randrange(50)
        ink: dict[str, Any] = {
            "option_id": 80_000 + rng.randrange(40),
            "name": rng.choice(("Black", "White", "Gold", "Red")),
            "code": "INK",
        }
        # Live servers send price and cost on every field's options, not only on sizes
        # (LIVE-SERVER.md). Taken from the name, so no draw shifts the other values.
        ink["price"], ink["cost"] = INK_PRICES[ink["name"]]
        ink["sub_options"] = []
        fields.append(
            {"field_id": field_id, "field_name": "Ink Color", "field_type": 2, "options": [ink]}
        )
    if rng.random() < 0.4:
        fields.append(
            {
                "field_id": 35500 + rng.randrange(50),
                "field_name": "Personalization",
                "field_type": 7,
                "options": [],
                "string_value": f"{rng.choice(FIRST).upper()} {rng.randrange(1, 99)}",
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
    for field in fields:
        # Unset values are null on live servers, not left out: every field carries all three.
        for key in ("string_value", "date_value", "file_value_url"):
            field.setdefault(key, None)
    views = []
    for v in range(rng.choices((1, 2, 3), (55, 35, 10))[0]):
        view_id = 235_000 + (line.id % 100_000) * 4 + v
        areas = []
        for a in range(rng.choices((1, 2), (75, 25))[0]):
            area_id = view_id * 4 + a
            processes = []
            for p in range(rng.choices((1, 2), (80, 20))[0]):
                process_id = area_id * 4 + p
                name = rng.choice(PROCESSES)
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
                    "production_file_url": document_url(f"/orders/get_design/{process_id}", opts),
                    "edit_file_url": document_url(f"/orders/get_edit_file/{process_id}", opts),
                    "source_file_url": document_url(
                        f"/orders/get_source_artwork/{process_id}", opts
                    ),
                }
                if opts.production_file_info:
                    process.update(info)
                processes.append(process)
            areas.append(
                {
                    "area_id": area_id,
                    "area_name": AREAS[a if v == 0 else rng.randrange(len(AREAS))],
                    "processes": processes,
                    "proof_url": document_url(f"/orders/get_area_proof/{area_id}", opts),
                }
            )
        # Drawn whatever the line's state: skipped once the line is processed, it would shift
        # every later draw of the order, and a status update would rewrite its amounts.
        files_ready = rng.random() < 0.9
        views.append(
            {
                "view_id": view_id,
                "view_name": VIEWS[v],
                "thumbnail": (
                    f"/configured_product_views/s/image/{view_id % 1000}/{view_id}/large_thumb.png"
                ),
                "areas": areas,
                "production_files_ready": line.processed_date is not None or files_ready,
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
                            {"location": "Back-Body", "text": rng.choice(LAST).upper()},
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
        "decorated_product_name": rng.choice(DECORATED),
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
    out["processed_by"] = None if line.processed_by is None else operator_json(line.processed_by)
    out["production_assigned_to"] = operator_json(assignee) if assigned else None
    dates.put(out, "shipped_date", line.shipped_date)
    # Null until shipped, like the other operators: not left out.
    out["shipped_by"] = None if line.shipped_by is None else operator_json(line.shipped_by)
    out.update(length=dims[0], width=dims[1], height=dims[2], unit_weight=product.unit_weight)
    if opts.workflow:
        out["workflow_items"] = [_workflow_item_json(w, line, product, opts) for w in line.items]
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
