"""An event loop in a daemon thread that other threads hand coroutines to.

The blocking :class:`~omsclient.Client` runs its ``AsyncClient`` here. The thread is a daemon,
so a client nobody closed never keeps the interpreter alive; a finalizer closes such a client
properly (its connections, then the loop) when it is collected or the interpreter exits.

The client's objects (the client, its ``with_options`` views, ``oms.legacy.orders``, a bound
method, an iterator, a scan) reach the loop through one :class:`LoopHandle`, and the finalizer
watches that handle, not the ``Client``: whichever of them lives longest keeps the client open.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import gc
import logging
import math
import os
import select
import selectors
import sys
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from concurrent.futures import CancelledError, Future
from typing import Any, Generic, TypeVar

import anyio
import sniffio
from anyio.from_thread import BlockingPortal

from omsclient._calls import cancelled_by_closing
from omsclient._latch import Latch
from omsclient._lifecycle import CLOSED, CLOSED_DURING, CutShort, heard_cut_short
from omsclient._process_bound import InsideAClient
from omsclient._session import MAYBE_APPLIED
from omsclient.errors import ClientClosedError

__all__ = ["LoopHandle", "LoopThread"]

T = TypeVar("T")

logger = logging.getLogger("omsclient")

# What it did is not known here, only that it was running: a write's error must say what to
# do next (resilience.md), and the call may be run() code that wrote.
_CLOSED_DURING = (
    f"{CLOSED_DURING}; if it wrote, the server may have applied it: look before sending it again"
)
_FORKED = (
    "this client was created before fork(); its event loop thread stayed in the parent "
    "process: make a new Client in the child"
)

_ON_LOOP = (
    "a blocking call from the client's own event loop thread, which would wait for itself: "
    "a progress callback of a blocking export or sync and the code given to run() run there. "
    "Await the AsyncClient's method in run(), or make the call from another thread"
)

_ENDED = (
    "the client's event loop has ended: code run on it let an exception that ends a thread "
    "(SystemExit, KeyboardInterrupt) escape a task of its own. Close this Client and make a "
    "new one"
)

_SLICE = 0.05
"""Seconds a thread waiting for a call waits at a time, between its checks that the loop still
runs (one that ended never tells it the call is over). An exception raised in the thread while
it waits is the :class:`~omsclient._latch.Latch`'s to let in."""

_LEFT_WAIT = 5.0
"""Seconds a thread closing an iteration left unfinished waits for the loop to close it, after
which the loop finishes that alone (see :meth:`LoopThread._close_left`)."""

_ENDING = 1.0
"""Seconds to wait for the loop's thread to end, once the loop has refused or cancelled a
call while the client is open: it ends only when code on it ended it."""

_collecting = threading.local()
"""``now`` is true in a thread while the cycle collector runs in it."""


def _note_collection(phase: str, info: dict[str, int]) -> None:
    _collecting.now = phase == "start"


def _watch_collections() -> None:
    """Have every collection noted from now on (see :func:`_in_collection`), once.

    The cycle collector finalises what it frees in whichever thread set it off, in the middle
    of whatever that thread was doing: inside a logging handler holding its lock (formatting a
    traceback allocates), which the loop's own log lines then wait for. A close waited for
    there waits for ever, and every call of the client with it. Added with the first loop
    thread, not on import: a signal handler's exception raised in the callback is dropped by
    the collector, and the command's Ctrl-C while it started was lost so (no program without
    a blocking client needs it either).
    """
    if _note_collection not in gc.callbacks:  # two threads adding it at once: harmless
        gc.callbacks.append(_note_collection)


def _in_collection() -> bool:
    """Whether the cycle collector is running in this thread (finalising what it freed)."""
    return getattr(_collecting, "now", False)


_live: weakref.WeakSet[LoopThread] = weakref.WeakSet()
"""Every loop thread not yet collected, for the fork hook below."""


