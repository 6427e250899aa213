"""A flag set once, which threads wait for where an exception may interrupt the wait."""

from __future__ import annotations

import math
import threading
import time

__all__ = ["Latch"]

_SLICE = 0.05
"""Seconds a wait lasts at most before Python code runs again in the waiting thread."""


class Latch:
    """:class:`threading.Event`'s job, for a thread whose wait an exception may interrupt.

    An Event waits in :class:`threading.Condition`'s Python code. An exception raised there by
    a signal handler (Ctrl-C, a job time limit's SIGALRM) or by another thread can land after
    the wait, before the condition's lock is taken back: leaving its ``with`` block then raises
    ``RuntimeError: release unlocked lock`` in that exception's place. A Latch waits in one
    C-level ``Lock.acquire``, which such an exception interrupts whole, before the lock is
    taken or after.
    """

    __slots__ = ("_lock", "_set")

    def __init__(self) -> None:
        self._set = False
        self._lock = threading.Lock()
        self._lock.acquire()  # held until set: a waiter's acquire returns once it is

    def set(self) -> None:
        """Set it, waking every thread waiting for it. From one thread at a time."""
        if not self._set:
            self._set = True
            self._lock.release()

    def is_set(self) -> bool:
        """Whether it is set."""
        return self._set

    def wait(self, timeout: float | None = None) -> bool:
        """Whether it is set, waiting for that up to ``timeout`` seconds (None: until it is)."""
        deadline = math.inf if timeout is None else time.monotonic() + timeout
        while not self._set:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            # In slices, with the flag, not the acquire, answering: an exception another
            # thread raises in this one is delivered only when Python code runs here, and a
            # waiter interrupted between its acquire and its release leaves the lock held.
            if self._lock.acquire(timeout=min(left, _SLICE)):
                self._lock.release()
        return self._set
