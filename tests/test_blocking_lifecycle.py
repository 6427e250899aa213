"""The blocking Client's lifetime: scans resumed to the row, interrupted waits, fork, views.

Every test talks to a sandbox over a real socket. Tests that raise signals or fork run their
client in a subprocess with a timeout, so a regression fails them instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import inspect
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import respx

import omsclient
from omsclient import _loop_thread as loop_thread
from omsclient.legacy import Condition, Op, OrderField, ProductScanState, ScanState
from omsclient.sandbox import Faults, SandboxConfig, SandboxInfo, _gateway, serve

from .conftest import LEAVES_NOTHING_UNCLOSED, LEGACY, ok

pytestmark = LEAVES_NOTHING_UNCLOSED

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
SRC = str(Path(omsclient.__file__).parent.parent)


def run_script(
    script: str, info: SandboxInfo, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh interpreter with the sandbox's client arguments in ``KWARGS``."""
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "OMS_TEST_KWARGS": json.dumps(info.client_kwargs()),
    }
    prelude = textwrap.dedent(
        """
        import json, os
        from datetime import datetime
        import omsclient
        from omsclient.legacy import Condition, Op, OrderField
        KWARGS = json.loads(os.environ["OMS_TEST_KWARGS"])
        ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
        """
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def loop_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "omsclient")


# -- 1. a blocking scan's state is committed per row handed out -----------------------------


@pytest.mark.parametrize("windows", [1, 3])
def test_a_blocking_order_scan_left_mid_page_resumes_at_the_next_row(
    oms_sandbox: SandboxInfo, windows: int
) -> None:
    with omsclient.Client(**oms_sandbox.client_kwargs()) as oms:
        scan = oms.legacy.orders.scan(raw=True, windows=windows)
        first: list[str] = []
        for order in scan:
            first.append(order["order_id"])
            if len(first) == 30:
                break
        assert scan.state is not None
        saved = json.loads(json.dumps(scan.state.to_dict()))
        resumed = oms.legacy.orders.scan(raw=True, state=ScanState.from_dict(saved))
        rest = [order["order_id"] for order in resumed]
    # Row 31 on: nothing lost, nothing repeated, as with ``async for``.
    assert len(first) + len(rest) == 300
    assert sorted(first + rest) == sorted(o.order_id for o in oms_sandbox.state.orders)


def test_a_blocking_typed_order_scan_counts_each_row_it_hands_out(
    oms_sandbox: SandboxInfo,
) -> None:
    with omsclient.Client(**oms_sandbox.client_kwargs()) as oms:
        scan = oms.legacy.orders.scan()
        it = iter(scan)
        taken = [next(it).order_id for _ in range(7)]
        state = scan.state
        assert state is not None
        # The state names the seventh order, not the last one of its page.
        assert taken[-1] in state.windows[0].ids
        it.close()
        rest = [o.order_id for o in oms.legacy.orders.scan(state=state)]
    assert sorted(taken + rest) == sorted(o.order_id for o in oms_sandbox.state.orders)


def test_a_blocking_product_scan_left_mid_page_resumes_at_the_next_row(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=5, products=250))
    with omsclient.Client(**info.client_kwargs()) as oms:
        everything = [row["product_id"] for row in oms.legacy.products.scan()]
        scan = oms.legacy.products.scan()
        first: list[int] = []
        for row in scan:
            first.append(row["product_id"])
            if len(first) == 30:
                break
        assert scan.state == ProductScanState(after=first[-1], done=False)
        saved = ProductScanState.from_dict(json.loads(json.dumps(scan.state.to_dict())))
        rest = [row["product_id"] for row in oms.legacy.products.scan(state=saved)]
    assert len(everything) == 250
    assert first + rest == everything


# -- 2. an exception raised in the waiting thread comes out as itself ------------------------


@pytest.mark.parametrize(
    "loop",
    [
        "for _ in oms.legacy.orders.iterate(ALL, concurrency=8): pass",
        "for _ in oms.legacy.orders.scan(windows=8): pass",
        "for _ in oms.legacy.orders.scan(windows=8).pages(): pass",
    ],
)
def test_a_signal_raised_while_a_blocking_iteration_waits_propagates_unchanged(
    oms_sandbox_factory: Callable[..., SandboxInfo], loop: str
) -> None:
    # A job time limit as rq and celery implement it: SIGALRM, whose handler raises. Each
    # answer takes a second, so the alarm at 0.5 s always finds the first step waiting.
    info = oms_sandbox_factory(SandboxConfig(orders=2000, faults=Faults(latency=1.0)))
    script = f"""
        import signal, time

        class JobTimeout(Exception):
            pass

        def on_alarm(signum, frame):
            raise JobTimeout("job exceeded its time limit")

        signal.signal(signal.SIGALRM, on_alarm)
        oms = omsclient.Client(**KWARGS)
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        try:
            {loop}
        except JobTimeout:
            print("JobTimeout")
        else:
            print("finished before the alarm")
        signal.setitimer(signal.ITIMER_REAL, 0)
        # The client is usable after the interrupted iteration, and closes promptly.
        print(oms.legacy.orders.search(ALL, limit=1).total)
        started = time.monotonic()
        oms.close()
        # A guard against a close left waiting: nothing is in flight by then (the search took
        # a whole second), so it has nothing to wait for; ten times that is room for any load.
        print("closed promptly" if time.monotonic() - started < 10 else "close took long")
    """
    done = run_script(script, info)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["JobTimeout", "2000", "closed promptly"], done.stderr


def test_a_signal_raised_while_a_blocking_call_waits_cancels_the_call(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=50, faults=Faults(latency=1.0)))
    script = """
        import signal, time

        class JobTimeout(Exception):
            pass

        def on_alarm(signum, frame):
            raise JobTimeout

        signal.signal(signal.SIGALRM, on_alarm)
        oms = omsclient.Client(**KWARGS)
        throttle = oms.async_client._session.throttle
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        try:
            oms.legacy.orders.search(ALL)
        except JobTimeout:
            print("JobTimeout")
        time.sleep(0.2)  # well before the answer would have come (1 s)
        print("in flight", throttle.in_flight)
        oms.close()
    """
    done = run_script(script, info)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["JobTimeout", "in flight 0"], done.stderr


