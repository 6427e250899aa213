"""An exclusive lock on a file beside what a job writes, so one job at a time writes it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from omsclient._new_files import open_lock, still_at

__all__ = ["file_lock"]


@contextlib.contextmanager
def file_lock(path: Path, busy: Callable[[], Exception], mode: int = 0o666) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing, with ``mode`` as
    :func:`~omsclient._new_files.create_new` takes it) until the block ends, then remove the
    file; raise ``busy()`` at once if another process holds it.

    The OS lets go when the process dies, so a killed job never blocks the next one. Where
    ``fcntl`` is missing (Windows) there is no lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield
        return
    while True:
        handle = open_lock(path, mode)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise busy() from None
        except BaseException:
            handle.close()
            raise
        # A job ending removes the file, then lets go: a job that opened it just before that
        # gets a lock on a file no longer there, beside a third job's lock on a new one.
        if still_at(path, os.fstat(handle.fileno())):
            break
        handle.close()
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        handle.close()  # and with it the lock
