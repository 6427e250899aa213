"""The ``with_raw_response`` views of the blocking client's ``oms.legacy`` resources."""

from __future__ import annotations

from omsclient._blocking import blocking
from omsclient._loop_thread import LoopHandle
from omsclient._process_bound import OfThisProcess
from omsclient.legacy.orders import OrdersWithRawResponse
from omsclient.legacy.products import ProductsWithRawResponse

__all__ = ["SyncOrdersWithRawResponse", "SyncProductsWithRawResponse"]


class SyncOrdersWithRawResponse(OfThisProcess):
    """``with_raw_response`` of a blocking ``oms.legacy.orders``: the request methods of
    :class:`~omsclient.legacy.OrdersWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    def __init__(self, raw: OrdersWithRawResponse, portal: LoopHandle) -> None:
        self.search = blocking(raw.search, portal)
        """:meth:`Orders.search <omsclient.legacy.Orders.search>`, blocking: same arguments; its
        result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.update_status = blocking(raw.update_status, portal)
        """:meth:`Orders.update_status <omsclient.legacy.Orders.update_status>`, blocking: same
        arguments; its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""


class SyncProductsWithRawResponse(OfThisProcess):
    """``with_raw_response`` of a blocking ``oms.legacy.products``: the request methods of
    :class:`~omsclient.legacy.ProductsWithRawResponse`, with the same parameters, blocking; each
    returns a :class:`~omsclient.RawResponse` of its result."""

    def __init__(self, raw: ProductsWithRawResponse, portal: LoopHandle) -> None:
        self.search = blocking(raw.search, portal)
        """:meth:`Products.search <omsclient.legacy.Products.search>`, blocking: same arguments;
        its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.get = blocking(raw.get, portal)
        """:meth:`Products.get <omsclient.legacy.Products.get>`, blocking: same arguments; its
        result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
        self.get_many = blocking(raw.get_many, portal)
        """:meth:`Products.get_many <omsclient.legacy.Products.get_many>`, blocking: same
        arguments; its result is ``.parse()`` of the :class:`~omsclient.RawResponse`."""
