"""The ``with_raw_response`` views of the blocking client's ``oms.rest`` resources."""

from __future__ import annotations

from omsclient._blocking import BlockingResource, blocking
from omsclient._with_raw_response import raw_response
from omsclient.rest.batch_orders import BatchOrders
from omsclient.rest.categories import Categories
from omsclient.rest.order_items import OrderItems
from omsclient.rest.orders import Orders
from omsclient.rest.products import Products
from omsclient.rest.variants import Variants

__all__ = [
    "SyncBatchOrdersWithRawResponse",
    "SyncCategoriesWithRawResponse",
    "SyncOrderItemsWithRawResponse",
    "SyncOrdersWithRawResponse",
    "SyncProductsWithRawResponse",
    "SyncVariantsWithRawResponse",
]


class SyncOrdersWithRawResponse(BlockingResource[Orders]):
    """``with_raw_response`` of a blocking ``oms.rest.orders``: the request methods of
    :class:`~omsclient.rest.OrdersWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    create = blocking(raw_response(Orders.create))
    """:meth:`Orders.create <omsclient.rest.Orders.create>`, blocking: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    get = blocking(raw_response(Orders.get))
    """:meth:`Orders.get <omsclient.rest.Orders.get>`, blocking: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    update = blocking(raw_response(Orders.update))
    """:meth:`Orders.update <omsclient.rest.Orders.update>`, blocking: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    delete = blocking(raw_response(Orders.delete))
    """:meth:`Orders.delete <omsclient.rest.Orders.delete>`, blocking: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""


class SyncOrderItemsWithRawResponse(BlockingResource[OrderItems]):
    """``with_raw_response`` of a blocking ``oms.rest.order_items``: the request methods of
    :class:`~omsclient.rest.OrderItemsWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    print_file = blocking(raw_response(OrderItems.print_file))
    """:meth:`OrderItems.print_file <omsclient.rest.OrderItems.print_file>`, blocking: same
    arguments; its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    wait_for_print_file = blocking(raw_response(OrderItems.wait_for_print_file))
    """:meth:`OrderItems.wait_for_print_file <omsclient.rest.OrderItems.wait_for_print_file>`,
    blocking: same arguments; its result is ``.parse()`` of the
    :class:`~omsclient.RawResponse`."""
    wait_for_print_files = blocking(raw_response(OrderItems.wait_for_print_files))
    """:meth:`OrderItems.wait_for_print_files
    <omsclient.rest.OrderItems.wait_for_print_files>`, blocking: same arguments; its result is
    ``.parse()`` of the :class:`~omsclient.RawResponse`."""


class SyncCategoriesWithRawResponse(BlockingResource[Categories]):
    """``with_raw_response`` of a blocking ``oms.rest.categories``: the request methods of
    :class:`~omsclient.rest.CategoriesWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    create = blocking(raw_response(Categories.create))
    """:meth:`Categories.create <omsclient.rest.Categories.create>`, blocking: same arguments;
    its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    get = blocking(raw_response(Categories.get))
    """:meth:`Categories.get <omsclient.rest.Categories.get>`, blocking: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    update = blocking(raw_response(Categories.update))
    """:meth:`Categories.update <omsclient.rest.Categories.update>`, blocking: same arguments;
    its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    delete = blocking(raw_response(Categories.delete))
    """:meth:`Categories.delete <omsclient.rest.Categories.delete>`, blocking: same arguments;
    its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""


class SyncProductsWithRawResponse(BlockingResource[Products]):
    """``with_raw_response`` of a blocking ``oms.rest.products``: the request methods of
    :class:`~omsclient.rest.ProductsWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    create = blocking(raw_response(Products.create))
    """:meth:`Products.create <omsclient.rest.Products.create>`, blocking: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    get = blocking(raw_response(Products.get))
    """:meth:`Products.get <omsclient.rest.Products.get>`, blocking: same arguments; its result
    is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    update = blocking(raw_response(Products.update))
    """:meth:`Products.update <omsclient.rest.Products.update>`, blocking: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    delete = blocking(raw_response(Products.delete))
    """:meth:`Products.delete <omsclient.rest.Products.delete>`, blocking: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""


class SyncVariantsWithRawResponse(BlockingResource[Variants]):
    """``with_raw_response`` of a blocking ``oms.rest.variants``: the request methods of
    :class:`~omsclient.rest.VariantsWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    create = blocking(raw_response(Variants.create))
    """:meth:`Variants.create <omsclient.rest.Variants.create>`, blocking: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    get = blocking(raw_response(Variants.get))
    """:meth:`Variants.get <omsclient.rest.Variants.get>`, blocking: same arguments; its result
    is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    update = blocking(raw_response(Variants.update))
    """:meth:`Variants.update <omsclient.rest.Variants.update>`, blocking: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    delete = blocking(raw_response(Variants.delete))
    """:meth:`Variants.delete <omsclient.rest.Variants.delete>`, blocking: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""


class SyncBatchOrdersWithRawResponse(BlockingResource[BatchOrders]):
    """``with_raw_response`` of a blocking ``oms.rest.batch_orders``: the request methods of
    :class:`~omsclient.rest.BatchOrdersWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    create = blocking(raw_response(BatchOrders.create))
    """:meth:`BatchOrders.create <omsclient.rest.BatchOrders.create>`, blocking: same
    arguments; its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