# -- 3. fork -------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_what_the_first_request_needs_is_imported_by_the_thread_making_the_client(
    oms_sandbox: SandboxInfo, transport: str
) -> None:
    # Imported by the client's loop thread at its first request, a module was half imported in
    # a process forked meanwhile: the child's own new client waited for its import lock for
    # ever, or met a module without its classes.
    script = f"""
        import importlib.util, sys

        # A host name, as every real server has: looking it up takes an executor thread.
        url = KWARGS.pop("legacy_url").replace("127.0.0.1", "localhost")
        oms = omsclient.Client(**KWARGS, legacy_url=url, transport={transport!r})
        made = set(sys.modules)
        oms.legacy.orders.search(ALL, limit=1)
        print(sorted(m for m in set(sys.modules) - made if not m.startswith("omsclient")))
        print("opentelemetry" in made or importlib.util.find_spec("opentelemetry") is None)
        oms.close()
    """
    done = run_script(script, oms_sandbox)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "True"], done.stdout


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_a_forked_child_exits_and_refuses_the_parents_client(
    oms_sandbox: SandboxInfo, transport: str
) -> None:
    # aiohttp's connector closes its connections when the child's exit collects it, as
    # asyncio's stream writer does: in the parent's epoll instance, unless the child has its own.
    script = f"""
        import os, sys, time

        # Clients closed and still referenced: the fork hook met their closed epoll instances
        # (a ValueError, not an OSError), stopped, and left the open client's loop unmarked.
        closed = [omsclient.Client(**KWARGS, transport={transport!r}) for _ in range(4)]
        for each in closed:
            each.legacy.orders.search(ALL, limit=1)
            each.close()
        oms = omsclient.Client(**KWARGS, transport={transport!r})
        assert oms.legacy.orders.search(ALL, limit=1).total == 300
        view = oms.with_options(timeout=5)

        def child_exits(body):
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    body()
                except BaseException as exc:  # report anything to the parent
                    print("child:", type(exc).__name__, exc, flush=True)
                    code = 3
                os._exit(code) if code else sys.exit(0)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                finished, status = os.waitpid(pid, os.WNOHANG)
                if finished:
                    return os.waitstatus_to_exitcode(status)
                time.sleep(0.02)
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return "hung"

        # A child that never uses the client: the exit-time close must not wait for the
        # parent's loop thread, which the child does not have.
        print("ignored:", child_exits(lambda: None), flush=True)
        # A child that closes it: nothing to do, nothing to wait for.
        print("closed:", child_exits(oms.close), flush=True)

        def uses_it():
            for call in (
                lambda: oms.legacy.orders.search(ALL, limit=1),
                lambda: list(view.legacy.orders.iterate(ALL)),
                lambda: list(oms.legacy.orders.scan()),
            ):
                try:
                    call()
                except omsclient.ClientClosedError as exc:
                    assert "fork" in str(exc), str(exc)
                else:
                    raise AssertionError("a call in the child succeeded")
            # A new client made in the child works.
            with omsclient.Client(**KWARGS) as fresh:
                assert fresh.legacy.orders.search(ALL, limit=1).total == 300

        print("used:", child_exits(uses_it), flush=True)
        # The parent's client is untouched by its children.
        print(oms.legacy.orders.search(ALL, limit=1).total)
        oms.close()
    """
    done = run_script(script, oms_sandbox)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["ignored: 0", "closed: 0", "used: 0", "300"], (
        done.stdout + done.stderr
    )
    # Nor do the children, exiting, report the parent's connections as left open.
    assert "Unclosed" not in done.stderr, done.stderr
    assert "Error" not in done.stderr, done.stderr


# -- 4. views, namespaces and iterators keep their client open ---------------------------------


def test_objects_of_a_temporary_client_keep_it_open(oms_sandbox: SandboxInfo) -> None:
    kwargs: dict[str, Any] = oms_sandbox.client_kwargs()
    before = loop_threads()
    view = omsclient.Client(**kwargs).with_options(timeout=30)
    orders = omsclient.Client(**kwargs).legacy.orders
    search = omsclient.Client(**kwargs).legacy.orders.search
    categories = omsclient.Client(**kwargs).rest.categories
    iterator = omsclient.Client(**kwargs).legacy.orders.iterate(ALL)
    scan = omsclient.Client(**kwargs).legacy.products.scan()
    gc.collect()
    assert view.legacy.orders.search(ALL, limit=1).total == 300
    assert orders.search(ALL, limit=1).total == 300
    assert search(ALL, limit=1).total == 300
    with pytest.raises(omsclient.NotFoundError):
        categories.get("no-such-category")
    assert len(list(iterator)) == 300
    assert len(list(scan)) == 60
    # Once the last of them is gone, so is each client: its loop thread ends.
    del view, orders, search, categories, iterator, scan
    gc.collect()
    deadline = time.monotonic() + 10
    while loop_threads() > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert loop_threads() == before


def test_a_view_outliving_its_client_object_stays_open_until_the_last_is_closed(
    oms_sandbox: SandboxInfo,
) -> None:
    before = loop_threads()
    oms = omsclient.Client(**oms_sandbox.client_kwargs())
    kept = oms.with_options(max_retries=0)
    view = kept.with_options(timeout=30)
    del oms
    gc.collect()
    assert view.legacy.orders.search(ALL, limit=1).total == 300
    view.close()  # another view is still there: nothing closed
    assert kept.legacy.orders.search(ALL, limit=1).total == 300
    # The last one closes the client: its loop thread ends now, not when the view is dropped.
    with kept:
        assert kept.legacy.orders.search(ALL, limit=1).total == 300
    assert loop_threads() == before
    with pytest.raises(omsclient.ClientClosedError):
        view.legacy.orders.search(ALL, limit=1)


