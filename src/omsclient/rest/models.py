"""Typed models of the REST OMS API v1, for requests and answers alike.

Every field is optional on the model, because answers carry only some of them (a created
order's items come back with just ``uid`` and ``ecommerce_order_item_id``). What the API's
Required column asks for is checked when a request is built: a missing required field raises
:class:`~omsclient.errors.ValidationError` naming it, and nothing is sent.

Keys the models do not know are kept in each object's ``extra`` mapping and sent back when the
object is sent again, so nothing the server added is lost. Numbers sent as strings, ``null``
and missing keys are read as :mod:`omsclient._decoding` describes.
"""

from __future__ import annotations

from typing import Any

import attrs

from omsclient._decoding import AbsentList
from omsclient._repr import short_repr
from omsclient.rest._enums import AddressType, BatchOrderStatus, PrintFileStatus
from omsclient.rest._fields import REQUIRED, id_number, required, unsigned
from omsclient.rest._template import TemplateConfig, as_template_config

__all__ = [
    "Address",
    "BatchOrder",
    "Category",
    "Customer",
    "Deletion",
    "Order",
    "OrderItem",
    "PrintFile",
    "Product",
    "Shipping",
    "Variant",
]


# Identifying fields only: the rest may hold personal data or a signed URL.
@short_repr("ecommerce_customer_id")
@attrs.define(kw_only=True)
class Customer:
    """The customer of an order.

    Attributes:
        email: Email address.
        ecommerce_customer_id: The customer's id in your ecommerce system.
        name: First name.
        surname: Last name.
        phone: Phone number.
        extra: Keys the server sent that this model does not know.
    """

    email: str | None = None
    ecommerce_customer_id: str | None = None
    name: str | None = None
    surname: str | None = None
    phone: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


# Identifying fields only: the rest may hold personal data or a signed URL.
@short_repr("type_id")
@attrs.define(kw_only=True)
class Address:
    """A billing or shipping address of an order.

    Required in requests: ``type_id``, ``address_1``, ``post_code``, ``city``, ``country_code``.

    Attributes:
        type_id: ``"billing"`` or ``"shipping"`` (a string is turned into :class:`AddressType`).
        address_1: First line.
        address_2: Second line.
        post_code: Postal code.
        city: City.
        county: County or province.
        country_code: Country code, e.g. ``"GB"``.
        country_id: Id of the country.
        extra: Keys the server sent that this model does not know.
    """

    type_id: AddressType | None = attrs.field(
        default=None, converter=attrs.converters.optional(AddressType), metadata={REQUIRED: True}
    )
    address_1: str | None = required()
    address_2: str | None = None
    post_code: str | None = required()
    city: str | None = required()
    county: str | None = None
    country_code: str | None = required()
    country_id: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


# Identifying fields only: the rest may hold personal data or a signed URL.
@short_repr("code")
@attrs.define(kw_only=True)
class Shipping:
    """A shipping service of an order. Both fields are required in requests.

    Attributes:
        code: Shipping service code, e.g. ``"STANDARD"``.
        shipping_price: Price of the service.
        extra: Keys the server sent that this model does not know.
    """

    code: str | None = required()
    shipping_price: float | None = required()
    extra: dict[str, Any] = attrs.field(factory=dict)


# Identifying fields only: the rest may hold personal data or a signed URL.
@short_repr("uid", "ecommerce_order_item_id")
@attrs.define(kw_only=True)
class OrderItem:
    """A line of an order.

    Required in requests: ``ecommerce_order_item_id``, ``ecommerce_variant_id``, ``quantity``,
    ``template_config``, ``thumbnails``.

    Attributes:
        uid: The item's UID in the OMS (answers only).
        ecommerce_order_item_id: The item's id in your ecommerce system.
        ecommerce_variant_id: The product variant's id in your ecommerce system.
        quantity: How many, 1 or more (a smaller number is refused before sending).
        price: Price per item.
        properties: Additional properties.
        template_config: The customiser's template config, decoded. Give a dict or the
            URL-encoded string; it is sent URL-encoded. ``template_config.raw`` is the string
            as received.
        thumbnails: Thumbnail URLs.
        design_version_id: UID of the design version.
        extra: Keys the server sent that this model does not know.
    """

    uid: str | None = None
    ecommerce_order_item_id: str | None = required()
    ecommerce_variant_id: str | None = required()
    # The spec states no minimum, but an item of no units (or fewer) is never meant: refused
    # before sending rather than left to whatever the server makes of it.
    quantity: int | None = required(minimum=1)
    price: float | None = None
    properties: dict[str, Any] | None = None
    template_config: TemplateConfig | None = attrs.field(
        default=None, converter=as_template_config, metadata={REQUIRED: True}
    )
    thumbnails: list[str] = attrs.field(factory=AbsentList, metadata={REQUIRED: True})
    design_version_id: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


