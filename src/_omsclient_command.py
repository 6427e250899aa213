"""The ``omsclient`` console script: :func:`omsclient.cli.main`, and a Ctrl-C while it starts
ended as the command ends one, with exit code 130 and a line instead of a traceback.

A SIGTERM (``kill``, ``timeout``, ``systemctl stop``, ``docker stop``) is taken as a Ctrl-C, here
and not in :func:`omsclient.cli.main`, which a program may call with signal handlers of its
own: its default ends the process at once, with no line saying what was kept or what to run
next, an exit status the command's table does not list, and the sandbox left running. A
second Ctrl-C or SIGTERM while the job stops ends the process at once (a SIGTERM right after
the first is the same request sent twice, see :data:`SAME_TERM_SECONDS`).

Starting takes a few tenths of a second, nearly all of it importing the client (httpx, rich,
cattrs...). This module lives outside the package because importing anything inside it first
imports ``omsclient`` itself, before any code of the package could catch the Ctrl-C.
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130  # omsclient.cli.EXIT_INTERRUPTED, which is not imported yet

try:
    # A hundredth of a second before main() runs: a Ctrl-C then is ended as one while the
    # client is imported, not with a traceback of these lines.
    import atexit
    import contextlib
    import functools
    import os
    import signal
    import threading
    import time
    from typing import TYPE_CHECKING
except KeyboardInterrupt:
    if sys.stderr is not None:
        print("omsclient: interrupted", file=sys.stderr)
    raise SystemExit(EXIT_INTERRUPTED) from None

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType
    from typing import NoReturn

__all__ = ["main"]


def _interrupted() -> int:
    """Say that the command was interrupted before it began; its exit code."""
    if sys.stderr is not None:  # closed (2>&-): the exit code says it
        print("omsclient: interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED


class _Stop(KeyboardInterrupt):
    """What a Ctrl-C or SIGTERM raises where no job runs. Of a type of its own: ``python -m``
    ends the process by SIGINT (status -2, not the command's exit code) once a KeyboardInterrupt
    itself has left an ``exec()`` of source text (a dataclass or namedtuple an import makes),
    even one the command then caught. It checks for that exact type."""


SAME_TERM_SECONDS = 0.5
"""A SIGTERM this soon after another is the same request: coreutils' ``timeout`` sends one to
the command, then one to its whole process group, the command included."""
_last_term: list[float] = []


def _interrupt(signum: int, frame: FrameType | None) -> None:
    if signum == signal.SIGTERM:
        now = time.monotonic()
        if _last_term and now - _last_term[0] < SAME_TERM_SECONDS:
            return
        _last_term[:] = [now]
    _interrupts[0] += 1  # one taken: a dropped one is not sent again (not the same twice)
    # The running job is cancelled, as for a Ctrl-C, even where SIGINT is ignored (a background
    # job of a script): a KeyboardInterrupt raised here would cut into whatever code runs now.
    # Looked up, not imported: the module may be half imported yet.
    stop_job = getattr(sys.modules.get("omsclient._commands._running"), "stop_job", None)
    asked = None if stop_job is None else stop_job()
    if asked == "asked before":
        _stop_at_once()
    # "done": the command did its job and said so; the process only ends now, with exit 0.
    if asked is None:
        raise _Stop(signum)  # no job runs yet, or no more: the command catches one


RESEND_SECONDS = 0.05
"""How long after Python dropped a :class:`_Stop` its signal is sent again (see
:func:`_raised_where_dropped`)."""
_interrupts = [0]  # the signals _interrupt has taken so far (not one sent twice)


def _raised_where_dropped(unraisable: sys.UnraisableHookArgs) -> None:
    """``sys.unraisablehook`` while the command runs. A :class:`_Stop` raised inside a finalizer
    or a weak reference's callback (the sandbox's, freed as it serves) is printed and dropped
    by Python, and the Ctrl-C or SIGTERM was lost: the sandbox served on until killed. Its
    signal is sent again a moment later, once the interrupted code goes on (sent from here, it
    would be handled here, and dropped again), unless another came meanwhile."""
    stop = unraisable.exc_value
    if isinstance(stop, _Stop) and stop.args and signal.getsignal(stop.args[0]) is _interrupt:
        seen = _interrupts[0]

        def resend() -> None:
            if _interrupts[0] == seen:
                _last_term.clear()  # not the same request sent twice: the first was lost
                os.kill(os.getpid(), stop.args[0])

        timer = threading.Timer(RESEND_SECONDS, resend)
        timer.daemon = True
        timer.start()
        return
    _unraisable_before(unraisable)


_unraisable_before = sys.unraisablehook


def _stop_at_once() -> NoReturn:
    """End the process now: a second signal while the job stops.

    What its stopping waits for (a statement the database has yet to end, a server that does
    not answer) would hold it, and an exception raised into that clean-up cut it short: a
    connection closed under its statement crashed the process, a worker thread left waiting
    hung its exit. What the job saved is safe as at a power cut: an export resumes from its
    checkpoint, a database rolls back the transaction under way.
    """
    line = (
        "omsclient: error: interrupted again: stopped at once; run the same command to continue "
        "(an export with --resume)\n"
    )
    # To the file itself: sys.stderr is the progress bar's proxy while it runs, which held the
    # line back or drew the bar after it.
    with contextlib.suppress(OSError):  # closed (2>&-): the exit code says it
        if os.isatty(2):
            os.write(2, b"\r\x1b[2K\x1b[?25h")  # the bar's line cleared, the cursor it hid shown
        else:
            line = "\n" + line
        os.write(2, line.encode())
    os._exit(EXIT_INTERRUPTED)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``omsclient`` command with ``argv`` (default: the process arguments)."""
    try:
        _take_signals()
        from omsclient.cli import main as run
    except (KeyboardInterrupt, RuntimeError) as exc:
        if not _interruption(exc):
            raise
        _ignore_endings()  # nothing runs yet that a second one would need to stop
        return _interrupted()
    try:
        code = run(argv)
    except (KeyboardInterrupt, RuntimeError) as exc:  # past the command's own handling of them
        if not _interruption(exc):
            raise
        code = _interrupted()
    if code == 0:
        _ignore_endings()
    else:
        # After an interrupt, a thread the interrupt left waiting can hold up Python's exit:
        # another Ctrl-C or SIGTERM ends it at once, with the command's exit code.
        for ending in (signal.SIGTERM, signal.SIGINT):
            if signal.getsignal(ending) is _interrupt:
                signal.signal(ending, functools.partial(_exit_now, code))
        # Once the threads are done: Python then puts every signal with a handler of its own
        # back to the system's default while it frees the modules (a tenth of a second), which
        # would end the process by the signal, its exit code lost. An ignored one stays so.
        atexit.register(_ignore_endings)
    return code