def _forked_child() -> None:
    # fork() copies only the thread that called it: in the child, every loop thread of the
    # parent is gone, and a call or a close() handed to one would wait for ever (at exit too,
    # through the finalizer). Mark them: calls raise, close() does nothing. The pool's sockets
    # are the parent's connections; the child leaves them alone.
    loops = list(_live)
    for loop in loops:  # all first: nothing below may keep one from refusing its calls
        loop.forked = True
        loop.closed = True
    for loop in loops:
        if loop.event_loop is not None and loop.selector is not None:
            # What the parent's connections report when the child's exit collects them
            # (aiohttp's "Unclosed client session") is about the parent's, not the child's to
            # close: it is not printed by every child.
            loop.event_loop.set_exception_handler(_unheard)
            _unshare(loop.selector)


def _unheard(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """An exception handler that reports nothing."""


def _unshare(selector: selectors.BaseSelector) -> None:
    """Point a forked child's copy of its parent's epoll instance at an empty one of its own.

    The copy is the parent's instance itself: a connection the child's exit collects unclosed
    (aiohttp's connector closes each one) takes its socket out of it, and the parent's loop
    never hears of that connection's answers again. kqueue is not inherited, and the other
    selectors share nothing with the parent.
    """
    if sys.platform == "linux" and isinstance(selector, selectors.EpollSelector):
        own = select.epoll()
        try:
            os.dup2(own.fileno(), selector.fileno())
        except (OSError, ValueError):  # closed already (a closed epoll's fileno() is a ValueError)
            pass
        finally:
            own.close()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_forked_child)


