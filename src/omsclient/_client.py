"""``AsyncClient``: the settings, the session, and the ``legacy`` and ``rest`` namespaces."""

from __future__ import annotations

import os
import ssl
import weakref
from collections.abc import Callable, Mapping
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Any, Literal, TypeVar

import attrs
import httpx

from omsclient._aiohttp_versions import aiohttp_problem
from omsclient._headers import client_headers, merged, secret_values
from omsclient._logging import configure_from_environment
from omsclient._loop_bound import LoopBoundTransport
from omsclient._parts import Part
from omsclient._process_bound import OfThisProcess
from omsclient._proxies import ProxyNames, environment_proxies, proxy_names, proxy_secrets
from omsclient._redact import Redactor, forgets_frames
from omsclient._retry import RetryPolicy, retry_count_problem
from omsclient._session import DEFAULT_MAX_RESPONSE_BYTES, Session
from omsclient._settings import OrderFieldNumbering, Settings
from omsclient._telemetry import import_tracing
from omsclient._throttle import Throttle
from omsclient._tls import certificate_dirs, trusted_context
from omsclient._validate import finite, positive_int, positive_seconds, shown
from omsclient.errors import ConfigurationError
from omsclient.legacy._envelope import LegacyApi
from omsclient.legacy.orders import Orders
from omsclient.legacy.products import Products
from omsclient.rest import RestApi

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "DEFAULT_TIMEOUT", "AsyncClient", "LegacyApiNamespace"]

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
"""60 s to send or read, 10 s to connect; a per-call value comes from ``with_options``."""
DEFAULT_MAX_IN_FLIGHT = 16
"""Requests one client keeps on the wire at once, across every iterator and call."""
MOST_IN_FLIGHT = 10_000

_Self = TypeVar("_Self", bound="AsyncClient")


def _timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, httpx.Timeout):
        for phase in ("connect", "read", "write", "pool"):
            seconds = getattr(value, phase)
            if seconds is not None:
                positive_seconds(seconds, f"timeout.{phase}", ConfigurationError)
        return value
    return httpx.Timeout(positive_seconds(value, "timeout", ConfigurationError))


class LegacyApiNamespace(OfThisProcess):
    """``oms.legacy``: the legacy JSON API (Order and Product Management)."""

    orders = Part(Orders)
    """Order search, iteration and status updates."""
    products = Part(Products)
    """Product search, iteration and lookup by id."""

    def __init__(self, session: Session) -> None:
        api = LegacyApi(session)
        numbering = session.settings.order_field_numbering
        zone = session.settings.legacy_timezone
        self.orders = Orders(api, numbering, zone)
        self.products = Products(api, numbering, zone)


