"""What the client promises against a hostile server, over real sockets (tests/hostile.py).

Timeouts bound a call, no secret reaches an error, answers are bounded, paging always ends,
failed writes say whether they may have been applied, and bad input is refused before sending.
"""

from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
import traceback
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Any

import anyio
import anyio.abc
import httpx
import pytest

import omsclient
from omsclient import errors
from omsclient.legacy import Condition, Op, OrderField, ProductField, StatusChange

from .conftest import LEAVES_NOTHING_UNCLOSED
from .hostile import (
    HostileServer,
    Request,
    close_connection,
    frame_variables,
    hostile_server,
    secret_forms,
    write_json,
    write_response,
)

pytestmark = LEAVES_NOTHING_UNCLOSED

# Characters every encoding changes: URL-, HTML- and JSON-escaped forms all differ from it.
PASSWORD = 'p@ss w0rd&<"sec+ret>/é'
TOKEN = "tok/en+with spaces&<secret>"
NO_RETRY = omsclient.RetryPolicy(max_retries=0)
ORDERS_FIND = "/api/json/manage_orders/find"
PRODUCTS_FIND = "/api/json/manage_products/find"
SINCE = Condition(OrderField.DATE_ORDERED, Op.GE, date1=date(2024, 1, 1))
ALL_PRODUCTS = Condition(ProductField.PRODUCT_ID, Op.GT, string=0)


ITEM: dict[str, Any] = {
    "ecommerce_order_item_id": "I1",
    "ecommerce_variant_id": "V",
    "quantity": 1,
    "template_config": {"scale": 1},
    "thumbnails": ["https://cdn.test/t.png"],
}


def ok(**body: Any) -> dict[str, Any]:
    return {"response_status": {"code": 10001, "severity": "SUCCESS", "description": ""}, **body}


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server() as running:
        yield running


@pytest.fixture
async def oms(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[omsclient.AsyncClient]:
    for name in ("LEGACY_URL", "USERNAME", "PASSWORD", "REST_URL", "API_TOKEN", "STORE_ID"):
        monkeypatch.delenv(f"OMS_{name}", raising=False)
    async with omsclient.AsyncClient(
        legacy_url=server.url,
        username="fred",
        password=PASSWORD,
        rest_url=server.url,
        api_token=TOKEN,
        store_id="1",
        retry=NO_RETRY,
        timeout=2,
    ) as client:
        yield client


# --- a deadline on each whole attempt ---------------------------------------------------------


async def drip_body(request: Request, stream: anyio.abc.SocketStream) -> None:
    await stream.send(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 999\r\n\r\n"
    )
    while True:
        await stream.send(b" ")
        await anyio.sleep(1)


async def drip_headers(request: Request, stream: anyio.abc.SocketStream) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nx-slow: " + b"a" * 1000:
        await stream.send(bytes([byte]))
        await anyio.sleep(1)


async def chunks_forever(request: Request, stream: anyio.abc.SocketStream) -> None:
    await stream.send(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
    await stream.send(b"transfer-encoding: chunked\r\n\r\n")
    while True:
        await stream.send(b"1\r\n \r\n")
        await anyio.sleep(0.2)


@pytest.mark.parametrize("handler", [drip_body, drip_headers, chunks_forever])
async def test_a_dripping_server_cannot_stretch_a_call_past_its_deadline(
    oms: omsclient.AsyncClient, server: HostileServer, handler: Any
) -> None:
    server.handler = handler
    started = time.monotonic()
    # The outer bound turns a call that would hang into a failure (a plain TimeoutError).
    # Default retries: a spent deadline is not retried, so they cannot multiply it.
    with anyio.fail_after(60), pytest.raises(errors.RequestTimeoutError) as caught:
        await oms.with_options(retry=omsclient.RetryPolicy()).legacy.orders.search(SINCE)
    # Ten times the deadline: room for any load, yet a drip that stretched the call (each
    # byte restarting a read timeout) would not end before the outer bound.
    assert time.monotonic() - started < 40
    assert len(server.requests) == 1
    assert "legacy.orders.search" in str(caught.value)
    assert "attempt deadline of 4 s" in str(caught.value)
    assert "(the answer came too slowly)" in str(caught.value)
    assert isinstance(caught.value, TimeoutError)


async def test_a_deadline_spent_waiting_for_a_pooled_connection_does_not_say_the_answer_was_late(
    server: HostileServer,
) -> None:
    # Queued behind another call for the one connection of the caller's own pool, the call
    # never left, and its error said "the answer came too slowly".
    server.handler = drip_body
    limits = httpx.Limits(max_connections=1)
    async with (
        httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30)) as http,
        omsclient.AsyncClient(
            legacy_url=server.url,
            username="u",
            password=PASSWORD,
            attempt_deadline=30,
            retry=NO_RETRY,
            http_client=http,
        ) as oms,
    ):
        with anyio.fail_after(20):
            async with anyio.create_task_group() as group:
                group.start_soon(oms.legacy.orders.search, SINCE)  # holds the connection
                while not server.requests:  # noqa: ASYNC110
                    await anyio.sleep(0.01)
                with pytest.raises(errors.RequestTimeoutError) as caught:
                    await oms.with_options(attempt_deadline=1).legacy.orders.search(SINCE)
                group.cancel_scope.cancel()
    assert len(server.requests) == 1
    assert str(caught.value).endswith(
        "(no answer in time: waiting for a free connection, sending the request, or waiting "
        "for the answer)"
    )
    assert caught.value.maybe_applied  # httpx does not say it never left


