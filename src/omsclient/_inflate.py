"""Inflating a compressed answer no further than the size cap allows.

httpx inflates each chunk it reads whole: a 64 kB read of a body compressed a thousand times
over is 64 MB, and zlib's growing buffer holds more than that for a moment, before a size cap
can look at it. The session reads a gzip or deflate body raw and inflates it here, each chunk
only as far as the bytes the cap still allows. zlib does the same work either way.

Those are the only codings a request asks for: httpx would also ask for brotli and zstd when
their packages happen to be installed, and inflate them with decoders that take no output limit.
"""

from __future__ import annotations

import re
import zlib

import httpx
from httpx._decoders import SUPPORTED_DECODERS

__all__ = ["ACCEPT_ENCODING", "Inflater", "unreadable"]

_WBITS = {"gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}

ACCEPT_ENCODING = "gzip, deflate"
"""The ``Accept-Encoding`` of every request whose ``default_headers`` name none."""

# A weight of zero (RFC 9110, 12.4.2): the coding is not acceptable.
_REFUSED = re.compile(r"q=0(?:\.0{0,3})?", re.IGNORECASE)


def _weights(accept: str) -> dict[str, bool]:
    """The codings an ``Accept-Encoding`` value names, each with whether it is acceptable."""
    named: dict[str, bool] = {}
    for item in accept.split(","):
        coding, *parameters = (p.strip() for p in item.split(";"))
        if coding:
            named[coding.lower()] = not any(_REFUSED.fullmatch(p) for p in parameters)
    return named


def unreadable(codings: list[str], accept: str) -> str | None:
    """Why a body in ``codings`` is refused unread, for a request that sent ``Accept-Encoding:
    accept``; None if it can be read.

    gzip and deflate are always read: they are inflated within the cap, asked for or not. Any
    other coding must have been asked for (by the caller's own ``Accept-Encoding``), and be one
    httpx can inflate: a coding it does not know it passes on as it came, compressed bytes read
    as JSON, a confusing error that a retry would only repeat.
    """
    others = [coding for coding in codings if coding not in _WBITS]
    if not others:
        return None  # nearly every answer: its Accept-Encoding need not be read
    weights = _weights(accept)
    for coding in others:
        if not weights.get(coding, weights.get("*", False)):
            return f"in {coding}, a coding it was not asked for"
        if coding not in SUPPORTED_DECODERS:
            return f"in {coding}, a coding asked for that no decoder is installed for"
    return None


class Inflater:
    """Inflates one gzip or deflate body, chunk by chunk, as httpx's decoders would."""

    __slots__ = ("_first", "_zlib")

    def __init__(self, coding: str) -> None:
        self._zlib = zlib.decompressobj(_WBITS[coding])
        self._first = coding == "deflate"

    @classmethod
    def of(cls, codings: list[str]) -> Inflater | None:
        """An inflater for a body in ``codings``; None when the body is read as httpx reads it
        (no coding, or one the caller asked for that this module leaves to httpx)."""
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
