"""The legacy models of an order's lines: products, colours, options, decoration, workflow."""

from datetime import datetime
from typing import Any

import attrs

from omsclient._decoding import AbsentList
from omsclient._repr import short_repr
from omsclient.legacy._model_parts import Operator

__all__ = [
    "Area",
    "Color",
    "FieldOption",
    "LineField",
    "OrderLine",
    "Process",
    "ProductColor",
    "PurchaseOrderLine",
    "SubOption",
    "TeamName",
    "TeamNameField",
    "View",
    "WorkflowItem",
]


# ---------------------------------------------------------------------------------------------
# Order line pieces
# ---------------------------------------------------------------------------------------------


@short_repr("id")
@attrs.define(kw_only=True)
class Color:
    """One colour definition of a product colour (RGB or CMYK, or a named spot colour).

    Attributes:
        id: Id of the colour.
        type: Colour model, ``"rgb"`` or ``"cmyk"``.
        r: Red component.
        g: Green component.
        b: Blue component.
        c: Cyan component.
        m: Magenta component.
        y: Yellow component.
        k: Black component.
        name: Name, when a spot colour.
        extra: Keys the server sent that this model does not know.
    """

    id: int | None = None
    type: str | None = None
    r: float | None = None
    g: float | None = None
    b: float | None = None
    c: float | None = None
    m: float | None = None
    y: float | None = None
    k: float | None = None
    name: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("id", "name")
@attrs.define(kw_only=True)
class ProductColor:
    """The blank product's colour on an order line.

    Attributes:
        id: Id of the product colour.
        name: Name of the product colour, e.g. ``"White"``.
        colors: Definitions of the colour.
        extra: Keys the server sent that this model does not know.
    """

    id: int | None = None
    name: str | None = None
    colors: list[Color] = attrs.field(factory=AbsentList)
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("sub_option_id")
@attrs.define(kw_only=True)
class SubOption:
    """A chosen sub-option of a field option (e.g. a sleeve length under a size).

    Attributes:
        sub_option_id: Id of the sub-option.
        qty: Quantity chosen.
        name: Label of the sub-option.
        code: Value of the sub-option.
        sku: SKU of the sub-option.
        dn_sku_id: Platform id of the SKU (a string; may contain dashes).
        vendor_sku: The vendor's SKU.
        price: Price of the sub-option.
        cost: Cost of the sub-option.
        extra: Keys the server sent that this model does not know.
    """

    sub_option_id: int | None = None
    qty: int | None = None
    name: str | None = None
    code: str | None = None
    sku: str | None = None
    dn_sku_id: str | None = None
    vendor_sku: str | None = None
    price: float | None = None
    cost: float | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("option_id")
@attrs.define(kw_only=True)
class FieldOption:
    """A chosen option of an order line field (a size, a list entry, ...).

    Attributes:
        option_id: Id of the option.
        qty: Quantity chosen, when the field is a size and several sizes are chosen.
        name: Label of the option, e.g. ``"Large"``.
        code: Value of the option, e.g. ``"L"``.
        sku: SKU, when the field is a size.
        dn_sku_id: Platform id of the SKU (a string).
        vendor_sku: The vendor's SKU, when the field is a size.
        price: Price of the option (undocumented; live servers send it).
        cost: Cost of the option (undocumented; live servers send it).
        sub_options: Chosen sub-options.
        extra: Keys the server sent that this model does not know.
    """

    option_id: int | None = None
    qty: int | None = None
    name: str | None = None
    code: str | None = None
    sku: str | None = None
    dn_sku_id: str | None = None
    vendor_sku: str | None = None
    price: float | None = None
    cost: float | None = None
    sub_options: list[SubOption] = attrs.field(factory=AbsentList)
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("field_id", "field_name")
@attrs.define(kw_only=True)
class LineField:
    """A product field of an order line (size, drop-down, text box, file, date, ...).

    Attributes:
        field_id: Id of the field.
        field_name: Name of the field, e.g. ``"Size"``.
        field_type: 0 size, 2 drop-down, 3 checkboxes, 4 radio buttons, 5 multi-select,
            7 text box, 8 text area, 9 file, 10 image, 11 date, 12 date-time, 13 time.
        options: Chosen options.
        string_value: Entered text, for field types 7 and 8.
        date_value: Entered date (UTC), for field types 11 to 13.
        file_value_url: URL of the uploaded file, for field types 9 and 10.
        extra: Keys the server sent that this model does not know.
    """

    field_id: int | None = None
    field_name: str | None = None
    field_type: int | None = None
    options: list[FieldOption] = attrs.field(factory=AbsentList)
    string_value: str | None = None
    date_value: datetime | None = None
    file_value_url: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("process")
