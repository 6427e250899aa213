"""Where an export writes: its output path checked before anything is sent, so that a bad one
fails at once, not after the whole export was read."""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from pathlib import Path

from omsclient._new_files import name_max
from omsclient.errors import ValidationError
from omsclient.export._checkpoint import ExportError, ExportPaths, temporary_of
from omsclient.export._parquet import require_pyarrow

__all__ = ["check_output_path", "check_path", "ends_as_a_folder", "refuse_finished_output"]


def check_path(path: str | os.PathLike[str]) -> None:
    """Refuse a path that is no text, or holds a NUL, before it reaches the file system, whose
    errors (a ``TypeError``, ``embedded null byte``) name no argument."""
    try:
        text: object = os.fspath(path)
    except TypeError:
        text = None
    if not isinstance(text, str):
        raise ValidationError(f"path must be a str or a pathlib.Path, got {type(path).__name__}")
    if "\x00" in text:
        raise ValidationError("path holds a NUL character, which no file name can")
    if not text:
        raise ValidationError("path is empty: name a file, e.g. orders.jsonl")


# A process's streams by name (/dev/stdout, /dev/fd/1, /proc/<pid or self>/fd/1...): one of a
# shell's "> out.log" leads to that file, a regular one, which the export would then replace
# (what the shell wrote there and the summary lost).
_STREAM = re.compile(r"/dev/(stdin|stdout|stderr|fd/\d+)|/proc/[^/]+/(task/\d+/)?fd/\d+")
_LINKS = 40  # as the kernel follows


def _a_stream(path: str | os.PathLike[str]) -> bool:
    """Whether ``path``, or a link it leads through, names a process's stream.

    Raises:
        OSError: ``path`` leads through more links than the system follows.
    """
    current, links = os.fspath(path), 0
    while links <= _LINKS:
        folder, name = os.path.split(current)
        if name in ("", ".") and folder not in ("", current):
            current = folder  # "/dev/stdout/" and "/dev/stdout/." name /dev/stdout too
            continue
        # Resolved as the system does: "link/.." is the link's target's parent, and POSIX's
        # "//" one slash.
        folder = os.path.realpath(folder or ".")
        here = os.path.join(folder, name)
        if _STREAM.fullmatch(here) or not os.path.islink(here):
            return _STREAM.fullmatch(here) is not None
        current, links = os.path.join(folder, os.readlink(here)), links + 1
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), os.fspath(path))


def _is_file_or_missing(path: str | os.PathLike[str]) -> bool:
    if _a_stream(path):
        return False
    # stat follows what resolving a name cannot: /dev/stdout's /proc/self/fd/1 to a pipe.
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return True
    return stat.S_ISREG(mode) or stat.S_ISDIR(mode)


_SEPARATORS = tuple({"/", os.sep, os.altsep or "/"})


def ends_as_a_folder(text: str) -> bool:
    """Whether path ``text`` ends as a folder's does (``newdir/``, ``newdir/.``), which
    ``Path`` forgets: ``Path("newdir/")`` is ``Path("newdir")``, a file's name."""
    return text.endswith(_SEPARATORS) or text.endswith(tuple(sep + "." for sep in _SEPARATORS))


def _left_by_an_earlier_run(paths: ExportPaths) -> bool:
    """Whether an export that stopped before it ended left its checkpoint: not one running
    now, which holds the lock (the export taking it says so itself)."""
    if not paths.checkpoint.exists():
        return False
    try:
        with paths.lock():
            return paths.checkpoint.exists()
    except ExportError:
        return False