class LoopThread(InsideAClient):
    """One asyncio event loop running in a daemon thread until :meth:`stop`."""

    def __init__(self, name: str) -> None:
        self.closed: bool = False
        self.forked = False
        self._shut_down = Latch()
        self._closer: threading.Thread | None = None
        self._close_error: BaseException | None = None
        self._started: Future[BlockingPortal] = Future()
        # The cancel scopes of the calls running on the loop (touched there only): a close
        # cancels them first, so that a job between two requests stops at once too.
        self._running: set[anyio.CancelScope] = set()
        self._calls: anyio.abc.TaskGroup | None = None
        self.selector: selectors.BaseSelector | None = None
        self.event_loop: asyncio.AbstractEventLoop | None = None
        _watch_collections()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        try:
            self._thread.start()
            self._portal = self._started.result()
            _live.add(self)
        except BaseException:
            # Ctrl-C while the loop starts: nothing would ever stop a loop left running, and
            # its thread would outlive the client that never was.
            self._give_up_start()
            raise

    def _give_up_start(self) -> None:
        """Stop the loop the constructor gave up waiting for, then wait for its thread."""
        if not self._started.cancel():  # the loop runs (or failed) already: stop it
            with contextlib.suppress(Exception):
                portal = self._started.result()
                portal.call(portal.stop)
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        try:
            if hasattr(os, "fork"):
                anyio.run(self._serve, backend_options={"loop_factory": self._new_loop})
            else:  # the platform's own loop (Windows: the proactor)
                anyio.run(self._serve)
        except BaseException as exc:  # the loop could not start: tell the waiting constructor
            if not self._started.done():
                self._started.set_exception(exc)
            raise

    def _new_loop(self) -> asyncio.AbstractEventLoop:
        """asyncio's selector loop, on a selector kept for :func:`_forked_child`."""
        self.selector = selectors.DefaultSelector()
        self.event_loop = asyncio.SelectorEventLoop(self.selector)
        return self.event_loop

    async def _serve(self) -> None:
        # The platform's own loop too (Windows), for calls handed over without waiting.
        self.event_loop = asyncio.get_running_loop()
        # The calls run in a task group of their own, which the loop's end cancels and waits
        # for: their clean-up (an export's lock, writes under a shield) runs to its end.
        async with anyio.create_task_group() as self._calls:
            async with BlockingPortal() as portal:
                # False when the constructor, interrupted, cancelled the start: end at once.
                if self._started.set_running_or_notify_cancel():
                    self._started.set_result(portal)
                    await portal.sleep_until_stopped()
            self._calls.cancel_scope.cancel()

    def refuse_if_closed(self, operation: str) -> None:
        """Raise :class:`ClientClosedError` naming ``operation`` if the client is closed, or
        was made before this process was forked."""
        if self.forked:
            raise ClientClosedError(f"{operation}: {_FORKED}")
        if self.closed:
            raise ClientClosedError(f"{operation}: {CLOSED}")

    def _submit(
        self, func: Callable[[], Awaitable[T]], handoff: _Handoff[T], operation: str
    ) -> None:
        """Hand ``await func()`` to the loop as one of its calls (see :func:`_tracked`), its
        outcome to come on ``handoff``. ``operation`` names the call in the errors, as the
        ``AsyncClient``'s own do.

        Not waiting for the loop to take it: a loop busy decoding a page or running a
        progress callback held the caller in the hand-over, where an exception raised in its
        thread (a job time limit's) waited for the loop, and could break the future it
        waited on (see :meth:`_result`).
        """
        self.refuse_if_closed(operation)
        if self._on_loop():
            # It would wait for itself, its call queued behind it.
            raise RuntimeError(f"{operation}: {_ON_LOOP}")
        loop = self.event_loop
        assert loop is not None  # set as the loop started, before any call could be made
        try:
            loop.call_soon_threadsafe(self._start, func, handoff, operation)
        except RuntimeError as exc:  # "Event loop is closed": its thread has ended
            if self.closed:
                raise ClientClosedError(f"{operation}: {CLOSED}") from exc
            raise ClientClosedError(f"{operation}: {_ENDED}") from exc

    def _start(
        self, func: Callable[[], Awaitable[T]], handoff: _Handoff[T], operation: str
    ) -> None:
        """Start ``func`` on the loop as one of its calls; one handed over as the loop stops
        is not run (its caller is told the client closed)."""
        assert self._calls is not None  # set before the portal, which started the client
        # Run by the loop outside any task, in a copy of the caller's context (which the task
        # inherits): anyio asks sniffio which library runs it, as its portal tells it.
        sniffio.current_async_library_cvar.set("asyncio")
        try:
            self._calls.start_soon(
                _tracked, func, handoff, self._running, operation, lambda: self.closed
            )
        except RuntimeError:  # the calls' group has ended
            handoff.finished.set()

    def _ended(self) -> bool:
        """Whether the loop ended under an open client (see :data:`_ENDED`), asked once it
        refused or cancelled a call: its thread is gone, or about to be."""
        self._thread.join(_ENDING)
        return not self._thread.is_alive()

    def _on_loop(self) -> bool:
        """Whether this is the loop's own thread."""
        return threading.current_thread() is self._thread

    def call(self, func: Callable[[], Awaitable[T]], operation: str) -> T:
        """Run ``await func()`` on the loop and return its result, from any other thread.

        An exception raised in this thread while it waits (Ctrl-C, a job time limit's signal
        handler) cancels the call on the loop, as it would stop a blocking request of its own,
        and propagates once the call has unwound: nothing keeps running for a caller that has
        gone.
        """
        handoff: _Handoff[T] = _Handoff()
        try:
            self._submit(func, handoff, operation)
            return self._result(handoff, operation)
        except BaseException:
            # Its clean-up (requests on the wire, an export's file and lock) is over when the
            # caller sees the exception: a job retried at once finds nothing still held.
            self._stop(handoff)
            raise

    def iterate(self, agen: AsyncGenerator[T, None], operation: str) -> Generator[T, None, None]:
        """Drive ``agen`` on the loop, one item a step, from any other thread.

        Leaving early (``break``, an exception) closes it on the loop, unless the client was
        closed first: that ended the loop, and the generator with it. An exception raised in
        this thread while it waits for a step (Ctrl-C, a job time limit's signal handler)
        cancels the step, closes the generator and propagates unchanged.
        """
        abandoned = False
        try:
            while True:
                handoff: _Handoff[T] = _Handoff()
                try:
                    self._submit(agen.__anext__, handoff, operation)
                    item = self._result(handoff, operation)
                except StopAsyncIteration:
                    return
                except BaseException:
                    abandoned = True
                    self._stop(handoff)
                    self._close_abandoned(agen, operation)
                    raise
                yield item
        finally:
            # Dropped on the loop's own thread, it cannot wait there for its own close; freed
            # by the cycle collector, it must not wait (see _note_collection). Either way the
            # event loop closes ``agen``, dropped with this frame, on its next turn, as it does
            # any async generator it finalises.
            if not (abandoned or self.closed or self._on_loop() or _in_collection()):
                self._close_left(agen, operation)

    def _result(self, handoff: _Handoff[T], operation: str) -> T:
        """The outcome of the call handed over as ``handoff``, once it has unwound: its
        result, or its exception raised (see :class:`_Failed`); a call the closing loop
        cancelled raising ClientClosedError.

        Waited for on the hand-over's latch, not a future: an exception raised in this thread
        while it waits (a signal handler's, another thread's) can land in any Python code it
        runs, and a future's methods run Python under its condition's lock, which an exception
        landing there left held (then the loop, setting the result, waited for it for ever)
        or released twice (``RuntimeError: release unlocked lock`` in that exception's place).

        Calls of the ``AsyncClient`` in flight are stopped by its ``aclose()`` and say so
        themselves; anything else still running on the loop (``run()``, an export between two
        requests, an iteration's step) is cancelled when close() stops the loop, and its
        caller would get a bare ``concurrent.futures.CancelledError`` naming nothing.
        """
        self._unwound(handoff)
        outcome = handoff.take()
        if outcome is _Unfinished.UNFINISHED:
            if self.closed:
                message = _CLOSED_DURING
            elif self._ended():
                message = f"{_ENDED}; if the call wrote, the server may have applied it"
            else:
                raise CancelledError
            raise ClientClosedError(f"{operation}: {message}", maybe_applied=True)
        if not isinstance(outcome, _Failed):
            return outcome
        # Not left in a local: the exception raised here holds this frame and its callers' in
        # its traceback (a blocking method's, holding the client's handle), and from Python
        # 3.12 the frames of its own traceback hold their callers' on the loop: a cycle only
        # the cycle collector frees, so a client dropped after a failed call (or, from Python
        # 3.12, after an iteration's end) stayed open until it ran.
        error = outcome.error
        del outcome.error, outcome
        try:
            raise error
        finally:
            del error

    def _unwound(self, handoff: _Handoff[Any], within: float = math.inf) -> bool:
        """Wait until the call handed over as ``handoff`` has unwound, however it ended;
        false if it had not within ``within`` seconds, or its loop ended first (one that ended
        runs nothing more: a call still queued as it stopped never starts)."""
        deadline = time.monotonic() + within
        while not handoff.finished.wait(min(_SLICE, deadline - time.monotonic())):
            if time.monotonic() >= deadline or not self._thread.is_alive():
                return handoff.finished.is_set()
        return True

    def _close_left(self, agen: AsyncGenerator[Any, None], operation: str) -> None:
        """Close ``agen``, an iteration left unfinished (``break``, an exception, dropped), on
        the loop, and wait for that to end, raising what the close raised, but no longer than
        :data:`_LEFT_WAIT`: then the loop finishes it alone.

        The thread letting go of an iteration may hold what the loop needs to close it: the
        last reference to it may go inside a logging handler (a ``MemoryHandler`` flushing a
        record whose traceback held it), under the lock the loop's own log lines then wait for.
        Waited for without end, that hung the loop and every thread's call with it.
        """
        handoff: _Handoff[None] = _Handoff()
        try:
            self._submit(agen.aclose, handoff, operation)
        except ClientClosedError:  # the client closed meanwhile: its loop closed ``agen``
            return
        try:
            if not self._unwound(handoff, _LEFT_WAIT):
                return
        except BaseException:
            # Ctrl-C while it waits: the close is stopped, as any call this thread left.
            self._cancel(handoff)
            raise
        self._result(handoff, operation)

    def _close_abandoned(self, agen: AsyncGenerator[Any, None], operation: str) -> None:
        """Close a generator whose step this thread stopped waiting for, once that step is
        stopped (``aclose()`` on a running generator fails with "asynchronous generator is
        already running", which would replace the exception being raised). Clean-up errors
        are dropped: the caller must see what interrupted it, not what closing the generator
        made of it."""
        if not self.closed:
            with contextlib.suppress(Exception):
                self.call(agen.aclose, operation)

    def _cancel(self, handoff: _Handoff[Any]) -> bool:
        """Cancel the call handed over as ``handoff``, whether it runs or is still queued
        (then it does nothing when it starts); whether it had started."""
        with handoff.lock:
            handoff.gone = True
            scope = handoff.scope
        if scope is None:
            return False
        loop = self.event_loop
        assert loop is not None  # set as the loop started, before any call could be made
        with contextlib.suppress(RuntimeError):  # the loop is closed: the call ended with it
            loop.call_soon_threadsafe(scope.cancel)
        return True

    def _stop(self, handoff: _Handoff[Any]) -> None:
        """Cancel the call handed over as ``handoff`` and wait until it has unwound, if it had
        started."""
        if self._cancel(handoff):
            self._wait(handoff)

    def _wait(self, handoff: _Handoff[Any]) -> None:
        """Wait until a call given up on has unwound, dropping its outcome: a loop stopped
        meanwhile (the client closed) never runs it, so stop waiting then."""
        while not handoff.finished.wait(_SLICE):
            if self.closed or not self._thread.is_alive():
                break
        handoff.take()  # its exception's traceback holds its frame on the loop, which holds it

    def close(
        self,
        last: Callable[[], Awaitable[None]],
        timeout: float | None = None,
        redact: Callable[[str], str] = str,
    ) -> None:
        """Run ``await last()`` (closing the client), then stop the loop and its thread.

        The close runs in a thread of its own, which the caller waits for: a Ctrl-C interrupts
        the wait, never the close half-way, and a later close() (a ``with`` block's exit) waits
        for it to end. With ``timeout``, give up waiting for ``last``, and the caller for the
        whole close, after that many seconds (at interpreter exit nothing may hang: see
        :meth:`wait_closed`). In a forked child this does nothing (see :func:`_forked_child`).
        Asked for on the loop, which cannot wait for it, or by the cycle collector, which must
        not, the close is not waited for, and one that fails is logged, its text passed
        through ``redact``.
        """
        if self.closed:
            return
        # New calls are refused at once, not handed to a loop that code may hold for a while
        # (the close then times out, and each such call would wait for the loop as long).
        self.closed = True
        # Closed by code running on this very loop (a progress callback, a client collected
        # there), which cannot wait for itself, or by the cycle collector, which must not wait
        # (see _note_collection): the close goes on all the same, the calls in flight stop and
        # the thread and sockets are released, instead of living on with the process.
        unwaited = self._on_loop() or _in_collection()
        closer = threading.Thread(
            target=self._shut,
            args=(last, timeout, redact if unwaited else None),
            name="omsclient-close",
            daemon=True,
        )
        try:
            closer.start()
        except RuntimeError as exc:
            # Python 3.12.0 and 3.12.1 start no thread in the interpreter's exit handlers,
            # where the finalizer of a client left open closes it. Closing in this thread
            # could hang the exit on a loop held for ever: the process's end closes the
            # sockets instead.
            if "shutdown" not in str(exc):
                raise
            return
        self._closer = closer
        if not unwaited:
            self.wait_closed(timeout)
            if self._close_error is not None:
                raise self._close_error

    def _shut(
        self,
        last: Callable[[], Awaitable[None]],
        timeout: float | None,
        redact_unwaited: Callable[[str], str] | None,
    ) -> None:
        """Close; ``redact_unwaited`` is None when a caller waits to be raised what fails."""

        async def closing() -> None:
            # The calls running (an export between two requests writing what it read, an
            # iteration's step) stop now, each raising ClientClosedError once it has unwound,
            # rather than go on until the loop itself stops.
            for scope in list(self._running):
                scope.cancel()
            await last()

        try:
            self._portal.start_task_soon(closing).result(timeout)
        except BaseException as exc:  # for the thread that waits for this close
            if _refused(exc) and self._ended():
                return  # nothing is left to close: the loop and its sockets went with its thread
            self._close_error = exc
            if redact_unwaited is not None:
                # Asked for on the loop, which cannot wait for it: no caller is left to raise
                # it to, and a later close() only waits for the end.
                text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                logger.warning(
                    "closing the client, asked for on its own event loop, failed: %s",
                    redact_unwaited(text),
                )
        finally:
            try:
                if self._thread.is_alive():
                    with contextlib.suppress(RuntimeError):  # the portal stopped meanwhile
                        self._portal.call(self._portal.stop, True)
                self._thread.join(timeout)
            finally:
                self._shut_down.set()

    def wait_closed(self, timeout: float | None = None) -> None:
        """Wait until the close is over: the calls it stopped have unwound, the thread and its
        sockets are gone. Returns at once in a forked child, and on the loop's own thread,
        which that close waits for.

        Raises:
            TimeoutError: not over after ``timeout`` seconds. Every step of the close waits
                for the loop, even to hand it the close: code that holds the loop for ever
                (a progress callback that never returns) would hold the caller for ever, and
                at interpreter exit the process. The close is left to its daemon thread.
        """
        if not self.forked and not self._on_loop():
            if not self._shut_down.wait(timeout):
                raise TimeoutError(
                    f"the client was not closed within {timeout:g} s: code running on its "
                    "event loop (a progress callback, run() code) has not returned, or a call "
                    "has not unwound; its thread is left behind"
                )
            # Set by the closing thread as it ends (started before, so known by now): wait for
            # its end too, so that once close() returns no thread of the client is left.
            if self._closer is not None:
                self._closer.join()


