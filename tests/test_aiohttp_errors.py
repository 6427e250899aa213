"""Both transports fail the same way: every aiohttp error becomes the httpx error the session
handles (so a TransportError or RequestTimeoutError, retried as usual, with maybe_applied), and a
body is read in chunks, so the size cap refuses a huge or decompression-bomb body as it arrives."""

from __future__ import annotations

import gzip
import json
import socket
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import anyio
import anyio.abc
import httpx
import pytest

import omsclient
from omsclient._responses import without_quoted_bytes
from omsclient.legacy import Condition, Op, OrderField, StatusChange
from omsclient.sandbox import SandboxInfo

from .conftest import ok
from .hostile import HostileServer, Request, close_connection, hostile_server, write_response
from .test_hostile import PeakRss

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
FAST_RETRY = omsclient.RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.01)
TRANSPORTS = ["httpx", "aiohttp"]


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server() as running:
        yield running


def client(url: str, transport: str, **more: Any) -> omsclient.AsyncClient:
    options: dict[str, Any] = {"retry": omsclient.RetryPolicy(max_retries=0), "timeout": 5, **more}
    return omsclient.AsyncClient(
        legacy_url=url, username="u", password="p" * 8, transport=transport, **options
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_body_cut_short_is_a_transport_error_and_retried(
    oms_sandbox: SandboxInfo, transport: str
) -> None:
    kwargs = {**oms_sandbox.client_kwargs(), "transport": transport}
    async with omsclient.AsyncClient(**kwargs, max_retries=0) as oms:
        oms_sandbox.state.queue_faults("truncate")
        # Named as httpx's own transport names a body cut short.
        with pytest.raises(omsclient.TransportError, match="RemoteProtocolError") as caught:
            await oms.legacy.orders.search(ALL)
        assert caught.value.maybe_applied is True
        assert "legacy.orders.search" in str(caught.value)
        # aiohttp's wording held its parser's code, "<ContentLengthError: 400, ...>", which
        # reads as the server's status.
        assert "400" not in str(caught.value)
    async with omsclient.AsyncClient(**kwargs, retry=FAST_RETRY) as oms:
        oms_sandbox.state.queue_faults("truncate", "truncate")
        assert (await oms.legacy.orders.search(ALL, limit=1)).total == 300


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_write_whose_answer_is_cut_short_may_have_been_applied(
    oms_sandbox: SandboxInfo, transport: str
) -> None:
    order_id = next(r.order_id for r in oms_sandbox.state.orders if r.status == 1)
    kwargs = {**oms_sandbox.client_kwargs(), "transport": transport, "retry": FAST_RETRY}
    async with omsclient.AsyncClient(**kwargs) as oms:
        oms_sandbox.state.queue_faults("truncate")
        with pytest.raises(omsclient.TransportError) as caught:
            await oms.legacy.orders.update_status(StatusChange(order_id=order_id, new_status=2))
    assert caught.value.maybe_applied is True
    assert caught.value.attempts == 1  # a write is not sent twice


async def stall_mid_body(request: Request, stream: anyio.abc.SocketStream) -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n"
    await stream.send(head + b'{"response_status": ')
    await anyio.sleep(30)


async def not_http(request: Request, stream: anyio.abc.SocketStream) -> None:
    await stream.send(b"NOT HTTP AT ALL\r\n\r\n")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_body_stalling_midway_is_a_read_timeout(
    server: HostileServer, transport: str
) -> None:
    server.handler = stall_mid_body
    async with client(server.url, transport, timeout=1, attempt_deadline=30) as oms:
        with anyio.fail_after(20), pytest.raises(omsclient.RequestTimeoutError) as caught:
            await oms.legacy.orders.search(ALL)
    assert "read timeout of 1 s" in str(caught.value)
    assert caught.value.maybe_applied is True


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_answer_that_is_not_http_is_a_transport_error(
    server: HostileServer, transport: str
) -> None:
    server.handler = not_http
    async with client(server.url, transport) as oms:
        with pytest.raises(omsclient.TransportError, match="RemoteProtocolError") as caught:
            await oms.legacy.orders.search(ALL)
    # aiohttp's parser wrote '400, message="Bad status line ..."': its own code, which reads
    # as the server's status. Its message alone spans lines.
    assert "400" not in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_a_refused_connection_is_a_connect_error_retried_even_for_a_write() -> None:
    with hostile_server() as gone:
        url = gone.url  # nothing listens there once the server is stopped
    async with client(url, "aiohttp", retry=FAST_RETRY) as oms:
        with pytest.raises(omsclient.TransportError, match="ConnectError") as caught:
            await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=2))
    assert caught.value.maybe_applied is False
    assert caught.value.attempts == 3


