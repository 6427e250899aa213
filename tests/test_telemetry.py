"""OpenTelemetry spans per call and per attempt, and nothing of it without the extra."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

import anyio
import httpx
import pytest
import respx
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

import omsclient
import omsclient.errors
import omsclient.rest
from omsclient.legacy import Condition, Op, OrderField
from omsclient.sandbox import Faults, SandboxConfig, SandboxInfo

from .conftest import FAST_RETRY, LEGACY, PASSWORD, REST, TOKEN, ok

ALL = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
FIND = f"{LEGACY}/api/json/manage_orders/find"
SRC = str(Path(omsclient.__file__).parent.parent)
_EXPORTER = InMemorySpanExporter()


class _WhileRecording(SimpleSpanProcessor):
    """Keeps spans only while a test asks for them: the tracer provider, once set, stays for
    the process, and every later test's calls would pile their spans up in the exporter (a
    memory test after them measured the export growing with its size)."""

    recording = False

    def on_end(self, span: ReadableSpan) -> None:
        if self.recording:
            super().on_end(span)


_PROCESSOR = _WhileRecording(_EXPORTER)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(_PROCESSOR)
        trace.set_tracer_provider(provider)
    _EXPORTER.clear()
    _PROCESSOR.recording = True
    try:
        yield _EXPORTER
    finally:
        _PROCESSOR.recording = False
        _EXPORTER.clear()


def _attempts(finished: Sequence[ReadableSpan]) -> list[ReadableSpan]:
    """The attempt spans among ``finished``, in attempt order."""
    attempts = [s for s in finished if s.attributes and "oms.attempt" in s.attributes]
    return sorted(attempts, key=lambda s: s.attributes["oms.attempt"])  # type: ignore[index]


@respx.mock
async def test_a_retried_call_is_one_span_with_a_span_per_attempt(
    oms: omsclient.AsyncClient, spans: InMemorySpanExporter
) -> None:
    respx.post(FIND).mock(
        side_effect=[
            httpx.Response(503, text="busy"),
            httpx.Response(200, json=ok(orders=[], total=0)),
        ]
    )
    await oms.legacy.orders.search(ALL)
    finished = spans.get_finished_spans()
    call = next(s for s in finished if s.name == "legacy.orders.search")
    attempts = _attempts(finished)
    assert call.attributes is not None
    assert call.attributes["oms.operation"] == "legacy.orders.search"
    assert call.attributes["http.request.method"] == "POST"
    assert call.attributes["url.path"] == "/api/json/manage_orders/find"
    assert call.attributes["oms.attempts"] == 2
    assert call.attributes["http.response.status_code"] == 200
    assert call.status.status_code != StatusCode.ERROR
    assert [s.attributes["http.response.status_code"] for s in attempts] == [503, 200]  # type: ignore[index]
    assert attempts[0].attributes["oms.retry_reason"] == "ServerError"  # type: ignore[index]
    assert "oms.retry_reason" not in attempts[1].attributes  # type: ignore[operator]
    assert all(a.parent is not None and a.parent.span_id == call.context.span_id for a in attempts)  # type: ignore[union-attr]
    assert attempts[0].status.status_code == StatusCode.ERROR


@respx.mock
async def test_attempts_are_http_client_spans_under_a_call_span_of_the_operation(
    oms: omsclient.AsyncClient, spans: InMemorySpanExporter
) -> None:
    # OpenTelemetry's HTTP conventions: a CLIENT span per request sent, named by its method
    # (low-cardinality: an APM groups spans by name), with the server and the URL, and a
    # resend count on a retry; no encompassing HTTP CLIENT span around them.
    respx.post(FIND).mock(
        side_effect=[
            httpx.Response(503, text="busy"),
            httpx.Response(200, json=ok(orders=[], total=0)),
        ]
    )
    await oms.legacy.orders.search(ALL)
    finished = spans.get_finished_spans()
    (call,) = [s for s in finished if s.name == "legacy.orders.search"]
    attempts = _attempts(finished)
    assert call.kind == trace.SpanKind.INTERNAL
    assert [a.name for a in attempts] == ["POST", "POST"]
    assert all(a.kind == trace.SpanKind.CLIENT for a in attempts)
    for attempt in attempts:
        assert attempt.attributes is not None
        assert attempt.attributes["server.address"] == "shop.test"
        assert attempt.attributes["server.port"] == 443
        assert attempt.attributes["url.full"] == FIND
        assert attempt.attributes["http.request.method"] == "POST"
    assert "http.request.resend_count" not in attempts[0].attributes  # type: ignore[operator]
    assert attempts[1].attributes["http.request.resend_count"] == 1  # type: ignore[index]


@respx.mock
@pytest.mark.parametrize("secret", [TOKEN, PASSWORD])
async def test_a_secret_passed_as_an_id_is_redacted_from_the_spans_path_and_url(
    oms: omsclient.AsyncClient, spans: InMemorySpanExporter, secret: str
) -> None:
    # A credential given where a UID belongs (oms.rest.orders.get(os.environ["OMS_API_TOKEN"]))
    # went into url.path and url.full of every span whole, where the error said [REDACTED].
    respx.get(f"{REST}/api/v1/orders/{secret}").mock(
        side_effect=[httpx.Response(503, text="busy"), httpx.Response(404, json={})]
    )
    with pytest.raises(omsclient.errors.NotFoundError):
        await oms.rest.orders.get(secret)
    finished = spans.get_finished_spans()
    (call,) = [s for s in finished if s.name == "rest.orders.get"]
    attempts = _attempts(finished)
    assert len(attempts) == 2
    assert call.attributes is not None
    assert call.attributes["url.path"] == "/api/v1/orders/[REDACTED]"
    for attempt in attempts:
        assert attempt.attributes is not None
        assert attempt.attributes["url.path"] == "/api/v1/orders/[REDACTED]"
        assert attempt.attributes["url.full"] == f"{REST}/api/v1/orders/[REDACTED]"
    for span in finished:
        assert secret not in span.to_json()


@respx.mock
async def test_a_password_beginning_like_a_path_leaves_the_spans_path_whole(
    client_kwargs: dict[str, object], spans: InMemorySpanExporter
) -> None:
    # Only a secret written whole is taken out of a path: the cut-short form of "Orders2024!"
    # would make every legacy span's path /api/json/manage_[REDACTED]/find.
    respx.post(FIND).respond(json=ok(orders=[], total=0))
    async with omsclient.AsyncClient(**{**client_kwargs, "password": "Orders2024!"}) as oms:  # type: ignore[arg-type]
        await oms.legacy.orders.search(ALL)
    (attempt,) = _attempts(spans.get_finished_spans())
    assert attempt.attributes is not None
    assert attempt.attributes["url.path"] == "/api/json/manage_orders/find"
    assert attempt.attributes["url.full"] == FIND


async def test_an_attempt_span_names_the_port_the_url_gives(
    oms_sandbox: SandboxInfo, spans: InMemorySpanExporter
) -> None:
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        await oms.legacy.orders.search(ALL, limit=1)
    (attempt,) = _attempts(spans.get_finished_spans())
    url = httpx.URL(oms_sandbox.url)
    assert attempt.attributes is not None
    assert attempt.attributes["server.address"] == url.host
    assert attempt.attributes["server.port"] == url.port
    assert attempt.attributes["url.full"] == f"{oms_sandbox.url}/api/json/manage_orders/find"
    for secret in (oms_sandbox.password, oms_sandbox.api_token):
        assert secret not in attempt.to_json()


async def test_an_attempt_spans_url_holds_the_query_the_server_was_sent(
    oms_sandbox: SandboxInfo, spans: InMemorySpanExporter
) -> None:
    # A product is asked for by ?id= (?ids= for several): url.full left it out, though
    # OpenTelemetry's HTTP conventions have the query in it.
    async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
        ids = [p.id for p in oms_sandbox.state.products[:3]]
        await oms.legacy.products.get(ids[0])
        await oms.legacy.products.get_many(ids)
    sent = [(r.path, r.query) for r in oms_sandbox.state.requests]
    attempts = _attempts(spans.get_finished_spans())
    seen = [(a.attributes["url.full"], a.attributes["url.query"]) for a in attempts]  # type: ignore[index]
    assert seen == [
        (f"{oms_sandbox.url}{path}?{httpx.QueryParams(query)}", str(httpx.QueryParams(query)))
        for path, query in sent
    ]
    assert [query for _, query in sent] == [
        {"id": str(ids[0])},
        {"ids": ",".join(map(str, ids))},
    ]


@respx.mock
async def test_an_attempt_span_of_a_plain_http_url_names_port_80(
    client_kwargs: dict[str, object], spans: InMemorySpanExporter
) -> None:
    respx.post("http://shop.test/api/json/manage_orders/find").mock(
        return_value=httpx.Response(200, json=ok(orders=[], total=0))
    )
    async with omsclient.AsyncClient(**{**client_kwargs, "legacy_url": "http://shop.test"}) as oms:  # type: ignore[arg-type]
        await oms.legacy.orders.search(ALL)
    (attempt,) = _attempts(spans.get_finished_spans())
    assert attempt.attributes is not None
    assert attempt.attributes["server.port"] == 80


@respx.mock
async def test_the_attempt_a_call_failed_on_is_an_error_too(
    oms: omsclient.AsyncClient, spans: InMemorySpanExporter
) -> None:
    respx.post(FIND).mock(return_value=httpx.Response(503, text="busy"))
    with pytest.raises(omsclient.ServerError):
        await oms.legacy.orders.search(ALL)
    attempts = _attempts(spans.get_finished_spans())
    assert len(attempts) > 1
    assert all(a.status.status_code == StatusCode.ERROR for a in attempts)
    last = attempts[-1]
    assert last.attributes is not None
    assert last.attributes["error.type"] == "ServerError"
    assert "oms.retry_reason" not in last.attributes  # it was not retried
    # Those retried had no error.type, where one retried after a dropped connection has one.
    assert all((a.attributes or {}).get("error.type") == "ServerError" for a in attempts[:-1])


async def test_a_failed_call_over_real_sockets_ends_its_span_in_error(
    oms_sandbox: SandboxInfo, spans: InMemorySpanExporter
) -> None:
    kwargs = {**oms_sandbox.client_kwargs(), "password": "wrong"}
    async with omsclient.AsyncClient(**kwargs) as oms:
        with pytest.raises(omsclient.AuthenticationError):
            await oms.legacy.orders.search(ALL)
    (call,) = [s for s in spans.get_finished_spans() if s.name == "legacy.orders.search"]
    assert call.status.status_code == StatusCode.ERROR
    assert call.attributes is not None
    assert call.attributes["error.type"] == "AuthenticationError"
    assert "wrong" not in (call.status.description or "")


def test_the_fetches_an_iterator_drops_when_left_early_are_no_failed_calls(
    oms_sandbox_factory: Callable[..., SandboxInfo], spans: InMemorySpanExporter
) -> None:
    # Leaving an iterate() loop cancels the pages it fetched ahead: nothing failed, and an
    # operator counting error spans must not see eight failures per loop left early.
    info = oms_sandbox_factory(SandboxConfig(orders=2000, faults=Faults(latency=0.2)))

    async def main() -> None:
        async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
            async for _order in oms.legacy.orders.iterate(ALL, concurrency=8):
                break

    anyio.run(main)
    calls = [s for s in spans.get_finished_spans() if s.name == "legacy.orders.search"]
    assert len(calls) > 1  # the first page and the fetches ahead
    cancelled = [s for s in calls if s.attributes and s.attributes.get("oms.cancelled")]
    assert cancelled
    assert all(s.status.status_code != StatusCode.ERROR for s in calls)
    assert all("error.type" not in (s.attributes or {}) for s in calls)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_pages_an_iterator_fetches_ahead_are_spans_under_the_callers_span(
    oms_sandbox: SandboxInfo, spans: InMemorySpanExporter, backend: str
) -> None:
    async def main() -> trace.Span:
        async with omsclient.AsyncClient(**oms_sandbox.client_kwargs()) as oms:
            with trace.get_tracer("app").start_as_current_span("job") as job:
                async for _order in oms.legacy.orders.iterate(ALL, concurrency=4):
                    pass
        return job

    job = anyio.run(main, backend=backend)
    calls = [s for s in spans.get_finished_spans() if s.name == "legacy.orders.search"]
    assert len(calls) == 3  # 300 orders, 100 a page
    assert all(
        c.parent is not None and c.parent.span_id == job.get_span_context().span_id for c in calls
    )


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_attempt_a_cancelled_call_had_on_the_wire_is_a_span_too(
    oms_sandbox_factory: Callable[..., SandboxInfo], spans: InMemorySpanExporter, backend: str
) -> None:
    # A caller's timeout while the server is slow: the call span alone would not tell time on
    # the wire from time waiting for a slot. The attempt ended, cancelled: no failure.
    info = oms_sandbox_factory(SandboxConfig(orders=10, faults=Faults(latency=5.0)))

    async def main() -> None:
        async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
            with anyio.move_on_after(0.5):
                await oms.legacy.orders.search(ALL)

    anyio.run(main, backend=backend)
    finished = spans.get_finished_spans()
    (call,) = [s for s in finished if s.name == "legacy.orders.search"]
    (attempt,) = _attempts(finished)
    assert call.attributes is not None
    assert call.attributes["oms.cancelled"] is True
    assert call.attributes["oms.attempts"] == 1
    assert attempt.parent is not None
    assert call.context is not None
    assert attempt.parent.span_id == call.context.span_id
    assert attempt.status.status_code == StatusCode.UNSET
    assert attempt.attributes is not None
    assert "error.type" not in attempt.attributes
    assert "http.response.status_code" not in attempt.attributes
    assert attempt.end_time is not None
    assert attempt.start_time is not None
    assert call.end_time is not None
    assert call.start_time is not None
    # On the wire until the caller's timeout (not a bound on the client's set-up before it,
    # which a loaded machine stretches): within the call, ending with it, well short of 5 s.
    assert call.start_time <= attempt.start_time < attempt.end_time <= call.end_time
    assert call.end_time - attempt.end_time < 0.2e9
    assert call.end_time - call.start_time < 3e9


async def test_a_call_cut_short_by_closing_the_client_names_the_error_it_raised(
    oms_sandbox_factory: Callable[..., SandboxInfo], spans: InMemorySpanExporter
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=10, faults=Faults(latency=5.0)))
    async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
        raised: list[BaseException] = []

        async def call() -> None:
            try:
                await oms.legacy.orders.search(ALL)
            except omsclient.ClientClosedError as exc:
                raised.append(exc)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(call)
            await anyio.sleep(0.3)
            await oms.aclose()
    assert raised
    (span,) = [s for s in spans.get_finished_spans() if s.name == "legacy.orders.search"]
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "ClientClosedError"
    assert span.status.description == str(raised[0])


def test_a_blocking_call_cut_short_by_closing_the_client_names_the_error_it_raised(
    oms_sandbox_factory: Callable[..., SandboxInfo], spans: InMemorySpanExporter
) -> None:
    # The blocking client's close cancels its calls before the AsyncClient's own close runs:
    # their spans ended as cancelled (oms.cancelled), while each caller got ClientClosedError.
    info = oms_sandbox_factory(SandboxConfig(orders=10, faults=Faults(latency=5.0)))
    oms = omsclient.Client(**info.client_kwargs())
    raised: list[BaseException] = []

    def call() -> None:
        try:
            oms.legacy.orders.search(ALL)
        except omsclient.ClientClosedError as exc:
            raised.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    # Until the search is on the wire, not a guess at how long that takes (10 s: no hang).
    deadline = time.monotonic() + 10
    while not oms.async_client._session.throttle.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    oms.close()
    caller.join(10)
    assert raised
    (span,) = [s for s in spans.get_finished_spans() if s.name == "legacy.orders.search"]
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "ClientClosedError"
    assert "oms.cancelled" not in span.attributes
    assert span.status.description == "legacy.orders.search: the client was closed during this call"
    assert str(raised[0]).startswith(span.status.description)


PUBLIC_ERRORS = {
    name
    for module in (omsclient.errors, omsclient.rest)
    for name in module.__all__
    if isinstance(getattr(module, name), type)
    and issubclass(getattr(module, name), omsclient.OmsError)
}


def _error_names(span: ReadableSpan) -> list[str]:
    """Every error name ``span`` carries: attributes, status, events."""
    attributes = span.attributes or {}
    names = [str(attributes[k]) for k in ("error.type", "oms.retry_reason") if k in attributes]
    if span.status.description and "oms.attempt" in attributes:
        names.append(span.status.description)
    for event in span.events:
        # OpenTelemetry names an exception with its module: the public one.
        module, _, name = str((event.attributes or {}).get("exception.type")).rpartition(".")
        assert module == "omsclient.errors"
        names.append(name)
    return names


@pytest.mark.parametrize(
    ("faults", "options", "raised"),
    [
        # The attempt deadline passed: the session's own marker for it stays inside.
        (Faults(latency=3.0), {"attempt_deadline": 0.5}, omsclient.RequestTimeoutError),
        # An answer over the size cap, refused while its body was read.
        (Faults(), {"max_response_bytes": 1000}, omsclient.DecodeError),
        # A connection closed with no answer, retried: httpx's class is no omsclient error.
        (Faults(drop_rate=1.0), {}, omsclient.TransportError),
    ],
    ids=["deadline", "refused", "dropped"],
)
async def test_attempt_spans_and_log_lines_name_the_public_error(
    oms_sandbox_factory: Callable[..., SandboxInfo],
    spans: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
    faults: Faults,
    options: dict[str, float],
    raised: type[omsclient.OmsError],
) -> None:
    info = oms_sandbox_factory(SandboxConfig(orders=200, faults=faults))
    caplog.set_level(logging.DEBUG, logger="omsclient")
    async with omsclient.AsyncClient(**info.client_kwargs(), retry=FAST_RETRY, **options) as oms:
        with pytest.raises(raised) as caught:
            await oms.legacy.orders.search(ALL)
    finished = spans.get_finished_spans()
    attempts = _attempts(finished)
    assert attempts
    last = attempts[-1]
    assert last.attributes is not None
    assert last.attributes["error.type"] == type(caught.value).__name__
    assert last.status.description == type(caught.value).__name__
    names = [name for span in finished for name in _error_names(span)]
    assert names
    assert set(names) <= PUBLIC_ERRORS, names
    lines = [r.getMessage() for r in caplog.records if r.name == "omsclient"]
    assert any(f"-> {type(caught.value).__name__} (attempt" in line for line in lines), lines
    assert not any("Refused" in line or "Deadline" in line for line in lines), lines


def test_with_no_sdk_configured_a_call_starts_one_span_and_looks_up_no_tracer() -> None:
    # opentelemetry-api installed (another library asked for it) and no SDK: a call's cost is
    # one no-op span, whatever its attempts, and no tracer lookup (which reads the
    # environment each time).
    script = textwrap.dedent(
        """
        import anyio, httpx, omsclient
        from opentelemetry import trace
        from datetime import datetime
        from omsclient.legacy import Condition, Op, OrderField

        started, lookups = [], []
        start_span, get_tracer = trace.ProxyTracer.start_span, trace.get_tracer
        def counting_start(self, *args, **kwargs):
            started.append(1)
            return start_span(self, *args, **kwargs)
        def counting_lookup(*args, **kwargs):
            lookups.append(1)
            return get_tracer(*args, **kwargs)
        trace.ProxyTracer.start_span = counting_start
        trace.get_tracer = counting_lookup

        answers = []
        def answer(request):
            answers.append(1)
            if len(answers) % 2:
                return httpx.Response(503, text="busy")
            return httpx.Response(200, json={"response_status": {"code": 10001,
                "severity": "SUCCESS", "description": ""}, "orders": [], "total": 0})

        async def main():
            http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
            retry = omsclient.RetryPolicy(max_retries=1, initial_delay=0, max_delay=0)
            async with omsclient.AsyncClient(legacy_url="https://shop.test", username="u",
                                             password="p4ss", http_client=http,
                                             retry=retry) as oms:
                condition = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
                for _ in range(3):
                    await oms.legacy.orders.search(condition)

        anyio.run(main)
        print(len(answers), len(started), len(lookups))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": SRC, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    answers, started, lookups = map(int, done.stdout.split())
    assert answers == 6  # two attempts a call
    assert started == 3
    assert lookups <= 1


def test_without_opentelemetry_nothing_is_imported_and_calls_work() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["opentelemetry"] = None  # as if the otel extra were not installed
        import anyio, httpx, omsclient
        from datetime import datetime
        from omsclient.legacy import Condition, Op, OrderField

        def answer(request):
            return httpx.Response(200, json={"response_status": {"code": 10001,
                "severity": "SUCCESS", "description": ""}, "orders": [], "total": 0})

        async def main():
            http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
            async with omsclient.AsyncClient(legacy_url="https://shop.test", username="u",
                                             password="p4ss", http_client=http) as oms:
                condition = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2000, 1, 1))
                print((await oms.legacy.orders.search(condition)).total)

        anyio.run(main)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": SRC, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
    lazy = subprocess.run(
        [sys.executable, "-c", "import sys, omsclient; print('opentelemetry' in sys.modules)"],
        env={"PYTHONPATH": SRC, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert lazy.stdout.strip() == "False", lazy.stderr
