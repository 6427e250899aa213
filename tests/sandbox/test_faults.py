"""Fault injection: over real sockets for dropped and truncated answers, and in-process."""

from __future__ import annotations

import math
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import attrs
import httpx
import pytest

from omsclient.sandbox import (
    Faults,
    Quirks,
    SandboxConfig,
    SandboxInfo,
    _gateway,
    asgi_transport,
    serve,
)

from ._support import ALL_ORDERS, AUTH, FIND, TOKEN, UPDATE, SandboxFactory

FIND_FORM = {**AUTH, **ALL_ORDERS, "limit": "5"}


@pytest.fixture(scope="module")
def served() -> Iterator[SandboxInfo]:
    with serve(SandboxConfig(orders=200, products=20, seed=3)) as info:
        yield info


@pytest.fixture
def http(served: SandboxInfo) -> Iterator[httpx.Client]:
    served.state.queued_faults.clear()
    with httpx.Client(base_url=served.url, timeout=10) as client:
        yield client


def open_order(info: SandboxInfo) -> str:
    return next(r.order_id for r in info.state.orders if r.status == 1 and r._state is None)


def test_dropped_read(served: SandboxInfo, http: httpx.Client) -> None:
    assert http.post(FIND, data=FIND_FORM).status_code == 200
    served.state.queue_faults("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(FIND, data=FIND_FORM)
    record = served.state.requests[-1]
    assert (record.fault, record.status) == ("drop", None)
    assert http.post(FIND, data=FIND_FORM).json()["total"] == 200


def test_dropped_write_is_applied(served: SandboxInfo, http: httpx.Client) -> None:
    order_id = open_order(served)
    writes = served.state.writes_applied
    served.state.queue_faults("drop")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        http.post(UPDATE, data={**AUTH, "order_id": order_id, "new_status": "2"})
    assert served.state.order(order_id).status == 2  # type: ignore[union-attr]
    assert served.state.writes_applied == writes + 1
    # A retry finds the work done and succeeds without changing anything more.
    retry = http.post(UPDATE, data={**AUTH, "order_id": order_id, "new_status": "2"})
    assert retry.json()["response_status"]["code"] == 10001


def test_dropped_rest_create_is_applied(served: SandboxInfo, http: httpx.Client) -> None:
    body = {
        "store_id": "1",
        "ecommerce_order_id": "DROP-1",
        "items": [
            {
                "ecommerce_order_item_id": "DROP-ITEM",
                "ecommerce_variant_id": "V",
                "quantity": 1,
                "template_config": "%7B%7D",
                "thumbnails": ["t.png"],
            }
        ],
    }
    served.state.queue_faults("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/api/v1/orders", json=body, headers=TOKEN)
    retry = http.post("/api/v1/orders", json=body, headers=TOKEN)
    assert retry.status_code == 400
    assert "ecommerce_order_id" in retry.json()["errors"]


def test_truncated_body(served: SandboxInfo, http: httpx.Client) -> None:
    served.state.queue_faults("truncate")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        http.post(FIND, data=FIND_FORM)
    assert served.state.requests[-1].fault == "truncate"
    assert served.state.requests[-1].status == 200


def test_truncated_body_on_the_wire(served: SandboxInfo) -> None:
    """Content-Length announces more than is sent, then the socket closes."""
    served.state.queue_faults("truncate")
    url = urlsplit(served.url)
    form = urlencode(FIND_FORM).encode()
    request = (
        f"POST {FIND} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(form)}\r\n\r\n"
    ).encode() + form
    with socket.create_connection((url.hostname, url.port or 80), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    assert 0 < len(body) < length


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_error_statuses(served: SandboxInfo, http: httpx.Client, status: int) -> None:
    served.state.queue_faults(f"error:{status}")
    response = http.post(FIND, data=FIND_FORM)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    # Logged by its kind, as the same fault drawn by error_rate is: the status says which.
    record = served.state.requests[-1]
    assert (record.fault, record.status) == ("error", status)


def test_rate_limited(served: SandboxInfo, http: httpx.Client) -> None:
    served.state.queue_faults("rate_limit")
    response = http.get("/api/v1/orders/x", headers=TOKEN)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"


def test_empty_body(served: SandboxInfo, http: httpx.Client) -> None:
    served.state.queue_faults("empty", "none")
    response = http.post(FIND, data=FIND_FORM)
    assert response.status_code == 200
    assert response.content == b""
    assert http.post(FIND, data=FIND_FORM).json()["total"] == 200


async def test_async_client_over_sockets(served: SandboxInfo) -> None:
    served.state.queue_faults("drop", "truncate")
    async with httpx.AsyncClient(base_url=served.url) as client:
        for _ in range(2):
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                await client.post(FIND, data=FIND_FORM)
        assert (await client.post(FIND, data=FIND_FORM)).status_code == 200


@pytest.mark.parametrize(("retry_after", "header"), [(0, "0"), (30, "30"), (None, None)])
async def test_retry_after_setting(
    sandbox_factory: SandboxFactory, retry_after: int | None, header: str | None
) -> None:
    sandbox = await sandbox_factory(
        SandboxConfig(
            orders=5, products=2, faults=Faults(rate_limit_rate=1.0, retry_after=retry_after)
        )
    )
    response = await sandbox.client.post(FIND, data=FIND_FORM)
    assert response.status_code == 429
    assert response.headers.get("retry-after") == header


async def test_in_process_drop_and_truncate() -> None:
    transport, info = asgi_transport(SandboxConfig(orders=20, products=5))
    async with httpx.AsyncClient(transport=transport, base_url=info.url) as client:
        order_id = next(r.order_id for r in info.state.orders if r.status == 1)
        info.state.queue_faults("drop", "truncate")
        with pytest.raises(httpx.RemoteProtocolError) as dropped:
            await client.post(UPDATE, data={**AUTH, "order_id": order_id, "new_status": "2"})
        assert dropped.value.request.url.path == UPDATE
        assert info.state.order(order_id).status == 2  # type: ignore[union-attr]
        with pytest.raises(httpx.RemoteProtocolError, match="expected"):
            await client.post(FIND, data=FIND_FORM)


async def statuses(sandbox_factory: SandboxFactory, faults: Faults, count: int = 60) -> list[Any]:
    transport, info = asgi_transport(SandboxConfig(orders=20, products=5, faults=faults))
    out: list[Any] = []
    async with httpx.AsyncClient(transport=transport, base_url=info.url) as client:
        for _ in range(count):
            try:
                response = await client.post(FIND, data=FIND_FORM)
                out.append(response.status_code)
            except httpx.RemoteProtocolError as error:
                out.append(type(error).__name__ + str(error)[:10])
    return out


async def test_random_faults_are_seeded(sandbox_factory: SandboxFactory) -> None:
    faults = Faults(error_rate=0.2, rate_limit_rate=0.1, drop_rate=0.1, truncate_rate=0.1, seed=5)
    first = await statuses(sandbox_factory, faults)
    assert first == await statuses(sandbox_factory, faults)
    assert first != await statuses(
        sandbox_factory,
        Faults(error_rate=0.2, rate_limit_rate=0.1, drop_rate=0.1, truncate_rate=0.1, seed=6),
    )
    kinds = set(first)
    assert 200 in kinds
    assert 429 in kinds
    assert kinds & {500, 502, 503, 504}
    assert any(str(k).startswith("RemoteProtocolErrorServer") for k in kinds)
    assert any(str(k).startswith("RemoteProtocolErrorpeer") for k in kinds)
    assert sum(k == 200 for k in first) < len(first) - 10


async def test_rate_one_always_fails(sandbox_factory: SandboxFactory) -> None:
    assert set(
        await statuses(sandbox_factory, Faults(error_rate=1.0, error_statuses=(503,)), 10)
    ) == {503}
    sandbox = await sandbox_factory(
        SandboxConfig(orders=5, products=2, faults=Faults(error_rate=1.0))
    )
    assert (await sandbox.client.get("/")).status_code == 200


async def test_latency(sandbox_factory: SandboxFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    delays: list[float] = []

    async def record(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(_gateway, "_pause", record)
    fixed = await sandbox_factory(SandboxConfig(orders=5, products=2, faults=Faults(latency=0.25)))
    await fixed.client.post(FIND, data=FIND_FORM)
    await fixed.rest("GET", "/api/v1/orders/x")
    await fixed.client.get("/")
    assert delays == [0.25, 0.25]
    delays.clear()
    ranged = await sandbox_factory(
        SandboxConfig(orders=5, products=2, faults=Faults(latency=(0.1, 0.2)))
    )
    for _ in range(5):
        await ranged.client.post(FIND, data=FIND_FORM)
    assert len(delays) == 5
    assert all(0.1 <= d <= 0.2 for d in delays)
    assert len(set(delays)) > 1


def test_fault_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="add up"):
        Faults(error_rate=0.6, drop_rate=0.6)
    with pytest.raises(ValueError, match="error_rate must be between 0 and 1"):
        Faults(error_rate=1.5)
    with pytest.raises(ValueError, match="latency"):
        Faults(latency=(2.0, 1.0))
    with pytest.raises(ValueError, match="5xx"):
        Faults(error_statuses=(404,))
    with pytest.raises(ValueError, match="retry_after"):
        Faults(retry_after=-1)
    state = asgi_transport(SandboxConfig(orders=1, products=1))[1].state
    for bad in ("explode", "error:404", "drop:1", "error:abc"):
        with pytest.raises(ValueError, match="unknown fault"):
            state.queue_faults(bad)


@pytest.mark.parametrize(
    "latency", [math.nan, math.inf, (0.1, math.nan), (math.nan, 0.2), (0.1, math.inf)]
)
def test_latency_must_be_finite(latency: float | tuple[float, float]) -> None:
    # NaN would fail every request with a 500 and infinity would hold each one for ever.
    with pytest.raises(ValueError, match="latency must be finite"):
        Faults(latency=latency)


def test_latency_takes_a_pair_as_a_list_and_names_itself_when_wrong() -> None:
    # Settings read from JSON or YAML give a pair as a list.
    assert Faults(latency=[0.1, 0.2]).latency == (0.1, 0.2)  # type: ignore[arg-type]
    for bad in ((0.1,), (0.1, 0.2, 0.3), "0.2", None, (0.1, "0.2")):
        with pytest.raises(TypeError, match="latency must be seconds or a"):
            Faults(latency=bad)  # type: ignore[arg-type]


async def _pattern(sandbox_factory: SandboxFactory, config: SandboxConfig, *queued: str) -> str:
    """Which of 30 searches met an error (E), an empty body (0) or neither (.)."""
    sandbox = await sandbox_factory(config)
    sandbox.state.queue_faults(*queued)
    marks = ""
    for _ in range(30):
        answer = await sandbox.client.post(FIND, data=FIND_FORM)
        marks += "E" if answer.status_code >= 500 else "0" if not answer.content else "."
    return marks


async def test_each_requests_faults_stay_when_other_switches_change(
    sandbox_factory: SandboxFactory,
) -> None:
    # One stream served every draw, each made only when its switch was on: adding latency,
    # the empty-body quirk or a queued fault moved every later request's fault.
    errors = Faults(error_rate=0.3)
    base = SandboxConfig(orders=50, products=20, seed=5, faults=errors)
    plain = await _pattern(sandbox_factory, base)
    assert "E" in plain
    for faults in (
        Faults(error_rate=0.3, latency=(0, 0.001)),
        Faults(error_rate=0.3, error_statuses=(503,)),
    ):
        assert await _pattern(sandbox_factory, attrs.evolve(base, faults=faults)) == plain
    empty = attrs.evolve(base, quirks=Quirks(empty_body_rate=0.2))
    assert (await _pattern(sandbox_factory, empty)).replace("0", ".") == plain
    # A queued fault takes its request's place; the requests after it meet theirs.
    assert (await _pattern(sandbox_factory, base, "none"))[1:] == plain[1:]
