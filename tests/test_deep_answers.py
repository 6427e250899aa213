"""Answers whose JSON nests as deep as orjson reads (1,024 levels), past Python's stack: each
error answer still raises the error its status or code stands for, with every secret redacted,
and a page no other reader a job needs can take is a DecodeError, never read another way."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import respx

import omsclient
from omsclient import errors
from omsclient.export import export_orders, export_products

from .conftest import FAST_RETRY, LEGACY, PASSWORD, REST, TOKEN
from .test_hostile import ALL_PRODUCTS

DEPTH = 1000  # orjson reads 1,024 levels; Python stops at 1,000 frames


def nested(depth: int, open: str, leaf: Any, close: str) -> str:
    # Written out by hand: orjson and the standard library both stop writing far sooner.
    return open * depth + orjson.dumps(leaf).decode() + close * depth


def leaves(value: Any) -> list[Any]:
    """Every key and scalar of a JSON value, walked without recursion."""
    found: list[Any] = []
    pending = [value]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            found += current
            pending += current.values()
        elif isinstance(current, list):
            pending += current
        else:
            found.append(current)
    return found


BODIES: dict[str, Callable[[str], str]] = {
    "objects": lambda secret: nested(DEPTH, '{"a":', secret, "}"),
    "a message in messages": lambda secret: nested(DEPTH, '{"message":', secret, "}"),
    "field errors in field errors": lambda secret: (
        '{"errors":' + nested(DEPTH - 1, '{"items":', [secret], "}") + "}"
    ),
    "reasons in lists": lambda secret: '{"errors":' + nested(DEPTH - 1, "[", secret, "]") + "}",
    "a secret as a key": lambda secret: nested(DEPTH - 1, "[", {secret: 1}, "]"),
}


def test_the_bodies_are_as_deep_as_orjson_reads() -> None:
    for make in BODIES.values():
        assert orjson.loads(make("x")) is not None
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(nested(1025, "[", 0, "]"))


@pytest.mark.parametrize("status", [400, 500])
@pytest.mark.parametrize("shape", list(BODIES))
@respx.mock
async def test_a_rest_error_nested_past_the_stack_is_its_status_error(
    client_kwargs: dict[str, Any], status: int, shape: str
) -> None:
    route = respx.get(f"{REST}/api/v1/orders/U1").respond(
        status, content=BODIES[shape](TOKEN).encode(), headers={"content-type": "application/json"}
    )
    async with omsclient.AsyncClient(**{**client_kwargs, "retry": FAST_RETRY}) as oms:
        with pytest.raises(errors.ApiError) as caught:
            await oms.rest.orders.get("U1")
    expected = errors.ServerError if status == 500 else errors.InvalidRequestError
    assert type(caught.value) is expected
    # A server error to a read is retried, as any other; a 400 is not.
    assert route.call_count == (4 if status == 500 else 1)
    found = leaves(caught.value.body)
    assert "[REDACTED]" in found
    assert TOKEN not in str(found)


@respx.mock
async def test_a_rest_error_whose_field_errors_nest_past_the_stack_keeps_its_message(
    client_kwargs: dict[str, Any],
) -> None:
    errors_ = nested(DEPTH - 1, '{"items":', ["too deep"], "}")
    respx.get(f"{REST}/api/v1/orders/U1").respond(
        422, content=f'{{"message":"The given data was invalid.","errors":{errors_}}}'.encode()
    )
    async with omsclient.AsyncClient(**client_kwargs) as oms:
        with pytest.raises(errors.InvalidRequestError) as caught:
            await oms.rest.orders.get("U1")
    assert str(caught.value).endswith("failed with HTTP 422: The given data was invalid.")
    assert caught.value.field_errors == {}


@respx.mock
async def test_an_answer_nested_deeper_than_orjson_reads_is_a_decode_error(
    oms: omsclient.AsyncClient,
) -> None:
    route = respx.post(f"{LEGACY}/api/json/manage_products/find").respond(
        content=('{"products":' + nested(PAST_EVERY_READER, "[", 0, "]") + "}").encode(),
        headers={"content-type": "application/json"},
    )
    with pytest.raises(errors.DecodeError, match="invalid JSON") as caught:
        await oms.legacy.products.search(ALL_PRODUCTS)
    assert "such a value" not in str(caught.value)  # it holds nothing odd: only its depth
    # Not cut short: the same answer would fail again, and was asked for only once.
    assert "cut short" not in str(caught.value)
    assert route.call_count == 1


@respx.mock
async def test_a_legacy_error_nested_past_the_stack_is_its_code_error(
    oms: omsclient.AsyncClient,
) -> None:
    status = '{"code": 10002, "severity": "ERROR", "description": "bad"}'
    detail = nested(DEPTH - 2, '{"a":', PASSWORD, "}")
    respx.post(f"{LEGACY}/api/json/manage_products/find").respond(
        content=f'{{"response_status": {status}, "detail": {detail}}}'.encode(),
        headers={"content-type": "application/json"},
    )
    with pytest.raises(errors.ApiError) as caught:
        await oms.legacy.products.search(ALL_PRODUCTS)
    assert caught.value.code == 10002
    found = leaves(caught.value.body)
    assert "[REDACTED]" in found
    assert PASSWORD not in str(found)


# Deeper than msgspec and Python 3.11's standard library read (Python's stack), as deep as
# orjson reads.
PAST_THE_STACK = 1000


def standard_library_reads(depth: int) -> bool:
    try:
        json.loads(nested(depth, "[", 1, "]"))
    except RecursionError:
        return False
    return True


# From Python 3.12 the standard library's parser reads JSON this deep (3.13 deeper still), and
# a row refused on 3.11 for its depth is read and written as sent there.
READ_PAST_THE_STACK = standard_library_reads(PAST_THE_STACK)
# Past what any Python's standard library reads.
PAST_EVERY_READER = 100_000


@pytest.mark.parametrize(
    ("kind", "row", "refused"),
    [
        # Read the usual way instead, 1.50 was written 1.5 and an integer past 64 bits a float.
        (
            "products",
            '"product_id":1,"price":1.50,"big":' + "9" * 30,
            "nested too deep to read its numbers as sent",
        ),
        # The standard library wrote it again by recursion: a bare RecursionError, every run.
        (
            "orders",
            '"order_id":"INV1","date_ordered":"2025-03-26T14:35:00Z"',
            r"'INV1'\) nested too deep",
        ),
    ],
    ids=["products", "orders"],
)
@respx.mock
async def test_a_row_too_deep_to_read_or_write_as_sent_is_refused_not_changed(
    oms: omsclient.AsyncClient, tmp_path: Path, kind: str, row: str, refused: str
) -> None:
    deep = nested(PAST_THE_STACK, "[", 1, "]")
    respx.post(f"{LEGACY}/api/json/manage_{kind}/find").respond(
        content=f'{{"total":1,"{kind}":[{{{row},"x":{deep}}}]}}'.encode(),
        headers={"content-type": "application/json"},
    )
    out = tmp_path / f"{kind}.jsonl"
    export = export_products(oms, out) if kind == "products" else export_orders(oms, out, windows=1)
    if READ_PAST_THE_STACK:
        await export
        assert out.read_text() == f'{{{row},"x":{deep}}}\n'
        return
    with pytest.raises(errors.DecodeError, match=refused):
        await export
    assert not out.exists()


@pytest.mark.parametrize("leaf", ['"cut \\ud83d"', "1e400"], ids=["lone surrogate", "1e400"])
@respx.mock
async def test_a_value_only_the_standard_library_reads_too_deep_for_it_says_so(
    client_kwargs: dict[str, Any], leaf: str
) -> None:
    # orjson's reason alone ("no low surrogate", "number is infinity") hid why a page that the
    # same order without it passes failed every time.
    deep = nested(PAST_THE_STACK, "[", 1, "]")
    product = f'{{"product_id":1,"product_name":{leaf},"x":{deep}}}'
    route = respx.post(f"{LEGACY}/api/json/manage_products/find").respond(
        content=f'{{"total":1,"products":[{product}]}}'.encode(),
        headers={"content-type": "application/json"},
    )
    async with omsclient.AsyncClient(**{**client_kwargs, "retry": FAST_RETRY}) as oms:
        if READ_PAST_THE_STACK:
            # Read as the same product is where it nests no deeper than usual.
            (found,) = (await oms.legacy.products.search(ALL_PRODUCTS)).items
            shallow = f'{{"product_id":1,"product_name":{leaf},"x":[1]}}'
            route.respond(content=f'{{"total":1,"products":[{shallow}]}}'.encode())
            (usual,) = (await oms.legacy.products.search(ALL_PRODUCTS)).items
            assert found.product_name == usual.product_name
            return
        with pytest.raises(errors.DecodeError, match="in JSON nested too deep to read such"):
            await oms.legacy.products.search(ALL_PRODUCTS)


@pytest.mark.parametrize(
    ("row", "refused"),
    [
        (
            '"order_id":"INV1","date_ordered":%s',
            "order 'INV1' matched .* its date_ordered is an array$",
        ),
        ('"order_id":%s', "an order's order_id is an array$"),
        # Not deep: a lone surrogate, which no UTF-8 stream could print, is described.
        (
            '"order_id":"INV\\ud800","date_ordered":null%.0s',
            "order a string of 4 characters matched",
        ),
    ],
    ids=["date_ordered", "order_id", "lone surrogate"],
)
@respx.mock
async def test_a_scan_quoting_an_odd_value_of_a_row_says_what_it_is(
    oms: omsclient.AsyncClient, row: str, refused: str
) -> None:
    # Quoted with repr() and str(): a bare RecursionError out of the scan, or a message no
    # UTF-8 stream could print.
    deep = nested(PAST_THE_STACK - 10, "[", 1, "]")
    respx.post(f"{LEGACY}/api/json/manage_orders/find").respond(
        content=f'{{"total":1,"orders":[{{{row % deep}}}]}}'.encode(),
        headers={"content-type": "application/json"},
    )
    with pytest.raises(errors.DecodeError, match=refused):
        async for _ in oms.legacy.orders.scan(raw=True, windows=1):
            pass


@respx.mock
async def test_a_deep_answer_cut_short_is_asked_for_again(
    client_kwargs: dict[str, Any],
) -> None:
    # Cut short, the standard library's second reading ran out of stack, and the answer was
    # taken for one nested too deep, which is not asked for again.
    deep = nested(PAST_THE_STACK, "[", 1, "]")
    whole = f'{{"total":1,"products":[{{"product_id":1,"x":{deep}}}]}}'.encode()
    route = respx.post(f"{LEGACY}/api/json/manage_products/find").mock(
        side_effect=[
            httpx.Response(200, content=whole[: len(whole) // 2]),
            httpx.Response(200, content=whole),
        ]
    )
    async with omsclient.AsyncClient(**{**client_kwargs, "retry": FAST_RETRY}) as oms:
        page = await oms.legacy.products.search(ALL_PRODUCTS)
    assert [product.product_id for product in page.items] == [1]
    assert route.call_count == 2
