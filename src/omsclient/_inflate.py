"""Inflating a compressed answer no further than the size cap allows.

httpx inflates each chunk it reads whole: a 64 kB read of a body compressed a thousand times
over is 64 MB, and zlib's growing buffer holds more than that for a moment, before a size cap
can look at it. The session reads a gzip or deflate body raw and inflates it here, each chunk
only as far as the bytes the cap still allows. zlib does the same work either way.

Those are the only codings a request asks for: httpx would also ask for brotli and zstd when
their packages happen to be installed, and inflate them with decoders that take no output limit,
so a compression bomb in one would take all the memory before the cap could look. A caller's
``Accept-Encoding`` naming any other coding is refused when the client is made.
"""

from __future__ import annotations

import re
import zlib

import httpx

from omsclient.errors import ConfigurationError

__all__ = ["ACCEPT_ENCODING", "Inflater", "check_accept_encoding", "unreadable"]

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


def check_accept_encoding(accept: str, what: str) -> None:
    """Refuse an ``Accept-Encoding`` of the caller's that accepts a coding other than gzip,
    deflate or identity (``*`` included): httpx would inflate it without an output limit.
    Codings refused with ``;q=0`` are no request for them."""
    for coding, acceptable in _weights(accept).items():
        if acceptable and coding not in (*_WBITS, "identity"):
            raise ConfigurationError(
                f"{what} names {coding!r}: omsclient reads answers in gzip, deflate and "
                "identity only, inflating them no further than max_response_bytes; leave "
                f"{coding!r} out (or refuse it with ';q=0')"
            )


def unreadable(codings: list[str]) -> str | None:
    """Why a body in ``codings`` is refused unread; None if it can be read.

    gzip and deflate are always read: they are inflated within the cap, asked for or not. No
    request asks for another coding (:func:`check_accept_encoding`), and httpx would inflate
    one without a limit, or pass one it does not know on as it came, compressed bytes read as
    JSON: a confusing error that a retry would only repeat.
    """
    for coding in codings:
        if coding not in _WBITS:
            return f"in {coding}, a coding it was not asked for"
    return None


class Inflater:
    """Inflates one gzip or deflate body, chunk by chunk, as httpx's decoders would."""

    __slots__ = ("_first", "_zlib")

    def __init__(self, coding: str) -> None:
        self._zlib = zlib.decompressobj(_WBITS[coding])
        self._first = coding == "deflate"

    @classmethod
    def of(cls, codings: list[str]) -> Inflater | None:
        """An inflater for a body in ``codings``; None when there is nothing to inflate (no
        coding) or the body is refused unread (:func:`unreadable`)."""
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
