"""Raw responses for every request method, and the answer every API error carries."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
import respx

import omsclient
import omsclient.legacy
import omsclient.rest
from omsclient.legacy import Condition, Op, OrderField
from omsclient.legacy.models import Order
from omsclient.rest.models import Category
from omsclient.sandbox import SandboxInfo

from .conftest import LEGACY, PASSWORD, REST, legacy_error

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
FIND = f"{LEGACY}/api/json/manage_orders/find"


def test_raw_response_refuses_a_blocking_method_before_it_is_called() -> None:
    with (
        omsclient.Client(legacy_url=LEGACY, username="u", password=PASSWORD) as oms,
        pytest.raises(TypeError, match="with_raw_response"),
    ):
        omsclient.raw_response(oms.legacy.orders.search)  # type: ignore[arg-type]


async def test_raw_response_refuses_an_iterator_or_a_scan_saying_they_have_no_twin() -> None:
    # It said to take "an AsyncClient's request method, not Orders.iterate", which is one.
    async with omsclient.AsyncClient(legacy_url=LEGACY, username="u", password=PASSWORD) as oms:
        legacy = oms.legacy
        for method in (legacy.orders.iterate, legacy.orders.scan, legacy.products.scan):
            with pytest.raises(TypeError, match="iterators and scans have no raw twin"):
                omsclient.raw_response(method)  # type: ignore[arg-type]


async def test_with_raw_response_search_gives_status_headers_and_the_parsed_page(
    oms_sandbox: SandboxInfo,
) -> None:
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        raw = await oms.legacy.orders.with_raw_response.search(ALL, limit=3)
        plain = await oms.legacy.orders.search(ALL, limit=3)
        typed = await omsclient.raw_response(oms.legacy.products.search)(
            Condition(omsclient.legacy.ProductField.PRODUCT_ID, Op.GT, string=0), limit=2
        )
    assert isinstance(raw, omsclient.RawResponse)
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.attempts == 1
    assert raw.elapsed > 0
    assert (raw.operation, raw.method) == ("legacy.orders.search", "POST")
    page = raw.parse()
    assert page == plain
    assert all(isinstance(o, Order) for o in page.items)
    assert len(page.items) == 3
    assert '"orders"' in raw.text
    assert typed.status_code == 200
    assert len(typed.parse().items) == 2


async def test_raw_response_of_a_raw_twin_or_a_helper_calling_one_has_the_answer(
    oms_sandbox: SandboxInfo,
) -> None:
    # The twin's own capture kept the answer from the outer one, which said no request was sent
    # (maybe_applied False) after a write had gone out.
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        twin = oms.legacy.orders.with_raw_response.search
        nested = await omsclient.raw_response(twin)(ALL, limit=1)

        async def first_page() -> omsclient.RawResponse[omsclient.Page[Order]]:
            return await twin(ALL, limit=1)

        helper = await omsclient.raw_response(first_page)()
    for outer in (nested, helper):
        assert outer.status_code == 200
        assert outer.parse().status_code == 200
        assert len(outer.parse().parse().items) == 1


@respx.mock
async def test_request_ids_attempts_and_rest_methods(oms: omsclient.AsyncClient) -> None:
    route = respx.get(f"{REST}/api/v1/product-categories/5").mock(
        side_effect=[
            httpx.Response(503, json={"message": "busy"}),
            httpx.Response(200, json={"id": 5, "name": "Mugs"}, headers={"X-Request-Id": "req-77"}),
        ]
    )
    raw = await oms.rest.categories.with_raw_response.get(5)
    assert route.call_count == 2
    assert raw.attempts == 2
    assert raw.request_id == "req-77"
    assert isinstance(raw.parse(), Category)
    assert raw.parse().name == "Mugs"


@pytest.mark.parametrize(
    "header", ["X-Request-Id", "Request-Id", "X-Amzn-RequestId", "X-Correlation-Id"]
)
@respx.mock
async def test_the_request_id_comes_from_the_header_the_server_names_it_in(
    oms: omsclient.AsyncClient, header: str
) -> None:
    respx.get(f"{REST}/api/v1/product-categories/5").mock(
        return_value=httpx.Response(200, json={"id": 5, "name": "Mugs"}, headers={header: "r-9"})
    )
    raw = await oms.rest.categories.with_raw_response.get(5)
    assert raw.request_id == "r-9"


def test_the_blocking_client_has_raw_responses(oms_sandbox: SandboxInfo) -> None:
    with omsclient.Client(**oms_sandbox.client_kwargs()) as oms:
        raw = oms.legacy.orders.with_raw_response.search(ALL, limit=1)
    assert raw.status_code == 200
    assert raw.parse().total == 300


def test_the_blocking_views_are_of_the_exported_classes(oms_sandbox: SandboxInfo) -> None:
    """A helper taking ``client.rest.orders.with_raw_response`` can be annotated with it."""
    with omsclient.Client(**oms_sandbox.client_kwargs()) as oms:
        views = {
            omsclient.legacy.SyncOrdersWithRawResponse: oms.legacy.orders.with_raw_response,
            omsclient.legacy.SyncProductsWithRawResponse: oms.legacy.products.with_raw_response,
            omsclient.rest.SyncOrdersWithRawResponse: oms.rest.orders.with_raw_response,
            omsclient.rest.SyncOrderItemsWithRawResponse: oms.rest.order_items.with_raw_response,
            omsclient.rest.SyncCategoriesWithRawResponse: oms.rest.categories.with_raw_response,
            omsclient.rest.SyncProductsWithRawResponse: oms.rest.products.with_raw_response,
            omsclient.rest.SyncVariantsWithRawResponse: oms.rest.variants.with_raw_response,
            omsclient.rest.SyncBatchOrdersWithRawResponse: oms.rest.batch_orders.with_raw_response,
        }
        assert all(isinstance(view, cls) for cls, view in views.items())


async def test_only_request_methods_have_raw_responses(oms: omsclient.AsyncClient) -> None:
    with pytest.raises(AttributeError, match="iterate"):
        oms.legacy.orders.with_raw_response.iterate  # noqa: B018


async def test_a_wrong_passwords_error_carries_the_answer_without_the_password(
    oms_sandbox: SandboxInfo,
) -> None:
    kwargs = {**oms_sandbox.client_kwargs(), "password": "wrong-" + oms_sandbox.password}
    async with omsclient.AsyncClient(**kwargs) as oms:
        with pytest.raises(omsclient.AuthenticationError) as caught:
            await oms.legacy.orders.search(ALL)
    error = caught.value
    assert error.response is not None
    assert error.response.status_code == 200
    assert error.attempts == 1
    assert error.response.operation == "legacy.orders.search"
    assert "30001" in error.response.text
    everything = repr(error.response) + error.response.text + str(dict(error.response.headers))
    assert oms_sandbox.password not in everything


@respx.mock
async def test_an_echoed_password_is_redacted_from_the_answer_and_attempts_are_counted(
    oms: omsclient.AsyncClient,
) -> None:
    echo = legacy_error(50005, f"bad parameter password={PASSWORD}")
    respx.post(FIND).mock(
        side_effect=[
            httpx.Response(502, text="bad gateway"),
            httpx.Response(200, json=echo, headers={"X-Echo": PASSWORD}),
        ]
    )
    with pytest.raises(omsclient.InvalidParametersError) as caught:
        await oms.legacy.orders.search(ALL)
    response = caught.value.response
    assert response is not None
    assert caught.value.attempts == 2
    assert response.attempts == 2
    assert PASSWORD not in response.text
    assert PASSWORD not in response.headers["x-echo"]
    assert "[REDACTED]" in response.text


@respx.mock
async def test_a_server_error_after_every_retry_carries_its_status(
    oms: omsclient.AsyncClient,
) -> None:
    respx.post(FIND).mock(return_value=httpx.Response(503, text="down"))
    with pytest.raises(omsclient.ServerError) as caught:
        await oms.legacy.orders.search(ALL)
    assert caught.value.attempts == 4
    assert caught.value.response is not None
    assert caught.value.response.status_code == 503


@respx.mock
async def test_every_rest_resource_has_typed_raw_twins(oms: omsclient.AsyncClient) -> None:
    respx.delete(url__regex=rf"{REST}/api/v1/.*").mock(
        return_value=httpx.Response(200, json={"message": "deleted"}, headers={"Request-Id": "d-1"})
    )
    for resource in (oms.rest.orders, oms.rest.categories, oms.rest.products, oms.rest.variants):
        raw = await resource.with_raw_response.delete("41")
        assert raw.status_code == 200
        assert raw.request_id == "d-1"
        assert raw.parse().message == "deleted"
        assert raw.method == "DELETE"
        assert raw.path.endswith("/41")


@respx.mock
async def test_a_raw_print_file_wait_carries_the_answer_that_ended_it(
    oms: omsclient.AsyncClient,
) -> None:
    item = f"{REST}/api/v1/order-items/ITEM-1/print"
    pending = {"ecommerce_order_item_id": "ITEM-1", "status": "processing", "url": None}
    ready = {**pending, "status": "ready", "url": "https://files.test/ITEM-1.pdf"}
    respx.get(item).mock(
        side_effect=[
            httpx.Response(200, json=pending, headers={"X-Request-Id": "poll-1"}),
            httpx.Response(200, json=ready, headers={"X-Request-Id": "poll-2"}),
        ]
    )
    raw = await oms.rest.order_items.with_raw_response.wait_for_print_file(
        "ITEM-1", initial_interval=0.001
    )
    assert raw.request_id == "poll-2"
    assert '"ready"' in raw.text
    assert raw.parse().url == "https://files.test/ITEM-1.pdf"


@respx.mock
async def test_a_raw_twin_given_nothing_to_ask_for_is_a_validation_error(
    oms: omsclient.AsyncClient,
) -> None:
    # The method returns its empty result without a request; its twin has no answer to give,
    # and said so with a TypeError that `except OmsError` let through.
    wire = respx.route().respond(500)
    assert await oms.legacy.products.get_many([]) == []
    assert await oms.rest.order_items.wait_for_print_files([]) == []
    for twin, operation in (
        (oms.legacy.products.with_raw_response.get_many, "legacy.products.get_many"),
        (
            oms.rest.order_items.with_raw_response.wait_for_print_files,
            "rest.order_items.wait_for_print_files",
        ),
    ):
        # Named as every other refusal is, not "Products.get_many".
        with pytest.raises(omsclient.errors.ValidationError) as refused:
            await twin([])
        assert str(refused.value).startswith(f"{operation}: given nothing to ask for,")
    assert not wire.called


def test_a_blocking_raw_twin_given_nothing_to_ask_for_is_a_validation_error(
    oms_sandbox: SandboxInfo,
) -> None:
    with (
        omsclient.Client(**oms_sandbox.client_kwargs()) as oms,
        pytest.raises(omsclient.errors.ValidationError, match="sent no request"),
    ):
        oms.legacy.products.with_raw_response.get_many([])
