"""The outermost ASGI layer: logs every request, then injects faults into API requests.

Dropped connections and truncated bodies must reach the client as the network would
deliver them. Under uvicorn the connection's transport is closed directly (the request cycle
exposes it through ``receive.__self__``), so the client sees a closed socket, not a 500.
In-process (``httpx.ASGITransport``) there is no socket: the same httpx exceptions a socket
client would get are raised instead.
"""

from __future__ import annotations

import random
from typing import Any

import anyio
import attrs
import httpx
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._http import parse_form, parse_query
from ._state import RequestRecord, SandboxState

_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


async def _pause(seconds: float) -> None:
    """Injected latency (a seam for tests, which must not measure time)."""
    await anyio.sleep(seconds)


@attrs.frozen
class _Draws:
    """What one request draws from the fault stream: the same four numbers for every request
    under ``/api/``, whatever is switched on and whether a fault was queued, so that turning on
    latency or the empty-body quirk, or queueing a fault, leaves every other request's faults
    as they were."""

    fault: float
    empty: float
    status: float
    latency: float

    @classmethod
    def of(cls, rng: random.Random) -> _Draws:
        return cls(rng.random(), rng.random(), rng.random(), rng.random())


class Latency:
    """The injected delays of requests, which a stopping server ends all at once.

    A server stopping waits for the requests under way, then cancels them with a traceback
    for each; a request waiting out a long latency would be one. Ended, the delay lets the
    request be answered at once.
    """

    def __init__(self) -> None:
        self._waiting: set[anyio.CancelScope] = set()
        self._ended = False

    async def wait(self, seconds: float) -> None:
        """Wait ``seconds``, or until :meth:`end`."""
        if self._ended:
            return
        with anyio.CancelScope() as scope:
            self._waiting.add(scope)
            try:
                await _pause(seconds)
            finally:
                self._waiting.discard(scope)

    def end(self) -> None:
        """End the delays under way and skip those to come; call it from the server's loop."""
        self._ended = True
        for scope in self._waiting:
            scope.cancel()


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _transport(receive: Receive) -> Any:
    """uvicorn's transport for this request, or None when there is no socket."""
    return getattr(getattr(receive, "__self__", None), "transport", None)


async def _close_connection(receive: Receive) -> None:
    """Close the client's socket with nothing more sent."""
    cycle = getattr(receive, "__self__", None)
    _transport(receive).close()
    # Let the server notice the disconnect, so it neither logs an error nor sends a 500.
    for _ in range(200):
        if getattr(cycle, "disconnected", True):
            break
        await anyio.sleep(0.005)


def _no_socket_error(message: str) -> Exception:
    return httpx.RemoteProtocolError(message)


def _record(scope: Scope, body: bytes) -> RequestRecord:
    headers = _headers(scope)
    content_type = headers.get("content-type", "").lower()
    json_body: Any = None
    if "json" in content_type and body:
        try:
            json_body = orjson.loads(body)
        except orjson.JSONDecodeError:
            json_body = None
    return RequestRecord(
        method=scope["method"],
        path=scope["path"],
        query=parse_query(scope.get("query_string", b"")),
        form=parse_form(body, content_type),
        json=json_body,
        headers=headers,
    )


async def _send_all(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class Gateway:
    """Request log and fault injection around the sandbox routes."""

    def __init__(self, app: ASGIApp, state: SandboxState, latency: Latency) -> None:
        self.app = app
        self.state = state
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        record = _record(scope, body)
        if self.state.config.log_requests:
            self.state.requests.append(record)
        app_receive = _replay(body, receive)
        path: str = scope["path"]
        draws = _Draws.of(self.state.fault_rng) if path.startswith("/api/") else None
        fault = None if draws is None else self._decide(path, draws)
        # Its kind ("error" for a queued "error:503" too): the status is the record's status.
        record.fault = None if fault is None else fault.partition(":")[0]
        if draws is not None:
            await self._latency(draws)

        if fault is None:

            async def passthrough(message: Message) -> None:
                if message["type"] == "http.response.start":
                    record.status = message["status"]
                await send(message)

            await self.app(scope, app_receive, passthrough)
            return
        if fault.startswith("error"):
            assert draws is not None  # a fault is only ever decided on a draw
            status = self._error_status(fault, draws)
            record.status = status
            page = f"<html><body><h1>{status} {_REASONS.get(status, 'Error')}</h1></body></html>"
            await _send_all(send, status, page.encode(), [(b"content-type", b"text/html")])
            return
        if fault == "rate_limit":
            record.status = 429
            extra = []
            if self.state.config.faults.retry_after is not None:
                extra.append((b"retry-after", str(self.state.config.faults.retry_after).encode()))
            await _send_all(
                send,
                429,
                b'{"message":"Too Many Attempts."}',
                [(b"content-type", b"application/json"), *extra],
            )
            return
        await self._after_app(fault, scope, app_receive, receive, send, record)

    async def _after_app(
        self,
        fault: str,
        scope: Scope,
        app_receive: Receive,
        receive: Receive,
        send: Send,
        record: RequestRecord,
    ) -> None:
        """Let the app handle the request (writes are applied), then spoil the answer."""
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, app_receive, capture)
        body = b"".join(chunks)
        if fault == "empty":
            record.status = 200
            await _send_all(send, 200, b"", [(b"content-type", b"text/html; charset=UTF-8")])
            return
        if fault == "drop":
            if _transport(receive) is None:
                raise _no_socket_error("Server disconnected without sending a response.")
            await _close_connection(receive)
            return
        # Truncated: full Content-Length announced, half the body sent, then the socket closes.
        record.status = start.get("status", 200)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        cut = len(body) // 2
        if _transport(receive) is None:
            raise _no_socket_error(
                "peer closed connection without sending complete message body: "
                f"received {cut} bytes, expected {len(body)}"
            )
        await send({"type": "http.response.start", "status": record.status, "headers": headers})
        await send({"type": "http.response.body", "body": body[:cut], "more_body": True})
        await _close_connection(receive)

    def _decide(self, path: str, draws: _Draws) -> str | None:
        state = self.state
        if state.queued_faults:
            kind = state.queued_faults.popleft()
            return None if kind == "none" else kind
        faults = state.config.faults
        if faults.enabled:
            roll = draws.fault
            for kind, rate in (
                ("error", faults.error_rate),
                ("rate_limit", faults.rate_limit_rate),
                ("drop", faults.drop_rate),
                ("truncate", faults.truncate_rate),
            ):
                if roll < rate:
                    return kind
                roll -= rate
        empty_rate = state.config.quirks.empty_body_rate
        if empty_rate and path.startswith("/api/json/") and draws.empty < empty_rate:
            return "empty"
        return None

    def _error_status(self, fault: str, draws: _Draws) -> int:
        _, _, code = fault.partition(":")
        if code:
            return int(code)
        statuses = self.state.config.faults.error_statuses
        return statuses[min(int(draws.status * len(statuses)), len(statuses) - 1)]

    async def _latency(self, draws: _Draws) -> None:
        latency = self.state.config.faults.latency
        if not latency:
            return
        if isinstance(latency, tuple):
            low, high = latency
            delay = low + (high - low) * draws.latency
        else:
            delay = latency
        await self.latency.wait(delay)
