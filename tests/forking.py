"""Fork while another thread holds a lock: what a worker process forked from a busy parent meets."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any


def child_exit_while_held(lock: Any, child: Callable[[], bool], seconds: float = 10) -> int | None:
    """Fork while another thread holds ``lock``; the child runs ``child()`` and exits 0 when it
    returns true. The child's exit code, or None when it did not end within ``seconds`` (it was
    killed: it waited for a thread it does not have)."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            holding.set()
            release.wait()

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait()
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os._exit(0 if child() else 1)
        deadline = time.monotonic() + seconds
        while not (finished := os.waitpid(pid, os.WNOHANG))[0] and time.monotonic() < deadline:
            time.sleep(0.01)
        if not finished[0]:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return None
    finally:
        release.set()
        thread.join()
    return os.waitstatus_to_exitcode(finished[1])
