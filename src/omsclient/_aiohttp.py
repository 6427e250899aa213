"""The aiohttp transport (``transport="aiohttp"``): httpx-aiohttp, with httpx's own error classes.

httpx reads a large body with several times the CPU aiohttp needs (see docs/performance.md), so
bulk jobs can send through aiohttp while keeping httpx's API. The session only knows httpx's
error classes, so every aiohttp error becomes the one httpx's own transport raises for the same
failure, whether httpx-aiohttp mapped it (it turns every connection error into
``httpx.ConnectTimeout``, a connection dropped after the request went out included, which the
session would retry even for a write), left it raw (a malformed answer) or it came while the
body was read (a body cut short, a read that stalled). Only a failure to connect is a connect
error, so a write is never sent twice.
"""

from __future__ import annotations

import base64
import copy
import ssl
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import httpx
import httpx_aiohttp
import sniffio
import yarl
from aiohttp.http_parser import RawResponseMessage

from omsclient._responses import without_quoted_bytes
from omsclient.errors import ConfigurationError

__all__ = ["AiohttpTransport"]

# As much as httpcore reads at once: the session's size cap then sees a body grow chunk by chunk,
# a brotli or zstd one that httpx inflates never more than one chunk's worth ahead.
_CHUNK = 64 * 1024
# httpcore reads an answer's status line and headers up to 100 KiB in all; aiohttp bounds each
# header's name and value (8,190 bytes each) and the headers' number (128) instead, which failed
# answers httpx's own transport takes (a 16 KB cookie, a gateway's 200 headers), writes that
# applied too. Raised so, an answer's head holds about 16 MiB at most.
_LINE = 32 * 1024
_HEADERS = 256


def _httpx_error(exc: aiohttp.ClientError) -> httpx.TransportError:
    """The error httpx's own transport raises for the failure ``exc`` stands for."""
    message = str(exc) or type(exc).__name__
    cause = exc.__cause__
    if isinstance(exc, aiohttp.ClientPayloadError) and cause is not None:
        # "Response payload is not completed: <ContentLengthError: 400, message='Not enough
        # data ...'>": the 400 is aiohttp's own parser code, which a reader takes for the
        # server's status. Its message alone says what happened.
        message = without_quoted_bytes(str(getattr(cause, "message", ""))) or message
    if isinstance(exc, aiohttp.ConnectionTimeoutError):  # waiting for or opening a connection
        return httpx.ConnectTimeout(message)
    if isinstance(exc, aiohttp.ServerTimeoutError):  # a read that stalled
        return httpx.ReadTimeout(message)
    if isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.InvalidURL)):  # never left
        error = httpx.ConnectError(message)
        checked = getattr(exc, "os_error", None)
        if isinstance(checked, ssl.SSLCertVerificationError):
            # The failed certificate check, which the client raises at once, as httpx's own
            # transport has it: a copy, without the traceback whose frames hold the request.
            error.__cause__ = copy.copy(checked)
        return error
    if isinstance(exc, aiohttp.ClientHttpProxyError):  # the proxy refused the tunnel
        # As httpx says it; its reason read by aiohttp's own answer, not _Response.
        return httpx.ProxyError(f"{exc.status} {_as_latin_1(exc.message)}")
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError)):
        return httpx.RemoteProtocolError(message)  # dropped, or the body was cut short
    if isinstance(exc, aiohttp.ClientResponseError):  # an answer that is not HTTP
        # '400, message="Bad status line ...", url=...': the 400 is the parser's code again.
        # Its message spans lines (the line read, a caret under the fault): one line here.
        return httpx.RemoteProtocolError(
            " ".join(without_quoted_bytes(exc.message).split()) or type(exc).__name__
        )
    return httpx.ReadError(message)


