"""Clients around close(): a clear error during and after, no warning, a prompt exit."""

from __future__ import annotations

import asyncio
import copy
import gc
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import time
import traceback
import warnings
import weakref
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import httpx
import pytest
import respx

import omsclient
from omsclient._lifecycle import Lifecycle
from omsclient.legacy import Condition, Op, OrderField
from omsclient.sandbox import Faults, SandboxConfig, SandboxInfo

from .conftest import LEGACY, ok
from .hostile import HostileServer, Request, hostile_server, write_json

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
SRC = str(Path(omsclient.__file__).parent.parent)


async def test_an_async_client_refuses_calls_after_close(oms_sandbox: SandboxInfo) -> None:
    oms = omsclient.AsyncClient(**oms_sandbox.client_kwargs())
    assert (await oms.legacy.orders.search(ALL, limit=1)).total == 300
    await oms.aclose()
    with pytest.raises(
        omsclient.ClientClosedError, match=r"legacy.orders.search: .*closed"
    ) as info:
        await oms.legacy.orders.search(ALL, limit=1)
    assert info.value.maybe_applied is False  # nothing was sent
    with pytest.raises(omsclient.ClientClosedError):
        await oms.with_options(timeout=5).legacy.orders.search(ALL)
    await oms.aclose()  # closing twice is harmless


async def test_closing_a_view_leaves_the_client_and_its_calls_alone(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    # The view's async with closed the client it came from and cancelled a call of another
    # task on it; the blocking client's views already did nothing.
    info = oms_sandbox_factory(SandboxConfig(orders=50, faults=Faults(latency=0.5)))
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        async with anyio.create_task_group() as tg:
            found: list[int] = []

            async def search() -> None:
                found.append((await oms.legacy.orders.search(ALL, limit=1)).total)

            tg.start_soon(search)
            async with oms.with_options(timeout=30) as quick:
                assert (await quick.legacy.orders.search(ALL, limit=1)).total == 50
        assert found == [50]
        assert (await oms.legacy.orders.search(ALL, limit=1)).total == 50


async def test_a_view_that_outlived_its_client_closes_the_pool(oms_sandbox: SandboxInfo) -> None:
    # async with AsyncClient(...).with_options(...): the client is gone at once, and a view
    # whose close did nothing left the pool open, its sockets to the garbage collector.
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()).with_options(timeout=30) as oms:
        assert (await oms.legacy.orders.search(ALL, limit=1)).total == 300
    with pytest.raises(omsclient.ClientClosedError):
        await oms.legacy.orders.search(ALL, limit=1)
    # A view of such a view leaves the pool to the view it came from, still in use.
    base = omsclient.AsyncClient(**oms_sandbox.client_kwargs()).with_options(timeout=30)
    async with base.with_options(max_retries=0) as quick:
        assert (await quick.legacy.orders.search(ALL, limit=1)).total == 300
    assert (await base.legacy.orders.search(ALL, limit=1)).total == 300
    await base.aclose()


async def test_closing_a_view_of_a_dropped_view_leaves_the_client_open(
    oms_sandbox: SandboxInfo,
) -> None:
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        # The view in the middle is gone at once; the client it came from is not.
        async with oms.with_options(timeout=30).with_options(max_retries=0) as quick:
            assert (await quick.legacy.orders.search(ALL, limit=1)).total == 300
        assert (await oms.legacy.orders.search(ALL, limit=1)).total == 300


async def test_closing_one_view_of_a_dropped_client_leaves_the_pool_to_its_sibling(
    oms_sandbox: SandboxInfo,
) -> None:
    def two_views() -> tuple[omsclient.AsyncClient, omsclient.AsyncClient]:
        base = omsclient.AsyncClient(**oms_sandbox.client_kwargs())
        return base.with_options(timeout=30), base.with_options(max_retries=0)

    fast, careful = two_views()  # the client they came from is gone
    async with fast:
        assert (await fast.legacy.orders.search(ALL, limit=1)).total == 300
    assert (await careful.legacy.orders.search(ALL, limit=1)).total == 300
    await careful.aclose()  # the last of them closes the pool
    with pytest.raises(omsclient.ClientClosedError):
        await careful.legacy.orders.search(ALL, limit=1)


