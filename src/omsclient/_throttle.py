"""Client-wide flow control shared by every request of one client."""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

import anyio
import sniffio

from omsclient._concurrency import current_loop, has_ended

__all__ = ["Throttle"]

# Seconds over which the first max_in_flight requests after a pause leave, one at a time,
# once it ends (without requests_per_second); each max_in_flight after them leave twice as
# fast, until they would be spaced by less than _RAMP_END seconds: the ramp, over within
# 2 * _RELEASE_SPREAD seconds of the pause's end.
_RELEASE_SPREAD = 1.0
_RAMP_END = 0.001

# Set once the request holding the rate slot of this context is handed to the transport: the
# exchange runs in a task of its own, which inherits the context, not the slot's frame.
_LEAVING: ContextVar[anyio.Event | None] = ContextVar("_LEAVING", default=None)


class Throttle:
    """Caps requests in flight, spaces them to a rate, and pauses everyone after a 429
    or a 503 with ``Retry-After``.

    One instance per client, so ``concurrency=`` on many iterators at once shares one budget,
    and a server's "slow down" is obeyed by every concurrent request, not only the one that
    received it.
    """

    def __init__(
        self,
        *,
        max_in_flight: int,
        requests_per_second: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # The clock the waits are measured on; a test passes its event loop's virtual one.
        self._clock = clock
        self._in_flight = anyio.CapacityLimiter(max_in_flight)
        self._rate_lock: anyio.Lock | None = None
        self._library: str | None = None
        # The event loop of the last request, weakly: one closed under its requests (see
        # has_ended) leaves their slots borrowed for good.
        self._loop: weakref.ref[object] | None = None
        self._interval = 1.0 / requests_per_second if requests_per_second else 0.0
        self._next_slot = 0.0
        self._resume_at = 0.0
        # How many requests have been let out one at a time since the last pause, and until
        # when they are (0 once the ramp is over).
        self._spaced = 0
        self._ramp_ends = 0.0
        # The last request to take a rate slot, until it goes out (see went_out).
        self._leaving: anyio.Event | None = None

    @property
    def max_in_flight(self) -> int:
        """The most requests this client has on the wire at once."""
        return int(self._in_flight.total_tokens)

    @property
    def in_flight(self) -> int:
        """Requests on the wire right now."""
        return int(self._in_flight.borrowed_tokens)

    @property
    def paused_for(self) -> float:
        """Seconds left of the pause a server asked for (0 when there is none)."""
        return max(0.0, self._resume_at - self._clock())

    def pause(self, seconds: float) -> None:
        """Hold back every request of the client for ``seconds`` from now."""
        self._resume_at = max(self._resume_at, self._clock() + seconds)
        self._spaced = 0
        self._ramp_ends = self._resume_at + 2 * _RELEASE_SPREAD

    def went_out(self) -> None:
        """Note the request of this context handed to the transport now. At a rate, the next
        goes out a whole interval later: a busy event loop (a large page being decoded) may
        hold a request between its slot and its leaving, and the next must not follow right
        behind it. The next waits for this before it takes its slot; called again as the
        request's headers go out (when the transport says so), it moves the next slot on."""
        leaving = _LEAVING.get()
        if leaving is not None:
            self._next_slot = max(self._next_slot, self._clock() + self._interval)
            leaving.set()

    def _after_a_closed_loop(self, library: str) -> bool:
        """Whether this request runs on another event loop than the last one, which has
        ended (or gone): its requests may have been left suspended there, never to give
        back what they held."""
        # asyncio's own lookup, a twentieth of anyio's, for the loop current_loop() gives.
        loop = asyncio.get_running_loop() if library == "asyncio" else current_loop()
        previous = self._loop
        if previous is not None and previous() is loop:
            return False
        try:
            self._loop = weakref.ref(loop)
        except TypeError:  # a loop that takes no weak reference: never taken for another
            self._loop = None
        return previous is not None and (previous() is None or has_ended(previous()))

    def _ramp_step(self) -> float:
        """The spacing of the next request after a pause, or 0 once the ramp is over.

        The first max_in_flight leave over a second: all at once, they would be the burst that
        brings the next 429. Each max_in_flight after them (queued for a slot meanwhile, or
        made since by callers whose answers came) leave twice as fast, as a connection's slow
        start ramps up: let out as slots freed, they left at once behind the first ones and
        beside them, and spaced alike, a thousand took a minute after a pause of one second.
        """
        wave = self._spaced // self.max_in_flight
        step = _RELEASE_SPREAD / (self.max_in_flight << wave)
        if self._clock() >= self._ramp_ends or (wave and step < _RAMP_END):
            self._ramp_ends = 0.0
            return 0.0
        return step

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for a pause to end, a rate slot and a free in-flight slot, then hold it."""
        library = sniffio.current_async_library()
        if library != self._library or self._after_a_closed_loop(library):
            # anyio's limiter works for one async library: a client used under asyncio and then
            # under trio needs a new one (nothing can be in flight on the finished loop). So
            # does one whose requests a closed loop left holding their slots and the rate lock.
            self._in_flight = anyio.CapacityLimiter(self._in_flight.total_tokens)
            self._rate_lock = anyio.Lock()
            self._leaving = None
            self._library = library
        # Borrowed for this request, not its task: a slot closed from another task (an event
        # loop's shutdown_asyncgens() finalising a fetch left running) is still given back.
        borrower, limiter = object(), self._in_flight
        await limiter.acquire_on_behalf_of(borrower)
        try:
            leaving: anyio.Event | None = None
            # Wait for the pause and the rate slot while holding the in-flight slot, and look at
            # the pause again after the rate wait: a 429 may have come in meanwhile.
            while True:
                while (wait := self._resume_at - self._clock()) > 0:  # noqa: ASYNC110 - a time, no event
                    await anyio.sleep(wait)
                # Every request takes its turn in a pause's ramp, those made since it ended
                # too: sent as a slot frees, each would overtake the ones waiting their turn.
                if self._interval or (self._ramp_ends and self._clock() < self._ramp_ends):
                    assert self._rate_lock is not None
                    # One request at a time waits for the next slot, and takes it only once the
                    # wait is over: one cancelled while it waits leaves its slot to the next,
                    # instead of holding back every later request by a slot never used.
                    async with self._rate_lock:
                        interval = self._interval or self._ramp_step()
                        if not interval:
                            break  # the pause's ramp is over
                        if self._leaving is not None:
                            # At a rate, the spacing counts from when the request before went
                            # out, which a busy loop may have held after its slot.
                            await self._leaving.wait()
                        # Looked at again after each wait: the request before, sent late,
                        # may have moved it on meanwhile (see went_out).
                        while (slot := self._next_slot) > (now := self._clock()):  # noqa: ASYNC110 - a time, no event
                            await anyio.sleep(slot - now)
                        # From when the wait ended, not when it was due: a wake made late by a
                        # busy loop would otherwise let the next request follow right behind.
                        self._next_slot = max(slot, self._clock()) + interval
                        if self._interval:
                            leaving = self._leaving = anyio.Event()
                        else:
                            # A ramp's step counted once its wait is over: one cancelled while
                            # it waits leaves its step to the next too.
                            self._spaced += 1
                if self._resume_at <= self._clock():
                    break
                if leaving is not None:
                    leaving.set()  # waiting again, it holds back no one meanwhile
            token = _LEAVING.set(leaving)
            try:
                yield
            finally:
                if leaving is not None:
                    leaving.set()  # never went out: cancelled, or failed before it was sent
                # Closed from another task (see above), the token is of another context.
                with contextlib.suppress(ValueError):
                    _LEAVING.reset(token)
        finally:
            limiter.release_on_behalf_of(borrower)
