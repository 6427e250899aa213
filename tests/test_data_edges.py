"""Data at the edges of what a file or a database holds: long keys, lone surrogates, numbers
past a double, integers past 64 bits. Every body is spelled out as the server would send it."""

from __future__ import annotations

import hashlib
import json

import pytest
import respx

import omsclient
from omsclient.dbsync import sync_orders

from .test_dbsync import (  # noqa: F401 - fixtures
    FIND,
    _answer_of,
    db_url,
    postgres,
    query,
)


def order(order_id: bytes, second: int, extra: bytes = b"") -> bytes:
    """An order as the server writes it, ``order_id`` its JSON (quotes and escapes included)."""
    return (
        b'{"order_id":%b,"date_ordered":"2025-03-26T14:35:%02dZ",'
        b'"date_modified":"2025-03-27T10:00:00","order_status":1%b}' % (order_id, second, extra)
    )


def incompressible(size: int) -> str:
    """``size`` characters PostgreSQL cannot compress (hex of hashes: no repeats for pglz)."""
    text = "".join(hashlib.sha256(str(n).encode()).hexdigest() for n in range(size // 64 + 1))
    return text[:size]


# -- 1. an order id longer than a key may be -------------------------------------------------


async def test_an_order_id_too_long_for_a_key_is_refused_naming_it(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # PostgreSQL's btree on order_id failed the batch with "index row size ... exceeds
    # maximum", naming no order; SQLite stored it, so the two databases held other rows.
    long_id = "INV-" + incompressible(3000)
    sent = [order(b'"INV1"', 1), order(json.dumps(long_id).encode(), 2)]
    with respx.mock:
        respx.post(FIND).mock(side_effect=_answer_of(sent))
        with pytest.raises(omsclient.DecodeError) as caught:
            await sync_orders(oms, db_url, windows=1)
    message = str(caught.value)
    assert "order_id 'INV-" + long_id[4:20] in message
    assert "3,004 bytes" in message
    assert "2,048 bytes" in message
    assert len(message) < 400
    # Refused before the batch was written: nothing of it is stored.
    assert query(db_url, "SELECT count(*) FROM orders") == [(0,)]


async def test_an_order_id_of_the_longest_a_key_may_be_is_stored(
    oms: omsclient.AsyncClient,
    db_url: str,  # noqa: F811
) -> None:
    # 2,048 bytes of UTF-8, é two each: PostgreSQL's index takes it uncompressed.
    longest = "\u00e9" * 24 + incompressible(2000)
    sent = [order(json.dumps(longest, ensure_ascii=False).encode(), 1)]
    with respx.mock:
        respx.post(FIND).mock(side_effect=_answer_of(sent))
        summary = await sync_orders(oms, db_url, windows=1)
    assert summary.new == 1
    assert query(db_url, "SELECT order_id FROM orders") == [(longest,)]
