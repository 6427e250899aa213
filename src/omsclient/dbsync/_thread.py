"""Database calls in worker threads that no cancellation leaves running behind its caller."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

__all__ = ["in_thread"]

T = TypeVar("T")


async def in_thread(
    func: Callable[..., T], *args: Any, interrupt: Callable[[], None] | None = None
) -> T:
    """``func(*args)`` in a worker thread; cancelled, this returns only once the thread is done.

    A thread cannot be stopped, and the connection it uses must not be used or closed by
    another meanwhile (SQLite crashes the process when a connection closes under a running
    statement). A cancellation of any kind (a cancel scope, asyncio's ``Task.cancel()``, what
    ``asyncio.run`` sends on Ctrl-C and ``asyncio.timeout`` on expiry) ends the await at once
    (the thread abandoned), then waits here for a call that has begun, and drops one that has
    not, then goes on.

    ``interrupt`` asks the database to stop the statement under way (it fails, and its
    transaction rolls back): called once, from another thread, when a call that has begun is
    cancelled, so that a statement waiting for another session's lock does not hold a Ctrl-C
    until that session lets go.
    """
    lock = threading.Lock()
    finished = threading.Event()
    phase = "queued"

    def call() -> T:
        nonlocal phase
        with lock:
            if phase == "dropped":
                raise RuntimeError("dropped: its caller was cancelled before it began")
            phase = "begun"
        try:
            return func(*args)
        finally:
            finished.set()

    try:
        return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
    except BaseException:
        with lock:
            begun, phase = phase == "begun", "dropped"
        again: KeyboardInterrupt | None = None
        while begun and not finished.is_set():
            try:
                with anyio.CancelScope(shield=True):
                    if interrupt is not None:
                        asked, interrupt = interrupt, None
                        await anyio.to_thread.run_sync(asked)
                    else:
                        await anyio.to_thread.run_sync(finished.wait)
            except anyio.get_cancelled_exc_class():
                # asyncio cancelled the wait too (its Task.cancel() goes through shields): the
                # thread runs on, so wait again.
                continue
            except KeyboardInterrupt as interrupted:
                # A second Ctrl-C, raised where the loop was: the same, raised once it is done.
                again = interrupted
        if again is not None:
            raise again from None
        raise
