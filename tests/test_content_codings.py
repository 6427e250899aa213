"""The client asks only for the content codings it inflates within the size cap (gzip and
deflate), whatever optional packages httpx would use, and refuses an answer in any other coding
with an error naming it, instead of reading its bytes as if they were not compressed."""

from __future__ import annotations

import gzip
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio.abc
import httpx
import pytest

import omsclient

from .conftest import ok
from .hostile import HostileServer, Request, close_connection, hostile_server, write_response
from .test_hostile import SINCE
from .test_rest_answers_and_retries import ITEM

TRANSPORTS = ["httpx", "aiohttp"]
FAST_RETRY = omsclient.RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.01)
BODY = json.dumps(ok(total=0, orders=[])).encode()


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server() as running:
        yield running


def client(url: str, transport: str, **more: Any) -> omsclient.AsyncClient:
    options: dict[str, Any] = {"retry": FAST_RETRY, "timeout": 5, **more}
    return omsclient.AsyncClient(
        legacy_url=url,
        username="u",
        password="p" * 8,
        rest_url=url,
        api_token="t" * 8,
        transport=transport,
        **options,
    )


async def answer(request: Request, stream: anyio.abc.SocketStream) -> None:
    if request.method == "DELETE":
        await write_response(stream, b"", status=204)
    else:
        await write_response(stream, BODY)


