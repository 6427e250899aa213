"""A base URL with a path of its own (``https://h/shop``): requests go below it, and errors,
logs and spans name the path the server saw, not the part below the base URL (respx)."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import omsclient
from omsclient.legacy import Condition, Op, OrderField, StatusChange
from omsclient.rest import PrintFileTimeoutError

from .conftest import LEGACY, REST, legacy_error, ok
from .test_telemetry import spans  # noqa: F401 (a fixture)

ALL = Condition(OrderField.ORDER_STATUS, Op.GE, string=0)
LEGACY_BASE = f"{LEGACY}/shop%20one/oms"
REST_BASE = f"{REST}/tenant/7"
FIND_PATH = "/shop%20one/oms/api/json/manage_orders/find"


@pytest.fixture
async def prefixed(client_kwargs: dict[str, object]) -> omsclient.AsyncClient:
    kwargs = {**client_kwargs, "legacy_url": LEGACY_BASE, "rest_url": REST_BASE}
    kwargs["retry"] = omsclient.RetryPolicy(max_retries=1, initial_delay=0.001, max_delay=0.001)
    return omsclient.AsyncClient(**kwargs)  # type: ignore[arg-type]


@respx.mock
async def test_a_legacy_error_names_the_path_the_server_saw(
    prefixed: omsclient.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    route = respx.post(f"{LEGACY}{FIND_PATH}").mock(return_value=httpx.Response(500))
    caplog.set_level(logging.INFO, logger="omsclient")
    async with prefixed as oms:
        with pytest.raises(omsclient.errors.ServerError) as info:
            await oms.legacy.orders.search(ALL)
    assert route.call_count == 2
    assert route.calls.last.request.url.raw_path == FIND_PATH.encode()
    assert info.value.path == FIND_PATH
    assert f"POST {FIND_PATH} " in str(info.value)
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("omsclient")]
    assert any(f"retrying POST {FIND_PATH} " in line for line in logged), logged
    assert any(f"giving up on POST {FIND_PATH} " in line for line in logged), logged


@respx.mock
async def test_a_transport_error_names_the_path_the_server_saw(
    prefixed: omsclient.AsyncClient,
) -> None:
    respx.get(f"{REST_BASE}/api/v1/orders/A-1").mock(side_effect=httpx.ReadError("dropped"))
    respx.get(f"{REST_BASE}/api/v1/orders/A-2").mock(side_effect=httpx.ConnectError("refused"))
    async with prefixed as oms:
        with pytest.raises(omsclient.errors.TransportError) as info:
            await oms.rest.orders.get("A-1")
        with pytest.raises(omsclient.errors.TransportError) as unconnected:
            await oms.rest.orders.get("A-2")
    assert info.value.path == "/tenant/7/api/v1/orders/A-1"
    assert "ReadError on GET /tenant/7/api/v1/orders/A-1: dropped" in str(info.value)
    # No connection opened: the whole URL tried, the server's part included.
    assert unconnected.value.path == "/tenant/7/api/v1/orders/A-2"
    assert f"ConnectError on GET {REST}/tenant/7/api/v1/orders/A-2: refused" in str(
        unconnected.value
    )


@respx.mock
async def test_a_rest_refusal_and_a_print_file_wait_name_the_full_path(
    prefixed: omsclient.AsyncClient,
) -> None:
    respx.get(f"{REST_BASE}/api/v1/orders/A-2").mock(
        return_value=httpx.Response(404, json={"message": "No order"})
    )
    respx.get(f"{REST_BASE}/api/v1/order-items/I-1/print").mock(
        return_value=httpx.Response(200, json={"status": "processing"})
    )
    async with prefixed as oms:
        with pytest.raises(omsclient.errors.NotFoundError) as refused:
            await oms.rest.orders.get("A-2")
        with pytest.raises(PrintFileTimeoutError) as waited:
            await oms.rest.order_items.wait_for_print_files(
                ["I-1"], timeout=0.05, initial_interval=0.01
            )
    assert refused.value.path == "/tenant/7/api/v1/orders/A-2"
    assert waited.value.path == "/tenant/7/api/v1/order-items/I-1/print"


@respx.mock
async def test_spans_carry_the_path_the_server_saw(
    prefixed: omsclient.AsyncClient,
    spans: InMemorySpanExporter,  # noqa: F811 (the fixture)
) -> None:
    respx.post(f"{LEGACY}{FIND_PATH}").mock(
        return_value=httpx.Response(200, json=ok(orders=[], total=0))
    )
    async with prefixed as oms:
        await oms.legacy.orders.search(ALL)
    finished = spans.get_finished_spans()
    assert finished
    for span in finished:
        assert span.attributes is not None
        assert span.attributes["url.path"] == FIND_PATH
        if "url.full" in span.attributes:
            assert span.attributes["url.full"] == f"{LEGACY}{FIND_PATH}"


@respx.mock
async def test_errors_raised_after_an_answer_name_the_path_the_server_saw(
    prefixed: omsclient.AsyncClient,
) -> None:
    get = respx.post(f"{LEGACY_BASE}/api/json/manage_products/get")
    update = respx.post(f"{LEGACY_BASE}/api/json/manage_orders/update_order_status")
    update.mock(return_value=httpx.Response(200, json=ok()))
    async with prefixed as oms:
        get.mock(return_value=httpx.Response(200, json=ok(product={"product_id": 6})))
        with pytest.raises(omsclient.errors.DecodeError) as other:
            await oms.legacy.products.get(5)  # answered with another product
        get.mock(
            return_value=httpx.Response(
                200, json={**legacy_error(40004, "Product ID Not Found: 5"), "products": []}
            )
        )
        with pytest.raises(omsclient.errors.ProductsNotFoundError) as missing:
            await oms.legacy.products.get_many([5])
        await oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=2))
    assert other.value.path == missing.value.path == "/shop%20one/oms/api/json/manage_products/get"
    assert update.called


@respx.mock
@pytest.mark.parametrize(
    ("base", "sent"),
    [
        ("/", ""),  # no path of its own: unchanged
        ("/x/../café", "/caf%C3%A9"),  # percent-encoded, dot segments resolved, as httpx sends it
        ("/a//.", "/a/"),  # "/a//api/...": the slashes kept, as sent before
    ],
)
async def test_a_base_path_is_named_as_sent(
    client_kwargs: dict[str, object], base: str, sent: str
) -> None:
    path = f"{sent}/api/json/manage_orders/find"
    route = respx.post(f"{LEGACY}{path}").mock(return_value=httpx.Response(503))
    kwargs = {**client_kwargs, "legacy_url": LEGACY + base, "retry": omsclient.RetryPolicy(0)}
    async with omsclient.AsyncClient(**kwargs) as oms:  # type: ignore[arg-type]
        with pytest.raises(omsclient.errors.ServerError) as info:
            await oms.legacy.orders.search(ALL)
    assert route.called
    assert info.value.path == path
