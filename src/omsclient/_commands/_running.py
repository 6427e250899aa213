"""What the export and sync commands share while they run: exit codes, the credentials check,
the progress bar and error messages."""

from __future__ import annotations

import os
import sys
from typing import Any

from omsclient._redact import Redactor
from omsclient.dbsync import SyncProgress
from omsclient.errors import ConfigurationError
from omsclient.export import ExportProgress

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Display",
    "check_environment",
    "error",
    "note",
    "print_summary",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def check_environment(command: str) -> None:
    import os

    missing = [
        name
        for name in ("OMS_LEGACY_URL", "OMS_USERNAME", "OMS_PASSWORD")
        if not os.environ.get(name, "").strip()  # blank is as good as unset
    ]
    if missing:
        raise ConfigurationError(
            f"set {', '.join(missing)} in the environment (see omsclient {command} --help), "
            "or try --sandbox"
        )


class Display:
    """A rich progress bar on stderr: rows, rate, and ETA from the server's total."""

    def __init__(self, kind: str, quiet: bool, verb: str = "exporting") -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.kind = kind
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=quiet,
        )
        self.task = self.progress.add_task(f"{verb} {kind}", total=None, rate="")

    def finished(self) -> None:
        """Fill the bar at the rows read: the run read everything its query holds, fewer than
        counted at its start when some left meanwhile."""
        done = self.progress.tasks[0].completed
        self.progress.update(self.task, completed=done, total=done)

    @property
    def stored(self) -> int:
        """The rows a sync reported stored so far (every batch is committed before)."""
        return int(self.progress.tasks[0].completed)

    def update_sync(self, done: SyncProgress) -> None:
        rate = done.read / done.elapsed if done.elapsed > 0 else 0.0
        self.progress.update(
            self.task,
            completed=done.read,
            total=max(done.total, done.read),
            rate=f"{rate:,.0f} {self.kind}/s",
        )

    def update(self, done: ExportProgress) -> None:
        rate = done.this_run / done.elapsed if done.elapsed > 0 else 0.0
        self.progress.update(
            self.task,
            completed=done.exported,
            total=max(done.total, done.exported),
            rate=f"{rate:,.0f} {self.kind}/s",
        )


def error(message: str) -> None:
    """Say on stderr why the command failed."""
    _say(f"error: {message}")


def note(message: str) -> None:
    """Say on stderr something the user should know of a command that did its work."""
    _say(message)


def _say(message: str) -> None:
    if sys.stderr is None:
        # Closed (2>&-): print() would fall back to stdout, which may be a pipe of data. The
        # exit code still says what happened.
        return
    # Errors from the client are redacted already; this also covers every other message.
    redact = Redactor([os.environ.get("OMS_PASSWORD"), os.environ.get("OMS_API_TOKEN")])
    print(f"omsclient: {redact(message)}", file=sys.stderr)


def print_summary(table: Any) -> None:
    """Print a job's summary on stdout. A reader that has gone (``| head``) fails no job: the
    work is done, and the exit code says so."""
    from rich.console import Console

    def reader_gone() -> None:
        # rich's own answer is to exit 1, which the commands use for a failed job. Later writes
        # (Python flushes stdout at exit) go nowhere instead of failing again.
        console.quiet = True
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    console = Console()
    console.on_broken_pipe = reader_gone  # type: ignore[method-assign]
    console.print(table)
