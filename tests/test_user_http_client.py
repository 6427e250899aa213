"""An ``http_client`` of the user's own: omsclient's rules hold whatever it is set to (no
redirect followed, no auth of its own), and using it from a second event loop is a clear error."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.abc
import httpx
import pytest

import omsclient
from omsclient import errors

from .conftest import ok
from .hostile import HostileServer, Request, hostile_server, write_response
from .test_hostile import SINCE

PASSWORD = "pw-secret-1"
BODY = json.dumps(ok(total=0, orders=[])).encode()


@pytest.fixture
def servers() -> Iterator[tuple[HostileServer, HostileServer]]:
    with hostile_server() as first, hostile_server() as other:
        yield first, other


@pytest.fixture
def answering(servers: tuple[HostileServer, HostileServer]) -> HostileServer:
    """The first server, answering every search with no orders."""
    server, _ = servers

    async def answer(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, BODY)

    server.handler = answer
    return server


async def test_a_redirect_is_not_followed_even_if_the_http_client_would(
    servers: tuple[HostileServer, HostileServer],
) -> None:
    first, other = servers

    async def redirect(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, b"", status=307, headers={"location": f"{other.url}/steal"})

    async def answer(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, BODY)

    first.handler, other.handler = redirect, answer
    async with (
        httpx.AsyncClient(follow_redirects=True) as mine,
        omsclient.AsyncClient(
            legacy_url=first.url,
            username="fred",
            password=PASSWORD,
            max_retries=0,
            http_client=mine,
        ) as oms,
    ):
        with pytest.raises(errors.DecodeError, match="a redirect to"):
            await oms.legacy.orders.search(SINCE)
    assert other.requests == []  # the password went nowhere else


async def test_an_http_client_with_auth_is_refused() -> None:
    async with httpx.AsyncClient(auth=("gateway", "gateway-pw")) as mine:
        with pytest.raises(errors.ConfigurationError, match="authenticates every request itself"):
            omsclient.AsyncClient(
                rest_url="https://oms.test", api_token="tok-secret-1", http_client=mine
            )


def test_an_http_client_used_from_a_second_event_loop_is_a_clear_error(
    answering: HostileServer,
) -> None:
    mine = httpx.AsyncClient()
    oms = omsclient.AsyncClient(
        legacy_url=answering.url,
        username="fred",
        password=PASSWORD,
        max_retries=0,
        http_client=mine,
    )

    async def search() -> int:
        return (await oms.legacy.orders.search(SINCE)).total

    async def search_then_close_mine() -> int:
        try:
            return await search()
        finally:
            await mine.aclose()  # its connections are this loop's: closed with it

    assert asyncio.run(search_then_close_mine()) == 0
    with pytest.raises(errors.ConfigurationError, match="pass one per event loop"):
        asyncio.run(search())
    assert len(answering.requests) == 1  # nothing sent from the second loop


def test_the_blocking_client_closes_an_http_client_its_loop_opened_connections_of(
    answering: HostileServer,
) -> None:
    # Its connections belong to the Client's own loop, which stops with it: left open, they
    # went to the garbage collector ("unclosed transport") and the caller's aclose() failed
    # with "Event loop is closed".
    mine = httpx.AsyncClient()
    with omsclient.Client(
        legacy_url=answering.url,
        username="fred",
        password=PASSWORD,
        max_retries=0,
        http_client=mine,
    ) as oms:
        assert oms.legacy.orders.search(SINCE).total == 0
        assert not mine.is_closed
    assert mine.is_closed
    asyncio.run(mine.aclose())  # a close of the caller's own after it is harmless


def test_each_request_takes_the_clients_timeout_not_the_http_clients(
    servers: tuple[HostileServer, HostileServer],
) -> None:
    # As documented: a user's http_client with a 0.2 s timeout does not cut an answer that
    # takes 0.6 s short, and the client's own timeout does.
    server, _ = servers

    async def slow(request: Request, stream: anyio.abc.SocketStream) -> None:
        await anyio.sleep(0.6)
        await write_response(stream, BODY)

    server.handler = slow
    kwargs: dict[str, Any] = dict(
        legacy_url=server.url, username="fred", password=PASSWORD, max_retries=0
    )

    async def search(**more: Any) -> int:
        async with (
            httpx.AsyncClient(timeout=0.2) as mine,
            omsclient.AsyncClient(**kwargs, **more, http_client=mine) as oms,
        ):
            return (await oms.legacy.orders.search(SINCE)).total

    assert asyncio.run(search()) == 0
    with pytest.raises(errors.RequestTimeoutError):
        asyncio.run(search(timeout=0.2))


async def test_an_http_client_closed_by_its_owner_is_a_client_closed_error(
    answering: HostileServer,
) -> None:
    # httpx's own RuntimeError escaped an `except OmsError`.
    mine = httpx.AsyncClient()
    async with omsclient.AsyncClient(
        legacy_url=answering.url, username="fred", password=PASSWORD, http_client=mine
    ) as oms:
        assert (await oms.legacy.orders.search(SINCE)).total == 0
        await mine.aclose()
        with pytest.raises(errors.ClientClosedError, match="the http_client given") as caught:
            await oms.legacy.orders.search(SINCE)
    assert str(caught.value).startswith("legacy.orders.search: ")
    assert caught.value.maybe_applied is False
    assert len(answering.requests) == 1  # nothing sent after the close


async def _closed_while_waiting(
    answering: HostileServer, status: int, after: float
) -> errors.ClientClosedError:
    """The error of a search whose caller's http_client is closed ``after`` seconds into the
    second a ``status`` answer's Retry-After asks it to wait."""
    # Set from the server's thread through the test's loop: set there directly, it did not
    # wake the loop, which could sleep through the 5 s pause, so the close raced the retry.
    answered, loop = asyncio.Event(), asyncio.get_running_loop()

    async def busy(request: Request, stream: anyio.abc.SocketStream) -> None:
        # Long enough that a loaded machine still closes it before the retry.
        await write_response(stream, b"busy", status=status, headers={"retry-after": "5"})
        loop.call_soon_threadsafe(answered.set)

    answering.handler = busy
    mine = httpx.AsyncClient()
    async with omsclient.AsyncClient(
        legacy_url=answering.url, username="fred", password=PASSWORD, http_client=mine
    ) as oms:

        async def close_while_waiting() -> None:
            await answered.wait()
            await anyio.sleep(after)
            await mine.aclose()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(close_while_waiting)
            # Only a hang fails it: the retry comes after the 5 s pause, later on a loaded machine.
            with anyio.fail_after(60), pytest.raises(errors.ClientClosedError) as caught:
                await oms.legacy.orders.search(SINCE)
    assert len(answering.requests) == 1
    return caught.value


async def test_an_http_client_closed_between_two_attempts_is_a_client_closed_error(
    answering: HostileServer,
) -> None:
    error = await _closed_while_waiting(answering, 503, 0)
    assert str(error).startswith(
        "legacy.orders.search: the http_client given to the client was closed"
    )
    assert error.maybe_applied is True  # the first attempt reached the server


def test_the_blocking_client_says_so_too(answering: HostileServer) -> None:
    mine = httpx.AsyncClient()
    asyncio.run(mine.aclose())
    with (
        omsclient.Client(
            legacy_url=answering.url, username="fred", password=PASSWORD, http_client=mine
        ) as oms,
        pytest.raises(errors.ClientClosedError, match="the http_client given"),
    ):
        oms.legacy.orders.search(SINCE)
    assert answering.requests == []


async def test_an_http_client_closed_during_a_pause_the_server_asked_for_names_the_call(
    answering: HostileServer,
) -> None:
    # A 429's wait is held by the client's throttle, inside the next attempt: the error came
    # without its operation and said the refused call may have applied.
    error = await _closed_while_waiting(answering, 429, 0.2)
    assert str(error).startswith("legacy.orders.search: the http_client given")
    assert error.maybe_applied is False  # a 429 is a refusal
