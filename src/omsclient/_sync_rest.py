"""The blocking ``oms.rest`` of :class:`~omsclient.Client`: each REST resource's methods with
their exact parameters and return types, blocking (built with ``_blocking.blocking``)."""

from __future__ import annotations

from omsclient._blocking import blocking
from omsclient._loop_thread import LoopHandle
from omsclient.rest import (
    BatchOrders,
    Categories,
    OrderItems,
    Orders,
    Products,
    RestApi,
    Variants,
)
from omsclient.rest._blocking_raw import (
    SyncBatchOrdersWithRawResponse,
    SyncCategoriesWithRawResponse,
    SyncOrderItemsWithRawResponse,
    SyncOrdersWithRawResponse,
    SyncProductsWithRawResponse,
    SyncVariantsWithRawResponse,
)

__all__ = ["SyncRest"]


class _SyncOrders:
    # One class per resource (not one shared class) so each method keeps its own signature.
    def __init__(self, resource: Orders, portal: LoopHandle) -> None:
        self.with_raw_response = SyncOrdersWithRawResponse(resource.with_raw_response, portal)
        self.create = blocking(resource.create, portal)
        self.get = blocking(resource.get, portal)
        self.update = blocking(resource.update, portal)
        self.delete = blocking(resource.delete, portal)


class _SyncCategories:
    # One class per resource (not one shared class) so each method keeps its own signature.
    def __init__(self, resource: Categories, portal: LoopHandle) -> None:
        self.with_raw_response = SyncCategoriesWithRawResponse(resource.with_raw_response, portal)
        self.create = blocking(resource.create, portal)
        self.get = blocking(resource.get, portal)
        self.update = blocking(resource.update, portal)
        self.delete = blocking(resource.delete, portal)


class _SyncProducts:
    # One class per resource (not one shared class) so each method keeps its own signature.
    def __init__(self, resource: Products, portal: LoopHandle) -> None:
        self.with_raw_response = SyncProductsWithRawResponse(resource.with_raw_response, portal)
        self.create = blocking(resource.create, portal)
        self.get = blocking(resource.get, portal)
        self.update = blocking(resource.update, portal)
        self.delete = blocking(resource.delete, portal)


class _SyncVariants:
    # One class per resource (not one shared class) so each method keeps its own signature.
    def __init__(self, resource: Variants, portal: LoopHandle) -> None:
        self.with_raw_response = SyncVariantsWithRawResponse(resource.with_raw_response, portal)
        self.create = blocking(resource.create, portal)
        self.get = blocking(resource.get, portal)
        self.update = blocking(resource.update, portal)
        self.delete = blocking(resource.delete, portal)


class _SyncOrderItems:
    def __init__(self, items: OrderItems, portal: LoopHandle) -> None:
        self.with_raw_response = SyncOrderItemsWithRawResponse(items.with_raw_response, portal)
        self.print_file = blocking(items.print_file, portal)
        self.wait_for_print_file = blocking(items.wait_for_print_file, portal)
        self.wait_for_print_files = blocking(items.wait_for_print_files, portal)


class _SyncBatchOrders:
    def __init__(self, batches: BatchOrders, portal: LoopHandle) -> None:
        self.with_raw_response = SyncBatchOrdersWithRawResponse(batches.with_raw_response, portal)
        self.create = blocking(batches.create, portal)


class SyncRest:
    """``oms.rest`` of the blocking :class:`~omsclient.Client`: the resources of
    :class:`~omsclient.rest.RestApi`, each method blocking with the same arguments and result
    (``oms.rest.orders.get(uid)`` returns the :class:`~omsclient.rest.Order` that
    ``await async_oms.rest.orders.get(uid)`` does)."""

    def __init__(self, rest: RestApi, portal: LoopHandle) -> None:
        self.orders = _SyncOrders(rest.orders, portal)
        """Orders: the methods of :class:`~omsclient.rest.Orders` (``create``, ``get``, ``update``,
        ``delete``), blocking, with the same arguments and results; ``with_raw_response`` (a
        :class:`~omsclient.rest.SyncOrdersWithRawResponse`) holds them returning a
        :class:`~omsclient.RawResponse`."""
        self.order_items = _SyncOrderItems(rest.order_items, portal)
        """Order items: the methods of :class:`~omsclient.rest.OrderItems` (``print_file``,
        ``wait_for_print_file``, ``wait_for_print_files``), blocking, with the same arguments and
        results; ``with_raw_response`` (a :class:`~omsclient.rest.SyncOrderItemsWithRawResponse`)
        holds them returning a :class:`~omsclient.RawResponse`."""
        self.categories = _SyncCategories(rest.categories, portal)
        """Product categories: the methods of :class:`~omsclient.rest.Categories` (``create``,
        ``get``, ``update``, ``delete``), blocking, with the same arguments and results;
        ``with_raw_response`` (a :class:`~omsclient.rest.SyncCategoriesWithRawResponse`) holds them
        returning a :class:`~omsclient.RawResponse`."""
        self.products = _SyncProducts(rest.products, portal)
        """Products: the methods of :class:`~omsclient.rest.Products` (``create``, ``get``,
        ``update``, ``delete``), blocking, with the same arguments and results;
        ``with_raw_response`` (a :class:`~omsclient.rest.SyncProductsWithRawResponse`) holds them
        returning a :class:`~omsclient.RawResponse`."""
        self.variants = _SyncVariants(rest.variants, portal)
        """Product variants: the methods of :class:`~omsclient.rest.Variants` (``create``, ``get``,
        ``update``, ``delete``), blocking, with the same arguments and results;
        ``with_raw_response`` (a :class:`~omsclient.rest.SyncVariantsWithRawResponse`) holds them
        returning a :class:`~omsclient.RawResponse`."""
        self.batch_orders = _SyncBatchOrders(rest.batch_orders, portal)
        """Batch orders: the methods of :class:`~omsclient.rest.BatchOrders` (``create``),
        blocking, with the same arguments and results; ``with_raw_response`` (a
        :class:`~omsclient.rest.SyncBatchOrdersWithRawResponse`) holds them returning a
        :class:`~omsclient.RawResponse`."""
