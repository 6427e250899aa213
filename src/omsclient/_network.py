"""The default transport's network backend: httpcore over asyncio's streams.

httpcore reads sockets through anyio, and over TLS anyio hands out one TLS record (16 KiB at
most) a read: about forty reads for a 612 KB page of orders, each through httpcore's exception
mapping, an anyio cancel scope and h11, which cost more CPU than decrypting the record.
asyncio's streams decrypt what has arrived as it arrives, and a read takes up to httpcore's
64 KiB of it at once: about ten reads a page. asyncio does the sockets, TLS and flow control,
aiohappyeyeballs (aiohttp's) races a host's addresses to connect; httpx and httpcore still do
HTTP and the pool, so respx mocks the client as before.

It runs under asyncio on Python 3.11 and later (``StreamWriter.start_tls`` is 3.11's); under
trio it hands each connection to httpcore's own backend, and on 3.10 the pool keeps httpcore's
backend (:func:`direct_transport`).
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import aiohappyeyeballs
import httpcore
import httpx
import sniffio
from httpcore import SOCKET_OPTION

__all__ = ["BUFFER_LIMIT", "AsyncioBackend", "AsyncioStream", "direct_transport"]

BUFFER_LIMIT = 256 * 1024
"""What a connection's stream buffers before asyncio stops reading its socket: twice this.
Reading resumes once httpcore has taken the buffer down to this."""

if sys.version_info >= (3, 11):
    from asyncio import timeout as _within
else:  # pragma: no cover - direct_transport uses the backend on 3.11 and later only

    def _within(delay: float | None) -> Any:
        raise RuntimeError("omsclient's network backend needs Python 3.11")


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection: an asyncio stream reader and writer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Up to ``max_bytes`` of what has arrived, waiting for some; ``b""`` at the end."""
        try:
            async with _within(timeout):
                return await self._reader.read(max_bytes)
        # Before OSError, of which the builtin TimeoutError is one.
        except TimeoutError as exc:
            raise httpcore.ReadTimeout("timed out waiting for data") from exc
        except OSError as exc:  # a reset connection, a TLS error (ssl.SSLError)
            raise httpcore.ReadError(_reason(exc)) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Send ``buffer``, waiting while the socket's buffers are full."""
        if not buffer:
            return
        # asyncio drops what is written to a closed connection without a word.
        if self._writer.is_closing():
            raise httpcore.WriteError("connection closed")
        try:
            async with _within(timeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout("timed out sending data") from exc
        except (OSError, RuntimeError) as exc:
            raise httpcore.WriteError(_reason(exc)) from exc

    async def aclose(self) -> None:
        """Close the connection at once."""
        # Not close(): it would first flush what is still unsent (for ever, if the server has
        # stopped reading) and, over TLS, wait for the server's close_notify. httpcore closes a
        # connection when it is done with it, and anyio's streams do not wait either.
        self._writer.transport.abort()
        # The socket is closed in a callback of the next loop turn.
        await asyncio.sleep(0)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Make this connection a TLS one (the handshake within ``timeout``); this stream."""
        try:
            async with _within(timeout):
                if sys.version_info >= (3, 11):
                    await self._writer.start_tls(
                        ssl_context,
                        server_hostname=server_hostname,
                        # asyncio's own handshake limit (60 s) fails as a connection error; keep
                        # it beyond ours so that a slow handshake is a timeout.
                        ssl_handshake_timeout=(
                            None if timeout is None or timeout < 60 else timeout + 1
                        ),
                    )
        except TimeoutError as exc:
            await self.aclose()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from exc
        except OSError as exc:  # ssl.SSLError among them: an untrusted certificate, say
            await self.aclose()
            raise httpcore.ConnectError(_reason(exc)) from exc
        except BaseException:
            await self.aclose()
            raise
        return self

    def get_extra_info(self, info: str) -> Any:
        """What httpcore asks of a connection: ``"is_readable"`` (whether an idle connection
        has something to read, so the server closed it), ``"ssl_object"``, the addresses and
        the socket."""
        if info == "is_readable":
            # The stream reads while idle, so what arrived is in its buffer, not the socket's:
            # an idle connection with something to read is one the server closed, reset or
            # sent what it should not, which httpcore drops instead of sending on it. Python's
            # StreamReader names no count of what it holds; its buffer is the place.
            reader = self._reader
            return (
                reader.at_eof()
                or reader.exception() is not None
                or self._writer.is_closing()
                or bool(getattr(reader, "_buffer", b""))
            )
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return _address(self._writer.get_extra_info("sockname"))
        if info == "server_addr":
            return _address(self._writer.get_extra_info("peername"))
        if info == "socket":
            return self._writer.get_extra_info("socket")
        return None


def _address(value: Any) -> Any:
    # anyio's form, which httpcore's users see: (host, port), with an IPv6 scope in the host.
    if isinstance(value, tuple) and len(value) == 4:
        host, port, _flowinfo, scope_id = value
        return (f"{host}%{scope_id}", port) if scope_id else (host, port)
    return value


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on asyncio's streams; see the module docstring."""

    def __init__(self) -> None:
        self._trio: httpcore.AsyncNetworkBackend | None = None

    def _other(self) -> httpcore.AsyncNetworkBackend | None:
        """httpcore's own backend when not under asyncio (under trio), else None."""
        if sniffio.current_async_library() == "asyncio":
            return None
        if self._trio is None:
            self._trio = httpcore.TrioBackend()
        return self._trio

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """A connection to ``host``:``port``."""
        other = self._other()
        if other is not None:
            return await other.connect_tcp(host, port, timeout, local_address, socket_options)
        loop = asyncio.get_running_loop()

        async def connect(protocol: Callable[[], asyncio.BaseProtocol]) -> Any:
            # Not create_connection(host, port, happy_eyeballs_delay=...): asyncio's race drops
            # the socket of an attempt that connected in the turn the connect was cancelled,
            # unclosed. aiohappyeyeballs (aiohttp's) closes every socket it does not return.
            addresses = await _addresses(loop, host, port)
            local = await _addresses(loop, local_address, 0) if local_address else None
            sock = await aiohappyeyeballs.start_connection(
                addresses,
                local_addr_infos=local,
                # anyio's default, so hosts with unreachable IPv6 addresses connect as quickly.
                happy_eyeballs_delay=0.25,
            )
            try:
                return await loop.create_connection(protocol, sock=sock)
            except BaseException:
                sock.close()
                raise

        return await _connected(connect, timeout, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """A connection to the Unix socket at ``path``."""
        other = self._other()
        if other is not None:
            return await other.connect_unix_socket(path, timeout, socket_options)
        loop = asyncio.get_running_loop()

        def connect(protocol: Callable[[], asyncio.BaseProtocol]) -> Awaitable[Any]:
            return loop.create_unix_connection(protocol, path)

        return await _connected(connect, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds``."""
        other = self._other()
        await (asyncio.sleep(seconds) if other is None else other.sleep(seconds))


async def _addresses(
    loop: asyncio.AbstractEventLoop, host: str, port: int
) -> Sequence[aiohappyeyeballs.AddrInfoType]:
    """Where to connect to ``host``:``port``: an IP address as it is, without the resolver's
    thread (as ``create_connection`` does; a quarter of a millisecond a connection), a name
    from the resolver in the loop's executor."""
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:  # a name
        return await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)


class _Reader(asyncio.StreamReader):
    """asyncio's stream reader, handing out what arrived before the connection failed, then
    the failure.

    asyncio's raises a reset as soon as it comes, over what it holds already: a server that
    answers a large request early (a 429, a 401, a 413) and closes the connection with the
    body unread makes its kernel reset it, and the answer, received whole, was lost for a
    ``ReadError`` (a write that "may have been applied", where the status says it was not).
    """

    _failed: BaseException | None = None

    def set_exception(self, exc: BaseException) -> None:
        self._failed = exc
        self.feed_eof()

    async def read(self, n: int = -1) -> bytes:
        data = await super().read(n)
        if not data and self._failed is not None:
            raise self._failed
        return data


class _Writer(asyncio.StreamWriter):
    """asyncio's stream writer, which leaves its connection alone in a forked child."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._made_in = os.getpid()

    def __del__(self) -> None:
        # Collected unclosed, asyncio's writer closes its connection, which takes the socket out
        # of the event loop's epoll instance. In a child forked while the connection was open
        # (its exit collects what it copied), that instance is the parent's, whose loop would
        # never hear of that connection's answers again: the connection is the parent's.
        if os.getpid() == self._made_in:
            close = getattr(super(), "__del__", None)  # from Python 3.11.3
            if close is not None:
                close()


async def _connected(
    connect: Callable[[Callable[[], asyncio.BaseProtocol]], Awaitable[Any]],
    timeout: float | None,
    socket_options: Iterable[SOCKET_OPTION] | None,
) -> AsyncioStream:
    """The stream of the connection ``connect(protocol_factory)`` makes: what
    ``asyncio.open_connection`` does, with :class:`_Writer`."""
    loop = asyncio.get_running_loop()
    reader = _Reader(limit=BUFFER_LIMIT, loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    try:
        async with _within(timeout):
            transport, _ = await connect(lambda: protocol)
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout("timed out connecting") from exc
    except OSError as exc:
        raise httpcore.ConnectError(_reason(exc)) from exc
    writer = _Writer(transport, protocol, reader, loop)
    stream = AsyncioStream(reader, writer)
    if socket_options:
        sock = writer.get_extra_info("socket")
        try:
            for option in socket_options:
                sock.setsockopt(*option)
        except OSError as exc:
            await stream.aclose()
            raise httpcore.ConnectError(_reason(exc)) from exc
    return stream


def direct_transport(limits: httpx.Limits, verify: ssl.SSLContext) -> httpx.AsyncHTTPTransport:
    """httpx's transport for requests sent to the server directly (no proxy), its pool reading
    through :class:`AsyncioBackend` on Python 3.11 and later."""
    transport = httpx.AsyncHTTPTransport(limits=limits, verify=verify)
    if sys.version_info >= (3, 11):
        # httpx takes no network backend, httpcore's pool does: the pool httpx just made, with
        # this backend (httpx's other arguments are their defaults here).
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=verify,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=AsyncioBackend(),
        )
    return transport
