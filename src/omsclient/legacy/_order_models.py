"""The legacy order model and its order-level pieces: taxes, shipments, payments, notes."""

from datetime import datetime
from typing import Any

import attrs

from omsclient._decoding import AbsentList, lazy_parts
from omsclient._repr import short_repr
from omsclient.legacy._model_parts import Contact, Operator, ShippingMethod
from omsclient.legacy._order_line_models import OrderLine

__all__ = [
    "Note",
    "Order",
    "Package",
    "Payment",
    "PaymentDetails",
    "Refund",
    "Shipment",
    "ShipmentItem",
    "Store",
    "Tax",
]


# ---------------------------------------------------------------------------------------------
# Order-level pieces
# ---------------------------------------------------------------------------------------------


@short_repr("id", "name")
@attrs.define(kw_only=True)
class Tax:
    """A tax charged on an order.

    Attributes:
        id: Id of the tax.
        name: Name of the tax, e.g. ``"GST"``.
        amount: Amount of tax charged.
        extra: Keys the server sent that this model does not know.
    """

    id: int | None = None
    name: str | None = None
    amount: float | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("id")
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

    id: int | None = None
    weight: float | None = None
    length: float | None = None
    width: float | None = None
    height: float | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("workflow_item_id", "qty")
@attrs.define(kw_only=True)
class ShipmentItem:
    """A workflow item shipped in a shipment (sent with ``include_workflow_data=1``).

    Attributes:
        workflow_item_id: Id of the line's workflow item (:attr:`WorkflowItem.id`).
        qty: Quantity shipped.
        extra: Keys the server sent that this model does not know.
    """

    workflow_item_id: int | None = None
    qty: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("id")
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

    id: int | None = None
    date: datetime | None = None
    tracking_number: str | None = None
    shipping_method: ShippingMethod | None = None
    packages: list[Package] = attrs.field(factory=AbsentList)
    workflow_items: list[ShipmentItem] = attrs.field(factory=AbsentList)
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("payment_type_id")
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

    payment_type_id: int | None = None
    payment_type_name: str | None = None
    card_number: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("id", "payment_id")
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


@short_repr("id")
@attrs.define(kw_only=True)
class Refund:
    """A refund made against an order.

    Attributes:
        id: Id of the refund.
        date_refunded: When the refund was made (UTC).
        refunded_amount: Amount refunded.
        extra: Keys the server sent that this model does not know.
    """

    id: int | None = None
    date_refunded: datetime | None = None
    refunded_amount: float | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("note_type")
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

    note_type: str | None = None
    content: str | None = None
    created_at: datetime | None = None
    from_: Contact | None = attrs.field(default=None, metadata={"json_key": "from"})
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("id", "name")
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

    id: int | None = None
    name: str | None = None
    domain: str | None = None
    owner: Contact | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("order_id", "order_status")
@lazy_parts
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