@pytest.mark.parametrize("api", ["legacy", "rest"])
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_only_gzip_and_deflate_are_asked_for(
    server: HostileServer, transport: str, api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What httpx asks for by default once the brotli and zstandard packages are installed.
    monkeypatch.setattr(httpx._client, "ACCEPT_ENCODING", "gzip, deflate, br, zstd")
    server.handler = answer
    async with client(server.url, transport) as oms:
        if api == "legacy":
            await oms.legacy.orders.search(SINCE)
        else:
            await oms.rest.categories.delete(1)
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"


async def test_an_http_client_of_ones_own_asks_for_gzip_and_deflate_too(
    server: HostileServer,
) -> None:
    # httpx's own default names br and zstd when their packages are installed.
    server.handler = answer
    mine = httpx.AsyncClient(headers={"accept-encoding": "gzip, deflate, br, zstd"})
    async with mine, client(server.url, "httpx", http_client=mine) as oms:
        await oms.legacy.orders.search(SINCE)
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"


async def test_an_accept_encoding_in_default_headers_is_sent(server: HostileServer) -> None:
    server.handler = answer
    async with client(server.url, "httpx", default_headers={"Accept-Encoding": "identity"}) as oms:
        await oms.legacy.orders.search(SINCE)
        await oms.with_options(default_headers={"accept-encoding": "gzip"}).legacy.orders.search(
            SINCE
        )
    assert [r.headers["accept-encoding"] for r in server.requests] == ["identity", "gzip"]


@pytest.mark.parametrize("coding", ["br", "zstd", "x-foo", "gzip, br"])
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_answer_in_a_coding_not_asked_for_is_refused_by_name(
    server: HostileServer, transport: str, coding: str
) -> None:
    # The bytes are no brotli or zstd stream: whether or not those packages are installed,
    # the answer is refused by its label before anything tries to read it.
    async def unasked(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, b"\x8b\x05\x80" + BODY, headers={"content-encoding": coding})

    server.handler = unasked
    async with client(server.url, transport) as oms:
        with pytest.raises(omsclient.DecodeError) as caught:
            await oms.legacy.orders.search(SINCE)
    assert f"(Content-Encoding: {coding})" in str(caught.value)
    assert "not asked for" in str(caught.value)
    assert caught.value.transient is False
    assert len(server.requests) == 1  # not retried: the same request gets the same answer


@pytest.mark.parametrize("coding", ["br", "zstd", "gzip, gzip"])
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_answer_without_content_is_read_whatever_coding_it_names(
    server: HostileServer, transport: str, coding: str
) -> None:
    # A 204 has no content (RFC 9110, 15.3.5), nor does an answer of Content-Length: 0: a
    # delete the server confirmed so was refused as "a body in br", perhaps applied.
    async def labelled(request: Request, stream: anyio.abc.SocketStream) -> None:
        if request.method == "DELETE":
            head = f"HTTP/1.1 204 No Content\r\ncontent-encoding: {coding}\r\n\r\n"
        else:
            head = f"HTTP/1.1 200 OK\r\ncontent-encoding: {coding}\r\ncontent-length: 0\r\n\r\n"
        await stream.send(head.encode())

    server.handler = labelled
    async with client(server.url, transport) as oms:
        assert (await oms.rest.categories.delete(1)).category_id == 1
        with pytest.raises(omsclient.DecodeError, match="empty body") as caught:
            await oms.legacy.orders.search(SINCE)
    assert caught.value.transient is True


# Codings other than gzip and deflate are inflated by httpx, whose decoders take no output
# limit: a compression bomb in br or zstd would take all the memory before the cap could look.
UNSUPPORTED = [
    ("br", "br"),
    ("zstd", "zstd"),
    ("gzip, deflate, br, zstd", "br"),
    ("gzip;q=1.0, zstd;q=0.5", "zstd"),
    ("x-foo", "x-foo"),
    ("x-gzip", "x-gzip"),
    ("*", "*"),
    ("gzip, *;q=0.1", "*"),
    ("BR", "br"),
]
SUPPORTED = [
    "identity",
    "gzip",
    "gzip;q=1.0, deflate;q=0.5, identity;q=0.1",
    "br;q=0, gzip",
    "gzip, *;q=0",
    "identity, *;Q=0.000",
    "zstd;q=0.0, deflate",
]


# A ConfigurationError, which is a ValueError, saying which codings are supported.
SAYS_WHICH = "reads answers in gzip, deflate and identity only"


def refusal_says_why(caught: pytest.ExceptionInfo[ValueError], coding: str) -> None:
    assert isinstance(caught.value, ValueError)
    assert f"names {coding!r}" in str(caught.value)


@pytest.mark.parametrize(("accept", "coding"), UNSUPPORTED)
def test_an_accept_encoding_naming_another_coding_is_refused_by_the_async_client(
    accept: str, coding: str
) -> None:
    with pytest.raises(omsclient.ConfigurationError, match=SAYS_WHICH) as caught:
        client("http://localhost:1", "httpx", default_headers={"Accept-Encoding": accept})
    refusal_says_why(caught, coding)


@pytest.mark.parametrize(("accept", "coding"), UNSUPPORTED)
async def test_an_accept_encoding_naming_another_coding_is_refused_by_with_options(
    accept: str, coding: str
) -> None:
    async with client("http://localhost:1", "httpx") as oms:
        with pytest.raises(omsclient.ConfigurationError, match=SAYS_WHICH) as caught:
            oms.with_options(default_headers={"accept-encoding": accept})
    refusal_says_why(caught, coding)


@pytest.mark.parametrize(("accept", "coding"), UNSUPPORTED[:3])
def test_an_accept_encoding_naming_another_coding_is_refused_by_the_blocking_client(
    accept: str, coding: str
) -> None:
    options: dict[str, Any] = {"legacy_url": "http://localhost:1", "username": "u"}
    options |= {"password": "p" * 8, "rest_url": "http://localhost:1", "api_token": "t" * 8}
    with pytest.raises(omsclient.ConfigurationError, match=SAYS_WHICH) as caught:
        omsclient.Client(**options, default_headers={"Accept-Encoding": accept})
    refusal_says_why(caught, coding)
    with (
        omsclient.Client(**options) as oms,
        pytest.raises(omsclient.ConfigurationError, match=SAYS_WHICH) as caught,
    ):
        oms.with_options(default_headers={"Accept-Encoding": accept})
    refusal_says_why(caught, coding)


@pytest.mark.parametrize("accept", SUPPORTED)
async def test_an_accept_encoding_of_supported_codings_is_sent(
    server: HostileServer, accept: str
) -> None:
    server.handler = answer
    async with client(server.url, "httpx", default_headers={"accept-encoding": accept}) as oms:
        await oms.with_options(default_headers={"accept-encoding": accept}).legacy.orders.search(
            SINCE
        )
    assert server.requests[0].headers["accept-encoding"] == accept


@pytest.mark.parametrize("accept", ["br;q=0, gzip", "identity"])
async def test_a_coding_refused_with_q_0_or_left_out_is_not_asked_for(
    server: HostileServer, accept: str
) -> None:
    async def br(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, BODY, headers={"content-encoding": "br"})

    server.handler = br
    async with client(server.url, "httpx", default_headers={"accept-encoding": accept}) as oms:
        with pytest.raises(omsclient.DecodeError, match="not asked for"):
            await oms.legacy.orders.search(SINCE)


BUSY = [(429, omsclient.RateLimitError), (503, omsclient.ServerError)]


@pytest.mark.parametrize(("status", "error"), BUSY)
@pytest.mark.parametrize("coding", ["br", "gzip, gzip"])
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_busy_answer_in_a_coding_not_asked_for_still_pauses_the_client(
    server: HostileServer,
    transport: str,
    status: int,
    error: type[omsclient.ApiError],
    coding: str,
) -> None:
    # Its status and Retry-After say all a 429 or a 503 has to say: the body is not needed.
    async def busy(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(
            stream,
            b"\x8b\x05\x80 slow down",
            status=status,
            headers={"content-encoding": coding, "retry-after": "5"},
        )

    server.handler = busy
    async with client(server.url, transport, retry=omsclient.RetryPolicy(max_retries=0)) as oms:
        with pytest.raises(error) as caught:
            await oms.legacy.orders.search(SINCE)
        assert oms._session.throttle._resume_at > 0  # every request of the client waits
    assert caught.value.status_code == status
    assert caught.value.retry_after == 5
    assert f"(Content-Encoding: {coding})" in str(caught.value)
    assert "not read" in str(caught.value)


@pytest.mark.parametrize(("status", "error"), BUSY)
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_busy_answer_over_the_size_cap_still_pauses_the_client(
    server: HostileServer, transport: str, status: int, error: type[omsclient.ApiError]
) -> None:
    async def busy(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, b"x" * 5000, status=status, headers={"retry-after": "5"})

    server.handler = busy
    no_retry = omsclient.RetryPolicy(max_retries=0)
    async with client(server.url, transport, retry=no_retry, max_response_bytes=1000) as oms:
        with pytest.raises(error) as caught:
            await oms.legacy.orders.search(SINCE)
        assert oms._session.throttle._resume_at > 0  # every request of the client waits
    assert (caught.value.status_code, caught.value.retry_after) == (status, 5)
    assert "body not read: over the 1,000-byte cap" in str(caught.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_101_no_upgrade_was_asked_for_confirms_no_deletion(
    server: HostileServer, transport: str
) -> None:
    # aiohttp hands a 101 on as the answer; httpx refuses it. Neither is a 2xx.
    async def switching(request: Request, stream: anyio.abc.SocketStream) -> None:
        await stream.send(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: h2c\r\n")
        await stream.send(b"connection: upgrade\r\n\r\n")

    server.handler = switching
    async with omsclient.AsyncClient(
        rest_url=server.url, api_token="t0ken-secret", store_id="1", transport=transport
    ) as oms:
        with pytest.raises((omsclient.DecodeError, omsclient.TransportError)) as caught:
            await oms.rest.categories.delete(1)
    assert caught.value.maybe_applied is True


@pytest.mark.parametrize("status", [429, 503])
async def test_a_busy_answer_in_a_coding_not_asked_for_is_retried(
    server: HostileServer, status: int
) -> None:
    async def busy_then_ok(request: Request, stream: anyio.abc.SocketStream) -> None:
        if len(server.requests) == 1:
            headers = {"content-encoding": "br", "retry-after": "5"}
            await write_response(stream, b"\x8b\x05\x80", status=status, headers=headers)
        else:
            await write_response(stream, BODY)

    server.handler = busy_then_ok
    # Retry-After honoured up to a hundredth of a second, so the test does not wait it out.
    fast = omsclient.RetryPolicy(max_retries=2, initial_delay=0.001, max_retry_after=0.01)
    async with client(server.url, "httpx", retry=fast) as oms:
        assert (await oms.legacy.orders.search(SINCE)).total == 0
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("status", "headers", "body", "maybe_applied"),
    [
        (200, {"content-encoding": "br"}, b"\x8b\x05\x80", True),
        (200, {}, b"x" * 5000, True),
        (400, {"content-encoding": "br"}, b"\x8b\x05\x80", False),
        # A gateway's timeout or a full store beyond 500-504 failed partway, as a 503 does:
        # said False, a caller told the write was surely not applied might send it again.
        (524, {"content-encoding": "br"}, b"\x8b\x05\x80", True),
        (524, {"content-encoding": "gzip"}, b"not gzip", True),
        (507, {}, b"x" * 5000, True),
    ],
)
async def test_a_write_whose_answer_is_refused_unread_says_whether_it_may_have_applied(
    server: HostileServer, status: int, headers: dict[str, str], body: bytes, maybe_applied: bool
) -> None:
    async def unreadable(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, body, status=status, headers=headers)

    server.handler = unreadable
    async with client(server.url, "httpx", max_response_bytes=1000) as oms:
        with pytest.raises(omsclient.DecodeError) as caught:
            await oms.rest.categories.delete(1)
    assert caught.value.maybe_applied is maybe_applied
    assert len(server.requests) == 1


async def test_a_refusal_in_a_coding_not_asked_for_is_still_refused_unread(
    server: HostileServer,
) -> None:
    # A 400's body holds its reason and field errors: without them, the unreadable body is
    # what there is to report.
    async def refused(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(
            stream, b"\x8b\x05\x80", status=400, headers={"content-encoding": "br"}
        )

    server.handler = refused
    async with client(server.url, "httpx") as oms:
        with pytest.raises(omsclient.DecodeError, match="not asked for"):
            await oms.legacy.orders.search(SINCE)


async def _not_gzip(stream: anyio.abc.SocketStream, status: int) -> None:
    await write_response(
        stream,
        b"slow down, not gzip",
        status=status,
        headers={"content-encoding": "gzip", "retry-after": "5"},
    )


async def _cut_short(stream: anyio.abc.SocketStream, status: int) -> None:
    # The status line and Retry-After whole, then the connection dropped in the body.
    head = f"HTTP/1.1 {status} X\r\ncontent-length: 100\r\nretry-after: 5\r\n\r\n"
    await stream.send(head.encode() + b'{"message": "slow')
    close_connection()


async def _stalled(stream: anyio.abc.SocketStream, status: int) -> None:
    # The status line and Retry-After whole, then the body stops coming.
    head = f"HTTP/1.1 {status} X\r\ncontent-length: 100\r\nretry-after: 5\r\n\r\n"
    await stream.send(head.encode() + b'{"message": "slow')
    await anyio.sleep(10)


@pytest.mark.parametrize(
    ("unread", "said", "timeouts"),
    [
        (_not_gzip, "body not read: not the gzip its Content-Encoding names", {}),
        (_cut_short, "body not read: cut short", {}),
        # Past the read timeout, then past the attempt's deadline.
        (_stalled, "body not read: stalled", {"timeout": 0.3}),
        (_stalled, "body not read: stalled", {"attempt_deadline": 0.3}),
    ],
    ids=["not-gzip", "cut-short", "stalled-read", "stalled-deadline"],
)
@pytest.mark.parametrize(("status", "error"), BUSY)
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_busy_answer_whose_body_cannot_be_read_still_pauses_the_client(
    server: HostileServer,
    transport: str,
    status: int,
    error: type[omsclient.ApiError],
    unread: Callable[[anyio.abc.SocketStream, int], Awaitable[None]],
    said: str,
    timeouts: dict[str, float],
) -> None:
    # Each was a transport failure: no pause, no Retry-After, and a write's maybe_applied set.
    async def busy(request: Request, stream: anyio.abc.SocketStream) -> None:
        await unread(stream, status)

    server.handler = busy
    no_retry = omsclient.RetryPolicy(max_retries=0)
    async with client(server.url, transport, retry=no_retry, **timeouts) as oms:
        with pytest.raises(error) as caught:
            await oms.rest.orders.create(ecommerce_order_id="A-1", items=[ITEM], store_id=1)
        assert oms._session.throttle._resume_at > 0  # every request of the client waits
    assert (caught.value.status_code, caught.value.retry_after) == (status, 5)
    assert said in str(caught.value)
    assert caught.value.maybe_applied is (status != 429)  # a 429 was never applied
    assert len(server.requests) == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_refusal_that_does_not_inflate_keeps_its_status(
    server: HostileServer, transport: str
) -> None:
    async def refused(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(
            stream, b"no such token", status=401, headers={"content-encoding": "gzip"}
        )

    server.handler = refused
    async with client(server.url, transport) as oms:
        with pytest.raises(omsclient.DecodeError, match="not the gzip") as caught:
            await oms.rest.orders.create(ecommerce_order_id="A-1", items=[ITEM], store_id=1)
    assert (caught.value.status_code, caught.value.maybe_applied) == (401, False)
    assert len(server.requests) == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("coding", ["x-gzip", "X-GZIP", "gzip, identity"])
async def test_x_gzip_is_read_as_gzip(server: HostileServer, transport: str, coding: str) -> None:
    # RFC 9110: a recipient SHOULD take x-gzip for gzip. It was refused unread, not transient.
    async def gzipped(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, gzip.compress(BODY), headers={"content-encoding": coding})

    server.handler = gzipped
    async with client(server.url, transport) as oms:
        assert (await oms.legacy.orders.search(SINCE)).total == 0
