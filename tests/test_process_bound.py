"""What holds a client refuses to be pickled or copied, saying what to send instead.

A process pool pickles each job's arguments: a resource, an iterator or a scan handed to one
failed naming a lock (``cannot pickle '_thread.RLock' object``, httpx's cookie jar), a lambda
or a function deep inside the client, never that the client belongs to this process.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

import omsclient
from omsclient.legacy import Condition, Op, OrderField

COND = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2024, 1, 1))
SECRETS = ("hunter2-password", "tok-secret-123")
KWARGS: dict[str, Any] = {
    "legacy_url": "https://shop.test",
    "username": "fred",
    "password": SECRETS[0],
    "rest_url": "https://oms.test",
    "api_token": SECRETS[1],
    "store_id": "7",
}

Held = Callable[[Any], object]
HELD: dict[str, Held] = {
    "legacy": lambda oms: oms.legacy,
    "legacy.orders": lambda oms: oms.legacy.orders,
    "legacy.products": lambda oms: oms.legacy.products,
    "rest": lambda oms: oms.rest,
    "rest.orders": lambda oms: oms.rest.orders,
    "rest.order_items": lambda oms: oms.rest.order_items,
    "rest.variants": lambda oms: oms.rest.variants,
    "rest.orders.with_raw_response": lambda oms: oms.rest.orders.with_raw_response,
    "iterate": lambda oms: oms.legacy.orders.iterate(COND),
    "iterate_raw": lambda oms: oms.legacy.orders.iterate_raw(COND),
}
SCANS: dict[str, Held] = {
    "orders.scan": lambda oms: oms.legacy.orders.scan(since=datetime(2024, 1, 1)),
    "products.scan": lambda oms: oms.legacy.products.scan(),
}


@pytest.fixture(scope="module")
def blocking() -> Iterator[omsclient.Client]:
    with omsclient.Client(**KWARGS) as oms:
        yield oms


def _refusals(target: object) -> list[str]:
    said = []
    for attempt in (
        pickle.dumps,
        copy.copy,
        copy.deepcopy,
        lambda t: pickle.dumps(t, protocol=0),
    ):
        with pytest.raises(TypeError) as caught:
            attempt(target)
        said.append(str(caught.value))
    return said


def _check(said: list[str], scan: bool) -> None:
    for message in said:
        assert " objects cannot be pickled or copied: they hold an omsclient client" in message
        if scan:
            assert "scan.state.to_dict()" in message
        else:
            assert "create a client in the process that uses it" in message
        assert not any(secret in message for secret in SECRETS)


@pytest.mark.parametrize("name", [*HELD, *SCANS])
async def test_what_an_async_client_hands_out_refuses_pickling_saying_why(name: str) -> None:
    async with omsclient.AsyncClient(**KWARGS) as oms:
        target = {**HELD, **SCANS}[name](oms)
        _check(_refusals(target), scan=name in SCANS)


@pytest.mark.parametrize("name", [*HELD, *SCANS])
def test_what_a_blocking_client_hands_out_refuses_pickling_saying_why(
    blocking: omsclient.Client, name: str
) -> None:
    target = {**HELD, **SCANS}[name](blocking)
    said = _refusals(target)
    _check(said, scan=name in SCANS)
    assert said[0].startswith("Sync")  # named as the user knows it, not as a part inside


async def test_a_bound_method_of_an_async_resource_refuses_pickling_saying_why() -> None:
    # What pool.map(oms.legacy.orders.search, conditions) pickles.
    async with omsclient.AsyncClient(**KWARGS) as oms:
        with pytest.raises(TypeError, match=r"^Orders objects cannot be pickled or copied"):
            pickle.dumps(oms.legacy.orders.search)
