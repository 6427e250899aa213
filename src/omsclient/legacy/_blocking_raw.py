"""The ``with_raw_response`` views of the blocking client's ``oms.legacy`` resources."""

from __future__ import annotations

from omsclient._blocking import BlockingResource, blocking
from omsclient._with_raw_response import raw_response
from omsclient.legacy.orders import Orders
from omsclient.legacy.products import Products

__all__ = ["SyncOrdersWithRawResponse", "SyncProductsWithRawResponse"]


class SyncOrdersWithRawResponse(BlockingResource[Orders]):
    """``with_raw_response`` of a blocking ``oms.legacy.orders``: the request methods of
    :class:`~omsclient.legacy.OrdersWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    search = blocking(raw_response(Orders.search))
    """:meth:`Orders.search <omsclient.legacy.Orders.search>`, blocking: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    update_status = blocking(raw_response(Orders.update_status))
    """:meth:`Orders.update_status <omsclient.legacy.Orders.update_status>`, blocking: same
    arguments; its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""


class SyncProductsWithRawResponse(BlockingResource[Products]):
    """``with_raw_response`` of a blocking ``oms.legacy.products``: the request methods of
    :class:`~omsclient.legacy.ProductsWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    search = blocking(raw_response(Products.search))
    """:meth:`Products.search <omsclient.legacy.Products.search>`, blocking: same arguments;
    its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    get = blocking(raw_response(Products.get))
    """:meth:`Products.get <omsclient.legacy.Products.get>`, blocking: same arguments; its
    result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
    get_many = blocking(raw_response(Products.get_many))
    """:meth:`Products.get_many <omsclient.legacy.Products.get_many>`, blocking: same
    arguments; its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
