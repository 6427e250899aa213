"""``transport="aiohttp"``: the same answers through aiohttp, and httpx's own error classes."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import struct
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

import omsclient
from omsclient import errors
from omsclient._decoding import structure_many
from omsclient.legacy import Condition, Op, OrderField, StatusChange
from omsclient.legacy.models import Order
from omsclient.sandbox import Quirks, SandboxConfig, SandboxInfo

from .conftest import free_port

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
LIVE = Quirks(string_ids=True, mixed_dates=True, unknown_fields=True, omit_response_status=True)
FAST_RETRY = omsclient.RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.01)


def kwargs(sandbox: SandboxInfo, **more: Any) -> dict[str, Any]:
    return {**sandbox.client_kwargs(), **more}


async def test_aiohttp_reads_what_httpx_reads_and_the_converter_agrees(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    sandbox = oms_sandbox_factory(SandboxConfig(orders=230, products=20, quirks=LIVE))
    async with (
        omsclient.AsyncClient(**kwargs(sandbox)) as plain,
        omsclient.AsyncClient(**kwargs(sandbox, transport="aiohttp")) as fast,
    ):
        via_httpx = [o async for o in plain.legacy.orders.iterate(ALL, concurrency=3)]
        via_aiohttp = [o async for o in fast.legacy.orders.iterate(ALL, concurrency=3)]
        raw = [o async for o in fast.legacy.orders.iterate_raw(ALL, concurrency=3)]
        page = await fast.legacy.orders.search(ALL, limit=5)
    assert len(via_aiohttp) == 230
    assert via_aiohttp == via_httpx
    # Live shapes (string ids, mixed dates, unknown keys): the page decoder's models are the
    # converter's.
    assert via_aiohttp == structure_many(raw, Order)
    assert any(o.extra for o in via_aiohttp)
    assert page.items == via_httpx[:5]


def test_the_blocking_client_takes_the_option(oms_sandbox: SandboxInfo) -> None:
    with omsclient.Client(**kwargs(oms_sandbox, transport="aiohttp")) as oms:
        ids = [o.order_id for o in oms.legacy.orders.iterate(ALL)]
    assert len(ids) == 300


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"transport": "urllib3"}, 'transport must be "httpx" or "aiohttp"'),
        (
            {"transport": "aiohttp", "http_client": httpx.AsyncClient()},
            "either http_client= or transport=",
        ),
    ],
)
async def test_bad_transport_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(omsclient.ConfigurationError, match=message):
        omsclient.AsyncClient(legacy_url="http://x.test", **options)
    if "http_client" in options:
        await options["http_client"].aclose()


def test_a_missing_httpx_aiohttp_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "omsclient._aiohttp", None)
    with pytest.raises(omsclient.ConfigurationError, match=r"omsclient\[aiohttp\]"):
        omsclient.AsyncClient(legacy_url="http://x.test", transport="aiohttp")


@contextlib.contextmanager
def _releases(monkeypatch: pytest.MonkeyPatch, installed: dict[str, str | None]) -> Iterator[None]:
    """The aiohttp transport's packages seen at ``installed``'s releases (None: missing)."""
    import importlib.metadata

    from omsclient import _aiohttp_versions

    real = importlib.metadata.version

    def version(name: str) -> str:
        if name not in installed:
            return real(name)
        found = installed[name]
        if found is None:
            raise importlib.metadata.PackageNotFoundError(name)
        return found

    monkeypatch.setattr(_aiohttp_versions.importlib.metadata, "version", version)
    _aiohttp_versions.aiohttp_problem.cache_clear()
    try:
        yield
    finally:
        monkeypatch.undo()
        _aiohttp_versions.aiohttp_problem.cache_clear()


@pytest.mark.parametrize(
    ("installed", "said"),
    [
        ({"aiohttp": "3.10.11"}, "aiohttp 3.13.4 or newer, not 3.10.11 (older ones read any"),
        ({"aiohttp": "3.13.3"}, "aiohttp 3.13.4 or newer, not 3.13.3"),
        ({"httpx-aiohttp": "0.1.9"}, "httpx-aiohttp 0.1.11 or newer, not 0.1.9"),
        ({"aiohttp": None}, "needs aiohttp: pip"),
    ],
)
def test_an_aiohttp_older_than_the_extra_asks_for_is_refused(
    monkeypatch: pytest.MonkeyPatch, installed: dict[str, str | None], said: str
) -> None:
    # Brought by another package, which pip leaves in place: aiohttp before 3.11 sent a write
    # again by itself (the server got two PUTs), before 3.13.4 it read any number of headers;
    # the command took it for its default transport.
    from omsclient._commands import _arguments

    with _releases(monkeypatch, installed):
        with pytest.raises(omsclient.ConfigurationError, match=r"omsclient\[aiohttp\]") as caught:
            omsclient.AsyncClient(legacy_url="http://x.test", transport="aiohttp")
        assert said in str(caught.value)
        assert _arguments.bulk_transport() == "httpx"
        with pytest.raises(argparse.ArgumentTypeError) as refused:
            _arguments.transport("aiohttp")
        assert said in str(refused.value)
        assert str(refused.value).endswith(", or use httpx")
    assert _arguments.bulk_transport() == "aiohttp"


@pytest.mark.parametrize("installed", [{"aiohttp": "3.13.4"}, {"httpx-aiohttp": "0.1.11"}])
async def test_the_lowest_releases_the_extra_asks_for_are_taken(
    monkeypatch: pytest.MonkeyPatch, installed: dict[str, str | None]
) -> None:
    # The floor itself refused ("needs aiohttp 3.13.4 or newer, not 3.13.4") passed the test
    # above, which tries releases below it.
    from omsclient._commands import _arguments

    with _releases(monkeypatch, installed):
        assert _arguments.bulk_transport() == "aiohttp"
        async with omsclient.AsyncClient(legacy_url="http://x.test", transport="aiohttp"):
            pass


# --- errors: a refused connection may be retried, a dropped one is not a connect error -------


async def test_a_refused_connection_is_a_connect_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with omsclient.AsyncClient(
        legacy_url=url, username="u", password="p", transport="aiohttp", max_retries=0
    ) as oms:
        with pytest.raises(omsclient.TransportError) as info:
            await oms.legacy.orders.search(ALL)
    assert not isinstance(info.value, omsclient.RequestTimeoutError)
    assert isinstance(info.value.__cause__, httpx.ConnectError)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_connection_that_failed_names_the_server_tried(transport: str) -> None:
    # The path alone said neither the host nor the port, nor which of the two APIs' URLs it was.
    port = free_port()
    async with omsclient.AsyncClient(
        legacy_url=f"http://127.0.0.1:{port}/shop",
        username="u",
        password="p",
        rest_url=f"http://127.0.0.1:{port}",
        api_token="tok",
        transport=transport,
        max_retries=0,
    ) as oms:
        with pytest.raises(omsclient.TransportError) as legacy:
            await oms.legacy.orders.search(ALL)
        with pytest.raises(omsclient.TransportError) as rest:
            await oms.rest.orders.get("U1")
    assert (
        f"ConnectError on POST http://127.0.0.1:{port}/shop/api/json/manage_orders/find: "
        in str(legacy.value)
    )
    assert legacy.value.path == "/shop/api/json/manage_orders/find"
    assert f"ConnectError on GET http://127.0.0.1:{port}/api/v1/orders/U1: " in str(rest.value)


@contextlib.asynccontextmanager
async def _local(
    handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> AsyncIterator[str]:
    """A server on 127.0.0.1 answering each connection with ``handle``, and its URL."""

    async def closing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # However the handler ends (a client's reset raises out of a read): a connection left
        # open is a socket collected unclosed in some later test.
        try:
            await handle(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(closing, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


@pytest.fixture
async def hang_up() -> AsyncIterator[tuple[str, list[int]]]:
    """A server that reads each request, then closes the connection without answering."""
    seen: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        seen.append(1)
        writer.close()

    async with _local(handle) as url:
        yield url, seen


async def test_a_write_dropped_after_sending_is_not_sent_again(
    hang_up: tuple[str, list[int]],
) -> None:
    url, seen = hang_up
    async with omsclient.AsyncClient(
        legacy_url=url, username="u", password="p", transport="aiohttp", retry=FAST_RETRY
    ) as oms:
        with pytest.raises(omsclient.TransportError) as info:
            await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=2))
        assert seen == [1]
        assert not isinstance(info.value.__cause__, httpx.ConnectError | httpx.ConnectTimeout)
        # A read is idempotent: retried.
        with pytest.raises(omsclient.TransportError):
            await oms.legacy.orders.search(ALL)
        assert len(seen) == 1 + 3


@pytest.fixture
async def answer_then_hang_up() -> AsyncIterator[tuple[str, list[str]]]:
    """A server that answers a connection's first request and keeps it open, then reads the
    next one and closes the connection without answering."""
    seen: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head.split(b" ", 1)[0].decode())
        body = b'{"uid": "U1"}'
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        with contextlib.suppress(asyncio.IncompleteReadError):
            head = await reader.readuntil(b"\r\n\r\n")
            seen.append(head.split(b" ", 1)[0].decode())
        writer.close()

    async with _local(handle) as url:
        yield url, seen


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_an_idempotent_write_on_a_dropped_kept_alive_connection_is_sent_once(
    answer_then_hang_up: tuple[str, list[str]], transport: str, method: str
) -> None:
    # aiohttp sends a PUT or DELETE again by itself when a kept-alive connection drops; the
    # session, which never saw the first send, would report the write as applied once.
    url, seen = answer_then_hang_up
    async with omsclient.AsyncClient(
        rest_url=url, api_token="t", transport=transport, max_retries=0
    ) as oms:
        await oms.rest.orders.get("U1")
        with pytest.raises(omsclient.TransportError) as info:
            if method == "PUT":
                await oms.rest.orders.update("U1", note="x")
            else:
                await oms.rest.orders.delete("U1")
    assert seen == ["GET", method]
    assert info.value.maybe_applied is True


@pytest.fixture
async def request_lines() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server that records each request line and answers the order its path names."""
    lines: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0]
                lines.append(line)
                uid = urllib.parse.unquote(line.split()[1].rsplit(b"/", 1)[1].decode())
                body = json.dumps({"uid": uid}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        writer.close()

    async with _local(handle) as url:
        yield url, lines


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_path_id_reaches_the_server_as_httpx_escaped_it(
    request_lines: tuple[str, list[bytes]], transport: str
) -> None:
    # aiohttp read httpx's URL again and decoded what it escaped: "a;b" went out as a;b, which
    # Java servers take for the id "a" with a path parameter.
    url, lines = request_lines
    async with omsclient.AsyncClient(rest_url=url, api_token="t", transport=transport) as oms:
        for uid in ("a;b", "a,b=c", "a/b", "a:b@c", "a!b$c&d'e(f)g*h+i"):
            await oms.rest.orders.get(uid)
    assert lines == [
        b"GET /api/v1/orders/a%3Bb HTTP/1.1",
        b"GET /api/v1/orders/a%2Cb%3Dc HTTP/1.1",
        b"GET /api/v1/orders/a%2Fb HTTP/1.1",
        b"GET /api/v1/orders/a%3Ab%40c HTTP/1.1",
        b"GET /api/v1/orders/a%21b%24c%26d%27e%28f%29g%2Ah%2Bi HTTP/1.1",
    ]


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_connection_reset_mid_answer_says_so(transport: str) -> None:
    # httpx's ReadError of a reset connection carries no message: the error said only
    # "ReadError on GET /api/v1/orders/U1: ReadError", where the OSError under it names the
    # reset.
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b'HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n{"uid": "U')
        await writer.drain()
        # Linger 0: the close sends a reset, not a goodbye.
        linger = struct.pack("ii", 1, 0)
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        writer.transport.abort()

    async with (
        _local(handle) as url,
        omsclient.AsyncClient(
            rest_url=url, api_token="t", transport=transport, max_retries=0
        ) as oms,
    ):
        with pytest.raises(errors.TransportError) as caught:
            await oms.rest.orders.get("U1")
    message = str(caught.value)
    detail = message.split(" on GET /api/v1/orders/U1: ", 1)[1]
    assert detail.split(";")[0] not in ("ReadError", "ClientPayloadError"), message
    if transport == "httpx":
        assert "Connection reset by peer" in detail, message


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
@pytest.mark.filterwarnings("error::ResourceWarning")
async def test_a_body_over_a_mebibyte_is_sent_whole_without_a_warning(transport: str) -> None:
    # aiohttp warned of every request body over 1 MiB (a ResourceWarning: the call failed
    # under -W error), which httpx's transport sends without a word.
    from .hostile import Request, hostile_server, write_json

    name = "n" * (1 << 20) + "end"

    async def created(request: Request, stream: Any) -> None:
        await write_json(stream, {"id": "c1", "name": json.loads(request.body)["name"]})

    with hostile_server() as server:
        server.handler = created
        async with omsclient.AsyncClient(
            rest_url=server.url, api_token="t0ken", store_id=1, transport=transport
        ) as oms:
            category = await oms.rest.categories.create(name=name)
    assert category.name == name
    (sent,) = server.requests
    assert int(sent.headers["content-length"]) == len(sent.body)
    assert "transfer-encoding" not in sent.headers