def _as_latin_1(text: str) -> str:
    """``text`` of a status line as aiohttp read it, read as httpx reads one when it is no
    UTF-8: aiohttp keeps each byte that is no UTF-8 as a lone surrogate, which
    httpx-aiohttp's ``encode()`` of the text failed on (a bare ``UnicodeEncodeError`` out of
    the request), and which an error's ``repr`` writes as ``\\udcXX``, the byte for anyone to
    read, where the redaction of a secret looks for its characters. Latin-1, HTTP's charset of
    old, has a character for every byte."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("latin-1")
    return text


def _translated(exc: Exception) -> Exception:
    """The error to raise for ``exc``: httpx's for an aiohttp one (raw, or as httpx-aiohttp
    wrapped it), ``exc`` itself otherwise.

    The caller raises it outside its ``except`` block, so aiohttp's error travels neither as
    cause nor as context: its ``request_info`` holds the request's headers, the API token
    among them.
    """
    if isinstance(exc, aiohttp.ClientError):
        return _httpx_error(exc)
    cause = exc.__cause__
    if isinstance(exc, httpx.TransportError) and isinstance(cause, aiohttp.ClientError):
        return _httpx_error(cause)
    return exc


class _Body(httpx.AsyncByteStream):
    """An aiohttp answer's body, read in chunks, failing with httpx's errors."""

    def __init__(self, response: aiohttp.ClientResponse, stream: httpx.AsyncByteStream) -> None:
        self._response = response
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self._response.content.iter_chunked(_CHUNK)
        while True:
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return
            except (aiohttp.ClientError, httpx.TransportError) as exc:
                error = _translated(exc)
            else:
                yield chunk
                continue
            raise error

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
            return
        except (aiohttp.ClientError, httpx.TransportError) as exc:
            error = _translated(exc)
        raise error


class _Chunks(httpx.AsyncByteStream):
    """A request body in chunks, as aiohttp sends a large one without a warning."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self._content), _CHUNK):
            yield self._content[start : start + _CHUNK]


def _as_written(
    build: Callable[[str | yarl.URL], yarl.URL],
) -> Callable[[str | yarl.URL], yarl.URL]:
    """``ClientSession._build_url`` taking a URL's text as already encoded (httpx's)."""

    def build_url(url: str | yarl.URL) -> yarl.URL:
        return build(yarl.URL(url, encoded=True) if isinstance(url, str) else url)

    return build_url


class _Response(aiohttp.ClientResponse):
    """aiohttp's answer, the text of its status line one that httpx-aiohttp can hand on."""

    async def start(self, connection: aiohttp.connector.Connection) -> aiohttp.ClientResponse:
        """Read the status line and headers."""
        protocol = connection.protocol
        if protocol is None:  # closed meanwhile: aiohttp's own start says so
            return await super().start(connection)
        # aiohttp stops the read timeout once an interim (1xx) answer is read and starts it
        # again with the next request: a server silent after a "103 Early Hints" held the
        # attempt until its deadline, never a read timeout, so a read was not retried.
        read = protocol.read

        async def read_on_time() -> tuple[RawResponseMessage, aiohttp.StreamReader]:
            message, payload = await read()
            # Only when no answer is queued behind it: one already read ends the timer itself.
            if 100 <= message.code < 200 and message.code != 101 and not len(protocol):
                protocol.start_timeout()
            return message, payload

        protocol.read = read_on_time  # type: ignore[method-assign]
        try:
            response = await super().start(connection)
        finally:
            del protocol.read
        if self.status < 100:
            # No HTTP status (httpx's own transport refuses it as a malformed answer); not an
            # interim one either, as a status under 200 would read.
            raise aiohttp.ClientResponseError(
                self.request_info, (), message=f"no HTTP status: {self.status}"
            )
        codings = ",".join(self.headers.getall("Transfer-Encoding", ()))
        if codings and {c.strip().lower() for c in codings.split(",")} != {"chunked"}:
            # aiohttp undoes the chunks and hands on the rest still coded (gzip's bytes read as
            # a page that is no UTF-8); httpx's transport refuses any coding but chunked.
            raise aiohttp.ClientResponseError(
                self.request_info, (), message="a Transfer-Encoding other than chunked"
            )
        self.reason = _as_latin_1(self.reason or "")
        return response


