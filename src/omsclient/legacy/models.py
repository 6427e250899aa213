"""Typed models of the legacy JSON API: orders and products.

Every field is optional: live servers omit keys the documents mark as required, so a missing
key, an explicit ``null`` and (for dates, numbers and booleans) an empty string all become
``None`` here, and an absent array becomes an empty list. Values are normalised on the way in
(see :mod:`omsclient._convert`): dates become UTC-aware datetimes, ids and amounts sent as
numeric strings become numbers. Keys the models do not know are kept in each object's ``extra``
mapping and written back when the object is unstructured, so nothing the server sent is lost.

The vendor blueprint garbles two keys of its sample (``"proof_url: `https://...`"`` on an
area and ``"po_number PO"`` on a purchase order line); their descriptions make the intended
keys ``proof_url`` and ``po_number`` plain, so that is what these models read and write.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from omsclient._convert import AbsentList

__all__ = [
    "Area",
    "Color",
    "Contact",
    "CustomField",
    "FieldOption",
    "LineField",
    "Note",
    "Operator",
    "Order",
    "OrderLine",
    "Package",
    "Payment",
    "PaymentDetails",
    "Process",
    "Product",
    "ProductCategory",
    "ProductColor",
    "ProductColorRef",
    "ProductDetailed",
    "ProductSize",
    "ProductSku",
    "PurchaseOrderLine",
    "Refund",
    "Shipment",
    "ShipmentItem",
    "ShippingMethod",
    "Store",
    "SubOption",
    "Tax",
    "TeamName",
    "TeamNameField",
    "View",
    "WorkflowItem",
]


def _short_repr(*names: str) -> Callable[[Any], str]:
    """A ``__repr__`` naming only the identifying attributes, as API client objects print.

    A whole order prints as kilobytes, and its document URLs may carry the user's login key
    (a credential); the full data stays available through the attributes and ``to_dict``.
    """

    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__name__}({shown}, ...)"

    return __repr__


# ---------------------------------------------------------------------------------------------
# Small shared pieces
# ---------------------------------------------------------------------------------------------


@attrs.define(kw_only=True)
class CustomField:
    """A custom field captured on a contact (billing, shipping, note author, store owner).

    Attributes:
        caption: The caption of the field, e.g. ``"Student Name"``.
        value: The value entered.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("caption")

    caption: str | None = None
    value: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class Contact:
    """A person's contact details: billing and shipping details, note authors, store owners.

    Attributes:
        user_id: Id of the user.
        email: Email address.
        firstname: First name.
        lastname: Last name.
        country_code: Two-letter country code.
        state: Name of the state.
        city: Name of the city.
        street: Street address.
        postcode: Zip or post code.
        company: Company name.
        company_id: Id of the company.
        salutation: Salutation, e.g. ``"Mr"``.
        ph_number: Phone number.
        custom_fields: Custom fields captured for the contact.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("user_id")

    user_id: int | None = None
    email: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    country_code: str | None = None
    state: str | None = None
    city: str | None = None
    street: str | None = None
    postcode: str | None = None
    company: str | None = None
    company_id: int | None = None
    salutation: str | None = None
    ph_number: str | None = None
    custom_fields: list[CustomField] = attrs.field(factory=AbsentList)
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class Operator:
    """A back-office user: who processed, shipped or is assigned to an order or line.

    Attributes:
        id: User id of the operator.
        login: Login name of the operator.
        firstname: First name.
        lastname: Last name.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("id", "login")

    id: int | None = None
    login: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class ShippingMethod:
    """A shipping method chosen for an order or used by a shipment.

    Attributes:
        id: Id of the shipping method.
        name: Name of the shipping method, e.g. ``"Overnight"``.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("id", "name")

    id: int | None = None
    name: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


# ---------------------------------------------------------------------------------------------
# Order-level pieces
# ---------------------------------------------------------------------------------------------


@attrs.define(kw_only=True)
class Tax:
    """A tax charged on an order.

    Attributes:
        id: Id of the tax.
        name: Name of the tax, e.g. ``"GST"``.
        amount: Amount of tax charged.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("id", "name")

    id: int | None = None
    name: str | None = None
    amount: float | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class Package:
    """A package sent in a shipment.

    Attributes:
        id: Id of the shipment package.
        weight: Weight of the package.
        length: Length of the package.
        width: Width of the package.
        height: Height of the package.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("id")

    id: int | None = None
    weight: float | None = None
    length: float | None = None
    width: float | None = None
    height: float | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class ShipmentItem:
    """A workflow item shipped in a shipment (sent with ``include_workflow_data=1``).

    Attributes:
        workflow_item_id: Id of the line's workflow item (:attr:`WorkflowItem.id`).
        qty: Quantity shipped.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("workflow_item_id", "qty")

    workflow_item_id: int | None = None
    qty: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class Shipment:
    """A shipment of an order (sent with ``include_shipments=1``).

    Attributes:
        id: Id of the shipment.
        date: When the shipment was sent (UTC).
        tracking_number: Carrier tracking number.
        shipping_method: Shipping method used.
        packages: Packages sent in this shipment.
        workflow_items: Workflow items in the shipment.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("id")

    id: int | None = None
    date: datetime | None = None
    tracking_number: str | None = None
    shipping_method: ShippingMethod | None = None
    packages: list[Package] = attrs.field(factory=AbsentList)
    workflow_items: list[ShipmentItem] = attrs.field(factory=AbsentList)
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class PaymentDetails:
    """How an order was paid (deprecated by the API in favour of :attr:`Order.payments`).

    Attributes:
        payment_type_id: Type of payment: 0 credit card, -1 PayPal Express, -2 COD,
            -3 gift certificate, -5 account, -6 credit, -8 system, > 0 a manual method.
        payment_type_name: Name of the type of payment.
        card_number: Masked card number when a credit card was used.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("payment_type_id")

    payment_type_id: int | None = None
    payment_type_name: str | None = None
    card_number: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class Payment:
    """A payment made against an order.

    Attributes:
        id: Id of the payment record.
        payment_id: Id of the payment.
        date_paid: When the payment was made (UTC).
        payment_method: Name of the payment method used.
        billable_amount: Amount billable.
        refunded_amount: Amount refunded.
        paid_amount: Amount paid.
        code: Code of the payment method (undocumented; live servers send it).
        driver_code: Code of the payment gateway (undocumented).
        driver_sub_code: Sub-code of the payment gateway (undocumented).
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("id", "payment_id")

    id: int | None = None
    payment_id: int | None = None
    date_paid: datetime | None = None
    payment_method: str | None = None
    billable_amount: float | None = None
    refunded_amount: float | None = None
    paid_amount: float | None = None
    code: str | None = None
    driver_code: str | None = None
    driver_sub_code: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class Refund:
    """A refund made against an order.

    Attributes:
        id: Id of the refund.
        date_refunded: When the refund was made (UTC).
        refunded_amount: Amount refunded.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("id")

    id: int | None = None
    date_refunded: datetime | None = None
    refunded_amount: float | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class Note:
    """A note on an order.

    Attributes:
        note_type: Type of the note, e.g. ``"to customer"``.
        content: Text of the note.
        created_at: When the note was created (UTC).
        from_: Who wrote the note (JSON key ``"from"``, a Python keyword).
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("note_type")

    note_type: str | None = None
    content: str | None = None
    created_at: datetime | None = None
    from_: Contact | None = attrs.field(default=None, metadata={"json_key": "from"})
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class Store:
    """The store an order was placed in.

    Attributes:
        id: Id of the store.
        name: Name of the store.
        domain: Primary domain of the store.
        owner: The store owner's details.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("id", "name")

    id: int | None = None
    name: str | None = None
    domain: str | None = None
    owner: Contact | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


