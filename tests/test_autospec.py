"""Users test their own code with ``unittest.mock.create_autospec`` of either client: the mock
has the client's namespaces, resources and methods, each method checking its arguments."""

from __future__ import annotations

import inspect
import pickle
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from unittest.mock import AsyncMock, MagicMock, create_autospec

import pytest

import omsclient
import omsclient.rest
from omsclient.legacy import Condition, Op, OrderField, StatusChange

COND = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2020, 1, 1))


@pytest.fixture
def blocking() -> Iterator[omsclient.Client]:
    with omsclient.Client(
        legacy_url="http://127.0.0.1:1",
        username="u",
        password="p",
        rest_url="http://127.0.0.1:1",
        api_token="t",
    ) as oms:
        yield oms


def test_an_autospecced_blocking_client_has_each_resource_and_method() -> None:
    # mock.legacy raised AttributeError: the namespaces were set in __init__ alone.
    oms: Any = create_autospec(omsclient.Client, instance=True)
    for method in [
        oms.legacy.orders.search,
        oms.legacy.orders.update_status,
        oms.legacy.orders.iterate,
        oms.legacy.orders.scan,
        oms.legacy.products.get_many,
        oms.legacy.orders.with_raw_response.search,
        oms.rest.orders.get,
        oms.rest.order_items.wait_for_print_files,
        oms.rest.batch_orders.create,
        oms.rest.categories.with_raw_response.delete,
    ]:
        assert isinstance(method, MagicMock)
        assert not isinstance(method, AsyncMock)
    with pytest.raises(AttributeError):
        oms.legacy.orders.serach  # noqa: B018
    with pytest.raises(AttributeError):
        oms.rest.order  # noqa: B018


def test_an_autospecced_blocking_method_takes_the_real_arguments_and_refuses_others() -> None:
    oms: Any = create_autospec(omsclient.Client, instance=True)
    oms.legacy.orders.search(COND, limit=5, include_shipments=True)
    oms.legacy.orders.update_status(StatusChange(order_id="INV1", new_status=2))
    oms.rest.orders.get("x")
    oms.legacy.orders.with_raw_response.search(COND, limit=5)
    with pytest.raises(TypeError, match="limti"):
        oms.legacy.orders.search(COND, limti=5)
    with pytest.raises(TypeError):
        oms.rest.orders.get()
    with pytest.raises(TypeError, match="uid"):
        oms.rest.orders.get("x", uid="y")
    with pytest.raises(TypeError, match="sort"):
        oms.legacy.orders.iterate(COND, sort="x")
    with pytest.raises(TypeError, match="limti"):
        oms.legacy.orders.with_raw_response.search(COND, limti=5)
    oms.rest.orders.get.assert_called_once_with("x")


def test_an_autospecced_blocking_methods_result_is_what_the_test_sets() -> None:
    oms: Any = create_autospec(omsclient.Client, instance=True)
    page = omsclient.Page(items=[], total=0, offset=0, limit=5)
    oms.legacy.orders.search.return_value = page
    oms.rest.orders.get.side_effect = TimeoutError("no answer")
    assert oms.legacy.orders.search(COND, limit=5) is page
    with pytest.raises(TimeoutError):
        oms.rest.orders.get("x")


async def test_an_autospecced_async_client_has_awaitable_methods_that_check_arguments() -> None:
    oms: Any = create_autospec(omsclient.AsyncClient, instance=True)
    assert isinstance(oms.legacy.orders.search, AsyncMock)
    assert isinstance(oms.rest.orders.get, AsyncMock)
    oms.rest.orders.get.return_value = "an order"
    assert await oms.rest.orders.get("x") == "an order"
    oms.legacy.products.search.return_value = "a page"
    assert await oms.legacy.products.search(COND, limit=1) == "a page"
    with pytest.raises(TypeError, match="limti"):
        await oms.legacy.orders.search(COND, limti=5)
    with pytest.raises(TypeError):
        await oms.rest.orders.get()
    with pytest.raises(AttributeError):
        oms.legacy.order  # noqa: B018


async def test_an_autospecced_async_clients_raw_response_views_check_arguments() -> None:
    # with_raw_response was a property, specced as nothing: any call was accepted.
    oms: Any = create_autospec(omsclient.AsyncClient, instance=True)
    for method in [
        oms.rest.orders.with_raw_response.get,
        oms.rest.order_items.with_raw_response.wait_for_print_files,
        oms.legacy.orders.with_raw_response.search,
        oms.legacy.products.with_raw_response.get_many,
    ]:
        assert isinstance(method, AsyncMock)
    oms.rest.orders.with_raw_response.get.return_value = "a raw answer"
    assert await oms.rest.orders.with_raw_response.get("x") == "a raw answer"
    await oms.legacy.orders.with_raw_response.search(COND, limit=5)
    with pytest.raises(TypeError, match="uid"):
        await oms.rest.orders.with_raw_response.get("x", uid="y")
    with pytest.raises(TypeError, match="limti"):
        await oms.legacy.orders.with_raw_response.search(COND, limti=5)
    with pytest.raises(AttributeError):
        oms.legacy.orders.with_raw_response.iterate  # noqa: B018
    oms.rest.orders.with_raw_response.get.assert_awaited_once_with("x")


def test_an_autospecced_blocking_resource_checks_its_methods_arguments(
    blocking: omsclient.Client,
) -> None:
    for orders in [
        create_autospec(blocking.legacy.orders),
        create_autospec(omsclient.SyncOrders, instance=True),
    ]:
        orders.search(COND, limit=1)
        with pytest.raises(TypeError, match="limti"):
            orders.search(COND, limti=1)


def test_a_blocking_method_shows_its_async_twins_parameters_and_documentation(
    blocking: omsclient.Client,
) -> None:
    twin = blocking.async_client.legacy.orders.search
    search = blocking.legacy.orders.search
    assert inspect.signature(search) == inspect.signature(twin)
    assert search.__name__ == "search"
    assert (search.__doc__ or "").startswith("Blocking: the client's ``legacy.orders.search``")
    assert inspect.cleandoc(omsclient.legacy.Orders.search.__doc__ or "") in (search.__doc__ or "")
    # The class's own, as help(omsclient.SyncOrders) shows it.
    assert omsclient.SyncOrders.search.__doc__ == search.__doc__
    get = blocking.rest.orders.get
    assert inspect.signature(get) == inspect.signature(blocking.async_client.rest.orders.get)


def test_a_blocking_method_pickled_says_the_client_stays_in_its_process(
    blocking: omsclient.Client,
) -> None:
    # It said "Can't pickle <function Orders.search>: it's not the same object as
    # omsclient.legacy.orders.Orders.search".
    with pytest.raises(TypeError, match="belong to this process"):
        pickle.dumps(blocking.legacy.orders.search)
    with pytest.raises(TypeError, match="belong to this process"):
        pickle.dumps(blocking.rest.orders.with_raw_response.get)
