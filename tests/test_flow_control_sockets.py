"""Flow control over real sockets: a 429's pause reaches every request of the client, those
already waiting for an in-flight slot included; a rate slot left by a cancelled request;
the attempt deadline with the read timeout turned off; the backoff at any retry number."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.abc
import httpx
import pytest

import omsclient
from omsclient._loop_bound import LoopBoundTransport
from omsclient.legacy import Condition, Op, OrderField

from .conftest import ok
from .hostile import HostileServer, Request, hostile_server, write_response

COND = Condition(OrderField.DATE_ORDERED, Op.GE, date1="2024-01-01")
BODY = json.dumps(ok(total=1, orders=[{"order_id": "INV1"}])).encode()
FAST_RETRY = omsclient.RetryPolicy(max_retries=3, initial_delay=0.001, max_delay=0.01)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server() as running:
        yield running


def client(server: HostileServer, **options: Any) -> omsclient.AsyncClient:
    options.setdefault("retry", FAST_RETRY)
    return omsclient.AsyncClient(
        legacy_url=server.url, username="fred", password="pw-secret-1", **options
    )


def stamping(first_status: int = 429, first_delay: float = 0.0, later_delay: float = 0.0) -> Any:
    """A handler answering the first request with ``first_status`` (``Retry-After: 1``) after
    ``first_delay``, every other one with a page after ``later_delay``; it stamps arrivals."""
    stamps: list[float] = []

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        stamps.append(time.monotonic())
        if len(stamps) == 1:
            await anyio.sleep(first_delay)
            if first_status == 200:
                await write_response(stream, BODY)
            else:
                headers = {"retry-after": "1"} if first_status == 429 else {}
                await write_response(stream, b"{}", status=first_status, headers=headers)
        else:
            await anyio.sleep(later_delay)
            await write_response(stream, BODY)

    handler.stamps = stamps  # type: ignore[attr-defined]
    return handler


async def search_all(oms: omsclient.AsyncClient, n: int) -> None:
    async with anyio.create_task_group() as tasks:
        for _ in range(n):
            tasks.start_soon(oms.legacy.orders.search, COND)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_429_pauses_the_requests_waiting_for_an_in_flight_slot(
    server: HostileServer, transport: str
) -> None:
    server.handler = handler = stamping(first_delay=0.2)
    async with client(server, max_in_flight=1, transport=transport) as oms:
        await search_all(oms, 4)
    stamps = handler.stamps
    answered = stamps[0] + 0.2
    assert len(stamps) == 5  # the 429's retry and three others
    assert all(stamp - answered >= 0.9 for stamp in stamps[1:])


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_new_client_keeps_its_rate_while_its_pool_is_built(
    server: HostileServer, transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Building a loop's pool blocks the loop (httpx loads the CA certificates): the second
    # request's rate wait runs out meanwhile, and it must not then follow the first at once.
    built = LoopBoundTransport.__init__

    def slow_to_build(self: LoopBoundTransport, make: Any) -> None:
        def slow() -> Any:
            time.sleep(0.3)
            return make()

        built(self, slow)

    monkeypatch.setattr(LoopBoundTransport, "__init__", slow_to_build)
    server.handler = handler = stamping(first_status=200)
    async with client(server, requests_per_second=5, transport=transport) as oms:
        await search_all(oms, 3)
    gaps = [later - earlier for earlier, later in itertools.pairwise(handler.stamps)]
    assert len(gaps) == 2
    assert min(gaps) >= 0.15  # 0.2 s apart, less what the server's stamps may be late by


async def test_a_429_that_is_not_retried_still_pauses_the_client(server: HostileServer) -> None:
    server.handler = handler = stamping()
    async with client(server) as oms:
        with pytest.raises(omsclient.RateLimitError):
            await oms.with_options(max_retries=0).legacy.orders.search(COND)
        await oms.legacy.orders.search(COND)
    first, second = handler.stamps
    assert second - first >= 0.9


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_requests_cancelled_while_waiting_for_a_rate_slot_leave_it_to_the_next(
    server: HostileServer, backend: str
) -> None:
    server.handler = stamping(first_status=200)

    async def main() -> float:
        async with client(server, requests_per_second=2) as oms:
            await oms.legacy.orders.search(COND)
            # Sixteen searches queue for rate slots (one each half second) and are cancelled.
            with anyio.move_on_after(0.2):
                await search_all(oms, 16)
            started = time.monotonic()
            with anyio.fail_after(30):
                await oms.legacy.orders.search(COND)
            return time.monotonic() - started

    # The next search waits for the slot after the last one sent (under 0.5 s), not for eight
    # seconds of slots taken by searches that never went out. The bound sits between the two,
    # ten times the wait that is due: a loaded machine cannot stretch it that far.
    assert anyio.run(main, backend=backend) < 5.0


async def test_read_timeout_off_does_not_shrink_the_attempt_to_the_connect_timeout(
    server: HostileServer,
) -> None:
    async def slow(request: Request, stream: anyio.abc.SocketStream) -> None:
        await anyio.sleep(1.5)
        await write_response(stream, BODY)

    server.handler = slow
    async with client(server, timeout=httpx.Timeout(1.0, read=None)) as oms:
        page = await oms.legacy.orders.search(COND)
    assert page.total == 1


def test_the_backoff_is_a_number_at_any_retry() -> None:
    policy = omsclient.RetryPolicy(max_retries=5000, initial_delay=0.5, max_delay=8.0)
    assert 0 <= policy.delay(1024) <= 8.0
    assert 0 <= policy.delay(4999) <= 8.0


def unavailable(server: HostileServer, retry_after: str | None) -> Any:
    """A handler answering the first request 503 (with ``retry_after`` if given), every other
    one with a page."""

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        if len(server.requests) == 1:
            headers = {} if retry_after is None else {"retry-after": retry_after}
            await write_response(stream, b"{}", status=503, headers=headers)
        else:
            await write_response(stream, BODY)

    return handler


async def test_a_503_with_retry_after_pauses_every_request_of_the_client(
    server: HostileServer,
) -> None:
    # "Unavailable for 30 s" holds for the server, not for one request: the others would fail
    # the same way until then.
    server.handler = unavailable(server, "30")
    async with client(server) as oms:
        with pytest.raises(omsclient.ServerError):
            await oms.with_options(max_retries=0).legacy.orders.search(COND)
        with anyio.move_on_after(0.5) as held:
            await oms.legacy.orders.search(COND)
    assert held.cancelled_caught
    assert len(server.requests) == 1


async def test_a_503_without_retry_after_pauses_only_its_own_request(
    server: HostileServer,
) -> None:
    server.handler = unavailable(server, None)
    async with client(server) as oms:
        with pytest.raises(omsclient.ServerError):
            await oms.with_options(max_retries=0).legacy.orders.search(COND)
        with anyio.fail_after(30):
            page = await oms.legacy.orders.search(COND)
    assert page.total == 1
    assert len(server.requests) == 2