def _refused(error: BaseException) -> bool:
    """Whether ``error`` is the portal's refusal of a call once its loop has stopped."""
    return isinstance(error, RuntimeError) and "not running" in str(error)


class _Failed:
    """A call's exception on its way to the waiting thread, kept rather than raised.

    A ``BaseException`` other than cancellation (``SystemExit`` from ``sys.exit()`` in a
    progress callback or in ``run()`` code, ``KeyboardInterrupt``) raised out of the call's
    task would cancel the loop's every call and end the loop: the client's every call, from
    every thread, would then fail.
    """

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Unfinished(enum.Enum):
    """The outcome of a call that did not end by itself: the loop's end cancelled it, or it
    never ran."""

    UNFINISHED = enum.auto()


class _Handoff(Generic[T]):
    """One call handed to the loop, as the thread handing it and the loop both see it."""

    __slots__ = ("finished", "gone", "lock", "outcome", "scope")

    def __init__(self) -> None:
        self.finished = Latch()
        """Set when the call has unwound, however it ended, its outcome set."""
        self.outcome: T | _Failed | _Unfinished = _Unfinished.UNFINISHED
        """What the call returned, or the exception it raised."""
        self.lock = threading.Lock()
        self.gone = False
        """The caller gave up while handing it over, before it had its future."""
        self.scope: anyio.CancelScope | None = None
        """The call's cancel scope, once it runs on the loop."""

    def take(self) -> T | _Failed | _Unfinished:
        """The call's outcome, no longer held here (see :meth:`LoopThread._result`)."""
        outcome, self.outcome = self.outcome, _Unfinished.UNFINISHED
        return outcome


