"""The blocking client's ``oms.rest`` resources: ``client.rest.orders`` and its siblings."""

from __future__ import annotations

from omsclient._blocking import BlockingResource, blocking
from omsclient._loop_thread import LoopHandle
from omsclient._parts import Part
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


class SyncOrders(BlockingResource[Orders]):
    """``oms.rest.orders`` of the blocking :class:`~omsclient.Client`: the methods of
    :class:`~omsclient.rest.Orders`, with the same parameters and results, blocking."""

    create = blocking(Orders.create)
    """:meth:`Orders.create <omsclient.rest.Orders.create>`, blocking: same arguments, same
    :class:`~omsclient.rest.Order`."""
    get = blocking(Orders.get)
    """:meth:`Orders.get <omsclient.rest.Orders.get>`, blocking: same arguments, same
    :class:`~omsclient.rest.Order`."""
    update = blocking(Orders.update)
    """:meth:`Orders.update <omsclient.rest.Orders.update>`, blocking: same arguments, same
    :class:`~omsclient.rest.Order`."""
    delete = blocking(Orders.delete)
    """:meth:`Orders.delete <omsclient.rest.Orders.delete>`, blocking: same arguments, same
    :class:`~omsclient.rest.Deletion`."""
    with_raw_response = Part(SyncOrdersWithRawResponse)
    """``create``, ``get``, ``update`` and ``delete`` returning a
    :class:`~omsclient.RawResponse`: a :class:`~omsclient.rest.SyncOrdersWithRawResponse`."""

    def __init__(self, resource: Orders, portal: LoopHandle) -> None:
        super().__init__(resource, portal)
        self.with_raw_response = SyncOrdersWithRawResponse(resource, portal)


class SyncOrderItems(BlockingResource[OrderItems]):
    """``oms.rest.order_items`` of the blocking :class:`~omsclient.Client`: the methods of
    :class:`~omsclient.rest.OrderItems`, with the same parameters and results, blocking."""

    print_file = blocking(OrderItems.print_file)
    """:meth:`OrderItems.print_file <omsclient.rest.OrderItems.print_file>`, blocking: same
    arguments, same :class:`~omsclient.rest.PrintFile`."""
    wait_for_print_file = blocking(OrderItems.wait_for_print_file)
    """:meth:`OrderItems.wait_for_print_file <omsclient.rest.OrderItems.wait_for_print_file>`,
    blocking: same arguments, same :class:`~omsclient.rest.PrintFile`."""
    wait_for_print_files = blocking(OrderItems.wait_for_print_files)
    """:meth:`OrderItems.wait_for_print_files
    <omsclient.rest.OrderItems.wait_for_print_files>`, blocking: same arguments, same list of
    :class:`~omsclient.rest.PrintFile`."""
    with_raw_response = Part(SyncOrderItemsWithRawResponse)
    """``print_file``, ``wait_for_print_file`` and ``wait_for_print_files`` returning a
    :class:`~omsclient.RawResponse`: a
    :class:`~omsclient.rest.SyncOrderItemsWithRawResponse`."""

    def __init__(self, resource: OrderItems, portal: LoopHandle) -> None:
        super().__init__(resource, portal)
        self.with_raw_response = SyncOrderItemsWithRawResponse(resource, portal)


class SyncCategories(BlockingResource[Categories]):
    """``oms.rest.categories`` of the blocking :class:`~omsclient.Client`: the methods of
    :class:`~omsclient.rest.Categories`, with the same parameters and results, blocking."""

    create = blocking(Categories.create)
    """:meth:`Categories.create <omsclient.rest.Categories.create>`, blocking: same arguments,
    same :class:`~omsclient.rest.Category`."""
    get = blocking(Categories.get)
    """:meth:`Categories.get <omsclient.rest.Categories.get>`, blocking: same arguments, same
    :class:`~omsclient.rest.Category`."""
    update = blocking(Categories.update)
    """:meth:`Categories.update <omsclient.rest.Categories.update>`, blocking: same arguments,
    same :class:`~omsclient.rest.Category`."""
    delete = blocking(Categories.delete)
    """:meth:`Categories.delete <omsclient.rest.Categories.delete>`, blocking: same arguments,
    same :class:`~omsclient.rest.Deletion`."""
    with_raw_response = Part(SyncCategoriesWithRawResponse)
    """``create``, ``get``, ``update`` and ``delete`` returning a
    :class:`~omsclient.RawResponse`: a
    :class:`~omsclient.rest.SyncCategoriesWithRawResponse`."""

    def __init__(self, resource: Categories, portal: LoopHandle) -> None:
        super().__init__(resource, portal)
        self.with_raw_response = SyncCategoriesWithRawResponse(resource, portal)


