"""A redirect is an answer omsclient does not follow and does not take for success: a
``DecodeError`` naming where it points, never retried, on both transports."""

from __future__ import annotations

from collections.abc import Iterator

import anyio.abc
import pytest

import omsclient
from omsclient import errors
from omsclient.legacy import StatusChange

from .hostile import HostileServer, Request, hostile_server, write_response
from .test_hostile import SINCE

TRANSPORTS = ["httpx", "aiohttp"]


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server() as running:
        yield running


def redirecting(status: int, seen: list[str]) -> object:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        seen.append(request.method)
        headers = {"location": "https://elsewhere.test/login?key=abcdef0123456789"}
        await write_response(stream, b"", status=status, headers=headers)

    return handler


def client(server: HostileServer, transport: str) -> omsclient.AsyncClient:
    return omsclient.AsyncClient(
        legacy_url=server.url,
        username="fred",
        password="pw-secret-1",
        rest_url=server.url,
        api_token="tok-secret-1",
        store_id="1",
        max_retries=3,
        timeout=5,
        transport=transport,
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirected_delete_is_not_taken_for_a_deletion(
    server: HostileServer, status: int, transport: str
) -> None:
    seen: list[str] = []
    server.handler = redirecting(status, seen)
    async with client(server, transport) as oms:
        with pytest.raises(errors.DecodeError) as caught:
            await oms.rest.categories.delete(1)
    error = caught.value
    assert error.status_code == status
    assert "a redirect to https://elsewhere.test/login?key=[REDACTED]" in str(error)
    assert "abcdef0123456789" not in str(error)
    assert error.transient is False
    assert error.maybe_applied is True  # the server may have acted before redirecting
    assert seen == ["DELETE"]  # neither followed nor retried


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_redirected_search_is_not_retried(server: HostileServer, transport: str) -> None:
    seen: list[str] = []
    server.handler = redirecting(302, seen)
    async with client(server, transport) as oms:
        with pytest.raises(errors.DecodeError, match=r"redirect to https://elsewhere\.test"):
            await oms.legacy.orders.search(SINCE)
    assert seen == ["POST"]


async def test_a_redirected_status_update_may_have_applied(server: HostileServer) -> None:
    seen: list[str] = []
    server.handler = redirecting(303, seen)
    async with client(server, "httpx") as oms:
        with pytest.raises(errors.DecodeError) as caught:
            await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=2))
    assert caught.value.maybe_applied is True
    assert seen == ["POST"]


FORGED = "\u0085omsclient: all good\u2028a second line\u009b1A"  # no ESC, CR or LF: HTTP allows


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("header", ["location", "content-encoding"])
async def test_header_text_quoted_in_an_error_stays_on_one_line(
    server: HostileServer, transport: str, header: str
) -> None:
    # A redirect's Location and an unasked-for Content-Encoding were quoted as sent: line
    # separators and C1 controls forged lines in logs and repainted terminals, where a body's
    # text is flattened.
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        value = f"https://elsewhere.test/{FORGED}" if header == "location" else f"x{FORGED}"
        status = 302 if header == "location" else 200
        await write_response(stream, b"{}", status=status, headers={header: value})

    server.handler = handler
    async with client(server, transport) as oms:
        with pytest.raises(errors.DecodeError) as caught:
            await oms.rest.categories.get(1)
    message = str(caught.value)
    assert len(message.splitlines()) == 1, message
    assert not any(char in message for char in "\u0085\u2028\u009b")
    assert "omsclient: all good a second line 1a" in message.lower()  # codings read lowered


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_long_sign_in_location_is_quoted_whole(
    server: HostileServer, transport: str
) -> None:
    # Put on one line, it was cut at 300 characters like a body's text.
    target = "https://sso.example.test/authorize?" + "&".join(f"p{n}=v{n}" for n in range(90))

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, b"", status=302, headers={"location": target})

    server.handler = handler
    async with client(server, transport) as oms:
        with pytest.raises(errors.DecodeError) as caught:
            await oms.rest.categories.get(1)
    assert len(target) > 500
    assert f"a redirect to {target}, which is not followed" in str(caught.value)
