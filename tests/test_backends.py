"""The same calls, iterators, scans and exports under asyncio and trio, over real sockets."""

from __future__ import annotations

import asyncio
import errno
import gc
import json
import random
import signal
import socket
import sys
import types
import warnings
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
import httpx
import pytest
import respx
import sniffio
import trio

import omsclient
from omsclient import Page, PageIterator, _concurrency
from omsclient._loop_bound import LoopBoundTransport
from omsclient.export import export_orders
from omsclient.legacy import Condition, Op, OrderField
from omsclient.sandbox import Faults, SandboxConfig, SandboxInfo

from .conftest import LEGACY, REST

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
BACKENDS = ["asyncio", "trio"]
T = TypeVar("T")


def run(backend: str, main: Callable[[], Awaitable[Any]]) -> Any:
    return anyio.run(main, backend=backend)


class SlowSource:
    """Pages of ints by offset, each after a short sleep; counts the fetches running."""

    def __init__(self, n: int, delay: float = 0.01) -> None:
        self.n = n
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0
        self.calls: list[int] = []

    async def fetch(self, offset: int, limit: int) -> Page[int]:
        self.calls.append(offset)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await anyio.sleep(self.delay * (1 + (10_000 - offset) / 10_000))
        finally:
            self.in_flight -= 1
        items = list(range(offset, min(offset + limit, self.n)))
        return Page(items=items, total=self.n, offset=offset, limit=limit)


def idle(oms: omsclient.AsyncClient) -> bool:
    """Whether no request of the client is on the wire and every pooled connection is idle."""
    pool = oms._session.http._transport._transport._pool  # type: ignore[attr-defined]
    return oms._session.throttle.in_flight == 0 and all(c.is_idle() for c in pool.connections)


async def _becomes_idle(oms: omsclient.AsyncClient) -> bool:
    for _ in range(100):
        if idle(oms):
            return True
        await anyio.sleep(0.001)
    return False


