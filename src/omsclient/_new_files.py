"""Files a job writes beside its output, opened so that no link planted at their names leads
the job's writes elsewhere.

An export or a sync often writes into a folder others can write to (``/tmp``, a shared
folder). A symbolic link another user put at the name of a side file (``.partial``,
``.checkpoint.tmp``, ``.lock``) would have the job write through it, into any file the job's
user may write, and rename the link into place as the output. A side file is always made anew,
never opened through a link.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import BinaryIO

__all__ = ["create_new", "name_max", "open_existing", "open_lock", "still_at"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # not on Windows, where links need privileges
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# Windows only: without it os.open gives the C runtime's text mode, which writes each "\n" as
# "\r\n" whatever fdopen's mode says (a CSV row would end in "\r\r\n"), as tempfile knows.
_BINARY = getattr(os, "O_BINARY", 0)


def name_max(folder: Path) -> int:
    """The longest file name, in bytes, ``folder``'s file system takes: a side file's name is
    longer than its output's, and one too long would fail only once the job had begun."""
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows), or no answer
        return 255


def create_new(path: Path, mode: int = 0o666) -> BinaryIO:
    """``path`` as a new, empty file open for writing: whatever was at that name (a file an
    earlier run left, a link) removed first. ``mode`` as ``os.open`` takes it (the umask
    applies): the permission bits of the output the file will replace, so that rows on their
    way to a private output are never readable by others.

    Raises:
        FileExistsError: something was put at that name again between the removal and the
            creation (another process).
    """
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    # O_EXCL: a link at the name, dangling or not, fails the creation instead of being followed.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC | _BINARY, mode)
    return os.fdopen(fd, "wb")


def open_existing(path: Path) -> BinaryIO:
    """``path``, a file an earlier run made, open for reading and writing, never through a link.

    Raises:
        FileNotFoundError: there is no such file.
        OSError: a symbolic link is at that name (``ELOOP``), or the file has another name too
            (a hard link: writing it would write another file).
    """
    fd = os.open(path, os.O_RDWR | _NOFOLLOW | _CLOEXEC | _BINARY)
    if os.fstat(fd).st_nlink != 1:
        os.close(fd)
        raise OSError(errno.EMLINK, "it has other names (hard links)", os.fspath(path))
    return os.fdopen(fd, "r+b")


def open_lock(path: Path, mode: int = 0o666) -> BinaryIO:
    """``path``, a lock file, created if missing (with ``mode``, as :func:`create_new` takes
    it), never opened through a link.

    Raises:
        OSError: a link is at that name (``ELOOP``, saying so), or the file cannot be made.
    """
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | _NOFOLLOW | _CLOEXEC | _BINARY
        fd = os.open(path, flags, mode)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        raise OSError(
            exc.errno,
            "a symbolic link is where the lock file goes, and is not followed; remove it if "
            "you put it there",
            os.fspath(path),
        ) from None
    return os.fdopen(fd, "ab")


def still_at(path: str | os.PathLike[str], opened: os.stat_result) -> bool:
    """Whether ``path`` still names the file ``opened`` describes (its ``stat`` when it was
    opened): not removed, and no other file put in its place."""
    try:
        return os.path.samestat(os.stat(path), opened)
    except FileNotFoundError:
        return False