# Identifying fields only: the rest may hold personal data or a signed URL.
@short_repr("uid", "ecommerce_order_id")
@attrs.define(kw_only=True)
class Order:
    """An order.

    Attributes:
        uid: The order's UID in the OMS (answers only).
        store_id: Your store id.
        ecommerce_order_id: The order's id in your ecommerce system.
        ecommerce_order_number: The order number in your ecommerce system.
        total_price: Total price.
        subtotal_price: Subtotal price.
        currency_code: Currency, e.g. ``"GBP"``.
        customer: The customer.
        note: Notes.
        addresses: Billing and shipping addresses.
        shippings: Shipping services.
        items: The lines.
        create_print_files: Whether print files are made for every item at once.
        extra: Keys the server sent that this model does not know.
    """

    uid: str | None = None
    store_id: str | None = required()
    ecommerce_order_id: str | None = required()
    ecommerce_order_number: str | None = None
    total_price: float | None = None
    subtotal_price: float | None = None
    currency_code: str | None = None
    customer: Customer | None = None
    note: str | None = None
    addresses: list[Address] = attrs.field(factory=AbsentList)
    shippings: list[Shipping] = attrs.field(factory=AbsentList)
    items: list[OrderItem] = attrs.field(factory=AbsentList, metadata={REQUIRED: True})
    create_print_files: bool | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


# Identifying fields only: the rest may hold personal data or a signed URL.
@short_repr("id", "name")
@attrs.define(kw_only=True)
class Category:
    """A product category.

    Attributes:
        id: The category's id (a number or a UID, as the server gives it).
        uid: The category's UID, when the server sends one besides ``id``.
        name: Name.
        parent_id: UID of the parent category, as text ("0042" stays "0042"): what the API
            takes back.
        description: Description.
        default_dpi: Default DPI (the server's default is 300).
        editor_category_id: UID of the editor category.
        default_location_id: UID of the default location, as text.
        extra: Keys the server sent that this model does not know.
    """

    id: int | str | None = None
    uid: str | None = None
    name: str | None = required()
    parent_id: str | None = None
    description: str | None = None
    default_dpi: int | None = None
    editor_category_id: str | None = None
    default_location_id: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


# Identifying fields only: the rest may hold personal data or a signed URL.
@short_repr("id", "name")
@attrs.define(kw_only=True)
class Product:
    """A product.

    Attributes:
        id: The product's id.
        uuid: The product's UUID, generated by the server.
        category_id: Id of its category.
        name: Name.
        code: Product code.
        order_column: Position in listings.
        active: Whether it is active.
        description: Description.
        default_dpi: Default DPI.
        team_id: Id of its team.
        editor_category_id: Id of the editor category.
        default_location_id: Id of the default location.
        extra: Keys the server sent that this model does not know.
    """

    id: int | str | None = None
    uuid: str | None = None
    category_id: int | str | None = required(minimum=1)
    name: str | None = required()
    code: str | None = None
    order_column: int | None = required()
    active: bool | None = required()
    description: str | None = None
    default_dpi: int | None = None
    team_id: int | None = required(minimum=1)
    editor_category_id: str | None = None
    default_location_id: int | str | None = id_number()
    extra: dict[str, Any] = attrs.field(factory=dict)