@attrs.define(kw_only=True)
class Process:
    """A decoration process applied to an area, with its production file information.

    Attributes:
        process: The process, e.g. ``"DTG"``.
        production_file_url: URL of the production file.
        edit_file_url: URL of the editable file.
        stitch_count: Stitch count, for embroidery.
        cropped: Whether the production file is cropped.
        top: Top offset of the design, with its unit (e.g. ``"10cm"``).
        left: Left offset of the design, with its unit.
        width: Width of the design, with its unit.
        height: Height of the design, with its unit.
        format: File format of the production file, e.g. ``"png"``.
        source_file_url: URL of the file the customer uploaded (undocumented; live servers
            send it).
        extra: Keys the server sent that this model does not know.
    """

    process: str | None = None
    production_file_url: str | None = None
    edit_file_url: str | None = None
    stitch_count: int | None = None
    cropped: bool | None = None
    top: str | None = None
    left: str | None = None
    width: str | None = None
    height: str | None = None
    format: str | None = None
    source_file_url: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("area_id")
@attrs.define(kw_only=True)
class Area:
    """A decorated area of a view.

    Attributes:
        area_id: Id of the area.
        area_name: Name of the area, e.g. ``"Body"``.
        processes: Processes used to decorate the area.
        proof_url: URL of a proof of the area.
        extra: Keys the server sent that this model does not know.
    """

    area_id: int | None = None
    area_name: str | None = None
    processes: list[Process] = attrs.field(factory=AbsentList)
    proof_url: str | None = None  # garbled in the blueprint sample, see the module docstring
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("view_id")
@attrs.define(kw_only=True)
class View:
    """A decorated view of an order line's product (front, back, ...).

    Attributes:
        view_id: Id of the view.
        view_name: Name of the view, e.g. ``"Front"``.
        thumbnail: URL of a thumbnail of the view.
        areas: Decorated areas.
        production_files_ready: Whether the production files are ready to download.
        extra: Keys the server sent that this model does not know.
    """

    view_id: int | None = None
    view_name: str | None = None
    thumbnail: str | None = None
    areas: list[Area] = attrs.field(factory=AbsentList)
    production_files_ready: bool | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("location")
@attrs.define(kw_only=True)
class TeamNameField:
    """One printed text of a team name entry.

    Attributes:
        location: Where the text goes, e.g. ``"Front-Body"``.
        text: The text, e.g. a player's name.
        extra: Keys the server sent that this model does not know.
    """

    location: str | None = None
    text: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("size")
@attrs.define(kw_only=True)
class TeamName:
    """A team name entry of an order line: one garment size and its personalised texts.

    Attributes:
        size: The size, e.g. ``"XL"``.
        fields: Texts and where they go.
        extra: Keys the server sent that this model does not know.
    """

    size: str | None = None
    fields: list[TeamNameField] = attrs.field(factory=AbsentList)
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("po_line_id")
@attrs.define(kw_only=True)
class PurchaseOrderLine:
    """A purchase order line of a workflow item (sent with ``include_po_data=1``).

    Attributes:
        po_line_id: Id of the purchase order line.
        po_number: The purchase order number.
        qty_ordered: Quantity ordered.
        qty_received: Quantity received.
        extra: Keys the server sent that this model does not know.
    """

    po_line_id: int | None = None
    po_number: str | None = None  # "po_number PO" in the blueprint sample, see the module docstring
    qty_ordered: int | None = None
    qty_received: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("id")
