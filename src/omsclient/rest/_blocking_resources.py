"""The blocking client's ``oms.rest`` resources: ``client.rest.orders`` and its siblings."""

from __future__ import annotations

from omsclient._blocking import blocking
from omsclient._loop_thread import LoopHandle
from omsclient._process_bound import OfThisProcess
from omsclient.rest._blocking_raw import (
    SyncBatchOrdersWithRawResponse,
    SyncCategoriesWithRawResponse,
    SyncOrderItemsWithRawResponse,
    SyncOrdersWithRawResponse,
    SyncProductsWithRawResponse,
    SyncVariantsWithRawResponse,
)
from omsclient.rest.batch_orders import BatchOrders
from omsclient.rest.categories import Categories
from omsclient.rest.order_items import OrderItems
from omsclient.rest.orders import Orders
from omsclient.rest.products import Products
from omsclient.rest.variants import Variants

__all__ = [
    "SyncBatchOrders",
    "SyncCategories",
    "SyncOrderItems",
    "SyncOrders",
    "SyncProducts",
    "SyncVariants",
]


class SyncOrders(OfThisProcess):
    """``oms.rest.orders`` of the blocking :class:`~omsclient.Client`: the methods of
    :class:`~omsclient.rest.Orders`, with the same parameters and results, blocking."""

    def __init__(self, resource: Orders, portal: LoopHandle) -> None:
        self.create = blocking(resource.create, portal)
        """:meth:`Orders.create <omsclient.rest.Orders.create>`, blocking: same arguments, same
        :class:`~omsclient.rest.Order`."""
        self.get = blocking(resource.get, portal)
        """:meth:`Orders.get <omsclient.rest.Orders.get>`, blocking: same arguments, same
        :class:`~omsclient.rest.Order`."""
        self.update = blocking(resource.update, portal)
        """:meth:`Orders.update <omsclient.rest.Orders.update>`, blocking: same arguments, same
        :class:`~omsclient.rest.Order`."""
        self.delete = blocking(resource.delete, portal)
        """:meth:`Orders.delete <omsclient.rest.Orders.delete>`, blocking: same arguments, same
        :class:`~omsclient.rest.Deletion`."""
        self.with_raw_response = SyncOrdersWithRawResponse(resource.with_raw_response, portal)
        """``create``, ``get``, ``update`` and ``delete`` returning a
        :class:`~omsclient.RawResponse`: a :class:`~omsclient.rest.SyncOrdersWithRawResponse`."""


class SyncOrderItems(OfThisProcess):
    """``oms.rest.order_items`` of the blocking :class:`~omsclient.Client`: the methods of
    :class:`~omsclient.rest.OrderItems`, with the same parameters and results, blocking."""

    def __init__(self, resource: OrderItems, portal: LoopHandle) -> None:
        self.print_file = blocking(resource.print_file, portal)
        """:meth:`OrderItems.print_file <omsclient.rest.OrderItems.print_file>`, blocking: same
        arguments, same :class:`~omsclient.rest.PrintFile`."""
        self.wait_for_print_file = blocking(resource.wait_for_print_file, portal)
        """:meth:`OrderItems.wait_for_print_file <omsclient.rest.OrderItems.wait_for_print_file>`,
        blocking: same arguments, same :class:`~omsclient.rest.PrintFile`."""
        self.wait_for_print_files = blocking(resource.wait_for_print_files, portal)
        """:meth:`OrderItems.wait_for_print_files
        <omsclient.rest.OrderItems.wait_for_print_files>`, blocking: same arguments, same list of
        :class:`~omsclient.rest.PrintFile`."""
        self.with_raw_response = SyncOrderItemsWithRawResponse(resource.with_raw_response, portal)
        """``print_file``, ``wait_for_print_file`` and ``wait_for_print_files`` returning a
        :class:`~omsclient.RawResponse`: a
        :class:`~omsclient.rest.SyncOrderItemsWithRawResponse`."""