@pytest.mark.parametrize("backend", BACKENDS)
def test_calls_iterators_scans_and_exports_run_on_each_backend(
    backend: str, oms_sandbox: SandboxInfo, tmp_path: Path
) -> None:
    async def main() -> tuple[Any, ...]:
        async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
            page = await oms.legacy.orders.search(ALL, limit=5)
            it = oms.legacy.orders.iterate(ALL, concurrency=4)
            ids = [o.order_id async for o in it]
            scanned = [o.order_id async for o in oms.legacy.orders.scan(windows=3)]
            summary = await export_orders(oms, tmp_path / f"{backend}.jsonl", windows=3)
            return page, ids, it.total, scanned, summary

    page, ids, total, scanned, summary = run(backend, main)
    assert page.total == 300
    assert len(page.items) == 5
    assert total == 300
    assert len(ids) == len(set(ids)) == 300
    assert ids[:5] == [o.order_id for o in page.items]
    assert sorted(scanned) == sorted(ids)
    assert summary.exported == 300
    lines = (tmp_path / f"{backend}.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["order_id"] for line in lines) == sorted(ids)


@pytest.mark.parametrize("backend", BACKENDS)
def test_four_fetches_overlap_and_pages_come_in_offset_order(backend: str) -> None:
    src = SlowSource(2000)

    async def main() -> list[int]:
        return [page.offset async for page in PageIterator(src.fetch, concurrency=4).pages()]

    assert run(backend, main) == list(range(0, 2000, 100))
    assert src.max_in_flight == 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_slow_page_does_not_stop_the_requests_behind_it(backend: str) -> None:
    # The page at offset 100 is answered only once the page at 400 has been asked for: an
    # iterator that counted pages done but waiting as in flight would never ask for it.
    src = SlowSource(1000, delay=0.0)
    asked_for_400 = anyio.Event()
    asked_while_slow: list[int] = []

    async def slow_second_page(offset: int, limit: int) -> Page[int]:
        if offset == 400:
            asked_for_400.set()
        if offset == 100:
            src.in_flight += 1
            await asked_for_400.wait()
            for _ in range(20):  # time to ask for more, if it would
                await anyio.lowlevel.checkpoint()
            asked_while_slow.append(max(src.calls))
            src.in_flight -= 1
        return await src.fetch(offset, limit)

    async def main() -> list[int]:
        with anyio.fail_after(5):
            pages = PageIterator(slow_second_page, concurrency=2).pages()
            return [x async for page in pages for x in page.items]

    assert run(backend, main) == list(range(1000))
    # While 100 was slow, 200 to 400 came in and waited for it: 2 x concurrency pages held.
    assert asked_while_slow == [400]
    assert src.max_in_flight == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_closing_the_pages_after_a_break_leaves_no_fetch_in_flight(backend: str) -> None:
    src = SlowSource(100_000, delay=0.0)

    async def later_pages_later(offset: int, limit: int) -> Page[int]:
        # Without this, the window's later fetches would all be done before the break.
        src.in_flight += 1
        src.max_in_flight = max(src.max_in_flight, src.in_flight)
        try:
            await anyio.sleep(0.01 * offset / 100)
        finally:
            src.in_flight -= 1
        return await src.fetch(offset, limit)

    async def main() -> tuple[int, int, int]:
        pages = PageIterator(later_pages_later, concurrency=4).pages()
        async with aclosing(pages):
            async for page in pages:
                if page.offset == 500:
                    at_break = src.in_flight
                    break
        return at_break, src.in_flight, len(src.calls)

    at_break, in_flight, calls = run(backend, main)
    assert at_break > 0  # the window runs ahead of the consumer...
    assert in_flight == 0  # ...and closing it cancels and awaits what it had in flight
    assert src.max_in_flight == 4
    assert calls <= 1 + 5 + 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failed_fetch_is_raised_in_the_consumer_after_the_pages_before_it(backend: str) -> None:
    src = SlowSource(100_000)

    async def failing_at_300(offset: int, limit: int) -> Page[int]:
        page = await src.fetch(offset, limit)
        if offset == 300:
            raise LookupError("page 300 failed")
        return page

    async def main() -> tuple[list[int], str, int]:
        offsets: list[int] = []
        try:
            async for page in PageIterator(failing_at_300, concurrency=4).pages():
                offsets.append(page.offset)
        except LookupError as exc:
            return offsets, str(exc), src.in_flight
        raise AssertionError("the failure was lost")

    offsets, error, in_flight = run(backend, main)
    assert offsets == [0, 100, 200]
    assert "page 300 failed" in error
    assert in_flight == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancelling_the_consumer_cancels_and_awaits_every_fetch(backend: str) -> None:
    src = SlowSource(100_000, delay=0.05)
    seen: list[int] = []

    async def main() -> int:
        with anyio.move_on_after(0.3):
            async for x in PageIterator(src.fetch, concurrency=4):
                seen.append(x)
        return src.in_flight

    assert run(backend, main) == 0
    assert 0 < len(seen) < 100_000


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_real_client_is_idle_once_an_iterator_is_closed_dropped_or_cancelled(
    backend: str, oms_sandbox_factory: Callable[..., SandboxInfo]
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=2000, faults=Faults(latency=0.02)))

    async def main() -> tuple[bool, bool, int]:
        async with omsclient.AsyncClient(**info.client_kwargs(), max_in_flight=4) as oms:
            pages = oms.legacy.orders.iterate(ALL, concurrency=4).pages()
            async with aclosing(pages):
                async for page in pages:
                    if page.offset == 300:
                        break
            after_break = idle(oms)
            # Dropped without closing: the event loop closes it within a few turns.
            async for page in oms.legacy.orders.iterate(ALL, concurrency=4).pages():
                if page.offset == 300:
                    break
            after_break = after_break and await _becomes_idle(oms)
            with anyio.move_on_after(0.1):
                async for _ in oms.legacy.orders.iterate_raw(ALL, concurrency=4):
                    pass
            after_cancel = idle(oms)
            with anyio.move_on_after(0.1):
                async for _ in oms.legacy.orders.scan(windows=4, raw=True):
                    pass
            after_cancel = after_cancel and idle(oms)
            # Every slot is back: four searches at once still go through.
            totals: list[int] = []

            async def one() -> None:
                totals.append((await oms.legacy.orders.search(ALL, limit=1)).total)

            async with anyio.create_task_group() as tg:
                for _ in range(4):
                    tg.start_soon(one)
            return after_break, after_cancel, sum(totals)

    assert run(backend, main) == (True, True, 4 * 2000)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failed_window_of_a_scan_raises_itself_on_each_backend(
    backend: str, oms_sandbox: SandboxInfo
) -> None:
    async def main() -> None:
        bad = {**oms_sandbox.client_kwargs(), "password": "wrong"}
        async with omsclient.AsyncClient(**bad) as oms:
            async for _ in oms.legacy.orders.scan(windows=3):
                pass

    with pytest.raises(omsclient.AuthenticationError):
        run(backend, main)


