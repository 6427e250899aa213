"""Database calls in worker threads that no cancellation leaves running behind its caller."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

__all__ = ["in_thread"]

T = TypeVar("T")


async def in_thread(func: Callable[..., T], *args: Any) -> T:
    """``func(*args)`` in a worker thread; cancelled, this returns only once the thread is done.

    A thread cannot be stopped, and the connection it uses must not be used or closed by
    another meanwhile (SQLite crashes the process when a connection closes under a running
    statement). anyio holds its own cancellations back until the thread ends, but not asyncio's
    ``Task.cancel()``, what ``asyncio.run`` sends on Ctrl-C and ``asyncio.timeout`` or
    ``wait_for`` on expiry: the await would end at once. So a cancellation of any kind waits
    here for a call that has begun, and drops one that has not, then goes on.
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
        return await anyio.to_thread.run_sync(call)
    except BaseException:
        with lock:
            begun, phase = phase == "begun", "dropped"
        while begun and not finished.is_set():
            try:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(finished.wait)
            except anyio.get_cancelled_exc_class():
                continue  # asyncio cancelled the wait too: the thread runs on, so wait again
        raise
