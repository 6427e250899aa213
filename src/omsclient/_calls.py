"""What the session learns about each call while it runs, for the errors it raises, raw
responses (``with_raw_response``) and telemetry.

The session reports each attempt (:func:`observe_attempt`) and each retry
(:func:`observe_retry`) of the call it runs inside :func:`observe_call`; the record of the call is
kept in a context variable, so concurrent calls never mix.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TypeVar

import httpx

from omsclient import _telemetry
from omsclient._lifecycle import CLOSED_DURING
from omsclient._raw_response import ApiResponse, answer_of
from omsclient._redact import Redactor, forget_frames
from omsclient._request import RequestSpec
from omsclient._responses import snippet
from omsclient.errors import ApiError, ClientClosedError, DecodeError, OmsError

__all__ = [
    "CallRecord",
    "attempts_so_far",
    "cancelled_by_closing",
    "capture",
    "counted",
    "kept_calls",
    "observe_attempt",
    "observe_call",
    "observe_retry",
    "read_after",
    "unfit_answer",
]


class CallRecord:
    """One call: its attempts, its last HTTP answer, its span."""

    def __init__(self, spec: RequestSpec, redact: Redactor, url: str | None = None) -> None:
        self.spec = spec
        self.url = url
        self.attempts = 0
        self.redact = redact
        self._response: httpx.Response | None = None
        self._elapsed = 0.0
        self._answer: ApiResponse | None = None
        self.span: object = None
        self.pending: _telemetry.Attempt | None = None

    @property
    def status_code(self) -> int | None:
        """The status of the last answer, if any arrived."""
        return None if self._response is None else self._response.status_code

    def answer(self) -> ApiResponse | None:
        """The last HTTP answer, redacted; None if no attempt got one."""
        if self._answer is None and self._response is not None:
            self._answer = answer_of(
                self._response,
                elapsed=self._elapsed,
                attempts=self.attempts,
                operation=self.spec.operation,
                method=self.spec.method,
                path=self.spec.path,
                redact=self.redact,
            )
        return self._answer

    def blame(self, exc: ApiError | DecodeError) -> None:
        """Hand ``exc``, raised reading this call's answer after the call ended, that answer
        and the attempts; a :class:`DecodeError` made without the answer at hand gets its
        status, ``Content-Type`` and first characters too."""
        exc.response = self.answer()
        exc.attempts = max(self.attempts, 1)
        if isinstance(exc, DecodeError) and self._response is not None:
            exc.status_code = self._response.status_code
            exc.content_type = self._response.headers.get("content-type", "")
            exc.snippet = snippet(self._response, self.redact)
            exc.maybe_applied = exc.status_code < 400

    def flush(self, retry_reason: str | None = None, failure: str | None = None) -> None:
        """Emit the span of the attempt in hand: retried for ``retry_reason``, or the last one
        of a call that failed with ``failure`` (an error class's name)."""
        if self.pending is not None:
            _telemetry.record_attempt(
                self.span,
                self.spec,
                self.url,
                self.pending,
                retry_reason,
                failure,
                self.redact.whole,
            )
            self.pending = None


L = TypeVar("L", bound=list)  # type: ignore[type-arg]

_current: ContextVar[CallRecord | None] = ContextVar("omsclient_call", default=None)
_captured: ContextVar[list[CallRecord] | None] = ContextVar("omsclient_captured", default=None)
# The calls ending inside read_after(), their answers not built: only an error needs one.
_kept: ContextVar[list[CallRecord] | None] = ContextVar("omsclient_kept", default=None)
# The attempts of the calls ending inside counted().
_sent: ContextVar[list[int] | None] = ContextVar("omsclient_sent", default=None)
# Whether the client of the calls inside cancelled_by_closing() has begun to close.
_closing: ContextVar[Callable[[], bool] | None] = ContextVar("omsclient_closing", default=None)


@contextlib.contextmanager
def observe_call(
    spec: RequestSpec, redact: Redactor, url: str | None = None
) -> Iterator[CallRecord]:
    """Record the call to ``url`` (when known) run inside; errors leaving it get
    ``.response`` and ``.attempts``."""
    record = CallRecord(spec, redact, url)
    token = _current.set(record)
    record.span = _telemetry.start_call(spec, redact.whole)
    error: BaseException | None = None
    try:
        with _telemetry.used(record.span):
            yield record
    except (ApiError, DecodeError) as exc:
        error = exc
        exc.response = record.answer()
        exc.attempts = max(record.attempts, 1)
        raise
    except BaseException as exc:
        error = exc
        raise
    finally:
        _current.reset(token)
        # An error found in the answer after the call ends redacts what the call sent too.
        record.redact = redact.in_call()
        if error is not None and not isinstance(error, Exception):
            closing = _closing.get()
            if closing is not None and closing():
                # Cancelled by its client's close: recorded as what its caller gets.
                error = ClientClosedError(f"{spec.operation}: {CLOSED_DURING}")
        # The call failed on its last attempt: that attempt's span says so too.
        failed = isinstance(error, Exception)
        record.flush(failure=type(error).__name__ if failed else None)
        _telemetry.end_call(
            record.span, attempts=record.attempts, status_code=record.status_code, error=error
        )
        sent = _sent.get()
        if sent is not None:
            sent[0] += record.attempts
        captured = _captured.get()
        if captured is not None:
            record.answer()
            captured.append(record)
        kept = _kept.get()
        if kept is not None:
            kept.append(record)  # read_after() lets go of its answer
        else:
            # The context that held the record outlives the call in asyncio's cancelled timers
            # (the deadline's, until the loop sweeps them): drop the answer, and its body, now.
            record._response = None


@contextlib.contextmanager
def _holding(var: ContextVar[L | None], value: L) -> Iterator[L]:
    """``var`` set to ``value`` inside, for the calls ending there to add to."""
    token = var.set(value)
    try:
        yield value
    finally:
        var.reset(token)


def counted(sent: list[int] | None = None) -> contextlib.AbstractContextManager[list[int]]:
    """The HTTP requests sent by the calls ending inside, retries included, added to the one
    item of ``sent`` (a new ``[0]`` by default) as each call ends: the list handed out."""
    return _holding(_sent, [0] if sent is None else sent)


@contextlib.contextmanager
def cancelled_by_closing(closing: Callable[[], bool]) -> Iterator[None]:
    """The calls ending inside cancelled once ``closing()`` says their client has begun to
    close are recorded as cut short by it (``ClientClosedError``, what their caller gets), as
    an AsyncClient's own close ends them: a blocking client's close cancels its calls first."""
    token = _closing.set(closing)
    try:
        yield
    finally:
        _closing.reset(token)


def kept_calls() -> contextlib.AbstractContextManager[list[CallRecord]]:
    """The calls ending inside, their answers kept unbuilt for a later :func:`read_after`
    (a page read now and placed later)."""
    return _holding(_kept, [])


def unfit_answer(message: str, *, operation: str, method: str, path: str) -> DecodeError:
    """A :class:`DecodeError` for an answer that does not fit what the call asked for, found
    once the call had ended (rows out of order, another product than the one asked for): the
    same answer would come again, so it is not transient. Raised inside :func:`read_after`, it
    gets the answer's status, ``Content-Type`` and start, and the call's attempts."""
    return DecodeError(
        message,
        operation=operation,
        method=method,
        path=path,
        status_code=200,
        content_type="application/json",
        snippet="",
        transient=False,
    )


@contextlib.contextmanager
def read_after(earlier: CallRecord | None = None) -> Iterator[None]:
    """Errors raised inside, reading the answer of a call that ended inside (a search's rows
    that are no list), or of ``earlier`` (from :func:`kept_calls`), carry that call's answer
    and attempts, as the call's own errors do, and are redacted as they are (the credentials
    its request went out with too). The finished frames they went through inside keep no
    variables: those hold the answer, login keys and all (see :func:`forget_frames`)."""
    # Not capture(), which builds every answer (a redacted copy of a 600 kB page): only an
    # error needs one.
    records: list[CallRecord] = [] if earlier is None else [earlier]
    handled = sys.exc_info()[1]  # the caller's, left as it is (see Redactor.error)
    token = _kept.set(records)
    try:
        yield
    except Exception as exc:
        if records:
            if isinstance(exc, (ApiError, DecodeError)) and exc.response is None:
                records[-1].blame(exc)
            records[-1].redact.error(exc, handled)
        forget_frames(exc, handled)
        raise
    finally:
        _kept.reset(token)
        outer = _kept.get()
        if outer is not None:
            outer.extend(records)  # a read_after() around this one may still need them
        else:
            for record in records:
                record._response = None


def observe_attempt(
    attempt: int,
    elapsed: float,
    *,
    response: httpx.Response | None = None,
    error: OmsError | None = None,
) -> None:
    """An attempt of the current call ended, with an answer or the error it failed with, as
    the caller would get it."""
    record = _current.get()
    if record is None:
        return
    record.flush()
    record.attempts = attempt
    if response is not None:
        record._response, record._elapsed, record._answer = response, elapsed, None
    end = time.time_ns()
    record.pending = _telemetry.Attempt(
        attempt,
        end - int(elapsed * 1e9),
        end,
        None if response is None else response.status_code,
        None if error is None else type(error).__name__,
    )


def attempts_so_far() -> int:
    """How many attempts the current call has made (1 outside any call)."""
    record = _current.get()
    return 1 if record is None else max(record.attempts, 1)


def observe_retry(reason: str) -> None:
    """The current call will try again, because of ``reason``."""
    record = _current.get()
    if record is not None:
        record.flush(reason)


@contextlib.contextmanager
def capture() -> Iterator[list[CallRecord]]:
    """The records of every call that ends inside, in the order they end; a capture around
    this one gets them too (``raw_response`` of a method that is itself a raw twin, or calls
    one, would otherwise see no request, though one went out)."""
    records: list[CallRecord] = []
    token = _captured.set(records)
    try:
        yield records
    finally:
        _captured.reset(token)
        outer = _captured.get()
        if outer is not None:
            outer.extend(records)