class AsyncClient:
    """An async client for both APIs (asyncio or trio), sharing one connection pool.

    Every argument left out is read from the environment: ``OMS_LEGACY_URL``, ``OMS_USERNAME``,
    ``OMS_PASSWORD``, ``OMS_REST_URL``, ``OMS_API_TOKEN``, ``OMS_STORE_ID``. Only the API you use
    needs its settings; a missing one is reported when you first call that API.

    ``oms.legacy`` (a :class:`LegacyApiNamespace`: ``orders``, ``products``) and ``oms.rest``
    (a :class:`~omsclient.rest.RestApi`) are the two APIs. Use it as an async context manager
    (``async with AsyncClient(...) as oms:``) or call :meth:`aclose`. A ``http_client`` you pass
    in is used as is and left open.

    Args:
        legacy_url: base URL of the legacy API, e.g. ``https://shop.example.com``.
        username, password: legacy API credentials (sent in the POST body, never the URL).
        rest_url: base URL of the REST API.
        api_token: REST API Bearer token.
        store_id: default store for REST calls that need one.
        timeout: seconds (or an ``httpx.Timeout``) for each phase of an attempt (connecting,
            sending, each read); default (and ``None``) 60 s, 10 s to connect;
            ``httpx.Timeout(None)`` for no limit to any phase (the attempt's deadline
            then counts the read as 70 s: see ``attempt_deadline``).
        attempt_deadline: seconds one whole attempt may take, from waiting for a connection
            to the last byte of the answer, so a server dripping bytes cannot stretch a call;
            default: the connect plus the read timeout (70 s by default).
        max_response_bytes: the largest answer body read (default 32 MiB, a hundred large
            orders with room to spare); a larger one is refused while it arrives, with a
            :class:`~omsclient.DecodeError`.
        max_retries: retries after a failed attempt (0 turns retrying off); what is
            retried, and when a write is not, is in ``docs/resilience.md``.
        retry: a full :class:`~omsclient.RetryPolicy`, instead of ``max_retries``.
        max_in_flight: requests on the wire at once across the whole client.
        requests_per_second: optional client-side rate limit.
        order_field_numbering: ``"api"`` (6 = Date Shipped, 7 = Date Invoiced, as the API
            reference says) or ``"blueprint"`` (6 = Date Invoiced, 7 = Date Shipped).
        legacy_timezone: the time zone whose local time the legacy server compares date
            conditions in (``"America/New_York"``), where it does not in UTC as the API
            reference says; every date condition, a scan's, an export's and a sync's too, is
            sent as that zone's wall time. Default: ``OMS_LEGACY_TIMEZONE``, else UTC.
        http_client: an ``httpx.AsyncClient`` to send through (its own transport, proxies...).
        transport: ``"httpx"`` (the default) or ``"aiohttp"``: send through aiohttp behind
            httpx's API (``pip install "omsclient[aiohttp]"``), which reads large answers with
            less CPU; see ``docs/performance.md``. respx cannot mock it; asyncio only.
        default_headers: headers sent with every request (ours win for ``Accept``,
            ``Content-Type`` and ``Authorization``; a ``User-Agent`` goes in front of ours). An
            ``Accept-Encoding`` may accept only gzip, deflate and identity, the codings read
            within ``max_response_bytes``.
        app_name: your application, e.g. ``"shipping-sync/2.1"``, added to the User-Agent.

    Set ``OMS_LOG=debug`` (or ``info``) to see every attempt logged on stderr.

    Raises:
        ConfigurationError: an argument has a bad value (a URL that is not http(s), a
            credential or store id of the wrong type or with a line break, an unknown
            ``legacy_timezone``, a timeout or limit not above 0...), as has an ``OMS_*``
            variable read in its place, or ``OMS_LOG`` (neither ``debug`` nor ``info``);
            ``retry=`` comes with ``max_retries=``, or ``http_client=`` with ``transport=`` or
            its own ``auth``; or, without ``http_client=``, ``SSL_CERT_FILE`` names no file
            (or, without it, ``SSL_CERT_DIR`` no folder), a proxy variable (``HTTPS_PROXY``...)
            for one of the URLs cannot be used, or ``transport="aiohttp"`` lacks its extra.
            A setting left unset is reported at the first call to its API, not here.
    """

    legacy = Part(LegacyApiNamespace)
    """The legacy JSON API: ``orders`` and ``products``."""
    rest = Part(RestApi)
    """The REST OMS API v1."""

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
        configure_from_environment()
        settings = Settings.resolve(
            legacy_url=legacy_url,
            username=username,
            password=password,
            rest_url=rest_url,
            api_token=api_token,
            store_id=store_id,
            order_field_numbering=order_field_numbering,
            legacy_timezone=legacy_timezone,
        )
        # Bounded: a pause's release is spread over it as a float (10**400 is none), and no
        # server takes that many requests at once.
        max_in_flight = positive_int(
            max_in_flight, "max_in_flight", ConfigurationError, most=MOST_IN_FLIGHT
        )
        if requests_per_second is not None and (
            isinstance(requests_per_second, bool)
            or not isinstance(requests_per_second, (int, float))
            or not finite(requests_per_second)
            or requests_per_second <= 0
        ):
            raise ConfigurationError(
                "requests_per_second must be a finite number above 0, or None, "
                f"got {shown(requests_per_second)}"
            )
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise ConfigurationError(
                f"http_client must be an httpx.AsyncClient, got {type(http_client).__name__}"
            )
        if http_client is not None and http_client.auth is not None:
            # It would replace the REST API's Bearer token, or go unused: refused, not ignored.
            raise ConfigurationError(
                "http_client has auth= set: omsclient authenticates every request itself "
                "(form credentials, a Bearer token); a gateway's credentials can go in "
                "default_headers"
            )
        policy = _policy(retry, max_retries)
        headers = client_headers(http_client, default_headers, app_name)
        # A gateway's credentials, in our headers or in those of the caller's http_client, are
        # redacted like the password and the token.
        secrets = [settings.password, settings.api_token, *secret_values(headers)]
        if http_client is not None:
            # Its cookie jar's values too: httpx sends them in a Cookie header of each request.
            secrets += secret_values(http_client.headers)
            secrets += [cookie.value for cookie in http_client.cookies.jar if cookie.value]
        owns_http = http_client is None
        pools: tuple[LoopBoundTransport, ...] = ()
        named_proxies: ProxyNames = {}
        if http_client is None:
            proxies = environment_proxies(
                transport, [url for url in (settings.legacy_url, settings.rest_url) if url]
            )
            named_proxies = proxy_names(proxies)
            secrets += proxy_secrets(proxies)
            limits = httpx.Limits(
                max_connections=max_in_flight, max_keepalive_connections=max_in_flight
            )
            default, mounts = _transports(transport, limits, proxies)
            pools = (default, *(m for m in (mounts or {}).values() if m is not None))
            http_client = httpx.AsyncClient(
                limits=limits,
                follow_redirects=False,
                transport=default,
                mounts=mounts,
                # Both APIs authenticate each request on its own: a session cookie a server
                # sets would only be a credential sent back with every request after it.
                cookies=CookieJar(DefaultCookiePolicy(allowed_domains=())),
            )
        elif transport != "httpx":
            raise ConfigurationError("pass either http_client= or transport=, not both")
        session = Session(
            settings=settings,
            http=http_client,
            throttle=Throttle(max_in_flight=max_in_flight, requests_per_second=requests_per_second),
            redact=Redactor(secrets),
            retry=policy,
            timeout=_timeout(timeout),
            owns_http=owns_http,
            proxies=named_proxies,
            pools=pools,
            headers=headers,
            attempt_deadline=_deadline(attempt_deadline),
            max_response_bytes=positive_int(
                max_response_bytes, "max_response_bytes", ConfigurationError
            ),
        )
        self._init(session)
        # The clients sharing the pool (this one and its with_options views, theirs too) that
        # have not been closed: a view closes the pool only once it is the last of them.
        self._view = False
        self._family: weakref.WeakSet[AsyncClient] = weakref.WeakSet([self])

    def _init(self, session: Session) -> None:
        self._session = session
        self.legacy = LegacyApiNamespace(session)
        self.rest = RestApi(session)

    @property
    def settings(self) -> Settings:
        """The resolved settings (secrets are hidden from its repr)."""
        return self._session.settings

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy of this client."""
        return self._session.retry

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout of each attempt."""
        return self._session.timeout

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
        """A client with other timeout, retry or header settings, sharing this one's pool and
        limits.

        The per-call way to change them::

            await oms.with_options(timeout=5, max_retries=0).legacy.products.get(42)
            await oms.with_options(default_headers={"X-Request-Id": rid}).rest.orders.get(7)

        ``default_headers`` are added to this client's own (a ``User-Agent`` goes in front of
        ours). Closing the view (``aclose()``, ``async with``) leaves the pool to the client it
        came from (see :meth:`aclose`).

        Raises:
            ConfigurationError: a bad value, refused as :class:`AsyncClient` refuses it: a
                ``timeout`` or ``attempt_deadline`` not above 0, a ``max_retries`` below 0,
                ``retry=`` with ``max_retries=``, or ``default_headers`` that are no mapping or
                hold a header no request may carry (a line break, ``Content-Length``).
        """
        policy = self._session.retry
        if retry is not None or max_retries is not None:
            policy = _policy(retry, max_retries, base=policy)
        clone = object.__new__(type(self))
        clone._init(
            self._session.with_options(
                retry=policy,
                timeout=_timeout(timeout) if timeout is not None else None,
                headers=merged(self._session.headers, default_headers),
                attempt_deadline=_deadline(attempt_deadline),
            )
        )
        clone._view, clone._family = True, self._family
        self._family.add(clone)
        return clone

    async def aclose(self) -> None:
        """Close the connection pool (unless it was passed in as ``http_client``).

        Calls still running are cancelled and awaited first, and raise
        :class:`~omsclient.ClientClosedError`, as does every call made afterwards. A deadline
        around ``aclose()`` (``anyio.fail_after``, ``asyncio.timeout``) ends that wait; the
        pool is closed either way. On a ``with_options`` view, does nothing while another
        client sharing the pool is still there and not closed (the client it came from, another
        view), as on the blocking ``Client``'s: ``async with oms.with_options(...) as quick:``
        would otherwise close that client, cancelling its calls in other tasks. The last view
        of a client that is gone (``AsyncClient(...).with_options(...)``) closes the pool, which
        nothing else would.
        """
        self._family.discard(self)
        if not self._view or not self._family:
            try:
                await self._session.lifecycle.close(self._session.aclose)
            except ConfigurationError:
                # Refused (calls in flight on another loop), nothing closed: still open, so
                # a view's close must not take it for gone.
                self._family.add(self)
                raise

    async def __aenter__(self: _Self) -> _Self:
        # A closed client's block would fail at its first call: the block's start says why.
        self._session.lifecycle.refuse_if_closed("async with")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __reduce__(self) -> str | tuple[Any, ...]:
        # copy.copy() would make a second owner of the pool (closing it closes this client), and
        # a process pool's pickling would name a lock deep inside.
        raise TypeError(
            "an AsyncClient cannot be pickled or copied: its connection pool belongs to this "
            "client in this process. For other settings use with_options(); in another process "
            "(multiprocessing, a process pool), create one there"
        )

    def __repr__(self) -> str:
        s = self._session.settings
        return (
            f"AsyncClient(legacy_url={s.legacy_url!r}, username={s.username!r}, "
            f"rest_url={s.rest_url!r}, store_id={s.store_id!r})"
        )