async def test_the_attempt_deadline_is_configurable_per_call(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    server.handler = drip_body
    with pytest.raises(errors.RequestTimeoutError, match="attempt deadline of 1 s"):
        await oms.with_options(attempt_deadline=1).legacy.orders.search(SINCE)


def test_the_deadline_holds_on_trio_with_a_stock_httpx_client(server: HostileServer) -> None:
    server.handler = drip_body

    async def call() -> errors.RequestTimeoutError:
        async with httpx.AsyncClient() as http:
            oms = omsclient.AsyncClient(
                legacy_url=server.url,
                username="u",
                password="p" * 8,
                timeout=1.5,  # the drip never leaves a read waiting that long
                retry=NO_RETRY,
                http_client=http,
            )
            # The outer bound turns a call that would hang into a failure.
            with anyio.fail_after(60), pytest.raises(errors.RequestTimeoutError) as caught:
                await oms.legacy.orders.search(SINCE)
            return caught.value

    started = time.monotonic()
    error = anyio.run(call, backend="trio")
    assert time.monotonic() - started < 30  # ten times the deadline: room for any load
    assert "legacy.orders.search: attempt deadline of 3 s" in str(error)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1, 0, True, "5"])
def test_bad_timeouts_and_deadlines_are_refused(bad: object) -> None:
    with pytest.raises(errors.ConfigurationError, match="timeout"):
        omsclient.AsyncClient(timeout=bad)  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigurationError, match="attempt_deadline"):
        omsclient.AsyncClient(attempt_deadline=bad)  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigurationError, match="timeout"):
        omsclient.AsyncClient().with_options(timeout=bad)  # type: ignore[arg-type]


# --- no secret in any form ---------------------------------------------------------------------


def every_form() -> list[str]:
    return [f for s in (PASSWORD, TOKEN) for f in secret_forms(s)]


def rendered(exc: BaseException) -> str:
    """Everything a caller may print of an error: str, repr, traceback, attributes, and the
    variables of the frames it went through."""
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc)), *frame_variables(exc)]
    for name, value in vars(exc).items():
        parts.append(f"{name}={value!r}")
    return "\n".join(parts)


def assert_clean(exc: BaseException) -> None:
    text = rendered(exc)
    for form in every_form():
        assert form not in text, f"{form!r} leaked"
    # No prefix of a secret left by a cut either.
    assert PASSWORD[:8] not in text
    assert TOKEN[:8] not in text


def echo_everything(request: Request) -> dict[str, Any]:
    password = request.form.get("password", "")
    forms = " | ".join(secret_forms(password))
    return {
        "response_status": {
            "code": 50005,
            "severity": password,
            "description": f"bad request for {forms}; doc https://x.test/d?key=k3y-s3cret&a=1",
        },
        password: "as a key",
        "echo": [password, {"nested": forms}],
    }


