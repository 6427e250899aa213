"""What the export and sync commands share while they run: exit codes, the credentials check,
the progress bar and error messages."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Coroutine, Iterator, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from omsclient._console_streams import Unfailing
from omsclient._redact import Redactor
from omsclient._terminal import escaped
from omsclient.dbsync import SyncProgress
from omsclient.errors import ConfigurationError, OmsError
from omsclient.export import ExportProgress

if TYPE_CHECKING:
    from rich.progress import TaskID

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "LOG_EVERY",
    "Display",
    "check_environment",
    "command_done",
    "error",
    "failure",
    "in_command_words",
    "interrupts_unwrapped",
    "note",
    "print_summary",
    "run_job",
    "scan_warnings_cited",
    "stop_job",
]

T = TypeVar("T")

EXIT_OK = 0
"""The command did what it was asked."""
EXIT_ERROR = 1
"""The server, the network, the output file or the database failed (a resume continues)."""
EXIT_USAGE = 2
"""Bad arguments or settings, or a database that cannot be opened: nothing was sent, nothing
written."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C); ``--resume`` continues."""

LOG_EVERY = 30.0
"""Seconds between the plain progress lines written where stderr is no terminal: often enough
to show a CI log that the job moves, few enough that an hour's export is 120 lines."""


def check_environment(command: str) -> None:
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
    """A rich progress bar on stderr: rows, rate, and ETA from the server's total.

    Where stderr is no terminal (a CI log, ``2> file``) no bar is drawn: a plain line every
    :data:`LOG_EVERY` seconds of the run says where it stands, and one more where it ended.
    """

    def __init__(self, kind: str, quiet: bool, verb: str = "exporting") -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.kind = kind
        self.verb = verb
        self.moved = time.monotonic()
        """When rows last came (or the display was made)."""
        # Animated on a terminal only: FORCE_COLOR, which asks for colours, made rich redraw
        # the bar in a log many times a second, in place of the plain lines.
        terminal = sys.stderr is not None and sys.stderr.isatty()
        console = Console(stderr=True, force_terminal=None if terminal else False)
        self._lines = not quiet and not terminal
        self._next_line = LOG_EVERY
        self._last: str | None = None
        """Where the run stood at its last update, as a plain line says it."""
        self._said: str | None = None
        """The last plain line written."""
        self._reading: tuple[int, int | None, int, float] | None = None
        """The rows read, the total, this run's rows and when the run began, while the run
        reads (until it is finished, or converts): its last line is written from them again."""
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            # Rows done of the total, as rich's MofNCompleteColumn writes them; none for the
            # conversion, which counts nothing ("0/?" read as nothing converted).
            TextColumn("{task.fields[count]}", style="progress.download"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            # Where stderr is no terminal, rich drew the bar once as it stopped: cut to the
            # width COLUMNS set, and an empty bar before an error that read nothing.
            disable=quiet or not terminal,
        )
        self.task = self.progress.add_task(f"{verb} {kind}", total=None, rate="", count="0/?")
        self._conversion: TaskID | None = None

    @contextlib.contextmanager
    def showing(self) -> Iterator[None]:
        """Show the bar while the run goes; where stderr is no terminal, end with a plain
        line saying where the run stood, once it has reported anything."""
        # A bar not drawn is not started either: stopping one, rich before 14.3 wrote an empty
        # line to a stderr that is no terminal (its Progress.stop ignored ``disable``).
        shown = contextlib.nullcontext() if self.progress.disable else self.progress
        try:
            with shown:
                yield
        finally:
            if self._reading is not None:
                # Ended (interrupted, failed) a while after its last batch, a server not
                # answering: that batch's rate and clock would say it went on reading.
                self._last = self._reading_line(time.monotonic() - self._reading[3])
            # Not twice: a run interrupted after a line, before another batch.
            if self._lines and self._last is not None and self._last != self._said:
                self._say(self._last)

    def _say(self, line: str) -> None:
        self._said = line
        note(line)

    def finished(self, done: float | None = None) -> None:
        """Fill the bar at ``done`` rows, by default the rows read: the run read everything
        its query holds, fewer than counted at its start when some left meanwhile."""
        if done is None:
            done = self.progress.tasks[0].completed
        if self._conversion is not None:
            self.progress.remove_task(self._conversion)  # done, as the file is
            self._conversion = None
        self._reading = None
        self.progress.update(self.task, completed=done, total=done, count=_count(done, done))
        rate = self.progress.tasks[0].fields["rate"]
        self._last = f"{self.verb} {self.kind}: {int(done):,}/{int(done):,} (100%)"
        if rate:
            self._last += f", {rate}"

    @property
    def stored(self) -> int:
        """The rows a sync reported stored so far (every batch is committed before)."""
        return int(self.progress.tasks[0].completed)

    def update_sync(self, done: SyncProgress) -> None:
        self._show(done.read, done.total, done.read, done.elapsed)

    def update(self, done: ExportProgress) -> None:
        if done.converting:
            self._converting(done)
            return
        self._show(done.exported, done.total, done.this_run, done.elapsed)

    def _converting(self, done: ExportProgress) -> None:
        """Every row read, converted to Parquet now: a bar of its own pulses with its clock
        running (the reading's, at its end, stopped both, and looked hung for the minute a
        large file takes)."""
        self.moved = time.monotonic()
        self._reading = None
        what = f"converting {self.kind} to Parquet"
        if self._conversion is None:
            self._conversion = self.progress.add_task(what, total=100, rate="", count="")
        share = done.converted or 0.0
        self.progress.update(self._conversion, completed=100 * share)
        clock = _clock(done.elapsed)
        # Rounded down, as the reading's share: 100% is for the end alone.
        self._last = f"{what}: {done.exported:,} {self.kind} ({int(100 * share)}%), {clock} elapsed"
        if self._due(done.elapsed):
            self._say(self._last)

    def _show(self, completed: int, total: int | None, this_run: int, elapsed: float) -> None:
        self.moved = time.monotonic()
        self._reading = (completed, total, this_run, self.moved - elapsed)
        # A server that sends no total: the bar runs without an end, the line says no share.
        # Nor once the rows read pass the count taken at the start: 100% is for the end alone.
        known = _known_end(completed, total)
        self.progress.update(
            self.task,
            completed=completed,
            total=known,
            rate=self._rate(this_run, elapsed),
            count=_count(completed, known),
        )
        self._last = self._reading_line(elapsed)
        if self._due(elapsed):
            self._say(self._last)

    def _rate(self, rows: int, elapsed: float) -> str:
        return f"{rows / elapsed if elapsed > 0 else 0.0:,.0f} {self.kind}/s"

    def _reading_line(self, elapsed: float) -> str:
        """The plain line saying where the reading stands ``elapsed`` seconds into the run."""
        assert self._reading is not None
        completed, counted, this_run, _ = self._reading
        total = _known_end(completed, counted)
        share = "" if total is None else f"/{total:,}"
        if total:
            share += f" ({completed * 100 // total}%)"  # rounded down
        elif counted is not None:
            share += f" (past the {counted:,} counted at the start)"
        rate, clock = self._rate(this_run, elapsed), _clock(elapsed)
        return f"{self.verb} {self.kind}: {completed:,}{share}, {rate}, {clock} elapsed"

    def _due(self, elapsed: float) -> bool:
        """Whether a plain line is due ``elapsed`` seconds into the run (a log's, every
        :data:`LOG_EVERY` seconds); the next is then due that much later."""
        if not self._lines or elapsed < self._next_line:
            return False
        self._next_line = elapsed + LOG_EVERY
        return True


