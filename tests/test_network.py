"""The default transport's network backend on asyncio's streams, against real sockets on
127.0.0.1: what it reads, when it times out, how it fails, TLS, and through omsclient."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import random
import socket
import ssl
import struct
import sys
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import httpcore
import httpx
import pytest
import respx
import trustme

import omsclient
from omsclient._network import AsyncioBackend, AsyncioStream, direct_transport
from omsclient.legacy import Condition, Op, OrderField
from omsclient.sandbox import SandboxInfo

from .conftest import LEAVES_NOTHING_UNCLOSED, ok

pytestmark = LEAVES_NOTHING_UNCLOSED

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
BIG = random.Random(5).randbytes(5 * 1024 * 1024)
TLS_RECORD = 16 * 1024  # the most plaintext one TLS record holds

Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter
Handler = Callable[[Reader, Writer], Awaitable[None]]

# The backend's own tests: it runs on Python 3.11 and later (StreamWriter.start_tls), and on 3.10
# direct_transport keeps httpcore's (test_the_pool_reads_through_the_backend_from_python_3_11).
needs_311 = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="the backend runs on Python 3.11 and later"
)


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    # A request sent through a proxy goes through httpx's own transport; these are about ours.
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


# --- a small HTTP/1.1 server whose every move the test decides -------------------------------


@dataclass
class Server:
    port: int
    stopped: asyncio.Event
    connections: int = 0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    servers: list[asyncio.Server] = []
    writers: list[Writer] = []
    started: list[Server] = []

    async def start(handle: Handler, tls: ssl.SSLContext | None = None) -> Server:
        async def on_connect(reader: Reader, writer: Writer) -> None:
            info.connections += 1
            info.tasks.append(asyncio.current_task())  # type: ignore[arg-type]
            writers.append(writer)
            # The client going away is what several tests do on purpose.
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                await handle(reader, writer)

        server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=tls)
        servers.append(server)
        info = Server(port=server.sockets[0].getsockname()[1], stopped=asyncio.Event())
        started.append(info)
        return info

    yield start
    for info in started:
        info.stopped.set()
    for writer in writers:
        writer.transport.abort()
    for server in servers:
        server.close()
    tasks = [task for info in started for task in info.tasks if not task.done()]
    if tasks:
        await asyncio.wait(tasks, timeout=2)


async def read_request(reader: Reader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head, await reader.readexactly(length)


def answer(body: bytes, content_type: bytes = b"application/octet-stream") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
        % (content_type, len(body))
        + body
    )


def answering(body: bytes, content_type: bytes = b"application/octet-stream") -> Handler:
    """Answers every request of a connection with ``body``, until the client closes."""

    async def handle(reader: Reader, writer: Writer) -> None:
        while True:
            try:
                await read_request(reader)
            except asyncio.IncompleteReadError:
                writer.close()
                return
            writer.write(answer(body, content_type))
            await writer.drain()

    return handle


def sending_when(go: asyncio.Event, data: bytes) -> Handler:
    """Sends ``data`` once ``go`` is set, asked or not, then keeps the connection open until the
    client closes it."""

    async def handle(reader: Reader, writer: Writer) -> None:
        await go.wait()
        writer.write(data)
        await writer.drain()
        await reader.read()

    return handle


async def silent(reader: Reader, writer: Writer) -> None:
    """Reads a request and never answers, until the client gives up."""
    await read_request(reader)
    await reader.read()


def client(
    limits: httpx.Limits | None = None, verify: ssl.SSLContext | None = None
) -> httpx.AsyncClient:
    transport = direct_transport(limits or httpx.Limits(), verify or ssl.create_default_context())
    return httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(5.0))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def eventually(condition: Callable[[], object]) -> None:
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition never held")


def counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of what each of the backend's reads returns, from now on."""
    lengths: list[int] = []
    read = AsyncioStream.read

    async def counted(
        self: AsyncioStream,
        max_bytes: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
    ) -> bytes:
        data = await read(self, max_bytes, timeout)
        lengths.append(len(data))
        return data

    monkeypatch.setattr(AsyncioStream, "read", counted)
    return lengths


