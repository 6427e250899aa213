"""Inflating a compressed answer no further than the size cap allows.

httpx inflates each chunk it reads whole: a 64 kB read of a body compressed a thousand times
over is 64 MB, and zlib's growing buffer holds more than that for a moment, before a size cap
can look at it. The session reads a gzip or deflate body raw and inflates it here, each chunk
only as far as the bytes the cap still allows. zlib does the same work either way.
"""

from __future__ import annotations

import zlib

import httpx

__all__ = ["Inflater"]

# The codings httpx inflates with zlib. Brotli and zstd (inflated by httpx when their packages
# are installed) are left to httpx: their decoders take no output limit.
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


class Inflater:
    """Inflates one gzip or deflate body, chunk by chunk, as httpx's decoders would."""

    __slots__ = ("_first", "_zlib")

    def __init__(self, coding: str) -> None:
        self._zlib = zlib.decompressobj(_WBITS[coding])
        self._first = coding == "deflate"

    @classmethod
    def of(cls, codings: list[str]) -> Inflater | None:
        """An inflater for a body in ``codings``; None when the body is read as httpx reads it
        (no coding, or one this module leaves to httpx)."""
        if len(codings) == 1 and codings[0] in _WBITS:
            return cls(codings[0])
        return None

    def inflate(self, data: bytes, limit: int) -> bytes:
        """``data`` inflated, ``limit`` bytes at most (1 or more): an answer of ``limit`` bytes
        may have had more to give, so a caller passes one byte more than it would keep."""
        first, self._first = self._first, False
        try:
            return self._zlib.decompress(data, limit)
        except zlib.error as exc:
            if not first:
                raise httpx.DecodingError(str(exc)) from exc
        # "deflate" is zlib-wrapped by the standard and raw from some servers; httpx takes both.
        self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        return self.inflate(data, limit)