class SyncProducts(BlockingResource[Products]):
    """``oms.rest.products`` of the blocking :class:`~omsclient.Client`: the methods of
    :class:`~omsclient.rest.Products`, with the same parameters and results, blocking."""

    create = blocking(Products.create)
    """:meth:`Products.create <omsclient.rest.Products.create>`, blocking: same arguments, same
    :class:`~omsclient.rest.Product`."""
    get = blocking(Products.get)
    """:meth:`Products.get <omsclient.rest.Products.get>`, blocking: same arguments, same
    :class:`~omsclient.rest.Product`."""
    update = blocking(Products.update)
    """:meth:`Products.update <omsclient.rest.Products.update>`, blocking: same arguments, same
    :class:`~omsclient.rest.Product`."""
    delete = blocking(Products.delete)
    """:meth:`Products.delete <omsclient.rest.Products.delete>`, blocking: same arguments, same
    :class:`~omsclient.rest.Deletion`."""
    with_raw_response = Part(SyncProductsWithRawResponse)
    """``create``, ``get``, ``update`` and ``delete`` returning a
    :class:`~omsclient.RawResponse`: a :class:`~omsclient.rest.SyncProductsWithRawResponse`."""

    def __init__(self, resource: Products, portal: LoopHandle) -> None:
        super().__init__(resource, portal)
        self.with_raw_response = SyncProductsWithRawResponse(resource, portal)


class SyncVariants(BlockingResource[Variants]):
    """``oms.rest.variants`` of the blocking :class:`~omsclient.Client`: the methods of
    :class:`~omsclient.rest.Variants`, with the same parameters and results, blocking."""

    create = blocking(Variants.create)
    """:meth:`Variants.create <omsclient.rest.Variants.create>`, blocking: same arguments, same
    :class:`~omsclient.rest.Variant`."""
    get = blocking(Variants.get)
    """:meth:`Variants.get <omsclient.rest.Variants.get>`, blocking: same arguments, same
    :class:`~omsclient.rest.Variant`."""
    update = blocking(Variants.update)
    """:meth:`Variants.update <omsclient.rest.Variants.update>`, blocking: same arguments, same
    :class:`~omsclient.rest.Variant`."""
    delete = blocking(Variants.delete)
    """:meth:`Variants.delete <omsclient.rest.Variants.delete>`, blocking: same arguments, same
    :class:`~omsclient.rest.Deletion`."""
    with_raw_response = Part(SyncVariantsWithRawResponse)
    """``create``, ``get``, ``update`` and ``delete`` returning a
    :class:`~omsclient.RawResponse`: a :class:`~omsclient.rest.SyncVariantsWithRawResponse`."""

    def __init__(self, resource: Variants, portal: LoopHandle) -> None:
        super().__init__(resource, portal)
        self.with_raw_response = SyncVariantsWithRawResponse(resource, portal)


class SyncBatchOrders(BlockingResource[BatchOrders]):
    """``oms.rest.batch_orders`` of the blocking :class:`~omsclient.Client`: the methods of
    :class:`~omsclient.rest.BatchOrders`, with the same parameters and results, blocking."""

    create = blocking(BatchOrders.create)
    """:meth:`BatchOrders.create <omsclient.rest.BatchOrders.create>`, blocking: same arguments,
    same :class:`~omsclient.rest.BatchOrder`."""
    with_raw_response = Part(SyncBatchOrdersWithRawResponse)
    """``create`` returning a :class:`~omsclient.RawResponse`: a
    :class:`~omsclient.rest.SyncBatchOrdersWithRawResponse`."""

    def __init__(self, resource: BatchOrders, portal: LoopHandle) -> None:
        super().__init__(resource, portal)
        self.with_raw_response = SyncBatchOrdersWithRawResponse(resource, portal)
