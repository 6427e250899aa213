"""``Client``: the same surface as ``AsyncClient``, blocking, safe to share between threads.

One event loop runs in a background thread (an anyio blocking portal) and owns the
``AsyncClient``; every call from any thread is handed to it. So many threads share one connection
pool and one set of limits, and no thread ever runs an event loop of its own (the source of
"event loop is closed" and "attached to a different loop" errors with async clients called from
sync code).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, Generic, ParamSpec, TypeVar

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from omsclient._client import AsyncClient, LegacyApiNamespace
from omsclient._pagination import Page, PageIterator
from omsclient._retry import RetryPolicy
from omsclient.legacy.orders import Orders
from omsclient.legacy.products import Products

__all__ = ["Client", "SyncPageIterator"]

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")


class SyncPageIterator(Generic[T]):
    """A :class:`~omsclient.PageIterator` (or a stable scan) driven from a blocking caller.

    ``for item in it`` yields rows, ``for page in it.pages()`` yields pages. Leaving the loop early
    (``break``, an exception) stops the fetches in flight. Other attributes of the async iterator
    (``state`` of a scan, ``count()``...) are reachable here too, coroutines made blocking.
    """

    def __init__(self, iterator: Any, portal: BlockingPortal) -> None:
        self._iterator = iterator
        self._portal = portal

    @property
    def total(self) -> int | None:
        """The number of matching rows, once the first page has arrived."""
        return getattr(self._iterator, "total", None)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._iterator, name)
        if inspect.iscoroutinefunction(value):
            return _call(value, self._portal)
        return value

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    def pages(self) -> Iterator[Page[T]]:
        """Iterate page by page, in offset order."""
        pages = self._iterator.pages()
        try:
            while True:
                try:
                    page = self._portal.call(pages.__anext__)
                except StopAsyncIteration:
                    return
                yield page
        finally:
            self._portal.call(pages.aclose)


def _call(method: Callable[P, Awaitable[R]], portal: BlockingPortal) -> Callable[P, R]:
    """``method`` made blocking, with its exact parameters for type checkers."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        return portal.call(functools.partial(method, *args, **kwargs))

    return call


def _iterate(
    method: Callable[P, PageIterator[T]], portal: BlockingPortal
) -> Callable[P, SyncPageIterator[T]]:
    """``method`` returning a blocking iterator over what its async iterator yields."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> SyncPageIterator[T]:
        return SyncPageIterator(method(*args, **kwargs), portal)

    return call


def _scan(
    method: Callable[..., Any], portal: BlockingPortal
) -> Callable[..., SyncPageIterator[Any]]:
    """A ``scan`` method (overloaded, so not typed through) returning a blocking iterator."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> SyncPageIterator[Any]:
        return SyncPageIterator(method(*args, **kwargs), portal)

    return call


class SyncOrders:
    """``oms.legacy.orders`` of the blocking :class:`Client`: the methods of
    :class:`~omsclient.legacy.Orders`, with the same parameters, blocking.

    ``search`` returns a :class:`~omsclient.Page`, ``update_status`` returns when done,
    ``iterate``, ``iterate_raw`` and ``scan`` return a :class:`SyncPageIterator`.
    """

    def __init__(self, orders: Orders, portal: BlockingPortal) -> None:
        self.search = _call(orders.search, portal)
        self.update_status = _call(orders.update_status, portal)
        self.iterate = _iterate(orders.iterate, portal)
        self.iterate_raw = _iterate(orders.iterate_raw, portal)
        self.scan = _scan(orders.scan, portal)


class SyncProducts:
    """``oms.legacy.products`` of the blocking :class:`Client`: the methods of
    :class:`~omsclient.legacy.Products`, with the same parameters, blocking.
    """

    def __init__(self, products: Products, portal: BlockingPortal) -> None:
        self.search = _call(products.search, portal)
        self.get = _call(products.get, portal)
        self.get_many = _call(products.get_many, portal)
        self.iterate = _iterate(products.iterate, portal)
        self.scan = _scan(products.scan, portal)


class SyncLegacy:
    """``oms.legacy`` of the blocking :class:`Client`."""

    def __init__(self, legacy: LegacyApiNamespace, portal: BlockingPortal) -> None:
        self.orders = SyncOrders(legacy.orders, portal)
        """Order search, iteration and status updates, blocking."""
        self.products = SyncProducts(legacy.products, portal)
        """Product search, iteration and lookup by id, blocking."""


class Client:
    """A blocking client with the same arguments and surface as :class:`AsyncClient`.

    ``oms.legacy.orders.search(...)`` returns a :class:`~omsclient.Page`;
    ``oms.legacy.orders.iterate(...)`` returns a :class:`SyncPageIterator`. One instance can be
    shared by many threads: their calls run concurrently on one pool, within one in-flight cap.
    Use it as a context manager or call :meth:`close`.
    """

    def __init__(self, **kwargs: Any) -> None:
        self._portal_cm = start_blocking_portal("asyncio", name="omsclient")
        self._portal = self._portal_cm.__enter__()
        try:
            self._async: AsyncClient = self._portal.call(_make_client, kwargs)
        except BaseException:
            self._portal_cm.__exit__(None, None, None)
            raise
        self._closed = False
        self._attach()

    def _attach(self) -> None:
        self.legacy = SyncLegacy(self._async.legacy, self._portal)
        """The legacy JSON API: ``orders`` and ``products``, blocking."""
        from omsclient._sync_rest import SyncRest  # imports _sync's helpers

        self.rest = SyncRest(self._async.rest, self._portal)
        """The REST OMS API v1, blocking."""

    @property
    def async_client(self) -> AsyncClient:
        """The :class:`AsyncClient` behind this one (it lives on the portal's event loop)."""
        return self._async

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        attempt_deadline: float | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
    ) -> Client:
        """A view with other timeout or retry settings, sharing this client's pool, limits and
        event loop (see ``AsyncClient.with_options``). Closing the view does nothing."""
        view = object.__new__(type(self))
        view._portal_cm = self._portal_cm
        view._portal = self._portal
        view._async = self._async.with_options(
            timeout=timeout, attempt_deadline=attempt_deadline, max_retries=max_retries, retry=retry
        )
        view._closed = True
        view._attach()
        return view

    def close(self) -> None:
        """Close the pool and stop the background event loop."""
        if self._closed:
            return
        self._closed = True
        try:
            self._portal.call(self._async.aclose)
        finally:
            self._portal_cm.__exit__(None, None, None)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return repr(self._async).replace("AsyncClient", "Client", 1)


async def _make_client(kwargs: dict[str, Any]) -> AsyncClient:
    return AsyncClient(**kwargs)