def refuse_finished_output(paths: ExportPaths, *, resume: bool) -> None:
    """Refuse the output already at ``paths.final`` (a finished export), unless ``resume``
    finds a checkpoint there to finish.

    Raises:
        ValidationError: naming the output, and the argument that replaces it.
    """
    final = paths.final
    if final.exists() and not (resume and paths.checkpoint.exists()):
        if resume:
            # Also what a kill between the checkpoint's removal and the process's end leaves:
            # the output is complete, and overwrite would only read it all again.
            raise ValidationError(
                f"{final} already exists and no checkpoint is left to resume: it may be an "
                "export that finished (one stopped as it ended too); pass overwrite=True to "
                "export again"
            )
        raise ValidationError(
            f"{final} already exists (a finished export); pass overwrite=True to replace it"
        )


def check_output_path(
    path: str | os.PathLike[str], fmt: str, *, resume: bool, overwrite: bool
) -> Path:
    """Check that an export in ``fmt`` can be written to ``path``; the output's path (see
    :func:`~omsclient.export.check_output`).

    Raises:
        ValidationError: naming the path and why.
        OSError: a name past what the file system takes.
    """
    text = os.fspath(path)
    if not Path(path).name or ends_as_a_folder(text) or not Path(os.path.realpath(path)).name:
        # ".", "newdir/", a link to "/": a folder by its name (a shell's > says "Is a
        # directory"), or one with no name to put .partial after.
        raise ValidationError(
            f"cannot write {text}: it names a folder; name a file in it, e.g. "
            f"{Path(path) / ('export.' + fmt)}"
        )
    paths = ExportPaths.for_output(path, staged=fmt == "parquet")
    if fmt == "parquet":
        require_pyarrow()
    final, folder = paths.final, paths.final.parent
    if final.is_symlink():  # still one once resolved: it leads back to itself
        raise ValidationError(f"cannot write {final}: it is a symlink in a loop")
    if not _is_file_or_missing(path):
        # The rename would replace it (/dev/null too, for root) and its reader gets nothing.
        raise ValidationError(
            f"cannot write {os.fspath(path)}: it is a pipe, a device or a socket, not a file; "
            "an export is renamed into place when complete and resumes from the checkpoint "
            "beside it, which only a file allows: name a file and read it once the export ends"
        )
    if not folder.is_dir():
        problem = "is a file, not a folder" if folder.exists() else "does not exist"
        raise ValidationError(f"cannot write {final}: the folder {folder} {problem}")
    # The files beside the output have longer names than it: one too long for the file
    # system would fail only once the first page was written, on every resume too.
    sides = (paths.partial, temporary_of(paths.checkpoint), paths.staging, paths.lock_file)
    added = max(len(side.name) - len(final.name) for side in sides if side is not None)
    limit = name_max(folder)
    if len(os.fsencode(final.name)) + added > limit:
        raise ValidationError(
            f"cannot write {final}: the name is too long for the files written beside it, "
            f"which add up to {added} characters to it (names here take at most {limit} bytes); "
            f"use a name of at most {limit - added} bytes"
        )
    if final.is_dir():
        raise ValidationError(
            f"cannot write {final}: it is a folder; name a file in it, e.g. "
            f"{final / ('export.' + fmt)}"
        )
    for side in (*sides, paths.checkpoint):
        if side is not None and side.is_dir():
            raise ValidationError(
                f"cannot write {final}: {side} (used while exporting) is a folder"
            )
    if not overwrite:
        refuse_finished_output(paths, resume=resume)
    if not overwrite and not resume and _left_by_an_earlier_run(paths):
        # Started again as it was, a job stopped an hour in would begin anew without a word.
        raise ValidationError(
            f"an earlier export to {final} stopped before it ended, and left its checkpoint "
            f"({paths.checkpoint}): pass resume=True to continue it, or pass overwrite=True "
            "to start again"
        )
    try:
        # The export's first write is its lock file, in that folder: a file made and gone
        # there proves it writable. Not the lock file itself: made and removed here, it could
        # be removed from under an export that has just locked it, and a third would lock a
        # new one beside it, both writing.
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        # Said of the folder: /proc's "No such file or directory" read as a missing one.
        raise ValidationError(
            f"cannot write {final}: no file can be made in {folder} ({exc.strerror or exc})"
        ) from None
    return final
