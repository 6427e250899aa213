"""Hostile but legal orders in both databases: what is stored is what the server sent."""

from __future__ import annotations

from typing import Any

import respx

import omsclient
from omsclient.dbsync import sync_orders

from .test_dbsync import (  # noqa: F401 - fixtures
    FIND,
    _answer_of,
    db_url,
    postgres,
    query,
    stored,
)


def order(order_id: bytes, second: int, extra: bytes = b"") -> bytes:
    """An order as the server writes it, ``order_id`` its JSON (quotes and escapes included)."""
    return (
        b'{"order_id":%b,"date_ordered":"2025-03-26T14:35:%02dZ",'
        b'"date_modified":"2025-03-27T10:00:00","order_status":1%b}' % (order_id, second, extra)
    )


async def _sync(oms: omsclient.AsyncClient, url: str, orders: list[bytes]) -> Any:
    with respx.mock:
        respx.post(FIND).mock(side_effect=_answer_of(orders))
        return await sync_orders(oms, url, windows=1)


async def test_an_order_id_holding_a_nul_is_not_the_id_without_it(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # The key dropped the NUL: INV\0001 and INV1, two orders, were one row, each run storing
    # whichever came last, and the other order was nowhere in the table.
    sent = [order(b'"INV\\u00001"', 1, b',"job_name":"first"'), order(b'"INV1"', 2)]
    first = await _sync(oms, db_url, sent)
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    assert sorted(query(db_url, "SELECT order_id FROM orders")) == [("INV1",), ("INV\\u00001",)]
    assert stored(db_url)["INV\\u00001"]["job_name"] == "first"
    again = await _sync(oms, db_url, sent)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)


async def test_the_numbers_of_an_order_holding_a_nul_are_stored_as_sent(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # PostgreSQL's data took the order through a double to replace its NUL: 2.5000000000000001
    # became 2.5, and 1e400 (no double) failed its batch on every run.
    numbers = b',"note":"a\\u0000b","rate":2.5000000000000001,"big":1e400,"n":%b' % (b"9" * 30)
    sent = order(b'"INV1"', 1, numbers)
    first = await _sync(oms, db_url, [sent, order(b'"INV2"', 2)])
    assert first.new == 2
    if db_url.startswith("sqlite"):
        assert query(db_url, "SELECT data FROM orders WHERE order_id = 'INV1'") == [
            (sent.decode(),)
        ]
    else:
        assert query(
            db_url,
            "SELECT data->>'rate', data->>'big', data->>'n', data->>'note' FROM orders "
            "WHERE order_id = 'INV1'",
        ) == [("2.5000000000000001", "1" + "0" * 400, "9" * 30, "a\\u0000b")]
    again = await _sync(oms, db_url, [sent, order(b'"INV2"', 2)])
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