def test_the_aiohttp_transport_is_refused_under_trio_with_a_clear_error(
    oms_sandbox: SandboxInfo,
) -> None:
    async def main() -> None:
        async with omsclient.AsyncClient(**oms_sandbox.client_kwargs(), transport="aiohttp") as oms:
            await oms.legacy.orders.search(ALL, limit=1)

    with pytest.raises(omsclient.ConfigurationError, match="asyncio"):
        run("trio", main)


def test_a_trio_older_than_0_31_is_named_with_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # anyio cancels a trio scope with cancel(reason): under trio 0.30 a job failed only when
    # it left an iterator early or closed the client, with a TypeError naming nothing.
    class OldCancelScope:
        def cancel(self) -> None: ...

    old_trio = types.SimpleNamespace(__version__="0.30.0", CancelScope=OldCancelScope)
    monkeypatch.setitem(sys.modules, "trio", old_trio)
    _concurrency._trio_problem.cache_clear()
    running = sniffio.current_async_library_cvar.set("trio")
    try:
        with pytest.raises(
            omsclient.ConfigurationError,
            match=r"needs trio 0\.31 or newer, not 0\.30\.0: pip install 'omsclient\[trio\]'",
        ):
            _concurrency.check_event_loop()
    finally:
        sniffio.current_async_library_cvar.reset(running)
        _concurrency._trio_problem.cache_clear()


@respx.mock
def test_an_event_loop_the_client_cannot_run_on_is_refused_before_a_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_concurrency, "_trio_problem", lambda: "an old trio")
    route = respx.post(url__startswith=LEGACY).respond(json={"orders": [], "total": 0})

    async def main() -> None:
        async with omsclient.AsyncClient(legacy_url=LEGACY, username="u", password="p") as oms:
            await oms.legacy.orders.search(ALL, limit=1)

    with pytest.raises(omsclient.ConfigurationError, match="an old trio"):
        run("trio", main)
    assert not route.called
    run("asyncio", main)
    assert route.called


def test_a_sync_through_the_aiohttp_transport_under_trio_makes_no_database(
    oms_sandbox: SandboxInfo, tmp_path: Path
) -> None:
    # Refused at the first request, after the database had been made: a file with its tables
    # and nothing in them.
    from omsclient.dbsync import sync_orders

    async def main() -> None:
        async with omsclient.AsyncClient(**oms_sandbox.client_kwargs(), transport="aiohttp") as oms:
            await sync_orders(oms, f"sqlite:///{tmp_path / 'orders.db'}")

    with pytest.raises(omsclient.ConfigurationError, match="asyncio"):
        run("trio", main)
    assert list(tmp_path.iterdir()) == []


def test_the_default_transport_is_httpx_own(oms_sandbox: SandboxInfo) -> None:
    async def main() -> type:
        async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
            await oms.legacy.orders.search(ALL, limit=1)
            return type(oms._session.http._transport._transport)  # type: ignore[no-any-return]

    assert run("trio", main) is httpx.AsyncHTTPTransport


def test_one_async_client_serves_one_event_loop_after_another(oms_sandbox: SandboxInfo) -> None:
    oms = omsclient.AsyncClient(**oms_sandbox.client_kwargs())

    async def ids() -> list[str | None]:
        return [o.order_id async for o in oms.legacy.orders.iterate(ALL, concurrency=4)]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = asyncio.run(ids())
        second = asyncio.run(ids())
        third = trio.run(ids)
        fourth = asyncio.run(ids())
        asyncio.run(oms.aclose())
        gc.collect()
    assert len(first) == 300
    assert first == second == third == fourth
    # Each loop's connections were closed by that loop, not left to the garbage collector.
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