def _closed_during(operation: str, writes: list[CutShort]) -> ClientClosedError:
    """The error of ``operation`` a close cut short, having cut short ``writes`` (those
    saying what they change), as the ``AsyncClient``'s close says it of each."""
    reached = [write.changes for write in writes if write.reached]
    if reached:
        said = f"{CLOSED_DURING}{MAYBE_APPLIED} ({'; '.join(reached)})"
        return ClientClosedError(f"{operation}: {said}", maybe_applied=True)
    if writes and all(write.operation == operation for write in writes):
        # The call was the write, stopped while it waited for a free slot: nothing was sent.
        return ClientClosedError(f"{operation}: {CLOSED_DURING}", maybe_applied=False)
    return ClientClosedError(f"{operation}: {_CLOSED_DURING}", maybe_applied=True)


async def _tracked(
    func: Callable[[], Awaitable[T]],
    handoff: _Handoff[T],
    running: set[anyio.CancelScope],
    operation: str,
    closing: Callable[[], bool],
) -> None:
    """``await func()``, its outcome set on ``handoff`` and ``handoff.finished`` once it is
    over, however it ends; listed in ``running`` meanwhile, for a close to cancel (then
    ClientClosedError naming ``operation``, and the writes it cut short as the
    ``AsyncClient``'s close does; the records of its requests say so once ``closing()``). Its
    exception is kept, not raised (see :class:`_Failed`). Not run at all when its caller has
    gone (see :meth:`LoopThread._cancel`)."""
    try:
        with anyio.CancelScope() as scope:
            with handoff.lock:
                if handoff.gone:
                    handoff.outcome = _Failed(
                        ClientClosedError(f"{operation}: its caller has gone")
                    )
                    return
                handoff.scope = scope
            running.add(scope)
            writes = heard_cut_short(scope)  # in a task of this call's own
            try:
                with cancelled_by_closing(closing):
                    handoff.outcome = await func()
                    return
            finally:
                running.discard(scope)
        raise _closed_during(operation, writes)
    except BaseException as exc:
        # GeneratorExit closes this coroutine if it is dropped unfinished: kept instead, Python
        # would report the coroutine as ignoring it. A cancellation cancels the future.
        if isinstance(exc, (GeneratorExit, anyio.get_cancelled_exc_class())):
            raise
        handoff.outcome = _Failed(exc)
    finally:
        handoff.finished.set()


class LoopHandle:
    """The loop as the objects of one blocking client hold it.

    The client, its views, its namespaces, the blocking methods, iterators and scans all hold
    the same handle, and the client's finalizer watches the handle: so
    ``Client(...).with_options(...)`` or ``orders = Client(...).legacy.orders`` keeps working
    after the ``Client`` object itself is gone, and the client is closed when the last of them
    is. Nothing here refers back to them, so that happens as soon as they are dropped, without
    waiting for the cycle collector.
    """

    __slots__ = ("__weakref__", "loop")

    def __init__(self, loop: LoopThread) -> None:
        self.loop: LoopThread = loop

    def call(self, func: Callable[[], Awaitable[T]], operation: str) -> T:
        """Run ``await func()`` on the loop and return its result, from any other thread."""
        return self.loop.call(func, operation)

    def iterate(self, agen: AsyncGenerator[T, None], operation: str) -> Generator[T, None, None]:
        """Drive ``agen`` on the loop (see :meth:`LoopThread.iterate`)."""
        # A generator of its own, not LoopThread.iterate's: while it is iterated, its frame
        # holds this handle, and so keeps the client open.
        yield from self.loop.iterate(agen, operation)