def _transports(
    name: str, limits: httpx.Limits, proxies: dict[str, httpx.Proxy | None]
) -> tuple[LoopBoundTransport, dict[str, LoopBoundTransport | None]]:
    """The transport ``transport=`` names and the proxy mounts, one pool per event loop each
    (see ``_loop_bound``).

    httpx applies ``HTTP(S)_PROXY``/``ALL_PROXY``/``NO_PROXY`` only to transports it builds
    itself, which would each stay with their first event loop, and aiohttp's session ignores
    them; so the same mounts are built here, from the ``proxies`` the environment names, for
    either transport, each proxy's pool bound to its loop.
    """
    _check_certificates()
    # What the first request imports, imported here, in the thread making the client, not in a
    # loop thread at the first request, where a process forked meanwhile would find the module
    # half imported (its import lock held for ever): asyncio's executor for looking up a host
    # name, the IDNA codec (aiohttp's TLS), certifi and the resource readers its first where()
    # imports for the first TLS context, OpenTelemetry when it is installed, and httpcore for
    # httpx's first transport.
    import concurrent.futures.thread  # noqa: F401
    import encodings.idna  # noqa: F401

    import certifi

    certifi.where()
    import_tracing()
    make: Callable[[httpx.Proxy | None], Callable[[], httpx.AsyncBaseTransport]]
    if name == "httpx":
        # httpcore with it, which httpx imports only for its first transport.
        from omsclient._network import direct_transport

        def make(proxy: httpx.Proxy | None) -> Callable[[], httpx.AsyncBaseTransport]:
            if proxy is None:
                return lambda: direct_transport(limits, trusted_context())
            return lambda: httpx.AsyncHTTPTransport(
                limits=limits, verify=trusted_context(), proxy=proxy
            )

    elif name == "aiohttp":
        problem = aiohttp_problem()
        if problem is not None:
            raise ConfigurationError(problem)
        try:
            from omsclient._aiohttp import AiohttpTransport
        except ImportError as exc:
            raise ConfigurationError(
                'transport="aiohttp" needs httpx-aiohttp: pip install "omsclient[aiohttp]"'
            ) from exc

        def make(proxy: httpx.Proxy | None) -> Callable[[], httpx.AsyncBaseTransport]:
            # The shared context, as httpx's pools have: httpx-aiohttp makes one of its own
            # otherwise, loading the certificates again for each client and event loop.
            return lambda: AiohttpTransport(limits=limits, proxy=proxy, verify=trusted_context())

    else:
        raise ConfigurationError(f'transport must be "httpx" or "aiohttp", got {shown(name)}')
    mounts: dict[str, LoopBoundTransport | None] = {
        pattern: None if proxy is None else LoopBoundTransport(make(proxy))
        for pattern, proxy in proxies.items()
    }
    return LoopBoundTransport(make(None)), mounts