# Identifying fields only: the rest may hold personal data or a signed URL.
@short_repr("id", "name")
@attrs.define(kw_only=True)
class Variant:
    """A product variant.

    Attributes:
        id: The variant's id, generated by the server.
        uuid: Its 36-character unique identifier.
        name: Name.
        product_variant_category_id: Id of its variant category.
        product_id: Id of its product (an integer in requests: a string of its digits is
            sent as that integer).
        price_id: Id of its price.
        editor_product_id: Id of the editor product.
        weight: Weight (unsigned: a negative value is refused before sending).
        length: Length.
        width: Width.
        height: Height.
        description: Description.
        country_id: Id of its country.
        customs_code: Customs code.
        customs_description: Customs description.
        long_customs_description: Long customs description.
        default_dpi: Default DPI (unsigned).
        seo_details: SEO details.
        ecommerce_tags: Comma-separated ecommerce tags.
        default_location_id: Id of the default location.
        extra: Keys the server sent that this model does not know.
    """

    id: int | str | None = None
    uuid: str | None = None
    name: str | None = required()
    product_variant_category_id: int | None = id_number()
    product_id: int | str | None = required(minimum=1)
    price_id: int | None = id_number()
    editor_product_id: str | None = None
    weight: int | None = unsigned()
    length: int | None = None
    width: int | None = None
    height: int | None = None
    description: str | None = None
    country_id: int | None = required(minimum=1)
    customs_code: str | None = None
    customs_description: str | None = None
    long_customs_description: str | None = None
    default_dpi: int | None = unsigned()
    seo_details: str | None = None
    ecommerce_tags: str | None = None
    default_location_id: int | str | None = id_number()
    extra: dict[str, Any] = attrs.field(factory=dict)

    @property
    def tags(self) -> list[str]:
        """``ecommerce_tags`` split on commas, blanks dropped."""
        return [t.strip() for t in (self.ecommerce_tags or "").split(",") if t.strip()]


# Identifying fields only: the rest may hold personal data or a signed URL.
@short_repr("uid", "status")
@attrs.define(kw_only=True)
class BatchOrder:
    """A batch order: items of several orders combined into one print file.

    The API documents its answer as ``uid`` and ``status``; whatever else the server sends
    (the batch's items or templates, in whatever shape) is kept in ``extra`` as sent, so it
    can never fail the read of a batch already created.

    Attributes:
        uid: The batch's UID.
        status: Its status; values the API does not document are kept (``status.known``);
            a string is turned into :class:`BatchOrderStatus`.
        extra: Keys the server sent that this model does not know.
    """

    uid: str | None = None
    status: BatchOrderStatus | None = attrs.field(
        default=None, converter=attrs.converters.optional(BatchOrderStatus)
    )
    extra: dict[str, Any] = attrs.field(factory=dict)


# Identifying fields only: the rest may hold personal data or a signed URL.
@short_repr("ecommerce_order_item_id", "status")
@attrs.define(kw_only=True)
class PrintFile:
    """The print file of an order item.

    Attributes:
        ecommerce_order_item_id: The item's id in your ecommerce system.
        status: Where the file is; values the API does not document are kept; a string is
            turned into :class:`PrintFileStatus`.
        url: Where to download the file; only set when ``status`` is ``ready`` (a ``ready``
            answer without it, or with blanks alone, is not :attr:`ready`).
        extra: Keys the server sent that this model does not know.
    """

    ecommerce_order_item_id: str | None = None
    status: PrintFileStatus | None = attrs.field(
        default=None, converter=attrs.converters.optional(PrintFileStatus)
    )
    url: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)

    @property
    def ready(self) -> bool:
        """Whether the file is ready to download: ``ready``, with a ``url`` to download it
        from (a ``ready`` without one, or with one of blanks alone, is not yet, and the waiters
        poll on)."""
        return self.status is PrintFileStatus.READY and bool(self.url and self.url.strip())

    @property
    def failed(self) -> bool:
        """Whether generating the file failed."""
        return self.status is PrintFileStatus.PROCESSING_FAILED

    @property
    def done(self) -> bool:
        """Whether the status is final (ready or failed)."""
        return self.ready or self.failed


# The ids only, as every model prints: the message and extra are the server's text.
@short_repr("order_uid", "category_id", "product_id", "variant_id")
@attrs.define(kw_only=True)
class Deletion:
    """The server's confirmation that something was deleted.

    The id field set is the one of the resource deleted.

    Attributes:
        message: E.g. ``"Order successfully deleted"``.
        order_uid: The UID of a deleted order.
        category_id: The id of a deleted category.
        product_id: The id of a deleted product.
        variant_id: The id of a deleted variant.
        extra: Keys the server sent that this model does not know.
    """

    message: str | None = None
    order_uid: str | None = None
    category_id: int | str | None = None
    product_id: int | str | None = None
    variant_id: int | str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)

    @property
    def id(self) -> int | str | None:
        """The id of whatever was deleted."""
        for value in (self.order_uid, self.category_id, self.product_id, self.variant_id):
            if value is not None:
                return value
        return None
