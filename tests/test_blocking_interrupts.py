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