@attrs.define(kw_only=True)
class WorkflowItem:
    """Production workflow state of one SKU of an order line (``include_workflow_data=1``).

    Attributes:
        id: Id of the workflow item.
        option_id: Id of the option.
        sub_option_id: Id of the sub-option.
        vendor_sku: The vendor's SKU.
        dn_sku_id: Platform id of the SKU (a string).
        qty_to_fulfill: Quantity on the customer order for this SKU.
        qty_required: Quantity to fulfil plus any wasted quantity.
        qty_allocated: Units allocated to this item (at most the required quantity).
        qty_on_order: Units on order.
        qty_produced: Units produced.
        qty_wasted: Units wasted (failed QC, destroyed, ...).
        qty_shipped: Units shipped.
        qty_skip_po: Units not using purchase orders.
        qty_skip_inv: Units not using purchase orders, allocated from inventory.
        procurement_status: 20 awaiting stock, 40 partially received, 60 received.
        production_status: 20 on hold, 40 awaiting production, 60 partially produced,
            80 produced.
        shipping_status: 20 on hold, 40 none shipped, 60 partially shipped, 80 shipped.
        purchase_order_lines: Purchase order lines of the item.
        extra: Keys the server sent that this model does not know.
    """

    id: int | None = None
    option_id: int | None = None
    sub_option_id: int | None = None
    vendor_sku: str | None = None
    dn_sku_id: str | None = None
    qty_to_fulfill: int | None = None
    qty_required: int | None = None
    qty_allocated: int | None = None
    qty_on_order: int | None = None
    qty_produced: int | None = None
    qty_wasted: int | None = None
    qty_shipped: int | None = None
    qty_skip_po: int | None = None
    qty_skip_inv: int | None = None
    procurement_status: int | None = None
    production_status: int | None = None
    shipping_status: int | None = None
    purchase_order_lines: list[PurchaseOrderLine] = attrs.field(factory=AbsentList)
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("id", "product_code", "qty")
@attrs.define(kw_only=True)
class OrderLine:
    """A line of an order: one decorated product and its quantities, prices and state.

    Attributes:
        id: Id of the order line (live servers send it as a string; it becomes an int).
        product_id: Id of the blank product.
        product_code: Product code of the blank product.
        product_name: Name of the blank product.
        decorated_product_name: Name of the decorated product.
        product_color: The blank product's colour.
        sku: SKU of the blank product ordered.
        fields: Product fields, including the size.
        views: Decorated views.
        teamnames: Team name entries.
        qty: Number of products ordered.
        total_price: Total of the line.
        unit_price: Unit price.
        decoration_unit_price: Decoration part of the unit price.
        discount: Discount (bulk or overridden) applied to the line.
        tax: Tax applied to the line.
        tax_names: Names of the taxes applied to the line.
        store_commission: Store commission for the line.
        parent_store_commission: Commission given to parent stores.
        commission_transaction_fee: Commission transaction fee applied.
        production_status: 1 ready for production, 2 ready for shipping, 3 shipped,
            7 on hold, 8 awaiting purchase order, 9 awaiting stock, 10 awaiting artwork.
        processed_date: When the line was marked as produced (UTC).
        processed_by: Operator who produced the line.
        production_assigned_to: Operator the line is assigned to.
        shipped_date: When the line was marked as shipped (UTC).
        shipped_by: Operator who shipped the line.
        length: Unit length.
        width: Unit width.
        height: Unit height.
        unit_weight: Unit weight.
        workflow_items: Production workflow items.
        product_supplier_name: Supplier of the blank product (undocumented; live servers
            send it).
        fc_production_status: Fulfilment-centre production status (undocumented; often
            ``""``, kept as sent).
        attachment_urls: URLs of files attached to the line (undocumented).
        item_type: Kind of line, a number such as 0, 25 or 26 (undocumented; meaning not
            published).
        extra: Keys the server sent that this model does not know.
    """

    id: int | None = None
    product_id: int | None = None
    product_code: str | None = None
    product_name: str | None = None
    decorated_product_name: str | None = None
    product_color: ProductColor | None = None
    sku: str | None = None
    fields: list[LineField] = attrs.field(factory=AbsentList)
    views: list[View] = attrs.field(factory=AbsentList)
    teamnames: list[TeamName] = attrs.field(factory=AbsentList)
    qty: int | None = None
    total_price: float | None = None
    unit_price: float | None = None
    decoration_unit_price: float | None = None
    discount: float | None = None
    tax: float | None = None
    tax_names: str | None = None
    store_commission: float | None = None
    parent_store_commission: float | None = None
    commission_transaction_fee: float | None = None
    production_status: int | None = None
    processed_date: datetime | None = None
    processed_by: Operator | None = None
    production_assigned_to: Operator | None = None
    shipped_date: datetime | None = None
    shipped_by: Operator | None = None
    length: float | None = None
    width: float | None = None
    height: float | None = None
    unit_weight: float | None = None
    workflow_items: list[WorkflowItem] = attrs.field(factory=AbsentList)
    product_supplier_name: str | None = None
    fc_production_status: str | None = None
    attachment_urls: list[str] = attrs.field(factory=AbsentList)
    item_type: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)
