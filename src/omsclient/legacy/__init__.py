"""The legacy JSON API: Order Management and Product Management.

Conditions, status changes and the models users need to call ``oms.legacy``.
"""

# omsclient.legacy.models.Order, for type checkers too.
from omsclient.legacy import models as models
from omsclient.legacy._blocking_raw import SyncOrdersWithRawResponse, SyncProductsWithRawResponse
from omsclient.legacy._changes import NewStatus, StatusChange, StatusUpdate
from omsclient.legacy._conditions import (
    Condition,
    DateLike,
    Op,
    OrderField,
    ProductField,
    ProductSort,
    format_datetime,
)
from omsclient.legacy._product_scan import ProductScan, ProductScanState
from omsclient.legacy._scan import OrderScan, ScanPage
from omsclient.legacy._scan_state import ScanState, WindowState
from omsclient.legacy._sent import SentOrder
from omsclient.legacy.orders import OrderIncludes, Orders, OrdersWithRawResponse
from omsclient.legacy.products import Products, ProductsWithRawResponse, scan_products

__all__ = [
    "Condition",
    "DateLike",
    "NewStatus",
    "Op",
    "OrderField",
    "OrderIncludes",
    "OrderScan",
    "Orders",
    "OrdersWithRawResponse",
    "ProductField",
    "ProductScan",
    "ProductScanState",
    "ProductSort",
    "Products",
    "ProductsWithRawResponse",
    "ScanPage",
    "ScanState",
    "SentOrder",
    "StatusChange",
    "StatusUpdate",
    "SyncOrdersWithRawResponse",
    "SyncProductsWithRawResponse",
    "WindowState",
    "format_datetime",
    "scan_products",
]
