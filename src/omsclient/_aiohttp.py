"""The aiohttp transport (``transport="aiohttp"``): httpx-aiohttp, with httpx's own error classes.

httpx reads a large body with several times the CPU aiohttp needs (see docs/performance.md), so
bulk jobs can send through aiohttp while keeping httpx's API. httpx-aiohttp turns every aiohttp
connection error into ``httpx.ConnectTimeout``, including a connection dropped after the request
went out; the session retries a connect failure even for writes, since such a request never
left. Here only a failure to connect is a connect error; a drop after that is a read error, as
httpx's own transport says, so a write is never sent twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import aiohttp
import httpx
import httpx_aiohttp
import sniffio

from omsclient.errors import ConfigurationError

__all__ = ["AiohttpTransport"]


@contextmanager
def _remapped() -> Iterator[None]:
    try:
        yield
    except httpx.ConnectTimeout as exc:
        cause = exc.__cause__
        if cause is None or isinstance(cause, aiohttp.ServerTimeoutError):
            raise  # a real timeout
        if isinstance(cause, aiohttp.ClientConnectorError):
            raise httpx.ConnectError(str(exc)) from cause
        if isinstance(cause, aiohttp.ServerDisconnectedError):
            raise httpx.RemoteProtocolError(str(exc) or "Server disconnected") from cause
        raise httpx.ReadError(str(exc)) from cause


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _remapped():
            response = getattr(self._stream, "_aiohttp_response", None)
            if isinstance(response, aiohttp.ClientResponse):
                # One read: httpx-aiohttp's 16 KiB chunks cost more CPU than the whole read.
                yield await response.read()
                return
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        with _remapped():
            await self._stream.aclose()


class AiohttpTransport(httpx_aiohttp.AiohttpTransport):
    """httpx-aiohttp's transport raising the errors httpx's own transport would."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through aiohttp."""
        library = sniffio.current_async_library()
        if library != "asyncio":
            raise ConfigurationError(
                f'transport="aiohttp" runs on asyncio only, not {library}: '
                'use the default transport="httpx"'
            )
        with _remapped():
            response = await super().handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Body(response.stream)
        return response