# --- the backend on its own --------------------------------------------------------------------


def test_the_pool_reads_through_the_backend_from_python_3_11() -> None:
    transport = direct_transport(httpx.Limits(max_connections=3), ssl.create_default_context())
    pool = transport._pool
    assert isinstance(pool, httpcore.AsyncConnectionPool)
    backend = pool._network_backend
    assert isinstance(backend, AsyncioBackend) is (sys.version_info >= (3, 11))
    assert pool._max_connections == 3


@needs_311
async def test_a_stream_reads_what_arrives_and_knows_when_it_is_readable(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    go = asyncio.Event()

    async def handle(reader: Reader, writer: Writer) -> None:
        await go.wait()
        writer.write(b"hello")
        await writer.drain()
        writer.close()

    server = await serve(handle)
    stream = await AsyncioBackend().connect_tcp(
        "127.0.0.1",
        server.port,
        timeout=5,
        local_address="127.0.0.1",
        socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)],
    )
    try:
        sock = stream.get_extra_info("socket")
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert stream.get_extra_info("server_addr") == ("127.0.0.1", server.port)
        assert stream.get_extra_info("client_addr")[0] == "127.0.0.1"
        assert stream.get_extra_info("ssl_object") is None
        assert stream.get_extra_info("is_readable") is False
        go.set()
        await eventually(lambda: stream.get_extra_info("is_readable"))
        assert await stream.read(2) == b"he"
        assert await stream.read(100) == b"llo"
        assert await stream.read(100, timeout=5) == b""
        assert stream.get_extra_info("is_readable") is True
    finally:
        await stream.aclose()


