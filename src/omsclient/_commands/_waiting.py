"""A line on stderr when the server stops answering: what the command waits for, and which
attempt it is on. While it waits out a pause the server asked for (a 429, a 503 with
Retry-After), the line says that instead: the server did answer; so it does after an attempt
answered with an error (a 503), naming its status.

A server that takes the connection and never answers would otherwise leave the progress bar
still for minutes: every attempt waits out the read timeout (60 s by default), and the
retries follow, before the command gives up with an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from omsclient._commands._advice import site
from omsclient._commands._running import Display, note

if TYPE_CHECKING:
    import omsclient

__all__ = ["WAIT_NOTICE", "waiting"]

WAIT_NOTICE = 5.0
"""Seconds without progress, with a request in flight, before a line says what it waits for."""

_TICK = 1.0


class _Watch(logging.Filter):
    """Reads the client's retry records (at INFO) for the attempt that comes next, and passes
    on to the handlers only the records the logger took before the command asked for INFO.

    A filter of the ``omsclient`` logger, not a handler: a program calling the command as a
    function (``cli.main()``) got the retry records at INFO in its own handlers for the whole
    run.
    """

    def __init__(
        self, oms: omsclient.AsyncClient, display: Display, shown_from: int = logging.NOTSET
    ) -> None:
        super().__init__()
        self.site = site(oms.settings.legacy_url)
        self.attempts = oms.retry_policy.max_retries + 1
        # The command's own client: the only one whose calls it waits for.
        self.lifecycle = oms._session.lifecycle
        self.display = display
        self.shown_from = shown_from
        self.started = time.monotonic()
        self.seen = display.moved
        self.attempt = 1
        self.shown = 0
        self.pause = 0.0
        self.pause_ends = 0.0
        self.answered: int | None = None
        """The HTTP status of the attempt retried, None when it got no answer."""
        self.slow_said = False

    def filter(self, record: logging.LogRecord) -> bool:
        next_attempt = getattr(record, "next_attempt", None)
        if isinstance(next_attempt, int):
            self._catch_up()  # rows that came before this retry say nothing of it
            self.attempt = max(self.attempt, next_attempt)
            self.attempts = getattr(record, "max_attempts", self.attempts)
            pause = getattr(record, "pause", None)
            self.pause = pause if isinstance(pause, (int, float)) else 0.0
            self.pause_ends = time.monotonic() + self.pause
            status = getattr(record, "status_code", None)
            self.answered = status if isinstance(status, int) else None
            self.check()
        return record.levelno >= self.shown_from

    def _catch_up(self) -> None:
        if self.display.moved != self.seen:
            # Rows came: whatever was waited for has answered. Not the retry a pause holds
            # back (every request waits it out): rows of other windows say nothing of it.
            self.seen, self.shown = self.display.moved, 0
            if time.monotonic() >= self.pause_ends:
                self.attempt, self.answered = 1, None

    def check(self) -> None:
        self._catch_up()
        paused = time.monotonic() < self.pause_ends
        stalled = time.monotonic() - max(self.seen, self.started) >= WAIT_NOTICE
        # A first attempt slow to answer is said once a run: a server that takes longer than
        # the notice for every page is slow, not failing, and a line a page would be noise.
        first_again = self.attempt == 1 and self.slow_said and not paused
        if stalled and self.lifecycle.busy and self.attempt > self.shown and not first_again:
            self.shown = self.attempt
            attempt = f"attempt {self.attempt} of {max(self.attempts, self.attempt)}"
            if paused:
                note(
                    f"{self.site} asked to slow down: waiting {round(self.pause, 1):g} s "
                    f"before {attempt}"
                )
            elif self.answered is not None and self.attempt > 1:
                # It did answer, at once maybe: "waiting for it to answer" read as a hang.
                note(f"{self.site} answered HTTP {self.answered}: trying again ({attempt})")
            else:
                self.slow_said = self.slow_said or self.attempt == 1
                note(f"waiting for {self.site} to answer ({attempt})")


class _Said(logging.Handler):
    """The client's warnings, in a process with no handler of its own, as the command's other
    lines: Python's last resort wrote them bare, which a shared log could not tell from
    another program's."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        note(f"{record.levelname.lower()}: {self.format(record)}")


@contextlib.contextmanager
def _warnings_said() -> Iterator[None]:
    """While the block runs, the client's warnings come as the command's lines (see
    :class:`_Said`) where the process has no logging handler of its own."""
    logger = logging.getLogger("omsclient")
    said = None if logger.hasHandlers() else _Said()
    if said is not None:
        logger.addHandler(said)
    try:
        yield
    finally:
        if said is not None:
            logger.removeHandler(said)


@contextlib.asynccontextmanager
async def waiting(oms: omsclient.AsyncClient, display: Display, quiet: bool) -> AsyncIterator[None]:
    """While the block runs, say so when ``oms`` waits on its server without progress (not
    when ``quiet``), and give the client's warnings the command's prefix (quiet or not)."""
    with _warnings_said():
        if quiet:
            yield
            return
        logger = logging.getLogger("omsclient")
        level = logger.level
        watch = _Watch(oms, display, shown_from=logger.getEffectiveLevel())
        # The retry records are made only for a logger that takes INFO; the watch keeps those
        # below the level it had from the handlers.
        if not logger.isEnabledFor(logging.INFO):
            logger.setLevel(logging.INFO)
        logger.addFilter(watch)

        async def tick() -> None:
            while True:
                await asyncio.sleep(_TICK)
                watch.check()

        ticker = asyncio.create_task(tick())
        try:
            yield
        finally:
            ticker.cancel()
            logger.removeFilter(watch)
            logger.setLevel(level)
