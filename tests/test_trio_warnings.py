"""Under trio, cancellations, refused answers and loops left early leave nothing to the garbage
collector: no ResourceWarning about an async generator (trio warns for every one collected
before it was exhausted)."""

from __future__ import annotations

import gc
import random
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import anyio
import anyio.abc
import httpx
import pytest

import omsclient
from omsclient.dbsync import sync_orders
from omsclient.legacy import Condition, Op, OrderField, ProductField
from omsclient.sandbox import Faults, SandboxConfig, SandboxInfo

from .conftest import LEGACY
from .hostile import Request, hostile_server
from .test_scan import FakeFind
from .test_scan import order as scan_order

SINCE = Condition(OrderField.DATE_ORDERED, Op.GE, date1=date(2020, 1, 1))
ALL_PRODUCTS = Condition(ProductField.PRODUCT_ID, Op.GT, string=0)


@contextmanager
def resource_warnings() -> Iterator[list[str]]:
    """The ResourceWarnings raised in the block (and by a collection at its end).

    Entered in the test itself: pytest resets the warning filters after a fixture's setup.
    """
    found: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield found
        gc.collect()
    found += [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_cancel_storm_under_trio_leaves_no_warning(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    faults = Faults(
        latency=(0.02, 0.08), error_rate=0.05, drop_rate=0.03, truncate_rate=0.03, seed=4
    )
    info = oms_sandbox_factory(SandboxConfig(orders=2000, products=5, faults=faults))

    async def storm() -> int:
        async with omsclient.AsyncClient(**info.client_kwargs(), max_in_flight=4) as oms:
            rng = random.Random(7)
            for _ in range(60):
                with anyio.move_on_after(rng.uniform(0, 0.3)):
                    try:
                        async for _ in oms.legacy.orders.iterate(SINCE, concurrency=4):
                            pass
                    except omsclient.OmsError:
                        pass  # faults: what matters here is what a cancel leaves behind
                gc.collect()  # what a cancel left behind is reported now, inside trio's run
            for _ in range(5):  # past the faults
                try:
                    return (await oms.legacy.orders.search(SINCE, limit=1)).total
                except omsclient.OmsError:
                    pass
            raise AssertionError("the client serves no more requests")

    with resource_warnings() as found:
        assert anyio.run(storm, backend="trio") == 2000
    assert found == []


class _Stop(Exception):
    pass


def _stop(progress: object) -> None:
    raise _Stop


def test_a_sync_ended_mid_scan_under_trio_leaves_no_warning(
    oms_sandbox_factory: Callable[..., SandboxInfo], tmp_path: Path
) -> None:
    info = oms_sandbox_factory(
        SandboxConfig(orders=400, products=5, faults=Faults(latency=(0.01, 0.03), seed=5))
    )

    async def ended_syncs() -> int:
        ended = 0
        async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
            for n in range(4):
                url = f"sqlite:///{tmp_path / f'{n}.db'}"
                # Ended by a callback that raises after the first page, and by cancels.
                try:
                    await sync_orders(oms, url, windows=2, progress=_stop)
                except _Stop:
                    ended += 1
                gc.collect()
                with anyio.move_on_after(0.1 + 0.05 * n) as scope:
                    await sync_orders(oms, url, windows=2)
                ended += scope.cancelled_caught
                gc.collect()
        return ended

    with resource_warnings() as found:
        assert anyio.run(ended_syncs, backend="trio") >= 4
    assert found == []


@pytest.mark.parametrize("stop", [150, 250])
def test_a_scan_left_inside_a_tie_block_under_trio_leaves_no_warning(stop: int) -> None:
    # 350 orders in one second: the window reads them in a tie block of its own, a generator
    # inside the window's, which the loop left early must close too.
    find = FakeFind(
        [scan_order(n, 10) for n in range(350)] + [scan_order(n, 20 + n) for n in range(350, 400)]
    )

    async def left_early() -> int:
        http = httpx.AsyncClient(transport=httpx.MockTransport(find))
        async with omsclient.AsyncClient(
            legacy_url=LEGACY, username="u", password="p", http_client=http
        ) as oms:
            read = 0
            async for _ in oms.legacy.orders.scan(raw=True):
                read += 1
                if read == stop:
                    break
            gc.collect()
            await anyio.sleep(0.05)
        await http.aclose()
        return read

    with resource_warnings() as found:
        assert anyio.run(left_early, backend="trio") == stop
    assert found == []


async def endless_body(request: Request, stream: anyio.abc.SocketStream) -> None:
    await stream.send(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
    await stream.send(b"transfer-encoding: chunked\r\n\r\n")
    while True:
        await stream.send(b"4000\r\n" + b" " * 0x4000 + b"\r\n")


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_a_body_refused_half_read_leaves_no_warning(backend: str) -> None:
    async def refused(url: str) -> int:
        refusals = 0
        async with omsclient.AsyncClient(
            legacy_url=url, username="u", password="p" * 8, max_retries=0, max_response_bytes=10**5
        ) as oms:
            for _ in range(3):
                with pytest.raises(omsclient.DecodeError, match="max_response_bytes"):
                    await oms.legacy.orders.search(SINCE)
                refusals += 1
                gc.collect()
        return refusals

    with resource_warnings() as found, hostile_server() as server:
        server.handler = endless_body
        assert anyio.run(refused, server.url, backend=backend) == 3
    assert found == []


LEFT_EARLY = {
    "orders.iterate": lambda oms: oms.legacy.orders.iterate(SINCE, concurrency=4),
    "orders.iterate.pages": lambda oms: oms.legacy.orders.iterate(SINCE, concurrency=4).pages(),
    "orders.iterate_raw": lambda oms: oms.legacy.orders.iterate_raw(SINCE, concurrency=4),
    "orders.scan": lambda oms: oms.legacy.orders.scan(windows=3),
    "orders.scan.pages": lambda oms: oms.legacy.orders.scan(windows=3, raw=True).pages(),
    "products.iterate": lambda oms: oms.legacy.products.iterate(ALL_PRODUCTS, concurrency=2),
    "products.scan": lambda oms: oms.legacy.products.scan(),
    "products.scan.pages": lambda oms: oms.legacy.products.scan().pages(),
}


class _Left(Exception):
    pass


@pytest.mark.parametrize("how", ["break", "an error", "a cancel"])
def test_a_loop_left_early_under_trio_leaves_no_warning(
    how: str, oms_sandbox_factory: Callable[..., SandboxInfo]
) -> None:
    # The way most loops end early: no aclosing(), which a PageIterator or a scan cannot take
    # anyway. The event loop closes what the loop dropped, on trio as on asyncio, and trio
    # must have no cause to warn about it.
    info = oms_sandbox_factory(SandboxConfig(orders=600, products=250))

    async def leave_each_loop_early() -> list[str]:
        left: list[str] = []
        async with omsclient.AsyncClient(**info.client_kwargs(), max_in_flight=4) as oms:
            for name, iterate in LEFT_EARLY.items():
                with anyio.CancelScope() as scope:
                    try:
                        async for _ in iterate(oms):
                            if how == "break":
                                break
                            if how == "an error":
                                raise _Left
                            scope.cancel()
                            await anyio.sleep(1)  # cancelled in the loop's body
                    except _Left:
                        pass
                gc.collect()
                await anyio.sleep(0.01)  # the closing, on the event loop
                left.append(name)
            # The fetches the loops left running were cancelled: every slot is free.
            with anyio.fail_after(5):
                async with anyio.create_task_group() as tg:
                    for _ in range(4):
                        tg.start_soon(oms.legacy.orders.search, SINCE)
        return left

    with resource_warnings() as found:
        assert anyio.run(leave_each_loop_early, backend="trio") == list(LEFT_EARLY)
    assert found == []


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_the_first_row_taken_with_anext_leaves_no_warning(
    backend: str, oms_sandbox_factory: Callable[..., SandboxInfo]
) -> None:
    # anext() drops aiter()'s wrapper as soon as it has the step's awaitable: the generator's
    # close was asked for while that step ran, found it running and gave up, and trio warned
    # when the step ended with nothing holding the generator.
    info = oms_sandbox_factory(SandboxConfig(orders=600, products=250))

    async def first_rows() -> list[str]:
        taken: list[str] = []
        async with omsclient.AsyncClient(**info.client_kwargs(), max_in_flight=4) as oms:
            for name, iterate in LEFT_EARLY.items():
                await anext(aiter(iterate(oms)))
                gc.collect()
                await anyio.sleep(0.05)  # the closing, on the event loop
                taken.append(name)
            with anyio.fail_after(5):  # every fetch was cancelled: every slot is free
                async with anyio.create_task_group() as tg:
                    for _ in range(4):
                        tg.start_soon(oms.legacy.orders.search, SINCE)
        return taken

    with resource_warnings() as found:
        assert anyio.run(first_rows, backend=backend) == list(LEFT_EARLY)
    assert found == []


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_an_iterator_held_in_a_cycle_is_closed_once_by_the_collector(
    backend: str,
    oms_sandbox_factory: Callable[..., SandboxInfo],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The iterator held in a local, the loop left by an error kept in another: the frame and
    # the error's traceback hold each other, and the collector finds the iterator in that
    # cycle with the generators it reads (an iterator's pages, a scan's windows). Collected
    # with them, each was closed at once by the event loop's hook (under trio, warning of
    # each), the outer one's clean-up closing an inner one being closed already: "aclose():
    # asynchronous generator is already running", logged as an error.
    info = oms_sandbox_factory(
        SandboxConfig(orders=600, products=250, faults=Faults(latency=(0.02, 0.05)))
    )
    unraisable: list[str] = []
    monkeypatch.setattr("sys.unraisablehook", lambda u: unraisable.append(repr(u.exc_value)))

    async def leave(oms: omsclient.AsyncClient, name: str) -> None:
        rows = LEFT_EARLY[name](oms)
        try:
            async for _ in rows:
                raise _Left(name)
        except _Left as exc:
            failure = exc  # noqa: F841 (kept: the cycle)

    async def leave_each_loop_early() -> list[str]:
        left: list[str] = []
        async with omsclient.AsyncClient(**info.client_kwargs(), max_in_flight=4) as oms:
            for name in LEFT_EARLY:
                await leave(oms, name)
                await anyio.sleep(0.02)  # fetches under way as the collector comes
                gc.collect()
                await anyio.sleep(0.1)  # the closing, on the event loop
                gc.collect()  # asyncio logs a task's error never retrieved as it goes
                left.append(name)
            with anyio.fail_after(5):  # every slot is free
                async with anyio.create_task_group() as tg:
                    for _ in range(4):
                        tg.start_soon(oms.legacy.orders.search, SINCE)
        return left

    with caplog.at_level("ERROR"), resource_warnings() as found:
        assert anyio.run(leave_each_loop_early, backend=backend) == list(LEFT_EARLY)
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
    assert (found, unraisable) == ([], [])


def test_a_blocking_iterator_held_in_a_cycle_is_closed_once_by_the_collector(
    oms_sandbox_factory: Callable[..., SandboxInfo],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=3000, faults=Faults(latency=(0.02, 0.05))))
    unraisable: list[str] = []
    monkeypatch.setattr("sys.unraisablehook", lambda u: unraisable.append(repr(u.exc_value)))
    left_early: list[Callable[[omsclient.Client], Iterator[object]]] = [
        lambda oms: oms.legacy.orders.iterate(SINCE, concurrency=8).pages(),
        lambda oms: iter(oms.legacy.orders.iterate(SINCE, concurrency=8)),
        lambda oms: iter(oms.legacy.orders.scan(windows=3)),
    ]

    def leave(oms: omsclient.Client, rows: Iterator[object]) -> None:
        try:
            for _ in rows:
                raise _Left
        except _Left as exc:
            failure = exc  # noqa: F841 (kept: the cycle)

    with (
        caplog.at_level("ERROR"),
        resource_warnings() as found,
        omsclient.Client(**info.client_kwargs()) as oms,
    ):
        # Collected in this thread, not the loop's, where a collection comes at any time.
        gc.disable()
        try:
            for rows in 3 * left_early:
                leave(oms, rows(oms))
                time.sleep(0.05)  # fetches under way as the collector comes
                gc.collect()
        finally:
            gc.enable()
        assert oms.legacy.orders.search(SINCE, limit=1).total == 3000
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
    assert (found, unraisable) == ([], [])


def test_a_client_dropped_unclosed_under_trio_is_closed_without_a_warning(
    oms_sandbox: SandboxInfo,
) -> None:
    # As under asyncio: the event loop closes the pool of a client nobody closed, quietly.
    async def drop_an_open_client() -> tuple[int, bool]:
        oms = omsclient.AsyncClient(**oms_sandbox.client_kwargs())
        total = (await oms.legacy.orders.search(SINCE, limit=1)).total
        pool = oms._session.http._transport.current()._pool  # type: ignore[attr-defined]
        assert pool.connections
        del oms
        gc.collect()
        await anyio.sleep(0.05)  # the closing, on the event loop
        return total, not pool.connections

    with resource_warnings() as found:
        assert anyio.run(drop_an_open_client, backend="trio") == (300, True)
    assert found == []


@pytest.mark.parametrize(
    ("call", "fault", "kept"),
    [
        ("search", "error:503", False),
        ("search", "error:503", True),
        ("iterate", "error:503", False),
        ("search", "drop", False),
        ("get_many", "drop", False),
    ],
    ids=["error-let-go", "error-kept-in-a-cycle", "iterate", "connection-dropped", "get-many"],
)
def test_a_client_dropped_after_a_failed_call_is_closed_by_the_loop_without_an_error(
    oms_sandbox: SandboxInfo, caplog: pytest.LogCaptureFixture, call: str, fault: str, kept: bool
) -> None:
    # A 503 whose body is no JSON, a failed page of iterate(), a connection dropped: the error
    # was kept by a frame its traceback holds, a cycle keeping the client's pool alive until
    # the collector came (with trio's ResourceWarning about a generator collected unfinished).
    # Collected with the pool's closer, trio's own finaliser and the client's closed it at
    # once: "aclose(): asynchronous generator is already running", logged as an error. An
    # application keeping the error in a cycle of its own still collects them together.
    async def drop_after_a_failure() -> bool:
        oms = omsclient.AsyncClient(**oms_sandbox.client_kwargs(), max_retries=0)
        await oms.legacy.orders.search(SINCE, limit=1)  # the pool, open
        oms_sandbox.state.queue_faults(fault)
        holder: list[object] = []
        try:
            if call == "search":
                await oms.legacy.orders.search(SINCE, limit=1)
            elif call == "get_many":
                ids = [p.id for p in oms_sandbox.state.products[:3]]
                await oms.legacy.products.get_many(ids)
            else:
                async for _ in oms.legacy.orders.iterate(SINCE, concurrency=2):
                    pass
        except (omsclient.ServerError, omsclient.TransportError) as exc:
            if kept:
                holder += [exc, holder]
        pool = oms._session.http._transport.current()._pool  # type: ignore[attr-defined]
        del oms, holder
        gc.collect()
        await anyio.sleep(0.05)  # the closing, on the event loop
        return not pool.connections

    with caplog.at_level("ERROR"), resource_warnings() as found:
        assert anyio.run(drop_after_a_failure, backend="trio")
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
    assert found == []


def test_a_generator_dropped_as_the_run_ends_is_closed_by_trio_without_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The last thing a run does (a loop left with break, a client never closed) drops a
    # generator as trio's system nursery shuts down, which then refuses the task closing it.
    # Let go of, the generator was collected and trio warned; kept, trio closes it itself.
    import trio

    from omsclient._dropped import closed_when_dropped

    closed: list[str] = []

    @closed_when_dropped
    async def rows() -> AsyncIterator[int]:
        try:
            for n in range(10):
                yield n
        finally:
            closed.append("rows")

    def refused(*args: object, **kwargs: object) -> None:
        raise RuntimeError("Nursery is closed to new arrivals")

    async def leave_a_loop_as_the_run_ends() -> None:
        async for _ in rows():
            break
        monkeypatch.setattr(trio.lowlevel, "spawn_system_task", refused)
        gc.collect()
        await anyio.sleep(0.01)  # the refused closing, on the event loop

    with resource_warnings() as found:
        trio.run(leave_a_loop_as_the_run_ends)
    assert found == []
    assert closed == ["rows"]
