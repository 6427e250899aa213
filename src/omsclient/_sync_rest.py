"""The blocking ``oms.rest`` of :class:`~omsclient.Client`: one blocking resource per REST
resource, each method with its exact parameters and return type."""

from __future__ import annotations

from omsclient._loop_thread import LoopHandle
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

    def __init__(self, rest: RestApi, portal: LoopHandle) -> None:
        self.orders: SyncOrders = SyncOrders(rest.orders, portal)
        """Orders: create, get, update, delete, blocking; a
        :class:`~omsclient.rest.SyncOrders`."""
        self.order_items: SyncOrderItems = SyncOrderItems(rest.order_items, portal)
        """Order items: print file status and waiting for print files, blocking; a
        :class:`~omsclient.rest.SyncOrderItems`."""
        self.categories: SyncCategories = SyncCategories(rest.categories, portal)
        """Product categories: create, get, update, delete, blocking; a
        :class:`~omsclient.rest.SyncCategories`."""
        self.products: SyncProducts = SyncProducts(rest.products, portal)
        """Products: create, get, update, delete, blocking; a
        :class:`~omsclient.rest.SyncProducts`."""
        self.variants: SyncVariants = SyncVariants(rest.variants, portal)
        """Product variants: create, get, update, delete, blocking; a
        :class:`~omsclient.rest.SyncVariants`."""
        self.batch_orders: SyncBatchOrders = SyncBatchOrders(rest.batch_orders, portal)
        """Batch orders: create, blocking; a :class:`~omsclient.rest.SyncBatchOrders`."""