def _check_certificates() -> None:
    """Refuse an ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` that names nothing: the certificates
    to trust are read from it, when a pool is first made (httpx would fail every request with
    a ``FileNotFoundError``, aiohttp with a certificate no CA vouches for)."""
    for variable, exists in (("SSL_CERT_FILE", os.path.isfile), ("SSL_CERT_DIR", _lists_a_dir)):
        path = os.environ.get(variable)
        if path:
            if not exists(path):
                kind = "file" if variable == "SSL_CERT_FILE" else "directory"
                raise ConfigurationError(
                    f"{variable} names {path!r}, which is no {kind}: the certificates to "
                    "trust are read from it"
                )
            if variable == "SSL_CERT_FILE":
                try:
                    # Loaded once for every client: the context their pools use.
                    trusted_context()
                except ssl.SSLError as exc:
                    # Found at every request, as a bare ssl.SSLError naming neither.
                    raise ConfigurationError(
                        f"{variable} names {path!r}, which holds no certificate to trust "
                        f"({exc.reason or exc})"
                    ) from None
            return  # httpx reads SSL_CERT_DIR only when SSL_CERT_FILE is not set


def _lists_a_dir(paths: str) -> bool:
    """Whether a directory ``SSL_CERT_DIR`` lists is one: OpenSSL skips those that are not
    (a list naming an optional one, as images do), and reads the others."""
    return any(os.path.isdir(path) for path in certificate_dirs(paths))


def _deadline(value: float | None) -> float | None:
    return (
        None if value is None else positive_seconds(value, "attempt_deadline", ConfigurationError)
    )


def _policy(
    retry: RetryPolicy | None, max_retries: int | None, base: RetryPolicy | None = None
) -> RetryPolicy:
    if retry is not None and max_retries is not None:
        raise ConfigurationError("pass either retry= or max_retries=, not both")
    if retry is not None:
        if not isinstance(retry, RetryPolicy):
            raise ConfigurationError(f"retry must be a RetryPolicy, got {shown(retry)}")
        return retry
    base = base or RetryPolicy()
    if max_retries is None:
        return base
    problem = retry_count_problem(max_retries, "max_retries")
    if problem is not None:
        raise ConfigurationError(problem)
    return attrs.evolve(base, max_retries=max_retries)
