"""The legacy product models: the keys live servers send (the vendor documents do not describe
the object)."""

from typing import Any

import attrs

from omsclient._decoding import AbsentList, lazy_parts
from omsclient._repr import short_repr

__all__ = [
    "Product",
    "ProductCategory",
    "ProductColorRef",
    "ProductDetailed",
    "ProductSize",
    "ProductSku",
]


# ---------------------------------------------------------------------------------------------
# Products: the keys live servers send (the vendor documents do not describe the object)
# ---------------------------------------------------------------------------------------------


@short_repr("name")
@attrs.define(kw_only=True)
class ProductCategory:
    """A catalogue category a product is in.

    Attributes:
        name: Name of the category (a leaf name such as ``"Jackets"``).
        extra: Keys the server sent that this model does not know.
    """

    name: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("id", "name")
@attrs.define(kw_only=True)
class ProductColorRef:
    """A colour a product comes in.

    Attributes:
        id: Id of the product colour (what :attr:`ProductSku.color_id` refers to).
        name: Name of the colour.
        extra: Keys the server sent that this model does not know.
    """

    id: int | None = None
    name: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("id", "name")
@attrs.define(kw_only=True)
class ProductSize:
    """A size a product comes in.

    Attributes:
        id: Id of the size (what :attr:`ProductSku.size_id` refers to).
        name: Name of the size, e.g. ``"Large"``.
        code: Code of the size, e.g. ``"L"``.
        extra: Keys the server sent that this model does not know.
    """

    id: int | None = None
    name: str | None = None
    code: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("sku", "dn_sku_id")
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

    size_id: int | None = None
    color_id: int | None = None
    price: float | None = None
    cost: float | None = None
    sku: str | None = None
    dn_sku_id: str | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@short_repr("product_id", "product_code", "product_name")
@lazy_parts
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
