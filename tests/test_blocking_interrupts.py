"""The blocking Client under Ctrl-C and at interpreter exit.

Each test runs its client in a fresh interpreter. The Ctrl-C lands at a precise point: a hook
raises SIGINT in the main thread where the client waits, or a coroutine on the client's loop
sends it to the main thread once the close it waits for has begun. The subprocess timeout only
catches a hang; no check depends on how long anything takes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import omsclient

SRC = str(Path(omsclient.__file__).parent.parent)

PRELUDE = """
import signal, threading
import omsclient
import omsclient._loop_thread as loop_thread

def others():
    return sorted(t.name for t in threading.enumerate() if t is not threading.main_thread())
"""


def run_script(script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh interpreter; fail, rather than hang, if it never exits."""
    try:
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(PRELUDE) + textwrap.dedent(script)],
            env={**os.environ, "PYTHONPATH": SRC},
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired as hung:
        pytest.fail(f"the process did not exit: {hung.stdout!r} {hung.stderr!r}")


# Where Client(...) waits for its loop: the Ctrl-C comes while it waits, or as the wait ends.
HOOKS = {
    "before its loop thread is running": """
        class Interrupted(loop_thread.Future):
            fired = False

            def result(self, timeout=None):
                if not Interrupted.fired:
                    Interrupted.fired = True
                    signal.raise_signal(signal.SIGINT)
                return super().result(timeout)

        loop_thread.Future = Interrupted
    """,
    "once its loop thread is running": """
        class Interrupted(loop_thread.Future):
            fired = False

            def result(self, timeout=None):
                value = super().result(timeout)
                if not Interrupted.fired:
                    Interrupted.fired = True
                    signal.raise_signal(signal.SIGINT)
                return value

        loop_thread.Future = Interrupted
    """,
    "while its AsyncClient is made": """
        waits = loop_thread.LoopThread._result
        fired = []

        def interrupted(self, future, operation):
            if not fired:
                fired.append(True)
                signal.raise_signal(signal.SIGINT)
            return waits(self, future, operation)

        loop_thread.LoopThread._result = interrupted
    """,
    "once its AsyncClient is made": """
        import omsclient._sync as sync
        handle = sync.LoopHandle
        fired = []

        def interrupted(loop):
            if not fired:
                fired.append(True)
                signal.raise_signal(signal.SIGINT)
            return handle(loop)

        sync.LoopHandle = interrupted
    """,
    "as its loop is listed for a fork": """
        class Interrupted(type(loop_thread._live)):
            fired = False

            def add(self, item):
                if not Interrupted.fired:
                    Interrupted.fired = True
                    signal.raise_signal(signal.SIGINT)
                return super().add(item)

        loop_thread._live = Interrupted()
    """,
}


