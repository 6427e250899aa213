"""The ``omsclient`` console script: :func:`omsclient.cli.main`, and a Ctrl-C while it starts
ended as the command ends one, with exit code 130 and a line instead of a traceback.

Starting takes a few tenths of a second, nearly all of it importing the client (httpx, rich,
cattrs...). This module lives outside the package because importing anything inside it first
imports ``omsclient`` itself, before any code of the package could catch the Ctrl-C.
"""

from __future__ import annotations

import signal
import sys

__all__ = ["main"]

EXIT_INTERRUPTED = 130  # omsclient.cli.EXIT_INTERRUPTED, which is not imported yet


def _interrupted() -> int:
    """Say that the command was interrupted before it began; its exit code."""
    if sys.stderr is not None:  # closed (2>&-): the exit code says it
        print("omsclient: interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED


def main() -> int:
    """Run the ``omsclient`` command with the process arguments."""
    try:
        from omsclient.cli import main as run
    except KeyboardInterrupt:
        return _interrupted()
    code = run()
    # The command has ended and said how: a Ctrl-C or a SIGTERM while Python tears down
    # (a few tenths of a second, freeing what the modules hold) would end the process by that
    # signal, with its status instead of this exit code and no line.
    for ending in (signal.SIGINT, signal.SIGTERM):
        signal.signal(ending, signal.SIG_IGN)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