class SyncCategories(OfThisProcess):
    """``oms.rest.categories`` of the blocking :class:`~omsclient.Client`: the methods of
    :class:`~omsclient.rest.Categories`, with the same parameters and results, blocking."""

    def __init__(self, resource: Categories, portal: LoopHandle) -> None:
        self.create = blocking(resource.create, portal)
        """:meth:`Categories.create <omsclient.rest.Categories.create>`, blocking: same arguments,
        same :class:`~omsclient.rest.Category`."""
        self.get = blocking(resource.get, portal)
        """:meth:`Categories.get <omsclient.rest.Categories.get>`, blocking: same arguments, same
        :class:`~omsclient.rest.Category`."""
        self.update = blocking(resource.update, portal)
        """:meth:`Categories.update <omsclient.rest.Categories.update>`, blocking: same arguments,
        same :class:`~omsclient.rest.Category`."""
        self.delete = blocking(resource.delete, portal)
        """:meth:`Categories.delete <omsclient.rest.Categories.delete>`, blocking: same arguments,
        same :class:`~omsclient.rest.Deletion`."""
        self.with_raw_response = SyncCategoriesWithRawResponse(resource.with_raw_response, portal)
        """``create``, ``get``, ``update`` and ``delete`` returning a
        :class:`~omsclient.RawResponse`: a
        :class:`~omsclient.rest.SyncCategoriesWithRawResponse`."""


class SyncProducts(OfThisProcess):
    """``oms.rest.products`` of the blocking :class:`~omsclient.Client`: the methods of
    :class:`~omsclient.rest.Products`, with the same parameters and results, blocking."""

    def __init__(self, resource: Products, portal: LoopHandle) -> None:
        self.create = blocking(resource.create, portal)
        """:meth:`Products.create <omsclient.rest.Products.create>`, blocking: same arguments, same
        :class:`~omsclient.rest.Product`."""
        self.get = blocking(resource.get, portal)
        """:meth:`Products.get <omsclient.rest.Products.get>`, blocking: same arguments, same
        :class:`~omsclient.rest.Product`."""
        self.update = blocking(resource.update, portal)
        """:meth:`Products.update <omsclient.rest.Products.update>`, blocking: same arguments, same
        :class:`~omsclient.rest.Product`."""
        self.delete = blocking(resource.delete, portal)
        """:meth:`Products.delete <omsclient.rest.Products.delete>`, blocking: same arguments, same
        :class:`~omsclient.rest.Deletion`."""
        self.with_raw_response = SyncProductsWithRawResponse(resource.with_raw_response, portal)
        """``create``, ``get``, ``update`` and ``delete`` returning a
        :class:`~omsclient.RawResponse`: a :class:`~omsclient.rest.SyncProductsWithRawResponse`."""


class SyncVariants(OfThisProcess):
    """``oms.rest.variants`` of the blocking :class:`~omsclient.Client`: the methods of
    :class:`~omsclient.rest.Variants`, with the same parameters and results, blocking."""

    def __init__(self, resource: Variants, portal: LoopHandle) -> None:
        self.create = blocking(resource.create, portal)
        """:meth:`Variants.create <omsclient.rest.Variants.create>`, blocking: same arguments, same
        :class:`~omsclient.rest.Variant`."""
        self.get = blocking(resource.get, portal)
        """:meth:`Variants.get <omsclient.rest.Variants.get>`, blocking: same arguments, same
        :class:`~omsclient.rest.Variant`."""
        self.update = blocking(resource.update, portal)
        """:meth:`Variants.update <omsclient.rest.Variants.update>`, blocking: same arguments, same
        :class:`~omsclient.rest.Variant`."""
        self.delete = blocking(resource.delete, portal)
        """:meth:`Variants.delete <omsclient.rest.Variants.delete>`, blocking: same arguments, same
        :class:`~omsclient.rest.Deletion`."""
        self.with_raw_response = SyncVariantsWithRawResponse(resource.with_raw_response, portal)
        """``create``, ``get``, ``update`` and ``delete`` returning a
        :class:`~omsclient.RawResponse`: a :class:`~omsclient.rest.SyncVariantsWithRawResponse`."""


class SyncBatchOrders(OfThisProcess):
    """``oms.rest.batch_orders`` of the blocking :class:`~omsclient.Client`: the methods of
    :class:`~omsclient.rest.BatchOrders`, with the same parameters and results, blocking."""

    def __init__(self, resource: BatchOrders, portal: LoopHandle) -> None:
        self.create = blocking(resource.create, portal)
        """:meth:`BatchOrders.create <omsclient.rest.BatchOrders.create>`, blocking: same arguments,
        same :class:`~omsclient.rest.BatchOrder`."""
        self.with_raw_response = SyncBatchOrdersWithRawResponse(resource.with_raw_response, portal)
        """``create`` returning a :class:`~omsclient.RawResponse`: a
        :class:`~omsclient.rest.SyncBatchOrdersWithRawResponse`."""