def _known_end(completed: int, counted: int | None) -> int | None:
    """The rows a run ends at, as far as known: the count taken at its start, unless the rows
    read have passed it (orders arrived or changed since), or there is none."""
    return None if counted is not None and completed > counted else counted


def _clock(elapsed: float) -> str:
    """``elapsed`` seconds as a line says them: ``1:05``."""
    minutes, seconds = divmod(int(elapsed), 60)
    return f"{minutes}:{seconds:02d}"


def _count(done: float, total: float | None) -> str:
    """Rows done of the total: `` 1200/50000`` (padded to the total's width, as rich's
    MofNCompleteColumn writes it, so that the columns after it hold still), ``1200/?``."""
    if total is None:
        return f"{int(done)}/?"
    of = str(int(total))
    return f"{int(done):{len(of)}d}/{of}"


class _Job:
    """The job :func:`run_job` runs in the main thread, for :func:`stop_job` to stop."""

    def __init__(self) -> None:
        self.task: asyncio.Task[Any] | None = None  # None until its loop has started
        self.stopping = False


_running: _Job | None = None
"""Only the main thread's: signals are handled there, and a job run in another thread is its
program's to stop."""

_done = False
"""Whether the main thread's command has done its job and said so: it only ends now."""

Asked = Literal["asked", "asked before", "done"]


