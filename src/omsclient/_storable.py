"""Text as UTF-8 holds it: each character it cannot hold written as its JSON escape.

JSON's ``\\u`` escapes carry two characters no database text holds: NUL (PostgreSQL's text
and jsonb refuse it) and half of a surrogate pair (``\\ud800`` alone, which JavaScript writes
for a string cut between the halves of an emoji), which no UTF-8 text holds. The database sync
stores each as its escape, six characters. A file's UTF-8 holds a NUL: the text of a CSV cell
and a Parquet string keep it, and hold a lone surrogate as its escape, as the sync does.
"""

from __future__ import annotations

import re
from typing import Any

from omsclient._json_copy import copy_texts

__all__ = [
    "SURROGATE_ESCAPE",
    "UNSTORABLE_ESCAPE",
    "holds_escape",
    "storable",
    "storable_value",
    "surrogates_readable",
    "utf8_value",
]

# What neither database holds in text: NUL (PostgreSQL's text and jsonb refuse it), and half
# of a surrogate pair, which JSON's \u escapes can carry (\ud800 alone) and UTF-8 cannot.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

SURROGATE_ESCAPE = re.compile(rb"\\u[dD](?=[89a-fA-F])")
"""The start (``\\ud``) of a surrogate's escape, ``\\ud800`` to ``\\udfff``, in JSON bytes: where
a lone surrogate may be (or, after an escaped backslash, only looks as if it were)."""

UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD](?=[89a-fA-F]))")
"""The escape of a character no database text holds (``\\u0000``, or the start of a surrogate's,
as :data:`SURROGATE_ESCAPE`) in JSON bytes: where :func:`storable_value` may have to change
what the bytes read as."""

_BACKSLASH = ord("\\")  # a byte looked for as its value: legacy/_sent.py says why


def holds_escape(pattern: re.Pattern[bytes], data: bytes) -> bool:
    """Whether JSON ``data`` holds an escape ``pattern`` finds: a backslash looked for first,
    at memchr's speed, as most orders hold none (0.2 µs for a live order of 6 KB, where a
    pattern's search takes 1.7-1.9)."""
    return _BACKSLASH in data and pattern.search(data) is not None


def surrogates_readable(content: bytes) -> bytes:
    """JSON ``content`` with each surrogate's escape (``\\ud800`` to ``\\udfff``) made another
    of the same length (``\\ue800`` to ``\\uefff``), which msgspec reads where it refuses a
    lone surrogate, as JSON allows: inside a string or after an escaped backslash alike, the
    JSON keeps its shape, and every value its place."""
    return SURROGATE_ESCAPE.sub(rb"\\ue", content)


def _escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found[0]):04x}"


def storable(text: str) -> str:
    """``text`` as both databases hold it in the key and text columns: each character no
    database text holds (NUL, a lone surrogate) as its JSON escape, six characters
    (``\\u0000``, ``\\ud800``).

    Not dropped: an order id ``INV<NUL>1`` would be the key of the order ``INV1`` too, and one
    of the two orders would be lost, each run storing whichever came last.
    """
    if text.isascii():  # a fast scan: only NUL to look for then
        return text.replace("\x00", "\\u0000") if "\x00" in text else text
    return _UNSTORABLE.sub(_escape, text)


def _utf8(text: str) -> str:
    # A lone surrogate is what UTF-8 cannot encode; "backslashreplace" writes it as \ud800.
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode()


def storable_value(value: Any) -> Any:
    """A JSON value with each of its strings and keys :func:`storable`."""
    return copy_texts(value, storable)


def utf8_value(value: Any) -> Any:
    """A JSON value with each lone surrogate of its strings and keys as its escape (six
    characters), which UTF-8 text holds; a NUL is kept."""
    return copy_texts(value, _utf8)