@pytest.mark.parametrize("hook", list(HOOKS.values()), ids=list(HOOKS))
def test_ctrl_c_while_a_client_is_made_leaves_no_thread_behind(hook: str) -> None:
    done = run_script(
        hook
        + """
        try:
            omsclient.Client(legacy_url="https://shop.example.com", username="u", password="p")
        except KeyboardInterrupt:
            print("KeyboardInterrupt")
        else:
            print("not interrupted")
        print(others())
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["KeyboardInterrupt", "[]"], done.stderr


def test_a_close_after_an_interrupted_close_returns_once_the_loop_thread_is_gone() -> None:
    """Ctrl-C while ``close()`` waits for a call to unwind, then the ``with`` block's exit or
    the application's ``finally`` closes again: that second close returns only when the
    client's thread is gone."""
    done = run_script(
        """
        import anyio

        oms = omsclient.Client(legacy_url="https://shop.example.com", username="u", password="p")
        loop = oms._loop.loop
        started = threading.Event()
        gate = threading.Event()
        interrupted = False

        class Hooked(threading.Event):
            # A close about to wait for the one interrupted: the clean-up below may end now.
            # A close that does not wait never opens the gate, and finds the thread alive.
            def wait(self, timeout=None):
                if interrupted and not self.is_set():
                    gate.set()
                return super().wait(timeout)

        loop._shut_down = Hooked()

        async def job(_):
            try:
                started.set()
                await anyio.sleep_forever()
            finally:
                # Ctrl-C, while close() waits for this call to unwind ...
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
                gate.wait()  # ... which takes a while, holding the loop

        def work():
            try:
                oms.run(job)
            except omsclient.ClientClosedError:
                print("worker: ClientClosedError", flush=True)

        worker = threading.Thread(target=work)
        worker.start()
        started.wait()
        try:
            oms.close()
        except KeyboardInterrupt:
            interrupted = True
            print("first close: KeyboardInterrupt", flush=True)
        oms.close()
        alive = loop._thread.is_alive()
        gate.set()  # lets a loop thread wrongly left running end, so that the process exits
        worker.join()
        print("loop thread alive:", alive)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "first close: KeyboardInterrupt",
        "worker: ClientClosedError",
        "loop thread alive: False",
    ], done.stderr


# A client whose loop code holds for ever (run() code that never returns), with the close's
# time limit shortened for the test.
LOOP_HELD = """
        import omsclient._sync

        omsclient._sync._CLOSE_TIMEOUT = 0.5  # the limit, shortened for the test

        oms = omsclient.Client(legacy_url="https://shop.example.com", username="u", password="p")
        entered = threading.Event()

        async def stuck(_):
            entered.set()
            threading.Event().wait()  # blocks the loop itself, not just this task

        threading.Thread(target=oms.run, args=(stuck,), daemon=True).start()
        entered.wait()
"""


def test_a_client_whose_loop_is_blocked_for_ever_does_not_hold_the_process_at_exit() -> None:
    """A progress callback (or ``run()`` code) that never returns holds the client's loop: the
    close at exit gives up after its time limit instead of waiting for the loop for ever."""
    done = run_script(
        LOOP_HELD
        + """
        print("exiting", flush=True)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["exiting"], done.stderr
    if sys.version_info[:3] in ((3, 12, 0), (3, 12, 1)):
        # These start no thread at exit: the client is left for the process's end to close,
        # without a word.
        assert done.stderr == ""
        return
    assert "TimeoutError: the client was not closed within 0.5 s" in done.stderr, done.stderr


def test_a_call_after_a_close_that_timed_out_is_refused_at_once() -> None:
    """The close gave up waiting for a loop that code holds: a call made afterwards raises
    ClientClosedError at once rather than waiting for that loop too (for ever, here)."""
    done = run_script(
        LOOP_HELD
        + """
        import time
        from omsclient.legacy import Condition, Op, OrderField

        try:
            oms.close()
        except TimeoutError:
            print("close: TimeoutError", flush=True)
        started = time.monotonic()
        try:
            oms.legacy.orders.search(Condition(OrderField.ORDER_STATUS, Op.EQ, string=1))
        except omsclient.ClientClosedError:
            print("search: ClientClosedError", time.monotonic() - started < 5, flush=True)
        """
    )
    assert done.stdout.splitlines() == [
        "close: TimeoutError",
        "search: ClientClosedError True",
    ], done.stderr


# A Ctrl-C as the hand-over of a call to the loop returns: the loop took the call (it waits
# for a loop busy decoding a page, or running a progress callback, as long as that takes),
# and the caller has no future yet to cancel it by.
HANDED_OVER = """
    import tempfile
    from pathlib import Path
    from omsclient.export import export_orders
    from omsclient.sandbox import Faults, SandboxConfig, serve

    submit = loop_thread.LoopThread._submit
    armed = []

    def interrupted(self, *args):
        submit(self, *args)
        if armed:
            armed.clear()
            signal.raise_signal(signal.SIGINT)

    loop_thread.LoopThread._submit = interrupted
    config = SandboxConfig(orders=600, products=20, faults=Faults(latency=0.05))
    with serve(config) as info, omsclient.Client(**info.client_kwargs()) as oms:
        {body}
"""


def test_an_export_interrupted_as_it_is_handed_to_the_loop_is_not_left_running() -> None:
    # It ran on to its end on the loop, holding its lock: the retry with resume=True the
    # docs promise was refused ("another export is writing").
    done = run_script(
        HANDED_OVER.format(
            body="""
        out = Path(tempfile.mkdtemp()) / "o.jsonl"
        armed.append(True)
        try:
            export_orders(oms, out, windows=2)
        except KeyboardInterrupt:
            print("interrupted")
        summary = export_orders(oms, out, windows=2, resume=True)
        ids = [line.split('"order_id":')[1][:12] for line in out.read_text().splitlines()]
        print(summary.exported, len(ids), len(set(ids)))
    """
        )
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["interrupted", "600 600 600"]


def test_an_iteration_interrupted_as_a_step_is_handed_over_raises_the_interrupt() -> None:
    # The step ran on, and closing the generator under it raised "aclose(): asynchronous
    # generator is already running", a RuntimeError the KeyboardInterrupt hid behind.
    done = run_script(
        HANDED_OVER.format(
            body="""
        from omsclient.legacy import Condition, Op, OrderField

        since = Condition(OrderField.DATE_ORDERED, Op.GE, date1="2000-01-01")
        read = 0
        try:
            for order in oms.legacy.orders.iterate_raw(since):
                read += 1
                if read == 150:
                    armed.append(True)  # the hand-over of the third page's step
        except KeyboardInterrupt:
            print("interrupted after", read)
        print(len(oms.legacy.orders.search(since, limit=1).items))  # the client still works
    """
        )
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["interrupted after 200", "1"]


def test_a_ctrl_c_as_an_iteration_closed_by_hand_closes_comes_out_of_the_close() -> None:
    # The rows' generator was closed, but the one driving the loop inside it was only
    # dropped: Python printed the KeyboardInterrupt its close raised ("Exception ignored in")
    # and the program ran on, with contextlib.closing as with a bare break.
    done = run_script(
        """
        import contextlib
        from omsclient.legacy import Condition, Op, OrderField
        from omsclient.sandbox import SandboxConfig, serve

        closing_on_the_loop = loop_thread.LoopThread._close_left

        def close_left(self, agen, operation):
            closing_on_the_loop(self, agen, operation)
            signal.raise_signal(signal.SIGINT)  # a Ctrl-C as that wait ends

        loop_thread.LoopThread._close_left = close_left
        since = Condition(OrderField.DATE_ORDERED, Op.GE, date1="2000-01-01")
        with serve(SandboxConfig(orders=300, products=150)) as info:
            with omsclient.Client(**info.client_kwargs()) as oms:
                iterations = {
                    "iterate": lambda: oms.legacy.orders.iterate(since),
                    "orders.scan": lambda: oms.legacy.orders.scan(),
                    "products.scan": lambda: oms.legacy.products.scan(),
                }
                for kind, make in iterations.items():
                    rows = iter(make())
                    try:
                        with contextlib.closing(rows):
                            for _ in rows:
                                break
                        print(kind, "ran on")
                    except KeyboardInterrupt:
                        print(kind, "interrupted")
                print(len(oms.legacy.orders.search(since, limit=1).items))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:4] == [
        "iterate interrupted",
        "orders.scan interrupted",
        "products.scan interrupted",
        "1",
    ]
    assert "Exception ignored" not in done.stderr


# A Ctrl-C while a busy loop (run() code, a progress callback, a page being decoded) has not
# yet taken a call leaves it queued with no future to cancel it by: once free, the loop must do
# nothing with it. No test held the loop during a hand-over, so a queued write sent anyway,
# after its caller saw KeyboardInterrupt, went unseen.
def test_a_write_interrupted_while_a_busy_loop_takes_it_is_never_sent() -> None:
    done = run_script(
        """
        import os, time
        from omsclient.legacy import Condition, NewStatus, Op, OrderField, StatusChange
        from omsclient.sandbox import SandboxConfig, serve

        held = threading.Event()

        async def hold(client):
            held.set()
            time.sleep(1.0)  # code on the loop that does not await: the loop is busy

        with serve(SandboxConfig(orders=20)) as info, omsclient.Client(**info.client_kwargs()) as oms:
            holder = threading.Thread(target=oms.run, args=(hold,))
            holder.start()
            held.wait()
            threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
            try:
                oms.legacy.orders.update_status(StatusChange("INV10001", NewStatus.SHIPPED))
                print("not interrupted")
            except KeyboardInterrupt:
                print("interrupted")
            holder.join()
            time.sleep(0.5)  # the loop is free again: a queued call would have run by now
            oms.legacy.orders.search(
                Condition(OrderField.DATE_ORDERED, Op.GE, date1="2000-01-01"), limit=1
            )  # and any write it sent has its answer
            print(sum("update_order_status" in r.path for r in info.state.requests), "sent")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["interrupted", "0 sent"], done.stderr