def test_a_with_block_on_a_view_of_a_temporary_client_closes_it(oms_sandbox: SandboxInfo) -> None:
    before = loop_threads()
    with omsclient.Client(**oms_sandbox.client_kwargs()).with_options(timeout=30) as oms:
        assert oms.legacy.orders.search(ALL, limit=1).total == 300
    assert loop_threads() == before
    with pytest.raises(omsclient.ClientClosedError):
        oms.legacy.orders.search(ALL, limit=1)


def test_an_interrupted_blocking_call_has_unwound_when_the_interrupt_propagates(
    oms_sandbox_factory: Callable[..., SandboxInfo], tmp_path: Path
) -> None:
    """A job time limit (SIGALRM whose handler raises) stops a blocking ``export_orders``; the
    job queue retries it at once with ``resume=True``. The interrupted export is over by the
    time the exception reaches the caller, as an interrupted blocking iteration is: its
    requests off the wire and its lock released, so the retry does not fail with "another
    export is writing ...".
    """
    info = oms_sandbox_factory(SandboxConfig(orders=3000, faults=Faults(latency=0.3)))
    script = f"""
        import signal
        from omsclient.export import export_orders

        class JobTimeout(Exception):
            pass

        def on_alarm(signum, frame):
            raise JobTimeout

        signal.signal(signal.SIGALRM, on_alarm)
        path = {str(tmp_path / "orders.jsonl")!r}
        with omsclient.Client(**KWARGS) as oms:
            throttle = oms.async_client._session.throttle
            armed = []

            def progress(done):
                # After the first batch, the windows' next requests are on the wire (0.3 s
                # each): the alarm lands while the export waits for them.
                if not armed:
                    armed.append(True)
                    signal.setitimer(signal.ITIMER_REAL, 0.1)

            try:
                export_orders(oms, path, windows=4, progress=progress)
            except JobTimeout:
                # What a job queue does next: note the state, retry the job at once.
                flying = throttle.in_flight
                try:
                    summary = export_orders(oms, path, windows=4, resume=True)
                except Exception as exc:
                    outcome = "retry failed: " + type(exc).__name__ + " " + str(exc)
                else:
                    outcome = "retry exported " + str(summary.exported)
                print("JobTimeout")
                print("in flight", flying)
                print(outcome)
            else:
                print("finished before the alarm")
            signal.setitimer(signal.ITIMER_REAL, 0)
    """
    done = run_script(script, info, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == ["JobTimeout", "in flight 0", "retry exported 3000"], done.stdout


# -- 5. a closed client says which call it refused ---------------------------------------------


def test_every_call_on_a_closed_blocking_client_names_its_operation(
    oms_sandbox: SandboxInfo, tmp_path: Path
) -> None:
    """A worker whose client was closed by another thread logs the error: it names the call
    refused, as the ``AsyncClient``'s own ``ClientClosedError`` does."""
    from omsclient.export import export_orders

    oms = omsclient.Client(**oms_sandbox.client_kwargs())
    orders = oms.legacy.orders
    oms.close()
    calls: dict[str, Callable[[], object]] = {
        "legacy.orders.search": lambda: orders.search(ALL, limit=1),
        "legacy.orders.update_status": lambda: orders.with_raw_response.update_status([]),
        "legacy.orders.iterate": lambda: list(orders.iterate(ALL)),
        "legacy.orders.scan": lambda: list(orders.scan()),
        "legacy.products.get": lambda: oms.legacy.products.get(1),
        "legacy.products.scan": lambda: oms.legacy.products.scan().count(),
        "rest.categories.get": lambda: oms.rest.categories.get("c1"),
        "rest.order_items.print_file": lambda: oms.rest.order_items.print_file("i1"),
        "run": lambda: oms.run(lambda a: a.legacy.orders.search(ALL)),
        "export_orders": lambda: export_orders(oms, tmp_path / "orders.jsonl"),
    }
    for operation, call in calls.items():
        with pytest.raises(omsclient.ClientClosedError) as caught:
            call()
        assert str(caught.value).startswith(f"{operation}: this client is closed"), operation


def test_a_run_in_flight_when_another_thread_closes_the_client_raises_client_closed(
    oms_sandbox: SandboxInfo,
) -> None:
    """``run()`` (and the blocking exporters built on it) may be between two requests when the
    client is closed: closing stops it with the loop, and its caller is told so by name, as a
    request in flight is, not with a bare ``concurrent.futures.CancelledError``."""
    import anyio

    oms = omsclient.Client(**oms_sandbox.client_kwargs())
    started = threading.Event()
    outcome: list[BaseException] = []

    async def job(client: omsclient.AsyncClient) -> None:
        await client.legacy.orders.search(ALL, limit=1)
        started.set()
        await anyio.sleep(30)  # writing, waiting, anything but a request

    def worker() -> None:
        try:
            oms.run(job)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    assert started.wait(10)
    oms.close()
    thread.join(10)
    assert not thread.is_alive()
    assert [type(e) for e in outcome] == [omsclient.ClientClosedError], outcome
    assert str(outcome[0]) == (
        "run: the client was closed during this call; if it wrote, the server may have "
        "applied it: look before sending it again"
    )
    assert outcome[0].maybe_applied is True  # the job may have sent a write meanwhile


def test_a_blocking_write_cut_short_by_another_threads_close_says_it_may_have_applied(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    # The loop's calls were cancelled before the client's own close ran (so that an export
    # stops at once), and the write's error came without the sentence resilience.md promises
    # a log reader.
    info = oms_sandbox_factory(SandboxConfig(orders=50, faults=Faults(latency=1.0)))
    oms = omsclient.Client(**info.client_kwargs())
    change = omsclient.legacy.StatusChange("INV10009", omsclient.legacy.NewStatus.SHIPPED)
    outcome: list[BaseException] = []

    def worker() -> None:
        try:
            oms.legacy.orders.update_status(change)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    time.sleep(0.4)  # on the wire: the sandbox answers after a second
    oms.close()
    thread.join(10)
    [error] = outcome
    assert isinstance(error, omsclient.ClientClosedError)
    assert error.maybe_applied is True
    assert str(error) == (
        "legacy.orders.update_status: the client was closed during this call; the server may "
        "have applied it: look before sending it again (the change to order INV10009)"
    )


def _cut_short_by_close(
    call: Callable[[omsclient.Client], object], also: threading.Event | None = None
) -> BaseException:
    """The error of ``call(client)``, made in a thread of its own, when the client is closed
    from this one while its status update waits for an answer (once ``also`` is set, if
    given)."""
    reached = threading.Event()

    async def answer_never(request: httpx.Request) -> httpx.Response:
        reached.set()
        await anyio.sleep(60)
        return httpx.Response(200, json=ok())

    outcome: list[BaseException] = []
    with respx.mock:
        respx.post(f"{LEGACY}/api/json/manage_orders/update_order_status").mock(
            side_effect=answer_never
        )
        oms = omsclient.Client(legacy_url=LEGACY, username="u", password="p")

        def worker() -> None:
            try:
                call(oms)
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=worker, daemon=True)
        thread.start()
        assert reached.wait(20), "the request never reached the server"
        if also is not None:
            assert also.wait(20)
        oms.close()
        thread.join(20)
    [error] = outcome
    assert isinstance(error, omsclient.ClientClosedError)
    assert error.maybe_applied is True
    return error


@pytest.mark.parametrize(
    ("order_ids", "named"),
    [
        (["INV1"], "the change to order INV1"),
        (["INV1", "INV2", "INV3"], "3 changes, to orders INV1, INV2, INV3"),
    ],
)
def test_a_blocking_status_update_cut_short_by_another_threads_close_names_its_changes(
    order_ids: list[str], named: str
) -> None:
    # The AsyncClient's close names the changes that may have been applied; the blocking
    # client's stopped the call from outside update_status, and its error named none.
    changes = [
        omsclient.legacy.StatusChange(order_id, omsclient.legacy.NewStatus.SHIPPED)
        for order_id in order_ids
    ]
    error = _cut_short_by_close(lambda oms: oms.legacy.orders.update_status(changes))
    # Word for word what the AsyncClient's close says of the same call.
    assert str(error) == (
        "legacy.orders.update_status: the client was closed during this call; the server may "
        f"have applied it: look before sending it again ({named})"
    )


def test_blocking_writes_still_waiting_for_a_slot_when_another_thread_closes_were_not_applied(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    # As the AsyncClient's close says (test_lifecycle): with max_in_flight=1, the writes
    # queued behind the one on the wire never left. The blocking client said of each that
    # the server may have applied it.
    info = oms_sandbox_factory(SandboxConfig(orders=50, faults=Faults(latency=1.0)))
    oms = omsclient.Client(**info.client_kwargs(), max_in_flight=1)
    errors: dict[str, BaseException] = {}

    def write(invoice: str) -> None:
        change = omsclient.legacy.StatusChange(invoice, omsclient.legacy.NewStatus.SHIPPED)
        try:
            oms.legacy.orders.update_status(change)
        except BaseException as exc:
            errors[invoice] = exc

    threads = [
        threading.Thread(target=write, args=(invoice,), daemon=True)
        for invoice in ("INV10009", "INV10010", "INV10011")
    ]
    threads[0].start()
    time.sleep(0.3)  # on the wire, holding the only slot
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.2)
    oms.close()
    for thread in threads:
        thread.join(20)
    on_the_wire = errors["INV10009"]
    assert isinstance(on_the_wire, omsclient.ClientClosedError)
    assert on_the_wire.maybe_applied is True
    assert str(on_the_wire).endswith("(the change to order INV10009)")
    for invoice in ("INV10010", "INV10011"):
        queued = errors[invoice]
        assert isinstance(queued, omsclient.ClientClosedError)
        assert queued.maybe_applied is False
        assert str(queued) == (
            "legacy.orders.update_status: the client was closed during this call"
        )
    assert [
        r.form.get("order_id") for r in info.state.requests if "update_order_status" in r.path
    ] == ["INV10009"]


@pytest.mark.parametrize("own_deadline", [False, True])
def test_a_run_cut_short_by_the_close_names_the_status_update_it_was_sending(
    own_deadline: bool,
) -> None:
    # The change named is the one the close cut short, not one the job's own deadline
    # stopped before (the job then waiting for something else).
    past_deadline = threading.Event()
    change = omsclient.legacy.StatusChange("INV1", omsclient.legacy.NewStatus.SHIPPED)

    async def job(client: omsclient.AsyncClient) -> None:
        if own_deadline:
            with anyio.move_on_after(0.1):
                await client.legacy.orders.update_status(change)
            past_deadline.set()
            await anyio.sleep(30)
        await client.legacy.orders.update_status(change)

    error = _cut_short_by_close(lambda oms: oms.run(job), past_deadline if own_deadline else None)
    said = (
        "if it wrote, the server may have applied it: look before sending it again"
        if own_deadline
        else "the server may have applied it: look before sending it again (the change to "
        "order INV1)"
    )
    assert str(error) == f"run: the client was closed during this call; {said}"


def test_a_blocking_call_from_a_blocking_exports_progress_callback_says_where_it_runs(
    oms_sandbox: SandboxInfo, tmp_path: Path
) -> None:
    """The callback of a blocking export runs on the client's event loop thread, where a
    blocking call would wait for itself: the error names the call and says why."""
    from omsclient.export import export_orders

    with omsclient.Client(**oms_sandbox.client_kwargs()) as oms:

        def progress(_: object) -> None:
            oms.legacy.orders.search(ALL, limit=1)

        with pytest.raises(RuntimeError) as caught:
            export_orders(oms, tmp_path / "orders.jsonl", progress=progress)
        message = str(caught.value)
        assert message.startswith("legacy.orders.search: a blocking call from the client's own")
        assert "progress callback" in message
        # The client is left as it was.
        assert oms.legacy.orders.search(ALL, limit=1).total == 300


def test_closing_the_client_from_a_blocking_exports_progress_callback_closes_it(
    oms_sandbox_factory: Callable[..., SandboxInfo], tmp_path: Path
) -> None:
    """A callback that gives up (a job cancelled, a deadline passed) closes the client: as from
    any thread, the export in flight stops with ``ClientClosedError`` and the client's thread
    and connections are released, though the callback runs on the client's own loop thread."""
    from omsclient.export import export_orders

    info = oms_sandbox_factory(SandboxConfig(orders=3000))
    before = loop_threads()
    oms = omsclient.Client(**info.client_kwargs())
    batches: list[object] = []

    def progress(done: object) -> None:
        batches.append(done)
        if len(batches) == 1:
            oms.close()

    with pytest.raises(omsclient.ClientClosedError):
        export_orders(oms, tmp_path / "orders.jsonl", progress=progress)
    deadline = time.monotonic() + 10
    while loop_threads() > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert loop_threads() == before
    assert oms.async_client._session.lifecycle.closed


def test_a_second_close_returns_only_once_the_first_is_over() -> None:
    """Two threads closing one client: whichever returns, the calls have stopped and the
    client's thread is gone (a worker pool's shutdown hook and the main thread's ``with`` both
    close it)."""
    import anyio

    before = loop_threads()
    oms = omsclient.Client(legacy_url="https://shop.example.com", username="u", password="p")
    unwinding = threading.Event()

    async def slow_to_stop(_: omsclient.AsyncClient) -> None:
        try:
            await anyio.sleep_forever()
        finally:
            unwinding.set()
            with anyio.CancelScope(shield=True):
                await anyio.sleep(0.5)  # its clean-up takes a while: the first close waits

    stopped: list[BaseException] = []

    def work() -> None:
        try:
            oms.run(slow_to_stop)
        except BaseException as exc:
            stopped.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    time.sleep(0.2)
    first = threading.Thread(target=oms.close)
    first.start()
    assert unwinding.wait(5)
    oms.close()  # the second close, while the first waits for the call to unwind
    assert loop_threads() == before
    first.join(5)
    worker.join(5)
    assert [type(e) for e in stopped] == [omsclient.ClientClosedError]


# -- 6. what code on the client's loop raises reaches its caller, and only its caller --------


@pytest.mark.parametrize("error", [SystemExit(3), KeyboardInterrupt()])
def test_a_base_exception_raised_on_the_loop_reaches_its_caller_and_the_client_lives_on(
    error: BaseException,
) -> None:
    """``sys.exit()`` in a blocking export's progress callback or in ``run()`` code: its caller
    gets it, as ``await`` would hand it over, and the client shared by every other thread keeps
    working instead of losing its event loop ("This portal is not running")."""

    async def fails(_: omsclient.AsyncClient) -> None:
        raise error

    async def answer(_: omsclient.AsyncClient) -> int:
        return 42

    before = loop_threads()
    oms = omsclient.Client(legacy_url="https://shop.example.com", username="u", password="p")
    with pytest.raises(type(error)) as caught:
        oms.run(fails)
    assert caught.value is error
    assert any(frame.name == "fails" for frame in caught.traceback)  # where it was raised
    assert oms.run(answer) == 42
    oms.close()
    assert loop_threads() == before


# The loop's thread ends with the SystemExit, as any thread it escapes.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_client_whose_loop_a_task_ended_names_that_in_every_call_and_closes() -> None:
    """A task of run() code's own that lets SystemExit escape ends the loop under the client:
    the call in flight got a bare concurrent.futures.CancelledError, every later call from
    any thread "This portal is not running", and close() that RuntimeError too."""

    async def ends_the_loop(_: omsclient.AsyncClient) -> None:
        async def exits() -> None:
            await anyio.sleep(0.3)  # the other thread's call is in flight by then
            raise SystemExit(3)

        asyncio.get_running_loop().create_task(exits())

    before = loop_threads()
    with serve(SandboxConfig(orders=250, products=1, faults=Faults(latency=2.0))) as info:
        oms = omsclient.Client(**info.client_kwargs())
        rows = iter(oms.legacy.orders.iterate(ALL))
        next(rows)  # a page in hand, the next on its way when the loop ends
        oms.run(ends_the_loop)
        with pytest.raises(omsclient.ClientClosedError, match="event loop has ended") as caught:
            oms.legacy.orders.search(ALL, limit=1)  # in flight when the loop ends
        assert caught.value.maybe_applied
        for _ in range(2):
            with pytest.raises(omsclient.ClientClosedError, match="Close this Client and make"):
                oms.legacy.orders.search(ALL, limit=1)
        started = time.monotonic()
        del rows  # nothing runs its close: not waited for as if something would
        assert time.monotonic() - started < 2
        oms.close()
    assert loop_threads() == before


def test_a_progress_callback_that_exits_ends_only_its_export(
    oms_sandbox: SandboxInfo, tmp_path: Path
) -> None:
    from omsclient.export import export_orders

    def progress(_: object) -> None:
        raise SystemExit("enough for today")

    with omsclient.Client(**oms_sandbox.client_kwargs()) as oms:
        with pytest.raises(SystemExit, match="enough for today"):
            export_orders(oms, tmp_path / "orders.jsonl", progress=progress)
        assert oms.legacy.orders.search(ALL, limit=1).total == 300
        summary = export_orders(oms, tmp_path / "orders.jsonl", resume=True)
    assert summary.exported == 300


@pytest.fixture
def first_page_only(
    oms_sandbox_factory: Callable[..., SandboxInfo], monkeypatch: pytest.MonkeyPatch
) -> SandboxInfo:
    """A sandbox whose first page comes at once and the next ones not before it stops: the
    requests in flight can only end by being cancelled, however slow the machine."""
    info = oms_sandbox_factory(SandboxConfig(orders=2000, faults=Faults(latency=1.0)))
    answered = False

    async def pause(seconds: float) -> None:
        nonlocal answered
        if answered:
            await anyio.sleep(3600)
        answered = True

    monkeypatch.setattr(_gateway, "_pause", pause)
    return info


@contextlib.contextmanager
def loop_held(loop: loop_thread.LoopThread) -> Iterator[None]:
    """The client's loop kept busy, by a blocking wait run on it, until the block ends; held
    through the loop itself, as the client's objects would keep the client from collection."""
    holding, released = threading.Event(), threading.Event()

    async def hold() -> None:
        holding.set()
        released.wait(20)  # blocking: nothing else runs on the loop meanwhile

    holder = threading.Thread(target=loop.call, args=(hold, "hold"), daemon=True)
    holder.start()
    try:
        assert holding.wait(10)
        yield
    finally:
        released.set()
        holder.join(30)


def no_fetch_left(throttle: Any) -> bool:
    """Whether every request in flight has ended, waiting 30 s at most: only cancelled ones
    can (see :func:`first_page_only`), in well under a second on any machine."""
    deadline = time.monotonic() + 30
    while throttle.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    return bool(throttle.in_flight == 0)


def half_read_in_a_cycle(oms: omsclient.Client, concurrency: int = 4) -> None:
    """An iterator read one row into, then kept only by a reference cycle."""
    rows = iter(oms.legacy.orders.iterate(ALL, concurrency=concurrency))
    next(rows)
    assert oms.async_client._session.throttle.in_flight == concurrency  # the next pages
    cycle: list[object] = [rows]
    cycle.append(cycle)


@pytest.mark.parametrize("concurrency", [1, 4])
def test_an_iterator_the_cycle_collector_drops_on_the_loop_thread_is_closed_quietly(
    first_page_only: SandboxInfo, monkeypatch: pytest.MonkeyPatch, concurrency: int
) -> None:
    """An iterator left mid-way in a reference cycle (an exception kept in a local of the
    function whose frame its traceback holds) is finalised by whichever thread the collector
    runs in, often the client's own loop, which allocates the most. It cannot wait there for
    its own close: it is closed all the same, its fetches cancelled, without an "Exception
    ignored" blaming a blocking call the application never made."""
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(repr(u.exc_value)))

    async def collect(_: omsclient.AsyncClient) -> None:
        gc.collect()

    with omsclient.Client(**first_page_only.client_kwargs()) as oms:
        gc.disable()  # collected on the loop thread below, not wherever it happens to run
        try:
            half_read_in_a_cycle(oms, concurrency)
            oms.run(collect)
        finally:
            gc.enable()
        assert no_fetch_left(oms.async_client._session.throttle)
    assert unraisable == []


