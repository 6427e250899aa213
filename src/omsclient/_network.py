"""The default transport: httpx and httpcore over a network backend on asyncio's own transports.

httpcore reads sockets through anyio, and that is where most of httpx's CPU for a large answer
goes: each ``read()`` enters an ``anyio.fail_after`` cancel scope (a loop timer), a
``map_exceptions`` context manager, anyio checkpoints and pause / resume toggles, and anyio hands
out each 256 KiB chunk in 64 KiB pieces, copying the rest every time. Reading 612 KB pages from
a local server, that came to about 12.5 µs of client CPU an order, against 8.7 through this
backend and 3 through aiohttp. httpcore takes its network backend as a parameter; this one reads
from an ``asyncio.Protocol`` that buffers what arrives: a read returns buffered bytes at once
and otherwise waits on a plain future, with a loop timer only when there is a timeout. httpx and
httpcore still do all of HTTP, and the pool is still httpcore's, so respx mocks it as before.

It is used only under asyncio, which the SDK runs on (the blocking client too, in its thread).
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from collections import deque
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

__all__ = ["AsyncioBackend", "AsyncioHTTPTransport", "AsyncioStream", "environment_has_proxy"]

# Above this many unread bytes the socket is no longer read, so a huge answer read slowly is not
# held in memory whole; reading resumes once the buffer is down to the low-water mark.
HIGH_WATER = 1024 * 1024
LOW_WATER = 256 * 1024

# httpx's own defaults, for a transport built without limits.
_DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


def _wake(waiter: asyncio.Future[bool] | None, value: bool) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(value)


class _Protocol(asyncio.Protocol):
    """Buffers what arrives and keeps the state the stream reads and writes by."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.offset = 0  # into chunks[0]: handing out a part never copies the rest
        self.buffered = 0
        self.eof = False
        self.lost = False
        self.error: BaseException | None = None
        self.tls = False
        self.reading_paused = False
        self.writing_paused = False
        self.read_waiter: asyncio.Future[bool] | None = None
        self.drain_waiters: list[asyncio.Future[bool]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if type(data) is not bytes:
            data = bytes(data)
        if not data:
            return
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > HIGH_WATER and not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()
        _wake(self.read_waiter, True)

    def eof_received(self) -> bool:
        self.eof = True
        _wake(self.read_waiter, True)
        # Plain TCP stays open to finish sending the request after the server's half-close, as
        # anyio does; asyncio's TLS transports cannot, and log a warning when asked to.
        return not self.tls

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.eof = True
        self.error = exc
        _wake(self.read_waiter, True)
        for waiter in self.drain_waiters:
            _wake(waiter, True)
        self.drain_waiters.clear()

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        for waiter in self.drain_waiters:
            _wake(waiter, True)
        self.drain_waiters.clear()

    def take(self, max_bytes: int) -> bytes:
        """At most ``max_bytes`` of the first buffered chunk (there must be one)."""
        chunk = self.chunks[0]
        start = self.offset
        end = start + max_bytes
        if end >= len(chunk):
            self.chunks.popleft()
            self.offset = 0
            data = chunk[start:] if start else chunk
        else:
            data = chunk[start:end]
            self.offset = end
        self.buffered -= len(data)
        if self.reading_paused and self.buffered <= LOW_WATER:
            self.reading_paused = False
            if not self.lost and self.transport is not None:
                self.transport.resume_reading()
        return data


def _address(value: Any) -> Any:
    # anyio's form, which httpcore's users see: (host, port), with an IPv6 scope in the host.
    if isinstance(value, tuple) and len(value) == 4:
        host, port, _flowinfo, scope_id = value
        return (f"{host}%{scope_id}", port) if scope_id else (host, port)
    return value


def _lost_message(error: BaseException | None, default: str) -> str:
    if error is None:
        return default
    return str(error) or type(error).__name__


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection, on an asyncio transport and a :class:`_Protocol`."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, transport: asyncio.Transport, protocol: _Protocol
    ) -> None:
        self._loop = loop
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.buffered:
            if not protocol.eof:
                await self._wait_for_data(timeout)
            if not protocol.buffered:
                if protocol.error is not None:
                    raise httpcore.ReadError(_lost_message(protocol.error, "")) from protocol.error
                return b""
        return protocol.take(max_bytes)

    async def _wait_for_data(self, timeout: float | None) -> None:
        protocol = self._protocol
        if protocol.read_waiter is not None:
            raise RuntimeError("read() called while another read() is waiting")
        waiter: asyncio.Future[bool] = self._loop.create_future()
        protocol.read_waiter = waiter
        timer = None if timeout is None else self._loop.call_later(timeout, _wake, waiter, False)
        try:
            await waiter
        finally:
            protocol.read_waiter = None
            if timer is not None:
                timer.cancel()
        # Data or an end that came in the same loop turn as the timer still counts.
        if not protocol.buffered and not protocol.eof:
            raise httpcore.ReadTimeout("timed out waiting for data")

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        protocol = self._protocol
        # asyncio drops writes to a lost connection without a word; httpcore must hear of it.
        if protocol.lost or self._transport.is_closing():
            raise httpcore.WriteError(_lost_message(protocol.error, "connection closed"))
        try:
            self._transport.write(buffer)
        except (OSError, RuntimeError) as exc:
            raise httpcore.WriteError(str(exc)) from exc
        if protocol.writing_paused:
            await self._drain(timeout)

    async def _drain(self, timeout: float | None) -> None:
        protocol = self._protocol
        deadline = None if timeout is None else self._loop.time() + timeout
        while protocol.writing_paused and not protocol.lost:
            waiter: asyncio.Future[bool] = self._loop.create_future()
            protocol.drain_waiters.append(waiter)
            timer = None
            if deadline is not None:
                timer = self._loop.call_at(deadline, _wake, waiter, False)
            try:
                woken = await waiter
            finally:
                if waiter in protocol.drain_waiters:
                    protocol.drain_waiters.remove(waiter)
                if timer is not None:
                    timer.cancel()
            if not woken and protocol.writing_paused and not protocol.lost:
                raise httpcore.WriteTimeout("timed out sending data")
        if protocol.lost:
            raise httpcore.WriteError(_lost_message(protocol.error, "connection closed"))

    async def aclose(self) -> None:
        # Not close(): it would first flush what is still unsent (forever, if the server has
        # stopped reading) and, over TLS, wait for the server's close_notify. httpcore closes a
        # connection when it is done with it, and anyio's streams do not wait either.
        self._transport.abort()
        # The socket is closed in a callback of the next loop turn.
        await asyncio.sleep(0)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        protocol = self._protocol
        try:
            tls_transport = await asyncio.wait_for(
                self._loop.start_tls(
                    self._transport,
                    protocol,
                    ssl_context,
                    server_hostname=server_hostname,
                    # asyncio's own handshake limit (60 s by default) fails as a connection
                    # error; keep it beyond ours so a slow handshake is a timeout.
                    ssl_handshake_timeout=None if timeout is None or timeout < 60 else timeout + 1,
                ),
                timeout,
            )
        except asyncio.TimeoutError as exc:
            await self.aclose()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from exc
        except (ssl.SSLError, OSError) as exc:
            await self.aclose()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        except BaseException:
            await self.aclose()
            raise
        if tls_transport is None:  # only when the transport was closed meanwhile
            await self.aclose()
            raise httpcore.ConnectError("connection closed before the TLS handshake")
        assert isinstance(tls_transport, asyncio.Transport)
        # start_tls does not call connection_made again; flow control must go to the TLS layer.
        protocol.transport = tls_transport
        protocol.tls = True
        return AsyncioStream(self._loop, tls_transport, protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # Read while idle, so this is known without a system call: httpcore drops an idle
            # connection that is readable, since that can only be the server closing it.
            return bool(self._protocol.buffered) or self._protocol.eof
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return _address(self._transport.get_extra_info("sockname"))
        if info == "server_addr":
            return _address(self._transport.get_extra_info("peername"))
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on asyncio transports; see the module docstring."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        transport, protocol = await _connect(
            loop.create_connection(
                _Protocol,
                host,
                port,
                local_addr=(local_address, 0) if local_address else None,
                # anyio's default, so hosts with unreachable IPv6 addresses connect as quickly.
                happy_eyeballs_delay=0.25,
            ),
            timeout,
        )
        return await _stream(loop, transport, protocol, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        transport, protocol = await _connect(loop.create_unix_connection(_Protocol, path), timeout)
        return await _stream(loop, transport, protocol, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _connect(connecting: Any, timeout: float | None) -> tuple[asyncio.Transport, _Protocol]:
    try:
        transport, protocol = await asyncio.wait_for(connecting, timeout)
    # Python 3.10's asyncio.TimeoutError is not the builtin TimeoutError (an OSError).
    except asyncio.TimeoutError as exc:
        raise httpcore.ConnectTimeout("timed out connecting") from exc
    except OSError as exc:
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
    assert isinstance(transport, asyncio.Transport)
    assert isinstance(protocol, _Protocol)
    return transport, protocol


async def _stream(
    loop: asyncio.AbstractEventLoop,
    transport: asyncio.Transport,
    protocol: _Protocol,
    socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
) -> AsyncioStream:
    if socket_options:
        sock = transport.get_extra_info("socket")
        try:
            for option in socket_options:
                sock.setsockopt(*option)
        except OSError as exc:
            transport.abort()
            await asyncio.sleep(0)
            raise httpcore.ConnectError(str(exc)) from exc
    return AsyncioStream(loop, transport, protocol)


class AsyncioHTTPTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, with httpcore's pool reading through :class:`AsyncioBackend`."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        trust_env: bool = True,
        limits: httpx.Limits = _DEFAULT_LIMITS,
    ) -> None:
        super().__init__(verify=verify, trust_env=trust_env, limits=limits)
        pool = getattr(self, "_pool", None)
        if not isinstance(pool, httpcore.AsyncConnectionPool):
            return  # an httpx this does not know: its own pool and backend work as they are
        # The context httpx just built, rather than loading the CA bundle a second time.
        ssl_context = getattr(pool, "_ssl_context", None)
        if not isinstance(ssl_context, ssl.SSLContext):
            ssl_context = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=AsyncioBackend(),
        )


def environment_has_proxy() -> bool:
    """Whether the environment names a proxy (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``).

    httpx applies those only to a transport it builds itself.
    """
    proxies = urllib.request.getproxies()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))
