"""Answers are freed as soon as their page is: memory stays flat however long a job runs."""

from __future__ import annotations

import gc
import weakref
from collections.abc import AsyncIterable, Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import attrs
import httpx
import pytest

import omsclient
from omsclient import Page
from omsclient.legacy import Condition, Op, OrderField, ProductScan
from omsclient.legacy.models import Order
from omsclient.sandbox import SandboxConfig, SandboxInfo

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))


@pytest.fixture
def collector_off() -> Iterator[None]:
    """Only reference counting frees anything meanwhile: what a collection would free late."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _answers_alive(server: SandboxInfo) -> int:
    """The answers of ``server`` alive: not those other tests of the worker keep (responses
    made by hand for respx, a daemon thread's client that outlived its test)."""
    return sum(1 for o in gc.get_objects() if isinstance(o, httpx.Response) and _of(o, server))


def _of(answer: httpx.Response, server: SandboxInfo) -> bool:
    try:
        return str(answer.request.url).startswith(server.url)
    except RuntimeError:  # made by hand: no request
        return False


async def test_an_answer_is_freed_when_its_call_returns(
    oms_sandbox: SandboxInfo, collector_off: None
) -> None:
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        before = _answers_alive(oms_sandbox)
        for _ in range(5):
            await oms.legacy.orders.search(ALL, limit=20)
        # Neither httpx's stream (which refers back to its answer) nor the deadline's timer,
        # which asyncio keeps cancelled until it sweeps it, holds on to an answer.
        assert _answers_alive(oms_sandbox) <= before


async def test_pages_read_ahead_are_freed_as_they_are_handed_out(
    oms_sandbox_factory: Callable[..., SandboxInfo], collector_off: None
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=2000))
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        before = _answers_alive(info)
        seen = 0
        async for page in oms.legacy.orders.iterate(ALL, concurrency=4).pages():
            seen += 1
            assert len(page.items) == 100
            # The window's answers (at most twice the concurrency: in flight, or done and
            # waiting for an earlier one) and the one of the page in hand, never those before.
            assert _answers_alive(info) - before <= 2 * 4 + 1
            if seen == 12:
                break
        assert seen == 12


async def test_a_raw_response_keeps_its_answer(oms_sandbox: SandboxInfo) -> None:
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        raw = await oms.legacy.orders.with_raw_response.search(ALL, limit=2)
        assert raw.status_code == 200
        assert len(raw.parse().items) == 2
        assert "response_status" in raw.text


# A row handed out is freed once the caller has moved on and keeps it no more, not when its page
# ends (the row in hand may stay in the iterator's frame, as in the caller's variable): kept in
# the page's list, every order handed out lives on with the parts built of it (about 60 objects
# an order once its lines are read), and the collector walks them again and again.
HANDED = 50


class _Row(dict[str, Any]):
    """A raw row that a weak reference can follow."""


def _held(refs: list[weakref.ref[Any]]) -> list[int]:
    """Which rows, of those handed out before the one in hand, are still alive."""
    return [n for n, ref in enumerate(refs[:-1]) if ref() is not None]


def _took(row: Any, refs: list[weakref.ref[Any]]) -> bool:
    """Read ``row`` as a job would (an order's lines build every part), follow it weakly, and
    say whether enough rows were handed out."""
    if isinstance(row, Order):
        assert row.order_lines
    refs.append(weakref.ref(row))
    return len(refs) > HANDED


def _blocking_rows(rows: Iterable[Any]) -> list[int]:
    refs: list[weakref.ref[Any]] = []
    it = iter(rows)  # held: a generator dropped at ``break`` would free its page at once
    while not _took(next(it), refs):
        pass
    held = _held(refs)
    del it
    return held


async def _rows(rows: AsyncIterable[Any]) -> list[int]:
    refs: list[weakref.ref[Any]] = []
    it = aiter(rows)
    while not _took(await anext(it), refs):
        pass
    held = _held(refs)
    await it.aclose()  # type: ignore[attr-defined]
    return held


def _as_weakly_referable(scan: ProductScan) -> ProductScan:
    """``scan``, its rows each a :class:`_Row`."""
    fetch = scan._fetch_page

    async def fetch_rows(conditions: Sequence[Condition], offset: int, limit: int) -> Page[Any]:
        page = await fetch(conditions, offset, limit)
        return attrs.evolve(page, items=[_Row(row) for row in page.items])

    scan._fetch_page = fetch_rows
    return scan


@pytest.mark.parametrize("what", ["iterate", "scan", "product scan"])
async def test_a_row_handed_out_is_freed_before_its_page_ends(
    oms_sandbox: SandboxInfo, collector_off: None, what: str
) -> None:
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        if what == "iterate":
            rows: AsyncIterable[Any] = oms.legacy.orders.iterate(ALL)
        elif what == "scan":
            rows = oms.legacy.orders.scan()
        else:
            rows = _as_weakly_referable(oms.legacy.products.scan())
        held = await _rows(rows)
    assert not held, f"rows {held} of the page in hand are still alive"


@pytest.mark.parametrize("what", ["iterate", "scan", "product scan"])
def test_a_row_the_blocking_client_handed_out_is_freed_before_its_page_ends(
    oms_sandbox: SandboxInfo, collector_off: None, what: str
) -> None:
    with omsclient.Client(**oms_sandbox.client_kwargs()) as oms:
        if what == "iterate":
            rows: Iterable[Any] = oms.legacy.orders.iterate(ALL)
        elif what == "scan":
            rows = oms.legacy.orders.scan()
        else:
            scan = oms.legacy.products.scan()
            _as_weakly_referable(scan._products)
            rows = scan
        held = _blocking_rows(rows)
    assert not held, f"rows {held} of the page in hand are still alive"