def test_a_url_aiohttp_refuses_before_connecting_is_a_request_that_never_left() -> None:
    # aiohttp checks a request's URL before it connects (a host it takes for no canonical
    # address, a shorthand the client's settings refuse now): its error fell to the fallback,
    # a ReadError, which says that a write may have been applied.
    import aiohttp

    from omsclient._aiohttp import _translated

    refused = aiohttp.InvalidUrlClientError("127.1", "is not a canonical IPv4 address")
    error = _translated(refused)
    assert isinstance(error, httpx.ConnectError)
    assert "127.1" in str(error)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_connection_never_accepted_is_a_connect_timeout_retried_even_for_a_write(
    transport: str,
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        # Its accept queue full, the listener drops every further connection's SYN unanswered.
        queued = [socket.socket() for _ in range(3)]
        for sock in queued:
            sock.setblocking(False)
            sock.connect_ex(listener.getsockname())
        url = "http://{}:{}".format(*listener.getsockname())
        timeout = httpx.Timeout(5, connect=0.1)
        try:
            async with client(url, transport, retry=FAST_RETRY, timeout=timeout) as oms:
                with pytest.raises(
                    omsclient.RequestTimeoutError, match="connect timeout"
                ) as caught:
                    await oms.legacy.orders.update_status(
                        StatusChange(order_id="INV1", new_status=2)
                    )
        finally:
            for sock in queued:
                sock.close()
    assert caught.value.maybe_applied is False
    assert caught.value.attempts == 3


BOMB = gzip.compress(b" " * (200 * 2**20), compresslevel=9)  # about 200 kB, 200 MB inflated


async def gzip_bomb(request: Request, stream: anyio.abc.SocketStream) -> None:
    await write_response(stream, BOMB, headers={"content-encoding": "gzip"})


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_decompression_bomb_is_refused_as_it_inflates(
    server: HostileServer, transport: str
) -> None:
    server.handler = gzip_bomb
    async with client(server.url, transport) as oms:
        with PeakRss() as rss, pytest.raises(omsclient.DecodeError) as caught:
            await oms.legacy.orders.search(ALL)
    assert "max_response_bytes" in str(caught.value)
    # The cap is 32 MiB; a body inflated whole would take 200 MB and more.
    assert rss.peak - rss.baseline < 150 * 2**20


def deflated(data: bytes, wbits: int) -> bytes:
    """``data`` compressed in the zlib format ``wbits`` names (15 zlib, -15 raw deflate)."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return deflater.compress(data) + deflater.flush()


BOMBS = {
    "gzip": BOMB,
    "deflate": deflated(b" " * (200 * 2**20), 15),
    "deflate (raw)": deflated(b" " * (200 * 2**20), -15),
}


@pytest.mark.parametrize("kind", BOMBS)
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_decompression_bomb_is_never_inflated_far_past_the_cap(
    server: HostileServer, transport: str, kind: str
) -> None:
    # A 64 kB read of a body compressed a thousand times over is 64 MB inflated: held whole for
    # a moment, it would be twice the cap before the cap could look at it.
    async def bomb(request: Request, stream: anyio.abc.SocketStream) -> None:
        coding = kind.split()[0]
        await write_response(stream, BOMBS[kind], headers={"content-encoding": coding})

    server.handler = bomb
    async with client(server.url, transport, max_response_bytes=2**20) as oms:
        tracemalloc.start()
        try:
            with pytest.raises(omsclient.DecodeError) as caught:
                await oms.legacy.orders.search(ALL)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert "1,048,576-byte cap (max_response_bytes)" in str(caught.value)
    assert peak < 4 * 2**20


@pytest.mark.parametrize("kind", BOMBS)
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_compressed_body_at_the_cap_is_read(
    server: HostileServer, transport: str, kind: str
) -> None:
    answer = b'{"response_status": {"code": 10001, "severity": "SUCCESS"}, "total": 0, "orders": []'
    answer += b" " * (2**20 - len(answer) - 1) + b"}"

    async def compressed(request: Request, stream: anyio.abc.SocketStream) -> None:
        body = {"gzip": gzip.compress(answer), "deflate": deflated(answer, 15)}.get(kind)
        body = body or deflated(answer, -15)
        await write_response(stream, body, headers={"content-encoding": kind.split()[0]})

    server.handler = compressed
    async with client(server.url, transport, max_response_bytes=2**20) as oms:
        assert (await oms.legacy.orders.search(ALL)).total == 0


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_body_that_does_not_inflate_is_a_transport_error(
    server: HostileServer, transport: str, coding: str
) -> None:
    async def mislabelled(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, b"\xff" * 200, headers={"content-encoding": coding})

    server.handler = mislabelled
    async with client(server.url, transport) as oms:
        with pytest.raises(omsclient.TransportError, match="DecodingError") as caught:
            await oms.legacy.orders.search(ALL)
    assert caught.value.maybe_applied is True


def inflating_to(size: int) -> bytes:
    """A gzip body of ``size`` spaces, compressed a megabyte at a time."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * 2**20
    return b"".join([*(deflater.compress(block) for _ in range(size // 2**20)), deflater.flush()])


STACKED_BOMB = gzip.compress(inflating_to(400 * 2**20), compresslevel=9)  # < 1 kB, 400 MB


@pytest.mark.parametrize("coding", ["gzip, gzip", "deflate,gzip", "GZIP, identity, gzip"])
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_stacked_decompression_bomb_is_refused_unread(
    server: HostileServer, transport: str, coding: str
) -> None:
    # httpx inflates each chunk whole, layer after layer: the outer gzip gives 400 kB, the inner
    # one 400 MB in one step, before the size cap can look at it.
    async def stacked(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, STACKED_BOMB, headers={"content-encoding": coding})

    server.handler = stacked
    async with client(server.url, transport) as oms:
        with PeakRss() as rss, pytest.raises(omsclient.DecodeError) as caught:
            await oms.legacy.orders.search(ALL)
    assert "compressed 2 times over" in str(caught.value)
    assert caught.value.transient is False
    assert rss.peak - rss.baseline < 150 * 2**20
    assert len(server.requests) == 1  # not retried: the same request gets the same answer


@pytest.mark.parametrize("coding", ["gzip", "identity, gzip", "gzip, identity"])
async def test_one_compression_is_read_whole(server: HostileServer, coding: str) -> None:
    answer = (
        b'{"response_status": {"code": 10001, "severity": "SUCCESS"}, "orders": [], "total": 0}'
    )

    async def compressed(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, gzip.compress(answer), headers={"content-encoding": coding})

    server.handler = compressed
    async with client(server.url, "httpx") as oms:
        assert (await oms.legacy.orders.search(ALL)).total == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_session_cookie_the_server_sets_is_never_sent_back(
    server: HostileServer, transport: str
) -> None:
    # Both transports kept it and sent it with every later request: a credential the API never
    # asks for, which an echo then showed.
    answer = b'{"response_status": {"code": 10001}, "orders": [], "total": 0}'

    async def sets_a_cookie(request: Request, stream: anyio.abc.SocketStream) -> None:
        cookie = {"set-cookie": "PHPSESSID=sess9f3a7c1e5b2d8f4a6c0e; path=/; HttpOnly"}
        await write_response(stream, answer, headers=cookie)

    server.handler = sets_a_cookie
    # By name: aiohttp keeps no cookie of a server named by its IP address.
    async with client(server.url.replace("127.0.0.1", "localhost"), transport) as oms:
        await oms.legacy.orders.search(ALL)
        await oms.legacy.orders.search(ALL)
    assert len(server.requests) == 2
    assert "cookie" not in server.requests[1].headers


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_long_and_many_headers_are_read_as_httpx_reads_them(
    server: HostileServer, transport: str
) -> None:
    # aiohttp's defaults (8,190 bytes a line, 128 headers) failed these answers, retried,
    # where httpx's own transport (100 KiB of head in all) reads them.
    headers = {"set-cookie": "s=" + "a" * 16_000, **{f"x-h{n}": "v" for n in range(240)}}

    async def answer(request: Request, stream: anyio.abc.SocketStream) -> None:
        body = json.dumps(ok(total=0, orders=[])).encode()
        await write_response(stream, body, headers=headers)

    server.handler = answer
    async with client(server.url, transport) as oms:
        assert (await oms.legacy.orders.search(ALL)).total == 0
        # A head of 300 KiB is refused by both, where aiohttp raised to a limit per line alone
        # read 188 MiB of headers (650 MiB of memory).
        headers = {f"x-h{n}": "v" * 1024 for n in range(300)}
        with pytest.raises(omsclient.TransportError, match="RemoteProtocolError"):
            await oms.legacy.orders.search(ALL)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_answer_that_is_no_http_is_quoted_short(
    server: HostileServer, transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    # 200 KB with no status line: aiohttp's parser quoted 128 KB of it, in the message and in
    # each retry's log line.
    async def answer(request: Request, stream: anyio.abc.SocketStream) -> None:
        await stream.send(b"x" * 200_000)

    server.handler = answer
    with caplog.at_level("INFO", logger="omsclient"):
        async with client(server.url, transport, retry=FAST_RETRY) as oms:
            with pytest.raises(omsclient.TransportError) as caught:
                await oms.legacy.orders.search(ALL)
    assert "legacy.orders.search" in str(caught.value)
    assert len(str(caught.value)) < 1_000
    assert caplog.records
    assert all(len(record.getMessage()) < 1_500 for record in caplog.records)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("interim", [b"100 Continue", b"103 Early Hints\r\nlink: </a.css>"])
async def test_a_server_silent_after_an_interim_answer_is_a_read_timeout_retried(
    server: HostileServer, transport: str, interim: bytes
) -> None:
    # aiohttp stopped its read timer at the interim answer: the attempt waited for its
    # deadline, and the read was not retried.
    async def answer(request: Request, stream: anyio.abc.SocketStream) -> None:
        await stream.send(b"HTTP/1.1 " + interim + b"\r\n\r\n")
        await anyio.sleep(30)

    server.handler = answer
    async with client(
        server.url, transport, timeout=0.5, attempt_deadline=20, retry=FAST_RETRY
    ) as oms:
        with anyio.fail_after(15), pytest.raises(omsclient.RequestTimeoutError) as caught:
            await oms.legacy.orders.search(ALL)
    assert "read timeout of 0.5 s" in str(caught.value)
    assert caught.value.attempts == 3


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("together", [True, False], ids=["one write", "two writes"])
async def test_an_interim_answer_leaves_no_timer_on_a_kept_connection(
    server: HostileServer, transport: str, together: bool
) -> None:
    # The answer behind an interim one, at once or a little later; then the connection idles
    # past the read timeout and carries the next request: a timer left running would fail it.
    answer_body = json.dumps(ok(total=0, orders=[])).encode()
    final = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + f"content-length: {len(answer_body)}\r\n\r\n".encode()
        + answer_body
    )

    async def answer(request: Request, stream: anyio.abc.SocketStream) -> None:
        interim = b"HTTP/1.1 103 Early Hints\r\n\r\n"
        if together:
            await stream.send(interim + final)
        else:
            await stream.send(interim)
            await anyio.sleep(0.1)
            await stream.send(final)

    server.handler = answer
    async with client(server.url, transport, timeout=0.3) as oms:
        for _ in range(2):
            page = await oms.legacy.orders.search(ALL)
            assert page.total == 0
            await anyio.sleep(0.6)
    assert len(server.requests) == 2


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "framing",
    [
        "a chunk shorter than its data",
        "no status line",
        # What h11 quotes, through httpx's own transport: the line it could not read.
        "a header line holding no colon",
        "a chunk size line that is the body",
    ],
)
async def test_a_malformed_answer_quotes_none_of_the_body_read(
    server: HostileServer, transport: str, framing: str, caplog: pytest.LogCaptureFixture
) -> None:
    # aiohttp's parser quoted what it had read, a page of customers' addresses, into the
    # error, its cause and each retry's log line.
    body = json.dumps(ok(total=1, orders=[{"order_id": "1", "billing_email": "jane@ex.com"}]))

    async def answer(request: Request, stream: anyio.abc.SocketStream) -> None:
        data = body.encode()
        if framing == "no status line":
            await stream.send(data)
        elif framing == "a header line holding no colon":
            await stream.send(b"HTTP/1.1 200 OK\r\nX-Customer jane@ex.com\r\n\r\n" + data)
        elif framing == "a chunk size line that is the body":
            head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
            await stream.send(head + data + b"\r\n0\r\n\r\n")
        else:
            head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            head += b"transfer-encoding: chunked\r\n\r\n"
            await stream.send(head + f"{len(data) - 20:x}\r\n".encode() + data + b"\r\n0\r\n\r\n")
        close_connection()

    server.handler = answer
    with caplog.at_level("INFO", logger="omsclient"):
        async with client(server.url, transport, retry=FAST_RETRY) as oms:
            with pytest.raises(omsclient.TransportError) as caught:
                await oms.legacy.orders.search(ALL)
    texts = [record.getMessage() for record in caplog.records]
    error: BaseException | None = caught.value
    while error is not None:
        texts.append(str(error))
        error = error.__cause__ or error.__context__
    assert len(texts) > 3  # two retries logged, the error and its cause
    assert not [text for text in texts if "jane@" in text]


_GZIPPED = gzip.compress(json.dumps(ok(total=0, orders=[])).encode())


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "wire",
    [
        # aiohttp handed status 99 on, read as an interim answer with no final one after it.
        pytest.param(b"HTTP/1.1 099 Odd\r\ncontent-length: 0\r\n\r\n", id="status under 100"),
        # aiohttp undid the chunks and read the gzip inside as the page: "no UTF-8".
        pytest.param(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"transfer-encoding: gzip, chunked\r\n\r\n"
            + f"{len(_GZIPPED):x}\r\n".encode()
            + _GZIPPED
            + b"\r\n0\r\n\r\n",
            id="a transfer coding other than chunked",
        ),
    ],
)
async def test_an_answer_that_breaks_http_is_a_transport_error_and_a_read_retried(
    server: HostileServer, transport: str, wire: bytes
) -> None:
    # On aiohttp each was a DecodeError, never retried; httpx's transport refuses both.
    async def answer(request: Request, stream: anyio.abc.SocketStream) -> None:
        await stream.send(wire)

    server.handler = answer
    async with client(server.url, transport, retry=FAST_RETRY) as oms:
        with pytest.raises(omsclient.TransportError) as caught:
            await oms.legacy.orders.search(ALL)
    assert caught.value.attempts == 3
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("message", "kept"),
    [
        (
            'Expected LF after chunk data:\n\n  b\'{"e": "jane@ex.com"}\'\n  ^',
            "Expected LF after chunk data",
        ),
        (
            "Got more than 32768 bytes when reading: b'jane@ex.com'.",
            "Got more than 32768 bytes when reading",
        ),
        ("Bad status line \"b'jane@ex.com'\"", "Bad status line"),
        # A status line over the limit quoted as a bytearray left "reading: bytearray".
        (
            "Got more than 32768 bytes when reading: bytearray(b'HTTP/1.1 200 jane@ex.com')",
            "Got more than 32768 bytes when reading",
        ),
        # h11's, through httpx's own transport.
        ("illegal header line: bytearray(b'X-Customer jane@ex.com')", "illegal header line"),
        (
            'illegal chunk header: bytearray(b\'{"email": "jane@ex.com"}\\r\\n\')',
            "illegal chunk header",
        ),
        (
            "Content-Length can't be present with Transfer-Encoding",
            "Content-Length can't be present with Transfer-Encoding",
        ),
    ],
)
def test_aiohttps_parser_errors_keep_the_fault_without_the_bytes_read(
    message: str, kept: str
) -> None:
    assert without_quoted_bytes(message) == kept
