"""A SIGTERM taken as a Ctrl-C while a command runs.

``kill``, ``timeout``, ``systemctl stop`` and ``docker stop`` send SIGTERM, whose default ends
the process at once: no line saying what was kept or what to run next, an exit status the
command's table does not list, and its connections and sandbox left as they were. Taken as a
Ctrl-C, the command stops as it does for one: the same message, exit code 130.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["terminate_as_interrupt"]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Through SIGINT's handler of the moment: asyncio.run's cancels the running job as for a
    # Ctrl-C, where a KeyboardInterrupt raised here would cut into whatever code runs now.
    if callable(signal.getsignal(signal.SIGINT)):
        signal.raise_signal(signal.SIGINT)
    else:  # SIGINT ignored (a background job of a script): the SIGTERM must still stop it
        raise KeyboardInterrupt


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, a SIGTERM stops the command as a Ctrl-C does (in the main thread
    only: Python runs signal handlers there, and another thread cannot set them)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        if previous is not None:  # None: set outside Python, which cannot put it back
            signal.signal(signal.SIGTERM, previous)
