"""The REST OMS API v1 (Bearer token, JSON bodies): ``oms.rest``.

One attribute per resource, all sending through the client's session (one connection pool,
one set of retries and limits)::

    order = await oms.rest.orders.create(ecommerce_order_id="ORD-1", items=[...])
    print_file = await oms.rest.order_items.wait_for_print_file("ORD-1-1")
"""

from __future__ import annotations

from omsclient._parts import Part
from omsclient._process_bound import OfThisProcess
from omsclient._session import Session
from omsclient.rest._blocking_raw import (
    SyncBatchOrdersWithRawResponse,
    SyncCategoriesWithRawResponse,
    SyncOrderItemsWithRawResponse,
    SyncOrdersWithRawResponse,
    SyncProductsWithRawResponse,
    SyncVariantsWithRawResponse,
)
from omsclient.rest._blocking_resources import (
    SyncBatchOrders,
    SyncCategories,
    SyncOrderItems,
    SyncOrders,
    SyncProducts,
    SyncVariants,
)
from omsclient.rest._enums import AddressType, BatchOrderStatus, PrintFileStatus, TolerantEnum
from omsclient.rest._errors import (
    PrintFileFailedError,
    PrintFileNotFoundError,
    PrintFileTimeoutError,
)
from omsclient.rest._fields import NOT_GIVEN, NotGiven
from omsclient.rest._template import TemplateConfig
from omsclient.rest._transport import RestTransport
from omsclient.rest.batch_orders import BatchOrders, BatchOrdersWithRawResponse
from omsclient.rest.categories import Categories, CategoriesWithRawResponse
from omsclient.rest.models import (
    Address,
    BatchOrder,
    Category,
    Customer,
    Deletion,
    Order,
    OrderItem,
    PrintFile,
    Product,
    Shipping,
    Variant,
)
from omsclient.rest.order_items import OrderItems, OrderItemsWithRawResponse
from omsclient.rest.orders import Orders, OrdersWithRawResponse
from omsclient.rest.products import Products, ProductsWithRawResponse
from omsclient.rest.variants import Variants, VariantsWithRawResponse

__all__ = [
    "NOT_GIVEN",
    "Address",
    "AddressType",
    "BatchOrder",
    "BatchOrderStatus",
    "BatchOrders",
    "BatchOrdersWithRawResponse",
    "Categories",
    "CategoriesWithRawResponse",
    "Category",
    "Customer",
    "Deletion",
    "NotGiven",
    "Order",
    "OrderItem",
    "OrderItems",
    "OrderItemsWithRawResponse",
    "Orders",
    "OrdersWithRawResponse",
    "PrintFile",
    "PrintFileFailedError",
    "PrintFileNotFoundError",
    "PrintFileStatus",
    "PrintFileTimeoutError",
    "Product",
    "Products",
    "ProductsWithRawResponse",
    "RestApi",
    "Shipping",
    "SyncBatchOrders",
    "SyncBatchOrdersWithRawResponse",
    "SyncCategories",
    "SyncCategoriesWithRawResponse",
    "SyncOrderItems",
    "SyncOrderItemsWithRawResponse",
    "SyncOrders",
    "SyncOrdersWithRawResponse",
    "SyncProducts",
    "SyncProductsWithRawResponse",
    "SyncVariants",
    "SyncVariantsWithRawResponse",
    "TemplateConfig",
    "TolerantEnum",
    "Variant",
    "Variants",
    "VariantsWithRawResponse",
]


class RestApi(OfThisProcess):
    """``oms.rest``: one attribute per resource of the REST OMS API v1."""

    orders = Part(Orders)
    """Orders: create, get, update, delete."""
    order_items = Part(OrderItems)
    """Order items: print file status and waiting for print files."""
    categories = Part(Categories)
    """Product categories: create, get, update, delete."""
    products = Part(Products)
    """Products: create, get, update, delete."""
    variants = Part(Variants)
    """Product variants: create, get, update, delete."""
    batch_orders = Part(BatchOrders)
    """Batch orders: create."""

    def __init__(self, session: Session) -> None:
        rest = RestTransport(session)
        self.orders = Orders(rest)
        self.order_items = OrderItems(rest)
        self.categories = Categories(rest)
        self.products = Products(rest)
        self.variants = Variants(rest)
        self.batch_orders = BatchOrders(rest)


# Tracebacks and reprs name the errors where they are imported from, not a private module.
for _error in (PrintFileFailedError, PrintFileNotFoundError, PrintFileTimeoutError):
    _error.__module__ = __name__
del _error
