"""Integers the API cannot hold, and values of the wrong kind, are refused before anything is sent.

Status changes and REST path ids are bounded to the API's 64-bit integers; every REST create and
update checks each value against the kind its model field declares (respx).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import respx

import omsclient
from omsclient import errors
from omsclient.legacy import NewStatus, StatusChange

from .conftest import REST

HUGE = 10**5000
JUST_PAST_64_BITS = 2**64


# -- status changes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["order_line_id", "workflow_item_id", "qty", "operator_id"], ids=str
)
@pytest.mark.parametrize("value", [HUGE, JUST_PAST_64_BITS, 2**63], ids=["10^5000", "2^64", "2^63"])
def test_status_change_ids_beyond_64_bits_name_the_field(field: str, value: int) -> None:
    kwargs: dict[str, Any] = {"order_id": "INV1", "new_status": 2, "workflow_item_id": 1}
    kwargs[field] = value
    with pytest.raises(errors.ValidationError, match=rf"^{field} is out of range.*64-bit"):
        StatusChange(**kwargs)


def test_status_change_takes_the_largest_64_bit_id() -> None:
    change = StatusChange(order_id="INV1", new_status=2, order_line_id=2**63 - 1)
    assert ("order_line_id", str(2**63 - 1)) in change.encode_single()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "order_line_id must be an integer, got bool"),
        (1.0, "order_line_id must be an integer, got float"),
        (math.nan, "order_line_id must be a finite integer"),
        ("7", "order_line_id must be an integer, got str"),
        (0, "order_line_id must be a positive integer, got 0"),
        (-(10**5000), "order_line_id is out of range"),
    ],
    ids=["True", "1.0", "nan", "str", "0", "-10^5000"],
)
def test_status_change_ids_of_the_wrong_kind_name_the_field(value: object, message: str) -> None:
    with pytest.raises(errors.ValidationError, match=message):
        StatusChange(order_id="INV1", new_status=2, order_line_id=value)  # type: ignore[arg-type]


def test_a_huge_new_status_is_a_validation_error_not_a_print_failure() -> None:
    with pytest.raises(errors.ValidationError, match=r"new_status must be 2 .* beyond 64 bits"):
        StatusChange(order_id="INV1", new_status=HUGE)


@respx.mock
async def test_a_huge_status_change_is_never_sent(oms: omsclient.AsyncClient) -> None:
    route = respx.route()
    for value in (HUGE, JUST_PAST_64_BITS):
        with pytest.raises(errors.ValidationError, match="order_line_id"):
            await oms.legacy.orders.update_status(
                StatusChange(order_id="INV1", new_status=NewStatus.PRODUCED, order_line_id=value)
            )
    assert route.call_count == 0


# -- REST ids in paths -----------------------------------------------------------------------

ID_CALLS: list[tuple[str, Callable[[omsclient.AsyncClient, int], Any]]] = [
    ("categories.get", lambda oms, i: oms.rest.categories.get(i)),
    ("categories.update", lambda oms, i: oms.rest.categories.update(i, name="x")),
    ("categories.delete", lambda oms, i: oms.rest.categories.delete(i)),
    ("products.get", lambda oms, i: oms.rest.products.get(i)),
    ("products.delete", lambda oms, i: oms.rest.products.delete(i)),
    ("variants.get", lambda oms, i: oms.rest.variants.get(i)),
    ("variants.update", lambda oms, i: oms.rest.variants.update(i, name="x")),
]


@respx.mock
@pytest.mark.parametrize("call", [c for _, c in ID_CALLS], ids=[n for n, _ in ID_CALLS])
@pytest.mark.parametrize(
    "value", [HUGE, JUST_PAST_64_BITS, -(2**63) - 1], ids=["10^5000", "2^64", "-2^63-1"]
)
async def test_rest_ids_beyond_64_bits_are_refused_before_sending(
    oms: omsclient.AsyncClient, call: Callable[[omsclient.AsyncClient, int], Any], value: int
) -> None:
    route = respx.route()
    with pytest.raises(errors.ValidationError, match=r"_id is out of range.*64-bit"):
        await call(oms, value)
    assert route.call_count == 0


@respx.mock
async def test_the_largest_64_bit_rest_id_is_sent(oms: omsclient.AsyncClient) -> None:
    route = respx.get(f"{REST}/api/v1/product-categories/{2**63 - 1}").respond(
        json={"id": 2**63 - 1, "name": "Mugs"}
    )
    category = await oms.rest.categories.get(2**63 - 1)
    assert category.id == 2**63 - 1
    assert route.call_count == 1