@pytest.mark.parametrize(
    "copier", [copy.copy, copy.deepcopy, pickle.dumps], ids=["copy", "deepcopy", "pickle"]
)
async def test_an_async_client_refuses_to_be_copied_or_pickled(
    oms_sandbox: SandboxInfo, copier: Callable[[object], object]
) -> None:
    # copy.copy() made a second owner of the pool: closing the copy closed the client.
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        with pytest.raises(TypeError, match="an AsyncClient cannot be pickled or copied"):
            copier(oms)
        assert (await oms.legacy.orders.search(ALL, limit=1)).total == 300


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_client_dropped_after_a_failed_call_is_closed_without_a_warning(
    oms_sandbox: SandboxInfo, backend: str
) -> None:
    # The error, raised in its handler and kept as a local of the frame its traceback holds,
    # made two cycles through the session: dropped, the client's sockets went to the garbage
    # collector, which warned of each ("unclosed socket", "unclosed transport").
    async def drop_after_an_error() -> None:
        for _ in range(3):
            oms = omsclient.AsyncClient(**oms_sandbox.client_kwargs())
            with pytest.raises(omsclient.NotFoundError) as caught:
                await oms.rest.orders.get("nope")
            assert caught.value.__context__ is None
            del oms, caught
            gc.collect()
            await anyio.sleep(0.05)  # the closing, on the event loop

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        anyio.run(drop_after_an_error, backend=backend)
        gc.collect()
    assert [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)] == []


@pytest.mark.parametrize(
    ("call", "bad"),
    [
        ("orders.search", {"order_lines": [{"qty": "many"}]}),
        ("orders.search", {"date_shipped": "soon"}),
        ("products.get_many", {}),
    ],
    ids=["a line's quantity", "a date", "get_many"],
)
@respx.mock
async def test_a_structure_error_keeps_no_frame_of_its_call(call: str, bad: dict[str, Any]) -> None:
    # cattrs' detailed validation (which words the error) left each grouped error holding the
    # frame that held the list of them (a date's error through the error it was raised
    # handling): a cycle keeping every frame of the call, the client's pool among them, until
    # the garbage collector ran.
    row = {"order_id": "A", **bad}
    respx.post(f"{LEGACY}/api/json/manage_orders/find").respond(json=ok(total=1, orders=[row]))
    respx.post(f"{LEGACY}/api/json/manage_products/get").respond(
        json=ok(products=[{"product_id": 5, "product_name": "Tee", "sizes": "many"}])
    )
    oms = omsclient.AsyncClient(legacy_url=LEGACY, username="u", password="pw-for-tests")
    pool = weakref.ref(oms._session.http)
    gc.disable()
    try:
        with pytest.raises(omsclient.StructureError) as caught:
            if call == "orders.search":
                await oms.legacy.orders.search(ALL)
            else:
                await oms.legacy.products.get_many([5])
        assert "many" in str(caught.value) or "soon" in str(caught.value)
        del oms, caught
        assert pool() is None  # freed as the last reference went, with no collection
    finally:
        gc.enable()


def _slow_search_on_its_own_loop(
    oms: omsclient.AsyncClient, found: dict[str, object]
) -> threading.Thread:
    """A thread running a search of ``oms`` under its own ``asyncio.run`` (its total into
    ``found["first"]``), returned once the search is on the wire of a sandbox slow to answer."""
    started = threading.Event()

    async def search() -> int:
        call = oms.legacy.orders.search(ALL, limit=5)
        started.set()
        return (await call).total

    def first() -> None:
        found["first"] = asyncio.run(search())

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(10)
    time.sleep(0.3)  # the call on the wire
    return thread


