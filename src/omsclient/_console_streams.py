"""The standard streams of a command that owns its process: writes that cannot go out never
fail the command's work.

A progress line on a stderr piped into ``head`` that has exited, or on ``/dev/full``, raised in
the middle of an hour's export and stopped it; a path the terminal's encoding cannot show
(``größe.jsonl`` under ``PYTHONIOENCODING=ascii``) failed a finished job at its summary.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO

__all__ = ["Unfailing", "forgiving_streams"]


class Unfailing:
    """A text stream whose writes go nowhere, silently, once one has failed: what comes after
    a reader gone or a full disk would fail the same way."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.failed: OSError | None = None
        """The error of the first write that failed."""

    def write(self, text: str) -> int:
        """Write ``text``, unless a write failed before or this one does."""
        if self.failed is None:
            try:
                self.stream.write(text)
            except OSError as exc:
                self._fail(exc)
        return len(text)

    def flush(self) -> None:
        """Flush, unless a write failed before or the flush does."""
        if self.failed is None:
            try:
                self.stream.flush()
            except OSError as exc:
                self._fail(exc)

    def _fail(self, exc: OSError) -> None:
        self.failed = exc
        # What the stream still buffers would fail again when Python flushes it at exit, which
        # then changes the exit code to 120.
        try:
            fd = self.stream.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
        except (OSError, ValueError):
            return
        try:
            os.dup2(devnull, fd)
        except OSError:
            pass
        finally:
            os.close(devnull)  # fd now names it

    def __getattr__(self, name: str) -> Any:
        # isatty, fileno, encoding...: as the stream's own.
        return getattr(self.stream, name)


@contextlib.contextmanager
def forgiving_streams() -> Iterator[None]:
    """Until the block ends, ``sys.stdout`` and ``sys.stderr`` show what their encoding cannot
    hold as escapes, and stop writing, rather than fail, once a write to them has failed (one
    closed, ``2>&-``, stays ``None``). Both are put back after: a program running the command
    as a function keeps its own streams."""
    saved: list[tuple[str, Any, str | None]] = []
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, Unfailing):
            continue
        reconfigure = getattr(stream, "reconfigure", None)
        errors = getattr(stream, "errors", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
        saved.append((name, stream, errors if reconfigure is not None else None))
        setattr(sys, name, Unfailing(stream))
    try:
        yield
    finally:
        for name, stream, errors in saved:
            setattr(sys, name, stream)
            if errors is not None:
                stream.reconfigure(errors=errors)