class AiohttpTransport(httpx_aiohttp.AiohttpTransport):
    """httpx-aiohttp's transport raising the errors httpx's own transport would; made for one
    event loop, which must be asyncio's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Built for each event loop (LoopBoundTransport) at its first call, before a job
        # writes anything: the one check a loop needs.
        library = sniffio.current_async_library()
        if library != "asyncio":
            raise ConfigurationError(
                f'transport="aiohttp" runs on asyncio only, not {library}: '
                'use the default transport="httpx"'
            )
        super().__init__(*args, **kwargs)
        # httpx-aiohttp hands a proxy's credentials to aiohttp as its deprecated proxy_auth:
        # two DeprecationWarnings a request (errors under -W error), and Latin-1, which has no
        # "€" (a bare UnicodeEncodeError). Sent as the header httpx's own transport sends,
        # UTF-8: aiohttp passes the proxy's headers on to a tunnel's CONNECT, and a plain
        # request through the proxy gets it in handle_async_request.
        self._proxy_authorization: str | None = None
        proxy = self.proxy
        if proxy is not None and proxy.raw_auth is not None:
            user, password = proxy.raw_auth
            self._proxy_authorization = f"Basic {base64.b64encode(user + b':' + password).decode()}"
            headers = proxy.headers.copy()
            headers["Proxy-Authorization"] = self._proxy_authorization
            self.proxy = httpx.Proxy(proxy.url, ssl_context=proxy.ssl_context, headers=headers)

    def get_client(self) -> aiohttp.ClientSession:
        """httpx-aiohttp's session, sending each request once."""
        session = super().get_client()
        # aiohttp sends a PUT or DELETE again by itself when a kept-alive connection drops
        # after the request went out. The session's retries, which never see that first send,
        # would report a write sent twice as applied once; they alone decide what is sent
        # again. No public option turns it off: aiohttp's own test client sets this one.
        session._retry_connection = False
        session._response_class = _Response
        session._max_line_size = session._max_field_size = _LINE
        session._max_headers = _HEADERS
        # As on httpx's transport: a session cookie a server sets is kept by no one, not sent
        # back with every later request (both APIs authenticate each request on its own).
        session._cookie_jar = aiohttp.DummyCookieJar()
        # httpx-aiohttp hands aiohttp the URL as text, which yarl reads again: it decodes
        # what httpx escaped in a path id (%3B to ';', which Java servers take for a path
        # parameter; %2E%2E to '..', a dot segment it resolves). Sent as httpx wrote it, the
        # request reaches the same resource on both transports. Set past ClientSession's
        # __setattr__, which warns in debug mode of any attribute not its own.
        object.__setattr__(session, "_build_url", _as_written(session._build_url))
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through aiohttp."""
        headers, stream = request.headers, request.stream
        if self._proxy_authorization is not None and request.url.scheme == "http":
            # A copy: the request httpx keeps (and shows in errors) never holds the credential.
            headers = headers.copy()
            headers["Proxy-Authorization"] = self._proxy_authorization
        if len(request.content) > aiohttp.payload.TOO_LARGE_BYTES_BODY:
            # aiohttp warns of bytes over 1 MiB (a ResourceWarning, an error under -W error),
            # which it would send at once all the same: handed over in chunks, it does not.
            stream = _Chunks(request.content)
        if headers is not request.headers or stream is not request.stream:
            request = httpx.Request(
                request.method,
                request.url,
                headers=headers,
                stream=stream,
                extensions=request.extensions,
            )
        try:
            response = await super().handle_async_request(request)
        except (aiohttp.ClientError, httpx.TransportError) as exc:
            error = _translated(exc)
        else:
            stream = response.stream
            assert isinstance(stream, httpx_aiohttp.transport.AiohttpResponseStream)
            response.stream = _Body(stream._aiohttp_response, stream)
            return response
        raise error
