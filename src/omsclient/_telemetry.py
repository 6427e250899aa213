"""OpenTelemetry spans: one per call, one per attempt inside it (``pip install
"omsclient[otel]"``).

Spans go through the OpenTelemetry API, so they cost next to nothing until an application
configures an SDK; without ``opentelemetry-api`` installed nothing is imported and every function
here does nothing. A call span (INTERNAL) is named after the operation (``legacy.orders.search``)
and is the current span while the call runs; each attempt is a child span following
OpenTelemetry's HTTP client conventions (CLIENT, named by the method, with the server, the URL,
the status code and the resend count), and, when another attempt followed, the reason.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from omsclient._request import RequestSpec

__all__ = ["Attempt", "end_call", "import_tracing", "record_attempt", "start_call", "used"]

TRACER_NAME = "omsclient"


@functools.cache
def _trace() -> Any:
    """The ``opentelemetry.trace`` module, or None when it is not installed."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace


def import_tracing() -> None:
    """Import OpenTelemetry now, when it is installed, rather than at the first call."""
    _trace()


@functools.cache
def _tracer() -> Any:
    """omsclient's tracer, looked up once (each lookup reads the environment): one got before
    the application configures an SDK follows that SDK once it is set."""
    return _trace().get_tracer(TRACER_NAME)


class Attempt:
    """One finished attempt, waiting to learn whether another one follows (and why)."""

    __slots__ = ("end_ns", "error", "number", "start_ns", "status_code")

    def __init__(
        self, number: int, start_ns: int, end_ns: int, status_code: int | None, error: str | None
    ) -> None:
        self.number = number
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.status_code = status_code
        self.error = error


Shown = Callable[[str], str]
"""What a span may show of a path or URL: a secret the caller passed as an id redacted."""


def _attributes(spec: RequestSpec, shown: Shown) -> dict[str, Any]:
    return {
        "oms.operation": spec.operation,
        "oms.api": spec.api,
        "http.request.method": spec.method,
        "url.path": shown(spec.path),
    }


def _server(url: str | None, query: tuple[tuple[str, str], ...], shown: Shown) -> dict[str, Any]:
    """The server and URL attributes of a request to ``url`` with ``query`` (none when the
    URL is unknown).

    The URL is whole, its query as sent (``url.full`` holds it, OpenTelemetry's HTTP
    conventions say): the settings refuse a base URL with user info or a query, and a query
    holds no credential (:class:`RequestSpec`); a path holds one only where the caller passed
    it as an id, which ``shown`` redacts.
    """
    if url is None:
        return {}
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    full = shown(url)
    found = {"server.address": parts.hostname, "server.port": port, "url.full": full}
    if query:
        encoded = urlencode(query)
        found.update({"url.full": f"{full}?{encoded}", "url.query": encoded})
    return found


def start_call(spec: RequestSpec, shown: Shown) -> Any:
    """A started span for the call, or None without OpenTelemetry.

    INTERNAL, not CLIENT: the requests sent are the attempts' spans, and OpenTelemetry's HTTP
    conventions want no client span around them.
    """
    trace = _trace()
    if trace is None:
        return None
    return _tracer().start_span(
        spec.operation, kind=trace.SpanKind.INTERNAL, attributes=_attributes(spec, shown)
    )


@contextlib.contextmanager
def used(span: Any) -> Iterator[None]:
    """Make ``span`` the current span meanwhile (nothing without OpenTelemetry)."""
    trace = _trace()
    # With no SDK the span is the current one already, handed back: nothing to make current.
    if span is None or span is trace.get_current_span():
        yield
        return
    # What the call ended with is recorded by end_call, which tells a failure from a
    # cancellation: opentelemetry-api 1.31 marked any BaseException an error here.
    with trace.use_span(
        span, end_on_exit=False, record_exception=False, set_status_on_exception=False
    ):
        yield


def record_attempt(
    call: Any,
    spec: RequestSpec,
    url: str | None,
    attempt: Attempt,
    retry_reason: str | None,
    failure: str | None,
    shown: Shown,
) -> None:
    """Emit the span of one finished attempt at ``url``, a child of the call's span;
    ``failure`` names the error the call ended with when this attempt was its last."""
    trace = _trace()
    # Nothing under a call no SDK records (none configured, or not sampled).
    if trace is None or call is None or not call.is_recording():
        return
    attributes = {
        **_attributes(spec, shown),
        **_server(url, spec.query, shown),
        "oms.attempt": attempt.number,
    }
    if attempt.number > 1:
        attributes["http.request.resend_count"] = attempt.number - 1
    if attempt.status_code is not None:
        attributes["http.response.status_code"] = attempt.status_code
    # An attempt retried after an answer (a 503, a 429) failed with the error it was retried
    # for, as one retried after a dropped connection does.
    error = attempt.error or failure or retry_reason
    if error is not None:
        attributes["error.type"] = error
    if retry_reason is not None:
        attributes["oms.retry_reason"] = retry_reason
    span = _tracer().start_span(
        # The method alone: a span's name is what tracing backends group by, so neither the
        # attempt's number nor an id in the path belongs in it.
        spec.method,
        context=trace.set_span_in_context(call),
        kind=trace.SpanKind.CLIENT,
        attributes=attributes,
        start_time=attempt.start_ns,
    )
    if error is not None or retry_reason is not None:
        span.set_status(trace.Status(trace.StatusCode.ERROR, retry_reason or error))
    span.end(end_time=attempt.end_ns)


def end_call(
    call: Any, *, attempts: int, status_code: int | None, error: BaseException | None
) -> None:
    """End the call's span with what came of it."""
    trace = _trace()
    if trace is None or call is None:
        return
    if not call.is_recording():
        call.end()
        return
    call.set_attribute("oms.attempts", attempts)
    if status_code is not None:
        call.set_attribute("http.response.status_code", status_code)
    if isinstance(error, Exception):
        call.record_exception(error)
        call.set_attribute("error.type", type(error).__name__)
        call.set_status(trace.Status(trace.StatusCode.ERROR, str(error)))
    elif error is not None:
        # Cancelled (a caller's timeout, the fetches an iterator left early drops) or
        # interrupted: no failure, as OpenTelemetry's own spans treat what is no Exception.
        call.set_attribute("oms.cancelled", True)
    call.end()
