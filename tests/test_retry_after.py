"""Every form a server may give ``Retry-After`` in, on a 429 and on a 503 (respx)."""

from __future__ import annotations

import random
import time
from datetime import datetime
from email.utils import formatdate

import anyio
import httpx
import pytest
import respx
import trio

import omsclient
from omsclient import errors
from omsclient._retry import longest_retry_after, parse_retry_after
from omsclient.legacy import Condition, Op, OrderField

from .conftest import LEGACY, ok, on_virtual_time

FIND = f"{LEGACY}/api/json/manage_orders/find"
READY = Condition(OrderField.DATE_PRODUCTION_FILES_READY, Op.GT, date1=datetime(2016, 2, 1))

# Headers that are neither delay-seconds nor an HTTP date a clock can hold.
GARBAGE = [
    "soon",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "infinity",
    "1e3",
    "1_0",
    "0x10",
    "\u0665",  # an Arabic-Indic five: a digit to Python, not to HTTP
    "5 s",
    "Sun, 06 Nov 99999999999 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 +99999999999999",
    "Sun, 06 Nov 1994 99:49:37 GMT",
]


@pytest.mark.parametrize("header", GARBAGE)
def test_a_retry_after_that_is_no_delay_nor_date_is_ignored(header: str) -> None:
    assert parse_retry_after(header) is None


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("5", 5.0), (" 7 ", 7.0), ("0", 0.0), ("1.5", 1.5), ("-3", 0.0), ("+2", 2.0)],
)
def test_delay_seconds_are_read_whole_fractional_or_negative(header: str, seconds: float) -> None:
    assert parse_retry_after(header) == seconds


def test_a_huge_delay_is_read_and_capped_by_the_policy() -> None:
    policy = omsclient.RetryPolicy(max_retry_after=60)
    assert policy.delay(0, parse_retry_after("9" * 400)) == 60
    assert policy.delay(0, parse_retry_after("99999999999999999999999")) == 60


def test_the_longest_of_several_retry_afters_that_read_is_kept() -> None:
    assert longest_retry_after(["3", "3"]) == 3.0
    assert longest_retry_after(["soon", "2", "7", "nan"]) == 7.0
    assert longest_retry_after(["soon"]) is None
    assert longest_retry_after([]) is None


def wait_before_the_retry(
    client_kwargs: dict[str, object],
    status: int,
    header: str | list[str],
    retry: omsclient.RetryPolicy,
) -> float:
    """How long a search answered ``status`` with ``Retry-After: header`` (each of a list sent
    as a header of its own), then 200, waited before its retry, on a virtual clock: exact,
    however loaded the machine is."""
    stamps: list[float] = []
    headers = [
        (b"Retry-After", value.encode())
        for value in ([header] if isinstance(header, str) else header)
    ]

    def answer(request: httpx.Request) -> httpx.Response:
        stamps.append(trio.current_time())
        if len(stamps) == 1:
            return httpx.Response(status, headers=headers)
        return httpx.Response(200, json=ok(orders=[], total=0))

    async def main() -> None:
        async with omsclient.AsyncClient(**{**client_kwargs, "retry": retry}) as oms:  # type: ignore[arg-type]
            oms._session.throttle._clock = trio.current_time
            page = await oms.legacy.orders.search(READY)
        assert page.total == 0

    with respx.mock:
        respx.post(FIND).mock(side_effect=answer)
        on_virtual_time(main)
    assert len(stamps) == 2
    return stamps[1] - stamps[0]


@pytest.mark.parametrize("status", [429, 503, 408])
@pytest.mark.parametrize("header", GARBAGE)
def test_a_garbage_retry_after_falls_back_to_the_backoff(
    client_kwargs: dict[str, object], status: int, header: str
) -> None:
    retry = omsclient.RetryPolicy()
    # Read as a number, "inf" or "1e3" would hold the call for max_retry_after (60 s); the
    # first backoff is at most initial_delay.
    assert wait_before_the_retry(client_kwargs, status, header, retry) <= retry.initial_delay