def _take_signals() -> None:
    """Take SIGTERM and SIGINT as the command takes them, and what Python drops of them."""
    global _unraisable_before
    _last_term.clear()
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:  # not one the caller set
        signal.signal(signal.SIGTERM, _interrupt)
    # Where Python's own is: one ignored (a background job of a script) stays ignored.
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt)
    if sys.unraisablehook is not _raised_where_dropped:
        _unraisable_before, sys.unraisablehook = sys.unraisablehook, _raised_where_dropped


def _interruption(exc: BaseException) -> bool:
    """Whether ``exc`` is the KeyboardInterrupt of a Ctrl-C or SIGTERM.

    Python 3.10 and 3.11 raise what ``__set_name__`` raised as the cause of a RuntimeError: the
    interrupt, raised while an import defined a dataclass (starlette's, as the sandbox starts),
    came out as "Error calling __set_name__" and a traceback.
    """
    return isinstance(exc, KeyboardInterrupt) or isinstance(exc.__cause__, KeyboardInterrupt)


def _exit_now(code: int, signum: int, frame: FrameType | None) -> NoReturn:
    os._exit(code)


def _ignore_endings() -> None:
    """Ignore SIGTERM and SIGINT: the command has done its job and said so, and one of them
    while Python tears down (a few tenths of a second, freeing what the modules hold) would end the
    process by that signal, with its status instead of the command's exit code and no line."""
    for ending in (signal.SIGTERM, signal.SIGINT):
        signal.signal(ending, signal.SIG_IGN)


if __name__ == "__main__":
    raise SystemExit(main())
