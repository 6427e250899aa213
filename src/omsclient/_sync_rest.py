"""The blocking ``oms.rest`` of :class:`~omsclient.Client`: one blocking resource per REST
resource, each method with its exact parameters and return type."""

from __future__ import annotations

from omsclient._loop_thread import LoopHandle
from omsclient._parts import Part
from omsclient._process_bound import OfThisProcess
from omsclient.rest import (
    RestApi,
    SyncBatchOrders,
    SyncCategories,
    SyncOrderItems,
    SyncOrders,
    SyncProducts,
    SyncVariants,
)

__all__ = ["SyncRest"]


class SyncRest(OfThisProcess):
    """``oms.rest`` of the blocking :class:`~omsclient.Client`: the resources of
    :class:`~omsclient.rest.RestApi`, each method blocking with the same arguments and result
    (``oms.rest.orders.get(uid)`` returns the :class:`~omsclient.rest.Order` that
    ``await async_oms.rest.orders.get(uid)`` does)."""

    orders = Part(SyncOrders)
    """Orders: create, get, update, delete, blocking; a
    :class:`~omsclient.rest.SyncOrders`."""
    order_items = Part(SyncOrderItems)
    """Order items: print file status and waiting for print files, blocking; a
    :class:`~omsclient.rest.SyncOrderItems`."""
    categories = Part(SyncCategories)
    """Product categories: create, get, update, delete, blocking; a
    :class:`~omsclient.rest.SyncCategories`."""
    products = Part(SyncProducts)
    """Products: create, get, update, delete, blocking; a
    :class:`~omsclient.rest.SyncProducts`."""
    variants = Part(SyncVariants)
    """Product variants: create, get, update, delete, blocking; a
    :class:`~omsclient.rest.SyncVariants`."""
    batch_orders = Part(SyncBatchOrders)
    """Batch orders: create, blocking; a :class:`~omsclient.rest.SyncBatchOrders`."""

    def __init__(self, rest: RestApi, portal: LoopHandle) -> None:
        self.orders = SyncOrders(rest.orders, portal)
        self.order_items = SyncOrderItems(rest.order_items, portal)
        self.categories = SyncCategories(rest.categories, portal)
        self.products = SyncProducts(rest.products, portal)
        self.variants = SyncVariants(rest.variants, portal)
        self.batch_orders = SyncBatchOrders(rest.batch_orders, portal)