# ---------------------------------------------------------------------------------------------
# Order line pieces
# ---------------------------------------------------------------------------------------------


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

    __repr__ = _short_repr("id")

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


@attrs.define(kw_only=True)
class ProductColor:
    """The blank product's colour on an order line.

    Attributes:
        id: Id of the product colour.
        name: Name of the product colour, e.g. ``"White"``.
        colors: Definitions of the colour.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("id", "name")

    id: int | None = None
    name: str | None = None
    colors: list[Color] = attrs.field(factory=AbsentList)
    extra: dict[str, Any] = attrs.field(factory=dict)


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

    __repr__ = _short_repr("sub_option_id")

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

    __repr__ = _short_repr("option_id")

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

    __repr__ = _short_repr("field_id", "field_name")

    field_id: int | None = None
    field_name: str | None = None
    field_type: int | None = None
    options: list[FieldOption] = attrs.field(factory=AbsentList)
    string_value: str | None = None
    date_value: datetime | None = None
    file_value_url: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


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

    __repr__ = _short_repr("process")

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

    __repr__ = _short_repr("area_id")

    area_id: int | None = None
    area_name: str | None = None
    processes: list[Process] = attrs.field(factory=AbsentList)
    proof_url: str | None = None  # garbled in the blueprint sample, see the module docstring
    extra: dict[str, Any] = attrs.field(factory=dict)


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

    __repr__ = _short_repr("view_id")

    view_id: int | None = None
    view_name: str | None = None
    thumbnail: str | None = None
    areas: list[Area] = attrs.field(factory=AbsentList)
    production_files_ready: bool | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class TeamNameField:
    """One printed text of a team name entry.

    Attributes:
        location: Where the text goes, e.g. ``"Front-Body"``.
        text: The text, e.g. a player's name.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("location")

    location: str | None = None
    text: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class TeamName:
    """A team name entry of an order line: one garment size and its personalised texts.

    Attributes:
        size: The size, e.g. ``"XL"``.
        fields: Texts and where they go.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("size")

    size: str | None = None
    fields: list[TeamNameField] = attrs.field(factory=AbsentList)
    extra: dict[str, Any] = attrs.field(factory=dict)


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

    __repr__ = _short_repr("po_line_id")

    po_line_id: int | None = None
    po_number: str | None = None  # "po_number PO" in the blueprint sample, see the module docstring
    qty_ordered: int | None = None
    qty_received: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


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

    __repr__ = _short_repr("id")

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

    __repr__ = _short_repr("id", "product_code", "qty")

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


@attrs.define(kw_only=True)
class Order:
    """An order as returned by ``manage_orders/find``.

    Attributes:
        order_id: The invoice id, e.g. ``"INV1234"`` (always a string; numbers are converted).
        item_amount: Total of the line items.
        shipping_amount: Total of the shipping.
        tax_amount_before_discounts: Tax before discounts.
        tax_amount: Total of the tax.
        tax_names: Names of the taxes applied.
        taxes: Taxes charged, with their amounts.
        discount_amount: Discount given directly against the order.
        coupon_discount_amount: Discount given by a coupon.
        coupon_code: Code of the coupon used.
        gift_certificate_amount: Amount paid by gift certificate.
        gift_certificate_code: Code of the gift certificate used.
        credit_used: Amount paid from the user's credit.
        billable_amount: Amount billable after discounts, coupons and gift certificates.
        outstanding_balance: Unpaid amount.
        total_weight: Total weight.
        quote_pdf_url: URL of the quote or invoice PDF.
        production_pdf_url: URL of the production PDF.
        order_proof_pdf_url: URL of the order proof PDF.
        job_name: Optional name of the order.
        customer_id: Id of the customer.
        customer_po_number: Optional customer PO number.
        source_type: Where the order came from, a number (undocumented; live servers send it).
        order_status: 1 ready for production, 2 ready for shipping, 3 shipped; live servers
            also send other numbers (4 on cancelled orders, 7 seen as "on hold"), kept as they
            are.
        date_started: When the order was started (UTC).
        date_ordered: When the order was placed (UTC).
        date_production_files_ready: When the production files became ready (UTC).
        date_produced: When the order was marked as produced (UTC).
        date_shipped: When the order was marked as shipped (UTC).
        date_invoiced: When the order was marked as invoiced (UTC).
        date_modified: When the order was last modified (UTC).
        date_due: When the order is due (UTC).
        date_scheduled: When the order is scheduled (UTC).
        rush_order_fee: Name of the rush order fee applied.
        rush_order_fee_amount: Amount of the rush order fee.
        account_terms: Terms applied to the order, e.g. ``"C.O.D."``.
        shipping_method: Shipping method chosen.
        shipments: Shipments (sent with ``include_shipments=1``).
        billing_details: Billing contact.
        shipping_details: Shipping contact; when blank the billing details apply.
        payment_details: Deprecated payment summary; see ``payments``.
        payments: Payments made.
        refunds: Refunds made.
        order_lines: Lines of the order.
        notes: Notes on the order.
        assigned_to: Operator the order is assigned to.
        is_priority: Whether the order is a priority (undocumented; live servers send it).
        store: Store the order was placed in.
        created_by: Operator who created the order (undocumented; live servers send it).
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("order_id", "order_status")

    order_id: str | None = None
    item_amount: float | None = None
    shipping_amount: float | None = None
    tax_amount_before_discounts: float | None = None
    tax_amount: float | None = None
    tax_names: str | None = None
    taxes: list[Tax] = attrs.field(factory=AbsentList)
    discount_amount: float | None = None
    coupon_discount_amount: float | None = None
    coupon_code: str | None = None
    gift_certificate_amount: float | None = None
    gift_certificate_code: str | None = None
    credit_used: float | None = None
    billable_amount: float | None = None
    outstanding_balance: float | None = None
    total_weight: float | None = None
    quote_pdf_url: str | None = None
    production_pdf_url: str | None = None
    order_proof_pdf_url: str | None = None
    job_name: str | None = None
    customer_id: int | None = None
    customer_po_number: str | None = None
    source_type: int | None = None
    order_status: int | None = None
    date_started: datetime | None = None
    date_ordered: datetime | None = None
    date_production_files_ready: datetime | None = None
    date_produced: datetime | None = None
    date_shipped: datetime | None = None
    date_invoiced: datetime | None = None
    date_modified: datetime | None = None
    date_due: datetime | None = None
    date_scheduled: datetime | None = None
    rush_order_fee: str | None = None
    rush_order_fee_amount: float | None = None
    account_terms: str | None = None
    shipping_method: ShippingMethod | None = None
    shipments: list[Shipment] = attrs.field(factory=AbsentList)
    billing_details: Contact | None = None
    shipping_details: Contact | None = None
    payment_details: PaymentDetails | None = None
    payments: list[Payment] = attrs.field(factory=AbsentList)
    refunds: list[Refund] = attrs.field(factory=AbsentList)
    order_lines: list[OrderLine] = attrs.field(factory=AbsentList)
    notes: list[Note] = attrs.field(factory=AbsentList)
    assigned_to: Operator | None = None
    is_priority: bool | None = None
    store: Store | None = None
    created_by: Operator | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