@respx.mock
@pytest.mark.parametrize("status", [429, 503])
async def test_a_garbage_retry_after_on_the_last_attempt_is_the_http_error(
    oms: omsclient.AsyncClient, status: int
) -> None:
    respx.post(FIND).respond(status, headers={"Retry-After": GARBAGE[-3]})
    with pytest.raises(errors.ApiError) as caught:
        await oms.with_options(max_retries=0).legacy.orders.search(READY)
    assert caught.value.status_code == status
    assert caught.value.retry_after is None


@pytest.mark.parametrize("status", [429, 503])
def test_the_backoff_never_waits_longer_than_max_delay(
    client_kwargs: dict[str, object], status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The jitter's longest draw: the wait is then the bound itself.
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    retry = omsclient.RetryPolicy(initial_delay=10, max_delay=0.25)
    assert wait_before_the_retry(client_kwargs, status, "soon", retry) == 0.25


@pytest.mark.parametrize("status", [429, 503, 408])
@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("0.3", 0.3),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0),  # past: no wait
        ("-5", 0.0),
        # Far future: capped. Its id is fixed, not the date of the moment it was collected.
        pytest.param(formatdate(time.time() + 1e9, usegmt=True), 0.3, id="far-future-0.3"),
    ],
)
def test_the_wait_before_a_retry_is_the_servers(
    client_kwargs: dict[str, object], status: int, header: str, wait: float
) -> None:
    retry = omsclient.RetryPolicy(max_retries=1, initial_delay=0.001, max_retry_after=0.3)
    assert wait_before_the_retry(client_kwargs, status, header, retry) == pytest.approx(wait)


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("headers", [["0.3", "0.3"], ["0.1", "soon", "0.3"]])
def test_a_retry_after_sent_more_than_once_is_waited_for(
    client_kwargs: dict[str, object], status: int, headers: list[str]
) -> None:
    # A proxy adding its own beside the server's: joined as "0.3, 0.3", neither read as a
    # delay, and the retry went out after the backoff alone.
    retry = omsclient.RetryPolicy(max_retries=1, initial_delay=0.001, max_retry_after=60)
    assert wait_before_the_retry(client_kwargs, status, headers, retry) == pytest.approx(0.3)


@respx.mock
@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("headers", [["30"], ["30", "30"]])
async def test_a_retry_after_holds_back_the_clients_other_requests(
    oms: omsclient.AsyncClient, status: int, headers: list[str]
) -> None:
    route = respx.post(FIND).mock(
        side_effect=[
            httpx.Response(status, headers=[("Retry-After", value) for value in headers]),
            httpx.Response(200, json=ok(orders=[], total=0)),
        ]
    )
    with pytest.raises(errors.ApiError):
        await oms.with_options(max_retries=0).legacy.orders.search(READY)
    # The server said when to come back; another call of the client waits for that too.
    with anyio.move_on_after(0.5) as held:
        await oms.legacy.orders.search(READY)
    assert held.cancelled_caught
    assert route.call_count == 1


def test_a_503_without_retry_after_holds_back_only_its_own_request(
    client_kwargs: dict[str, object],
) -> None:
    # A failing backend that asked for no pause held back every request of the client for the
    # first one's backoff: a search started meanwhile waited, though nothing said to.
    retry = omsclient.RetryPolicy(max_retries=1, initial_delay=30, max_delay=30)
    sent: list[float] = []

    async def main() -> None:
        first_failed = anyio.Event()

        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(trio.current_time())
            if len(sent) == 1:
                first_failed.set()
                return httpx.Response(503, json={"message": "backend down"})
            return httpx.Response(200, json=ok(orders=[], total=0))

        async def another_search(oms: omsclient.AsyncClient) -> None:
            await first_failed.wait()
            await oms.legacy.orders.search(READY)

        respx.post(FIND).mock(side_effect=answer)
        async with omsclient.AsyncClient(**{**client_kwargs, "retry": retry}) as oms:  # type: ignore[arg-type]
            oms._session.throttle._clock = trio.current_time
            async with anyio.create_task_group() as tg:
                tg.start_soon(oms.legacy.orders.search, READY)
                tg.start_soon(another_search, oms)

    with respx.mock:
        on_virtual_time(main)
    failed, other, retried = sent
    # The other search went out the moment the 503 came (a virtual clock: exact), before the
    # first one's retry.
    assert other == failed
    assert retried > other
