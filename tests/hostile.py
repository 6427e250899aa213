"""A hostile HTTP/1.1 server on 127.0.0.1 for tests: every answer is written by hand.

A test gives the server a handler, an async function of the request that writes raw bytes to
the connection: it can drip a byte a second, stream chunks forever, send a huge or truncated
body, echo the credentials back in every form, or answer like a server that ignores ``offset``.
The server runs in a thread of its own (an anyio blocking portal, on trio), so it keeps answering
while the test's event loop is blocked, and its memory is part of the process a test measures.
"""

from __future__ import annotations

import html
import json
import traceback
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus

import anyio
import anyio.abc
import anyio.from_thread

__all__ = ["HostileServer", "Request", "frame_variables", "hostile_server", "secret_forms"]


class Request:
    """What the server read of one request: method, path, headers and form fields."""

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body

    @property
    def form(self) -> dict[str, str]:
        """The form fields of a legacy request."""
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


Handler = Callable[[Request, anyio.abc.SocketStream], Awaitable[None]]


def secret_forms(secret: str) -> list[str]:
    """``secret`` as a server may echo it: raw, URL-encoded, HTML- and JSON-escaped."""
    return [
        secret,
        quote(secret),
        quote(secret, safe=""),
        quote_plus(secret),
        html.escape(secret),
        json.dumps(secret)[1:-1],
    ]


TESTS = Path(__file__).parent


def linked(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every error linked to it (raised from, or while handling), once each: what
    an error reporter walks."""
    seen: set[int] = set()
    chain: list[BaseException | None] = [exc]
    while chain:
        current = chain.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        chain += [current.__cause__, current.__context__]


def frame_variables(exc: BaseException) -> list[str]:
    """The variables of every frame ``exc`` and the errors linked to it went through, outside
    the tests: what an error reporter (Sentry by default, rich's ``show_locals``) prints."""
    shown: list[str] = []
    for current in linked(exc):
        for frame, _ in traceback.walk_tb(current.__traceback__):
            if Path(frame.f_code.co_filename).is_relative_to(TESTS):
                continue
            for name, value in frame.f_locals.items():
                try:
                    shown.append(f"{name} = {value!r}")
                except Exception:  # an object half built when the error stopped it
                    shown.append(f"{name} = <{type(value).__name__}>")
    return shown


async def write_response(
    stream: anyio.abc.SocketStream,
    body: bytes,
    *,
    status: int = 200,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    reason: str = "X",
) -> None:
    """Write a whole response with a Content-Length."""
    head = [
        f"HTTP/1.1 {status} {reason}",
        f"content-type: {content_type}",
        f"content-length: {len(body)}",
    ]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    await stream.send(("\r\n".join(head) + "\r\n\r\n").encode() + body)


async def write_json(stream: anyio.abc.SocketStream, data: Any, *, status: int = 200) -> None:
    """Write ``data`` as a JSON response."""
    await write_response(stream, json.dumps(data).encode(), status=status)


class HostileServer:
    """The running server: its URL, the handler answering now, and the requests it read."""

    def __init__(self) -> None:
        self.url = ""
        self.handler: Handler = _not_set
        self.requests: list[Request] = []

    async def _serve_connection(self, stream: anyio.abc.SocketStream) -> None:
        async with stream:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    try:
                        chunk = await stream.receive()
                    except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                        return
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                while len(buffer) < length:
                    try:
                        buffer += await stream.receive()
                    except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                        return
                body, buffer = buffer[:length], buffer[length:]
                request = Request(method, path, headers, body)
                self.requests.append(request)
                try:
                    await self.handler(request, stream)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                    return  # the client hung up: what a hostile answer is for
                except _CloseConnection:
                    return

    async def serve(self, *, task_status: anyio.abc.TaskStatus[str]) -> None:
        """Listen on a free port of 127.0.0.1 and serve until cancelled."""
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with listener:
            task_status.started(f"http://127.0.0.1:{port}")
            await listener.serve(self._serve_connection)


class _CloseConnection(Exception):
    """Raised by a handler to close the connection after what it wrote."""


async def _not_set(request: Request, stream: anyio.abc.SocketStream) -> None:
    raise AssertionError("the test set no handler")


def close_connection() -> None:
    """End the current connection after what the handler wrote (from inside a handler)."""
    raise _CloseConnection


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    """Start a :class:`HostileServer` in a thread; stop it on exit."""
    server = HostileServer()
    # On trio an accept either takes a connection or is cancelled. asyncio's (Python 3.11) can
    # take one and then find its future cancelled: the socket is dropped, held by the logged
    # error's traceback, and closed by the collector in some later test, which then fails.
    with anyio.from_thread.start_blocking_portal("trio") as portal:
        future, server.url = portal.start_task(server.serve)
        try:
            yield server
        finally:
            future.cancel()