def command_done(done: bool = True) -> None:
    """Say that the command has done its job and said all it had to (``done``), or that a
    command begins (not ``done``): from its last line to the process's end, a Ctrl-C or SIGTERM
    taken as one before the job came out as "interrupted" and exit 130, after the summary
    of a complete job. :func:`stop_job` answers "done" meanwhile."""
    global _done
    if threading.current_thread() is threading.main_thread():
        _done = done


@contextlib.contextmanager
def interrupts_unwrapped() -> Iterator[None]:
    """A Ctrl-C or SIGTERM raised as an import defines a class, raised as itself: Python 3.10 and
    3.11 raise what ``__set_name__`` raises as the cause of a RuntimeError (starlette's
    dataclasses as the sandbox starts), which the command's own handling of an interrupt, and
    its line saying what to run next, missed."""
    try:
        yield
    except RuntimeError as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):
            raise exc.__cause__ from None
        raise


def run_job(job: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(job)``, stopped by a Ctrl-C or :func:`stop_job` with a cancel.

    The job's own code then says what it kept, and KeyboardInterrupt is raised here, as
    asyncio.run does on a Ctrl-C from Python 3.11 on (3.10's raised it wherever the loop ran).
    One while the loop starts stops the job before it begins; one once the job has ended lets
    the loop close and the result stand. A second Ctrl-C raises KeyboardInterrupt at once, as
    asyncio.run's does, where Python's own handler was in place (a program calling the
    command); the loop then reports no task it cut into: the command's own line says all there
    is.
    """
    try:
        return _stoppably(job)
    finally:
        if inspect.getcoroutinestate(job) == inspect.CORO_CREATED:
            job.close()  # stopped before it began: no "never awaited" warning


def _stoppably(job: Coroutine[Any, Any, T]) -> T:
    global _running
    running = _Job()
    ctrl_c_stops_it = False

    async def stoppable() -> T:
        asyncio.get_running_loop().set_exception_handler(_unless_interrupted)
        running.task = asyncio.current_task()
        if running.stopping:
            raise asyncio.CancelledError
        return await job

    try:
        if threading.current_thread() is threading.main_thread():
            _running = running
            ctrl_c_stops_it = signal.getsignal(signal.SIGINT) is signal.default_int_handler
        if ctrl_c_stops_it:
            signal.signal(signal.SIGINT, _on_ctrl_c)
        return asyncio.run(stoppable())
    except asyncio.CancelledError:
        if running.stopping:
            raise KeyboardInterrupt from None
        raise
    finally:
        if _running is running:
            _running = None
        if ctrl_c_stops_it:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def stop_job() -> Asked | None:
    """Ask the job :func:`run_job` runs in the main thread to stop, as a Ctrl-C does: whether
    this asked, it was asked before, "done" where the command has done its job (see
    :func:`command_done`), or None where none runs.

    For a signal handler: a KeyboardInterrupt raised there cuts into whatever code runs, an
    anyio task group's exit or asyncio's own start included, which then fail on what comes
    later. The cancel lets each part stop at its next await, as asyncio.run stops a job on a
    Ctrl-C.
    """
    job = _running
    if job is None:
        return "done" if _done else None
    if job.stopping:
        return "asked before"
    job.stopping = True
    if job.task is not None and not job.task.done():
        job.task.cancel()
        # A loop waiting in select() goes on waiting once a signal's handler has run.
        job.task.get_loop().call_soon_threadsafe(lambda: None)
    return "asked"


def _on_ctrl_c(signum: int, frame: FrameType | None) -> None:
    if stop_job() != "asked":  # none runs, or a second one: at once, as asyncio.run's
        raise KeyboardInterrupt


def _unless_interrupted(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    if not isinstance(context.get("exception"), KeyboardInterrupt):
        loop.default_exception_handler(context)


def error(message: str) -> None:
    """Say on stderr why the command failed."""
    _say(f"error: {message}")


def failure(exc: OmsError) -> str:
    """``exc``'s message, with the attempts the client made when it tried more than once: a
    user reading only "failed with HTTP 500" would think nothing was tried again."""
    attempts = getattr(exc, "attempts", 1)
    return f"{exc} (after {attempts} attempts)" if attempts > 1 else str(exc)


_COMMAND_WORDS = (
    ("pass overwrite=True", "add --overwrite"),
    # A library call without resume starts again; the command refuses the checkpoint left.
    ("start again without resume", "add --overwrite to start again"),
    ("pass resume=True", "add --resume"),
    ('transport="aiohttp"', "--transport aiohttp"),
    ('transport="httpx"', "--transport httpx"),
)


def in_command_words(message: str) -> str:
    """``message`` as the command's user reads it: the client speaks of its Python
    arguments, where the user typed options (or left them to their defaults)."""
    for python, command in _COMMAND_WORDS:
        message = message.replace(python, command)
    return message


def note(message: str) -> None:
    """Say on stderr something the user should know of a command that did its work."""
    _say(message)


def _say(message: str) -> None:
    if sys.stderr is None:
        # Closed (2>&-): print() would fall back to stdout, which may be a pipe of data. The
        # exit code still says what happened.
        return
    # Errors from the client are redacted already; this also covers every other message.
    # A token set with its scheme is refused for it: the scheme is no secret, and the refusal
    # quotes it ("the client sends 'Bearer ' before it").
    token = re.sub(r"^\s*bearer\s+", "", os.environ.get("OMS_API_TOKEN") or "", flags=re.I)
    redact = Redactor([os.environ.get("OMS_PASSWORD"), token])
    # Line breaks kept: a message and the advice after it are lines of their own.
    print(f"omsclient: {escaped(redact(message), lines=True)}", file=sys.stderr)


def scan_warnings_cited(misses: Sequence[str], earlier_run: str | None) -> str:
    """A summary's pointer to the scan's warnings that gave ``misses``, their causes: "see the
    warning above: the server's time zone". ``earlier_run`` is how the summary names a run this
    one continues ("resumed"), whose scan may have warned instead, or None for none."""
    warnings = "warning" if len(misses) == 1 else "warnings"
    where = (
        f"the {warnings} above"
        if earlier_run is None
        else f"the scan's {warnings} in this run or the one it {earlier_run}"
    )
    return f"see {where}: {'; '.join(misses)}"


def print_summary(title: str, rows: list[tuple[str, str]]) -> None:
    """Print a job's summary on stdout, a table of ``rows`` (name, value).

    Values are text as it is (a path holding ``[bold]`` is no markup), wrapped, never cut, at
    any width. A stdout that takes no more (a reader gone, ``| head``, or a full disk) fails no
    job: the work is done, and the exit code says so; a full disk is noted on stderr.
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_header=False)
    # Both wrap, never cut: a name kept on one line took a narrow terminal's every column, the
    # values none.
    table.add_column(style="bold", overflow="fold")
    table.add_column(overflow="fold")
    # A character stdout's encoding cannot hold is written as its escape (\xe9, four cells
    # for one): laid out as that, so the table keeps its borders and the terminal's width.
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    for name, value in rows:
        shown = escaped(value).encode(encoding, "backslashreplace").decode(encoding)
        table.add_row(name, Text(shown))
    stdout = sys.stdout
    try:
        Console().print(table)
        if stdout is not None:
            stdout.flush()
    except KeyboardInterrupt:  # a Ctrl-C or SIGTERM as the job ended: it is done
        note("interrupted as the summary was printed; the job was complete")
        return
    failed = stdout.failed if isinstance(stdout, Unfailing) else None
    if failed is not None and not isinstance(failed, BrokenPipeError):
        note(f"the summary could not be written to stdout: {failed.strerror or failed}")