def test_an_iterator_the_cycle_collector_drops_in_another_thread_never_waits_for_the_loop(
    first_page_only: SandboxInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collector runs in whichever thread set it off, holding what that thread holds: a
    logging handler's lock, which the loop's own log lines then wait for. Waiting there for
    the loop to close the iterator hung the loop and every thread's call with it. Here the
    loop is busy until released, so a close waited for would wait for that."""
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(repr(u.exc_value)))
    with omsclient.Client(**first_page_only.client_kwargs()) as oms:
        gc.disable()  # collected below, in this thread, not wherever it happens to run
        try:
            half_read_in_a_cycle(oms)
            with loop_held(oms._loop.loop):
                started = time.monotonic()
                gc.collect()
                took = time.monotonic() - started
        finally:
            gc.enable()
        assert took < 10  # it waited for the loop, held for 20 s
        assert no_fetch_left(oms.async_client._session.throttle)  # closed by the loop
    assert unraisable == []


def test_an_iterator_dropped_while_its_loop_is_held_is_left_to_the_loop_to_close(
    first_page_only: SandboxInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last reference to a half-read iterator may go inside a logging handler: a
    MemoryHandler flushing a record whose traceback held it, under the lock the loop's own log
    lines then wait for. Waiting there for the loop to close it hung the loop and every
    thread's call. Here the loop is busy until released: the wait gives up, the loop closes
    the iterator once it can."""
    monkeypatch.setattr(loop_thread, "_LEFT_WAIT", 0.5)
    with omsclient.Client(**first_page_only.client_kwargs()) as oms:
        rows = iter(oms.legacy.orders.iterate(ALL, concurrency=4))
        next(rows)
        with loop_held(oms._loop.loop):
            started = time.monotonic()
            del rows  # the last reference: closed here, by reference count
            took = time.monotonic() - started
        assert took < 10  # it waited for the loop, held for 20 s
        assert no_fetch_left(oms.async_client._session.throttle)  # closed by the loop


def test_a_client_the_cycle_collector_frees_is_closed_without_waiting_for_its_loop(
    oms_sandbox: SandboxInfo,
) -> None:
    # Its finalizer waited for the close, up to 10 s, in whichever thread the collector ran,
    # holding what that thread held (a logging handler's lock the loop's log lines need).
    gc.collect()
    before = loop_threads()
    gc.disable()
    try:
        oms = omsclient.Client(**oms_sandbox.client_kwargs())
        oms.legacy.orders.search(ALL, limit=1)
        with loop_held(oms._loop.loop):
            cycle: list[object] = [oms]
            cycle.append(cycle)
            del oms, cycle
            started = time.monotonic()
            gc.collect()
            took = time.monotonic() - started
    finally:
        gc.enable()
    assert took < 5  # it waited the close's 10 s for the loop, held for 20
    deadline = time.monotonic() + 30
    while loop_threads() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert loop_threads() == before  # closed all the same


def test_a_client_sent_to_another_process_says_to_create_one_there() -> None:
    """A process pool started by spawn or forkserver (the default outside Linux, and on Linux
    from Python 3.14) pickles the arguments of each job: a ``Client`` among them cannot go,
    and the error says what to do instead of naming a lock deep inside it."""
    import pickle

    with omsclient.Client(legacy_url="https://shop.example.com") as oms:
        for client in (oms, oms.with_options(timeout=5)):
            with pytest.raises(TypeError) as caught:
                pickle.dumps(client)
            message = str(caught.value)
            assert message.startswith("a Client cannot be pickled or copied")
            assert "create a Client in the process that uses it" in message


def test_a_close_that_fails_on_the_clients_own_loop_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Closed by code on its own event loop (a progress callback, ``run()`` code), the client
    cannot wait for its close, nor raise what the close raised: that is logged, not lost, and
    redacted like every other line of the logger."""
    import logging

    password = "s3cret-Pass-77"
    oms = omsclient.Client(legacy_url="https://shop.example.com", username="u", password=password)

    async def failing(self: omsclient.AsyncClient) -> None:
        raise RuntimeError(f"the pool would not close, {password} in hand")

    monkeypatch.setattr(omsclient.AsyncClient, "aclose", failing)

    async def close_here(_: omsclient.AsyncClient) -> None:
        oms.close()

    with caplog.at_level(logging.WARNING, logger="omsclient"):
        oms.run(close_here)
        oms.close()  # waits for the close begun on the loop, which raises nothing here
    closes = [r for r in caplog.records if "clos" in r.getMessage()]
    assert [(r.name, r.levelname, r.getMessage()) for r in closes] == [
        (
            "omsclient",
            "WARNING",
            "closing the client, asked for on its own event loop, failed: "
            "RuntimeError: the pool would not close, [REDACTED] in hand",
        )
    ]


def test_a_blocking_export_stops_as_soon_as_the_client_begins_closing(
    oms_sandbox_factory: Callable[..., SandboxInfo], tmp_path: Path
) -> None:
    # Closed while it hands a batch to its progress callback, an export with other windows'
    # batches already read went on writing and reporting them until the loop stopped, and a
    # job closed between two requests was told it used a closed client.
    from omsclient.export import export_orders

    info = oms_sandbox_factory(SandboxConfig(orders=3000, products=5))
    oms = omsclient.Client(**info.client_kwargs())
    closer: list[threading.Thread] = []
    calls: list[int] = []

    def progress(update: Any) -> None:
        calls.append(update.exported)
        if len(calls) == 1:
            closer.append(threading.Thread(target=oms.close))
            closer[0].start()
            while not oms._loop.loop.closed:  # until close() has begun
                time.sleep(0.01)
            time.sleep(0.2)  # the other windows' batches come in meanwhile

    with pytest.raises(omsclient.ClientClosedError, match=r"^export_orders: the client was closed"):
        export_orders(oms, tmp_path / "o.jsonl", windows=8, progress=progress)
    closer[0].join(30)
    assert len(calls) == 1


def _failed_call(oms: omsclient.Client) -> None:
    oms.rest.categories.get(999_999)


def _failed_run(oms: omsclient.Client) -> None:
    async def fails(client: omsclient.AsyncClient) -> None:
        raise ValueError("in run()")

    oms.run(fails)


def _iteration_read_to_its_end(oms: omsclient.Client) -> None:
    for _ in oms.legacy.orders.iterate(ALL):
        pass


@pytest.mark.parametrize("use", [_failed_call, _failed_run, _iteration_read_to_its_end])
def test_a_client_dropped_after_use_closes_without_the_cycle_collector(
    oms_sandbox: SandboxInfo, use: Callable[[omsclient.Client], None]
) -> None:
    # The future held the call's exception, whose traceback held the frames holding the
    # future (and the client's handle): a client dropped after a failed call, or from Python
    # 3.12 after an iteration's end, stayed open, its thread and sockets with it, until the
    # cycle collector ran; with it off, one more of each every job.
    def job() -> weakref.ref[Any]:
        oms = omsclient.Client(**oms_sandbox.client_kwargs())
        handle = weakref.ref(oms._loop)
        with contextlib.suppress(omsclient.NotFoundError, ValueError):  # caught, not kept
            use(oms)
        return handle

    gc.collect()
    gc.disable()
    try:
        handle = job()
        assert handle() is None
    finally:
        gc.enable()


class JobTimeout(Exception):
    """What a thread-based time limit raises in the thread it limits."""


def raise_in(thread: threading.Thread, error: type[BaseException]) -> None:
    """Raise ``error`` in ``thread`` as stopit and func_timeout do: at its next Python line."""
    assert thread.ident is not None
    raised = ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident), ctypes.py_object(error)
    )
    assert raised == 1


def test_an_exception_raised_in_a_waiting_thread_stops_its_call_at_once() -> None:
    # Delivered only once the whole call had ended: a thread-based time limit around a
    # blocking export never stopped it, and the caller got the timeout for a finished job.
    reached, cancelled = threading.Event(), threading.Event()

    async def answer_late(request: httpx.Request) -> httpx.Response:
        reached.set()
        try:
            await anyio.sleep(60)
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise
        return httpx.Response(200, json=ok(orders=[], total=0))

    outcome: list[BaseException] = []
    with (
        respx.mock,
        omsclient.Client(legacy_url=LEGACY, username="u", password="p") as oms,
    ):
        respx.post(f"{LEGACY}/api/json/manage_orders/find").mock(side_effect=answer_late)
        since = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))

        def limited() -> None:
            try:
                oms.legacy.orders.search(since)
            except JobTimeout as timeout:
                outcome.append(timeout)

        worker = threading.Thread(target=limited)
        worker.start()
        assert reached.wait(20), "the request never reached the server"
        raise_in(worker, JobTimeout)
        worker.join(20)
        assert [type(error) for error in outcome] == [JobTimeout]
        # Cancelled on the loop before the exception came out: nothing runs for it any more.
        assert cancelled.is_set()


def _dropping(frame: Any) -> bool:
    """Whether ``frame`` runs as something is dropped, where Python drops what it raises: in a
    finalizer, a collector's or a weak reference's callback, or coroutine code (which the
    calling thread runs only to close one), or in what one of them calls."""
    while frame is not None:
        code = frame.f_code
        if (
            code.co_name == "__del__"
            or code is loop_thread._note_collection.__code__
            or code.co_filename.endswith(("weakref.py", "_weakrefset.py"))
            or code.co_flags & (inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR) != 0
        ):
            return True
        frame = frame.f_back
    return False


def _interrupted_at(call: Callable[[], object], entry: int) -> BaseException | None:
    """Run ``call`` in a thread, raising ``JobTimeout`` there as the ``entry``-th Python
    function it runs begins: where a signal handler's or another thread's exception lands.
    What ``call`` raised."""
    entries = 0

    def tracer(frame: Any, event: str, arg: Any) -> None:
        nonlocal entries
        if event == "call" and not _dropping(frame):
            entries += 1
            if entries == entry:
                raise JobTimeout(entry)  # the frame beginning raises it; tracing then ends

    outcome: list[BaseException] = []

    def limited() -> None:
        sys.settrace(tracer)
        try:
            call()
        except BaseException as exc:
            outcome.append(exc)
        finally:
            sys.settrace(None)

    worker = threading.Thread(target=limited)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), f"interrupted at entry {entry}, the call never ended"
    return outcome[0] if outcome else None


@pytest.mark.parametrize("kind", ["call", "iteration"])
def test_an_exception_landing_anywhere_in_a_blocking_call_comes_out_as_itself(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # A time limit's exception landed inside threading.Event's wait, after it, before its lock
    # was taken back: leaving the Condition raised "RuntimeError: release unlocked lock" in its
    # place, and the job's handler for its time limit never ran. Landing in a future's methods,
    # it could leave the future's lock held, and the loop hung setting the result. Every
    # function entry the calling thread makes is swept, from the call's start to many turns of
    # its wait for an answer that never comes.
    monkeypatch.setattr(loop_thread, "_SLICE", 0.001)  # turns of the wait in a millisecond

    reached: list[int] = []

    async def answer_when_cancelled(request: httpx.Request) -> httpx.Response:
        reached.append(entry)
        await anyio.sleep(60)
        raise AssertionError("never cancelled")

    with (
        respx.mock,
        omsclient.Client(legacy_url=LEGACY, username="u", password="p") as oms,
    ):
        route = respx.post(f"{LEGACY}/api/json/manage_orders/find")
        route.mock(side_effect=answer_when_cancelled)
        throttle = oms.async_client._session.throttle
        calls = {
            "call": lambda: oms.legacy.orders.search(ALL),
            "iteration": lambda: next(iter(oms.legacy.orders.iterate(ALL))),
        }
        for entry in range(1, 161):
            error = _interrupted_at(calls[kind], entry)
            assert isinstance(error, JobTimeout), (entry, repr(error))
            assert error.args == (entry,)
            assert throttle.in_flight == 0, entry
        assert len(reached) > 50, "the sweep must reach the wait for the answer"
        route.mock(return_value=httpx.Response(200, json=ok(orders=[], total=7)))
        assert oms.legacy.orders.search(ALL).total == 7


def _wait_until(done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 20
    while not done():
        assert time.monotonic() < deadline, "never came to pass"
        time.sleep(0.01)


# client.md: the blocking client says "if it wrote" of every call it stops, but for a status
# update still waiting for a free slot. A run() whose job had written already, then queued a
# write behind another thread's, is no such call: its earlier write was applied. Nothing failed
# when every call whose writes had been status updates said maybe_applied=False.
def test_a_run_that_wrote_then_queued_a_write_says_the_server_may_have_applied_it(
    oms_sandbox_factory: Callable[..., SandboxInfo],
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=50, faults=Faults(latency=0.5)))
    oms = omsclient.Client(**info.client_kwargs(), max_in_flight=1)
    first_done = threading.Event()
    go_on = threading.Event()
    errors: dict[str, BaseException] = {}

    def change(invoice: str) -> omsclient.legacy.StatusChange:
        return omsclient.legacy.StatusChange(invoice, omsclient.legacy.NewStatus.SHIPPED)

    async def job(client: omsclient.AsyncClient) -> None:
        await client.legacy.orders.update_status(change("INV10001"))  # applied
        first_done.set()
        await anyio.to_thread.run_sync(go_on.wait)
        await client.legacy.orders.update_status(change("INV10002"))  # queued: never sent

    def run_job() -> None:
        try:
            oms.run(job)
        except BaseException as exc:
            errors["run"] = exc

    def hold_the_slot() -> None:
        try:
            oms.legacy.orders.update_status(change("INV10009"))
        except BaseException as exc:
            errors["holder"] = exc

    runner = threading.Thread(target=run_job, daemon=True)
    holder = threading.Thread(target=hold_the_slot, daemon=True)
    runner.start()
    assert first_done.wait(20)
    holder.start()
    limiter = oms.async_client._session.throttle._in_flight
    _wait_until(lambda: limiter.borrowed_tokens == 1)  # the holder's write holds the only slot
    go_on.set()
    _wait_until(lambda: limiter.statistics().tasks_waiting == 1)  # the job's second waits
    oms.close()
    runner.join(20)
    holder.join(20)
    error = errors["run"]
    assert isinstance(error, omsclient.ClientClosedError)
    # The job's first write was applied: the run's error must not say nothing was.
    sent = [r.form.get("order_id") for r in info.state.requests if "update_order_status" in r.path]
    assert sent == ["INV10001", "INV10009"]
    assert error.maybe_applied is True
    assert str(error) == (
        "run: the client was closed during this call; if it wrote, the server may have "
        "applied it: look before sending it again"
    )
