"""JSON as every reading of an answer takes it: orjson, and for valid JSON orjson refuses (a
number past a double's range, ``1e400`` or an integer of 5,000 digits) the standard library,
which reads it as an infinity as the exports do, so one such value does not fail its page on
every read."""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["check_utf8", "loads", "not_json", "past_orjsons_depth"]


def check_utf8(content: bytes) -> None:
    """Raise :class:`UnicodeDecodeError` unless ``content`` is UTF-8: what msgspec leaves as
    bytes (a ``msgspec.Raw``) it never reads. One pass over it: ``isascii`` at memchr's speed,
    only other text decoded."""
    if not content.isascii():
        content.decode()


def past_orjsons_depth(error: orjson.JSONDecodeError) -> bool:
    """Whether orjson refused JSON for nesting past the 1,024 levels it reads: not a body cut
    short, and the same bytes would fail again."""
    return "depth" in error.msg


def not_json(constant: str) -> Any:
    """``parse_constant`` of :func:`json.loads`: NaN and Infinity are not JSON, though the
    standard library reads them."""
    raise ValueError(f"{constant} is not JSON")


def _whole_number(digits: str) -> int | float:
    """``parse_int`` of :func:`json.loads`: an integer longer than Python reads from text
    (``sys.int_max_str_digits``, 4,300 digits) as a float, an infinity, as ``1e400`` reads."""
    try:
        return int(digits)
    except ValueError:
        return float(digits)


def loads(content: bytes | memoryview) -> Any:
    """``content`` read as JSON.

    Raises:
        orjson.JSONDecodeError: no JSON (orjson's error, which says where).
    """
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        refused = exc
    try:
        # Given text, not bytes: of bytes it would read UTF-16 and UTF-32 too, which every
        # other reading refuses.
        return json.loads(
            bytes(content).decode("utf-8"), parse_constant=not_json, parse_int=_whole_number
        )
    except ValueError:  # UnicodeDecodeError among them
        raise refused from None
    except RecursionError:
        if past_orjsons_depth(refused) or "end of data" in refused.msg:
            # orjson's own limit, or a body cut short: its reason says it all.
            raise refused from None
        # Deeper than the standard library reads, though not orjson: its reason alone (a
        # number past a double's range, a lone surrogate) would not say why.
        message = f"{refused.msg}, in JSON nested too deep to read such a value"
        raise orjson.JSONDecodeError(message, refused.doc, refused.pos) from None
    finally:
        # The error's traceback holds this frame, which held the error: a cycle keeping every
        # caller's frame alive (a client's pool among their locals) until the collector came,
        # so a client dropped after a failed call was closed by the collector, not the loop.
        del refused
