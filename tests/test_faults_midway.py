"""Faults in the middle of long reads, over real sockets: every row comes once, only reads
are retried, and each retry is logged with its reason."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Literal

import anyio.abc
import pytest

import omsclient
from omsclient.export import export_orders
from omsclient.legacy import Condition, Op, OrderField, StatusChange
from omsclient.sandbox import Faults, SandboxConfig, SandboxInfo

from .hostile import Request, close_connection, hostile_server, write_json

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
FAST = omsclient.RetryPolicy(max_retries=3, initial_delay=0.001, max_delay=0.01)
Factory = Callable[..., SandboxInfo]


async def test_an_empty_answer_is_retried_whatever_its_content_type(
    oms_sandbox_factory: Factory,
) -> None:
    # A PHP server that dies before writing sends an empty body labelled text/html, as the
    # sandbox does: no HTML page, nothing that would come back the same.
    info = oms_sandbox_factory(orders=30, products=5)
    async with omsclient.AsyncClient(**info.client_kwargs(), retry=FAST) as oms:
        info.state.queue_faults("empty")
        page = await oms.legacy.orders.search(ALL)
        assert page.total == 30
        info.state.queue_faults(*["empty"] * 4)
        with pytest.raises(omsclient.DecodeError, match="empty body") as caught:
            await oms.legacy.orders.search(ALL)
        assert caught.value.transient is True
        assert caught.value.attempts == 4


# Every kind of failure a read rides through, one after the other on the third page.
MIDWAY = ["none", "none", "truncate", "drop", "empty", "error:503", "rate_limit"]
PATIENT = omsclient.RetryPolicy(max_retries=5, initial_delay=0.001, max_delay=0.01)


@pytest.mark.parametrize("job", ["iterate", "scan", "export"])
async def test_faults_at_the_third_page_lose_and_repeat_no_row(
    oms_sandbox_factory: Factory, tmp_path: Path, job: str
) -> None:
    faults = Faults(retry_after=0)
    info = oms_sandbox_factory(SandboxConfig(orders=450, products=5, faults=faults))
    expected = sorted(r.order_id for r in info.state.orders)
    info.state.queue_faults(*MIDWAY)
    async with omsclient.AsyncClient(**info.client_kwargs(), retry=PATIENT) as oms:
        if job == "iterate":
            ids = [o["order_id"] async for o in oms.legacy.orders.iterate_raw(ALL)]
        elif job == "scan":
            ids = [o.order_id async for o in oms.legacy.orders.scan()]
        else:
            out = tmp_path / "orders.jsonl"
            await export_orders(oms, out, windows=1)
            ids = [json.loads(line)["order_id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == expected
    met = [(r.fault, r.status) for r in info.state.requests if r.fault]
    # Each met once: the faults were ridden through, not around.
    assert met == [
        ("truncate", 200),
        ("drop", None),
        ("empty", 200),
        ("error", 503),
        ("rate_limit", 429),
    ]


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_keep_alive_connection_the_server_dropped_is_retried_for_reads_only(
    transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="omsclient")
    # By the stream itself, kept: an id() of one collected may be a later connection's.
    answered: Counter[anyio.abc.SocketStream] = Counter()

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        # One answer per connection, kept alive; the next request on it finds it closed.
        answered[stream] += 1
        if answered[stream] > 1:
            close_connection()
        await write_json(stream, {"response_status": {"code": 10001}, "orders": [], "total": 0})

    with hostile_server() as server:
        server.handler = handler
        async with omsclient.AsyncClient(
            legacy_url=server.url, username="u", password="p", retry=FAST, transport=transport
        ) as oms:
            for _ in range(3):
                assert (await oms.legacy.orders.search(ALL)).total == 0
            with pytest.raises(omsclient.TransportError) as caught:
                await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=2))
    assert caught.value.maybe_applied is True  # the server read it before closing
    assert caught.value.attempts == 1
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]
    assert len(retries) == 2
    assert all("find" in line and "RemoteProtocolError" in line for line in retries)


@contextmanager
def answering_early(answer: bytes) -> Iterator[str]:
    """A server on 127.0.0.1 that reads a request's head only, sends ``answer`` and closes the
    connection with the body unread, which makes its kernel reset it: what a server refusing
    a large request at once does (a 413, a 429). Its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)  # to see the end: closing it wakes no accept()
    host, port = listener.getsockname()
    stop = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            while not stop.is_set():
                try:
                    connection, _ = listener.accept()
                except TimeoutError:
                    continue
                connection.settimeout(None)
                with connection:
                    head = b""
                    while b"\r\n\r\n" not in head:
                        head += connection.recv(65536)
                    connection.sendall(answer)
                    time.sleep(0.2)  # the answer is in before the reset

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{port}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, omsclient.RateLimitError),
        (401, omsclient.AuthenticationError),
        (413, omsclient.ApiError),
    ],
)
async def test_an_answer_sent_before_a_large_body_was_read_is_the_answer(
    transport: Literal["httpx", "aiohttp"], status: int, error: type[omsclient.OmsError]
) -> None:
    # asyncio's stream raised the reset over the answer it held: on the default transport the
    # write failed as a ReadError that "may have been applied", where the status says it was
    # not (transport="aiohttp" read the answer).
    answer = (
        b"HTTP/1.1 %d Refused\r\ncontent-type: application/json\r\nconnection: close\r\n"
        b'retry-after: 0\r\ncontent-length: 16\r\n\r\n{"message":"no"}' % status
    )
    if transport == "httpx" and sys.version_info < (3, 11):
        # resilience.md: there the default transport's sockets are anyio's, which raise the
        # reset over the answer received.
        error = omsclient.TransportError
    with answering_early(answer) as url:
        async with omsclient.AsyncClient(
            rest_url=url, api_token="t0ken-early", store_id=1, max_retries=0, transport=transport
        ) as oms:
            with pytest.raises(error) as caught:
                await oms.rest.categories.create(name="n" * 8_000_000)
    assert caught.value.maybe_applied is (error is omsclient.TransportError)