@needs_311
async def test_bytes_sent_on_an_idle_connection_make_it_readable(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    go = asyncio.Event()
    # Nothing was asked; the connection stays open.
    server = await serve(sending_when(go, b"HTTP/1.1 200 OK\r\n"))
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
    try:
        assert stream.get_extra_info("is_readable") is False
        go.set()
        await eventually(lambda: stream.get_extra_info("is_readable"))
    finally:
        await stream.aclose()


@needs_311
async def test_a_read_timeout_leaves_the_stream_reading(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    go = asyncio.Event()
    server = await serve(sending_when(go, b"late"))
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
    try:
        started = time.monotonic()
        with pytest.raises(httpcore.ReadTimeout):
            await stream.read(100, timeout=0.05)
        assert time.monotonic() - started < 1
        go.set()
        assert await stream.read(100, timeout=5) == b"late"
    finally:
        await stream.aclose()


@needs_311
async def test_a_reset_connection_is_a_read_error_then_a_write_error(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    async def handle(reader: Reader, writer: Writer) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # linger 0: a reset, not an orderly close

    server = await serve(handle)
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
    try:
        with pytest.raises(httpcore.ReadError):
            await stream.read(100, timeout=5)
        with pytest.raises(httpcore.WriteError):
            await stream.write(b"GET / HTTP/1.1\r\n\r\n")
    finally:
        await stream.aclose()


@needs_311
async def test_a_write_waits_while_the_server_does_not_read(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    start_reading = asyncio.Event()
    received = 0

    async def handle(reader: Reader, writer: Writer) -> None:
        nonlocal received
        await start_reading.wait()
        while data := await reader.read(1 << 20):
            received += len(data)

    server = await serve(handle)
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
    size = 32 * 1024 * 1024  # beyond what the kernel's socket buffers hold
    try:
        write = asyncio.create_task(stream.write(b"x" * size, timeout=5))
        await asyncio.sleep(0.1)
        assert not write.done()
        start_reading.set()
        await write
        await eventually(lambda: received == size)
    finally:
        await stream.aclose()


@needs_311
async def test_a_slow_connect_is_a_connect_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()

    async def never(*args: object, **kwargs: object) -> None:
        await asyncio.sleep(10)

    monkeypatch.setattr(loop, "sock_connect", never)
    started = time.monotonic()
    with pytest.raises(httpcore.ConnectTimeout):
        await AsyncioBackend().connect_tcp("127.0.0.1", 9, timeout=0.05)
    assert time.monotonic() - started < 1


@needs_311
async def test_a_connect_cancelled_at_any_moment_closes_its_socket(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    """Cancelled while resolving, connecting or just connected, a connect leaves no socket for
    the collector to close (and warn of): asyncio's own happy-eyeballs race dropped the socket
    of an attempt that connected in the turn its connect was cancelled."""
    server = await serve(silent)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for turns in range(16):
            attempt = asyncio.create_task(AsyncioBackend().connect_tcp("127.0.0.1", server.port))
            for _ in range(turns):
                await asyncio.sleep(0)
            attempt.cancel()
            try:
                stream = await attempt
            except asyncio.CancelledError:
                continue
            await stream.aclose()
        gc.collect()
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []
    assert server.connections > 0  # some attempts did connect before their cancel


@needs_311
async def test_an_address_that_never_answers_is_raced_by_the_next_one(
    serve: Callable[..., Awaitable[Server]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Happy eyeballs: a host whose first address never answers (an IPv6 route that drops
    everything) connects through its next one a quarter of a second later, and the attempt
    left behind is closed."""
    server = await serve(silent)
    loop = asyncio.get_running_loop()
    black_hole = ("192.0.2.1", server.port)  # TEST-NET-1: never anyone's
    stream_info = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "")

    async def two_addresses(host: str, port: int, **kwargs: Any) -> list[Any]:
        assert (host, port) == ("oms.example", server.port)
        return [(*stream_info, black_hole), (*stream_info, ("127.0.0.1", server.port))]

    sock_connect = loop.sock_connect

    async def dropped_or_not(sock: socket.socket, address: Any) -> None:
        if address == black_hole:
            await asyncio.sleep(3600)
        await sock_connect(sock, address)

    monkeypatch.setattr(loop, "getaddrinfo", two_addresses)
    monkeypatch.setattr(loop, "sock_connect", dropped_or_not)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        started = time.monotonic()
        stream = await AsyncioBackend().connect_tcp("oms.example", server.port, timeout=10)
        assert 0.2 < time.monotonic() - started < 5
        assert stream.get_extra_info("server_addr") == ("127.0.0.1", server.port)
        await stream.aclose()
        gc.collect()
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []


@needs_311
async def test_an_ip_address_is_connected_to_without_the_resolver(
    serve: Callable[..., Awaitable[Server]], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await serve(silent)

    async def no_resolver(*args: object, **kwargs: object) -> None:
        raise AssertionError("an IP address went to the resolver's thread")

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", no_resolver)
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, local_address="127.0.0.1")
    await stream.aclose()


@needs_311
async def test_a_name_that_does_not_resolve_is_a_connect_error() -> None:
    with pytest.raises(httpcore.ConnectError):
        await AsyncioBackend().connect_tcp("oms.invalid", 80, timeout=10)  # RFC 6761


@needs_311
async def test_a_connection_from_a_local_address(serve: Callable[..., Awaitable[Server]]) -> None:
    server = await serve(silent)
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, local_address="127.0.0.1")
    try:
        assert stream.get_extra_info("client_addr")[0] == "127.0.0.1"
    finally:
        await stream.aclose()


@needs_311
async def test_a_socket_option_the_system_refuses_is_a_connect_error_and_closes(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    hung_up = asyncio.Event()

    async def handle(reader: Reader, writer: Writer) -> None:
        await reader.read()
        hung_up.set()

    server = await serve(handle)
    with pytest.raises(httpcore.ConnectError):
        await AsyncioBackend().connect_tcp(
            "127.0.0.1", server.port, socket_options=[(socket.SOL_SOCKET, 0x7FFF, 1)]
        )
    await asyncio.wait_for(hung_up.wait(), 2)


@needs_311
@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets")
async def test_a_unix_socket_pool(tmp_path: Path) -> None:
    path = str(tmp_path / "oms.sock")
    hung_up = asyncio.Event()

    async def handle(reader: Reader, writer: Writer) -> None:
        await answering(b"over a unix socket")(reader, writer)
        hung_up.set()

    server = await asyncio.start_unix_server(handle, path)
    try:
        async with httpcore.AsyncConnectionPool(uds=path, network_backend=AsyncioBackend()) as pool:
            response = await pool.request("GET", "http://localhost/")
        assert response.status == 200
        assert response.content == b"over a unix socket"
        await asyncio.wait_for(hung_up.wait(), 2)  # closing the pool closed the connection
    finally:
        server.close()


def test_under_trio_each_connection_is_httpcores_own() -> None:
    hits: list[bytes] = []

    async def main() -> None:
        async def handle(stream: anyio.abc.SocketStream) -> None:
            async with stream:  # anyio's serve() leaves the closing to the handler
                request = b""
                while b"\r\n\r\n" not in request:
                    request += await stream.receive()
                hits.append(request.split(b" ")[1])
                await stream.send(answer(b"from trio"))

        async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
            port = listener.extra(anyio.abc.SocketAttribute.local_port)
            async with anyio.create_task_group() as tg:
                tg.start_soon(listener.serve, handle)
                async with client() as http, http.stream("GET", f"http://127.0.0.1:{port}/t") as r:
                    assert not isinstance(r.extensions["network_stream"], AsyncioStream)
                    assert await r.aread() == b"from trio"
                tg.cancel_scope.cancel()

    anyio.run(main, backend="trio")
    assert hits == [b"/t"]


# --- through httpx ------------------------------------------------------------------------------


@needs_311
async def test_a_large_body_arrives_intact_in_reads_of_up_to_64_kib(
    serve: Callable[..., Awaitable[Server]], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await serve(answering(BIG))
    reads = counting_reads(monkeypatch)
    async with client() as http, http.stream("GET", server.url) as response:
        assert isinstance(response.extensions["network_stream"], AsyncioStream)
        body = await response.aread()
    assert body == BIG
    assert max(reads) <= 64 * 1024  # httpcore's read size
    assert len(reads) < 2 * len(BIG) / (64 * 1024)


@needs_311
async def test_keep_alive_reuses_one_connection(serve: Callable[..., Awaitable[Server]]) -> None:
    server = await serve(answering(b"again"))
    async with client() as http:
        first = await http.get(server.url)
        second = await http.get(server.url)
    assert first.content == second.content == b"again"
    assert server.connections == 1


@needs_311
@pytest.mark.parametrize("then", ["closed", "reset", "sent-unasked"])
async def test_a_connection_the_server_closed_or_wrote_on_while_idle_is_replaced(
    serve: Callable[..., Awaitable[Server]], then: str
) -> None:
    read = asyncio.Event()

    async def handle(reader: Reader, writer: Writer) -> None:
        await read_request(reader)
        writer.write(answer(b"once"))  # keep-alive, as far as the client can tell
        await writer.drain()
        await read.wait()  # the answer is read: what comes now waits in the connection
        if then == "closed":
            writer.close()
        elif then == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()  # linger 0: the client's stream ends in an error
            return
        else:
            writer.write(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
        await reader.read()

    server = await serve(handle)
    async with client() as http:
        async with http.stream("GET", server.url) as response:
            stream = response.extensions["network_stream"]
            assert await response.aread() == b"once"
        read.set()
        await eventually(lambda: stream.get_extra_info("is_readable"))
        # Sent on that connection, the request would read a 408, or that the server is gone.
        again = await http.get(server.url)
    assert again.content == b"once"
    assert server.connections == 2


async def test_no_answer_in_time_is_a_read_timeout(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    server = await serve(silent)
    async with client() as http:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            await http.get(server.url, timeout=httpx.Timeout(5.0, read=0.1))
    assert time.monotonic() - started < 2


async def test_a_refused_connection_is_a_connect_error() -> None:
    async with client() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{free_port()}/")


@pytest.mark.parametrize(
    ("reset", "error"), [(False, httpx.RemoteProtocolError), (True, httpx.ReadError)]
)
async def test_a_body_cut_short_is_an_error(
    serve: Callable[..., Awaitable[Server]], reset: bool, error: type[Exception]
) -> None:
    async def handle(reader: Reader, writer: Writer) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + BIG[:100_000])
        await writer.drain()
        if reset:
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        else:
            writer.close()

    server = await serve(handle)
    async with client() as http:
        with pytest.raises(error):
            await http.get(server.url)


async def test_cancelling_a_read_leaves_nothing_behind_and_the_pool_usable(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    part_sent = asyncio.Event()

    async def handle(reader: Reader, writer: Writer) -> None:
        while True:
            head, _ = await read_request(reader)
            if head.startswith(b"GET /stall "):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1000)
                await writer.drain()
                part_sent.set()
                await reader.read()
                return
            writer.write(answer(b"fine"))
            await writer.drain()

    server = await serve(handle)
    # One connection in the pool: one left marked active would make the next request wait.
    async with client(limits=httpx.Limits(max_connections=1)) as http:
        request = asyncio.create_task(
            http.get(f"{server.url}/stall", timeout=httpx.Timeout(30.0, pool=1.0))
        )
        await part_sent.wait()
        await asyncio.sleep(0.05)  # the read is waiting for the rest
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        others = asyncio.all_tasks() - {asyncio.current_task()} - set(server.tasks)
        assert not others
        response = await http.get(f"{server.url}/next", timeout=httpx.Timeout(5.0, pool=1.0))
    assert response.content == b"fine"


async def test_a_write_the_server_never_reads_is_a_write_timeout(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    async def handle(reader: Reader, writer: Writer) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await server.stopped.wait()

    server = await serve(handle)
    async with client() as http:
        with pytest.raises(httpx.WriteTimeout):
            await http.post(
                server.url, content=b"x" * (32 * 1024 * 1024), timeout=httpx.Timeout(5, write=0.2)
            )


# --- TLS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@needs_311
async def test_https_reads_a_large_body_twice_on_one_connection_in_few_reads(
    serve: Callable[..., Awaitable[Server]],
    server_tls: ssl.SSLContext,
    client_tls: ssl.SSLContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = await serve(answering(BIG), tls=server_tls)
    url = f"https://127.0.0.1:{server.port}/"
    reads = counting_reads(monkeypatch)
    async with client(verify=client_tls) as http:
        async with http.stream("GET", url) as response:
            stream = response.extensions["network_stream"]
            assert isinstance(stream, AsyncioStream)
            assert isinstance(stream.get_extra_info("ssl_object"), ssl.SSLObject)
            first = await response.aread()
        second = (await http.get(url)).content
    assert first == second == BIG
    assert server.connections == 1
    # Each read takes what has been decrypted, not one TLS record: httpcore's own backend reads
    # one record (16 KiB at most) at a time.
    records = 2 * len(BIG) / TLS_RECORD
    assert len(reads) < records / 2
    assert max(reads) > TLS_RECORD


async def test_a_server_that_never_answers_the_handshake_is_a_connect_timeout(
    serve: Callable[..., Awaitable[Server]], client_tls: ssl.SSLContext
) -> None:
    hung_up = asyncio.Event()

    async def handle(reader: Reader, writer: Writer) -> None:
        await reader.read()  # the client hello, and then the client giving up
        hung_up.set()

    server = await serve(handle)
    async with client(verify=client_tls) as http:
        started = time.monotonic()
        with pytest.raises(httpx.ConnectTimeout):
            await http.get(
                f"https://127.0.0.1:{server.port}/", timeout=httpx.Timeout(5.0, connect=0.2)
            )
        assert time.monotonic() - started < 2
        await asyncio.wait_for(hung_up.wait(), 2)  # the socket was closed


async def test_an_untrusted_certificate_is_a_connect_error(
    serve: Callable[..., Awaitable[Server]], server_tls: ssl.SSLContext
) -> None:
    server = await serve(answering(b"secret"), tls=server_tls)
    async with client() as http:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await http.get(f"https://127.0.0.1:{server.port}/")


# --- through omsclient ----------------------------------------------------------------------


def legacy_kwargs(url: str, **more: Any) -> dict[str, Any]:
    return {"legacy_url": url, "username": "u", "password": "p", **more}


@needs_311
async def test_the_default_client_sends_through_the_backend_and_reads_a_large_page(
    serve: Callable[..., Awaitable[Server]], monkeypatch: pytest.MonkeyPatch
) -> None:
    blob = BIG.hex()[: 5 * 1024 * 1024]
    page = ok(orders=[{"order_id": "7", "blob": blob}], total="1")
    server = await serve(answering(json.dumps(page).encode(), b"application/json"))
    reads = counting_reads(monkeypatch)
    async with omsclient.AsyncClient(**legacy_kwargs(server.url)) as oms:
        found = await oms.legacy.orders.search(ALL)
    assert found.items[0].order_id == "7"
    assert found.items[0].extra["blob"] == blob
    assert sum(reads) > len(blob)


async def test_the_default_client_reads_the_sandbox_as_stock_httpx_does(
    oms_sandbox: SandboxInfo,
) -> None:
    async with (
        omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as ours,
        httpx.AsyncClient() as stock_http,
        omsclient.AsyncClient(**oms_sandbox.client_kwargs(), http_client=stock_http) as stock,
    ):
        mine = [o async for o in ours.legacy.orders.iterate(ALL, concurrency=3)]
        theirs = [o async for o in stock.legacy.orders.iterate(ALL, concurrency=3)]
    assert len(mine) == 300
    assert mine == theirs


async def test_no_answer_in_time_is_a_request_timeout_error(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    server = await serve(silent)
    async with omsclient.AsyncClient(
        **legacy_kwargs(server.url, timeout=0.2, max_retries=0)
    ) as oms:
        with pytest.raises(omsclient.RequestTimeoutError) as info:
            await oms.legacy.orders.search(ALL)
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


async def test_respx_still_mocks_the_default_client() -> None:
    legacy = "https://shop.test"
    with respx.mock(base_url=legacy) as mock:
        route = mock.post("/api/json/manage_orders/find").respond(
            json=ok(orders=[{"order_id": "1"}], total="1")
        )
        async with omsclient.AsyncClient(**legacy_kwargs(legacy)) as oms:
            found = await oms.legacy.orders.search(ALL)
    assert route.call_count == 1
    assert [o.order_id for o in found.items] == ["1"]


async def test_a_proxy_named_in_the_environment_is_still_used(
    serve: Callable[..., Awaitable[Server]], monkeypatch: pytest.MonkeyPatch
) -> None:
    targets: list[bytes] = []

    async def proxy(reader: Reader, writer: Writer) -> None:
        head, _ = await read_request(reader)
        targets.append(head.split(b" ")[1])
        writer.write(answer(json.dumps(ok(orders=[], total=0)).encode(), b"application/json"))
        await writer.drain()

    server = await serve(proxy)
    monkeypatch.setenv("HTTP_PROXY", server.url)
    async with omsclient.AsyncClient(**legacy_kwargs("http://oms.invalid", max_retries=0)) as oms:
        await oms.legacy.orders.search(ALL)
    assert targets == [b"http://oms.invalid/api/json/manage_orders/find"]
