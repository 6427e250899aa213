"""Request and answer bodies that leave no async generator to the garbage collector.

trio reports every async generator collected before it was exhausted with a ResourceWarning,
and httpx and httpcore move bodies through async generators, left suspended when a send or a
read stops halfway (a cancel, a dropped connection, a body refused for its size).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

__all__ = ["OneChunkBody", "finish"]


class _Once:
    """An async iterator giving ``content`` once (if any): a class, not an async generator,
    so there is nothing to finalise when it is left halfway."""

    def __init__(self, content: bytes) -> None:
        self._content: bytes | None = content or None

    def __aiter__(self) -> _Once:
        return self

    async def __anext__(self) -> bytes:
        content, self._content = self._content, None
        if content is None:
            raise StopAsyncIteration
        return content


class OneChunkBody(httpx.AsyncByteStream):
    """A request body sent as one chunk.

    httpx's own body stream is an async generator: interrupted while httpcore sends it, it is
    left suspended to the garbage collector. Each attempt iterates this one anew.
    """

    def __init__(self, content: bytes) -> None:
        self._content = content

    def __aiter__(self) -> AsyncIterator[bytes]:
        return _Once(self._content)


async def finish(body: AsyncIterator[bytes]) -> None:
    """Run a closed answer's body iterator to its end.

    httpx reads a body through a chain of async generators, down to httpcore's, left suspended
    when the read stops halfway. Closing only the outermost would leave the rest to the garbage
    collector; resumed after the answer is closed, the innermost fails or ends, and the whole
    chain with it.
    """
    for _ in range(4):  # a closed stream ends at once; a stream that ignores closing is left
        try:
            await anext(body)
        except StopAsyncIteration:
            return
        except Exception:  # the closed stream's error is what ends the chain
            return