@pytest.mark.parametrize("concurrency", [1, 8])
def test_a_loop_ending_right_after_a_break_leaves_no_coroutine_never_awaited(
    oms_sandbox: SandboxInfo, concurrency: int
) -> None:
    # The fetch running ahead had started its exchange's task, which the loop's end cancelled
    # before its first step: anyio's wrapper never started omsclient's coroutine, and every
    # such job printed "coroutine 'Session._exchange.<locals>.run' was never awaited".
    oms = omsclient.AsyncClient(**oms_sandbox.client_kwargs())

    async def first_orders() -> int:
        n = 0
        async for _order in oms.legacy.orders.iterate(ALL, concurrency=concurrency):
            n += 1
            if n == 150:
                break
        return n

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert [asyncio.run(first_orders()) for _ in range(3)] == [150] * 3
        asyncio.run(oms.aclose())
        gc.collect()
    assert not [w for w in caught if "_exchange" in str(w.message)]


def run_on_a_loop_made_by_hand(main: Callable[[], Awaitable[T]], *, cancel: bool = True) -> T:
    """``main()`` on a loop made and ended by hand, as docs/client.md says to end one (with
    ``cancel`` false, with ``shutdown_asyncgens()`` alone, as it used to say)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        if cancel and (pending := asyncio.all_tasks(loop)):
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def test_a_loop_made_by_hand_and_closed_with_calls_suspended_in_it_stops_no_later_call(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    # Closed right after a break, its tasks and generators not ended: their calls were taken
    # for calls in flight on "another thread's" loop, refusing every later call and the close,
    # and the slots of the fetches still waiting for their answers were never given back (the
    # next such loop waited for ever).
    info = oms_sandbox_factory(SandboxConfig(orders=3000, faults=Faults(latency=0.2)))
    oms = omsclient.AsyncClient(**info.client_kwargs(), max_in_flight=8)

    async def first_order() -> None:
        async for _order in oms.legacy.orders.iterate(ALL, concurrency=8):
            break

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # asyncio's "Task was destroyed but it is pending!"
        for _ in range(3):
            loop = asyncio.new_event_loop()
            loop.run_until_complete(asyncio.wait_for(first_order(), 10))
            loop.close()

    async def total() -> int:
        with anyio.fail_after(10):
            return (await oms.legacy.orders.search(ALL, limit=1)).total

    assert asyncio.run(total()) == 3000
    asyncio.run(oms.aclose())


@pytest.mark.parametrize("cancel", [True, False], ids=["as-documented", "asyncgens-alone"])
@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_a_loop_made_by_hand_and_ended_after_a_break_frees_every_slot(
    oms_sandbox: SandboxInfo, transport: str, cancel: bool
) -> None:
    # Ended with shutdown_asyncgens() alone, as the docs said: the fetches running ahead were
    # still pending, their in-flight slots closed from another task and never given back; the
    # third loop's iterate waited for ever. Ended so, asyncio still logs the generators it
    # closes from another task: the documented ending leaves none.
    oms = omsclient.AsyncClient(**oms_sandbox.client_kwargs(), transport=transport)  # type: ignore[arg-type]

    async def first_orders() -> int:
        n = 0
        async for _order in oms.legacy.orders.iterate(ALL, concurrency=8):
            n += 1
            if n == 150:
                break
        return n

    async def total() -> int:
        with anyio.fail_after(10):
            return (await oms.legacy.orders.search(ALL, limit=1)).total

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ended = [run_on_a_loop_made_by_hand(first_orders, cancel=cancel) for _ in range(3)]
        assert ended == [150] * 3
        assert oms._session.throttle.in_flight == 0
        assert run_on_a_loop_made_by_hand(total) == 300
        run_on_a_loop_made_by_hand(oms.aclose)
        gc.collect()
    if cancel:
        assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_storm_of_cancellations_leaves_every_connection_usable(
    backend: str, oms_sandbox_factory: Callable[..., SandboxInfo]
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=3000, faults=Faults(latency=0.02)))
    rnd = random.Random(7)

    async def main() -> tuple[bool, list[int]]:
        async with omsclient.AsyncClient(**info.client_kwargs(), max_in_flight=4) as oms:
            for _ in range(60):
                # Cancelled anywhere: waiting for answers, reading them, converting pages.
                with anyio.move_on_after(rnd.uniform(0.001, 0.15)):
                    async for _ in oms.legacy.orders.iterate(ALL, concurrency=4):
                        pass
            clean = idle(oms)
            totals: list[int] = []

            async def one() -> None:
                totals.append((await oms.legacy.orders.search(ALL, limit=1)).total)

            with anyio.fail_after(30):
                async with anyio.create_task_group() as tg:
                    for _ in range(16):
                        tg.start_soon(one)
            return clean, totals

    clean, totals = run(backend, main)
    assert clean
    assert totals == [3000] * 16


def test_every_event_loop_pool_shares_one_tls_context(oms_sandbox: SandboxInfo) -> None:
    """Loading the CA bundle takes tens of ms: a new loop's pool reuses the first one's."""
    oms = omsclient.AsyncClient(**oms_sandbox.client_kwargs())

    async def tls_context() -> object:
        await oms.legacy.orders.search(ALL, limit=1)
        transport = oms._session.http._transport
        assert isinstance(transport, LoopBoundTransport)
        pool = transport.current()
        assert isinstance(pool, httpx.AsyncHTTPTransport)
        return pool._pool._ssl_context

    first = asyncio.run(tls_context())
    second = trio.run(tls_context)
    asyncio.run(oms.aclose())
    assert first is not None
    assert first is second


def _interrupted(request: httpx.Request) -> httpx.Response:
    # What trio does on Ctrl-C: KeyboardInterrupt raised in whichever task runs at that moment,
    # here the one sending the request.
    raise KeyboardInterrupt


async def _interrupted_later(request: httpx.Request) -> httpx.Response:
    # Ctrl-C while trio's own code runs: trio raises it in the main task, which is waiting for
    # the task sending this request.
    @trio.lowlevel.enable_ki_protection
    def protected() -> None:
        signal.raise_signal(signal.SIGINT)

    protected()
    await anyio.sleep(5)
    raise AssertionError("the interrupt was not raised")


@pytest.mark.parametrize("where", ["in the request's task", "in the waiting task"])
@pytest.mark.parametrize("call", ["search", "print_files"])
@respx.mock
def test_ctrl_c_during_a_request_under_trio_is_a_plain_keyboard_interrupt(
    call: str, where: str, client_kwargs: dict[str, object]
) -> None:
    answer = _interrupted if where == "in the request's task" else _interrupted_later
    respx.post(f"{LEGACY}/api/json/manage_orders/find").mock(side_effect=answer)
    respx.get(url__regex=rf"{REST}/api/v1/order-items/.+/print").mock(side_effect=answer)

    async def main() -> None:
        async with omsclient.AsyncClient(**client_kwargs) as oms:  # type: ignore[arg-type]
            with anyio.fail_after(10):
                if call == "search":
                    await oms.legacy.orders.search(ALL, limit=1)
                else:
                    await oms.rest.order_items.wait_for_print_files(["A", "B"], concurrency=2)

    # Not wrapped in an exception group: ``except KeyboardInterrupt`` must still catch it.
    with pytest.raises(KeyboardInterrupt):
        run("trio", main)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_refused_connection_says_so_on_each_backend(backend: str) -> None:
    # Under trio anyio's connect says "all attempts to connect to 127.0.0.1:N failed", the
    # refusal only in the exception group under it: refused, unreachable or timed out read alike.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]

    async def main() -> None:
        async with omsclient.AsyncClient(
            rest_url=f"http://127.0.0.1:{port}", api_token="t", max_retries=0
        ) as oms:
            with pytest.raises(omsclient.TransportError) as caught:
                await oms.rest.orders.get("U1")
        assert f"[Errno {errno.ECONNREFUSED}]" in str(caught.value)

    run(backend, main)
