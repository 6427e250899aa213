"""The ``with_raw_response`` views of the blocking client's ``oms.rest`` resources."""

from __future__ import annotations

from omsclient._blocking import blocking
from omsclient._loop_thread import LoopHandle
from omsclient._process_bound import OfThisProcess
from omsclient.rest.batch_orders import BatchOrdersWithRawResponse
from omsclient.rest.categories import CategoriesWithRawResponse
from omsclient.rest.order_items import OrderItemsWithRawResponse
from omsclient.rest.orders import OrdersWithRawResponse
from omsclient.rest.products import ProductsWithRawResponse
from omsclient.rest.variants import VariantsWithRawResponse

__all__ = [
    "SyncBatchOrdersWithRawResponse",
    "SyncCategoriesWithRawResponse",
    "SyncOrderItemsWithRawResponse",
    "SyncOrdersWithRawResponse",
    "SyncProductsWithRawResponse",
    "SyncVariantsWithRawResponse",
]


class SyncOrdersWithRawResponse(OfThisProcess):
    """``with_raw_response`` of a blocking ``oms.rest.orders``: the request methods of
    :class:`~omsclient.rest.OrdersWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    def __init__(self, raw: OrdersWithRawResponse, portal: LoopHandle) -> None:
        self.create = blocking(raw.create, portal)
        """:meth:`Orders.create <omsclient.rest.Orders.create>`, blocking: same arguments; its
        result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.get = blocking(raw.get, portal)
        """:meth:`Orders.get <omsclient.rest.Orders.get>`, blocking: same arguments; its result is
        ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.update = blocking(raw.update, portal)
        """:meth:`Orders.update <omsclient.rest.Orders.update>`, blocking: same arguments; its
        result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.delete = blocking(raw.delete, portal)
        """:meth:`Orders.delete <omsclient.rest.Orders.delete>`, blocking: same arguments; its
        result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""


class SyncOrderItemsWithRawResponse(OfThisProcess):
    """``with_raw_response`` of a blocking ``oms.rest.order_items``: the request methods of
    :class:`~omsclient.rest.OrderItemsWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    def __init__(self, raw: OrderItemsWithRawResponse, portal: LoopHandle) -> None:
        self.print_file = blocking(raw.print_file, portal)
        """:meth:`OrderItems.print_file <omsclient.rest.OrderItems.print_file>`, blocking: same
        arguments; its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.wait_for_print_file = blocking(raw.wait_for_print_file, portal)
        """:meth:`OrderItems.wait_for_print_file <omsclient.rest.OrderItems.wait_for_print_file>`,
        blocking: same arguments; its result is ``.parse()`` of the
        :class:`~omsclient.RawResponse`."""
        self.wait_for_print_files = blocking(raw.wait_for_print_files, portal)
        """:meth:`OrderItems.wait_for_print_files
        <omsclient.rest.OrderItems.wait_for_print_files>`, blocking: same arguments; its result is
        ``.parse()`` of the :class:`~omsclient.RawResponse`."""


class SyncCategoriesWithRawResponse(OfThisProcess):
    """``with_raw_response`` of a blocking ``oms.rest.categories``: the request methods of
    :class:`~omsclient.rest.CategoriesWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    def __init__(self, raw: CategoriesWithRawResponse, portal: LoopHandle) -> None:
        self.create = blocking(raw.create, portal)
        """:meth:`Categories.create <omsclient.rest.Categories.create>`, blocking: same arguments;
        its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.get = blocking(raw.get, portal)
        """:meth:`Categories.get <omsclient.rest.Categories.get>`, blocking: same arguments; its
        result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.update = blocking(raw.update, portal)
        """:meth:`Categories.update <omsclient.rest.Categories.update>`, blocking: same arguments;
        its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.delete = blocking(raw.delete, portal)
        """:meth:`Categories.delete <omsclient.rest.Categories.delete>`, blocking: same arguments;
        its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""


class SyncProductsWithRawResponse(OfThisProcess):
    """``with_raw_response`` of a blocking ``oms.rest.products``: the request methods of
    :class:`~omsclient.rest.ProductsWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    def __init__(self, raw: ProductsWithRawResponse, portal: LoopHandle) -> None:
        self.create = blocking(raw.create, portal)
        """:meth:`Products.create <omsclient.rest.Products.create>`, blocking: same arguments; its
        result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.get = blocking(raw.get, portal)
        """:meth:`Products.get <omsclient.rest.Products.get>`, blocking: same arguments; its result
        is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.update = blocking(raw.update, portal)
        """:meth:`Products.update <omsclient.rest.Products.update>`, blocking: same arguments; its
        result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.delete = blocking(raw.delete, portal)
        """:meth:`Products.delete <omsclient.rest.Products.delete>`, blocking: same arguments; its
        result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""


class SyncVariantsWithRawResponse(OfThisProcess):
    """``with_raw_response`` of a blocking ``oms.rest.variants``: the request methods of
    :class:`~omsclient.rest.VariantsWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    def __init__(self, raw: VariantsWithRawResponse, portal: LoopHandle) -> None:
        self.create = blocking(raw.create, portal)
        """:meth:`Variants.create <omsclient.rest.Variants.create>`, blocking: same arguments; its
        result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.get = blocking(raw.get, portal)
        """:meth:`Variants.get <omsclient.rest.Variants.get>`, blocking: same arguments; its result
        is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.update = blocking(raw.update, portal)
        """:meth:`Variants.update <omsclient.rest.Variants.update>`, blocking: same arguments; its
        result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.delete = blocking(raw.delete, portal)
        """:meth:`Variants.delete <omsclient.rest.Variants.delete>`, blocking: same arguments; its
        result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""


class SyncBatchOrdersWithRawResponse(OfThisProcess):
    """``with_raw_response`` of a blocking ``oms.rest.batch_orders``: the request methods of
    :class:`~omsclient.rest.BatchOrdersWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    def __init__(self, raw: BatchOrdersWithRawResponse, portal: LoopHandle) -> None:
        self.create = blocking(raw.create, portal)
        """:meth:`BatchOrders.create <omsclient.rest.BatchOrders.create>`, blocking: same
        arguments; its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
