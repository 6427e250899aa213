"""``Client``: the same surface as ``AsyncClient``, blocking, safe to share between threads.

One event loop runs in a background daemon thread (:mod:`omsclient._loop_thread`) and owns the
``AsyncClient``; every call from any thread is handed to it. So many threads share one connection
pool and one set of limits, and no thread ever runs an event loop of its own (the source of
"event loop is closed" and "attached to a different loop" errors with async clients called from
sync code).
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Literal, TypeVar, overload

import httpx

from omsclient._blocking import (
    BlockingResource,
    SyncPageIterator,
    blocking,
    blocking_doc,
    blocking_iterator,
)
from omsclient._client import DEFAULT_MAX_IN_FLIGHT, AsyncClient, LegacyApiNamespace
from omsclient._loop_thread import LoopHandle, LoopThread
from omsclient._parts import Part
from omsclient._process_bound import OfThisProcess
from omsclient._redact import forgets_frames
from omsclient._retry import RetryPolicy
from omsclient._session import DEFAULT_MAX_RESPONSE_BYTES
from omsclient._settings import OrderFieldNumbering, Settings
from omsclient._sync_rest import SyncRest
from omsclient._sync_scan import SyncOrderScan, SyncProductScan
from omsclient.legacy._blocking_raw import SyncOrdersWithRawResponse, SyncProductsWithRawResponse
from omsclient.legacy._conditions import Condition, DateLike
from omsclient.legacy._product_scan import ProductScanState
from omsclient.legacy._scan_state import ScanState
from omsclient.legacy._sent import SentOrder
from omsclient.legacy.models import Order
from omsclient.legacy.orders import Orders
from omsclient.legacy.products import Products

__all__ = ["Client", "SyncPageIterator"]

T = TypeVar("T")
_Self = TypeVar("_Self", bound="Client")


class SyncOrders(BlockingResource[Orders]):
    """``oms.legacy.orders`` of the blocking :class:`Client`: the methods of
    :class:`~omsclient.legacy.Orders`, with the same parameters, blocking.

    ``search`` returns a :class:`~omsclient.Page`, ``update_status`` a
    :class:`~omsclient.legacy.StatusUpdate`, ``iterate`` and ``iterate_raw`` return a
    :class:`SyncPageIterator`, ``scan`` a :class:`SyncOrderScan`.
    """

    search = blocking(Orders.search)
    """:meth:`Orders.search <omsclient.legacy.Orders.search>`, blocking: same arguments,
    same :class:`~omsclient.Page`."""
    update_status = blocking(Orders.update_status)
    """:meth:`Orders.update_status <omsclient.legacy.Orders.update_status>`, blocking:
    same arguments, same :class:`~omsclient.legacy.StatusUpdate`."""
    iterate = blocking_iterator(Orders.iterate)
    """:meth:`Orders.iterate <omsclient.legacy.Orders.iterate>`, blocking: same
    arguments; a :class:`SyncPageIterator` to read with ``for``."""
    iterate_raw = blocking_iterator(Orders.iterate_raw)
    """:meth:`Orders.iterate_raw <omsclient.legacy.Orders.iterate_raw>`, blocking: same
    arguments; a :class:`SyncPageIterator` to read with ``for``."""
    with_raw_response = Part(SyncOrdersWithRawResponse)
    """``search`` and ``update_status`` returning a :class:`~omsclient.RawResponse`: a
    :class:`~omsclient.legacy.SyncOrdersWithRawResponse`."""

    def __init__(self, orders: Orders, portal: LoopHandle) -> None:
        super().__init__(orders, portal)
        self.with_raw_response = SyncOrdersWithRawResponse(orders, portal)

    @overload
    def scan(
        self,
        *conditions: Condition,
        since: DateLike | None = ...,
        until: DateLike | None = ...,
        windows: int = ...,
        raw: Literal[False] = ...,
        state: ScanState | None = ...,
        include_workflow_data: bool = ...,
        include_po_data: bool = ...,
        include_shipments: bool = ...,
        include_production_file_info: bool = ...,
        include_login_tokens: bool = ...,
    ) -> SyncOrderScan[Order]: ...

    @overload
    def scan(
        self,
        *conditions: Condition,
        since: DateLike | None = ...,
        until: DateLike | None = ...,
        windows: int = ...,
        raw: Literal[True],
        state: ScanState | None = ...,
        include_workflow_data: bool = ...,
        include_po_data: bool = ...,
        include_shipments: bool = ...,
        include_production_file_info: bool = ...,
        include_login_tokens: bool = ...,
    ) -> SyncOrderScan[dict[str, Any]]: ...

    @overload
    def scan(
        self,
        *conditions: Condition,
        since: DateLike | None = ...,
        until: DateLike | None = ...,
        windows: int = ...,
        raw: Literal["sent"],
        state: ScanState | None = ...,
        include_workflow_data: bool = ...,
        include_po_data: bool = ...,
        include_shipments: bool = ...,
        include_production_file_info: bool = ...,
        include_login_tokens: bool = ...,
    ) -> SyncOrderScan[SentOrder]: ...

    @overload
    def scan(
        self,
        *conditions: Condition,
        since: DateLike | None = ...,
        until: DateLike | None = ...,
        windows: int = ...,
        raw: bool | Literal["sent"],
        state: ScanState | None = ...,
        include_workflow_data: bool = ...,
        include_po_data: bool = ...,
        include_shipments: bool = ...,
        include_production_file_info: bool = ...,
        include_login_tokens: bool = ...,
    ) -> SyncOrderScan[Order] | SyncOrderScan[dict[str, Any]] | SyncOrderScan[SentOrder]: ...

    def scan(
        self,
        *conditions: Condition,
        since: DateLike | None = None,
        until: DateLike | None = None,
        windows: int = 1,
        raw: bool | Literal["sent"] = False,
        state: ScanState | None = None,
        include_workflow_data: bool = False,
        include_po_data: bool = False,
        include_shipments: bool = False,
        include_production_file_info: bool = False,
        include_login_tokens: bool = False,
    ) -> SyncOrderScan[Order] | SyncOrderScan[dict[str, Any]] | SyncOrderScan[SentOrder]:
        """:meth:`Orders.scan <omsclient.legacy.Orders.scan>`, blocking: same arguments."""
        scan = self._async.scan(
            *conditions,
            since=since,
            until=until,
            windows=windows,
            raw=raw,
            state=state,
            include_workflow_data=include_workflow_data,
            include_po_data=include_po_data,
            include_shipments=include_shipments,
            include_production_file_info=include_production_file_info,
            include_login_tokens=include_login_tokens,
        )
        return SyncOrderScan[Any](scan, self._loop)


class SyncProducts(BlockingResource[Products]):
    """``oms.legacy.products`` of the blocking :class:`Client`: the methods of
    :class:`~omsclient.legacy.Products`, with the same parameters, blocking.
    """

    search = blocking(Products.search)
    """:meth:`Products.search <omsclient.legacy.Products.search>`, blocking: same
    arguments, same :class:`~omsclient.Page`."""
    get = blocking(Products.get)
    """:meth:`Products.get <omsclient.legacy.Products.get>`, blocking: same arguments,
    same result."""
    get_many = blocking(Products.get_many)
    """:meth:`Products.get_many <omsclient.legacy.Products.get_many>`, blocking: same
    arguments, same result."""
    iterate = blocking_iterator(Products.iterate)
    """:meth:`Products.iterate <omsclient.legacy.Products.iterate>`, blocking: same
    arguments; a :class:`SyncPageIterator` to read with ``for``."""
    with_raw_response = Part(SyncProductsWithRawResponse)
    """``search``, ``get`` and ``get_many`` returning a :class:`~omsclient.RawResponse`: a
    :class:`~omsclient.legacy.SyncProductsWithRawResponse`."""

    def __init__(self, products: Products, portal: LoopHandle) -> None:
        super().__init__(products, portal)
        self.with_raw_response = SyncProductsWithRawResponse(products, portal)

    def scan(
        self, *conditions: Condition, state: ProductScanState | None = None
    ) -> SyncProductScan:
        """:meth:`Products.scan <omsclient.legacy.Products.scan>`, blocking."""
        return SyncProductScan(self._async.scan(*conditions, state=state), self._loop)


# help() gives the async method's documentation, as for every other blocking method (the
# docstrings above are the reference's, which links to it).
SyncOrders.scan.__doc__ = blocking_doc(Orders.scan, "a ``SyncOrderScan`` to read with ``for``")
SyncProducts.scan.__doc__ = blocking_doc(
    Products.scan, "a ``SyncProductScan`` to read with ``for``"
)


class SyncLegacy(OfThisProcess):
    """``oms.legacy`` of the blocking :class:`Client`."""

    orders = Part(SyncOrders)
    """Order search, iteration and status updates, blocking."""
    products = Part(SyncProducts)
    """Product search, iteration and lookup by id, blocking."""

    def __init__(self, legacy: LegacyApiNamespace, portal: LoopHandle) -> None:
        self.orders = SyncOrders(legacy.orders, portal)
        self.products = SyncProducts(legacy.products, portal)


class Client:
    """A blocking client with the same arguments and surface as :class:`AsyncClient`.

    ``oms.legacy`` (a :class:`SyncLegacy`: ``orders``, ``products``) and ``oms.rest`` (a
    :class:`SyncRest`) are the two APIs, blocking.
    ``oms.legacy.orders.search(...)`` returns a :class:`~omsclient.Page`;
    ``oms.legacy.orders.iterate(...)`` returns a :class:`SyncPageIterator`. One instance can be
    shared by many threads: their calls run concurrently on one pool, within one in-flight cap.
    Use it as a context manager or call :meth:`close`.

    Its arguments are those of :class:`AsyncClient`, described there.
    """

    legacy = Part(SyncLegacy)
    """The legacy JSON API: ``orders`` and ``products``, blocking."""
    rest = Part(SyncRest)
    """The REST OMS API v1, blocking."""

    # AsyncClient's parameters written out again, so that the reference and editors show them
    # (tests check that they stay the same).
    @forgets_frames
    def __init__(
        self,
        *,
        legacy_url: str | None = None,
        username: str | None = None,
        password: str | None = None,
        rest_url: str | None = None,
        api_token: str | None = None,
        store_id: str | int | None = None,
        timeout: float | httpx.Timeout | None = None,
        attempt_deadline: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        requests_per_second: float | None = None,
        order_field_numbering: OrderFieldNumbering = "api",
        legacy_timezone: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: Literal["httpx", "aiohttp"] = "httpx",
        default_headers: Mapping[str, str] | None = None,
        app_name: str | None = None,
    ) -> None:
        options: dict[str, Any] = dict(
            legacy_url=legacy_url,
            username=username,
            password=password,
            rest_url=rest_url,
            api_token=api_token,
            store_id=store_id,
            timeout=timeout,
            attempt_deadline=attempt_deadline,
            max_response_bytes=max_response_bytes,
            max_retries=max_retries,
            retry=retry,
            max_in_flight=max_in_flight,
            requests_per_second=requests_per_second,
            order_field_numbering=order_field_numbering,
            legacy_timezone=legacy_timezone,
            http_client=http_client,
            transport=transport,
            default_headers=default_headers,
            app_name=app_name,
        )
        loop = LoopThread("omsclient")
        made: AsyncClient | None = None
        try:
            made = loop.call(functools.partial(_make_client, options), "Client")
            self._async: AsyncClient = made
            self._loop = LoopHandle(loop)
            # A client nobody closes is closed when collected, or at exit at the latest: the
            # loop's thread is a daemon, so it never holds the interpreter back either way.
            # "Collected" means its handle: views, namespaces, methods, iterators and scans hold
            # it too, so ``Client(...).with_options(...)`` or ``Client(...).legacy.orders``
            # stays open while it is used, and is closed once the last of them is dropped.
            self._finalizer: weakref.finalize[Any, Any] = weakref.finalize(
                self._loop, _close, loop, made
            )
            # This client and its views, as AsyncClient's family: the last one closed of a
            # client that is gone closes it.
            self._family: weakref.WeakSet[Client] = weakref.WeakSet([self])
            self._view = False
        except BaseException:
            # The same dict as the one the loop's frames (coroutines, which cannot be cleared)
            # and partials hold: emptied, none of them keeps the password or the token. This
            # frame's own variables are cleared by forgets_frames. Until the finalizer exists
            # (a Ctrl-C may come at any line), nothing else would ever stop the loop.
            options.clear()
            loop.close(_nothing if made is None else functools.partial(_close_all, made))
            raise
        self._attach()

    def _attach(self) -> None:
        self.legacy = SyncLegacy(self._async.legacy, self._loop)
        self.rest = SyncRest(self._async.rest, self._loop)

    @property
    def settings(self) -> Settings:
        """The resolved settings (secrets are hidden from its repr), as ``AsyncClient``'s."""
        return self._async.settings

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy of this client."""
        return self._async.retry_policy

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout of each attempt."""
        return self._async.timeout

    @property
    def async_client(self) -> AsyncClient:
        """The :class:`AsyncClient` behind this one (it lives on the client's event loop thread;
        use it there only, e.g. through :meth:`run`)."""
        return self._async

    def run(self, func: Callable[[AsyncClient], Awaitable[T]]) -> T:
        """Run ``await func(async_client)`` on this client's event loop and return the result.

        For async code written against :class:`AsyncClient`, from blocking code::

            summary = oms.run(lambda a: export_orders(a, "orders.jsonl"))

        Raises:
            ClientClosedError: the client is closed.
            TypeError: ``func`` is not callable (a coroutine made beforehand, say).
        """
        if not callable(func):
            hint = ": pass a function that makes the coroutine" if inspect.iscoroutine(func) else ""
            raise TypeError(
                "run() takes a function called with the AsyncClient, such as "
                f"lambda a: a.legacy.orders.search(...), not {type(func).__name__}{hint}"
            )
        return self._call(func, "run")

    def _call(self, func: Callable[[AsyncClient], Awaitable[T]], operation: str) -> T:
        """:meth:`run`, its errors naming ``operation`` (``"export_orders"``)."""
        return self._loop.call(functools.partial(func, self._async), operation)

    @forgets_frames
    def with_options(
        self: _Self,
        *,
        timeout: float | httpx.Timeout | None = None,
        attempt_deadline: float | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> _Self:
        """A view with other timeout, retry or header settings, sharing this client's pool,
        limits and event loop (see ``AsyncClient.with_options``). Closing the view does nothing
        while the client it came from, or another view of it, is there and not closed; the
        last one of a client that is gone (``with Client(...).with_options(...) as oms:``)
        closes the client."""
        view = object.__new__(type(self))
        # The same handle: the view keeps the client open even if it outlives this object
        # (``Client(...).with_options(...)``).
        view._loop = self._loop
        view._finalizer, view._family, view._view = self._finalizer, self._family, True
        self._family.add(view)
        view._async = self._async.with_options(
            timeout=timeout,
            attempt_deadline=attempt_deadline,
            max_retries=max_retries,
            retry=retry,
            default_headers=default_headers,
        )
        view._attach()
        return view

    def close(self) -> None:
        """Close the pool and stop the background event loop.

        Calls still running in other threads raise :class:`~omsclient.ClientClosedError`, as
        does every call made afterwards. A Ctrl-C interrupts the waiting, not the close, which
        goes on; a later close() waits for it. Called from code on the client's own event loop
        (a progress callback, ``run()`` code), it returns at once, and a close that then fails
        is logged at warning level by the ``omsclient`` logger. On a :meth:`with_options`
        view, does nothing while another of the client's is there and not closed.

        Raises:
            TimeoutError: the client was not closed within 10 seconds (code running on its loop,
                such as a progress callback, has not returned); its daemon thread is left.
        """
        self._family.discard(self)
        if not self._view or not self._family:
            self._finalizer()
            # The finalizer runs once: a second close() (another thread's, a progress callback's)
            # returns from it at once. Returning only when the close is over means, for every
            # caller, that the calls have stopped and the thread and its sockets are released.
            self._loop.loop.wait_closed(_CLOSE_TIMEOUT)

    def __enter__(self: _Self) -> _Self:
        # A closed client's block would fail at its first call: the block's start says why.
        self._loop.loop.refuse_if_closed("with")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __reduce__(self) -> str | tuple[Any, ...]:
        # A process pool that spawns its workers pickles each job's arguments; without this
        # the error would name a lock deep inside the client.
        raise TypeError(
            "a Client cannot be pickled or copied: its connections and event loop thread belong "
            "to this process. To use one in another process (multiprocessing, a process pool), "
            "create a Client in the process that uses it, e.g. in the pool's initializer"
        )

    def __repr__(self) -> str:
        return repr(self._async).replace("AsyncClient", "Client", 1)


async def _make_client(kwargs: dict[str, Any]) -> AsyncClient:
    return AsyncClient(**kwargs)


async def _nothing() -> None:
    pass


_CLOSE_TIMEOUT = 10.0
"""How long close(), and the close at interpreter exit, wait for the client to close: neither a
stuck server nor code holding the client's loop (a progress callback that never returns) may
hang the process."""


def _close(loop: LoopThread, client: AsyncClient) -> None:
    loop.close(
        functools.partial(_close_all, client), timeout=_CLOSE_TIMEOUT, redact=client._session.redact
    )


async def _close_all(client: AsyncClient) -> None:
    await client.aclose()
    if not client._session.owns_http:
        # The caller's http_client holds connections of this client's loop, which stops now:
        # nothing could close them later, nor use them.
        await client._session.http.aclose()