# ---------------------------------------------------------------------------------------------
# Products: the keys live servers send (the vendor documents do not describe the object)
# ---------------------------------------------------------------------------------------------


@attrs.define(kw_only=True)
class ProductCategory:
    """A catalogue category a product is in.

    Attributes:
        name: Name of the category (a leaf name such as ``"Jackets"``).
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("name")

    name: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class ProductColorRef:
    """A colour a product comes in.

    Attributes:
        id: Id of the product colour (what :attr:`ProductSku.color_id` refers to).
        name: Name of the colour.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("id", "name")

    id: int | None = None
    name: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class ProductSize:
    """A size a product comes in.

    Attributes:
        id: Id of the size (what :attr:`ProductSku.size_id` refers to).
        name: Name of the size, e.g. ``"Large"``.
        code: Code of the size, e.g. ``"L"``.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("id", "name")

    id: int | None = None
    name: str | None = None
    code: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class ProductSku:
    """One colour and size of a product, with its own price and cost.

    Attributes:
        size_id: Id of the size (:attr:`ProductSize.id`).
        color_id: Id of the colour (:attr:`ProductColorRef.id`).
        price: Selling price of this SKU.
        cost: Cost of this SKU.
        sku: The SKU code.
        dn_sku_id: Platform id of the SKU, e.g. ``"288447781_360396096"`` (the product id, an
            underscore, a second number); what order lines and inventory refer to.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("sku", "dn_sku_id")

    size_id: int | None = None
    color_id: int | None = None
    price: float | None = None
    cost: float | None = None
    sku: str | None = None
    dn_sku_id: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class Product:
    """A product, as ``manage_products/find`` lists it and ``manage_products/get`` returns it.

    Live servers send the same keys in both answers. They send no description and no image.

    Attributes:
        product_id: Id of the product, the identity every call keys on.
        product_code: Product code, e.g. ``"G2000"`` (absent on about 1% of live products).
        product_name: Product name.
        supplier: Supplier name.
        brand: Brand name.
        categories: Categories the product is in (may be empty).
        colors: Colours the product comes in.
        sizes: Sizes the product comes in.
        skus: Every colour and size combination, with its price, cost and ``dn_sku_id``.
        extra: Keys the server sent that this model does not know.
    """

    __repr__ = _short_repr("product_id", "product_code", "product_name")

    product_id: int | None = None
    product_code: str | None = None
    product_name: str | None = None
    supplier: str | None = None
    brand: str | None = None
    categories: list[ProductCategory] = attrs.field(factory=AbsentList)
    colors: list[ProductColorRef] = attrs.field(factory=AbsentList)
    sizes: list[ProductSize] = attrs.field(factory=AbsentList)
    skus: list[ProductSku] = attrs.field(factory=AbsentList)
    extra: dict[str, Any] = attrs.field(factory=dict)


ProductDetailed = Product
"""What ``products.get`` and ``get_many`` return: the same :class:`Product` as search rows."""