def test_one_async_client_used_from_two_threads_loops_at_once_refuses_the_second(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    # Each thread's asyncio.run on one client (a thread pool's handlers, a notebook's helper
    # thread): the pool was swapped between the loops, and the calls hung, or failed with
    # asyncio's "Non-thread-safe operation" or a ReadError blaming the server.
    info = oms_sandbox_factory(SandboxConfig(orders=50, faults=Faults(latency=1.0)))
    oms = omsclient.AsyncClient(**info.client_kwargs())
    found: dict[str, object] = {}
    first = _slow_search_on_its_own_loop(oms, found)

    def second() -> None:
        async def search() -> object:
            try:
                return await oms.legacy.orders.search(ALL, limit=5)
            except omsclient.ConfigurationError as exc:
                return exc

        found["second"] = asyncio.run(search())
        # Once the first loop's calls are over, another loop may use the client.
        first.join(10)
        found["later"] = asyncio.run(oms.legacy.orders.search(ALL, limit=5)).total

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(20)
    assert found["first"] == 50
    assert isinstance(found["second"], omsclient.ConfigurationError)
    assert "calls in flight on another event loop" in str(found["second"])
    assert found["later"] == 50
    asyncio.run(oms.aclose())


def test_closing_from_another_loop_while_calls_run_is_refused_at_once(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    # A lifespan's aclose() on the main loop while a background thread's loop had calls in
    # flight: it cancelled that loop's scopes from here, waited on an event the other loop
    # set, and never returned (the calls ended only when their answers came).
    info = oms_sandbox_factory(SandboxConfig(orders=50, faults=Faults(latency=1.0)))
    oms = omsclient.AsyncClient(**info.client_kwargs())
    found: dict[str, object] = {}
    thread = _slow_search_on_its_own_loop(oms, found)

    async def close() -> object:
        try:
            # Before, the deadline ended the wait silently, with no TimeoutError.
            with anyio.fail_after(5):
                await oms.aclose()
        except omsclient.ConfigurationError as exc:
            return exc
        return None

    refused = asyncio.run(close())
    assert isinstance(refused, omsclient.ConfigurationError)
    assert "calls in flight on another event loop" in str(refused)
    thread.join(20)
    # Nothing was closed: the call ended as it would have, and the client still serves, also
    # once a view's block has ended (the refused close had taken the client for gone, so the
    # view's close closed its pool).
    assert found["first"] == 50

    async def through_a_view() -> int:
        async with oms.with_options(timeout=10) as quick:
            await quick.legacy.orders.search(ALL, limit=5)
        return (await oms.legacy.orders.search(ALL, limit=5)).total

    assert asyncio.run(through_a_view()) == 50
    asyncio.run(oms.aclose())
    with pytest.raises(omsclient.ClientClosedError):
        asyncio.run(oms.legacy.orders.search(ALL, limit=5))


def test_two_closes_at_once_from_two_loops_close_the_pool_once() -> None:
    # A client shared by two threads' loops, each closing it at shutdown: both found no close
    # begun before either took the lifecycle's lock, and both closed the pool.
    lifecycle = Lifecycle()
    both_there = threading.Barrier(2)

    class MeetingLock:
        """The lifecycle's lock, entered only once both closes have reached it."""

        def __init__(self) -> None:
            self.lock = threading.Lock()

        def __enter__(self) -> None:
            both_there.wait(5)
            self.lock.acquire()

        def __exit__(self, *exc: object) -> None:
            self.lock.release()

    lifecycle._loop_lock = MeetingLock()  # type: ignore[assignment]
    pool_closes: list[str] = []

    async def close_pool() -> None:
        await anyio.sleep(0.05)
        pool_closes.append(threading.current_thread().name)

    threads = [
        threading.Thread(target=asyncio.run, args=(lifecycle.close(close_pool),), name=name)
        for name in ("first", "second")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(pool_closes) == 1, pool_closes
    assert lifecycle.closed


def test_a_second_close_on_another_loop_returns_once_the_first_is_over(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    # The first close waits for a call whose clean-up (the caller's own transport's) takes a
    # while; a close from another loop meanwhile awaited the first's event, which that loop's
    # set() never woke: it never returned.
    class SlowCleanUp(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.AsyncHTTPTransport()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            try:
                return await self.inner.handle_async_request(request)
            finally:
                with anyio.CancelScope(shield=True):
                    await anyio.sleep(1)

    info = oms_sandbox_factory(SandboxConfig(orders=50, faults=Faults(latency=1.0)))
    found: dict[str, Any] = {}
    closing = threading.Event()

    async def first() -> None:
        http = httpx.AsyncClient(transport=SlowCleanUp())
        oms = omsclient.AsyncClient(**info.client_kwargs(), http_client=http)
        found["oms"] = oms

        async def call() -> None:
            with pytest.raises(omsclient.ClientClosedError):
                await oms.legacy.orders.search(ALL, limit=5)

        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await anyio.sleep(0.2)
            closing.set()
            await oms.aclose()
        await http.aclose()

    async def second() -> None:
        # A hang's bound, not a speed: the set() from the other thread woke nothing, and only
        # this deadline's timer ended the wait (silently, the event being set by then). The
        # first close is over about a second after this one begins.
        began = anyio.current_time()
        with anyio.move_on_after(30):
            await found["oms"].aclose()
        found["second"] = anyio.current_time() - began < 29
        found["closed"] = found["oms"]._session.lifecycle.closed

    thread = threading.Thread(target=asyncio.run, args=(first(),))
    thread.start()
    assert closing.wait(10)
    time.sleep(0.2)  # the first close waiting for its call's clean-up
    asyncio.run(second())
    thread.join(20)
    assert found["second"] is True
    assert found["closed"] is True


async def test_a_write_cut_short_by_the_close_says_it_may_have_applied(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    # resilience.md: a write's error with maybe_applied ends with what to do, so that a log
    # says it too; the close's said only "the client was closed during this call".
    info = oms_sandbox_factory(SandboxConfig(orders=50, faults=Faults(latency=1.0)))
    oms = omsclient.AsyncClient(**info.client_kwargs())
    change = omsclient.legacy.StatusChange("INV10009", omsclient.legacy.NewStatus.SHIPPED)
    errors: list[BaseException] = []

    async def call(send: Callable[[], Any]) -> None:
        try:
            await send()
        except omsclient.ClientClosedError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(call, lambda: oms.legacy.orders.update_status(change))
        tg.start_soon(call, lambda: oms.legacy.orders.search(ALL, limit=5))
        await anyio.sleep(0.3)
        await oms.aclose()
    (write,) = [e for e in errors if "update_status" in str(e)]
    (read,) = [e for e in errors if "search" in str(e)]
    assert write.maybe_applied
    assert str(write).startswith(
        "legacy.orders.update_status: the client was closed during this call; the server may "
        "have applied it: look before sending it again"
    )
    # A read's says nothing of applying.
    assert str(read).endswith("the client was closed during this call")


async def test_writes_still_waiting_for_a_slot_when_the_client_closes_were_not_applied(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    # With max_in_flight=1, the writes queued behind the one on the wire never left, and the
    # close said of each that it may have been applied: look before sending it again.
    info = oms_sandbox_factory(SandboxConfig(orders=50, faults=Faults(latency=1.0)))
    oms = omsclient.AsyncClient(**info.client_kwargs(), max_in_flight=1)
    errors: dict[str, omsclient.ClientClosedError] = {}

    async def write(invoice: str) -> None:
        change = omsclient.legacy.StatusChange(invoice, omsclient.legacy.NewStatus.SHIPPED)
        try:
            await oms.legacy.orders.update_status(change)
        except omsclient.ClientClosedError as exc:
            errors[invoice] = exc

    async with anyio.create_task_group() as tg:
        tg.start_soon(write, "INV10009")
        await anyio.sleep(0.3)  # on the wire, holding the only slot
        for invoice in ("INV10010", "INV10011"):
            tg.start_soon(write, invoice)
        await anyio.sleep(0.2)
        await oms.aclose()
    assert errors["INV10009"].maybe_applied is True
    for invoice in ("INV10010", "INV10011"):
        assert errors[invoice].maybe_applied is False
        assert "may have applied" not in str(errors[invoice])
    assert [
        r.form.get("order_id") for r in info.state.requests if "update_order_status" in r.path
    ] == ["INV10009"]


@pytest.mark.parametrize("kind", ["iterate", "scan"])
def test_an_iterator_read_on_under_the_next_event_loop_says_it_ended(
    oms_sandbox: SandboxInfo, kind: str
) -> None:
    # A notebook's cells, each an asyncio.run: the first loop closed the iterator as it
    # ended, and the next cell's reads ended at once, the rows silently cut short.
    oms = omsclient.AsyncClient(**oms_sandbox.client_kwargs())
    orders = oms.legacy.orders
    rows = aiter(orders.iterate(ALL, max_items=10) if kind == "iterate" else orders.scan())

    async def three() -> list[Any]:
        return [await anext(rows) for _ in range(3)]

    assert len(asyncio.run(three())) == 3
    with pytest.raises(omsclient.ConfigurationError, match="began under an event loop that has"):
        asyncio.run(three())
    # A new iteration works under the next loop as under any.
    rows = aiter(orders.iterate(ALL, max_items=10) if kind == "iterate" else orders.scan())
    assert len(asyncio.run(three())) == 3
    asyncio.run(oms.aclose())


@respx.mock
async def test_a_structure_error_leaves_the_callers_own_error_its_traceback() -> None:
    # Called while the caller handled an error of its own, letting go of the validation's
    # frames took the caller's error's traceback too: logged, it showed no frame.
    row = {"order_id": "A", "date_shipped": "soon"}
    respx.post(f"{LEGACY}/api/json/manage_orders/find").respond(json=ok(total=1, orders=[row]))

    def load_config() -> None:
        raise KeyError("the caller's own")

    async with omsclient.AsyncClient(
        legacy_url=LEGACY, username="u", password="pw-for-tests"
    ) as oms:
        with pytest.raises(KeyError) as mine:
            try:
                load_config()
            except KeyError:
                with pytest.raises(omsclient.StructureError):
                    await oms.legacy.orders.search(ALL)
                raise
    assert "in load_config" in "".join(traceback.format_exception(mine.value))


async def test_closing_with_calls_in_flight_fails_them_clearly_without_warnings(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    # Answers ten seconds away: every call is still in flight when the close comes, however
    # loaded the machine (the server's stop ends the delays, so no test waits them out).
    info = oms_sandbox_factory(SandboxConfig(orders=500, faults=Faults(latency=10)))
    errors: list[BaseException] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oms = omsclient.AsyncClient(**info.client_kwargs())

        async def search() -> None:
            try:
                await oms.legacy.orders.search(ALL)
            except omsclient.OmsError as exc:
                errors.append(exc)

        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(search)
            with anyio.fail_after(10):  # until the four requests wait for their answers
                while oms._session.throttle.in_flight < 4:  # noqa: ASYNC110
                    await anyio.sleep(0.01)
            await oms.aclose()
        gc.collect()
    assert len(errors) == 4
    assert all(isinstance(e, omsclient.ClientClosedError) for e in errors)
    assert "closed during this call" in str(errors[0])
    # On the wire when the client closed: the server may have acted on them.
    assert all(e.maybe_applied is True for e in errors)
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_blocking_client_refuses_calls_after_close_and_during_it(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    # An answer ten seconds away: still in flight when the close comes (see above).
    info = oms_sandbox_factory(SandboxConfig(orders=500, faults=Faults(latency=10)))
    oms = omsclient.Client(**info.client_kwargs())
    outcome: list[BaseException] = []

    def search() -> None:
        try:
            oms.legacy.orders.search(ALL)
        except omsclient.OmsError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=search)
    thread.start()
    # Until the search is on the wire, rather than a guess at how long that takes (10 s
    # guards against a hang).
    deadline = time.monotonic() + 10
    while not oms.async_client._session.throttle.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    oms.close()
    thread.join(10)
    assert [type(e) for e in outcome] == [omsclient.ClientClosedError]
    assert outcome[0].maybe_applied is True  # on the wire when the client closed
    with pytest.raises(omsclient.ClientClosedError) as info:
        oms.legacy.orders.search(ALL, limit=1)
    assert info.value.maybe_applied is False  # nothing was sent
    with pytest.raises(omsclient.ClientClosedError):
        list(oms.legacy.orders.iterate(ALL))
    oms.close()


def test_an_exit_that_starts_no_thread_leaves_an_unclosed_client_quietly() -> None:
    # Python 3.12.0 and 3.12.1 start no thread in the interpreter's exit handlers, where the
    # finalizer closes a client left open: it printed a RuntimeError traceback at every exit.
    script = textwrap.dedent(
        """
        import threading
        import omsclient

        oms = omsclient.Client(legacy_url="http://127.0.0.1:1", username="u", password="p")
        start = threading.Thread.start

        def start_but_not_at_exit(thread):
            if thread.name == "omsclient-close":
                raise RuntimeError("can't create new thread at interpreter shutdown")
            start(thread)

        threading.Thread.start = start_but_not_at_exit
        print("made")
        """
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "made"
    assert done.stderr == ""


def test_a_never_closed_blocking_client_lets_the_interpreter_exit(
    oms_sandbox: SandboxInfo,
) -> None:
    script = textwrap.dedent(
        """
        from datetime import datetime
        import omsclient
        from omsclient.legacy import Condition, Op, OrderField

        oms = omsclient.Client()  # module level, never closed
        condition = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
        print(oms.legacy.orders.search(condition, limit=1).total)
        """
    )
    kwargs = oms_sandbox.client_kwargs()
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "PYTHONWARNINGS": "error::ResourceWarning",
        "OMS_LEGACY_URL": str(kwargs["legacy_url"]),
        "OMS_USERNAME": str(kwargs["username"]),
        "OMS_PASSWORD": str(kwargs["password"]),
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "300"
    assert "Warning" not in done.stderr
    assert time.monotonic() - started < 15


async def test_a_second_aclose_returns_only_once_the_first_is_over(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    """A shutdown handler's ``aclose()`` beside an ``async with`` exit: whichever returns, the
    calls in flight have stopped and the pool is closed, as with the blocking ``close()``."""
    # An answer ten seconds away: still in flight when the closes come (see above).
    info = oms_sandbox_factory(SandboxConfig(orders=50, faults=Faults(latency=10)))
    oms = omsclient.AsyncClient(**info.client_kwargs())
    outcome: list[BaseException] = []

    async def search() -> None:
        try:
            await oms.legacy.orders.search(ALL)
        except omsclient.ClientClosedError as exc:
            outcome.append(exc)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(search)
            while oms._session.throttle.in_flight < 1:  # noqa: ASYNC110
                await anyio.sleep(0.01)
            tg.start_soon(oms.aclose)
            await anyio.lowlevel.checkpoint()  # the first close has begun
            await oms.aclose()
            assert len(outcome) == 1  # the search has stopped
            assert oms._session.throttle.in_flight == 0


BACKENDS = ["asyncio", "trio"]


def _silent_server_client(url: str) -> omsclient.AsyncClient:
    # A timeout far beyond every guard below: a call that ends did not wait for it.
    return omsclient.AsyncClient(
        legacy_url=url, username="fred", password="secret", timeout=600, max_retries=0
    )


async def _silent(request: Request, stream: anyio.abc.SocketStream) -> None:
    await anyio.sleep_forever()  # reads the request, never answers


async def test_a_cancelled_call_leaves_the_call_beside_it_on_the_wire() -> None:
    release = threading.Event()

    async def first_answered_once_released(
        request: Request, stream: anyio.abc.SocketStream
    ) -> None:
        if len(server.requests) > 1:
            await anyio.sleep_forever()
        await anyio.to_thread.run_sync(release.wait)
        await write_json(stream, ok(orders=[], total=0))

    with hostile_server() as server:
        server.handler = first_answered_once_released
        found: list[int] = []
        scope, gave_up = anyio.CancelScope(), anyio.Event()
        async with _silent_server_client(server.url) as oms:

            async def search() -> None:
                found.append((await oms.legacy.orders.search(ALL, limit=1)).total)

            async def given_up() -> None:
                with scope:
                    await oms.legacy.orders.search(ALL, limit=1)
                gave_up.set()

            try:
                with anyio.fail_after(30):
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(search)
                        while len(server.requests) < 1:  # noqa: ASYNC110
                            await anyio.sleep(0.01)
                        tg.start_soon(given_up)
                        while len(server.requests) < 2:  # noqa: ASYNC110
                            await anyio.sleep(0.01)
                        scope.cancel()
                        await gave_up.wait()  # its clean-up is over
                        release.set()
            finally:
                release.set()  # the server's thread never waits past the test
        assert found == [0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_closing_stops_calls_waiting_on_a_silent_server(backend: str) -> None:
    errors: list[BaseException] = []

    async def main(server: HostileServer) -> None:
        oms = _silent_server_client(server.url)

        async def get() -> None:
            try:
                await oms.legacy.products.get(1)
            except omsclient.OmsError as exc:
                errors.append(exc)

        with anyio.fail_after(30):  # a hang guard, far below the calls' timeout
            async with anyio.create_task_group() as tg:
                for _ in range(4):
                    tg.start_soon(get)
                while len(server.requests) < 4:  # noqa: ASYNC110
                    await anyio.sleep(0.01)
                await oms.aclose()
                assert len(errors) == 4  # stopped by the close, not left to the task group
            assert oms._session.http.is_closed
            await oms.aclose()

    with hostile_server() as server:
        server.handler = _silent
        anyio.run(main, server, backend=backend)
    assert [type(e) for e in errors] == [omsclient.ClientClosedError] * 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_callers_deadline_bounds_a_close_whose_call_ignores_cancellation(
    backend: str,
) -> None:
    """A call stuck where cancellation cannot reach it (here a request hook that shields
    itself) must not hold ``aclose()`` beyond its caller's deadline: the client still ends up
    closed, and the call fails as closed once it comes back."""
    errors: list[BaseException] = []
    hook_gave_up: list[bool] = []

    async def main(server: HostileServer) -> None:
        oms = _silent_server_client(server.url)
        held, release = anyio.Event(), anyio.Event()

        async def stubborn(request: httpx.Request) -> None:
            if held.is_set():
                return
            held.set()
            with anyio.CancelScope(shield=True), anyio.move_on_after(20) as waited:
                await release.wait()
            # Its own guard: with a close that waits for it, the test fails instead of hanging.
            hook_gave_up.append(waited.cancelled_caught)

        oms._session.http.event_hooks = {"request": [stubborn]}

        async def get() -> None:
            try:
                await oms.legacy.products.get(1)
            except omsclient.OmsError as exc:
                errors.append(exc)

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for _ in range(4):
                    tg.start_soon(get)
                while not held.is_set() or len(server.requests) < 3:  # noqa: ASYNC110
                    await anyio.sleep(0.01)
                with anyio.move_on_after(1) as deadline:
                    await oms.aclose()
                assert deadline.cancelled_caught
                assert hook_gave_up == []  # the stuck call is still stuck
                assert [type(e) for e in errors] == [omsclient.ClientClosedError] * 3
                assert oms._session.http.is_closed
                await oms.aclose()  # the close is over: at once
                with pytest.raises(omsclient.ClientClosedError):
                    await oms.legacy.products.get(2)
                release.set()
        assert hook_gave_up == [False]

    with hostile_server() as server:
        server.handler = _silent
        anyio.run(main, server, backend=backend)
    assert [type(e) for e in errors] == [omsclient.ClientClosedError] * 4
    assert len(server.requests) == 3  # the stuck call, let go, sent nothing


async def test_an_async_with_block_on_a_closed_client_is_refused_at_its_start(
    oms_sandbox: SandboxInfo,
) -> None:
    # It was entered, and failed only at its first call.
    oms = omsclient.AsyncClient(**oms_sandbox.client_kwargs())
    async with oms:
        pass
    with pytest.raises(omsclient.ClientClosedError, match=r"^async with: this client is closed"):
        async with oms:
            pass
    with pytest.raises(omsclient.ClientClosedError, match=r"^async with: this client is closed"):
        async with oms.with_options(timeout=5):
            pass


def test_a_with_block_on_a_closed_blocking_client_is_refused_at_its_start(
    oms_sandbox: SandboxInfo,
) -> None:
    oms = omsclient.Client(**oms_sandbox.client_kwargs())
    with oms:
        pass
    closed = r"^with: this client is closed"
    with pytest.raises(omsclient.ClientClosedError, match=closed), oms:
        pass
    with pytest.raises(omsclient.ClientClosedError, match=closed), oms.with_options(timeout=5):
        pass