async def test_an_echoed_password_never_reaches_a_legacy_error(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_json(stream, echo_everything(request))

    server.handler = handler
    with pytest.raises(errors.InvalidParametersError) as caught:
        await oms.legacy.orders.search(SINCE)
    assert_clean(caught.value)
    assert "k3y-s3cret" not in rendered(caught.value)
    assert "[REDACTED]" in str(caught.value.body)
    assert caught.value.maybe_applied is False


async def test_an_echoed_token_never_reaches_a_rest_error(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        token = request.headers["authorization"].removeprefix("Bearer ")
        forms = secret_forms(token)
        body = {
            "message": f"no such token {forms[1]}",
            "errors": {token: [forms[3]], "name": [forms[4], forms[5]]},
        }
        await write_json(stream, body, status=422)

    server.handler = handler
    with pytest.raises(errors.InvalidRequestError) as caught:
        await oms.rest.categories.get(1)
    assert_clean(caught.value)
    assert caught.value.field_errors  # kept, redacted
    assert all(TOKEN not in k for k in caught.value.field_errors)


async def test_a_wrong_typed_echoed_value_is_not_quoted_in_a_structure_error(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        token = request.headers["authorization"].removeprefix("Bearer ")
        await write_json(stream, {"data": {"id": 1, "name": "n", "default_dpi": token}})

    server.handler = handler
    with pytest.raises(errors.DecodeError) as caught:
        await oms.rest.categories.get(1)
    assert_clean(caught.value)
    assert "default_dpi" in str(caught.value)
    assert caught.value.maybe_applied is True


async def test_a_snippet_is_redacted_before_it_is_cut(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        # The password straddles the 200th character of a body that is no JSON.
        text = "x" * 195 + request.form["password"] + " tail"
        await write_response(stream, text.encode(), content_type="text/plain")

    server.handler = handler
    with pytest.raises(errors.DecodeError) as caught:
        await oms.legacy.orders.search(SINCE)
    assert_clean(caught.value)
    assert caught.value.snippet.startswith("x" * 195 + "[RED")


async def test_a_legacy_page_with_an_echoed_value_for_a_model_field(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        password = request.form["password"]
        await write_json(
            stream, ok(total=1, products=[{"product_id": password, "product_name": "Tee"}])
        )

    server.handler = handler
    with pytest.raises(errors.OmsError) as caught:
        await oms.legacy.products.search(ALL_PRODUCTS)
    assert_clean(caught.value)


# --- bounded answers ---------------------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """The highest RSS seen while the block runs, sampled from another thread."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(0.005)

    def __enter__(self) -> PeakRss:
        self.baseline = self.peak = rss_bytes()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def big_rows(count: int) -> Any:
    """A search answer of ``count`` order rows, written in pieces as it goes."""

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        await stream.send(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
        await stream.send(b"transfer-encoding: chunked\r\n\r\n")

        async def chunk(data: bytes) -> None:
            await stream.send(f"{len(data):x}\r\n".encode() + data + b"\r\n")

        await chunk(b'{"response_status":{"code":10001},"total":%d,"orders":[' % count)
        row = {"order_id": "INV", "status": 1, "memo": "n" * 150, "customer": {"name": "A"}}
        for start in range(0, count, 1000):
            rows = [json.dumps({**row, "id": i}) for i in range(start, min(count, start + 1000))]
            await chunk((("," if start else "") + ",".join(rows)).encode())
        await chunk(b"]}")
        await stream.send(b"0\r\n\r\n")

    return handler


async def test_a_300000_row_answer_is_refused_while_it_streams(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    server.handler = big_rows(300_000)
    with PeakRss() as rss, pytest.raises(errors.DecodeError) as caught:
        await oms.legacy.orders.search(SINCE)
    assert "max_response_bytes" in str(caught.value)
    assert rss.peak - rss.baseline < 400 * 2**20


async def test_the_size_cap_is_configurable(server: HostileServer) -> None:
    server.handler = big_rows(1_000)  # about 230 kB
    async with omsclient.AsyncClient(
        legacy_url=server.url,
        username="u",
        password="p" * 8,
        retry=NO_RETRY,
        max_response_bytes=100_000,
    ) as oms:
        with pytest.raises(errors.DecodeError, match="100,000-byte cap"):
            await oms.legacy.orders.search(SINCE)
    with pytest.raises(errors.ConfigurationError, match="max_response_bytes"):
        omsclient.AsyncClient(max_response_bytes=0)


@pytest.mark.parametrize("raw", [False, True], ids=["typed", "raw"])
@pytest.mark.parametrize("limit", [100, 1])
async def test_more_rows_than_asked_for_is_a_decode_error_naming_both(
    oms: omsclient.AsyncClient, server: HostileServer, raw: bool, limit: int
) -> None:
    server.handler = big_rows(1_000)
    verb = "was" if limit == 1 else "were"
    with pytest.raises(errors.DecodeError, match=rf"1000 rows where at most {limit} {verb} asked"):
        if raw:
            await anext(aiter(oms.legacy.orders.iterate_raw(SINCE, max_items=limit)))
        else:
            await oms.legacy.orders.search(SINCE, limit=limit)


async def test_more_rows_than_asked_for_stops_an_iterator(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    server.handler = big_rows(150)
    with pytest.raises(errors.DecodeError, match=r"150 rows where at most 100"):
        async for _ in oms.legacy.orders.iterate(SINCE, concurrency=4):
            pass


# --- paging that always ends -------------------------------------------------------------------


def same_page(total: Any, key: str = "products") -> Any:
    rows = [{"id": i, "code": f"C{i}", "name": "n"} for i in range(1, 101)]

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, f'{{"total": {total}, "{key}": {json.dumps(rows)}}}'.encode())

    return handler


@pytest.mark.parametrize("total", ["1000000000000", "1e308", "20000"])
@pytest.mark.parametrize("kind", ["typed", "raw orders"])
async def test_a_server_ignoring_offset_stops_the_iterator(
    oms: omsclient.AsyncClient, server: HostileServer, total: str, kind: str
) -> None:
    if kind == "typed":
        server.handler = same_page(total)
        pages = oms.legacy.products.iterate(ALL_PRODUCTS, concurrency=4)
    else:
        server.handler = same_page(total, "orders")
        pages = oms.legacy.orders.iterate_raw(SINCE, concurrency=4)  # type: ignore[assignment]
    with anyio.fail_after(60), pytest.raises(errors.RunawayPagingError) as caught:
        async for _ in pages:
            pass
    assert len(server.requests) < 300
    assert "paging stopped" in str(caught.value)


async def test_a_scan_tie_block_over_a_server_ignoring_offset_ends(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    # Every order in the same second: the scan pages that second by offset.
    rows = [
        {"order_id": f"INV{i}", "date_ordered": "2024-01-01 00:00:00", "id": i} for i in range(100)
    ]

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_json(stream, ok(total=10**6, orders=rows))

    server.handler = handler
    with anyio.fail_after(60), pytest.raises(errors.RunawayPagingError):
        async for _ in oms.legacy.orders.scan(
            since=datetime(2024, 1, 1), until=datetime(2024, 1, 2), windows=1
        ):
            pass
    assert len(server.requests) < 300


# --- whether a failed write may have been applied ----------------------------------------------


async def truncated(request: Request, stream: anyio.abc.SocketStream) -> None:
    await stream.send(b'HTTP/1.1 200 OK\r\ncontent-length: 500\r\n\r\n{"response')
    close_connection()


async def dropped(request: Request, stream: anyio.abc.SocketStream) -> None:
    close_connection()


def status(code: int, body: bytes = b'{"message": "no"}') -> Any:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        await write_response(stream, body, status=code, headers={"retry-after": "0"})

    return handler


async def garbage(request: Request, stream: anyio.abc.SocketStream) -> None:
    await write_response(stream, b'{"response_status": {"code": 10001}, "broken')


async def legacy_refusal(request: Request, stream: anyio.abc.SocketStream) -> None:
    await write_json(stream, {"response_status": {"code": 50005, "description": "no"}})


@pytest.mark.parametrize(
    ("handler", "error", "maybe_applied"),
    [
        (truncated, errors.TransportError, True),
        (dropped, errors.TransportError, True),
        (status(500), errors.ServerError, True),
        (status(503), errors.ServerError, True),
        (status(429), errors.RateLimitError, False),
        (status(400), errors.InvalidRequestError, False),
        (garbage, errors.DecodeError, True),
        (legacy_refusal, errors.InvalidParametersError, False),
        (drip_body, errors.RequestTimeoutError, True),
    ],
    ids=[
        "truncated",
        "dropped",
        "500",
        "503",
        "429",
        "400",
        "garbage-200",
        "legacy-code",
        "deadline",
    ],
)
async def test_a_failed_status_update_says_whether_it_may_have_been_applied(
    oms: omsclient.AsyncClient,
    server: HostileServer,
    handler: Any,
    error: type[errors.OmsError],
    maybe_applied: bool,
) -> None:
    server.handler = handler
    with pytest.raises(error) as caught:
        await oms.with_options(attempt_deadline=1).legacy.orders.update_status(
            StatusChange(order_id="INV1", new_status=2)
        )
    assert caught.value.maybe_applied is maybe_applied


async def test_a_write_that_never_left_was_not_applied() -> None:
    with anyio.fail_after(30):
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        await listener.aclose()  # nothing listens there any more
    async with omsclient.AsyncClient(
        rest_url=f"http://127.0.0.1:{port}", api_token="t" * 8, store_id="1", retry=NO_RETRY
    ) as oms:
        with pytest.raises(errors.TransportError) as caught:
            await oms.rest.orders.create(
                ecommerce_order_id="O1",
                items=[ITEM],
            )
    assert caught.value.maybe_applied is False


@contextmanager
def not_accepting() -> Iterator[str]:
    """The URL of a server whose accept queue is full: a connection to it never opens."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    queued = []
    for _ in range(3):
        waiting = socket.socket()
        waiting.setblocking(False)
        waiting.connect_ex(("127.0.0.1", port))
        queued.append(waiting)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for waiting in queued:
            waiting.close()
        listener.close()


async def test_a_write_whose_connection_did_not_open_by_the_deadline_was_not_applied() -> None:
    with not_accepting() as url:
        async with omsclient.AsyncClient(
            legacy_url=url, username="u", password=PASSWORD, attempt_deadline=0.5
        ) as oms:
            with anyio.fail_after(10), pytest.raises(errors.RequestTimeoutError) as caught:
                await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=2))
    assert caught.value.maybe_applied is False
    assert "no connection opened in time" in str(caught.value)


async def stall_after_headers(request: Request, stream: anyio.abc.SocketStream) -> None:
    await stream.send(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 9\r\n\r\n"
    )
    await anyio.sleep(30)


async def test_maybe_applied_holds_over_retries(server: HostileServer) -> None:
    """A PUT that timed out, then was refused at once, may still have been applied."""
    # A read timeout, which is retried (a spent attempt deadline is not).
    answers = iter([stall_after_headers, status(429)])

    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        await next(answers)(request, stream)

    server.handler = handler
    async with omsclient.AsyncClient(
        rest_url=server.url,
        api_token="t" * 8,
        retry=omsclient.RetryPolicy(max_retries=1, initial_delay=0, max_delay=0),
        timeout=1,
        attempt_deadline=20,
    ) as oms:
        with pytest.raises(errors.RateLimitError) as caught:
            await oms.rest.categories.update(1, name="n")
    assert caught.value.maybe_applied is True
    assert len(server.requests) == 2


# --- bad input, refused before sending ---------------------------------------------------------

BAD_LEGACY: list[tuple[str, Any]] = [
    (
        "aware datetime near year 1",
        lambda: Condition(
            OrderField.DATE_ORDERED,
            Op.GE,
            date1=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
        ),
    ),
    (
        "aware datetime near 9999",
        lambda: Condition(
            OrderField.DATE_ORDERED,
            Op.GE,
            date1=datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
        ),
    ),
    ("year-5 date", lambda: Condition(OrderField.DATE_ORDERED, Op.GE, date1=date(5, 1, 1))),
    (
        "year-5 string",
        lambda: Condition(OrderField.DATE_ORDERED, Op.GE, date1="0005-01-01T00:00:00"),
    ),
    ("4300-digit int", lambda: Condition(ProductField.PRODUCT_ID, Op.GT, string=10**4300)),
    ("int above 2^63", lambda: Condition(ProductField.PRODUCT_ID, Op.GT, string=2**63)),
    ("op=True", lambda: Condition(OrderField.ORDER_STATUS, True, string="1")),  # type: ignore[arg-type]
    ("op=6.0", lambda: Condition(OrderField.ORDER_STATUS, 6.0, string="1")),  # type: ignore[arg-type]
    ("blank status", lambda: Condition(OrderField.ORDER_STATUS, Op.EQ, string="   ")),
    ("status 1.5", lambda: Condition(OrderField.ORDER_STATUS, Op.EQ, string="1.5")),
    ("product id text", lambda: Condition(ProductField.PRODUCT_ID, Op.GT, string="x")),
    ("status of 5000 digits", lambda: Condition(OrderField.ORDER_STATUS, Op.EQ, string="9" * 5000)),
]


@pytest.mark.parametrize("make", [m for _, m in BAD_LEGACY], ids=[n for n, _ in BAD_LEGACY])
def test_bad_conditions_are_validation_errors(make: Any) -> None:
    with pytest.raises(errors.ValidationError):
        make()


async def test_bad_product_ids_are_refused_before_sending(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    with pytest.raises(errors.ValidationError, match="product_ids"):
        await oms.legacy.products.get_many(None)  # type: ignore[arg-type]
    with pytest.raises(errors.ValidationError, match="64-bit"):
        await oms.legacy.products.get_many([10**4300])
    with pytest.raises(errors.ValidationError, match="64-bit"):
        await oms.legacy.products.get(2**64)
    assert server.requests == []


@pytest.mark.parametrize(
    "call",
    [
        lambda oms: oms.rest.orders.create(
            ecommerce_order_id="O1", items=[ITEM], total_price=math.nan
        ),
        lambda oms: oms.rest.orders.create(
            ecommerce_order_id="O1", items=[{**ITEM, "price": math.inf}]
        ),
        lambda oms: oms.rest.orders.create(
            ecommerce_order_id="O1", items=[{**ITEM, "template_config": {"scale": math.nan}}]
        ),
        lambda oms: oms.rest.orders.create(
            ecommerce_order_id="O1", items=[{**ITEM, "template_config": {"xy": (1.0, math.nan)}}]
        ),
        lambda oms: oms.rest.orders.create(
            ecommerce_order_id="O1", items=[{**ITEM, "quantity": 2**64}]
        ),
        lambda oms: oms.rest.variants.update(1, weight=-math.inf),
    ],
    ids=[
        "total_price NaN",
        "price inf",
        "template_config NaN",
        "NaN in a tuple",
        "int above 2^63",
        "weight -inf",
    ],
)
async def test_numbers_json_cannot_carry_are_refused_not_nulled(
    oms: omsclient.AsyncClient, server: HostileServer, call: Any
) -> None:
    with pytest.raises(errors.ValidationError, match=r"finite|64-bit|within 64 bits"):
        await call(oms)
    assert server.requests == []


async def test_a_retried_error_is_redacted_in_the_log(
    server: HostileServer, caplog: pytest.LogCaptureFixture
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        message = {"message": " ".join(secret_forms(request.form["password"]))}
        await write_response(stream, json.dumps(message).encode(), status=503)

    server.handler = handler
    caplog.set_level("DEBUG", logger="omsclient")
    async with omsclient.AsyncClient(
        legacy_url=server.url,
        username="u",
        password=PASSWORD,
        retry=omsclient.RetryPolicy(max_retries=1, initial_delay=0, max_delay=0),
    ) as oms:
        with pytest.raises(errors.ServerError) as caught:
            await oms.legacy.orders.search(SINCE)
    assert "retrying" in caplog.text
    assert_clean(caught.value)
    for form in every_form():
        assert form not in caplog.text
