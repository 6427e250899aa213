"""The reprs of the iterators and scans a search returns: what they read, and where they stand."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import datetime

import pytest
from rich.pretty import pretty_repr

import omsclient
from omsclient import PageIterator
from omsclient.legacy import Condition, Op, OrderField, ProductField
from omsclient.sandbox import SandboxInfo

STATUS_1 = Condition(OrderField.ORDER_STATUS, Op.EQ, string=1)
EVERY = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2020, 1, 1))
LOGIN_KEY = "0123456789abcdef0123456789abcdef01234567"
# An invoice number holding a document link, its login key and all: a credential.
LINKED = Condition(
    OrderField.INVOICE_NUMBER,
    Op.EQ,
    string=f"https://shop.example/quote.pdf?user[id]=12&key={LOGIN_KEY}",
)


@pytest.fixture
def blocking(sandbox: SandboxInfo) -> Iterator[omsclient.Client]:
    with omsclient.Client(**sandbox.client_kwargs()) as oms:
        yield oms


def no_secret(text: str, sandbox: SandboxInfo) -> None:
    assert sandbox.password not in text
    assert sandbox.api_token not in text
    assert LOGIN_KEY not in text


async def test_an_iterator_says_what_it_reads_and_how_far(sandbox: SandboxInfo) -> None:
    async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:
        it = oms.legacy.orders.iterate(EVERY, concurrency=2, max_items=150)
        before = repr(it)
        assert before.startswith("PageIterator(operation='legacy.orders.iterate', ")
        assert "OrderField.DATE_ORDERED" in before
        assert "date1=datetime" in before
        assert "concurrency=2" in before
        assert "max_items=150" in before
        assert "status='not started'" in before
        assert "total=None" in before
        assert "object at 0x" not in before
        pages = it.pages()
        assert "PageIterator.pages" in repr(pages)
        first = await pages.__anext__()
        reading = repr(it)
        assert "status='reading'" in reading
        assert f"pages=1, rows={len(first)}" in reading
        assert len(first) == 100
        assert f"total={it.total}" in reading
        async for _ in pages:
            pass
        assert "status='finished'" in repr(it)
        assert "pages=2, rows=150" in repr(it)
        no_secret(repr(it), sandbox)


async def test_an_iterator_left_early_or_failed_says_so(sandbox: SandboxInfo) -> None:
    async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:
        it = oms.legacy.orders.iterate_raw(STATUS_1)
        assert "operation='legacy.orders.iterate_raw'" in repr(it)
        async with contextlib.aclosing(it.pages()) as pages:
            async for _ in pages:
                break
        assert "status='closed'" in repr(it)
        assert "pages=1" in repr(it)

        products = oms.legacy.products.iterate(Condition(ProductField.PRODUCT_ID, Op.GT, string=0))
        assert repr(products).startswith("PageIterator(operation='legacy.products.iterate', ")

    async def refused(offset: int, limit: int) -> omsclient.Page[int]:
        raise ValueError("no page")

    failing = PageIterator(refused)
    with pytest.raises(ValueError, match="no page"):
        async for _ in failing:
            pass
    assert "status='failed (ValueError)'" in repr(failing)


async def test_a_condition_holding_a_login_key_is_redacted(sandbox: SandboxInfo) -> None:
    async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:
        it, scan = oms.legacy.orders.iterate(LINKED), oms.legacy.orders.scan(LINKED)
        # rich prints what __rich_repr__ gives, not the repr.
        shown = [repr(it), repr(scan), pretty_repr(it), pretty_repr(scan)]
    for text in shown:
        assert "key=[REDACTED]" in text
        no_secret(text, sandbox)


async def test_an_order_scan_says_its_range_windows_and_where_it_stands(
    sandbox: SandboxInfo,
) -> None:
    async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:
        scan = oms.legacy.orders.scan(
            STATUS_1, since="2024-03-01", until="2024-09-30", windows=2, raw="sent"
        )
        before = repr(scan)
        assert before.startswith("OrderScan(operation='legacy.orders.scan', ")
        assert "OrderField.ORDER_STATUS" in before
        assert "raw='sent'" in before
        assert "windows=2" in before
        assert "since='2024-03-01T00:00:00'" in before
        assert "until='2024-09-30T23:59:59'" in before
        assert "status='not started'" in before
        assert "requests=0" in before
        rows = [order async for order in scan]
        after = repr(scan)
        assert "status='finished'" in after
        assert f"rows={len(rows)}" in after
        assert f"requests={scan.requests}" in after
        no_secret(after, sandbox)

        typed = oms.legacy.orders.scan()
        assert "raw=False" in repr(typed)
        assert "since=None" in repr(typed)


async def test_a_product_scan_says_where_it_stands(sandbox: SandboxInfo) -> None:
    async with omsclient.AsyncClient(**sandbox.client_kwargs()) as oms:
        scan = oms.legacy.products.scan()
        assert repr(scan).startswith("ProductScan(operation='legacy.products.scan', ")
        assert "status='not started'" in repr(scan)
        async with contextlib.aclosing(scan.pages()) as pages:
            page = await pages.__anext__()
        shown = repr(scan)
        assert "status='closed'" in shown
        assert f"pages=1, rows={len(page)}" in shown
        assert f"after={scan.state.after}" in shown


def test_the_blocking_iterator_and_scans_print_as_the_async_ones(
    blocking: omsclient.Client, sandbox: SandboxInfo
) -> None:
    it = blocking.legacy.orders.iterate(STATUS_1, concurrency=3)
    assert repr(it).startswith("SyncPageIterator(operation='legacy.orders.iterate', ")
    assert "concurrency=3" in repr(it)
    assert "status='not started'" in repr(it)
    rows = list(it)
    assert "status='finished'" in repr(it)
    assert f"rows={len(rows)}" in repr(it)

    products = blocking.legacy.products.scan()
    assert repr(products).startswith("SyncProductScan(operation='legacy.products.scan', ")
    assert "status='not started'" in repr(products)

    scan = blocking.legacy.orders.scan(LINKED, windows=2)
    assert repr(scan).startswith("SyncOrderScan(operation='legacy.orders.scan', ")
    assert "windows=2" in repr(scan)
    assert "key=[REDACTED]" in repr(scan)
    no_secret(repr(scan), sandbox)


def test_a_scan_read_in_one_thread_prints_in_another(blocking: omsclient.Client) -> None:
    scan = blocking.legacy.orders.scan(windows=2)
    holding, shown = threading.Event(), threading.Event()
    seen: list[str] = []

    def read() -> None:
        for n, _ in enumerate(scan):
            if n == 0:
                holding.set()
                assert shown.wait(10)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        assert holding.wait(10)
        seen.append(repr(scan))
    finally:
        shown.set()
        reader.join(10)
    assert "status='reading'" in seen[0]
    assert "pages=1" in seen[0]
    assert "status='finished'" in repr(scan)
